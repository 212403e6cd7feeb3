/*
 * test_kw_line.c
 *	The classification of kafka-write's input lines (line.h): kinds,
 *	acknowledgement points and their end_lsn, positions for exactly once,
 *	and the errors with their bytes, with and without the member index.
 */
#include <string.h>

#include "jsonscan.h"
#include "line.h"
#include "lsn.h"
#include "tap.h"

typedef struct result
{
	int rc;
	kw_line cl;
	const char *why;
	size_t byte;
} result;

/* Classify s, through the member index when indexed, else by walking it. */
static result
classify(const char *s, bool indexed, int flags)
{
	static json_index idx;
	result r;

	memset(&r, 0, sizeof(r));
	if (json_validate_index(s, strlen(s), NULL, &idx) != 0)
	{
		r.rc = -2;
		return r;
	}
	r.rc = kw_line_classify(s, strlen(s), indexed ? &idx : NULL, flags, &r.cl, &r.why, &r.byte);
	return r;
}

static const char *
kind_name(kw_line_kind k)
{
	static const char *const names[] = {"data",   "begin",    "commit", "delete",
										"update", "truncate", "message"};

	return names[k];
}

static void
test_kinds(void)
{
	static const struct
	{
		const char *line;
		const char *kind;
		bool has_op;
		bool ackpoint;
		bool control;
	} cases[] = {
		{"{\"op\":\"insert\",\"key\":{\"id\":1}}", "data", true, false, false},
		{"{\"op\":\"read\"}", "data", true, false, false},
		{"{\"op\":\"begin\",\"xid\":1}", "begin", true, false, true},
		{"{\"op\":\"commit\",\"end_lsn\":\"0/10\"}", "commit", true, true, true},
		{"{\"op\":\"delete\"}", "delete", true, false, false},
		{"{\"op\":\"update\"}", "update", true, false, false},
		{"{\"op\":\"truncate\",\"tables\":[]}", "truncate", true, false, false},
		{"{\"op\":\"message\",\"prefix\":\"p\"}", "message", true, false, false},
		{"{\"op\":\"message\",\"end_lsn\":\"0/20\"}", "message", true, true, false},
		{"{\"op\":\"Commit\",\"end_lsn\":\"0/10\"}", "data", true, false, false},
		{"{\"op\":1}", "data", true, false, false},
		{"{\"value\":\"no op\"}", "data", false, false, false},
		{"[1,2]", "data", false, false, false},
		{"\"op\"", "data", false, false, false},
		{"  \t{\"op\":\"commit\",\"end_lsn\":\"0/10\"}", "commit", true, true, true},
		{"{\"o\\u0070\":\"begin\"}", "begin", true, false, true},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int indexed = 0; indexed <= 1; indexed++)
		{
			result r = classify(cases[i].line, indexed, 0);

			is_int(r.rc, 0, "%s (%s): classified", cases[i].line, indexed ? "index" : "walk");
			is_str(kind_name(r.cl.kind), cases[i].kind, "%s: kind", cases[i].line);
			ok(r.cl.has_op == cases[i].has_op, "%s: has op %d", cases[i].line, cases[i].has_op);
			ok(r.cl.ackpoint == cases[i].ackpoint, "%s: ack point %d", cases[i].line,
			   cases[i].ackpoint);
			ok(kw_line_is_control(&r.cl) == cases[i].control, "%s: control %d", cases[i].line,
			   cases[i].control);
			is_int(r.cl.pos_kind, KW_POS_NONE, "%s: no position asked, none read", cases[i].line);
		}
}

