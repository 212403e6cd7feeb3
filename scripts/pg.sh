#!/bin/bash
# scripts/pg.sh: a throwaway PostgreSQL cluster for tests and the demo.
#
#   pg.sh start DIR    initdb into DIR/pg, start on a free port of 127.0.0.1
#                      with a private socket dir; writes DIR/pg.env
#   pg.sh stop DIR     stop it (fast shutdown) and remove nothing
#   pg.sh restart DIR [fast|immediate]
#   pg.sh status DIR
#   pg.sh env DIR      print the environment tests use (PGHOST, PGPORT, ...)
#
# As root, the cluster runs as the "postgres" user (initdb refuses root).
set -eu
. "$(dirname "$0")/lib.sh"

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: pg.sh start|stop|restart|status|env DIR"
mkdir -p "$dir" && dir=$(cd "$dir" && pwd)	# absolute: the server runs from /
bindir=$(pg_bindir)
[ -x "$bindir/initdb" ] || die "initdb not found (install postgresql: scripts/deps.sh)"
data="$dir/pg"; sock="$dir/pgsock"; logf="$dir/pg.log"

pgctl() { as_pg_user "$bindir/pg_ctl" -D "$data" "$@"; }

case $cmd in
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
max_slot_wal_keep_size = -1
logical_decoding_work_mem = 64kB
max_prepared_transactions = 10
fsync = off
full_page_writes = off
shared_buffers = 128MB
log_min_messages = warning
log_replication_commands = on
CONF
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
