/*
 * startup.h
 *	What a stream checks before it starts, and how it asks to start: the
 *	slot and the session settings, the position files against the server
 *	(first connect) or against what this process confirmed (reconnect),
 *	the catch-up target, the pgoutput protocol version and the options
 *	pgoutput is started with.  Shared by the replication stream (stream.c)
 *	and --peek/--advance (slotcmd.c), so that both check and ask alike.
 *	Each check logs what went wrong and returns an exit status or -1 with
 *	*exitcode set; none keeps state.
 */
#ifndef PGWAL_STARTUP_H
#define PGWAL_STARTUP_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "position.h"
#include "slot.h"
#include "strbuf.h"

/*
 * The slot and its publication as START_REPLICATION needs them
 * (slot_check), then the pinned session settings (conn_pin_settings).
 * Returns 0, or -1 with *exitcode set (message logged).
 */
int startup_check_slot(PGconn *conn, const char *slot, const char *publication, slot_info *info,
					   int *exitcode);

/*
 * The position files against the server.  First connect (reconnect false):
 * pos_check_start, which sets *acked.  Reconnect: the server must be the
 * same database system, and the slot not ahead of what this process
 * confirmed (confirmed, *acked) or recorded, unless allow_slot_ahead.
 * Returns 0 or the exit status (message logged).
 */
int startup_check_position(position *pos, bool reconnect, const sysinfo *sys, const slot_info *info,
						   const char *slot, bool allow_slot_ahead, uint64_t confirmed,
						   uint64_t *acked);

/*
 * --catch-up: the position "now" on the server, minus one (a commit at
 * the insert position was not made yet), in *endpos.  Returns 0; -1 when
 * the query failed (*exitcode set from the server's answer); -2 when its
 * answer is not an LSN (*exitcode untouched).
 */
int startup_catch_up_target(PGconn *conn, uint64_t *endpos, int *exitcode);

/* The pgoutput protocol version: requested, or (0) the newest the server speaks. */
int startup_proto(int requested, int server_version);

/*
 * publication_names for pgoutput: a list of identifiers inside a literal.
 * The caller frees it with PQfreemem.
 */
char *startup_publication_names(PGconn *conn, const char *publication);

/*
 * The START_REPLICATION command for slot at start, appended to cmd
 * (messages: ask for logical messages where the server has the option).
 */
void startup_replication_command(strbuf *cmd, PGconn *conn, const char *slot, uint64_t start,
								 int proto, const char *publication, bool messages,
								 int server_version);

#endif
