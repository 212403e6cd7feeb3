#!/bin/bash
# scripts/deps.sh: install the Debian packages that building and testing
# pgwal need, when they are missing.  As root it runs apt-get; otherwise it
# prints the apt-get line to run.  Idempotent and quick when all is there.
set -eu
. "$(dirname "$0")/lib.sh"

# package            what needs it
pkgs="
gcc                  build
make                 build
pkg-config           build
libpq-dev            build: libpq
librdkafka-dev       build: librdkafka
postgresql           test rig: server, initdb, pg_recvlogical
postgresql-contrib   test rig: pgbench
postgresql-15-wal2json  tests: second decoder to compare against
kcat                 tests: reads back what kafka-write produced
openjdk-17-jre-headless  test rig: the Kafka broker
maven                test rig: fetches the Kafka broker jars
clang                tests: libFuzzer harnesses
clang-format         CI: make format-check
libclang-rt-14-dev   tests: libFuzzer runtime
perl                 tests: prove
jq                   demo and tests: reads JSON
python3              tests: compares pgwal-read with wal2json
time                 benchmarks: CPU time and peak RSS
bc                   benchmarks: ratios
"
missing=""
for p in $(printf '%s\n' "$pkgs" | awk 'NF { print $1 }'); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	say "missing packages:$missing"
	say "run: sudo apt-get update && sudo apt-get install -y$missing"
	exit 1
fi
say "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || say "apt-get update failed; trying the install anyway"
# shellcheck disable=SC2086
apt-get install -y -q $missing >/dev/null
