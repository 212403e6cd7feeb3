#!/bin/bash
# kafka-write --debezium (and --value-field, --headers-field) on the real
# broker: the lines of pgwal-read --format=debezium (pgwal's position
# members beside the Kafka record's topic, key, value and headers) become
# exactly that record: topic, key bytes, value bytes, headers, and a
# tombstone after each delete; acknowledged and exactly once from the
# position members; bad lines named with their line and byte.  kcat reads
# everything back.
. "$(dirname "$0")/../lib/setup.sh"
need_kafka
set +e	# every command's status is asserted below

B=$KAFKA_BROKERS
run=$$.$(date +%s)
P="dbz37.$run"				# the topic prefix (Debezium's topic.prefix)

kw() { timeout 60 "$KAFKA_WRITE" -b "$B" "$@"; }
# consume TOPIC FORMAT [kcat options]: everything in TOPIC, nulls as NULL
consume() {
	local t=$1 f=$2; shift 2
	timeout 60 kcat -b "$B" -C -t "$t" -e -q -Z -f "$f" "$@"
}

# ---- the records, as Debezium's JsonConverter writes them ----------------
H='{"__debezium.context.connectorLogicalName":"'$P'","__debezium.context.taskId":"0","__debezium.context.connectorName":"'$P'"}'
HDRS="__debezium.context.connectorLogicalName=$P,__debezium.context.taskId=0,__debezium.context.connectorName=$P"
src() {	# src LSN TXID SEQ: a source block
	printf '{"version":"3.6.1.Final","connector":"postgresql","name":"%s","ts_ms":1767225600000,"snapshot":"false","db":"shop","sequence":"[\\"%s\\",\\"%s\\"]","ts_us":1767225600000000,"ts_ns":1767225600000000000,"schema":"public","table":"%s","txId":%s,"lsn":%s,"xmin":null}' \
		"$P" "$1" "$2" "$3" "$4" "$5"
}
K1='{"b":"k1","a":1}'
V1='{"before":null,"after":{"a":1,"b":"k1","amount":"EtaH","note":"caf\u00e9 \"x\""},"source":'$(src 23803720 23803720 orders 740 23803720)',"transaction":null,"op":"c","ts_ms":1767225600123,"ts_us":1767225600123456,"ts_ns":1767225600123456000}'
K2='{"b":"k2","a":2}'
V2='{"before":null,"after":{"a":2,"b":"k2","amount":null,"note":null},"source":'$(src 23803720 23803728 orders 740 23803728)',"transaction":null,"op":"c","ts_ms":1767225600124,"ts_us":1767225600124000,"ts_ns":1767225600124000000}'
V3='{"before":{"a":1,"b":"k1","amount":"EtaH","note":null},"after":{"a":1,"b":"k1","amount":"AMg=","note":"z"},"source":'$(src 23803720 23803736 orders 740 23803736)',"transaction":null,"op":"u","ts_ms":1767225600125,"ts_us":1767225600125000,"ts_ns":1767225600125000000}'
V4='{"before":{"a":2,"b":"k2","amount":null,"note":null},"after":null,"source":'$(src 23804160 23804168 orders 741 23804168)',"transaction":null,"op":"d","ts_ms":1767225601000,"ts_us":1767225601000000,"ts_ns":1767225601000000000}'
V5='{"before":null,"after":{"msg":"hi"},"source":'$(src 23804160 23804176 log 741 23804176)',"transaction":null,"op":"c","ts_ms":1767225601001,"ts_us":1767225601001000,"ts_ns":1767225601001000000}'

