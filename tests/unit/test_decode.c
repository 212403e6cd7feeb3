/*
 * test_decode.c
 *	The pgoutput decoder against golden fixtures, a truncation sweep over
 *	every fixture, and direct tests of the value mapper.
 *
 *	Fixtures: FIXTURES_DIR (argv[1], env FIXTURES_DIR, default
 *	tests/fixtures/pgoutput) holds NAME.msgs, one message per line
 *	"<wal_start> <wal_end> <hex payload>" ('#' lines and blank lines
 *	ignored; "# proto: N" and "# pk: RELID a,b" are directives), and
 *	either NAME.ndjson (the exact expected output) or NAME.err (a substring
 *	of decoder_error() for the last message, which must fail).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "decode.h"
#include "jsonscan.h"
#include "lsn.h"
#include "strbuf.h"
#include "tap.h"
#include "values.h"
#include "xalloc.h"

typedef struct fmsg
{
	uint64_t start;
	uint64_t end;
	unsigned char *data;
	size_t len;
	int line;
} fmsg;

typedef struct fixture
{
	char *name;
	int proto;
	fmsg *msgs;
	size_t nmsgs;
	/* pk directives */
	uint32_t pk_relid[8];
	char *pk_cols[8];
	int npk;
	int pk_calls;
} fixture;

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	strbuf_init(&sb, 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	if (len)
		*len = sb.len;
	return strbuf_detach(&sb);
}

/* Parse a .msgs file; returns false (with a diagnostic) if malformed. */
static bool
load_fixture(const char *path, fixture *fx)
{
	char *text = read_file(path, NULL);
	char *line, *save = NULL;
	int lineno = 0;
	size_t cap = 0;

	fx->proto = 4;
	if (text == NULL)
		return false;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		char a[32], b[32];
		const char *hex;
		fmsg m;

		lineno++;
		if (strncmp(line, "# proto:", 8) == 0)
			fx->proto = atoi(line + 8);
		else if (strncmp(line, "# pk:", 5) == 0 && fx->npk < 8)
		{
			char *p = line + 5;

			fx->pk_relid[fx->npk] = (uint32_t) strtoul(p, &p, 10);
			while (*p == ' ')
				p++;
			fx->pk_cols[fx->npk++] = xstrdup(p);
		}
		if (line[0] == '#' || line[strspn(line, " \t\r")] == '\0')
			continue;
		int used = 0;

		if (sscanf(line, "%31s %31s%n", a, b, &used) != 2)
			goto bad;
		memset(&m, 0, sizeof(m));
		m.line = lineno;
		if (lsn_parse(a, &m.start) != 0 || lsn_parse(b, &m.end) != 0)
			goto bad;
		hex = line + used;
		while (*hex == ' ')
			hex++;
		m.data = xmalloc(strlen(hex) / 2 + 1);
		for (; hex[0] && hex[0] != '\r' && hex[0] != ' '; hex += 2)
		{
			if (hex_digit(hex[0]) < 0 || hex_digit(hex[1]) < 0)
			{
				free(m.data);
				goto bad;
			}
			m.data[m.len++] = (unsigned char) (hex_digit(hex[0]) * 16 + hex_digit(hex[1]));
		}
		if (fx->nmsgs == cap)
		{
			cap = cap ? cap * 2 : 16;
			fx->msgs = xrealloc(fx->msgs, cap * sizeof(fmsg));
		}
		fx->msgs[fx->nmsgs++] = m;
	}
	free(text);
	return true;
bad:
	printf("# %s line %d: malformed\n", path, lineno);
	free(text);
	return false;
}

static void
free_fixture(fixture *fx)
{
	for (size_t i = 0; i < fx->nmsgs; i++)
		free(fx->msgs[i].data);
	free(fx->msgs);
	for (int i = 0; i < fx->npk; i++)
		free(fx->pk_cols[i]);
	free(fx->name);
}

/* The pk_lookup hook of a fixture: answers from its "# pk:" lines. */
static int
fixture_pk(void *arg, uint32_t relid, char ***names)
{
	fixture *fx = arg;

	fx->pk_calls++;
	for (int i = 0; i < fx->npk; i++)
	{
		char *copy, *tok, *sp = NULL;
		int n = 0;

		if (fx->pk_relid[i] != relid)
			continue;
		*names = xcalloc(16, sizeof(char *));
		copy = xstrdup(fx->pk_cols[i]);
		for (tok = strtok_r(copy, ",", &sp); tok && n < 16; tok = strtok_r(NULL, ",", &sp))
			(*names)[n++] = xstrdup(tok);
		free(copy);
		return n;
	}
	*names = NULL;
	return 0; /* no "# pk:" line: no primary key */
}

