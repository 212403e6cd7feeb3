/*
 * event_dbz.c
 *	Debezium's key and value for a change (event_dbz.h): the envelope
 *	{"before","after","source","transaction","op","ts_ms","ts_us","ts_ns"}
 *	in the member order Debezium 3.6's JsonConverter writes, the columns'
 *	values by dbzvalue.c.  What Debezium does and where it was seen is in
 *	tests/fixtures/debezium/README; pgwal-read(1) lists what differs.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event_dbz.h"
#include "log.h"
#include "values.h"

#define DBZ_VERSION "3.6.1.Final"
/* unavailable.value.placeholder's default, for unchanged TOASTed columns */
#define DBZ_UNAVAILABLE "__debezium_unavailable_value"

/* PostgreSQL's epoch (2000-01-01) in Unix microseconds */
#define PG_EPOCH_US INT64_C(946684800000000)

void
dbz_json_string(strbuf *out, const char *str, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *) str;
	size_t i = 0;

	strbuf_grow(out, n + 2);
	out->data[out->len++] = '"';
	while (i < n)
	{
		unsigned char c = s[i];
		size_t run = i;

		/* plain ASCII and valid 2- and 3-byte sequences go out as they are */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i)
		{
			strbuf_add(out, str + i, run - i);
			i = run;
			continue;
		}
		if (c < 0x80)
		{
			char e[6] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15]};

			switch (c)
			{
				case '"':
					strbuf_add(out, "\\\"", 2);
					break;
				case '\\':
					strbuf_add(out, "\\\\", 2);
					break;
				case '\n':
					strbuf_add(out, "\\n", 2);
					break;
				case '\r':
					strbuf_add(out, "\\r", 2);
					break;
				case '\t':
					strbuf_add(out, "\\t", 2);
					break;
				case '\b':
					strbuf_add(out, "\\b", 2);
					break;
				case '\f':
					strbuf_add(out, "\\f", 2);
					break;
				default:
					strbuf_add(out, e, 6);
					break;
			}
			i++;
			continue;
		}
		{
			size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
			uint32_t cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0F : c & 0x1F;
			bool ok = len > 1 && i + len <= n;

			for (size_t k = 1; ok && k < len; k++)
			{
				ok = (s[i + k] & 0xC0) == 0x80;
				cp = (cp << 6) | (s[i + k] & 0x3F);
			}
			if (ok &&
				((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
				 (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)))
				ok = false;
			if (!ok)
			{
				/* what Java makes of a byte that is not UTF-8: U+FFFD */
				strbuf_add(out, "\xEF\xBF\xBD", 3);
				i++;
			}
			else if (len == 4)
			{
				/* outside the BMP: two escaped UTF-16 surrogates, as Jackson writes them */
				uint32_t v = cp - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
				char e[12] = {
					'\\', 'u', hx[hi >> 12], hx[(hi >> 8) & 15], hx[(hi >> 4) & 15], hx[hi & 15],
					'\\', 'u', hx[lo >> 12], hx[(lo >> 8) & 15], hx[(lo >> 4) & 15], hx[lo & 15]};

				strbuf_add(out, e, 12);
				i += 4;
			}
			else
			{
				strbuf_add(out, str + i, len);
				i += len;
			}
		}
	}
	strbuf_putc(out, '"');
}

/* A column's value the Debezium way; false: Debezium leaves it out. */
static bool
put_dbz_value(ev_writer *w, strbuf *out, const ev_col *col, const ev_val *v)
{
	const char *err = NULL;
	size_t save = out->len;
	ev_val tmp;
	char buf[4];
	int rc;

	v = ev_char_value(col, v, &tmp, buf);
	if (v->kind == 'n')
	{
		strbuf_puts(out, "null");
		return true;
	}
	if (v->kind == 'u')
	{
		dbz_json_string(out, DBZ_UNAVAILABLE, sizeof(DBZ_UNAVAILABLE) - 1);
		return true;
	}
	if (v->kind == 'b')
	{
		/* binary tuple data is never requested: the text as hex, like pgwal */
		value_hex_json(out, (const unsigned char *) v->val, v->len);
		return true;
	}
	rc = dbz_value(out, col->vtype, col->typmod, col->usertype, v->val, v->len, &w->o.modes, &err);
	if (rc < 0)
	{
		out->len = save;
		out->data[save] = '\0';
		log_warn("column \"%s\": %s; written as text", col->name, err ? err : "unexpected value");
		dbz_json_string(out, v->val, v->len);
		return true;
	}
	return rc > 0;
}

