/*
 * writer.c
 *	kafka-write's main loop.
 *
 *	One thread: lines are read with a bounded wait so that delivery reports
 *	(served by rd_kafka_poll in this thread) and acknowledgement writes go
 *	on while the input is idle.  Every input line gets a sequence number;
 *	the acknowledgement tracker (ack.c) turns delivery reports into the
 *	end_lsn that may be written to the ack file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ack.h"
#include "ckpt.h"
#include "exitcodes.h"
#include "input.h"
#include "jsonscan.h"
#include "log.h"
#include "lsn.h"
#include "producer.h"
#include "sig.h"
#include "strbuf.h"
#include "writer.h"
#include "xalloc.h"

#define DEAD_LETTER_INPUT_MAX 4096 /* bytes of an oversized line kept in a dead letter */
#define IDLE_WAIT_MS          100
#define TICK_LINES            32 /* lines between two rounds of periodic work */

typedef struct state
{
	const kw_opts *o;
	kw_producer prod;
	kw_ack ack;
	kw_input in;
	kw_json_index idx; /* the current line's top-level members */

	strbuf topic; /* a topic name from the template */
	strbuf key;
	strbuf why;
	strbuf tmp;

	uint64_t last_commit_lsn; /* end_lsn of the last commit line read */

	/* ack file */
	ckpt ck;              /* content to write (slot/system kept from the file) */
	uint64_t ack_floor;   /* LSN found in the file at start */
	uint64_t ack_written; /* last LSN written */
	double ack_last;      /* time of the last write */

	int dead_fd;
	bool dead_dirty; /* written since the last fsync */

	/* counters */
	uint64_t lines;
	uint64_t bad;
	uint64_t control_skipped;

	/* progress */
	bool progress;
	bool progress_tty;
	double progress_last;
	double progress_interval;
	uint64_t progress_delivered;

	/* why the loop stopped */
	bool stop;
	int exit_code; /* first failure's status, EXIT_OK if none */
	bool interrupted;
	bool flush_cut; /* a second signal ended the flush */
} state;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*
 * Record a failure's exit status.  The first failure wins, except that a
 * fatal producer error outranks undelivered messages, which outrank the
 * rest: those are what a script most needs to know.
 */
static int
exit_rank(int code)
{
	return code == EXIT_KAFKA_FATAL ? 3 : code == EXIT_DELIVERY ? 2 : code == EXIT_OK ? 0 : 1;
}

static void
set_exit(state *st, int code)
{
	if (exit_rank(code) > exit_rank(st->exit_code))
		st->exit_code = code;
}

/* "FILE: line N, byte M" or "line N, byte M" into sb. */
static void
where(state *st, strbuf *sb, size_t byte)
{
	if (st->in.name)
		strbuf_printf(sb, "%s: ", st->in.name);
	strbuf_printf(sb, "line %" PRIu64 ", byte %zu", st->in.lineno, byte);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0)
	{
		ssize_t w = write(fd, p, n);

		if (w < 0)
		{
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t) w;
	}
	return 0;
}

/*
 * A bad line: stop (default), or log it, keep it in the dead-letter file
 * and register it as complete so that acknowledgements can pass it.
 * byte is 1-based.  Returns 0 to go on, -1 to stop.
 */
static int
bad_line(state *st, const char *line, size_t len, size_t byte, const char *reason, bool truncated)
{
	strbuf msg = STRBUF_INIT;

	st->bad++;
	where(st, &msg, byte);
	strbuf_printf(&msg, ": %s", reason);
	if (!st->o->skip_bad && !st->o->dead_letter)
	{
		log_error("%s", msg.data);
		strbuf_free(&msg);
		set_exit(st, EXIT_BAD_INPUT);
		st->stop = true;
		return -1;
	}
	log_warn("%s (skipped)", msg.data);
	strbuf_free(&msg);
	if (st->o->dead_letter)
	{
		strbuf dl = STRBUF_INIT;
		bool first = true;

		strbuf_putc(&dl, '{');
		json_key(&dl, &first, "line");
		strbuf_u64(&dl, st->in.lineno);
		json_key(&dl, &first, "byte");
		strbuf_u64(&dl, byte);
		json_key(&dl, &first, "error");
		json_string(&dl, reason, strlen(reason));
		json_key(&dl, &first, "input");
		json_string(&dl, line,
					truncated && len > DEAD_LETTER_INPUT_MAX ? DEAD_LETTER_INPUT_MAX : len);
		if (truncated)
		{
			json_key(&dl, &first, "input_truncated");
			strbuf_puts(&dl, "true");
		}
		if (st->in.name)
		{
			json_key(&dl, &first, "file");
			json_string(&dl, st->in.name, strlen(st->in.name));
		}
		strbuf_puts(&dl, "}\n");
		if (write_all(st->dead_fd, dl.data, dl.len) != 0)
		{
			log_error("could not write dead-letter file \"%s\": %m", st->o->dead_letter);
			strbuf_free(&dl);
			set_exit(st, EXIT_OUTPUT);
			st->stop = true;
			return -1;
		}
		st->dead_dirty = true;
		strbuf_free(&dl);
	}
	kw_ack_add(&st->ack, 0, false, 0);
	return 0;
}

