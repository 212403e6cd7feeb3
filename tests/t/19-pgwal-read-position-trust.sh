#!/bin/bash
# Position files are trusted only as far as pgwal-read can check them: a
# file past the server's WAL or of another slot or system is refused (exit
# 14), an acknowledgement never confirms what this run did not emit, files
# are read and written without following planted links, paths are checked
# before the first event, a --checkpoint output file never keeps half a
# line, and a vanished reader is noticed while the tables are idle.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db=t19_$$
createdb "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db
sql -c "CREATE TABLE t (id int PRIMARY KEY, v text)"
"$PGWAL_READ" -S t19 --create-publication --table t --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot('t19')\" >/dev/null 2>&1"
# one slot per case, so that each case shows on its own (on old code too)
for s in t19b t19c t19d t19e t19f; do
	"$PGWAL_READ" -S $s --publication t19 --create-slot -q
	at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot('$s')\" >/dev/null 2>&1"
done
flushed() { sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name='${1:-t19}'"; }
lsn_le() { [ "$(sql -c "SELECT '$1'::pg_lsn <= '$2'::pg_lsn")" = t ]; }
wait_for() {	# wait_for SECONDS CMD...: poll until CMD succeeds
	local n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
run() {	# run NAME ARGS...: pgwal-read with stdout and stderr in $T/NAME.*, status in $rc
	local name=$1; shift
	set +e; timeout 60 "$PGWAL_READ" "$@" >"$T/$name.out" 2>"$T/$name.err"; rc=$?; set -e
}
sysid=$(sql -c "SELECT system_identifier FROM pg_control_system()")

sql -c "INSERT INTO t VALUES (1, 'pending')"
start=$(flushed)

# case 1: an LSN past the server's WAL, in an ack file or a checkpoint file
echo 1/0 >"$T/far.ack"
run far -S t19 --ack-file "$T/far.ack" --catch-up
is "$rc" 14 "an ack file past the server's WAL: exit 14"
like "$(cat "$T/far.err")" "far.ack.*t19.*1/0.*past the server's WAL" "the message names the file, the slot and the LSNs"
is "$(flushed)" "$start" "... and the slot did not move"
printf '2/0\nslot t19\n' >"$T/far.ckpt"
run farck -S t19 --checkpoint "$T/far.ckpt" --catch-up
is "$rc" 14 "a checkpoint file past the server's WAL: exit 14"
is "$(flushed)" "$start" "... and the slot did not move"
is "$(wc -c <"$T/farck.out")" 0 "... and nothing was emitted"

# case 1: another slot's file, another system's file
printf '%s\nslot t19\n' "$start" >"$T/t19.ack"
run other -S t19b --ack-file "$T/t19.ack" --catch-up
is "$rc" 14 "another slot's ack file: exit 14"
like "$(cat "$T/other.err")" 'belongs to slot "t19", not "t19b"' "... named in the message"
printf '%s\nslot t19\nsystem %s\n' "$start" "$((sysid + 1))" >"$T/sys.ack"
run sys -S t19 --ack-file "$T/sys.ack" --catch-up
is "$rc" 14 "another database system's ack file: exit 14"
is "$(flushed)" "$start" "... and the slot did not move"

# case 1: a file ahead of the slot but within the WAL (a previous run emitted
# it, the server never heard): resume from the slot, emit again, then confirm
now=$(sql -c "SELECT pg_current_wal_lsn()")
printf '%s\nslot t19\n' "$now" >"$T/ahead.ack"
run ahead -S t19 -v --ack-file "$T/ahead.ack" --catch-up
is "$rc" 0 "an ack file ahead of the slot, within the WAL: exit 0"
like "$(cat "$T/ahead.out")" '"pending"' "... the changes after the slot's position are emitted again"
end1=$(grep '"op":"commit"' "$T/ahead.out" | tail -n 1 | sed 's/.*"end_lsn":"\([^"]*\)".*/\1/')
ok "$(lsn_le "$end1" "$(flushed)" && echo 0 || echo 1)" "... and confirmed once emitted again ($end1 <= $(flushed), file $now)"
sed 's/^/#   /' "$T/ahead.err"

# case 1: an ack file rewritten during the run to an LSN never emitted
"$PGWAL_READ" -S t19 -s 0.2 --ack-interval 0.2 --ack-file "$T/live.ack" >"$T/live.out" 2>"$T/live.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
sql -c "INSERT INTO t VALUES (2, 'a')"
wait_for 10 grep -q '"op":"commit"' "$T/live.out" || true
emitted=$(grep '"op":"commit"' "$T/live.out" | tail -n 1 | sed 's/.*"end_lsn":"\([^"]*\)".*/\1/')
printf '3/0\nslot t19\n' >"$T/live.tmp" && mv "$T/live.tmp" "$T/live.ack"
sleep 2
after=$(flushed)
ok "$(lsn_le "$after" "$(sql -c 'SELECT pg_current_wal_lsn()')" && echo 0 || echo 1)" \
	"an ack file rewritten to 3/0 is not confirmed: the slot stays within the server's WAL ($after)"
like "$(cat "$T/live.err")" 'live.ack.*3/0.*ahead' "... and pgwal-read says loudly that the file is ahead"
kill -TERM $pid
set +e; wait $pid; set -e
printf '%s\nslot t19\n' "$emitted" >"$T/live.ack"

# case 3: a planted link is neither read nor written through
echo 'root:SECRET-SHADOW-LINE:19000:0:99999:7:::' >"$T/secret"
ln -s "$T/secret" "$T/link.ack"
run link -S t19 --ack-file "$T/link.ack" --catch-up
is "$rc" 5 "an ack file that is a symbolic link is refused: exit 5"
unlike "$(cat "$T/link.err")" 'SECRET' "... and its contents are never printed"
printf 'SECRET-GARBAGE\n' >"$T/bad.ack"
run bad -S t19 --ack-file "$T/bad.ack" --catch-up
is "$rc" 5 "an ack file that is not an LSN: exit 5"
like "$(cat "$T/bad.err")" 'line 1' "... the message says which line"
unlike "$(cat "$T/bad.err")" 'SECRET' "... and never quotes it"
echo keep >"$T/victim"
# links for the next 300 pids, planted by one process (each ln would use a pid)
python3 -c 'import os, sys; p = os.getpid()
for i in range(p, p + 300): os.symlink(sys.argv[1], "%s.tmp.%d" % (sys.argv[2], i))' "$T/victim" "$T/plant.ckpt"
sql -c "INSERT INTO t VALUES (3, 'b')"
run plant -S t19c --checkpoint "$T/plant.ckpt" --catch-up
is "$rc" 0 "--checkpoint beside planted links for coming pids: exit 0"
is "$(cat "$T/victim")" keep "... and no link was followed"
is "$(stat -c %a "$T/plant.ckpt")" 600 "... the checkpoint file is mode 0600"
rm -f "$T"/plant.ckpt.tmp.*

# case 7: an unwritable checkpoint or ack path is found before any event
sql -c "INSERT INTO t VALUES (4, 'c')"
before=$(flushed t19d)
run nodir -S t19d --checkpoint "$T/missing/c.ckpt" --catch-up
is "$rc" 5 "--checkpoint in a missing directory: exit 5"
is "$(wc -c <"$T/nodir.out")" 0 "... before the first event is written"
run noack -S t19d --ack-file "$T/missing/x.ack" --catch-up
is "$rc" 5 "--ack-file in a missing directory (FILE.confirmed cannot be written): exit 5"
is "$(wc -c <"$T/noack.out")" 0 "... before the first event is written"
is "$(flushed t19d)" "$before" "... and the slot did not move"
set +e; printf '' | "$KAFKA_WRITE" -b 127.0.0.1:1 -t x --ack-file "$T/missing/k.ack" 2>"$T/kw.err"; krc=$?; set -e
is "$krc" 5 "kafka-write --ack-file in a missing directory with no commit lines: exit 5"

# case 6: a write that fails half-way (file size limit, like a full disk)
# leaves no fragment, and a fragment left earlier is cut at the next start
sql -c "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(100, 400) g"
: >"$T/six.out"
set +e
(trap '' XFSZ; ulimit -f 8; exec timeout 60 "$PGWAL_READ" -S t19e --checkpoint "$T/six.ckpt" --catch-up) \
	>>"$T/six.out" 2>"$T/six.err"
rc=$?
set -e
is "$rc" 4 "output file hits its size limit: exit 4"
ok "$([ ! -s "$T/six.out" ] || [ "$(tail -c 1 "$T/six.out" | od -An -c | tr -d ' ')" = '\n' ] && echo 0 || echo 1)" \
	"... the file ends with a whole line ($(wc -c <"$T/six.out") bytes)"
ok "$(jq . "$T/six.out" >/dev/null 2>&1 && echo 0 || echo 1)" "... and every line parses"
printf '{"op":"ins' >>"$T/six.out"
set +e; timeout 60 "$PGWAL_READ" -S t19e --checkpoint "$T/six.ckpt" --catch-up >>"$T/six.out" 2>"$T/six3.err"; rc=$?; set -e
is "$rc" 0 "a run appending to a file with half a line at its end: exit 0"
like "$(cat "$T/six3.err")" 'incomplete last line' "... says it removed the fragment"
ok "$(jq -e . "$T/six.out" >/dev/null 2>&1 && echo 0 || echo 1)" "... and every line of the file parses"
is "$(jq -r 'select(.op=="insert" and .after.id >= 100) | .after.id' "$T/six.out" | sort -n | uniq | wc -l)" 301 \
	"... with every row of the failed run present"

# case 8: the reader goes away while the tables are idle
timeout 60 "$PGWAL_READ" -S t19f --catch-up >/dev/null 2>&1	# idle from here on
before=$(flushed t19f)
mkfifo "$T/fifo"
(exec 3<"$T/fifo"; sleep 1) &
rpid=$!
"$PGWAL_READ" -S t19f -s 0.2 --ack-file "$T/eight.ack" >"$T/fifo" 2>"$T/eight.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait $rpid
t0=$(date +%s%N)
gone_at=$(sql -c "SELECT pg_current_wal_lsn()")
if wait_for 4 eval "! kill -0 $pid 2>/dev/null"; then r=0; else r=1; fi
echo "# figures: the reader's exit noticed in $((($(date +%s%N) - t0) / 1000000)) ms"
ok $r "the reader went away with idle tables: pgwal-read ends within seconds"
kill $pid 2>/dev/null || true
set +e; wait $pid; rc=$?; set -e
is "$rc" 4 "... with exit 4"
sed 's/^/#   /' "$T/eight.err"
# with nothing emitted, the server's own keepalive position may be confirmed
# (idle slots do not pin WAL), but nothing after the reader left
ok "$(lsn_le "$(flushed t19f)" "$gone_at" && echo 0 || echo 1)" \
	"... confirming nothing more ($before -> $(flushed t19f), WAL at $gone_at when the reader left)"

done_testing
