#!/bin/bash
# The pipeline through server faults: PostgreSQL restarted (fast and
# immediate), the Kafka broker down past message.timeout.ms, kafka-write
# stopped (SIGSTOP) past wal_sender_timeout, tables outside the publication,
# a slot dropped and created again.  Nothing is lost; what cannot go on
# stops with its own exit code.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_kafka
[ -n "${PGWAL_RIG:-}" ] || bail "this test restarts the rig's servers: run it through make check"

db=t51_$$
topic="faults.$$.$(date +%s)"
createdb "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db
sql -c "CREATE TABLE f (id int PRIMARY KEY, note text); CREATE TABLE outside (id int)"
sql -c "SELECT 1 FROM pg_create_logical_replication_slot('f_w2j', 'wal2json')" >/dev/null
"$PGWAL_READ" -S f51 --create-publication --table f --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db'\" >/dev/null 2>&1"
# whatever happens, leave the rig's servers running for the next test
at_exit "$PGWAL_TOP/scripts/pg.sh start $PGWAL_RIG >/dev/null 2>&1; [ -f $PGWAL_RIG/kafka.pid ] || $PGWAL_TOP/scripts/kafka.sh start $PGWAL_RIG >/dev/null 2>&1"

ack="$T/f.ack"; fifo="$T/pipe"; mkfifo "$fifo"
n=0
insert() {	# insert COUNT rows with fresh ids
	sql -c "INSERT INTO f SELECT g, 'r' FROM generate_series($((n + 1)), $((n + $1))) g"
	n=$((n + $1))
}
start_pipeline() {	# [kafka-write options]
	"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "$topic" --ack-file "$ack" --ack-interval 0.2 \
		-X linger.ms=5 --no-progress "$@" <"$fifo" 2>>"$T/write.err" &
	wpid=$!
	"$PGWAL_READ" -d "dbname=$db options=-cwal_sender_timeout=3s" -S f51 --ack-file "$ack" \
		--ack-interval 0.1 -s 0.5 >"$fifo" 2>>"$T/read.err" &
	rpid=$!
}
reap() {	# PID [SECONDS]: wait for it; status in $reaped, "hung" if killed
	local k=$(( ${2:-30} * 10 )) hung=""
	while [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; do
		if [ $k -eq 0 ]; then kill -KILL "$1" 2>/dev/null; hung=1; break; fi
		sleep 0.1; k=$((k - 1))
	done
	set +e; wait "$1" 2>/dev/null; reaped=$?; set -e
	[ -z "$hung" ] || reaped=hung
}
in_kafka() { timeout 60 kcat -b "$KAFKA_BROKERS" -C -t "$topic" -e -q -f '%s\n' 2>/dev/null | grep -c '"op":"insert"' || true; }
wait_count() {	# wait until Kafka holds at least N inserts
	local k=300
	while [ "$(in_kafka)" -lt "$1" ] && [ $k -gt 0 ]; do sleep 0.2; k=$((k - 1)); done
	[ "$(in_kafka)" -ge "$1" ]
}
flushed() { sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'f51'"; }

# --- PostgreSQL restarted under the pipeline --------------------------------
start_pipeline
insert 100
wait_count 100 || true
for mode in fast immediate; do
	"$PGWAL_TOP/scripts/pg.sh" restart "$PGWAL_RIG" "$mode"
	insert 100
	if wait_count "$n"; then r=0; else r=1; fi
	ok $r "PostgreSQL restarted ($mode): pgwal-read reconnected and the next rows arrived ($n rows)"
done
ok "$([ -d /proc/$rpid ] && [ -d /proc/$wpid ] && echo 0 || echo 1)" "the pipeline is still running"

# --- kafka-write stopped past wal_sender_timeout ----------------------------
kill -STOP $wpid
insert 20000		# more than the pipe holds: pgwal-read's output backs up
sleep 8			# wal_sender_timeout is 3 s on this connection
kill -CONT $wpid
if wait_count "$n"; then r=0; else r=1; fi
ok $r "kafka-write stopped for 8 s (wal_sender_timeout 3 s): all $n rows arrived after"
unlike "$(cat "$T/read.err")" 'timeout|terminating' "the replication connection did not time out"

# --- tables outside the publication only ------------------------------------
before=$(flushed)
for i in 1 2 3 4 5 6; do sql -c "INSERT INTO outside SELECT generate_series(1, 1000)"; sleep 0.4; done
after=$(flushed)
is "$(sql -c "SELECT '$after'::pg_lsn > '$before'::pg_lsn")" t "writes outside the publication: confirmed_flush_lsn advances ($before -> $after)"

# --- the broker down past message.timeout.ms --------------------------------
kill -TERM $rpid; reap $rpid; reap $wpid
acked_before=$(head -n 1 "$ack")
start_pipeline -X message.timeout.ms=3000 --flush-timeout 10
sleep 1
"$PGWAL_TOP/scripts/kafka.sh" stop "$PGWAL_RIG"
insert 50
reap $wpid 60; w=$reaped
reap $rpid 30; r=$reaped
ok "$([ "$w" != 0 ] && [ "$w" != hung ] && echo 0 || echo 1)" "broker down past message.timeout.ms: kafka-write exits non-zero ($w)"
like "$(cat "$T/write.err")" 'not delivered|delivery failed|timed out' "kafka-write says what was not delivered"
acked_after=$(head -n 1 "$ack")
is "$(sql -c "SELECT '$acked_after'::pg_lsn = '$acked_before'::pg_lsn")" t "the acknowledgement did not move past the failure ($acked_after)"
"$PGWAL_TOP/scripts/kafka.sh" start "$PGWAL_RIG" >/dev/null 2>&1
start_pipeline
if wait_count "$n"; then r=0; else r=1; fi
ok $r "the pipeline started again delivers the rows the broker missed ($n)"
kill -TERM $rpid; reap $rpid; reap $wpid
is "$reaped" 0 "kafka-write exits 0 after the clean stop"

# --- against wal2json: nothing lost ----------------------------------------
end=$(sql -c "SELECT pg_current_wal_insert_lsn()")
"$PGWAL_PGCLIENT/pg_recvlogical" -d "$db" -S f_w2j --start -E "$end" --no-loop -f "$T/w2j.ndjson" \
	-o format-version=2 -o include-lsn=1 -o include-transaction=false -o add-tables=public.f
timeout 60 kcat -b "$KAFKA_BROKERS" -C -t "$topic" -e -q -f '%s\n' >"$T/kafka.ndjson"
python3 "$PGWAL_TOP/tests/lib/e2e_compare.py" "$T/w2j.ndjson" "$T/kafka.ndjson" >"$T/figures"
. "$T/figures"
echo "# figures: changes=$expected delivered=$delivered lost=$lost duplicates=$duplicates"
is "$expected" "$n" "wal2json decoded every insert ($n)"
is "$lost" 0 "lost = 0 across restarts, a stalled writer and a broker outage"

# --- a slot dropped and created again under the pipeline's feet -------------
sql -c "SELECT pg_drop_replication_slot('f51')" >/dev/null
insert 10
"$PGWAL_READ" -S f51 --create-slot -q
set +e
err=$(timeout 30 "$PGWAL_READ" -S f51 --ack-file "$ack" --no-loop --catch-up 2>&1 >/dev/null); rc=$?
set -e
is "$rc" 5 "a slot created again past the acknowledgement: exit 5, never a silent start-over"
like "$err" 'ahead of' "the message says the slot is ahead of what was acknowledged"
done_testing
