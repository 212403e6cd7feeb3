/*
 * producer.c
 *	librdkafka configuration, producer and callbacks.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "producer.h"
#include "sig.h"
#include "xalloc.h"

int
kw_conf_defaults(rd_kafka_conf_t *conf, char *errstr, size_t errlen)
{
	/*
	 * Durability first: idempotence (no duplicates or reordering from
	 * retries) and acks from all in-sync replicas.  Java-compatible key
	 * placement.  linger.ms and batch.num.messages from measurement (see
	 * the man page): large batches, a wait short enough for the latency
	 * goal (p99 commit to Kafka within 20 ms).  The queue size is set
	 * by kw_conf_fit_queue, once the longest line is known.
	 */
	static const char *const defaults[][2] = {
		{"enable.idempotence", "true"},    {"acks", "all"},
		{"partitioner", "murmur2_random"}, {"linger.ms", "100"},
		{"batch.num.messages", "10000"},   {"compression.codec", "none"},
		{"client.id", "kafka-write"},
	};

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], errstr, errlen) !=
			RD_KAFKA_CONF_OK)
			return -1;
	return 0;
}

/*
 * How many leading bytes of s may be shown as a property name: the run of
 * characters librdkafka's names are made of, at most 128.  What follows (a
 * mistyped separator such as "sasl.password:S3cret", a value) is never
 * shown: it may be a secret.
 */
static int
shown_name_len(const char *s)
{
	int n = 0;

	while (n < 128 && (isalnum((unsigned char) s[n]) || s[n] == '.' || s[n] == '_' || s[n] == '-'))
		n++;
	return n;
}

/*
 * rd_kafka_conf_set, noting the properties kafka-write's defaults must not
 * touch.  librdkafka's own message for a bad value may quote the value, so
 * errstr gets kafka-write's message instead, naming the property only.
 */
static rd_kafka_conf_res_t
conf_set(rd_kafka_conf_t *conf, kw_conf_seen *seen, const char *name, const char *value,
		 char *errstr, size_t errlen)
{
	char rderr[512];
	rd_kafka_conf_res_t r;
	int shown = shown_name_len(name);

	/* queue.buffering.max.kbytes given with -X or -F: not kafka-write's to choose */
	if (strcmp(name, "queue.buffering.max.kbytes") == 0)
		seen->queue_kbytes = true;
	r = rd_kafka_conf_set(conf, name, value, rderr, sizeof(rderr));
	if (r == RD_KAFKA_CONF_UNKNOWN)
		snprintf(errstr, errlen, "no such property \"%.*s%s\"%s", shown, name,
				 name[shown] ? "..." : "",
				 name[shown] ? " (a character no property name has; the rest is not shown)" : "");
	else if (r != RD_KAFKA_CONF_OK)
		snprintf(errstr, errlen, "invalid value for property \"%.*s\" (the value is not shown)",
				 shown, name);
	return r;
}

int
kw_conf_fit_queue(rd_kafka_conf_t *conf, const kw_conf_seen *seen, size_t maxline, char *errstr,
				  size_t errlen)
{
	char val[32];
	size_t len = sizeof(val);
	long long kb, need = (long long) ((maxline + 1023) / 1024);

	if (seen->queue_kbytes)
	{
		if (rd_kafka_conf_get(conf, "queue.buffering.max.kbytes", val, &len) != RD_KAFKA_CONF_OK)
			return 0;
		kb = atoll(val);
		if (kb >= need)
			return 0;
		snprintf(errstr, errlen,
				 "queue.buffering.max.kbytes=%lld cannot hold a line of %zu bytes "
				 "(--max-line, message.max.bytes): set it to %lld or more",
				 kb, maxline, need);
		return -1;
	}
	/* kafka-write's default, grown to fit the longest line */
	kb = need > KW_QUEUE_KBYTES_DEFAULT ? need : KW_QUEUE_KBYTES_DEFAULT;
	snprintf(val, sizeof(val), "%lld", kb);
	return rd_kafka_conf_set(conf, "queue.buffering.max.kbytes", val, errstr, errlen) ==
				   RD_KAFKA_CONF_OK
			   ? 0
			   : -1;
}

int
kw_conf_setkv(rd_kafka_conf_t *conf, kw_conf_seen *seen, const char *kv, char *errstr,
			  size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char *name;
	int rc = 0;

	if (eq == NULL || eq == kv)
	{
		/* never echo the argument past the name: it may hold a secret */
		int shown = shown_name_len(kv);

		if (shown > 0)
			snprintf(errstr, errlen,
					 "\"%.*s\"%s is not of the form property=value (the value is not shown)", shown,
					 kv, kv[shown] ? "..." : "");
		else
			snprintf(errstr, errlen, "not of the form property=value (the value is not shown)");
		return -1;
	}
	name = xstrndup(kv, (size_t) (eq - kv));
	if (conf_set(conf, seen, name, eq + 1, errstr, errlen) != RD_KAFKA_CONF_OK)
		rc = -1;
	free(name);
	return rc;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char) *s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char) e[-1]))
		*--e = '\0';
	return s;
}

