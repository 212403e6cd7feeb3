#!/bin/bash
# pgwal-read against a real PostgreSQL: slot lifecycle (--create-slot,
# --if-not-exists, --drop-slot), the exit code and message of each error
# (missing slot 6, invalidated slot 7, busy slot 8, other plugin or database
# 9, missing publication 10, wal_level 11, no REPLICATION 12), publications
# (--create-publication, odd names, PG15 column lists and row filters,
# --no-messages), --endpos (boundaries, in a transaction, ahead of the WAL),
# --catch-up, SIGTERM and SIGINT, a slot recreated under pgwal-read, --no-loop,
# and output failures (closed pipe, full disk) that must confirm nothing.
# Positions are checked against wal2json (an independent decoder) and
# pg_replication_slots, never against pgwal-read's own earlier output.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db="t10_$$"
pfx="t10_$$"			# slot names are cluster-wide: prefix them
bgpids=""
cleanup() {
	for p in $bgpids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $bgpids; do wait "$p" 2>/dev/null || true; done
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like '${pfx}\_%' and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
	psql -Xq -d postgres -c "drop role if exists ${pfx}_norep" >/dev/null 2>&1 || true
	if [ -n "${side:-}" ] && [ -d "$side/pg" ]; then "$PGWAL_TOP/scripts/pg.sh" stop "$side" >/dev/null 2>&1 || true; fi
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"
sql -c "create table items(id int primary key, v text); create publication pgwal for all tables"

# run_read ARGS...: pgwal-read bounded in time; sets rc, out ($T/out), err ($T/err)
run_read() {
	set +e
	timeout 30 "$PGWAL_READ" -d "dbname=$db" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	err=$(tr '\n' ' ' <"$T/err")
}
slot_col() { sql -c "select $2 from pg_replication_slots where slot_name = '$1'"; }
# slots are few (max_replication_slots 20 in the rig, shared by all tests): drop them when done
drop_slot() { for s in "$@"; do sql -c "select pg_drop_replication_slot('$s')" >/dev/null 2>&1 || true; done; }
count_op() { grep -c "\"op\":\"$1\"" "$2" || true; }

# ---- --create-slot -------------------------------------------------------
run_read -S "${pfx}_a" --create-slot
is "$rc" 0 "--create-slot exits 0"
is "$(slot_col "${pfx}_a" plugin)" pgoutput "--create-slot made a pgoutput slot"
is "$(slot_col "${pfx}_a" database)" "$db" "the slot belongs to the database connected to"
is "$(slot_col "${pfx}_a" active)" f "--create-slot alone does not leave the slot active"
is "$(wc -c <"$T/out")" 0 "--create-slot prints nothing on stdout"

run_read -S "${pfx}_a" --create-slot --if-not-exists
is "$rc" 0 "--create-slot --if-not-exists on an existing slot exits 0"
run_read -S "${pfx}_a" --create-slot --if-not-exists
is "$rc" 0 "--create-slot --if-not-exists again exits 0"
is "$(sql -c "select count(*) from pg_replication_slots where slot_name = '${pfx}_a'")" 1 "still one slot"

run_read -S "${pfx}_a" --create-slot
isnt0=$([ "$rc" != 0 ] && echo 0 || echo 1)
ok "$isnt0" "--create-slot on an existing slot without --if-not-exists fails (rc=$rc)"
like "$err" "${pfx}_a" "... and the message names the slot"

# ---- --drop-slot ---------------------------------------------------------
run_read -S "${pfx}_a" --drop-slot
is "$rc" 0 "--drop-slot exits 0"
is "$(sql -c "select count(*) from pg_replication_slots where slot_name = '${pfx}_a'")" 0 "--drop-slot dropped it"
run_read -S "${pfx}_a" --drop-slot
is "$rc" 6 "--drop-slot on a missing slot exits 6"
like "$err" "${pfx}_a" "... and names the slot"

# ---- a missing slot ------------------------------------------------------
run_read -S "${pfx}_missing" --no-loop --catch-up
is "$rc" 6 "streaming a missing slot exits 6"
like "$err" "\"?${pfx}_missing\"? does not exist" "... with a message naming it"
is "$(sed -n '1p' "$T/err" | grep -c '^pgwal-read' || true)" 1 "... the first stderr line starts with the program name"

# ---- a slot of another plugin -------------------------------------------
sql -c "select pg_create_logical_replication_slot('${pfx}_td', 'test_decoding')" >/dev/null
run_read -S "${pfx}_td" --no-loop --catch-up
is "$rc" 9 "a test_decoding slot exits 9"
like "$err" "${pfx}_td.*test_decoding|test_decoding.*${pfx}_td" "... naming the slot and its plugin"
run_read -S "${pfx}_td" --create-slot --if-not-exists
is "$rc" 9 "--create-slot --if-not-exists on a test_decoding slot exits 9"
sql -c "select pg_create_physical_replication_slot('${pfx}_phys')" >/dev/null
run_read -S "${pfx}_phys" --no-loop --catch-up
is "$rc" 9 "a physical slot exits 9"

drop_slot "${pfx}_td" "${pfx}_phys"

# a pgoutput slot of another database
run_read -S "${pfx}_uri" --create-slot
set +e
timeout 30 "$PGWAL_READ" -d "dbname=postgres" -S "${pfx}_uri" --no-loop --catch-up >/dev/null 2>"$T/err"; rc=$?
set -e
isnt0=$([ "$rc" != 0 ] && echo 0 || echo 1)
ok "$isnt0" "a slot of another database fails (rc=$rc)"
like "$(tr '\n' ' ' <"$T/err")" "database \"$db\"" "... naming the slot's database"

# a connection URI instead of a conninfo string
sql -c "insert into items values (2, 'uri')"
set +e
timeout 30 "$PGWAL_READ" -d "postgresql://$PGUSER@$PGHOST:$PGPORT/$db?application_name=t10" -S "${pfx}_uri" \
	--catch-up --no-loop >"$T/out" 2>"$T/err"; rc=$?
set -e
is "$rc" 0 "-d with a postgresql:// URI works"
is "$(grep -c '"after":{"id":2' "$T/out" || true)" 1 "... and streams"
drop_slot "${pfx}_uri"

# ---- a missing publication ----------------------------------------------
run_read -S "${pfx}_b" --create-slot
sql -c "insert into items values (1, 'one')"
run_read -S "${pfx}_b" --publication nosuchpub --no-loop --catch-up
is "$rc" 10 "a missing publication exits 10"
like "$err" 'nosuchpub' "... naming the publication"
is "$(count_op insert "$T/out")" 0 "... and prints no change"

# ---- a role without REPLICATION -----------------------------------------
sql -c "create role ${pfx}_norep login"
run_read -S "${pfx}_b" --no-loop --catch-up -d "dbname=$db user=${pfx}_norep"
is "$rc" 12 "a role without REPLICATION exits 12"
like "$err" 'replication|REPLICATION|WAL sender' "... and says why"

# ---- a slot active elsewhere --------------------------------------------
set +e
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_b" >"$T/bg.out" 2>"$T/bg.err" &
bgpid=$!
set -e
bgpids="$bgpids $bgpid"
wait_slot "${pfx}_b" t
is "$(slot_col "${pfx}_b" active)" t "a background pgwal-read holds the slot"
run_read -S "${pfx}_b" --no-loop --catch-up
is "$rc" 8 "a second pgwal-read on an active slot exits 8"
like "$err" "${pfx}_b" "... naming the slot"
like "$err" 'active|in use' "... and saying it is in use"
kill -TERM "$bgpid" 2>/dev/null || true
set +e
for _ in $(seq 1 100); do kill -0 "$bgpid" 2>/dev/null || break; sleep 0.1; done
wait "$bgpid"; bgrc=$?
set -e
bgpids=""
is "$bgrc" 0 "the background pgwal-read exits 0 on SIGTERM"
is "$(count_op insert "$T/bg.out")" 1 "... after streaming the pending insert"

drop_slot "${pfx}_b"

# ---- wal_level and an invalidated slot: a small private cluster ---------
# Both need a server restart, which the shared cluster must not get; a
# private cluster costs ~2 s (initdb --no-sync).
side="$T/side"
if [ "$(pg_major)" -lt 13 ]; then
	skip "an invalidated slot: max_slot_wal_keep_size and wal_status came with PostgreSQL 13"
elif "$PGWAL_TOP/scripts/pg.sh" start "$side" >"$T/side.log" 2>&1; then
	sport=$(cat "$side/pg.port")
	sconn="host=127.0.0.1 port=$sport user=postgres dbname=postgres"
	ssql() { psql -X -v ON_ERROR_STOP=1 -qAt -d "$sconn" "$@"; }
	echo "max_slot_wal_keep_size = 1MB" >>"$side/pg/postgresql.conf"
	echo "wal_keep_size = 0" >>"$side/pg/postgresql.conf"
	"$PGWAL_TOP/scripts/pg.sh" restart "$side" >>"$T/side.log" 2>&1
	ssql -c "create table t(id int); create publication pgwal for all tables"
	set +e
	timeout 30 "$PGWAL_READ" -d "$sconn" -S lostslot --create-slot >/dev/null 2>"$T/err"; rc=$?
	set -e
	is "$rc" 0 "side cluster: slot created"
	# push the slot out of max_slot_wal_keep_size
	for _ in 1 2 3 4; do
		ssql -c "insert into t select generate_series(1, 20000)" -c "select pg_switch_wal()" -c checkpoint >/dev/null
	done
	is "$(ssql -c "select wal_status from pg_replication_slots where slot_name = 'lostslot'")" lost \
		"side cluster: the slot is invalidated (wal_status lost)"
	set +e
	timeout 30 "$PGWAL_READ" -d "$sconn" -S lostslot --no-loop --catch-up >"$T/out" 2>"$T/err"; rc=$?
	set -e
	is "$rc" 7 "an invalidated slot exits 7"
	like "$(tr '\n' ' ' <"$T/err")" 'lostslot' "... naming the slot"
	is "$(grep -c . "$T/out" || true)" 0 "... and prints nothing"
	ssql -c "select pg_drop_replication_slot('lostslot')" >/dev/null
	echo "wal_level = replica" >>"$side/pg/postgresql.conf"
	"$PGWAL_TOP/scripts/pg.sh" restart "$side" >>"$T/side.log" 2>&1
	set +e
	timeout 30 "$PGWAL_READ" -d "$sconn" -S newslot --create-slot >/dev/null 2>"$T/err"; rc=$?
	timeout 30 "$PGWAL_READ" -d "$sconn" -S newslot --no-loop --catch-up >/dev/null 2>"$T/err2"; rc2=$?
	set -e
	is "$rc" 11 "--create-slot with wal_level=replica exits 11"
	like "$(tr '\n' ' ' <"$T/err")" 'wal_level' "... naming wal_level"
	is "$rc2" 11 "streaming with wal_level=replica exits 11"
	"$PGWAL_TOP/scripts/pg.sh" stop "$side" >/dev/null 2>&1 || true
else
	ok 1 "side cluster for wal_level/invalidation tests did not start"
	sed 's/^/#   /' "$T/side.log" | tail -n 5
fi

# ---- --endpos ------------------------------------------------------------
# Oracle for commit positions: a wal2json slot peeked through SQL (wal2json
# is a server plugin of Debian's 15 only).
if [ "$(pg_major)" != 15 ]; then
	skip "--endpos against wal2json: wal2json is at hand for PostgreSQL 15 only"
else
run_read -S "${pfx}_e" --create-slot
sql -c "select pg_create_logical_replication_slot('${pfx}_ew', 'wal2json')" >/dev/null 2>"$T/w2jslot.err" ||
	bail "cannot create a wal2json slot (Debian: postgresql-15-wal2json): $(head -n 1 "$T/w2jslot.err")"
sql -c "create table ep(id int primary key, txn text)"
sql -c "insert into ep select g, 'A' from generate_series(1, 3) g"
mid=$(sql <<'EOF'
begin;
insert into ep select g, 'B' from generate_series(10, 11) g;
select pg_current_wal_lsn();
insert into ep select g, 'B' from generate_series(12, 13) g;
commit;
EOF
)
sql -c "insert into ep values (20, 'C')"
# commit lsn of A, B, C (wal2json "C" lines in commit order; the create table has no C with changes
# but does have a B/C pair, so pick the transactions that wrote to ep)
sql -c "select data from pg_logical_slot_peek_changes('${pfx}_ew', NULL, NULL,
	'format-version', '2', 'include-lsn', '1', 'include-xids', '1')" >"$T/w2j.ep"
