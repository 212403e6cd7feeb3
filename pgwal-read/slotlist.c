/*
 * slotlist.c
 *	--list-slots: every replication slot with its lag, retained WAL and
 *	what is wrong with it, as JSON lines or a table (see slotcmd.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "output.h"
#include "slotcmd.h"
#include "strbuf.h"
#include "xalloc.h"

/* Columns of the list query, in order. */
enum
{
	L_NAME,
	L_PLUGIN,
	L_TYPE,
	L_DATABASE,
	L_TEMPORARY,
	L_ACTIVE,
	L_PID,
	L_RESTART,
	L_CONFIRMED,
	L_LAG,
	L_RETAINED,
	L_WAL_STATUS,
	L_SAFE,
	L_CURRENT,
	L_SEGSIZE,
	L_LAG_PRETTY,
	L_RETAINED_PRETTY,
	L_SAFE_PRETTY,
	L_FAILOVER,
	L_SYNCED,
	L_NCOLS
};

/*
 * lag: how far the slot's consumer is behind the server's WAL position:
 * from confirmed_flush_lsn for a logical slot, from restart_lsn for a
 * physical one.  retained: the WAL the slot keeps from being recycled
 * (from restart_lsn).  On a standby the position is the replay position.
 */
static const char list_sql[] =
	"SELECT s.slot_name, s.plugin, s.slot_type, s.database, s.temporary, s.active,"
	" s.active_pid, s.restart_lsn, s.confirmed_flush_lsn,"
	" pg_catalog.pg_wal_lsn_diff(w.cur, CASE WHEN s.slot_type = 'logical'"
	"   THEN s.confirmed_flush_lsn ELSE s.restart_lsn END)::bigint AS lag,"
	" pg_catalog.pg_wal_lsn_diff(w.cur, s.restart_lsn)::bigint AS retained,"
	" %s AS wal_status, %s AS safe_wal_size, w.cur,"
	" pg_catalog.pg_size_bytes(pg_catalog.current_setting('wal_segment_size')),"
	" pg_catalog.pg_size_pretty(pg_catalog.pg_wal_lsn_diff(w.cur, CASE WHEN s.slot_type = 'logical'"
	"   THEN s.confirmed_flush_lsn ELSE s.restart_lsn END)),"
	" pg_catalog.pg_size_pretty(pg_catalog.pg_wal_lsn_diff(w.cur, s.restart_lsn)),"
	" pg_catalog.pg_size_pretty(%s::bigint), %s AS failover, %s AS synced"
	" FROM pg_catalog.pg_replication_slots s,"
	" (SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn()"
	"   ELSE pg_catalog.pg_current_wal_lsn() END AS cur) w"
	" ORDER BY s.slot_name";

/* The warning for a slot, or NULL: inactive and holding WAL, or lost. */
static const char *
slot_warning(PGresult *res, int row, strbuf *why)
{
	const char *status = PQgetvalue(res, row, L_WAL_STATUS);
	bool active = PQgetvalue(res, row, L_ACTIVE)[0] == 't';
	long long retained = atoll(PQgetvalue(res, row, L_RETAINED));
	long long segsize = atoll(PQgetvalue(res, row, L_SEGSIZE));

	strbuf_reset(why);
	if (strcmp(status, "lost") == 0)
		strbuf_puts(why, "invalidated: the WAL it needs is gone (wal_status lost)");
	else if (!active && !PQgetisnull(res, row, L_RETAINED) && retained >= segsize)
		strbuf_printf(why, "inactive and retains %s of WAL%s%s%s",
					  PQgetvalue(res, row, L_RETAINED_PRETTY), status[0] ? " (wal_status " : "",
					  status, status[0] ? ")" : "");
	else
		return NULL;
	return why->data;
}

