/*
 * ack.h
 *	Delivery tracking: which input lines are fully delivered, and the
 *	end_lsn that may therefore be acknowledged.
 *
 *	Every input line gets a sequence number (1, 2, ...) in reading order
 *	and a count of messages it produced (0 for a line that produces
 *	nothing: a control line not forwarded, a skipped bad line).  Delivery
 *	reports arrive in any order across partitions; the watermark is the
 *	highest sequence number such that every line up to it is complete.
 *	A commit line's end_lsn becomes acknowledgeable once the watermark
 *	reaches that line.  A failed message blocks the watermark for good.
 *
 *	Pure bookkeeping, no I/O and no librdkafka: unit-testable.
 */
#ifndef KW_ACK_H
#define KW_ACK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct kw_ack_commit
{
	uint64_t seq;
	uint64_t lsn;
} kw_ack_commit;

typedef struct kw_ack
{
	uint16_t *pending;      /* ring: messages still awaited per line */
	uint64_t cap;           /* ring size, a power of two */
	uint64_t base;          /* first line not yet complete */
	uint64_t next;          /* sequence number of the next line */
	kw_ack_commit *commits; /* ring of commits not yet passed */
	uint64_t ccap, chead, ccount;
	uint64_t acked_lsn; /* end_lsn of the latest complete commit (0: none) */
	uint64_t in_flight; /* messages produced, no report yet */
	uint64_t delivered; /* messages with a successful report */
	uint64_t failed;    /* messages with a failed report, or abandoned */
	uint64_t kept;      /* messages refused by Kafka but kept aside (dead-letter file) */
} kw_ack;

#define KW_ACK_FAILED 0x8000 /* flag in pending[]: the line can never complete */

void kw_ack_init(kw_ack *a);
void kw_ack_free(kw_ack *a);

/*
 * Register the next line, which produced nmsgs messages (< 0x8000).  When
 * is_commit, lsn is its end_lsn.  Returns the line's sequence number.
 */
uint64_t kw_ack_add(kw_ack *a, unsigned nmsgs, bool is_commit, uint64_t lsn);

/* One delivery report for a message of line seq. */
void kw_ack_report(kw_ack *a, uint64_t seq, bool ok);

/*
 * A failed delivery report for a message of line seq whose content was kept
 * elsewhere (the dead-letter file): counts as done, not as delivered.
 */
void kw_ack_kept(kw_ack *a, uint64_t seq);

/*
 * Line seq will not get `missing` of its announced messages (they could
 * not be produced): counts them as failed and blocks the watermark there.
 */
void kw_ack_abandon(kw_ack *a, uint64_t seq, unsigned missing);

/* Sequence number of the last line all of whose predecessors are complete. */
static inline uint64_t
kw_ack_watermark(const kw_ack *a)
{
	return a->base - 1;
}

#endif
