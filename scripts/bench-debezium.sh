#!/bin/bash
# scripts/bench-debezium.sh [BUILD_DIR]: the pgwal pipeline
# (pgwal-read | kafka-write) side by side with Debezium's PostgreSQL
# connector (io.debezium:debezium-connector-postgres, run by Kafka Connect
# standalone), in one run, on the same database, publication and broker.
#
# Drain: ROUNDS slots per contender are created before one backlog of
# CHANGES (default 200000) row changes, pgbench's TPC-B-like transaction
# (3 updates and an insert on pgbench_accounts, _tellers, _branches,
# _history) run by a procedure, a COMMIT each.  Then each slot is streamed
# into topics of its own, one per table, keyed, alternating the contenders
# round by round:
#
#   pgwal      pgwal-read --ack-file | kafka-write --topic-template (defaults)
#   debezium   Connect standalone, JsonConverter schemas.enable=false,
#              plugin.name=pgoutput, snapshot.mode=no_data, the same slot
#              kind (created beforehand) and publication, defaults otherwise
#
# "Drained" is the topics' end offsets adding up to the number of changes.
# Prints events/s (from the start of the process(es) to drained), CPU
# seconds per million events (user+sys of pgwal-read and kafka-write; of the
# JVM), peak RSS (of each process; the sum for pgwal), and the ratios; for
# Debezium also the same from its first message on (JVM start excluded).
#
# Latency: for each rate in LAT_RATES (pgbench transactions/s, 4 changes
# each; default "500 1250", about 2k and 5k changes/s) and each contender,
# a fresh slot, then pgbench -R and the pipeline started together at T0;
# consumers read the topics as they fill.  Reports the delay from commit
# (the event's commit time: pgwal's "ts", Debezium's source.ts_us) to the
# consumer's receipt, and to the record's CreateTime, p50/p99/max, for the
# events committed in the first LAT_START seconds (default 5) and, apart,
# for those committed in a LAT_WINDOW-second window (default 30) after
# LAT_WARM seconds (default 30: Debezium takes seconds to start and then
# to catch up).
#
# Knobs: CHANGES, ROUNDS (default 2), KW_OPTS (more kafka-write options,
# for example "-X linger.ms=5"), LAT_RATES, LAT_START, LAT_WARM,
# LAT_WINDOW, LAT_WHO (default "pgwal debezium"), LAT_OUT (a directory to
# keep each latency run's samples in), DRAIN=0 or LATENCY=0 to skip a part, DBZ_TIMEOUT (seconds a
# Debezium drain may take, default 600), DBZ_HEAP (default 2G, as
# connect-standalone.sh).  Brings its own rig up (PostgreSQL 15 and the
# Kafka broker, scripts/rig.sh) in a temp dir, and down at the end.
# Fetches the jars (scripts/debezium-pom.xml) with Maven into the cache
# once.  Not part of make check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
build=$(cd "${1:-$top/build}" && pwd)
CHANGES=${CHANGES:-200000}
ROUNDS=${ROUNDS:-2}
LAT_RATES=${LAT_RATES:-500 1250}
LAT_START=${LAT_START:-5}
LAT_WARM=${LAT_WARM:-30}
LAT_WINDOW=${LAT_WINDOW:-30}
DBZ_TIMEOUT=${DBZ_TIMEOUT:-600}
PR="$build/pgwal-read"
KW="$build/kafka-write"
ADMIN="$build/tests/kw_admin"
[ -x "$PR" ] && [ -x "$KW" ] || die "no $PR or $KW: run make first"
[ -x "$ADMIN" ] || die "no $ADMIN: run make tests first"
for c in kcat pgbench python3 java; do command -v $c >/dev/null || die "$c not found"; done

. "$here/debezium-lib.sh"
dbz_fetch

