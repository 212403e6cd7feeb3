/*
 * test_kw_txn.c
 *	Positions of pgwal-read's lines for exactly-once delivery: what each
 *	kind of line maps to, how positions order along the stream, and the
 *	lines whose position cannot be read.
 */
#include <string.h>

#include "tap.h"
#include "txn.h"

/* The position of line, through the validator's index as kafka-write does. */
static kw_pos_kind
pos_of(const char *line, kw_pos *pos, const char **why)
{
	json_index idx;
	json_error jerr;
	json_span op = {NULL, 0};
	size_t n = strlen(line);

	*why = NULL;
	if (json_validate_index(line, n, &jerr, &idx) != 0)
	{
		*why = "invalid JSON";
		return KW_POS_BAD;
	}
	if (!json_member(line, n, "op", 2, &op))
		return KW_POS_NONE;
	return kw_pos_of_event(line, n, &idx, op, pos, why);
}

static void
expect(const char *line, uint64_t lsn, uint8_t phase, uint64_t seq, const char *name)
{
	kw_pos p;
	const char *why;
	kw_pos_kind k = pos_of(line, &p, &why);

	ok(k == KW_POS_EVENT && p.lsn == lsn && p.phase == phase && p.seq == seq,
	   "%s: (%llx, %u, %llu)", name, (unsigned long long) p.lsn, p.phase,
	   (unsigned long long) p.seq);
}

static void
test_kinds(void)
{
	kw_pos p;
	const char *why;

	expect("{\"op\":\"begin\",\"lsn\":\"0/100\",\"xid\":1,\"ts\":\"x\",\"commit_lsn\":\"0/200\"}",
		   0x200, 1, 0, "begin at seq 0");
	expect("{\"op\":\"insert\",\"lsn\":\"0/110\",\"commit_lsn\":\"0/200\",\"seq\":7,\"key\":{}}",
		   0x200, 1, 7, "change at its seq");
	expect("{\"op\":\"commit\",\"lsn\":\"0/200\",\"end_lsn\":\"0/230\",\"events\":7}", 0x200, 1, 8,
		   "commit after its events");
	expect("{\"op\":\"truncate\",\"lsn\":\"0/120\",\"commit_lsn\":\"1/200\",\"seq\":2}",
		   0x100000200ULL, 1, 2, "truncate, high word");
	expect("{\"op\":\"message\",\"lsn\":\"0/130\",\"commit_lsn\":\"0/200\",\"seq\":3,"
		   "\"transactional\":true}",
		   0x200, 1, 3, "transactional message");
	expect("{\"op\":\"message\",\"lsn\":\"0/140\",\"end_lsn\":\"0/140\",\"xid\":null,"
		   "\"transactional\":false}",
		   0x140, 1, 0, "non-transactional message at its end_lsn");
	expect("{\"op\":\"read\",\"lsn\":\"0/50\",\"commit_lsn\":\"0/50\",\"seq\":3}", 0x50, 0, 3,
		   "snapshot row in phase 0");
	expect("{\"op\":\"begin\",\"lsn\":\"0/50\",\"commit_lsn\":\"0/50\",\"snapshot\":true}", 0x50, 0,
		   0, "snapshot begin in phase 0");
	expect("{\"op\":\"commit\",\"lsn\":\"0/50\",\"end_lsn\":\"0/50\",\"events\":3,"
		   "\"snapshot\":true}",
		   0x50, 0, 4, "snapshot commit in phase 0");
	expect("{\"op\":\"read\",\"lsn\":null,\"commit_lsn\":null,\"seq\":9}", 0, 0, 9,
		   "backfill row by seq alone");

	ok(pos_of("{\"id\":1}", &p, &why) == KW_POS_NONE, "a line without op has no position");
	ok(pos_of("{\"op\":\"x\",\"v\":1}", &p, &why) == KW_POS_NONE,
	   "a line without commit_lsn has no position");
	ok(pos_of("[1,2]", &p, &why) == KW_POS_NONE, "not an object");
}