# line OP LSN COMMIT SEQ TABLE KEY VALUE [HEADERS]: one pgwal-read --format=debezium line
line() {
	printf '{"op":"%s","lsn":"%s","xid":%s,"ts":"2026-01-01 00:00:00.123456+00","commit_lsn":"%s","seq":%s,"schema":"public","table":"%s","topic":"%s.public.%s","key":%s,"value":%s%s}\n' \
		"$1" "$2" "${XID:-740}" "$3" "$4" "$5" "$P" "$5" "$6" "$7" "${8:+,\"headers\":$8}"
}
{
	echo '{"op":"begin","lsn":"0/16B3700","xid":740,"ts":"2026-01-01 00:00:00.123456+00","commit_lsn":"0/16B3748"}'
	line insert 0/16B3748 0/16B37A0 1 orders "$K1" "$V1" "$H"
	line insert 0/16B3750 0/16B37A0 2 orders "$K2" "$V2" "$H"
	line update 0/16B3758 0/16B37A0 3 orders "$K1" "$V3" "$H"
	echo '{"op":"commit","lsn":"0/16B37A0","end_lsn":"0/16B37D0","xid":740,"ts":"2026-01-01 00:00:00.123456+00","events":3}'
	echo '{"op":"begin","lsn":"0/16B3900","xid":741,"ts":"2026-01-01 00:00:01+00","commit_lsn":"0/16B3A00"}'
	XID=741 line delete 0/16B3908 0/16B3A00 1 orders "$K2" "$V4" "$H"
	XID=741 line insert 0/16B3910 0/16B3A00 2 log null "$V5" "$H"
	echo '{"op":"commit","lsn":"0/16B3A00","end_lsn":"0/16B3A30","xid":741,"ts":"2026-01-01 00:00:01+00","events":2}'
} >"$T/in"

# ---- 1. --debezium: topic, key bytes, value bytes, headers, tombstones ----
kw --debezium --ack-file "$T/ack" "$T/in" 2>"$T/err"
is "$?" 0 "--debezium: exit 0"
is "$(cat "$T/err")" "" "--debezium: nothing on stderr"
is "$(head -n 1 "$T/ack")" 0/16B3A30 "--debezium: acknowledged to the last commit's end_lsn"

consume "$P.public.orders" '%k\n' >"$T/keys.out"
printf '%s\n' "$K1" "$K2" "$K1" "$K2" "$K2" >"$T/keys.want"
check "topic <prefix>.public.orders: key bytes exactly Debezium's, tombstone's key the deleted one" \
	cmp "$T/keys.want" "$T/keys.out"
consume "$P.public.orders" '%s\n' >"$T/values.out"
printf '%s\n' "$V1" "$V2" "$V3" "$V4" NULL >"$T/values.want"
check "value bytes exactly the value member's, then the tombstone's null value" \
	cmp "$T/values.want" "$T/values.out"
is "$(consume "$P.public.orders" '%S\n' | tail -n 1)" -1 "the tombstone's value is null, not empty"
consume "$P.public.orders" '%h\n' >"$T/hdrs.out"
printf '%s\n' "$HDRS" "$HDRS" "$HDRS" "$HDRS" "$HDRS" >"$T/hdrs.want"
check "headers: each member of the headers object, in order, on records and tombstone" \
	cmp "$T/hdrs.want" "$T/hdrs.out"
is "$(consume "$P.public.log" '%k|%s|%h\n')" "NULL|$V5|$HDRS" "a table without a key: a null key, its own topic"
all=$(consume "$P.public.orders" '%s\n'; consume "$P.public.log" '%s\n')
unlike "$all" '"op":"(begin|commit)"|"commit_lsn"' "no control line, no pgwal member produced"

# ---- 2. --headers-field: string text unescaped, other JSON text, null ----
printf '{"op":"insert","topic":"%s.h","key":"k","value":1,"headers":{"s":"a\\"b\\u00e9","n":42,"o":{"x":[1,null]},"z":null,"e":""}}\n' "$P" |
	kw --debezium 2>"$T/err"
is "$?" 0 "--headers-field values: exit 0"
is "$(consume "$P.h" '%h|%k|%s\n')" 's=a"bé,n=42,o={"x":[1,null]},z=NULL,e=|"k"|1' \
	"headers: a string's text, other values' JSON text, null a header without value"
printf '{"op":"insert","topic":"%s.h0","key":null,"value":{"a":1},"headers":null}\n{"op":"insert","topic":"%s.h0","key":null,"value":{"a":2}}\n' "$P" "$P" |
	kw --debezium 2>"$T/err"
is "$?" 0 "headers null or missing: exit 0"
is "$(consume "$P.h0" '%h|%s\n')" "$(printf '|{"a":1}\n|{"a":2}')" "headers null or missing: no headers"

# ---- 3. --value-field alone: a pointer; null is a tombstone -------------
printf '%s\n' '{"k":1,"v":{"after":{"id":1}}}' '{"k":2,"v":{"after":null}}' '{"k":3,"v":{"after":"x\u00e9"}}' |
	kw -t "$P.vf" --key-field k --value-field /v/after 2>"$T/err"
