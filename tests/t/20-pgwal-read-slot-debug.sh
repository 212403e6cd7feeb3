#!/bin/bash
# pgwal-read --list-slots, --peek and --advance against a real PostgreSQL.
# Positions and lags are checked against pg_replication_slots and
# pg_current_wal_lsn(); peeked events against what streaming the same
# slot prints afterwards.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db="t20_$$"
pfx="t20_$$"			# slot names are cluster-wide: prefix them
bgpid=""
cleanup() {
	if [ -n "$bgpid" ]; then kill -TERM "$bgpid" 2>/dev/null || true; wait "$bgpid" 2>/dev/null || true; fi
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like '${pfx}%' and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"
sql -c "create table items(id int primary key, v text); create publication pgwal for all tables"

# run_read ARGS...: pgwal-read bounded in time; sets rc, out ($T/out), err
run_read() {
	set +e
	timeout 60 "$PGWAL_READ" -d "dbname=$db" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	err=$(cat "$T/err")
}
slot_col() { sql -c "select $2 from pg_replication_slots where slot_name = '$1'"; }
count_op() { grep -c "\"op\":\"$1\"" "$2" || true; }
jfield() { python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l)
    if d["slot_name"] == sys.argv[1]: print(d[sys.argv[2]])' "$1" "$2" <"$T/out"; }

# ---- options -------------------------------------------------------------
help=$("$PGWAL_READ" --help)
for o in --list-slots --format=FORMAT --peek --advance=LSN --yes --backfill --where=COND --snapshot; do
	like "$help" "^ +$o" "--help lists $o"
done
run_read --list-slots -S x
is "$rc" 2 "--list-slots with -S exits 2"
run_read -S x --peek --advance 0/1
is "$rc" 2 "--peek with --advance exits 2"
like "$err" 'separate actions' "... saying they are separate actions"
run_read -S x --yes
is "$rc" 2 "--yes without --advance exits 2"
run_read -S x --advance nonsense
is "$rc" 2 "--advance with a bad LSN exits 2"
like "$err" 'invalid value "nonsense" for option --advance' "... naming the option"
run_read -S x --peek 0
is "$rc" 2 "--peek 0 exits 2"
run_read --list-slots --format yaml
is "$rc" 2 "--format yaml exits 2"
run_read -S x --format json
is "$rc" 2 "--format without --list-slots or --peek exits 2"

# ---- slots to look at ----------------------------------------------------
run_read -S "${pfx}_a" --create-slot
is "$rc" 0 "slot a created"
sql -c "insert into items values (1, 'one'), (2, 'two')"
sql -c "update items set v = 'deux' where id = 2"
sql -c "delete from items where id = 1"
sql -c "select pg_create_physical_replication_slot('${pfx}_phys', true)" >/dev/null

# ---- --list-slots, JSON on a pipe -----------------------------------------
run_read --list-slots
is "$rc" 0 "--list-slots exits 0"
is "$(grep -c "\"slot_name\":\"${pfx}_a\"" "$T/out" || true)" 1 "JSON lines on a pipe, one for slot a"
is "$(grep -vc '^{.*}$' "$T/out" || true)" 0 "every line is a JSON object"
is "$(wc -l <"$T/out")" "$(sql -c 'select count(*) from pg_replication_slots')" "one line per slot of the cluster"
is "$(jfield "${pfx}_a" plugin)" pgoutput "plugin"
is "$(jfield "${pfx}_a" slot_type)" logical "slot_type"
is "$(jfield "${pfx}_a" database)" "$db" "database"
is "$(jfield "${pfx}_a" active)" False "active"
is "$(jfield "${pfx}_a" confirmed_flush_lsn)" "$(slot_col "${pfx}_a" confirmed_flush_lsn)" "confirmed_flush_lsn as the server has it"
is "$(jfield "${pfx}_a" restart_lsn)" "$(slot_col "${pfx}_a" restart_lsn)" "restart_lsn as the server has it"
if [ "$(pg_major)" -ge 13 ]; then
	is "$(jfield "${pfx}_a" wal_status)" "$(slot_col "${pfx}_a" wal_status)" "wal_status as the server has it"
else
	is "$(jfield "${pfx}_a" wal_status)" None "wal_status null: the server has none before 13"
fi
# lag = current - confirmed_flush, computed here from the same current_lsn
cur=$(jfield "${pfx}_a" current_lsn)
is "$(jfield "${pfx}_a" lag_bytes)" \
	"$(sql -c "select pg_wal_lsn_diff('$cur', confirmed_flush_lsn)::bigint from pg_replication_slots where slot_name = '${pfx}_a'")" \
	"lag_bytes of a logical slot is current - confirmed_flush_lsn"
