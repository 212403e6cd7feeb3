#!/bin/bash
# pgwal-read --backfill against a real PostgreSQL: a 100k-row table of
# awkward values compared with what psql's \copy gives for the same rows,
# filters, keys, publication tables, one consistent snapshot across tables
# under concurrent writes, and errors.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db="t21_$$"
bgpid=""
cleanup() {
	if [ -n "$bgpid" ]; then kill -TERM "$bgpid" 2>/dev/null || true; wait "$bgpid" 2>/dev/null || true; fi
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"
# psql's own output with the settings pgwal-read pins, for the oracle
export PGTZ=UTC PGDATESTYLE=ISO PGOPTIONS="-c extra_float_digits=3 -c bytea_output=hex -c IntervalStyle=postgres"

run_read() {
	set +e
	timeout 120 "$PGWAL_READ" -d "dbname=$db" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	err=$(cat "$T/err")
}
count_op() { grep -c "\"op\":\"$1\"" "$2" || true; }

sql <<'EOF'
create table big(id int primary key, v text, n numeric, f float8, b bool, ts timestamptz,
	j jsonb, arr text[], by bytea, iv interval);
insert into big
select g,
	case g % 7 when 0 then null when 1 then e'tab\there' when 2 then e'new\nline\\back' when 3 then 'ünï €'
		when 4 then e'\x01ctl' when 5 then '' else 'row ' || g end,
	case when g % 5 = 0 then null else (g * 1.25)::numeric(20, 3) end,
	case g % 4 when 0 then 'NaN' when 1 then g / 3.0 when 2 then -1e-300 else 1e300 end,
	g % 3 = 0,
	timestamptz '2026-01-01 00:00:00+05' + g * interval '1 minute 1.5 second',
	case when g % 6 = 0 then null else jsonb_build_object('g', g, 's', e'q"\\', 'a', jsonb_build_array(1, null)) end,
	case when g % 8 = 0 then null else array['a', null, e'b,c', e'd"e'] end,
	case when g % 9 = 0 then null else decode(lpad(to_hex(g), 8, '0'), 'hex') end,
	g * interval '1 second'
from generate_series(1, 100000) g;
create publication pgwal for table big;
EOF

# ---- options -------------------------------------------------------------
run_read --backfill -S x
is "$rc" 2 "--backfill with a slot exits 2"
run_read --backfill --where "id = 1"
is "$rc" 2 "--where without --table exits 2"
like "$err" '--where needs a --table' "... saying so"
run_read --backfill --table big --where "id = 1" --where "id = 2"
is "$rc" 2 "two --where for one table exits 2"
run_read -S x --table big --where "id = 1" --create-publication
is "$rc" 2 "--where without --backfill exits 2"

# ---- 100k rows against \copy ---------------------------------------------
run_read --backfill --table big -v
is "$rc" 0 "--backfill exits 0"
is "$(count_op read "$T/out")" 100000 "one read event per row"
is "$(wc -l <"$T/out")" 100000 "... and nothing else on stdout (no commit line without a slot)"
like "$err" 'public\.big: 100000 rows read, [0-9]+ rows/s' "-v reports table, rows and rows/s on stderr"
psql -X -v ON_ERROR_STOP=1 -qc "\\copy (select id, v, n, f, b, ts, j, array_to_json(arr), by, iv from big) to '$T/big.copy'"
is "$(wc -l <"$T/big.copy")" 100000 "oracle: \\copy has 100000 rows"
python3 - "$T/out" "$T/big.copy" >"$T/cmp" <<'EOF'
import json, re, sys

def unescape(f):
    if f == r'\N':
        return None
    m = {'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '\\': '\\'}
    return re.sub(r'\\(.)', lambda x: m.get(x.group(1), x.group(1)), f)

cols = ['id', 'v', 'n', 'f', 'b', 'ts', 'j', 'arr', 'by', 'iv']
want = {}
for line in open(sys.argv[2], encoding='utf-8'):
    fs = [unescape(f) for f in line.rstrip('\n').split('\t')]
    want[fs[0]] = fs
bad = 0
seqs = []
for line in open(sys.argv[1], encoding='utf-8'):
    e = json.loads(line, parse_int=str, parse_float=str)
    a = e['after']
    seqs.append(int(e['seq']))
    w = want.pop(a['id'], None)
    if w is None:
        print('unexpected id', a['id']); bad += 1; continue
    if list(a) != cols or e['key'] != {'id': a['id']} or e['schema'] != 'public' or e['table'] != 'big' \
            or e['before'] is not None or e['unchanged'] != [] or e['lsn'] is not None:
        print('bad shape', line); bad += 1; continue
    got = []
    for c in cols:
        v = a[c]
        if c in ('j', 'arr'):
            got.append(v)
        elif v is True or v is False:
            got.append('t' if v else 'f')
        else:
            got.append(v)
    w = [json.loads(x, parse_int=str, parse_float=str) if i in (6, 7) and x is not None else x
         for i, x in enumerate(w)]
    if got != w:
        bad += 1
        if bad < 5:
            print('differs:', got, w)
print('missing', len(want), 'bad', bad, 'seq_ok', seqs == list(range(1, len(seqs) + 1)))
EOF
is "$(tail -n 1 "$T/cmp")" "missing 0 bad 0 seq_ok True" "every row equals \\copy's, value by value; seq counts 1..N"
sed 's/^/#   /' "$T/cmp" | head -n 5
like "$(grep -m1 '"id":4,' "$T/out")" '"f":"NaN"' "NaN is a string"
like "$(grep -m1 '"id":6,' "$T/out")" '"n":7\.500,' "numeric keeps its digits (7.500)"
like "$(grep -m1 '"id":1,' "$T/out")" '"b":false,"ts":"2025-12-31 19:01:01.5\+00"' "bool and timestamptz (UTC) as pgoutput prints them"
like "$(grep -m1 '"id":1,' "$T/out")" '"arr":\["a",null,"b,c","d\\"e"\]' "text[] as a JSON array with null"

# the same rows as a stream of changes: an insert event and a read event
# of the same row are identical apart from op, positions and seq
sql -c "create table cmp(id int primary key, v text, n numeric, f float8, b bool, ts timestamptz,
	j jsonb, arr text[], by bytea, iv interval)"
sql -c "create publication cmp_pub for table cmp"
sql -c "select pg_create_logical_replication_slot('t21_$$_s', 'pgoutput')" >/dev/null
sql -c "insert into cmp select * from big where id <= 60"
end=$(sql -c "select pg_current_wal_lsn()")
run_read -S "t21_$$_s" --publication cmp_pub -E "$end" --no-loop
sql -c "select pg_drop_replication_slot('t21_$$_s')" >/dev/null
grep '"op":"insert"' "$T/out" | sed 's/.*"key"://' >"$T/ins"
run_read --backfill --table cmp
sed 's/.*"key"://' "$T/out" >"$T/rd"
is "$(wc -l <"$T/rd")" 60 "backfill of the copy: 60 rows"
is "$(md5sum <"$T/rd")" "$(md5sum <"$T/ins")" "read events print every value exactly as the insert events of the same rows"

# ---- filters, keys, several tables, the publication -----------------------
run_read --backfill --table big --where "id % 1000 = 0 and v is not null"
is "$(count_op read "$T/out")" "$(sql -c "select count(*) from big where id % 1000 = 0 and v is not null")" "--where filters the table"
# an oracle for keys: the same rows inserted under a slot
sql -c "create publication all_pub for all tables"
sql -c "select pg_create_logical_replication_slot('t21_$$_k', 'pgoutput')" >/dev/null
sql <<'EOF'
create table nopk(a int, b text);
insert into nopk values (1, 'x'), (2, null);
create table full_id(k1 int, k2 text, v int, primary key (k2, k1));
alter table full_id replica identity full;
insert into full_id values (1, 'a', 10);
create table uidx(id int not null, code text not null, v int);
create unique index uidx_code on uidx(code);
alter table uidx replica identity using index uidx_code;
insert into uidx values (1, 'c1', 5);
create table uidx_pk(b int, a int, code text not null, primary key (a, b));
create unique index uidx_pk_code on uidx_pk(code);
alter table uidx_pk replica identity using index uidx_pk_code;
insert into uidx_pk values (1, 2, 'c2');
create table dflt(b int, a int, primary key (a, b));
insert into dflt values (3, 4);
create domain posint as int check (value > 0);
create domain posint2 as posint;
create domain ints as int[];
create domain jdom as jsonb;
create domain tdom as text;
create type mood as enum ('ok', 'sad');
create type pair as (x int, y text);
create table dom(id posint2 primary key, a posint, b ints, c jdom, d tdom, e mood[], f pair, g pair[], h numeric[]);
insert into dom values (5, 6, '{1,2}', '{"k": [true]}', 'txt', '{ok,sad}', '(1,"a b")', array['(2,x)'::pair], '{1.50,NaN}');
create table gen(id int primary key, x int, y int generated always as (x * 2) stored);
insert into gen(id, x) values (1, 21);
create schema "Odd ""s""";
create table "Odd ""s"""."Tab le"("I d" int primary key);
insert into "Odd ""s"""."Tab le" values (42);
EOF
end=$(sql -c "select pg_current_wal_lsn()")
run_read -S "t21_$$_k" --publication all_pub -E "$end" --no-loop
sql -c "select pg_drop_replication_slot('t21_$$_k')" >/dev/null
grep '"op":"insert"' "$T/out" | sed 's/.*,"schema":/"schema":/' | sort >"$T/keys.ins"
run_read --backfill --table nopk --table full_id --table uidx --table uidx_pk --table dflt --table dom --table gen --table '"Odd ""s"""."Tab le"'
is "$rc" 0 "several tables exit 0"
sed 's/.*,"schema":/"schema":/' "$T/out" | sort >"$T/keys.rd"
is "$(wc -l <"$T/keys.ins")" 9 "oracle: 9 inserts streamed"
is "$(cat "$T/keys.rd")" "$(cat "$T/keys.ins")" "keys and rows of read events are those of the inserts, for every kind of replica identity"
like "$(grep '"table":"nopk"' "$T/out" | head -n 1)" '"key":null' "a table without a primary key has key null"
like "$(grep '"table":"full_id"' "$T/out")" '"key":\{"k1":1,"k2":"a"\}' "REPLICA IDENTITY FULL: the primary key, in table order"
like "$(grep '"table":"uidx"' "$T/out")" '"key":\{"code":"c1"\}' "REPLICA IDENTITY USING INDEX without a primary key: the index columns"
like "$(grep '"table":"uidx_pk"' "$T/out")" '"key":\{"b":1,"a":2\}' "REPLICA IDENTITY USING INDEX with a primary key: the primary key, in table order"
like "$(grep '"table":"dflt"' "$T/out")" '"key":\{"b":3,"a":4\}' "default identity: the primary key in table order, as pgoutput flags it"
like "$(grep '"table":"dom"' "$T/out")" '"key":\{"id":5\},"before":null,"after":\{"id":5,"a":6,"b":\[1,2\],"c":\{"k":\[true\]\},"d":"txt","e":\["ok","sad"\]' "domains map like their base types, enum arrays are arrays"
like "$(grep '"table":"gen"' "$T/out")" '"after":\{"id":1,"x":21\}' "generated columns are left out, as pgoutput does"
like "$(grep 'Tab le' "$T/out")" '"schema":"Odd \\"s\\"","table":"Tab le","key":\{"I d":42\}' "odd names, quoted as SQL"
seqs=$(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["seq"]) for l in sys.stdin))' <"$T/out")
is "$seqs" "1 2 3 4 5 6 7 8 9" "seq counts across tables"