static void
test_bad(void)
{
	kw_pos p;
	const char *why;

	kw_pos_kind k = pos_of("{\"op\":\"insert\",\"commit_lsn\":\"0/zz\",\"seq\":1}", &p, &why);

	ok(k == KW_POS_BAD && why != NULL, "commit_lsn not an LSN: %s", why ? why : "-");
	ok(pos_of("{\"op\":\"insert\",\"commit_lsn\":\"0/1\",\"seq\":-1}", &p, &why) == KW_POS_BAD,
	   "negative seq");
	ok(pos_of("{\"op\":\"insert\",\"commit_lsn\":\"0/1\",\"seq\":1.5}", &p, &why) == KW_POS_BAD,
	   "fractional seq");
	ok(pos_of("{\"op\":\"insert\",\"commit_lsn\":\"0/1\",\"seq\":18446744073709551616}", &p,
			  &why) == KW_POS_BAD,
	   "seq past 2^64");
	ok(pos_of("{\"op\":\"insert\",\"commit_lsn\":\"0/1\"}", &p, &why) == KW_POS_BAD,
	   "change without seq");
	ok(pos_of("{\"op\":\"insert\",\"commit_lsn\":null,\"seq\":1}", &p, &why) == KW_POS_BAD,
	   "a streamed change with a null commit_lsn");
	ok(pos_of("{\"op\":\"commit\",\"lsn\":\"0/1\",\"end_lsn\":\"0/2\"}", &p, &why) == KW_POS_BAD,
	   "commit without events");
	ok(pos_of("{\"op\":\"commit\",\"lsn\":5,\"events\":1}", &p, &why) == KW_POS_BAD,
	   "commit lsn not a string");
	ok(pos_of("{\"op\":\"message\",\"end_lsn\":\"x\"}", &p, &why) == KW_POS_BAD,
	   "message end_lsn not an LSN");
	expect("{\"op\":\"insert\",\"commit_lsn\":\"0/1\",\"seq\":18446744073709551615}", 1, 1,
		   UINT64_MAX, "seq 2^64-1 is read");
}

static void
test_order(void)
{
	/* one stream: a snapshot at 0/50, a transaction committing at 0/50 too, then more */
	static const char *const stream[] = {
		"{\"op\":\"begin\",\"commit_lsn\":\"0/50\",\"snapshot\":true}",
		"{\"op\":\"read\",\"commit_lsn\":\"0/50\",\"seq\":1}",
		"{\"op\":\"read\",\"commit_lsn\":\"0/50\",\"seq\":2}",
		"{\"op\":\"commit\",\"lsn\":\"0/50\",\"events\":2,\"snapshot\":true}",
		"{\"op\":\"begin\",\"commit_lsn\":\"0/50\"}",
		"{\"op\":\"insert\",\"commit_lsn\":\"0/50\",\"seq\":1}",
		"{\"op\":\"commit\",\"lsn\":\"0/50\",\"events\":1}",
		"{\"op\":\"message\",\"end_lsn\":\"0/60\"}",
		"{\"op\":\"begin\",\"commit_lsn\":\"0/A0\"}",
		"{\"op\":\"update\",\"commit_lsn\":\"0/A0\",\"seq\":1}",
		"{\"op\":\"update\",\"commit_lsn\":\"0/A0\",\"seq\":2}",
		"{\"op\":\"commit\",\"lsn\":\"0/A0\",\"events\":2}",
		"{\"op\":\"begin\",\"commit_lsn\":\"1/0\"}",
	};
	size_t n = sizeof(stream) / sizeof(stream[0]);
	kw_pos prev, cur;
	const char *why;
	bool increasing = true;

	pos_of(stream[0], &prev, &why);
	for (size_t i = 1; i < n; i++)
	{
		if (pos_of(stream[i], &cur, &why) != KW_POS_EVENT || kw_pos_cmp(&prev, &cur) >= 0)
		{
			increasing = false;
			diag(stream[i]);
		}
		ok(kw_pos_cmp(&cur, &cur) == 0, "a position equals itself (%zu)", i);
		prev = cur;
	}
	ok(increasing, "positions increase strictly along the stream");
}

int
main(void)
{
	test_kinds();
	test_bad();
	test_order();
	return done_testing();
}
