/*
 * snapshot.c
 *	Read events: --backfill and --create-slot --snapshot.
 *
 *	Both open one transaction (REPEATABLE READ, READ ONLY), lock the tables
 *	in ACCESS SHARE mode (as pg_dump does, so that no table is rewritten
 *	between the snapshot and its read), and read each with
 *	COPY (SELECT cols FROM [ONLY] t [WHERE ...]) TO STDOUT.  The initial
 *	snapshot imports the snapshot that the new slot exported, so that
 *	what it reads is exactly what committed before the slot's consistent
 *	point: the changes after it come from the slot, none twice, none lost.
 *
 *	A read event is shaped like an insert (pgwal-events(7)):
 *
 *		{"op":"read","lsn":L,"xid":null,"ts":null,"commit_lsn":L,"seq":N,
 *		 "schema":..,"table":..,"key":{..}|null,"before":null,"after":{..},
 *		 "unchanged":[]}
 *
 *	with L the consistent point (null for a backfill: no slot, no
 *	position) and N counting from 1 across the whole snapshot.
 *
 *	About 900 lines: the catalog look-ups (tables, columns, keys, kinds,
 *	row filters and column lists by server version) are what a snapshot
 *	must agree on with pgoutput, and stay beside the reading that uses them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "ckpt.h"
#include "conn.h"
#include "clock.h"
#include "exitcodes.h"
#include "log.h"
#include "lsn.h"
#include "sig.h"
#include "event.h"
#include "position.h"
#include "output.h"
#include "slot.h"
#include "snapshot.h"
#include "strbuf.h"
#include "values.h"
#include "xalloc.h"

/* One table to read, as resolved in the catalog. */
typedef struct snaprel
{
	uint32_t oid;
	char *schema;
	char *name;
	char kind;         /* relkind: r, p */
	char ident;        /* relreplident: d, i, f, n */
	const char *where; /* the user's filter, or NULL (not owned) */
	char *rowfilter;   /* the publication's row filter (PG 15), or NULL */
	bool collist;      /* the publication has a column list for it */
	int ncols;
	ev_rel *ev; /* its columns and key, as the events name them */
} snaprel;

/* What one snapshot (a backfill or the initial snapshot) is writing. */
typedef struct snapctx
{
	PGconn *conn;
	sink out;
	ev_writer w;
	ev_txn txn;    /* commit_lsn: the consistent point, 0 for a backfill */
	bool progress; /* rows and rows/s on stderr */
	bool tty;      /* ... rewritten in place on a terminal */
	copy_row row;  /* the row being parsed */
	/*
	 * Debezium's format: each row is held back until it is known whether
	 * another row of its table follows, for its snapshot marker
	 */
	strbuf held;
	bool held_first; /* the held row is its table's first */
	int table_no;    /* the table being read, of ntables */
	int ntables;
} snapctx;

static void
snaprel_free(snaprel *r)
{
	free(r->schema);
	free(r->name);
	free(r->rowfilter);
	ev_rel_free(r->ev);
	memset(r, 0, sizeof(*r));
}

/* ----------------------------------------------------------------
 * Catalog look-ups
 * ---------------------------------------------------------------- */

/*
 * The columns pgoutput would send for r (not dropped, not generated but
 * where an 18 publication publishes them; the publication's column list
 * when it has one), in table order, and the
 * key as decode.c puts it: the primary key, or without one the index of
 * REPLICA IDENTITY USING INDEX, in table order; none when a key column is
 * not published.
 */
