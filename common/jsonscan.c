/*
 * jsonscan.c
 *	Strict JSON validation, span lookups and compaction; see jsonscan.h.
 *
 *	The validator is iterative (an explicit stack of open containers, one
 *	byte each, that grows onto the heap), so deep nesting costs no C stack
 *	and has no limit but the text's length.  The lookup functions trust
 *	that their input passed the validator and only skip over values; they
 *	never read past the n bytes given.
 *
 *	About 950 lines: one scanner for both programs (validation, member
 *	index, lookups, compaction) on purpose, so that there is one reading of
 *	JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "hex.h"
#include "jsonscan.h"
#include "strbuf.h"
#include "xalloc.h"

#define R_TRUNCATED "unexpected end of line (truncated JSON?)"

#ifdef __GNUC__
#define JSON_NOINLINE      __attribute__((noinline))
#define JSON_ALWAYS_INLINE __attribute__((always_inline))
#else
#define JSON_NOINLINE
#define JSON_ALWAYS_INLINE
#endif

static int
fail(json_error *err, const unsigned char *base, const unsigned char *at, const char *reason)
{
	if (err)
	{
		err->offset = (size_t) (at - base);
		err->reason = reason;
	}
	return -1;
}

/* The reason to give for an unexpected byte c where `deflt` was wanted. */
static const char *
byte_reason(const unsigned char *p, const unsigned char *end, const char *deflt)
{
	if (*p == 0)
		return "NUL byte";
	if (*p >= 0x80 && utf8_seqlen(p, (size_t) (end - p)) == 0)
		return "invalid UTF-8";
	return deflt;
}

static inline const unsigned char *
ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Four hex digits at p (end-checked); the value, or -1. */
static long
hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++)
	{
		int h = hex_digit(p[i]);

		if (h < 0)
			return -1;
		v = (v << 4) | h;
	}
	return v;
}

/* plain[c]: c may appear unescaped in a string and needs no further check */
#define PL8(a) a, a, a, a, a, a, a, a
static const unsigned char plain[256] = {
	PL8(0), PL8(0), PL8(0), PL8(0), /* 0x00-0x1F: control characters */
	1,      1,      0,      1,      1,      1,      1,      1,      PL8(1), /* 0x20-0x2F: '"' is 0x22 */
	PL8(1), PL8(1), PL8(1), PL8(1),                                         /* 0x30-0x4F */
	PL8(1), 1,      1,      1,      1,      0,      1,      1,      1, /* 0x50-0x5F: '\\' is 0x5C */
	PL8(1), PL8(1), PL8(1), PL8(1),                                    /* 0x60-0x7F */
	PL8(0), PL8(0), PL8(0), PL8(0), PL8(0), PL8(0), PL8(0), PL8(0), PL8(0), PL8(0),
	PL8(0), PL8(0), PL8(0), PL8(0), PL8(0), PL8(0) /* 0x80-0xFF: UTF-8 */
};
#undef PL8

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * The bytes of the eight at p that are not plain (a quote, a backslash, a
 * control character or a byte >= 0x80): each such byte's high bit set in
 * the result.  Above the first such byte the result may have false marks
 * (borrows), never below it, so the lowest mark is exact.
 */
static inline uint64_t
not_plain8(const unsigned char *p)
{
	uint64_t v, q, b;

	memcpy(&v, p, 8);
	q = v ^ (ONES * '"');
	b = v ^ (ONES * '\\');
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | (v - ONES * 0x20) | v) & HIGHS;
}

#ifdef __SSE2__
/* Bit i set: byte i of the sixteen at p is not plain (exact). */
static inline unsigned
not_plain16(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *) p);
	/* signed compare: bytes >= 0x80 are negative, so below 0x20 too */
	__m128i m = _mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
		_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));

	return (unsigned) _mm_movemask_epi8(m);
}
#endif

