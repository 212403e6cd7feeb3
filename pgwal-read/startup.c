/*
 * startup.c
 *	What a stream checks before it starts (see startup.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "lsn.h"
#include "startup.h"

int
startup_check_slot(PGconn *conn, const char *slot, const char *publication, slot_info *info,
				   int *exitcode)
{
	if (slot_check(conn, slot, publication, info, exitcode) != 0 ||
		conn_pin_settings(conn, exitcode) != 0)
		return -1;
	return 0;
}

int
startup_check_position(position *pos, bool reconnect, const sysinfo *sys, const slot_info *info,
					   const char *slot, bool allow_slot_ahead, uint64_t confirmed, uint64_t *acked)
{
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];
	uint64_t ours = confirmed > *acked ? confirmed : *acked;

	if (!reconnect)
		return pos_check_start(pos, sys->sysid, sys->xlogpos, info->confirmed_flush,
							   allow_slot_ahead, acked);
	if (sys->sysid != pos->sysid && pos->sysid != 0)
	{
		log_error("the server behind slot \"%s\" is now database system %" PRIu64 ", not %" PRIu64
				  ": refused",
				  slot, sys->sysid, pos->sysid);
		return EXIT_POSITION;
	}
	if (!allow_slot_ahead && info->confirmed_flush > ours && info->confirmed_flush > pos->recorded)
	{
		/*
		 * A reconnect: the slot must not be ahead of what this process
		 * confirmed itself.  Ahead means someone else moved it (advanced
		 * by hand, dropped and created again) and the changes in between
		 * are gone; never start over silently.
		 */
		log_error("slot \"%s\" moved to %s while pgwal-read was away, ahead of the %s it"
				  " confirmed: the changes between were never delivered, and are gone",
				  slot, lsn_format(info->confirmed_flush, b1), lsn_format(ours, b2));
		log_error(
			"hint: was the slot advanced by hand, or dropped and created again? resynchronise,"
			" or go on with --allow-slot-ahead");
		return EXIT_CHECKPOINT;
	}
	return 0;
}

int
startup_catch_up_target(PGconn *conn, uint64_t *endpos, int *exitcode)
{
	PGresult *res;
	char b1[LSN_BUFLEN];

	/*
	 * The insert position, not IDENTIFY_SYSTEM's flush position nor the
	 * write position: with synchronous_commit off, a transaction
	 * reported committed may be neither written nor flushed yet, and it
	 * belongs to what "now" means.  The walsender sends it once the WAL
	 * writer has flushed it, a fraction of a second later.
	 */
	/*
	 * On a standby (logical decoding there: 16+) no WAL is inserted:
	 * the end of the last replayed record is "now", and the next
	 * record to be replayed goes there, as the insert position's does.
	 */
	res = conn_query(conn,
					 "SELECT CASE WHEN pg_catalog.pg_is_in_recovery() THEN"
					 " pg_catalog.pg_last_wal_replay_lsn()"
					 " ELSE pg_catalog.pg_current_wal_insert_lsn() END",
					 PGRES_TUPLES_OK, "could not read the server's WAL position", exitcode);
	if (res == NULL)
		return -1;
	if (lsn_parse(PQgetvalue(res, 0, 0), endpos) != 0)
	{
		PQclear(res);
		return -2;
	}
	/*
	 * The insert position is where the next record will go: a commit
	 * that lands exactly there was not made yet, so "at or before" is
	 * "before" here.
	 */
	if (*endpos > 0)
		(*endpos)--;
	PQclear(res);
	log_info("stopping once caught up with %s", lsn_format(*endpos, b1));
	return 0;
}

int
startup_proto(int requested, int server_version)
{
	if (requested)
		return requested;
	return pgoutput_proto_max(server_version);
}

char *
startup_publication_names(PGconn *conn, const char *publication)
{
	char *pub_id = conn_ident(conn, publication);
	char *pub_lit = conn_literal(conn, pub_id);

	PQfreemem(pub_id);
	return pub_lit;
}

void
startup_replication_command(strbuf *cmd, PGconn *conn, const char *slot, uint64_t start, int proto,
							const char *publication, bool messages, int server_version)
{
	char *slot_id = conn_ident(conn, slot);
	char *pub_lit = startup_publication_names(conn, publication);
	char b1[LSN_BUFLEN];

	strbuf_printf(
		cmd, "START_REPLICATION SLOT %s LOGICAL %s (proto_version '%d', publication_names %s%s)",
		slot_id, lsn_format(start, b1), proto, pub_lit,
		messages && pgoutput_has_messages(server_version) ? ", messages 'true'" : "");
	PQfreemem(slot_id);
	PQfreemem(pub_lit);
}