# the broker's log and the cluster in memory where there is a tmpfs
shm=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
rig=$(mktemp -d "$shm/dbz-bench.XXXXXX")
chmod 755 "$rig"
dbz_pid=""
bg_pids=""
cleanup() {
	for p in $dbz_pid $bg_pids; do kill "$p" 2>/dev/null || true; done
	[ -n "$dbz_pid" ] && wait "$dbz_pid" 2>/dev/null
	"$here/rig.sh" down "$rig" >/dev/null 2>&1 || true
	rm -rf "$rig"
}
trap cleanup EXIT
say "starting a rig in $rig"
"$here/rig.sh" up "$rig" >&2
. "$rig/env"
[ -n "${KAFKA_BROKERS:-}" ] || die "no Kafka broker: $(cat "$rig/kafka.unavailable" 2>/dev/null)"
export PGDATABASE=bench
createdb bench
pgbench -i -s 1 -q >/dev/null 2>&1 || die "pgbench -i failed"
psql -Xq -v ON_ERROR_STOP=1 -f "$here/bench-backlog.sql"
tables="pgbench_accounts pgbench_tellers pgbench_branches pgbench_history"

# topics PREFIX: create the four topics (before the clock starts: both
# contenders write into topics that exist)
topics() {
	local t
	for t in $tables; do "$ADMIN" create "$KAFKA_BROKERS" "$1.public.$t" 1 >/dev/null || die "cannot create $1.public.$t"; done
}
now() { date +%s.%N; }

# Debezium under Kafka Connect standalone, with connect-standalone.sh's JVM
# options.  dbz_start NAME SLOT: starts it, sets dbz_pid.
dbz_start() {
	local name=$1 slot=$2 d="$rig/$1"
	mkdir -p "$d"
	dbz_worker "$d"
	cat >"$d/connector.properties" <<EOF
name=$name
connector.class=io.debezium.connector.postgresql.PostgresConnector
tasks.max=1
database.hostname=$PGHOST
database.port=$PGPORT
database.user=$PGUSER
database.password=unused
database.dbname=$PGDATABASE
topic.prefix=$name
plugin.name=pgoutput
slot.name=$slot
publication.name=bench
publication.autocreate.mode=disabled
snapshot.mode=no_data
EOF
	dbz_jvm "$d"
}
# dbz_usage: "cpu_s peak_rss_kb" of the running JVM
dbz_usage() {
	local tck
	tck=$(getconf CLK_TCK)
	awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.2f ", ($12 + $13) / t }' "/proc/$dbz_pid/stat"
	awk '/^VmHWM:/ { print $2 }' "/proc/$dbz_pid/status"
}
dbz_failed() {	# dbz_failed NAME WHY
	grep -E 'ERROR|Exception|Error:' "$rig/$1/connect.log" "$rig/$1/out" 2>/dev/null | head -n 20 >&2
	die "Debezium ($1): $2"
}

# pgwal_start SLOT PREFIX ACKFILE [PGWAL-READ-OPTIONS]: the pipeline in the
# background, each program under /usr/bin/time; sets pw_pid (the pipeline's
# subshell); pgwal-read's pid goes to $rig/PREFIX.pid
pgwal_start() {
	local slot=$1 prefix=$2 ack=$3
	shift 3
	# shellcheck disable=SC2016
	( /usr/bin/time -f '%e %U %S %M' -o "$rig/$prefix.time-r" sh -c 'echo $$ >"$0"; exec "$@"' \
		"$rig/$prefix.pid" "$PR" -q -S "$slot" --publication bench --ack-file "$ack" "$@" |
		/usr/bin/time -f '%e %U %S %M' -o "$rig/$prefix.time-w" "$KW" -q -b "$KAFKA_BROKERS" \
		--topic-template "$prefix.{schema}.{table}" --ack-file "$ack" ${KW_OPTS:-} ) &
	pw_pid=$!
}