/* A column as JSON: null, a number, a boolean or a string. */
static void
put_col(strbuf *out, PGresult *res, int row, int col, char kind)
{
	const char *v = PQgetvalue(res, row, col);

	if (PQgetisnull(res, row, col))
		strbuf_puts(out, "null");
	else if (kind == 'n')
		strbuf_puts(out, v);
	else if (kind == 'b')
		strbuf_puts(out, v[0] == 't' ? "true" : "false");
	else
		json_string(out, v, strlen(v));
}

static void
list_json(sink *s, PGresult *res)
{
	static const struct
	{
		const char *name;
		int col;
		char kind;
	} cols[] = {
		{"slot_name", L_NAME, 's'},
		{"plugin", L_PLUGIN, 's'},
		{"slot_type", L_TYPE, 's'},
		{"database", L_DATABASE, 's'},
		{"temporary", L_TEMPORARY, 'b'},
		{"active", L_ACTIVE, 'b'},
		{"active_pid", L_PID, 'n'},
		{"restart_lsn", L_RESTART, 's'},
		{"confirmed_flush_lsn", L_CONFIRMED, 's'},
		{"current_lsn", L_CURRENT, 's'},
		{"lag_bytes", L_LAG, 'n'},
		{"retained_bytes", L_RETAINED, 'n'},
		{"wal_status", L_WAL_STATUS, 's'},
		{"safe_wal_size", L_SAFE, 'n'},
		{"failover", L_FAILOVER, 'b'},
		{"synced", L_SYNCED, 'b'},
	};
	strbuf why = STRBUF_INIT;

	for (int r = 0; r < PQntuples(res); r++)
	{
		bool first = true;
		const char *w;

		strbuf_putc(&s->buf, '{');
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		{
			json_key(&s->buf, &first, cols[c].name);
			put_col(&s->buf, res, r, cols[c].col, cols[c].kind);
		}
		json_key(&s->buf, &first, "warning");
		w = slot_warning(res, r, &why);
		if (w)
			json_string(&s->buf, w, strlen(w));
		else
			strbuf_puts(&s->buf, "null");
		strbuf_puts(&s->buf, "}\n");
	}
	strbuf_free(&why);
}

