#!/bin/bash
# pgwal-read against an independent decoder: the same WAL range decoded by
# pgwal-read and by pg_recvlogical + wal2json, compared change by change
# and value by value (tests/lib/compare_wal2json.py), over a workload that
# covers every built-in type family, arrays, TOAST, replica identities,
# partitions, messages, TRUNCATE and ALTER TABLE (tests/fixtures/sql/).
# The database's defaults are hostile (time zone, DateStyle, IntervalStyle,
# extra_float_digits, bytea_output): pgwal-read must pin its own.  The same
# range is read three times, with pgoutput protocol versions default (3 on
# PostgreSQL 15), 1 and 2; each gets every comparison, named per type.
# Then pgwal-read's own contract where wal2json has no opinion (key, before,
# unchanged, truncate flags, messages, origins, rolled-back work).
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_wal2json

db="t11_$$"
slot="t11_$$_r"
wslot="t11_$$_w"
fix="$PGWAL_TOP/tests/fixtures/sql"
lib="$PGWAL_TOP/tests/lib"
PINNED='-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex'
cleanup() {
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like 't11\_$$\_%' and not active" >/dev/null 2>&1 || true
	sql -d postgres -c "select gid from pg_prepared_xacts where gid like 't11\_$$\_%'" 2>/dev/null |
		while read -r g; do sql -d postgres -c "rollback prepared '$g'" >/dev/null 2>&1 || true; done
	sql -d postgres -c "select pg_replication_origin_drop('t11_$$_origin')" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"
sql -d postgres -c "alter database \"$db\" set TimeZone = 'Asia/Kolkata'" \
	-c "alter database \"$db\" set DateStyle = 'SQL, DMY'" \
	-c "alter database \"$db\" set IntervalStyle = 'sql_standard'" \
	-c "alter database \"$db\" set extra_float_digits = 0" \
	-c "alter database \"$db\" set bytea_output = 'escape'"
is "$(sql -c 'show DateStyle')" "SQL, DMY" "a new session of the database gets the hostile DateStyle"

sql -f "$fix/schema.sql"
sql -c "create publication pgwal for all tables"
# one slot per protocol version asked for: default (the server's newest), 1, 2
variants="default 1 2"
for v in $variants; do
	set +e
	timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "${slot}_$v" --create-slot 2>"$T/err"; rc=$?
	set -e
	is "$rc" 0 "pgwal-read --create-slot (slot for protocol $v)"
done
sql -c "select pg_create_logical_replication_slot('$wslot', 'wal2json')" >/dev/null 2>"$T/w2jslot.err" ||
	bail "cannot create a wal2json slot (Debian: postgresql-15-wal2json): $(head -n 1 "$T/w2jslot.err")"

# the workload runs under the hostile defaults, as an application would
set +e
sql -v gid1="t11_$$_p1" -v gid2="t11_$$_p2" -v origin="t11_$$_origin" -f "$fix/workload.sql" >"$T/workload.out" 2>"$T/workload.err"; rc=$?
set -e
is "$rc" 0 "the workload ran"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/workload.err" | tail -n 5
# interleaved transactions: A starts first and commits last
set +e
sql -c "begin; insert into items values (940, 'A first', 0); select pg_sleep(1.5);
	insert into items values (941, 'A second', 0); commit;" >/dev/null 2>"$T/a.err" &
apid=$!
sleep 0.2
sql -c "insert into items values (942, 'B while A is open', 0)"
wait "$apid"; arc=$?
set -e
is "$arc" 0 "interleaved transactions ran"
end=$(sql -c "select pg_current_wal_lsn()")

for v in $variants; do
	pv=""
	[ "$v" = default ] || pv="--proto-version=$v"
	set +e
	timeout 60 "$PGWAL_READ" -d "dbname=$db" -S "${slot}_$v" $pv --catch-up --no-loop \
		>"$T/ours.$v.ndjson" 2>"$T/ours.$v.err"; rc=$?
	set -e
	is "$rc" 0 "pgwal-read --catch-up exits 0 (protocol $v)"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$T/ours.$v.err" | tail -n 5
done
cp "$T/ours.default.ndjson" "$T/ours.ndjson"
set +e
PGOPTIONS="$PINNED" timeout 60 "$PGWAL_PGCLIENT/pg_recvlogical" -d "$db" -S "$wslot" --start -E "$end" \
	--no-loop -f "$T/w2j.ndjson" \
	-o format-version=2 -o include-xids=1 -o include-lsn=1 -o include-types=1 \
	-o include-type-oids=1 -o include-timestamp=1 2>"$T/w2j.err"; rc=$?
set -e
is "$rc" 0 "pg_recvlogical + wal2json to the same end LSN ($end)"

# the last commit pgwal-read wrote is at or before the end LSN (the same range)
last_commit=$(grep '"op":"commit"' "$T/ours.ndjson" | tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["lsn"])')
is "$(sql -c "select '$last_commit'::pg_lsn <= '$end'::pg_lsn")" t "pgwal-read stopped within the range ($last_commit <= $end)"

# the catalog's idea of each table's key, and the server's own text for
# values wal2json prints lossily (NaN, Infinity become null there)
PGOPTIONS="$PINNED" sql >"$T/keys.ndjson" <<'EOF'
select json_build_object('schema', n.nspname, 'table', c.relname,
  'pk', (select json_agg(a.attname order by k.ord)
         from pg_index i, unnest(i.indkey) with ordinality k(attnum, ord), pg_attribute a
         where i.indrelid = c.oid and i.indisprimary and a.attrelid = c.oid and a.attnum = k.attnum),
  'ri', (select json_agg(a.attname order by k.ord)
         from pg_index i, unnest(i.indkey) with ordinality k(attnum, ord), pg_attribute a
         where i.indrelid = c.oid and i.indisreplident and a.attrelid = c.oid and a.attnum = k.attnum),
  'replident', c.relreplident, 'relkind', c.relkind,
  'cols', (select json_agg(attname order by attnum) from pg_attribute
           where attrelid = c.oid and attnum > 0 and not attisdropped and attgenerated = ''),
  'generated', (select json_agg(attname order by attnum) from pg_attribute
           where attrelid = c.oid and attnum > 0 and not attisdropped and attgenerated <> ''))
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast');
EOF
# "evolve" was renamed "evolved" mid-stream: its earlier events carry the old name
sed -n 's/"table" : "evolved"/"table" : "evolve"/p' "$T/keys.ndjson" >>"$T/keys.ndjson"
PGOPTIONS="$PINNED" sql >"$T/truth.ndjson" <<'EOF'
select json_build_object('table', 'types', 'id', id, 'column', c, 'text', v)
from types, lateral (values ('c_numeric', c_numeric::text), ('c_num_scaled', c_num_scaled::text),
                            ('c_float4', c_float4::text), ('c_float8', c_float8::text)) x(c, v);
EOF

# ---- value by value against wal2json -----------------------------------
# The default protocol gets every check by name; the others are prefixed.
for v in $variants; do
	tag=""
	[ "$v" = default ] || tag="[protocol $v] "
	set +e
	python3 "$lib/compare_wal2json.py" "$T/ours.$v.ndjson" "$T/w2j.ndjson" "$T/keys.ndjson" "$T/truth.ndjson" \
		>"$T/cmp.out" 2>"$T/cmp.err"; rc=$?
	set -e
	ok "$([ "$rc" = 0 ] || [ "$rc" = 3 ] && echo 0 || echo 1)" "${tag}the comparator ran to the end"
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || sed 's/^/#   /' "$T/cmp.err" | tail -n 10
	while IFS= read -r line; do
		case $line in
		PASS\ *) ok 0 "$tag${line#PASS }" ;;
		FAIL\ *) ok 1 "$tag${line#FAIL }" ;;
		*) echo "$line" ;;
		esac
	done <"$T/cmp.out"
