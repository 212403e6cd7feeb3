/*
 * fuzz_kw_line.c
 *	libFuzzer target for kafka-write's line handling: the strict JSON
 *	validator, member and JSON-pointer lookups, compaction (as pgwal-read
 *	uses it), template expansion (with and without the member index: the
 *	same), and the classification of the line (line.h).
 *
 *	Input: a template, a newline, then one JSON line.  Invariants checked
 *	beyond memory safety: lookups on a valid line find values the
 *	validator also accepts, and a sanitised topic expansion contains only
 *	characters Kafka allows when the template's literal text does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "line.h"
#include "route.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t) (nl - data) : 0;
	char *tsrc;
	char *line;
	size_t n;
	json_error e;
	kw_tmpl *t;
	char err[256];
	json_span v;

	if (nl == NULL)
	{
		/* the whole input as one line */
		line = malloc(size ? size : 1);
		memcpy(line, data, size);
		(void) json_validate(line, size, &e);
		free(line);
		return 0;
	}
	/* the line in its own exact-size allocation, so ASan sees any overread */
	n = size - tlen - 1;
	line = malloc(n ? n : 1);
	memcpy(line, nl + 1, n);
	tsrc = malloc(tlen + 1);
	memcpy(tsrc, data, tlen);
	tsrc[tlen] = '\0';

	if (json_validate(line, n, &e) != 0)
	{
		if (e.offset > n || e.reason == NULL)
			abort();
		goto done;
	}

	/* lookups: whatever they find must itself be valid JSON */
	if (json_member(line, n, tsrc, strlen(tsrc), &v))
	{
		if (v.p < line || v.p + v.n > line + n || json_validate(v.p, v.n, &e) != 0)
			abort();
	}
	/* the member index agrees with json_member whenever it answers */
	{
		static json_index idx;
		json_span a, b;
		int r;
		bool m;

		if (json_validate_index(line, n, &e, &idx) != 0)
			abort();
		r = json_index_find(&idx, tsrc, strlen(tsrc), &a);
		m = json_member(line, n, tsrc, strlen(tsrc), &b);
		if ((r == 1 && (!m || a.p != b.p || a.n != b.n)) || (r == 0 && m))
			abort();
	}
	if (json_pointer(line, n, tsrc, strlen(tsrc), &v))
	{
		if (v.p < line || v.p + v.n > line + n || json_validate(v.p, v.n, &e) != 0)
			abort();
		if (json_kind(v) == 's')
		{
			strbuf sb = STRBUF_INIT;

			json_unescape(v, &sb);
			strbuf_free(&sb);
		}
	}

	/* compaction (pgwal-read's json values): valid, never longer, and idempotent */
	{
		strbuf c1 = STRBUF_INIT, c2 = STRBUF_INIT;

		if (!json_compact(&c1, line, n) || c1.len > n || json_validate(c1.data, c1.len, &e) != 0 ||
			!json_compact(&c2, c1.data, c1.len) || c2.len != c1.len ||
			memcmp(c1.data, c2.data, c1.len) != 0)
			abort();
		strbuf_free(&c1);
		strbuf_free(&c2);
	}

	t = kw_tmpl_compile(tsrc, err, sizeof(err));
	if (t)
	{
		strbuf out = STRBUF_INIT;
		strbuf why = STRBUF_INIT;

		strbuf out2 = STRBUF_INIT;
		static json_index idx;
		int r1, r2;

		if (kw_tmpl_expand(t, line, n, NULL, KW_TMPL_TOPIC, &out, &why) == 0 &&
			kw_tmpl_topic_check(t) == NULL)
		{
			for (size_t i = 0; i < out.len; i++)
				if (!kw_topic_char_ok((unsigned char) out.data[i]))
					abort();
		}
		strbuf_reset(&out);
		/* through the member index: the same expansion as by walking the line */
		if (json_validate_index(line, n, &e, &idx) != 0)
			abort();
		r1 = kw_tmpl_expand(t, line, n, NULL, 0, &out, &why);
		r2 = kw_tmpl_expand(t, line, n, &idx, 0, &out2, &why);
		if (r1 != r2 || (r1 == 0 && (out.len != out2.len || memcmp(out.data, out2.data, out.len))))
			abort();
		/* the classification of the line: it only reads it */
		{
			kw_line cl;
			const char *cwhy;
			size_t byte;

			if (kw_line_classify(line, n, &idx, KW_LINE_POSITIONS, &cl, &cwhy, &byte) != 0 &&
				(byte == 0 || byte > n))
				abort();
		}
		strbuf_free(&out);
		strbuf_free(&out2);
		strbuf_free(&why);
		kw_tmpl_free(t);
	}
done:
	free(tsrc);
	free(line);
	return 0;
}
