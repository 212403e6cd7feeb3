#!/bin/bash
# scripts/debezium-golden.sh [BUILD_DIR]: what a real Debezium 3.6.1
# (io.debezium:debezium-connector-postgres, under Kafka Connect standalone,
# JsonConverter) writes to Kafka for the workload of tests/fixtures/debezium/,
# captured once into the golden files committed there; the tests compare
# pgwal's Debezium-format records with them without Debezium.  Not part of
# make check: run it by hand when the workload or Debezium's version
# changes, then commit the files (and review tests/fixtures/debezium/README).
#
# Each run brings up a rig of its own (scripts/rig.sh: PostgreSQL 15 and a
# Kafka broker, in a temp dir), creates the database "pgwal", replays
# snapshot.sql (which creates the publication "pgwal" for all tables), and
# starts Connect with the connector: topic.prefix=dbz, plugin.name=pgoutput,
# slot.name=pgwal_dbz (created by Debezium), publication.name=pgwal,
# publication.autocreate.mode=disabled, Debezium's defaults otherwise
# (snapshot.mode=initial).  Once the snapshot's rows are all in Kafka and
# Connect logs that it streams, stream.sql.  Once its last change (the row
# of stream_end) is in Kafka, and 5 more seconds, Connect is stopped and
# every record of every topic is written, by topic, partition and offset
# (scripts/debezium-golden.py dump: raw key and value bytes, headers):
#
#   records.ndjson                    snapshot + stream, defaults
#   records-<property>=<value>.ndjson snapshot only, the *_types tables'
#                                     topics only, with that one property
#                                     set (decimal.handling.mode=string,
#                                     =double; time.precision.mode=connect,
#                                     =adaptive_time_microseconds;
#                                     binary.handling.mode=base64, =hex)
#   records-schemas.ndjson            snapshot only, *_types, with
#                                     key/value.converter.schemas.enable=true
#
# RUNS="main decimal.handling.mode=string ... schemas" chooses the runs
# (default: all, in that order); OUT the directory written (default
# tests/fixtures/debezium); DBZ_TIMEOUT the seconds each wait may take
# (default 300); DBZ_HEAP the JVM's heap (default 2G); KEEP=1 keeps the
# work directory (Connect's logs).  BUILD_DIR is not
# used (Debezium needs none of pgwal's programs); it is accepted so that
# the script is called like the other scripts/.  Needs java, kcat, python3,
# and mvn the first time (the jars, scripts/debezium-pom.xml, are fetched
# from Maven Central once into ~/.cache/pgwal).  One JVM for Connect at a
# time, besides the broker's.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
. "$here/debezium-lib.sh"
fix="$top/tests/fixtures/debezium"
out=${OUT:-$fix}
DBZ_TIMEOUT=${DBZ_TIMEOUT:-300}
RUNS=${RUNS:-main decimal.handling.mode=string decimal.handling.mode=double time.precision.mode=connect \
time.precision.mode=adaptive_time_microseconds binary.handling.mode=base64 binary.handling.mode=hex schemas}
for c in kcat python3 java psql createdb; do command -v $c >/dev/null || die "$c not found"; done
mkdir -p "$out"
out=$(cd "$out" && pwd)
dbz_fetch

