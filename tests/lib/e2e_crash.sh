# tests/lib/e2e_crash.sh: the crash suite, sourced by tests/t/50 (at least
# once), tests/t/52 (exactly once, E2E_EOS=1) and tests/t/53 (exactly once
# on a three-node Kafka cluster, E2E_CLUSTER=1).
#
# The promise: pgwal-read --ack-file F | kafka-write --ack-file F never
# confirms to PostgreSQL a change that Kafka does not have.
#
# Under a pgbench load, the pipeline is killed (SIGKILL to pgwal-read, to
# kafka-write, or to both, at random moments) E2E_KILLS times and restarted
# each time; then it drains to an --endpos.  wal2json, on a slot created
# beside ours before the load, decodes the same WAL independently: every
# change it saw must be in Kafka.  Duplicates are counted and reported.
#
# With E2E_EOS=1, kafka-write runs with --transactional-id, and some rounds
# are harder: the ack files are deleted before the restart (the pipeline
# moved to a host without them), the broker is killed and restarted under
# the pipeline, or a second kafka-write with the same id fences the running
# one (which must exit 23).  A read_committed consumer must then find every
# change exactly once: duplicates = 0.
#
# With E2E_CLUSTER=1 the pipeline writes to a cluster of three brokers
# (scripts/kafka-cluster.sh: replication factor 3, min.insync.replicas 2)
# started for the test, and the broker killed is the leader of the
# topic's partition (in round 3; in every round but the fencing one with
# E2E_LEADER_KILLS=all, then give the load more time: E2E_LOAD_SECONDS=75),
# restarted a few seconds later.  E2E_KW_OPTS adds options to every
# kafka-write of the pipeline (say "-vv -X debug=eos,msg" to see its
# transactions in write.err of a KEEP_TMP=1 run).
. "$(dirname "$0")/../lib/setup.sh"
need_pg
need_kafka
EOS=${E2E_EOS:-0}
CLUSTER=${E2E_CLUSTER:-0}
if [ "$CLUSTER" = 1 ]; then
	"$PGWAL_TOP/scripts/kafka-cluster.sh" start "$T/kc" 3 >"$T/cluster.out" 2>&1 ||
		bail "the Kafka cluster did not start: $(tail -n 3 "$T/cluster.out")"
	at_exit "$PGWAL_TOP/scripts/kafka-cluster.sh stop $T/kc >/dev/null 2>&1"
	. "$T/kc/cluster.env"
elif [ "$EOS" = 1 ]; then
	[ -n "${PGWAL_RIG:-}" ] || bail "this test restarts the rig's broker: run it through make check"
	at_exit "[ -f $PGWAL_RIG/kafka.pid ] || $PGWAL_TOP/scripts/kafka.sh start $PGWAL_RIG >/dev/null 2>&1"
fi

KILLS=${E2E_KILLS:-30}
LOAD_SECONDS=${E2E_LOAD_SECONDS:-30}
if [ "$EOS" = 1 ]; then
	# a transactional start takes longer: fewer rounds, the load throughout
	KILLS=${E2E_KILLS:-16}
	LOAD_SECONDS=${E2E_LOAD_SECONDS:-45}
fi
if [ "$CLUSTER" = 1 ]; then
	KILLS=${E2E_KILLS:-8}
	LOAD_SECONDS=${E2E_LOAD_SECONDS:-30}
fi
db=t5${EOS}_$$
topic="e2e.$$.$(date +%s)"
createdb "$db"
at_exit "dropdb --if-exists -f $db"
export PGDATABASE=$db
pgbench -q -i -s 1 >/dev/null 2>&1
sql -c "CREATE PUBLICATION e2e FOR TABLE pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history"
sql -c "SELECT 1 FROM pg_create_logical_replication_slot('e2e_w2j', 'wal2json')" >/dev/null
"$PGWAL_READ" -S e2e --publication e2e --create-slot -q
at_exit "psql -Xqd $db -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$db'\" >/dev/null 2>&1"

