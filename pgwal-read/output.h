/*
 * output.h
 *	The one module that writes to stdout (or any fd), in two ways.
 *
 *	output: the stream's event writer, a buffer in front of the fd that knows
 *	where each transaction's bytes end, so that the stream loop can tell
 *	which commit LSNs have been handed to the reader.
 *
 *	On a pipe or socket the fd is switched to non-blocking while streaming,
 *	so that a slow reader never stops pgwal-read from answering the
 *	server's keepalives; output_close() restores its flags.  A terminal
 *	stays blocking: its open file is shared with the shell, which must not
 *	inherit O_NONBLOCK if pgwal-read is killed.
 */
#ifndef PGWAL_OUTPUT_H
#define PGWAL_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

typedef struct out_mark
{
	uint64_t offset; /* absolute byte offset just past the commit line */
	uint64_t end_lsn;
} out_mark;

typedef struct output
{
	int fd;
	bool is_file; /* regular file: fsync makes it durable */
	bool restore_flags;
	int saved_flags;
	strbuf buf; /* pending bytes start at buf.data + head */
	size_t head;
	uint64_t written;  /* bytes ever written to fd */
	char last_written; /* the last of them */
	bool full;         /* the last write found a pipe full: wait before the next */
	out_mark *marks;   /* commits not yet written, oldest first */
	size_t nmarks, capmarks;
	uint64_t written_lsn; /* end_lsn of the last commit fully written */
	uint64_t synced_lsn;  /* ... and fsynced (regular files) */
	uint64_t mark_lsn;    /* end_lsn of the last commit appended */
	uint64_t base;        /* regular file: its offset where our first byte went */
	uint64_t written_off; /* bytes written up to the end of written_lsn's commit */
	uint64_t synced_off;  /* ... of synced_lsn's commit */
} output;

void output_open(output *o, int fd);
/* Restore the fd's flags; the buffer is freed.  Does not close fd. */
void output_close(output *o);
/* The pending buffer, to which the decoder appends complete lines. */
static inline strbuf *
output_buf(output *o)
{
	return &o->buf;
}
static inline size_t
output_pending(const output *o)
{
	return o->buf.len - o->head;
}
/* Record that everything appended so far ends the transaction end_lsn. */
void output_mark_commit(output *o, uint64_t end_lsn);
/* Drop pending bytes after the last commit mark (a partial transaction). */
void output_drop_partial(output *o);
/*
 * Write what the fd takes without blocking (or everything, waiting up to
 * timeout_ms when block is true).  Returns 0, or -1 with errno set on a
 * write error (EPIPE when the reader is gone).
 */
int output_flush(output *o, bool block, int timeout_ms);
/* fsync a regular file and advance synced_lsn; 0 or -1 (errno). */
int output_sync(output *o);
/*
 * Regular file: cut it back to where our byte number off ends (written_off
 * or synced_off), dropping a line a failed write left half-written.  Pending
 * bytes are dropped.  Returns 0, or -1 (errno) if it could not be cut.
 */
int output_cut(output *o, uint64_t off);
/*
 * Regular file at start: if its last byte is not a newline (an earlier run
 * died in the middle of a write), cut the incomplete last line off.  Sets
 * *cut to the number of bytes removed.  Returns 0, or -1 (errno).
 */
int output_trim_fragment(output *o, uint64_t *cut);

/*
 * sink: a plain blocking writer for the one-shot actions (--peek,
 * --list-slots, backfills and the initial snapshot): lines are appended to
 * a buffer that goes to the fd in large writes.  Unlike output it keeps no
 * commit marks; it waits (poll) when the fd is non-blocking and full.
 */
typedef struct sink
{
	int fd;
	strbuf buf;       /* bytes not yet written */
	uint64_t written; /* bytes written so far */
	bool is_file;     /* a regular file: sink_sync() makes it durable */
} sink;

void sink_open(sink *s, int fd);
/* Free the buffer (pending bytes are dropped: sink_flush() first). */
void sink_close(sink *s);
/* Write everything pending.  0, or -1 with errno set (EPIPE: reader gone). */
int sink_flush(sink *s);
/* sink_flush() once 256 kB are pending; else nothing. */
int sink_maybe_flush(sink *s);
/* fsync a regular file (nothing for pipes and terminals).  0 or -1 (errno). */
int sink_sync(sink *s);
/* The message for a failed sink_flush(), with errno; EXIT_OUTPUT follows. */
void sink_report_error(void);

#endif