/* The first byte at or after p that is not plain, or end. */
static inline const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* fast path over plain ASCII, sixteen or eight bytes per round */
	for (;;)
	{
		uint64_t m;

#ifdef __SSE2__
		if (end - p >= 16)
		{
			unsigned mm = not_plain16(p);

			if (mm != 0)
			{
				p += __builtin_ctz(mm);
				return p;
			}
			p += 16;
			continue;
		}
#endif
		if (end - p < 8)
		{
			while (p < end && plain[*p])
				p++;
			return p;
		}
		m = not_plain8(p);
		if (m != 0)
		{
			/* the lowest mark is the first such byte in memory */
			p += __builtin_ctzll(m) >> 3;
			return p;
		}
		p += 8;
	}
#else
	while (p < end && plain[*p])
		p++;
#endif
	return p;
}

/*
 * The rest of scan_string, from p, the first byte of the string that is
 * not plain: escapes, UTF-8, errors.  Out of line, so that the common case
 * inlined into the validator stays small.
 */
static JSON_NOINLINE int
scan_string_rest(const unsigned char **pp, const unsigned char *p, const unsigned char *end,
				 const unsigned char *base, json_error *err)
{
	for (;; p = skip_plain(p, end))
	{
		if (p >= end)
			return fail(err, base, p, "unterminated string (truncated JSON?)");
		if (*p == '"')
		{
			*pp = p + 1;
			return 0;
		}
		if (*p == '\\')
		{
			long cp;

			if (p + 1 >= end)
				return fail(err, base, p + 1, "unterminated string (truncated JSON?)");
			switch (p[1])
			{
				case '"':
				case '\\':
				case '/':
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't':
					p += 2;
					continue;
				case 'u':
					break;
				default:
					return fail(err, base, p, "invalid escape in string");
			}
			cp = hex4(p + 2, end);
			if (cp < 0)
				return fail(err, base, p, "invalid \\u escape in string");
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(err, base, p, "lone surrogate in \\u escape");
			if (cp >= 0xD800 && cp <= 0xDBFF)
			{
				long lo;

				if (end - (p + 6) < 6 || p[6] != '\\' || p[7] != 'u' ||
					(lo = hex4(p + 8, end)) < 0xDC00 || lo > 0xDFFF)
					return fail(err, base, p, "lone surrogate in \\u escape");
				p += 12;
			}
			else
				p += 6;
			continue;
		}
		if (*p < 0x20)
			return fail(err, base, p,
						*p == 0 ? "NUL byte" : "control character in string (must be escaped)");
		/* *p >= 0x80 */
		{
			int k = utf8_seqlen(p, (size_t) (end - p));

			if (k == 0)
				return fail(err, base, p, "invalid UTF-8");
			p += k;
		}
	}
}

/*
 * Validate the string literal at *pp (which points at its opening quote);
 * on success *pp is just past the closing quote.  *no_escapes (if not
 * NULL) is set true when every byte between the quotes was plain, which
 * rules out escapes; false says nothing.  The common case, plain bytes up
 * to the closing quote, is inlined.
 */
static inline JSON_ALWAYS_INLINE int
scan_string(const unsigned char **pp, const unsigned char *end, const unsigned char *base,
			json_error *err, bool *no_escapes)
{
	const unsigned char *p = skip_plain(*pp + 1, end);
	bool all_plain = p < end && *p == '"';

	if (no_escapes)
		*no_escapes = all_plain;
	if (all_plain)
	{
		*pp = p + 1;
		return 0;
	}
	return scan_string_rest(pp, p, end, base, err);
}

