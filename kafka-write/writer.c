/*
 * writer.c
 *	kafka-write's main loop.
 *
 *	One thread: lines are read with a bounded wait so that delivery reports
 *	(served by rd_kafka_poll in this thread) and acknowledgement writes go
 *	on while the input is idle.  Every input line gets a sequence number;
 *	the acknowledgement tracker (ack.c) turns delivery reports into the
 *	end_lsn that may be written to the ack file.
 *
 *	Longer than the other files (about 1,650 lines): routing, producing,
 *	bad-line handling (skip, dead letter), the too-large checks and the ack
 *	file share one state struct; line classification (line.c), exactly
 *	once (txn.c) and the watermark (ack.c) already live apart.
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
#include "clock.h"
#include "exitcodes.h"
#include "input.h"
#include "jsonscan.h"
#include "line.h"
#include "log.h"
#include "lsn.h"
#include "producer.h"
#include "sig.h"
#include "strbuf.h"
#include "txn.h"
#include "writer.h"
#include "xalloc.h"

#define DEAD_LETTER_INPUT_MAX 4096 /* bytes of an oversized line kept in a dead letter */
#define IDLE_WAIT_MS          100
#define BURST_GATHER_MS       2  /* see run_input */
#define TICK_LINES            32 /* lines between two rounds of periodic work */

typedef struct state
{
	const kw_opts *o;
	kw_producer prod;
	kw_ack ack;
	kw_input in;
	json_index idx; /* the current line's top-level members */

	strbuf topic;        /* a truncate line's topic names, NUL-separated */
	kw_memo *topic_memo; /* the topic template's recent expansions, and their handles */
	strbuf oldkey;       /* --tombstones: the old key of a key-changing update */
	strbuf synth;        /* a truncate line with one of its tables as schema and table */
	strbuf key;
	strbuf why;
	strbuf tmp;

	uint64_t last_commit_lsn; /* end_lsn of the last commit line read */

	/* exactly once: the Kafka transactions and the position (txn.h) */
	bool eos;
	kw_txn txn;

	/* ack file */
	ckpt ck;              /* content to write (slot/system kept from the file) */
	uint64_t ack_floor;   /* LSN found in the file at start */
	uint64_t ack_written; /* last LSN written successfully */
	bool ack_broken;      /* a write failed: do not retry in a loop */
	double ack_last;      /* time of the last write */

	int dead_fd;
	bool dead_dirty; /* written since the last fsync */

	/*
	 * A line skipped with --skip-bad and kept nowhere: acknowledgements
	 * never pass it, so they stop at the last commit read before it.
	 */
	bool hold;
	uint64_t hold_lsn;    /* end_lsn of the last commit line read before it */
	uint64_t hold_line;   /* its sequence number, for the summary */
	int hold_code;        /* the exit status it gets with --ack-file */
	const char *hold_why; /* what became of the line (static) */

	/*
	 * Kafka refused messages as too large (delivery reports): the broker
	 * refuses a whole batch, so the largest is named, the others counted.
	 */
	bool too_large;
	bool too_large_told;
	uint64_t too_large_n;
	size_t too_large_size;
	strbuf too_large_msg;

	/* a burst: the lines produced since the last wait for delivery (end_burst) */
	unsigned burst_lines;
	size_t burst_bytes;
	unsigned burst_max_lines;  /* batch.num.messages */
	size_t burst_max_bytes;    /* half of batch.size: room for the records' framing */
	size_t burst_queue_bytes;  /* half of queue.buffering.max.kbytes: never a full queue */
	double burst_gather_until; /* clock_mono_s(): wait for more input until then */

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
	int flush_signals; /* sig_count when the flush began: one more cuts it short */
	bool flush_cut;    /* a signal during the flush ended it */
} state;

/*
 * Record a failure's exit status.  The first failure wins, except that a
 * fatal producer error outranks a message too large for Kafka, which
 * outranks undelivered messages (it is why they were not delivered), which
 * outrank the rest: those are what a script most needs to know.
 */
static int
exit_rank(int code)
{
	if (code == EXIT_FENCED || code == EXIT_TXN_REFUSED)
		return 4;
	return code == EXIT_KAFKA_FATAL ? 4
		   : code == EXIT_TOO_LARGE ? 3
		   : code == EXIT_DELIVERY  ? 2
		   : code == EXIT_OK        ? 0
									: 1;
}

static void
set_exit(state *st, int code)
{
	if (exit_rank(code) > exit_rank(st->exit_code))
		st->exit_code = code;
}

/*
 * The exit status of a fatal producer error, which produce calls report
 * before the error callback is served.
 */
