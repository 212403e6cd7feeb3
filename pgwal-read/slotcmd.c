/*
 * slotcmd.c
 *	--peek and --advance (--list-slots is in slotlist.c).
 *
 *	Both, like --list-slots, use an ordinary connection: the SQL functions
 *	of logical decoding (pg_logical_slot_peek_binary_changes,
 *	pg_replication_slot_advance) do what the replication protocol cannot
 *	do without consuming.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "conn.h"
#include "decode.h"
#include "exitcodes.h"
#include "jsonscan.h"
#include "log.h"
#include "lsn.h"
#include "output.h"
#include "pgoutput.h"
#include "sig.h"
#include "slot.h"
#include "slotcmd.h"
#include "startup.h"
#include "strbuf.h"
#include "xalloc.h"

/* ----------------------------------------------------------------
 * Peeking: shared by --peek and --advance
 * ---------------------------------------------------------------- */

typedef struct peek_state
{
	const slotcmd_opts *o;
	PGconn *lookup;     /* second connection for primary keys */
	int lookup_ec;      /* the exit status a failed look-up calls for */
	uint64_t txns;      /* commit lines seen */
	uint64_t events;    /* change events in them */
	uint64_t first_lsn; /* first message's LSN */
	uint64_t last_end;  /* end_lsn of the last commit */
	/* set by peek_run for peek_query */
	long long max_txns;   /* stop after this many transactions; 0: no limit */
	bool bounded;         /* last_commit applies */
	uint64_t last_commit; /* leave out transactions committing after this */
	long long rows;       /* rows the last query returned */
	bool in_txn;          /* between a Begin and its Commit */
	bool done;            /* a limit was reached: no further query */
} peek_state;

/* decoder_opts.pk_lookup: as in stream.c, on a second connection. */
static int
peek_pk_lookup(void *arg, uint32_t relid, char ***names)
{
	peek_state *ps = arg;

	return conn_pk_columns(&ps->lookup, ps->o->conninfo, relid, names, &ps->lookup_ec);
}

/* One decoded event line and the index of its top-level members. */
typedef struct event_line
{
	const char *p;
	size_t n;
	json_index idx;
	bool indexed; /* idx is usable */
} event_line;

/*
 * The value of top-level member name of the line, as a span of the line;
 * false if absent.  The line is scanned once (put_readable); a name
 * the index cannot answer for is looked up by walking the line.
 */
static bool
member(const event_line *l, const char *name, const char **v, size_t *vn)
{
	json_span sp;
	if (!json_lookup(l->indexed ? &l->idx : NULL, l->p, l->n, name, strlen(name), &sp))
		return false;
	*v = sp.p;
	*vn = sp.n;
	return true;
}

/* Append member name's value; a JSON string without escapes loses its quotes. */
static void
put_member(strbuf *out, const event_line *l, const char *name)
{
	const char *v;
	size_t vn;

	if (!member(l, name, &v, &vn))
		return;
	if (vn >= 2 && v[0] == '"' && memchr(v, '\\', vn) == NULL)
		strbuf_add(out, v + 1, vn - 2);
	else
		strbuf_add(out, v, vn);
}

static bool
member_is(const event_line *l, const char *name, const char *want)
{
	const char *v;
	size_t vn;

	return member(l, name, &v, &vn) && vn == strlen(want) && memcmp(v, want, vn) == 0;
}

/*
 * One decoded event line for a human on a terminal: a transaction is a
 * block that starts with its begin line and ends with its commit line;
 * each change names its operation, relation and key, then its rows.
 */
