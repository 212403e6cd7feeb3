/*
 * test_kw_route.c
 *	Templates, topic name sanitising and checks, and Java-compatible
 *	murmur2 partition placement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "murmur2.h"
#include "producer.h"
#include "route.h"
#include "tap.h"

static const char *line =
	"{\"op\":\"insert\",\"schema\":\"public\",\"table\":\"order items$2\",\"xid\":740,"
	"\"key\":{\"id\":1},\"after\":{\"region\":\"eu/west\",\"caf\\u00e9\":\"x\",\"n\":null},"
	"\"u\":\"caf\xc3\xa9\",\"nul\":null}";

/* Expand src against line; "ERR:<reason>" on failure.  Static buffer. */
static const char *
expand(const char *src, int flags)
{
	static char result[1024];
	char err[256];
	kw_tmpl *t = kw_tmpl_compile(src, err, sizeof(err));
	strbuf out = STRBUF_INIT;
	strbuf why = STRBUF_INIT;

	if (t == NULL)
		snprintf(result, sizeof(result), "COMPILE:%s", err);
	else if (kw_tmpl_expand(t, line, strlen(line), NULL, flags, &out, &why) != 0)
		snprintf(result, sizeof(result), "ERR:%s", why.data);
	else
		snprintf(result, sizeof(result), "%s", out.data);
	kw_tmpl_free(t);
	strbuf_free(&out);
	strbuf_free(&why);
	return result;
}

static void
test_templates(void)
{
	is_str(expand("shop.{schema}.{table}", KW_TMPL_TOPIC), "shop.public.order_items_2",
		   "topic template sanitised");
	is_str(expand("shop.{schema}.{table}", 0), "shop.public.order items$2",
		   "same template unsanitised (header/key)");
	is_str(expand("{/after/region}", KW_TMPL_TOPIC), "eu_west",
		   "JSON pointer placeholder sanitised");
	is_str(expand("{/after/region}", 0), "eu/west", "JSON pointer placeholder");
	is_str(expand("{/after/café}", 0), "x", "pointer token matched against an escaped member name");
	is_str(expand("t.{u}", KW_TMPL_TOPIC), "t.caf_", "one '_' per UTF-8 character");
	is_str(expand("{xid}-{key}", 0), "740-{\"id\":1}", "number and object as JSON text");
	is_str(expand("{{lit}}{op}", 0), "{lit}insert", "escaped braces");
	is_str(expand("plain", KW_TMPL_TOPIC), "plain", "static template");
	is_str(expand("a.{missing}", KW_TMPL_TOPIC), "ERR:template field {missing} is missing",
		   "missing field");
	is_str(expand("a.{nul}", KW_TMPL_TOPIC), "ERR:template field {nul} is null", "null field");
	is_str(expand("{/after/n}", 0), "ERR:template field {/after/n} is null", "null via pointer");
	is_str(expand("{/after/nope}", 0), "ERR:template field {/after/nope} is missing",
		   "missing via pointer");
	ok(strncmp(expand("a.{table", 0), "COMPILE:", 8) == 0, "unclosed brace rejected");
	ok(strncmp(expand("a.{}", 0), "COMPILE:", 8) == 0, "empty placeholder rejected");
	ok(strncmp(expand("a}b", 0), "COMPILE:", 8) == 0, "lone } rejected");
	ok(strncmp(expand("a{b{c}", 0), "COMPILE:", 8) == 0, "{ inside a placeholder rejected");
	{
		char err[256];
		kw_tmpl *t = kw_tmpl_compile("shop/{table}", err, sizeof(err));

		ok(t && kw_tmpl_topic_check(t) != NULL, "illegal literal in a topic template found");
		ok(t && !kw_tmpl_is_static(t), "template with a placeholder is not static");
		kw_tmpl_free(t);
		t = kw_tmpl_compile("shop.{table}-x_1", err, sizeof(err));
		ok(t && kw_tmpl_topic_check(t) == NULL, "legal topic template literal accepted");
		kw_tmpl_free(t);
	}
}

