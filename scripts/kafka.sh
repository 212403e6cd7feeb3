#!/bin/bash
# scripts/kafka.sh: a real Apache Kafka broker for tests and the demo,
# one node in KRaft mode (broker and controller combined) on loopback.
#
#   kafka.sh fetch        resolve the broker jars from Maven Central into the
#                         cache (once; later runs reuse it)
#   kafka.sh start DIR    format storage in DIR/kafka, start on a free port of
#                         127.0.0.1, wait until it answers; writes DIR/kafka.env
#   kafka.sh stop DIR     stop it (SIGTERM, then wait for a clean shutdown)
#   kafka.sh status DIR
#   kafka.sh env DIR
#
# The cache is $PGWAL_CACHE (default ~/.cache/pgwal), outside the repository;
# nothing downloaded is committed.  Heap: $KAFKA_HEAP (default 512m).
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka-pom.xml")
cache=${PGWAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgwal}
# the cache key carries the pom's hash: a changed dependency list fetches anew
libs="$cache/kafka-$version-$(md5sum "$here/kafka-pom.xml" | cut -c1-8)/libs"

fetch() {
	[ -f "$libs/.complete" ] && return 0
	command -v mvn >/dev/null || die "cannot fetch the Kafka broker: mvn not found (scripts/deps.sh installs maven)"
	command -v java >/dev/null || die "cannot run the Kafka broker: java not found (scripts/deps.sh installs a JDK)"
	local work
	work=$(mktemp -d)
	cp "$here/kafka-pom.xml" "$work/pom.xml"
	say "fetching org.apache.kafka:kafka_2.13:$version and its dependencies with Maven"
	if ! (cd "$work" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
			-DoutputDirectory="$work/libs") >"$work/mvn.log" 2>&1; then
		tail -n 30 "$work/mvn.log" >&2
		rm -rf "$work"
		die "could not fetch the Kafka broker jars from Maven Central (see above)"
	fi
	mkdir -p "$(dirname "$libs")"
	rm -rf "$libs"
	mv "$work/libs" "$libs"
	touch "$libs/.complete"
	rm -rf "$work"
}

kjava() { java -Xms128m -Xmx"${KAFKA_HEAP:-512m}" -XX:+UseSerialGC -cp "$libs/*" "$@"; }

cmd=${1:-}; dir=${2:-}
case $cmd in
fetch)
	fetch
	echo "$libs"
	;;
start)
	[ -n "$dir" ] || die "usage: kafka.sh start DIR"
	fetch
	command -v kcat >/dev/null || die "kcat not found (scripts/deps.sh installs it)"
	mkdir -p "$dir/kafka"
	if [ ! -f "$dir/kafka.properties" ]; then
		port=$(free_port) || die "no free port"
		cport=$(free_port) || die "no free port"
		cat >"$dir/kafka.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/kafka/data
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=9223372036854775807
file.delete.delay.ms=1000
PROPS
		cat >"$dir/kafka-log4j2.properties" <<LOG
status = warn
appender.f.type = File
appender.f.name = F
appender.f.fileName = $dir/kafka.log
appender.f.layout.type = PatternLayout
appender.f.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.f.ref = F
LOG
		echo "$port" >"$dir/kafka.port"
		cid=$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
		kjava -Dlog4j2.configurationFile="$dir/kafka-log4j2.properties" \
			kafka.tools.StorageTool format -t "$cid" -c "$dir/kafka.properties" \
			>"$dir/kafka-format.log" 2>&1 ||
			{ cat "$dir/kafka-format.log" >&2; die "could not format KRaft storage"; }
	fi
	port=$(cat "$dir/kafka.port")
	nohup java -Xms128m -Xmx"${KAFKA_HEAP:-512m}" -XX:+UseSerialGC -cp "$libs/*" \
		-Dlog4j2.configurationFile="$dir/kafka-log4j2.properties" \
		kafka.Kafka "$dir/kafka.properties" >"$dir/kafka.out" 2>&1 </dev/null &
	echo $! >"$dir/kafka.pid"
	for _ in $(seq 1 120); do
		if kcat -b "127.0.0.1:$port" -L -m 2 >/dev/null 2>&1; then
			cat >"$dir/kafka.env" <<ENV
export KAFKA_BROKERS=127.0.0.1:$port
export PGWAL_KAFKA_DIR=$dir
ENV
			say "kafka $version running on 127.0.0.1:$port (KRaft, log $dir/kafka.log)"
			exit 0
		fi
		kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null || break
		sleep 0.5
	done
	tail -n 30 "$dir/kafka.out" "$dir/kafka.log" >&2 2>/dev/null || true
	die "the Kafka broker did not come up on 127.0.0.1:$port"
	;;
stop)
	[ -n "$dir" ] || die "usage: kafka.sh stop DIR"
	[ -f "$dir/kafka.pid" ] || exit 0
	pid=$(cat "$dir/kafka.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 60); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "broker $pid did not stop in 30s; killing it"
			kill -KILL "$pid"
		fi
	fi
	rm -f "$dir/kafka.pid"
	;;
status)
	[ -f "$dir/kafka.pid" ] && kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null &&
		echo "kafka running, pid $(cat "$dir/kafka.pid")" || { echo "kafka not running"; exit 1; }
	;;
env)
	cat "$dir/kafka.env"
	;;
*)
	die "usage: kafka.sh fetch|start|stop|status|env [DIR]"
	;;
esac
