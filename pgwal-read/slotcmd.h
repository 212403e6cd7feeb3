/*
 * slotcmd.h
 *	Slot debugging from a terminal: --list-slots, --peek and --advance.
 *	Each opens its own ordinary (non-replication) connection, prints data
 *	on stdout and diagnostics on stderr, and returns an exit status from
 *	exitcodes.h.
 */
#ifndef PGWAL_SLOTCMD_H
#define PGWAL_SLOTCMD_H

#include <stdbool.h>
#include <stdint.h>

typedef enum
{
	LIST_AUTO,  /* for humans on a terminal, JSON lines otherwise */
	LIST_TABLE, /* for humans: a table (--list-slots), blocks (--peek) */
	LIST_JSON
} list_format;

typedef struct slotcmd_opts
{
	const char *conninfo;
	const char *slot;
	const char *publication;
	int proto_version; /* 0: the newest the server speaks */
	bool messages;
	long long peek_limit; /* --peek N: at most N transactions; 0: no limit */
	uint64_t upto;        /* --peek: --endpos; --advance: the target */
	bool yes;             /* --advance: no question asked */
	list_format format;   /* --list-slots and --peek */
} slotcmd_opts;

/* --list-slots: every slot of the cluster with its lag. */
int slotcmd_list(const slotcmd_opts *o);

/*
 * --peek: the pending changes of the slot as events, without consuming
 * them (pg_logical_slot_peek_binary_changes).
 */
int slotcmd_peek(const slotcmd_opts *o);

/*
 * --advance: say what would be skipped (by peeking up to the target),
 * get a confirmation (--yes, or a "y" on a terminal), then
 * pg_replication_slot_advance().  Prints one JSON line of the result.
 */
int slotcmd_advance(const slotcmd_opts *o);

#endif