static int
fatal_status(state *st)
{
	rd_kafka_resp_err_t err =
		st->prod.fatal ? st->prod.fatal_err : rd_kafka_fatal_error(st->prod.rk, NULL, 0);

	return kw_txn_fatal_status(err);
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
 * Append a dead letter for line (the first DEAD_LETTER_INPUT_MAX bytes
 * when truncated) to the dead-letter file.  lineno 0: not known (a
 * delivery report).  Returns 0, or -1 after logging.
 */
static int
dead_letter(state *st, uint64_t lineno, const char *line, size_t len, size_t byte,
			const char *reason, bool truncated)
{
	strbuf dl = STRBUF_INIT;
	bool first = true;

	{
		strbuf_putc(&dl, '{');
		json_key(&dl, &first, "line");
		strbuf_u64(&dl, lineno);
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
		if (st->in.name && lineno > 0)
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
	return 0;
}

/*
 * The current line goes nowhere (--skip-bad without --dead-letter): from
 * now on acknowledgements stop at the last commit line read before it,
 * which is all that is known to be complete without it.
 */
static void
hold_ack(state *st, int code, const char *why)
{
	if (st->hold)
		return;
	st->hold = true;
	st->hold_why = why;
	st->hold_lsn = st->last_commit_lsn;
	st->hold_line = st->ack.next;
	st->hold_code = code;
}

/*
 * The LSN that may be written to the ack file now: delivered, not past a
 * held line, and, exactly once, in committed Kafka transactions.
 */
static uint64_t
ack_target(const state *st)
{
	uint64_t lsn = st->ack.acked_lsn;

	if (st->hold && lsn > st->hold_lsn)
		lsn = st->hold_lsn;
	if (st->eos && lsn > st->txn.committed_end_lsn)
		lsn = st->txn.committed_end_lsn;
	return lsn;
}

/*
 * A line that cannot be produced: stop with status code (default), or
 * log it and go on: kept in the dead-letter file (then registered as
 * complete, acknowledgements pass it), or, with --skip-bad alone, dropped
 * with the acknowledgement held before it (hold_ack).  byte is 1-based.
 * Returns 0 to go on, -1 to stop.
 */
static int
skip_line(state *st, const char *line, size_t len, size_t byte, const char *reason, bool truncated,
		  int code)
{
	strbuf msg = STRBUF_INIT;

	st->bad++;
	where(st, &msg, byte);
	strbuf_printf(&msg, ": %s", reason);
	if (!st->o->skip_bad && !st->o->dead_letter)
	{
		log_error("%s", msg.data);
		strbuf_free(&msg);
		set_exit(st, code);
		st->stop = true;
		return -1;
	}
	log_warn("%s (skipped)", msg.data);
	strbuf_free(&msg);
	if (st->o->dead_letter)
	{
		if (dead_letter(st, st->in.lineno, line, len, byte, reason, truncated) != 0)
			return -1;
		/* a line over --max-line is kept only in part: not safe to pass */
		if (truncated)
			hold_ack(st, code, "kept only in part in the dead-letter file (over --max-line)");
	}
	else
		hold_ack(st, code, "skipped (--skip-bad) and kept nowhere");
	kw_ack_add(&st->ack, 0, false, 0);
	return 0;
}

/* A bad input line: see skip_line. */
static int
bad_line(state *st, const char *line, size_t len, size_t byte, const char *reason, bool truncated)
{
	return skip_line(st, line, len, byte, reason, truncated, EXIT_BAD_INPUT);
}

#define KEY_SHOWN_MAX 256 /* bytes of a key shown in a message */

/*
 * Append "table S.T, key K" for a message too large for Kafka: the table
 * from the line's schema and table members when present (line may be cut
 * short: a member is used only if it is valid JSON), the key as produced.
 */
static void
describe_message(strbuf *out, const char *line, size_t len, const char *kp, size_t kn)
{
	json_span sv, tv;
	bool has_s = json_member(line, len, "schema", 6, &sv) && json_kind(sv) == 's' &&
				 json_validate(sv.p, sv.n, NULL) == 0;
	bool has_t = json_member(line, len, "table", 5, &tv) && json_kind(tv) == 's' &&
				 json_validate(tv.p, tv.n, NULL) == 0;

	strbuf_puts(out, "table ");
	if (has_t)
	{
		if (has_s)
		{
			json_unescape(sv, out);
			strbuf_putc(out, '.');
		}
		json_unescape(tv, out);
	}
	else
		strbuf_puts(out, "(none)");
	strbuf_puts(out, ", key ");
	if (kp == NULL)
		strbuf_puts(out, "(none)");
	else
	{
		strbuf_add(out, kp, kn > KEY_SHOWN_MAX ? KEY_SHOWN_MAX : kn);
		if (kn > KEY_SHOWN_MAX)
			strbuf_puts(out, "...");
	}
}

/* The key of a line cut short at --max-line, when it is there whole. */
static void
cut_line_key(const char *line, size_t len, const char **kp, size_t *kn)
{
	json_span v;

	*kp = NULL;
	*kn = 0;
	if (json_member(line, len, "key", 3, &v) && json_kind(v) != 'z' &&
		json_validate(v.p, v.n, NULL) == 0)
	{
		*kp = v.p;
		*kn = v.n;
	}
}

/* A line over --max-line: too large for Kafka (see skip_line). */
static int
too_long_line(state *st, const char *line, size_t len)
{
	const char *kp;
	size_t kn;
	int r;

	cut_line_key(line, len, &kp, &kn);
	strbuf_reset(&st->why);
	strbuf_puts(&st->why, "message too large for Kafka: ");
	describe_message(&st->why, line, len, kp, kn);
	if (st->in.discarding)
		strbuf_printf(&st->why, ", more than %zu bytes (--max-line)", st->o->max_line);
	else
		strbuf_printf(&st->why, ", %zu bytes, more than %zu (--max-line)", len, st->o->max_line);
	r = skip_line(st, line, len, st->o->max_line + 1, st->why.data, true, EXIT_TOO_LARGE);
	return r;
}

/*
 * librdkafka refused to queue a message over message.max.bytes (see
 * skip_line); vlen is the size of its value (the line, or the member
 * --value-field names).
 */
static int
too_large_produce(state *st, const char *line, size_t len, size_t vlen, const char *kp, size_t kn,
				  const rd_kafka_headers_t *hdrs)
{
	size_t size = vlen + kn;

	for (size_t i = 0; hdrs && i < rd_kafka_header_cnt(hdrs); i++)
	{
		const void *v;
		size_t vn;
		const char *name;

		if (rd_kafka_header_get_all(hdrs, i, &name, &v, &vn) == RD_KAFKA_RESP_ERR_NO_ERROR)
			size += strlen(name) + vn;
	}
	strbuf_reset(&st->why);
	strbuf_puts(&st->why, "message too large for Kafka: ");
	describe_message(&st->why, line, len, kp, kn);
	strbuf_printf(&st->why, ", %zu bytes with key and headers, more than message.max.bytes %zu",
				  size, st->prod.max_bytes);
	return skip_line(st, line, len, 1, st->why.data, false, EXIT_TOO_LARGE);
}

/*
 * A message over its topic's max.message.bytes as the broker told it (only
 * asked when message.max.bytes is raised: kw_producer_topic_max): too
 * large, before producing it (see skip_line).  Returns 1 when it is not.
 */
static int
too_large_topic(state *st, const char *tname, const char *line, size_t len, size_t vlen,
				const char *kp, size_t kn)
{
	size_t max = kw_producer_topic_max(&st->prod, tname);

	if (max == 0 || vlen + kn <= max)
		return 1;
	strbuf_reset(&st->why);
	strbuf_puts(&st->why, "message too large for Kafka: ");
	describe_message(&st->why, line, len, kp, kn);
	strbuf_printf(&st->why, ", %zu bytes with key, more than max.message.bytes %zu of topic \"%s\"",
				  vlen + kn, max, tname);
	return skip_line(st, line, len, 1, st->why.data, false, EXIT_TOO_LARGE);
}

/*
 * Delivery report callback: the broker refused a message as too large
 * (its max.message.bytes).  Kept in the dead-letter file when there is
 * one (returns true: the line counts as done), else a failure that stops
 * the run with EXIT_TOO_LARGE.
 */
static bool
too_large_report(void *arg, const rd_kafka_message_t *m)
{
	state *st = arg;
	strbuf msg = STRBUF_INIT;
	bool kept = false;

	describe_message(&msg, m->payload ? m->payload : "", m->payload ? m->len : 0, m->key,
					 m->key_len);
	strbuf_printf(&msg, ", %zu bytes: refused by the broker for topic \"%s\": %s", m->len,
				  m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
	if (st->o->dead_letter && m->payload)
	{
		char *reason = NULL;

		strbuf_reset(&st->tmp);
		strbuf_puts(&st->tmp, "message too large for Kafka (it or a message of its batch): ");
		strbuf_add(&st->tmp, msg.data, msg.len);
		reason = xstrndup(st->tmp.data, st->tmp.len);
		if (dead_letter(st, 0, m->payload, m->len, 1, reason, false) == 0)
		{
			log_warn("%s (kept in the dead-letter file)", reason);
			st->bad++;
			kept = true;
		}
		free(reason);
	}
	else
	{
		st->too_large = true;
		st->too_large_n++;
		if (m->len + m->key_len >= st->too_large_size)
		{
			st->too_large_size = m->len + m->key_len;
			strbuf_reset(&st->too_large_msg);
			strbuf_add(&st->too_large_msg, msg.data, msg.len);
		}
	}
	strbuf_free(&msg);
	return kept;
}

/* Say once which message the broker refused as too large (too_large_report). */
static void
tell_too_large(state *st)
{
	if (!st->too_large || st->too_large_told)
		return;
	st->too_large_told = true;
	log_error("message too large for Kafka: %s", st->too_large_msg.data);
	if (st->too_large_n > 1)
		log_error("%" PRIu64 " other message%s of its batch refused with it", st->too_large_n - 1,
				  st->too_large_n == 2 ? "" : "s");
	log_error("hint: raise the topic's max.message.bytes (or the broker's message.max.bytes), "
			  "or use --dead-letter to keep such lines aside");
}

/*
 * A top-level member of the current line: from the index the validator
 * filled, or by walking the line when the index cannot tell.
 */
static bool
member(const state *st, const char *line, size_t len, const char *name, size_t namelen,
	   json_span *out)
{
	return json_lookup(&st->idx, line, len, name, namelen, out);
}

/* A member (through the index) or a /JSON/pointer of the current line. */
static bool
path_value(const state *st, const char *line, size_t len, const char *path, json_span *out)
{
	if (path[0] == '/')
		return json_pointer(line, len, path, strlen(path), out);
	return member(st, line, len, path, strlen(path), out);
}

/*
 * What a line becomes in Kafka, from the routing options: set by
 * route_line, produced by produce_line.
 */
typedef struct routed
{
	const char *tname; /* the topic, or ntopics NUL-separated names */
	int ntopics;
	rd_kafka_topic_t *rkt; /* the one topic's handle, when known */
	const char *kp;        /* the key, NULL for none */
	size_t kn;
	const char *vp; /* the value: the line, or --value-field's member; NULL: null */
	size_t vn;
	rd_kafka_headers_t *hdrs; /* owned, NULL for none */
} routed;

/* The key of a line per --key-* options: NULL for none. */
static int
make_key(state *st, const char *line, size_t len, routed *m)
{
	const kw_opts *o = st->o;
	json_span v;
	bool found = false;

	m->kp = NULL;
	m->kn = 0;
	switch (o->key_mode)
	{
		case KW_KEY_NONE:
			return 0;
		case KW_KEY_DEFAULT:
			found = member(st, line, len, "key", 3, &v);
			break;
		case KW_KEY_FIELD:
			found = path_value(st, line, len, o->key_path, &v);
			break;
		case KW_KEY_TEMPLATE:
			strbuf_reset(&st->key);
			if (kw_tmpl_expand(o->key_tmpl, line, len, &st->idx, 0, &st->key, &st->why) != 0)
				return -1;
			m->kp = st->key.data;
			m->kn = st->key.len;
			return 0;
	}
	if (found && json_kind(v) != 'z')
	{
		m->kp = v.p;
		m->kn = v.n;
	}
	return 0;
}

/*
 * The value of a line: the line itself, or with --value-field the JSON
 * text of that member, byte for byte (null: a null value, a tombstone).
 * Returns 0, or -1 with the reason in st->why and its 1-based byte in
 * *byte.
 */
static int
make_value(state *st, const char *line, size_t len, routed *m, size_t *byte)
{
	json_span v;

	m->vp = line;
	m->vn = len;
	if (st->o->value_path == NULL)
		return 0;
	if (!path_value(st, line, len, st->o->value_path, &v))
	{
		strbuf_reset(&st->why);
		strbuf_printf(&st->why, "value field \"%s\" is missing%s", st->o->value_path,
					  len > 0 && line[0] == '{' ? "" : " (the line is not a JSON object)");
		*byte = 1;
		return -1;
	}
	m->vp = json_kind(v) == 'z' ? NULL : v.p;
	m->vn = json_kind(v) == 'z' ? 0 : v.n;
	return 0;
}

/*
 * Headers per -H, then per --headers-field: each member of that object a
 * header (a string's decoded text, another value's JSON text, null a
 * header without a value).  NULL when there are none.  Returns 0, or -1
 * with the reason in st->why and its 1-based byte in *byte.
 */
static int
make_headers(state *st, const char *line, size_t len, routed *m, size_t *byte)
{
	rd_kafka_headers_t *h = NULL;
	json_span obj = {NULL, 0};

	m->hdrs = NULL;
	if (st->o->headers_path && path_value(st, line, len, st->o->headers_path, &obj) &&
		json_kind(obj) != 'z' && json_kind(obj) != 'o')
	{
		strbuf_reset(&st->why);
		strbuf_printf(&st->why, "headers field \"%s\" is not an object", st->o->headers_path);
		*byte = (size_t) (obj.p - line) + 1;
		return -1;
	}
	if (obj.p && json_kind(obj) != 'o')
		obj.p = NULL; /* null: no headers from it */
	if (st->o->nheaders == 0 && obj.p == NULL)
		return 0;
	h = rd_kafka_headers_new(st->o->nheaders + 8);
	for (size_t i = 0; i < st->o->nheaders; i++)
	{
		strbuf_reset(&st->tmp);
		/* a missing or null field: no such header on this message */
		if (kw_tmpl_expand(st->o->headers[i].value, line, len, &st->idx, 0, &st->tmp, &st->why) !=
			0)
			continue;
		rd_kafka_header_add(h, st->o->headers[i].name, -1, st->tmp.data, (ssize_t) st->tmp.len);
	}
	if (obj.p)
	{
		size_t pos = 0;
		json_span name, val;

		while (json_next_member(obj, &pos, &name, &val))
		{
			strbuf_reset(&st->tmp);
			json_unescape(name, &st->tmp);
			if (json_kind(val) == 'z')
				rd_kafka_header_add(h, st->tmp.data ? st->tmp.data : "", (ssize_t) st->tmp.len,
									NULL, 0);
			else if (json_kind(val) == 's')
			{
				size_t nlen = st->tmp.len;

				json_unescape(val, &st->tmp);
				rd_kafka_header_add(h, st->tmp.data, (ssize_t) nlen, st->tmp.data + nlen,
									(ssize_t) (st->tmp.len - nlen));
			}
			else
				rd_kafka_header_add(h, st->tmp.data ? st->tmp.data : "", (ssize_t) st->tmp.len,
									val.p, (ssize_t) val.n);
		}
	}
	m->hdrs = h;
	return 0;
}
/*
 * The topic handle for the current line, or NULL after stopping the run
 * (a colliding name: EXIT_TOPIC_CLASH, nothing of the line produced).
 */
static rd_kafka_topic_t *
line_topic(state *st, const char *tname)
{
	rd_kafka_topic_t *rkt = kw_producer_topic(&st->prod, tname);

	if (rkt == NULL)
	{
		strbuf_reset(&st->why);
		where(st, &st->why, 1);
		log_error("%s: not produced: topic \"%s\" cannot be used", st->why.data, tname);
		set_exit(st, st->prod.collision ? EXIT_TOPIC_CLASH : EXIT_ERROR);
		st->stop = true;
	}
	return rkt;
}

/*
 * The topic of a line from --topic-template, through the memo: its name
 * (owned by the memo, valid until the next call) with *handle the address
 * of the topic handle kept beside it (NULL until the first line with the
 * name resolves it); the message topic, with *handle NULL, for a message
 * event the template cannot place (a missing or null field: messages have
 * no schema or table); or NULL with the reason in st->why.  A name is
 * checked until its handle is known.
 */
static const char *
topic_name(state *st, const char *line, size_t len, const json_index *idx, bool is_message,
		   void ***handle)
{
	const char *name = kw_memo_expand(st->topic_memo, line, len, idx, &st->why, handle);
	const char *why;

	if (name == NULL)
	{
		*handle = NULL;
		return is_message ? st->o->message_topic : NULL;
	}
	if (**handle == NULL && (why = kw_topic_check(name, strlen(name))) != NULL)
	{
		strbuf_reset(&st->why);
		strbuf_printf(&st->why, "%s (from the topic template)", why);
		return NULL;
	}
	return name;
}

/*
 * The topic of a line from --topic-template, and its handle: m->tname and
 * m->rkt (left NULL for the message topic: produce_line finds it).
 * Returns 1 to produce the line, 0 or -1 as bad_line for a name that is
 * no topic's, -1 after stopping the run (line_topic).
 */
static int
template_topic(state *st, const char *line, size_t len, const json_index *idx, bool is_message,
			   routed *m)
{
	void **handle;

	m->tname = topic_name(st, line, len, idx, is_message, &handle);
	if (m->tname == NULL)
		return bad_line(st, line, len, 1, st->why.data, false);
	if (handle == NULL)
		return 1;
	/* the first line with this name: find the topic */
	if (*handle == NULL && (*handle = line_topic(st, m->tname)) == NULL)
		return -1;
	m->rkt = *handle;
	return 1;
}

/*
 * The topics of a truncate line under --topic-template, NUL-separated in
 * st->topic, each once: the template expanded for each table the line
 * lists, as if the line had that table's schema and table members (so a
 * truncate reaches each table's topic, as Debezium does); where the
 * template still cannot be expanded, the message topic.  Returns the
 * number of topics, or -1 with the reason in st->why.
 */
static int
truncate_topics(state *st, const char *line, size_t len)
{
	strbuf names = STRBUF_INIT;
	int n = 0;

	for (unsigned i = 0;; i++)
	{
		char ptr[48];
		json_span tv, sv;
		const char *rest = line;
		bool listed;
		const char *name;
		void **handle;

		snprintf(ptr, sizeof(ptr), "/tables/%u", i);
		listed = json_pointer(line, len, ptr, strlen(ptr), &tv);
		if (!listed)
		{
			if (i > 0)
				break;
			/* no table list: the line itself */
			name = topic_name(st, line, len, &st->idx, true, &handle);
		}
		else
		{
			strbuf_reset(&st->synth);
			strbuf_putc(&st->synth, '{');
			if (json_member(tv.p, tv.n, "schema", 6, &sv))
			{
				strbuf_puts(&st->synth, "\"schema\":");
				strbuf_add(&st->synth, sv.p, sv.n);
				strbuf_putc(&st->synth, ',');
			}
			if (json_member(tv.p, tv.n, "table", 5, &sv))
			{
				strbuf_puts(&st->synth, "\"table\":");
				strbuf_add(&st->synth, sv.p, sv.n);
				strbuf_putc(&st->synth, ',');
			}
			while (rest < line + len && *rest != '{')
				rest++;
			rest++;
			while (rest < line + len && (*rest == ' ' || *rest == '\t'))
				rest++;
			if (rest < line + len && *rest == '}')
				st->synth.len--; /* an empty object: drop the last ',' */
			strbuf_add(&st->synth, rest, (size_t) (line + len - rest));
			name = topic_name(st, st->synth.data, st->synth.len, NULL, true, &handle);
		}
		if (name == NULL)
		{
			strbuf_free(&names);
			return -1;
		}
		/* each topic once */
		{
			size_t off = 0;
			bool seen = false;

			for (int k = 0; k < n && !seen; k++)
			{
				seen = strcmp(names.data + off, name) == 0;
				off += strlen(names.data + off) + 1;
			}
			if (!seen)
			{
				strbuf_add(&names, name, strlen(name) + 1);
				n++;
			}
		}
		if (!listed)
			break;
	}
	strbuf_reset(&st->topic);
	strbuf_add(&st->topic, names.data, names.len);
	strbuf_free(&names);
	return n;
}

/*
 * Produce a truncate line to each of its n topics (NUL-separated in
 * st->topic), one message each, registered as one line of n messages.
 * Returns 0 to go on, -1 to stop.
 */
static int
produce_fanout(state *st, const char *line, size_t len, int n, const char *kp, size_t kn,
			   const rd_kafka_headers_t *hdrs)
{
	char *names = xmalloc(st->topic.len + 1);
	const char *tname = names;
	uint64_t seq = st->ack.next;
	int rc = 0;

	memcpy(names, st->topic.data, st->topic.len);
	names[st->topic.len] = '\0';
	for (int i = 0; i < n; i++, tname += strlen(tname) + 1)
	{
		rd_kafka_topic_t *rkt = line_topic(st, tname);
		rd_kafka_resp_err_t err;

		if (rkt == NULL)
		{
			if (i > 0)
				kw_ack_abandon(&st->ack, seq, (unsigned) (n - i));
			rc = -1;
			break;
		}
		err = kw_producer_send(&st->prod, rkt, st->o->partition, line, len, kp, kn, hdrs, seq);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			strbuf_reset(&st->why);
			where(st, &st->why, 1);
			log_error("%s: could not produce to topic \"%s\": %s", st->why.data, tname,
					  rd_kafka_err2str(err));
			if (i == 0)
				seq = kw_ack_add(&st->ack, (unsigned) n, false, 0);
			kw_ack_abandon(&st->ack, seq, (unsigned) (n - i));
			set_exit(st, err == RD_KAFKA_RESP_ERR__FATAL ? fatal_status(st) : EXIT_DELIVERY);
			st->stop = true;
			rc = -1;
			break;
		}
		if (i == 0)
			kw_ack_add(&st->ack, (unsigned) n, false, 0);
	}
	free(names);
	return rc;
}

/*
 * --tombstones and an update that changed the key: the old key into
 * st->oldkey, built from the new key's text with each column's value taken
 * from "before" (pgwal-read prints both with the same writer, so the bytes
 * are those of the old row's earlier events).  Returns false when there
 * is no old key to bury: the key did not change, or "before" does not hold
 * every key column.
 */
static bool
old_key(state *st, const char *line, size_t len, const char *kp, size_t kn)
{
	json_span key = {kp, kn}, before, name, val, old;
	size_t pos = 0;
	const char *copied = kp;

	if (json_kind(key) != 'o' || !member(st, line, len, "before", 6, &before) ||
		json_kind(before) != 'o')
		return false;
	strbuf_reset(&st->oldkey);
	while (json_next_member(key, &pos, &name, &val))
	{
		strbuf_reset(&st->tmp);
		json_unescape(name, &st->tmp);
		if (!json_member(before.p, before.n, st->tmp.data ? st->tmp.data : "", st->tmp.len, &old))
			return false;
		strbuf_add(&st->oldkey, copied, (size_t) (val.p - copied));
		strbuf_add(&st->oldkey, old.p, old.n);
		copied = val.p + val.n;
	}
	strbuf_add(&st->oldkey, copied, (size_t) (kp + kn - copied));
	return !(st->oldkey.len == kn && memcmp(st->oldkey.data, kp, kn) == 0);
}

/*
 * Exactly once: a line registered with the acknowledgement tracker moves
 * the position.  Inside an open Kafka transaction it becomes what that
 * transaction commits; with none open, every line before it is already
 * committed, and so is this one, which produced nothing.
 */
static void
eos_note(state *st, const kw_pos *pos, bool is_ackpoint, uint64_t end_lsn)
{
	kw_txn *t = &st->txn;

	if (t->open)
	{
		if (pos)
		{
			t->pending = *pos;
			t->have_pending = true;
		}
		if (is_ackpoint)
			t->pending_end_lsn = end_lsn;
	}
	else
	{
		if (pos)
		{
			t->committed = *pos;
			t->have_committed = true;
		}
		if (is_ackpoint)
			t->committed_end_lsn = end_lsn;
	}
}

/* Exactly once: open a Kafka transaction for the line's messages. */
static int
eos_begin(state *st)
{
	int rc;

	if (!st->eos || st->txn.open)
		return 0;
	rc = kw_txn_begin(&st->txn, clock_mono_s());
	if (rc == EXIT_OK)
		return 0;
	set_exit(st, rc);
	st->stop = true;
	return -1;
}

/* Commit the open Kafka transaction; a failure stops the run. */
static void
eos_commit(state *st)
{
	int rc = kw_txn_commit(&st->txn);

	if (rc != EXIT_OK)
	{
		set_exit(st, rc);
		st->stop = true;
	}
}

/*
 * Validate and classify the current line into *cl.  Returns 1 to go on
 * with it, else what bad_line returned (0 go on reading, -1 stop).
 */
static int
classify(state *st, const char *line, size_t len, kw_line *cl)
{
	json_error jerr;
	const char *why;
	size_t byte;

	if (json_validate_index(line, len, &jerr, &st->idx) != 0)
	{
		/* a writer killed in mid-line leaves a fragment at the end of a pipe */
		if (st->in.unterminated)
		{
			strbuf_reset(&st->why);
			strbuf_printf(&st->why,
						  "%s, in an incomplete last line (no newline at the end of the input)",
						  jerr.reason);
			return bad_line(st, line, len, jerr.offset + 1, st->why.data, false);
		}
		return bad_line(st, line, len, jerr.offset + 1, jerr.reason, false);
	}
	if (kw_line_classify(line, len, &st->idx, st->eos ? KW_LINE_POSITIONS : 0, cl, &why, &byte) !=
		0)
		return bad_line(st, line, len, byte, why, false);
	if (cl->ackpoint && cl->end_lsn < st->last_commit_lsn)
	{
		char a[LSN_BUFLEN], b[LSN_BUFLEN];

		strbuf_reset(&st->why);
		strbuf_printf(&st->why, "end_lsn %s is lower than the previous commit's %s",
					  lsn_format(cl->end_lsn, a), lsn_format(st->last_commit_lsn, b));
		return bad_line(st, line, len, (size_t) (cl->end_lsn_span.p - line) + 1, st->why.data,
						false);
	}
	if (cl->pos_kind == KW_POS_BAD)
		return bad_line(st, line, len, 1, cl->pos_why, false);
	return 1;
}

/* The line's position, exactly once, or NULL. */
static const kw_pos *
line_pos(const kw_line *cl)
{
	return cl->pos_kind == KW_POS_EVENT ? &cl->pos : NULL;
}

/*
 * Exactly once: a line at or before the position committed in Kafka is
 * already there; it is dropped, but its acknowledgement point counts.
 */
static bool
already_in_kafka(state *st, const kw_line *cl)
{
	if (cl->pos_kind != KW_POS_EVENT || !st->txn.have_committed ||
		kw_pos_cmp(&cl->pos, &st->txn.committed) > 0)
		return false;
	kw_ack_add(&st->ack, 0, cl->ackpoint, cl->end_lsn);
	if (cl->ackpoint)
		st->last_commit_lsn = cl->end_lsn;
	st->txn.dropped++;
	return true;
}

/* A begin or commit line, not produced without --tx-topic. */
static int
skip_control(state *st, const kw_line *cl)
{
	bool is_commit = cl->kind == KW_LINE_COMMIT;

	kw_ack_add(&st->ack, 0, is_commit, cl->end_lsn);
	if (is_commit)
		st->last_commit_lsn = cl->end_lsn;
	if (st->eos)
		eos_note(st, line_pos(cl), is_commit, cl->end_lsn);
	st->control_skipped++;
	return 0;
}

/*
 * Route the line: its topic (or topics, for a truncate under a template),
 * key, value and headers into *m.  Returns 1 to go on, else what bad_line
 * returned.
 */
static int
route_line(state *st, const char *line, size_t len, const kw_line *cl, routed *m)
{
	const kw_opts *o = st->o;
	size_t byte = 1;

	memset(m, 0, sizeof(*m));
	m->ntopics = 1;
	if (kw_line_is_control(cl))
		m->tname = o->tx_topic;
	else if (o->topic)
		m->tname = o->topic;
	else if (cl->kind == KW_LINE_TRUNCATE)
	{
		if ((m->ntopics = truncate_topics(st, line, len)) < 0)
			return bad_line(st, line, len, 1, st->why.data, false);
		m->tname = st->topic.data;
	}
	else
	{
		int r = template_topic(st, line, len, &st->idx, cl->kind == KW_LINE_MESSAGE, m);

		if (r != 1)
			return r;
	}
	if (make_key(st, line, len, m) != 0)
		return bad_line(st, line, len, 1, st->why.data, false);
	if (make_value(st, line, len, m, &byte) != 0 || make_headers(st, line, len, m, &byte) != 0)
		return bad_line(st, line, len, byte, st->why.data, false);
	return 1;
}

/*
 * A message the producer refused: log it, give its line up, stop the run.
 * Returns -1.
 */
static int
send_failed(state *st, const kw_line *cl, const char *tname, rd_kafka_resp_err_t err)
{
	uint64_t seq;

	strbuf_reset(&st->why);
	where(st, &st->why, 1);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && sig_stop)
	{
		/* interrupted while waiting for room: the line was not produced */
		log_error("%s: not produced: interrupted while waiting for room in the producer queue",
				  st->why.data);
		err = RD_KAFKA_RESP_ERR_NO_ERROR; /* EXIT_DELIVERY */
	}
	else
		log_error("%s: could not produce to topic \"%s\": %s", st->why.data, tname,
				  rd_kafka_err2str(err));
	seq = kw_ack_add(&st->ack, 1, cl->ackpoint, cl->end_lsn);
	kw_ack_abandon(&st->ack, seq, 1);
	set_exit(st, err == RD_KAFKA_RESP_ERR__FATAL ? fatal_status(st) : EXIT_DELIVERY);
	st->stop = true;
	return -1;
}

/*
 * Produce the routed line: its message, then, with --tombstones, the
 * tombstone of a delete (its key) or of an update that changed the key
 * (the old key), registered as one line of two messages.  Returns 0 to go
 * on, -1 to stop.
 */
static int
produce_line(state *st, const char *line, size_t len, const kw_line *cl, routed *m)
{
	const kw_opts *o = st->o;
	const char *tk = NULL; /* the key of the tombstone, if any */
	size_t tkn = 0;
	rd_kafka_topic_t *rkt;
	unsigned nmsgs;
	uint64_t seq;
	rd_kafka_resp_err_t err;

	if (eos_begin(st) != 0)
		return -1;
	if (m->ntopics > 1)
	{
		int r = produce_fanout(st, m->vp, m->vn, m->ntopics, m->kp, m->kn, m->hdrs);

		if (r == 0 && st->eos)
		{
			st->txn.msgs += (unsigned) m->ntopics;
			eos_note(st, line_pos(cl), false, 0);
		}
		return r;
	}
	rkt = m->rkt ? m->rkt : line_topic(st, m->tname);
	if (rkt == NULL)
		return -1;

	/*
	 * Produce first, register after: the sequence number is known in
	 * advance, and no delivery report is served between a successful
	 * produce and the registration (only kw_producer_send polls, and only
	 * before its message is queued).
	 */
	if (o->tombstones && cl->kind == KW_LINE_DELETE && m->kp)
	{
		tk = m->kp;
		tkn = m->kn;
	}
	else if (o->tombstones && cl->kind == KW_LINE_UPDATE && m->kp &&
			 o->key_mode == KW_KEY_DEFAULT && old_key(st, line, len, m->kp, m->kn))
	{
		tk = st->oldkey.data;
		tkn = st->oldkey.len;
	}
	nmsgs = tk ? 2 : 1;
	if (st->prod.max_bytes > KW_BROKER_MAX_BYTES)
	{
		int r = too_large_topic(st, m->tname, line, len, m->vn, m->kp, m->kn);

		if (r != 1)
			return r;
	}
	seq = st->ack.next;
	err = kw_producer_send(&st->prod, rkt, o->partition, m->vp, m->vn, m->kp, m->kn, m->hdrs, seq);
	if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
		return too_large_produce(st, line, len, m->vn, m->kp, m->kn, m->hdrs);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return send_failed(st, cl, m->tname, err);
	kw_ack_add(&st->ack, nmsgs, cl->ackpoint, cl->end_lsn);
	if (cl->ackpoint)
		st->last_commit_lsn = cl->end_lsn;
	if (st->eos)
	{
		st->txn.msgs += nmsgs;
		eos_note(st, line_pos(cl), cl->ackpoint, cl->end_lsn);
	}
	if (nmsgs == 2)
	{
		/*
		 * the tombstone: same topic, partition and headers, no value; the
		 * deleted key, or the old key of an update that changed it
		 */
		err = kw_producer_send(&st->prod, rkt, o->partition, NULL, 0, tk, tkn, m->hdrs, seq);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			log_error("could not produce a tombstone to topic \"%s\": %s", m->tname,
					  rd_kafka_err2str(err));
			kw_ack_abandon(&st->ack, seq, 1);
			set_exit(st, err == RD_KAFKA_RESP_ERR__FATAL ? fatal_status(st) : EXIT_DELIVERY);
			st->stop = true;
		}
	}
	return st->stop ? -1 : 0;
}

