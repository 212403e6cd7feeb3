#!/bin/bash
# scripts/capture-fixture.sh BUILD_DIR NAME SQLFILE: record what a real server
# sends through pgoutput for a workload, as a golden fixture.
#
# Runs SQLFILE in a fresh database of the rig named by PGWAL_RIG_ENV (the
# file creates slot "cap" and publication "cap"), then streams the slot to
# the end with pgwal-read --dump-raw, and writes
#   tests/fixtures/pgoutput/NAME.msgs    the messages (wal_start wal_end hex)
#   tests/fixtures/pgoutput/NAME.ndjson  what pgwal-read printed for them
# Check the .ndjson by reading it (and with tests/t/11's wal2json comparison
# of the same code paths) before committing it: from then on the unit tests
# hold the decoder to it without a server.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=$(cd "${1:?usage: capture-fixture.sh BUILD_DIR NAME SQLFILE}" && pwd)
name=${2:?name}; sqlfile=${3:?sql file}
. "${PGWAL_RIG_ENV:?set PGWAL_RIG_ENV to a rig env file}"
db=capture_$$
createdb "$db"
trap 'psql -Xq -d "$db" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()" >/dev/null 2>&1; dropdb --if-exists "$db"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$sqlfile" >/dev/null
out="$here/../tests/fixtures/pgoutput"
"$bin/pgwal-read" -d "dbname=$db" -S cap --publication cap --catch-up --proto-version 3 \
	--dump-raw "$out/$name.msgs.tmp" >"$out/$name.ndjson"
{
	echo "# captured from PostgreSQL $(psql -XAtc 'SHOW server_version') by scripts/capture-fixture.sh"
	echo "# workload: ${sqlfile#"$here/../"}"
	echo "# proto: 3"
	# tables with REPLICA IDENTITY FULL get their key from a catalog look-up
	# at run time; the fixture answers it with "# pk: RELID cols" lines
	psql -XAt -d "$db" -c "SELECT '# pk: ' || c.oid || ' ' || string_agg(a.attname, ',' ORDER BY array_position(i.indkey::int2[], a.attnum))
		FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey::int2[])
		WHERE c.relreplident = 'f' GROUP BY c.oid"
	cat "$out/$name.msgs.tmp"
} >"$out/$name.msgs"
rm -f "$out/$name.msgs.tmp"
say "wrote $out/$name.msgs ($(grep -vc '^#' "$out/$name.msgs") messages) and $name.ndjson ($(wc -l <"$out/$name.ndjson") lines)"
