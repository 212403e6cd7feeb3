#!/bin/bash
# What a DBA meets in the first hour (issue 14): --create-publication says
# what it covers and which tables will refuse UPDATE/DELETE; --peek -E and
# streaming -E stop at the same transaction; --peek N counts transactions;
# a reconnect that will be retried is a warning, not an error; -v says why
# the confirmed position is past the acknowledged one.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db="t26_$$"
pfx="t26_$$"			# slot names are cluster-wide: prefix them
bgpid=""
cleanup() {
	if [ -n "$bgpid" ]; then kill -TERM "$bgpid" 2>/dev/null || true; wait "$bgpid" 2>/dev/null || true; fi
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like '${pfx}%' and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"

# run_read ARGS...: pgwal-read bounded in time; sets rc, out ($T/out), err
run_read() {
	set +e
	timeout 60 "$PGWAL_READ" -d "dbname=$db" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	err=$(cat "$T/err")
}
count_op() { grep -c "\"op\":\"$1\"" "$2" || true; }
# wait_until TENTHS CMD...: poll until CMD succeeds, at most TENTHS tenths of a second
wait_until() {
	local n=$1; shift
	until "$@"; do n=$((n - 1)); [ "$n" -gt 0 ] || return 1; sleep 0.1; done
}
# commit_field N FIELD FILE: FIELD ("lsn", "end_lsn") of the N-th commit line of FILE
commit_field() {
	grep '"op":"commit"' "$3" | sed -n "$1p" | grep -o "\"$2\":\"[0-9A-F/]*\"" | cut -d'"' -f4
}
lsn_add() { sql -c "select '$1'::pg_lsn + ($2)"; }

# ---- --create-publication ------------------------------------------------
sql -c "create table orders (id int primary key, v text);
	create table audit_log (at timestamptz default now(), msg text);
	create table notes (msg text); alter table notes replica identity full"
run_read -S "${pfx}_p" --create-publication --create-slot
is "$rc" 0 "--create-publication --create-slot without --table exits 0"
like "$err" '^pgwal-read: warning: created publication "pgwal" FOR ALL TABLES: every table of database' \
	"a warning says the publication covers all tables"
like "$err" 'warning: table public\.audit_log has no primary key and no replica identity: .*refuses UPDATE and DELETE' \
	"... and names the table without a key that will refuse UPDATE and DELETE"
like "$err" 'hint: ALTER TABLE public\.audit_log REPLICA IDENTITY FULL, or add a primary key' "... with the fix"
unlike "$err" 'table public\.(orders|notes) ' "tables with a key or REPLICA IDENTITY FULL are not named"
set +e
upd=$(psql -X -qAt -c "update audit_log set msg = 'x'" 2>&1)
set -e
like "$upd" 'does not have a replica identity' "(the server does refuse UPDATE on it, as warned)"

run_read -S "${pfx}_q" --create-publication --table orders --create-slot
is "$rc" 0 "an existing FOR ALL TABLES publication with --table: exits 0"
like "$err" 'warning: publication "pgwal" exists already FOR ALL TABLES: --table is ignored' \
	"... with a warning at the default verbosity that --table is ignored"

run_read -S "${pfx}_r" --publication p_orders --create-publication --table orders --create-slot
is "$rc" 0 "--create-publication --table orders exits 0"
unlike "$err" 'FOR ALL TABLES|warning' "... without a warning: orders has a key"
run_read -S "${pfx}_r2" --publication p_orders --create-publication --table orders --create-slot
is "$err" "" "the same publication asked for again: nothing to say"
run_read -S "${pfx}_r3" --publication p_orders --create-publication --table audit_log --create-slot
like "$err" 'warning: publication "p_orders" exists already with other tables than --table: it publishes orders; --table is ignored' \
	"an existing publication with other tables than --table: a warning names what it publishes"
like "$err" 'hint: ALTER PUBLICATION' "... with a hint"
sql -c "drop table audit_log"

# ---- --peek -E and streaming -E agree ------------------------------------
for s in a b c d e; do
	run_read -S "${pfx}_e$s" --create-slot
done
for i in 1 2 3; do sql -c "insert into orders values ($i, 'tx$i')"; done
run_read -S "${pfx}_ea" --peek --format json
is "$(count_op commit "$T/out")" 3 "three pending transactions"
c1=$(commit_field 1 lsn "$T/out"); e1=$(commit_field 1 end_lsn "$T/out")
c2=$(commit_field 2 lsn "$T/out")
# X: one byte before the first commit, the commit itself, its end, the second commit
set -- "$(lsn_add "$c1" -1)" 0 "$c1" 1 "$e1" 1 "$c2" 2
for s in b c d e; do
	x=$1 want=$2; shift 2
	run_read -S "${pfx}_ea" --peek -E "$x" --format json
	peeked=$(count_op commit "$T/out")
	run_read -S "${pfx}_e$s" -E "$x" --no-loop
	is "$rc" 0 "streaming -E $x exits 0"
	streamed=$(count_op commit "$T/out")
	is "$peeked" "$want" "--peek -E $x prints $want transaction(s) (first commit $c1, its end $e1)"
	is "$streamed" "$want" "streaming -E $x prints $want transaction(s)"
done

# ---- --peek N counts transactions ----------------------------------------
run_read -S "${pfx}_n" --create-slot
for i in 1 2 3 4 5; do
	sql -c "insert into orders select g, 'big' from generate_series($i * 1000, $i * 1000 + 29) g"
done
run_read -S "${pfx}_n" --peek --format json
cp "$T/out" "$T/all"
is "$(count_op commit "$T/all")" 5 "five pending transactions of 30 rows"
run_read -S "${pfx}_n" --peek 2 --format json
is "$(count_op commit "$T/out")" 2 "--peek 2 prints two transactions"
run_read -S "${pfx}_n" --peek=3 --format json
is "$rc" 0 "--peek=3 exits 0"
is "$(count_op commit "$T/out")" 3 "--peek=3 prints three transactions (more rows than its first query asks for)"
is "$(count_op insert "$T/out")" 90 "... with their 90 rows"
is "$(md5sum <"$T/out")" "$(head -n "$(wc -l <"$T/out")" "$T/all" | md5sum)" "... the first three, each line once"
like "$err" '' "(no error)"
run_read -S "${pfx}_n" --peek 1 -E "$(commit_field 2 lsn "$T/all")" --format json
is "$(count_op commit "$T/out")" 1 "--peek 1 with -E past two transactions: one"
run_read -S "${pfx}_n" --peek 9 --format json
is "$(count_op commit "$T/out")" 5 "--peek 9 with five pending: the five"

# ---- a reconnect that will be retried is a warning -----------------------
run_read -S "${pfx}_w" --create-slot
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_w" -s 0.5 --checkpoint "$T/w.ckpt" >"$T/w.out" 2>"$T/w.err" &
bgpid=$!
wait_slot "${pfx}_w" t 100
sql -c "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '${pfx}_w'" >/dev/null
wait_until 100 grep -q 'reconnecting' "$T/w.err" || true
wait_slot "${pfx}_w" t 100
kill -TERM "$bgpid"
set +e
wait "$bgpid"; rc=$?
set -e
bgpid=""
werr=$(cat "$T/w.err")
is "$rc" 0 "a terminated walsender, a reconnect, then SIGTERM: exit 0"
like "$werr" 'warning: reconnecting in 1 s' "the reconnect is announced"
like "$werr" '^pgwal-read: warning: (replication from slot|the server ended|lost the connection|could not read)' \
	"the lost connection is a warning, since a retry follows"
unlike "$werr" 'error:' "... and nothing says error"

"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_w" -s 0.5 --no-loop >"$T/w.out" 2>"$T/w.err" &
bgpid=$!
wait_slot "${pfx}_w" t 100
sql -c "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '${pfx}_w'" >/dev/null
set +e
wait "$bgpid"; rc=$?
set -e
bgpid=""
is "$rc" 3 "with --no-loop the lost connection ends the run: exit 3"
like "$(cat "$T/w.err")" '^pgwal-read: error: ' "... and is an error"

# ---- why confirmed is past acknowledged ----------------------------------
run_read -S "${pfx}_i" --create-slot
sql -c "insert into orders values (9001, 'idle')"
run_read -S "${pfx}_i" --peek --format json
end=$(commit_field 1 end_lsn "$T/out")
printf '%s\n' "$end" >"$T/i.ack"
sql -c "create table unpublished_wal (x int); drop table unpublished_wal"	# WAL with nothing to publish
run_read -S "${pfx}_i" --catch-up --ack-file "$T/i.ack" -v
is "$rc" 0 "--catch-up --ack-file on an idle slot exits 0"
confirmed=$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '${pfx}_i'")
is "$(sql -c "select '$confirmed'::pg_lsn > '$end'::pg_lsn")" t "the slot is confirmed past the acknowledgement ($confirmed > $end)"
like "$err" "pgwal-read: confirmed $confirmed, past the acknowledged $end: everything emitted is acknowledged.*idle slot does not pin WAL" \
	"-v says why, with both positions"

done_testing