python3 - "$T/w2j.ep" >"$T/commits.ep" <<'EOF'
import json, sys
xs = [json.loads(l) for l in open(sys.argv[1])]
wrote = {x["xid"] for x in xs if x["action"] in "IUD" and x.get("table") == "ep"}
for x in xs:
    if x["action"] == "C" and x["xid"] in wrote:
        print(x["lsn"], x["nextlsn"])
EOF
is "$(wc -l <"$T/commits.ep")" 3 "oracle: wal2json saw transactions A, B and C"
a_commit=$(sed -n '1s/ .*//p' "$T/commits.ep")
a_end=$(sed -n '1s/.* //p' "$T/commits.ep")
b_commit=$(sed -n '2s/ .*//p' "$T/commits.ep")
before_a=$(sql -c "select '$a_commit'::pg_lsn - 1")

run_read -S "${pfx}_e" -E "$before_a" --no-loop
is "$rc" 0 "--endpos just before A's commit record exits 0"
is "$(count_op insert "$T/out")" 0 "... and emits nothing of A (it commits after endpos)"

run_read -S "${pfx}_e" -E "$a_commit" --no-loop
is "$rc" 0 "--endpos at A's commit LSN exits 0"
is "$(count_op insert "$T/out")" 3 "... and emits A's 3 inserts (committed at endpos)"
is "$(count_op commit "$T/out")" 1 "... and exactly one commit"
is "$(grep '"op":"commit"' "$T/out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["lsn"])')" \
	"$a_commit" "... whose lsn is A's commit LSN (wal2json)"
