#!/bin/bash
# scripts/bench-pgwal-read.sh [BUILD_DIR]: pgwal-read's decoding speed side by
# side with pg_recvlogical, in one run, on the same changes.
#
# Creates ROUNDS slots per contender before one workload (pgbench-like rows:
# ROWS inserts in TXNS transactions, then as many updates), then drains each
# slot to the same end LSN, alternating the contenders round by round:
#
#   pgwal-read        pgoutput decoded to JSON lines            (> /dev/null)
#   recvlogical-pgo   pg_recvlogical, pgoutput, raw bytes only   (> /dev/null)
#   recvlogical-w2j   pg_recvlogical, wal2json format 2          (> /dev/null)
#
# Prints per-round wall time, rows/s, CPU seconds of the client and its peak
# RSS, and the ratios of medians.  Needs no test rig of its own: it brings one
# up in a temp dir (PostgreSQL only) unless PGPORT is set.  Not part of
# make check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=$(cd "${1:-build}" && pwd)
ROWS=${ROWS:-200000}; TXNS=${TXNS:-200}; ROUNDS=${ROUNDS:-3}
[ -x "$bin/pgwal-read" ] || die "build first: make"

rig=""
if [ -z "${PGPORT:-}" ]; then
	rig=$(mktemp -d "${TMPDIR:-/tmp}/pgwal-bench.XXXXXX")
	trap '"$here/pg.sh" stop "$rig" >/dev/null 2>&1; rm -rf "$rig"' EXIT
	"$here/pg.sh" start "$rig" 2>/dev/null
	. "$rig/pg.env"
fi
PGBIN=${PGWAL_PGBIN:-$(pg_bindir)}
db=pgwal_bench_$$
createdb "$db"
export PGDATABASE=$db
psql -Xq -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE acct (aid int PRIMARY KEY, bid int, abalance int, filler char(84), note text, ts timestamptz DEFAULT now());
CREATE PUBLICATION bench FOR TABLE acct;
SQL
contenders="pgwal-read recvlogical-pgo recvlogical-w2j"
for r in $(seq 1 "$ROUNDS"); do
	for c in $contenders; do
		plugin=pgoutput; [ "$c" = recvlogical-w2j ] && plugin=wal2json
		psql -Xqt -c "SELECT pg_create_logical_replication_slot('b_${c//-/_}_$r', '$plugin')" >/dev/null
	done
done
per=$((ROWS / TXNS))
for t in $(seq 0 $((TXNS - 1))); do
	echo "INSERT INTO acct (aid, bid, abalance, filler, note) SELECT g, g % 10, 0, 'f', md5(g::text) FROM generate_series($((t * per + 1)), $(((t + 1) * per))) g;"
done | psql -Xq
for t in $(seq 0 $((TXNS - 1))); do
	echo "UPDATE acct SET abalance = abalance + 1 WHERE aid BETWEEN $((t * per + 1)) AND $(((t + 1) * per));"
done | psql -Xq
end=$(psql -XAtc "SELECT pg_current_wal_lsn()")
changes=$((ROWS * 2))
echo "workload: $changes row changes in $((TXNS * 2)) transactions, WAL end $end"

run() {	# contender round -> "wall cpu rss"
	local c=$1 r=$2 slot="b_${1//-/_}_$2" out
	case $c in
	pgwal-read)
		out=$( { /usr/bin/time -f '%e %U %S %M' "$bin/pgwal-read" -S "$slot" --publication bench -E "$end" --no-loop >/dev/null; } 2>&1 | tail -n 1) ;;
	recvlogical-pgo)
		out=$( { /usr/bin/time -f '%e %U %S %M' "$PGBIN/pg_recvlogical" -d "$db" -S "$slot" --start -E "$end" -f - --no-loop \
			-o proto_version=1 -o publication_names=bench >/dev/null; } 2>&1 | tail -n 1) ;;
	recvlogical-w2j)
		out=$( { /usr/bin/time -f '%e %U %S %M' "$PGBIN/pg_recvlogical" -d "$db" -S "$slot" --start -E "$end" -f - --no-loop \
			-o format-version=2 >/dev/null; } 2>&1 | tail -n 1) ;;
	esac
	echo "$out" | awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 }'
}
declare -A walls
printf '%-16s %5s %8s %12s %8s %9s\n' contender round wall_s rows_per_s cpu_s rss_kb
for r in $(seq 1 "$ROUNDS"); do
	for c in $contenders; do
		read -r wall cpu rss < <(run "$c" "$r")
		walls[$c]="${walls[$c]:-} $wall"
		printf '%-16s %5d %8.2f %12.0f %8.2f %9d\n' "$c" "$r" "$wall" "$(echo "$changes / $wall" | bc -l)" "$cpu" "$rss"
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
m_p=$(echo "${walls[pgwal-read]}" | median)
m_o=$(echo "${walls[recvlogical-pgo]}" | median)
m_w=$(echo "${walls[recvlogical-w2j]}" | median)
printf 'median wall: pgwal-read %.2fs, pg_recvlogical+pgoutput %.2fs, pg_recvlogical+wal2json %.2fs\n' "$m_p" "$m_o" "$m_w"
printf 'speed ratio (time of the other / time of pgwal-read): vs raw pgoutput %.2fx, vs wal2json %.2fx\n' \
	"$(echo "$m_o / $m_p" | bc -l)" "$(echo "$m_w / $m_p" | bc -l)"
for r in $(seq 1 "$ROUNDS"); do for c in $contenders; do
	psql -Xqt -c "SELECT pg_drop_replication_slot('b_${c//-/_}_$r')" >/dev/null
done; done
psql -Xq -d postgres -c "DROP DATABASE $db" 
