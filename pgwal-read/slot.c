/*
 * slot.c
 *	Slot and publication management.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "lsn.h"
#include "slot.h"
#include "strbuf.h"

static void
copy_field(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int
slot_identify(PGconn *conn, sysinfo *si, int *exitcode)
{
	PGresult *res = conn_query(conn, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK,
							   "could not identify the system", exitcode);

	memset(si, 0, sizeof(*si));
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1 || PQnfields(res) < 3 ||
		lsn_parse(PQgetvalue(res, 0, 2), &si->xlogpos) != 0 ||
		sscanf(PQgetvalue(res, 0, 0), "%" SCNu64, &si->sysid) != 1)
	{
		log_error("could not identify the system: unexpected IDENTIFY_SYSTEM result");
		PQclear(res);
		*exitcode = EXIT_PROTOCOL;
		return -1;
	}
	si->server_version = PQserverVersion(conn);
	PQclear(res);
	return 0;
}

int
pgoutput_proto_max(int server_version)
{
	return server_version >= 160000   ? 4
		   : server_version >= 150000 ? 3
		   : server_version >= 140000 ? 2
									  : 1;
}

bool
pgoutput_has_messages(int server_version)
{
	return server_version >= 140000;
}

int
slot_lookup(PGconn *conn, const char *slot, slot_info *info, int *exitcode)
{
	strbuf sql = STRBUF_INIT;
	char *lit = conn_literal(conn, slot);
	PGresult *res;

	memset(info, 0, sizeof(*info));
	/* wal_status came with PostgreSQL 13: before, a slot is never invalidated */
	strbuf_printf(&sql,
				  "SELECT coalesce(plugin, ''), slot_type, coalesce(database, ''), active,"
				  " coalesce(active_pid, 0), %s,"
				  " coalesce(confirmed_flush_lsn, '0/0')"
				  " FROM pg_catalog.pg_replication_slots WHERE slot_name = %s",
				  PQserverVersion(conn) >= 130000 ? "coalesce(wal_status, '')" : "''", lit);
	PQfreemem(lit);
	res = conn_query(conn, sql.data, PGRES_TUPLES_OK, "could not look up the replication slot",
					 exitcode);
	strbuf_free(&sql);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1)
	{
		info->exists = true;
		copy_field(info->plugin, sizeof(info->plugin), PQgetvalue(res, 0, 0));
		copy_field(info->type, sizeof(info->type), PQgetvalue(res, 0, 1));
		copy_field(info->database, sizeof(info->database), PQgetvalue(res, 0, 2));
		info->active = PQgetvalue(res, 0, 3)[0] == 't';
		info->active_pid = atoi(PQgetvalue(res, 0, 4));
		copy_field(info->wal_status, sizeof(info->wal_status), PQgetvalue(res, 0, 5));
		lsn_parse(PQgetvalue(res, 0, 6), &info->confirmed_flush);
	}
	PQclear(res);
	return 0;
}

int
slot_check_wal_level(PGconn *conn, int *exitcode)
{
	PGresult *res =
		conn_query(conn, "SHOW wal_level", PGRES_TUPLES_OK, "could not read wal_level", exitcode);

	if (res == NULL)
		return -1;
	if (strcmp(PQgetvalue(res, 0, 0), "logical") != 0)
	{
		log_error("wal_level is \"%s\" on the server; logical decoding needs \"logical\"",
				  PQgetvalue(res, 0, 0));
		log_error("hint: ALTER SYSTEM SET wal_level = logical, then restart the server");
		PQclear(res);
		*exitcode = EXIT_SERVER_CONFIG;
		return -1;
	}
	PQclear(res);
	return 0;
}

