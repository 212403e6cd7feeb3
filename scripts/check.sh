#!/bin/bash
# scripts/check.sh BUILD_DIR: what "make check" runs once the programs and
# tests are built.  Brings the rig up in a temp dir, runs every test with
# prove (C unit tests, then the numbered shell tests), and tears the rig
# down on every exit path.  Exits non-zero when any test fails.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"
build=$(cd "${1:?usage: check.sh BUILD_DIR}" && pwd)

rig=$(mktemp -d "${TMPDIR:-/tmp}/pgwal-rig.XXXXXX")
cleanup() {
	"$here/rig.sh" down "$rig" || true
	if [ "${KEEP_RIG:-0}" = 1 ]; then say "rig kept in $rig"; else rm -rf "$rig"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
"$here/rig.sh" up "$rig"
say "rig up in $(( $(date +%s) - start ))s"

export PGWAL_BIN="$build" PGWAL_TOP="$top" PGWAL_RIG_ENV="$rig/env"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

cd "$top"
# the unit test programs (not their .o or .d files: judge the name alone,
# since the build directory's own path may hold a dot, as mktemp's do)
tests=""
for f in "$build"/tests/test_*; do
	case ${f##*/} in *.* | 'test_*') ;; *) tests="$tests $f" ;; esac
done
shtests=$(ls tests/t/*.sh)
[ -n "${TESTS:-}" ] && shtests=$(ls $TESTS) && tests=""
# shellcheck disable=SC2086
prove ${PROVE_FLAGS:--f} --exec '' $tests $shtests