/* The column's "name": with a comma before it unless first. */
static void
put_colkey(strbuf *out, bool *first, const ev_col *col)
{
	if (!*first)
		strbuf_putc(out, ',');
	*first = false;
	dbz_json_string(out, col->name, strlen(col->name));
	strbuf_putc(out, ':');
}

/* One column, key and value, unless Debezium leaves it out. */
static void
put_col(ev_writer *w, strbuf *out, bool *first, const ev_col *col, const ev_val *v)
{
	size_t save = out->len;
	bool was_first = *first;

	if (!dbz_type_kept(col->vtype, col->usertype))
		return;

	put_colkey(out, first, col);
	if (!put_dbz_value(w, out, col, v))
	{
		out->len = save;
		out->data[save] = '\0';
		*first = was_first;
	}
}

bool
dbz_key_changed(const ev_rel *rel, const ev_val *oldv, const ev_val *newv)
{
	for (int k = 0; k < rel->npk; k++)
	{
		const ev_val *a = &oldv[rel->pk[k]], *b = &newv[rel->pk[k]];

		if (a->kind == 'u' || b->kind == 'u')
			continue;
		if (a->kind != b->kind || a->len != b->len ||
			(a->len > 0 && memcmp(a->val, b->val, a->len) != 0))
			return true;
	}
	return false;
}

/* Debezium's key: the primary key in its definition order, else null. */
static void
put_key(ev_writer *w, strbuf *out, const ev_rel *rel, const ev_val *src, const ev_val *alt)
{
	bool first = true;

	if (rel->npk <= 0)
	{
		strbuf_puts(out, "null");
		return;
	}
	strbuf_putc(out, '{');
	for (int k = 0; k < rel->npk; k++)
	{
		int c = rel->pk[k];
		const ev_val *v = &src[c];

		if (v->kind == 'u' && alt != NULL)
			v = &alt[c];
		put_col(w, out, &first, &rel->cols[c], v);
	}
	strbuf_putc(out, '}');
}

/*
 * A row as Debezium writes it; keys_only: only the identity's columns are
 * real, the others null.  An unchanged TOASTed value is taken from alt
 * (the old row under REPLICA IDENTITY FULL) when it has it.
 */
static void
put_row(ev_writer *w, strbuf *out, const ev_rel *rel, const ev_val *t, bool keys_only,
		const ev_val *alt)
{
	bool first = true;

	strbuf_putc(out, '{');
	for (int i = 0; i < rel->ncols; i++)
	{
		if (keys_only && !rel->cols[i].key)
			put_col(w, out, &first, &rel->cols[i], &(ev_val){'n', NULL, 0});
		else if (t[i].kind == 'u' && alt != NULL && alt[i].kind != 'u')
			put_col(w, out, &first, &rel->cols[i], &alt[i]);
		else
			put_col(w, out, &first, &rel->cols[i], &t[i]);
	}
	strbuf_putc(out, '}');
}

/* A UUID version 7 for this run: __debezium.context.runId */
static const char *
run_id(void)
{
	static char id[37];
	static const char hx[] = "0123456789abcdef";
	unsigned char b[16];
	int64_t ms;
	uint64_t r = 0;
	struct timespec ts;

	if (id[0] != '\0')
		return id;
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (getentropy(b, sizeof(b)) != 0)
	{
		r = (uint64_t) ts.tv_nsec * 6364136223846793005u + (uint64_t) getpid();
		for (int i = 0; i < 16; i++, r = r * 6364136223846793005u + 1442695040888963407u)
			b[i] = (unsigned char) (r >> 56);
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char) (ms >> (40 - 8 * i));
	b[6] = (unsigned char) (0x70 | (b[6] & 0x0F));
	b[8] = (unsigned char) (0x80 | (b[8] & 0x3F));
	for (int i = 0, j = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			id[j++] = '-';
		id[j++] = hx[b[i] >> 4];
		id[j++] = hx[b[i] & 15];
	}
	return id;
}

