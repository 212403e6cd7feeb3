/*
 * input.c
 *	Buffered line reading with read(2) and poll(2).
 *
 *	The buffer holds at least one maximal line plus room for a read; lines
 *	are handed out as pointers into it, so a line costs no copy here.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "log.h"
#include "xalloc.h"

#define READ_CHUNK 65536
#define PIPE_SIZE  (1024 * 1024) /* asked for a pipe on input: Linux's unprivileged maximum */

int
kw_input_open(kw_input *in, const char *path, size_t maxline)
{
	memset(in, 0, sizeof(*in));
	if (path == NULL || strcmp(path, "-") == 0)
		in->fd = STDIN_FILENO;
	else
	{
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
		{
			log_error("could not open file \"%s\": %m", path);
			return -1;
		}
		in->name = path;
	}
	{
		struct stat sb;

		if (fstat(in->fd, &sb) == 0)
		{
			in->at_rest = S_ISREG(sb.st_mode);
#ifdef F_SETPIPE_SZ
			/*
			 * A pipe that holds a whole burst (see run_input in
			 * writer.c): the writer goes on while a burst is being
			 * delivered, and the next burst is read at once.  Best
			 * effort: the pipe works as it is when the system refuses.
			 */
			if (S_ISFIFO(sb.st_mode))
				(void) fcntl(in->fd, F_SETPIPE_SZ, PIPE_SIZE);
#endif
		}
	}
	in->maxline = maxline;
	/* a maximal line, its CR LF, and a read's worth */
	in->cap = maxline + 2 + READ_CHUNK;
	in->buf = xmalloc(in->cap);
	return 0;
}

void
kw_input_close(kw_input *in)
{
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	in->fd = -1;
	free(in->buf);
	in->buf = NULL;
}

/* Read more bytes at the end of the buffer.  1 data, 0 nothing yet, -1 error. */
static int
fill(kw_input *in, int wait_ms)
{
	struct pollfd pfd;
	ssize_t r;

	if (in->start > 0)
	{
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	pfd.fd = in->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (wait_ms >= 0)
	{
		int pr = poll(&pfd, 1, wait_ms);

		if (pr < 0 && errno != EINTR)
		{
			log_error("could not poll %s: %m", in->name ? in->name : "standard input");
			return -1;
		}
		if (pr <= 0)
			return 0;
	}
	r = read(in->fd, in->buf + in->end, in->cap - in->end);
	if (r < 0)
	{
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (in->name)
			log_error("could not read file \"%s\": %m", in->name);
		else
			log_error("could not read standard input: %m");
		return -1;
	}
	if (r == 0)
		in->eof = true;
	else
		in->reads++;
	in->end += (size_t) r;
	return 1;
}

int
kw_input_next(kw_input *in, const char **line, size_t *len, int wait_ms)
{
	for (;;)
	{
		char *base = in->buf + in->start;
		size_t avail = in->end - in->start;
		char *nl = memchr(base + in->scanned, '\n', avail - in->scanned);

		if (nl)
		{
			size_t n = (size_t) (nl - base);

			in->start += n + 1;
			in->scanned = 0;
			if (in->discarding)
			{
				in->discarding = false;
				continue;
			}
			in->lineno++;
			if (n > 0 && base[n - 1] == '\r')
				n--;
			*line = base;
			*len = n;
			return n > in->maxline ? KW_IN_TOOLONG : KW_IN_LINE;
		}
		in->scanned = avail;
		if (in->discarding)
		{
			in->start = in->end;
			in->scanned = 0;
		}
		else if (avail > in->maxline + 1)
		{
			/* no newline within reach: report, then skip to the next one */
			in->lineno++;
			in->discarding = true;
			*line = base;
			*len = avail;
			in->start = in->end;
			in->scanned = 0;
			return KW_IN_TOOLONG;
		}
		if (in->eof)
		{
			if (in->discarding || in->end == in->start)
				return KW_IN_EOF;
			/* a last line without a newline */
			in->lineno++;
			in->unterminated = true;
			*line = base;
			*len = avail;
			if (avail > 0 && base[avail - 1] == '\r')
				(*len)--;
			in->start = in->end;
			in->scanned = 0;
			return *len > in->maxline ? KW_IN_TOOLONG : KW_IN_LINE;
		}
		switch (fill(in, wait_ms))
		{
			case 0:
				return KW_IN_AGAIN;
			case -1:
				return KW_IN_ERROR;
			default:
				/*
				 * Bytes came, but maybe not a whole line: wait no more,
				 * or a writer that trickles a line in pieces would hold
				 * the caller past wait_ms
				 */
				if (wait_ms > 0)
					wait_ms = 0;
				break;
		}
	}
}