int
kw_conf_file(rd_kafka_conf_t *conf, kw_conf_seen *seen, const char *path, char *errstr,
			 size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t bufcap = 0;
	ssize_t r;
	int lineno = 0;
	int rc = 0;

	if (f == NULL)
	{
		snprintf(errstr, errlen, "could not open file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	while ((r = getline(&buf, &bufcap, f)) >= 0)
	{
		char *s = trim(buf);
		char *eq;
		char err[512];

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL || eq == s)
		{
			/* never echo the line: it may hold a secret */
			snprintf(errstr, errlen, "%s:%d: not of the form property=value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		if (conf_set(conf, seen, trim(s), trim(eq + 1), err, sizeof(err)) != RD_KAFKA_CONF_OK)
		{
			snprintf(errstr, errlen, "%s:%d: %s", path, lineno, err);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f))
	{
		snprintf(errstr, errlen, "could not read file \"%s\": %s", path, strerror(errno));
		rc = -1;
	}
	free(buf);
	fclose(f);
	return rc;
}

bool
kw_conf_isset(const rd_kafka_conf_t *conf, const char *name)
{
	char val[512];
	size_t len = sizeof(val);

	return rd_kafka_conf_get(conf, name, val, &len) == RD_KAFKA_CONF_OK && len > 1;
}

/* Count the partition of a delivered message once (p->nparts). */
static void
note_partition(kw_producer *p, const rd_kafka_topic_t *rkt, int32_t partition)
{
	size_t cap = sizeof(p->parts) / sizeof(p->parts[0]);
	size_t i = (((uintptr_t) rkt >> 4) * 31 + (uint32_t) partition) * 2654435761u % cap;

	if (p->nparts >= KW_PARTS_MAX)
		return;
	while (p->parts[i].rkt)
	{
		if (p->parts[i].rkt == rkt && p->parts[i].partition == partition)
			return;
		i = (i + 1) % cap;
	}
	p->parts[i].rkt = rkt;
	p->parts[i].partition = partition;
	p->nparts++;
}

/*
 * Delivery report, called from rd_kafka_poll()/rd_kafka_flush() in the
 * main thread: one per message, successful or not.
 */
static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	kw_producer *p = opaque;
	uint64_t seq = (uint64_t) (uintptr_t) m->_private;

	(void) rk;
	if ((m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
		 m->err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE) &&
		p->too_large_cb && p->too_large_cb(p->too_large_arg, m))
	{
		kw_ack_kept(p->ack, seq);
		return;
	}
	if (m->err && p->fail_err == RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		p->fail_err = m->err;
		snprintf(p->fail_msg, sizeof(p->fail_msg), "%s (topic %s, partition %d)",
				 rd_kafka_err2str(m->err), m->rkt ? rd_kafka_topic_name(m->rkt) : "?",
				 (int) m->partition);
	}
	/* the lines' partitions (seq 0: the exactly-once position record) */
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->rkt && seq != 0)
		note_partition(p, m->rkt, m->partition);
	kw_ack_report(p->ack, seq, m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* Errors librdkafka reports outside delivery reports (main thread). */
static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	kw_producer *p = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL)
	{
		if (!p->fatal)
		{
			p->fatal_err = rd_kafka_fatal_error(rk, p->fatal_msg, sizeof(p->fatal_msg));
			p->fatal = true;
		}
		return;
	}
	/* the same kind of error again within 10 s: only with -vv */
	{
		struct timespec ts;
		int oldest = 0;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (int i = 0; i < KW_ERR_SEEN; i++)
		{
			if (p->seen_err[i] == err && ts.tv_sec - p->seen_time[i] < 10)
			{
				log_debug("kafka: %s", reason);
				return;
			}
			if (p->seen_time[i] < p->seen_time[oldest])
				oldest = i;
		}
		p->seen_err[oldest] = err;
		p->seen_time[oldest] = ts.tv_sec;
	}
	log_warn("kafka: %s", reason);
}

/* librdkafka's own log lines (any thread): shown with -v / -vv. */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void) rk;
	if (level <= 4)
		log_info("kafka: %s: %s", fac, buf);
	else
		log_debug("kafka: %s: %s", fac, buf);
}