is "$(grep '"op":"commit"' "$T/out" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["end_lsn"])')" \
	"$a_end" "... and whose end_lsn is A's end (wal2json nextlsn)"
is "$(slot_col "${pfx}_e" confirmed_flush_lsn)" "$a_end" "the slot is confirmed exactly to A's end_lsn"

run_read -S "${pfx}_e" -E "$mid" --no-loop
is "$rc" 0 "--endpos inside transaction B exits 0"
is "$(count_op begin "$T/out")" "$(count_op commit "$T/out")" "... begins and commits balance"
is "$(grep -c '"txn":"B"' "$T/out" || true)" 0 "... B is not cut: none of its rows (it commits after endpos)"
is "$(slot_col "${pfx}_e" confirmed_flush_lsn)" "$a_end" "... and the slot is not confirmed past A's end"

run_read -S "${pfx}_e" --catch-up --no-loop
is "$rc" 0 "--catch-up after --endpos exits 0"
is "$(grep -c '"txn":"B"' "$T/out" || true)" 4 "... B arrives whole afterwards (not lost to the endpos stop)"
is "$(grep -c '"txn":"C"' "$T/out" || true)" 1 "... and C"
is "$(grep -c '"txn":"A"' "$T/out" || true)" 0 "... and A is not repeated"
first_commit=$(grep '"op":"commit"' "$T/out" | head -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["lsn"])')
is "$first_commit" "$b_commit" "... the first commit is B's (wal2json)"

