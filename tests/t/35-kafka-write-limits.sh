#!/bin/bash
# kafka-write at Kafka's limits and on every kind of pgwal-read event,
# against the rig's broker (kcat reads back) and PostgreSQL:
# messages too large for Kafka (exit 25, naming table, key and size),
# --skip-bad never acknowledging past a line that went nowhere, colliding
# topic names (exit 26, before producing), a failed ack write never
# reported as written, truncate and message events through the README's
# template, headers of null fields left out, and the tombstone of the old
# key of an update that changed the primary key.
. "$(dirname "$0")/../lib/setup.sh"
need_kafka
set +e	# every command's status is asserted below

B=$KAFKA_BROKERS
ADMIN="$PGWAL_BIN/tests/kw_admin"
P="kw34.$$.$(date +%s)"

kw() { timeout 60 "$KAFKA_WRITE" -b "$B" "$@"; }
consume() { timeout 60 kcat -b "$B" -C -t "$1" -e -q -Z -f "${2:-%s\n}"; }

tx1='{"op":"insert","lsn":"0/10","schema":"public","table":"t","key":{"id":1},"after":{"id":1}}
{"op":"commit","lsn":"0/90","end_lsn":"0/100"}'
tx2_end='{"op":"commit","lsn":"0/190","end_lsn":"0/200"}'

# ---- too large: over --max-line ------------------------------------------
pad=$(printf '%01000d' 0)
{ echo "$tx1"
  printf '{"op":"insert","lsn":"0/110","schema":"public","table":"big","key":{"id":7},"after":{"id":7,"v":"%s"}}\n' "$pad"
  echo "$tx2_end"; } >"$T/big.in"
kw -t "$P.big1" --max-line 300 --ack-file "$T/ack.big1" "$T/big.in" 2>"$T/err"
is "$?" 25 "line over --max-line: exit 25"
like "$(cat "$T/err")" 'big.in: line 3, byte 301: message too large for Kafka: table public.big, key \{"id":7\}, 1[0-9]{3} bytes, more than 300 \(--max-line\)' \
	"line over --max-line: names table, key, size and limit"
is "$(head -n 1 "$T/ack.big1")" "0/100" "line over --max-line: acknowledged up to the commit before it"

# the dead-letter file keeps only its first 4096 bytes: not a copy to acknowledge past
kw -t "$P.big2" --max-line 300 --dead-letter "$T/dead.big" --ack-file "$T/ack.big2" "$T/big.in" 2>"$T/err"
is "$?" 25 "line over --max-line with --dead-letter: exit 25"
is "$(jq -r .error "$T/dead.big" | grep -c 'table public.big')" 1 "line over --max-line with --dead-letter: kept there"
is "$(head -n 1 "$T/ack.big2")" "0/100" "line over --max-line with --dead-letter: kept in part, not acknowledged past"
like "$(cat "$T/err")" 'held at 0/100: input line 3 was kept only in part' "line over --max-line with --dead-letter: the hold is reported"
big=$(sed -n 3p "$T/big.in")
{ echo "$tx1"; echo "$big"; echo "$tx2_end"; } |
	kw -t "$P.big3" -X message.max.bytes=1000 --dead-letter "$T/dead.big3" --ack-file "$T/ack.big3" 2>"$T/err"
is "$?" 0 "over message.max.bytes with --dead-letter: exit 0"
is "$(jq -r .input "$T/dead.big3")" "$big" "over message.max.bytes with --dead-letter: the whole line kept"
is "$(head -n 1 "$T/ack.big3")" "0/200" "over message.max.bytes with --dead-letter: acknowledged past it"

# ---- too large: refused by the broker (the topic's max.message.bytes) ----
check "topic with max.message.bytes=1000 created" "$ADMIN" create "$B" "$P.small" 1 max.message.bytes=1000
kw -t "$P.small" --ack-file "$T/ack.small" <<<"$tx1" 2>"$T/err"
is "$?" 0 "small messages fit the topic"
kw -t "$P.small" --ack-file "$T/ack.small" --flush-timeout 30 "$T/big.in" 2>"$T/err"
is "$?" 25 "message refused by the broker as too large: exit 25"
like "$(cat "$T/err")" 'message too large for Kafka: table public.big, key \{"id":7\}, 1[0-9]{3} bytes: refused by the broker for topic "'"$P"'.small"' \
	"message refused by the broker: names table, key, size and topic"
unlike "$(cat "$T/err")" 'too large for Kafka: table public.t' "message refused by the broker: a small message of its batch is not called too large"
is "$(head -n 1 "$T/ack.small")" "0/100" "message refused by the broker: not acknowledged past it"

# ---- too large: message.max.bytes raised, the topic's limit asked of the broker
check "topic with max.message.bytes=1000 created" "$ADMIN" create "$B" "$P.mid" 1 max.message.bytes=1000
kw -t "$P.mid" -X message.max.bytes=2000000 --ack-file "$T/ack.mid" "$T/big.in" 2>"$T/err"
is "$?" 25 "message.max.bytes raised, over the topic's max.message.bytes: exit 25"
like "$(cat "$T/err")" "line 3, byte 1: message too large for Kafka: table public.big, key \\{\"id\":7\\}, 1[0-9]{3} bytes with key, more than max.message.bytes 1000 of topic \"$P.mid\"" \
	"message.max.bytes raised: found before producing, with the topic's limit"