static int
load_columns(snapctx *c, snaprel *r, const char *publication, int *ec)
{
	strbuf sql = STRBUF_INIT;
	PGresult *res;
	char *pub = NULL;

	/*
	 * With each column's type, the namespace and name of its base type
	 * (through domains over domains): pgoutput's Type message announces a
	 * domain with those, and decode.c maps values from them.
	 */
	strbuf_printf(
		&sql,
		"WITH RECURSIVE base(top, oid, typbasetype, typtype) AS ("
		" SELECT t.oid, t.oid, t.typbasetype, t.typtype FROM pg_catalog.pg_type t"
		"  WHERE t.oid IN (SELECT atttypid FROM pg_catalog.pg_attribute WHERE attrelid = %" PRIu32
		")"
		" UNION ALL"
		" SELECT b.top, t.oid, t.typbasetype, t.typtype FROM base b"
		"  JOIN pg_catalog.pg_type t ON t.oid = b.typbasetype WHERE b.typtype = 'd')"
		" SELECT a.attname, a.atttypid, bt.typname, bn.nspname, a.atttypmod,"
		"  (SELECT CASE WHEN ct.typelem <> 0 AND ct.typlen = -1 THEN (SELECT et.typtype"
		"   FROM pg_catalog.pg_type et WHERE et.oid = ct.typelem) ELSE ct.typtype END"
		"   FROM pg_catalog.pg_type ct WHERE ct.oid = a.atttypid)"
		" FROM pg_catalog.pg_attribute a"
		" JOIN base b ON b.top = a.atttypid AND b.typtype <> 'd'"
		" JOIN pg_catalog.pg_type bt ON bt.oid = b.oid"
		" JOIN pg_catalog.pg_namespace bn ON bn.oid = bt.typnamespace"
		" WHERE a.attrelid = %" PRIu32 " AND a.attnum > 0 AND NOT a.attisdropped",
		r->oid, r->oid);
	if (c->w.o.format == EV_DEBEZIUM)
		; /* Debezium's snapshot reads generated columns the stream never sends */
	else if (PQserverVersion(c->conn) >= 180000 && publication)
	{
		/*
		 * 18: stored generated columns are published when the column list
		 * names them or the publication says publish_generated_columns =
		 * stored; virtual ones never
		 */
		pub = conn_literal(c->conn, publication);
		strbuf_printf(&sql,
					  " AND (a.attgenerated = '' OR (a.attgenerated = 's' AND (%s OR EXISTS"
					  " (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = %s"
					  " AND pubgencols = 's'))))",
					  r->collist ? "true" : "false", pub);
		PQfreemem(pub);
		pub = NULL;
	}
	else if (PQserverVersion(c->conn) >= 120000)
		strbuf_puts(&sql, " AND a.attgenerated = ''");
	if (r->collist)
	{
		char *sch = conn_literal(c->conn, r->schema);
		char *tab = conn_literal(c->conn, r->name);

		pub = conn_literal(c->conn, publication);
		strbuf_printf(&sql,
					  " AND a.attname = ANY (SELECT pg_catalog.unnest(attnames) FROM"
					  " pg_catalog.pg_publication_tables WHERE pubname = %s"
					  " AND schemaname = %s AND tablename = %s)",
					  pub, sch, tab);
		PQfreemem(sch);
		PQfreemem(tab);
		PQfreemem(pub);
	}
	strbuf_puts(&sql, " ORDER BY a.attnum");
	res = conn_query(c->conn, sql.data, PGRES_TUPLES_OK, "could not look up the columns of a table",
					 ec);
	if (res == NULL)
		goto error;
	r->ncols = PQntuples(res);
	r->ev = ev_rel_new(&c->w, r->oid, r->schema, r->name, r->ncols);
	for (int i = 0; i < r->ncols; i++)
	{
		const char *name = PQgetvalue(res, i, 0);
		uint32_t typid = (uint32_t) strtoul(PQgetvalue(res, i, 1), NULL, 10);

		ev_set_col(r->ev, i, name, strlen(name), typid,
				   (int32_t) strtol(PQgetvalue(res, i, 4), NULL, 10), false);
		/* as the decoder maps a type announced in a Type message */
		ev_set_vtype(&r->ev->cols[i],
					 ev_resolve(typid, PQgetvalue(res, i, 3), PQgetvalue(res, i, 2)));
		r->ev->cols[i].usertype = PQgetvalue(res, i, 5)[0]; /* Debezium's format */
	}
	PQclear(res);

	/* the key, by the rules the stream's events follow (event.h) */
	{
		char **pk = NULL, **ix = NULL;
		int npk, nix = 0;

		npk = conn_key_columns(c->conn, r->oid, false, &pk, ec);
		if (npk == 0 && r->ident == 'i')
			nix = conn_key_columns(c->conn, r->oid, true, &ix, ec);
		if (npk >= 0 && nix >= 0)
			ev_set_key(r->ev, r->ident, pk, npk, ix, nix);
		for (int k = 0; k < npk; k++)
			free(pk[k]);
		for (int k = 0; k < nix; k++)
			free(ix[k]);
		free(pk);
		free(ix);
		if (npk < 0 || nix < 0)
			goto error;
	}
	strbuf_free(&sql);
	return 0;

error:
	strbuf_free(&sql);
	return -1;
}

