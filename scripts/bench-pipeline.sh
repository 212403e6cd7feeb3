#!/bin/bash
# scripts/bench-pipeline.sh [BUILD_DIR]: the whole pipeline,
# pgwal-read --ack-file | kafka-write --topic-template, CPU per change.
#
# ROUNDS (default 5) slots per contender are created before one backlog of
# CHANGES (default 400000) row changes, pgbench's TPC-B-like transaction
# (scripts/bench-backlog.sql: 3 updates and an insert on four tables, a
# COMMIT each).  Then each slot is streamed to four topics of its own, one
# per table, keyed, with kafka-write's defaults; the contenders take turns
# round by round, so that whatever else the machine does falls on all.
# Both programs end by themselves at the backlog's end LSN, and the topics
# must then hold every change.
#
# Contenders: "pgwal" (BUILD_DIR); with BASE=DIR also "base", the programs
# of another build (to show a change against what it replaces); with
# VARIANTS="name=kafka-write options;..." also the same build with other
# kafka-write options, for example VARIANTS="linger50=-X linger.ms=50".
#
# A first round per contender (WARMUP=1, the default; WARMUP=0 to skip) is
# run and not counted: a fresh broker's JVM is still compiling its hot
# code, and the first rounds on it cost up to a third more CPU time in both
# programs, as a slower broker makes smaller bursts.
#
# Prints, per round and as medians per contender: the time from start to
# drained, events/s, and CPU seconds (user+sys) per million changes of
# pgwal-read, of kafka-write and of both, and peak RSS.
#
# Uses the rig in $PGWAL_RIG_ENV when set (its PostgreSQL and broker;
# the database "pipebench" is created and dropped), or brings its own up
# (scripts/rig.sh, in /dev/shm where there is one) and down at the end.
# Not part of make check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
build=$(cd "${1:-$top/build}" && pwd)
CHANGES=${CHANGES:-400000}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-1}
case $WARMUP in 0 | 1) ;; *) die "WARMUP must be 0 or 1" ;; esac
first=$((1 - WARMUP))
ADMIN="$build/tests/kw_admin"
[ -x "$build/pgwal-read" ] && [ -x "$build/kafka-write" ] || die "no programs in $build: run make first"
[ -x "$ADMIN" ] || die "no $ADMIN: run make tests first"
command -v kcat >/dev/null || die "kcat is not installed"
command -v pgbench >/dev/null || die "pgbench is not installed"

# contenders: "name build kafka-write-options", one per line
contenders="pgwal $build"
if [ -n "${BASE:-}" ]; then
	base=$(cd "$BASE" && pwd) || die "no BASE directory $BASE"
	[ -x "$base/pgwal-read" ] && [ -x "$base/kafka-write" ] || die "no programs in $base"
	contenders="$contenders
base $base"
fi
if [ -n "${VARIANTS:-}" ]; then
	IFS=';' read -ra vs <<<"$VARIANTS"
	for v in "${vs[@]}"; do
		name=${v%%=*}
		case $name in '' | *[!A-Za-z0-9_]*) die "VARIANTS: \"$v\" is not name=options" ;; esac
		contenders="$contenders