is "$(head -n 1 "$T/ack.mid")" "0/100" "message.max.bytes raised: acknowledged up to the commit before"
is "$(consume "$P.mid" | wc -l)" 1 "message.max.bytes raised: the line before produced, not the large one"

# ---- --skip-bad never acknowledges past a line that went nowhere --------
{ echo "$tx1"; echo 'not json'; echo '{"op":"insert","lsn":"0/110","table":"t","key":{"id":2}}'; echo "$tx2_end"; } >"$T/skip.in"
kw -t "$P.skip" --skip-bad --ack-file "$T/ack.skip" "$T/skip.in" 2>"$T/err"
is "$?" 20 "--skip-bad with --ack-file: exit 20"
is "$(head -n 1 "$T/ack.skip")" "0/100" "--skip-bad: acknowledgement stops at the commit before the skipped line"
like "$(cat "$T/err")" 'acknowledgements held at 0/100: input line 3 was skipped' "--skip-bad: the hold is reported"
is "$(consume "$P.skip" | wc -l)" 2 "--skip-bad: the good lines are still produced"
kw -t "$P.skip2" --skip-bad "$T/skip.in" 2>"$T/err"
is "$?" 0 "--skip-bad without --ack-file: exit 0"
kw -t "$P.skip3" --dead-letter "$T/dead.skip" --ack-file "$T/ack.skip3" "$T/skip.in" 2>"$T/err"
is "$?" 0 "--dead-letter: exit 0"
is "$(head -n 1 "$T/ack.skip3")" "0/200" "--dead-letter: acknowledged past the kept line"

# ---- colliding topic names ------------------------------------------------
start=$(date +%s)
{ echo "$tx1"
  echo '{"op":"insert","lsn":"0/110","schema":"s","table":"x.y","key":{"id":1}}'
  echo '{"op":"insert","lsn":"0/120","schema":"s","table":"x_y","key":{"id":2}}'
  echo "$tx2_end"; } | kw --topic-template "$P.{schema}.{table}" --ack-file "$T/ack.coll" \
	-X message.timeout.ms=20000 2>"$T/err"
is "$?" 26 "colliding topic names: exit 26"
like "$(cat "$T/err")" "line 4, byte 1: not produced: topic \"$P.s.x_y\"" "colliding topic names: the line is named"
like "$(cat "$T/err")" "topic \"$P.s.x_y\" collides with topic \"$P.s.x.y\"" "colliding topic names: both named"
check "colliding topic names: found before producing (no wait for message.timeout.ms)" \
	test $(( $(date +%s) - start )) -lt 15
is "$(head -n 1 "$T/ack.coll")" "0/100" "colliding topic names: acknowledged up to the commit before"

# ---- a failed ack write is not reported as written ------------------------
# a path that cannot be written is refused before anything is produced
echo "$tx1" | kw -t "$P.ackfail" --ack-file "$T/missing/dir/x.ack" 2>"$T/err"
is "$?" 5 "unwritable ack file: exit 5"
is "$(consume "$P.ackfail" | wc -l)" 0 "unwritable ack file: refused before producing"
# a directory that goes away during the run: the write fails, and is not claimed
mkdir "$T/gone"; rm -f "$T/kw.in"; mkfifo "$T/kw.in"
kw -t "$P.ackfail2" --ack-file "$T/gone/x.ack" <"$T/kw.in" 2>"$T/err" &
kwpid=$!
exec 9>"$T/kw.in"
sleep 1
rm -rf "$T/gone"
echo "$tx1" >&9
exec 9>&-
wait "$kwpid"
is "$?" 5 "ack file's directory removed: exit 5"
unlike "$(cat "$T/err")" 'acknowledged up to 0/100' "ack file's directory removed: no claim that 0/100 was acknowledged"
like "$(cat "$T/err")" 'acknowledged up to nothing new' "ack file's directory removed: says nothing was acknowledged"

# ---- headers of null or missing fields are left out ------------------------
printf '%s\n' '{"op":"read","lsn":null,"schema":"public","table":"h","key":{"id":1}}' \
	'{"op":"read","schema":"public","table":"h","key":{"id":2}}' \
	'{"op":"insert","lsn":"0/10","schema":"public","table":"h","key":{"id":3}}' |
	kw -t "$P.hdr" -H 'lsn={lsn}' -H src=pgwal 2>"$T/err"
is "$?" 0 "-H from a null or missing field: exit 0"
is "$(consume "$P.hdr" '%k|%h\n' | sort | tr '\n' ' ')" '{"id":1}|src=pgwal {"id":2}|src=pgwal {"id":3}|lsn=0/10,src=pgwal ' \
	"-H from a null or missing field: that header left out, the others kept"

