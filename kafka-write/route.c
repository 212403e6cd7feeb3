/*
 * route.c
 *	Template compilation and expansion, topic name rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "route.h"
#include "xalloc.h"

typedef struct part
{
	bool field;   /* placeholder (else literal text) */
	bool pointer; /* placeholder is a JSON pointer */
	char *text;   /* literal text, field name or pointer */
	size_t len;
} part;

struct kw_tmpl
{
	part *parts;
	size_t nparts;
};

static void
add_part(kw_tmpl *t, bool field, const char *s, size_t len)
{
	part *p;

	if (!field && len == 0)
		return;
	/* merge adjacent literals ("a{{b" is one literal "a{b") */
	if (!field && t->nparts > 0 && !t->parts[t->nparts - 1].field)
	{
		p = &t->parts[t->nparts - 1];
		p->text = xrealloc(p->text, p->len + len + 1);
		memcpy(p->text + p->len, s, len);
		p->len += len;
		p->text[p->len] = '\0';
		return;
	}
	t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(part));
	p = &t->parts[t->nparts++];
	p->field = field;
	p->pointer = field && s[0] == '/';
	p->text = xstrndup(s, len);
	p->len = len;
}

kw_tmpl *
kw_tmpl_compile(const char *src, char *err, size_t errlen)
{
	kw_tmpl *t = xcalloc(1, sizeof(kw_tmpl));
	const char *p = src;
	const char *lit = src;

	while (*p)
	{
		if (p[0] == '{' && p[1] == '{')
		{
			add_part(t, false, lit, (size_t) (p - lit) + 1);
			p += 2;
			lit = p;
		}
		else if (p[0] == '}' && p[1] == '}')
		{
			add_part(t, false, lit, (size_t) (p - lit) + 1);
			p += 2;
			lit = p;
		}
		else if (p[0] == '}')
		{
			snprintf(err, errlen,
					 "template \"%s\": unmatched '}' at byte %zu (write }} for a literal one)", src,
					 (size_t) (p - src) + 1);
			goto error;
		}
		else if (p[0] == '{')
		{
			const char *close = strchr(p + 1, '}');

			if (close == NULL)
			{
				snprintf(err, errlen, "template \"%s\": unclosed '{' at byte %zu", src,
						 (size_t) (p - src) + 1);
				goto error;
			}
			if (close == p + 1)
			{
				snprintf(err, errlen, "template \"%s\": empty placeholder {} at byte %zu", src,
						 (size_t) (p - src) + 1);
				goto error;
			}
			if (memchr(p + 1, '{', (size_t) (close - p - 1)))
			{
				snprintf(err, errlen, "template \"%s\": '{' inside a placeholder at byte %zu", src,
						 (size_t) (p - src) + 1);
				goto error;
			}
			add_part(t, false, lit, (size_t) (p - lit));
			add_part(t, true, p + 1, (size_t) (close - p - 1));
			p = close + 1;
			lit = p;
		}
		else
			p++;
	}
	add_part(t, false, lit, (size_t) (p - lit));
	return t;

error:
	kw_tmpl_free(t);
	return NULL;
}

void
kw_tmpl_free(kw_tmpl *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t);
}

bool
kw_tmpl_is_static(const kw_tmpl *t)
{
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].field)
			return false;
	return true;
}

const char *
kw_tmpl_lead(const kw_tmpl *t, size_t *len)
{
	if (t->nparts == 0 || t->parts[0].field)
	{
		*len = 0;
		return "";
	}
	*len = t->parts[0].len;
	return t->parts[0].text;
}

const char *
kw_tmpl_topic_check(const kw_tmpl *t)
{
	for (size_t i = 0; i < t->nparts; i++)
	{
		if (t->parts[i].field)
			continue;
		for (size_t j = 0; j < t->parts[i].len; j++)
			if (!kw_topic_char_ok((unsigned char) t->parts[i].text[j]))
				return "the literal text of a topic template may only hold [a-zA-Z0-9._-]";
	}
	return NULL;
}

bool
kw_topic_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		   c == '_' || c == '-';
}

void
kw_topic_sanitize(const char *s, size_t n, strbuf *out)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0;

	strbuf_grow(out, n);
	while (i < n)
	{
		if (kw_topic_char_ok(p[i]))
		{
			out->data[out->len++] = (char) p[i];
			i++;
			continue;
		}
		out->data[out->len++] = '_';
		if (p[i] >= 0x80)
		{
			int k = utf8_seqlen(p + i, n - i);

			i += k > 0 ? (size_t) k : 1;
		}
		else
			i++;
	}
	out->data[out->len] = '\0';
}

const char *
kw_topic_check(const char *s, size_t n)
{
	if (n == 0)
		return "topic name is empty";
	if (n > KW_TOPIC_MAX)
		return "topic name longer than 249 bytes";
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return "topic name cannot be \".\" or \"..\"";
	for (size_t i = 0; i < n; i++)
		if (!kw_topic_char_ok((unsigned char) s[i]))
			return "topic name has characters other than [a-zA-Z0-9._-]";
	return NULL;
}

