# tests/lib/kw_mock.sh: librdkafka's mock cluster in its own process (the
# kw_mock helper), driven through a FIFO, for kafka-write's fault tests.
# Sourced after setup.sh.
#
#   start_mock [N]   N brokers (default 1); $MB their bootstrap servers,
#                    fd 7 the command channel
#   mock CMD...      send a command (see tests/helpers/kw_mock.c) and wait
#                    for its "ready"
#   stop_mock        end it
MOCK="$PGWAL_BIN/tests/kw_mock"
mockpid=
at_exit 'exec 7>&-; kill ${mockpid:-} 2>/dev/null'
start_mock() {
	rm -f "$T/mock.ctl" "$T/mock.out"
	mkfifo "$T/mock.ctl"
	timeout 300 "$MOCK" "${1:-1}" <"$T/mock.ctl" >"$T/mock.out" 2>"$T/mock.err" &
	mockpid=$!
	exec 7>"$T/mock.ctl"
	for _ in $(seq 1 100); do [ -s "$T/mock.out" ] && break; sleep 0.05; done
	MB=$(head -n 1 "$T/mock.out")
}
stop_mock() {
	exec 7>&-
	wait "$mockpid" 2>/dev/null || true
	mockpid=
}
mock() {
	local n
	n=$(grep -c ready "$T/mock.out")
	echo "$*" >&7
	for _ in $(seq 1 100); do [ "$(grep -c ready "$T/mock.out")" -gt "$n" ] && return; sleep 0.05; done
}