# --endpos ahead of the server's WAL: wait for it, then stop at a boundary
sql -c "insert into ep values (30, 'D')"
run_read -S "${pfx}_e" --catch-up --no-loop
future=$(sql -c "select pg_current_wal_lsn() + 4000")
set +e
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_e" -E "$future" --no-loop >"$T/fut.out" 2>"$T/fut.err" &
fpid=$!
set -e
bgpids="$bgpids $fpid"
sleep 1
is "$(kill -0 "$fpid" 2>/dev/null && echo waiting || echo gone)" waiting "--endpos ahead of the WAL: waits for it"
sql -c "insert into ep values (31, 'E')"
sql -c "insert into ep select g, 'F' from generate_series(40, 140) g"
set +e
for _ in $(seq 1 100); do kill -0 "$fpid" 2>/dev/null || break; sleep 0.1; done
wait "$fpid"; frc=$?
set -e
bgpids=""
is "$frc" 0 "... and exits 0 once the server has passed it"
is "$(count_op begin "$T/fut.out")" "$(count_op commit "$T/fut.out")" "... with whole transactions only"

drop_slot "${pfx}_e" "${pfx}_ew"
fi

# ---- --catch-up ----------------------------------------------------------
run_read -S "${pfx}_c" --create-slot
sql -c "create table cu(id int primary key)"
for i in 1 2 3 4 5; do sql -c "insert into cu select g from generate_series($i * 100, $i * 100 + 99) g"; done
start=$(date +%s)
run_read -S "${pfx}_c" --catch-up --no-loop
is "$rc" 0 "--catch-up exits 0"
is "$(grep -c '"table":"cu"' "$T/out" || true)" 500 "... with all 500 rows committed before it started"
is "$(count_op commit "$T/out")" 5 "... in 5 transactions"
ok "$([ $(( $(date +%s) - start )) -le 15 ] && echo 0 || echo 1)" "... and promptly"
run_read -S "${pfx}_c" --catch-up --no-loop
is "$rc" 0 "--catch-up with nothing pending exits 0"
is "$(grep -c '"op"' "$T/out" || true)" 0 "... and prints nothing"

