#!/bin/bash
# Logical decoding on a physical standby (PostgreSQL 16+): a private
# primary and a streaming standby (scripts/pg.sh standby: a copy of the
# primary's data directory, since Debian's pg_basebackup 15 refuses newer
# servers), a pgoutput slot on the standby, and pgwal-read streaming from
# it: --create-slot, --catch-up (the standby has no WAL insert position:
# its replay position is "now"), --list-slots; every change made on the
# primary arrives, none twice.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_pg_major 16 "logical decoding on a standby"

prim="$T/primary"; stby="$T/standby"
at_exit "'$PGWAL_TOP/scripts/pg.sh' stop '$stby' >/dev/null 2>&1; '$PGWAL_TOP/scripts/pg.sh' stop '$prim' >/dev/null 2>&1"
"$PGWAL_TOP/scripts/pg.sh" start "$prim" >"$T/prim.log" 2>&1 || { sed 's/^/#   /' "$T/prim.log"; bail "the primary did not start"; }
pconn="host=127.0.0.1 port=$(cat "$prim/pg.port") user=postgres dbname=postgres"
psql_p() { psql -X -v ON_ERROR_STOP=1 -qAt -d "$pconn" "$@"; }
psql_p -c "create table sb(id int primary key, v text)" -c "create publication pgwal for table sb"
"$PGWAL_TOP/scripts/pg.sh" standby "$stby" "$prim" >"$T/stby.log" 2>&1 ||
	{ sed 's/^/#   /' "$T/stby.log" | tail -n 20; bail "the standby did not start"; }
sconn="host=127.0.0.1 port=$(cat "$stby/pg.port") user=postgres dbname=postgres"
psql_s() { psql -X -v ON_ERROR_STOP=1 -qAt -d "$sconn" "$@"; }
is "$(psql_s -c "select pg_is_in_recovery()")" t "the standby is in recovery"

# a logical slot on a standby waits for a running-xacts record of the primary
"$PGWAL_READ" -d "$sconn" -S sb_slot --create-slot >"$T/create.out" 2>"$T/create.err" &
cpid=$!
for _ in $(seq 1 100); do
	kill -0 $cpid 2>/dev/null || break
	psql_p -c "select pg_log_standby_snapshot()" >/dev/null
	sleep 0.2
done
set +e; wait $cpid; rc=$?; set -e
is "$rc" 0 "--create-slot on the standby exits 0"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/create.err"

# changes on the primary, replayed on the standby
N=2000
psql_p -c "insert into sb select g, 'a' || g from generate_series(1, $N / 2) g"
psql_p -c "update sb set v = 'u' || id where id <= 100" -c "delete from sb where id > 900 and id <= 1000"
psql_p -c "insert into sb select g, 'b' || g from generate_series($N / 2 + 1, $N) g"
want=$(psql_p -c "select pg_current_wal_insert_lsn()")
for _ in $(seq 1 100); do
	[ "$(psql_s -c "select pg_last_wal_replay_lsn() >= '$want'")" = t ] && break
	sleep 0.1
done
is "$(psql_s -c "select count(*) from sb")" "$((N - 100))" "the standby has replayed the changes"

set +e
timeout 60 "$PGWAL_READ" -d "$sconn" -S sb_slot --catch-up --no-loop >"$T/out" 2>"$T/err"; rc=$?
set -e
is "$rc" 0 "--catch-up on the standby exits 0"
[ "$rc" = 0 ] && unlike "$(cat "$T/err")" 'recovery is in progress' "... without asking the standby for a WAL insert position"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/err" | head -n 5
ins=$(grep -c '"op":"insert"' "$T/out" || true)
upd=$(grep -c '"op":"update"' "$T/out" || true)
del=$(grep -c '"op":"delete"' "$T/out" || true)
is "$ins $upd $del" "$N 100 100" "every change made on the primary arrives from the standby (inserts updates deletes)"
dups=$(grep '"op":"insert"' "$T/out" | sed 's/.*"key":\({[^}]*}\).*/\1/' | sort | uniq -d | wc -l)
is "$dups" 0 "... none twice"
echo "# standby: changes $((ins + upd + del)) of $((N + 200)), lost $((N + 200 - ins - upd - del))"

# the slot is confirmed to what was printed: a second run has nothing
psql_p -c "insert into sb values ($N + 1, 'last')"
want=$(psql_p -c "select pg_current_wal_insert_lsn()")
for _ in $(seq 1 100); do
	[ "$(psql_s -c "select pg_last_wal_replay_lsn() >= '$want'")" = t ] && break
	sleep 0.1
done
set +e
timeout 60 "$PGWAL_READ" -d "$sconn" -S sb_slot --catch-up --no-loop >"$T/out2" 2>"$T/err2"; rc=$?
set -e
is "$rc" 0 "a second --catch-up exits 0"
is "$(grep -c '"op":"insert"' "$T/out2" || true)" 1 "... with the one change made since, and nothing again"

set +e
"$PGWAL_READ" -d "$sconn" --list-slots --format=json >"$T/slots" 2>"$T/slots.err"; rc=$?
set -e
is "$rc" 0 "--list-slots on the standby exits 0"
like "$(cat "$T/slots")" '"slot_name":"sb_slot"' "... and lists the standby's slot"

"$PGWAL_READ" -d "$sconn" -S sb_slot --drop-slot >/dev/null 2>&1 || true
done_testing
