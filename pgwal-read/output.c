/*
 * output.c
 *	The stdout writer (see output.h): the stream's buffered, non-blocking
 *	event output with commit marks (output_*), then the one-shot actions'
 *	blocking writer (sink_*).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "output.h"
#include "sig.h"
#include "xalloc.h"

void
output_open(output *o, int fd)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	strbuf_init(&o->buf, 256 * 1024);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
	{
		int fl = fcntl(fd, F_GETFL);
		off_t pos = lseek(fd, 0, SEEK_CUR);

		o->is_file = true;
		/* appending (>>): our bytes go at the end whatever the offset says */
		o->base = (fl >= 0 && (fl & O_APPEND)) || pos < 0 ? (uint64_t) st.st_size : (uint64_t) pos;
	}
	else if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
	{
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0 && !(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
		{
			o->saved_flags = fl;
			o->restore_flags = true;
		}
	}
}

void
output_close(output *o)
{
	if (o->restore_flags)
		fcntl(o->fd, F_SETFL, o->saved_flags);
	o->restore_flags = false;
	strbuf_free(&o->buf);
	free(o->marks);
	o->marks = NULL;
	o->nmarks = o->capmarks = 0;
}

void
output_mark_commit(output *o, uint64_t end_lsn)
{
	if (o->nmarks == o->capmarks)
	{
		o->capmarks = o->capmarks ? o->capmarks * 2 : 64;
		o->marks = xrealloc(o->marks, o->capmarks * sizeof(out_mark));
	}
	o->marks[o->nmarks].offset = o->written + (o->buf.len - o->head);
	o->marks[o->nmarks].end_lsn = end_lsn;
	o->nmarks++;
	o->mark_lsn = end_lsn;
}

/* Did the last byte written end a line (or was nothing written yet)? */
static bool
line_start(const output *o)
{
	return o->written == 0 || o->last_written == '\n';
}

void
output_drop_partial(output *o)
{
	uint64_t keep_to = o->nmarks ? o->marks[o->nmarks - 1].offset : o->written;

	if (keep_to <= o->written)
	{
		/*
		 * Part of the partial transaction is out already, and a write may
		 * have stopped in the middle of a line: keep the rest of that line,
		 * so that the reader never sees half a line glued to the next.
		 */
		const char *nl = memchr(o->buf.data + o->head, '\n', o->buf.len - o->head);

		keep_to = o->written;
		if (nl != NULL && !line_start(o))
			keep_to += (uint64_t) (nl - (o->buf.data + o->head)) + 1;
	}
	o->buf.len = o->head + (size_t) (keep_to - o->written);
	o->buf.data[o->buf.len] = '\0';
	o->full = false; /* a new start: the next change tries the pipe */
}

