#!/bin/bash
# kafka-write against the rig's real Kafka broker: routing, keys, values,
# partition placement, headers, tombstones, control lines, the ack file.
# Read back with kcat.
. "$(dirname "$0")/../lib/setup.sh"
need_kafka
set +e	# every command's status is asserted below

B=$KAFKA_BROKERS
ADMIN="$PGWAL_BIN/tests/kw_admin"
P="kw30.$$.$(date +%s)"				# a topic prefix of our own

kw() { timeout 60 "$KAFKA_WRITE" -b "$B" "$@"; }
# consume TOPIC [FORMAT]: everything in TOPIC, NULL values shown as NULL
consume() { timeout 60 kcat -b "$B" -C -t "$1" -e -q -Z -f "${2:-%s\n}"; }

# ---- a small pgwal-read stream over three tables -------------------------
cat >"$T/tx.ndjson" <<'EOF'
{"op":"begin","lsn":"0/16B3700","xid":740,"ts":"2026-01-01 00:00:00+00"}
{"op":"insert","lsn":"0/16B3748","xid":740,"ts":"2026-01-01 00:00:00+00","commit_lsn":"0/16B3900","seq":1,"schema":"public","table":"orders","key":{"id":1},"before":null,"after":{"id":1,"region":"eu"},"unchanged":[]}
{"op":"insert","lsn":"0/16B3750","xid":740,"ts":"2026-01-01 00:00:00+00","commit_lsn":"0/16B3900","seq":2,"schema":"public","table":"order items$","key":{"id":7},"before":null,"after":{"id":7,"note":"caf\u00e9 \"x\""},"unchanged":[]}
{"op":"update","lsn":"0/16B3758","xid":740,"ts":"2026-01-01 00:00:00+00","commit_lsn":"0/16B3900","seq":3,"schema":"public","table":"orders","key":{"id":1},"before":null,"after":{"id":1,"region":"us"},"unchanged":[]}
{"op":"commit","lsn":"0/16B3900","end_lsn":"0/16B3930","xid":740,"ts":"2026-01-01 00:00:00+00","events":3}
{"op":"begin","lsn":"0/16B4000","xid":741,"ts":"2026-01-01 00:00:01+00"}
{"op":"delete","lsn":"0/16B4008","xid":741,"ts":"2026-01-01 00:00:01+00","commit_lsn":"0/16B4100","seq":1,"schema":"public","table":"orders","key":{"id":1},"before":{"id":1},"after":null,"unchanged":[]}
{"op":"insert","lsn":"0/16B4010","xid":741,"ts":"2026-01-01 00:00:01+00","commit_lsn":"0/16B4100","seq":2,"schema":"audit","table":"log","key":null,"before":null,"after":{"msg":"hi"},"unchanged":[]}
{"op":"commit","lsn":"0/16B4100","end_lsn":"0/16B4130","xid":741,"ts":"2026-01-01 00:00:01+00","events":2}
EOF
grep -v '"op":"\(begin\|commit\)"' "$T/tx.ndjson" >"$T/events.ndjson"

kw --topic-template "$P.{schema}.{table}" --ack-file "$T/ack" --tombstones \
	-H 'lsn={lsn}' -H 'src=pgwal' "$T/tx.ndjson" 2>"$T/err"
ok $? "template run exits 0"
is "$(cat "$T/err")" "" "nothing on stderr"
is "$(head -n 1 "$T/ack")" "0/16B4130" "ack file holds the last commit's end_lsn"
is "$(stat -c %a "$T/ack")" "600" "ack file mode 0600"