done

# ---- our own contract, from what the workload did ------------------------
# Expected values come from the workload and the server, not from
# pgwal-read; each check prints PASS/FAIL like the comparator.
PGOPTIONS="$PINNED" sql -c "select json_build_object('f8', f8::text, 'f4', f4::text, 'ts', ts::text,
	'tsz', tsz::text, 'd', d::text, 'iv', iv::text, 'by', by::text) from pinned" >"$T/pinned.json"
sql -c "select json_build_object('f8', f8::text, 'f4', f4::text, 'ts', ts::text,
	'tsz', tsz::text, 'd', d::text, 'iv', iv::text, 'by', by::text) from pinned" >"$T/hostile.json"
set +e
ORIGIN="t11_$$_origin" python3 - "$T/ours.ndjson" "$T/pinned.json" "$T/hostile.json" >"$T/own.out" 2>"$T/own.err" <<'EOF'
import json, os, sys
sys.path.insert(0, os.environ["PGWAL_TOP"] + "/tests/lib")
from compare_wal2json import loads, Num     # numbers stay digits: compare them with strings

ev = [loads(l) for l in open(sys.argv[1], encoding="utf-8")]
pinned = json.load(open(sys.argv[2]))
hostile = json.load(open(sys.argv[3]))
out = []
def check(name, cond, diag=""):
    print(("PASS " if cond else "FAIL ") + name)
    if not cond and diag:
        print("# " + str(diag)[:600].replace("\n", "\\n"))

