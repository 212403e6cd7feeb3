/*
 * conn.c
 *	Connections to the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "sig.h"
#include "xalloc.h"

/* The first line of a libpq error message, without the trailing newline. */
const char *
conn_first_line(const char *msg, char *buf, size_t size)
{
	size_t n = strcspn(msg, "\n");

	if (n >= size)
		n = size - 1;
	memcpy(buf, msg, n);
	buf[n] = '\0';
	return buf;
}

const char *
conn_error(const PGconn *conn, const PGresult *res)
{
	static char line[1024];

	return conn_first_line(res    ? PQresultErrorMessage(res)
						   : conn ? PQerrorMessage(conn)
								  : "",
						   line, sizeof(line));
}

/* Is s a connection option keyword libpq knows (PQconndefaults)? */
static bool
is_conn_keyword(const char *s, size_t n)
{
	PQconninfoOption *opts = PQconndefaults();
	bool found = false;

	for (PQconninfoOption *o = opts; o && o->keyword && !found; o++)
		found = strlen(o->keyword) == n && memcmp(o->keyword, s, n) == 0;
	PQconninfoFree(opts);
	return found;
}

/*
 * Copy msg into buf (size bytes), first line only, with each double-quoted
 * token replaced by "..." unless it is a single character or a connection
 * option keyword.  libpq's connection string errors quote the piece they
 * stumbled on, which can be a password or the whole URI holding one
 * ("invalid percent-encoded token: "p%zzword"").
 */
static const char *
strip_quoted(const char *msg, char *buf, size_t size)
{
	size_t o = 0;

	for (const char *p = msg; *p && *p != '\n' && o + 6 < size; p++)
	{
		const char *q;

		if (*p != '"' || (q = strpbrk(p + 1, "\"\n")) == NULL || *q != '"')
		{
			buf[o++] = *p;
			continue;
		}
		if (q - p - 1 == 1 || is_conn_keyword(p + 1, (size_t) (q - p - 1)))
		{
			size_t n = (size_t) (q - p + 1);

			if (o + n + 6 >= size)
				break;
			memcpy(buf + o, p, n);
			o += n;
		}
		else
		{
			memcpy(buf + o, "\"...\"", 5);
			o += 5;
		}
		p = q;
	}
	buf[o] = '\0';
	return buf;
}

/*
 * If conninfo is a connection string or URI (libpq's test: a URI prefix
 * or an '=') that libpq cannot parse, log why without the pieces of it
 * and return true.
 */
static bool
bad_conn_string(const char *conninfo)
{
	char *err = NULL;
	PQconninfoOption *opts;
	char line[1024];

	if (conninfo == NULL ||
		(strncmp(conninfo, "postgresql://", 13) != 0 && strncmp(conninfo, "postgres://", 11) != 0 &&
		 strchr(conninfo, '=') == NULL))
		return false;
	opts = PQconninfoParse(conninfo, &err);
	if (opts != NULL)
	{
		PQconninfoFree(opts);
		return false;
	}
	log_error("could not connect to the server: invalid connection string (-d): %s",
			  err ? strip_quoted(err, line, sizeof(line)) : "out of memory");
	log_error("hint: the parts of the connection string are not shown, they may hold a password");
	PQfreemem(err);
	return true;
}

conn_prompt conn_password_prompt = CONN_PROMPT_AUTO;
bool conn_retrying = false;

/* The password typed at the prompt, for every later connection; NULL if none. */
static char *typed_password;
static bool prompted;

/*
 * Ask for a password on the terminal without echo, as psql's simple_prompt
 * does: on /dev/tty, else (only when from_stdin) on stdin and stderr.
 * Returns the line without its newline (the caller frees it), or NULL when
 * there is no terminal, at end of input or on a signal.
 */