int
kw_producer_new(kw_producer *p, rd_kafka_conf_t *conf, kw_ack *ack, char *errstr, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->ack = ack;
	p->tcap = 16;
	p->topics = xcalloc(p->tcap, sizeof(kw_topic_ent));
	rd_kafka_conf_set_opaque(conf, p);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errlen);
	if (p->rk == NULL)
	{
		rd_kafka_conf_destroy(conf);
		free(p->topics);
		p->topics = NULL;
		return -1;
	}
	/* rd_kafka_new() took ownership of conf */
	{
		char val[32];
		size_t len = sizeof(val);

		if (rd_kafka_conf_get(rd_kafka_conf(p->rk), "message.max.bytes", val, &len) ==
			RD_KAFKA_CONF_OK)
			p->max_bytes = (size_t) atoll(val);
	}
	return 0;
}

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char) *s++) * 1099511628211ULL;
	return h;
}

static void
topics_grow(kw_producer *p)
{
	size_t ncap = p->tcap * 2;
	kw_topic_ent *nt = xcalloc(ncap, sizeof(kw_topic_ent));

	for (size_t i = 0; i < p->tcap; i++)
	{
		size_t j;

		if (p->topics[i].name == NULL)
			continue;
		j = hash_name(p->topics[i].name) & (ncap - 1);
		while (nt[j].name)
			j = (j + 1) & (ncap - 1);
		nt[j] = p->topics[i];
	}
	free(p->topics);
	p->topics = nt;
	p->tcap = ncap;
	p->last = NULL;
}

/*
 * Ask the broker for the topic's max.message.bytes (see
 * kw_producer_topic_max).  Blocks up to 10 s; 0 when it cannot be known
 * (a topic not created yet, no DESCRIBE_CONFIGS permission: said once).
 */
static size_t
describe_max_bytes(kw_producer *p, const char *name)
{
	char errstr[256];
	rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
	rd_kafka_AdminOptions_t *ao =
		rd_kafka_AdminOptions_new(p->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_queue_t *q = rd_kafka_queue_new(p->rk);
	rd_kafka_event_t *ev;
	size_t max = 0;
	const char *why = "no answer within 10 s";

	rd_kafka_AdminOptions_set_request_timeout(ao, 10000, errstr, sizeof(errstr));
	rd_kafka_DescribeConfigs(p->rk, &cr, 1, ao, q);
	ev = rd_kafka_queue_poll(q, 12000);
	if (ev && rd_kafka_event_error(ev))
		why = rd_kafka_event_error_string(ev);
	else if (ev)
	{
		const rd_kafka_DescribeConfigs_result_t *res = rd_kafka_event_DescribeConfigs_result(ev);
		size_t n = 0, ne = 0;
		const rd_kafka_ConfigResource_t **rs =
			res ? rd_kafka_DescribeConfigs_result_resources(res, &n) : NULL;
		const rd_kafka_ConfigEntry_t **ce;

		why = "no result";
		if (n == 1 && rd_kafka_ConfigResource_error(rs[0]) != RD_KAFKA_RESP_ERR_NO_ERROR)
			why = rd_kafka_err2str(rd_kafka_ConfigResource_error(rs[0]));
		else if (n == 1)
		{
			ce = rd_kafka_ConfigResource_configs(rs[0], &ne);
			for (size_t i = 0; i < ne; i++)
				if (strcmp(rd_kafka_ConfigEntry_name(ce[i]), "max.message.bytes") == 0 &&
					rd_kafka_ConfigEntry_value(ce[i]))
					max = (size_t) atoll(rd_kafka_ConfigEntry_value(ce[i]));
			why = "no max.message.bytes";
		}
	}
	if (max == 0)
		log_info("topic \"%s\": max.message.bytes not known (%s): messages over it fail in "
				 "their delivery report",
				 name, why);
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_ConfigResource_destroy(cr);
	return max;
}

/*
 * Exactly once: say so when a topic of a cluster of several brokers has a
 * partition with a single replica.  When that broker is down as a Kafka
 * transaction commits, the transaction coordinator skips the partition's
 * commit marker (it takes a partition without a leader for a deleted one),
 * and the producer's next abort then takes the messages there with it:
 * committed, and yet never visible to read_committed consumers.  A topic
 * not created yet is not checked.
 */
static void
warn_single_replica(kw_producer *p, rd_kafka_topic_t *rkt, const char *name)
{
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 0, rkt, &md, 5000);

	if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->broker_cnt > 1 && md->topic_cnt == 1 &&
		md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		const rd_kafka_metadata_topic_t *t = &md->topics[0];

		for (int i = 0; i < t->partition_cnt; i++)
			if (t->partitions[i].replica_cnt < 2)
			{
				log_warn("topic \"%s\" [%d] has one replica on a cluster of %d brokers: "
						 "while its broker is down, a Kafka transaction that commits can "
						 "lose its messages there",
						 name, (int) t->partitions[i].id, md->broker_cnt);
				log_warn("hint: exactly once needs replicated topics (replication factor 3, "
						 "min.insync.replicas 2)");
				break;
			}
	}
	if (md)
		rd_kafka_metadata_destroy(md);
}