/* Compare the validated string literal v with the plain text s. */
static bool
str_is(kw_span v, const char *s)
{
	size_t n = strlen(s);

	return v.n == n + 2 && v.p[0] == '"' && memcmp(v.p + 1, s, n) == 0;
}

/*
 * A top-level member of the current line: from the index the validator
 * filled, or by walking the line when the index cannot tell.
 */
static bool
member(const state *st, const char *line, size_t len, const char *name, size_t namelen,
	   kw_span *out)
{
	int r = kw_json_index_find(&st->idx, name, namelen, out);

	return r < 0 ? kw_json_member(line, len, name, namelen, out) : r == 1;
}

/* The key of a line per --key-* options.  *has_key false: no key. */
static int
make_key(state *st, const char *line, size_t len, bool *has_key, const char **kp, size_t *kn)
{
	const kw_opts *o = st->o;
	kw_span v;
	bool found = false;

	*has_key = false;
	switch (o->key_mode)
	{
		case KW_KEY_NONE:
			return 0;
		case KW_KEY_DEFAULT:
			found = member(st, line, len, "key", 3, &v);
			break;
		case KW_KEY_FIELD:
			if (o->key_path[0] == '/')
				found = kw_json_pointer(line, len, o->key_path, strlen(o->key_path), &v);
			else
				found = kw_json_member(line, len, o->key_path, strlen(o->key_path), &v);
			break;
		case KW_KEY_TEMPLATE:
			strbuf_reset(&st->key);
			if (kw_tmpl_expand(o->key_tmpl, line, len, 0, &st->key, &st->why) != 0)
				return -1;
			*has_key = true;
			*kp = st->key.data;
			*kn = st->key.len;
			return 0;
	}
	if (found && kw_json_kind(v) != 'z')
	{
		*has_key = true;
		*kp = v.p;
		*kn = v.n;
	}
	return 0;
}

/* Headers per -H; NULL when there are none.  Caller destroys. */
static int
make_headers(state *st, const char *line, size_t len, rd_kafka_headers_t **out)
{
	rd_kafka_headers_t *h;

	*out = NULL;
	if (st->o->nheaders == 0)
		return 0;
	h = rd_kafka_headers_new(st->o->nheaders);
	for (size_t i = 0; i < st->o->nheaders; i++)
	{
		strbuf_reset(&st->tmp);
		if (kw_tmpl_expand(st->o->headers[i].value, line, len, 0, &st->tmp, &st->why) != 0)
		{
			rd_kafka_headers_destroy(h);
			return -1;
		}
		rd_kafka_header_add(h, st->o->headers[i].name, -1, st->tmp.data, (ssize_t) st->tmp.len);
	}
	*out = h;
	return 0;
}

/*
 * Process one line.  Returns 0 to go on, -1 to stop reading.
 */