is "$?" 0 "--value-field pointer: exit 0"
is "$(consume "$P.vf" '%k=%s\n' | tr '\n' ' ')" '1={"id":1} 2=NULL 3="x\u00e9" ' \
	"--value-field: the member's JSON text byte for byte, null a tombstone"
is "$(consume "$P.vf" '%S\n' | sed -n 2p)" -1 "--value-field null: a null value"

# ---- 4. bad lines: named with line and byte, nothing acknowledged past ---
{
	head -n 6 "$T/in"
	sed -n 7p "$T/in" | sed 's/,"value":{"before"/,"valeur":{"before"/'
	sed -n 8,9p "$T/in"
} >"$T/novalue"
rm -f "$T/ack2"
kw --debezium --ack-file "$T/ack2" "$T/novalue" 2>"$T/err"
is "$?" 20 "value member missing: exit 20"
like "$(cat "$T/err")" 'line 7, byte 1: value field "value" is missing' "value member missing: line and byte named"
is "$(head -n 1 "$T/ack2")" 0/16B37D0 "value member missing: acknowledged only before it"

sed '3s/,"headers":{/,"headers":["x",{/; 3s/}}$/}]}/' "$T/in" >"$T/badhdrs"
kw --debezium "$T/badhdrs" 2>"$T/err"
is "$?" 20 "headers not an object: exit 20"
col=$(sed -n 3p "$T/badhdrs" | grep -bo '"headers":\[' | cut -d: -f1)
like "$(cat "$T/err")" "line 3, byte $((col + 11)): headers field \"headers\" is not an object" \
	"headers not an object: line and byte of the value named"
kw --debezium --skip-bad -t "$P.skip" "$T/badhdrs" 2>"$T/err"
is "$?" 0 "--skip-bad: a bad headers line skipped"
is "$(consume "$P.skip" '%k\n' | wc -l)" 5 "--skip-bad: the other 4 records and the tombstone produced"

# ---- 5. exactly once: positions from the line's pgwal members ------------
kc() { consume "$1" '%k|%s|%h\n' -X isolation.level=read_committed; }
rm -f "$T/ack3"
kw --debezium --topic-template "$P.eos.{table}" --transactional-id "dbz.$run" \
	--position-topic "pos.$run" --ack-file "$T/ack3" "$T/in" 2>"$T/err"
is "$?" 0 "--debezium --transactional-id: exit 0"
is "$(head -n 1 "$T/ack3")" 0/16B3A30 "exactly once: acknowledged to the last commit"
kc "$P.eos.orders" >"$T/eos.out"
paste -d'|' "$T/keys.want" "$T/values.want" "$T/hdrs.want" >"$T/eos.want"
check "exactly once: the same records, read committed" cmp "$T/eos.want" "$T/eos.out"
rec=$(timeout 60 kcat -b "$B" -C -t "pos.$run" -e -q -f '%k %s\n' | grep "^dbz.$run " | tail -n 1)
is "$rec" "dbz.$run {\"transactional_id\":\"dbz.$run\",\"commit_lsn\":\"0/16B3A00\",\"seq\":3,\"snapshot\":false,\"end_lsn\":\"0/16B3A30\"}" \
	"exactly once: the position from the lines' commit_lsn and seq"
# from the middle of the second transaction on: nothing twice
sed -n '6,$p' "$T/in" | kw --debezium --topic-template "$P.eos.{table}" --transactional-id "dbz.$run" \
	--position-topic "pos.$run" -v 2>"$T/err"
is "$?" 0 "exactly once, a rerun: exit 0"
kc "$P.eos.orders" >"$T/eos2.out"
check "exactly once, a rerun: nothing twice" cmp "$T/eos.want" "$T/eos2.out"
like "$(cat "$T/err")" '4 events dropped as already in Kafka' "exactly once, a rerun: the rerun's 4 lines dropped as already there"