def changes(table, op=None):
    return [e for e in ev if e.get("table") == table and (op is None or e["op"] == op)]

def vals(e):
    return [v for r in (e.get("after"), e.get("before")) if r for v in r.values()]

# pinned session settings, whatever the database's defaults
p = changes("pinned", "insert")
check("pinned: one insert into pinned", len(p) == 1, p)
if p:
    a = p[0]["after"]
    for col in ("f8", "f4", "ts", "tsz", "d", "iv", "by"):
        check("pinned: %s differs between the pinned and the hostile session (sanity)" % col,
              pinned[col] != hostile[col], (pinned[col], hostile[col]))
        check("pinned: %s printed in the pinned form %r" % (col, pinned[col]), str(a.get(col)) == pinned[col],
              "got %r, hostile form %r" % (a.get(col), hostile[col]))
    check("pinned: float8 is a JSON number", isinstance(a.get("f8"), Num), a.get("f8"))

# rolled-back work is absent, non-transactional messages survive their rollback
texts = json.dumps([vals(e) for e in ev if e["op"] in ("insert", "update", "delete")])
check("rollback: nothing of the rolled-back transaction", "rolled back" not in texts and "never" not in texts)
check("rollback: nothing of a rolled-back large transaction or subtransaction",
      "aborted" not in texts)
check("two-phase: the committed prepared transaction is there, the rolled-back one is not",
      "prepared then committed" in texts and "prepared then rolled back" not in texts)
b = changes("bulk")
check("large transaction: 1500 inserts, 500 updates, 100 deletes, in order",
      [e["op"] for e in b] == ["insert"] * 1500 + ["update"] * 500 + ["delete"] * 100,
      {op: sum(1 for e in b if e["op"] == op) for op in ("insert", "update", "delete")})
check("large transaction: one transaction, seq 1..2100",
      len({e["commit_lsn"] for e in b}) == 1 and [e["seq"] for e in b] == [str(k) for k in range(1, 2101)])
ids = [e["after"]["id"] for e in changes("items", "insert")]
check("savepoint: rows before and after the savepoint are there", "910" in ids and "912" in ids, ids)
check("savepoint: the row inserted after the savepoint and rolled back to it is not", "911" not in ids, ids)
dels = [e["before"] for e in changes("items", "delete")]
check("savepoint: the delete rolled back to the savepoint is not there", {"id": "4"} not in dels, dels)
msgs = [e for e in ev if e["op"] == "message"]
contents = [m.get("content") for m in msgs]
check("messages: the non-transactional one of a rolled-back transaction is there",
      "non-transactional in a rolled back transaction" in contents, contents)
check("messages: the transactional one of a rolled-back transaction is not",
      "transactional in a rolled back transaction" not in contents, contents)
check("messages: text content exact (quotes, backslash, newline, unicode)",
      'transactional "quoted" \\ back\nnewline é😀' in contents, contents)
nt = [m for m in msgs if m.get("transactional") is False]
check("messages: non-transactional ones have xid and ts null, no seq",
      nt and all(m.get("xid") is None and m.get("ts") is None and "seq" not in m for m in nt), nt)
bm = [m for m in msgs if m.get("prefix") == "pgwal-bin"]
check("messages: non-UTF-8 content is kept exactly (content_hex)",
      len(bm) == 1 and bm[0].get("content_hex") == "\\x00ff80c3", bm)

