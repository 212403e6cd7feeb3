#!/bin/bash
# scripts/kafka-cluster.sh: a real Apache Kafka cluster of N nodes (default
# 3) in KRaft mode on loopback, from the jars scripts/kafka.sh fetches, for
# tests of broker failures.  Every node is broker and controller; internal
# topics are replicated 3 ways with min.insync.replicas 2, as the topics
# the tests create should be.
#
#   kafka-cluster.sh start DIR [N]    format and start N nodes, wait until
#                                     all answer; writes DIR/cluster.env
#   kafka-cluster.sh stop DIR         stop every node (SIGTERM, then wait)
#   kafka-cluster.sh kill-node DIR I  SIGKILL node I (1-based)
#   kafka-cluster.sh start-node DIR I start node I again, wait until it answers
#   kafka-cluster.sh leader DIR TOPIC PARTITION
#                                     the node id leading that partition
#   kafka-cluster.sh replicas DIR TOPIC PARTITION
#                                     the node ids holding its replicas (a,b,c)
#
# Heap per node: $KAFKA_HEAP (default 384m).
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: kafka-cluster.sh start|stop|kill-node|start-node|leader|replicas DIR ..."
libs=$("$here/kafka.sh" fetch)

node_start() {	# I: start node I and wait until it answers (60 s at most)
	local i=$1 port
	port=$(cat "$dir/node-$i/port")
	nohup java -Xms128m -Xmx"${KAFKA_HEAP:-384m}" -XX:+UseSerialGC -cp "$libs/*" \
		-Dlog4j2.configurationFile="$dir/node-$i/log4j2.properties" \
		kafka.Kafka "$dir/node-$i/server.properties" >"$dir/node-$i/out" 2>&1 </dev/null &
	echo $! >"$dir/node-$i/pid"
}
node_wait() {	# I
	local i=$1 port
	port=$(cat "$dir/node-$i/port")
	for _ in $(seq 1 240); do
		kcat -b "127.0.0.1:$port" -L -m 2 >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$dir/node-$i/pid")" 2>/dev/null || break
		sleep 0.5
	done
	tail -n 20 "$dir/node-$i/log" >&2 2>/dev/null || true
	die "kafka node $i did not come up on 127.0.0.1:$port"
}
node_stop() {	# I SIGNAL
	local f="$dir/node-$1/pid" pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill "-$2" "$pid"
		for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	rm -f "$f"
}

case $cmd in
start)
	n=${3:-3}
	command -v kcat >/dev/null || die "kcat not found (scripts/deps.sh installs it)"
	voters=""; brokers=""
	for i in $(seq 1 "$n"); do
		mkdir -p "$dir/node-$i"
		port=$(free_port) || die "no free port"
		cport=$(free_port) || die "no free port"
		echo "$port" >"$dir/node-$i/port"
		echo "$cport" >"$dir/node-$i/cport"
		voters="$voters${voters:+,}$i@127.0.0.1:$cport"
		brokers="$brokers${brokers:+,}127.0.0.1:$port"
	done
	rf=$(( n < 3 ? n : 3 )); isr=$(( rf < 2 ? 1 : 2 ))
	cid=$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
	for i in $(seq 1 "$n"); do
		port=$(cat "$dir/node-$i/port"); cport=$(cat "$dir/node-$i/cport")
		cat >"$dir/node-$i/server.properties" <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/node-$i/data
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
unclean.leader.election.enable=false
PROPS
		cat >"$dir/node-$i/log4j2.properties" <<LOG
status = warn
appender.f.type = File
appender.f.name = F
appender.f.fileName = $dir/node-$i/log
appender.f.layout.type = PatternLayout
appender.f.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.f.ref = F
LOG
		java -cp "$libs/*" -Dlog4j2.configurationFile="$dir/node-$i/log4j2.properties" \
			kafka.tools.StorageTool format -t "$cid" -c "$dir/node-$i/server.properties" \
			>"$dir/node-$i/format.log" 2>&1 ||
			{ cat "$dir/node-$i/format.log" >&2; die "could not format node $i"; }
	done
	for i in $(seq 1 "$n"); do node_start "$i"; done
	for i in $(seq 1 "$n"); do node_wait "$i"; done
	echo "export KAFKA_BROKERS=$brokers" >"$dir/cluster.env"
	echo "$n" >"$dir/nodes"
	say "kafka cluster of $n nodes on $brokers (replication factor $rf, min.insync.replicas $isr)"
	;;
stop)
	[ -f "$dir/nodes" ] || exit 0
	for i in $(seq 1 "$(cat "$dir/nodes")"); do node_stop "$i" TERM; done
	;;
kill-node)
	node_stop "${3:?node}" KILL
	;;
start-node)
	node_start "${3:?node}"
	node_wait "$3"
	;;
leader | replicas)
	# kcat -L: "partition 0, leader 1, replicas: 1,2,3, isrs: 1,2,3"
	. "$dir/cluster.env"
	field='leader \([0-9]*\),'
	[ "$cmd" = replicas ] && field='.*replicas: \([0-9,]*\),'
	kcat -b "$KAFKA_BROKERS" -L -t "${3:?topic}" 2>/dev/null |
		sed -n "s/^ *partition ${4:-0}, $field.*/\1/p" | head -n 1
	;;
*)
	die "usage: kafka-cluster.sh start|stop|kill-node|start-node|leader|replicas DIR ..."
	;;
esac
