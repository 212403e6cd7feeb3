/*
 * test_event.c
 *	The event writer without a server: the key rules (ev_set_key), the
 *	pgwal lines of a snapshot row, and the parts of Debezium's records
 *	that do not depend on column values (key order, a key change written
 *	as a delete and a create, truncates left out, snapshot markers).
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_dbz.h"
#include "tap.h"

#define INT4 23
#define TEXT 25

/* a table (a int, b text, c text) */
static ev_rel *
table(const ev_writer *w)
{
	ev_rel *rel = ev_rel_new(w, 16400, "public", "t", 3);

	ev_set_col(rel, 0, "a", 1, INT4, -1, true);
	ev_set_col(rel, 1, "b", 1, TEXT, -1, true);
	ev_set_col(rel, 2, "c", 1, TEXT, -1, false);
	return rel;
}

static char *
key_of(ev_writer *w, ev_rel *rel, const ev_val *row)
{
	strbuf out = STRBUF_INIT;
	ev_txn t = {.xid = 7, .commit_lsn = 0x100};
	char *k, *e;

	ev_row(w, &out, &t, rel, 'I', 0x50, NULL, false, row);
	k = strstr(out.data, "\"key\":");
	e = strstr(k, w->o.format == EV_DEBEZIUM ? ",\"value\"" : ",\"before\"");
	*e = '\0';
	k = strdup(k + 6);
	strbuf_free(&out);
	return k;
}

static int
count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

