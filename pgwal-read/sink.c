/*
 * sink.c
 *	Blocking buffered output for the one-shot actions.
 */
#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sig.h"
#include "sink.h"

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
