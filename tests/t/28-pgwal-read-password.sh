#!/bin/bash
# Passwords as psql and pg_recvlogical take them: PGPASSWORD (and
# .pgpass), a "Password: " prompt on the terminal when the server asks
# for one, -W to be asked first, -w never to be asked.  A role of its own
# with scram-sha-256 in pg_hba.conf (the lines are removed at exit); the
# terminal is a pty from python3.
. "$(dirname "$0")/../lib/setup.sh"
need_pg

role="t28_$$"
slot="t28_$$"
pw='s3cret pw'
hba=$(sql -c 'show hba_file')
cp "$hba" "$T/hba.orig"
restore() {
	cat "$T/hba.orig" >"$hba"
	sql -c "select pg_reload_conf()" >/dev/null
	sql -c "select pg_drop_replication_slot('$slot') from pg_replication_slots where slot_name = '$slot'" >/dev/null
	sql -c "drop role if exists $role" >/dev/null
}
at_exit restore
sql -c "set password_encryption = 'scram-sha-256'; create role $role login replication password '$pw'"
{
	echo "host all $role 127.0.0.1/32 scram-sha-256"
	echo "host replication $role 127.0.0.1/32 scram-sha-256"
	cat "$T/hba.orig"
} >"$hba"
sql -c "select pg_reload_conf()" >/dev/null
sleep 0.5
conn="host=127.0.0.1 port=$PGPORT user=$role dbname=postgres"
export PGPASSFILE="$T/no-such-pgpass"
unset PGPASSWORD

# on_tty PASSWORD|- CMD...: run CMD on a pty, answer "Password: " with
# PASSWORD (- : never); prints what the terminal showed, exits as CMD did
on_tty() {
	python3 - "$@" <<'PY'
import os, pty, select, sys, time
pw, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, sent, deadline = b"", False, time.time() + 30
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if fd not in r:
        continue
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
    if not sent and pw != "-" and b"Password: " in out:
        os.write(fd, pw.encode() + b"\n")
        sent = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
run() {
	set +e
	"$@" >"$T/out" 2>&1
	rc=$?
	set -e
	out=$(cat "$T/out")
}

help=$("$PGWAL_READ" --help)
like "$help" '^ +-w, --no-password ' "--help lists -w, --no-password"
like "$help" '^ +-W, --password ' "--help lists -W, --password"

# no terminal (as under cron): no prompt, exit 3 with a hint
run setsid -w timeout 30 "$PGWAL_READ" -d "$conn" --list-slots </dev/null
is "$rc" 3 "no password and no terminal: exit 3"
like "$out" 'no password supplied' "... saying the server wanted one"
like "$out" 'hint: put the password in ~/.pgpass \(or PGPASSFILE\) or PGPASSWORD, or run in a terminal' "... with a hint"
unlike "$out" 'Password:' "... without a prompt"

# PGPASSWORD works
run env PGPASSWORD="$pw" timeout 30 "$PGWAL_READ" -d "$conn" --list-slots --format json </dev/null
is "$rc" 0 "PGPASSWORD: exit 0"

# a terminal: the prompt, then the connection
run on_tty "$pw" "$PGWAL_READ" -d "$conn" --list-slots --format json
is "$rc" 0 "on a terminal: prompted, then connected (exit 0)"
like "$out" '^Password: ' "the prompt is \"Password: \""
is "$(grep -c 'Password: ' "$T/out")" 1 "... asked once"
unlike "$out" "$pw" "... and the password typed is not echoed nor printed"

# -w on a terminal: never asked
run on_tty - "$PGWAL_READ" -w -d "$conn" --list-slots
is "$rc" 3 "-w on a terminal: exit 3"
unlike "$out" 'Password:' "... without a prompt"
like "$out" 'hint: -w never asks for a password' "... with a hint that says why"

# -W: asked before connecting; the password serves the replication connection too
run on_tty "$pw" "$PGWAL_READ" -W -d "$conn" -S "$slot" --create-slot
is "$rc" 0 "-W --create-slot: prompted, then created (exit 0)"
is "$(sql -c "select count(*) from pg_replication_slots where slot_name = '$slot'")" 1 "... the slot exists"

# a wrong password: asked once, exit 3
run on_tty "wrong" "$PGWAL_READ" -d "$conn" --list-slots
is "$rc" 3 "a wrong password: exit 3"
like "$out" 'password authentication failed' "... saying so"
is "$(grep -c 'Password: ' "$T/out")" 1 "... asked only once"

done_testing
