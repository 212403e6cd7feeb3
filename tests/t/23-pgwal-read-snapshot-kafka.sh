#!/bin/bash
# The initial snapshot and a backfill through kafka-write into the rig's
# Kafka broker: kafka-write acknowledges the snapshot's commit line (its
# consistent point), a restart then streams on, and every row and change
# is in Kafka, keyed by primary key.  Read back with kcat.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_kafka

db="t23_$$"
pfx="t23_$$"
P="t23.$$.$(date +%s)"			# a topic prefix of our own
cleanup() {
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name like '${pfx}%' and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"
consume() { timeout 60 kcat -b "$KAFKA_BROKERS" -C -t "$1" -e -q -f "${2:-%s\n}"; }

sql -c "create table acct(id int primary key, bal int); create publication pgwal for all tables"
sql -c "insert into acct select g, g from generate_series(1, 5000) g"

# snapshot, then the slot, into Kafka, acknowledged by kafka-write
set +e
timeout 120 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_s" --create-slot --snapshot --start \
	--ack-file "$T/ack" --catch-up 2>"$T/r.err" |
	timeout 120 "$KAFKA_WRITE" -b "$KAFKA_BROKERS" --topic-template "$P.{schema}.{table}" \
		--ack-file "$T/ack" 2>"$T/k.err"
rcs="${PIPESTATUS[*]}"
set -e
is "$rcs" "0 0" "pgwal-read --snapshot | kafka-write exit 0"
# the marker holds the snapshot's consistent point until a restart finds it
# acknowledged; the slot itself may be confirmed further once everything is
# (keepalive positions, recorded in ack.confirmed first)
cp=$(head -n 1 "$T/ack.snapshot")
is "$(sql -c "select '$(head -n 1 "$T/ack")'::pg_lsn >= '$cp'::pg_lsn")" t "kafka-write acknowledged the snapshot (its ack file reached the consistent point $cp)"
flushed=$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '${pfx}_s'")
is "$(sql -c "select '$flushed'::pg_lsn <= greatest('$(head -n 1 "$T/ack")'::pg_lsn, '$(head -n 1 "$T/ack.confirmed" 2>/dev/null || echo 0/0)'::pg_lsn)")" t \
	"... and the slot is confirmed no further than acknowledged or recorded ($flushed)"

consume "$P.public.acct" '%k\n' | sort >"$T/keys"
is "$(wc -l <"$T/keys")" 5000 "every row of the snapshot is in Kafka"
is "$(grep -cx '{"id":1}' "$T/keys" || true)" 1 "... keyed by its primary key"
is "$(sort -u "$T/keys" | wc -l)" 5000 "... each once"

# changes after the snapshot, then a restart that finds the snapshot acknowledged
sql -c "update acct set bal = bal + 1 where id <= 10"
sql -c "delete from acct where id = 5000"
set +e
timeout 120 "$PGWAL_READ" -d "dbname=$db" -S "${pfx}_s" --ack-file "$T/ack" --catch-up 2>"$T/r2.err" |
	timeout 120 "$KAFKA_WRITE" -b "$KAFKA_BROKERS" --topic-template "$P.{schema}.{table}" \
		--ack-file "$T/ack" 2>"$T/k2.err"
rcs="${PIPESTATUS[*]}"
set -e
is "$rcs" "0 0" "a restart after the acknowledged snapshot streams on"
sed 's/^/#   /' "$T/r2.err" | head -n 5
ok "$([ ! -e "$T/ack.snapshot" ] && echo 0 || echo 1)" "... and removes the snapshot marker"
consume "$P.public.acct" >"$T/all"
is "$(grep -c '"op":"read"' "$T/all")" 5000 "Kafka has the 5000 read events"
is "$(grep -c '"op":"update"' "$T/all")" 10 "... then the 10 updates"
is "$(grep -c '"op":"delete"' "$T/all")" 1 "... and the delete"

# a backfill into a topic of its own: no acknowledgement, every row
set +e
timeout 120 "$PGWAL_READ" -d "dbname=$db" --backfill --table acct --where "id <= 100" 2>"$T/b.err" |
	timeout 120 "$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "$P.backfill" 2>"$T/kb.err"
rcs="${PIPESTATUS[*]}"
set -e
is "$rcs" "0 0" "pgwal-read --backfill | kafka-write exit 0"
consume "$P.backfill" '%k %s\n' >"$T/bf"
is "$(wc -l <"$T/bf")" 100 "the backfilled rows are in Kafka"
like "$(grep -m1 '^{"id":7} ' "$T/bf")" '"after":\{"id":7,"bal":8\}' "... with their current values"

done_testing
