#!/bin/bash
# PostgreSQL 18: stored generated columns published when the publication
# asks for them (publish_generated_columns = stored), in the initial
# snapshot as in the stream; not when it does not; virtual ones never.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_pg_major 18 "publish_generated_columns"

db=pgwal_t25_$$
at_exit "dropdb --if-exists $db >/dev/null 2>&1"
at_exit "for s in t25_gen t25_plain; do psql -Xqd $db -c \"select pg_drop_replication_slot('\$s')\" >/dev/null 2>&1; done"
createdb "$db"
export PGDATABASE="$db"
sql <<'EOF'
create table g(id int primary key, a int, s int generated always as (a * 2) stored,
	v int generated always as (a * 3) virtual);
insert into g(id, a) values (1, 10);
create publication pub_gen for table g with (publish_generated_columns = stored);
create publication pub_plain for table g;
EOF
after_of() { grep "\"op\":\"$1\"" "$2" | head -n 1 | sed 's/.*"after":\({[^}]*}\).*/\1/'; }

set +e
timeout 60 "$PGWAL_READ" -d "dbname=$db" -S t25_gen --publication pub_gen --create-slot --snapshot \
	--start --catch-up --no-loop --checkpoint "$T/gen.ckpt" >"$T/snap.out" 2>"$T/snap.err"; rc=$?
set -e
is "$rc" 0 "--create-slot --snapshot with publish_generated_columns exits 0"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/snap.err" | head -n 5
is "$(after_of read "$T/snap.out")" '{"id":1,"a":10,"s":20}' "the snapshot row has the stored generated column, not the virtual one"
"$PGWAL_READ" -d "dbname=$db" -S t25_plain --publication pub_plain --create-slot >/dev/null 2>&1
sql -c "insert into g(id, a) values (2, 21)"
set +e
timeout 60 "$PGWAL_READ" -d "dbname=$db" -S t25_gen --publication pub_gen --catch-up --no-loop \
	--checkpoint "$T/gen.ckpt" >"$T/gen.out" 2>"$T/gen.err"; rc=$?
timeout 60 "$PGWAL_READ" -d "dbname=$db" -S t25_plain --publication pub_plain --catch-up --no-loop \
	>"$T/plain.out" 2>"$T/plain.err"; rc2=$?
set -e
is "$rc $rc2" "0 0" "streaming both publications exits 0"
is "$(after_of insert "$T/gen.out")" '{"id":2,"a":21,"s":42}' "publish_generated_columns = stored: the change has s, decoded like any column"
is "$(after_of insert "$T/plain.out")" '{"id":2,"a":21}' "a publication that does not ask: no generated column"
done_testing
