#!/bin/bash
# kafka-write: --help, --version, bad options, missing required options.
# Needs no server.
. "$(dirname "$0")/../lib/setup.sh"

kw() { timeout 20 "$KAFKA_WRITE" "$@"; }

out=$(kw --help 2>"$T/err"); rc=$?
is "$rc" 0 "--help exits 0"
like "$out" '^Usage:' "--help prints usage on stdout"
like "$out" 'kafka-write -b BROKERS \{-t TOPIC \| --topic-template TEMPLATE\}' "--help shows the synopsis"
for o in --brokers --topic --topic-template --tx-topic --key-field --key-template --no-key \
	--partition --header --tombstones --config --flush-timeout --ack-file --ack-interval \
	--max-line --skip-bad --dead-letter --progress --no-progress --verbose --quiet --version; do
	like "$out" -- "$o" "--help lists $o"
done
like "$out" -- --message-topic "--help lists --message-topic"
is "$(cat "$T/err")" "" "--help writes nothing on stderr"

out=$(kw --version); rc=$?
is "$rc" 0 "--version exits 0"
like "$out" '^kafka-write [0-9]+\.[0-9]+\.[0-9]+' "--version prints the version"

# every documented option is in the man page too
man="$PGWAL_TOP/man/kafka-write.1"
for o in brokers topic topic-template tx-topic key-field key-template no-key partition header \
	tombstones value-field headers-field debezium config flush-timeout ack-file ack-interval max-line skip-bad dead-letter progress \
	no-progress verbose quiet help version; do
	grep -q -- "$o" "$man" || { ok 1 "man page documents --$o"; continue; }
	ok 0 "man page documents --$o"
done
grep -q -- 'message-topic' "$man"; ok $? "man page documents --message-topic"

set +e
err=$(kw --no-such-option </dev/null 2>&1); rc=$?
is "$rc" 2 "unknown option exits 2"
like "$err" 'no-such-option' "unknown option is named"
like "$err" 'Try "kafka-write --help"' "unknown option gives the --help hint"

err=$(kw -t x </dev/null 2>&1); rc=$?
is "$rc" 2 "missing -b exits 2"
like "$err" '-b/--brokers' "missing -b is named"
like "$err" 'Try "kafka-write --help"' "missing -b gives the hint"

err=$(kw -b 127.0.0.1:9 </dev/null 2>&1); rc=$?
is "$rc" 2 "missing topic exits 2"
like "$err" '-t/--topic or --topic-template' "missing topic options are named"

err=$(kw -b 127.0.0.1:9 -t a --topic-template 'b.{table}' </dev/null 2>&1); rc=$?
is "$rc" 2 "-t with --topic-template exits 2"
like "$err" 'cannot be used together' "-t with --topic-template: conflict message"

err=$(kw -b 127.0.0.1:9 -t 'bad topic' </dev/null 2>&1); rc=$?
is "$rc" 2 "illegal -t topic name exits 2"
like "$err" 'invalid value "bad topic" for option -t/--topic' "illegal topic name message"

err=$(kw -b 127.0.0.1:9 --topic-template 'shop/{table}' </dev/null 2>&1); rc=$?
is "$rc" 2 "illegal literal in --topic-template exits 2"

err=$(kw -b 127.0.0.1:9 --topic-template 'shop.{table' </dev/null 2>&1); rc=$?
is "$rc" 2 "unclosed placeholder exits 2"
like "$err" 'unclosed' "unclosed placeholder message"

err=$(kw -b 127.0.0.1:9 -t a --key-field id --no-key </dev/null 2>&1); rc=$?
is "$rc" 2 "conflicting key options exit 2"

err=$(kw -b 127.0.0.1:9 -t a -X no.such.property=1 </dev/null 2>&1); rc=$?
is "$rc" 2 "unknown -X property exits 2"
like "$err" 'no.such.property' "unknown property named"

err=$(kw -b 127.0.0.1:9 -t a -p -1 </dev/null 2>&1); rc=$?
is "$rc" 2 "negative partition exits 2"

err=$(kw -b 127.0.0.1:9 -t a --ack-interval soon </dev/null 2>&1); rc=$?
is "$rc" 2 "bad --ack-interval exits 2"