static void
put_readable(strbuf *out, const char *text, size_t n)
{
	static const char *const rows[] = {
		"before",           "after",         "unchanged", "tables",  "cascade",
		"restart_identity", "transactional", "prefix",    "content", "content_hex"};
	event_line line = {.p = text, .n = n};
	event_line *l = &line;
	const char *v;
	size_t vn;

	line.indexed = json_validate_index(text, n, NULL, &line.idx) == 0;
	if (member_is(l, "op", "\"begin\""))
	{
		strbuf_puts(out, "BEGIN  xid ");
		put_member(out, l, "xid");
		strbuf_puts(out, "  commit_lsn ");
		put_member(out, l, "commit_lsn");
		strbuf_puts(out, "  ts ");
		put_member(out, l, "ts");
		strbuf_putc(out, '\n');
		return;
	}
	if (member_is(l, "op", "\"commit\""))
	{
		strbuf_puts(out, "COMMIT lsn ");
		put_member(out, l, "lsn");
		strbuf_puts(out, "  end_lsn ");
		put_member(out, l, "end_lsn");
		strbuf_puts(out, "  events ");
		put_member(out, l, "events");
		strbuf_puts(out, "\n\n");
		return;
	}
	if (!member(l, "op", &v, &vn))
	{
		strbuf_add(out, text, n);
		strbuf_putc(out, '\n');
		return;
	}
	strbuf_puts(out, "  ");
	put_member(out, l, "op");
	strbuf_puts(out, "  lsn ");
	put_member(out, l, "lsn");
	if (member(l, "table", &v, &vn))
	{
		strbuf_puts(out, "  ");
		put_member(out, l, "schema");
		strbuf_putc(out, '.');
		put_member(out, l, "table");
		strbuf_puts(out, "  key ");
		put_member(out, l, "key");
	}
	strbuf_putc(out, '\n');
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
	{
		if (!member(l, rows[i], &v, &vn) || (vn == 4 && memcmp(v, "null", 4) == 0) ||
			(vn == 2 && memcmp(v, "[]", 2) == 0))
			continue;
		strbuf_printf(out, "    %-9s ", rows[i]);
		strbuf_add(out, v, vn);
		strbuf_putc(out, '\n');
	}
}

static uint64_t
get_be(const char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | (unsigned char) p[i];
	return v;
}

/*
 * Connect, check the slot as streaming would (slot_check: missing, other
 * plugin, invalidated, active, publication), pin the session settings
 * (pgoutput prints values with them).  Returns the connection or NULL.
 */
