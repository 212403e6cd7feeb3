/*
 * ckpt.c
 *	Atomic checkpoint files.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "log.h"
#include "lsn.h"
#include "strbuf.h"
#include "xalloc.h"

/* fsync the directory holding path, so that a rename in it is durable. */
static int
fsync_parent(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int fd, rc = 0;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0)
	{
		log_error("could not fsync directory \"%s\": %m", dir);
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int
ckpt_write(const char *path, const ckpt *c)
{
	strbuf body = STRBUF_INIT;
	strbuf tmp = STRBUF_INIT;
	char lsn[LSN_BUFLEN];
	int fd = -1;
	ssize_t w;

	strbuf_printf(&body, "%s\n", lsn_format(c->lsn, lsn));
	if (c->slot[0])
		strbuf_printf(&body, "slot %s\n", c->slot);
	if (c->sysid)
		strbuf_printf(&body, "system %" PRIu64 "\n", c->sysid);

	strbuf_printf(&tmp, "%s.tmp.%ld", path, (long) getpid());
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
	{
		log_error("could not create file \"%s\": %m", tmp.data);
		goto error;
	}
	w = write(fd, body.data, body.len);
	if (w < 0 || (size_t) w != body.len)
	{
		if (w >= 0)
			errno = ENOSPC;
		log_error("could not write file \"%s\": %m", tmp.data);
		goto error;
	}
	if (fsync(fd) != 0)
	{
		log_error("could not fsync file \"%s\": %m", tmp.data);
		goto error;
	}
	if (close(fd) != 0)
	{
		fd = -1;
		log_error("could not close file \"%s\": %m", tmp.data);
		goto error;
	}
	fd = -1;
	if (rename(tmp.data, path) != 0)
	{
		log_error("could not rename file \"%s\" to \"%s\": %m", tmp.data, path);
		goto error;
	}
	strbuf_free(&tmp);
	strbuf_free(&body);
	return fsync_parent(path);

error:
	if (fd >= 0)
		close(fd);
	if (tmp.data)
		unlink(tmp.data);
	strbuf_free(&tmp);
	strbuf_free(&body);
	return -1;
}

int
ckpt_read(const char *path, ckpt *c)
{
	FILE *f;
	char line[256];
	int lineno = 0;

	memset(c, 0, sizeof(*c));
	f = fopen(path, "r");
	if (f == NULL)
	{
		if (errno == ENOENT)
			return 1;
		log_error("could not open file \"%s\": %m", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f))
	{
		size_t n = strlen(line);

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f))
		{
			log_error("checkpoint file \"%s\" line %d: line too long", path, lineno);
			goto error;
		}
		if (lineno == 1)
		{
			if (lsn_parse(line, &c->lsn) != 0)
			{
				log_error("checkpoint file \"%s\" line 1: \"%s\" is not an LSN", path, line);
				goto error;
			}
		}
		else if (strncmp(line, "slot ", 5) == 0)
		{
			if (n - 5 > CKPT_SLOT_MAX)
			{
				log_error("checkpoint file \"%s\" line %d: slot name too long", path, lineno);
				goto error;
			}
			memcpy(c->slot, line + 5, n - 5 + 1);
		}
		else if (strncmp(line, "system ", 7) == 0)
		{
			char *end;

			errno = 0;
			c->sysid = strtoull(line + 7, &end, 10);
			if (errno || *end || end == line + 7)
			{
				log_error("checkpoint file \"%s\" line %d: bad system identifier", path, lineno);
				goto error;
			}
		}
		/* other lines are ignored: room for later additions */
	}
	if (ferror(f))
	{
		log_error("could not read file \"%s\": %m", path);
		goto error;
	}
	if (lineno == 0)
	{
		log_error("checkpoint file \"%s\" is empty", path);
		goto error;
	}
	fclose(f);
	return 0;

error:
	fclose(f);
	return -1;
}
