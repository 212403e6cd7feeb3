/*
 * strbuf.c
 *	Growable buffer and JSON string escaping.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fmt.h"
#include "strbuf.h"
#include "xalloc.h"

void
strbuf_init(strbuf *sb, size_t cap)
{
	sb->data = NULL;
	sb->len = sb->cap = 0;
	strbuf_grow(sb, cap ? cap : 64);
}

void
strbuf_free(strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

char *
strbuf_detach(strbuf *sb)
{
	char *p;

	strbuf_grow(sb, 0);
	p = sb->data;
	sb->data = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void
strbuf_reset(strbuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

/* strbuf_grow when the room is not there */
void
strbuf_grow_slow(strbuf *sb, size_t more)
{
	size_t need = sb->len + more + 1;

	if (need <= sb->cap)
		return;
	if (need < sb->len) /* overflow */
		need = (size_t) -1;
	{
		size_t cap = sb->cap ? sb->cap : 64;

		while (cap < need)
			cap = cap * 2 > cap ? cap * 2 : need;
		sb->data = xrealloc(sb->data, cap);
		sb->cap = cap;
	}
	sb->data[sb->len] = '\0';
}

/* strbuf_add when the buffer must grow first */
void
strbuf_add_slow(strbuf *sb, const void *p, size_t n)
{
	strbuf_grow(sb, n);
	memcpy(sb->data + sb->len, p, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void
strbuf_printf(strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	strbuf_grow(sb, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t) n;
}

void
strbuf_u64(strbuf *sb, uint64_t v)
{
	strbuf_grow(sb, FMT_U64_MAX);
	sb->len += fmt_u64(v, sb->data + sb->len);
	sb->data[sb->len] = '\0';
}

int
utf8_seqlen(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	int n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t) n > avail)
		return 0;
	for (int i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) ||
		cp > 0x10FFFF)
		return 0;
	return n;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * The first byte at or after p that json_string must look at (a quote, a
 * backslash, a control character or a byte >= 0x80), or end.  Plain ASCII
 * is skipped sixteen or eight bytes at a time, as kafka-write's scanner does.
 */
static inline const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#ifdef __SSE2__
	while (end - p >= 16)
	{
		__m128i v = _mm_loadu_si128((const __m128i *) p);
		/* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
											  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
								 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
		unsigned mm = (unsigned) _mm_movemask_epi8(m);

		if (mm != 0)
			return p + __builtin_ctz(mm);
		p += 16;
	}
#endif
	while (end - p >= 8)
	{
		uint64_t v, q, b, m;

		memcpy(&v, p, 8);
		q = v ^ (ONES * '"');
		b = v ^ (ONES * '\\');
		/* the lowest mark is exact (borrows only mark bytes above it) */
		m = (((q - ONES) & ~q) | ((b - ONES) & ~b) | (v - ONES * 0x20) | v) & HIGHS;
		if (m != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

size_t
json_string(strbuf *sb, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *) str;
	size_t bad = 0;
	size_t i = 0;

	strbuf_grow(sb, n + 2);
	sb->data[sb->len++] = '"';
	while (i < n)
	{
		size_t run = (size_t) (skip_plain(s + i, s + n) - s);
		int k;

		/* copy the longest run that needs no escaping in one go */
		if (run > i)
		{
			strbuf_add(sb, s + i, run - i);
			i = run;
			continue;
		}
		switch (s[i])
		{
			case '"':
				strbuf_add(sb, "\\\"", 2);
				break;
			case '\\':
				strbuf_add(sb, "\\\\", 2);
				break;
			case '\n':
				strbuf_add(sb, "\\n", 2);
				break;
			case '\r':
				strbuf_add(sb, "\\r", 2);
				break;
			case '\t':
				strbuf_add(sb, "\\t", 2);
				break;
			case '\b':
				strbuf_add(sb, "\\b", 2);
				break;
			case '\f':
				strbuf_add(sb, "\\f", 2);
				break;
			default:
				if (s[i] < 0x20)
				{
					char u[6] = {'\\', 'u', '0', '0', hex[s[i] >> 4], hex[s[i] & 15]};

					strbuf_add(sb, u, 6);
					break;
				}
				k = utf8_seqlen(s + i, n - i);
				if (k == 0)
				{
					strbuf_add(sb, "\xEF\xBF\xBD", 3);
					bad++;
					k = 1;
				}
				else
					strbuf_add(sb, s + i, (size_t) k);
				i += (size_t) k;
				continue;
		}
		i++;
	}
	strbuf_putc(sb, '"');
	return bad;
}

void
json_key(strbuf *sb, bool *first, const char *key)
{
	if (!*first)
		strbuf_putc(sb, ',');
	*first = false;
	json_string(sb, key, strlen(key));
	strbuf_putc(sb, ':');
}