# the machine's load (other work on it shows in every figure)
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
if [ "${DRAIN:-1}" != 0 ]; then
	for r in $(seq 1 "$ROUNDS"); do
		for c in pw dbz; do
			psql -Xqt -c "SELECT pg_create_logical_replication_slot('${c}_$r', 'pgoutput')" >/dev/null
			topics "${c}$r"
		done
	done
	say "writing the backlog: $((CHANGES / 4)) transactions of 4 changes"
	psql -Xq -c "CALL backlog($((CHANGES / 4)))"
	end=$(psql -XAtc "SELECT pg_current_wal_lsn()")
	expect=$(psql -XAtc "SELECT 4 * count(*) FROM pgbench_history")
	say "backlog: $expect row changes, WAL end $end"
	: >"$rig/drain"
	for r in $(seq 1 "$ROUNDS"); do
		# pgwal: both programs end by themselves at the end LSN
		t0=$(now)
		pgwal_start "pw_$r" "pw$r" "$rig/pw$r.ack" -E "$end" --no-loop
		wait "$pw_pid" || die "the pgwal pipeline failed"
		t1=$(now)
		got=$(table_topics_count "pw$r" $tables)
		[ "$got" = "$expect" ] || die "pgwal round $r: $got messages in Kafka, expected $expect"
		read -r _ ur sr mr <"$rig/pw$r.time-r"
		read -r _ uw sw mw <"$rig/pw$r.time-w"
		echo "pgwal $r $(echo "$t1 - $t0" | bc) $(echo "$ur + $sr + $uw + $sw" | bc) $((mr + mw)) 0 $mr $mw" >>"$rig/drain"
		# Debezium: until the topics hold every change
		t0=$(now)
		dbz_start "dbz$r" "dbz_$r"
		first=""
		while :; do
			got=$(table_topics_count "dbz$r" $tables)
			if [ -z "$first" ] && [ "$got" -gt 0 ]; then
				first=$(now) first_got=$got
				read -r cpu0 _ < <(dbz_usage)
			fi
			[ "$got" -ge "$expect" ] && break
			kill -0 "$dbz_pid" 2>/dev/null || dbz_failed "dbz$r" "the JVM exited"
			[ "$(echo "$(now) - $t0 > $DBZ_TIMEOUT" | bc)" = 1 ] &&
				dbz_failed "dbz$r" "$got of $expect changes in Kafka after ${DBZ_TIMEOUT}s"
			sleep 0.2
		done
		t1=$(now)
		read -r cpu rss < <(dbz_usage)
		dbz_stop
		[ "$got" = "$expect" ] || say "warning: Debezium round $r: $got messages, expected $expect"
		# and from the first message on (the JVM's start and warm-up apart)
		echo "debezium $r $(echo "$t1 - $t0" | bc) $cpu $rss $(echo "$first - $t0" | bc) \
			$((expect - first_got)) $(echo "$t1 - $first" | bc) $(echo "$cpu - $cpu0" | bc)" >>"$rig/drain"
		say "round $r done"
	done
	echo "drain: $expect row changes (pgbench TPC-B-like, 4 tables, a topic each, keyed), the same slots' backlog"
	awk -v n="$expect" '
	{ t = $3; cpu = $4; rss = $5 / 1024
	  extra = $1 == "pgwal" ? sprintf("(pgwal-read %.1f + kafka-write %.1f MB)", $7 / 1024, $8 / 1024) : sprintf("(first message after %.1fs; from then on %.0f events/s, %.1f CPU s/M)", $6, $7 / $8, $9 / ($7 / 1e6))
	  printf "%-9s round %d %7.2fs %9.0f events/s %7.2f CPU s/M events %7.1f MB peak RSS %s\n", $1, $2, t, n / t, cpu / (n / 1e6), rss, extra
	  k = ++cnt[$1]; rate[$1, k] = n / t; c[$1, k] = cpu / (n / 1e6); m[$1, k] = rss }
	function median(arr, name, k,    v, i, j, tmp) {
		for (i = 1; i <= k; i++) v[i] = arr[name, i]
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
		return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
	}
	END {
		pr = median(rate, "pgwal", cnt["pgwal"]); dr = median(rate, "debezium", cnt["debezium"])
		pc = median(c, "pgwal", cnt["pgwal"]); dc = median(c, "debezium", cnt["debezium"])
		pm = median(m, "pgwal", cnt["pgwal"]); dm = median(m, "debezium", cnt["debezium"])
		printf "median pgwal:    %9.0f events/s %7.2f CPU s/M events %7.1f MB peak RSS\n", pr, pc, pm
		printf "median debezium: %9.0f events/s %7.2f CPU s/M events %7.1f MB peak RSS\n", dr, dc, dm
		printf "ratio pgwal/debezium: %.1fx the events/s, %.1fx less CPU per event, %.1fx less memory\n", pr / dr, dc / pc, dm / pm
	}' "$rig/drain"