static PGconn *
peek_connect(const slotcmd_opts *o, slot_info *info, int *ec)
{
	PGconn *conn = conn_open(o->conninfo, false, ec);

	if (conn == NULL)
		return NULL;
	if (startup_check_slot(conn, o->slot, o->publication, info, ec) != 0)
	{
		if (*ec == EXIT_OK)
			*ec = EXIT_ERROR;
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/*
 * Does this message, at lsn, start what ps->last_commit leaves out: a
 * transaction committing after it (Begin carries the commit LSN), or a
 * message outside any transaction past it?
 */
static bool
peek_past_bound(const peek_state *ps, const char *p, int n, uint64_t lsn)
{
	uint64_t commit;

	if (!ps->bounded || n < 1)
		return false;
	if (p[0] == 'B' && proto_peek_commit_lsn((const unsigned char *) p, (size_t) n, &commit))
		return commit > ps->last_commit;
	if (p[0] == 'M' && !ps->in_txn)
		return lsn > ps->last_commit;
	return false;
}

/*
 * One call of pg_logical_slot_peek_binary_changes with upto_lsn upto (0:
 * none) and upto_nchanges limit (0: none), read one row at a time through
 * a new decoder.  The first skip rows were seen by an earlier call: they
 * are decoded (for their relations) but neither printed nor counted.
 * Decoded lines go to out when out is not NULL.  Returns EXIT_OK or an
 * exit status (message logged).
 */
static int
peek_query(peek_state *ps, PGconn *conn, uint64_t upto, long long limit, long long skip, sink *out)
{
	const slotcmd_opts *o = ps->o;
	strbuf sql = STRBUF_INIT;
	strbuf scratch = STRBUF_INIT;
	char *slot_lit = conn_literal(conn, o->slot);
	char *pub_lit = startup_publication_names(conn, o->publication);
	char b1[LSN_BUFLEN];
	bool readable = out && (o->format == LIST_TABLE || (o->format == LIST_AUTO && isatty(out->fd)));
	decoder_opts dopts;
	decoder *dec;
	PGresult *res;
	int ec = EXIT_OK;
	bool stopped = false;

	memset(&dopts, 0, sizeof(dopts));
	dopts.proto_version = startup_proto(o->proto_version, PQserverVersion(conn));
	dopts.pk_lookup = peek_pk_lookup;
	dopts.pk_arg = ps;
	dec = decoder_new(&dopts);

	strbuf_printf(&sql,
				  "SELECT lsn, xid, data FROM pg_catalog.pg_logical_slot_peek_binary_changes(%s, ",
				  slot_lit);
	if (upto)
		strbuf_printf(&sql, "'%s'", lsn_format(upto, b1));
	else
		strbuf_puts(&sql, "NULL");
	if (limit > 0)
		strbuf_printf(&sql, ", %lld", limit);
	else
		strbuf_puts(&sql, ", NULL");
	/* publication_names is a list of identifiers inside a literal */
	strbuf_printf(
		&sql, ", 'proto_version', '%d', 'publication_names', %s%s)", dopts.proto_version, pub_lit,
		o->messages && pgoutput_has_messages(PQserverVersion(conn)) ? ", 'messages', 'true'" : "");
	PQfreemem(slot_lit);
	PQfreemem(pub_lit);
	log_debug("%s", sql.data);

	/* binary results (lsn as int8, xid as int4, data raw), one row at a time */
	if (!PQsendQueryParams(conn, sql.data, 0, NULL, NULL, NULL, NULL, 1) ||
		!PQsetSingleRowMode(conn))
	{
		log_error("could not peek at slot \"%s\": %s", o->slot, conn_error(conn, NULL));
		ec = EXIT_CONNECT;
		goto done;
	}
	while ((res = PQgetResult(conn)) != NULL)
	{
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && !stopped && ec == EXIT_OK)
		{
			uint64_t lsn;
			dec_result dr;
			dec_status ds;
			bool seen = ps->rows++ < skip;
			strbuf *dst = out && !readable && !seen ? &out->buf : &scratch;

			if (PQgetlength(res, 0, 0) != 8 || PQgetlength(res, 0, 1) != 4)
			{
				log_error("could not peek at slot \"%s\": unexpected result format", o->slot);
				ec = EXIT_PROTOCOL;
				PQclear(res);
				continue;
			}
			lsn = get_be(PQgetvalue(res, 0, 0), 8);
			if (!seen && peek_past_bound(ps, PQgetvalue(res, 0, 2), PQgetlength(res, 0, 2), lsn))
			{
				/* the server's upto_lsn can let one more through: see peek_run */
				stopped = ps->done = true;
				PQclear(res);
				continue;
			}
			if (ps->first_lsn == 0)
				ps->first_lsn = lsn;
			ds = decoder_feed(dec, (const unsigned char *) PQgetvalue(res, 0, 2),
							  (size_t) PQgetlength(res, 0, 2), lsn, lsn, dst, &dr);
			if (ds != DEC_ERROR)
				ps->in_txn = dr.in_txn;
			if (ds == DEC_ERROR)
			{
				log_error("slot \"%s\": could not decode the change at %s: %s", o->slot,
						  lsn_format(lsn, b1), decoder_error(dec));
				/* a failed primary-key look-up is not a protocol error */
				ec = ps->lookup_ec ? ps->lookup_ec : EXIT_PROTOCOL;
			}
			else if (ds == DEC_COMMIT && !seen)
			{
				ps->txns += !dr.empty; /* one that printed nothing is not counted */
				ps->events += dr.events;
				ps->last_end = dr.end_lsn;
				/* --peek N: N transactions; drain the rest of the result */
				if (ps->max_txns > 0 && ps->txns >= (uint64_t) ps->max_txns)
					stopped = ps->done = true;
			}
			if (readable && !seen)
			{
				/* one block per transaction instead of the JSON lines */
				for (size_t at = 0; at < scratch.len;)
				{
					const char *nl = memchr(scratch.data + at, '\n', scratch.len - at);
					size_t len = nl ? (size_t) (nl - scratch.data) - at : scratch.len - at;

					put_readable(&out->buf, scratch.data + at, len);
					at += len + 1;
				}
			}
			if (dst == &scratch)
				strbuf_reset(&scratch);
			else if (ec == EXIT_OK && sink_maybe_flush(out) != 0)
			{
				sink_report_error();
				ec = EXIT_OUTPUT;
			}
			if (sig_stop && ec == EXIT_OK)
			{
				/* drain the rest: the result is already materialized on the server */
				log_info("stopping on signal");
				stopped = ps->done = true;
			}
		}
		else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK)
		{
			log_error("could not peek at slot \"%s\": %s", o->slot, conn_error(NULL, res));
			if (ec == EXIT_OK)
				ec = conn_classify(res);
		}
		PQclear(res);
	}
	if (ec == EXIT_OK && out && sink_flush(out) != 0)
	{
		sink_report_error();
		ec = EXIT_OUTPUT;
	}
done:
	decoder_free(dec);
	strbuf_free(&sql);
	strbuf_free(&scratch);
	return ec;
}

