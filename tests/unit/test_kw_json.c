/*
 * test_kw_json.c
 *	The strict JSON scanner (common/jsonscan.c): validation, lookups,
 *	compaction.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "jsonscan.h"
#include "tap.h"

typedef struct bad_case
{
	const char *in;
	size_t len; /* 0: strlen */
	size_t offset;
	const char *reason; /* a substring of the reason */
} bad_case;

/* A printable rendering of n bytes for a test name (static buffer). */
static const char *
shown(const char *s, size_t n)
{
	static char buf[200];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char) c;
		else
			o += (size_t) snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static void
valid(const char *s, size_t n)
{
	json_error e = {0, NULL};
	int rc = json_validate(s, n, &e);

	ok(rc == 0, "valid: %.60s", shown(s, n));
	if (rc != 0)
		printf("#   offset %zu: %s\n", e.offset, e.reason);
}

static void
invalid(const bad_case *c)
{
	json_error e = {0, NULL};
	size_t n = c->len ? c->len : strlen(c->in);
	int rc = json_validate(c->in, n, &e);

	ok(rc == -1 && e.offset == c->offset && e.reason && strstr(e.reason, c->reason),
	   "invalid at %zu (%s): %.40s", c->offset, c->reason, shown(c->in, n));
	if (rc == 0)
		printf("#   accepted\n");
	else if (e.offset != c->offset || !strstr(e.reason, c->reason))
		printf("#   got offset %zu: %s\n", e.offset, e.reason);
}

