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
 *	than the last completed write.  The temp file has an unpredictable
 *	name and is created with O_EXCL (mkostemp), so a planted symlink is
 *	never followed; reads use O_NOFOLLOW and accept regular files only.
 *	Error messages name the file, the line and the kind of problem, never
 *	the file's contents (it may be a planted link to a secret).
 */
#ifndef PGWAL_CKPT_H
#define PGWAL_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CKPT_SLOT_MAX 64
#define CKPT_LINE_MAX 255  /* longest line a reader accepts */
#define CKPT_FILE_MAX 4096 /* largest file a reader accepts */

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

/*
 * Parse the text of a checkpoint file (len bytes, not NUL-terminated) into
 * c.  path only names the file in messages.  Returns 0, or -1 after logging
 * the line and the kind of problem.
 */
int ckpt_parse(const char *buf, size_t len, const char *path, ckpt *c);

/*
 * Can a checkpoint file be written at path?  Creates and removes a temp
 * file in its directory, as ckpt_write() would.  Returns 0, or -1 after
 * logging why not.
 */
int ckpt_check_writable(const char *path);

#endif
