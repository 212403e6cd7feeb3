#!/bin/bash
# pgwal-read keeps its connection while the reader is slow, and reconnects
# when the server ends it, losing nothing.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db=t14_$$
createdb "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db
sql -c "CREATE TABLE r (id int PRIMARY KEY, pad text)"
"$PGWAL_READ" -S t14 --create-publication --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot('t14')\" >/dev/null 2>&1"

# --- a reader that takes nothing for longer than wal_sender_timeout ---------
# 20 MB of changes: more than the pipe and pgwal-read's own 16 MB buffer hold,
# so pgwal-read must stop reading the server and keep answering keepalives.
sql -c "INSERT INTO r SELECT g, repeat('x', 200) FROM generate_series(1, 80000) g"
end=$(sql -c "SELECT pg_current_wal_lsn()")
"$PGWAL_READ" -d "dbname=$db options=-cwal_sender_timeout=2s" -S t14 -s 0.5 -E "$end" --no-loop \
	2>"$T/slow.err" | { sleep 6; cat; } >"$T/slow.out" &
pid=$!
at_exit "kill $pid 2>/dev/null"
set +e
timeout 60 tail --pid=$pid -f /dev/null
wait $pid; rc=$?
set -e
is "$rc" 0 "a reader stalled 3x wal_sender_timeout: pgwal-read exits 0 at --endpos"
is "$(grep -c '"op":"insert"' "$T/slow.out")" 80000 "every insert arrived after the stall"
unlike "$(cat "$T/slow.err")" 'timeout|lost the connection|reconnecting' "the connection was never lost"

# --- the server ends the connection: reconnect, nothing lost ----------------
"$PGWAL_READ" -S t14 -s 0.5 --checkpoint "$T/r.ckpt" >"$T/re.out" 2>"$T/re.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_slot t14 t 50
sql -c "INSERT INTO r SELECT g, 'a' FROM generate_series(100001, 100100) g"
sleep 1
sql -c "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name='t14'" >/dev/null
sql -c "INSERT INTO r SELECT g, 'b' FROM generate_series(100101, 100200) g"
# the backoff after the first loss is 1 s
for i in $(seq 1 100); do
	[ "$(grep -c '"op":"insert"' "$T/re.out")" -ge 200 ] && break
	sleep 0.1
done
kill -TERM $pid
set +e
wait $pid; rc=$?
set -e
is "$rc" 0 "SIGTERM after a reconnect: exit 0"
like "$(cat "$T/re.err")" 'reconnecting' "the lost connection was reported"
got=$(grep '"op":"insert"' "$T/re.out" | grep -o '"id":[0-9]*' | sort -u | wc -l)
is "$got" 200 "all 200 rows arrived across the reconnect"
is "$(tail -c 1 "$T/re.out" | od -An -c | tr -d ' ')" '\n' "the output ends with a complete line"
ck=$(head -n 1 "$T/r.ckpt")
flushed=$(sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name='t14'")
is "$(sql -c "SELECT '$flushed'::pg_lsn <= '$ck'::pg_lsn")" t "confirmed_flush_lsn ($flushed) is not past the checkpoint ($ck)"

done_testing
