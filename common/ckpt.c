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

/*
 * Create a temp file next to path with an unpredictable name, O_EXCL (never
 * through a planted link), mode 0600.  Returns the fd and the name in tmp,
 * or -1 after logging.
 */
static int
create_temp(const char *path, strbuf *tmp)
{
	int fd;

	strbuf_printf(tmp, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp->data, O_CLOEXEC);
	if (fd < 0)
	{
		log_error("could not create a temporary file next to \"%s\": %m", path);
		return -1;
	}
	return fd;
}

int
ckpt_check_writable(const char *path)
{
	strbuf tmp = STRBUF_INIT;
	int fd = create_temp(path, &tmp);

	if (fd >= 0)
	{
		close(fd);
		unlink(tmp.data);
	}
	strbuf_free(&tmp);
	return fd < 0 ? -1 : 0;
}

int
ckpt_write(const char *path, const ckpt *c)
{
	strbuf body = STRBUF_INIT;
	strbuf tmp = STRBUF_INIT;
	char lsn[LSN_BUFLEN];
	int fd = -1;
	bool created = false;
	ssize_t w;

	strbuf_printf(&body, "%s\n", lsn_format(c->lsn, lsn));
	if (c->slot[0])
		strbuf_printf(&body, "slot %s\n", c->slot);
	if (c->sysid)
		strbuf_printf(&body, "system %" PRIu64 "\n", c->sysid);

	fd = create_temp(path, &tmp);
	if (fd < 0)
		goto error;
	created = true;
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
	created = false;
	strbuf_free(&tmp);
	strbuf_free(&body);
	return fsync_parent(path);

error:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp.data);
	strbuf_free(&tmp);
	strbuf_free(&body);
	return -1;
}

int
ckpt_parse(const char *buf, size_t len, const char *path, ckpt *c)
{
	const char *p = buf, *end = buf + len;
	int lineno = 0;

	memset(c, 0, sizeof(*c));
	while (p < end)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
		char line[CKPT_LINE_MAX + 1];

		lineno++;
		if (n > CKPT_LINE_MAX)
		{
			log_error("checkpoint file \"%s\" line %d: line too long", path, lineno);
			return -1;
		}
		if (memchr(p, '\0', n))
		{
			log_error("checkpoint file \"%s\" line %d: holds a NUL byte", path, lineno);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		if (lineno == 1)
		{
			if (lsn_parse(line, &c->lsn) != 0)
			{
				log_error("checkpoint file \"%s\" line 1: not an LSN", path);
				return -1;
			}
		}
		else if (strncmp(line, "slot ", 5) == 0)
		{
			if (n - 5 > CKPT_SLOT_MAX || n == 5)
			{
				log_error("checkpoint file \"%s\" line %d: bad slot name", path, lineno);
				return -1;
			}
			memcpy(c->slot, line + 5, n - 5 + 1);
		}
		else if (strncmp(line, "system ", 7) == 0)
		{
			char *e;

			errno = 0;
			c->sysid = strtoull(line + 7, &e, 10);
			if (errno || *e || e == line + 7 || line[7] < '0' || line[7] > '9')
			{
				log_error("checkpoint file \"%s\" line %d: bad system identifier", path, lineno);
				return -1;
			}
		}
		/* other lines are ignored: room for later additions */
	}
	if (lineno == 0)
	{
		log_error("checkpoint file \"%s\" is empty", path);
		return -1;
	}
	return 0;
}

int
ckpt_read(const char *path, ckpt *c)
{
	char buf[CKPT_FILE_MAX + 1];
	size_t len = 0;
	struct stat sb;
	int fd;

	memset(c, 0, sizeof(*c));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
	{
		if (errno == ENOENT)
			return 1;
		if (errno == ELOOP)
			log_error("checkpoint file \"%s\" is a symbolic link: refused", path);
		else
			log_error("could not open file \"%s\": %m", path);
		return -1;
	}
	if (fstat(fd, &sb) != 0)
	{
		log_error("could not stat file \"%s\": %m", path);
		goto error;
	}
	if (!S_ISREG(sb.st_mode))
	{
		log_error("checkpoint file \"%s\" is not a regular file: refused", path);
		goto error;
	}
	for (;;)
	{
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
		{
			log_error("could not read file \"%s\": %m", path);
			goto error;
		}
		if (r == 0)
			break;
		len += (size_t) r;
		if (len > CKPT_FILE_MAX)
		{
			log_error("checkpoint file \"%s\" is longer than %d bytes", path, CKPT_FILE_MAX);
			goto error;
		}
	}
	close(fd);
	return ckpt_parse(buf, len, path, c);

error:
	close(fd);
	return -1;
}