static void
test_topic_check(void)
{
	char long_name[300];

	memset(long_name, 'a', sizeof(long_name));
	ok(kw_topic_check("a.b_c-D9", 8) == NULL, "legal topic name");
	ok(kw_topic_check("", 0) != NULL, "empty topic name");
	ok(kw_topic_check(".", 1) != NULL, "topic name .");
	ok(kw_topic_check("..", 2) != NULL, "topic name ..");
	ok(kw_topic_check("...", 3) == NULL, "topic name ... is legal");
	ok(kw_topic_check(long_name, 249) == NULL, "249 bytes accepted");
	ok(kw_topic_check(long_name, 250) != NULL, "250 bytes rejected");
	ok(kw_topic_check("a b", 3) != NULL, "space rejected");
	{
		strbuf sb = STRBUF_INIT;

		kw_topic_sanitize("a\xff"
						  "b\xe2\x82\xac"
						  "c d",
						  9, &sb);
		is_str(sb.data, "a_b_c_d", "sanitise: invalid byte, 3-byte character, space");
		strbuf_free(&sb);
	}
}

static void
test_murmur2(void)
{
	/* Kafka's UtilsTest.testMurmur2 and librdkafka's rdmurmur2 unit test */
	static const struct
	{
		const char *key;
		int32_t hash;
	} v[] = {
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
		{"kafka", (int32_t) 0xd067cf64},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(kw_murmur2(v[i].key, strlen(v[i].key)), v[i].hash, "murmur2(\"%s\")", v[i].key);
	/* placement: toPositive(hash) % partitions */
	is_int(kw_murmur2_partition("21", 2, 100), (-973932308 & 0x7fffffff) % 100,
		   "partition of \"21\" among 100");
	is_int(kw_murmur2_partition("kafka", 5, 7), (int32_t) ((0xd067cf64u & 0x7fffffffu) % 7),
		   "partition of \"kafka\" among 7");
	is_int(kw_murmur2_partition("{\"id\":1}", 8, 1), 0, "one partition: always 0");
}

/* Topic names Kafka takes for the same ('.' and '_'), and a template's leading text. */
static void
test_collide_lead(void)
{
	char err[256];
	kw_tmpl *t;
	const char *lead;
	size_t n;

	ok(kw_topic_collide("s.x.y", "s.x_y"), "collide: '.' and '_' at one place");
	ok(kw_topic_collide("a_b.c", "a.b_c"), "collide: swapped");
	ok(!kw_topic_collide("s.x.y", "s.x.y2"), "no collision: longer name");
	ok(!kw_topic_collide("s.x-y", "s.x_y"), "no collision: '-' is its own character");
	ok(!kw_topic_collide("ab", "a"), "no collision: prefix");

	t = kw_tmpl_compile("shop.{schema}.{table}", err, sizeof(err));
	lead = kw_tmpl_lead(t, &n);
	is_int((int) n, 5, "lead of shop.{schema}.{table}: 5 bytes");
	ok(memcmp(lead, "shop.", 5) == 0, "lead of shop.{schema}.{table}: shop.");
	kw_tmpl_free(t);
	t = kw_tmpl_compile("{/after/region}", err, sizeof(err));
	kw_tmpl_lead(t, &n);
	is_int((int) n, 0, "lead of a template starting with a field: empty");
	kw_tmpl_free(t);
	t = kw_tmpl_compile("a{{b.{x}", err, sizeof(err));
	lead = kw_tmpl_lead(t, &n);
	ok(n == 4 && memcmp(lead, "a{b.", 4) == 0, "lead with a literal brace: a{b.");
	kw_tmpl_free(t);
}

/* memo_line: the topic of one line through the memo, and its caller slot. */
static const char *
memo_line(kw_memo *m, const char *l, void ***user, strbuf *why)
{
	json_index idx;

	if (json_validate_index(l, strlen(l), NULL, &idx) != 0)
		return "INVALID";
	return kw_memo_expand(m, l, strlen(l), &idx, why, user);
}

/* The memo gives what kw_tmpl_expand gives, and the same slot for the same fields. */
static void
test_memo(void)
{
	char err[256], l[128];
	kw_tmpl *t = kw_tmpl_compile("shop.{schema}.{table}", err, sizeof(err));
	kw_memo *m = kw_memo_new(t, KW_TMPL_TOPIC);
	strbuf why = STRBUF_INIT;
	void **u1, **u2, **u3;
	const char *r;
	int same = 0;

	is_str(memo_line(m, "{\"schema\":\"public\",\"table\":\"a b\"}", &u1, &why), "shop.public.a_b",
		   "memo: first expansion sanitised");
	ok(*u1 == NULL, "memo: a new expansion has no caller pointer yet");
	*u1 = u1;
	is_str(memo_line(m, "{\"table\":\"orders\",\"op\":1,\"schema\":\"public\"}", &u2, &why),
		   "shop.public.orders", "memo: another table");
	ok(u2 != u1 && *u2 == NULL, "memo: another slot");
	*u2 = u2;
	is_str(memo_line(m, "{\"op\":2,\"schema\":\"public\",\"table\":\"a b\",\"x\":[1]}", &u3, &why),
		   "shop.public.a_b", "memo: the first table again, other members around it");
	ok(u3 == u1 && *u3 == u1, "memo: its slot and caller pointer again");
	/* the fields' boundaries count, not only their bytes */
	is_str(memo_line(m, "{\"schema\":\"ab\",\"table\":\"c\"}", &u1, &why), "shop.ab.c",
		   "memo: ab + c");
	is_str(memo_line(m, "{\"schema\":\"a\",\"table\":\"bc\"}", &u2, &why), "shop.a.bc",
		   "memo: a + bc is another expansion");
	ok(u1 != u2, "memo: ab + c and a + bc in two slots");
	/* the same text escaped otherwise: its own entry, the same expansion */
	is_str(memo_line(m, "{\"schema\":\"public\",\"table\":\"\\u0061 b\"}", &u3, &why),
		   "shop.public.a_b", "memo: an escaped spelling expands the same");
	/* a line the template cannot place: the reason, nothing remembered */
	r = memo_line(m, "{\"schema\":\"public\"}", &u1, &why);
	ok(r == NULL, "memo: missing field gives NULL");
	is_str(why.data, "template field {table} is missing", "memo: missing field's reason");
	r = memo_line(m, "{\"schema\":\"public\",\"table\":null}", &u1, &why);
	ok(r == NULL && strcmp(why.data, "template field {table} is null") == 0,
	   "memo: null field's reason");
	/* more tables than slots: the oldest go, each expansion stays right */
	for (int i = 0; i < KW_MEMO_SLOTS + 4; i++)
	{
		char want[64];

		snprintf(l, sizeof(l), "{\"schema\":\"s\",\"table\":\"t%d\"}", i);
		snprintf(want, sizeof(want), "shop.s.t%d", i);
		r = memo_line(m, l, &u1, &why);
		same += r != NULL && strcmp(r, want) == 0 && *u1 == NULL;
		*u1 = u1;
	}
	is_int(same, KW_MEMO_SLOTS + 4, "memo: twenty new tables, twenty new expansions");
	snprintf(l, sizeof(l), "{\"schema\":\"s\",\"table\":\"t%d\"}", KW_MEMO_SLOTS + 3);
	r = memo_line(m, l, &u1, &why);
	ok(r && *u1 == u1, "memo: the newest is still remembered");
	r = memo_line(m, "{\"schema\":\"s\",\"table\":\"t0\"}", &u1, &why);
	ok(r && strcmp(r, "shop.s.t0") == 0 && *u1 == NULL, "memo: the oldest was replaced");
	kw_memo_free(m);
	kw_tmpl_free(t);

	/* a JSON pointer and a non-string value */
	t = kw_tmpl_compile("{/after/region}.{xid}", err, sizeof(err));
	m = kw_memo_new(t, KW_TMPL_TOPIC);
	is_str(memo_line(m, "{\"xid\":7,\"after\":{\"region\":\"eu/west\"}}", &u1, &why), "eu_west.7",
		   "memo: pointer and number");
	is_str(memo_line(m, "{\"xid\":7,\"after\":{\"region\":\"eu/east\"}}", &u2, &why), "eu_east.7",
		   "memo: pointer to another value");
	ok(u1 != u2, "memo: pointer values tell slots apart");
	kw_memo_free(m);
	kw_tmpl_free(t);
	strbuf_free(&why);
}

int
main(void)
{
	test_templates();
	test_memo();
	test_collide_lead();
	test_topic_check();
	test_murmur2();
	return done_testing();
}