int
main(void)
{
	ev_writer w, dbz;
	ev_rel *rel;
	ev_val row[3] = {{'t', "1", 1}, {'t', "k", 1}, {'t', "x", 1}};
	ev_val row2[3] = {{'t', "2", 1}, {'t', "k", 1}, {'t', "x", 1}};
	char *pk_ba[] = {"b", "a"}, *pk_c[] = {"c"}, *pk_z[] = {"z"};
	char *k;
	strbuf out = STRBUF_INIT;

	ev_writer_init(&w, &(ev_opts){0});
	ev_writer_init(&dbz, &(ev_opts){.format = EV_DEBEZIUM, .topic_prefix = "p", .dbname = "db"});

	/* the key rules */
	rel = table(&w);
	ev_set_key(rel, 'd', NULL, -1, NULL, 0);
	is_str(k = key_of(&w, rel, row), "{\"a\":1,\"b\":\"k\"}",
		   "default identity: the flags, in table order");
	free(k);
	ev_set_key(rel, 'f', pk_ba, 2, NULL, 0);
	is_str(k = key_of(&w, rel, row), "{\"a\":1,\"b\":\"k\"}",
		   "a primary key (b, a): table order all the same");
	free(k);
	ev_set_key(rel, 'f', NULL, 0, NULL, 0);
	is_str(k = key_of(&w, rel, row), "null", "FULL without a primary key: null");
	free(k);
	ev_set_key(rel, 'i', NULL, 0, pk_c, 1);
	is_str(k = key_of(&w, rel, row), "{\"c\":\"x\"}",
		   "USING INDEX without a primary key: the index's columns");
	free(k);
	ev_set_key(rel, 'i', NULL, 0, NULL, 0);
	is_str(k = key_of(&w, rel, row), "{\"a\":1,\"b\":\"k\"}",
		   "USING INDEX, index unknown: the flags");
	free(k);
	ev_set_key(rel, 'd', pk_z, 1, NULL, 0);
	is_str(k = key_of(&w, rel, row), "null", "a key column not published: null");
	free(k);
	ev_rel_free(rel);

	/* a snapshot row in pgwal's format */
	rel = table(&w);
	ev_set_key(rel, 'd', pk_ba, 2, NULL, 0);
	{
		ev_txn t = {.snapshot = true, .commit_lsn = 0x16B3748};

		ev_row(&w, &out, &t, rel, 'R', 0, NULL, false, row);
		is_str(out.data,
			   "{\"op\":\"read\",\"lsn\":\"0/16B3748\",\"xid\":null,\"ts\":null,\"commit_lsn\":"
			   "\"0/16B3748\",\"seq\":1,\"schema\":\"public\",\"table\":\"t\",\"key\":{\"a\":1,"
			   "\"b\":\"k\"},\"before\":null,\"after\":{\"a\":1,\"b\":\"k\",\"c\":\"x\"},"
			   "\"unchanged\":[]}\n",
			   "a snapshot row");
		strbuf_reset(&out);
	}
	ev_rel_free(rel);

	/* Debezium: the key in the primary key's order, the topic */
	rel = table(&dbz);
	ev_set_key(rel, 'd', pk_ba, 2, NULL, 0);
	k = key_of(&dbz, rel, row);
	ok(strncmp(k, "{\"b\":", 5) == 0 && strstr(k, "\"a\":") > strstr(k, "\"b\":"),
	   "Debezium's key follows the primary key's definition order: %s", k);
	free(k);
	{
		ev_txn t = {.xid = 9, .commit_lsn = 0x200};

		ev_row(&dbz, &out, &t, rel, 'I', 0x50, NULL, false, row);
		ok(strstr(out.data, "\"topic\":\"p.public.t\"") != NULL, "topic prefix.schema.table");
		ok(strstr(out.data, "\"op\":\"c\"") != NULL, "insert is op c");
		strbuf_reset(&out);

		/* an update that changes the key: a delete of the old, a create of the new */
		ev_row(&dbz, &out, &t, rel, 'U', 0x60, row, true, row2);
		is_int(count(out.data, "\n"), 2, "a key change is two lines");
		ok(strncmp(out.data, "{\"op\":\"delete\"", 14) == 0 && strstr(out.data, "\"op\":\"d\"") &&
			   strstr(strchr(out.data, '\n'), "{\"op\":\"insert\"") &&
			   strstr(strchr(out.data, '\n'), "\"op\":\"c\""),
		   "... a delete, then an insert");
		is_int(t.seq, 3, "... each an event of the transaction");
		strbuf_reset(&out);

		ev_row(&dbz, &out, &t, rel, 'U', 0x70, NULL, false, row2);
		is_int(count(out.data, "\n"), 1, "an update that keeps the key is one line");
		ok(strstr(out.data, "\"op\":\"u\"") && strstr(out.data, "\"before\":null"),
		   "... op u, no old row under the default identity");
		strbuf_reset(&out);

		ev_truncate(&dbz, &out, &t, &rel, 1, 0, 0x80);
		is_int((long long) out.len, 0, "truncate is not written (skipped.operations=t)");
	}

	/* snapshot markers rewritten in place */
	{
		ev_txn t = {.snapshot = true, .commit_lsn = 0x300};

		ev_row(&dbz, &out, &t, rel, 'R', 0, NULL, false, row);
		ok(strstr(out.data, "\"snapshot\":\"true\""), "a snapshot row is marked true at first");
		ev_remark(&out, &t, "last_in_data_collection");
		ok(strstr(out.data, "\"snapshot\":\"last_in_data_collection\",\"db\":\"db\""),
		   "... and remarked in place");
		ev_remark(&out, &t, "last");
		ok(strstr(out.data, "\"snapshot\":\"last\",\"db\""), "... twice");
		ok(out.data[out.len - 1] == '\n' && out.len == strlen(out.data), "... the line intact");
		strbuf_reset(&out);
	}
	ev_rel_free(rel);

	/* strings as Jackson writes them */
	{
		static const struct
		{
			const char *in, *want;
		} cases[] = {
			{"plain", "\"plain\""},
			{"q\" b\\ n\n r\r t\t", "\"q\\\" b\\\\ n\\n r\\r t\\t\""},
			{"\x01\x1f\x1b\x7f", "\"\\u0001\\u001F\\u001B\x7f\""},
			{"\xc3\xa9 \xe2\x80\xa8", "\"\xc3\xa9 \xe2\x80\xa8\""},
			{"\xf0\x9f\x98\x80", "\"\\uD83D\\uDE00\""},
			{"a\xff"
			 "b",
			 "\"a\xef\xbf\xbd"
			 "b\""},
			{"</script>", "\"</script>\""},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			strbuf_reset(&out);
			dbz_json_string(&out, cases[i].in, strlen(cases[i].in));
			is_str(out.data, cases[i].want, "Jackson's spelling of string %zu", i);
		}
		strbuf_reset(&out);
	}

	/*
	 * a "char" byte above 127: servers before 15 send it raw, 15 on as
	 * \ooo; both give \ooo in either format, not U+FFFD
	 */
	{
		ev_writer *ws[2] = {&w, &dbz};
		const char *const raw[2] = {"\xc3", "\\303"};

		for (int f = 0; f < 2; f++)
			for (int r = 0; r < 2; r++)
			{
				ev_rel *cr = ev_rel_new(ws[f], 16401, "public", "c", 2);
				ev_val crow[2] = {{'t', "1", 1}, {'t', raw[r], strlen(raw[r])}};
				ev_txn t = {.xid = 9, .commit_lsn = 0x200};
				const char *want = "\"c\":\"\\\\303\"";
				char *pk_a[] = {"a"};

				ev_set_col(cr, 0, "a", 1, INT4, -1, true);
				ev_set_col(cr, 1, "c", 1, 18, -1, false);
				ev_set_key(cr, 'd', pk_a, 1, NULL, 0);
				ev_row(ws[f], &out, &t, cr, 'I', 0x50, NULL, false, crow);
				ok(strstr(out.data, want) != NULL, "%s: a \"char\" byte 0xC3 sent %s is \\303",
				   f ? "Debezium" : "pgwal", r ? "as \\303" : "raw");
				strbuf_reset(&out);
				ev_rel_free(cr);
			}
	}

	strbuf_free(&out);
	ev_writer_free(&w);
	ev_writer_free(&dbz);
	return done_testing();
}