ack="$T/e2e.ack"
fifo="$T/pipe"
mkfifo "$fifo"
# a test that stops half-way leaves no pipeline behind (a pid file goes
# once its side is reaped)
at_exit 'for f in "$T"/*.pid; do [ -s "$f" ] && kill -KILL "$(cat "$f")"; done'
# start_pipeline [pgwal-read options]: the pipeline under test, through a
# named pipe so that each side has a pid of its own: $rpid, $wpid.  Each
# side runs under a subshell of its own that records its exit status in
# $T/SIDE.N.status (N: the start's number, so that a late status cannot
# be taken for the next one's), and takes the "Killed" notice bash prints
# when a child dies of SIGKILL (which this test sends on purpose) out of
# the log.
gen=0
kw_eos=""
[ "$EOS" = 1 ] && kw_eos="--transactional-id e2e-$$-$(date +%s) --position-topic pos.$$"
start_pipeline() {
	gen=$((gen + 1))
	echo "== start $gen" >>"$T/write.err"
	echo "== start $gen" >>"$T/read.err"
	(
		# shellcheck disable=SC2086
		"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "$topic" --ack-file "$ack" --ack-interval 0.2 \
			-X linger.ms=5 --flush-timeout 20 --no-progress -v $kw_eos ${E2E_KW_OPTS:-} <"$fifo" 2>>"$T/write.err" &
		echo $! >"$T/w.$gen.pid"
		st=0
		wait $! || st=$?
		echo $st >"$T/w.$gen.status"
	) 2>/dev/null &
	(
		"$PGWAL_READ" -S e2e --publication e2e --ack-file "$ack" --ack-interval 0.1 -s 1 -v "$@" \
			>"$fifo" 2>>"$T/read.err" &
		echo $! >"$T/r.$gen.pid"
		st=0
		wait $! || st=$?
		echo $st >"$T/r.$gen.status"
	) 2>/dev/null &
	wpid=$(side_pid w)
	rpid=$(side_pid r)
}
side_pid() {	# SIDE: its pid, once its subshell has written it (at most 10 s)
	local n=1000
	while [ ! -s "$T/$1.$gen.pid" ]; do
		[ $n -gt 0 ] || bail "no pid for side $1 after 10 s"
		sleep 0.01; n=$((n - 1))
	done
	cat "$T/$1.$gen.pid"
}
# reap SIDE (r or w): wait at most 30 s for it to end; its exit status in
# $reaped ("hung" when it had to be killed)
reap() {
	local n=300 hung="" f="$T/$1.$gen"
	while [ ! -s "$f.status" ]; do
		if [ $n -eq 0 ] && [ -z "$hung" ]; then
			kill -KILL "$(cat "$f.pid")" 2>/dev/null
			hung=1
			n=50
		fi
		[ $n -gt 0 ] || break
		sleep 0.1; n=$((n - 1))
	done
	reaped=$(cat "$f.status" 2>/dev/null || echo hung)
	[ -z "$hung" ] || reaped=hung
	[ "$reaped" = hung ] || rm -f "$f.pid"
}
flushed() { sql -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'e2e'"; }
lsn_le() { [ "$(sql -c "SELECT '$1'::pg_lsn <= '$2'::pg_lsn")" = t ]; }

floor=$(flushed)		# where the new slot starts: nothing to acknowledge before it
if [ "$CLUSTER" = 1 ]; then
	# the topic exists before the first round (replicated as the cluster's
	# defaults say), so that its leader can be killed whatever the rounds did
	"$PGWAL_BIN/tests/kw_admin" create "$KAFKA_BROKERS" "$topic" 1 ||
		bail "could not create $topic on the cluster"
	# Every broker holds a replica, so a leader killed mid-stream hands the
	# partition over.  A partition left with no replica up is worse than
	# unavailable for exactly once: Kafka's transaction coordinator skips
	# the commit markers of a partition without a leader (as if deleted),
	# and the next abort of the same producer then takes that partition's
	# part of a committed transaction with it.
	replicas=$("$PGWAL_TOP/scripts/kafka-cluster.sh" replicas "$T/kc" "$topic" 0)
	is "$(echo "$replicas" | tr ',' '\n' | grep -c .)" 3 "$topic has a replica on each of the three brokers"
fi
pgbench -n -T "$LOAD_SECONDS" -R 150 -c 2 >"$T/pgbench.out" 2>&1 &
bench=$!
at_exit "kill $bench 2>/dev/null"

fence_round=$((KILLS / 2))	# exactly once: a second writer fences the running one
kr=0; kw=0; kb=0; bad_exit=0; ahead=0; moved=0; broker=0; fenced=0
for i in $(seq 1 "$KILLS"); do
	if [ "$EOS" = 1 ] && [ $((i % 4)) = 0 ]; then
		# a host move: no ack file, no record of what was confirmed
		rm -f "$ack" "$ack.confirmed" "$ack.snapshot"
		moved=$((moved + 1))
		floor=$(flushed)	# acknowledged before the files went
	fi
	start_pipeline
	sleep "0.$((RANDOM % 9 + 2))"
	if [ "$CLUSTER" = 1 ] && { [ "$i" = 3 ] || { [ "${E2E_LEADER_KILLS:-}" = all ] && [ "$i" != "$fence_round" ]; }; }; then
		# the partition's leader dies under the pipeline, and comes back
		n=60
		while leader=$("$PGWAL_TOP/scripts/kafka-cluster.sh" leader "$T/kc" "$topic" 0) &&
			[ -z "$leader" ] && [ $n -gt 0 ]; do
			sleep 0.5; n=$((n - 1))
		done
		[ -n "$leader" ] || bail "no leader for $topic after 30 s"
		"$PGWAL_TOP/scripts/kafka-cluster.sh" kill-node "$T/kc" "$leader"
		echo "# round $i: killed broker $leader, the leader of $topic [0]"
		sleep 3
		"$PGWAL_TOP/scripts/kafka-cluster.sh" start-node "$T/kc" "$leader" >/dev/null 2>&1 ||
			bail "broker $leader did not come back"
		broker=$((broker + 1))
	elif [ "$EOS" = 1 ] && [ "$i" = 3 ]; then
		# the broker dies under the pipeline and comes back
		kill -KILL "$(cat "$PGWAL_RIG/kafka.pid")"
		rm -f "$PGWAL_RIG/kafka.pid"
		sleep 1
		"$PGWAL_TOP/scripts/kafka.sh" start "$PGWAL_RIG" >/dev/null 2>&1 || bail "the broker did not come back"
		broker=$((broker + 1))
		sleep 2
	fi
	if [ "$EOS" = 1 ] && [ "$i" = "$fence_round" ]; then
		# a second writer with the same transactional id fences this one,
		# once it runs (has acknowledged since its start: the one that
		# initialises its transactions last wins)
		touch -d '-1 sec' "$T/round"
		n=300
		while [ ! "$ack" -nt "$T/round" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		[ $n -gt 0 ] || echo "# round $i: no acknowledgement within 30 s before fencing"
		# shellcheck disable=SC2086
		"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "$topic" --no-progress -q $kw_eos </dev/null
		reap w; w=$reaped
		reap r; r=$reaped
		is "$w" 23 "a fenced kafka-write exits 23"
		is "$r" 4 "its pgwal-read sees the broken pipe and exits 4"
		fenced=$((fenced + 1)); kw=$((kw + 1))
		continue
	fi
	case $((RANDOM % 3)) in
	0) kill -KILL $rpid; kr=$((kr + 1))
	   reap r; reap w; w=$reaped
	   # kafka-write sees the end of its input: delivers, acknowledges, exits 0
	   # (or 20 when the kill cut pgwal-read's last line short, saying so)
	   if [ "$w" = 20 ] && sed -n "/^== start $gen\$/,\$p" "$T/write.err" | grep -q 'incomplete last line'; then w=0; fi
	   [ "$w" = 0 ] || { bad_exit=$((bad_exit + 1)); echo "# round $i: kafka-write exited $w after pgwal-read died"; } ;;
	1) kill -KILL $wpid; kw=$((kw + 1))
	   reap w; reap r; r=$reaped
	   # pgwal-read's reader is gone: EPIPE, exit 4
	   [ "$r" = 4 ] || { bad_exit=$((bad_exit + 1)); echo "# round $i: pgwal-read exited $r after kafka-write died"; } ;;
	2) kill -KILL $rpid $wpid; kb=$((kb + 1))
	   reap r; reap w ;;
	esac
	# the slot never moves past what Kafka acknowledged (or pgwal-read recorded)
	a=$(head -n 1 "$ack" 2>/dev/null || echo 0/0)
	c=$(head -n 1 "$ack.confirmed" 2>/dev/null || echo 0/0)
	f=$(flushed)
	if ! lsn_le "$f" "$a" && ! lsn_le "$f" "$c" && ! lsn_le "$f" "$floor"; then
		ahead=$((ahead + 1)); echo "# round $i: slot at $f, acknowledged $a, recorded $c"
	fi