static int
handle_line(state *st, const char *line, size_t len)
{
	const kw_opts *o = st->o;
	kw_json_error jerr;
	kw_span op, v;
	bool is_object, is_commit = false, is_control = false, is_delete = false;
	bool is_ackpoint = false; /* a commit line, or a message line with end_lsn */
	uint64_t end_lsn = 0;
	const char *tname;
	rd_kafka_topic_t *rkt;
	rd_kafka_headers_t *hdrs = NULL;
	bool has_key;
	const char *kp = NULL;
	size_t kn = 0;
	unsigned nmsgs;
	uint64_t seq;
	rd_kafka_resp_err_t err;
	size_t first = 0;

	st->lines++;
	if (kw_json_validate_index(line, len, &jerr, &st->idx) != 0)
		return bad_line(st, line, len, jerr.offset + 1, jerr.reason, false);
	while (first < len && (line[first] == ' ' || line[first] == '\t' || line[first] == '\r'))
		first++;
	is_object = first < len && line[first] == '{';

	/* pgwal-read's control lines */
	if (is_object && member(st, line, len, "op", 2, &op))
	{
		if (str_is(op, "commit"))
			is_commit = is_control = is_ackpoint = true;
		else if (str_is(op, "message"))
			/* pgwal-read's non-transactional messages are positions too */
			is_ackpoint = member(st, line, len, "end_lsn", 7, &v);
		else if (str_is(op, "begin"))
			is_control = true;
		else if (str_is(op, "delete"))
			is_delete = true;
	}
	if (is_ackpoint)
	{
		const char *what = is_commit ? "commit line without a valid \"end_lsn\""
									 : "message line without a valid \"end_lsn\"";
		char buf[LSN_BUFLEN + 2];
		char a[LSN_BUFLEN], b[LSN_BUFLEN];

		if (!member(st, line, len, "end_lsn", 7, &v) || kw_json_kind(v) != 's' ||
			v.n - 2 >= sizeof(buf))
			return bad_line(st, line, len, 1, what, false);
		memcpy(buf, v.p + 1, v.n - 2);
		buf[v.n - 2] = '\0';
		if (lsn_parse(buf, &end_lsn) != 0)
			return bad_line(st, line, len, (size_t) (v.p - line) + 1, what, false);
		if (end_lsn < st->last_commit_lsn)
		{
			strbuf_reset(&st->why);
			strbuf_printf(&st->why, "end_lsn %s is lower than the previous commit's %s",
						  lsn_format(end_lsn, a), lsn_format(st->last_commit_lsn, b));
			return bad_line(st, line, len, (size_t) (v.p - line) + 1, st->why.data, false);
		}
	}
	if (is_control && o->tx_topic == NULL)
	{
		kw_ack_add(&st->ack, 0, is_commit, end_lsn);
		if (is_commit)
			st->last_commit_lsn = end_lsn;
		st->control_skipped++;
		return 0;
	}

	/* topic */
	if (is_control)
		tname = o->tx_topic;
	else if (o->topic)
		tname = o->topic;
	else
	{
		const char *why;

		strbuf_reset(&st->topic);
		if (kw_tmpl_expand(o->topic_tmpl, line, len, KW_TMPL_TOPIC, &st->topic, &st->why) != 0)
			return bad_line(st, line, len, 1, st->why.data, false);
		if ((why = kw_topic_check(st->topic.data, st->topic.len)) != NULL)
		{
			strbuf_reset(&st->why);
			strbuf_printf(&st->why, "%s (from the topic template)", why);
			return bad_line(st, line, len, 1, st->why.data, false);
		}
		tname = st->topic.data;
	}

	if (make_key(st, line, len, &has_key, &kp, &kn) != 0)
		return bad_line(st, line, len, 1, st->why.data, false);
	if (make_headers(st, line, len, &hdrs) != 0)
		return bad_line(st, line, len, 1, st->why.data, false);

	rkt = kw_producer_topic(&st->prod, tname);
	if (rkt == NULL)
	{
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		set_exit(st, EXIT_ERROR);
		st->stop = true;
		return -1;
	}

	/*
	 * Produce first, register after: the sequence number is known in
	 * advance, and no delivery report is served between a successful
	 * produce and the registration (only kw_producer_send polls, and only
	 * before its message is queued).
	 */
	nmsgs = (o->tombstones && is_delete && has_key) ? 2 : 1;
	seq = st->ack.next;
	err = kw_producer_send(&st->prod, rkt, o->partition, line, len, has_key ? kp : NULL,
						   has_key ? kn : 0, hdrs, seq);
	if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
	{
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		return bad_line(st, line, len, 1, "message too large for Kafka (message.max.bytes)", false);
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && sig_stop)
		{
			/* interrupted while waiting for room: the line was not produced */
			strbuf_reset(&st->why);
			where(st, &st->why, 1);
			log_error("%s: not produced: interrupted while waiting for room in the producer queue",
					  st->why.data);
			seq = kw_ack_add(&st->ack, 1, is_ackpoint, end_lsn);
			kw_ack_abandon(&st->ack, seq, 1);
			set_exit(st, EXIT_DELIVERY);
			st->stop = true;
			return -1;
		}
		strbuf_reset(&st->why);
		where(st, &st->why, 1);
		log_error("%s: could not produce to topic \"%s\": %s", st->why.data, tname,
				  rd_kafka_err2str(err));
		seq = kw_ack_add(&st->ack, 1, is_ackpoint, end_lsn);
		kw_ack_abandon(&st->ack, seq, 1);
		set_exit(st, err == RD_KAFKA_RESP_ERR__FATAL ? EXIT_KAFKA_FATAL : EXIT_DELIVERY);
		st->stop = true;
		return -1;
	}
	kw_ack_add(&st->ack, nmsgs, is_ackpoint, end_lsn);
	if (is_ackpoint)
		st->last_commit_lsn = end_lsn;
	if (nmsgs == 2)
	{
		/* the tombstone: same topic, key, partition and headers, no value */
		err = kw_producer_send(&st->prod, rkt, o->partition, NULL, 0, kp, kn, hdrs, seq);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			log_error("could not produce a tombstone to topic \"%s\": %s", tname,
					  rd_kafka_err2str(err));
			kw_ack_abandon(&st->ack, seq, 1);
			set_exit(st, err == RD_KAFKA_RESP_ERR__FATAL ? EXIT_KAFKA_FATAL : EXIT_DELIVERY);
			st->stop = true;
		}
	}
	if (hdrs)
		rd_kafka_headers_destroy(hdrs);
	return st->stop ? -1 : 0;
}