# a transaction open when --catch-up starts commits after its target: not
# waited for, not cut, not lost
sql -c "insert into cu values (1000)"
set +e
sql -c "begin; insert into cu values (1001); select pg_sleep(2); commit;" >/dev/null 2>&1 &
opid=$!
set -e
sleep 0.5
start=$(date +%s)
run_read -S "${pfx}_c" --catch-up --no-loop
is "$rc" 0 "--catch-up with a transaction open at start exits 0"
ok "$([ $(( $(date +%s) - start )) -le 2 ] && echo 0 || echo 1)" "... without waiting for it"
is "$(grep -o '"after":{"id":10[0-9]*' "$T/out" | tr '\n' ' ')" '"after":{"id":1000 ' "... with what committed before, not the open one"
set +e; wait "$opid"; set -e
run_read -S "${pfx}_c" --catch-up --no-loop
is "$(grep -o '"after":{"id":10[0-9]*' "$T/out" | tr '\n' ' ')" '"after":{"id":1001 ' "... which the next run gets whole"

drop_slot "${pfx}_c"

# ---- SIGTERM mid-stream --------------------------------------------------
run_read -S "${pfx}_t" --create-slot
sql -c "create table st(id serial primary key, pad text)"
set +e
timeout 60 psql -Xq -d "$db" -c "do \$\$ begin for i in 1..100000 loop
	insert into st(pad) select repeat('x', 200) from generate_series(1, 20); commit; end loop; end \$\$" \
	>/dev/null 2>&1 &
writer=$!
bgpids="$bgpids $writer"
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_t" >"$T/term.out" 2>"$T/term.err" &
rd=$!
set -e
bgpids="$bgpids $rd"
for _ in $(seq 1 100); do
	[ "$(cat "$T/term.out" 2>/dev/null | wc -l)" -gt 2000 ] && break
	sleep 0.1
done
kill -TERM "$rd" 2>/dev/null || true
set +e
for _ in $(seq 1 100); do kill -0 "$rd" 2>/dev/null || break; sleep 0.1; done
wait "$rd"; rdrc=$?
kill -TERM "$writer" 2>/dev/null; wait "$writer" 2>/dev/null
sql -c "select pg_cancel_backend(pid) from pg_stat_activity where datname = '$db' and query like 'do %'" >/dev/null
set -e
bgpids=""
is "$rdrc" 0 "SIGTERM mid-stream: exit 0"
ok "$([ "$(wc -l <"$T/term.out")" -gt 2000 ] && echo 0 || echo 1)" "... after streaming (got $(wc -l <"$T/term.out") lines)"
is "$(tail -c 1 "$T/term.out" | od -An -c | tr -d ' ')" '\n' "... the output ends with a newline"
check "... every line, the last included, is complete JSON" python3 -c '
import json, sys
for n, l in enumerate(open(sys.argv[1]), 1):
    json.loads(l)' "$T/term.out"
last_end=$(grep '"op":"commit"' "$T/term.out" | tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["end_lsn"])')
conf=$(slot_col "${pfx}_t" confirmed_flush_lsn)
is "$(sql -c "select '$conf'::pg_lsn <= '$last_end'::pg_lsn")" t \
	"... the slot is not confirmed past the last commit written ($conf <= $last_end)"