# unchanged TOAST under the default replica identity
tu = changes("toasty", "update")
check("toast: three updates of toasty", len(tu) == 3, len(tu))
if len(tu) == 3:
    check("toast: update not touching big lists it as unchanged", tu[0]["unchanged"] == ["big"], tu[0]["unchanged"])
    check("toast: ... and leaves it out of after", "big" not in tu[0]["after"], list(tu[0]["after"]))
    check("toast: ... the columns that were sent are there", tu[0]["after"].get("small") == "2" and
          tu[0]["after"].get("big2") == "small2", tu[0]["after"])
    check("toast: second update (big2 changed) still lists big", tu[1]["unchanged"] == ["big"], tu[1]["unchanged"])
    check("toast: update that changes big sends it whole", tu[2]["unchanged"] == [] and
          len(tu[2]["after"].get("big", "")) == 2000 * 32 + 4, (tu[2]["unchanged"], len(tu[2]["after"].get("big", ""))))
    check("toast: before is null for updates not touching the key", all(u["before"] is None for u in tu))
ru = changes("rif", "update")
if ru:
    check("FULL: the old row carries the TOASTed value whole", len((ru[0]["before"] or {}).get("big", "")) == 32000,
          ru[0]["before"] and list(ru[0]["before"]))
    check("FULL: ... the new row lists it as unchanged", ru[0]["unchanged"] == ["big"] and "big" not in ru[0]["after"],
          ru[0])
    check("FULL: key is the primary key", ru[0]["key"] == {"id": "1"}, ru[0]["key"])
    check("FULL: a primary key change: key from the new row, before the old row",
          len(ru) > 1 and ru[1]["key"] == {"id": "3"} and (ru[1]["before"] or {}).get("id") == "2", ru[1:])
rk = changes("rifnk")
check("FULL without a primary key: key is null", rk and all(e["key"] is None for e in rk), [e["key"] for e in rk])
check("FULL without a primary key: deletes of duplicate rows both arrive", len(changes("rifnk", "delete")) == 2)

# a primary key change under the default replica identity
pk = [e for e in changes("items", "update") if e["key"] == {"id": "100"} and e["before"] is not None]
ia = [e for e in ev if e.get("table") == "items" and e["op"] == "insert" and e["after"]["id"] in ("940", "941", "942")]
check("interleaved: B (committed first) comes before A, A's two rows together",
      [e["after"]["id"] for e in ia] == ["942", "940", "941"] and ia[1]["commit_lsn"] == ia[2]["commit_lsn"]
      and ia[0]["commit_lsn"] < ia[1]["commit_lsn"] if len(ia) == 3 else False, [e["after"]["id"] for e in ia])
check('identifiers: table with tab, newline and backslash in its name',
      len(changes("ctl\ttab\nnl\\bs")) == 2 and 'c"ol\r' in (changes("ctl\ttab\nnl\\bs") or [{}])[0].get("after", {}),
      [e.get("table") for e in ev if "ctl" in (e.get("table") or "")])
tk = changes("toastkey")
check("toasted key: every event has the key",
      len(tk) == 4 and all(isinstance(e["key"], dict) and len(e["key"].get("k", "")) >= 2400 for e in tk),
      [(e["op"], e["key"] if e["key"] is None else {k: len(v) for k, v in e["key"].items()}, e["unchanged"]) for e in tk])
check("renamed table: events after the rename carry the new name",
      [e["after"]["id"] for e in changes("evolved")] == ["5"], changes("evolved"))
# domains map like their base type (pgwal-events.7)
t1 = [e["after"] for e in changes("types", "insert") if e["after"]["id"] == "1"]
check("domains: a domain over int4 prints a JSON number",
      t1 and isinstance(t1[0]["c_domain"], Num) and t1[0]["c_domain"] == "5", t1 and t1[0]["c_domain"])
check("domains: a domain over text prints a string",
      t1 and not isinstance(t1[0]["c_domain_text"], Num) and t1[0]["c_domain_text"] == "x@y.z", t1 and t1[0]["c_domain_text"])
da = [e["after"]["da"] for e in changes("domarr", "insert")]
check("domains: a domain over int4[] prints an array of numbers",
      da[:1] == [["1", None, "3"]] and all(isinstance(x, Num) for x in da[0] if x is not None), da)
og = [e for e in ev if e.get("origin") is not None]
check("origin: the transaction with a replication origin carries it, and only that one",
      [(e["op"], e["origin"]) for e in og] == [("begin", os.environ["ORIGIN"]), ("insert", os.environ["ORIGIN"]),
                                               ("commit", os.environ["ORIGIN"])]
      or [(e["op"], e["origin"]) for e in og] == [("insert", os.environ["ORIGIN"]), ("commit", os.environ["ORIGIN"])],
      [(e["op"], e.get("origin")) for e in og])
