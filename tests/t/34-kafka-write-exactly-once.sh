#!/bin/bash
# kafka-write --transactional-id on the real broker: events produced in
# Kafka transactions with the position in the position topic; a run that
# re-reads old input (all of it, or from the middle of a transaction)
# writes nothing twice; a second writer fences the first.  The brokers'
# refusal of transactions on librdkafka's mock cluster.  kcat, reading
# committed data only, is the judge.
. "$(dirname "$0")/../lib/setup.sh"
need_kafka
set +e	# every command's status is asserted below

run=$$.$(date +%s)
pos="pos.$run"
kc() {	# kc TOPIC: the values in TOPIC, read committed
	timeout 60 kcat -b "$KAFKA_BROKERS" -C -t "$1" -e -q -X isolation.level=read_committed -f '%s\n'
}
# txn C N [snapshot]: a transaction of N inserts committing at 0/C00 (end 0/C10)
txn() {
	local c=$1 n=$2 k
	printf '{"op":"begin","lsn":"0/%d00","xid":%d,"ts":"x","commit_lsn":"0/%d00"}\n' "$c" "$c" "$c"
	for k in $(seq 1 "$n"); do
		printf '{"op":"insert","lsn":"0/%d%02d","xid":%d,"ts":"x","commit_lsn":"0/%d00","seq":%d,"schema":"public","table":"t","key":{"id":%d},"before":null,"after":{"id":%d,"c":%d},"unchanged":[]}\n' \
			"$c" "$k" "$c" "$c" "$k" "$((c * 100 + k))" "$((c * 100 + k))" "$c"
	done
	printf '{"op":"commit","lsn":"0/%d00","end_lsn":"0/%d10","xid":%d,"ts":"x","events":%d}\n' "$c" "$c" "$c" "$n"
}
# a snapshot at 0/100 of 4 rows, then a transaction committing at the same
# LSN (it comes after the snapshot), then three more
{
	printf '{"op":"begin","lsn":"0/100","xid":null,"ts":null,"commit_lsn":"0/100","snapshot":true}\n'
	for k in 1 2 3 4; do
		printf '{"op":"read","lsn":"0/100","xid":null,"ts":null,"commit_lsn":"0/100","seq":%d,"schema":"public","table":"t","key":{"id":%d},"before":null,"after":{"id":%d},"unchanged":[]}\n' "$k" "$k" "$k"
	done
	printf '{"op":"commit","lsn":"0/100","end_lsn":"0/100","xid":null,"ts":null,"events":4,"snapshot":true}\n'
	txn 1 3
	txn 2 5
	txn 3 1
	txn 4 4
} >"$T/in"
events=$(grep -vc '"op":"\(begin\|commit\)"' "$T/in")	# 17
lines=$(wc -l <"$T/in")

# 1. one run: everything once, acknowledged to the last commit, position kept
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t1.$run" --transactional-id "a.$run" --position-topic "$pos" \
	--ack-file "$T/ack1" -v "$T/in" 2>"$T/err1"
is "$?" 0 "exactly once: exit 0"
is "$(kc "t1.$run" | wc -l)" "$events" "every event in Kafka ($events)"
is "$(head -n 1 "$T/ack1")" 0/410 "acknowledged to the last commit's end_lsn"
rec=$(timeout 60 kcat -b "$KAFKA_BROKERS" -C -t "$pos" -e -q -f '%k %s\n' | grep "^a.$run " | tail -n 1)
is "$rec" "a.$run {\"transactional_id\":\"a.$run\",\"commit_lsn\":\"0/400\",\"seq\":5,\"snapshot\":false,\"end_lsn\":\"0/410\"}" \
	"the position record: the last commit line, complete up to its end_lsn"
like "$(timeout 30 kcat -b "$KAFKA_BROKERS" -L -t "$pos" 2>&1)" 'partitions: 1|1 partitions' "the position topic was created with one partition"

# 2. the same input again: nothing twice, acknowledgement points still count
rm -f "$T/ack1"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t1.$run" --transactional-id "a.$run" --position-topic "$pos" \
	--ack-file "$T/ack1" -v "$T/in" 2>"$T/err2"
is "$?" 0 "a rerun over the same input: exit 0"
is "$(kc "t1.$run" | wc -l)" "$events" "a rerun writes nothing twice"
is "$(head -n 1 "$T/ack1")" 0/410 "a rerun acknowledges what Kafka already holds"
like "$(cat "$T/err2")" "$lines events dropped as already in Kafka" "the rerun says what it dropped"

# 3. a Kafka transaction per message; killed, then resumed from an older point
#    with the input cut in the middle of a PostgreSQL transaction
head -n 14 "$T/in" >"$T/part"	# the snapshot, txn 1, and 2 of txn 2's 5 inserts
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t3.$run" --transactional-id "b.$run" --position-topic "$pos" \
	--commit-max 1 --ack-file "$T/ack3" "$T/part" 2>"$T/err3"
