/*
 * event.c
 *	The one writer of change events (event.h): pgwal-events(7) lines and,
 *	with --format=debezium, Debezium's records (event_dbz.c writes their
 *	key and value).
 */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_dbz.h"
#include "lsn.h"
#include "values.h"
#include "xalloc.h"

void
ev_writer_init(ev_writer *w, const ev_opts *o)
{
	memset(w, 0, sizeof(*w));
	w->o = *o;
	w->o.dbname = w->dbname = xstrdup(o->dbname ? o->dbname : "");
	w->scratch = (strbuf) STRBUF_INIT;
}

void
ev_writer_free(ev_writer *w)
{
	strbuf_free(&w->scratch);
	free(w->dbname);
	free(w->dbz_headers);
}

/* ----------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------- */

static void
put_str(strbuf *out, const char *s)
{
	json_string(out, s, strlen(s));
}

void
ev_topic_part(strbuf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			*p == '.' || *p == '_' || *p == '-')
			strbuf_putc(out, (char) *p);
		else if ((*p & 0xC0) != 0x80)
			/* one per UTF-16 unit, as Java counts: two for 4-byte sequences */
			strbuf_puts(out, *p >= 0xF0 ? "__" : "_");
	}
}

ev_rel *
ev_rel_new(const ev_writer *w, uint32_t relid, const char *nspname, const char *relname, int ncols)
{
	ev_rel *rel = xcalloc(1, sizeof(ev_rel));
	strbuf sb = STRBUF_INIT;

	rel->relid = relid;
	rel->nspname = xstrdup(nspname);
	rel->relname = xstrdup(relname);
	rel->cols = xcalloc(ncols > 0 ? (size_t) ncols : 1, sizeof(ev_col));
	rel->ncols = ncols;
	rel->nkey = -1;
	strbuf_puts(&sb, ",\"schema\":");
	put_str(&sb, nspname);
	strbuf_puts(&sb, ",\"table\":");
	put_str(&sb, relname);
	if (w->o.format == EV_DEBEZIUM)
	{
		strbuf t = STRBUF_INIT;

		strbuf_puts(&t, w->o.topic_prefix ? w->o.topic_prefix : "");
		strbuf_putc(&t, '.');
		ev_topic_part(&t, nspname);
		strbuf_putc(&t, '.');
		ev_topic_part(&t, relname);
		strbuf_puts(&sb, ",\"topic\":");
		json_string(&sb, t.data, t.len);
		strbuf_free(&t);
	}
	strbuf_puts(&sb, ",\"key\":");
	rel->jheadlen = sb.len;
	rel->jhead = strbuf_detach(&sb);
	return rel;
}

void
ev_rel_free(ev_rel *rel)
{
	if (rel == NULL)
		return;
	for (int i = 0; i < rel->ncols; i++)
	{
		free(rel->cols[i].name);
		free(rel->cols[i].jkey);
	}
	free(rel->cols);
	free(rel->jhead);
	free(rel->topic);
	free(rel->nspname);
	free(rel->relname);
	free(rel->key);
	free(rel->pk);
	free(rel);
}

void
ev_set_col(ev_rel *rel, int i, const char *name, size_t namelen, uint32_t typid, int32_t typmod,
		   bool key)
{
	ev_col *c = &rel->cols[i];
	strbuf sb = STRBUF_INIT;

	free(c->name);
	free(c->jkey);
	c->name = xstrndup(name, namelen);
	json_string(&sb, name, namelen);
	strbuf_putc(&sb, ':');
	c->jkeylen = sb.len;
	c->jkey = strbuf_detach(&sb);
	c->typid = typid;
	c->typmod = typmod;
	c->key = key;
	ev_set_vtype(c, ev_resolve(typid, NULL, NULL));
}

uint32_t
ev_resolve(uint32_t typid, const char *nspname, const char *typname)
{
	uint32_t base;

	if (typid < VALUE_FIRST_NORMAL_OID || typname == NULL)
		return typid;
	/* a domain is announced with the name of its base type */
	if (nspname != NULL && strcmp(nspname, "pg_catalog") == 0 &&
		(base = value_builtin_by_name(typname)) != 0)
		return base;
	if (typname[0] == '_')
		return VALUE_TEXT_ARRAY;
	return typid;
}