is "$(sql -c "select '$conf'::pg_lsn >= '$last_end'::pg_lsn")" t \
	"... and the clean stop confirmed what it wrote ($conf >= $last_end)"

# ---- publications: created for chosen tables, odd names, PG15 filters ----
sql -c "create table pa(id int primary key, v text); create table pb(id int primary key, v text)"
run_read -S "${pfx}_pub" --publication 'we"ird, pub' --create-publication --table pa --create-slot
is "$rc" 0 "--create-publication --table with --create-slot exits 0"
is "$(sql -c "select string_agg(schemaname || '.' || tablename, ',') from pg_publication_tables where pubname = 'we\"ird, pub'")" \
	"public.pa" "... the publication (named we\"ird, pub) holds exactly the table asked for"
run_read -S "${pfx}_pub2" --create-slot
sql -c "insert into pa values (1, 'in'); insert into pb values (1, 'out'); select pg_logical_emit_message(false, 'p', 'm')" >/dev/null
run_read -S "${pfx}_pub" --publication 'we"ird, pub' --catch-up --no-loop
is "$rc" 0 "streaming a publication with a quote and a comma in its name exits 0"
is "$(grep -c '"table":"pa"' "$T/out" || true)" 1 "... the published table's change is there"
is "$(grep -c '"table":"pb"' "$T/out" || true)" 0 "... the other table's is not"
if [ "$(pg_major)" -ge 14 ]; then
	is "$(grep -c '"op":"message"' "$T/out" || true)" 1 "... a logical message is there (messages ignore publications)"
	run_read -S "${pfx}_pub2" --publication 'we"ird, pub' --no-messages --catch-up --no-loop
	is "$(grep -c '"op":"message"' "$T/out" || true)" 0 "--no-messages leaves the message out"
	is "$(grep -c '"table":"pa"' "$T/out" || true)" 1 "... and keeps the change"
else
	is "$(grep -c '"op":"message"' "$T/out" || true)" 0 "... no logical message: pgoutput sends them from PostgreSQL 14 on"
fi

# PostgreSQL 15 column lists and row filters: pgoutput applies them, pgwal-read
# must print what it is sent (an update entering the filter is an insert)
if [ "$(pg_major)" -lt 15 ]; then
	skip "column lists and row filters came with PostgreSQL 15"
else
sql -c "create table pf(id int, a int, secret text, primary key (id, a))" \
	-c "create publication pubfilt for table pf (id, a) where (a > 10)"
run_read -S "${pfx}_pf" --publication pubfilt --create-slot --start --catch-up --no-loop
is "$rc" 0 "--create-slot --start --catch-up on a new slot exits 0"
sql -c "insert into pf values (1, 5, 's1'), (2, 50, 's2')" -c "update pf set a = 20 where id = 1" \
	-c "update pf set a = 1 where id = 2"
run_read -S "${pfx}_pf" --publication pubfilt --catch-up --no-loop
is "$rc" 0 "streaming a publication with a column list and a row filter exits 0"
check "... row filter and column list as pgoutput applies them" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "\"table\":\"pf\"" in l]
got = [(e["op"], e["after"] or e["before"], e["key"]) for e in ev]
want = [("insert", {"id": 2, "a": 50}, {"id": 2, "a": 50}),  # id 1 (a=5) filtered out
        ("insert", {"id": 1, "a": 20}, {"id": 1, "a": 20}),  # update entering the filter
        ("delete", {"id": 2, "a": 50}, {"id": 2, "a": 50})]  # update leaving it
assert got == want, got
' "$T/out"
fi

# ---- SIGINT is a clean stop too ----------------------------------------
run_read -S "${pfx}_int" --create-slot
sql -c "insert into pa values (2, 'x')"
set +e
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_int" >"$T/int.out" 2>"$T/int.err" &
rd=$!
set -e
bgpids="$bgpids $rd"
for _ in $(seq 1 100); do grep -q '"op":"commit"' "$T/int.out" 2>/dev/null && break; sleep 0.1; done
kill -INT "$rd" 2>/dev/null || true
set +e
for _ in $(seq 1 100); do kill -0 "$rd" 2>/dev/null || break; sleep 0.1; done
wait "$rd"; irc=$?
set -e
bgpids=""
is "$irc" 0 "SIGINT: exit 0"
is "$(grep -c '"op":"commit"' "$T/int.out" || true)" 1 "... after writing the pending transaction"