lag=$(jfield "${pfx}_a" lag_bytes)
ok "$([ "$lag" -gt 0 ] && echo 0 || echo 1)" "... and is positive with changes pending ($lag)"
is "$(jfield "${pfx}_phys" lag_bytes)" \
	"$(sql -c "select pg_wal_lsn_diff('$cur', restart_lsn)::bigint from pg_replication_slots where slot_name = '${pfx}_phys'")" \
	"lag_bytes of a physical slot is current - restart_lsn"
is "$(jfield "${pfx}_a" warning)" None "no warning for a slot holding less than a WAL segment"

# an inactive slot pinning WAL: push more than a segment past it
for i in 1 2 3; do
	sql -c "insert into items select g, 'x' from generate_series(${i}000, ${i}099) g" -c "select pg_switch_wal()" >/dev/null
done
sql -c "insert into items values (5000, 'after the switch')"
run_read --list-slots
is "$rc" 0 "--list-slots exits 0 with a warning"
like "$(jfield "${pfx}_a" warning)" 'inactive and retains .* of WAL' "the JSON line of the inactive slot carries a warning"
like "$err" "warning: replication slot \"${pfx}_a\" is inactive and retains" "... and stderr says it, naming the slot"
ret=$(jfield "${pfx}_a" retained_bytes)
ok "$([ "$ret" -ge 16777216 ] && echo 0 || echo 1)" "retained_bytes is at least a segment ($ret)"

# ---- --list-slots as a table ----------------------------------------------
run_read --list-slots --format table
is "$rc" 0 "--format table exits 0"
like "$(sed -n 1p "$T/out")" '^slot +\| plugin +\| type +\| database +\| active +\| restart_lsn +\| confirmed_flush +\| lag +\| retained +\| wal_status +\| safe_wal_size$' "the header names the columns"
like "$(sed -n 2p "$T/out")" '^-+(-\+-+)+$' "a rule under the header"
like "$(grep "^${pfx}_a " "$T/out")" "^${pfx}_a +\| pgoutput +\| logical +\| $db +\| no +\| " "slot a's row"
like "$(tail -n 1 "$T/out")" '^\([0-9]+ slots?\)$' "a count at the end"
widths=$(sed '$d' "$T/out" | awk '{ print length($0) }' | sort -u | wc -l)
is "$widths" 1 "the rows are aligned (all the same width)"
# on a terminal the table is the default
if script -qec "true" /dev/null >/dev/null 2>&1; then
	script -qec "$PGWAL_READ -d dbname=$db --list-slots" /dev/null >"$T/tty.out" 2>&1 </dev/null || true
	like "$(head -n 1 "$T/tty.out")" '^slot +\| plugin' "on a terminal --list-slots prints the table"
else
	ok 1 "script(1) is needed to test the terminal output"
fi

# ---- --peek --------------------------------------------------------------
before=$(slot_col "${pfx}_a" confirmed_flush_lsn)
run_read -S "${pfx}_a" --peek
is "$rc" 0 "--peek exits 0"
cp "$T/out" "$T/peek1"
is "$(count_op insert "$T/peek1")" 303 "--peek shows the pending inserts"
is "$(count_op update "$T/peek1")" 1 "... the update"
is "$(count_op delete "$T/peek1")" 1 "... and the delete"
like "$(grep '"op":"update"' "$T/peek1")" '"key":\{"id":2\},"before":null,"after":\{"id":2,"v":"deux"\}' "... as the same JSON events"
is "$(slot_col "${pfx}_a" confirmed_flush_lsn)" "$before" "--peek did not move confirmed_flush_lsn"
run_read -S "${pfx}_a" --peek
is "$(md5sum <"$T/out")" "$(md5sum <"$T/peek1")" "a second --peek prints the same bytes (nothing was consumed)"

# for humans: one block per transaction
run_read -S "${pfx}_a" --peek --format text
is "$rc" 0 "--peek --format text exits 0"
is "$(grep -c '^BEGIN  xid [0-9]*  commit_lsn [0-9A-F]*/[0-9A-F]*  ts ' "$T/out")" "$(count_op begin "$T/peek1")" "a BEGIN line per transaction"
is "$(grep -c '^COMMIT lsn .*  end_lsn .*  events [0-9]*$' "$T/out")" "$(count_op commit "$T/peek1")" "a COMMIT line per transaction"
like "$(cat "$T/out")" '  update  lsn [0-9A-F]+/[0-9A-F]+  public\.items  key \{"id":2\}' "a change line names op, lsn, relation and key"
like "$(cat "$T/out")" '    after     \{"id":2,"v":"deux"\}' "... then its row"
like "$(grep -A1 '  delete  lsn .*  key {"id":1}' "$T/out")" 'before    \{"id":1\}' "a delete shows its old key"
if script -qec "true" /dev/null >/dev/null 2>&1; then
	script -qec "$PGWAL_READ -d dbname=$db -S ${pfx}_a --peek 1" /dev/null >"$T/tty.out" 2>&1 </dev/null || true
	like "$(head -n 1 "$T/tty.out")" '^BEGIN  xid' "on a terminal --peek is for humans"
