#!/bin/bash
# pgwal-read --checkpoint FILE > out (a regular file) under a steady writer,
# SIGKILLed mid-stream and restarted (appending) several times, then caught
# up: nothing lost against wal2json, duplicates only of what the checkpoint
# did not cover, and the slot never confirmed past the checkpoint file; one
# run also loses its walsender and must reconnect by itself.  Then unusable
# checkpoint files (exit 5), a full disk (exit 4), a pipe whose reader leaves,
# and an idle slot whose keepalive positions reach the file and the slot.
# The analysis of the restarts is tests/lib/check_restarts.py.
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_wal2json

db="t13_$$"
slot="t13_$$_r"
wslot="t13_$$_w"
KILLS=5
bgpids=""
cleanup() {
	for p in $bgpids; do kill -KILL "$p" 2>/dev/null || true; done
	for p in $bgpids; do wait "$p" 2>/dev/null || true; done
	sql -d postgres -c "select pg_cancel_backend(pid) from pg_stat_activity where datname = '$db' and pid <> pg_backend_pid()" >/dev/null 2>&1 || true
	sql -d postgres -c "select pg_drop_replication_slot(slot_name) from pg_replication_slots
		where slot_name in ('$slot', '$wslot') and not active" >/dev/null 2>&1 || true
	dropdb --if-exists --force "$db" 2>/dev/null || true
}
at_exit cleanup

createdb "$db"
export PGDATABASE="$db"
sql -c "create table ck(id serial primary key, batch int, pad text); create table stop(x int)" \
	-c "create publication pgwal for table ck"
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --create-slot
sql -c "select pg_create_logical_replication_slot('$wslot', 'wal2json')" >/dev/null 2>"$T/w2jslot.err" ||
	bail "cannot create a wal2json slot (Debian: postgresql-15-wal2json): $(head -n 1 "$T/w2jslot.err")"
ckpt="$T/ckpt"
out="$T/out.ndjson"
: >"$out"
: >"$T/kills"

# a steady writer until told to stop (a row in "stop", or 40 s): small
# transactions of 1 to 3 inserts, an update every 5th, and every 100th a
# transaction of 3000 rows, whose output a kill is likely to cut
set +e
timeout 60 psql -Xq -d "$db" -c "do \$\$
declare i int := 0; t0 timestamptz := clock_timestamp();
begin
	while clock_timestamp() < t0 + interval '40 s' and not exists (select 1 from stop) loop
		i := i + 1;
		insert into ck(batch, pad) select i, repeat('z', 40) from generate_series(1, 1 + i % 3);
		if i % 5 = 0 then update ck set pad = 'u' || i where id = (select max(id) from ck); end if;
		if i % 100 = 0 then insert into ck(batch, pad) select i, 'big' from generate_series(1, 3000); end if;
		commit;
		perform pg_sleep(0.001);
	end loop;
end \$\$" >"$T/writer.out" 2>&1 &
writer=$!
set -e
bgpids="$bgpids $writer"

ckpt_lsn() { [ -f "$ckpt" ] && sed -n '1p' "$ckpt" || true; }

samples=0; ahead=""; died=""
for k in $(seq 1 "$KILLS"); do
	set +e
	"$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "$ckpt" -s 0.2 >>"$out" 2>>"$T/read.err" &
	rd=$!
	set -e
	bgpids="$bgpids $rd"
	# while it runs: the slot's confirmed_flush_lsn, read first, is never past
	# the checkpoint file, read second (the file only grows)
	for i in $(seq 1 $(( 5 + k ))); do
		sleep 0.15
		if [ "$k" = 3 ] && [ "$i" = 3 ]; then
			# the connection dies under it: pgwal-read must reconnect by itself
			oldpid=$(sql -c "select active_pid from pg_replication_slots where slot_name = '$slot'")
			sql -c "select pg_terminate_backend($oldpid)" >/dev/null 2>&1 || true
			for _ in $(seq 1 100); do
				newpid=$(sql -c "select active_pid from pg_replication_slots where slot_name = '$slot'")
				[ -n "$newpid" ] && [ "$newpid" != "$oldpid" ] && break
				sleep 0.1
			done
			ok "$([ -n "$newpid" ] && [ "$newpid" != "$oldpid" ] && kill -0 "$rd" 2>/dev/null && echo 0 || echo 1)" \
				"run $k: after its walsender is terminated, pgwal-read reconnects by itself (walsender $oldpid -> ${newpid:-none})"
		fi
		conf=$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '$slot'")
		c=$(ckpt_lsn)
		[ -n "$c" ] || continue
		samples=$((samples + 1))
		if [ "$(sql -c "select '$conf'::pg_lsn <= '$c'::pg_lsn")" != t ]; then
			ahead="$ahead run $k: confirmed $conf > checkpoint $c;"
		fi
	done
	if ! kill -0 "$rd" 2>/dev/null; then
		died="$died run $k;"
		sed 's/^/#   /' "$T/read.err" | tail -n 3
	fi
	kill -KILL "$rd" 2>/dev/null || true
	set +e; wait "$rd" 2>/dev/null; set -e
	bgpids="$writer"
	c=$(ckpt_lsn)
	# the next run cuts a line this kill tore (pgwal-read(1), --checkpoint):
	# its output starts after the last complete line
	echo "$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().rfind(b"\n") + 1)' "$out") ${c:-0/0}" >>"$T/kills"
	conf=$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '$slot'")
	samples=$((samples + 1))
	if [ -z "$c" ] || [ "$(sql -c "select '$conf'::pg_lsn <= '$c'::pg_lsn")" != t ]; then
		ahead="$ahead after kill $k: confirmed $conf > checkpoint ${c:-none};"
	fi
	# the walsender notices the dead client a moment later
	wait_slot "$slot" f 50