err=$(kw -b 127.0.0.1:9 -t a -H novalue </dev/null 2>&1); rc=$?
is "$rc" 2 "-H without = exits 2"

# librdkafka's queue must hold the longest line allowed, or such a line
# would wait for room forever
err=$(kw -b 127.0.0.1:9 -t a -X queue.buffering.max.kbytes=100 </dev/null 2>&1); rc=$?
is "$rc" 2 "a queue smaller than --max-line exits 2"
like "$err" 'queue.buffering.max.kbytes=100 cannot hold a line of 1000000 bytes.*set it to 977 or more' \
	"the small queue is named, with the size needed"
# ... and kafka-write's default queue (4 MB) grows to fit: a 5 MB line through the
# mock cluster, with message.max.bytes (and so --max-line) raised
python3 -c 'import sys; sys.stdout.write("{\"v\":\"" + "x" * 5000000 + "\"}\n")' >"$T/big.ndjson"
err=$(timeout 60 "$PGWAL_BIN/kafka-write" -t big -X test.mock.num.brokers=1 \
	-X message.max.bytes=6000000 -v "$T/big.ndjson" 2>&1); rc=$?
is "$rc" 0 "a 5 MB line is produced with the default queue size (raised to fit)"
like "$err" '1 messages delivered' "the 5 MB line was delivered"
# a size given, even the default's, is the operator's: too small is an error
err=$(kw -b 127.0.0.1:9 -t a -X message.max.bytes=6000000 -X queue.buffering.max.kbytes=4096 \
	</dev/null 2>&1); rc=$?
is "$rc" 2 "an explicit queue.buffering.max.kbytes=4096 below a 6 MB --max-line exits 2"
printf 'queue.buffering.max.kbytes = 100\n' >"$T/queue.props"
err=$(kw -b 127.0.0.1:9 -t a -F "$T/queue.props" </dev/null 2>&1); rc=$?
is "$rc" 2 "a queue too small in an -F file exits 2"
like "$err" 'set it to 977 or more' "the -F file's small queue gets the same message"

printf 'bootstrap.servers=127.0.0.1:9\nsasl.password=s3cret\nbogus line\n' >"$T/props"
err=$(kw -t a -F "$T/props" </dev/null 2>&1); rc=$?
is "$rc" 2 "bad -F file exits 2"
like "$err" 'props:3' "bad -F line named by file and line"
unlike "$err" 's3cret' "no secret from the -F file is echoed"

err=$(kw -t a -F "$T/nonexistent" </dev/null 2>&1); rc=$?
is "$rc" 2 "missing -F file exits 2"

# no error ever shows a property's value, nor what follows a name (issue 11 case 4)
for arg in sasl.password:S3cret sasl.password:S3cret=x 'sasl.password S3cret' =S3cret \
	compression.codec=S3cret acks=S3cret; do
	err=$(kw -b 127.0.0.1:9 -t a -X "$arg" </dev/null 2>&1); rc=$?
	is "$rc" 2 "-X '$arg' exits 2"
	unlike "$err" 'S3cret' "-X '$arg': the value is not echoed"
done
err=$(kw -b 127.0.0.1:9 -t a -X sasl.password:S3cret </dev/null 2>&1)
like "$err" '"sasl.password"\.\.\. is not of the form property=value' "-X without '=' names the property"
err=$(kw -b 127.0.0.1:9 -t a -X compression.codec=S3cret </dev/null 2>&1)
like "$err" 'invalid value for property "compression.codec"' "a bad -X value names the property"
for line in 'compression.codec = S3cret' 'acks=S3cret' 'sasl.password:S3cret=' \
	'sasl.password S3cret'; do
	printf 'bootstrap.servers=127.0.0.1:9\n%s\n' "$line" >"$T/secret.props"
	err=$(kw -t a -F "$T/secret.props" </dev/null 2>&1); rc=$?
	is "$rc" 2 "-F line '$line' exits 2"
	like "$err" 'secret.props:2' "-F line '$line': file and line named"
	unlike "$err" 'S3cret' "-F line '$line': the value is not echoed"
done
set -e

done_testing