static int
scan_number(const unsigned char **pp, const unsigned char *end, const unsigned char *base,
			json_error *err)
{
	const unsigned char *p = *pp;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return fail(err, base, p, R_TRUNCATED);
	if (*p == '0')
	{
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return fail(err, base, p, "invalid number (leading zero)");
	}
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return fail(err, base, p, byte_reason(p, end, "invalid number"));
	if (p < end && *p == '.')
	{
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(err, base, p,
						p >= end ? R_TRUNCATED : "invalid number (digit expected after '.')");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail(err, base, p,
						p >= end ? R_TRUNCATED : "invalid number (digit expected in exponent)");
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	*pp = p;
	return 0;
}

static int
scan_literal(const unsigned char **pp, const unsigned char *end, const unsigned char *base,
			 json_error *err)
{
	const unsigned char *p = *pp;
	const char *lit = *p == 't' ? "true" : *p == 'f' ? "false" : "null";
	size_t len = strlen(lit);
	size_t avail = (size_t) (end - p);

	if (avail >= len && memcmp(p, lit, len) == 0)
	{
		*pp = p + len;
		return 0;
	}
	for (size_t i = 0; i < len; i++)
	{
		if (i == avail)
			return fail(err, base, p + i, R_TRUNCATED);
		if (p[i] != (unsigned char) lit[i])
			return fail(err, base, p + i,
						byte_reason(p + i, end, "invalid literal (expected true, false or null)"));
	}
	return fail(err, base, p, "invalid literal"); /* not reached */
}

int
json_validate(const char *s, size_t n, json_error *err)
{
	return json_validate_index(s, n, err, NULL);
}

int
json_index_find(const json_index *idx, const char *name, size_t namelen, json_span *out)
{
	for (int i = 0; i < idx->n; i++)
		if (idx->m[i].namelen == namelen && memcmp(idx->m[i].name, name, namelen) == 0)
		{
			*out = idx->m[i].value;
			return 1;
		}
	return idx->complete ? 0 : -1;
}

bool
json_lookup(const json_index *idx, const char *s, size_t n, const char *name, size_t namelen,
			json_span *out)
{
	int r = idx ? json_index_find(idx, name, namelen, out) : -1;

	return r < 0 ? json_member(s, n, name, namelen, out) : r == 1;
}

/* The stack of open containers: '{' or '[' per level. */
typedef struct nest
{
	char *p; /* local, or on the heap once deeper than local */
	size_t cap;
	char local[256];
} nest;

/* Make room for one more level in *st (depth levels in use). */
static JSON_NOINLINE void
nest_grow(nest *st, size_t depth)
{
	char *bigger = xmalloc(st->cap * 2);

	memcpy(bigger, st->p, depth);
	if (st->p != st->local)
		free(st->p);
	st->p = bigger;
	st->cap *= 2;
}

static inline JSON_ALWAYS_INLINE int
validate(const char *s, size_t n, json_error *err, json_index *idx, nest *st)
{
	const unsigned char *base = (const unsigned char *) s;
	const unsigned char *end = base + n;
	const unsigned char *p = base;
	char *stack = st->p;
	size_t cap = st->cap; /* kept in locals: the hot loop reads no memory for them */
	size_t depth = 0;
	int cur = -1;            /* idx: the member whose value is being scanned */
	bool want_start = false; /* idx: the next value starts member cur's */

	if (idx)
	{
		idx->n = 0;
		idx->complete = true;
	}
	if (n == 0)
		return fail(err, base, p, "empty line");
	p = ws(p, end);
	if (p == end)
		return fail(err, base, base, "blank line (no JSON value)");

value:
	p = ws(p, end);
	if (p >= end)
		return fail(err, base, p, R_TRUNCATED);
	if (want_start)
	{
		idx->m[cur].value.p = (const char *) p;
		want_start = false;
	}
	switch (*p)
	{
		case '{':
		case '[':
			if (depth == cap)
			{
				nest_grow(st, depth);
				stack = st->p;
				cap = st->cap;
			}
			stack[depth++] = (char) *p;
			p = ws(p + 1, end);
			if (p < end && (*p == '}' || *p == ']') && *p == (unsigned char) (stack[depth - 1] + 2))
			{
				/* '{' + 2 == '}' and '[' + 2 == ']' in ASCII */
				depth--;
				p++;
				goto after_value;
			}
			if (stack[depth - 1] == '{')
				goto member;
			goto value;
		case '"':
			if (scan_string(&p, end, base, err, NULL) != 0)
				return -1;
			goto after_value;
		case 't':
		case 'f':
		case 'n':
			if (scan_literal(&p, end, base, err) != 0)
				return -1;
			goto after_value;
		default:
			if (*p == '-' || (*p >= '0' && *p <= '9'))
			{
				if (scan_number(&p, end, base, err) != 0)
					return -1;
				goto after_value;
			}
			return fail(err, base, p, byte_reason(p, end, "expected a JSON value"));
	}

member:
	p = ws(p, end);
	if (p >= end)
		return fail(err, base, p, R_TRUNCATED);
	if (*p != '"')
		return fail(err, base, p, byte_reason(p, end, "expected a string (member name)"));
	{
		const unsigned char *name = p + 1;
		bool plain_name;

		if (scan_string(&p, end, base, err, &plain_name) != 0)
			return -1;
		if (idx && depth == 1)
		{
			size_t namelen = (size_t) (p - 1 - name);

			if (idx->n == JSON_INDEX_MAX || (!plain_name && memchr(name, '\\', namelen) != NULL))
				idx->complete = false;
			else
			{
				cur = idx->n++;
				idx->m[cur].name = (const char *) name;
				idx->m[cur].namelen = namelen;
				want_start = true;
			}
		}
	}
	p = ws(p, end);
	if (p >= end)
		return fail(err, base, p, R_TRUNCATED);
	if (*p != ':')
		return fail(err, base, p, byte_reason(p, end, "expected ':' after member name"));
	p++;
	goto value;

after_value:
	if (cur >= 0 && depth == 1)
	{
		idx->m[cur].value.n = (size_t) ((const char *) p - idx->m[cur].value.p);
		cur = -1;
	}
	p = ws(p, end);
	if (depth == 0)
	{
		if (p != end)
			return fail(err, base, p,
						byte_reason(p, end, "trailing characters after the JSON value"));
		return 0;
	}
	if (p >= end)
		return fail(err, base, p, R_TRUNCATED);
	if (*p == ',')
	{
		p++;
		if (stack[depth - 1] == '{')
			goto member;
		goto value;
	}
	if (stack[depth - 1] == '{' && *p == '}')
	{
		depth--;
		p++;
		goto after_value;
	}
	if (stack[depth - 1] == '[' && *p == ']')
	{
		depth--;
		p++;
		goto after_value;
	}
	return fail(
		err, base, p,
		byte_reason(p, end,
					stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'"));
}

int
json_validate_index(const char *s, size_t n, json_error *err, json_index *idx)
{
	nest st;
	int rc;

	st.p = st.local;
	st.cap = sizeof(st.local);
	rc = validate(s, n, err, idx, &st);
	if (st.p != st.local)
		free(st.p);
	return rc;
}

/* ---- lookups on validated text ---- */

static const char *
lws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p at an opening quote; returns just past the closing quote. */
static const char *
skip_string(const char *p, const char *end)
{
	p++;
	for (;;)
	{
		const char *q = memchr(p, '"', (size_t) (end - p));
		const char *b;

		if (q == NULL)
			return end;
		/* the quote is escaped when an odd number of backslashes precede it */
		b = q;
		while (b > p && b[-1] == '\\')
			b--;
		if (((q - b) & 1) == 0)
			return q + 1;
		p = q + 1;
	}
}

/* p at the start of a value; returns just past it. */
static const char *
skip_value(const char *p, const char *end)
{
	size_t d = 0; /* no limit: the text bounds it */

	if (p >= end)
		return end;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[')
	{
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
			   *p != '\r' && *p != '\n')
			p++;
		return p;
	}
	while (p < end)
	{
		if (*p == '"')
		{
			p = skip_string(p, end);
			continue;
		}
		if (*p == '{' || *p == '[')
			d++;
		else if (*p == '}' || *p == ']')
		{
			if (--d == 0)
				return p + 1;
		}
		p++;
	}
	return end;
}

/* Does the string literal lit (quotes included) decode to want? */
static bool
name_equals(const char *lit, size_t litlen, const char *want, size_t wantlen)
{
	strbuf sb = STRBUF_INIT;
	bool eq;

	if (memchr(lit, '\\', litlen) == NULL)
		return litlen - 2 == wantlen && memcmp(lit + 1, want, wantlen) == 0;
	json_unescape((json_span){lit, litlen}, &sb);
	eq = sb.len == wantlen && memcmp(sb.data, want, wantlen) == 0;
	strbuf_free(&sb);
	return eq;
}

/* In the object whose '{' is at p, find member name; value into *out. */
static bool
object_find(const char *p, const char *end, const char *name, size_t namelen, json_span *out)
{
	p = lws(p + 1, end);
	if (p >= end || *p == '}')
		return false;
	while (p < end && *p == '"')
	{
		const char *k = p;
		const char *v;

		p = skip_string(p, end);
		{
			size_t klen = (size_t) (p - k);

			p = lws(p, end);
			if (p >= end || *p != ':')
				return false;
			v = lws(p + 1, end);
			p = skip_value(v, end);
			if (name_equals(k, klen, name, namelen))
			{
				out->p = v;
				out->n = (size_t) (p - v);
				return true;
			}
		}
		p = lws(p, end);
		if (p >= end || *p != ',')
			return false;
		p = lws(p + 1, end);
	}
	return false;
}

/* In the array whose '[' is at p, find element idx. */
static bool
array_index(const char *p, const char *end, size_t idx, json_span *out)
{
	p = lws(p + 1, end);
	if (p >= end || *p == ']')
		return false;
	for (size_t i = 0;; i++)
	{
		const char *v = p;

		p = skip_value(v, end);
		if (i == idx)
		{
			out->p = v;
			out->n = (size_t) (p - v);
			return true;
		}
		p = lws(p, end);
		if (p >= end || *p != ',')
			return false;
		p = lws(p + 1, end);
	}
}

bool
json_member(const char *s, size_t n, const char *name, size_t namelen, json_span *out)
{
	const char *end = s + n;
	const char *p = lws(s, end);

	if (p >= end || *p != '{')
		return false;
	return object_find(p, end, name, namelen, out);
}

bool
json_next_member(json_span obj, size_t *pos, json_span *name, json_span *value)
{
	const char *end = obj.p + obj.n;
	const char *p = obj.p + *pos;

	if (*pos == 0)
	{
		p = lws(obj.p, end);
		if (p >= end || *p != '{')
			return false;
		p++;
	}
	p = lws(p, end);
	if (p < end && *p == ',')
		p = lws(p + 1, end);
	if (p >= end || *p != '"')
		return false;
	name->p = p;
	p = skip_string(p, end);
	name->n = (size_t) (p - name->p);
	p = lws(p, end);
	if (p >= end || *p != ':')
		return false;
	value->p = lws(p + 1, end);
	p = skip_value(value->p, end);
	value->n = (size_t) (p - value->p);
	*pos = (size_t) (p - obj.p);
	return true;
}

bool
json_pointer(const char *s, size_t n, const char *ptr, size_t ptrlen, json_span *out)
{
	const char *end = s + n;
	const char *pend = ptr + ptrlen;
	json_span cur;
	strbuf tok = STRBUF_INIT;
	bool found = true;

	cur.p = lws(s, end);
	cur.n = (size_t) (skip_value(cur.p, end) - cur.p);
	if (ptrlen > 0 && ptr[0] != '/')
		return false;
	while (ptr < pend)
	{
		const char *q = ptr + 1;

		/* decode one reference token: ~1 is '/', ~0 is '~' */
		strbuf_reset(&tok);
		while (q < pend && *q != '/')
		{
			if (*q == '~')
			{
				if (q + 1 >= pend || (q[1] != '0' && q[1] != '1'))
				{
					found = false;
					goto done;
				}
				strbuf_putc(&tok, q[1] == '0' ? '~' : '/');
				q += 2;
			}
			else
				strbuf_putc(&tok, *q++);
		}
		ptr = q;
		if (cur.n > 0 && cur.p[0] == '{')
			found = object_find(cur.p, cur.p + cur.n, tok.data ? tok.data : "", tok.len, &cur);
		else if (cur.n > 0 && cur.p[0] == '[')
		{
			size_t idx = 0;

			/* array index: digits, no leading zero; "-" (past the end) never resolves */
			found = tok.len > 0 && tok.len <= 18 && !(tok.len > 1 && tok.data[0] == '0');
			for (size_t i = 0; found && i < tok.len; i++)
			{
				if (tok.data[i] < '0' || tok.data[i] > '9')
					found = false;
				else
					idx = idx * 10 + (size_t) (tok.data[i] - '0');
			}
			if (found)
				found = array_index(cur.p, cur.p + cur.n, idx, &cur);
		}
		else
			found = false;
		if (!found)
			goto done;
	}
	*out = cur;
done:
	strbuf_free(&tok);
	return found;
}

bool
json_compact(strbuf *out, const char *s, size_t n)
{
	const char *end = s + n;
	const char *p = s;
	char *w;

	if (json_validate(s, n, NULL) != 0)
		return false;
	/* the output is never longer than the input: write in place */
	strbuf_grow(out, n);
	w = out->data + out->len;
	while (p < end)
	{
		if (*p == '"')
		{
			const char *q = skip_string(p, end);

			memcpy(w, p, (size_t) (q - p));
			w += q - p;
			p = q;
		}
		else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		else
			*w++ = *p++;
	}
	out->len = (size_t) (w - out->data);
	out->data[out->len] = '\0';
	return true;
}

char
json_kind(json_span v)
{
	if (v.n == 0)
		return '?';
	switch (v.p[0])
	{
		case '"':
			return 's';
		case '{':
			return 'o';
		case '[':
			return 'a';
		case 't':
			return 't';
		case 'f':
			return 'f';
		case 'n':
			return 'z';
		default:
			return 'n';
	}
}

static void
put_utf8(strbuf *sb, uint32_t cp)
{
	char b[4];

	if (cp < 0x80)
		strbuf_putc(sb, (char) cp);
	else if (cp < 0x800)
	{
		b[0] = (char) (0xC0 | (cp >> 6));
		b[1] = (char) (0x80 | (cp & 0x3F));
		strbuf_add(sb, b, 2);
	}
	else if (cp < 0x10000)
	{
		b[0] = (char) (0xE0 | (cp >> 12));
		b[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char) (0x80 | (cp & 0x3F));
		strbuf_add(sb, b, 3);
	}
	else
	{
		b[0] = (char) (0xF0 | (cp >> 18));
		b[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char) (0x80 | (cp & 0x3F));
		strbuf_add(sb, b, 4);
	}
}

void
json_unescape(json_span v, strbuf *sb)
{
	const unsigned char *p = (const unsigned char *) v.p + 1;
	const unsigned char *end = (const unsigned char *) v.p + v.n - 1; /* the closing quote */

	strbuf_grow(sb, v.n);
	while (p < end)
	{
		const unsigned char *run = p;

		while (p < end && *p != '\\')
			p++;
		if (p > run)
			strbuf_add(sb, run, (size_t) (p - run));
		if (p >= end)
			break;
		if (p + 1 >= end)
			break;
		switch (p[1])
		{
			case 'b':
				strbuf_putc(sb, '\b');
				break;
			case 'f':
				strbuf_putc(sb, '\f');
				break;
			case 'n':
				strbuf_putc(sb, '\n');
				break;
			case 'r':
				strbuf_putc(sb, '\r');
				break;
			case 't':
				strbuf_putc(sb, '\t');
				break;
			case 'u':
			{
				long cp = hex4(p + 2, end);

				if (cp < 0)
					return;
				if (cp >= 0xD800 && cp <= 0xDBFF && end - (p + 6) >= 6)
				{
					long lo = hex4(p + 8, end);

					if (lo >= 0xDC00 && lo <= 0xDFFF)
					{
						put_utf8(sb, (uint32_t) (0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)));
						p += 12;
						continue;
					}
				}
				put_utf8(sb, (uint32_t) cp);
				p += 6;
				continue;
			}
			default: /* '"', '\\', '/' */
				strbuf_putc(sb, (char) p[1]);
				break;
		}
		p += 2;
	}
}
