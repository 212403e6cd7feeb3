#!/bin/bash
# kafka-write fault injection with librdkafka's mock cluster (run by the
# kw_mock helper in its own process, commands through a FIFO): retried
# produce errors, brokers down past message.timeout.ms, a fatal idempotence
# error, a flush that times out.  Needs no server.
. "$(dirname "$0")/../lib/setup.sh"
set +e	# every command's status is asserted below

. "$(dirname "$0")/../lib/kw_mock.sh"
at_exit 'exec 8>&-; kill ${kwpid:-} 2>/dev/null'

# txn N: a transaction of 3 keyed events whose commit has end_lsn 0/N00
txn() {
	for k in 1 2 3; do printf '{"op":"insert","lsn":"0/%d0%d","key":{"id":%d},"n":%d}\n' "$1" "$k" "$k" "$1"; done
	printf '{"op":"commit","lsn":"0/%d0F","end_lsn":"0/%d00"}\n' "$1" "$1"
}

# start_kw ARGS...: kafka-write reading a FIFO (fd 8) in the background
start_kw() {
	rm -f "$T/kw.in"
	mkfifo "$T/kw.in"
	timeout 120 "$KAFKA_WRITE" -b "$MB" -t faults --ack-interval 0.1 "$@" <"$T/kw.in" 2>"$T/kw.err" &
	kwpid=$!
	exec 8>"$T/kw.in"
}
# wait_ack FILE LSN: until FILE holds LSN (10 s at most)
wait_ack() {
	for _ in $(seq 1 200); do [ "$(head -n 1 "$1" 2>/dev/null)" = "$2" ] && return 0; sleep 0.05; done
	return 1
}

start_mock 3
[ -n "$MB" ] || bail "kw_mock did not start: $(cat "$T/mock.err")"
mock topic faults 4

# 1. retriable produce errors: retried, all delivered once, acknowledged
mock errors 0 6 6 6 7 6 7 6
{ txn 1; txn 2; txn 3; } >"$T/in1"
start=$(date +%s)
timeout 60 "$KAFKA_WRITE" -b "$MB" -t retried --ack-file "$T/ack1" "$T/in1" 2>"$T/err1"
is "$?" 0 "retriable produce errors: exit 0"
is "$(head -n 1 "$T/ack1")" "0/300" "retriable produce errors: acknowledged to the last commit"
is "$(timeout 30 kcat -b "$MB" -C -t retried -e -q -f '%s\n' | sort | uniq | wc -l)" 9 "retriable produce errors: 9 distinct messages"
is "$(timeout 30 kcat -b "$MB" -C -t retried -e -q -f '%s\n' | wc -l)" 9 "retriable produce errors: no duplicates (idempotence)"

# 2. brokers down past message.timeout.ms, in the middle of the stream
start_kw --ack-file "$T/ack2" -X message.timeout.ms=2000 --flush-timeout 20
txn 1 >&8
wait_ack "$T/ack2" 0/100
ok $? "brokers down: first transaction acknowledged while up"
mock down 1; mock down 2; mock down 3
txn 2 >&8
exec 8>&-
start=$(date +%s)
wait "$kwpid"; rc=$?; kwpid=
is "$rc" 21 "brokers down past message.timeout.ms: exit 21"
ok $(( $(date +%s) - start > 30 )) "brokers down: gave up within bounds"
like "$(cat "$T/kw.err")" '3 messages not delivered: .*timed out' "brokers down: count and reason printed"
is "$(head -n 1 "$T/ack2")" "0/100" "brokers down: ack file not past the failure"
mock up 1; mock up 2; mock up 3

# 3. a fatal idempotence error (out-of-order sequence) mid-stream
start_kw --ack-file "$T/ack3"
txn 1 >&8
wait_ack "$T/ack3" 0/100
ok $? "fatal: first transaction acknowledged"
mock errors 0 1 45
txn 2 >&8
txn 3 >&8
exec 8>&-
wait "$kwpid"; rc=$?; kwpid=
is "$rc" 22 "fatal producer error: exit 22"
like "$(cat "$T/kw.err")" 'fatal producer error: OUT_OF_ORDER_SEQUENCE_NUMBER' "fatal: error named"
is "$(head -n 1 "$T/ack3")" "0/100" "fatal: ack file unchanged past it"

# 4. nothing can be delivered, --flush-timeout bounds the wait
mock down 1; mock down 2; mock down 3
start=$(date +%s)
txn 1 | timeout 60 "$KAFKA_WRITE" -b "$MB" -t faults --ack-file "$T/ack4" --flush-timeout 1 2>"$T/err4"
is "$?" 21 "flush timeout: exit 21"
ok $(( $(date +%s) - start > 15 )) "flush timeout: bounded"
like "$(cat "$T/err4")" 'flush timed out after 1s with 3 messages in flight' "flush timeout: message"
ok $([ ! -e "$T/ack4" ]; echo $?) "flush timeout: no ack file written"

