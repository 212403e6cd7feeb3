/*
 * conn.h
 *	libpq connections: the replication connection (replication=database
 *	added to the user's conninfo) and plain ones for catalog look-ups.
 *	The conninfo may be a keyword/value string or a URI; PG* variables,
 *	service files and .pgpass apply as libpq does it.  No function here
 *	ever prints the conninfo (it may hold a password).
 */
#ifndef PGWAL_CONN_H
#define PGWAL_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

/*
 * How conn_open gets a password that the conninfo, PGPASSWORD and .pgpass
 * did not give: AUTO asks on the terminal (/dev/tty, without echo) when
 * the server says it needs one and there is a terminal, as psql does;
 * ALWAYS (-W) asks before the first connection; NEVER (-w) never asks.
 * A password typed once serves every later connection of the process and
 * is never printed.
 */
typedef enum
{
	CONN_PROMPT_AUTO,
	CONN_PROMPT_ALWAYS,
	CONN_PROMPT_NEVER,
} conn_prompt;

extern conn_prompt conn_password_prompt;

/*
 * Set by a caller that will try again after a failure to connect (a
 * reconnect): conn_open then logs that failure as a warning, not an error.
 */
extern bool conn_retrying;

/*
 * Connect.  On failure logs why and returns NULL with *exitcode set
 * (EXIT_CONNECT, or EXIT_PERMISSION for a role without REPLICATION).
 * The caller owns the connection (PQfinish).
 */
PGconn *conn_open(const char *conninfo, bool replication, int *exitcode);

/*
 * Pin the session settings that pgoutput's text output depends on, so the
 * same row always prints the same bytes: TimeZone UTC, DateStyle ISO,
 * IntervalStyle postgres, extra_float_digits 3, bytea_output hex.
 */
int conn_pin_settings(PGconn *conn, int *exitcode);

/*
 * Run one statement with the simple query protocol (the only one a
 * replication connection speaks) and check its status.  Returns the
 * result (caller PQclear()s it), or NULL after logging the server's
 * message prefixed by what; *exitcode is then set from the SQLSTATE.
 */
PGresult *conn_query(PGconn *conn, const char *sql, ExecStatusType want, const char *what,
					 int *exitcode);

/* Exit code for a failed result, from its SQLSTATE and message. */
int conn_classify(const PGresult *res);

/*
 * The first line of a libpq message (PQerrorMessage, PQresultErrorMessage)
 * copied into buf, without its newline: one line per log message.
 */
const char *conn_first_line(const char *msg, char *buf, size_t size);

/*
 * What went wrong, for a log message: the first line of res's error
 * message, or of conn's when res is NULL (conn may be NULL: then "").
 * The one way libpq errors are printed.  The string is valid until the
 * next call.
 */
const char *conn_error(const PGconn *conn, const PGresult *res);

/*
 * The key column names of relation relid, in the index's definition
 * order: its primary key's, or with replident its REPLICA IDENTITY USING
 * INDEX index's.  Returns the count (0: none) with the names in *names
 * (the caller frees each and the array), or -1 with *exitcode set.
 */
int conn_key_columns(PGconn *conn, uint32_t relid, bool replident, char ***names, int *exitcode);

/*
 * The kind (pg_type.typtype: e, c, d, r, m, b) of type oid, or of its
 * elements for an array type, on the look-up connection as
 * conn_pk_columns; '\0' for an unknown type.  0, or -1 with *exitcode.
 */
int conn_type_kind(PGconn **lookup, const char *conninfo, uint32_t oid, char *kind, int *exitcode);

/*
 * Primary-key column names of relation relid, in the key's definition
 * order: the decoder's pk_lookup hook.  *lookup is a plain connection to conninfo,
 * opened on first use; the caller PQfinish()es it.  Returns the count, the
 * names in *names (each, and the array, the caller's to free()), or -1
 * with the exit status the failure calls for in *exitcode (EXIT_CONNECT
 * when no connection could be had).
 */
int conn_pk_columns(PGconn **lookup, const char *conninfo, uint32_t relid, char ***names,
					int *exitcode);

/* A quoted SQL literal / identifier of s; caller frees with PQfreemem. */
char *conn_literal(PGconn *conn, const char *s);
char *conn_ident(PGconn *conn, const char *s);

#endif