/*
 * Write the ack file when the acknowledgeable LSN moved past what the file
 * holds, at most every --ack-interval unless force.  The dead-letter file
 * is synced first: a line is only acknowledged past once it is kept.
 */
static void
ack_tick(state *st, bool force)
{
	uint64_t lsn = st->ack.acked_lsn;
	double t;

	if (st->o->ack_file == NULL || lsn <= st->ack_floor || lsn == st->ack_written)
		return;
	t = now();
	if (!force && t - st->ack_last < st->o->ack_interval)
		return;
	if (st->dead_dirty)
	{
		if (fsync(st->dead_fd) != 0)
		{
			log_error("could not fsync dead-letter file \"%s\": %m", st->o->dead_letter);
			set_exit(st, EXIT_OUTPUT);
			st->stop = true;
			return;
		}
		st->dead_dirty = false;
	}
	st->ck.lsn = lsn;
	if (ckpt_write(st->o->ack_file, &st->ck) != 0)
	{
		set_exit(st, EXIT_CHECKPOINT);
		st->stop = true;
		st->ack_written = lsn; /* do not retry in a loop */
		return;
	}
	{
		char b[LSN_BUFLEN];

		log_debug("acknowledged %s", lsn_format(lsn, b));
	}
	st->ack_written = lsn;
	st->ack_last = t;
}

static void
progress_tick(state *st, bool final)
{
	double t;
	char b[LSN_BUFLEN];
	double rate;

	if (!st->progress)
		return;
	t = now();
	if (!final && t - st->progress_last < st->progress_interval)
		return;
	rate = t > st->progress_last
			   ? (double) (st->ack.delivered - st->progress_delivered) / (t - st->progress_last)
			   : 0;
	fprintf(stderr,
			"%s%s: %" PRIu64 " read, %" PRIu64 " delivered, %" PRIu64
			" in flight, %.0f msg/s, acked %s%s",
			st->progress_tty ? "\r\033[K" : "", log_progname, st->lines, st->ack.delivered,
			st->ack.in_flight, rate, st->ack.acked_lsn ? lsn_format(st->ack.acked_lsn, b) : "-",
			st->progress_tty && !final ? "" : "\n");
	st->progress_last = t;
	st->progress_delivered = st->ack.delivered;
}

