#!/bin/bash
# --ack-file: only what the consumer acknowledged is confirmed; idle slots
# still advance; a slot ahead of the acknowledgement stops pgwal-read.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db=t15_$$
createdb "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db
sql -c "CREATE TABLE pub_t (id int PRIMARY KEY); CREATE TABLE other_t (id int)"
"$PGWAL_READ" -S t15 --create-publication --table pub_t --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot('t15')\" >/dev/null 2>&1"
flushed() { sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name='t15'"; }
lsn_le() { [ "$(sql -c "SELECT '$1'::pg_lsn <= '$2'::pg_lsn")" = t ]; }
wait_for() {	# wait_for SECONDS CMD...: poll until CMD succeeds
	local n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
start=$(flushed)

sql -c "INSERT INTO pub_t VALUES (1)" -c "INSERT INTO pub_t VALUES (2)"
"$PGWAL_READ" -S t15 -s 0.2 --ack-file "$T/ack" >"$T/out" 2>"$T/err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_for 10 grep -q '"events":1' "$T/out" && wait_for 10 [ "$(grep -c '"op":"commit"' "$T/out")" -ge 2 ] || true
sleep 1
is "$(flushed)" "$start" "nothing acknowledged: confirmed_flush_lsn does not move"

# the consumer acknowledges the first transaction only
first_end=$(grep '"op":"commit"' "$T/out" | head -n 1 | sed 's/.*"end_lsn":"\([^"]*\)".*/\1/')
printf '%s\n' "$first_end" >"$T/ack.tmp" && mv "$T/ack.tmp" "$T/ack"
wait_for 10 [ "$(flushed)" = "$first_end" ] || true
is "$(flushed)" "$first_end" "the acknowledged end_lsn of the first transaction is confirmed, no more"

# everything acknowledged, then only tables outside the publication change
second_end=$(grep '"op":"commit"' "$T/out" | sed -n 2p | sed 's/.*"end_lsn":"\([^"]*\)".*/\1/')
printf '%s\n' "$second_end" >"$T/ack.tmp" && mv "$T/ack.tmp" "$T/ack"
for i in 1 2 3 4 5; do sql -c "INSERT INTO other_t SELECT generate_series(1, 100)"; sleep 0.3; done
advanced() { ! lsn_le "$(flushed)" "$second_end"; }
if wait_for 15 advanced; then r=0; else r=1; fi
ok $r "idle publication: confirmed_flush_lsn advances past the last acknowledgement ($second_end -> $(flushed))"
ok "$([ -f "$T/ack.confirmed" ] && echo 0 || echo 1)" "the position confirmed beyond the acknowledgement is recorded in ack.confirmed"
is "$(stat -c %a "$T/ack.confirmed" 2>/dev/null)" 600 "ack.confirmed is mode 0600"
# a message outside any transaction is a position of its own: not confirmed
# until acknowledged, however idle the slot is (pgoutput sends messages from
# PostgreSQL 14 on)
if [ "$(pg_major)" -lt 14 ]; then
	skip "a non-transactional message: pgoutput sends messages from PostgreSQL 14 on"
else
msg_lsn=$(sql -c "SELECT pg_logical_emit_message(false, 'p', 'not yet delivered')")
wait_for 10 grep -q '"prefix":"p"' "$T/out" || true
like "$(grep '"prefix":"p"' "$T/out")" "\"end_lsn\":\"$msg_lsn\"" "a non-transactional message carries its LSN as end_lsn"
for i in 1 2 3 4 5; do sql -c "INSERT INTO other_t SELECT generate_series(1, 100)"; sleep 0.3; done
ok "$(lsn_le "$(flushed)" "$msg_lsn" && [ "$(flushed)" != "$msg_lsn" ] && echo 0 || echo 1)" \
	"an unacknowledged message holds the slot before it, idle or not ($(flushed) < $msg_lsn)"
printf '%s\n' "$msg_lsn" >"$T/ack.tmp" && mv "$T/ack.tmp" "$T/ack"
past_msg() { lsn_le "$msg_lsn" "$(flushed)"; }
if wait_for 15 past_msg; then r=0; else r=1; fi
ok $r "acknowledged, the message is confirmed ($(flushed) >= $msg_lsn)"
fi

kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
is "$rc" 0 "SIGTERM: exit 0"

# a snapshot written before streaming: nothing is confirmed past its
# consistent point, idle or not, until the snapshot is acknowledged
"$PGWAL_READ" -S t15s --create-slot --snapshot --start --ack-file "$T/snap.ack" -s 0.2 \
	>"$T/snap.out" 2>"$T/snap.err" &
spid=$!
at_exit "kill $spid 2>/dev/null; psql -Xqd $db -c \"SELECT pg_drop_replication_slot('t15s')\" >/dev/null 2>&1"
wait_for 10 [ -s "$T/snap.ack.snapshot" ] || true
for i in 1 2 3 4 5; do sql -c "INSERT INTO other_t SELECT generate_series(1, 100)"; sleep 0.3; done
cp=$(head -n 1 "$T/snap.ack.snapshot")
is "$(sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 't15s'")" "$cp" \
	"an unacknowledged snapshot holds the slot at its consistent point ($cp), idle or not"
kill -TERM $spid
set +e; wait $spid; set -e

# a restart after the slot was advanced by hand past the acknowledgement
sql -c "INSERT INTO pub_t VALUES (3)"
target=$(sql -c "SELECT pg_current_wal_lsn()")
sql -c "SELECT pg_replication_slot_advance('t15', '$target')" >/dev/null
set +e
err=$("$PGWAL_READ" -S t15 --ack-file "$T/ack" --no-loop --catch-up 2>&1 >"$T/out2"); rc=$?
set -e
is "$rc" 5 "slot advanced past the acknowledgement: exit 5"
like "$err" 'ahead of .* acknowledged' "the message says the slot is ahead of the acknowledgement"
is "$(wc -c <"$T/out2")" 0 "nothing streamed"
set +e
timeout 30 "$PGWAL_READ" -S t15 --ack-file "$T/ack" --no-loop --catch-up --allow-slot-ahead >"$T/out3" 2>&1; rc=$?
set -e
is "$rc" 0 "--allow-slot-ahead goes on"

# a checkpoint file of another slot is refused
printf '0/0\nslot someone_else\n' >"$T/other.ckpt"
set +e
err=$("$PGWAL_READ" -S t15 --checkpoint "$T/other.ckpt" --no-loop --catch-up 2>&1 >/dev/null); rc=$?
set -e
is "$rc" 14 "a checkpoint file of another slot: exit 14"
like "$err" 'belongs to slot "someone_else"' "the message names the other slot"
printf 'garbage\n' >"$T/bad.ckpt"
set +e
err=$("$PGWAL_READ" -S t15 --checkpoint "$T/bad.ckpt" --no-loop --catch-up 2>&1 >/dev/null); rc=$?
set -e
is "$rc" 5 "a malformed checkpoint file: exit 5"
like "$err" 'bad.ckpt" line 1: not an LSN' "the message names the file and the line"
unlike "$err" 'garbage' "... never the content (the file may be a link to a secret)"

done_testing