static void
test_valid(void)
{
	static const char *const good[] = {
		"{}",
		"[]",
		"0",
		"-0",
		"1.5e10",
		"-0.0E-3",
		"true",
		"false",
		"null",
		"\"\"",
		" {\"a\" : [1, 2.25, {\"b\":null}], \"c\":\"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\"} ",
		"\"\\u00e9\\uD83D\\uDE00\"",                  /* BMP and a surrogate pair */
		"\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", /* 2, 3 and 4 byte UTF-8 */
		"\"\\u0000\"",                                /* an escaped NUL is JSON */
		"{\"op\":\"insert\",\"lsn\":\"0/"
		"16B3748\",\"xid\":740,\"key\":{\"id\":1},\"before\":null,\"after\":{\"id\":1},"
		"\"unchanged\":[]}",
		"{\"a\":1}\r", /* CR is JSON whitespace */
		"123456789012345678901234567890",
		"[1E22, -1e-2, 0.0e+0, 1E+2]",
		"[\"\\u0061\\u30af\\u30EA\\u30b9\"]",
		"\"\\uDBFF\\uDFFF\"",   /* U+10FFFF as a pair */
		"\"\xf4\x8f\xbf\xbf\"", /* U+10FFFF in UTF-8 */
		"\"\x7f\"",             /* DEL needs no escape */
		" [ [ ] , { } ] ",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		valid(good[i], strlen(good[i]));
}

static void
test_invalid(void)
{
	static const bad_case bad[] = {
		{"", 0, 0, "empty line"},
		{"   ", 0, 0, "blank line"},
		{"{\"a\":1", 0, 6, "truncated"},
		{"{\"a\":1}x", 0, 7, "trailing"},
		{"{\"a\":1} {}", 0, 8, "trailing"},
		{"{\"a\" 1}", 0, 5, "expected ':'"},
		{"{a:1}", 0, 1, "member name"},
		{"{\"a\":1,}", 0, 7, "member name"},
		{"[1,]", 0, 3, "expected a JSON value"},
		{"[1 2]", 0, 3, "expected ',' or ']'"},
		{"{\"a\":1]", 0, 6, "expected ',' or '}'"},
		{"01", 0, 1, "leading zero"},
		{"1.", 0, 2, "truncated"},
		{"1.e5", 0, 2, "digit expected"},
		{"1e", 0, 2, "truncated"},
		{"-", 0, 1, "truncated"},
		{"+1", 0, 0, "expected a JSON value"},
		{"tru", 0, 3, "truncated"},
		{"trux", 0, 3, "invalid literal"},
		{"nul", 0, 3, "truncated"},
		{"NaN", 0, 0, "expected a JSON value"},
		{"\"abc", 0, 4, "unterminated"},
		{"\"a\\x\"", 0, 2, "invalid escape"},
		{"\"\\u12G4\"", 0, 1, "invalid \\u escape"},
		{"\"\\uD800\"", 0, 1, "lone surrogate"},
		{"\"\\uDC00\"", 0, 1, "lone surrogate"},
		{"\"\\uD800\\u0041\"", 0, 1, "lone surrogate"},
		{"\"a\tb\"", 0, 2, "control character"},
		{"\"a\nb\"", 0, 2, "control character"},
		{"\"a\0b\"", 5, 2, "NUL byte"},
		{"{\"a\":1}\0", 8, 7, "NUL byte"},
		{"\0", 1, 0, "NUL byte"},
		{"\"\xc3\"", 0, 1, "invalid UTF-8"},             /* truncated sequence */
		{"\"\xc0\xaf\"", 0, 1, "invalid UTF-8"},         /* overlong '/' */
		{"\"\xe0\x80\xaf\"", 0, 1, "invalid UTF-8"},     /* overlong 3 byte */
		{"\"\xed\xa0\x80\"", 0, 1, "invalid UTF-8"},     /* encoded surrogate */
		{"\"\xf4\x90\x80\x80\"", 0, 1, "invalid UTF-8"}, /* beyond U+10FFFF */
		{"\"\xff\"", 0, 1, "invalid UTF-8"},
		{"\xff", 0, 0, "invalid UTF-8"},
		{"{\"a\":1}\xc3", 0, 7, "invalid UTF-8"},
		{".5", 0, 0, "expected a JSON value"},
		{"0x10", 0, 1, "trailing"},
		{"-01", 0, 2, "leading zero"},
		{"\f1", 0, 0, "expected a JSON value"},
		{"[1]\v", 0, 3, "trailing"},
		{"\xc2\xa0 1", 0, 0, "expected a JSON value"}, /* NBSP is not JSON whitespace */
		{"{\"a\":1,,\"b\":2}", 0, 7, "member name"},
		{"[\"a\" \"b\"]", 0, 5, "expected ',' or ']'"},
		{"{\"a\"}", 0, 4, "expected ':'"},
		{"[", 0, 1, "truncated"},
		{"{\"a\":", 0, 5, "truncated"},
		{"\"\\", 0, 2, "unterminated"},
		{"\"\\u12\"", 0, 1, "invalid \\u escape"},
		{"\"\\uD834\\uD834\"", 0, 1, "lone surrogate"}, /* high then high */
		{"Infinity", 0, 0, "expected a JSON value"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		invalid(&bad[i]);
}

/* Every single byte inside a string, at each position of an 8-byte run. */
static void
test_bytes(void)
{
	int bad = 0;

	for (int c = 0; c < 256; c++)
		for (int pos = 0; pos < 10; pos++)
		{
			char s[13];
			json_error e;
			int want_ok = c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
			int rc;

			memset(s, 'a', sizeof(s));
			s[0] = '"';
			s[1 + pos] = (char) c;
			s[12] = '"';
			rc = json_validate(s, sizeof(s), &e);
			if ((rc == 0) != want_ok && !(c == '\\' && pos < 9 && rc == -1))
			{
				if (bad++ < 5)
					printf("#   byte 0x%02x at %d: rc %d\n", c, pos, rc);
			}
			else if (rc != 0 && c != '\\' && c != '"' && e.offset != (size_t) (1 + pos))
			{
				if (bad++ < 5)
					printf("#   byte 0x%02x at %d: offset %zu\n", c, pos, e.offset);
			}
		}
	ok(bad == 0, "each byte value in a string: accepted or rejected at its offset");
}

/* Nesting has no limit but the text: what PostgreSQL stores passes. */
static void
test_depth(void)
{
	json_error e;
	size_t big = 10000000; /* levels */
	char *p = malloc(2 * big + 2);

	/* ten million levels: the stack grows on the heap, no recursion */
	memset(p, '[', big);
	memset(p + big, ']', big);
	ok(json_validate(p, 2 * big, &e) == 0, "10000000 levels of arrays accepted");
	/* unbalanced: the error is found at the end, as for shallow text */
	ok(json_validate(p, 2 * big - 1, &e) == -1 && e.offset == 2 * big - 1 &&
		   strstr(e.reason, "truncated"),
	   "one ']' short: truncated at the end");
	/* mixed objects and arrays, the stack remembers which is which */
	for (size_t i = 0; i < 1000; i++)
		memcpy(p + 6 * i, "{\"a\":[", 6);
	for (size_t i = 0; i < 1000; i++)
		memcpy(p + 6000 + 2 * i, "]}", 2);
	ok(json_validate(p, 8000, &e) == 0, "1000 levels of {\"a\":[ accepted");
	memcpy(p + 7998, "}]", 2);
	ok(json_validate(p, 8000, &e) == -1 && e.offset == 7998 && strstr(e.reason, "expected ','"),
	   "a mismatched bracket at level 1000 found");
	/* the index still sees the top level of a deep document */
	{
		json_index idx;
		json_span v;

		memcpy(p, "{\"k\":", 5);
		memset(p + 5, '[', 300);
		memset(p + 305, ']', 300);
		memcpy(p + 605, ",\"z\":1}", 7);
		ok(json_validate_index(p, 612, &e, &idx) == 0 && json_index_find(&idx, "z", 1, &v) == 1 &&
			   v.n == 1 && v.p[0] == '1',
		   "index past 300 levels");
		ok(json_member(p, 612, "k", 1, &v) && v.n == 600, "member spans 300 levels");
		ok(json_pointer(p, 612, "/k/0/0", 6, &v) && v.n == 596, "pointer into 300 levels");
	}
	free(p);
}

/* No size limit: a 40 MB string (beyond any 32-bit or 16 MB bound) passes. */
static void
test_size(void)
{
	size_t n = 40u << 20;
	char *p = malloc(n + 4);
	strbuf sb = STRBUF_INIT;
	json_error e;

	p[0] = '[';
	p[1] = '"';
	memset(p + 2, 'x', n);
	memcpy(p + 2 + n, "\"]", 2);
	ok(json_validate(p, n + 4, &e) == 0, "a 40 MB string is valid");
	ok(json_compact(&sb, p, n + 4) && sb.len == n + 4, "a 40 MB string compacts");
	p[2 + n - 1] = '\x01';
	ok(json_validate(p, n + 4, &e) == -1 && e.offset == n + 1,
	   "an error at byte 41943041 is placed exactly");
	strbuf_free(&sb);
	free(p);
}

/* json_compact: whitespace outside strings goes, nothing else changes. */
static void
test_compact(void)
{
	static const struct
	{
		const char *in;
		const char *out; /* NULL: refused */
	} cases[] = {
		{" { \"a b\" : \"{ x }\" , \"c\":[ 1 , 2 ] } ", "{\"a b\":\"{ x }\",\"c\":[1,2]}"},
		{"{\"q\": \"say \\\"hi\\\" {\"}", "{\"q\":\"say \\\"hi\\\" {\"}"},
		{"\"\\u00e9\\n \\\\\"", "\"\\u00e9\\n \\\\\""},
		{"\r\n[\ttrue,\nfalse , null]\n", "[true,false,null]"},
		{"\"\\ud800\"", NULL}, /* the json type accepts it */
		{"[1 2]", NULL},
		{"", NULL},
		{"\"\xff\"", NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		strbuf sb = STRBUF_INIT;
		bool r;

		strbuf_puts(&sb, "pre");
		r = json_compact(&sb, cases[i].in, strlen(cases[i].in));
		if (cases[i].out)
			ok(r && strcmp(sb.data + 3, cases[i].out) == 0, "compact: %s", shown(sb.data, sb.len));
		else
			ok(!r && sb.len == 3 && strcmp(sb.data, "pre") == 0, "compact refuses: %s",
			   shown(cases[i].in, strlen(cases[i].in)));
		strbuf_free(&sb);
	}
}

static void
span_is(bool found, json_span v, const char *want, const char *name)
{
	if (want == NULL)
	{
		ok(!found, "%s: not found", name);
		return;
	}
	ok(found && v.n == strlen(want) && memcmp(v.p, want, v.n) == 0, "%s: %s", name, want);
	if (found && !(v.n == strlen(want) && memcmp(v.p, want, v.n) == 0))
		printf("#   got '%.*s'\n", (int) v.n, v.p);
}

static void
test_lookup(void)
{
	const char *doc = "{ \"op\" : \"insert\", \"key\":{\"id\":1, \"b\":[1,{\"x\":\"}\"}]},"
					  "\"a/"
					  "b\":1,\"m~n\":2,\"\\u0074able\":\"t\\\"1\",\"after\":{\"region\":\"eu\","
					  "\"arr\":[10,20,[30]]},"
					  "\"\":\"empty\",\"op\":\"dup\",\"n\":null}";
	size_t n = strlen(doc);
	json_span v = {NULL, 0};
	json_error e;
	bool f;

	ok(json_validate(doc, n, &e) == 0, "lookup document is valid");
	f = json_member(doc, n, "op", 2, &v);
	span_is(f, v, "\"insert\"", "member op (first occurrence)");
	f = json_member(doc, n, "key", 3, &v);
	span_is(f, v, "{\"id\":1, \"b\":[1,{\"x\":\"}\"}]}", "member key, raw text");
	f = json_member(doc, n, "table", 5, &v);
	span_is(f, v, "\"t\\\"1\"", "member name with an escape");
	f = json_member(doc, n, "nope", 4, &v);
	span_is(f, v, NULL, "missing member");
	f = json_member(doc, n, "n", 1, &v);
	span_is(f, v, "null", "null member");
	ok(f && json_kind(v) == 'z', "null kind");
	f = json_member("[1]", 3, "a", 1, &v);
	span_is(f, v, NULL, "member of an array");

	f = json_pointer(doc, n, "/after/region", 13, &v);
	span_is(f, v, "\"eu\"", "pointer /after/region");
	f = json_pointer(doc, n, "/after/arr/1", 12, &v);
	span_is(f, v, "20", "pointer /after/arr/1");
	f = json_pointer(doc, n, "/after/arr/2/0", 14, &v);
	span_is(f, v, "30", "pointer /after/arr/2/0");
	f = json_pointer(doc, n, "/after/arr/3", 12, &v);
	span_is(f, v, NULL, "pointer past the array");
	f = json_pointer(doc, n, "/after/arr/01", 13, &v);
	span_is(f, v, NULL, "pointer index with a leading zero");
	f = json_pointer(doc, n, "/after/arr/-", 12, &v);
	span_is(f, v, NULL, "pointer index -");
	f = json_pointer(doc, n, "/a~1b", 5, &v);
	span_is(f, v, "1", "pointer ~1 is /");
	f = json_pointer(doc, n, "/m~0n", 5, &v);
	span_is(f, v, "2", "pointer ~0 is ~");
	f = json_pointer(doc, n, "/m~2n", 5, &v);
	span_is(f, v, NULL, "pointer with a bad ~ escape");
	f = json_pointer(doc, n, "/", 1, &v);
	span_is(f, v, "\"empty\"", "pointer / is the empty name");
	f = json_pointer(doc, n, "/key/b/1/x", 10, &v);
	span_is(f, v, "\"}\"", "pointer through brackets inside strings");
	f = json_pointer(doc, n, "/op/x", 5, &v);
	span_is(f, v, NULL, "pointer into a string");
	f = json_pointer("[5,6]", 5, "", 0, &v);
	span_is(f, v, "[5,6]", "empty pointer is the document");
	f = json_pointer(doc, n, "after", 5, &v);
	span_is(f, v, NULL, "pointer without a leading /");
}

static void
test_unescape(void)
{
	const char *lit = "\"a\\\"b\\\\c\\/d\\n\\u00e9\\uD83D\\uDE00\\u20AC\"";
	strbuf sb = STRBUF_INIT;

	json_unescape((json_span){lit, strlen(lit)}, &sb);
	is_str(sb.data, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac", "unescape");
	strbuf_free(&sb);
}

/* The member index answers as json_member does, or says it cannot. */
static void
test_index(void)
{
	static const char *const docs[] = {
		"{\"op\":\"insert\",\"key\":{\"id\":1},\"end_lsn\":\"0/1\"}",
		" { \"key\" : [1, {\"key\": 2}] , \"op\" : null } ",
		"{\"a\":1,\"a\":2}",
		"{\"k\\u0065y\":1}",
		"{\"x\":{}, \"y\":[], \"key\":\"s\"}",
		"[{\"key\":1}]",
		"\"key\"",
		"{}",
	};
	static const char *const names[] = {"op", "key", "end_lsn", "a", "x", "y", "missing"};
	json_index idx;
	json_error e;

	for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++)
	{
		size_t n = strlen(docs[d]);
		int agree = 1;

		ok(json_validate_index(docs[d], n, &e, &idx) == 0, "index: doc %zu is valid", d);
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		{
			json_span a, b;
			int r = json_index_find(&idx, names[k], strlen(names[k]), &a);
			bool m = json_member(docs[d], n, names[k], strlen(names[k]), &b);

			if ((r == 1 && (!m || a.p != b.p || a.n != b.n)) || (r == 0 && m))
				agree = 0;
		}
		ok(agree, "index: doc %zu agrees with json_member", d);
	}
	/* an escaped name makes the index say it does not know */
	json_validate_index(docs[3], strlen(docs[3]), &e, &idx);
	{
		json_span v;

		is_int(json_index_find(&idx, "key", 3, &v), -1,
			   "index: an escaped name means ask the slow way");
	}
	json_validate_index(docs[0], strlen(docs[0]), &e, &idx);
	{
		json_span v;

		ok(json_index_find(&idx, "key", 3, &v) == 1 && v.n == 8 &&
			   memcmp(v.p, "{\"id\":1}", 8) == 0,
		   "index: key's value span");
		is_int(json_index_find(&idx, "nope", 4, &v), 0, "index: an absent member is absent");
	}
}

/*
 * Every special byte at every position of strings up to 48 bytes long,
 * each in a buffer of its exact size: the scanner reads strings 16 and 8
 * bytes at a time, and must find the first special byte exactly and
 * never read past the end.
 */
static void
test_string_positions(void)
{
	static const struct
	{
		const char *name;
		const char *bytes; /* put at position k */
		size_t n;
		int valid;
		size_t at;          /* error offset, from position k of the string body */
		const char *reason; /* a substring */
	} kinds[] = {
		{"control character", "\x01", 1, 0, 0, "control character"},
		{"NUL byte", "\0", 1, 0, 0, "NUL byte"},
		{"byte 0xFF", "\xff", 1, 0, 0, "invalid UTF-8"},
		{"byte 0x80", "\x80", 1, 0, 0, "invalid UTF-8"},
		{"two-byte UTF-8", "\xc3\xa9", 2, 1, 0, NULL},
		{"four-byte UTF-8", "\xf0\x9f\x98\x80", 4, 1, 0, NULL},
		{"escape \\n", "\\n", 2, 1, 0, NULL},
		{"escape \\u00e9", "\\u00e9", 6, 1, 0, NULL},
		{"bad escape", "\\x", 2, 0, 0, "invalid escape"},
		{"quote (ends the string early)", "\"", 1, 0, 1, "trailing characters"},
		{"DEL (plain)", "\x7f", 1, 1, 0, NULL},
	};

	for (size_t t = 0; t < sizeof(kinds) / sizeof(kinds[0]); t++)
	{
		int fails = 0;
		char first[160] = "";

		for (size_t len = kinds[t].n; len <= 48; len++)
			for (size_t k = 0; k + kinds[t].n <= len; k++)
			{
				size_t n = len + 2;
				char *buf = malloc(n);
				json_error e = {0, NULL};
				int r;
				int good;

				buf[0] = '"';
				memset(buf + 1, 'a', len);
				memcpy(buf + 1 + k, kinds[t].bytes, kinds[t].n);
				buf[n - 1] = '"';
				r = json_validate(buf, n, &e);
				if (kinds[t].valid)
					good = r == 0;
				else
					good = r != 0 && e.offset == 1 + k + kinds[t].at && e.reason &&
						   strstr(e.reason, kinds[t].reason) != NULL;
				if (!good && fails++ == 0)
					snprintf(first, sizeof(first), "length %zu, position %zu: %s at %zu", len, k,
							 r == 0 ? "valid" : e.reason, e.offset);
				free(buf);
			}
		ok(fails == 0, "string positions: %s%s%s", kinds[t].name, fails ? ": first failure " : "",
		   first);
	}
}

/* Walking an object's members: names and values as spans, whitespace kept out. */
static void
test_next_member(void)
{
	const char *o = "{ \"a\" : 1 , \"b\\\"c\":{\"x\":[1,2]},\"d\":\"s,}\" }";
	json_span obj = {o, strlen(o)}, name, val;
	size_t pos = 0;
	int n = 0;
	char got[256] = "";

	while (json_next_member(obj, &pos, &name, &val))
	{
		size_t l = strlen(got);

		snprintf(got + l, sizeof(got) - l, "%.*s=%.*s;", (int) name.n, name.p, (int) val.n, val.p);
		n++;
	}
	is_int(n, 3, "next_member: three members");
	is_str(got, "\"a\"=1;\"b\\\"c\"={\"x\":[1,2]};\"d\"=\"s,}\";", "next_member: names and values");
	obj.p = "{}";
	obj.n = 2;
	pos = 0;
	ok(!json_next_member(obj, &pos, &name, &val), "next_member: empty object");
	obj.p = "[1]";
	obj.n = 3;
	pos = 0;
	ok(!json_next_member(obj, &pos, &name, &val), "next_member: not an object");
}

int
main(void)
{
	test_next_member();
	test_valid();
	test_invalid();
	test_bytes();
	test_depth();
	test_compact();
	test_size();
	test_lookup();
	test_unescape();
	test_index();
	test_string_positions();
	return done_testing();
}