# ---- 6. options: what is given wins; the help ----------------------------
kw --debezium -t "$P.one" --no-key "$T/in" 2>"$T/err"
is "$?" 0 "--debezium with -t and --no-key: exit 0"
is "$(consume "$P.one" '%K|%s\n' | head -n 1)" "-1|$V1" "--debezium: -t and --no-key override, the value stays the member"
kw --debezium --topic-template "$P.x.{table}" -t "$P.y" "$T/in" 2>"$T/err"
is "$?" 2 "--topic-template and -t still conflict"
kw -t x --value-field= "$T/in" 2>"$T/err"
is "$?" 2 "--value-field empty: usage error"
help=$("$KAFKA_WRITE" --help)
like "$help" '--debezium' "--help lists --debezium"
like "$help" '--value-field=PATH' "--help lists --value-field"
like "$help" '--headers-field=PATH' "--help lists --headers-field"

# ---- 7. Debezium 3.6.1's own records (the captured fixture) --------------
# Each record Debezium wrote (tombstones aside) becomes the line pgwal-read
# --format=debezium prints for it; what kafka-write produces from them must
# be Debezium's records again, tombstones included: topic, key bytes, value
# bytes, headers (names, values, order), topic by topic in offset order.
fx=${DBZ_FIXTURE:-$PGWAL_TOP/tests/fixtures/debezium/records.ndjson}
if [ ! -f "$fx" ]; then
	skip "no captured Debezium records in $fx"
else
	python3 - "$fx" >"$T/fx.in" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ops = {"c": "insert", "u": "update", "d": "delete", "r": "read", "m": "message"}
lsn = 0x1000000
for topic in sorted(set(r["topic"] for r in recs)):
    rows = [r for r in recs if r["topic"] == topic and r["value"] is not None]
    lsn += 0x1000
    commit = lsn + 0x800
    print('{"op":"begin","lsn":"0/%X","xid":1,"ts":"x","commit_lsn":"0/%X"}' % (lsn, commit))
    for seq, r in enumerate(rows, 1):
        v = json.loads(r["value"])
        op = ops[v["op"] if "op" in v else v["payload"]["op"]]  # schemas.enable=true: in payload
        headers = json.dumps(dict(r["headers"]), ensure_ascii=False, separators=(",", ":"))
        print('{"op":"%s","lsn":"0/%X","xid":1,"ts":"x","commit_lsn":"0/%X","seq":%d,'
              '"topic":%s,"key":%s,"value":%s,"headers":%s}'
              % (op, lsn + seq, commit, seq, json.dumps(topic), r["key"] or "null", r["value"],
                 headers))
    print('{"op":"commit","lsn":"0/%X","end_lsn":"0/%X","xid":1,"ts":"x","events":%d}'
          % (commit, commit + 0x30, len(rows)))
PY
	kw --debezium --topic-template "$P.fx.{topic}" --ack-file "$T/ackfx" "$T/fx.in" 2>"$T/err"
	is "$?" 0 "Debezium's records as lines: exit 0"
	: >"$T/fx.out"
	for t in $(python3 -c 'import json,sys; print("\n".join(sorted(set(json.loads(l)["topic"] for l in open(sys.argv[1])))))' "$fx"); do
		timeout 60 kcat -b "$B" -C -t "$P.fx.$t" -e -q -J >>"$T/fx.out"
	done
	python3 - "$fx" "$T/fx.out" "$P.fx." >"$T/fx.cmp" <<'PY'
import json, sys
want = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
prefix = sys.argv[3]
norm_w = [(r["topic"], r["key"], r["value"], [list(h) for h in r["headers"]]) for r in want]
norm_g = [(r["topic"][len(prefix):], r["key"], r["payload"],
           [list(p) for p in zip(r["headers"][0::2], r["headers"][1::2])] if r.get("headers") else [])
          for r in got]
bad = [(i, w, g) for i, (w, g) in enumerate(zip(norm_w, norm_g)) if w != g]
print("records %d %d, tombstones %d %d, different %d" % (
    len(norm_w), len(norm_g), sum(w[2] is None for w in norm_w), sum(g[2] is None for g in norm_g),
    len(bad) + abs(len(norm_w) - len(norm_g))))
for i, w, g in bad[:3]:
    print("# record %d\n#   want %r\n#   got  %r" % (i, w, g))
PY
	n=$(grep -c . "$fx"); nt=$(grep -c '"value":null' "$fx")
	is "$(head -n 1 "$T/fx.cmp")" "records $n $n, tombstones $nt $nt, different 0" \
		"Debezium's $n records (with its $nt tombstones) produced again, each byte for byte"
	sed -n '2,$p' "$T/fx.cmp"
fi

done_testing