/*
 * The slot's pending transactions that commit before upto (0: all), at
 * most max_txns of them (0: no limit), decoded to out (NULL: only
 * counted in ps).  Returns EXIT_OK or an exit status (message logged).
 *
 * The server's upto_lsn stops decoding after the first WAL record that
 * ends at or past it: a transaction whose commit record starts before
 * upto is in, as pg_replication_slot_advance(upto) skips it.  That is
 * "commit LSN < upto" except where a WAL page header lies between the
 * records, so the Begin's commit LSN is checked here as well.  Its
 * upto_nchanges counts rows (Begin, Relation, each change, Commit), not
 * transactions: a query too short for max_txns is run again with a
 * larger limit, its first rows decoded but not printed twice.
 */
static int
peek_run(peek_state *ps, PGconn *conn, uint64_t upto, long long max_txns, sink *out)
{
	long long limit = max_txns > 0 ? 4 * max_txns + 16 : 0;
	long long skip = 0;
	int ec;

	ps->max_txns = max_txns;
	ps->bounded = upto != 0;
	ps->last_commit = upto ? upto - 1 : 0;
	for (;;)
	{
		ps->rows = 0;
		ps->in_txn = false;
		ps->done = false;
		ec = peek_query(ps, conn, upto, limit, skip, out);
		/* fewer rows than asked for: the server ran out of changes */
		if (ec != EXIT_OK || ps->done || limit == 0 || ps->rows < limit || ps->rows <= skip)
			return ec;
		skip = ps->rows;
		limit = limit > LLONG_MAX / 4 ? LLONG_MAX : limit * 4;
	}
}

int
slotcmd_peek(const slotcmd_opts *o)
{
	int ec = EXIT_OK;
	slot_info info;
	peek_state ps;
	sink out;
	PGconn *conn = peek_connect(o, &info, &ec);
	char b1[LSN_BUFLEN];

	if (conn == NULL)
		return ec;
	memset(&ps, 0, sizeof(ps));
	ps.o = o;
	sink_open(&out, 1);
	/* "commits at or before --endpos", as streaming stops: upto is exclusive */
	ec = peek_run(&ps, conn, o->upto ? o->upto + 1 : 0, o->peek_limit, &out);
	if (ec == EXIT_OK)
		log_info("slot \"%s\": %" PRIu64 " transaction%s with %" PRIu64 " event%s pending after %s"
				 " (not consumed)",
				 o->slot, ps.txns, ps.txns == 1 ? "" : "s", ps.events, ps.events == 1 ? "" : "s",
				 lsn_format(info.confirmed_flush, b1));
	sink_close(&out);
	if (ps.lookup)
		PQfinish(ps.lookup);
	PQfinish(conn);
	return ec;
}

/* ----------------------------------------------------------------
 * --advance
 * ---------------------------------------------------------------- */

