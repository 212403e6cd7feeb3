/*
 * sink.h
 *	A plain blocking writer for the one-shot actions (--peek, --list-slots,
 *	backfills and the initial snapshot): lines are appended to a buffer
 *	that goes to the fd in large writes.  Unlike output.c it keeps no
 *	commit marks; it waits (poll) when the fd is non-blocking and full.
 */
#ifndef PGWAL_SINK_H
#define PGWAL_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

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