/* Fill r from one row: oid, nspname, relname, relkind, relreplident. */
static void
rel_from_row(snaprel *r, PGresult *res, int row)
{
	memset(r, 0, sizeof(*r));
	r->oid = (uint32_t) strtoul(PQgetvalue(res, row, 0), NULL, 10);
	r->schema = xstrdup(PQgetvalue(res, row, 1));
	r->name = xstrdup(PQgetvalue(res, row, 2));
	r->kind = PQgetvalue(res, row, 3)[0];
	r->ident = PQgetvalue(res, row, 4)[0];
}

#define REL_COLUMNS "c.oid, n.nspname, c.relname, c.relkind, c.relreplident"

/* The tables the user named (--table), each checked. */
static int
resolve_tables(snapctx *c, const snap_table *tables, int n, snaprel *rels, int *ec)
{
	for (int i = 0; i < n; i++)
	{
		strbuf sql = STRBUF_INIT;
		char *lit = conn_literal(c->conn, tables[i].name);
		PGresult *res;

		strbuf_printf(&sql,
					  "SELECT " REL_COLUMNS " FROM pg_catalog.pg_class c"
					  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
					  " WHERE c.oid = pg_catalog.to_regclass(%s)",
					  lit);
		PQfreemem(lit);
		res = conn_query(c->conn, sql.data, PGRES_TUPLES_OK, "could not look up a table", ec);
		strbuf_free(&sql);
		if (res == NULL)
			return -1;
		if (PQntuples(res) != 1)
		{
			log_error("table \"%s\" does not exist", tables[i].name);
			PQclear(res);
			*ec = EXIT_ERROR;
			return -1;
		}
		rel_from_row(&rels[i], res, 0);
		PQclear(res);
		if (rels[i].kind != 'r' && rels[i].kind != 'p')
		{
			log_error("\"%s\" is not a table", tables[i].name);
			*ec = EXIT_ERROR;
			return -1;
		}
		rels[i].where = tables[i].where;
		for (int j = 0; j < i; j++)
		{
			if (rels[j].oid == rels[i].oid)
			{
				log_error("table \"%s\" is given twice", tables[i].name);
				*ec = EXIT_USAGE;
				return -1;
			}
		}
	}
	return 0;
}

/*
 * The tables of the publication, as pg_publication_tables lists them
 * (leaf partitions, or the root with publish_via_partition_root), with
 * their row filters and column lists (PostgreSQL 15).  *rels is allocated.
 */