/* Ask on the terminal; true for an answer starting with y or Y. */
static bool
confirm(const char *question)
{
	char line[64];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

int
slotcmd_advance(const slotcmd_opts *o)
{
	int ec = EXIT_OK;
	slot_info info;
	peek_state ps;
	sink out;
	PGconn *conn = peek_connect(o, &info, &ec);
	PGresult *res = NULL;
	strbuf sql = STRBUF_INIT;
	strbuf q = STRBUF_INIT;
	char *slot_lit = NULL;
	char from[LSN_BUFLEN], to[LSN_BUFLEN], b1[LSN_BUFLEN];
	uint64_t target = o->upto, flushed, result;

	if (conn == NULL)
		return ec;
	memset(&ps, 0, sizeof(ps));
	ps.o = o;
	sink_open(&out, 1);
	lsn_format(info.confirmed_flush, from);

	/*
	 * The server moves a slot no further than its flushed WAL position; a
	 * target past it is clamped here, so that what is counted is what is
	 * skipped.
	 */
	res = conn_query(
		conn,
		"SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN"
		" pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_flush_lsn() END",
		PGRES_TUPLES_OK, "could not read the server's WAL position", &ec);
	if (res == NULL)
		goto done;
	if (lsn_parse(PQgetvalue(res, 0, 0), &flushed) != 0)
	{
		log_error("could not read the server's WAL position: \"%s\"", PQgetvalue(res, 0, 0));
		ec = EXIT_PROTOCOL;
		goto done;
	}
	PQclear(res);
	res = NULL;
	if (target > flushed)
	{
		log_warn("%s is past the server's flushed WAL position %s: advancing to %s",
				 lsn_format(target, b1), lsn_format(flushed, to), to);
		target = flushed;
	}
	lsn_format(target, to);
	if (target <= info.confirmed_flush)
	{
		if (target == info.confirmed_flush)
		{
			log_warn("replication slot \"%s\" is at %s already: nothing to do", o->slot, from);
			goto done;
		}
		log_error("replication slot \"%s\" is at %s, past %s: a slot never moves back", o->slot,
				  from, to);
		ec = EXIT_ERROR;
		goto done;
	}

	/* what will be skipped */
	ec = peek_run(&ps, conn, target, 0, NULL);
	if (ec != EXIT_OK)
		goto done;
	log_warn("advancing replication slot \"%s\" from %s to %s skips %" PRIu64 " transaction%s"
			 " with %" PRIu64 " event%s, for good",
			 o->slot, from, to, ps.txns, ps.txns == 1 ? "" : "s", ps.events,
			 ps.events == 1 ? "" : "s");
	if (!o->yes)
	{
		if (!isatty(0) || !isatty(2))
		{
			log_error("refusing to advance without --yes (standard input is not a terminal)");
			ec = EXIT_USAGE;
			goto done;
		}
		strbuf_printf(&q, "Advance slot \"%s\" to %s?", o->slot, to);
		if (!confirm(q.data))
		{
			log_error("not advanced");
			ec = EXIT_ERROR;
			goto done;
		}
	}

	slot_lit = conn_literal(conn, o->slot);
	strbuf_printf(&sql, "SELECT end_lsn FROM pg_catalog.pg_replication_slot_advance(%s, '%s')",
				  slot_lit, to);
	res =
		conn_query(conn, sql.data, PGRES_TUPLES_OK, "could not advance the replication slot", &ec);
	if (res == NULL)
		goto done;
	if (lsn_parse(PQgetvalue(res, 0, 0), &result) != 0)
		result = target;
	log_info("advanced replication slot \"%s\" from %s to %s", o->slot, from,
			 lsn_format(result, b1));
	strbuf_puts(&out.buf, "{\"slot_name\":");
	json_string(&out.buf, o->slot, strlen(o->slot));
	strbuf_printf(&out.buf,
				  ",\"from\":\"%s\",\"to\":\"%s\",\"transactions\":%" PRIu64 ",\"events\":%" PRIu64
				  "}\n",
				  from, b1, ps.txns, ps.events);
	if (sink_flush(&out) != 0)
	{
		sink_report_error();
		ec = EXIT_OUTPUT;
	}
done:
	PQclear(res);
	PQfreemem(slot_lit);
	strbuf_free(&sql);
	strbuf_free(&q);
	sink_close(&out);
	if (ps.lookup)
		PQfinish(ps.lookup);
	PQfinish(conn);
	return ec;
}