else
	ok 1 "script(1) is needed to test the terminal output"
fi

run_read -S "${pfx}_a" --peek 1
is "$rc" 0 "--peek 1 exits 0"
is "$(count_op commit "$T/out")" 1 "--peek 1 stops after the first transaction"
is "$(sed -n 1p "$T/out")" "$(sed -n 1p "$T/peek1")" "... which is the first pending one"
run_read -S "${pfx}_a" --peek=1
is "$(count_op commit "$T/out")" 1 "--peek=1 too"

# what streaming prints afterwards is what --peek showed
end=$(sql -c "select pg_current_wal_lsn()")
run_read -S "${pfx}_a" -E "$end" --no-loop
is "$rc" 0 "streaming the slot to the end exits 0"
is "$(md5sum <"$T/out")" "$(md5sum <"$T/peek1")" "streaming prints exactly what --peek showed"
run_read -S "${pfx}_a" --peek
is "$(count_op commit "$T/out")" 0 "after streaming, --peek shows nothing pending"

run_read -S "${pfx}_missing" --peek
is "$rc" 6 "--peek at a missing slot exits 6"
like "$err" "${pfx}_missing" "... naming it"

# an active slot cannot be peeked at
sql -c "insert into items values (6000, 'six')"
set +e
"$PGWAL_READ" -d "dbname=$db" -S "${pfx}_a" >/dev/null 2>"$T/bg.err" &
bgpid=$!
set -e
for _ in $(seq 1 100); do [ "$(slot_col "${pfx}_a" active)" = t ] && break; sleep 0.1; done
run_read -S "${pfx}_a" --peek
is "$rc" 8 "--peek at an active slot exits 8"
like "$err" 'active' "... saying it is active"
kill -TERM "$bgpid"; wait "$bgpid" || true; bgpid=""

# ---- --advance ------------------------------------------------------------
sql -c "insert into items values (7001, 'a')"
sql -c "insert into items values (7002, 'b'), (7003, 'c')"
target=$(sql -c "select pg_current_wal_lsn()")
sql -c "insert into items values (7004, 'after the target')"
before=$(slot_col "${pfx}_a" confirmed_flush_lsn)

run_read -S "${pfx}_a" --advance "$target" </dev/null
is "$rc" 2 "--advance without --yes on a pipe exits 2"
like "$err" "skips 2 transactions with 3 events" "... after saying what it would skip"
like "$err" 'refusing to advance without --yes' "... and why it refuses"
is "$(slot_col "${pfx}_a" confirmed_flush_lsn)" "$before" "... and the slot did not move"

# on a terminal it asks; anything but y keeps the slot where it is
if script -qec "true" /dev/null >/dev/null 2>&1; then
	set +e
	echo n | script -qec "$PGWAL_READ -d dbname=$db -S ${pfx}_a --advance $target" /dev/null >"$T/tty.out" 2>&1
	set -e
	like "$(cat "$T/tty.out")" "Advance slot \"${pfx}_a\" to $target\? \[y/N\]" "on a terminal --advance asks"
	like "$(cat "$T/tty.out")" 'not advanced' "... and an answer other than y keeps the slot"
	is "$(slot_col "${pfx}_a" confirmed_flush_lsn)" "$before" "... where it was"
else
	ok 1 "script(1) is needed to test the terminal question"
fi

run_read -S "${pfx}_a" --advance "$target" --yes
is "$rc" 0 "--advance --yes exits 0"
like "$err" "advancing replication slot \"${pfx}_a\" from $before to $target skips 2 transactions with 3 events" "it says what it skips"
like "$(cat "$T/out")" "^\\{\"slot_name\":\"${pfx}_a\",\"from\":\"$before\",\"to\":\"$target\",\"transactions\":2,\"events\":3\\}$" "one JSON line of the result"
is "$(slot_col "${pfx}_a" confirmed_flush_lsn)" "$target" "the slot's confirmed_flush_lsn is the target"
run_read -S "${pfx}_a" --peek
is "$(count_op insert "$T/out")" 1 "only the change after the target is pending"
like "$(grep '"op":"insert"' "$T/out")" '"id":7004' "... and it is that one"

run_read -S "${pfx}_a" --advance 0/10 --yes
is "$rc" 1 "--advance backwards exits 1"
like "$err" 'never moves back' "... saying a slot never moves back"
is "$(slot_col "${pfx}_a" confirmed_flush_lsn)" "$target" "... and the slot did not move"

# a target past the server's position is clamped, and counted as such
run_read -S "${pfx}_a" --advance FFFFFFF/0 --yes
is "$rc" 0 "--advance past the WAL position exits 0"
like "$err" 'past the server' "... saying the target was clamped"
like "$err" 'skips 1 transaction with 1 event' "... counting what it really skips"
run_read -S "${pfx}_a" --peek
is "$(count_op commit "$T/out")" 0 "nothing pending afterwards"

done_testing
