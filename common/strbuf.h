/*
 * strbuf.h
 *	A growable byte buffer, always NUL-terminated, and the JSON writer
 *	built on it.  The buffer owns its memory; strbuf_free() releases it,
 *	strbuf_detach() hands it to the caller.
 */
#ifndef PGWAL_STRBUF_H
#define PGWAL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct strbuf
{
	char *data;
	size_t len;
	size_t cap;
} strbuf;

#define STRBUF_INIT                                                                                \
	{                                                                                              \
		NULL, 0, 0                                                                                 \
	}

void strbuf_init(strbuf *sb, size_t cap);
void strbuf_free(strbuf *sb);
char *strbuf_detach(strbuf *sb);
void strbuf_reset(strbuf *sb);
void strbuf_grow(strbuf *sb, size_t more);
void strbuf_add(strbuf *sb, const void *p, size_t n);
void strbuf_puts(strbuf *sb, const char *s);
void strbuf_putc(strbuf *sb, char c);
void strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_u64(strbuf *sb, uint64_t v);

/*
 * JSON string literal of the n bytes at s, quotes included.  Quotes,
 * backslashes and control characters are escaped (\n, \t, ... or \u00XX);
 * other UTF-8 passes through.  Bytes that are not valid UTF-8 are written
 * as U+FFFD, so the output is always valid UTF-8 JSON.  Returns the
 * number of invalid bytes replaced.
 */
size_t json_string(strbuf *sb, const char *s, size_t n);
/* ,"key": with the comma unless first; first is then set false. */
void json_key(strbuf *sb, bool *first, const char *key);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
int utf8_seqlen(const unsigned char *s, size_t avail);

#endif
