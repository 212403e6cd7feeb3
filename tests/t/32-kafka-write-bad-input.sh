#!/bin/bash
# kafka-write on bad input, against the rig's broker: each kind of bad line
# stops the run with exit 20 and "line N, byte M: reason", the lines before
# it are delivered and acknowledged, nothing from it on; then --skip-bad
# and --dead-letter go on.
. "$(dirname "$0")/../lib/setup.sh"
need_kafka
set +e	# every command's status is asserted below

B=$KAFKA_BROKERS
P="kw32.$$.$(date +%s)"

consume() { timeout 60 kcat -b "$B" -C -t "$1" -e -q -Z -f '%s\n'; }

# before TABLE / after TABLE: a transaction each, commits 0/100 and 0/200
before() {
	printf '{"op":"insert","lsn":"0/10","table":"%s","key":{"id":1}}\n' "$1"
	printf '{"op":"insert","lsn":"0/20","table":"%s","key":{"id":2}}\n' "$1"
	printf '{"op":"commit","lsn":"0/90","end_lsn":"0/100"}\n'
}
after() {
	printf '{"op":"insert","lsn":"0/110","table":"%s","key":{"id":3}}\n' "$1"
	printf '{"op":"commit","lsn":"0/190","end_lsn":"0/200"}\n'
}

long=$(printf '{"op":"insert","table":"x","pad":"%0300d"}' 0)
# name | bad line (printf format) | expected "byte M: reason" (regex)
cases=(
	'not JSON|hello|byte 1: expected a JSON value'
	'truncated|{"op":"insert","table":"x","key":{"id":3}|byte 42: unexpected end of line \(truncated JSON\?\)'
	'empty line||byte 1: empty line'
	'invalid UTF-8|{"op":"insert","table":"x","v":"\xff"}|byte 33: invalid UTF-8'
	'NUL byte|{"op":"insert","table":"x","v":"a\0"}|byte 34: NUL byte'
	"oversized line|$long|byte 201: message too large for Kafka: table x, key \\(none\\), [0-9]+ bytes, more than 200 \\(--max-line\\)"
	'missing template field|{"op":"insert","key":{"id":3}}|byte 1: template field \{table\} is missing'
	'decreasing end_lsn|{"op":"commit","lsn":"0/40","end_lsn":"0/50"}|byte 39: end_lsn 0/50 is lower than the previous commit.s 0/100'
)