rc_ = changes("recreated")
check("recreated table: each event has the columns of its table at the time",
      [sorted(e["after"]) for e in rc_] == [["a", "id"], ["b", "c", "id"]], [e["after"] for e in rc_])
check("generated columns: not in after (PostgreSQL 15 does not publish them)",
      changes("gen") and all("dbl" not in (e["after"] or {}) for e in changes("gen")), changes("gen"))
check("pk change: key is the new key, before the old key", len(pk) == 1 and pk[0]["before"] == {"id": "1"},
      changes("items", "update")[:2])

# identifiers
w = changes('we"ird tab le')
check('identifiers: table "we""ird tab le" under its exact name', len(w) == 4, len(w))
check('identifiers: column "Spaced Col" and quo"te exact',
      w and "Spaced Col" in w[0]["after"] and 'quo"te' in w[0]["after"] and "ünï" in w[0]["after"], w[:1])
m = changes("MixedCase")
check('identifiers: schema "Sch ema"', len(m) == 3 and all(e["schema"] == "Sch ema" for e in m), m[:1])

# partitions: publish_via_partition_root is false
check("partitions: no event under the parent's name", not changes("meas"))
check("partitions: changes under the partitions' names",
      len(changes("meas_paris")) == 3 and len(changes("meas_oslo")) == 3,
      (len(changes("meas_paris")), len(changes("meas_oslo"))))

# truncate
tr = [e for e in ev if e["op"] == "truncate"]
check("truncate: three TRUNCATE statements, three events", len(tr) == 3, tr)
if len(tr) == 3:
    t2 = sorted(t["table"] for t in tr[2]["tables"])
    check("truncate: a partitioned table is truncated as its partitions", t2 == ["meas_oslo", "meas_paris"], t2)
    t0 = sorted(t["table"] for t in tr[0]["tables"])
    check("truncate: CASCADE lists the child table", t0 == ["tchild", "tparent"], t0)
    check("truncate: cascade and restart_identity flags", tr[0]["cascade"] is True and tr[0]["restart_identity"] is True,
          tr[0])
    t1 = sorted(t["table"] for t in tr[1]["tables"])
    check("truncate: one statement on two tables is one event", t1 == ["items", "riu"], t1)
    check("truncate: no flags when none given", tr[1]["cascade"] is False and tr[1]["restart_identity"] is False, tr[1])

# ALTER TABLE mid-stream
ev_ = changes("evolve")
cols = [sorted((e["after"] or e["before"] or {}).keys()) for e in ev_]
check("alter: columns follow ADD and DROP COLUMN",
      cols == [["a", "b", "id"], ["a", "b", "c", "id"], ["a", "b", "c", "id"], ["b", "c", "id"], ["b", "c", "id"],
               ["b", "c", "id"], ["id"]], cols)
check("alter: the added column's default and a later update", ev_[1]["after"].get("c") == ["1"] if len(ev_) > 1 else False)
big = [e for e in ev_ if e["op"] == "insert" and e["after"].get("id") == "4"]
check("alter: after ALTER TYPE bigint, the value is the full int8",
      big and isinstance(big[0]["after"]["b"], Num) and big[0]["after"]["b"] == "9223372036854775807", big)

# COPY and multi-row insert
vs = {e["after"]["id"]: e["after"]["v"] for e in changes("items", "insert")}
check("copy: rows with escapes arrive decoded",
      vs.get("4") == "tab\there" and vs.get("5") == "back\\slash" and vs.get("6") == "nl\nin copy" and vs.get("7") == "ünï😀",
      {k: vs.get(k) for k in ("4", "5", "6", "7")})
mr = [e for e in changes("items", "insert") if e["after"]["id"] in ("1", "2", "3")]
check("multi-row insert: three events in one transaction, seq 1..3",
      len(mr) == 3 and len({e["commit_lsn"] for e in mr}) == 1 and [e["seq"] for e in mr] == ["1", "2", "3"],
      [(e["commit_lsn"], e["seq"]) for e in mr])
EOF
rc=$?
set -e
while IFS= read -r line; do
	case $line in
	PASS\ *) ok 0 "${line#PASS }" ;;
	FAIL\ *) ok 1 "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done <"$T/own.out"
ok "$rc" "the contract checks ran to the end"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/own.err" | tail -n 10

done_testing