done
is "$(wc -l <"$T/kills")" "$KILLS" "pgwal-read was SIGKILLed $KILLS times mid-stream"
is "$died" "" "... each run was still streaming when killed"
is "$ahead" "" "the slot's confirmed_flush_lsn never exceeded the checkpoint file's LSN ($samples samples)"
echo "# output lines before catching up: $(wc -l <"$out")"

sql -c "insert into stop values (1)"
set +e
wait "$writer"; wrc=$?
set -e
bgpids=""
is "$wrc" 0 "the writer finished"
end=$(sql -c "select pg_current_wal_lsn()")
set +e
timeout 60 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "$ckpt" --catch-up --no-loop >>"$out" 2>>"$T/read.err"; rc=$?
set -e
is "$rc" 0 "the last run catches up and exits 0"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/read.err" | tail -n 5

is "$(stat -c %a "$ckpt")" 600 "the checkpoint file is mode 0600"
like "$(sed -n '1p' "$ckpt")" '^[0-9A-F]+/[0-9A-F]+$' "its first line is an LSN"
last_end=$(grep '"op":"commit"' "$out" | tail -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["end_lsn"])')
is "$(sql -c "select '$(sed -n '1p' "$ckpt")'::pg_lsn >= '$last_end'::pg_lsn")" t \
	"after catching up, the checkpoint covers the last commit written ($last_end)"
conf=$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '$slot'")
is "$(sql -c "select '$conf'::pg_lsn <= '$(sed -n '1p' "$ckpt")'::pg_lsn")" t \
	"... and the slot is not confirmed past it ($conf)"

set +e
timeout 60 "$PGWAL_PGCLIENT/pg_recvlogical" -d "$db" -S "$wslot" --start -E "$end" --no-loop -f "$T/w2j.ndjson" \
	-o format-version=2 -o include-xids=1 -o include-lsn=1 -o add-tables=public.ck 2>"$T/w2j.err"; rc=$?
python3 "$PGWAL_TOP/tests/lib/check_restarts.py" "$out" "$T/kills" "$T/w2j.ndjson" >"$T/chk.out" 2>"$T/chk.err"; crc=$?
set -e
is "$rc" 0 "pg_recvlogical + wal2json to $end"
ok "$([ "$crc" = 0 ] || [ "$crc" = 3 ] && echo 0 || echo 1)" "the restart checker ran to the end"
[ "$crc" = 0 ] || [ "$crc" = 3 ] || sed 's/^/#   /' "$T/chk.err" | tail -n 10
while IFS= read -r line; do
	case $line in
	PASS\ *) ok 0 "${line#PASS }" ;;
	FAIL\ *) ok 1 "${line#FAIL }" ;;
	*) echo "$line" ;;
	esac
done <"$T/chk.out"

# ---- unusable checkpoint files: exit 5, nothing streamed or confirmed ------
before_ins=$(sql -c "select pg_current_wal_insert_lsn()")
sql -c "insert into ck(batch, pad) values (-1, 'after the checks')"
conf0=$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '$slot'")
echo garbage >"$T/bad.ckpt"
printf '0/1\nslot someother\n' >"$T/other.ckpt"
for f in "$T/bad.ckpt:garbage in it" "$T/other.ckpt:written for another slot" "/dev/null/x:that cannot be created"; do
	set +e
	timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "${f%%:*}" --catch-up --no-loop \
		>"$T/bad.out" 2>"$T/bad.err"; rc=$?
	set -e
	case $f in *another*) want=14 ;; *) want=5 ;; esac
	is "$rc" $want "a checkpoint file ${f#*:} exits $want"
	like "$(tr '\n' ' ' <"$T/bad.err")" "${f%%:*}" "... naming the file"
	is "$(grep -c '"after":' "$T/bad.out" || true)" 0 "... streaming nothing"