/*
 * The value of placeholder pt in the validated line: its kind ('s', 'z'
 * for null, ... as json_kind) with *v set, or 0 when it is missing.
 */
static char
field_value(const part *pt, const char *line, size_t n, const json_index *idx, json_span *v)
{
	bool found = pt->pointer ? json_pointer(line, n, pt->text, pt->len, v)
							 : json_lookup(idx, line, n, pt->text, pt->len, v);

	return found ? json_kind(*v) : 0;
}

int
kw_tmpl_expand(const kw_tmpl *t, const char *line, size_t n, const json_index *idx, int flags,
			   strbuf *out, strbuf *why)
{
	strbuf tmp = STRBUF_INIT;

	for (size_t i = 0; i < t->nparts; i++)
	{
		const part *pt = &t->parts[i];
		json_span v;
		char kind;

		if (!pt->field)
		{
			strbuf_add(out, pt->text, pt->len);
			continue;
		}
		kind = field_value(pt, line, n, idx, &v);
		if (kind == 0 || kind == 'z')
		{
			strbuf_reset(why);
			strbuf_printf(
				why, "template field {%s} is %s", pt->text,
				kind == 'z'
					? "null"
					: (line[0] == '{' ? "missing" : "missing (the line is not a JSON object)"));
			strbuf_free(&tmp);
			return -1;
		}
		if (kind == 's')
		{
			if (flags & KW_TMPL_TOPIC)
			{
				strbuf_reset(&tmp);
				json_unescape(v, &tmp);
				kw_topic_sanitize(tmp.data ? tmp.data : "", tmp.len, out);
			}
			else
				json_unescape(v, out);
		}
		else if (flags & KW_TMPL_TOPIC)
			kw_topic_sanitize(v.p, v.n, out);
		else
			strbuf_add(out, v.p, v.n);
	}
	strbuf_free(&tmp);
	if (out->data == NULL)
		strbuf_grow(out, 1);
	return 0;
}

/* ---- the memo ---- */

typedef struct memo_slot
{
	strbuf key;  /* the placeholders' raw JSON text, each after its length */
	strbuf text; /* their expansion */
	void *user;
	bool used;
} memo_slot;

struct kw_memo
{
	const kw_tmpl *t;
	int flags;
	size_t next; /* the slot replaced next */
	strbuf key;  /* the current line's key */
	memo_slot slot[KW_MEMO_SLOTS];
};

kw_memo *
kw_memo_new(const kw_tmpl *t, int flags)
{
	kw_memo *m = xcalloc(1, sizeof(kw_memo));

	m->t = t;
	m->flags = flags;
	return m;
}

void
kw_memo_free(kw_memo *m)
{
	if (m == NULL)
		return;
	strbuf_free(&m->key);
	for (size_t i = 0; i < KW_MEMO_SLOTS; i++)
	{
		strbuf_free(&m->slot[i].key);
		strbuf_free(&m->slot[i].text);
	}
	free(m);
}

const char *
kw_memo_expand(kw_memo *m, const char *line, size_t n, const json_index *idx, strbuf *why,
			   void ***user)
{
	memo_slot *s;

	/*
	 * The key: each placeholder's raw JSON text.  The same text expands
	 * the same way (its kind, decoding and sanitising follow from it).
	 */
	strbuf_reset(&m->key);
	for (size_t i = 0; i < m->t->nparts; i++)
	{
		const part *pt = &m->t->parts[i];
		json_span v;
		char kind;

		if (!pt->field)
			continue;
		kind = field_value(pt, line, n, idx, &v);
		if (kind == 0 || kind == 'z')
		{
			/* kw_tmpl_expand says why, in its words */
			strbuf_reset(&m->key);
			kw_tmpl_expand(m->t, line, n, idx, m->flags, &m->key, why);
			return NULL;
		}
		strbuf_add(&m->key, (const char *) &v.n, sizeof(v.n));
		strbuf_add(&m->key, v.p, v.n);
	}
	for (size_t i = 0; i < KW_MEMO_SLOTS && m->slot[i].used; i++)
	{
		s = &m->slot[i];
		if (s->key.len == m->key.len && memcmp(s->key.data, m->key.data, m->key.len) == 0)
		{
			*user = &s->user;
			return s->text.data;
		}
	}
	s = &m->slot[m->next];
	m->next = (m->next + 1) % KW_MEMO_SLOTS;
	strbuf_reset(&s->text);
	if (kw_tmpl_expand(m->t, line, n, idx, m->flags, &s->text, why) != 0)
	{
		s->used = false; /* not reached: the fields resolved above */
		return NULL;
	}
	strbuf_reset(&s->key);
	strbuf_add(&s->key, m->key.data, m->key.len);
	s->user = NULL;
	s->used = true;
	*user = &s->user;
	return s->text.data;
}
