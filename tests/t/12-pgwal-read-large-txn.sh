#!/bin/bash
# pgwal-read and one transaction much larger than logical_decoding_work_mem
# (64kB in the rig): every change arrives, the commit counts them, and
# pgwal-read's peak RSS stays flat compared with a 1k-row transaction, both
# when stdout keeps up (a file) and when it is blocked (a stalled pipe).
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db="t12_$$"
pfx="t12_$$"
N=300000
bgpids=""
cleanup() {
	for p in $bgpids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $bgpids; do wait "$p" 2>/dev/null || true; done
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like '${pfx}\_%' and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

# Peak RSS is measured with the plain build when there is one: ASan's shadow
# memory and quarantine would swamp the figure.  Correctness runs use
# $PGWAL_READ (the sanitizer build under make check).
# (make check builds only build/san: a build/pgwal-read older than it is stale.)
RSS_READ="$PGWAL_READ"
if [ "$(basename "$PGWAL_BIN")" = san ] && [ -x "$PGWAL_BIN/../pgwal-read" ] &&
	! [ "$PGWAL_READ" -nt "$PGWAL_BIN/../pgwal-read" ]; then
	RSS_READ=$(cd "$PGWAL_BIN/.." && pwd)/pgwal-read
fi
echo "# peak RSS measured with $RSS_READ"
case $RSS_READ in */san/*) export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" ;; esac

createdb "$db"
export PGDATABASE="$db"
sql -c "create table big(id int primary key, pad text, n numeric, t timestamptz); create publication pgwal for all tables"
for s in small big bigcheck blocked; do
	timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_$s" --create-slot
done

hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# measure SLOT ROWS OUT: stream in the background until the commit line of a
# ROWS-row transaction is out, read VmHWM, stop with SIGTERM.  Sets hwm (kB).
measure() {
	local slot=$1 rows=$2 out=$3 pid i
	set +e
	"$RSS_READ" -d "dbname=$db" -S "$slot" >"$out" 2>"$out.err" &
	pid=$!
	set -e
	bgpids="$bgpids $pid"
	hwm=0
	for i in $(seq 1 600); do
		if grep -q "\"op\":\"commit\".*\"events\":$rows[,}]" "$out" 2>/dev/null; then break; fi
		sleep 0.1
	done
	hwm=$(hwm_kb "$pid")
	kill -TERM "$pid" 2>/dev/null || true
	set +e
	wait "$pid"; mrc=$?
	set -e
	bgpids=""
}

# ---- baseline: a 1k-row transaction ---------------------------------------
sql -c "insert into big select g, repeat('p', 100), g * 1.5, '2024-01-01'::timestamptz + g * interval '1 s'
	from generate_series(1, 1000) g"
measure "${pfx}_small" 1000 "$T/small.out"
base=$hwm
is "$mrc" 0 "baseline run stops cleanly"
is "$(grep -c '"op":"insert"' "$T/small.out" || true)" 1000 "baseline: 1000 inserts"
echo "# baseline VmHWM (1k-row transaction): ${base} kB"
# the small slot has consumed its transaction; advance the others past it
for s in big bigcheck blocked; do
	sql -c "select pg_replication_slot_advance('${pfx}_$s', pg_current_wal_lsn())" >/dev/null
done

# ---- one 300k-row transaction ------------------------------------------
start=$(date +%s)
sql -c "insert into big select g, repeat('p', 100), g * 1.5, '2024-01-01'::timestamptz + g * interval '1 s'
	from generate_series(1001, 1000 + $N) g"
echo "# insert of $N rows took $(( $(date +%s) - start ))s"
size=$(sql -c "select pg_size_pretty(pg_current_wal_lsn() - confirmed_flush_lsn) from pg_replication_slots where slot_name = '${pfx}_big'")
echo "# WAL to decode: $size"

# correctness with the binary under test, to a file
start=$(date +%s)
set +e
timeout 120 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_bigcheck" --catch-up --no-loop >"$T/big.out" 2>"$T/big.err"
rc=$?
set -e
echo "# --catch-up over $N rows took $(( $(date +%s) - start ))s"
is "$rc" 0 "--catch-up over a $N-row transaction exits 0"
is "$(grep -c '"op":"insert"' "$T/big.out" || true)" "$N" "$N insert events"
is "$(grep -c '"op":"begin"' "$T/big.out" || true)" 1 "one begin"
is "$(grep -c '"op":"commit"' "$T/big.out" || true)" 1 "one commit"
check "the commit line counts $N events and comes last" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
c = json.loads(lines[-1])
assert c["op"] == "commit", c
assert c["events"] == int(sys.argv[2]), c["events"]
seqs = [json.loads(l)["seq"] for l in lines[1:-1]]
assert seqs == list(range(1, len(seqs) + 1)), "seq not 1..n"
ids = [json.loads(l)["after"]["id"] for l in lines[1:-1]]
assert ids == list(range(1001, 1001 + int(sys.argv[2]))), "ids not in order"
' "$T/big.out" "$N"

# peak RSS while streaming it to a file
measure "${pfx}_big" "$N" "$T/bigrss.out"
big=$hwm
is "$mrc" 0 "RSS run stops cleanly"
is "$(grep -c '"op":"insert"' "$T/bigrss.out" || true)" "$N" "RSS run: $N inserts"
echo "# VmHWM over the $N-row transaction, stdout a file: ${big} kB (baseline ${base} kB)"
limit=$(( base * 2 + 20480 ))
ok "$([ "$big" -gt 0 ] && [ "$big" -lt "$limit" ] && echo 0 || echo 1)" \
	"peak RSS stays flat: ${big} kB < 2 x ${base} + 20480 kB"

# peak RSS while stdout is blocked: a pipe nobody reads for 6 s.  The
# walsender's timeout is 2 s for this connection: status updates (every
# 0.5 s) must go on while stdout is blocked, or the server drops the
# connection and the reconnect repeats the transaction.
set +e
bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$T/blocked.pid" \
	"$RSS_READ" -d "dbname=$db options='-c wal_sender_timeout=2s'" -S "${pfx}_blocked" -s 0.5 \
	2>"$T/blocked.err" | { sleep 6; cat >"$T/blocked.out"; } &
set -e
pipepid=$!
bgpids="$bgpids $pipepid"
rpid=""
for _ in $(seq 1 50); do
	rpid=$(cat "$T/blocked.pid" 2>/dev/null || true)
	[ -n "$rpid" ] && break
	sleep 0.1
done
sleep 5
blocked=$( [ -n "$rpid" ] && hwm_kb "$rpid" || echo 0 )
echo "# VmHWM with stdout blocked for 5 s: ${blocked} kB"
# pgwal-read stops reading the server once 1 MB waits for the reader (the
# pipe holds the rest): a few MB above the baseline, where it once held
# 16 MB of output.
limit=$(( base + 8192 ))
ok "$([ "$blocked" -gt 0 ] && [ "$blocked" -lt "$limit" ] && echo 0 || echo 1)" \
	"peak RSS with stdout blocked stays bounded: ${blocked} kB < ${base} + 8192 kB"
for _ in $(seq 1 300); do
	grep -q "\"op\":\"commit\"" "$T/blocked.out" 2>/dev/null && break
	sleep 0.1
done
[ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null || true
set +e
wait "$pipepid"
set -e
bgpids=""
is "$(grep -c '"op":"insert"' "$T/blocked.out" || true)" "$N" "... and once the reader drains the pipe, all $N inserts arrive, once"
unlike "$(tr '\n' ' ' <"$T/blocked.err")" 'reconnect|lost the connection' "... without losing the connection (wal_sender_timeout 2 s)"

done_testing