void
ev_set_vtype(ev_col *c, uint32_t vtype)
{
	c->vtype = vtype;
	c->vstring = value_is_string_type(vtype);
}

bool
ev_needs_pk(const ev_writer *w)
{
	return w->o.format == EV_DEBEZIUM;
}

/* The index of the column named name, or -1. */
static int
col_index(const ev_rel *rel, const char *name)
{
	for (int j = 0; j < rel->ncols; j++)
		if (strcmp(rel->cols[j].name, name) == 0)
			return j;
	return -1;
}

/* names as column indexes into *out (n of them); false if one is not a column. */
static bool
name_indexes(const ev_rel *rel, char *const *names, int n, int **out)
{
	*out = xcalloc(n > 0 ? (size_t) n : 1, sizeof(int));
	for (int i = 0; i < n; i++)
		if (((*out)[i] = col_index(rel, names[i])) < 0)
			return false;
	return true;
}

static void
sort_ints(int *a, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && a[j - 1] > a[j]; j--)
		{
			int t = a[j];

			a[j] = a[j - 1];
			a[j - 1] = t;
		}
}

void
ev_set_key(ev_rel *rel, char replident, char *const *pk, int npk, char *const *ident_index,
		   int nindex)
{
	int *idx = NULL;

	free(rel->key);
	free(rel->pk);
	rel->key = rel->pk = NULL;
	rel->nkey = -1;
	rel->npk = 0;

	/* Debezium's: the primary key as declared, when every column is here */
	if (npk > 0)
	{
		if (name_indexes(rel, pk, npk, &idx))
		{
			rel->pk = idx;
			rel->npk = npk;
			idx = NULL;
		}
		free(idx);
		idx = NULL;
	}

	/*
	 * pgwal's, in table order: the same row gets the same key bytes
	 * whatever the replica identity.  The primary key; without one, the
	 * USING INDEX index; the server's key flags where nothing was looked
	 * up (the default identity flags the primary key's columns).
	 */
	if (npk > 0)
	{
		if (rel->pk != NULL)
		{
			rel->key = xcalloc((size_t) npk, sizeof(int));
			memcpy(rel->key, rel->pk, (size_t) npk * sizeof(int));
			rel->nkey = npk;
		}
	}
	else if (npk < 0 || replident == 'i')
	{
		if (npk == 0 && ident_index != NULL)
		{
			if (nindex > 0 && name_indexes(rel, ident_index, nindex, &idx))
			{
				rel->key = idx;
				rel->nkey = nindex;
				idx = NULL;
			}
			free(idx);
		}
		else if (npk < 0 && replident != 'd' && replident != 'i')
			; /* FULL or NOTHING without a look-up: no key known */
		else
		{
			int n = 0;

			rel->key = xcalloc((size_t) rel->ncols + 1, sizeof(int));
			for (int i = 0; i < rel->ncols; i++)
				if (rel->cols[i].key)
					rel->key[n++] = i;
			rel->nkey = n > 0 ? n : -1;
		}
	}
	/*
	 * Debezium's without a primary key: the USING INDEX index's columns,
	 * in its order where known
	 */
	if (npk <= 0 && replident == 'i' && rel->nkey > 0)
	{
		rel->pk = xcalloc((size_t) rel->nkey, sizeof(int));
		memcpy(rel->pk, rel->key, (size_t) rel->nkey * sizeof(int));
		rel->npk = rel->nkey;
	}
	if (rel->nkey > 0)
		sort_ints(rel->key, rel->nkey);
	else
	{
		free(rel->key);
		rel->key = NULL;
		rel->nkey = -1;
	}
}

/* ----------------------------------------------------------------
 * pgwal's format
 * ---------------------------------------------------------------- */

static void
put_lsn(strbuf *out, uint64_t lsn)
{
	char *p;

	strbuf_grow(out, LSN_BUFLEN + 2);
	p = out->data + out->len;
	*p++ = '"';
	p += fmt_lsn(lsn, p);
	*p++ = '"';
	*p = '\0';
	out->len = (size_t) (p - out->data);
}

