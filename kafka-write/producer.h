/*
 * producer.h
 *	The librdkafka side: configuration (-X, -F files in kcat's format,
 *	kafka-write's defaults), the producer handle, a cache of topic
 *	handles, and the delivery report and error callbacks that feed the
 *	acknowledgement tracker.
 */
#ifndef KW_PRODUCER_H
#define KW_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "ack.h"

/*
 * kafka-write's defaults, set before any -X or -F so that those override
 * them.  Returns 0, or -1 with errstr filled.
 */
int kw_conf_defaults(rd_kafka_conf_t *conf, char *errstr, size_t errlen);

/*
 * What the command line's -X and -F set that kafka-write would otherwise
 * choose itself, noted by kw_conf_setkv and kw_conf_file.
 */
typedef struct kw_conf_seen
{
	bool queue_kbytes; /* queue.buffering.max.kbytes */
} kw_conf_seen;

/* kafka-write's default queue.buffering.max.kbytes (see the man page) */
#define KW_QUEUE_KBYTES_DEFAULT 4096

/*
 * Size librdkafka's queue: queue.buffering.max.kbytes as given with -X or
 * -F (seen, from kw_conf_setkv and kw_conf_file), which must hold the longest line
 * allowed (maxline bytes; librdkafka does not count keys), else
 * KW_QUEUE_KBYTES_DEFAULT grown to hold it.  Returns 0, or -1 with errstr
 * filled.
 */
int kw_conf_fit_queue(rd_kafka_conf_t *conf, const kw_conf_seen *seen, size_t maxline, char *errstr,
					  size_t errlen);

/*
 * Apply "name=value", noting in *seen what it sets.  Returns 0, or -1
 * with errstr filled.  Errors (here
 * and in kw_conf_file) name the property and never show a value, nor
 * anything after a name's last name character.
 */
int kw_conf_setkv(rd_kafka_conf_t *conf, kw_conf_seen *seen, const char *kv, char *errstr,
				  size_t errlen);

/*
 * Apply a properties file: "name=value" lines, blank lines and lines
 * starting with '#' ignored, whitespace around name and value trimmed.
 * Returns 0, or -1 with "FILE:LINE: reason" in errstr.
 */
int kw_conf_file(rd_kafka_conf_t *conf, kw_conf_seen *seen, const char *path, char *errstr,
				 size_t errlen);

/* Is property name set (to a non-empty value) in conf? */
bool kw_conf_isset(const rd_kafka_conf_t *conf, const char *name);

typedef struct kw_topic_ent
{
	char *name;            /* owned */
	rd_kafka_topic_t *rkt; /* owned */
	size_t max_bytes;      /* the topic's max.message.bytes, 0 if not known */
} kw_topic_ent;

/* The broker's default message.max.bytes (and so a topic's max.message.bytes) */
#define KW_BROKER_MAX_BYTES 1048588

typedef struct kw_producer
{
	rd_kafka_t *rk;
	kw_ack *ack;          /* not owned */
	kw_topic_ent *topics; /* open-addressing hash table */
	size_t tcap, tcount;
	const kw_topic_ent *last; /* the entry found last: lines come in runs of one topic */
	/* the first failed delivery report */
	rd_kafka_resp_err_t fail_err;
	char fail_msg[512];
	/* a fatal error (rd_kafka_fatal_error), seen from the error callback */
	volatile bool fatal;
	rd_kafka_resp_err_t fatal_err;
	char fatal_msg[512];
	/* message.max.bytes of the producer */
	size_t max_bytes;
	/*
	 * Called from a delivery report in which the broker refused a message
	 * as too large; returns true when the message was kept aside (its line
	 * then counts as done), false to count it as failed.  NULL: failed.
	 */
	bool (*too_large_cb)(void *arg, const rd_kafka_message_t *m);
	void *too_large_arg;
	/* a topic name refused by kw_producer_topic as colliding with another */
	bool collision;
	/* exactly once: warn of a topic with a partition on one broker only */
	bool check_replicas;
	/*
	 * The partitions delivered to in this run (topic handle, partition),
	 * counted up to KW_PARTS_MAX: how many batches a burst of lines may
	 * fill at once (writer.c, end_burst).
	 */
#define KW_PARTS_MAX 512
	struct
	{
		const rd_kafka_topic_t *rkt;
		int32_t partition;
	} parts[2 * KW_PARTS_MAX];
	unsigned nparts;
	/* the kinds of error printed lately, to print a burst of each once */
#define KW_ERR_SEEN 8
	int seen_err[KW_ERR_SEEN];
	long seen_time[KW_ERR_SEEN];
} kw_producer;

/*
 * Create the producer.  conf is always taken over (destroyed on failure,
 * owned by librdkafka on success): the caller must not use it afterwards.
 * Returns 0, or -1 with errstr filled.
 */
int kw_producer_new(kw_producer *p, rd_kafka_conf_t *conf, kw_ack *ack, char *errstr,
					size_t errlen);

/*
 * The topic handle for name, created on first use; owned by p.  NULL after
 * logging when it cannot be created, or (p->collision set) when name
 * collides with a topic used before in this run: Kafka takes '.' and '_'
 * for the same character in its metric names and refuses a topic whose
 * name differs from an existing one only there (kw_topic_collide).
 */
rd_kafka_topic_t *kw_producer_topic(kw_producer *p, const char *name);

/*
 * The topic's max.message.bytes, 0 if not known.  Asked of the broker
 * (DescribeConfigs, once per topic, when it is first used) only when the
 * producer's message.max.bytes is above KW_BROKER_MAX_BYTES: a message
 * over the broker's limits then is not refused by librdkafka, and one over
 * the broker's socket.request.max.bytes ends in disconnects, not an error.
 */
size_t kw_producer_topic_max(kw_producer *p, const char *name);

/* Do topic names a and b collide in Kafka ('.' and '_' taken as one)? */
bool kw_topic_collide(const char *a, const char *b);

/*
 * Produce one message (value NULL: a tombstone), the delivery report
 * carrying seq.  The value, key and headers are copied.  When librdkafka's
 * queue is full, serves delivery reports and retries, giving up only on a
 * stop signal or a fatal error.  Returns RD_KAFKA_RESP_ERR_NO_ERROR or the
 * error (then nothing was produced).
 */
rd_kafka_resp_err_t kw_producer_send(kw_producer *p, rd_kafka_topic_t *rkt, int32_t partition,
									 const void *value, size_t vlen, const void *key, size_t klen,
									 const rd_kafka_headers_t *hdrs, uint64_t seq);

/* Destroy the topic handles and the producer (after flushing). */
void kw_producer_destroy(kw_producer *p);

#endif