run_read --backfill --table nosuch
is "$rc" 1 "an unknown table exits 1"
like "$err" 'table "nosuch" does not exist' "... naming it"
run_read --backfill --table big --where "nosuchcol = 1"
is "$rc" 1 "a bad --where exits 1"
like "$err" 'nosuchcol' "... with the server's message"

# no --table: the publication's tables (with its row filter, 15+)
sql -c "create table pa(id int primary key); create table pb(id int primary key, hidden text, shown int)"
sql -c "insert into pa select generate_series(1, 10); insert into pb select g, 'h', g from generate_series(1, 10) g"
if [ "$(pg_major)" -ge 15 ]; then
	sql -c "create publication sub for table pa where (id > 7), pb (id, shown)"
	run_read --backfill --publication sub
	is "$rc" 0 "--backfill of a publication exits 0"
	is "$(grep -c '"table":"pa"' "$T/out")" 3 "the publication's row filter applies"
	like "$(grep -m1 '"table":"pb"' "$T/out")" '"after":\{"id":1,"shown":1\}' "the publication's column list applies"
else
	sql -c "create publication sub for table pa, pb"
	run_read --backfill --publication sub
	is "$rc" 0 "--backfill of a publication exits 0"
	is "$(grep -c '"table":"pa"' "$T/out")" 10 "the publication's tables (no row filters before 15)"
	skip "column lists and row filters came with PostgreSQL 15"