static int
publication_tables(snapctx *c, const char *publication, snaprel **rels, int *n, int *ec)
{
	strbuf sql = STRBUF_INIT;
	char *lit = conn_literal(c->conn, publication);
	PGresult *res;
	bool v15 = PQserverVersion(c->conn) >= 150000;

	*rels = NULL;
	*n = 0;
	strbuf_printf(&sql, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = %s", lit);
	res = conn_query(c->conn, sql.data, PGRES_TUPLES_OK, "could not look up the publication", ec);
	if (res == NULL)
		goto error;
	if (PQntuples(res) != 1)
	{
		log_error("publication \"%s\" does not exist in database \"%s\"", publication,
				  PQdb(c->conn));
		log_error("hint: CREATE PUBLICATION, or --create-publication [--table T ...]");
		PQclear(res);
		*ec = EXIT_PUBLICATION;
		goto error;
	}
	PQclear(res);
	strbuf_reset(&sql);
	if (c->w.o.format == EV_DEBEZIUM)
		strbuf_puts(&sql, "SELECT * FROM (");
	strbuf_printf(
		&sql,
		"SELECT " REL_COLUMNS ", %s, %s FROM pg_catalog.pg_publication_tables pt"
		" JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
		" JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
		" WHERE pt.pubname = %s",
		v15 ? "pt.rowfilter" : "NULL",
		v15 ? "pt.attnames IS NOT NULL AND pg_catalog.cardinality(pt.attnames) <>"
			  " (SELECT count(*) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid"
			  "  AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')"
			: "false",
		lit);
	if (c->w.o.format == EV_DEBEZIUM)
		/*
		 * Debezium reads a partitioned table too (all its partitions'
		 * rows, under its own name), and the tables in the byte order of
		 * their names, which decides its snapshot markers
		 */
		strbuf_printf(&sql,
					  " UNION SELECT " REL_COLUMNS ", NULL, false FROM pg_catalog.pg_class c"
					  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
					  " WHERE c.relkind = 'p' AND c.oid IN (SELECT a.relid"
					  "  FROM pg_catalog.pg_publication_tables pt"
					  "  JOIN pg_catalog.pg_namespace n2 ON n2.nspname = pt.schemaname"
					  "  JOIN pg_catalog.pg_class c2 ON c2.relnamespace = n2.oid"
					  "   AND c2.relname = pt.tablename,"
					  "  pg_catalog.pg_partition_ancestors(c2.oid) a WHERE pt.pubname = %s)"
					  ") x ORDER BY x.nspname COLLATE \"C\", x.relname COLLATE \"C\"",
					  lit);
	else
		strbuf_puts(&sql, " ORDER BY n.nspname, c.relname");
	res = conn_query(c->conn, sql.data, PGRES_TUPLES_OK,
					 "could not list the tables of the publication", ec);
	if (res == NULL)
		goto error;
	*n = PQntuples(res);
	*rels = xcalloc((size_t) *n + 1, sizeof(snaprel));
	for (int i = 0; i < *n; i++)
	{
		rel_from_row(&(*rels)[i], res, i);
		if (!PQgetisnull(res, i, 5))
			(*rels)[i].rowfilter = xstrdup(PQgetvalue(res, i, 5));
		(*rels)[i].collist = PQgetvalue(res, i, 6)[0] == 't';
	}
	PQclear(res);
	PQfreemem(lit);
	strbuf_free(&sql);
	return 0;

error:
	PQfreemem(lit);
	strbuf_free(&sql);
	return -1;
}

/* Lock every table ACCESS SHARE, in one statement, before reading any. */
static int
lock_tables(snapctx *c, snaprel *rels, int n, int *ec)
{
	strbuf sql = STRBUF_INIT;
	PGresult *res;

	if (n == 0)
		return 0;
	strbuf_puts(&sql, "LOCK TABLE ");
	for (int i = 0; i < n; i++)
	{
		char *s = conn_ident(c->conn, rels[i].schema);
		char *t = conn_ident(c->conn, rels[i].name);

		strbuf_printf(&sql, "%s%s.%s", i ? ", " : "", s, t);
		PQfreemem(s);
		PQfreemem(t);
	}
	strbuf_puts(&sql, " IN ACCESS SHARE MODE");
	res = conn_query(c->conn, sql.data, PGRES_COMMAND_OK, "could not lock the tables", ec);
	strbuf_free(&sql);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* ----------------------------------------------------------------
 * Reading a table
 * ---------------------------------------------------------------- */

/*
 * Write the held row (Debezium's format) with its snapshot marker, as
 * Debezium sets it: the last row of the last table "last", the first of
 * the first "first", else the first or last row of a table
 * "first_in_data_collection" or "last_in_data_collection", else "true".
 */
static void
release_held(snapctx *c, bool last_in_table)
{
	bool first_table = c->table_no == 0, last_table = c->table_no == c->ntables - 1;
	const char *mark;

	if (c->held.len == 0)
		return;
	if (last_in_table && last_table)
		mark = "last";
	else if (c->held_first && first_table)
		mark = "first";
	else if (last_in_table)
		mark = "last_in_data_collection";
	else if (c->held_first)
		mark = "first_in_data_collection";
	else
		mark = "true";
	ev_remark(&c->held, &c->txn, mark);
	strbuf_add(&c->out.buf, c->held.data, c->held.len);
	strbuf_reset(&c->held);
}

static void
progress(snapctx *c, const snaprel *r, uint64_t rows, double started, bool last)
{
	double secs = clock_mono_s() - started;

	if (!c->progress)
		return;
	fprintf(stderr, "%s%s: %s.%s: %" PRIu64 " rows%s, %.0f rows/s%s", c->tty ? "\r" : "",
			log_progname, r->schema, r->name, rows, last ? " read" : "",
			secs > 0 ? (double) rows / secs : 0.0, c->tty && !last ? "\033[K" : "\n");
	if (c->tty && last)
		fputc('\n', stderr);
}

/*
 * COPY one table out and write its rows as read events.  Returns 0, or -1
 * with *ec set (message logged).
 */
static int
read_table(snapctx *c, snaprel *r, int *ec)
{
	strbuf sql = STRBUF_INIT;
	ev_val *vals = xcalloc((size_t) r->ncols + 1, sizeof(ev_val));
	PGresult *res;
	char *buf;
	int n;
	uint64_t rows = 0;
	double started = clock_mono_s(), last_report = started;
	char *s = conn_ident(c->conn, r->schema);
	char *t = conn_ident(c->conn, r->name);

	strbuf_puts(&sql, "COPY (SELECT ");
	for (int i = 0; i < r->ncols; i++)
	{
		char *col = conn_ident(c->conn, r->ev->cols[i].name);

		strbuf_printf(&sql, "%s%s", i ? ", " : "", col);
		PQfreemem(col);
	}
	/*
	 * ONLY for a plain table: its inheritance children are tables of their
	 * own (pgoutput reports their changes under their names); a partitioned
	 * table has no rows of its own, its partitions' rows are its rows.
	 */
	strbuf_printf(&sql, " FROM %s%s.%s", r->kind == 'r' ? "ONLY " : "", s, t);
	if (r->rowfilter && r->where)
		strbuf_printf(&sql, " WHERE (%s) AND (%s)", r->rowfilter, r->where);
	else if (r->rowfilter || r->where)
		strbuf_printf(&sql, " WHERE %s", r->rowfilter ? r->rowfilter : r->where);
	strbuf_puts(&sql, ") TO STDOUT");
	PQfreemem(s);
	PQfreemem(t);
	log_debug("%s", sql.data);

	res = PQexec(c->conn, sql.data);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
	{
		log_error("could not read table %s.%s: %s", r->schema, r->name, conn_error(c->conn, res));
		*ec = conn_classify(res);
		PQclear(res);
		goto error;
	}
	PQclear(res);

	while ((n = PQgetCopyData(c->conn, &buf, 0)) > 0)
	{
		int nf = copy_row_parse(&c->row, buf, (size_t) n);
		strbuf *o = &c->out.buf;

		PQfreemem(buf);
		if (nf != (r->ncols ? r->ncols : 1))
		{
			log_error("could not read table %s.%s: a COPY row has %d fields, not %d", r->schema,
					  r->name, nf, r->ncols);
			*ec = EXIT_PROTOCOL;
			goto error;
		}
		rows++;
		for (int i = 0; i < r->ncols; i++)
		{
			vals[i].kind = c->row.isnull[i] ? 'n' : 't';
			vals[i].val = c->row.field.data + c->row.off[i];
			vals[i].len = c->row.len[i];
		}
		if (c->w.o.format == EV_DEBEZIUM)
		{
			release_held(c, false);
			c->held_first = rows == 1;
			ev_row(&c->w, &c->held, &c->txn, r->ev, 'R', 0, NULL, false, vals);
		}
		else
			ev_row(&c->w, o, &c->txn, r->ev, 'R', 0, NULL, false, vals);
		if (sink_maybe_flush(&c->out) != 0)
		{
			sink_report_error();
			*ec = EXIT_OUTPUT;
			goto error;
		}
		if ((rows & 4095) == 0)
		{
			double now = clock_mono_s();

			if (sig_stop)
			{
				log_error("interrupted by a signal while reading %s.%s: the snapshot is incomplete",
						  r->schema, r->name);
				*ec = EXIT_ERROR;
				goto error;
			}
			if (now - last_report >= (c->tty ? 0.5 : 10.0))
			{
				progress(c, r, rows, started, false);
				last_report = now;
			}
		}
	}
	if (n == -2)
	{
		log_error("could not read table %s.%s: %s", r->schema, r->name, conn_error(c->conn, NULL));
		*ec = EXIT_CONNECT;
		goto error;
	}
	res = PQgetResult(c->conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		log_error("could not read table %s.%s: %s", r->schema, r->name, conn_error(c->conn, res));
		*ec = conn_classify(res);
		PQclear(res);
		goto error;
	}
	PQclear(res);
	while ((res = PQgetResult(c->conn)) != NULL)
		PQclear(res);
	release_held(c, true);
	progress(c, r, rows, started, true);
	strbuf_free(&sql);
	free(vals);
	return 0;

error:
	strbuf_free(&sql);
	free(vals);
	return -1;
}

/*
 * The shared part: connection settings, the tables (given or the
 * publication's), their locks and columns, then each table's rows.  The
 * transaction must be open on c->conn.
 */
static int
read_all(snapctx *c, const snapshot_opts *o, int *ec)
{
	snaprel *rels = NULL;
	int n = 0;
	int rc = -1;

	if (o->ntables > 0)
	{
		n = o->ntables;
		rels = xcalloc((size_t) n, sizeof(snaprel));
		if (resolve_tables(c, o->tables, n, rels, ec) != 0)
			goto done;
	}
	else if (publication_tables(c, o->publication, &rels, &n, ec) != 0)
		goto done;
	if (n == 0)
		log_warn("publication \"%s\" has no tables: nothing to read", o->publication);
	if (lock_tables(c, rels, n, ec) != 0)
		goto done;
	if (c->w.o.format == EV_DEBEZIUM)
	{
		/* source.txId of Debezium's snapshot rows: the snapshot's next xid */
		PGresult *res = conn_query(
			c->conn, "SELECT pg_catalog.txid_snapshot_xmax(pg_catalog.txid_current_snapshot())",
			PGRES_TUPLES_OK, "could not read the snapshot's transaction id", ec);

		if (res == NULL)
			goto done;
		c->txn.xid = (uint32_t) strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	for (int i = 0; i < n; i++)
		if (load_columns(c, &rels[i], o->publication, ec) != 0)
			goto done;
	c->ntables = n;
	for (int i = 0; i < n; i++)
	{
		c->table_no = i;
		if (read_table(c, &rels[i], ec) != 0)
			goto done;
	}
	rc = 0;
done:
	for (int i = 0; i < n; i++)
		snaprel_free(&rels[i]);
	free(rels);
	return rc;
}

/* Run statements that return no rows; -1 (logged, *ec set) on the first failure. */
static int
exec_all(PGconn *conn, const char *const *sqls, int *ec)
{
	for (; *sqls; sqls++)
	{
		PGresult *res =
			conn_query(conn, *sqls, PGRES_COMMAND_OK, "could not start the snapshot", ec);

		if (res == NULL)
			return -1;
		PQclear(res);
	}
	return 0;
}

/*
 * A plain connection whose text output matches pgoutput's: pinned settings
 * (conn_pin_settings) and the database encoding (pgoutput sends values
 * unconverted), no statement timeout.
 */
static PGconn *
snap_connect(const char *conninfo, int *ec)
{
	static const char *const sets[] = {"SELECT pg_catalog.set_config('client_encoding', "
									   "pg_catalog.current_setting('server_encoding'), false)",
									   NULL};
	static const char *const more[] = {"SET statement_timeout = 0", "SET lock_timeout = 0",
									   "SET idle_in_transaction_session_timeout = 0", NULL};
	PGconn *conn = conn_open(conninfo, false, ec);
	PGresult *res;

	if (conn == NULL)
		return NULL;
	res = conn_query(conn, sets[0], PGRES_TUPLES_OK, "could not set the client encoding", ec);
	if (res == NULL)
		goto error;
	PQclear(res);
	if (conn_pin_settings(conn, ec) != 0)
		goto error;
	if (exec_all(conn, more, ec) != 0)
		goto error;
	return conn;
error:
	PQfinish(conn);
	return NULL;
}

static void
snapctx_init(snapctx *c, PGconn *conn, const ev_opts *events, uint64_t lsn)
{
	ev_opts eo = events ? *events : (ev_opts){0};

	memset(c, 0, sizeof(*c));
	c->conn = conn;
	eo.dbname = PQdb(conn);   /* Debezium's source.db */
	eo.modes.snapshot = true; /* ... whose snapshot reads some values its own way */
	ev_writer_init(&c->w, &eo);
	c->txn.snapshot = true;
	c->txn.commit_lsn = lsn;
	sink_open(&c->out, 1);
	c->tty = isatty(2) && log_verbosity >= 0;
	c->progress = c->tty || log_verbosity >= 1;
}

static void
snapctx_free(snapctx *c)
{
	sink_close(&c->out);
	strbuf_free(&c->held);
	ev_writer_free(&c->w);
	copy_row_free(&c->row);
}

int
snapshot_backfill(const snapshot_opts *o)
{
	static const char *const begin[] = {"BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", NULL};
	int ec = EXIT_OK;
	PGconn *conn = snap_connect(o->conninfo, &ec);
	snapctx c;
	PGresult *res;

	if (conn == NULL)
		return ec;
	snapctx_init(&c, conn, o->events, 0);
	if (exec_all(conn, begin, &ec) != 0 || read_all(&c, o, &ec) != 0)
		goto done;
	if (sink_flush(&c.out) != 0)
	{
		sink_report_error();
		ec = EXIT_OUTPUT;
		goto done;
	}
	res = conn_query(conn, "COMMIT", PGRES_COMMAND_OK, "could not end the snapshot", &ec);
	if (res == NULL)
		goto done;
	PQclear(res);
	log_info("backfill done: %" PRIu64 " rows", c.txn.seq);
done:
	snapctx_free(&c);
	PQfinish(conn);
	return ec;
}

/* Drop a slot we created, after a failed snapshot; on a fresh connection. */
static void
drop_created_slot(const char *conninfo, const char *slot)
{
	int ec;
	PGconn *conn = conn_open(conninfo, true, &ec);

	if (conn == NULL || slot_drop(conn, slot, &ec) != 0)
		log_error("could not drop replication slot \"%s\" after the failed snapshot: drop it"
				  " (--drop-slot) before running --snapshot again",
				  slot);
	else
		log_error("dropped replication slot \"%s\" again: run the same command to start over",
				  slot);
	if (conn)
		PQfinish(conn);
}

int
snapshot_initial(const snapshot_opts *o)
{
	int ec = EXIT_OK;
	PGconn *repl = NULL, *conn = NULL;
	sysinfo si;
	slot_info info;
	uint64_t cp = 0;
	char snapname[128];
	char cpbuf[LSN_BUFLEN];
	char *marker = pos_marker_path(o->checkpoint, o->ack_file);
	const char *file = o->checkpoint ? o->checkpoint : o->ack_file;
	bool created = false, done = false, have_ctx = false;
	strbuf sql = STRBUF_INIT;
	snapctx c;
	PGresult *res;
	ckpt ck;

	repl = conn_open(o->conninfo, true, &ec);
	if (repl == NULL)
		goto out;
	if (slot_identify(repl, &si, &ec) != 0 || slot_lookup(repl, o->slot, &info, &ec) != 0)
		goto out;
	if (info.exists)
	{
		if (!o->if_not_exists)
		{
			log_error("replication slot \"%s\" already exists", o->slot);
			log_error("hint: --snapshot creates the slot; with --if-not-exists an existing slot is"
					  " streamed without a snapshot");
			ec = EXIT_ERROR;
			goto out;
		}
		if (strcmp(info.plugin, "pgoutput") != 0)
		{
			log_error("replication slot \"%s\" exists with plugin \"%s\", not pgoutput", o->slot,
					  info.plugin);
			ec = EXIT_SLOT_PLUGIN;
			goto out;
		}
		log_info("replication slot \"%s\" exists already: no snapshot", o->slot);
		ec = pos_check_marker(o->slot, o->checkpoint, o->ack_file);
		goto out;
	}
	if (file)
	{
		/* FILE, and for --ack-file the FILE.confirmed that streaming keeps beside it */
		strbuf_printf(&sql, "%s.confirmed", file);
		if (access(file, F_OK) == 0 || (o->ack_file && access(sql.data, F_OK) == 0))
		{
			log_error(
				"file \"%s\" exists: it belongs to an earlier slot, and a new slot starts afresh",
				access(file, F_OK) == 0 ? file : sql.data);
			log_error("hint: remove it, or give another file");
			ec = EXIT_CHECKPOINT;
			goto out;
		}
		strbuf_reset(&sql);
	}

	if (slot_create_exported(repl, o->slot, o->failover, si.server_version, &cp, snapname,
							 sizeof(snapname), &ec) != 0)
		goto out;
	created = true;
	lsn_format(cp, cpbuf);
	if (o->consistent_point)
		*o->consistent_point = cp;
	if (marker)
	{
		memset(&ck, 0, sizeof(ck));
		ck.lsn = cp;
		snprintf(ck.slot, sizeof(ck.slot), "%s", o->slot);
		ck.sysid = si.sysid;
		if (ckpt_write(marker, &ck) != 0)
		{
			ec = EXIT_CHECKPOINT;
			goto out;
		}
	}

	/* import the snapshot while the replication connection still holds it */
	conn = snap_connect(o->conninfo, &ec);
	if (conn == NULL)
		goto out;
	res = conn_query(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", PGRES_COMMAND_OK,
					 "could not start the snapshot", &ec);
	if (res == NULL)
		goto out;
	PQclear(res);
	{
		char *lit = conn_literal(conn, snapname);

		strbuf_printf(&sql, "SET TRANSACTION SNAPSHOT %s", lit);
		PQfreemem(lit);
	}
	res = conn_query(conn, sql.data, PGRES_COMMAND_OK, "could not import the slot's snapshot", &ec);
	if (res == NULL)
		goto out;
	PQclear(res);
	/* imported: the transaction holds the snapshot now */
	PQfinish(repl);
	repl = NULL;

	snapctx_init(&c, conn, o->events, cp);
	have_ctx = true;
	log_info("snapshot of publication \"%s\" at %s", o->publication, cpbuf);
	ev_begin(&c.w, &c.out.buf, &c.txn, cp);
	if (read_all(&c, &(snapshot_opts){.publication = o->publication}, &ec) != 0)
		goto out;
	res = conn_query(conn, "COMMIT", PGRES_COMMAND_OK, "could not end the snapshot", &ec);
	if (res == NULL)
		goto out;
	PQclear(res);
	ev_commit(&c.w, &c.out.buf, &c.txn, cp, cp);
	if (sink_flush(&c.out) != 0)
	{
		sink_report_error();
		ec = EXIT_OUTPUT;
		goto out;
	}
	done = true; /* from here on the slot stays */
	log_info("snapshot done: %" PRIu64 " rows; streaming from %s", c.txn.seq, cpbuf);
	if (o->checkpoint)
	{
		/* self-acknowledged: durable output first, then the checkpoint */
		if (sink_sync(&c.out) != 0)
		{
			log_error("could not fsync the output: %m");
			ec = EXIT_OUTPUT;
			goto out;
		}
		memset(&ck, 0, sizeof(ck));
		ck.lsn = cp;
		snprintf(ck.slot, sizeof(ck.slot), "%s", o->slot);
		ck.sysid = si.sysid;
		if (ckpt_write(o->checkpoint, &ck) != 0)
		{
			ec = EXIT_CHECKPOINT;
			goto out;
		}
		if (unlink(marker) != 0)
			log_warn("could not remove file \"%s\": %m", marker);
	}

out:
	if (have_ctx)
		snapctx_free(&c);
	if (repl)
		PQfinish(repl);
	if (conn)
		PQfinish(conn);
	if (created && !done)
	{
		drop_created_slot(o->conninfo, o->slot);
		if (marker && unlink(marker) != 0 && errno != ENOENT)
			log_warn("could not remove file \"%s\": %m", marker);
	}
	free(marker);
	strbuf_free(&sql);
	return ec;
}
