/*
 * decode.h
 *	Decoder of PostgreSQL's pgoutput logical replication messages
 *	(protocol versions 1 to 4) into newline-delimited JSON events, as
 *	described in pgwal-events(7).
 *
 *	The decoder needs no server: it is fed the payload of each XLogData
 *	message and appends complete JSON lines to a strbuf.  Normal
 *	transactions are emitted as they arrive; streamed (v2) and prepared
 *	(v3) transactions are spooled to an unlinked temporary file and emitted
 *	when they commit, so memory stays bounded either way.
 */
#ifndef PGWAL_DECODE_H
#define PGWAL_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct decoder decoder;

typedef struct decoder_opts
{
	int proto_version; /* 1..4, what was requested */

	/*
	 * Optional: look up primary-key column names of a relation, in the
	 * key's definition order, when the Relation message can't tell
	 * (REPLICA IDENTITY FULL or USING INDEX, or a format that needs the
	 * key's own order).  Returns number of names (>=0) filling *names
	 * (caller of the hook frees each name and the array with free()), or
	 * -1 if unknown.  May be NULL.  Called at
	 * most once per relation id and Relation message.
	 */
	int (*pk_lookup)(void *arg, uint32_t relid, char ***names);
	void *pk_arg;

	/* how events are written (copied); NULL: pgwal's format */
	const struct ev_opts *events;

	/*
	 * Optional, for the Debezium format: the typtype of a user-defined
	 * type (of its elements for an array type) into *kind.  0, or -1 when
	 * it could not be looked up.  Called once per type.
	 */
	int (*type_lookup)(void *arg, uint32_t oid, char *kind);
} decoder_opts;

typedef enum
{
	DEC_OK = 0,
	DEC_COMMIT = 1,
	DEC_ERROR = -1
} dec_status;

typedef struct dec_result
{
	/*
	 * DEC_COMMIT: end_lsn of the transaction just completed; or, for a
	 * non-transactional message sent outside any transaction, its own LSN
	 * (then also commit_lsn, and events 0)
	 */
	uint64_t end_lsn;
	uint64_t commit_lsn; /* DEC_COMMIT: LSN of its commit record */
	bool in_txn;         /* after this call: inside an open (non-streamed)
								 * transaction, or between Begin Prepare and
								 * Prepare */
	uint64_t events;     /* DEC_COMMIT: number of change events it produced */

	/*
	 * DEC_COMMIT: the transaction carried no event (PostgreSQL 13 and 14
	 * send Begin/Commit for transactions that changed nothing published):
	 * nothing was printed, not even begin and commit, and end_lsn is a
	 * position that no output line carries, confirmable like a
	 * keepalive's once everything printed before it is acknowledged
	 */
	bool empty;
} dec_result;

/* A new decoder; opts is copied.  Free with decoder_free(). */
decoder *decoder_new(const decoder_opts *opts);

/* Free the decoder, its caches and its spool file (closing the descriptor). */
void decoder_free(decoder *d);

/*
 * Decode one pgoutput message (the payload of one XLogData 'w' message).
 * wal_start/wal_end: the XLogData header's fields.  Appends zero or more
 * complete JSON lines ("...}\n") to out; never a partial line.  On
 * DEC_ERROR nothing is appended and decoder_error() says what is wrong:
 * message type, byte offset, and the LSN (wal_start), e.g.
 * "pgoutput message 'U' at 0/16B3748: truncated at byte 12 of 9 (tuple column 3)".
 * After DEC_ERROR the decoder may still be fed or freed safely, but what it
 * decodes then is unspecified: the caller is expected to stop.
 * res may be NULL.
 */
dec_status decoder_feed(decoder *d, const unsigned char *msg, size_t len, uint64_t wal_start,
						uint64_t wal_end, strbuf *out, dec_result *res);

/* The last error message; "" if none.  Owned by the decoder. */
const char *decoder_error(const decoder *d);

/*
 * Transactions held in the spool: streamed transactions not yet committed
 * or aborted, and prepared transactions not yet committed or rolled back.
 * Returns their number and, if oldest is not NULL, sets *oldest to the
 * smallest LSN at which one of them began (0 if none).
 *
 * Why it matters: once a PREPARE has been decoded, a restart that resumes
 * past it makes the server send only COMMIT PREPARED, and the changes are
 * gone.  The stream loop must therefore never confirm a flush position
 * beyond *oldest while a prepared transaction is pending (for streamed
 * transactions the server re-sends them after a restart anyway).
 */
size_t decoder_pending(const decoder *d, uint64_t *oldest);

#endif
