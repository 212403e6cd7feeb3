/*
 * stream.h
 *	The replication stream: connect, check the slot, START_REPLICATION,
 *	decode XLogData into events on stdout, answer keepalives, report the
 *	flush position, and reconnect with backoff when the connection drops.
 */
#ifndef PGWAL_STREAM_H
#define PGWAL_STREAM_H

#include <stdbool.h>
#include <stdint.h>

typedef struct stream_opts
{
	const char *conninfo;
	const char *slot;
	const char *publication;
	int proto_version;            /* 0: the newest the server speaks */
	bool messages;                /* ask for pg_logical_emit_message output */
	uint64_t startpos;            /* 0: where the slot (or checkpoint) is */
	uint64_t endpos;              /* 0: none */
	bool catch_up;                /* stop at the server's WAL position at start */
	bool no_loop;                 /* no reconnect after a lost connection */
	double status_interval;       /* seconds between status updates */
	double ack_interval;          /* seconds between --ack-file/--checkpoint looks */
	const char *checkpoint;       /* self-acknowledged checkpoint file */
	const char *ack_file;         /* acknowledgements written by the consumer */
	bool allow_slot_ahead;        /* go on when the slot is past the acknowledgement */
	uint64_t hold_below;          /* confirm no idle position before this is acknowledged
							 * (a snapshot's consistent point: its rows went out first) */
	const char *dump_raw;         /* hex dump of every pgoutput message, for fixtures */
	int out_fd;                   /* where events go (1) */
	const struct ev_opts *events; /* how events are written; NULL: pgwal's format */
} stream_opts;

/* Stream until --endpos, caught up, a signal or a fatal error; returns the exit status. */
int stream_run(const stream_opts *opts);

#endif
