/*
 * position.h
 *	The position files of a pgwal-read run and their rules, in one place:
 *
 *		FILE			--checkpoint (written by pgwal-read) or --ack-file
 *						(written by the consumer): the end_lsn up to which
 *						everything was delivered
 *		FILE.confirmed	--ack-file: a keepalive position pgwal-read
 *						confirmed past the acknowledgement (written first)
 *		FILE.snapshot	the consistent point of a snapshot not yet
 *						acknowledged (snapshot.c)
 *
 *	Each file says whom it belongs to (the slot and the database system
 *	identifier; a pipeline is one slot on one system).  The rules:
 *
 *	- a file of another slot or system, or whose LSN is past the server's
 *	  WAL, is refused at start (EXIT_POSITION);
 *	- the slot ahead of the file is refused (EXIT_CHECKPOINT), unless
 *	  --allow-slot-ahead;
 *	- an --ack-file ahead of the slot is a position a previous run emitted
 *	  but the server never heard of: the run resumes from the slot's own
 *	  position and confirms the file's only once it has emitted it again
 *	  (a --checkpoint file, pgwal-read's own and written after the output
 *	  was made durable, is resumed from);
 *	- during a run only end_lsns this run emitted are confirmed: an
 *	  acknowledgement is lowered to the highest emitted end_lsn at or
 *	  before it (pos_acknowledged()).
 */
#ifndef PGWAL_POSITION_H
#define PGWAL_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct position
{
	const char *slot;
	const char *file;  /* --checkpoint or --ack-file, NULL if neither */
	bool own_file;     /* --checkpoint: pgwal-read writes file itself */
	char *record_path; /* --ack-file: FILE.confirmed, else NULL */
	bool have_file;    /* file existed at start */
	uint64_t file_lsn; /* its LSN at start */
	uint64_t recorded; /* the LSN in record_path */
	uint64_t sysid;    /* system recorded in the files, 0 if none */
	/* end_lsns emitted in this run and not yet acknowledged, oldest first */
	uint64_t *emitted;
	size_t nemitted, capemitted;
	uint64_t last_emitted; /* highest end_lsn emitted in this run, 0 if none */
	uint64_t warned_lsn;   /* an acknowledgement already reported as ahead */
	uint64_t ack_lsn;      /* the LSN last read from the consumer's file */
} position;

/*
 * Read the files at start and check that they can be written (a failure
 * found before any event goes out).  Returns 0 or the exit status, after
 * logging.  p owns record_path and the emitted list: pos_close() frees them.
 */
int pos_open(position *p, const char *slot, const char *checkpoint, const char *ack_file);
void pos_close(position *p);

/*
 * At connect: check the files against the server (system identifier sysid,
 * flushed WAL position wal, the slot's confirmed_flush_lsn) and say where
 * the acknowledged position starts (*acked, from the file, lowered to the
 * slot's position when the file is ahead of it).  Returns 0 or the exit
 * status after logging.  Only for the first connection of a run.
 */
int pos_check_start(position *p, uint64_t sysid, uint64_t wal, uint64_t slot_confirmed,
					bool allow_slot_ahead, uint64_t *acked);

/*
 * Read the consumer's --ack-file again (it changed): its LSN in *lsn and
 * p->ack_lsn.
 * Returns 0 or the exit status after logging (unreadable, another slot's
 * or system's).
 */
int pos_read_ack(position *p, uint64_t *lsn);

/* This run handed the commit ending at end_lsn to the output. */
void pos_emitted(position *p, uint64_t end_lsn);

/*
 * The consumer's file says lsn: the highest position this run emitted (and
 * wrote: at most written) at or before it, never below acked.  A file ahead
 * of everything emitted is reported (once per LSN) unless it is the file's
 * own position at start.
 */
uint64_t pos_acknowledged(position *p, uint64_t lsn, uint64_t written, uint64_t acked);

/* Write lsn to path, a file of ours, with the slot and the system. */
int pos_write(const position *p, const char *path, uint64_t lsn, uint64_t sysid);

/* FILE.snapshot beside the checkpoint or acknowledgement file; NULL if none (free it). */
char *pos_marker_path(const char *checkpoint, const char *ack_file);

/*
 * Before streaming: a snapshot begun with --checkpoint/--ack-file FILE
 * leaves FILE.snapshot until FILE reaches its consistent point.  Returns
 * EXIT_OK; EXIT_CHECKPOINT (message logged) while it is incomplete;
 * EXIT_POSITION when the marker is another slot's.
 */
int pos_check_marker(const char *slot, const char *checkpoint, const char *ack_file);

#endif