done
kill -0 $bench 2>/dev/null && wait $bench
end=$(sql -c "SELECT pg_current_wal_insert_lsn()")

# drain: to the end position, then both exit 0
start_pipeline -E "$end"
reap r; r=$reaped
reap w; w=$reaped
is "$r" 0 "the final pgwal-read stops at --endpos with 0"
is "$w" 0 "the final kafka-write delivers everything and exits 0"
is "$bad_exit" 0 "each survivor exited as specified ($kr pgwal-read kills, $kw kafka-write kills, $kb both)"
is "$ahead" 0 "the slot was never confirmed past the acknowledgement"
is "$((kr + kw + kb))" "$KILLS" "$KILLS kills"
[ "$EOS" = 1 ] && is "$(grep -c 'fenced: another kafka-write' "$T/write.err")" 1 "the fenced writer said so, once"

"$PGWAL_PGCLIENT/pg_recvlogical" -d "$db" -S e2e_w2j --start -E "$end" --no-loop -f "$T/w2j.ndjson" \
	-o format-version=2 -o include-lsn=1 -o include-transaction=false \
	-o add-tables='public.pgbench_accounts,public.pgbench_branches,public.pgbench_tellers,public.pgbench_history'
# Read what is committed; if changes are missing, read again for up to a
# minute: a transaction left open by a killed writer holds the read_committed
# view back until it is aborted, which is a delay, not a loss.  The delay
# is reported with the figures.
late=0
while :; do
	timeout 120 kcat -b "$KAFKA_BROKERS" -C -t "$topic" -e -q -X isolation.level=read_committed \
		-f '%s\n' >"$T/kafka.ndjson"
	python3 "$PGWAL_TOP/tests/lib/e2e_compare.py" "$T/w2j.ndjson" "$T/kafka.ndjson" >"$T/figures"
	. "$T/figures"
	[ "$lost" = 0 ] || [ "$late" -ge 60 ] || [ "$EOS" != 1 ] && break
	echo "# $lost changes not visible to read_committed yet; reading again in 10 s"
	sleep 10
	late=$((late + 10))