shm=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
work=$(mktemp -d "$shm/dbz-golden.XXXXXX")
chmod 755 "$work"
dbz_pid=""
rig=""
cleanup() {
	dbz_stop
	[ -n "$rig" ] && "$here/rig.sh" down "$rig" >/dev/null 2>&1
	[ "${KEEP:-0}" = 1 ] && say "kept $work" && return
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed() {	# failed WHY
	grep -E 'ERROR|Exception|Error:' "$rig/dbz/connect.log" "$rig/dbz/out" 2>/dev/null | head -n 20 >&2
	die "Debezium: $1"
}
# wait_for WHAT COMMAND...: until COMMAND succeeds, DBZ_TIMEOUT at most,
# Connect alive
wait_for() {
	local what=$1 t0
	shift
	t0=$(date +%s)
	until "$@"; do
		kill -0 "$dbz_pid" 2>/dev/null || failed "the JVM exited while waiting for $what"
		! grep -qs 'will not recover until manually restarted' "$rig/dbz/connect.log" ||
			failed "the task died while waiting for $what"
		[ $(($(date +%s) - t0)) -lt "$DBZ_TIMEOUT" ] || failed "no $what after ${DBZ_TIMEOUT}s"
		sleep 1
	done
}
in_kafka() { python3 "$here/debezium-golden.py" count "$KAFKA_BROKERS"; }
snapshot_done() {
	[ "$(in_kafka)" -ge "$expect" ] && grep -q 'Snapshot completed' "$rig/dbz/connect.log" &&
		grep -q 'Processing messages' "$rig/dbz/connect.log" &&
		[ "$(psql -XAtc "select active from pg_replication_slots where slot_name = 'pgwal_dbz'")" = t ]
}
stream_done() {
	[ -n "$(kcat -C -q -e -b "$KAFKA_BROKERS" -t dbz.public.stream_end -o beginning -f '%o\n' 2>/dev/null)" ]
}

# run NAME: one capture; NAME is main, schemas or PROPERTY=VALUE
run() {
	local name=$1 file extra="" schemas=false pattern='_types$'
	case $name in
	main) file=records.ndjson pattern="" ;;
	schemas) file=records-schemas.ndjson schemas=true ;;
	*=*) file="records-$name.ndjson" extra=$name ;;
	*) die "unknown run $name" ;;
	esac
	rig="$work/$name"
	say "$name: starting a rig in $rig"
	"$here/rig.sh" up "$rig" >"$work/$name.rig.log" 2>&1 || { cat "$work/$name.rig.log" >&2; die "rig.sh up failed"; }
	. "$rig/env"
	[ -n "${KAFKA_BROKERS:-}" ] || die "no Kafka broker: $(cat "$rig/kafka.unavailable" 2>/dev/null)"
	export PGDATABASE=pgwal
	createdb pgwal
	psql -Xq -v ON_ERROR_STOP=1 -o /dev/null -f "$fix/snapshot.sql" 2>"$rig/snapshot.err" ||
		{ cat "$rig/snapshot.err" >&2; die "snapshot.sql failed"; }
	# the snapshot's records: a row each of the published tables
	expect=$(psql -XAt -v ON_ERROR_STOP=1 <<'SQL'
select coalesce(sum((xpath('/row/n/text()',
	query_to_xml(format('select count(*) as n from %I.%I', schemaname, tablename), false, true, '')))[1]::text::bigint), 0)
from pg_publication_tables where pubname = 'pgwal'
SQL
)
	dbz_worker "$rig/dbz" "$schemas"
	cat >"$rig/dbz/connector.properties" <<PROPS
name=pgwal-golden
connector.class=io.debezium.connector.postgresql.PostgresConnector
tasks.max=1
database.hostname=$PGHOST
database.port=$PGPORT
database.user=$PGUSER
database.password=unused
database.dbname=pgwal
topic.prefix=dbz
plugin.name=pgoutput
slot.name=pgwal_dbz
publication.name=pgwal
publication.autocreate.mode=disabled
$extra
PROPS
	dbz_jvm "$rig/dbz"
	say "$name: Connect started (pid $dbz_pid), waiting for the snapshot's $expect records"
	wait_for "snapshot" snapshot_done
	if [ "$name" = main ]; then
		psql -Xq -v ON_ERROR_STOP=1 -o /dev/null -f "$fix/stream.sql" 2>"$rig/stream.err" ||
			{ cat "$rig/stream.err" >&2; die "stream.sql failed"; }
		say "$name: stream.sql done, waiting for its last change"
		wait_for "stream_end record" stream_done
	fi
	sleep 5
	dbz_stop
	n=$(python3 "$here/debezium-golden.py" dump "$KAFKA_BROKERS" "$out/$file" "$pattern")
	say "$name: $n records in $out/$file"
	cp "$rig/dbz/connect.log" "$work/$name.connect.log"
	"$here/rig.sh" down "$rig" >/dev/null 2>&1
	rig=""
	unset KAFKA_BROKERS
}

for r in $RUNS; do run "$r"; done