drop_slot "${pfx}_t" "${pfx}_pub" "${pfx}_pub2" "${pfx}_pf" "${pfx}_int"

# ---- closing the pipe, small transactions --------------------------------
# Whole transactions then sit in the pipe's buffer when the reader leaves:
# written, never delivered.  None may be confirmed.
run_read -S "${pfx}_p2" --create-slot
sql -c "create table pp2(id int primary key)"
sql -c "do \$\$ begin for i in 1..3000 loop insert into pp2 values (i); commit; end loop; end \$\$"
before=$(slot_col "${pfx}_p2" confirmed_flush_lsn)
set +e
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_p2" 2>"$T/pipe2.err" | head -n 1 >/dev/null
prc=${PIPESTATUS[0]}
set -e
is "$prc" 4 "a closed pipe after many small transactions exits 4"
# Without --checkpoint or --ack-file, what entered the pipe counts as
# delivered (pg_recvlogical's rule, pgwal-read(1)): the slot may be
# confirmed up to what was written before the reader left, never beyond,
# and the next run starts exactly there.
after=$(slot_col "${pfx}_p2" confirmed_flush_lsn)
run_read -S "${pfx}_p2" --catch-up --no-loop
grep '"table":"pp2"' "$T/out" | sed 's/.*"after":{"id":\([0-9]*\)}.*/\1/' >"$T/pp2.ids"
first=$(head -n 1 "$T/pp2.ids"); last=$(tail -n 1 "$T/pp2.ids")
is "$last" 3000 "... the next run delivers up to the last transaction"
is "$(wc -l <"$T/pp2.ids")" "$((last - first + 1))" "... with no gap after the confirmed position (ids $first..$last)"
first_commit=$(grep '"table":"pp2"' "$T/out" | head -n 1 | sed 's/.*"commit_lsn":"\([^"]*\)".*/\1/')
is "$(sql -c "select '$first_commit'::pg_lsn >= '$after'::pg_lsn")" t \
	"... and from just after it ($first_commit >= $after, was $before before the run)"

drop_slot "${pfx}_p2"

# ---- a slot dropped and created again ----------------------------------
# Rule 7: never silently start over.  Offline: the checkpoint file is behind
# the new slot.  Online: the slot is recreated between two connections of
# the same pgwal-read, which must notice at the reconnect.
sql -c "create table rc(id int primary key, v text)"
run_read -S "${pfx}_rc" --create-slot
sql -c "insert into rc values (1, 'before')"
run_read -S "${pfx}_rc" --checkpoint "$T/rc.ckpt" --catch-up --no-loop
is "$rc" 0 "recreate: first run with --checkpoint"
sql -c "select pg_drop_replication_slot('${pfx}_rc')" >/dev/null
sql -c "insert into rc values (2, 'while the slot was gone')"
sql -c "select pg_create_logical_replication_slot('${pfx}_rc', 'pgoutput')" >/dev/null
sql -c "insert into rc values (3, 'after')"
run_read -S "${pfx}_rc" --checkpoint "$T/rc.ckpt" --catch-up --no-loop
ok "$([ "$rc" = 5 ] || [ "$rc" = 7 ] && echo 0 || echo 1)" "recreated while stopped: exits 5 or 7 (rc=$rc)"
is "$(grep -c '"op":"insert"' "$T/out" || true)" 0 "... and emits nothing"
like "$err" 'ahead|recreated|dropped' "... and says why"

sql -c "select pg_drop_replication_slot('${pfx}_rc')" >/dev/null
run_read -S "${pfx}_rc" --create-slot
rm -f "$T/rc.ckpt"
set +e
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_rc" --checkpoint "$T/rc.ckpt" -s 0.5 >"$T/rc.out" 2>"$T/rc.err" &
rd=$!
set -e
bgpids="$bgpids $rd"
sql -c "insert into rc values (11, 'first')"
for _ in $(seq 1 100); do grep -q '"op":"commit"' "$T/rc.out" 2>/dev/null && break; sleep 0.1; done
sql -c "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '${pfx}_rc'" >/dev/null
dropped=f
for _ in $(seq 1 100); do
	if sql -c "select pg_drop_replication_slot('${pfx}_rc')" >/dev/null 2>&1; then dropped=t; break; fi
	sleep 0.02