/* An aligned table, as psql prints one, with sizes for humans. */
static void
list_table(sink *s, PGresult *res)
{
	static const char *const head[] = {
		"slot",         "plugin",          "type", "database", "active",
		"restart_lsn",  "confirmed_flush", "lag",  "retained", "wal_status",
		"safe_wal_size"};
	enum
	{
		NC = sizeof(head) / sizeof(head[0])
	};
	static const bool right[NC] = {false, false, false, false, false, false,
								   false, true,  true,  false, true};
	int n = PQntuples(res);
	char **cell = xcalloc((size_t) (n + 1) * NC, sizeof(char *));
	size_t width[NC];

	for (int c = 0; c < NC; c++)
		cell[c] = xstrdup(head[c]);
	for (int r = 0; r < n; r++)
	{
		char **row = cell + (size_t) (r + 1) * NC;
		strbuf act = STRBUF_INIT;

		row[0] = xstrdup(PQgetvalue(res, r, L_NAME));
		row[1] = xstrdup(PQgetvalue(res, r, L_PLUGIN));
		row[2] = xstrdup(PQgetvalue(res, r, L_TYPE));
		row[3] = xstrdup(PQgetvalue(res, r, L_DATABASE));
		if (PQgetvalue(res, r, L_ACTIVE)[0] == 't')
			strbuf_printf(&act, "yes (pid %s)", PQgetvalue(res, r, L_PID));
		else
			strbuf_puts(&act, "no");
		if (PQgetvalue(res, r, L_TEMPORARY)[0] == 't')
			strbuf_puts(&act, ", temporary");
		row[4] = strbuf_detach(&act);
		row[5] = xstrdup(PQgetvalue(res, r, L_RESTART));
		row[6] = xstrdup(PQgetvalue(res, r, L_CONFIRMED));
		row[7] = xstrdup(PQgetvalue(res, r, L_LAG_PRETTY));
		row[8] = xstrdup(PQgetvalue(res, r, L_RETAINED_PRETTY));
		row[9] = xstrdup(PQgetvalue(res, r, L_WAL_STATUS));
		row[10] = xstrdup(PQgetisnull(res, r, L_SAFE) ? "" : PQgetvalue(res, r, L_SAFE_PRETTY));
	}
	for (int c = 0; c < NC; c++)
	{
		width[c] = 0;
		for (int r = 0; r <= n; r++)
		{
			size_t w = strlen(cell[(size_t) r * NC + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (int r = 0; r <= n; r++)
	{
		for (int c = 0; c < NC; c++)
		{
			const char *v = cell[(size_t) r * NC + c];
			size_t pad = width[c] - strlen(v);

			if (c > 0)
				strbuf_puts(&s->buf, " | ");
			if (right[c] && r > 0)
				for (size_t i = 0; i < pad; i++)
					strbuf_putc(&s->buf, ' ');
			strbuf_puts(&s->buf, v);
			if ((!right[c] || r == 0) && c < NC - 1)
				for (size_t i = 0; i < pad; i++)
					strbuf_putc(&s->buf, ' ');
		}
		strbuf_putc(&s->buf, '\n');
		if (r == 0)
		{
			for (int c = 0; c < NC; c++)
			{
				if (c > 0)
					strbuf_puts(&s->buf, "-+-");
				for (size_t i = 0; i < width[c]; i++)
					strbuf_putc(&s->buf, '-');
			}
			strbuf_putc(&s->buf, '\n');
		}
	}
	strbuf_printf(&s->buf, "(%d slot%s)\n", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < (size_t) (n + 1) * NC; i++)
		free(cell[i]);
	free(cell);
}

int
slotcmd_list(const slotcmd_opts *o)
{
	int ec = EXIT_OK;
	PGconn *conn = conn_open(o->conninfo, false, &ec);
	PGresult *res = NULL;
	strbuf sql = STRBUF_INIT;
	strbuf why = STRBUF_INIT;
	sink out;
	bool table;
	int nwarn = 0;

	if (conn == NULL)
		return ec;
	sink_open(&out, 1);
	/* wal_status and safe_wal_size came with PostgreSQL 13, failover and synced with 17 */
	if (PQserverVersion(conn) >= 170000)
		strbuf_printf(&sql, list_sql, "s.wal_status", "s.safe_wal_size", "s.safe_wal_size",
					  "s.failover", "s.synced");
	else if (PQserverVersion(conn) >= 130000)
		strbuf_printf(&sql, list_sql, "s.wal_status", "s.safe_wal_size", "s.safe_wal_size",
					  "NULL::bool", "NULL::bool");
	else
		strbuf_printf(&sql, list_sql, "NULL::text", "NULL::bigint", "NULL", "NULL::bool",
					  "NULL::bool");
	res = conn_query(conn, sql.data, PGRES_TUPLES_OK, "could not list the replication slots", &ec);
	if (res == NULL)
		goto done;
	table = o->format == LIST_TABLE || (o->format == LIST_AUTO && isatty(1));
	if (table)
		list_table(&out, res);
	else
		list_json(&out, res);
	if (sink_flush(&out) != 0)
	{
		sink_report_error();
		ec = EXIT_OUTPUT;
		goto done;
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		const char *w = slot_warning(res, r, &why);

		if (w)
		{
			log_warn("replication slot \"%s\" is %s", PQgetvalue(res, r, L_NAME), w);
			nwarn++;
		}
	}
	if (nwarn)
		log_warn("hint: a slot keeps WAL until its consumer confirms it; drop slots nobody reads"
				 " (pgwal-read -S SLOT --drop-slot)");
done:
	PQclear(res);
	strbuf_free(&sql);
	strbuf_free(&why);
	sink_close(&out);
	PQfinish(conn);
	return ec;
}
