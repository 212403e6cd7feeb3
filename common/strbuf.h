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
#include <string.h>

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
void strbuf_grow_slow(strbuf *sb, size_t more);
void strbuf_add_slow(strbuf *sb, const void *p, size_t n);

/* Make room for more bytes plus the terminating NUL. */
static inline void
strbuf_grow(strbuf *sb, size_t more)
{
	if (sb->cap - sb->len <= more) /* cap is 0 or more than len */
		strbuf_grow_slow(sb, more);
}
void strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_u64(strbuf *sb, uint64_t v);

/* Append n bytes; inline for the common case of room already there. */
static inline void
strbuf_add(strbuf *sb, const void *p, size_t n)
{
	if (sb->cap - sb->len > n) /* cap is 0 or more than len */
	{
		memcpy(sb->data + sb->len, p, n);
		sb->len += n;
		sb->data[sb->len] = '\0';
	}
	else
		strbuf_add_slow(sb, p, n);
}

/* Append a C string; strlen of a literal folds at compile time. */
static inline void
strbuf_puts(strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

static inline void
strbuf_putc(strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}
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