done
is "$dropped" t "recreate online: the slot was dropped between two connections"
sql -c "insert into rc values (12, 'while the slot was gone')"
sql -c "select pg_create_logical_replication_slot('${pfx}_rc', 'pgoutput')" >/dev/null
sql -c "insert into rc values (13, 'after')"
for _ in $(seq 1 100); do kill -0 "$rd" 2>/dev/null || break; sleep 0.1; done
alive=$(kill -0 "$rd" 2>/dev/null && echo yes || echo no)
kill -TERM "$rd" 2>/dev/null || true
set +e; wait "$rd"; rcrc=$?; set -e
bgpids=""
is "$alive" no "recreated while running: pgwal-read stops by itself within 10 s"
ok "$([ "$rcrc" = 5 ] || [ "$rcrc" = 7 ] && echo 0 || echo 1)" "... with exit 5 or 7 (rc=$rcrc)"
is "$(grep -c '"after":{"id":13' "$T/rc.out" || true)" 0 "... without streaming from the new slot as if nothing happened"

drop_slot "${pfx}_rc"

# ---- closing the pipe ----------------------------------------------------
# One transaction far bigger than a pipe buffer: head(1) takes one line and
# leaves, so no commit line can have been delivered.
run_read -S "${pfx}_p" --create-slot
sql -c "create table pp(id int primary key, pad text)"
# (13 and 14 send the create table as an empty transaction: its end may be
# confirmed, nothing in it is published; the big transaction comes after)
before=$(sql -c "select pg_current_wal_lsn()")
sql -c "insert into pp select g, repeat('y', 100) from generate_series(1, 20000) g"
start=$(date +%s)
set +e
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_p" 2>"$T/pipe.err" | head -n 1 >"$T/pipe.out"
prc=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))
is "$prc" 4 "a closed output pipe exits 4 (EXIT_OUTPUT)"
ok "$([ "$elapsed" -le 10 ] && echo 0 || echo 1)" "... soon (${elapsed}s)"
like "$(tr '\n' ' ' <"$T/pipe.err")" 'output|pipe|write' "... saying the output failed"
after=$(slot_col "${pfx}_p" confirmed_flush_lsn)
is "$(sql -c "select '$after'::pg_lsn <= '$before'::pg_lsn")" t \
	"... and the slot's confirmed_flush_lsn did not move into the transaction ($after <= $before)"
run_read -S "${pfx}_p" --catch-up --no-loop
is "$(grep -c '"table":"pp"' "$T/out" || true)" 20000 "... every row is still there for the next run"

# ---- --no-loop: a lost connection is an exit ----------------------------
run_read -S "${pfx}_nl" --create-slot
set +e
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_nl" --no-loop >"$T/nl.out" 2>"$T/nl.err" &
rd=$!
set -e
bgpids="$bgpids $rd"
wait_slot "${pfx}_nl" t
sql -c "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '${pfx}_nl'" >/dev/null
set +e
for _ in $(seq 1 100); do kill -0 "$rd" 2>/dev/null || break; sleep 0.1; done
kill -TERM "$rd" 2>/dev/null
wait "$rd"; nrc=$?
set -e
bgpids=""
is "$nrc" 3 "--no-loop: a terminated walsender makes pgwal-read exit 3"

drop_slot "${pfx}_nl" "${pfx}_p"

# ---- a full disk ------------------------------------------------------------
run_read -S "${pfx}_full" --create-slot
sql -c "insert into pp values (100001, 'disk full')"
set +e
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_full" --catch-up --no-loop >/dev/full 2>"$T/full.err"; frc=$?
set -e
is "$frc" 4 "stdout on a full disk (/dev/full) exits 4"
like "$(tr '\n' ' ' <"$T/full.err")" 'No space left|space' "... saying why"
run_read -S "${pfx}_full" --catch-up --no-loop
is "$(grep -c '"after":{"id":100001' "$T/out" || true)" 1 "... and the change it could not write is delivered by the next run"

done_testing