i=0
for c in "${cases[@]}"; do
	i=$((i + 1))
	name=${c%%|*}; rest=${c#*|}; bad=${rest%|*}; want=${rest##*|}
	tbl="c$i"
	{ before "$tbl"; printf "$bad\n"; after "$tbl"; } >"$T/in$i"
	timeout 60 "$KAFKA_WRITE" -b "$B" --topic-template "$P.{table}" --max-line 200 \
		--ack-file "$T/ack$i" "$T/in$i" 2>"$T/err$i"
	rc=$?
	# a line over --max-line is too large for Kafka: its own status
	if [ "$name" = "oversized line" ]; then is "$rc" 25 "$name: exit 25"; else is "$rc" 20 "$name: exit 20"; fi
	like "$(cat "$T/err$i")" "in$i: line 4, $want" "$name: message names file, line, byte, reason"
	is "$(head -n 1 "$T/ack$i" 2>/dev/null)" "0/100" "$name: ack file not past the bad line"
	is "$(consume "$P.$tbl" | wc -l)" 2 "$name: only the lines before it produced"
done

# stdin: no file name in the message
printf '{"a":1}\n-x\n' | timeout 60 "$KAFKA_WRITE" -b "$B" -t "$P.stdin" 2>"$T/err"
is "$?" 20 "bad line on stdin: exit 20"
like "$(cat "$T/err")" '^kafka-write: error: line 2, byte 2: invalid number' "bad line on stdin: no file name"

# all the bad lines in one input, between good transactions
i=0
: >"$T/all"
for c in "${cases[@]}"; do
	i=$((i + 1))
	rest=${c#*|}; bad=${rest%|*}
	printf '{"op":"insert","lsn":"0/%X","table":"all","n":%d}\n' "$((i * 16))" "$i" >>"$T/all"
	printf "$bad\n" >>"$T/all"
	printf '{"op":"commit","lsn":"0/%X","end_lsn":"0/%X"}\n' "$((i * 256))" "$((i * 256 + 8))" >>"$T/all"
done
grep -a '"n":' "$T/all" | grep -av '"pad"' >"$T/all.want"
nbad=${#cases[@]}

timeout 60 "$KAFKA_WRITE" -b "$B" --topic-template "$P.skip.{table}" --max-line 200 \
	--skip-bad --ack-file "$T/ack.skip" "$T/all" 2>"$T/err.skip"
is "$?" 20 "--skip-bad with --ack-file: exit 20 (the acknowledgement was held)"
is "$(grep -c 'warning: .*line [0-9]*, byte [0-9]*: .*(skipped)' "$T/err.skip")" "$nbad" "--skip-bad: a warning per bad line"
consume "$P.skip.all" >"$T/skip.out"
check "--skip-bad: every good line produced, byte-identical" cmp "$T/all.want" "$T/skip.out"
# the first bad line comes before the first commit: nothing may be acknowledged
check "--skip-bad: no acknowledgement past a line that went nowhere" test ! -e "$T/ack.skip"
like "$(cat "$T/err.skip")" 'acknowledgements held at the start: input line 2 was skipped' "--skip-bad: the hold is reported"

timeout 60 "$KAFKA_WRITE" -b "$B" --topic-template "$P.dl.{table}" --max-line 200 -q \
	--dead-letter "$T/dead" --ack-file "$T/ack.dl" "$T/all" 2>"$T/err.dl"
# the oversized line (case 6) is kept only in part: acknowledgements hold before it
is "$?" 25 "--dead-letter with an oversized line: exit 25"
like "$(cat "$T/err.dl")" 'acknowledgements held at 0/508: input line 17 was kept only in part' "--dead-letter -q: only the hold is reported"
is "$(wc -l <"$T/dead")" "$nbad" "--dead-letter: one line per bad line"
check "--dead-letter: every line is JSON with line, byte, error, input" \
	jq -e 'select((.line|type)=="number" and (.byte|type)=="number" and (.error|type)=="string" and (.input|type)=="string" and .file != null)' "$T/dead"
is "$(jq -s 'length' "$T/dead")" "$nbad" "--dead-letter: all objects parse"
is "$(jq -r 'select(.input=="hello") | "\(.line) \(.byte) \(.error)"' "$T/dead")" "2 1 expected a JSON value" \
	"--dead-letter: the not-JSON line with its position and error"
is "$(jq -r 'select(.input_truncated) | .input | length' "$T/dead")" "${#long}" "--dead-letter: oversized line kept (up to 4096 bytes)"
is "$(stat -c %a "$T/dead")" 600 "--dead-letter: file mode 0600"
consume "$P.dl.all" >"$T/dl.out"
check "--dead-letter: every good line produced" cmp "$T/all.want" "$T/dl.out"
is "$(head -n 1 "$T/ack.dl")" "0/508" "--dead-letter: acknowledged to the commit before the oversized line"
grep -av '"pad"' "$T/all" >"$T/all.nolong"
timeout 60 "$KAFKA_WRITE" -b "$B" --topic-template "$P.dl2.{table}" --max-line 200 -q \
	--dead-letter "$T/dead2" --ack-file "$T/ack.dl2" "$T/all.nolong" 2>"$T/err.dl2"
is "$?" 0 "--dead-letter: exit 0"
is "$(cat "$T/err.dl2")" "" "--dead-letter -q: quiet"
is "$(head -n 1 "$T/ack.dl2")" "$(printf '0/%X' $((nbad * 256 + 8)))" "--dead-letter: acknowledged to the last commit"

# a message larger than the producer allows is too large for Kafka
big=$(printf '{"table":"big","pad":"%02000d"}' 0)
printf '%s\n' "$big" | timeout 60 "$KAFKA_WRITE" -b "$B" -t "$P.big" -X message.max.bytes=1000 2>"$T/err"
is "$?" 25 "message over message.max.bytes: exit 25"
like "$(cat "$T/err")" 'line 1, byte 1: message too large for Kafka: table big, key \(none\), [0-9]+ bytes with key and headers, more than message.max.bytes 1000' "message over message.max.bytes: message names table, key, size and limit"

# a fragment at the end of the input (its writer died in mid-line) is named as such
printf '{"a":1}\n{"b":' | timeout 60 "$KAFKA_WRITE" -b "$B" -t "$P.frag" 2>"$T/err"
is "$?" 20 "an incomplete last line: exit 20"
like "$(cat "$T/err")" 'line 2, byte 6: .*in an incomplete last line \(no newline at the end of the input\)' \
	"an incomplete last line: said so"

done_testing
