#!/bin/bash
# scripts/check-matrix.sh BUILD_DIR: the version-independent pgwal-read tests
# on every pinned PostgreSQL major version other than Debian's 15 (which
# "make check" covers with the whole suite), one throwaway cluster per
# version, without Kafka.  PG_MATRIX chooses the versions (default
# "12 13 14 16 17 18"), MATRIX_TESTS the tests.  Prints a line per version
# (tests run, passed, skipped, seconds) and exits non-zero when any failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
build=${1:?usage: check-matrix.sh BUILD_DIR}
cd "$top"

# the tests whose subject is pgwal-read against the server; those that need
# wal2json or a newer server skip (TAP SKIP) where the version lacks it
: "${MATRIX_TESTS:=tests/t/01-*.sh tests/t/10-*.sh tests/t/11-*.sh tests/t/12-*.sh tests/t/13-*.sh
	tests/t/14-*.sh tests/t/15-*.sh tests/t/16-*.sh tests/t/18-*.sh tests/t/20-*.sh
	tests/t/21-*.sh tests/t/22-*.sh tests/t/24-*.sh tests/t/25-*.sh tests/t/29-*.sh
	tests/t/38-*.sh}"
tests=""
for t in $MATRIX_TESTS; do [ -f "$t" ] && tests="$tests $t"; done

"$here/pg.sh" fetch ${PG_MATRIX:-} >/dev/null
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
rc=0
for v in ${PG_MATRIX:-12 13 14 16 17 18}; do
	say "== PostgreSQL $v"
	log=$(mktemp)
	start=$(date +%s)
	set +e
	# shellcheck disable=SC2086
	PG=$v PGWAL_NO_KAFKA=1 TESTS="$tests" PROVE_FLAGS="-v" "$here/check.sh" "$build" >"$log" 2>&1
	vrc=$?
	set -e
	secs=$(( $(date +%s) - start ))
	grep -E '^(not ok|ok .*# SKIP|[^ ]+\.sh \.+|Result:|Failed)' "$log" | grep -v '^ok [0-9]* - ' >&2 || true
	run=$(grep -cE '^(not )?ok [0-9]+' "$log" || true)
	failed=$(grep -cE '^not ok [0-9]+' "$log" || true)
	skipped=$(grep -cE '^ok [0-9]+ # SKIP' "$log" || true)
	fskipped=$(grep -cE '\.\. skipped:' "$log" || true)
	printf 'PostgreSQL %-3s tests run %4d, passed %4d, failed %3d, skipped %3d (and %d files), %4ds%s\n' \
		"$v" "$run" "$((run - failed - skipped))" "$failed" "$skipped" "$fskipped" "$secs" \
		"$([ "$vrc" = 0 ] || echo ' FAIL')" >>"$summary"
	# on failure: each failed test with the diagnostics after it, then the end
	if [ "$vrc" != 0 ]; then
		rc=1
		grep -A 12 '^not ok [0-9]' "$log" | sed 's/^/#   /' >&2 || true
		tail -n 20 "$log" | sed 's/^/#   /' >&2
	fi
	rm -f "$log"
done
cat "$summary"
exit $rc