/* An LSN, or null for 0 (a backfill has no position). */
static void
put_lsn_or_null(strbuf *out, uint64_t lsn)
{
	if (lsn == 0)
		strbuf_puts(out, "null");
	else
		put_lsn(out, lsn);
}

/*
 * A commit timestamp (microseconds since 2000-01-01 00:00:00 UTC) as a
 * JSON string in ISO 8601, UTC, always six fractional digits.  Every event
 * of a transaction carries the same one: the last is kept formatted.
 */
static void
put_ts(ev_writer *w, strbuf *out, int64_t us)
{
	if (!w->ts_cached || w->ts_us != us)
	{
		w->ts_len = fmt_pg_ts_json(us, w->ts_json);
		w->ts_us = us;
		w->ts_cached = true;
	}
	strbuf_add(out, w->ts_json, w->ts_len);
}

const ev_val *
ev_char_value(const ev_col *col, const ev_val *v, ev_val *tmp, char buf[4])
{
	unsigned char c;

	if (col->vtype != 18 || v->kind != 't' || v->len != 1 || !((unsigned char) v->val[0] & 0x80))
		return v;
	c = (unsigned char) v->val[0];
	buf[0] = '\\';
	buf[1] = (char) ('0' + (c >> 6));
	buf[2] = (char) ('0' + ((c >> 3) & 7));
	buf[3] = (char) ('0' + (c & 7));
	tmp->kind = 't';
	tmp->val = buf;
	tmp->len = 4;
	return tmp;
}

/* One column value as JSON ('n', 't' or 'b'; never 'u'). */
static void
put_value(strbuf *out, const ev_col *col, const ev_val *v)
{
	ev_val tmp;
	char buf[4];

	v = ev_char_value(col, v, &tmp, buf);
	if (v->kind == 'n')
		strbuf_add(out, "null", 4);
	else if (v->kind == 'b')
		value_hex_json(out, (const unsigned char *) v->val, v->len);
	else if (col->vstring)
		json_string(out, v->val, v->len);
	else
		value_to_json(out, col->vtype, v->val, v->len);
}

/* The column's "name": with a comma before it unless first. */
static void
put_colkey(strbuf *out, bool *first, const ev_col *col)
{
	strbuf_grow(out, col->jkeylen + 1);
	if (!*first)
		out->data[out->len++] = ',';
	*first = false;
	memcpy(out->data + out->len, col->jkey, col->jkeylen + 1);
	out->len += col->jkeylen;
}

/*
 * The "key" object: rel's key columns from src, falling back to alt for a
 * value the server did not send; null when there is no key or a key value
 * is unavailable (src_keys_only: src is a 'K' old tuple, which carries only
 * the identity's columns).
 */
static void
put_key(strbuf *out, const ev_rel *rel, const ev_val *src, const ev_val *alt, bool src_keys_only)
{
	size_t save = out->len;
	bool first = true;

	if (rel->nkey <= 0)
	{
		strbuf_puts(out, "null");
		return;
	}
	strbuf_putc(out, '{');
	for (int k = 0; k < rel->nkey; k++)
	{
		int c = rel->key[k];
		const ev_val *v = &src[c];

		if (v->kind == 'u' && alt != NULL && alt[c].kind != 'u')
			v = &alt[c];
		if (v->kind == 'u' || (src_keys_only && !rel->cols[c].key))
		{
			out->len = save;
			out->data[save] = '\0';
			strbuf_puts(out, "null");
			return;
		}
		put_colkey(out, &first, &rel->cols[c]);
		put_value(out, &rel->cols[c], v);
	}
	strbuf_putc(out, '}');
}

/* A row as an object; only key columns if keys_only; 'u' columns skipped. */
static void
put_row(strbuf *out, const ev_rel *rel, const ev_val *t, bool keys_only)
{
	bool first = true;

	strbuf_putc(out, '{');
	for (int i = 0; i < rel->ncols; i++)
	{
		if (t[i].kind == 'u' || (keys_only && !rel->cols[i].key))
			continue;
		put_colkey(out, &first, &rel->cols[i]);
		put_value(out, &rel->cols[i], &t[i]);
	}
	strbuf_putc(out, '}');
}