$name $build ${v#*=}"
	done
fi

shm=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
work=$(mktemp -d "$shm/pipe-bench.XXXXXX")
chmod 755 "$work"
rig=""
made_topics=""
cleanup() {
	if [ -n "$rig" ]; then
		"$here/rig.sh" down "$rig" >/dev/null 2>&1 || true
	elif [ "${PGDATABASE:-}" = pipebench ]; then
		drop_db
		# the rig stays: its broker keeps only what others put there
		for t in $made_topics; do "$ADMIN" delete "$KAFKA_BROKERS" "$t" >/dev/null 2>&1 || true; done
	fi
	rm -rf "$work"
}
drop_db() {	# the database and this script's slots in it
	psql -Xqt -d postgres -c "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots
		WHERE database = 'pipebench' AND slot_name LIKE 'pb\\_%'" >/dev/null 2>&1 || true
	psql -Xq -d postgres -c "DROP DATABASE IF EXISTS pipebench" >/dev/null 2>&1 || true
}
trap cleanup EXIT
if [ -n "${PGWAL_RIG_ENV:-}" ]; then
	. "$PGWAL_RIG_ENV"
else
	rig=$work/rig
	mkdir "$rig"
	say "starting a rig in $rig"
	"$here/rig.sh" up "$rig" >&2
	. "$rig/env"
fi
[ -n "${KAFKA_BROKERS:-}" ] || die "no Kafka broker"
drop_db
createdb pipebench
export PGDATABASE=pipebench
pgbench -i -s 1 -q >/dev/null 2>&1 || die "pgbench -i failed"
psql -Xq -v ON_ERROR_STOP=1 -f "$here/bench-backlog.sql"
tables="pgbench_accounts pgbench_tellers pgbench_branches pgbench_history"

n=$(wc -l <<<"$contenders")
free=$(psql -XAtc "SELECT current_setting('max_replication_slots')::int - count(*) FROM pg_replication_slots")
[ "$free" -ge $((n * (ROUNDS + WARMUP))) ] ||
	die "$n contenders x $((ROUNDS + WARMUP)) rounds need $((n * (ROUNDS + WARMUP))) replication slots, the server has $free free (max_replication_slots)"
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
while read -r name _; do
	for r in $(seq "$first" "$ROUNDS"); do
		psql -Xqt -c "SELECT pg_create_logical_replication_slot('pb_${name}_$r', 'pgoutput')" >/dev/null
		for t in $tables; do
			"$ADMIN" create "$KAFKA_BROKERS" "pb.$$.$name$r.public.$t" 1 >/dev/null ||
				die "cannot create a topic"
			made_topics="$made_topics pb.$$.$name$r.public.$t"
		done
	done
done <<<"$contenders"
say "writing the backlog: $((CHANGES / 4)) transactions of 4 changes"
psql -Xq -c "CALL backlog($((CHANGES / 4)))"
end=$(psql -XAtc "SELECT pg_current_wal_lsn()")
expect=$(psql -XAtc "SELECT 4 * count(*) FROM pgbench_history")
say "backlog: $expect row changes, WAL end $end; $n contenders x $ROUNDS rounds"

: >"$work/results"
for r in $(seq "$first" "$ROUNDS"); do
	while read -r name bin opts; do
		p="pb.$$.$name$r"
		t0=$(date +%s.%N)
		# shellcheck disable=SC2086
		/usr/bin/time -f '%U %S %M' -o "$work/r" "$bin/pgwal-read" -q -S "pb_${name}_$r" \
			--publication bench --ack-file "$work/$p.ack" -E "$end" --no-loop |
			/usr/bin/time -f '%U %S %M' -o "$work/w" "$bin/kafka-write" -q -b "$KAFKA_BROKERS" \
				--topic-template "$p.{schema}.{table}" --ack-file "$work/$p.ack" $opts ||
			die "$name round $r: the pipeline failed"
		t1=$(date +%s.%N)
		got=$(table_topics_count "$p" $tables)
		[ "$got" = "$expect" ] || die "$name round $r: $got messages in Kafka, expected $expect"
		read -r ur sr mr <"$work/r"
		read -r uw sw mw <"$work/w"
		[ "$r" -eq 0 ] ||
			echo "$name $r $(echo "$t1 - $t0" | bc) $ur $sr $uw $sw $mr $mw" >>"$work/results"
	done <<<"$contenders"
	if [ "$r" -eq 0 ]; then say "warm-up round done (not counted)"; else say "round $r done"; fi
done
echo "pipeline: $expect row changes (pgbench TPC-B-like, 4 tables, a topic each, keyed, --ack-file)"
echo "contenders:"
while read -r name bin opts; do echo "  $name: $bin ${opts:+(kafka-write $opts)}"; done <<<"$contenders"
awk -v n="$expect" '
function median(arr, name, k,    v, i, j, tmp) {
	for (i = 1; i <= k; i++) v[i] = arr[name, i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
	return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
}
{
	m = n / 1e6; k = ++cnt[$1]
	if (k == 1) order[++names] = $1
	rate[$1, k] = n / $3; cr[$1, k] = ($4 + $5) / m; cw[$1, k] = ($6 + $7) / m
	ur[$1, k] = $4 / m; uw[$1, k] = $6 / m
	cb[$1, k] = ($4 + $5 + $6 + $7) / m; rss[$1, k] = ($8 + $9) / 1024
	printf "%-10s round %d %6.2fs %7.0f events/s  CPU s/M: pgwal-read %.2f (user %.2f) kafka-write %.2f (user %.2f) both %.2f  RSS %.0f MB\n",
		$1, $2, $3, n / $3, cr[$1, k], $4 / m, cw[$1, k], $6 / m, cb[$1, k], rss[$1, k]
}
END {
	for (i = 1; i <= names; i++) {
		c = order[i]; k = cnt[c]
		b[c] = median(cb, c, k)
		printf "median %-10s %7.0f events/s  CPU s/M: pgwal-read %.2f (user %.2f) kafka-write %.2f (user %.2f) both %.2f  RSS %.0f MB\n",
			c, median(rate, c, k), median(cr, c, k), median(ur, c, k), median(cw, c, k), median(uw, c, k), b[c], median(rss, c, k)
	}
	for (i = 2; i <= names; i++)
		printf "%s/%s CPU per change (both programs, medians): %.2f\n", order[1], order[i], b[order[1]] / b[order[i]]
}' "$work/results"
