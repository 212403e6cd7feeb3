#!/bin/bash
# scripts/bench-kafka-write.sh [BUILD_DIR]: kafka-write against kcat -P,
# and kafka-write exactly once (--transactional-id) against both.
#
# Generates N (default 300000) pgwal-read-shaped lines, then produces them
# to one topic of the rig's real broker, alternately with kafka-write and
# with kcat -P, ROUNDS times each (default 3), with the same librdkafka
# settings (kafka-write's defaults, given to kcat with -X) and the same
# records: kcat reads "key<TAB>line" with -K, the key being the event's
# "key" member, which kafka-write takes from the line itself.  Prints, per
# run and as medians: msgs/s, CPU seconds per million events (user+sys),
# peak RSS; and the kafka-write/kcat throughput ratio.  BASE=DIR adds the
# kafka-write of another build to each round, and the ratios against it.
#
# Uses the broker in $KAFKA_BROKERS, or in the rig env file $PGWAL_RIG_ENV,
# or brings a rig up in a temp dir (and down at the end); with MOCK=1,
# librdkafka's mock cluster inside each process instead.  BENCH_X adds
# -X settings for both.  Not run by make check.
#
# What kafka-write does and kcat does not: every line is validated as
# strict JSON, the "key" member is found in it, the commit lines (one per
# ten events, which kcat is not given) are read and drive
# acknowledgements, every delivery is tracked per line and the ack file is
# written.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-300000}
ROUNDS=${ROUNDS:-3}
KW="$build/kafka-write"
# BASE=DIR: also another build's kafka-write, alternating (a change against what it replaces)
KWB=""
if [ -n "${BASE:-}" ]; then
	KWB="$(cd "$BASE" && pwd)/kafka-write"
	[ -x "$KWB" ] || die "no $KWB"
fi
ADMIN="$build/tests/kw_admin"
[ -x "$KW" ] || die "no $KW: run make first"
[ -x "$ADMIN" ] || die "no $ADMIN: run make tests first"
command -v kcat >/dev/null || die "kcat is not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/kw-bench.XXXXXX")
rig=""
cleanup() {
	[ -n "$rig" ] && "$here/rig.sh" down "$rig" >/dev/null 2>&1 || true
	rm -rf "$work" ${rig:+"$rig"}
}
trap cleanup EXIT

if [ -n "${MOCK:-}" ]; then
	# librdkafka's mock cluster, inside each producer process: the address is ignored
	KAFKA_BROKERS=127.0.0.1:9
elif [ -z "${KAFKA_BROKERS:-}" ] && [ -n "${PGWAL_RIG_ENV:-}" ]; then
	. "$PGWAL_RIG_ENV"
fi
if [ -z "${KAFKA_BROKERS:-}" ]; then
	# the broker's log in memory where there is a tmpfs: disk write-back
	# made rounds differ by up to 2x
	shm=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
	rig=$(mktemp -d "$shm/kw-bench-rig.XXXXXX")
	say "starting a rig in $rig"
	"$here/rig.sh" up "$rig" >&2
	. "$rig/env"
fi
[ -n "${KAFKA_BROKERS:-}" ] || die "no Kafka broker"

# pgwal-read-shaped events, ~200 bytes each, one commit per 10 events
# (commits are not produced: the kcat input gets the same lines without them)
awk -v n="$N" 'BEGIN {
	lsn = 23803720; xid = 740
	for (i = 1; i <= n; i++) {
		lsn += 64
		printf "{\"op\":\"insert\",\"lsn\":\"0/%X\",\"xid\":%d,\"ts\":\"2026-01-01 00:00:00.123456+00\",\"commit_lsn\":\"0/%X\",\"seq\":%d,\"schema\":\"public\",\"table\":\"orders\",\"key\":{\"id\":%d},\"before\":null,\"after\":{\"id\":%d,\"amount\":%d.%02d,\"region\":\"eu-west-1\"},\"unchanged\":[]}\n", lsn, xid, lsn + 640, i % 10 + 1, i, i, i % 9973, i % 100
		if (i % 10 == 0) { lsn += 64; printf "{\"op\":\"commit\",\"lsn\":\"0/%X\",\"end_lsn\":\"0/%X\",\"xid\":%d,\"ts\":\"2026-01-01 00:00:00.123456+00\",\"events\":10}\n", lsn, lsn + 48, xid; xid++ }
	}
}' >"$work/in.ndjson"
# kcat gets the same records: the events (not the commit lines), each as
# "key<TAB>value" for -K, the key being the event's "key" member as
# kafka-write takes it
awk 'index($0, "\"op\":\"commit\"") == 0 {
	k = $0; sub(/.*"key":/, "", k); sub(/},"before".*/, "}", k)
	printf "%s\t%s\n", k, $0
}' "$work/in.ndjson" >"$work/kcat.ndjson"
say "$N events + $((N / 10)) commit lines, $(wc -c <"$work/in.ndjson") bytes"

# kafka-write's producer defaults, for kcat too
X="-X enable.idempotence=true -X acks=all -X linger.ms=10 -X batch.num.messages=10000 -X queue.buffering.max.kbytes=4096 -X compression.codec=none -X partitioner=murmur2_random"
# BENCH_X: more -X settings, for both (to try other producer settings)
X="$X ${BENCH_X:-}"
[ -n "${MOCK:-}" ] && X="$X -X test.mock.num.brokers=1"
# Each run produces to a topic of its own, created (and its leader known)
# before the clock starts, and deleted after: a partition log that grows
# run after run, and the write-back of what earlier runs wrote, slow the
# broker down and would favour whoever runs first.
topic=""
n_topic=0
new_topic() {
	n_topic=$((n_topic + 1))
	topic="bench.kw.$$.$n_topic.$1"
	[ -n "${MOCK:-}" ] && return
	echo '{"warm":1}' | "$KW" -b "$KAFKA_BROKERS" -t "$topic" -q
}
drop_topic() {
	[ -n "${MOCK:-}" ] && return
	"$ADMIN" delete "$KAFKA_BROKERS" "$topic" || true
	sleep 2	# let the broker remove the log before the next run
}