/*
 * Process one line: classify it, route it, produce it.  Returns 0 to go
 * on, -1 to stop reading.
 */
static int
handle_line(state *st, const char *line, size_t len)
{
	kw_line cl;
	routed m;
	int r;

	st->lines++;
	if ((r = classify(st, line, len, &cl)) != 1)
		return r;
	if (st->eos && already_in_kafka(st, &cl))
		return 0;
	if (kw_line_is_control(&cl) && st->o->tx_topic == NULL)
		return skip_control(st, &cl);
	if ((r = route_line(st, line, len, &cl, &m)) != 1)
		return r;
	r = produce_line(st, line, len, &cl, &m);
	if (m.hdrs)
		rd_kafka_headers_destroy(m.hdrs);
	return r;
}

/*
 * Write the ack file when the acknowledgeable LSN moved past what the file
 * holds, at most every --ack-interval unless force.  The dead-letter file
 * is synced first: a line is only acknowledged past once it is kept.
 */
static void
ack_tick(state *st, bool force)
{
	uint64_t lsn = ack_target(st);
	double t;

	if (st->o->ack_file == NULL || st->ack_broken || lsn <= st->ack_floor || lsn <= st->ack_written)
		return;
	if (st->exit_code == EXIT_FENCED)
		return; /* a fenced writer acknowledges nothing more */
	t = clock_mono_s();
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
		st->ack_broken = true; /* do not retry in a loop; ack_written stays true */
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
	t = clock_mono_s();
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
		set_exit(st, fatal_status(st));
		st->stop = true;
	}
	if (st->ack.failed > 0)
	{
		set_exit(st, EXIT_DELIVERY);
		st->stop = true;
	}
	if (st->too_large)
	{
		tell_too_large(st);
		set_exit(st, EXIT_TOO_LARGE);
		st->stop = true;
	}
	if (st->eos && !st->stop && kw_txn_due(&st->txn, clock_mono_s()))
		eos_commit(st);
	ack_tick(st, false);
	progress_tick(st, false);
}

