# scripts/lib.sh: shell helpers shared by the rig scripts.  Sourced, not run.

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# A TCP port on 127.0.0.1 that nothing listens on, chosen at random.
free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# PostgreSQL's server binaries are not on PATH on Debian.
pg_bindir() {
	if command -v pg_config >/dev/null 2>&1; then
		pg_config --bindir
	else
		ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
	fi
}

# Run a command as the unprivileged user that owns the test cluster when
# we are root (initdb and postgres refuse to run as root).
as_pg_user() {
	if [ "$(id -u)" = 0 ]; then
		# from /, which that user can enter (a mktemp -d directory it cannot)
		(cd / && runuser -u "${PGWAL_PG_USER:-postgres}" -- "$@")
	else
		"$@"
	fi
}

# table_topics_count PREFIX TABLE...: the messages in the topics
# PREFIX.public.TABLE of $KAFKA_BROKERS, a topic per table (the sum of
# their end offsets): how the benchmarks see a drain end.
table_topics_count() {
	local p=$1 t args=""
	shift
	for t in "$@"; do args="$args -t $p.public.$t:0:-1"; done
	# shellcheck disable=SC2086
	timeout 20 kcat -b "$KAFKA_BROKERS" -Q $args 2>/dev/null |
		awk '/ offset / { s += $NF } END { print s + 0 }'
}
