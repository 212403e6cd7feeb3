/*
 * test_output.c
 *	The stdout writer.  The event writer: commit marks, and what a
 *	reconnect drops; a pipe with a small capacity plays the slow reader.
 *	The one-shot actions' writer (sink): everything written, and a reader
 *	gone kept apart from the bytes it did not take.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "tap.h"

/* Read everything available from fd into sb (non-blocking). */
static void
drain(int fd, strbuf *sb)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(sb, buf, (size_t) n);
}

/* Every line of s is one of the allowed ones. */
static int
lines_whole(const char *s, const char *const *allowed, int nallowed)
{
	while (*s)
	{
		const char *nl = strchr(s, '\n');
		size_t len;
		int found = 0;

		if (nl == NULL)
			return 0;
		len = (size_t) (nl - s);
		for (int i = 0; i < nallowed; i++)
			if (strlen(allowed[i]) == len && memcmp(allowed[i], s, len) == 0)
				found = 1;
		if (!found)
			return 0;
		s = nl + 1;
	}
	return 1;
}

/* The sink: a blocking flush writes everything, a gone reader is EPIPE. */
static void
test_sink(void)
{
	int p[2];
	sink s;
	strbuf got = STRBUF_INIT;

	if (pipe(p) != 0)
	{
		ok(0, "a pipe");
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	sink_open(&s, p[1]);
	ok(!s.is_file, "a pipe is no file");
	strbuf_puts(&s.buf, "{\"op\":\"insert\"}\n");
	ok(sink_maybe_flush(&s) == 0 && s.buf.len == 16, "below 256 kB nothing is written yet");
	ok(sink_flush(&s) == 0 && s.buf.len == 0, "a flush empties the buffer");
	is_int(s.written, 16, "16 bytes written");
	drain(p[0], &got);
	is_str(got.data, "{\"op\":\"insert\"}\n", "the reader has the line");
	ok(sink_sync(&s) == 0, "nothing to sync on a pipe");

	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	strbuf_puts(&s.buf, "{\"op\":\"delete\"}\n");
	errno = 0;
	ok(sink_flush(&s) == -1 && errno == EPIPE, "a reader gone is EPIPE");
	is_int(s.buf.len, 16, "what was not written stays in the buffer");
	sink_close(&s);
	strbuf_free(&got);
	close(p[1]);
}

int
main(void)
{
	int p[2];
	output o;
	strbuf got = STRBUF_INIT;
	char l1[3001], l2[3001];
	const char *allowed[3];

	memset(l1, 'a', 3000);
	l1[3000] = '\0';
	memset(l2, 'b', 3000);
	l2[3000] = '\0';
	allowed[0] = l1;
	allowed[1] = l2;
	allowed[2] = "{\"op\":\"begin\"}";

	if (pipe(p) != 0 || fcntl(p[0], F_SETPIPE_SZ, 4096) < 0)
	{
		ok(0, "a pipe of 4096 bytes");
		return done_testing();
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	output_open(&o, p[1]);
	ok(o.restore_flags, "a pipe is made non-blocking");

	/* a committed transaction, then a partial one larger than the pipe */
	strbuf_puts(output_buf(&o), "{\"op\":\"begin\"}\n");
	output_mark_commit(&o, 100);
	strbuf_printf(output_buf(&o), "%s\n%s\n", l1, l2);
	ok(output_flush(&o, false, 0) == 0, "a non-blocking flush into a full pipe is no error");
	is_int(o.written, 4096, "the pipe took 4096 bytes");
	is_int(o.written_lsn, 100, "the committed transaction counts as written");
	ok(o.last_written != '\n', "the write stopped in the middle of a line");
	ok(o.full, "the full pipe is remembered (no write per change until the next wait)");

	/* the connection is lost: the partial transaction will come again */
	output_drop_partial(&o);
	strbuf_puts(output_buf(&o), "{\"op\":\"begin\"}\n");
	for (int i = 0; i < 10 && output_pending(&o) > 0; i++)
	{
		drain(p[0], &got);
		output_flush(&o, false, 0);
	}
	drain(p[0], &got);
	is_int(output_pending(&o), 0, "everything kept was written");
	ok(!o.full, "... and a write that went through forgets it");
	ok(lines_whole(got.data, allowed, 3), "the reader sees only whole lines");
	ok(strstr(got.data, l2) != NULL, "the line cut by the full pipe was finished");
	ok(got.len >= 15 && strcmp(got.data + got.len - 15, "{\"op\":\"begin\"}\n") == 0,
	   "the resent transaction follows on a line of its own");

	output_close(&o);
	ok((fcntl(p[1], F_GETFL) & O_NONBLOCK) == 0, "output_close restores blocking mode");
	strbuf_free(&got);
	close(p[0]);
	close(p[1]);
	test_sink();
	return done_testing();
}
