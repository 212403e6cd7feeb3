# tests/lib/setup.sh: sourced by every shell test in tests/t/.
#
# Gives: set -eu, a temp dir $T removed on exit (kept with KEEP_TMP=1),
# the rig's environment (PGHOST, PGPORT, ..., KAFKA_BROKERS), $PGWAL_READ
# and $KAFKA_WRITE (the binaries under test), and TAP helpers:
#
#   ok COND_EXIT_STATUS "name"         e.g.  ok $? "exits 0"  (or: check "name" cmd...)
#   check "name" cmd args...            passes when the command exits 0
#   is "got" "want" "name"
#   like "got" "regex" "name"           grep -E
#   unlike "got" "regex" "name"
#   need_pg / need_kafka                a test that needs a server says so;
#                                       when the rig lacks it the test FAILS
#                                       with the reason (never a silent pass)
#   skip "reason"                       one test skipped (TAP "ok N # SKIP")
#   skip_all "reason"                   the whole file skipped (TAP "1..0 # SKIP")
#   pg_major                            the rig server's major version (12..18)
#   need_pg_major MIN "what"            skip_all unless the server is MIN or newer
#   need_wal2json                       skip_all unless wal2json is at hand (15 only)
#   done_testing                        prints the plan; exit status = failures
set -eu
: "${PGWAL_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${PGWAL_BIN:=$PGWAL_TOP/build}"
PGWAL_READ="$PGWAL_BIN/pgwal-read"
KAFKA_WRITE="$PGWAL_BIN/kafka-write"
export PGWAL_READ KAFKA_WRITE PGWAL_TOP PGWAL_BIN

T=$(mktemp -d "${TMPDIR:-/tmp}/pgwal-test.XXXXXX")
chmod 755 "$T"
_cleanup_fns=""
at_exit() { _cleanup_fns="$1; $_cleanup_fns"; }
_teardown() {
	local rc=$?
	eval "$_cleanup_fns" 2>/dev/null || true
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
	exit $rc
}
trap _teardown EXIT

if [ -n "${PGWAL_RIG_ENV:-}" ] && [ -f "$PGWAL_RIG_ENV" ]; then
	# shellcheck disable=SC1090
	. "$PGWAL_RIG_ENV"
fi

_n=0; _failed=0
ok() {
	_n=$((_n + 1))
	if [ "$1" = 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}
check() {
	local name=$1; shift
	if "$@" >"$T/.check.out" 2>&1; then ok 0 "$name"; else
		ok 1 "$name"; sed 's/^/#   /' "$T/.check.out" | head -n 20; fi
}
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; printf '#          got: %s\n#     expected: %s\n' "$1" "$2" | head -n 40; fi
}
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"; printf '#   %s\n#   does not match: %s\n' "$(printf '%s' "$1" | head -c 2000)" "$2"; fi
}
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"; printf '#   %s\n#   matches: %s\n' "$(printf '%s' "$1" | head -c 2000)" "$2"; else ok 0 "$3"; fi
}
bail() { echo "Bail out! $*"; exit 1; }
need_pg() {
	[ -n "${PGPORT:-}" ] || bail "this test needs the rig's PostgreSQL (run it through make check)"
	psql -Xq -c 'select 1' >/dev/null 2>&1 || bail "the rig's PostgreSQL at ${PGHOST:-?}:${PGPORT} does not answer"
}
need_kafka() {
	if [ -n "${PGWAL_RIG:-}" ] && [ -f "$PGWAL_RIG/kafka.unavailable" ]; then
		bail "the Kafka broker is unavailable: $(cat "$PGWAL_RIG/kafka.unavailable")"
	fi
	[ -n "${KAFKA_BROKERS:-}" ] || bail "this test needs the rig's Kafka broker (run it through make check)"
	kcat -b "$KAFKA_BROKERS" -L -m 5 >/dev/null 2>&1 || bail "the Kafka broker at $KAFKA_BROKERS does not answer"
}
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
pg_major() { echo "${PGWAL_PG_MAJOR:-15}"; }
need_pg_major() {
	[ "$(pg_major)" -ge "$1" ] || skip_all "$2 needs PostgreSQL $1 or newer (this server is $(pg_major))"
}
# Debian's postgresql-15-wal2json is the only wal2json: a server plugin of 15
need_wal2json() {
	[ "$(pg_major)" = 15 ] || skip_all "wal2json is a server plugin of PostgreSQL 15 only here (this server is $(pg_major))"
}
# client tools (pg_recvlogical, pg_basebackup) are Debian's 15 whatever the server
: "${PGWAL_PGCLIENT:=${PGWAL_PGBIN:-}}"
done_testing() {
	echo "1..$_n"
	[ "$_failed" = 0 ]
}
# psql for tests: no psqlrc, stop on error, unaligned tuples only.
sql() { psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }
# wait_slot SLOT t|f [TENTHS]: wait until the slot is active (t) or not (f),
# at most TENTHS tenths of a second (default 100); the caller checks
wait_slot() {
	local n=${3:-100}
	while [ "$(sql -c "SELECT active FROM pg_replication_slots WHERE slot_name = '$1'")" != "$2" ] &&
		[ "$n" -gt 0 ]; do
		sleep 0.1; n=$((n - 1))
	done
}