static void
test_ackpoints(void)
{
	const char *commit = "{\"op\":\"commit\",\"lsn\":\"0/16B3900\",\"end_lsn\":\"0/16B3930\"}";
	result r = classify(commit, true, 0);
	char b[LSN_BUFLEN];

	is_int(r.rc, 0, "commit: classified");
	is_str(lsn_format(r.cl.end_lsn, b), "0/16B3930", "commit: end_lsn");
	ok(r.cl.end_lsn_span.p == strstr(commit, "\"0/16B3930\""), "commit: end_lsn's place");

	r = classify("{\"op\":\"commit\",\"lsn\":\"0/1\"}", true, 0);
	is_int(r.rc, -1, "commit without end_lsn: an error");
	is_str(r.why, "commit line without a valid \"end_lsn\"", "... its reason");
	is_int((int) r.byte, 1, "... at byte 1");
	ok(r.cl.ackpoint, "... an acknowledgement point still");

	r = classify("{\"op\":\"commit\",\"end_lsn\":16}", false, 0);
	is_int(r.rc, -1, "commit with a numeric end_lsn: an error at byte 1");
	is_int((int) r.byte, 1, "... at byte 1");

	r = classify("{\"op\":\"commit\",\"end_lsn\":\"0/XYZ\"}", true, 0);
	is_int(r.rc, -1, "commit with end_lsn not an LSN: an error");
	is_int((int) r.byte, 26, "... at the byte of the value");

	r = classify("{\"op\":\"message\",\"end_lsn\":\"nope\"}", true, 0);
	is_int(r.rc, -1, "message with a bad end_lsn: an error");
	is_str(r.why, "message line without a valid \"end_lsn\"", "... its reason");
	is_int((int) r.byte, 27, "... at the byte of the value");

	r = classify("{\"op\":\"message\",\"end_lsn\":null}", true, 0);
	is_int(r.rc, -1, "message with a null end_lsn: an error");
}

static void
test_positions(void)
{
	result r;

	r = classify("{\"op\":\"insert\",\"commit_lsn\":\"0/100\",\"seq\":3}", true, KW_LINE_POSITIONS);
	is_int(r.cl.pos_kind, KW_POS_EVENT, "insert: a position");
	ok(r.cl.pos.lsn == 0x100 && r.cl.pos.seq == 3 && r.cl.pos.phase == 1,
	   "insert: (0/100, streamed, 3)");

	r = classify("{\"op\":\"read\",\"commit_lsn\":\"0/100\",\"seq\":7}", false, KW_LINE_POSITIONS);
	ok(r.cl.pos_kind == KW_POS_EVENT && r.cl.pos.phase == 0 && r.cl.pos.seq == 7,
	   "read: a snapshot position");

	r = classify("{\"op\":\"commit\",\"lsn\":\"0/200\",\"end_lsn\":\"0/230\",\"events\":4}", true,
				 KW_LINE_POSITIONS);
	ok(r.rc == 0 && r.cl.pos_kind == KW_POS_EVENT && r.cl.pos.lsn == 0x200 && r.cl.pos.seq == 5,
	   "commit: (lsn, events + 1)");
	ok(r.cl.end_lsn == 0x230, "commit: end_lsn beside its position");

	r = classify("{\"op\":\"insert\",\"commit_lsn\":\"0/100\"}", true, KW_LINE_POSITIONS);
	is_int(r.rc, 0, "a bad position is not the classifier's error");
	is_int(r.cl.pos_kind, KW_POS_BAD, "... but a bad position");
	is_str(r.cl.pos_why, "event with \"commit_lsn\" but without a valid \"seq\"", "... and why");

	r = classify("{\"op\":\"insert\",\"commit_lsn\":\"0/100\"}", true, 0);
	is_int(r.cl.pos_kind, KW_POS_NONE, "positions not asked: not read");

	r = classify("{\"x\":1}", true, KW_LINE_POSITIONS);
	is_int(r.cl.pos_kind, KW_POS_NONE, "a line without op: no position");

	/*
	 * The Debezium line (DBZ-LINE): pgwal's position members beside the
	 * Kafka record's topic, key, value and headers
	 */
	r = classify(
		"{\"op\":\"delete\",\"lsn\":\"0/16B3748\",\"xid\":740,\"commit_lsn\":\"0/16B37A0\","
		"\"seq\":2,\"schema\":\"public\",\"table\":\"t\",\"topic\":\"shop.public.t\","
		"\"key\":{\"b\":\"k1\",\"a\":1},\"value\":{\"before\":{\"a\":1},\"after\":null,"
		"\"op\":\"d\"},\"headers\":{}}",
		true, KW_LINE_POSITIONS);
	ok(r.rc == 0 && r.cl.kind == KW_LINE_DELETE && r.cl.pos_kind == KW_POS_EVENT &&
		   r.cl.pos.lsn == 0x16B37A0 && r.cl.pos.seq == 2,
	   "a Debezium delete line: a delete at (0/16B37A0, 2)");
}

int
main(void)
{
	test_kinds();
	test_ackpoints();
	test_positions();
	return done_testing();
}