static decoder *
fixture_decoder(fixture *fx)
{
	decoder_opts o = {fx->proto, fixture_pk, fx, NULL, NULL};

	return decoder_new(&o);
}

/* Print the first differing line of got and want as TAP diagnostics. */
static void
diff_lines(const char *got, const char *want)
{
	int line = 1;

	while (*got || *want)
	{
		size_t gl = strcspn(got, "\n"), wl = strcspn(want, "\n");

		if (gl != wl || memcmp(got, want, gl) != 0)
		{
			printf("# line %d differs\n#      got: %.*s\n# expected: %.*s\n", line, (int) gl, got,
				   (int) wl, want);
			return;
		}
		got += gl + (got[gl] ? 1 : 0);
		want += wl + (want[wl] ? 1 : 0);
		line++;
	}
}

/*
 * Does out end with the line that matches a DEC_COMMIT res: a commit line
 * with res's end_lsn and event count, or a non-transactional message line
 * with res's end_lsn?
 */
static bool
commit_line_matches(const strbuf *out, size_t from, const dec_result *res)
{
	char lsn[LSN_BUFLEN];
	char want_end[64];
	char want_events[64];
	const char *last;

	if (out->len <= from || out->data[out->len - 1] != '\n')
		return false;
	/* the last line of what was appended */
	last = out->data + out->len - 1;
	while (last > out->data + from && last[-1] != '\n')
		last--;
	snprintf(want_end, sizeof(want_end), "\"end_lsn\":\"%s\"", lsn_format(res->end_lsn, lsn));
	if (strstr(last, want_end) == NULL)
		return false;
	if (strncmp(last, "{\"op\":\"message\"", strlen("{\"op\":\"message\"")) == 0)
		return res->events == 0 && res->commit_lsn == res->end_lsn;
	snprintf(want_events, sizeof(want_events), "\"events\":%llu}\n",
			 (unsigned long long) res->events);
	return strncmp(last, "{\"op\":\"commit\"", strlen("{\"op\":\"commit\"")) == 0 &&
		   strlen(last) >= strlen(want_events) &&
		   strcmp(last + strlen(last) - strlen(want_events), want_events) == 0;
}

