/*
 * ckpt.h
 *	Checkpoint (acknowledgement) files: the LSN up to which everything was
 *	durably delivered.  The format is text, for humans and scripts:
 *
 *		0/16B3748				the LSN, alone on the first line
 *		slot shop_slot			optional lines "name value"
 *		system 7312345678901234567
 *
 *	Files are replaced atomically (temp file in the same directory, fsync,
 *	rename, fsync of the directory) with mode 0600, so a reader sees the
 *	old content or the new, never a mix, and a crash never leaves less
 *	than the last completed write.
 */
#ifndef PGWAL_CKPT_H
#define PGWAL_CKPT_H

#include <stdbool.h>
#include <stdint.h>

#define CKPT_SLOT_MAX 64

typedef struct ckpt
{
	uint64_t lsn;
	char slot[CKPT_SLOT_MAX + 1]; /* "" when not recorded */
	uint64_t sysid;               /* 0 when not recorded */
} ckpt;

/*
 * Write c to path atomically.  Returns 0, or -1 after logging what failed.
 */
int ckpt_write(const char *path, const ckpt *c);

/*
 * Read path into c.  Returns 0 on success, 1 if the file does not exist
 * (c is then zeroed), -1 after logging what is wrong with it (the message
 * names the file and the line).
 */
int ckpt_read(const char *path, ckpt *c);

#endif
