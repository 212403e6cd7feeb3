# scripts/debezium-lib.sh: Debezium's PostgreSQL connector under Kafka
# Connect standalone, for scripts/bench-debezium.sh and
# scripts/debezium-golden.sh.  Sourced after lib.sh, with $here set to
# scripts/.  Not part of make check.

# dbz_fetch: the jars of scripts/debezium-pom.xml, fetched with Maven into
# the cache once (like scripts/kafka.sh does the broker's); sets $libs
dbz_fetch() {
	local version cache fetchdir
	version=$(sed -n 's:.*<debezium.version>\(.*\)</debezium.version>.*:\1:p' "$here/debezium-pom.xml")
	cache=${PGWAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgwal}
	libs="$cache/debezium-$version-$(md5sum "$here/debezium-pom.xml" | cut -c1-8)/libs"
	[ -f "$libs/.complete" ] && return 0
	command -v mvn >/dev/null || die "cannot fetch Debezium: mvn not found (scripts/deps.sh installs maven)"
	fetchdir=$(mktemp -d)
	cp "$here/debezium-pom.xml" "$fetchdir/pom.xml"
	say "fetching io.debezium:debezium-connector-postgres:$version and Kafka Connect with Maven"
	if ! (cd "$fetchdir" && timeout 900 mvn -q -B dependency:copy-dependencies -DincludeScope=runtime \
			-DoutputDirectory="$fetchdir/libs") >"$fetchdir/mvn.log" 2>&1; then
		tail -n 30 "$fetchdir/mvn.log" >&2
		rm -rf "$fetchdir"
		die "could not fetch Debezium's jars from Maven Central (see above)"
	fi
	mkdir -p "$(dirname "$libs")"
	rm -rf "$libs"
	mv "$fetchdir/libs" "$libs"
	touch "$libs/.complete"
	rm -rf "$fetchdir"
}

# dbz_worker DIR [SCHEMAS]: DIR/worker.properties (JsonConverter, keys and
# values, schemas.enable=SCHEMAS, default false; offsets in DIR/offsets)
# and DIR/log4j2.properties (the log in DIR/connect.log)
dbz_worker() {
	local d=$1 schemas=${2:-false}
	mkdir -p "$d"
	cat >"$d/worker.properties" <<WORKER
bootstrap.servers=$KAFKA_BROKERS
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=$schemas
value.converter.schemas.enable=$schemas
offset.storage.file.filename=$d/offsets
listeners=http://127.0.0.1:$(free_port)
WORKER
	cat >"$d/log4j2.properties" <<LOG
status = warn
appender.f.type = File
appender.f.name = F
appender.f.fileName = $d/connect.log
appender.f.layout.type = PatternLayout
appender.f.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.f.ref = F
LOG
}

# dbz_jvm DIR: Connect standalone on DIR/worker.properties and
# DIR/connector.properties in the background, with connect-standalone.sh's
# JVM options (heap: DBZ_HEAP, default 2G); sets dbz_pid
dbz_jvm() {
	local d=$1
	java -Xms256M -Xmx"${DBZ_HEAP:-2G}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 \
		-Djava.awt.headless=true -Dlog4j2.configurationFile="$d/log4j2.properties" -cp "$libs/*" \
		org.apache.kafka.connect.cli.ConnectStandalone "$d/worker.properties" "$d/connector.properties" \
		>"$d/out" 2>&1 </dev/null &
	dbz_pid=$!
}

# dbz_stop: the JVM started by dbz_jvm, TERM then (after 30s) KILL
dbz_stop() {
	[ -n "${dbz_pid:-}" ] || return 0
	kill -TERM "$dbz_pid" 2>/dev/null || true
	for _ in $(seq 1 60); do kill -0 "$dbz_pid" 2>/dev/null || break; sleep 0.5; done
	kill -KILL "$dbz_pid" 2>/dev/null || true
	wait "$dbz_pid" 2>/dev/null || true
	dbz_pid=""
}