/* ,"xid":N[,"origin":"name"],"ts":T; null and null for a snapshot. */
static void
put_xid_origin_ts(ev_writer *w, strbuf *out, const ev_txn *t)
{
	if (t->snapshot)
	{
		strbuf_puts(out, ",\"xid\":null,\"ts\":null");
		return;
	}
	strbuf_puts(out, ",\"xid\":");
	strbuf_u64(out, t->xid);
	if (t->origin)
	{
		strbuf_puts(out, ",\"origin\":");
		put_str(out, t->origin);
	}
	strbuf_puts(out, ",\"ts\":");
	put_ts(w, out, t->ts);
}

/* {"op":"OP","lsn":L,"xid":..,"ts":..,"commit_lsn":C,"seq":N: the common head. */
static void
put_event_head(ev_writer *w, strbuf *out, ev_txn *t, const char *op, uint64_t lsn)
{
	t->seq++;
	strbuf_puts(out, "{\"op\":\"");
	strbuf_puts(out, op);
	strbuf_puts(out, "\",\"lsn\":");
	put_lsn_or_null(out, t->snapshot ? t->commit_lsn : lsn);
	put_xid_origin_ts(w, out, t);
	strbuf_puts(out, ",\"commit_lsn\":");
	put_lsn_or_null(out, t->commit_lsn);
	strbuf_puts(out, ",\"seq\":");
	strbuf_u64(out, t->seq);
}

void
ev_begin(ev_writer *w, strbuf *out, const ev_txn *t, uint64_t lsn)
{
	strbuf_puts(out, "{\"op\":\"begin\",\"lsn\":");
	put_lsn(out, lsn);
	put_xid_origin_ts(w, out, &(ev_txn){.snapshot = t->snapshot, .xid = t->xid, .ts = t->ts});
	strbuf_puts(out, ",\"commit_lsn\":");
	put_lsn(out, t->commit_lsn);
	strbuf_puts(out, t->snapshot ? ",\"snapshot\":true}\n" : "}\n");
}

void
ev_commit(ev_writer *w, strbuf *out, const ev_txn *t, uint64_t commit_lsn, uint64_t end_lsn)
{
	strbuf_puts(out, "{\"op\":\"commit\",\"lsn\":");
	put_lsn(out, commit_lsn);
	strbuf_puts(out, ",\"end_lsn\":");
	put_lsn(out, end_lsn);
	put_xid_origin_ts(w, out, t);
	strbuf_puts(out, ",\"events\":");
	strbuf_u64(out, t->seq);
	strbuf_puts(out, t->snapshot ? ",\"snapshot\":true}\n" : "}\n");
	if (!t->snapshot)
		w->last_commit_lsn = end_lsn;
}

void
ev_row(ev_writer *w, strbuf *out, ev_txn *t, const ev_rel *rel, char op, uint64_t lsn,
	   const ev_val *oldv, bool old_keys_only, const ev_val *newv)
{
	const char *name = op == 'I' ? "insert" : op == 'U' ? "update" : op == 'D' ? "delete" : "read";
	bool first = true;

	if (w->o.format == EV_DEBEZIUM)
	{
		/* Debezium writes a key change as a delete and a create */
		if (op == 'U' && oldv != NULL && dbz_key_changed(rel, oldv, newv))
		{
			w->kc_new = newv;
			ev_row(w, out, t, rel, 'D', lsn, oldv, old_keys_only, NULL);
			w->kc_new = NULL;
			w->kc_old = oldv;
			ev_row(w, out, t, rel, 'I', lsn, NULL, false, newv);
			w->kc_old = NULL;
			return;
		}
		put_event_head(w, out, t, name, lsn);
		strbuf_add(out, rel->jhead, rel->jheadlen);
		dbz_record(w, out, t, rel, op, lsn, oldv, old_keys_only, newv);
		strbuf_puts(out, "}\n");
		return;
	}
	put_event_head(w, out, t, name, lsn);
	strbuf_add(out, rel->jhead, rel->jheadlen);
	put_key(out, rel, newv ? newv : oldv, newv ? oldv : NULL, newv == NULL && old_keys_only);

	strbuf_puts(out, ",\"before\":");
	if (oldv)
		put_row(out, rel, oldv, old_keys_only);
	else
		strbuf_puts(out, "null");

	strbuf_puts(out, ",\"after\":");
	if (newv)
		put_row(out, rel, newv, false);
	else
		strbuf_puts(out, "null");

	strbuf_puts(out, ",\"unchanged\":[");
	if (newv)
	{
		for (int i = 0; i < rel->ncols; i++)
		{
			if (newv[i].kind != 'u')
				continue;
			if (!first)
				strbuf_putc(out, ',');
			first = false;
			strbuf_add(out, rel->cols[i].jkey, rel->cols[i].jkeylen - 1);
		}
	}
	strbuf_puts(out, "]}\n");
}

