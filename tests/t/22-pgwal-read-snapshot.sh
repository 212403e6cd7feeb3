#!/bin/bash
# pgwal-read --create-slot --snapshot against a real PostgreSQL: the initial
# snapshot taken while a writer inserts, updates and deletes, then the
# changes streamed from the slot; replaying the read events and then the
# changes by key must rebuild the table exactly (no gap, no overlap).
# Then what happens to an interrupted or unacknowledged snapshot.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db="t22_$$"
pfx="t22_$$"
bgpids=""
cleanup() {
	for p in $bgpids; do kill -KILL "$p" 2>/dev/null || true; done
	for p in $bgpids; do wait "$p" 2>/dev/null || true; done
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like '${pfx}%' and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"
slot_col() { sql -c "select $2 from pg_replication_slots where slot_name = '$1'"; }
count_op() { grep -c "\"op\":\"$1\"" "$2" || true; }
run_read() {
	set +e
	timeout 120 "$PGWAL_READ" -d "dbname=$db" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	err=$(cat "$T/err")
}

sql <<'EOF'
create table s(id int primary key, v int not null, pad text);
insert into s select g, 0, repeat('x', 100) from generate_series(1, 200000) g;
create table other(k text primary key, n int);
insert into other select 'k' || g, g from generate_series(1, 1000) g;
create publication pgwal for all tables;
EOF

run_read -S "${pfx}_x" --snapshot
is "$rc" 2 "--snapshot without --create-slot exits 2"
like "$err" '--snapshot needs --create-slot' "... saying so"

# ---- the snapshot under concurrent writes ---------------------------------
# The writer: small transactions that insert new ids, update and delete
# existing ones, in both tables, until told to stop.
(
	i=0
	while [ ! -f "$T/stop" ] && [ $i -lt 20000 ]; do
		i=$((i + 1))
		echo "begin;"
		echo "insert into s values ($((1000000 + i)), $i, 'new');"
		echo "update s set v = v + 1 where id = $(( (i * 7919) % 200000 + 1 ));"
		echo "delete from s where id = $(( (i * 104729) % 200000 + 1 ));"
		echo "update other set n = n + 1 where k = 'k$(( i % 1000 + 1 ))';"
		echo "commit;"
	done | psql -X -q -d "$db" >/dev/null 2>&1
) &
writer=$!
bgpids="$writer"
for _ in $(seq 1 100); do
	[ "$(sql -c "select count(*) from s where id > 1000000")" -ge 50 ] && break
	sleep 0.1
done

run_read -S "${pfx}_a" --create-slot --snapshot --start --checkpoint "$T/a.ckpt" --catch-up -v
cp "$T/out" "$T/run1"
cp "$T/err" "$T/err1"
is "$rc" 0 "--create-slot --snapshot --start --catch-up exits 0"
sleep 1
touch "$T/stop"
wait "$writer" || true
bgpids=""

cp=$(sed -n '1s/.*"op":"begin","lsn":"\([^"]*\)".*/\1/p' "$T/run1")
like "$cp" '^[0-9A-F]+/[0-9A-F]+$' "the snapshot starts with a begin line at the consistent point"
like "$(sed -n 1p "$T/run1")" '^\{"op":"begin","lsn":"[^"]+","xid":null,"ts":null,"commit_lsn":"[^"]+","snapshot":true\}$' "... shaped as documented"
nread=$(count_op read "$T/run1")
snapcommit=$(grep -m1 '^{"op":"commit".*"snapshot":true}$' "$T/run1" || true)
is "$snapcommit" "{\"op\":\"commit\",\"lsn\":\"$cp\",\"end_lsn\":\"$cp\",\"xid\":null,\"ts\":null,\"events\":$nread,\"snapshot\":true}" \
	"a commit line at the consistent point counts the read events"
like "$err" 'public\.s: [0-9]+ rows read' "progress names the table with -v"
is "$(sql -c "select '$(head -n 1 "$T/a.ckpt")'::pg_lsn >= '$cp'::pg_lsn")" t "--checkpoint is at or past the consistent point"
ok "$([ ! -e "$T/a.ckpt.snapshot" ] && echo 0 || echo 1)" "... and the snapshot marker is gone"
lastread=$(grep -n '"op":"read"' "$T/run1" | tail -n 1 | cut -d: -f1)
snapline=$(grep -n '"snapshot":true}$' "$T/run1" | tail -n 1 | cut -d: -f1)
is "$((lastread + 1))" "$snapline" "every read event comes before the snapshot's commit line"
like "$(grep -m1 '"op":"read"' "$T/run1")" "^\\{\"op\":\"read\",\"lsn\":\"$cp\",\"xid\":null,\"ts\":null,\"commit_lsn\":\"$cp\",\"seq\":1," \
	"read events carry the consistent point and seq"

like "$err" 'snapshot done: [0-9]+ rows; streaming from' "with --start, streaming follows the snapshot in the same run"
ok "$([ "$(grep -c '"op":"commit"' "$T/run1")" -gt 1 ] && echo 0 || echo 1)" "... and transactions after the snapshot's commit line are in the same output"

# the rest of the writer's changes
run_read -S "${pfx}_a" --checkpoint "$T/a.ckpt" --catch-up
cp "$T/out" "$T/run2"
cp "$T/err" "$T/err2"
is "$rc" 0 "streaming on from the checkpoint exits 0"

sql -c "select id, v, pad from s" >"$T/s.final"
sql -c "select k, n from other" >"$T/other.final"
python3 - "$T/run1" "$T/run2" "$T/s.final" "$T/other.final" "$cp" >"$T/replay" <<'EOF'
import json, sys
state = {'s': {}, 'other': {}}
keyof = {'s': lambda r: r['id'], 'other': lambda r: r['k']}
problems = []
nread = nchange = writer_rows_in_snapshot = 0
commit_lsns = []
def lsn(x):
    a, b = x.split('/')
    return (int(a, 16) << 32) | int(b, 16)
where = {}  # (table, key) -> the file and line of its last event
def at(f, n, e):
    return '%s:%d %s' % (f.rsplit('/', 1)[-1], n, e['op'])
for f in sys.argv[1:3]:
    for n, line in enumerate(open(f), 1):
        e = json.loads(line)
        op = e['op']
        if op in ('begin', 'commit'):
            if op == 'commit' and not e.get('snapshot'):
                commit_lsns.append(e['lsn'])
            continue
        t = state[e['table']]
        if op == 'read':
            nread += 1
            k = keyof[e['table']](e['after'])
            if k in t:
                problems.append('read twice: %r (%s after %s)' % (k, at(f, n, e), where.get((e['table'], k))))
            t[k] = e['after']
            where[(e['table'], k)] = at(f, n, e)
            if e['table'] == 's' and k > 1000000:
                writer_rows_in_snapshot += 1
            continue
        nchange += 1
        k = e['key'][list(e['key'])[0]]
        last = where.get((e['table'], k))
        if op == 'insert':
            if k in t:
                problems.append('overlap: insert of existing %r (%s after %s)' % (k, at(f, n, e), last))
            t[k] = e['after']
        elif op == 'update':
            if k not in t:
                problems.append('gap: update of missing %r (%s after %s)' % (k, at(f, n, e), last))
            t[k] = e['after']
        elif op == 'delete':
            if k not in t:
                problems.append('gap: delete of missing %r (%s after %s)' % (k, at(f, n, e), last))
            t.pop(k, None)
        where[(e['table'], k)] = at(f, n, e)
want_s = {}
for l in open(sys.argv[3]):
    i, v, pad = l.rstrip('\n').split('|')
    want_s[int(i)] = {'id': int(i), 'v': int(v), 'pad': pad}
want_o = {}
for l in open(sys.argv[4]):
    k, n = l.rstrip('\n').split('|')
    want_o[k] = {'k': k, 'n': int(n)}
cp = lsn(sys.argv[5])
early = sum(1 for c in commit_lsns if lsn(c) < cp)
print('problems', len(problems), *problems[:3])
print('s_equal', state['s'] == want_s, len(state['s']), len(want_s))
print('other_equal', state['other'] == want_o)
print('early_commits', early)
print('counts', nread, nchange, writer_rows_in_snapshot)
EOF
sed 's/^/#   /' "$T/replay"
problems=$(sed -n 1p "$T/replay")
is "$problems" "problems 0" "replay: no insert of a row already read, no update or delete of a missing row"
if [ "$problems" != "problems 0" ]; then
	# where the repeated events came from (a reconnect repeats a partial
	# transaction); on stderr too, which prove shows without -v
	{
		echo "# replay: $problems"
		grep -hiE 'warning|reconnect|lost|error' "$T/err1" "$T/err2" | head -n 20 | sed 's/^/#   stderr: /'
	} | tee /dev/stderr
fi
like "$(sed -n 2p "$T/replay")" '^s_equal True ' "replaying read events then changes rebuilds table s exactly"
is "$(sed -n 3p "$T/replay")" "other_equal True" "... and table other"
is "$(sed -n 4p "$T/replay")" "early_commits 0" "no streamed transaction commits before the consistent point"
read -r _ nread nchange nwriter <<<"$(sed -n 5p "$T/replay")"
ok "$([ "$nwriter" -gt 0 ] && echo 0 || echo 1)" "the snapshot holds rows the writer inserted before it ($nwriter)"
ok "$([ "$nchange" -gt 0 ] && echo 0 || echo 1)" "changes made during and after the snapshot came from the slot ($nchange)"

# ---- refusals ---------------------------------------------------------------
run_read -S "${pfx}_a" --create-slot --snapshot
is "$rc" 1 "--snapshot on an existing slot exits 1"
like "$err" 'already exists' "... saying so"
run_read -S "${pfx}_a" --create-slot --snapshot --if-not-exists --start --checkpoint "$T/a.ckpt" --catch-up
is "$rc" 0 "--snapshot --if-not-exists on an existing slot streams without a snapshot"
is "$(count_op read "$T/out")" 0 "... and prints no read event"

echo "0/1" >"$T/stale.ack"
run_read -S "${pfx}_b" --create-slot --snapshot --ack-file "$T/stale.ack"
is "$rc" 5 "--snapshot with an existing --ack-file exits 5"
like "$err" 'stale\.ack.*exists' "... naming the file"
is "$(sql -c "select count(*) from pg_replication_slots where slot_name = '${pfx}_b'")" 0 "... before creating the slot"
rm "$T/stale.ack"; echo "0/1" >"$T/stale.ack.confirmed"
run_read -S "${pfx}_b" --create-slot --snapshot --ack-file "$T/stale.ack"
is "$rc" 5 "... also when only FILE.confirmed exists"
like "$err" 'stale\.ack\.confirmed.*exists' "... naming that file"

# ---- a snapshot nobody acknowledged --------------------------------------------
run_read -S "${pfx}_b" --create-slot --snapshot --start --ack-file "$T/b.ack" --catch-up
is "$rc" 0 "--snapshot --ack-file exits 0"
bcp=$(sed -n '1s/.*"op":"begin","lsn":"\([^"]*\)".*/\1/p' "$T/out")
ok "$([ -f "$T/b.ack.snapshot" ] && echo 0 || echo 1)" "a marker file stays until the snapshot is acknowledged"
run_read -S "${pfx}_b" --ack-file "$T/b.ack" --catch-up
is "$rc" 5 "a restart before the snapshot is acknowledged exits 5"
like "$err" "initial snapshot of slot \"${pfx}_b\" \\(consistent point $bcp\\) was begun but is not acknowledged" "... saying the snapshot is incomplete"
like "$err" 'hint: drop the slot' "... and what to do"
is "$(count_op insert "$T/out")" 0 "... streaming nothing"
run_read -S "${pfx}_x" --ack-file "$T/b.ack" --catch-up
is "$rc" 14 "the marker of another slot's snapshot is refused like its position files (exit 14)"
like "$err" "b\.ack\.snapshot\" belongs to slot \"${pfx}_b\"" "... naming the file and its slot"
echo "$bcp" >"$T/b.ack"
run_read -S "${pfx}_b" --ack-file "$T/b.ack" --catch-up
is "$rc" 0 "once the consistent point is acknowledged, a restart streams"
ok "$([ ! -e "$T/b.ack.snapshot" ] && echo 0 || echo 1)" "... and the marker is removed"

# ---- interrupted snapshots -------------------------------------------------------
# A reader that takes nothing for 2 s holds pgwal-read inside the snapshot.
slow_reader() {
	rm -f "$T/fifo"; mkfifo "$T/fifo"
	(exec 3<"$T/fifo"; sleep 2; cat <&3 >/dev/null) &
	reader=$!
}
slow_reader
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_c" --create-slot --snapshot --checkpoint "$T/c.ckpt" \
	>"$T/fifo" 2>"$T/err" &
pid=$!
bgpids="$pid $reader"
sleep 1
kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; wait "$reader"; set -e
bgpids=""
is "$rc" 1 "SIGTERM during the snapshot exits 1"
like "$(cat "$T/err")" 'snapshot is incomplete' "... saying the snapshot is incomplete"
is "$(sql -c "select count(*) from pg_replication_slots where slot_name = '${pfx}_c'")" 0 "... and the new slot is dropped again"
ok "$([ ! -e "$T/c.ckpt.snapshot" ] && ! [ -e "$T/c.ckpt" ] && echo 0 || echo 1)" "... with no marker or checkpoint left"

slow_reader
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_d" --create-slot --snapshot --checkpoint "$T/d.ckpt" \
	>"$T/fifo" 2>"$T/err" &
pid=$!
bgpids="$pid $reader"
sleep 1
kill -KILL "$pid"
set +e; { wait "$pid"; } 2>/dev/null; wait "$reader"; set -e
bgpids=""
is "$(sql -c "select count(*) from pg_replication_slots where slot_name = '${pfx}_d'")" 1 "after SIGKILL during the snapshot the slot remains"
run_read -S "${pfx}_d" --checkpoint "$T/d.ckpt" --catch-up
is "$rc" 5 "... and a restart exits 5"
like "$err" 'initial snapshot of slot .* was begun but is not acknowledged' "... saying the snapshot is incomplete"
run_read -S "${pfx}_d" --create-slot --snapshot --if-not-exists --start --checkpoint "$T/d.ckpt" --catch-up
is "$rc" 5 "... also with --create-slot --snapshot --if-not-exists"

done_testing
