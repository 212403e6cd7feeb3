/*
 * snapshot.h
 *	Tables read in one consistent snapshot and written as "read" events
 *	(pgwal-events(7)): backfills without a slot (--backfill) and the
 *	initial snapshot of a new slot (--create-slot --snapshot).
 *
 *	Each table is read with COPY (SELECT ...) TO STDOUT in text format,
 *	streamed row by row (memory stays bounded whatever the table's size),
 *	and each column's text is mapped to JSON by values.c from the column's
 *	type, exactly as pgoutput's text for the same value would be.
 */
#ifndef PGWAL_SNAPSHOT_H
#define PGWAL_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "copy.h"
#include "strbuf.h"

typedef struct snap_table
{
	const char *name;  /* SQL text, as the user wrote it (may be qualified) */
	const char *where; /* a filter (SQL), or NULL */
} snap_table;

typedef struct snapshot_opts
{
	const char *conninfo;
	const char *publication;  /* whose tables, when no table is given */
	const snap_table *tables; /* --backfill: the tables; none: the publication's */
	int ntables;
	const char *slot;             /* --snapshot: the slot to create */
	bool if_not_exists;           /* --snapshot: an existing slot means no snapshot */
	bool failover;                /* --snapshot: create a failover slot (17+) */
	const char *checkpoint;       /* --checkpoint FILE: written with the consistent point */
	const char *ack_file;         /* --ack-file FILE: the marker sits beside it */
	uint64_t *consistent_point;   /* --snapshot: set to the slot's consistent point */
	const struct ev_opts *events; /* how events are written; NULL: pgwal's format */
} snapshot_opts;

/* --backfill: the tables in one REPEATABLE READ READ ONLY transaction. */
int snapshot_backfill(const snapshot_opts *o);

/*
 * --create-slot --snapshot: create the slot exporting its snapshot, read
 * every table of the publication in it, end with a commit line at the
 * slot's consistent point; streaming (stream_run) may follow.  On a
 * failure before that commit line is written, the slot is dropped again.
 * With if_not_exists, an existing slot means no snapshot (EXIT_OK).
 */
int snapshot_initial(const snapshot_opts *o);

#endif
