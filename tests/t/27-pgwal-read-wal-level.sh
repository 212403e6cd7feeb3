#!/bin/bash
# On a server at wal_level=replica, creating a publication or a slot is
# refused before anything is created (exit 11, with the hint that
# streaming and --peek give), instead of the server's raw WARNING and a
# publication left behind.  A throwaway cluster of its own: the rig's
# must stay at wal_level=logical for the other tests.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

pg2="$T/pg2"
at_exit "'$PGWAL_TOP/scripts/pg.sh' stop '$pg2' >/dev/null 2>&1"
"$PGWAL_TOP/scripts/pg.sh" start "$pg2" >"$T/pg2.log" 2>&1 || { cat "$T/pg2.log"; bail "could not start a second cluster"; }
echo "wal_level = replica" >>"$pg2/pg/postgresql.conf"
"$PGWAL_TOP/scripts/pg.sh" restart "$pg2" >>"$T/pg2.log" 2>&1 || { cat "$T/pg2.log"; bail "could not restart it"; }
port2=$(cat "$pg2/pg.port")
sql2() { PGPORT=$port2 PGDATABASE=postgres sql "$@"; }
is "$(sql2 -c 'show wal_level')" replica "the second cluster runs at wal_level=replica"
sql2 -c "create table t (id int primary key)"

run_read() {
	set +e
	PGPORT=$port2 timeout 60 "$PGWAL_READ" -d "dbname=postgres" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	err=$(cat "$T/err")
}

run_read -S s1 --create-publication --create-slot
is "$rc" 11 "--create-publication --create-slot at wal_level=replica exits 11"
like "$err" 'error: wal_level is "replica" on the server; logical decoding needs "logical"' "... saying why"
like "$err" 'hint: ALTER SYSTEM SET wal_level = logical, then restart the server' "... with the hint streaming gives"
unlike "$err" 'WARNING' "... and no raw server WARNING"
is "$(sql2 -c 'select count(*) from pg_publication')" 0 "no publication was left behind"
is "$(sql2 -c 'select count(*) from pg_replication_slots')" 0 "no slot was created"

run_read -S s1 --create-slot
is "$rc" 11 "--create-slot alone exits 11"
like "$err" 'hint: ALTER SYSTEM SET wal_level = logical' "... with the hint"

run_read -S s1 --create-publication --table t
is "$rc" 11 "--create-publication --table exits 11"
is "$(sql2 -c 'select count(*) from pg_publication')" 0 "... creating nothing"

done_testing