/* Advance written_lsn over the commit marks that are now fully written. */
static void
retire_marks(output *o)
{
	size_t i = 0;

	while (i < o->nmarks && o->marks[i].offset <= o->written)
	{
		o->written_off = o->marks[i].offset;
		o->written_lsn = o->marks[i++].end_lsn;
	}
	if (i > 0)
	{
		memmove(o->marks, o->marks + i, (o->nmarks - i) * sizeof(out_mark));
		o->nmarks -= i;
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
output_flush(output *o, bool block, int timeout_ms)
{
	int64_t deadline = 0;

	while (o->head < o->buf.len)
	{
		ssize_t n = write(o->fd, o->buf.data + o->head, o->buf.len - o->head);

		if (n > 0)
		{
			o->full = false;
			deadline = 0; /* the reader took something: timeout_ms from the next full pipe */
			o->head += (size_t) n;
			o->written += (uint64_t) n;
			o->last_written = o->buf.data[o->head - 1];
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		{
			struct pollfd pfd = {.fd = o->fd, .events = POLLOUT};
			int64_t left;

			o->full = true;
			if (!block)
				break;
			if (deadline == 0)
				deadline = now_ms() + timeout_ms;
			left = deadline - now_ms();
			if (left <= 0)
			{
				errno = ETIMEDOUT;
				retire_marks(o);
				return -1;
			}
			if (poll(&pfd, 1, (int) left) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		retire_marks(o);
		return -1;
	}
	/* compact: the buffer is empty, or the written head is large */
	if (o->head == o->buf.len)
		o->head = o->buf.len = 0;
	else if (o->head > o->buf.len / 2 && o->head > 65536)
	{
		memmove(o->buf.data, o->buf.data + o->head, o->buf.len - o->head);
		o->buf.len -= o->head;
		o->head = 0;
	}
	if (o->buf.data)
		o->buf.data[o->buf.len] = '\0';
	retire_marks(o);
	if (!o->is_file)
	{
		o->synced_lsn = o->written_lsn;
		o->synced_off = o->written_off;
	}
	return 0;
}

int
output_sync(output *o)
{
	if (!o->is_file || o->synced_lsn == o->written_lsn)
	{
		o->synced_lsn = o->written_lsn;
		o->synced_off = o->written_off;
		return 0;
	}
	if (fsync(o->fd) != 0)
		return -1;
	o->synced_lsn = o->written_lsn;
	o->synced_off = o->written_off;
	return 0;
}

int
output_cut(output *o, uint64_t off)
{
	o->head = o->buf.len = 0;
	if (o->buf.data)
		o->buf.data[0] = '\0';
	o->nmarks = 0;
	if (!o->is_file || off > o->written)
		return 0;
	if (ftruncate(o->fd, (off_t) (o->base + off)) != 0)
		return -1;
	o->written = off;
	return fsync(o->fd);
}

int
output_trim_fragment(output *o, uint64_t *cut)
{
	char buf[65536];
	char proc[64];
	uint64_t end = o->base;
	int rfd;

	*cut = 0;
	if (!o->is_file || end == 0)
		return 0;
	/* stdout is usually opened write-only (>>): read it through /proc */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
	rfd = open(proc, O_RDONLY | O_CLOEXEC);
	if (rfd < 0)
		return -1;
	/* look back for the last newline, a chunk at a time */
	while (end > 0)
	{
		size_t n = end > sizeof(buf) ? sizeof(buf) : (size_t) end;
		ssize_t r = pread(rfd, buf, n, (off_t) (end - n));

		if (r != (ssize_t) n)
		{
			if (r >= 0)
				errno = EIO;
			close(rfd);
			return -1;
		}
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n')
			{
				end -= n - i;
				goto found;
			}
		end -= n;
	}
found:
	close(rfd);
	if (end == o->base)
		return 0;
	if (ftruncate(o->fd, (off_t) end) != 0 || fsync(o->fd) != 0)
		return -1;
	*cut = o->base - end;
	o->base = end;
	return 0;
}

/* ----------------------------------------------------------------
 * sink: the blocking writer of the one-shot actions
 * ---------------------------------------------------------------- */

#define SINK_FLUSH_AT (256 * 1024)

void
sink_open(sink *s, int fd)
{
	struct stat st;

	s->fd = fd;
	s->written = 0;
	s->is_file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	strbuf_init(&s->buf, SINK_FLUSH_AT + 64 * 1024);
}

void
sink_close(sink *s)
{
	strbuf_free(&s->buf);
}

int
sink_flush(sink *s)
{
	size_t off = 0;

	while (off < s->buf.len)
	{
		ssize_t n = write(s->fd, s->buf.data + off, s->buf.len - off);

		if (n > 0)
		{
			off += (size_t) n;
			s->written += (uint64_t) n;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		{
			/* an inherited non-blocking pipe: wait for the reader */
			struct pollfd p = {.fd = s->fd, .events = POLLOUT};

			if (sig_stop)
			{
				/* a reader that takes nothing must not make a stop hang */
				errno = EINTR;
				goto fail;
			}
			if (errno != EINTR && poll(&p, 1, 1000) < 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (n == 0)
			errno = EIO;
	fail:
		/* keep what was not written, so that the caller may report it */
		if (off > 0)
		{
			size_t rest = s->buf.len - off;
			int save = errno;

			for (size_t i = 0; i < rest; i++)
				s->buf.data[i] = s->buf.data[off + i];
			s->buf.len = rest;
			s->buf.data[rest] = '\0';
			errno = save;
		}
		return -1;
	}
	strbuf_reset(&s->buf);
	return 0;
}

int
sink_maybe_flush(sink *s)
{
	return s->buf.len >= SINK_FLUSH_AT ? sink_flush(s) : 0;
}

int
sink_sync(sink *s)
{
	if (!s->is_file)
		return 0;
	return fsync(s->fd);
}

void
sink_report_error(void)
{
	if (errno == EPIPE)
		log_error("could not write to standard output: the reader is gone (broken pipe)");
	else
		log_error("could not write to standard output: %m");
}