done
is "$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '$slot'")" "$conf0" \
	"... and confirming nothing"
set +e
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "$ckpt" --catch-up --no-loop >/dev/full 2>"$T/full.err"; rc=$?
set -e
is "$rc" 4 "--checkpoint with stdout on a full disk exits 4"
# an idle keepalive may move it (nothing was emitted), never past the
# transaction that could not be written
is "$(sql -c "select '$(ckpt_lsn)'::pg_lsn between '$conf0'::pg_lsn and '$before_ins'::pg_lsn")" t \
	"... the checkpoint file does not move past the unwritten transaction"
set +e
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "$ckpt" --catch-up --no-loop >"$T/after.out" 2>>"$T/read.err"; rc=$?
set -e
is "$(grep -c '"after the checks"' "$T/after.out" || true)" 1 "... and the next run delivers the change"

# ---- --checkpoint on a pipe whose reader leaves --------------------------------
# On a pipe, --checkpoint counts what entered the pipe as delivered, as
# pg_recvlogical does (pgwal-read(1) says so, and warns at start): the reader
# that leaves loses what it had not read.  A restart resumes exactly after the
# checkpoint: no gap after it, nothing before it again.
sql -c "create table pipe(id int primary key)" -c "alter publication pgwal add table pipe"
sql -c "do \$\$ begin for i in 1..3000 loop insert into pipe values (i); commit; end loop; end \$\$"
set +e
timeout 30 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "$ckpt" 2>"$T/pipe.err" | head -n 1 >/dev/null
set -e
like "$(cat "$T/pipe.err")" 'warning: .*--checkpoint.*pipe.*--ack-file' "--checkpoint on a pipe warns and points to --ack-file"
ck_at_exit=$(head -n 1 "$ckpt")
set +e
timeout 60 "$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "$ckpt" --catch-up --no-loop >"$T/pipe2.out" 2>>"$T/read.err"
set -e
grep '"table":"pipe"' "$T/pipe2.out" | sed 's/.*"after":{"id":\([0-9]*\)}.*/\1/' >"$T/pipe.ids"
first=$(head -n 1 "$T/pipe.ids"); last=$(tail -n 1 "$T/pipe.ids"); got=$(wc -l <"$T/pipe.ids")
is "$last" 3000 "the restart delivers up to the last transaction"
is "$got" "$((last - first + 1))" "no gap after the checkpoint: ids $first..$last arrive, $got of them"
first_commit=$(grep '"table":"pipe"' "$T/pipe2.out" | head -n 1 | sed 's/.*"commit_lsn":"\([^"]*\)".*/\1/')
is "$(sql -c "select '$first_commit'::pg_lsn > '$ck_at_exit'::pg_lsn")" t \
	"nothing at or before the checkpoint comes again ($first_commit > $ck_at_exit)"

# ---- an idle slot: keepalive positions reach the checkpoint and the slot ----
# Rule 5: with everything acknowledged, the server's newer WAL position may be
# confirmed (writes to a table outside the publication move the WAL, not the
# stream).  --checkpoint writes it to its file first.
set +e
"$PGWAL_READ" -d "dbname=$db" -S "$slot" --checkpoint "$ckpt" -s 0.2 >"$T/idle.out" 2>"$T/idle.err" &
rd=$!
set -e
bgpids="$rd"
sql -c "insert into stop select generate_series(1, 20000)"
target=$(sql -c "select pg_current_wal_lsn()")
conf=""
for _ in $(seq 1 100); do
	conf=$(sql -c "select confirmed_flush_lsn from pg_replication_slots where slot_name = '$slot'")
	[ "$(sql -c "select '$conf'::pg_lsn >= '$target'::pg_lsn")" = t ] && break
	sleep 0.1
done
c=$(ckpt_lsn)
is "$(sql -c "select '$conf'::pg_lsn >= '$target'::pg_lsn")" t \
	"an idle slot is confirmed up to the server's WAL position within 10 s ($conf >= $target)"
is "$(sql -c "select '$conf'::pg_lsn <= '$c'::pg_lsn")" t "... and not past the checkpoint file ($c)"
kill -TERM "$rd" 2>/dev/null || true
set +e; wait "$rd"; rc=$?; set -e
bgpids=""
is "$rc" 0 "the idle run stops with exit 0 on SIGTERM"
is "$(grep -c . "$T/idle.out" || true)" 0 "... having written nothing (no published change)"

done_testing
