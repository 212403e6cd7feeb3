#!/bin/bash
# scripts/rig.sh: the whole test rig, PostgreSQL and Kafka, in one directory.
#
#   rig.sh up DIR      start both; writes DIR/env (source it)
#   rig.sh down DIR    stop both (Kafka first), whatever state they are in
#
# When the broker cannot be had (no JDK, a jar not served), "up" still
# starts PostgreSQL, writes the reason to DIR/kafka.unavailable and exits 0:
# the tests that need Kafka then fail with that reason, never pass silently.
# PGWAL_NO_KAFKA=1 starts PostgreSQL alone (the version matrix); PG=MAJOR
# chooses PostgreSQL's major version (scripts/pg.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: rig.sh up|down DIR"

case $cmd in
up)
	mkdir -p "$dir"
	"$here/pg.sh" start "$dir"
	rm -f "$dir/kafka.unavailable"
	if [ "${PGWAL_NO_KAFKA:-0}" = 1 ]; then
		echo "not started (PGWAL_NO_KAFKA=1)" >"$dir/kafka.unavailable"
	elif ! "$here/kafka.sh" start "$dir" 2>"$dir/kafka-start.err"; then
		cat "$dir/kafka-start.err" >&2
		grep 'error:' "$dir/kafka-start.err" | tail -n 1 >"$dir/kafka.unavailable" ||
			echo "the Kafka broker did not start" >"$dir/kafka.unavailable"
		say "continuing without Kafka: $(cat "$dir/kafka.unavailable")"
	else
		cat "$dir/kafka-start.err" >&2
	fi
	{
		cat "$dir/pg.env"
		[ -f "$dir/kafka.env" ] && cat "$dir/kafka.env"
		echo "export PGWAL_RIG=$dir"
	} >"$dir/env"
	;;
down)
	rc=0
	"$here/kafka.sh" stop "$dir" || rc=1
	"$here/pg.sh" stop "$dir" || rc=1
	exit $rc
	;;
*)
	die "usage: rig.sh up|down DIR"
	;;
esac