static char *
read_password(bool from_stdin)
{
	char buf[1024];
	size_t n = 0;
	int in, out;
	struct termios old, quiet;
	bool echo_off = false, ok = false;

	in = out = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
	{
		if (!from_stdin)
			return NULL;
		in = 0;
		out = 2;
	}
	if (tcgetattr(in, &old) == 0)
	{
		quiet = old;
		quiet.c_lflag &= (tcflag_t) ~ECHO;
		quiet.c_lflag |= ECHONL;
		echo_off = tcsetattr(in, TCSAFLUSH, &quiet) == 0;
	}
	if (write(out, "Password: ", 10) < 0)
		log_debug("could not write the password prompt: %m");
	for (;;)
	{
		char c;
		ssize_t r = read(in, &c, 1);

		if (r < 0 && errno == EINTR && !sig_stop)
			continue;
		if (r <= 0)
			break; /* end of input, error, or a signal: no password */
		if (c == '\n' || c == '\r')
		{
			ok = true;
			break;
		}
		if (n < sizeof(buf) - 1)
			buf[n++] = c;
	}
	buf[n] = '\0';
	if (echo_off)
	{
		tcsetattr(in, TCSAFLUSH, &old);
		/* ECHONL printed the newline typed; print one for an interrupted prompt */
		if (!ok && write(out, "\n", 1) < 0)
			log_debug("could not end the password prompt: %m");
	}
	if (in != 0)
		close(in);
	{
		char *pw = ok ? xstrdup(buf) : NULL;

		memset(buf, 0, sizeof(buf)); /* a password lingers nowhere */
		return pw;
	}
}

PGconn *
conn_open(const char *conninfo, bool replication, int *exitcode)
{
	const char *keys[6];
	const char *vals[6];
	int i;
	PGconn *conn;
	bool needs_password;

	/* -W: ask before the first connection, as pg_recvlogical does */
	if (conn_password_prompt == CONN_PROMPT_ALWAYS && !prompted)
	{
		prompted = true;
		typed_password = read_password(true);
	}
	for (;;)
	{
		i = 0;
		keys[i] = "dbname";
		vals[i++] = conninfo ? conninfo : "";
		if (replication)
		{
			keys[i] = "replication";
			vals[i++] = "database";
		}
		keys[i] = "fallback_application_name";
		vals[i++] = log_progname;
		/* after dbname: the expanded conninfo's keywords come before it */
		if (typed_password)
		{
			keys[i] = "password";
			vals[i++] = typed_password;
		}
		keys[i] = NULL;
		vals[i] = NULL;

		conn = PQconnectdbParams(keys, vals, 1);
		if (PQstatus(conn) == CONNECTION_OK)
			return conn;
		/*
		 * The server wants a password that neither the conninfo, PGPASSWORD
		 * nor .pgpass gave: ask once on the terminal, as psql does, unless
		 * -w (never ask) or there is no terminal (cron, a pipeline).
		 */
		needs_password = PQconnectionNeedsPassword(conn);
		if (!needs_password || prompted || conn_password_prompt == CONN_PROMPT_NEVER)
			break;
		prompted = true;
		typed_password = read_password(false);
		if (typed_password == NULL)
			break;
		PQfinish(conn);
	}
	{
		const char *msg = PQerrorMessage(conn);

		if (strstr(msg, "replication role") || strstr(msg, "REPLICATION attribute") ||
			strstr(msg, "permission denied to start WAL sender"))
		{
			log_error("role may not start replication: %s", conn_error(conn, NULL));
			log_error("hint: ALTER ROLE ... REPLICATION, or connect as a role that has it");
			*exitcode = EXIT_PERMISSION;
		}
		else
		{
			if (!bad_conn_string(conninfo))
			{
				/* a reconnect that will be tried again is a warning */
				(conn_retrying ? log_warn : log_error)("could not connect to the server: %s",
													   conn_error(conn, NULL));
				if (needs_password && typed_password == NULL)
					log_error("hint: %s",
							  conn_password_prompt == CONN_PROMPT_NEVER
								  ? "-w never asks for a password: put it in ~/.pgpass "
									"(or PGPASSFILE) or PGPASSWORD"
								  : "put the password in ~/.pgpass (or PGPASSFILE) or "
									"PGPASSWORD, or run in a terminal to be asked for it");
			}
			*exitcode = EXIT_CONNECT;
		}
		PQfinish(conn);
		return NULL;
	}
}