/* Periodic work: delivery reports, acknowledgements, progress, failures. */
static void
tick(state *st)
{
	rd_kafka_poll(st->prod.rk, 0);
	if (st->prod.fatal)
	{
		set_exit(st, EXIT_KAFKA_FATAL);
		st->stop = true;
	}
	if (st->ack.failed > 0)
	{
		set_exit(st, EXIT_DELIVERY);
		st->stop = true;
	}
	ack_tick(st, false);
	progress_tick(st, false);
}

/* Read and process one input (a file or stdin) until its end or a stop. */
static void
run_input(state *st, const char *path)
{
	unsigned since_tick = 0;
	uint64_t reads_at_tick = 0;

	if (kw_input_open(&st->in, path, st->o->max_line) != 0)
	{
		set_exit(st, EXIT_ERROR);
		st->stop = true;
		return;
	}
	while (!st->stop)
	{
		const char *line;
		size_t len;
		int r;

		if (sig_stop)
		{
			st->interrupted = true;
			break;
		}
		r = kw_input_next(&st->in, &line, &len, IDLE_WAIT_MS);
		if (r == KW_IN_LINE)
			handle_line(st, line, len);
		else if (r == KW_IN_TOOLONG)
		{
			char reason[128];

			st->lines++;
			snprintf(reason, sizeof(reason), "line longer than %zu bytes (--max-line)",
					 st->o->max_line);
			bad_line(st, line, len, st->o->max_line + 1, reason, true);
		}
		else if (r == KW_IN_EOF)
			break;
		else if (r == KW_IN_ERROR)
		{
			set_exit(st, EXIT_ERROR);
			st->stop = true;
			break;
		}
		/*
		 * Serve delivery reports, write acknowledgements and progress
		 * every few lines, and whenever the input idled or needed a new
		 * read (so that a slow stream's acknowledgements do not wait for
		 * more lines); a full queue is served in kw_producer_send.  A
		 * poll per line would cost a lock and a clock read each.
		 */
		if (r == KW_IN_AGAIN || ++since_tick >= TICK_LINES || st->in.reads != reads_at_tick)
		{
			since_tick = 0;
			reads_at_tick = st->in.reads;
			tick(st);
		}
	}
	/* many short inputs must not go without delivery reports and acknowledgements */
	if (!st->stop)
		tick(st);
	kw_input_close(&st->in);
}

/*
 * Flush what is in flight (bounded by --flush-timeout), purge the rest,
 * and collect every delivery report.
 */
static void
finish(state *st)
{
	double deadline = now() + st->o->flush_timeout;
	rd_kafka_t *rk = st->prod.rk;

	while (st->ack.in_flight > 0 && now() < deadline)
	{
		rd_kafka_flush(rk, 100);
		ack_tick(st, false);
		progress_tick(st, false);
		if (st->prod.fatal)
			break;
		if (sig_stop)
		{
			log_warn("signal received while flushing: not waiting for deliveries");
			st->flush_cut = true;
			break;
		}
	}
	if (st->ack.in_flight > 0)
	{
		uint64_t left = st->ack.in_flight;

		if (!st->prod.fatal && !st->flush_cut)
			log_error("flush timed out after %gs with %" PRIu64 " message%s in flight",
					  st->o->flush_timeout, left, left == 1 ? "" : "s");
		rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		/* purged messages get their (failed) delivery reports here */
		for (int i = 0; i < 50 && st->ack.in_flight > 0; i++)
			rd_kafka_flush(rk, 100);
	}
	rd_kafka_poll(rk, 0);
	if (st->prod.fatal)
		set_exit(st, EXIT_KAFKA_FATAL);
	if (st->ack.failed > 0 || st->ack.in_flight > 0)
		set_exit(st, EXIT_DELIVERY);
	ack_tick(st, true);
}

