/*
 * txn.h
 *	Exactly-once delivery: Kafka transactions, and the pipeline's position
 *	kept in Kafka itself.
 *
 *	With a transactional id, kafka-write produces inside Kafka transactions
 *	and writes, in each transaction, one record to the position topic
 *	(compacted, key = the transactional id) holding the position of the
 *	last input event the transaction carries.  A consumer reading with
 *	isolation.level=read_committed sees the events and the position
 *	appear together or not at all.  On start, the committed position is
 *	read back, and every input event at or before it is dropped: a restart
 *	that re-reads old changes writes nothing twice, whatever host it runs
 *	on and whatever files it has.
 *
 *	Positions order pgwal-read's events along the stream (see
 *	kw_pos_of_event): (lsn, phase, seq), with phase 0 for the rows of an
 *	initial snapshot or a backfill and 1 for the changes streamed from the
 *	slot, so that a transaction committing exactly at a snapshot's
 *	consistent point still comes after the snapshot's rows.
 *
 *	The position record's value is one JSON object:
 *
 *		{"transactional_id":"shop","commit_lsn":"0/16B3900","seq":3,
 *		 "snapshot":false,"end_lsn":"0/16B3930"}
 *
 *	end_lsn is that of the last PostgreSQL transaction complete in Kafka
 *	("0/0" before the first).
 */
#ifndef KW_TXN_H
#define KW_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "jsonscan.h"

/* A position along pgwal-read's output; see above. */
typedef struct kw_pos
{
	uint64_t lsn;
	uint64_t seq;
	uint8_t phase; /* 0 snapshot or backfill row, 1 streamed */
} kw_pos;

/* <0, 0, >0 as a is before, at, after b. */
int kw_pos_cmp(const kw_pos *a, const kw_pos *b);

/* What kind of line kw_pos_of_event found. */
typedef enum kw_pos_kind
{
	KW_POS_NONE,  /* no position: not one of pgwal-read's events */
	KW_POS_EVENT, /* *pos set */
	KW_POS_BAD    /* a position member that cannot be read: *why set */
} kw_pos_kind;

/*
 * The position of a validated line, from its top-level members (found
 * through idx, or by walking the line):
 *	begin           (commit_lsn, 0)
 *	change, truncate, transactional message, read
 *	                (commit_lsn, seq); a backfill's null commit_lsn is 0
 *	commit          (lsn, events + 1)
 *	message with end_lsn, outside a transaction   (end_lsn, 0)
 * phase 0 for op "read" and for lines with "snapshot":true.
 */
kw_pos_kind kw_pos_of_event(const char *line, size_t len, const json_index *idx, json_span op,
							kw_pos *pos, const char **why);

typedef struct kw_txn_opts
{
	const char *id;         /* transactional.id (not owned) */
	const char *topic;      /* the position topic (not owned) */
	double interval;        /* commit at least this often, seconds */
	unsigned long max_msgs; /* ... and after this many messages */
	double init_timeout;    /* seconds for start-up requests */
} kw_txn_opts;

typedef struct kw_txn
{
	kw_txn_opts o;
	rd_kafka_t *rk;            /* the producer (not owned) */
	rd_kafka_topic_t *pos_rkt; /* the position topic (owned) */
	bool open;                 /* a Kafka transaction is under way */
	double opened;             /* when it began (monotonic seconds) */
	unsigned long msgs;        /* messages produced in it */
	/* committed: in Kafka, read back at start or committed since */
	bool have_committed;
	kw_pos committed;
	uint64_t committed_end_lsn;
	/* where that position was read at start (partition, offset), for the log */
	int32_t committed_part;
	int64_t committed_off;
	/* pending: carried by the open transaction */
	bool have_pending;
	kw_pos pending;
	uint64_t pending_end_lsn;
	uint64_t dropped; /* input events dropped as already in Kafka */
	uint64_t commits; /* Kafka transactions committed */
} kw_txn;

/*
 * Prepare exactly-once delivery on the transactional producer rk: create
 * the position topic when missing (compacted), initialise transactions
 * (which fences any older producer with the same id and finishes its
 * transaction), and read the committed position back with a consumer made
 * from cconf (taken over, always).  Returns an exit status: EXIT_OK, or
 * the failure's after logging it.
 */
int kw_txn_start(kw_txn *t, const kw_txn_opts *o, rd_kafka_t *rk, rd_kafka_conf_t *cconf);

/* Begin a Kafka transaction unless one is open.  Returns an exit status. */
int kw_txn_begin(kw_txn *t, double now);

/* Is a commit due (time or size)? */
bool kw_txn_due(const kw_txn *t, double now);

/*
 * Write the pending position and commit the open transaction (nothing to
 * do when none is open).  On success the pending position becomes the
 * committed one.  Returns an exit status; on failure the transaction was
 * aborted or the producer is unusable, and nothing of it may be
 * acknowledged.
 */
int kw_txn_commit(kw_txn *t);

/* Abort the open transaction, if any (on the way out after a failure). */
void kw_txn_abort(kw_txn *t);

/* The exit status for a fatal producer error (fenced or otherwise). */
int kw_txn_fatal_status(rd_kafka_resp_err_t err);

void kw_txn_destroy(kw_txn *t);

#endif