int
slot_check(PGconn *conn, const char *slot, const char *publication, slot_info *info, int *exitcode)
{
	PGresult *res;
	char *lit;
	strbuf sql = STRBUF_INIT;
	bool found;

	if (slot_check_wal_level(conn, exitcode) != 0)
		return -1;

	if (slot_lookup(conn, slot, info, exitcode) != 0)
		return -1;
	if (!info->exists)
	{
		log_error("replication slot \"%s\" does not exist", slot);
		log_error("hint: create it with --create-slot (and --if-not-exists in scripts)");
		*exitcode = EXIT_SLOT_MISSING;
		return -1;
	}
	if (strcmp(info->type, "logical") != 0 || strcmp(info->plugin, "pgoutput") != 0)
	{
		log_error("replication slot \"%s\" uses %s%s%s; pgwal-read needs a logical slot of plugin "
				  "pgoutput",
				  slot, info->type, info->plugin[0] ? " plugin " : "", info->plugin);
		log_error("hint: use another slot name, or drop this one if nobody needs it");
		*exitcode = EXIT_SLOT_PLUGIN;
		return -1;
	}
	if (strcmp(info->database, PQdb(conn)) != 0)
	{
		log_error("replication slot \"%s\" belongs to database \"%s\", not \"%s\"", slot,
				  info->database, PQdb(conn));
		*exitcode = EXIT_SLOT_PLUGIN;
		return -1;
	}
	if (strcmp(info->wal_status, "lost") == 0)
	{
		log_error("replication slot \"%s\" has been invalidated (wal_status lost): the WAL it "
				  "needed is gone",
				  slot);
		log_error("hint: changes were lost; drop the slot, create it again and resynchronise "
				  "(--snapshot)");
		*exitcode = EXIT_SLOT_LOST;
		return -1;
	}
	if (info->active)
	{
		/* on a reconnect, likely our own lost connection's walsender: tried again */
		(conn_retrying ? log_warn : log_error)("replication slot \"%s\" is active for PID %d", slot,
											   info->active_pid);
		if (!conn_retrying)
			log_error("hint: another pgwal-read or client is streaming from it; stop that one "
					  "first");
		*exitcode = EXIT_SLOT_BUSY;
		return -1;
	}

	lit = conn_literal(conn, publication);
	strbuf_printf(&sql, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = %s", lit);
	PQfreemem(lit);
	res =
		conn_query(conn, sql.data, PGRES_TUPLES_OK, "could not look up the publication", exitcode);
	strbuf_free(&sql);
	if (res == NULL)
		return -1;
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
	{
		log_error("publication \"%s\" does not exist in database \"%s\"", publication, PQdb(conn));
		log_error("hint: CREATE PUBLICATION, or --create-publication [--table T ...]");
		*exitcode = EXIT_PUBLICATION;
		return -1;
	}
	return 0;
}

/*
 * CREATE_REPLICATION_SLOT for pgoutput, exporting a snapshot or not, in the
 * server version's syntax.  Returns the result (slot_name,
 * consistent_point, snapshot_name, output_plugin; the caller PQclear()s
 * it), or NULL after logging why.
 */
static PGresult *
create_slot(PGconn *conn, const char *slot, int server_version, bool export, bool failover,
			int *exitcode)
{
	strbuf sql = STRBUF_INIT;
	char *id;
	PGresult *res;

	if (failover && server_version < 170000)
	{
		log_error("could not create replication slot \"%s\": failover slots came with "
				  "PostgreSQL 17 (the server is %d)",
				  slot, server_version / 10000);
		*exitcode = EXIT_ERROR;
		return NULL;
	}
	id = conn_ident(conn, slot);
	if (server_version >= 150000)
		strbuf_printf(&sql, "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput (SNAPSHOT '%s'%s)", id,
					  export ? "export" : "nothing", failover ? ", FAILOVER true" : "");
	else
		strbuf_printf(&sql, "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput %s", id,
					  export ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
	PQfreemem(id);
	res =
		conn_query(conn, sql.data, PGRES_TUPLES_OK, "could not create replication slot", exitcode);
	strbuf_free(&sql);
	return res;
}

int
slot_create(PGconn *conn, const char *slot, bool if_not_exists, bool failover, int server_version,
			int *exitcode)
{
	slot_info info;
	PGresult *res;

	if (if_not_exists)
	{
		if (slot_lookup(conn, slot, &info, exitcode) != 0)
			return -1;
		if (info.exists)
		{
			if (strcmp(info.plugin, "pgoutput") != 0)
			{
				log_error("replication slot \"%s\" exists with plugin \"%s\", not pgoutput", slot,
						  info.plugin);
				*exitcode = EXIT_SLOT_PLUGIN;
				return -1;
			}
			log_info("replication slot \"%s\" exists already", slot);
			return 0;
		}
	}
	res = create_slot(conn, slot, server_version, false, failover, exitcode);
	if (res == NULL)
		return -1;
	log_info("created replication slot \"%s\" at %s", slot, PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

int
slot_create_exported(PGconn *conn, const char *slot, bool failover, int server_version,
					 uint64_t *consistent_point, char *snapshot, size_t size, int *exitcode)
{
	PGresult *res = create_slot(conn, slot, server_version, true, failover, exitcode);

	if (res == NULL)
		return -1;
	/* slot_name, consistent_point, snapshot_name, output_plugin */
	if (PQntuples(res) != 1 || PQnfields(res) < 3 || PQgetisnull(res, 0, 2) ||
		lsn_parse(PQgetvalue(res, 0, 1), consistent_point) != 0)
	{
		log_error("could not create replication slot: unexpected CREATE_REPLICATION_SLOT result");
		PQclear(res);
		*exitcode = EXIT_PROTOCOL;
		return -1;
	}
	copy_field(snapshot, size, PQgetvalue(res, 0, 2));
	log_info("created replication slot \"%s\" at %s, exporting snapshot %s", slot,
			 PQgetvalue(res, 0, 1), snapshot);
	PQclear(res);
	return 0;
}

int
slot_drop(PGconn *conn, const char *slot, int *exitcode)
{
	strbuf sql = STRBUF_INIT;
	char *id = conn_ident(conn, slot);
	PGresult *res;

	strbuf_printf(&sql, "DROP_REPLICATION_SLOT %s", id);
	PQfreemem(id);
	res = conn_query(conn, sql.data, PGRES_COMMAND_OK, "could not drop replication slot", exitcode);
	strbuf_free(&sql);
	if (res == NULL)
		return -1;
	PQclear(res);
	log_info("dropped replication slot \"%s\"", slot);
	return 0;
}

/*
 * An existing publication asked for with --table: say so when it covers
 * other tables than those (it is left as it is).  Returns -1 only when the
 * catalogs could not be read.
 */
static int
publication_compare(PGconn *conn, const char *pub, char **tables, int ntables, int *exitcode)
{
	strbuf sql = STRBUF_INIT;
	char *lit = conn_literal(conn, pub);
	PGresult *res;

	/* table names are SQL as the user wrote them (maybe qualified, quoted) */
	strbuf_puts(&sql, "WITH want AS (SELECT pg_catalog.to_regclass(t) AS r FROM unnest(ARRAY[");
	for (int i = 0; i < ntables; i++)
	{
		char *t = conn_literal(conn, tables[i]);

		strbuf_printf(&sql, "%s%s", i ? ", " : "", t);
		PQfreemem(t);
	}
	strbuf_printf(&sql,
				  "]::text[]) t),"
				  " have AS (SELECT c.oid::regclass AS r FROM pg_catalog.pg_publication_tables pt"
				  " JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
				  " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = "
				  "pt.tablename"
				  " WHERE pt.pubname = %s)"
				  " SELECT p.puballtables,"
				  " coalesce((SELECT string_agg(r::text, ', ' ORDER BY r::text) FROM have), ''),"
				  " EXISTS (SELECT r FROM want EXCEPT SELECT r FROM have)"
				  " OR EXISTS (SELECT r FROM have EXCEPT SELECT r FROM want)"
				  " FROM pg_catalog.pg_publication p WHERE p.pubname = %s",
				  lit, lit);
	PQfreemem(lit);
	res = conn_query(conn, sql.data, PGRES_TUPLES_OK, "could not look up the publication's tables",
					 exitcode);
	strbuf_free(&sql);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't')
		log_warn("publication \"%s\" exists already FOR ALL TABLES: --table is ignored, every table"
				 " is published",
				 pub);
	else if (PQntuples(res) == 1 && PQgetvalue(res, 0, 2)[0] == 't')
		log_warn("publication \"%s\" exists already with other tables than --table: it publishes"
				 " %s%s; --table is ignored",
				 pub, PQgetvalue(res, 0, 1)[0] ? PQgetvalue(res, 0, 1) : "no table",
				 PQgetvalue(res, 0, 1)[0] ? "" : " yet");
	else
	{
		log_info("publication \"%s\" exists already", pub);
		PQclear(res);
		return 0;
	}
	log_warn("hint: ALTER PUBLICATION ... SET TABLE to change it, or name another --publication");
	PQclear(res);
	return 0;
}

/*
 * Warn by name about each table of the publication on which the server
 * will refuse UPDATE or DELETE, because it has neither a primary key nor
 * a replica identity and the publication publishes them.  Returns -1 only
 * when the catalogs could not be read.
 */
static int
publication_warn_identity(PGconn *conn, const char *pub, int *exitcode)
{
	strbuf sql = STRBUF_INIT;
	char *lit = conn_literal(conn, pub);
	PGresult *res;

	strbuf_printf(
		&sql,
		"SELECT pg_catalog.quote_ident(pt.schemaname) || '.' || "
		"pg_catalog.quote_ident(pt.tablename),"
		" CASE WHEN p.pubupdate AND p.pubdelete THEN 'UPDATE and DELETE'"
		" WHEN p.pubupdate THEN 'UPDATE' ELSE 'DELETE' END"
		" FROM pg_catalog.pg_publication p"
		" JOIN pg_catalog.pg_publication_tables pt ON pt.pubname = p.pubname"
		" JOIN pg_catalog.pg_namespace n ON n.nspname = pt.schemaname"
		" JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename"
		" WHERE p.pubname = %s AND (p.pubupdate OR p.pubdelete) AND (c.relreplident = 'n'"
		" OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
		"  WHERE i.indrelid = c.oid AND i.indisprimary))"
		" OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
		"  WHERE i.indrelid = c.oid AND i.indisreplident)))"
		" ORDER BY 1",
		lit);
	PQfreemem(lit);
	res = conn_query(conn, sql.data, PGRES_TUPLES_OK,
					 "could not look up the replica identities of the publication's tables",
					 exitcode);
	strbuf_free(&sql);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *t = PQgetvalue(res, i, 0);

		log_warn("table %s has no primary key and no replica identity: with publication \"%s\""
				 " publishing %s, the server refuses %s on it",
				 t, pub, PQgetvalue(res, i, 1), PQgetvalue(res, i, 1));
		log_warn("hint: ALTER TABLE %s REPLICA IDENTITY FULL, or add a primary key", t);
	}
	PQclear(res);
	return 0;
}

int
publication_create(PGconn *conn, const char *pub, char **tables, int ntables, int *exitcode)
{
	strbuf sql = STRBUF_INIT;
	char *s;
	PGresult *res;
	bool found;

	s = conn_literal(conn, pub);
	strbuf_printf(&sql, "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = %s", s);
	PQfreemem(s);
	res =
		conn_query(conn, sql.data, PGRES_TUPLES_OK, "could not look up the publication", exitcode);
	if (res == NULL)
		goto error;
	found = PQntuples(res) == 1;
	PQclear(res);
	if (found)
	{
		strbuf_free(&sql);
		if (ntables == 0)
			log_info("publication \"%s\" exists already", pub);
		else if (publication_compare(conn, pub, tables, ntables, exitcode) != 0)
			return -1;
		return publication_warn_identity(conn, pub, exitcode);
	}
	strbuf_reset(&sql);
	s = conn_ident(conn, pub);
	strbuf_printf(&sql, "CREATE PUBLICATION %s", s);
	PQfreemem(s);
	if (ntables == 0)
		strbuf_puts(&sql, " FOR ALL TABLES");
	for (int i = 0; i < ntables; i++)
	{
		/* a table name may be schema-qualified: the user's text is SQL, as in psql */
		strbuf_printf(&sql, "%s%s", i == 0 ? " FOR TABLE " : ", ", tables[i]);
	}
	res = conn_query(conn, sql.data, PGRES_COMMAND_OK, "could not create publication", exitcode);
	if (res == NULL)
		goto error;
	PQclear(res);
	strbuf_free(&sql);
	if (ntables == 0)
	{
		/* the default is wide: say what it covers, where it shows */
		log_warn("created publication \"%s\" FOR ALL TABLES: every table of database \"%s\","
				 " and every table created later, is published",
				 pub, PQdb(conn));
		log_warn("hint: --table (repeatable) publishes only the tables given");
	}
	else
		log_info("created publication \"%s\"", pub);
	return publication_warn_identity(conn, pub, exitcode);

error:
	strbuf_free(&sql);
	return -1;
}