done
[ "$late" = 0 ] || echo "# every change visible only after $late s more"
if [ "$lost" != 0 ] && [ "$EOS" = 1 ]; then
	# were the missing changes produced at all?  In the topic but not
	# committed: an aborted or still open Kafka transaction; absent: never
	# produced (dropped as already in Kafka, or never read).  On stderr,
	# which prove shows without -v.
	exec 3>&1 1>&2
	timeout 120 kcat -b "$KAFKA_BROKERS" -C -t "$topic" -e -q -X isolation.level=read_uncommitted \
		-f '%s\n' >"$T/kafka-uncommitted.ndjson"
	python3 "$PGWAL_TOP/tests/lib/e2e_compare.py" "$T/w2j.ndjson" "$T/kafka-uncommitted.ndjson" 2>/dev/null |
		sed -n 's/^lost=/# lost also to read_uncommitted: /p'
	grep -iE '^== start|warn|error|abort|fenced|retry|position|exactly once' "$T/write.err" |
		tail -n 60 | sed 's/^/# kafka-write: /'
	grep -iE '^== start|warn|error|START_REPLICATION|confirmed' "$T/read.err" | tail -n 40 |
		sed 's/^/# pgwal-read: /'
	exec 1>&3 3>&-
fi
echo "# figures: mode=$([ "$EOS" = 1 ] && echo exactly-once || echo at-least-once) kills=$KILLS (read $kr, write $kw, both $kb; host moves $moved, broker kills $broker, fenced $fenced) changes=$expected delivered=$delivered lost=$lost extra=$extra duplicates=$duplicates"
ok "$([ "$expected" -gt 1000 ] && echo 0 || echo 1)" "the load made changes ($expected)"
is "$lost" 0 "lost = 0: every change wal2json decoded is in Kafka"
is "$extra" 0 "nothing in Kafka that wal2json did not decode"
ok "$([ "$delivered" -ge "$expected" ] && echo 0 || echo 1)" "delivered ($delivered) >= changes ($expected); duplicates: $duplicates"
[ "$EOS" = 1 ] && is "$duplicates" 0 "exactly once: no change twice in Kafka"
if [ "$CLUSTER" = 1 ]; then
	# a topic on one broker of the three: exactly once says what it risks there
	"$PGWAL_BIN/tests/kw_admin" create "$KAFKA_BROKERS" "single.$$" 1 replication.factor=1 ||
		bail "could not create single.$$"
	st=0
	printf '%s\n' '{"op":"insert","lsn":"0/10","xid":1,"commit_lsn":"0/20","seq":1,"schema":"public","table":"t","key":{"id":1},"before":null,"after":{"id":1}}' |
		"$KAFKA_WRITE" -b "$KAFKA_BROKERS" -t "single.$$" --no-progress \
			--transactional-id "single-$$" --position-topic "pos.$$" 2>"$T/single.err" || st=$?
	is "$st" 0 "kafka-write produces to a topic with one replica"
	like "$(cat "$T/single.err")" "topic \"single\.$$\" \[0\] has one replica on a cluster of 3 brokers" \
		"and warns that a commit while its broker is down can lose messages there"
	unlike "$(grep 'has one replica' "$T/write.err")" . "no such warning for the run's replicated topics"
fi
done_testing