# routing: three topics, the illegal characters of "order items$" as _
consume "$P.public.orders" '%s\n' >"$T/orders.out"
grep '"table":"orders"' "$T/tx.ndjson" >"$T/orders.want"
printf 'NULL\n' >>"$T/orders.want"		# the tombstone after the delete
check "topic public.orders: values byte-identical, in order, tombstone last" cmp "$T/orders.want" "$T/orders.out"
consume "$P.public.order_items_" '%s\n' >"$T/items.out"
grep '"table":"order items\$"' "$T/tx.ndjson" >"$T/items.want"
check "table with illegal characters routed to order_items_, value unchanged" cmp "$T/items.want" "$T/items.out"
consume "$P.audit.log" '%s\n' >"$T/log.out"
grep '"table":"log"' "$T/tx.ndjson" >"$T/log.want"
check "topic audit.log" cmp "$T/log.want" "$T/log.out"

# keys, headers, tombstone
out=$(consume "$P.public.orders" '%k|%h|%S\n')
is "$(echo "$out" | head -n 1)" '{"id":1}|lsn=0/16B3748,src=pgwal|'"$(sed -n 2p "$T/tx.ndjson" | wc -c | awk '{print $1-1}')" \
	"key is the key member's JSON text; headers from template and static"
is "$(echo "$out" | tail -n 1)" '{"id":1}|lsn=0/16B4008,src=pgwal|-1' "tombstone: same key and headers, null value"
is "$(consume "$P.audit.log" '%k|%K\n')" 'NULL|-1' "null key member: no key"

# control lines absent everywhere
all=$(cat "$T/orders.out" "$T/items.out" "$T/log.out")
unlike "$all" '"op":"(begin|commit)"' "control lines not produced"
is "$(echo "$all" | grep -c .)" 6 "5 events + 1 tombstone produced"

# --tx-topic: control lines to their own topic
kw -t "$P.events" --tx-topic "$P.tx" "$T/tx.ndjson" 2>"$T/err"
ok $? "--tx-topic run exits 0"
consume "$P.tx" >"$T/tx.out"
grep '"op":"\(begin\|commit\)"' "$T/tx.ndjson" >"$T/tx.want"
check "--tx-topic gets the begin and commit lines" cmp "$T/tx.want" "$T/tx.out"
consume "$P.events" >"$T/ev.out"
check "-t topic gets the events only, byte-identical" cmp "$T/events.ndjson" "$T/ev.out"

# --key-field / --key-template / --no-key / --partition
kw -t "$P.kf" --key-field /after/region --no-progress "$T/events.ndjson" 2>"$T/err"
ok $? "--key-field run"
is "$(consume "$P.kf" '%k\n' | head -n 1)" '"eu"' "--key-field pointer: JSON text of the value"
head -n 3 "$T/events.ndjson" | kw -t "$P.kt" --key-template '{table}:{/key/id}' 2>"$T/err"
ok $? "--key-template run"
kw -t "$P.kt2" --key-template '{table}:{/key/id}' "$T/events.ndjson" 2>"$T/err"
is $? 20 "--key-template: a line without the field is bad"
like "$(cat "$T/err")" 'line 5, byte 1: template field \{/key/id\} is missing' "--key-template: bad line message"
is "$(consume "$P.kt" '%k\n' | head -n 2 | tr '\n' ' ')" 'orders:1 order items$:7 ' "--key-template text"

# partition placement: Java-compatible murmur2 on a 6-partition topic
"$ADMIN" create "$B" "$P.parts" 6
ok $? "6-partition topic created"
for i in $(seq 1 60); do printf '{"key":{"id":%d},"n":%d}\n' "$i" "$i"; done >"$T/keyed.ndjson"
kw -t "$P.parts" "$T/keyed.ndjson" 2>"$T/err"
ok $? "keyed run exits 0"
consume "$P.parts" '%k\t%p\n' | sort >"$T/placed"
while IFS= read -r l; do
	k=$(printf '%s' "$l" | jq -c .key)
	printf '%s\t%s\n' "$k" "$("$ADMIN" partition "$k" 6)"