void
ev_remark(strbuf *out, ev_txn *t, const char *mark)
{
	size_t n = strlen(mark);
	size_t tail = out->len - (t->mark_at + t->mark_len);

	if (t->mark_len == 0)
		return;
	strbuf_grow(out, n);
	memmove(out->data + t->mark_at + n, out->data + t->mark_at + t->mark_len, tail + 1);
	memcpy(out->data + t->mark_at, mark, n);
	out->len = t->mark_at + n + tail;
	t->mark_len = n;
}

void
ev_truncate(ev_writer *w, strbuf *out, ev_txn *t, ev_rel *const *rels, int n, int flags,
			uint64_t lsn)
{
	if (w->o.format == EV_DEBEZIUM)
		return; /* Debezium's default skipped.operations=t */
	put_event_head(w, out, t, "truncate", lsn);
	strbuf_puts(out, ",\"tables\":[");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			strbuf_putc(out, ',');
		strbuf_puts(out, "{\"schema\":");
		put_str(out, rels[i]->nspname);
		strbuf_puts(out, ",\"table\":");
		put_str(out, rels[i]->relname);
		strbuf_putc(out, '}');
	}
	strbuf_puts(out, "],\"cascade\":");
	strbuf_puts(out, (flags & 1) ? "true" : "false");
	strbuf_puts(out, ",\"restart_identity\":");
	strbuf_puts(out, (flags & 2) ? "true" : "false");
	strbuf_puts(out, "}\n");
}

void
ev_message(ev_writer *w, strbuf *out, ev_txn *t, bool transactional, uint32_t xid, uint64_t ack_lsn,
		   const char *prefix, size_t prefixlen, const unsigned char *content, size_t len,
		   uint64_t lsn)
{
	if (transactional)
		put_event_head(w, out, t, "message", lsn);
	else
	{
		strbuf_puts(out, "{\"op\":\"message\",\"lsn\":");
		put_lsn(out, lsn);
		if (ack_lsn != 0)
		{
			strbuf_puts(out, ",\"end_lsn\":");
			put_lsn(out, ack_lsn);
		}
		strbuf_puts(out, ",\"xid\":");
		if (xid != 0)
			strbuf_u64(out, xid);
		else
			strbuf_puts(out, "null");
		strbuf_puts(out, ",\"ts\":null");
	}
	if (w->o.format == EV_DEBEZIUM)
	{
		dbz_message(w, out, transactional ? t : NULL, transactional, prefix, prefixlen, content,
					len, lsn);
		strbuf_puts(out, "}\n");
		return;
	}
	strbuf_puts(out, transactional ? ",\"transactional\":true,\"prefix\":"
								   : ",\"transactional\":false,\"prefix\":");
	json_string(out, prefix, prefixlen);
	if (value_utf8_valid(content, len))
	{
		strbuf_puts(out, ",\"content\":");
		json_string(out, (const char *) content, len);
	}
	else
	{
		strbuf_puts(out, ",\"content_hex\":");
		value_hex_json(out, content, len);
	}
	strbuf_puts(out, "}\n");
}
