#!/bin/bash
# pgwal-read --time-format=iso: timestamptz, timestamp and timetz column
# values (and arrays of them) spelled like the event's ts field, the same in
# streamed changes, --peek and --backfill read events; date, time, infinity
# and everything else as PostgreSQL prints them; a domain over timestamptz
# like timestamptz; without the option (or with
# --time-format=postgres) PostgreSQL's text as before.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

db=t29_$$
createdb "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db

run_read() {
	set +e
	timeout 60 "$PGWAL_READ" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	err=$(cat "$T/err")
}

# ---- options -------------------------------------------------------------
run_read --time-format=rfc3339 --backfill
is "$rc" 2 "an unknown --time-format exits 2"
like "$err" 'invalid value "rfc3339" for option --time-format: must be postgres or iso' "... saying which values are valid"
"$PGWAL_READ" --help >"$T/help"
like "$(cat "$T/help")" '--time-format=FORMAT' "--help lists --time-format"

sql <<'SQL'
CREATE DOMAIN stamp AS timestamptz CHECK (VALUE > '1900-01-01');
CREATE TABLE tt (id int PRIMARY KEY, tz timestamptz, t timestamp, d date, ti time, ttz timetz,
	arr timestamptz[], dom stamp, now_ts timestamptz DEFAULT now());
SQL
"$PGWAL_READ" -S t29_iso --create-publication --create-slot -q
"$PGWAL_READ" -S t29_pg --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('t29_iso', 't29_pg')\" >/dev/null 2>&1"
sql <<'SQL'
INSERT INTO tt (id, tz, t, d, ti, ttz, arr, dom) VALUES
	(1, '2026-12-02 17:46:17.042324+00', '2026-12-02 17:46:17.04', '2026-12-02', '17:46:17.5',
	 '17:46:17+02', ARRAY['2026-12-02 17:46:17+00', 'infinity']::timestamptz[],
	 '2026-12-02 17:46:17.25+00'),
	(2, '2026-12-02 23:16:17.5+05:30', '2026-12-02 17:46:17', '0044-03-15 BC', '00:00:00',
	 '17:46:17.123456+00', NULL, NULL),
	(3, '0044-03-15 12:00:00+00 BC', '0001-01-01 00:00:00 BC', 'infinity', '24:00:00',
	 '08:00:00-03:30', '{}', NULL),
	(4, 'infinity', '-infinity', '-infinity', NULL, NULL, NULL, 'infinity');
SQL

# One line per row: id and the columns, as JSON, from the change events of $1
# (op insert or read); then "ts-agree" if every event's ts and (iso) now_ts
# have the same shape.
rows() {
	python3 - "$1" "$2" <<'PY'
import json, re, sys
iso = sys.argv[2] == 'iso'
shape = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')
agree = True
n = 0
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev.get('op') not in ('insert', 'read'):
        continue
    a = ev['after']
    now_ts = a.pop('now_ts')
    print(json.dumps(a, separators=(',', ':')))
    n += 1
    if ev.get('ts') is not None and not shape.match(ev['ts']):
        agree = False
    if iso and not shape.match(now_ts):
        agree = False
    if not iso and not re.match(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00$', now_ts):
        agree = False
print('events', n, 'ts-agree' if agree else 'ts-DISAGREE')
PY
}

cat >"$T/want.iso" <<'EOF2'
{"id":1,"tz":"2026-12-02T17:46:17.042324Z","t":"2026-12-02T17:46:17.040000","d":"2026-12-02","ti":"17:46:17.5","ttz":"17:46:17.000000+02:00","arr":["2026-12-02T17:46:17.000000Z","infinity"],"dom":"2026-12-02T17:46:17.250000Z"}
{"id":2,"tz":"2026-12-02T17:46:17.500000Z","t":"2026-12-02T17:46:17.000000","d":"0044-03-15 BC","ti":"00:00:00","ttz":"17:46:17.123456Z","arr":null,"dom":null}
{"id":3,"tz":"-0043-03-15T12:00:00.000000Z","t":"0000-01-01T00:00:00.000000","d":"infinity","ti":"24:00:00","ttz":"08:00:00.000000-03:30","arr":[],"dom":null}
{"id":4,"tz":"infinity","t":"-infinity","d":"-infinity","ti":null,"ttz":null,"arr":null,"dom":"infinity"}
events 4 ts-agree
EOF2
cat >"$T/want.pg" <<'EOF2'
{"id":1,"tz":"2026-12-02 17:46:17.042324+00","t":"2026-12-02 17:46:17.04","d":"2026-12-02","ti":"17:46:17.5","ttz":"17:46:17+02","arr":["2026-12-02 17:46:17+00","infinity"],"dom":"2026-12-02 17:46:17.25+00"}
{"id":2,"tz":"2026-12-02 17:46:17.5+00","t":"2026-12-02 17:46:17","d":"0044-03-15 BC","ti":"00:00:00","ttz":"17:46:17.123456+00","arr":null,"dom":null}
{"id":3,"tz":"0044-03-15 12:00:00+00 BC","t":"0001-01-01 00:00:00 BC","d":"infinity","ti":"24:00:00","ttz":"08:00:00-03:30","arr":[],"dom":null}
{"id":4,"tz":"infinity","t":"-infinity","d":"-infinity","ti":null,"ttz":null,"arr":null,"dom":"infinity"}
events 4 ts-agree
EOF2

# ---- streamed changes ----------------------------------------------------
run_read -S t29_iso --peek --format=json --time-format=iso
is "$rc" 0 "--peek --time-format=iso exits 0"
is "$(rows "$T/out" iso)" "$(cat "$T/want.iso")" "--peek: ISO 8601 values"
run_read -S t29_iso --catch-up --time-format=iso
is "$rc" 0 "streaming with --time-format=iso exits 0"
is "$(rows "$T/out" iso)" "$(cat "$T/want.iso")" "streamed: ISO 8601 values, ts and now() spelled alike"
run_read -S t29_pg --catch-up
is "$rc" 0 "streaming without the option exits 0"
is "$(rows "$T/out" pg)" "$(cat "$T/want.pg")" "streamed without the option: PostgreSQL's text"

# ---- backfill read events ------------------------------------------------
run_read -d "dbname=$db" --backfill --table tt --time-format=iso
is "$rc" 0 "--backfill --time-format=iso exits 0"
is "$(rows "$T/out" iso)" "$(cat "$T/want.iso")" "backfill: the same ISO 8601 values as streamed"
run_read -d "dbname=$db" --backfill --table tt --time-format=postgres
is "$rc" 0 "--backfill --time-format=postgres exits 0"
is "$(rows "$T/out" pg)" "$(cat "$T/want.pg")" "backfill with --time-format=postgres: PostgreSQL's text"
run_read -d "dbname=$db" --backfill --table tt
is "$(rows "$T/out" pg)" "$(cat "$T/want.pg")" "backfill without the option: PostgreSQL's text"

# ---- --create-slot --snapshot read events --------------------------------
run_read -S t29_snap --create-slot --snapshot --time-format=iso
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot('t29_snap')\" >/dev/null 2>&1"
is "$rc" 0 "--create-slot --snapshot --time-format=iso exits 0"
is "$(rows "$T/out" iso)" "$(cat "$T/want.iso")" "--snapshot: the same ISO 8601 values"
done_testing
