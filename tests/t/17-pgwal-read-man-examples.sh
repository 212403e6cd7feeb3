#!/bin/bash
# The EXAMPLES of pgwal-read(1), run as written: each command block is taken
# from the man page, with only the database, the broker and the file names
# replaced by the test's own.  A streaming example runs until it has shown
# its output, then gets SIGTERM (a clean stop, exit 0).
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_kafka
set +e

db=t17_$$
createdb "$db"
at_exit "dropdb --if-exists -f $db"
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db'\" >/dev/null 2>&1"
export PGDATABASE=$db
sql -c "CREATE TABLE customers (id int PRIMARY KEY, name text)"
sql -c "CREATE TABLE orders (id int PRIMARY KEY, customer int, created timestamptz DEFAULT now())"
prefix="t17.$$"
cd "$T"

# the example blocks, one command per line (continuations joined), with
# the test's database, broker and topic prefix
awk '/^\.Sh EXAMPLES/ { on = 1; next } /^\.Sh / { on = 0 }
	on && /^\.Bd -literal/ { blk++; inb = 1; next } on && /^\.Ed/ { inb = 0; next }
	on && inb { line = line $0; if (sub(/\\e$/, "", line) || sub(/\|$/, "| ", line)) next; print blk "\t" line; line = "" }' \
	"$PGWAL_TOP/man/pgwal-read.1" |
	sed -e "s/dbname=shop/dbname=$db/g" -e "s/kafka1:9092/$KAFKA_BROKERS/g" \
		-e "s/'shop\\./'$prefix./g" -e "s/--topic-prefix=shop/--topic-prefix=$prefix/g" \
		-e "s/shop-cdc/$prefix-cdc/g" -e 's/^\([0-9]*\)\t */\1\t/' >examples
is "$(cut -f1 examples | sort -u | wc -l)" 8 "the man page has 8 example blocks"

block() { awk -F '\t' -v b="$1" '$1 == b { print $2 }' examples; }
# run CMD with PATH finding our binaries
run() {
	PATH="$PGWAL_BIN:$PATH" timeout 60 bash -c "$1" >run.out 2>run.err
	rc=$?
}
# a streaming example: after SECONDS, SIGTERM to its pgwal-read (a clean
# stop), so that what reads its output sees the end and finishes too
run_stream() {
	PATH="$PGWAL_BIN:$PATH" timeout 60 bash -c "$1" >run.out 2>run.err &
	local job=$!
	sleep "$2"
	# timeout -> bash -> the pipeline's commands
	for c in $(pgrep -P "$job"); do pkill -TERM -P "$c" -x pgwal-read; done
	wait $job
	rc=$?
}
reads() { timeout 30 kcat -b "$KAFKA_BROKERS" -C -t "$prefix.public.$1" -e -q -f '%s\n' 2>/dev/null | grep -c '"op":"read"'; }

# 1: create the publication and the slot, then look at changes
run "$(block 1 | sed -n 1p)"
is "$rc" 0 "example 1a (create publication and slot) exits 0"
is "$(sql -c "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'shop_slot'")" pgoutput "... the slot exists"
sql -c "INSERT INTO orders (id, customer) VALUES (1, 7)"
run_stream "$(block 1 | sed -n 2p)" 3
is "$rc" 0 "example 1b (| jq .) stops cleanly on SIGTERM"
is "$(jq -r 'select(.table == "orders") | .after.customer' run.out)" 7 "example 1b (| jq .) shows the change"

# 2: everything committed so far into a file, for cron
sql -c "INSERT INTO orders (id, customer) VALUES (2, 8)"
run "$(block 2)"
is "$rc" 0 "example 2 (--catch-up --checkpoint >> file) exits 0"
like "$(cat changes.ndjson)" '"customer":8' "... the change is in changes.ndjson"
like "$(head -n 1 shop.ckpt)" '^[0-9A-F]+/[0-9A-F]+$' "... and shop.ckpt holds an LSN"

# 3: into Kafka, acknowledged
sql -c "INSERT INTO orders (id, customer) VALUES (3, 9)"
run_stream "$(block 3)" 5
is "$rc" 0 "example 3 (| kafka-write) stops cleanly on SIGTERM to pgwal-read"
is "$(timeout 30 kcat -b "$KAFKA_BROKERS" -C -t "$prefix.public.orders" -e -q -f '%k\n' | tr '\n' ' ')" '{"id":3} ' \
	"example 3 (| kafka-write) produced the change, keyed by id"
like "$(head -n 1 shop.ack)" '^[0-9A-F]+/[0-9A-F]+$' "... and kafka-write acknowledged it in shop.ack"

# 4: a new slot with its snapshot, then changes (a new slot: drop the old)
sql -c "SELECT pg_drop_replication_slot('shop_slot')" >/dev/null
rm -f shop.ack shop.ack.confirmed
sql -c "INSERT INTO customers VALUES (1, 'ada')"
run_stream "$(block 4)" 6
is "$rc" 0 "example 4 stops cleanly on SIGTERM to pgwal-read"
is "$(reads orders)" 3 "example 4 (--create-slot --snapshot --start) sent the publication's rows as read events"

# 5: re-send two tables
before=$(reads orders)
is "$(reads customers)" 0 "customers is not in the publication: no snapshot of it"
run "$(block 5)"
is "$rc" 0 "example 5 (--backfill | kafka-write) exits 0"
is "$(( $(reads orders) - before ))" 3 "... the three recent orders arrive again as read events"
is "$(reads customers)" 1 "... and the customers table's row"

# 6: Debezium's records, exactly once
sql -c "INSERT INTO orders (id, customer) VALUES (5, 11)"
run_stream "$(block 6)" 6
is "$rc" 0 "example 6 (--format=debezium | kafka-write --debezium) stops cleanly on SIGTERM to pgwal-read"
dbz=$(timeout 30 kcat -b "$KAFKA_BROKERS" -C -t "$prefix.public.orders" -X isolation.level=read_committed \
	-e -q -f '%k %s\n' 2>/dev/null | grep '"op":"c"' || true)
like "$dbz" '^\{"id":5\} \{"before":null,"after":\{"id":5,"customer":11,' "... the insert is Debezium's create, keyed by id"

# 7: slots and what is pending
run "$(block 7 | sed -n 1p)"
is "$rc" 0 "example 7a (--list-slots) exits 0"
like "$(cat run.out)" 'shop_slot' "... and lists shop_slot"
run "$(block 7 | sed -n 2p)"
is "$rc" 0 "example 7b (--list-slots | jq 'select(.warning)') exits 0"
sql -c "INSERT INTO orders (id, customer) VALUES (4, 10)"
run "$(block 7 | sed -n 3p)"
is "$rc" 0 "example 7c (--peek 100 | jq -c .after) exits 0"
like "$(cat run.out)" '"customer":10' "... and shows the pending change"

# 8: advance, asked first
end=$(sql -c "SELECT pg_current_wal_lsn()")
run "$(block 8 | sed -n 1p | sed "s|0/16B9000|$end|")"
is "$rc" 2 "example 8a (--advance without --yes, not on a terminal) refuses with 2"
like "$(cat run.err)" 'skips|--yes' "... saying what it would skip or that --yes is needed"
run "$(block 8 | sed -n 2p | sed "s|0/16B9000|$end|")"
is "$rc" 0 "example 8b (--advance --yes) exits 0"
is "$(sql -c "SELECT confirmed_flush_lsn >= '$end' FROM pg_replication_slots WHERE slot_name = 'shop_slot'")" t "... and the slot moved"

cd /
done_testing