/*
 * ,"headers":{...}: the headers Debezium's records carry, the key change
 * ones first (__debezium.newkey on the delete, __debezium.oldkey on the
 * create), then its context headers.
 */
static void
put_headers(ev_writer *w, strbuf *out, const ev_rel *rel)
{
	if (w->dbz_headers == NULL)
	{
		strbuf h = STRBUF_INIT;
		const char *p = w->o.topic_prefix ? w->o.topic_prefix : "";

		strbuf_puts(&h, "\"__debezium.context.connectorLogicalName\":");
		dbz_json_string(&h, p, strlen(p));
		strbuf_puts(&h, ",\"__debezium.context.taskId\":\"0\","
						"\"__debezium.context.connectorName\":\"postgresql\","
						"\"__debezium.context.runId\":\"");
		strbuf_puts(&h, run_id());
		strbuf_puts(&h, "\"}");
		w->dbz_headers = strbuf_detach(&h);
	}
	strbuf_puts(out, ",\"headers\":{");
	if (w->kc_new != NULL || w->kc_old != NULL)
	{
		strbuf_reset(&w->scratch);
		put_key(w, &w->scratch, rel, w->kc_new ? w->kc_new : w->kc_old, NULL);
		strbuf_puts(out, w->kc_new ? "\"__debezium.newkey\":" : "\"__debezium.oldkey\":");
		dbz_json_string(out, w->scratch.data, w->scratch.len);
		strbuf_putc(out, ',');
	}
	strbuf_puts(out, w->dbz_headers);
}

/* Unix microseconds as milliseconds, rounded down */
static int64_t
us_to_ms(int64_t us)
{
	return us / 1000 - (us < 0 && us % 1000 != 0);
}

/* ,"ts_ms":..,"ts_us":..,"ts_ns":.. of one instant */
static void
put_ts_fields(strbuf *out, int64_t unix_us)
{
	strbuf_puts(out, ",\"ts_ms\":");
	dbz_i64(out, us_to_ms(unix_us));
	strbuf_puts(out, ",\"ts_us\":");
	dbz_i64(out, unix_us);
	strbuf_puts(out, ",\"ts_ns\":");
	dbz_i64(out, unix_us);
	strbuf_puts(out, "000");
}

static int64_t
now_unix_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "source":{...} */
static void
put_source(ev_writer *w, strbuf *out, ev_txn *t, const ev_rel *rel, uint64_t lsn)
{
	/* a snapshot, or a message outside any transaction: no commit time */
	int64_t commit_us = t->snapshot || t->ts == 0 ? now_unix_us() : t->ts + PG_EPOCH_US;

	strbuf_puts(out, "\"source\":{\"version\":\"" DBZ_VERSION "\",\"connector\":\"postgresql\","
					 "\"name\":");
	dbz_json_string(out, w->o.topic_prefix ? w->o.topic_prefix : "",
					w->o.topic_prefix ? strlen(w->o.topic_prefix) : 0);
	strbuf_puts(out, ",\"ts_ms\":");
	dbz_i64(out, us_to_ms(commit_us));
	strbuf_puts(out, ",\"snapshot\":\"");
	if (t->snapshot)
	{
		const char *mark = t->mark ? t->mark : "true";

		/* where it is, for ev_remark */
		t->mark_at = out->len;
		t->mark_len = strlen(mark);
		strbuf_puts(out, mark);
	}
	else
		strbuf_puts(out, "false");
	strbuf_putc(out, '"');
	strbuf_puts(out, ",\"db\":");
	dbz_json_string(out, w->o.dbname ? w->o.dbname : "", w->o.dbname ? strlen(w->o.dbname) : 0);
	strbuf_puts(out, ",\"sequence\":\"[");
	if (w->last_commit_lsn != 0 && !t->snapshot)
	{
		strbuf_puts(out, "\\\"");
		strbuf_u64(out, w->last_commit_lsn);
		strbuf_puts(out, "\\\"");
	}
	else
		strbuf_puts(out, "null");
	strbuf_puts(out, ",\\\"");
	strbuf_u64(out, t->snapshot ? t->commit_lsn : lsn);
	strbuf_puts(out, "\\\"]\"");
	strbuf_puts(out, ",\"ts_us\":");
	dbz_i64(out, commit_us);
	strbuf_puts(out, ",\"ts_ns\":");
	dbz_i64(out, commit_us);
	strbuf_puts(out, "000");
	strbuf_puts(out, ",\"schema\":");
	dbz_json_string(out, rel ? rel->nspname : "", rel ? strlen(rel->nspname) : 0);
	strbuf_puts(out, ",\"table\":");
	dbz_json_string(out, rel ? rel->relname : "", rel ? strlen(rel->relname) : 0);
	strbuf_puts(out, ",\"txId\":");
	if (t->xid == 0)
		strbuf_puts(out, "null");
	else
		strbuf_u64(out, t->xid);
	strbuf_puts(out, ",\"lsn\":");
	strbuf_u64(out, t->snapshot ? t->commit_lsn : lsn);
	strbuf_puts(out, ",\"xmin\":null,\"origin\":");
	if (t->origin)
		dbz_json_string(out, t->origin, strlen(t->origin));
	else
		strbuf_puts(out, "null");
	strbuf_puts(out, ",\"origin_lsn\":null}");
}

