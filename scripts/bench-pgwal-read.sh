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
#   pgwal-read-base   another pgwal-read build, only if BASE=DIR is set
#
# Prints per-round wall time, rows/s, user and total CPU seconds of the client
# per million changes and its peak RSS, and the ratios of medians.  Needs no test rig of its own: it brings one
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
CREATE TABLE acct (aid int PRIMARY KEY, bid bigint, abalance numeric(12,2), filler char(84), note text, ts timestamptz DEFAULT now());
CREATE PUBLICATION bench FOR TABLE acct;
SQL
contenders="pgwal-read recvlogical-pgo recvlogical-w2j"
if [ -n "${BASE:-}" ]; then
	base=$(cd "$BASE" && pwd)
	[ -x "$base/pgwal-read" ] || die "no pgwal-read in $BASE"
	contenders="pgwal-read-base $contenders"
fi
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

run() {	# contender round -> "wall user cpu rss"
	local c=$1 r=$2 slot="b_${1//-/_}_$2" out
	case $c in
	pgwal-read-base)
		out=$( { /usr/bin/time -f '%e %U %S %M' "$base/pgwal-read" -S "$slot" --publication bench -E "$end" --no-loop >/dev/null; } 2>&1 | tail -n 1) ;;
	pgwal-read)
		out=$( { /usr/bin/time -f '%e %U %S %M' "$bin/pgwal-read" -S "$slot" --publication bench -E "$end" --no-loop >/dev/null; } 2>&1 | tail -n 1) ;;
	recvlogical-pgo)
		out=$( { /usr/bin/time -f '%e %U %S %M' "$PGBIN/pg_recvlogical" -d "$db" -S "$slot" --start -E "$end" -f - --no-loop \
			-o proto_version=1 -o publication_names=bench >/dev/null; } 2>&1 | tail -n 1) ;;
	recvlogical-w2j)
		out=$( { /usr/bin/time -f '%e %U %S %M' "$PGBIN/pg_recvlogical" -d "$db" -S "$slot" --start -E "$end" -f - --no-loop \
			-o format-version=2 >/dev/null; } 2>&1 | tail -n 1) ;;
	esac
	echo "$out" | awk '{ printf "%s %.2f %.2f %d\n", $1, $2, $2 + $3, $4 }'
}
declare -A walls users cpus
printf '%-16s %5s %8s %12s %8s %8s %10s %9s %9s\n' contender round wall_s rows_per_s user_s cpu_s user_s/M cpu_s/M rss_kb
for r in $(seq 1 "$ROUNDS"); do
	for c in $contenders; do
		read -r wall user cpu rss < <(run "$c" "$r")
		walls[$c]="${walls[$c]:-} $wall"
		users[$c]="${users[$c]:-} $(echo "$user * 1000000 / $changes" | bc -l)"
		cpus[$c]="${cpus[$c]:-} $(echo "$cpu * 1000000 / $changes" | bc -l)"
		printf '%-16s %5d %8.2f %12.0f %8.2f %8.2f %10.2f %9.2f %9d\n' "$c" "$r" "$wall" "$(echo "$changes / $wall" | bc -l)" \
			"$user" "$cpu" "$(echo "$user * 1000000 / $changes" | bc -l)" "$(echo "$cpu * 1000000 / $changes" | bc -l)" "$rss"
	done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for c in $contenders; do
	printf 'median %-16s user %.2f s, total %.2f s CPU per million changes\n' "$c" \
		"$(echo "${users[$c]}" | median)" "$(echo "${cpus[$c]}" | median)"
done
m_p=$(echo "${walls[pgwal-read]}" | median)
m_o=$(echo "${walls[recvlogical-pgo]}" | median)
m_w=$(echo "${walls[recvlogical-w2j]}" | median)
printf 'median wall: pgwal-read %.2fs, pg_recvlogical+pgoutput %.2fs, pg_recvlogical+wal2json %.2fs\n' "$m_p" "$m_o" "$m_w"
printf 'speed ratio (time of the other / time of pgwal-read): vs raw pgoutput %.2fx, vs wal2json %.2fx\n' \
	"$(echo "$m_o / $m_p" | bc -l)" "$(echo "$m_w / $m_p" | bc -l)"
if [ -n "${BASE:-}" ]; then
	m_b=$(echo "${walls[pgwal-read-base]}" | median)
	printf 'base build: median wall %.2fs, vs raw pgoutput %.2fx\n' "$m_b" "$(echo "$m_o / $m_b" | bc -l)"
fi
for r in $(seq 1 "$ROUNDS"); do for c in $contenders; do
	psql -Xqt -c "SELECT pg_drop_replication_slot('b_${c//-/_}_$r')" >/dev/null
done; done
psql -Xq -d postgres -c "DROP DATABASE $db" 
