/*
 * line.h
 *	What an input line is to kafka-write: the classification of one
 *	validated line, apart from routing and producing.  Pure: the line's
 *	bytes and its member index in, a small struct out; no state, no I/O,
 *	nothing allocated.  Spans point into the caller's line.
 *
 *	pgwal-read's lines (pgwal-events(7)) are told apart by their "op"
 *	member; any other line (not an object, no "op", another op) is data,
 *	produced as it is.
 */
#ifndef KW_LINE_H
#define KW_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jsonscan.h"
#include "txn.h"

typedef enum kw_line_kind
{
	KW_LINE_DATA,     /* a change or any other line: produced as it is */
	KW_LINE_BEGIN,    /* control line: not produced unless --tx-topic */
	KW_LINE_COMMIT,   /* control line, and an acknowledgement point */
	KW_LINE_DELETE,   /* data; --tombstones follows it with a tombstone */
	KW_LINE_UPDATE,   /* data; --tombstones buries a changed key */
	KW_LINE_TRUNCATE, /* data; with a topic template, one message per table */
	KW_LINE_MESSAGE   /* data; an acknowledgement point when it has end_lsn */
} kw_line_kind;

typedef struct kw_line
{
	kw_line_kind kind;
	bool has_op;  /* an object with an "op" member */
	json_span op; /* its value (the literal, quotes included) */

	/*
	 * An acknowledgement point: a commit line, or a message line with
	 * "end_lsn" (pgwal-read's non-transactional messages); end_lsn set.
	 */
	bool ackpoint;
	uint64_t end_lsn;
	json_span end_lsn_span; /* where end_lsn is in the line */

	/* exactly once (KW_LINE_POSITIONS): the position, see kw_pos_of_event */
	kw_pos_kind pos_kind;
	kw_pos pos;
	const char *pos_why; /* KW_POS_BAD: why (static) */
} kw_line;

#define KW_LINE_POSITIONS 0x1 /* read the position of pgwal-read's events */

/* A control line: begin or commit. */
static inline bool
kw_line_is_control(const kw_line *c)
{
	return c->kind == KW_LINE_BEGIN || c->kind == KW_LINE_COMMIT;
}

/*
 * Classify the validated line (len bytes; idx filled for it by
 * json_validate_index, or NULL).  Returns 0 with *out filled, or -1 when
 * an acknowledgement point's "end_lsn" cannot be read: out->ackpoint set,
 * the reason in *why (static) and its 1-based byte in *byte.  A position
 * that cannot be read is not an error here: out->pos_kind is KW_POS_BAD,
 * the caller decides (it matters only exactly once).
 */
int kw_line_classify(const char *line, size_t len, const json_index *idx, int flags, kw_line *out,
					 const char **why, size_t *byte);

#endif