# ---- PostgreSQL: truncate, message, key change through the README pipeline --
need_pg
db="t34_$$"
cleanup() {
	sql -d postgres -c "select pg_drop_replication_slot('t34_$$')" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup
createdb "$db"
sql -d "$db" >/dev/null <<EOF
CREATE TABLE kw34a (id int PRIMARY KEY, v text);
CREATE TABLE kw34b (a int, b text, v text, PRIMARY KEY (a, b));
CREATE TABLE kw34c (id int PRIMARY KEY, v text);
ALTER TABLE kw34c REPLICA IDENTITY FULL;
CREATE PUBLICATION kw34pub FOR TABLE kw34a, kw34b, kw34c;
SELECT 1 FROM pg_create_logical_replication_slot('t34_$$', 'pgoutput');
EOF
R="$P.pg"
for t in kw34a kw34b kw34c; do "$ADMIN" create "$B" "$R.public.$t" 6 || bail "could not create $R.public.$t"; done
sql -d "$db" >/dev/null <<'EOF'
INSERT INTO kw34a VALUES (10, 'x'), (20, 'y');
INSERT INTO kw34b VALUES (1, 'one', 'x');
INSERT INTO kw34c VALUES (5, 'x');
UPDATE kw34a SET id = 12 WHERE id = 10;
UPDATE kw34a SET v = 'z' WHERE id = 20;
UPDATE kw34b SET b = 'uno' WHERE a = 1;
UPDATE kw34c SET id = 6 WHERE id = 5;
SELECT 1 FROM pg_logical_emit_message(true, 'audit', 'hello');
TRUNCATE kw34a, kw34b;
EOF
timeout 60 "$PGWAL_READ" -d "dbname=$db" -S "t34_$$" --publication kw34pub --catch-up 2>"$T/pgerr" >"$T/pg.ndjson"
is "$?" 0 "pgwal-read catches up"
kw --topic-template "$R.{schema}.{table}" --tombstones -H 'lsn={lsn}' --ack-file "$T/ack.pg" \
	"$T/pg.ndjson" 2>"$T/err"
is "$?" 0 "README pipeline with truncate and message events: exit 0"
is "$(cat "$T/err")" "" "README pipeline: nothing on stderr"
is "$(head -n 1 "$T/ack.pg")" "$(jq -r 'select(.op=="commit") | .end_lsn' "$T/pg.ndjson" | tail -n 1)" \
	"README pipeline: acknowledged to the last commit"

# the old key's tombstone: same key bytes and partition as the old row's insert
consume "$R.public.kw34a" '%k|%p|%S\n' >"$T/a.out"
ins=$(grep -F '{"id":10}' "$T/a.out" | head -n 1)
like "$ins" '^\{"id":10\}\|[0-5]\|[0-9]+$' "kw34a: insert of id 10 with key {\"id\":10}"
p10=$(echo "$ins" | cut -d'|' -f2)
is "$(grep -c -F "{\"id\":10}|$p10|-1" "$T/a.out")" 1 "key change 10 -> 12: one tombstone for {\"id\":10} on its partition"
is "$(grep -c -F -- '{"id":20}|' "$T/a.out" | tr -d ' ')" 2 "update without key change: no tombstone (insert and update only)"
consume "$R.public.kw34b" '%k|%p|%S\n' >"$T/b.out"
old=$(jq -c 'select(.table=="kw34b" and .op=="insert") | .key' "$T/pg.ndjson")
is "$old" '{"a":1,"b":"one"}' "kw34b: pgwal-read's key of the first row"
pold=$(grep -F -- "$old|" "$T/b.out" | head -n 1 | cut -d'|' -f2)
is "$(grep -c -F -- "$old|$pold|-1" "$T/b.out")" 1 "composite key change: tombstone with the old key's bytes, on its partition"
consume "$R.public.kw34c" '%k|%S\n' >"$T/c.out"
is "$(grep -c -F '{"id":5}|-1' "$T/c.out")" 1 "REPLICA IDENTITY FULL key change: tombstone for the old key"

# truncate: to each truncated table's topic; the message to <prefix>.message
trunc=$(jq -c 'select(.op=="truncate")' "$T/pg.ndjson")
like "$trunc" '"tables":\[' "pgwal-read emitted a truncate listing its tables"
is "$(consume "$R.public.kw34a" '%s\n' | grep -c '"op":"truncate"')" 1 "truncate produced to the first table's topic"
is "$(consume "$R.public.kw34b" '%s\n' | grep -c '"op":"truncate"')" 1 "truncate produced to the second table's topic"
is "$(consume "$R.public.kw34b" '%s\n' | grep '"op":"truncate"')" "$trunc" "truncate: the value is the line unchanged"
is "$(consume "$R.message" '%s\n' | jq -r .content)" "hello" "message event produced to $R.message"
kw --topic-template "$R.{schema}.{table}" --message-topic "$R.msgs" "$T/pg.ndjson" 2>"$T/err"
is "$?" 0 "--message-topic: exit 0"
is "$(consume "$R.msgs" '%s\n' | jq -r .prefix)" "audit" "--message-topic: the message went there"

done_testing