is "$?" 0 "a cut input: exit 0"
is "$(head -n 1 "$T/ack3")" 0/110 "a cut input: acknowledged to the last complete transaction"
is "$(kc "t3.$run" | wc -l)" 9 "a cut input: the events read are in Kafka"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t3.$run" --transactional-id "b.$run" --position-topic "$pos" \
	--commit-max 1 --ack-file "$T/ack3" -v "$T/in" 2>"$T/err3b"
is "$?" 0 "resumed from the start of the input: exit 0"
kc "t3.$run" >"$T/got3"
is "$(wc -l <"$T/got3")" "$events" "resumed: every event once"
is "$(sort "$T/got3" | uniq -d | wc -l)" 0 "resumed: no duplicates"
is "$(grep -v '"op":"\(begin\|commit\)"' "$T/in" | diff - "$T/got3" && echo same)" same \
	"resumed: Kafka holds the input's events in order"
is "$(head -n 1 "$T/ack3")" 0/410 "resumed: acknowledged to the end"

# 4. control lines produced too (--tx-topic), each once
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t4.$run" --tx-topic "tx4.$run" --transactional-id "c.$run" \
	--position-topic "$pos" "$T/part" 2>"$T/err4"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t4.$run" --tx-topic "tx4.$run" --transactional-id "c.$run" \
	--position-topic "$pos" "$T/in" 2>>"$T/err4"
is "$(kc "tx4.$run" | wc -l)" "$((lines - events))" "begin and commit lines once each"
is "$(kc "t4.$run" | wc -l)" "$events" "events once each"

# 5. fencing: a second writer with the same id; the first exits 23
rm -f "$T/kw.in"; mkfifo "$T/kw.in"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t5.$run" --transactional-id "d.$run" --position-topic "$pos" \
	--ack-file "$T/ack5" --ack-interval 0 <"$T/kw.in" 2>"$T/err5" &
kwpid=$!
at_exit "kill $kwpid 2>/dev/null"
exec 8>"$T/kw.in"
txn 1 2 >&8
for _ in $(seq 1 300); do [ "$(head -n 1 "$T/ack5" 2>/dev/null)" = 0/110 ] && break; sleep 0.1; done
is "$(head -n 1 "$T/ack5" 2>/dev/null)" 0/110 "the first writer acknowledges its first transaction"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t5.$run" --transactional-id "d.$run" --position-topic "$pos" </dev/null 2>"$T/err5b"
is "$?" 0 "the second writer starts (and ends with its empty input)"
txn 2 2 >&8
exec 8>&-
wait $kwpid; rc=$?
is "$rc" 23 "the fenced writer exits 23"
like "$(cat "$T/err5")" 'fenced: another kafka-write with transactional id' "and says why"
is "$(head -n 1 "$T/ack5")" 0/110 "and acknowledges nothing more"
is "$(kc "t5.$run" | wc -l)" 2 "nothing of the fenced transaction is visible"

# 6. bad positions are bad lines
printf '{"op":"insert","commit_lsn":"0/zz","seq":1,"key":{"id":1}}\n' >"$T/bad"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "t6.$run" --transactional-id "e.$run" --position-topic "$pos" "$T/bad" 2>"$T/err6"
is "$?" 20 "an unreadable commit_lsn: exit 20"
like "$(cat "$T/err6")" 'line 1, byte 1: "commit_lsn" is not an LSN' "named with its line"

# 7. usage errors
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t x --transactional-id f --commit-max 0 </dev/null 2>"$T/err7"
is "$?" 2 "--commit-max 0: usage error"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t x --transactional-id f --position-topic 'a b' </dev/null 2>"$T/err7"
is "$?" 2 "a bad --position-topic: usage error"
"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t x --transactional-id f --position-topic x </dev/null 2>"$T/err7"
is "$?" 2 "the position topic as -t: usage error"

# 8. brokers that refuse transactions (mock cluster: InitProducerId denied)
. "$(dirname "$0")/../lib/kw_mock.sh"
start_mock
mock errors 22 100 53	# TRANSACTIONAL_ID_AUTHORIZATION_FAILED
txn 1 1 | timeout 60 "$KAFKA_WRITE" -b "$MB" -t m --transactional-id g 2>"$T/err8"
is "$?" 24 "transactions refused: exit 24"
like "$(cat "$T/err8")" 'hint: the brokers must allow transactions' "with a hint"
stop_mock

# 9. the position topic's leader moving at start-up (a rolling restart):
# waited for, not a failure.  Mock cluster: the first three ListOffsets
# requests answer NOT_LEADER_FOR_PARTITION.  (The mock does not answer
# CreateTopics: this start waits its 30 s for that first.)
start_mock
mock errors 2 3 6	# ListOffsets: NOT_LEADER_FOR_PARTITION
txn 1 1 | timeout 90 "$KAFKA_WRITE" -b "$MB" -t m --transactional-id h --position-topic pos9 -v 2>"$T/err9"
is "$?" 0 "a position topic whose leader moves at start-up is waited for: exit 0"
like "$(cat "$T/err9")" 'position topic "pos9" \[0\]: Broker: Not leader for partition; trying again' \
	"... saying so"
like "$(cat "$T/err9")" 'exactly once: 1 Kafka transactions committed' "... and the line is produced"
stop_mock

done_testing