/*
 * How long to wait for input while a Kafka transaction is open: no longer
 * than its --commit-interval, so that an idle input does not hold it open.
 */
static int
commit_wait_ms(state *st)
{
	double left = (st->txn.opened + st->o->commit_interval - clock_mono_s()) * 1000;

	return left <= 0 ? 0 : left >= IDLE_WAIT_MS ? IDLE_WAIT_MS : (int) left + 1;
}

/* A numeric librdkafka property of rk, or dflt. */
static long
conf_long(rd_kafka_t *rk, const char *name, long dflt)
{
	char v[32];
	size_t vl = sizeof(v);
	long n;

	if (rd_kafka_conf_get(rd_kafka_conf(rk), name, v, &vl) != RD_KAFKA_CONF_OK)
		return dflt;
	n = atol(v);
	return n > 0 ? n : dflt;
}

/*
 * Deliver the burst: wait until everything produced so far is in Kafka
 * (or the run stops), serving delivery reports, acknowledgements and
 * progress meanwhile.  rd_kafka_flush has the broker threads send what is
 * queued at once, whatever linger.ms.
 *
 * Why bursts: librdkafka's idempotent producer (2.0.2, and its master
 * still) lets a partition have a second request in flight only while
 * fewer than five *messages* are (it compares its count of messages with
 * the limit of five requests), and while a partition's next batch waits
 * for that, its broker thread polls without sleeping.  Fed line by line
 * as they come, a pipeline's partitions nearly always have a batch
 * waiting: over 150,000 poll calls for 400,000 changes, a third of
 * kafka-write's CPU time.  Produced in bursts, each sent whole while
 * nothing else is queued, no batch waits, and the burst that follows is
 * read while the pipe filled (the figures are in the README's Speed
 * section).  A regular file is all there and never pauses: it goes to
 * librdkafka as fast as it takes it, as Kafka's throughput is what counts
 * there, and bursts, a round trip each, would cost a third of it.
 */
