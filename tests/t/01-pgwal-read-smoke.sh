#!/bin/bash
# pgwal-read without a server: --help, --version, bad options.
. "$(dirname "$0")/../lib/setup.sh"

out=$("$PGWAL_READ" --help); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" '^Usage:' "--help prints the usage"
like "$out" '--slot=NAME' "--help lists --slot"
like "$out" '--ack-file=FILE' "--help lists --ack-file"

out=$("$PGWAL_READ" --version); rc=$?
is "$rc" 0 "--version exits 0"
like "$out" '^pgwal-read [0-9]+\.[0-9]+\.[0-9]+' "--version prints the version"

set +e
err=$("$PGWAL_READ" --no-such-option 2>&1 >/dev/null); rc=$?
is "$rc" 2 "an unknown option exits 2"
like "$err" 'Try "pgwal-read --help"' "an unknown option gets the --help hint"

err=$("$PGWAL_READ" -d "dbname=x" 2>&1 >/dev/null); rc=$?
is "$rc" 2 "a missing slot exits 2"
like "$err" '--slot is required' "a missing slot is named"
like "$err" 'Try "pgwal-read --help"' "a missing slot gets the --help hint"

err=$("$PGWAL_READ" -S s -E nonsense 2>&1 >/dev/null); rc=$?
is "$rc" 2 "a bad LSN exits 2"
like "$err" 'invalid value "nonsense" for option --endpos' "a bad LSN is named with its option"

err=$("$PGWAL_READ" -S s --status-interval 0 2>&1 >/dev/null); rc=$?
is "$rc" 2 "an out-of-range number exits 2"
like "$err" 'option --status-interval: must be' "an out-of-range number says the range"

err=$("$PGWAL_READ" -S s --checkpoint a --ack-file b 2>&1 >/dev/null); rc=$?
is "$rc" 2 "--checkpoint with --ack-file exits 2"
like "$err" 'cannot be used together' "--checkpoint with --ack-file says why"

err=$("$PGWAL_READ" -S s --create-slot --drop-slot 2>&1 >/dev/null); rc=$?
is "$rc" 2 "--create-slot with --drop-slot exits 2"

err=$("$PGWAL_READ" -S s extra 2>&1 >/dev/null); rc=$?
is "$rc" 2 "a stray argument exits 2"

# a server that is not there: its own exit code, no password in the message
err=$("$PGWAL_READ" -d "host=127.0.0.1 port=1 password=sekrit connect_timeout=2" -S s --no-loop 2>&1 >/dev/null); rc=$?
is "$rc" 3 "an unreachable server exits 3"
like "$err" 'could not connect' "an unreachable server is reported"
unlike "$err" 'sekrit' "the password is never printed"
# at start-up there is nothing to resume: no reconnect loop, exit 3 at once
err=$(timeout 20 "$PGWAL_READ" -d "host=127.0.0.1 port=1 connect_timeout=2" -S s 2>&1 >/dev/null); rc=$?
is "$rc" 3 "an unreachable server at start-up exits 3 without --no-loop too"
unlike "$err" 'reconnecting' "... without a reconnect loop"
# a connection string libpq cannot parse: libpq quotes the piece it
# stumbled on, which may be the password or the whole URI (issue 11 case 4)
for d in 'postgresql://u:p%zzS3cret@127.0.0.1:1/db' 'host=127.0.0.1 port=1 password=a S3cret' \
	'postgresql://u:S3cret@[::1/db' "host=127.0.0.1 password='S3cret" 'S3cret=x host=127.0.0.1'; do
	err=$(timeout 20 "$PGWAL_READ" -d "$d" -S s --no-loop 2>&1 >/dev/null); rc=$?
	is "$rc" 3 "-d '$d' exits 3"
	like "$err" 'invalid connection string' "-d '$d': reported as a bad connection string"
	unlike "$err" 'S3cret' "-d '$d': no part of it is printed"
done
err=$(timeout 20 "$PGWAL_READ" -d 'postgresql://u:p%zzS3cret@127.0.0.1:1/db' -S s 2>&1 >/dev/null)
like "$err" 'invalid percent-encoded token: "\.\.\."' "libpq's reason is kept, its quoted token is not"
set -e

done_testing