done <"$T/keyed.ndjson" | sort >"$T/expected"
is "$(wc -l <"$T/placed")" 60 "60 keyed messages read back"
check "every key in the partition Java's murmur2 gives" cmp "$T/expected" "$T/placed"
is "$(cut -f2 "$T/placed" | sort -u | wc -l)" 6 "keys spread over all 6 partitions"
kw -t "$P.parts" -p 4 --no-key <<<'{"n":"forced"}' 2>"$T/err"
is "$(consume "$P.parts" '%p %s\n' | grep forced)" '4 {"n":"forced"}' "--partition forces the partition"

# CRLF and a last line without a newline; any JSON value with -t
printf '{"a":1}\r\n[1,2]\r\n"s"' | kw -t "$P.crlf" --no-key 2>"$T/err"
ok $? "CRLF input exits 0"
printf '{"a":1}\n[1,2]\n"s"\n' >"$T/crlf.want"
consume "$P.crlf" >"$T/crlf.out"
check "CR removed, last line without newline produced" cmp "$T/crlf.want" "$T/crlf.out"

# the ack file is never moved back, and its extra lines are kept
printf '0/FFFFFFFF\nslot shop_slot\n' >"$T/ack2"
kw -t "$P.ev2" --ack-file "$T/ack2" "$T/tx.ndjson" 2>"$T/err"
ok $? "run with an ack file ahead"
is "$(cat "$T/ack2")" "$(printf '0/FFFFFFFF\nslot shop_slot')" "ack file ahead is left alone"
printf '0/1\nslot shop_slot\n' >"$T/ack3"
kw -t "$P.ev2" --ack-file "$T/ack3" "$T/tx.ndjson" 2>"$T/err"
is "$(cat "$T/ack3")" "$(printf '0/16B4130\nslot shop_slot')" "ack file advanced, slot line kept"
# a non-transactional message line with end_lsn is produced and is an
# acknowledgement point of its own; one without end_lsn is only produced
{
	cat "$T/tx.ndjson"
	echo '{"op":"message","lsn":"0/16B5000","end_lsn":"0/16B5000","xid":null,"ts":null,"transactional":false,"prefix":"p","content":"x"}'
	echo '{"op":"message","lsn":"0/16B6000","xid":null,"ts":null,"transactional":false,"prefix":"p","content":"y"}'
} >"$T/msg.ndjson"
kw -t "$P.msg" --ack-file "$T/ackm1" "$T/msg.ndjson" 2>"$T/err"
ok $? "a stream ending with messages"
is "$(head -n 1 "$T/ackm1")" "0/16B5000" "a delivered message line with end_lsn is acknowledged"
is "$(consume "$P.msg" | grep -c '"op":"message"')" 2 "both message lines are produced"
printf '%s\n' '{"op":"message","lsn":"0/1","end_lsn":"0/1","transactional":false,"prefix":"p","content":"z"}' >>"$T/msg.ndjson"
kw -t "$P.msg2" --ack-file "$T/ackm2" "$T/msg.ndjson" 2>"$T/err"
is "$?" 20 "a message end_lsn lower than the previous one is a bad line"
is "$(head -n 1 "$T/ackm2")" "0/16B5000" "... acknowledged up to the line before it"
printf 'garbage\n' >"$T/ack4"
kw -t "$P.ev2" --ack-file "$T/ack4" "$T/tx.ndjson" 2>"$T/err"
is "$?" 5 "malformed ack file: exit 5"

# the man page's second example: keyed by a nested field, bad lines kept aside
printf '%s\n' '{"after":{"order_id":"A-1"}}' 'oops' '{"after":{"order_id":"A-2"}}' >"$T/changes.ndjson"
(cd "$T" && timeout 60 "$KAFKA_WRITE" -b "$B" -t "$P.orders" --key-template '{/after/order_id}' \
	--dead-letter bad.ndjson changes.ndjson 2>/dev/null)
ok $? "man page example 2 exits 0"
is "$(consume "$P.orders" '%k\n' | tr '\n' ' ')" "A-1 A-2 " "man page example 2: keys from the nested field"
is "$(jq -r .input "$T/bad.ndjson")" "oops" "man page example 2: the bad line in the dead-letter file"

