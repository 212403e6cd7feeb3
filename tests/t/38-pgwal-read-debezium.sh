#!/bin/bash
# pgwal-read --format=debezium against what Debezium 3.6.1 wrote for the
# same workload (tests/fixtures/debezium/: captured once by
# scripts/debezium-golden.sh from a real Debezium run; Debezium is not
# needed here).  The workload's snapshot rows, then its changes, are read
# by pgwal-read and, through kafka-write --debezium, read back from Kafka
# with kcat; both are compared with Debezium's records topic by topic,
# member by member (tests/lib/dbz_compare.py: times, LSNs and transaction
# ids can only match in type).
. "$(dirname "$0")/../lib/setup.sh"
need_pg
# the workload has multiranges (14 and later); the Kafka half needs the broker
# (the version matrix runs without one)
need_pg_major 14 "the workload's multirange columns"

fix="$PGWAL_TOP/tests/fixtures/debezium"
[ -f "$fix/records.ndjson" ] || skip_all "no captured Debezium records in $fix"
db="t38_$$"
pfx="t38_$$"
P="t38_$$_$(date +%s)" # a topic prefix of our own on the shared broker
cleanup() {
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like '${pfx}%' and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup
# the documented differences (pgwal-read(1), DEBEZIUM FORMAT): JDK 17's
# Float.toString is not always the shortest spelling, and Debezium's
# microseconds overflow past the year 294276
known="--known c_float4=1.4E-45 --known c_float4=-1.17549435E-38
	--known c_timestamp=-9223372036853775810 --known c_timestamp_6=-9223372036853775810"
capdb=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["value"]:
        print(json.loads(r["value"])["source"]["db"]); break' "$fix/records.ndjson")
capprefix=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["value"]:
        print(json.loads(r["value"])["source"]["name"]); break' "$fix/records.ndjson")

kafka_half() {
set +e
timeout 120 "$KAFKA_WRITE" -b "$KAFKA_BROKERS" --debezium <"$T/lines" 2>"$T/kw.err"
rc=$?
set -e
is "$rc" 0 "kafka-write --debezium exits 0"
sed 's/^/#   /' "$T/kw.err" | head -n 5
topics=$(python3 -c 'import json,sys
ts = []
for l in open(sys.argv[1]):
    e = json.loads(l)
    if "topic" in e and e["topic"] not in ts:
        ts.append(e["topic"])
print(" ".join(ts))' "$T/lines")
: >"$T/kafka.ndjson"
for t in $topics; do
	timeout 60 kcat -b "$KAFKA_BROKERS" -C -t "$t" -e -q -J >>"$T/kafka.raw" || true
done
python3 -c '
import json, sys
out = open(sys.argv[2], "w")
for l in open(sys.argv[1]):
    m = json.loads(l)
    hs = m.get("headers") or []
    pairs = [[hs[i], hs[i + 1]] for i in range(0, len(hs), 2)]
    out.write(json.dumps({"topic": m["topic"], "partition": m["partition"], "offset": m["offset"],
        "key": m.get("key"), "value": m.get("payload"), "headers": pairs}, ensure_ascii=False) + "\n")
' "$T/kafka.raw" "$T/kafka.ndjson"
# shellcheck disable=SC2086
if python3 "$PGWAL_TOP/tests/lib/dbz_compare.py" "$fix/records.ndjson" "$T/kafka.ndjson" \
	--prefix "$capprefix=$P" --db "$capdb=$db" $known >"$T/cmp.kafka" 2>&1; then
	ok 0 "the records kcat reads from Kafka equal Debezium's: topic, key bytes, value, headers, tombstones"
else
	ok 1 "the records kcat reads from Kafka equal Debezium's: topic, key bytes, value, headers, tombstones"
fi
sed 's/^/# /' "$T/cmp.kafka" | grep -v '^# ok' | head -n 60
grep '^# records' "$T/cmp.kafka" || true

}

createdb "$db"
export PGDATABASE="$db"
sql -q -f "$fix/snapshot.sql" >/dev/null 2>&1
sql -c "select 1 from pg_publication where pubname = 'pgwal'" | grep -q 1 ||
	sql -c "create publication pgwal for all tables"

# the snapshot, then the changes, as Debezium saw them
set +e
"$PGWAL_READ" -S "${pfx}_s" --create-slot --snapshot --format=debezium --topic-prefix="$P" \
	>"$T/snap.out" 2>"$T/snap.err"
rc=$?
set -e
is "$rc" 0 "pgwal-read --snapshot --format=debezium exits 0"
sed 's/^/#   /' "$T/snap.err" | head -n 5
sql -q -f "$fix/stream.sql" >/dev/null
set +e
timeout 120 "$PGWAL_READ" -S "${pfx}_s" --format=debezium --topic-prefix="$P" --catch-up \
	>"$T/stream.out" 2>"$T/stream.err"
rc=$?
set -e
is "$rc" 0 "pgwal-read --format=debezium --catch-up exits 0"
sed 's/^/#   /' "$T/stream.err" | head -n 5
cat "$T/snap.out" "$T/stream.out" >"$T/lines"

# every line is still a pgwal line (positions for kafka-write) with a record
check "every change line has topic, key and value" python3 -c '
import json, sys
for n, l in enumerate(open(sys.argv[1]), 1):
    e = json.loads(l)
    if e["op"] in ("begin", "commit"):
        continue
    # a message outside any transaction is a position of its own (end_lsn)
    pos = {"commit_lsn", "seq"} if "end_lsn" not in e else {"end_lsn"}
    assert {"topic", "key", "value", "lsn"} | pos <= set(e), (n, sorted(e))
' "$T/lines"
is "$(grep -c '"op":"truncate"' "$T/lines" || true)" 0 "no truncate line (Debezium skips them by default)"

# the records straight from pgwal-read's lines (tombstones after deletes added)
# shellcheck disable=SC2086
if python3 "$PGWAL_TOP/tests/lib/dbz_compare.py" "$fix/records.ndjson" "$T/lines" --lines \
	--prefix "$capprefix=$P" --db "$capdb=$db" $known >"$T/cmp.lines" 2>&1; then
	ok 0 "pgwal-read's records equal Debezium's, field by field"
else
	ok 1 "pgwal-read's records equal Debezium's, field by field"
fi
sed 's/^/# /' "$T/cmp.lines" | grep -v '^# ok' | head -n 60
grep '^# records' "$T/cmp.lines" || true

# the same through Kafka: kafka-write --debezium, read back with kcat
if [ -n "${KAFKA_BROKERS:-}" ]; then
	need_kafka
	kafka_half
else
	skip "no Kafka broker (the version matrix): the Kafka half"
fi

# the value modes: Debezium's snapshot of the type tables, one run per
# property, on a database with the snapshot's rows only (as captured)
createdb "${db}m"
at_exit "dropdb --if-exists --force ${db}m 2>/dev/null"
PGDATABASE="${db}m" sql -q -f "$fix/snapshot.sql" >/dev/null 2>&1
PGDATABASE="${db}m" sql -c "select 1 from pg_publication where pubname = 'pgwal'" | grep -q 1 ||
	PGDATABASE="${db}m" sql -c "create publication pgwal for all tables"
for f in "$fix"/records-*=*.ndjson; do
	prop=${f##*/records-}
	prop=${prop%.ndjson}
	slot="${pfx}_m$(printf '%s' "$prop" | md5sum | cut -c1-8)"
	set +e
	PGDATABASE="${db}m" "$PGWAL_READ" -S "$slot" --create-slot --snapshot --format=debezium \
		--topic-prefix="$P" "--$prop" >"$T/mode.out" 2>"$T/mode.err"
	rc=$?
	set -e
	is "$rc" 0 "--$prop: the snapshot exits 0"
	topics=$(python3 -c 'import json,sys
print(",".join(sorted({json.loads(l)["topic"] for l in open(sys.argv[1])})))' "$f" | sed "s/$capprefix\./$P./g")
	# shellcheck disable=SC2086
	if python3 "$PGWAL_TOP/tests/lib/dbz_compare.py" "$f" "$T/mode.out" --lines --topics "$topics" \
		--prefix "$capprefix=$P" --db "$capdb=${db}m" $known >"$T/cmp.mode" 2>&1; then
		ok 0 "--$prop: the records equal Debezium's ($(grep -o 'records [0-9]*' "$T/cmp.mode"))"
	else
		ok 1 "--$prop: the records equal Debezium's"
		sed 's/^/# /' "$T/cmp.mode" | grep -v '^# ok' | head -n 30
	fi
done

done_testing
