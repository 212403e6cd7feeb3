/*
 * input.h
 *	The line reader: NDJSON from a file descriptor, one line at a time,
 *	with a maximum line length and a wait bound so that the caller can
 *	serve delivery reports while the input is idle.
 *
 *	A line is returned without its terminator: "\n", or "\r\n" (the CR is
 *	dropped too).  A last line without a newline is returned as a line.
 */
#ifndef KW_INPUT_H
#define KW_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kw_input
{
	int fd;
	const char *name; /* file name, or NULL for stdin (not owned) */
	char *buf;        /* owned */
	size_t cap;
	size_t start;   /* first unconsumed byte */
	size_t scanned; /* bytes from start known to hold no '\n' */
	size_t end;     /* end of data */
	size_t maxline;
	bool eof;
	bool discarding;   /* skipping the rest of an oversized line */
	uint64_t lineno;   /* number of the last line returned */
	bool unterminated; /* that line ended the input without a newline */
	uint64_t reads;    /* read(2) calls that returned data */
	bool at_rest;      /* a regular file: all there, never a pause */
} kw_input;

enum
{
	KW_IN_LINE = 1,  /* *line, *len set */
	KW_IN_AGAIN = 0, /* nothing within the wait, or a signal */
	KW_IN_EOF = -1,
	KW_IN_ERROR = -2,  /* read error, logged */
	KW_IN_TOOLONG = -3 /* a line over maxline: *line, *len hold its start */
};

/* Open path (NULL or "-" for stdin).  Returns 0, or -1 after logging. */
int kw_input_open(kw_input *in, const char *path, size_t maxline);

/*
 * The next line, waiting at most wait_ms for input (-1: forever): once,
 * so that the bytes of a line that trickles in do not prolong the wait
 * (KW_IN_AGAIN then, with the bytes kept).  The line stays valid until
 * the next call.  After KW_IN_TOOLONG the rest of
 * that line is skipped and reading can go on with the next one.
 */
int kw_input_next(kw_input *in, const char **line, size_t *len, int wait_ms);

void kw_input_close(kw_input *in);

#endif