/* Report the outcome on stderr. */
static void
summary(state *st)
{
	char b[LSN_BUFLEN];
	uint64_t undelivered = st->ack.failed + st->ack.in_flight;
	const char *acked = st->ack_written ? lsn_format(st->ack_written, b) : "nothing new";

	progress_tick(st, true);
	if (st->prod.fatal)
		log_error("fatal producer error: %s: %s", rd_kafka_err2name(st->prod.fatal_err),
				  st->prod.fatal_msg);
	if (undelivered > 0)
	{
		const char *why = st->prod.fail_msg;

		if (st->prod.fail_err == RD_KAFKA_RESP_ERR_NO_ERROR)
			why = "not sent";
		else if (st->prod.fail_err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
				 st->prod.fail_err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
			why = st->flush_cut ? "flush cut short by a signal"
								: "not delivered within --flush-timeout";
		log_error("%" PRIu64 " message%s not delivered: %s", undelivered,
				  undelivered == 1 ? "" : "s", why);
	}
	if (st->interrupted)
		log_info("stopped by a signal");
	if (st->o->ack_file && (undelivered > 0 || st->exit_code != EXIT_OK))
		log_error("acknowledged up to %s in \"%s\"", acked, st->o->ack_file);
	log_info("%" PRIu64 " lines read, %" PRIu64 " messages delivered, %" PRIu64 " not delivered, "
			 "%" PRIu64 " bad lines, %" PRIu64 " control lines not produced, acknowledged %s",
			 st->lines, st->ack.delivered, undelivered, st->bad, st->control_skipped, acked);
	if (st->bad > 0 && st->exit_code == EXIT_OK)
		log_warn("%" PRIu64 " bad line%s skipped%s", st->bad, st->bad == 1 ? "" : "s",
				 st->o->dead_letter ? " (kept in the dead-letter file)" : "");
}

static int
open_ack_file(state *st)
{
	int r;
	char b[LSN_BUFLEN];

	r = ckpt_read(st->o->ack_file, &st->ck);
	if (r < 0)
		return -1;
	if (r == 0)
	{
		st->ack_floor = st->ck.lsn;
		log_info("ack file \"%s\" holds %s", st->o->ack_file, lsn_format(st->ck.lsn, b));
	}
	/* found at start, not at the first acknowledgement (or never, with no commit lines) */
	return ckpt_check_writable(st->o->ack_file);
}

int
kw_run(const kw_opts *o, rd_kafka_conf_t *conf)
{
	state st;
	char errstr[512];

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.dead_fd = -1;
	st.exit_code = EXIT_OK;
	kw_ack_init(&st.ack);

	if (o->ack_file && open_ack_file(&st) != 0)
	{
		rd_kafka_conf_destroy(conf);
		kw_ack_free(&st.ack);
		return EXIT_CHECKPOINT;
	}
	if (o->dead_letter)
	{
		st.dead_fd = open(o->dead_letter, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (st.dead_fd < 0)
		{
			log_error("could not open dead-letter file \"%s\": %m", o->dead_letter);
			rd_kafka_conf_destroy(conf);
			kw_ack_free(&st.ack);
			return EXIT_OUTPUT;
		}
	}
	if (kw_producer_new(&st.prod, conf, &st.ack, errstr, sizeof(errstr)) != 0)
	{
		/* conf was destroyed by kw_producer_new */
		log_error("could not create the Kafka producer: %s", errstr);
		if (st.dead_fd >= 0)
			close(st.dead_fd);
		kw_ack_free(&st.ack);
		return EXIT_ERROR;
	}
	conf = NULL;

	st.progress_tty = isatty(STDERR_FILENO);
	st.progress = o->progress > 0 || (o->progress < 0 && st.progress_tty && log_verbosity >= 0);
	st.progress_interval = st.progress_tty ? 1.0 : 10.0;
	st.progress_last = st.ack_last = now();
	st.ack_last -= o->ack_interval; /* the first acknowledgement goes out at once */

	if (o->files == NULL || o->files[0] == NULL)
		run_input(&st, NULL);
	else
		for (char **f = o->files; *f && !st.stop && !st.interrupted; f++)
			run_input(&st, *f);
	if (sig_stop)
		st.interrupted = true;
	sig_stop = 0; /* a signal from now on cuts the flush short */

	finish(&st);
	summary(&st);

	kw_producer_destroy(&st.prod);
	if (st.dead_fd >= 0 && close(st.dead_fd) != 0)
	{
		log_error("could not close dead-letter file \"%s\": %m", o->dead_letter);
		set_exit(&st, EXIT_OUTPUT);
	}
	strbuf_free(&st.topic);
	strbuf_free(&st.key);
	strbuf_free(&st.why);
	strbuf_free(&st.tmp);
	kw_ack_free(&st.ack);
	return st.exit_code;
}
