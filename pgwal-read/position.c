/*
 * position.c
 *	The position files and their rules: see position.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "exitcodes.h"
#include "log.h"
#include "lsn.h"
#include "position.h"
#include "strbuf.h"
#include "xalloc.h"

/* Most emitted end_lsns remembered; past it every other old one is forgotten. */
#define EMITTED_MAX 65536

/* Read one file of ours or the consumer's; 0, 1 (absent) or an exit status. */
static int
read_owned(position *p, const char *path, ckpt *c)
{
	int rc = ckpt_read(path, c);

	if (rc < 0)
		return EXIT_CHECKPOINT;
	if (rc == 1)
		return 1;
	if (c->slot[0] && strcmp(c->slot, p->slot) != 0)
	{
		log_error("file \"%s\" belongs to slot \"%s\", not \"%s\": refused", path, c->slot,
				  p->slot);
		log_error("hint: each slot needs its own --ack-file or --checkpoint file");
		return EXIT_POSITION;
	}
	if (c->sysid && p->sysid && c->sysid != p->sysid)
	{
		log_error("files \"%s\" and \"%s\" belong to different database systems: refused", p->file,
				  path);
		return EXIT_POSITION;
	}
	if (c->sysid)
		p->sysid = c->sysid;
	return 0;
}

int
pos_open(position *p, const char *slot, const char *checkpoint, const char *ack_file)
{
	ckpt c;
	int rc;
	char b1[LSN_BUFLEN];

	memset(p, 0, sizeof(*p));
	p->slot = slot;
	p->file = checkpoint ? checkpoint : ack_file;
	p->own_file = checkpoint != NULL;
	if (p->file == NULL)
		return 0;
	rc = read_owned(p, p->file, &c);
	if (rc > 1)
		return rc;
	if (rc == 0)
	{
		p->have_file = true;
		p->file_lsn = c.lsn;
		log_info("resuming from %s (%s)", lsn_format(c.lsn, b1), p->file);
	}
	if (!p->own_file)
	{
		strbuf path = STRBUF_INIT;

		strbuf_printf(&path, "%s.confirmed", ack_file);
		p->record_path = strbuf_detach(&path);
		rc = read_owned(p, p->record_path, &c);
		if (rc > 1)
			return rc;
		if (rc == 0)
			p->recorded = c.lsn;
	}
	/* found now, before any event is written, not after the first transaction */
	if (ckpt_check_writable(p->own_file ? p->file : p->record_path) != 0)
	{
		log_error("hint: pgwal-read writes \"%s\"; its directory must exist and be writable",
				  p->own_file ? p->file : p->record_path);
		return EXIT_CHECKPOINT;
	}
	return 0;
}

void
pos_close(position *p)
{
	free(p->record_path);
	free(p->emitted);
	p->record_path = NULL;
	p->emitted = NULL;
}

/* A file LSN past the server's WAL was not written by this slot's pipeline here. */
static int
check_wal(const position *p, const char *path, uint64_t lsn, uint64_t wal)
{
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];

	if (lsn <= wal)
		return 0;
	log_error("file \"%s\" of slot \"%s\" is at %s, past the server's WAL at %s: refused, it was"
			  " not written for this slot on this server",
			  path, p->slot, lsn_format(lsn, b1), lsn_format(wal, b2));
	log_error("hint: check -d, -S and the file name; remove the file to resume from the slot's"
			  " own position");
	return EXIT_POSITION;
}

int
pos_check_start(position *p, uint64_t sysid, uint64_t wal, uint64_t slot_confirmed,
				bool allow_slot_ahead, uint64_t *acked)
{
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];
	uint64_t known = p->file_lsn > p->recorded ? p->file_lsn : p->recorded;
	int rc;

	*acked = 0;
	if (p->sysid && p->sysid != sysid)
	{
		log_error("file \"%s\" of slot \"%s\" was written for database system %" PRIu64
				  ", not %" PRIu64 ": refused",
				  p->file, p->slot, p->sysid, sysid);
		return EXIT_POSITION;
	}
	p->sysid = sysid;
	if (p->file == NULL)
		return 0;
	if ((p->have_file && (rc = check_wal(p, p->file, p->file_lsn, wal)) != 0) ||
		(p->record_path && (rc = check_wal(p, p->record_path, p->recorded, wal)) != 0))
		return rc;
	/*
	 * The slot must not be ahead of what we know was made durable: ahead
	 * means someone else moved it (advanced by hand, dropped and created
	 * again) and the changes in between are gone; never start over silently.
	 */
	if (p->have_file && !allow_slot_ahead && slot_confirmed > known)
	{
		log_error("slot \"%s\" is at %s, ahead of %s acknowledged in \"%s\": the changes between"
				  " were confirmed to the server but never acknowledged, and are gone",
				  p->slot, lsn_format(slot_confirmed, b1), lsn_format(known, b2), p->file);
		log_error("hint: was the slot advanced by hand, or dropped and created again?"
				  " resynchronise, or go on with --allow-slot-ahead");
		return EXIT_CHECKPOINT;
	}
	if (!p->have_file)
		return 0;
	*acked = p->file_lsn;
	if (p->file_lsn > slot_confirmed && !p->own_file)
	{
		/*
		 * A previous run emitted up to the consumer's position but the
		 * server never heard of it.  Only what this run emits may be
		 * confirmed: resume from the slot's own position; what lies between
		 * comes again (at least once) and is confirmed once acknowledged
		 * again.  (--checkpoint is pgwal-read's own file, written after the
		 * output was made durable: the run resumes from it, as before.)
		 */
		log_info("\"%s\" is at %s, ahead of slot \"%s\" at %s: resuming from the slot's position",
				 p->file, lsn_format(p->file_lsn, b1), p->slot, lsn_format(slot_confirmed, b2));
		*acked = slot_confirmed;
	}
	return 0;
}

