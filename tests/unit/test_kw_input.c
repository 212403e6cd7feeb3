/*
 * test_kw_input.c
 *	The line reader: LF and CRLF, a last line without a newline, blank
 *	lines, lines over the limit (reported, then skipped), a wait that a
 *	line trickling in does not prolong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "input.h"
#include "tap.h"

/* Write content to a temp file; returns its path (static buffer). */
static const char *
temp_with(const char *content, size_t n)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_kw_input.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, content, n) != (ssize_t) n)
	{
		perror("temp file");
		exit(1);
	}
	close(fd);
	return path;
}

static void
expect(kw_input *in, int want_rc, const char *want, const char *name)
{
	const char *line = NULL;
	size_t len = 0;
	int rc = kw_input_next(in, &line, &len, -1);

	if (want == NULL)
	{
		is_int(rc, want_rc, "%s", name);
		return;
	}
	ok(rc == want_rc && len == strlen(want) && memcmp(line, want, len) == 0, "%s", name);
	if (rc != want_rc || len != strlen(want) || memcmp(line, want, len) != 0)
		printf("#   rc %d, line '%.*s'\n", rc, (int) (len > 60 ? 60 : len), line ? line : "");
}

int
main(void)
{
	kw_input in;
	const char *content = "{\"a\":1}\n{\"b\":2}\r\n\n0123456789AB\nshort\n\r\nlast";
	const char *path = temp_with(content, strlen(content));
	char *big;

	ok(kw_input_open(&in, path, 10) == 0, "open");
	expect(&in, KW_IN_LINE, "{\"a\":1}", "LF line");
	is_int(in.lineno, 1, "line number 1");
	expect(&in, KW_IN_LINE, "{\"b\":2}", "CRLF line, CR dropped");
	expect(&in, KW_IN_LINE, "", "empty line");
	expect(&in, KW_IN_TOOLONG, "0123456789AB", "12 bytes over a limit of 10");
	expect(&in, KW_IN_LINE, "short", "next line after the long one");
	is_int(in.lineno, 5, "line number 5");
	expect(&in, KW_IN_LINE, "", "CRLF empty line");
	expect(&in, KW_IN_LINE, "last", "last line without a newline");
	expect(&in, KW_IN_EOF, NULL, "end of file");
	kw_input_close(&in);
	unlink(path);

	/* a line far beyond the buffer is reported once and skipped */
	big = malloc(300000 + 10);
	memset(big, 'x', 300000);
	memcpy(big + 300000, "\nok\n", 4);
	path = temp_with(big, 300004);
	ok(kw_input_open(&in, path, 1000) == 0, "open big");
	expect(&in, KW_IN_TOOLONG, NULL, "300000-byte line over a limit of 1000");
	expect(&in, KW_IN_LINE, "ok", "line after it");
	is_int(in.lineno, 2, "counted as one line");
	expect(&in, KW_IN_EOF, NULL, "end of file");
	kw_input_close(&in);
	unlink(path);
	free(big);

	/*
	 * A line trickles in, a byte every 10 ms for a second: a wait of 50 ms
	 * ends with KW_IN_AGAIN long before the line does (kafka-write must
	 * send its burst, or commit its Kafka transaction, meanwhile).
	 */
	{
		int pfd[2];
		pid_t pid;
		struct timespec t0, t1;
		const char *line;
		size_t len;
		int rc, status;
		double took;

		if (pipe(pfd) != 0 || (pid = fork()) < 0)
		{
			ok(0, "a pipe and a writer");
			return done_testing();
		}
		if (pid == 0)
		{
			close(pfd[0]);
			for (int i = 0; i < 100; i++)
			{
				if (write(pfd[1], "x", 1) != 1)
					_exit(1);
				usleep(10000);
			}
			_exit(write(pfd[1], "\n", 1) == 1 ? 0 : 1);
		}
		close(pfd[1]);
		dup2(pfd[0], STDIN_FILENO);
		close(pfd[0]);
		ok(kw_input_open(&in, NULL, 1000) == 0, "open a pipe on stdin");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = kw_input_next(&in, &line, &len, 50);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		took = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
		is_int(rc, KW_IN_AGAIN, "a line trickling in: no line yet");
		ok(took < 0.5, "... after the 50 ms wait, not the 1 s trickle (%.3f s)", took);
		rc = kw_input_next(&in, &line, &len, -1);
		ok(rc == KW_IN_LINE && len == 100 && line[0] == 'x' && line[99] == 'x',
		   "the whole line later, the bytes read before kept");
		waitpid(pid, &status, 0);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer wrote it all");
		kw_input_close(&in);
	}
	return done_testing();
}
