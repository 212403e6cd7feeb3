#!/bin/bash
# Bytes that are not UTF-8 (a SQL_ASCII database) become U+FFFD, and every
# line stays valid JSON; valid UTF-8 passes through unchanged.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db=t16_$$
createdb -E SQL_ASCII -T template0 --locale=C "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db
sql -c 'CREATE TABLE "ascii ""tab""" (id int PRIMARY KEY, t text)'
"$PGWAL_READ" -S t16 --create-publication --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot('t16')\" >/dev/null 2>&1"
sql <<'SQL'
INSERT INTO "ascii ""tab""" VALUES (1, E'ok\xff\xfe end'), (2, E'caf\xc3\xa9'), (3, E'\xc3');
SQL
timeout 30 "$PGWAL_READ" -S t16 --catch-up >"$T/out"

python3 - "$T/out" >"$T/check" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1], 'rb'):
    ev = json.loads(line.decode('utf-8'))     # raises on invalid UTF-8 or JSON
    if ev['op'] == 'insert':
        rows[ev['after']['id']] = (ev['table'], ev['after']['t'])
for k in sorted(rows):
    print(k, json.dumps(rows[k], ensure_ascii=True))
PY
is "$(sed -n 1p "$T/check")" '1 ["ascii \"tab\"", "ok\ufffd\ufffd end"]' "two invalid bytes: two U+FFFD, the rest kept"
is "$(sed -n 2p "$T/check")" '2 ["ascii \"tab\"", "caf\u00e9"]' "valid UTF-8 passes through"
is "$(sed -n 3p "$T/check")" '3 ["ascii \"tab\"", "\ufffd"]' "a truncated sequence: U+FFFD"
done_testing
