/*
 * slot.h
 *	Replication slots and publications: look-ups, checks before streaming,
 *	creation and removal.  All of it over the replication connection
 *	(simple query protocol).  Each function logs what went wrong and
 *	returns -1 with *exitcode set, or 0.
 */
#ifndef PGWAL_SLOT_H
#define PGWAL_SLOT_H

#include <stdbool.h>
#include <stdint.h>
#include <libpq-fe.h>

typedef struct sysinfo
{
	uint64_t sysid;   /* the database system identifier */
	uint64_t xlogpos; /* server's flushed WAL position at connect */
	int server_version;
} sysinfo;

typedef struct slot_info
{
	bool exists;
	char plugin[64];
	char type[16];
	char database[64];
	bool active;
	int active_pid;
	char wal_status[16];
	uint64_t confirmed_flush;
} slot_info;

int slot_identify(PGconn *conn, sysinfo *si, int *exitcode);

/*
 * What pgoutput speaks, by server version (PQserverVersion): the highest
 * protocol version (1; 2 streaming from 14; 3 two-phase from 15; 4
 * parallel streaming from 16), and whether it takes the messages option
 * (14 and later; before that logical messages are not sent at all).
 */
int pgoutput_proto_max(int server_version);
bool pgoutput_has_messages(int server_version);
int slot_lookup(PGconn *conn, const char *slot, slot_info *info, int *exitcode);

/*
 * Everything that would make START_REPLICATION fail, checked first so that
 * each gets its own message and exit code: wal_level, the slot (missing,
 * other plugin, physical, other database, invalidated, active elsewhere)
 * and the publication.
 */
/* wal_level must be logical: else exit status 11 with a hint (message logged). */
int slot_check_wal_level(PGconn *conn, int *exitcode);

int slot_check(PGconn *conn, const char *slot, const char *publication, slot_info *info,
			   int *exitcode);
/*
 * failover: a failover slot (PostgreSQL 17 and later; an error before),
 * which standbys with sync_replication_slots keep in step
 */
int slot_create(PGconn *conn, const char *slot, bool if_not_exists, bool failover,
				int server_version, int *exitcode);
int slot_drop(PGconn *conn, const char *slot, int *exitcode);

/*
 * Create a pgoutput slot exporting its snapshot (for --snapshot).  Sets
 * *consistent_point and snapshot (the name to SET TRANSACTION SNAPSHOT
 * to; size at least 64).  The snapshot stays importable only until the
 * next command on conn, or its end.
 */
int slot_create_exported(PGconn *conn, const char *slot, bool failover, int server_version,
						 uint64_t *consistent_point, char *snapshot, size_t size, int *exitcode);
/*
 * Create the publication if missing: for the tables given, else all
 * tables (with a warning that says so).  An existing one is left as it is,
 * with a warning when it covers other tables than those given.  Either
 * way, each published table on which the server will now refuse UPDATE
 * or DELETE (no primary key, no replica identity) gets a warning by name.
 */
int publication_create(PGconn *conn, const char *pub, char **tables, int ntables, int *exitcode);

#endif