int
conn_pin_settings(PGconn *conn, int *exitcode)
{
	static const char *const sets[] = {
		"SET TimeZone = 'UTC'",           "SET DateStyle = 'ISO, MDY'",
		"SET IntervalStyle = 'postgres'", "SET extra_float_digits = 3",
		"SET bytea_output = 'hex'",
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
	{
		PGresult *res =
			conn_query(conn, sets[i], PGRES_COMMAND_OK, "could not pin session settings", exitcode);

		if (res == NULL)
			return -1;
		PQclear(res);
	}
	return 0;
}

int
conn_classify(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : "";

	if (state == NULL)
		return EXIT_CONNECT; /* no result: the connection broke */
	if (strcmp(state, "42704") == 0 && strstr(msg, "replication slot"))
		return EXIT_SLOT_MISSING;
	if (strcmp(state, "42704") == 0 && strstr(msg, "publication"))
		return EXIT_PUBLICATION;
	if (strcmp(state, "55006") == 0)
		return EXIT_SLOT_BUSY;
	if (strstr(msg, "wal_level"))
		return EXIT_SERVER_CONFIG;
	if (strstr(msg, "can no longer get changes") || strstr(msg, "has been invalidated") ||
		strstr(msg, "was invalidated"))
		return EXIT_SLOT_LOST;
	if (strcmp(state, "42501") == 0)
		return EXIT_PERMISSION;
	/* connection exceptions and operator intervention (shutdown, terminated): retry */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		return EXIT_CONNECT;
	return EXIT_ERROR;
}

PGresult *
conn_query(PGconn *conn, const char *sql, ExecStatusType want, const char *what, int *exitcode)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) == want)
		return res;
	log_error("%s: %s", what, conn_error(conn, res));
	if (res == NULL || PQresultErrorMessage(res)[0] == '\0')
		log_error("%s: unexpected result status %s", what, PQresStatus(PQresultStatus(res)));
	*exitcode = conn_classify(res);
	PQclear(res);
	return NULL;
}

char *
conn_literal(PGconn *conn, const char *s)
{
	return PQescapeLiteral(conn, s, strlen(s));
}

char *
conn_ident(PGconn *conn, const char *s)
{
	return PQescapeIdentifier(conn, s, strlen(s));
}

int
conn_key_columns(PGconn *conn, uint32_t relid, bool replident, char ***names, int *exitcode)
{
	char sql[512];
	PGresult *res;
	int n;

	snprintf(sql, sizeof(sql),
			 "SELECT a.attname FROM pg_catalog.pg_index i"
			 " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid"
			 "  AND a.attnum = ANY (i.indkey::int2[])"
			 " WHERE i.indrelid = %" PRIu32 " AND i.%s"
			 " ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)",
			 relid, replident ? "indisreplident" : "indisprimary");
	res = conn_query(conn, sql, PGRES_TUPLES_OK, "could not look up the key of a table", exitcode);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	*names = xcalloc((size_t) n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		(*names)[i] = xstrdup(PQgetvalue(res, i, 0));
	PQclear(res);
	return n;
}

int
conn_type_kind(PGconn **lookup, const char *conninfo, uint32_t oid, char *kind, int *exitcode)
{
	char sql[384];
	PGresult *res = NULL;
	int ec = EXIT_CONNECT;

	snprintf(sql, sizeof(sql),
			 "SELECT CASE WHEN t.typelem <> 0 AND t.typlen = -1 THEN"
			 " (SELECT e.typtype FROM pg_catalog.pg_type e WHERE e.oid = t.typelem)"
			 " ELSE t.typtype END FROM pg_catalog.pg_type t WHERE t.oid = %" PRIu32,
			 oid);
	for (int attempt = 0; attempt < 2 && res == NULL; attempt++)
	{
		if (*lookup != NULL && PQstatus(*lookup) != CONNECTION_OK)
		{
			PQfinish(*lookup);
			*lookup = NULL;
		}
		if (*lookup == NULL && (*lookup = conn_open(conninfo, false, &ec)) == NULL)
			continue;
		res = conn_query(*lookup, sql, PGRES_TUPLES_OK, "could not look up a type", &ec);
	}
	if (res == NULL)
	{
		*exitcode = ec;
		return -1;
	}
	*kind = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0)[0] : '\0';
	PQclear(res);
	return 0;
}

int
conn_pk_columns(PGconn **lookup, const char *conninfo, uint32_t relid, char ***names, int *exitcode)
{
	int n = -1, ec = EXIT_CONNECT;

	/* a connection that broke since the last look-up gets one new try */
	for (int attempt = 0; attempt < 2 && n < 0; attempt++)
	{
		if (*lookup != NULL && PQstatus(*lookup) != CONNECTION_OK)
		{
			PQfinish(*lookup);
			*lookup = NULL;
		}
		if (*lookup == NULL && (*lookup = conn_open(conninfo, false, &ec)) == NULL)
			continue;
		n = conn_key_columns(*lookup, relid, false, names, &ec);
	}
	if (n < 0)
		*exitcode = ec;
	return n;
}