static void
run_fixture(const char *dir, fixture *fx)
{
	char path[1024];
	char *want_out, *want_err;
	decoder *d = fixture_decoder(fx);
	strbuf out;
	bool pass = true;
	const char *why = "";

	strbuf_init(&out, 0);
	snprintf(path, sizeof(path), "%s/%s.ndjson", dir, fx->name);
	want_out = read_file(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.err", dir, fx->name);
	want_err = read_file(path, NULL);
	if (want_err)
		want_err[strcspn(want_err, "\n")] = '\0';

	for (size_t i = 0; i < fx->nmsgs && pass; i++)
	{
		fmsg *m = &fx->msgs[i];
		dec_result res;
		size_t before = out.len;
		dec_status st = decoder_feed(d, m->data, m->len, m->start, m->end, &out, &res);
		bool last = (i + 1 == fx->nmsgs);

		if (st == DEC_ERROR)
		{
			if (out.len != before)
				pass = false, why = "output appended on error";
			else if (!want_err || !last)
			{
				pass = false;
				why = "unexpected error";
				printf("# %s.msgs line %d: %s\n", fx->name, m->line, decoder_error(d));
			}
			else if (strstr(decoder_error(d), want_err) == NULL)
			{
				pass = false;
				why = "wrong error";
				printf("#      got: %s\n# expected: ...%s...\n", decoder_error(d), want_err);
			}
		}
		else if (want_err && last)
			pass = false, why = "last message did not fail";
		else if (st == DEC_COMMIT && res.empty && (out.len != before || res.events != 0))
			pass = false, why = "an empty transaction printed something";
		else if (st == DEC_COMMIT && !res.empty && !commit_line_matches(&out, before, &res))
			pass = false, why = "DEC_COMMIT without a matching commit line";
		else if (st == DEC_OK && res.events != 0)
			pass = false, why = "events set without a commit";
		if (out.len > 0 && out.data[out.len - 1] != '\n')
			pass = false, why = "partial line";
	}
	if (pass && want_out && strcmp(out.data, want_out) != 0)
	{
		pass = false;
		why = "output differs";
		diff_lines(out.data, want_out);
	}
	if (!want_out && !want_err)
		pass = false, why = "no .ndjson or .err";
	ok(pass, "fixture %s %s", fx->name, why);
	free(want_out);
	free(want_err);
	strbuf_free(&out);
	decoder_free(d);
}

/*
 * Every prefix of every message, after the messages before it: an error or
 * a clean result, nothing appended on error, never a crash (ASan watches).
 */
static void
truncation_sweep(fixture *fx)
{
	bool pass = true;
	size_t tries = 0;

	for (size_t i = 0; i < fx->nmsgs && pass; i++)
	{
		for (size_t cut = 0; cut < fx->msgs[i].len && pass; cut++)
		{
			decoder *d = fixture_decoder(fx);
			strbuf out;
			size_t before;
			dec_status st;

			strbuf_init(&out, 0);
			for (size_t j = 0; j < i; j++)
				decoder_feed(d, fx->msgs[j].data, fx->msgs[j].len, fx->msgs[j].start,
							 fx->msgs[j].end, &out, NULL);
			before = out.len;
			/* a copy of exactly cut bytes, so ASan sees any overread */
			{
				unsigned char *copy = xmalloc(cut ? cut : 1);

				memcpy(copy, fx->msgs[i].data, cut);
				st = decoder_feed(d, copy, cut, fx->msgs[i].start, fx->msgs[i].end, &out, NULL);
				free(copy);
			}
			tries++;
			if (st == DEC_ERROR && (out.len != before || decoder_error(d)[0] == '\0'))
				pass = false;
			if (st != DEC_ERROR && st != DEC_OK && st != DEC_COMMIT)
				pass = false;
			strbuf_free(&out);
			decoder_free(d);
		}
	}
	ok(pass, "truncation sweep %s (%zu prefixes)", fx->name, tries);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
run_fixtures(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	ok(dp != NULL, "fixture directory %s", dir);
	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL)
	{
		size_t l = strlen(e->d_name);

		if (l > 5 && strcmp(e->d_name + l - 5, ".msgs") == 0)
		{
			if (n == cap)
			{
				cap = cap ? cap * 2 : 64;
				names = xrealloc(names, cap * sizeof(char *));
			}
			names[n++] = xstrndup(e->d_name, l - 5);
		}
	}
	closedir(dp);
	qsort(names, n, sizeof(char *), cmp_names);
	ok(n >= 30, "found %zu fixtures", n);
	for (size_t i = 0; i < n; i++)
	{
		fixture fx;
		char path[1024];

		memset(&fx, 0, sizeof(fx));
		fx.name = names[i];
		snprintf(path, sizeof(path), "%s/%s.msgs", dir, names[i]);
		if (!load_fixture(path, &fx))
		{
			ok(0, "fixture %s loads", names[i]);
			free_fixture(&fx);
			continue;
		}
		run_fixture(dir, &fx);
		truncation_sweep(&fx);
		free_fixture(&fx);
	}
	free(names);
}

/* ---- value mapper ---- */
static void
check_value(uint32_t typid, const char *in, const char *want)
{
	strbuf sb;

	strbuf_init(&sb, 0);
	value_to_json(&sb, typid, in, strlen(in));
	is_str(sb.data, want, "value %u %s", typid, in);
	strbuf_free(&sb);
}

static void
test_values(void)
{
	/* numbers: verbatim, never through a double */
	check_value(1700, "123456789012345678901234567890.123456789",
				"123456789012345678901234567890.123456789");
	check_value(701, "1e+30", "1e+30");
	check_value(701, "-0", "-0");
	check_value(700, "1.5e-07", "1.5e-07");
	check_value(701, "NaN", "\"NaN\"");
	check_value(701, "Infinity", "\"Infinity\"");
	check_value(701, "-Infinity", "\"-Infinity\"");
	check_value(1700, "NaN", "\"NaN\"");
	check_value(23, "", "\"\"");
	check_value(23, "12 ", "\"12 \"");
	check_value(23, "-", "\"-\"");
	check_value(20, "00", "\"00\"");
	ok(value_is_json_number("0.5e-3", 6), "0.5e-3 is a number");
	ok(!value_is_json_number("1.e3", 4), "1.e3 is not");
	ok(!value_is_json_number("--1", 3), "--1 is not");
	/* domains are announced by their base type's name */
	is_int(value_builtin_by_name("int4"), 23, "pg_catalog.int4 maps to int4");
	is_int(value_builtin_by_name("_numeric"), 1231, "pg_catalog._numeric maps to numeric[]");
	is_int(value_builtin_by_name("text"), 0, "text needs no mapping");
	is_int(value_builtin_by_name("int44"), 0, "an unknown name maps to nothing");
	/* bool */
	check_value(16, "t", "true");
	check_value(16, "f", "false");
	check_value(16, "true", "\"true\"");
	/* json compaction */
	check_value(114, " { \"a b\" : \"{ x }\" , \"c\":[ 1 , 2 ] } ",
				"{\"a b\":\"{ x }\",\"c\":[1,2]}");
	check_value(114, "{\"q\": \"say \\\"hi\\\" {\"}", "{\"q\":\"say \\\"hi\\\" {\"}");
	check_value(114, "\"\\u00e9\\n\"", "\"\\u00e9\\n\"");
	check_value(3802, "null", "null");
	check_value(3802, "[]", "[]");
	check_value(3802, "{}", "{}");
	check_value(114, "{\"a\":}", "\"{\\\"a\\\":}\"");
	check_value(114, "[1 2]", "\"[1 2]\"");
	check_value(114, "\"raw\ttab\"", "\"\\\"raw\\ttab\\\"\"");
	check_value(114, "[1]]", "\"[1]]\"");
	check_value(114, "{\"a\" 1}", "\"{\\\"a\\\" 1}\"");
	check_value(114, "tru", "\"tru\"");
	check_value(114, "\"\\x\"", "\"\\\"\\\\x\\\"\"");
	check_value(114, "", "\"\"");
	/*
	 * a lone surrogate escape: the json type accepts it, strict JSON (and
	 * kafka-write) does not: the value becomes a string of its text
	 */
	check_value(114, "\"\\ud800\"", "\"\\\"\\\\ud800\\\"\"");
	check_value(114, "{\"a\": [\"x\\uDC00\"]}", "\"{\\\"a\\\": [\\\"x\\\\uDC00\\\"]}\"");
	check_value(114, "\"\\ud83d\\ude00\"", "\"\\ud83d\\ude00\""); /* a pair is fine */
	check_value(199, "{\"\\\"\\\\ud800\\\"\",1}", "[\"\\\"\\\\ud800\\\"\",1]");
	{
		/* deep nesting is handled without recursion */
		strbuf deep, out;
		bool good;

		strbuf_init(&deep, 0);
		strbuf_init(&out, 0);
		for (int i = 0; i < 300000; i++)
			strbuf_puts(&deep, "[ ");
		for (int i = 0; i < 300000; i++)
			strbuf_putc(&deep, ']');
		good = json_compact(&out, deep.data, deep.len);
		ok(good && out.len == 600000, "300000-deep json array compacts (no depth limit)");
		strbuf_reset(&out);
		value_to_json(&out, 3802, deep.data, deep.len);
		ok(out.len == 600000 && out.data[0] == '[', "300000-deep jsonb is embedded");
		strbuf_free(&deep);
		strbuf_free(&out);
	}
	/* arrays */
	check_value(1007, "{1,2,NULL}", "[1,2,null]");
	check_value(1007, "{{1,2},{3,4}}", "[[1,2],[3,4]]");
	check_value(1009, "{\"a b\",\"x\\\"y\",NULL,\"NULL\",null}",
				"[\"a b\",\"x\\\"y\",null,\"NULL\",null]");
	check_value(1009, "{}", "[]");
	check_value(1009, "{\"\"}", "[\"\"]");
	check_value(1020, "{(1,1),(0,0);(2,2),(1,1)}", "[\"(1,1),(0,0)\",\"(2,2),(1,1)\"]");
	check_value(1007, "[0:1]={1,2}", "\"[0:1]={1,2}\"");
	check_value(1022, "{NaN,1.5,-Infinity}", "[\"NaN\",1.5,\"-Infinity\"]");
	check_value(1000, "{t,f}", "[true,false]");
	check_value(3807, "{\"{\\\"a\\\": 1}\",\"[1, 2]\"}", "[{\"a\":1},[1,2]]");
	check_value(1009, "{a,}", "\"{a,}\"");
	check_value(1009, "{,a}", "\"{,a}\"");
	check_value(1009, "{a", "\"{a\"");
	check_value(1009, "{a}x", "\"{a}x\"");
	check_value(1009, "{{a}{b}}", "\"{{a}{b}}\"");
	check_value(1007, "{{{{{{1}}}}}}", "[[[[[[1]]]]]]");
	check_value(1007, "{{{{{{{1}}}}}}}", "\"{{{{{{{1}}}}}}}\"");
	check_value(1009, "{\"a\\\\b\"}", "[\"a\\\\b\"]");
	check_value(VALUE_TEXT_ARRAY, "{happy,sad}", "[\"happy\",\"sad\"]");
	check_value(2950, "{x}", "\"{x}\""); /* uuid is not an array */
	/* hex */
	{
		strbuf sb;

		strbuf_init(&sb, 0);
		value_hex_json(&sb, (const unsigned char *) "\x0a\x0b\xff", 3);
		is_str(sb.data, "\"\\\\x0a0bff\"", "hex json");
		strbuf_free(&sb);
	}
	ok(value_utf8_valid((const unsigned char *) "\xc3\xa9", 2), "utf8 valid");
	ok(!value_utf8_valid((const unsigned char *) "\xc3", 1), "utf8 truncated");
	ok(!value_utf8_valid((const unsigned char *) "\xed\xa0\x80", 3), "utf8 surrogate");
}

/* ---- API details ---- */
static int pk_calls;

static int
count_pk(void *arg, uint32_t relid, char ***names)
{
	(void) arg;
	(void) relid;
	pk_calls++;
	*names = xcalloc(1, sizeof(char *));
	(*names)[0] = xstrdup("id");
	return 1;
}

/* a look-up that fails (its connection broke) */
static int
failing_pk(void *arg, uint32_t relid, char ***names)
{
	(void) arg;
	(void) relid;
	(void) names;
	return -1;
}

static void
feed_hex(decoder *d, const char *hex, strbuf *out, dec_result *res, dec_status want,
		 const char *name)
{
	unsigned char buf[512];
	size_t n = 0;
	dec_status st;

	for (; hex[0] && hex[1] && n < sizeof(buf); hex += 2)
		buf[n++] = (unsigned char) (hex_digit(hex[0]) * 16 + hex_digit(hex[1]));
	st = decoder_feed(d, buf, n, 0x16B3748, 0x16B3748, out, res);
	is_int(st, want, "%s", name);
	if (st == DEC_ERROR && want != DEC_ERROR)
		printf("# %s\n", decoder_error(d));
}

static void
test_api(void)
{
	decoder_opts o = {4, count_pk, NULL, NULL, NULL};
	decoder *d = decoder_new(&o);
	strbuf out;
	dec_result res;
	uint64_t oldest = 1;

	strbuf_init(&out, 0);
	/* relation 1, identity full, column id int4 */
	feed_hex(d, "5200000001707562006100660001016964000000001700000000", &out, &res, DEC_OK,
			 "full relation");
	feed_hex(d,
			 "4200000000000000090000000000000000000000"
			 "07",
			 &out, &res, DEC_OK, "begin");
	ok(res.in_txn, "in_txn after begin");
	feed_hex(d,
			 "49000000014e00017400000001"
			 "35",
			 &out, &res, DEC_OK, "insert");
	feed_hex(d,
			 "49000000014e00017400000001"
			 "36",
			 &out, &res, DEC_OK, "insert again");
	is_int(pk_calls, 1, "pk_lookup asked once per relation");
	ok(strstr(out.data, "\"key\":{\"id\":6}") != NULL, "key from pk_lookup");
	feed_hex(d, "43000000000000000009000000000000000a0000000000000000", &out, &res, DEC_COMMIT,
			 "commit");
	is_int(res.events, 2, "events");
	is_int(res.end_lsn, 10, "end_lsn");
	is_int(res.commit_lsn, 9, "commit_lsn");
	ok(!res.in_txn, "not in_txn after commit");
	/* a new Relation message forgets the cached answer */
	feed_hex(d, "5200000001707562006100660001016964000000001700000000", &out, &res, DEC_OK,
			 "relation again");
	feed_hex(d,
			 "4200000000000000090000000000000000000000"
			 "08",
			 &out, &res, DEC_OK, "begin 2");
	feed_hex(d,
			 "49000000014e00017400000001"
			 "37",
			 &out, &res, DEC_OK, "insert 3");
	is_int(pk_calls, 2, "pk_lookup asked again after a new Relation");
	/* an error appends nothing, and names type, LSN, offset */
	{
		size_t len = out.len;

		feed_hex(d,
				 "49000000014e0001740000000a"
				 "37",
				 &out, &res, DEC_ERROR, "truncated insert");
		is_int(out.len, len, "nothing appended on error");
		is_str(decoder_error(d),
			   "pgoutput message 'I' at 0/16B3748: truncated at byte 23 of 14 (new tuple column 1)",
			   "error message");
	}
	is_int(decoder_pending(d, &oldest), 0, "nothing pending");
	is_int(oldest, 0, "oldest 0");
	decoder_free(d);

	/* a failed primary-key look-up is an error, never a key that changes */
	{
		decoder_opts fo = {4, failing_pk, NULL, NULL, NULL};

		d = decoder_new(&fo);
		strbuf_reset(&out);
		feed_hex(d, "5200000001707562006100660001016964000000001700000000", &out, &res, DEC_OK,
				 "full relation (failing look-up)");
		feed_hex(d,
				 "4200000000000000090000000000000000000000"
				 "07",
				 &out, &res, DEC_OK, "begin (failing look-up)");
		feed_hex(d,
				 "49000000014e00017400000001"
				 "35",
				 &out, &res, DEC_ERROR, "insert whose key cannot be looked up");
		ok(strstr(decoder_error(d),
				  "could not look up the primary key of relation \"pub\".\"a\"") != NULL,
		   "the error names the relation");
		decoder_free(d);
	}

	/* a prepared transaction is pending until committed */
	d = decoder_new(&o);
	strbuf_reset(&out);
	/* begin prepare lsn 0/20 end 0/30 ts 0 xid 5 gid "g" */
	feed_hex(d,
			 "6200000000000000200000000000000030000000000000000000000005"
			 "6700",
			 &out, &res, DEC_OK, "begin prepare");
	ok(res.in_txn, "in_txn during prepare");
	feed_hex(d,
			 "500000000000000000200000000000000030000000000000000000000005"
			 "6700",
			 &out, &res, DEC_OK, "prepare");
	ok(!res.in_txn, "not in_txn after prepare");
	is_int(decoder_pending(d, &oldest), 1, "one prepared transaction pending");
	is_int(oldest, 0x16B3748, "pending since the begin prepare");
	is_int(out.len, 0, "nothing emitted before commit prepared");
	feed_hex(d,
			 "4b0000000000000000400000000000000050000000000000000000000005"
			 "6700",
			 &out, &res, DEC_COMMIT, "commit prepared");
	is_int(res.events, 0, "no events");
	is_int(res.end_lsn, 0x50, "commit prepared end lsn");
	is_int(decoder_pending(d, NULL), 0, "nothing pending after commit prepared");
	is_str(out.data,
		   "{\"op\":\"begin\",\"lsn\":\"0/"
		   "16B3748\",\"xid\":5,\"ts\":\"2000-01-01T00:00:00.000000Z\",\"commit_lsn\":\"0/40\"}\n"
		   "{\"op\":\"commit\",\"lsn\":\"0/40\",\"end_lsn\":\"0/"
		   "50\",\"xid\":5,\"ts\":\"2000-01-01T00:00:00.000000Z\",\"events\":0}\n",
		   "empty prepared transaction");
	decoder_free(d);
	strbuf_free(&out);
}

static int
count_fds(void)
{
	DIR *dp = opendir("/proc/self/fd");
	int n = 0;

	if (dp == NULL)
		return -1;
	while (readdir(dp) != NULL)
		n++;
	closedir(dp);
	return n;
}

/* A streamed transaction spools to a file; decoder_free closes it. */
static void
test_spool_fd(void)
{
	decoder_opts o = {2, NULL, NULL, NULL, NULL};
	int before = count_fds();
	strbuf out;
	dec_result res;

	strbuf_init(&out, 0);
	for (int round = 0; round < 3; round++)
	{
		decoder *d = decoder_new(&o);

		/* stream start xid 7 first segment; an insert for relation 1; stream stop */
		feed_hex(d, "530000000701", &out, &res, DEC_OK, "stream start");
		feed_hex(d,
				 "4900000007000000014e00017400000001"
				 "35",
				 &out, &res, DEC_OK, "streamed insert");
		feed_hex(d, "45", &out, &res, DEC_OK, "stream stop");
		is_int(decoder_pending(d, NULL), 1, "one streamed transaction pending");
		decoder_free(d);
	}
	is_int(count_fds(), before, "no descriptor leaked by the spool");
	strbuf_free(&out);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("FIXTURES_DIR");

	if (dir == NULL)
		dir = "tests/fixtures/pgoutput";
	test_values();
	test_api();
	test_spool_fd();
	run_fixtures(dir);
	return done_testing();
}