fi
run_read --backfill --publication nosuchpub
is "$rc" 10 "--backfill of a missing publication exits 10"

# ---- one snapshot across tables, under concurrent writes -----------------
# The writer moves rows from one table to the other in single transactions;
# a consistent read sees each id exactly once, in one table or the other.
sql -c "create table ma(id int primary key, pad text); create table mb(id int primary key, pad text)"
sql -c "insert into ma select g, repeat('p', 200) from generate_series(1, 100000) g"
(
	i=0
	while [ ! -f "$T/stop" ] && [ $i -lt 3000 ]; do
		i=$((i + 1))
		echo "begin; with m as (delete from ma where id = (select min(id) from ma) returning *) insert into mb select * from m; commit;"
	done | psql -X -q -d "$db" >/dev/null 2>&1
) &
bgpid=$!
for _ in $(seq 1 100); do [ "$(sql -c "select count(*) from mb")" -ge 20 ] && break; sleep 0.1; done
mb_before=$(sql -c "select count(*) from mb")
run_read --backfill --table ma --table mb
mb_after=$(sql -c "select count(*) from mb")
touch "$T/stop"
wait "$bgpid" || true
bgpid=""
is "$rc" 0 "backfill under concurrent writes exits 0"
python3 - "$T/out" >"$T/mv" <<'EOF'
import json, sys
seen = {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    seen.setdefault(e['after']['id'], []).append(e['table'])
dup = sum(1 for v in seen.values() if len(v) > 1)
print(len(seen), dup, sum(1 for v in seen.values() if v == ['mb']))
EOF
read -r nids ndup nmb <"$T/mv"
is "$nids $ndup" "100000 0" "every id once: the two tables were read in one snapshot"
ok "$([ "$mb_before" -le "$nmb" ] && [ "$nmb" -le "$mb_after" ] && [ "$mb_before" -lt "$mb_after" ] && echo 0 || echo 1)" \
	"... while rows were moving (mb: $mb_before before, $nmb read, $mb_after after)"

# ---- output errors ---------------------------------------------------------
set +e
timeout 60 "$PGWAL_READ" -d "dbname=$db" --backfill --table big 2>"$T/err" | head -n 1 >/dev/null
rc=${PIPESTATUS[0]}
set -e
is "$rc" 4 "a reader that goes away makes --backfill exit 4"
like "$(cat "$T/err")" 'broken pipe' "... saying so"

done_testing
