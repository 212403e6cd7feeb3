#!/bin/bash
# Every json and jsonb value the server stores flows through the pipeline
# (issue 11 case 2): a json value with a lone surrogate escape (the json
# type accepts it, strict JSON does not) comes out as a string of its text;
# jsonb and json nested far deeper than 256 levels are embedded and
# accepted by kafka-write.  pgwal-read | kafka-write on the rig, kcat reads
# the messages back, byte-identical to pgwal-read's lines.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_kafka
set +e	# every command's status is asserted below

B=$KAFKA_BROKERS
db="t34_$$"
slot="t34_$$"
topic="kw34.$$.$(date +%s)"
cleanup() {
	sql -d postgres -c "select pg_drop_replication_slot('$slot')
		from pg_replication_slots where slot_name = '$slot' and not active" >/dev/null 2>&1
	dropdb --if-exists --force "$db" 2>/dev/null
}
at_exit cleanup

createdb "$db" || bail "createdb failed"
export PGDATABASE="$db"
sql -c "create table j(id int primary key, js json, jb jsonb, ja json[]);
	create publication pgwal for all tables" || bail "schema failed"
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --create-slot 2>"$T/err"
ok $? "slot created"

# the deepest jsonb this server accepts, up to 10000 levels (its parser
# recurses: max_stack_depth 2MB allows about 14000)
deep=10000
while [ "$deep" -gt 300 ] &&
	! sql -c "select (repeat('[', $deep) || repeat(']', $deep))::jsonb" >/dev/null 2>&1; do
	deep=$((deep / 2))
done
ok $([ "$deep" -gt 300 ]; echo $?) "the server stores jsonb $deep deep"

sql -c "insert into j values (1, '\"\\ud800\"', null, null)" &&
	sql -c "insert into j values (2, '{\"a\": \"x\\udc00y\", \"b\": [1, 2]}', '{\"k\": 1}',
		array['\"\\ud800\"', '[1, 2]']::json[])" &&
	sql -c "insert into j values (3, '\"\\ud83d\\ude00\"', (repeat('[', 300) || repeat(']', 300))::jsonb, null)" &&
	sql -c "insert into j values (4, null, (repeat('[', $deep) || '1' || repeat(']', $deep))::jsonb, null)" &&
	sql -c "insert into j values (5, (repeat('{\"a\": ', $deep) || '\"\\ud800\"' || repeat('}', $deep))::json, null, null)" &&
	sql -c "insert into j values (6, (repeat('{\"a\" : ', $deep) || 'true' || repeat(' }', $deep))::json, null, null)"
ok $? "rows inserted"
end=$(sql -c "select pg_current_wal_insert_lsn()")

timeout 120 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --endpos "$end" 2>"$T/read.err" |
	tee "$T/stream" |
	timeout 120 "$KAFKA_WRITE" -b "$B" -t "$topic" 2>"$T/write.err"
rcs=("${PIPESTATUS[@]}")
is "${rcs[0]}" 0 "pgwal-read exits 0 at --endpos"
is "${rcs[2]}" 0 "kafka-write accepts every line (exit 0)"
[ "${rcs[0]}${rcs[2]}" = 00 ] || sed 's/^/#   /' "$T/read.err" "$T/write.err" | head -n 20

grep '"op":"insert"' "$T/stream" >"$T/want"
is "$(wc -l <"$T/want")" 6 "six insert events"
timeout 60 kcat -b "$B" -C -t "$topic" -e -q -f '%s\n' >"$T/got"
check "kcat reads back pgwal-read's lines, byte-identical" cmp "$T/want" "$T/got"

# what a consumer parses (Python's json module accepts lone surrogates;
# the deep rows are checked as text: its parser recurses too)
python3 - "$T/got" "$deep" >"$T/py.out" 2>&1 <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
deep = int(sys.argv[2])
rows = {i + 1: l for i, l in enumerate(lines)}  # ids 1..6 in insert order
def after(i):
    return json.loads(rows[i])["after"]
def check(cond, name):
    print(("ok " if cond else "not ok ") + name)
a = after(1)
check(a["js"] == '"\\ud800"', "row 1: a lone surrogate json value is a string of its exact text")
a = after(2)
check(a["js"] == '{"a": "x\\udc00y", "b": [1, 2]}', "row 2: its text exactly, not compacted")
check(a["jb"] == {"k": 1}, "row 2: strict jsonb embedded")
check(a["ja"] == ['"\\ud800"', [1, 2]], "row 2: json[] elements by the same rule")
a = after(3)
check(a["js"] == "\U0001F600", "row 3: a surrogate pair is embedded")
l = rows[3]
check('"jb":' + "[" * 300 + "]" * 300 + ',"ja"' in l, "row 3: jsonb 300 deep embedded")
l = rows[4]
check('"jb":' + "[" * deep + "1" + "]" * deep + ',"ja"' in l, "row 4: jsonb %d deep embedded" % deep)
l = rows[5]
check('"js":"' + '{\\"a\\": ' * deep + '\\"\\\\ud800\\"' in l, "row 5: deep json with a lone surrogate is a string")
l = rows[6]
check('"js":' + '{"a":' * deep + "true" + "}" * deep + ',"jb"' in l, "row 6: json %d deep embedded, compacted" % deep)
PY
while IFS= read -r line; do
	case $line in
	"ok "*) ok 0 "${line#ok }" ;;
	*) ok 1 "${line#not ok }" ;;
	esac
done < <(grep -E '^(ok|not ok) ' "$T/py.out")
grep -qE '^(ok|not ok) ' "$T/py.out" || { ok 1 "consumer checks ran"; sed 's/^/#   /' "$T/py.out" | head; }

done_testing