# 5. SIGTERM while brokers are down: stops, reports, exits non-zero
start_kw --ack-file "$T/ack5" --flush-timeout 1
txn 1 >&8
sleep 1
kill -TERM "$kwpid"
start=$(date +%s)
wait "$kwpid"; rc=$?; kwpid=
exec 8>&-
is "$rc" 21 "SIGTERM with undelivered messages: exit 21"
ok $(( $(date +%s) - start > 15 )) "SIGTERM: stops within bounds"

# 5b. a second SIGTERM cuts a long flush short
start_kw --ack-file "$T/ack5b" --flush-timeout 60
txn 1 >&8
sleep 1
child=$(pgrep -P "$kwpid")		# kafka-write itself, not timeout(1) which forwards only once
kill -TERM "$child"
sleep 1
kill -TERM "$child"
start=$(date +%s)
wait "$kwpid"; rc=$?; kwpid=
exec 8>&-
is "$rc" 21 "second SIGTERM: exit 21"
ok $(( $(date +%s) - start > 10 )) "second SIGTERM: does not wait for --flush-timeout"
like "$(cat "$T/kw.err")" 'not delivered: flush cut short by a signal' "second SIGTERM: reason"
mock up 1; mock up 2; mock up 3

# 6. a permanent (not retriable) produce error on one request
mock errors 0 1 29
{ txn 1; txn 2; txn 3; } | timeout 60 "$KAFKA_WRITE" -b "$MB" -t perm --ack-file "$T/ack6p" 2>"$T/err6p"
is "$?" 21 "permanent produce error: exit 21"
like "$(cat "$T/err6p")" 'messages? not delivered: Broker: Topic authorization failed' "permanent produce error: reason"
a=$(head -n 1 "$T/ack6p" 2>/dev/null)
ok $([ "$a" != 0/300 ]; echo $?) "permanent produce error: not acknowledged to the end (ack: ${a:-none})"

# 7. a tiny producer queue: full all the time, polled and retried, nothing dropped
for i in $(seq 1 50); do txn "$i"; done >"$T/in7"
timeout 60 "$KAFKA_WRITE" -b "$MB" -t tinyq -X queue.buffering.max.messages=5 -X linger.ms=1 \
	--ack-file "$T/ack7q" "$T/in7" 2>"$T/err7q"
is "$?" 0 "queue full: exit 0"
is "$(head -n 1 "$T/ack7q")" "0/5000" "queue full: acknowledged to the last commit"
is "$(timeout 30 kcat -b "$MB" -C -t tinyq -e -q -f '%s\n' | sort -u | wc -l)" 150 "queue full: all 150 events delivered"

stop_mock

# 8. librdkafka's in-process mock cluster through -X alone (no -b needed);
#    several input files; --progress on a non-terminal stderr
{ txn 1; txn 2; } >"$T/f1"
txn 3 >"$T/f2"
timeout 60 "$KAFKA_WRITE" -X test.mock.num.brokers=1 -t inproc --ack-file "$T/ack6" --progress \
	"$T/f1" "$T/f2" 2>"$T/err6"
is "$?" 0 "-X test.mock.num.brokers: exit 0 without -b"
is "$(head -n 1 "$T/ack6")" "0/300" "several files: acknowledged to the last file's commit"
like "$(cat "$T/err6")" 'kafka-write: 12 read, 9 delivered, 0 in flight, [0-9]+ msg/s, acked 0/300' "--progress: final progress line"
printf '# kcat-style properties\n\n  test.mock.num.brokers = 1  \nlinger.ms=1\n' >"$T/props"
txn 1 | timeout 60 "$KAFKA_WRITE" -F "$T/props" -t inproc --ack-file "$T/ack6f" 2>"$T/err6f"
is "$?" 0 "-F properties file (comments, blanks, spaces) sets up the producer without -b"
is "$(head -n 1 "$T/ack6f")" "0/100" "-F run acknowledged"
printf '{"a":1}\n' >"$T/g1"
printf '{"a":1}\n{"a":\n' >"$T/g2"
timeout 60 "$KAFKA_WRITE" -X test.mock.num.brokers=1 -t inproc "$T/g1" "$T/g2" 2>"$T/err7"
is "$?" 20 "bad line in the second file: exit 20"
like "$(cat "$T/err7")" "g2: line 2, byte 6: " "line numbers count per file, the file is named"
timeout 60 "$KAFKA_WRITE" -X test.mock.num.brokers=1 -t inproc "$T/nonexistent" 2>"$T/err8"
is "$?" 1 "missing input file: exit 1"
like "$(cat "$T/err8")" 'could not open file ".*nonexistent": No such file' "missing input file: message"

done_testing