int
pos_read_ack(position *p, uint64_t *lsn)
{
	ckpt c;
	int rc = read_owned(p, p->file, &c);

	*lsn = 0;
	if (rc > 1)
		return rc;
	if (rc == 1)
		return 0;
	*lsn = p->ack_lsn = c.lsn;
	return 0;
}

void
pos_emitted(position *p, uint64_t end_lsn)
{
	if (end_lsn > p->last_emitted)
		p->last_emitted = end_lsn;
	if (p->file == NULL || p->own_file)
		return; /* only an acknowledgement from outside needs the list */
	if (p->nemitted == p->capemitted)
	{
		if (p->capemitted < EMITTED_MAX)
		{
			p->capemitted = p->capemitted ? p->capemitted * 2 : 256;
			p->emitted = xrealloc(p->emitted, p->capemitted * sizeof(uint64_t));
		}
		else
		{
			/* forget every other one: an acknowledgement then maps lower (safe) */
			size_t j = 0;

			for (size_t i = 1; i < p->nemitted; i += 2)
				p->emitted[j++] = p->emitted[i];
			p->nemitted = j;
		}
	}
	p->emitted[p->nemitted++] = end_lsn;
}

uint64_t
pos_acknowledged(position *p, uint64_t lsn, uint64_t written, uint64_t acked)
{
	size_t i = 0;
	uint64_t upto = lsn < written ? lsn : written;
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];

	while (i < p->nemitted && p->emitted[i] <= upto)
	{
		if (p->emitted[i] > acked)
			acked = p->emitted[i];
		i++;
	}
	if (i > 0)
	{
		memmove(p->emitted, p->emitted + i, (p->nemitted - i) * sizeof(uint64_t));
		p->nemitted -= i;
	}
	if (lsn > p->last_emitted && lsn > p->file_lsn && lsn != p->warned_lsn)
	{
		log_warn("\"%s\" acknowledges %s, but this run emitted only up to %s: the file is ahead"
				 " of what was delivered; confirming at most %s",
				 p->file, lsn_format(lsn, b1), lsn_format(p->last_emitted, b2),
				 lsn_format(p->last_emitted, b2));
		p->warned_lsn = lsn;
	}
	return acked;
}

int
pos_write(const position *p, const char *path, uint64_t lsn, uint64_t sysid)
{
	ckpt c;

	memset(&c, 0, sizeof(c));
	c.lsn = lsn;
	snprintf(c.slot, sizeof(c.slot), "%s", p->slot);
	c.sysid = sysid;
	return ckpt_write(path, &c);
}

/* ----------------------------------------------------------------
 * FILE.snapshot: an initial snapshot not yet acknowledged
 * ---------------------------------------------------------------- */

char *
pos_marker_path(const char *checkpoint, const char *ack_file)
{
	strbuf p = STRBUF_INIT;

	if (!checkpoint && !ack_file)
		return NULL;
	strbuf_printf(&p, "%s.snapshot", checkpoint ? checkpoint : ack_file);
	return strbuf_detach(&p);
}

int
pos_check_marker(const char *slot, const char *checkpoint, const char *ack_file)
{
	char *path = pos_marker_path(checkpoint, ack_file);
	const char *file = checkpoint ? checkpoint : ack_file;
	ckpt m, f;
	int rc;
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];

	if (path == NULL)
		return EXIT_OK;
	rc = ckpt_read(path, &m);
	if (rc == 1)
	{
		free(path);
		return EXIT_OK;
	}
	if (rc < 0)
		goto bad;
	if (m.slot[0] && strcmp(m.slot, slot) != 0)
	{
		log_error("file \"%s\" belongs to slot \"%s\", not \"%s\"", path, m.slot, slot);
		free(path);
		return EXIT_POSITION;
	}
	rc = ckpt_read(file, &f);
	if (rc < 0)
		goto bad;
	if (rc == 0 && f.lsn >= m.lsn)
	{
		/* the snapshot was delivered: the marker has done its job */
		if (unlink(path) != 0)
			log_warn("could not remove file \"%s\": %m", path);
		free(path);
		return EXIT_OK;
	}
	log_error("the initial snapshot of slot \"%s\" (consistent point %s) was begun but is not"
			  " acknowledged in \"%s\" (%s): rows of it may never have been delivered",
			  slot, lsn_format(m.lsn, b1), file, rc == 1 ? "no such file" : lsn_format(f.lsn, b2));
	log_error("hint: drop the slot (--drop-slot), delete \"%s\" and \"%s\", and run"
			  " --create-slot --snapshot again; or delete \"%s\" to stream without the snapshot",
			  file, path, path);
bad:
	free(path);
	return EXIT_CHECKPOINT;
}
