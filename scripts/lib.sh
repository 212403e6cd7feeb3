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