void
dbz_record(ev_writer *w, strbuf *out, ev_txn *t, const ev_rel *rel, char op, uint64_t lsn,
		   const ev_val *oldv, bool old_keys_only, const ev_val *newv)
{
	const char *dop = op == 'I' ? "c" : op == 'U' ? "u" : op == 'D' ? "d" : "r";

	put_key(w, out, rel, newv ? newv : oldv, newv ? oldv : NULL);
	strbuf_puts(out, ",\"value\":{\"before\":");
	/* Debezium has no old row for an update under the default identity */
	if (oldv != NULL && !(op == 'U' && old_keys_only))
		put_row(w, out, rel, oldv, old_keys_only, NULL);
	else
		strbuf_puts(out, "null");
	strbuf_puts(out, ",\"after\":");
	if (newv != NULL)
		put_row(w, out, rel, newv, false, old_keys_only ? NULL : oldv);
	else
		strbuf_puts(out, "null");
	strbuf_putc(out, ',');
	put_source(w, out, t, rel, lsn);
	strbuf_puts(out, ",\"transaction\":null,\"op\":\"");
	strbuf_puts(out, dop);
	strbuf_putc(out, '"');
	put_ts_fields(out, now_unix_us());
	strbuf_putc(out, '}');
	put_headers(w, out, rel);
}

void
dbz_message(ev_writer *w, strbuf *out, ev_txn *t, bool transactional, const char *prefix,
			size_t prefixlen, const unsigned char *content, size_t len, uint64_t lsn)
{
	ev_txn none = {0};

	strbuf_puts(out, ",\"topic\":");
	{
		strbuf tp = STRBUF_INIT;

		strbuf_puts(&tp, w->o.topic_prefix ? w->o.topic_prefix : "");
		strbuf_puts(&tp, ".message");
		dbz_json_string(out, tp.data, tp.len);
		strbuf_free(&tp);
	}
	strbuf_puts(out, ",\"key\":{\"prefix\":");
	dbz_json_string(out, prefix, prefixlen);
	strbuf_puts(out, "},\"value\":{\"op\":\"m\",\"ts_ms\":");
	dbz_i64(out, us_to_ms(now_unix_us()));
	strbuf_putc(out, ',');
	if (!transactional)
		w->last_commit_lsn = lsn; /* Debezium counts it as a commit of its own */
	put_source(w, out, t ? t : &none, NULL, lsn);
	strbuf_puts(out, ",\"transaction\":null");
	strbuf_puts(out, ",\"message\":{\"prefix\":");
	dbz_json_string(out, prefix, prefixlen);
	strbuf_puts(out, ",\"content\":\"");
	dbz_base64(out, content, len);
	strbuf_puts(out, "\"}}");
}
