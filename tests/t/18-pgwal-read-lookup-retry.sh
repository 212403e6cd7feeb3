#!/bin/bash
# A primary-key look-up that cannot connect (for a table whose replica
# identity is not the default) is a reason to reconnect, like a lost
# replication connection, not the end of the stream.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
# before 13, replication connections count towards CONNECTION LIMIT too:
# no role can make the look-up fail and the stream work
need_pg_major 13 "a role whose replication connections alone are allowed"

db=t18_$$
role=t18_$$
createdb "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db
sql -c "CREATE TABLE f (id int PRIMARY KEY, v text)" -c "ALTER TABLE f REPLICA IDENTITY FULL"
"$PGWAL_READ" -S t18 --create-publication --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot('t18')\" >/dev/null 2>&1"
# a role whose replication connection is allowed and whose ordinary ones
# (the look-up) are not: replication connections do not count towards
# CONNECTION LIMIT
sql -c "CREATE ROLE $role LOGIN REPLICATION CONNECTION LIMIT 0"
at_exit "psql -Xqd postgres -c 'DROP ROLE IF EXISTS $role' >/dev/null 2>&1"

"$PGWAL_READ" -d "dbname=$db user=$role" -S t18 -s 0.5 >"$T/out" 2>"$T/err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_slot t18 t
sql -c "INSERT INTO f VALUES (1, 'a')"
# the look-up fails: pgwal-read says so and reconnects, at least twice
for i in $(seq 1 150); do
	[ "$(grep -c 'could not look up the primary key.*reconnecting' "$T/err")" -ge 2 ] && break
	sleep 0.1
done
like "$(cat "$T/err")" 'could not look up the primary key of relation "public"."f".*; reconnecting' \
	"a look-up that cannot connect makes pgwal-read reconnect"
ok "$(kill -0 $pid 2>/dev/null && echo 0 || echo 1)" "pgwal-read is still running"
is "$(grep -c '"op":"insert"' "$T/out")" 0 "no insert without its key"

# the look-up can connect again: the change arrives, with its key
sql -c "ALTER ROLE $role CONNECTION LIMIT -1"
for i in $(seq 1 400); do
	grep -q '"op":"insert"' "$T/out" && break
	sleep 0.1
done
like "$(grep '"op":"insert"' "$T/out")" '"key":\{"id":1\}' "after the retry the insert arrives with its key"
kill -TERM $pid
set +e
wait $pid
rc=$?
set -e
is "$rc" 0 "SIGTERM: exit 0"

# with --no-loop the same failure ends pgwal-read, with the status of a
# failed connection, not that of a protocol error (13)
wait_slot t18 f
sql -c "ALTER ROLE $role CONNECTION LIMIT 0"
set +e
"$PGWAL_READ" -d "dbname=$db user=$role" -S t18 -s 0.5 --no-loop >"$T/out2" 2>"$T/err2" &
pid=$!
wait_slot t18 t
sql -c "INSERT INTO f VALUES (2, 'b')"
timeout 60 tail --pid=$pid -f /dev/null
wait $pid
rc=$?
set -e
is "$rc" 3 "with --no-loop, a look-up that cannot connect exits 3 (connect), not 13 (protocol)"

done_testing
