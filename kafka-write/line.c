/*
 * line.c
 *	The classification of an input line; see line.h.
 */
#include <string.h>

#include "line.h"
#include "lsn.h"

/* Compare the validated string literal v with the plain text s. */
static bool
str_is(json_span v, const char *s)
{
	size_t n = strlen(s);

	return v.n == n + 2 && v.p[0] == '"' && memcmp(v.p + 1, s, n) == 0;
}

int
kw_line_classify(const char *line, size_t len, const json_index *idx, int flags, kw_line *out,
				 const char **why, size_t *byte)
{
	size_t first = 0;
	json_span v;

	memset(out, 0, sizeof(*out));
	out->kind = KW_LINE_DATA;
	out->pos_kind = KW_POS_NONE;
	while (first < len && (line[first] == ' ' || line[first] == '\t' || line[first] == '\r'))
		first++;
	if (first >= len || line[first] != '{' || !json_lookup(idx, line, len, "op", 2, &out->op))
		return 0;
	out->has_op = true;

	/* pgwal-read's control lines, and the events kafka-write treats apart */
	if (str_is(out->op, "commit"))
	{
		out->kind = KW_LINE_COMMIT;
		out->ackpoint = true;
	}
	else if (str_is(out->op, "message"))
	{
		out->kind = KW_LINE_MESSAGE;
		/* pgwal-read's non-transactional messages are positions too */
		out->ackpoint = json_lookup(idx, line, len, "end_lsn", 7, &v);
	}
	else if (str_is(out->op, "begin"))
		out->kind = KW_LINE_BEGIN;
	else if (str_is(out->op, "delete"))
		out->kind = KW_LINE_DELETE;
	else if (str_is(out->op, "update"))
		out->kind = KW_LINE_UPDATE;
	else if (str_is(out->op, "truncate"))
		out->kind = KW_LINE_TRUNCATE;

	if (out->ackpoint)
	{
		char buf[LSN_BUFLEN + 2];

		*why = out->kind == KW_LINE_COMMIT ? "commit line without a valid \"end_lsn\""
										   : "message line without a valid \"end_lsn\"";
		if (!json_lookup(idx, line, len, "end_lsn", 7, &v) || json_kind(v) != 's' ||
			v.n - 2 >= sizeof(buf))
		{
			*byte = 1;
			return -1;
		}
		memcpy(buf, v.p + 1, v.n - 2);
		buf[v.n - 2] = '\0';
		if (lsn_parse(buf, &out->end_lsn) != 0)
		{
			*byte = (size_t) (v.p - line) + 1;
			return -1;
		}
		out->end_lsn_span = v;
	}
	if (flags & KW_LINE_POSITIONS)
		out->pos_kind = kw_pos_of_event(line, len, idx, out->op, &out->pos, &out->pos_why);
	return 0;
}