size_t
kw_producer_topic_max(kw_producer *p, const char *name)
{
	size_t i;

	if (p->max_bytes <= KW_BROKER_MAX_BYTES)
		return 0;
	if (p->last && strcmp(p->last->name, name) == 0)
		return p->last->max_bytes;
	i = hash_name(name) & (p->tcap - 1);
	while (p->topics[i].name)
	{
		if (strcmp(p->topics[i].name, name) == 0)
			return p->topics[i].max_bytes;
		i = (i + 1) & (p->tcap - 1);
	}
	return 0;
}

rd_kafka_topic_t *
kw_producer_topic(kw_producer *p, const char *name)
{
	size_t i;

	if (p->last && strcmp(p->last->name, name) == 0)
		return p->last->rkt;
	i = hash_name(name) & (p->tcap - 1);
	while (p->topics[i].name)
	{
		if (strcmp(p->topics[i].name, name) == 0)
		{
			p->last = &p->topics[i];
			return p->topics[i].rkt;
		}
		i = (i + 1) & (p->tcap - 1);
	}
	for (size_t j = 0; j < p->tcap; j++)
		if (p->topics[j].name && kw_topic_collide(p->topics[j].name, name))
		{
			log_error("topic \"%s\" collides with topic \"%s\" used before in this run", name,
					  p->topics[j].name);
			log_error(
				"hint: Kafka takes '.' and '_' in topic names for the same character and refuses "
				"one of the two; route one of them elsewhere (-t, --topic-template)");
			p->collision = true;
			return NULL;
		}
	p->topics[i].name = xstrdup(name);
	p->topics[i].max_bytes = p->max_bytes > KW_BROKER_MAX_BYTES ? describe_max_bytes(p, name) : 0;
	p->topics[i].rkt = rd_kafka_topic_new(p->rk, name, NULL);
	if (p->topics[i].rkt == NULL)
	{
		/* only on a bad topic configuration; the name was checked before */
		log_error("could not create topic handle \"%s\": %s", name,
				  rd_kafka_err2str(rd_kafka_last_error()));
		free(p->topics[i].name);
		p->topics[i].name = NULL;
		return NULL;
	}
	if (p->check_replicas)
		warn_single_replica(p, p->topics[i].rkt, name);
	if (++p->tcount * 2 > p->tcap)
	{
		rd_kafka_topic_t *rkt = p->topics[i].rkt;

		topics_grow(p);
		return rkt;
	}
	return p->topics[i].rkt;
}

bool
kw_topic_collide(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '.' || *a == '_') && (*b == '.' || *b == '_')))
			return false;
	return *a == *b;
}

rd_kafka_resp_err_t
kw_producer_send(kw_producer *p, rd_kafka_topic_t *rkt, int32_t partition, const void *value,
				 size_t vlen, const void *key, size_t klen, const rd_kafka_headers_t *hdrs,
				 uint64_t seq)
{
	for (;;)
	{
		rd_kafka_headers_t *h = hdrs ? rd_kafka_headers_copy(hdrs) : NULL;
		rd_kafka_resp_err_t err;

		err = rd_kafka_producev(p->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
								RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
								RD_KAFKA_V_VALUE((void *) value, vlen), RD_KAFKA_V_KEY(key, klen),
								RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE((void *) (uintptr_t) seq),
								RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			return err; /* librdkafka owns h now */
		if (h)
			rd_kafka_headers_destroy(h);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return err;
		/*
		 * Full: have what is queued sent at once (linger.ms is long, see
		 * kafka-write(1), Producer defaults) and serve delivery reports to
		 * make room, never drop.  With nothing queued the message can
		 * never fit (a guard: main() sizes the queue for the longest line).
		 */
		if (sig_stop || p->fatal || rd_kafka_outq_len(p->rk) == 0)
			return err;
		rd_kafka_flush(p->rk, 100);
	}
}

void
kw_producer_destroy(kw_producer *p)
{
	for (size_t i = 0; i < p->tcap && p->topics; i++)
	{
		if (p->topics[i].name == NULL)
			continue;
		rd_kafka_topic_destroy(p->topics[i].rkt);
		free(p->topics[i].name);
	}
	free(p->topics);
	p->topics = NULL;
	if (p->rk)
		rd_kafka_destroy(p->rk);
	p->rk = NULL;
}