# produce_kw FILE, produce_kcat FILE: one run to a fresh topic (the same
# command for the warm-up and the measured rounds); $measure, when set,
# is the prefix that measures it
produce_kw() {	# produce_kw FILE [KAFKA-WRITE]
	new_topic kw
	rm -f "$work/ack" # or from the second run on there would be nothing new to acknowledge
	# shellcheck disable=SC2086
	$measure "${2:-$KW}" -b "$KAFKA_BROKERS" -t "$topic" -q --ack-file "$work/ack" $X "$1"
	drop_topic
}
produce_kw_eos() {
	new_topic kweos
	rm -f "$work/ack"
	# a new id each run: a rerun of the same input would drop it all
	# shellcheck disable=SC2086
	$measure "$KW" -b "$KAFKA_BROKERS" -t "$topic" -q --ack-file "$work/ack" $X \
		--transactional-id "bench.$$.$n_topic" --position-topic "bench.pos.$$" "$1"
	drop_topic
}
produce_kcat() {
	new_topic kcat
	# shellcheck disable=SC2086
	$measure kcat -P -b "$KAFKA_BROKERS" -t "$topic" $X -K '\t' -l "$1"
	drop_topic
}
timed() {	# timed NAME CMD...: one measured run, appends "name secs user sys maxrss_kb"
	local name=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@"
	echo "$name $(cat "$work/time")" >>"$work/results"
}
# a warm-up, not measured: the broker's JIT and page cache favour later runs
head -n 300000 "$work/in.ndjson" >"$work/warm.ndjson"
head -n 300000 "$work/kcat.ndjson" >"$work/warm-kcat.ndjson"
measure=""
produce_kw "$work/warm.ndjson"
produce_kw_eos "$work/warm.ndjson"
produce_kcat "$work/warm-kcat.ndjson"

: >"$work/results"
for r in $(seq 1 "$ROUNDS"); do
	measure="timed kafka-write"
	produce_kw "$work/in.ndjson"
	measure="timed kw-exactly-once"
	produce_kw_eos "$work/in.ndjson"
	measure="timed kcat"
	produce_kcat "$work/kcat.ndjson"
	if [ -n "$KWB" ]; then
		measure="timed kw-base"
		produce_kw "$work/in.ndjson" "$KWB"
	fi
	say "round $r done"
done

awk -v n="$N" '
{ t = $2; cpu = $3 + $4; rss = $5
  printf "%-16s %7.2fs  %9.0f msgs/s  %6.2f CPU s/M events  %7.1f MB peak RSS\n", $1, t, n / t, cpu / (n / 1e6), rss / 1024
  rate[$1, ++cnt[$1]] = n / t; c[$1, cnt[$1]] = cpu / (n / 1e6); m[$1, cnt[$1]] = rss / 1024 }
function median(arr, name, k,    v, i, j, tmp) {
	for (i = 1; i <= k; i++) v[i] = arr[name, i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
	return v[int((k + 1) / 2)]
}
END {
	print ""
	for (p in cnt) {
		split(p, _)
	}
	kw = median(rate, "kafka-write", cnt["kafka-write"]); kc = median(rate, "kcat", cnt["kcat"])
	# the ratio within each round (the two runs next to each other), whose
	# median is less sensitive to the broker drifting over the run
	for (i = 1; i <= cnt["kcat"]; i++) pair["r", i] = rate["kafka-write", i] / rate["kcat", i]
	printf "median kafka-write: %.0f msgs/s, %.2f CPU s/M events, %.1f MB peak RSS\n", kw, median(c, "kafka-write", cnt["kafka-write"]), median(m, "kafka-write", cnt["kafka-write"])
	printf "median kcat -P:     %.0f msgs/s, %.2f CPU s/M events, %.1f MB peak RSS\n", kc, median(c, "kcat", cnt["kcat"]), median(m, "kcat", cnt["kcat"])
	printf "throughput ratio kafka-write/kcat: %.2f (of the medians), %.2f (median of the rounds)\n", kw / kc, median(pair, "r", cnt["kcat"])
	ke = median(rate, "kw-exactly-once", cnt["kw-exactly-once"])
	for (i = 1; i <= cnt["kw-exactly-once"]; i++) epair["r", i] = rate["kw-exactly-once", i] / rate["kafka-write", i]
	printf "median kafka-write exactly once: %.0f msgs/s, %.2f CPU s/M events, %.1f MB peak RSS\n", ke, median(c, "kw-exactly-once", cnt["kw-exactly-once"]), median(m, "kw-exactly-once", cnt["kw-exactly-once"])
	printf "throughput ratio exactly-once/at-least-once: %.2f (of the medians), %.2f (median of the rounds); exactly-once/kcat: %.2f\n", ke / kw, median(epair, "r", cnt["kw-exactly-once"]), ke / kc
	if (cnt["kw-base"] > 0) {
		kb = median(rate, "kw-base", cnt["kw-base"])
		printf "median kafka-write of BASE: %.0f msgs/s, %.2f CPU s/M events, %.1f MB peak RSS\n", kb, median(c, "kw-base", cnt["kw-base"]), median(m, "kw-base", cnt["kw-base"])
		printf "kafka-write/BASE: %.2f the throughput, %.2f the CPU per event (of the medians)\n", kw / kb, median(c, "kafka-write", cnt["kafka-write"]) / median(c, "kw-base", cnt["kw-base"])
	}
}' "$work/results"
