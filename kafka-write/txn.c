/*
 * txn.c
 *	Kafka transactions and the position topic; see txn.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "exitcodes.h"
#include "log.h"
#include "lsn.h"
#include "strbuf.h"
#include "txn.h"

#define COMMIT_RETRIES 10 /* retriable commit errors before giving up */

int
kw_pos_cmp(const kw_pos *a, const kw_pos *b)
{
	if (a->lsn != b->lsn)
		return a->lsn < b->lsn ? -1 : 1;
	if (a->phase != b->phase)
		return a->phase < b->phase ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

/* A top-level member of a validated line, through idx when it can tell. */
static bool
find(const char *line, size_t len, const json_index *idx, const char *name, json_span *out)
{
	return json_lookup(idx, line, len, name, strlen(name), out);
}

/* A JSON string literal holding an LSN.  0 on success. */
static int
span_lsn(json_span v, uint64_t *lsn)
{
	char buf[LSN_BUFLEN + 1];

	if (json_kind(v) != 's' || v.n < 2 || v.n - 2 >= sizeof(buf))
		return -1;
	memcpy(buf, v.p + 1, v.n - 2);
	buf[v.n - 2] = '\0';
	return lsn_parse(buf, lsn);
}

/* A JSON number that is a non-negative integer below 2^64.  0 on success. */
static int
span_u64(json_span v, uint64_t *out)
{
	uint64_t n = 0;

	if (v.n == 0 || v.n > 20)
		return -1;
	for (size_t i = 0; i < v.n; i++)
	{
		unsigned d = (unsigned) (v.p[i] - '0');

		if (d > 9 || n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

static bool
span_is(json_span v, const char *s)
{
	size_t n = strlen(s);

	return v.n == n && memcmp(v.p, s, n) == 0;
}

kw_pos_kind
kw_pos_of_event(const char *line, size_t len, const json_index *idx, json_span op, kw_pos *pos,
				const char **why)
{
	json_span v;

	memset(pos, 0, sizeof(*pos));
	pos->phase = 1;
	if (span_is(op, "\"read\"") || (find(line, len, idx, "snapshot", &v) && json_kind(v) == 't'))
		pos->phase = 0;

	if (span_is(op, "\"commit\""))
	{
		uint64_t events;

		if (!find(line, len, idx, "lsn", &v) || span_lsn(v, &pos->lsn) != 0)
		{
			*why = "commit line without a valid \"lsn\"";
			return KW_POS_BAD;
		}
		if (!find(line, len, idx, "events", &v) || span_u64(v, &events) != 0 ||
			events == UINT64_MAX)
		{
			*why = "commit line without a valid \"events\" count";
			return KW_POS_BAD;
		}
		pos->seq = events + 1;
		return KW_POS_EVENT;
	}
	if (find(line, len, idx, "commit_lsn", &v))
	{
		if (json_kind(v) == 'z' && pos->phase == 0)
			pos->lsn = 0; /* a backfill: ordered by seq alone */
		else if (span_lsn(v, &pos->lsn) != 0)
		{
			*why = "\"commit_lsn\" is not an LSN";
			return KW_POS_BAD;
		}
		if (span_is(op, "\"begin\""))
			return KW_POS_EVENT; /* seq 0 */
		if (!find(line, len, idx, "seq", &v) || span_u64(v, &pos->seq) != 0)
		{
			*why = "event with \"commit_lsn\" but without a valid \"seq\"";
			return KW_POS_BAD;
		}
		return KW_POS_EVENT;
	}
	if (span_is(op, "\"message\"") && find(line, len, idx, "end_lsn", &v))
	{
		if (span_lsn(v, &pos->lsn) != 0)
		{
			*why = "message line without a valid \"end_lsn\"";
			return KW_POS_BAD;
		}
		return KW_POS_EVENT;
	}
	return KW_POS_NONE;
}

int
kw_txn_fatal_status(rd_kafka_resp_err_t err)
{
	switch (err)
	{
		case RD_KAFKA_RESP_ERR__FENCED:
		case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
		case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
			return EXIT_FENCED;
		case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
		case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
			return EXIT_TXN_REFUSED;
		default:
			return EXIT_KAFKA_FATAL;
	}
}

/* Log a transactional API error and return the exit status it means. */
static int
txn_error(const char *what, rd_kafka_error_t *err)
{
	rd_kafka_resp_err_t code = rd_kafka_error_code(err);
	int status = rd_kafka_error_is_fatal(err) ? kw_txn_fatal_status(code) : EXIT_DELIVERY;

	/* being fenced is said once, by the caller's summary */
	if (status != EXIT_FENCED)
		log_error("could not %s: %s", what, rd_kafka_error_string(err));
	if (status == EXIT_TXN_REFUSED)
		log_error("hint: the brokers must allow transactions for this client (Kafka 0.11 or "
				  "later, WRITE on the transactional id), or run without --transactional-id");
	rd_kafka_error_destroy(err);
	return status;
}

/* librdkafka's log lines of the consumer that reads the position: -vv only. */
static void
consumer_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void) rk;
	(void) level;
	log_debug("kafka (position reader): %s: %s", fac, buf);
}

static void
consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void) rk;
	(void) err;
	(void) opaque;
	log_debug("kafka (position reader): %s", reason);
}