static void
end_burst(state *st)
{
	st->burst_lines = 0;
	st->burst_bytes = 0;
	st->burst_gather_until = 0;
	while (st->ack.in_flight > 0 && !st->stop && !sig_stop)
	{
		rd_kafka_flush(st->prod.rk, 100);
		tick(st);
	}
}

/*
 * Count a line of len bytes into the burst: true when the burst is full.
 * It may hold a batch for each partition: lines are spread over the
 * partitions the run has delivered to, and the more there are, the more a
 * round trip to Kafka can carry.
 */
static inline bool
burst_full(state *st, size_t len)
{
	size_t scale = st->prod.nparts > 1 ? st->prod.nparts : 1;

	st->burst_bytes += len;
	return ++st->burst_lines >= scale * st->burst_max_lines ||
		   st->burst_bytes >= scale * st->burst_max_bytes ||
		   st->burst_bytes >= st->burst_queue_bytes;
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
		/*
		 * Take what the input holds now; when it has nothing more for
		 * BURST_GATHER_MS, the burst read so far goes to Kafka before
		 * waiting for the next line: no longer than --commit-interval
		 * while a Kafka transaction is open, so that an idle input does
		 * not hold it open (no clock read per line: only when the input
		 * pauses).  The short wait lets a writer that sends its lines in
		 * pieces (pgwal-read writes what each read from the server gave)
		 * fill a burst: a burst costs a round trip to Kafka and about
		 * 100 us of CPU time in librdkafka's threads, whatever its size.
		 */
		r = kw_input_next(&st->in, &line, &len, 0);
		if (r == KW_IN_AGAIN && st->burst_lines > 0)
		{
			double now = clock_mono_s();

			if (st->burst_gather_until == 0)
				st->burst_gather_until = now + BURST_GATHER_MS / 1000.0;
			/* again after part of a line: kw_input_next waits once */
			while (r == KW_IN_AGAIN && now < st->burst_gather_until)
			{
				int ms = (int) ((st->burst_gather_until - now) * 1000);

				r = kw_input_next(&st->in, &line, &len, ms > 0 ? ms : 1);
				if (r == KW_IN_AGAIN)
					now = clock_mono_s();
			}
		}
		if (r == KW_IN_AGAIN)
		{
			if (st->burst_lines > 0)
				end_burst(st);
			r = kw_input_next(&st->in, &line, &len,
							  st->eos && st->txn.open ? commit_wait_ms(st) : IDLE_WAIT_MS);
		}
		if (r == KW_IN_LINE)
		{
			handle_line(st, line, len);
			if (!st->in.at_rest && burst_full(st, len))
				end_burst(st);
		}
		else if (r == KW_IN_TOOLONG)
		{
			st->lines++;
			too_long_line(st, line, len);
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
	double deadline = clock_mono_s() + st->o->flush_timeout;
	rd_kafka_t *rk = st->prod.rk;

	/*
	 * Exactly once: commit what the open transaction holds when the input
	 * was good up to here; abort it after a Kafka failure (a restart
	 * writes it again, from the position in Kafka).
	 */
	if (st->eos && st->txn.open)
	{
		rd_kafka_poll(rk, 0);
		if (st->ack.failed > 0 || st->prod.fatal || st->too_large || exit_rank(st->exit_code) >= 2)
			kw_txn_abort(&st->txn);
		else
			eos_commit(st);
	}

	while (st->ack.in_flight > 0 && clock_mono_s() < deadline)
	{
		rd_kafka_flush(rk, 100);
		ack_tick(st, false);
		progress_tick(st, false);
		if (st->prod.fatal)
			break;
		if (sig_count != st->flush_signals)
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
		set_exit(st, fatal_status(st));
	if (st->ack.failed > 0 || st->ack.in_flight > 0)
		set_exit(st, EXIT_DELIVERY);
	if (st->too_large)
	{
		tell_too_large(st);
		set_exit(st, EXIT_TOO_LARGE);
	}
	ack_tick(st, true);
	if (st->hold && st->o->ack_file)
		set_exit(st, st->hold_code);
}

/* Report the outcome on stderr. */
static void
summary(state *st)
{
	char b[LSN_BUFLEN];
	uint64_t undelivered = st->ack.failed + st->ack.in_flight;
	const char *acked = st->ack_written ? lsn_format(st->ack_written, b) : "nothing new";

	progress_tick(st, true);
	if (st->exit_code == EXIT_FENCED)
		log_error("fenced: another kafka-write with transactional id \"%s\" has started; "
				  "nothing more is acknowledged",
				  st->o->txn_id);
	else if (st->prod.fatal)
		log_error("fatal producer error: %s: %s", rd_kafka_err2name(st->prod.fatal_err),
				  st->prod.fatal_msg);
	if (undelivered > 0)
	{
		const char *why = st->prod.fail_msg;

		if (st->prod.fail_err == RD_KAFKA_RESP_ERR_NO_ERROR)
			why = "not sent";
		else if (st->exit_code == EXIT_FENCED)
			why = "their Kafka transaction was fenced";
		else if (st->prod.fail_err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
				 st->prod.fail_err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
			why = st->flush_cut ? "flush cut short by a signal"
								: "not delivered within --flush-timeout";
		log_error("%" PRIu64 " message%s not delivered: %s", undelivered,
				  undelivered == 1 ? "" : "s", why);
	}
	if (st->interrupted)
		log_info("stopped by a signal");
	if (st->hold && st->o->ack_file)
	{
		char h[LSN_BUFLEN];

		log_error("acknowledgements held at %s: input line %" PRIu64 " was %s",
				  st->hold_lsn ? lsn_format(st->hold_lsn, h) : "the start", st->hold_line,
				  st->hold_why);
		log_error("hint: use --dead-letter to keep skipped lines and acknowledge past them, "
				  "--max-line and message.max.bytes for longer lines");
	}
	if (st->o->ack_file && (undelivered > 0 || st->exit_code != EXIT_OK))
		log_error("acknowledged up to %s in \"%s\"", acked, st->o->ack_file);
	log_info("%" PRIu64 " lines read, %" PRIu64 " messages delivered, %" PRIu64 " not delivered, "
			 "%" PRIu64 " bad lines, %" PRIu64 " control lines not produced, acknowledged %s",
			 st->lines, st->ack.delivered, undelivered, st->bad, st->control_skipped, acked);
	if (st->eos)
	{
		char c[LSN_BUFLEN], e[LSN_BUFLEN];

		log_info("exactly once: %" PRIu64 " Kafka transactions committed, %" PRIu64
				 " events dropped as already in Kafka, position %s seq %" PRIu64
				 ", complete up to %s",
				 st->txn.commits, st->txn.dropped, lsn_format(st->txn.committed.lsn, c),
				 st->txn.committed.seq, lsn_format(st->txn.committed_end_lsn, e));
	}
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

/*
 * Producer properties that a consumer does not take: left out of the
 * configuration of the consumer that reads the position back.
 */
static const char *const producer_only[] = {
	"transactional.id",
	"transaction.timeout.ms",
	"enable.idempotence",
	"enable.gapless",
	"acks",
	"request.required.acks",
	"partitioner",
	"linger.ms",
	"queue.buffering",
	"batch.",
	"compression.",
	"message.timeout.ms",
	"delivery.timeout.ms",
	"message.send.max.retries",
	"retries",
	"retry.backoff",
	"max.in.flight",
	"sticky.partitioning",
	"request.timeout.ms",
	"queuing.strategy",
	"produce.offset.report",
	"message.copy.max.bytes",
};

int
kw_run(const kw_opts *o, rd_kafka_conf_t *conf)
{
	state st;
	char errstr[512];
	rd_kafka_conf_t *cconf = NULL;

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.dead_fd = -1;
	st.exit_code = EXIT_OK;
	st.eos = o->txn_id != NULL;
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
	if (st.eos)
		cconf = rd_kafka_conf_dup_filter(conf, sizeof(producer_only) / sizeof(producer_only[0]),
										 (const char **) producer_only);
	if (kw_producer_new(&st.prod, conf, &st.ack, errstr, sizeof(errstr)) != 0)
	{
		/* conf was destroyed by kw_producer_new */
		log_error("could not create the Kafka producer: %s", errstr);
		if (cconf)
			rd_kafka_conf_destroy(cconf);
		if (st.dead_fd >= 0)
			close(st.dead_fd);
		kw_ack_free(&st.ack);
		return EXIT_ERROR;
	}
	conf = NULL;
	st.prod.too_large_cb = too_large_report;
	st.prod.check_replicas = st.eos;
	st.prod.too_large_arg = &st;
	if (o->topic_tmpl)
		st.topic_memo = kw_memo_new(o->topic_tmpl, KW_TMPL_TOPIC);
	st.burst_max_lines = (unsigned) conf_long(st.prod.rk, "batch.num.messages", 10000);
	st.burst_max_bytes = (size_t) conf_long(st.prod.rk, "batch.size", 1000000) / 2;
	st.burst_queue_bytes =
		(size_t) conf_long(st.prod.rk, "queue.buffering.max.kbytes", KW_QUEUE_KBYTES_DEFAULT) * 512;
	if (st.eos)
	{
		kw_txn_opts to = {o->txn_id, o->position_topic, o->commit_interval, o->commit_max, 30.0};
		int rc = kw_txn_start(&st.txn, &to, st.prod.rk, cconf); /* takes cconf */

		cconf = NULL;
		if (rc != EXIT_OK)
		{
			st.exit_code = rc;
			goto out;
		}
	}

	st.progress_tty = isatty(STDERR_FILENO);
	st.progress = o->progress > 0 || (o->progress < 0 && st.progress_tty && log_verbosity >= 0);
	st.progress_interval = st.progress_tty ? 1.0 : 10.0;
	st.progress_last = st.ack_last = clock_mono_s();
	st.ack_last -= o->ack_interval; /* the first acknowledgement goes out at once */

	if (o->files == NULL || o->files[0] == NULL)
		run_input(&st, NULL);
	else
		for (char **f = o->files; *f && !st.stop && !st.interrupted; f++)
			run_input(&st, *f);
	if (sig_stop)
		st.interrupted = true;
	st.flush_signals = sig_count; /* a signal from now on cuts the flush short */

	finish(&st);
	summary(&st);

out:
	kw_txn_destroy(&st.txn);
	kw_producer_destroy(&st.prod);
	if (st.dead_fd >= 0 && close(st.dead_fd) != 0)
	{
		log_error("could not close dead-letter file \"%s\": %m", o->dead_letter);
		set_exit(&st, EXIT_OUTPUT);
	}
	strbuf_free(&st.topic);
	kw_memo_free(st.topic_memo);
	strbuf_free(&st.oldkey);
	strbuf_free(&st.too_large_msg);
	strbuf_free(&st.synth);
	strbuf_free(&st.key);
	strbuf_free(&st.why);
	strbuf_free(&st.tmp);
	kw_ack_free(&st.ack);
	return st.exit_code;
}