fi

if [ "${LATENCY:-1}" != 0 ]; then
	secs=$((LAT_WARM + LAT_WINDOW + 2))
	[ "$secs" -gt "$LAT_START" ] || secs=$((LAT_START + 2))
	n=0
	for rate in $LAT_RATES; do
		for c in ${LAT_WHO:-pgwal debezium}; do
			n=$((n + 1))
			prefix="lat$n"
			topics "$prefix"
			psql -Xqt -c "SELECT pg_create_logical_replication_slot('$prefix', 'pgoutput')" >/dev/null
			h0=$(psql -XAtc "SELECT count(*) FROM pgbench_history")
			args=""
			for t in $tables; do args="$args $prefix.public.$t"; done
			# shellcheck disable=SC2086
			python3 "$here/bench-latency.py" consume "$rig/$prefix.lat" "$KAFKA_BROKERS" $args &
			cons=$!
			bg_pids="$cons"
			# a message in each topic, and wait until the consumers have read
			# them: they are fetching before the clock starts
			for t in $tables; do
				echo '{"warm":1}' | "$KW" -q -b "$KAFKA_BROKERS" -t "$prefix.public.$t" || die "cannot produce to $t"
			done
			for _ in $(seq 1 300); do [ -f "$rig/$prefix.lat.ready" ] && break; sleep 0.1; done
			[ -f "$rig/$prefix.lat.ready" ] || die "the latency consumers did not start"
			t0=$(now)
			pgbench -n -R "$rate" -c 4 -j 2 -T "$secs" >"$rig/$prefix.pgbench" 2>&1 &
			load=$!
			if [ $c = pgwal ]; then
				pgwal_start "$prefix" "$prefix" "$rig/$prefix.ack"
				bg_pids="$cons $pw_pid"
			else
				dbz_start "$prefix" "$prefix"
			fi
			wait "$load" || { cat "$rig/$prefix.pgbench" >&2; die "pgbench failed"; }
			# the changes, and the four warm-up messages
			expect=$(( 4 * ($(psql -XAtc "SELECT count(*) FROM pgbench_history") - h0) + 4 ))
			for _ in $(seq 1 300); do
				[ "$(table_topics_count "$prefix" $tables)" -ge "$expect" ] && break
				sleep 0.2
			done
			sleep 1 # the consumers catch up
			kill "$cons"; wait "$cons" || true
			if [ $c = pgwal ]; then
				# pgwal-read ends on SIGTERM; kafka-write at the end of its input
				kill -TERM "$(cat "$rig/$prefix.pid")" 2>/dev/null || true
				wait "$pw_pid" || true
			else
				dbz_stop
			fi
			bg_pids=""
			got=$(( $(table_topics_count "$prefix" $tables) - 4 )) expect=$((expect - 4))
			tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$rig/$prefix.pgbench")
			echo "latency $c, pgbench -R $rate ($(echo "$tps * 4" | bc | cut -d. -f1) changes/s achieved), $got of $expect changes in Kafka:"
			python3 "$here/bench-latency.py" stats "$rig/$prefix.lat" "$t0" "$LAT_START" "$LAT_WARM" "$LAT_WINDOW"
			[ -n "${LAT_OUT:-}" ] && mkdir -p "$LAT_OUT" && echo "$t0" >"$LAT_OUT/$prefix.$c.$rate.t0" &&
				cp "$rig/$prefix.lat" "$LAT_OUT/$prefix.$c.$rate.lat"
			psql -Xqt -c "SELECT pg_drop_replication_slot('$prefix')" >/dev/null
		done
	done
fi
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
