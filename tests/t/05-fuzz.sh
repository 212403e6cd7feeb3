#!/bin/bash
# A short run of every libFuzzer harness (make fuzz runs them longer).
# Each starts from its committed seeds; a crash or sanitizer report fails.
. "$(dirname "$0")/../lib/setup.sh"

fuzzdir="$PGWAL_BIN/fuzz"
secs=${FUZZ_CHECK_SECONDS:-10}
found=0
for f in "$fuzzdir"/fuzz_*; do
	[ -x "$f" ] || continue
	case ${f##*/} in *.*) continue ;; esac	# the name alone: the path may hold a dot
	found=$((found + 1))
	name=$(basename "$f")
	mkdir -p "$T/corpus-$name"
	seeds="$PGWAL_TOP/tests/fuzz/seeds/$name"
	[ -d "$seeds" ] || seeds=""
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$T/" "$T/corpus-$name" $seeds >"$T/$name.log" 2>&1; then
		ok 0 "$name: ${secs}s without a finding ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$T/$name.log" | grep -o '[0-9]*$' || echo '?') runs)"
	else
		ok 1 "$name found a failure"
		grep -E 'ERROR|SUMMARY|runtime error' "$T/$name.log" | head -n 10 | sed 's/^/#   /'
	fi
done
[ "$found" -gt 0 ] || { echo "# no fuzz harness built in $fuzzdir (make fuzz-build)"; ok 1 "fuzz harnesses exist"; }
done_testing
