#!/bin/bash
# PostgreSQL 17 failover slots: a slot created with --failover on the
# primary, synchronised to a streaming standby (pg_sync_replication_slots;
# sync_replication_slots = on does it in the background), the primary
# stopped, the standby promoted, and the pipeline resumed there from its
# checkpoint file: nothing lost.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_pg_major 17 "failover slots"

prim="$T/primary"; stby="$T/standby"
at_exit "'$PGWAL_TOP/scripts/pg.sh' stop '$stby' >/dev/null 2>&1; '$PGWAL_TOP/scripts/pg.sh' stop '$prim' >/dev/null 2>&1"
"$PGWAL_TOP/scripts/pg.sh" start "$prim" >"$T/prim.log" 2>&1 || { sed 's/^/#   /' "$T/prim.log"; bail "the primary did not start"; }
pconn="host=127.0.0.1 port=$(cat "$prim/pg.port") user=postgres dbname=postgres"
psql_p() { psql -X -v ON_ERROR_STOP=1 -qAt -d "$pconn" "$@"; }
psql_p -c "create table fo(id int primary key, v text)" -c "create publication pgwal for table fo"
"$PGWAL_TOP/scripts/pg.sh" standby "$stby" "$prim" >"$T/stby.log" 2>&1 ||
	{ sed 's/^/#   /' "$T/stby.log" | tail -n 20; bail "the standby did not start"; }
sconn="host=127.0.0.1 port=$(cat "$stby/pg.port") user=postgres dbname=postgres"
psql_s() { psql -X -v ON_ERROR_STOP=1 -qAt -d "$sconn" "$@"; }
# logical walsenders wait for the standby: nothing is sent that it lacks
psql_p -c "alter system set synchronized_standby_slots = 'pgwal_standby'" -c "select pg_reload_conf()" >/dev/null
replayed() {
	local want
	want=$(psql_p -c "select pg_current_wal_insert_lsn()")
	for _ in $(seq 1 100); do
		[ "$(psql_s -c "select pg_last_wal_replay_lsn() >= '$want'")" = t ] && return 0
		sleep 0.1
	done
	return 1
}

set +e
"$PGWAL_READ" -d "$pconn" -S fo_slot --create-slot --failover 2>"$T/create.err"; rc=$?
set -e
is "$rc" 0 "--create-slot --failover exits 0"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/create.err"
"$PGWAL_READ" -d "$pconn" --list-slots --format=json >"$T/slots.p"
like "$(grep '"slot_name":"fo_slot"' "$T/slots.p")" '"failover":true,"synced":false' "--list-slots: failover true on the primary"

# the first half, streamed on the primary
psql_p -c "insert into fo select g, 'a' from generate_series(1, 500) g"
for i in $(seq 501 600); do echo "insert into fo values ($i, 'b');"; done | psql -X -q -d "$pconn"
set +e
timeout 60 "$PGWAL_READ" -d "$pconn" -S fo_slot --catch-up --no-loop --checkpoint "$T/ckpt" >>"$T/out" 2>"$T/err1"; rc=$?
set -e
is "$rc" 0 "streaming on the primary exits 0"
# A slot is synchronised once its catalog xmin has passed the standby's:
# running-xacts records, read and confirmed by a --catch-up with nothing
# new to print, move it on.  (sync_replication_slots = on retries by itself.)
synced=f
for _ in $(seq 1 20); do
	psql_p -c "select pg_log_standby_snapshot()" >/dev/null
	timeout 60 "$PGWAL_READ" -d "$pconn" -S fo_slot --catch-up --no-loop --checkpoint "$T/ckpt" >>"$T/out" 2>>"$T/err1" || true
	replayed || true
	psql_s -c "select pg_sync_replication_slots()" >/dev/null 2>>"$T/sync.err" || true
	synced=$(psql_s -c "select coalesce(bool_or(synced and not temporary), false) from pg_replication_slots where slot_name = 'fo_slot'")
	[ "$synced" = t ] && break
	sleep 0.5
done
is "$synced" t "the standby holds a synchronised copy of the slot"
# the second half, not streamed before the failover
for i in $(seq 601 700); do echo "insert into fo values ($i, 'c');"; done | psql -X -q -d "$pconn"
psql_p -c "insert into fo select g, 'd' from generate_series(701, 1000) g"
replayed || true
psql_s -c "select pg_sync_replication_slots()" >/dev/null 2>"$T/sync.err" || sed 's/^/#   /' "$T/sync.err"
"$PGWAL_READ" -d "$sconn" --list-slots --format=json >"$T/slots.s"
like "$(grep '"slot_name":"fo_slot"' "$T/slots.s")" '"failover":true,"synced":true' "--list-slots on the standby: the slot is there, synced"

# the primary goes away; the standby is promoted
"$PGWAL_TOP/scripts/pg.sh" stop "$prim" >/dev/null
psql_s -c "select pg_promote(true, 60)" >/dev/null
is "$(psql_s -c "select pg_is_in_recovery()")" f "the standby is promoted"

set +e
timeout 60 "$PGWAL_READ" -d "$sconn" -S fo_slot --catch-up --no-loop --checkpoint "$T/ckpt" >>"$T/out" 2>"$T/err2"; rc=$?
set -e
is "$rc" 0 "the pipeline resumes on the new primary from its checkpoint file"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/err2" | head -n 5
got=$(grep '"op":"insert"' "$T/out" | sed 's/.*"key":{"id":\([0-9]*\)}.*/\1/' | sort -un | wc -l)
all=$(grep -c '"op":"insert"' "$T/out" || true)
is "$got" 1000 "every change arrives: 1000 of 1000 rows, lost $((1000 - got))"
echo "# failover: changes $all delivered (distinct $got of 1000), lost $((1000 - got)), duplicates $((all - got))"
done_testing