# volume: 50000 events over 4 partitions, all delivered once, acknowledged
"$ADMIN" create "$B" "$P.vol" 4
awk 'BEGIN { for (i = 1; i <= 50000; i++) {
	printf "{\"op\":\"insert\",\"lsn\":\"0/%X\",\"key\":{\"id\":%d},\"after\":{\"id\":%d}}\n", i * 16, i % 997, i
	if (i % 100 == 0) printf "{\"op\":\"commit\",\"lsn\":\"0/%X\",\"end_lsn\":\"0/%X\"}\n", i * 16 + 1, i * 16 + 8 } }' >"$T/vol.ndjson"
kw -t "$P.vol" --ack-file "$T/ack.vol" "$T/vol.ndjson" 2>"$T/err"
ok $? "volume run exits 0"
is "$(head -n 1 "$T/ack.vol")" "$(printf '0/%X' $((50000 * 16 + 8)))" "volume: acknowledged to the last commit"
consume "$P.vol" '%s\n' | sort >"$T/vol.out"
grep -v commit "$T/vol.ndjson" | sort >"$T/vol.want"
check "volume: every event read back exactly once" cmp "$T/vol.want" "$T/vol.out"

# idle input: the acknowledgement is written while the input stays open
mkfifo "$T/fifo"
timeout 60 "$KAFKA_WRITE" -b "$B" -t "$P.idle" --ack-file "$T/ack5" --ack-interval 0.2 <"$T/fifo" 2>"$T/err" &
kwpid=$!
at_exit 'exec 8>&-; kill ${kwpid:-} 2>/dev/null'
exec 8>"$T/fifo"
head -n 5 "$T/tx.ndjson" >&8
for _ in $(seq 1 100); do [ -s "$T/ack5" ] && break; sleep 0.1; done
is "$(head -n 1 "$T/ack5" 2>/dev/null)" "0/16B3930" "ack written while the input is idle"
kill -TERM "$kwpid"
exec 8>&-
wait "$kwpid"
ok $? "SIGTERM: clean stop, exit 0"; kwpid=
is "$(consume "$P.idle" | wc -l)" 3 "the events read before SIGTERM were delivered"

# bursts: what the input holds is sent as soon as the input pauses, whatever
# linger.ms (librdkafka alone would hold it 30 s here), and the pipe on the
# input is enlarged to hold a burst while the previous one is delivered
mkfifo "$T/fifo2"
timeout 60 "$KAFKA_WRITE" -b "$B" -t "$P.burst" --ack-file "$T/ack6" --ack-interval 0.1 \
	-X linger.ms=30000 <"$T/fifo2" 2>"$T/err" &
kwpid=$!
exec 8>"$T/fifo2"
head -n 5 "$T/tx.ndjson" >&8
for _ in $(seq 1 100); do [ -s "$T/ack6" ] && break; sleep 0.1; done
is "$(head -n 1 "$T/ack6" 2>/dev/null)" "0/16B3930" "a paused input's burst delivered and acknowledged, linger.ms=30000 notwithstanding"
is "$(consume "$P.burst" | wc -l)" 3 "its events are in Kafka"
# F_GETPIPE_SZ (1032) on this end of the same pipe
is "$(python3 -c 'import fcntl; print(fcntl.fcntl(8, 1032))')" 1048576 "the input pipe enlarged to 1 MB"
tail -n 4 "$T/tx.ndjson" >&8
for _ in $(seq 1 100); do [ "$(head -n 1 "$T/ack6")" = 0/16B4130 ] && break; sleep 0.1; done
is "$(head -n 1 "$T/ack6")" "0/16B4130" "the next burst too"
exec 8>&-
wait "$kwpid"
ok $? "end of input: exit 0"; kwpid=
is "$(consume "$P.burst" | wc -l)" 5 "every event delivered once"

done_testing