/*
 * Create the position topic, compacted, unless it exists.  A failure
 * other than "exists" is only a warning here: reading the topic tells
 * whether it is usable.
 */
static void
create_topic(kw_txn *t)
{
	char errstr[512];
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_AdminOptions_t *ao;
	rd_kafka_event_t *ev;

	nt = rd_kafka_NewTopic_new(t->o.topic, 1, -1, errstr, sizeof(errstr));
	if (nt == NULL)
	{
		log_warn("could not describe the position topic \"%s\": %s", t->o.topic, errstr);
		return;
	}
	rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
	q = rd_kafka_queue_new(t->rk);
	ao = rd_kafka_AdminOptions_new(t->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(ao, (int) (t->o.init_timeout * 1000), errstr,
												sizeof(errstr));
	rd_kafka_CreateTopics(t->rk, &nt, 1, ao, q);
	ev = rd_kafka_queue_poll(q, (int) (t->o.init_timeout * 1000) + 1000);
	if (ev == NULL)
		log_warn("creating the position topic \"%s\" timed out", t->o.topic);
	else if (rd_kafka_event_error(ev))
		log_warn("could not create the position topic \"%s\": %s", t->o.topic,
				 rd_kafka_event_error_string(ev));
	else
	{
		const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
		size_t n = 0;
		const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);

		if (n == 1 && rd_kafka_topic_result_error(tr[0]) == RD_KAFKA_RESP_ERR_NO_ERROR)
			log_info("created the position topic \"%s\" (cleanup.policy=compact)", t->o.topic);
		else if (n == 1 &&
				 rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			log_warn("could not create the position topic \"%s\": %s", t->o.topic,
					 rd_kafka_topic_result_error_string(tr[0]));
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
}

/*
 * Take a position record's value.  A null value (a tombstone) forgets
 * the position.  Returns 0, or -1 when the value cannot be read.
 */
static int
take_record(kw_txn *t, const rd_kafka_message_t *m)
{
	const char *s = m->payload;
	size_t n = m->len;
	json_error jerr;
	json_span v;
	kw_pos p = {0, 0, 1};
	uint64_t end_lsn = 0;

	if (s == NULL)
	{
		t->have_committed = false;
		memset(&t->committed, 0, sizeof(t->committed));
		t->committed_end_lsn = 0;
		return 0;
	}
	if (json_validate(s, n, &jerr) != 0 || !json_member(s, n, "commit_lsn", 10, &v) ||
		span_lsn(v, &p.lsn) != 0 || !json_member(s, n, "seq", 3, &v) || span_u64(v, &p.seq) != 0 ||
		!json_member(s, n, "end_lsn", 7, &v) || span_lsn(v, &end_lsn) != 0)
		return -1;
	if (json_member(s, n, "snapshot", 8, &v) && json_kind(v) == 't')
		p.phase = 0;
	t->have_committed = true;
	t->committed = p;
	t->committed_end_lsn = end_lsn;
	t->committed_part = m->partition;
	t->committed_off = m->offset;
	return 0;
}

/*
 * An error to wait out while reading the position topic: a partition
 * leader moving or a broker restarting (a rolling restart), not a refusal.
 */
static bool
position_error_passes(rd_kafka_resp_err_t err)
{
	switch (err)
	{
		case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
		case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
		case RD_KAFKA_RESP_ERR__AUTHENTICATION:
		case RD_KAFKA_RESP_ERR__SSL:
		case RD_KAFKA_RESP_ERR__FATAL:
		case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
			return false;
		default:
			return true;
	}
}

/*
 * Read partition part of the position topic to its end as of now, taking
 * the records keyed with our id.  A leader that moves meanwhile is waited
 * for, up to the start-up timeout.  Returns 0, or an exit status.
 */
static int
read_partition(kw_txn *t, rd_kafka_t *ck, rd_kafka_topic_t *rkt, int32_t part)
{
	int64_t lo = 0, hi = 0;
	double deadline = clock_mono_s() + t->o.init_timeout;
	rd_kafka_resp_err_t err;
	size_t idlen = strlen(t->o.id);
	int rc = EXIT_OK;

	for (;;)
	{
		double left = deadline - clock_mono_s();

		err = rd_kafka_query_watermark_offsets(ck, t->o.topic, part, &lo, &hi,
											   left > 1 ? (int) (left * 1000) : 1000);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			break;
		if (!position_error_passes(err) || clock_mono_s() + 0.2 > deadline)
		{
			log_error("could not read the position topic \"%s\" [%d]: %s", t->o.topic, (int) part,
					  rd_kafka_err2str(err));
			return EXIT_ERROR;
		}
		log_info("position topic \"%s\" [%d]: %s; trying again", t->o.topic, (int) part,
				 rd_kafka_err2str(err));
		usleep(200000);
	}
	if (hi <= lo)
		return EXIT_OK;
	if (rd_kafka_consume_start(rkt, part, RD_KAFKA_OFFSET_BEGINNING) != 0)
	{
		log_error("could not read the position topic \"%s\" [%d]: %s", t->o.topic, (int) part,
				  rd_kafka_err2str(rd_kafka_last_error()));
		return EXIT_ERROR;
	}
	/*
	 * Read committed records up to the high watermark seen after
	 * init_transactions: that includes the last position this id
	 * committed.  The end of the partition is where the fetcher reports
	 * it (the last stable offset), which can lie before the watermark
	 * while another pipeline's transaction is open: read on until it
	 * passes.
	 */
	for (;;)
	{
		rd_kafka_message_t *m;

		if (clock_mono_s() > deadline)
		{
			log_error("could not read the position topic \"%s\" [%d] to offset %" PRId64
					  " within %gs",
					  t->o.topic, (int) part, hi, t->o.init_timeout);
			rc = EXIT_ERROR;
			break;
		}
		m = rd_kafka_consume(rkt, part, 200);
		if (m == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		{
			bool done = m->offset >= hi;

			rd_kafka_message_destroy(m);
			if (done)
				break;
			continue;
		}
		if (m->err && position_error_passes(m->err))
		{
			/* a leader moving: the fetcher finds the new one, within the deadline */
			log_info("position topic \"%s\" [%d]: %s; reading on", t->o.topic, (int) part,
					 rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		if (m->err)
		{
			log_error("could not read the position topic \"%s\" [%d]: %s", t->o.topic, (int) part,
					  rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			rc = EXIT_ERROR;
			break;
		}
		if (m->key_len == idlen && memcmp(m->key, t->o.id, idlen) == 0 && take_record(t, m) != 0)
		{
			log_error("the position record at offset %" PRId64
					  " of topic \"%s\" [%d] cannot be read (not written by kafka-write?)",
					  m->offset, t->o.topic, (int) part);
			rd_kafka_message_destroy(m);
			rc = EXIT_ERROR;
			break;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consume_stop(rkt, part);
	return rc;
}

/* Read the committed position back.  cconf is taken over. */
static int
read_position(kw_txn *t, rd_kafka_conf_t *cconf)
{
	char errstr[512];
	rd_kafka_t *ck;
	rd_kafka_topic_t *rkt;
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_resp_err_t err;
	int rc = EXIT_OK;

	/* the end of a partition is an empty fetch: do not let the broker hold it */
	if (rd_kafka_conf_set(cconf, "enable.partition.eof", "true", errstr, sizeof(errstr)) ||
		rd_kafka_conf_set(cconf, "isolation.level", "read_committed", errstr, sizeof(errstr)) ||
		rd_kafka_conf_set(cconf, "fetch.wait.max.ms", "10", errstr, sizeof(errstr)))
	{
		log_error("could not configure the position reader: %s", errstr);
		rd_kafka_conf_destroy(cconf);
		return EXIT_ERROR;
	}
	rd_kafka_conf_set_log_cb(cconf, consumer_log_cb);
	rd_kafka_conf_set_error_cb(cconf, consumer_error_cb);
	ck = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof(errstr));
	if (ck == NULL)
	{
		log_error("could not create the position reader: %s", errstr);
		rd_kafka_conf_destroy(cconf);
		return EXIT_ERROR;
	}
	/* rd_kafka_new() took ownership of cconf */
	rkt = rd_kafka_topic_new(ck, t->o.topic, NULL);
	err = rd_kafka_metadata(ck, 0, rkt, &md, (int) (t->o.init_timeout * 1000));
	if (err || md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1)
	{
		log_error("could not find the position topic \"%s\": %s", t->o.topic,
				  rd_kafka_err2str(err ? err
								   : md->topic_cnt == 1 && md->topics[0].err
									   ? md->topics[0].err
									   : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
		rc = EXIT_ERROR;
	}
	else
		for (int i = 0; i < md->topics[0].partition_cnt && rc == EXIT_OK; i++)
			rc = read_partition(t, ck, rkt, md->topics[0].partitions[i].id);
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(ck);
	return rc;
}

int
kw_txn_start(kw_txn *t, const kw_txn_opts *o, rd_kafka_t *rk, rd_kafka_conf_t *cconf)
{
	rd_kafka_error_t *err;
	int rc;

	memset(t, 0, sizeof(*t));
	t->o = *o;
	t->rk = rk;
	create_topic(t);
	err = rd_kafka_init_transactions(rk, (int) (o->init_timeout * 1000));
	if (err)
	{
		rd_kafka_conf_destroy(cconf);
		if (rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR__TIMED_OUT)
		{
			log_error("could not initialise transactions within %gs: %s", o->init_timeout,
					  rd_kafka_error_string(err));
			log_error("hint: are the brokers reachable, and do they allow transactions "
					  "(transaction.state.log.replication.factor no more than the brokers)?");
			rd_kafka_error_destroy(err);
			return EXIT_TXN_REFUSED;
		}
		rc = txn_error("initialise transactions", err);
		return rc == EXIT_DELIVERY ? EXIT_TXN_REFUSED : rc;
	}
	rc = read_position(t, cconf);
	if (rc != EXIT_OK)
		return rc;
	t->pos_rkt = rd_kafka_topic_new(rk, o->topic, NULL);
	if (t->have_committed)
	{
		char a[LSN_BUFLEN], b[LSN_BUFLEN];

		log_info("position of \"%s\" in Kafka: %s%s seq %" PRIu64 ", transactions complete up "
				 "to %s (topic \"%s\" [%d] offset %" PRId64 ")",
				 o->id, lsn_format(t->committed.lsn, a),
				 t->committed.phase == 0 ? " (snapshot)" : "", t->committed.seq,
				 lsn_format(t->committed_end_lsn, b), o->topic, (int) t->committed_part,
				 t->committed_off);
	}
	else
		log_info("no position of \"%s\" in Kafka yet: every input event is new", o->id);
	return EXIT_OK;
}

int
kw_txn_begin(kw_txn *t, double now)
{
	rd_kafka_error_t *err;

	if (t->open)
		return EXIT_OK;
	err = rd_kafka_begin_transaction(t->rk);
	if (err)
		return txn_error("begin a Kafka transaction", err);
	t->open = true;
	t->opened = now;
	t->msgs = 0;
	t->have_pending = t->have_committed;
	t->pending = t->committed;
	t->pending_end_lsn = t->committed_end_lsn;
	return EXIT_OK;
}

bool
kw_txn_due(const kw_txn *t, double now)
{
	return t->open && (t->msgs >= t->o.max_msgs || now - t->opened >= t->o.interval);
}

/* Produce the pending position into the open transaction. */
static rd_kafka_resp_err_t
produce_position(kw_txn *t)
{
	strbuf v = STRBUF_INIT;
	bool first = true;
	char b[LSN_BUFLEN];
	rd_kafka_resp_err_t err;

	strbuf_putc(&v, '{');
	json_key(&v, &first, "transactional_id");
	json_string(&v, t->o.id, strlen(t->o.id));
	json_key(&v, &first, "commit_lsn");
	lsn_format(t->pending.lsn, b);
	json_string(&v, b, strlen(b));
	json_key(&v, &first, "seq");
	strbuf_u64(&v, t->pending.seq);
	json_key(&v, &first, "snapshot");
	strbuf_puts(&v, t->pending.phase == 0 ? "true" : "false");
	json_key(&v, &first, "end_lsn");
	lsn_format(t->pending_end_lsn, b);
	json_string(&v, b, strlen(b));
	strbuf_putc(&v, '}');
	/* delivery report opaque 0: not an input line (see dr_cb) */
	err = rd_kafka_producev(
		t->rk, RD_KAFKA_V_RKT(t->pos_rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_VALUE(v.data, v.len), RD_KAFKA_V_KEY(t->o.id, strlen(t->o.id)),
		RD_KAFKA_V_OPAQUE(NULL), RD_KAFKA_V_END);
	strbuf_free(&v);
	return err;
}

int
kw_txn_commit(kw_txn *t)
{
	rd_kafka_error_t *err = NULL;

	if (!t->open)
		return EXIT_OK;
	if (t->have_pending && (!t->have_committed || kw_pos_cmp(&t->pending, &t->committed) != 0 ||
							t->pending_end_lsn != t->committed_end_lsn))
	{
		rd_kafka_resp_err_t perr = produce_position(t);

		if (perr)
		{
			log_error("could not produce the position to topic \"%s\": %s", t->o.topic,
					  rd_kafka_err2str(perr));
			kw_txn_abort(t);
			return perr == RD_KAFKA_RESP_ERR__FATAL ? EXIT_KAFKA_FATAL : EXIT_DELIVERY;
		}
	}
	for (int i = 0;; i++)
	{
		err = rd_kafka_commit_transaction(t->rk, -1);
		if (err == NULL)
			break;
		if (rd_kafka_error_is_retriable(err) && i < COMMIT_RETRIES)
		{
			log_warn("committing the Kafka transaction: %s (retrying)", rd_kafka_error_string(err));
			rd_kafka_error_destroy(err);
			continue;
		}
		if (rd_kafka_error_txn_requires_abort(err))
		{
			int rc = txn_error("commit the Kafka transaction", err);

			kw_txn_abort(t);
			return rc;
		}
		t->open = false;
		return txn_error("commit the Kafka transaction", err);
	}
	t->open = false;
	t->commits++;
	if (t->have_pending)
	{
		t->have_committed = true;
		t->committed = t->pending;
		t->committed_end_lsn = t->pending_end_lsn;
	}
	return EXIT_OK;
}

void
kw_txn_abort(kw_txn *t)
{
	rd_kafka_error_t *err;

	if (!t->open)
		return;
	t->open = false;
	if (rd_kafka_fatal_error(t->rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return; /* nothing can be done with this producer; the broker aborts it */
	err = rd_kafka_abort_transaction(t->rk, -1);
	if (err)
	{
		log_warn("could not abort the Kafka transaction: %s", rd_kafka_error_string(err));
		rd_kafka_error_destroy(err);
	}
	else
		log_warn("Kafka transaction aborted: its messages are not visible to read_committed "
				 "consumers, and a restart writes them again");
}

void
kw_txn_destroy(kw_txn *t)
{
	if (t->pos_rkt)
		rd_kafka_topic_destroy(t->pos_rkt);
	t->pos_rkt = NULL;
}
