/*
 * stream.c
 *	The streaming loop.
 *
 *	Positions, in the order they can only follow each other:
 *
 *		emitted		end_lsn of the last commit line handed to the output buffer
 *		written		... whose bytes the output fd took (pipe or file)
 *		acked		... that the downstream says is durable: the checkpoint
 *					file we write after fsync (--checkpoint), the file the
 *					consumer writes (--ack-file), else "written" itself, as
 *					pg_recvlogical does
 *
 *	Only "acked" (or, when everything emitted is acked, the server's own
 *	keepalive position) is ever reported to the server as flushed.
 *
 *	About 900 lines: the loop and the acknowledgement it waits for (status
 *	updates, --ack-file and --checkpoint looks, output flushes) are one
 *	piece of timing, kept together on purpose; the start-up checks are in
 *	startup.c, the position files' rules in position.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "conn.h"
#include "decode.h"
#include "event.h"
#include "exitcodes.h"
#include "log.h"
#include "lsn.h"
#include "output.h"
#include "position.h"
#include "pgoutput.h"
#include "sig.h"
#include "slot.h"
#include "startup.h"
#include "stream.h"
#include "xalloc.h"

/*
 * Stop reading the server while this much output waits for the reader.
 * Small enough to stay in the CPU's cache: with 16 MB, pgwal-read spent
 * half as much CPU time again on the same changes in a pipeline, as the
 * bytes went through memory (and the pipe is the real buffer: kafka-write
 * makes it 1 MB).
 */
#define OUT_HIGH_WATER (1024 * 1024)
#define OUT_FLUSH_AT   (64 * 1024) /* write out when this much is pending */
#define BACKOFF_MAX_S  30
/*
 * While changes are flowing, wake for the server socket only once this
 * many bytes wait in it, or after COALESCE_MS: the walsender sends each
 * change as it decodes it, and waking for each costs two context switches
 * here and a pipe write and a wake-up in the reader; gathering them cuts
 * the CPU of a drain by half (the figures are in the README's Speed
 * section), for at most COALESCE_MS of delay.  An idle stream wakes at the
 * first byte.
 */
#define COALESCE_BYTES (32 * 1024)
#define COALESCE_MS    1

/* Microseconds between the Unix epoch and PostgreSQL's, 2000-01-01. */
#define PG_EPOCH_OFFSET_US INT64_C(946684800000000)

typedef enum
{
	RUN_CONTINUE, /* carry on streaming */
	RUN_DONE,     /* endpos, caught up or a signal: exit 0 */
	RUN_RETRY,    /* connection lost: reconnect unless --no-loop */
	RUN_FATAL     /* exit with st->exitcode */
} run_result;

typedef struct stream_state
{
	const stream_opts *o;
	output out;
	int exitcode;
	sysinfo sys;
	uint64_t endpos;       /* effective: --endpos or the catch-up target */
	uint64_t acked;        /* see the file header */
	uint64_t confirmed;    /* last flush position sent to the server */
	uint64_t received;     /* highest wal_end seen */
	uint64_t idle_lsn;     /* keepalive position seen outside any transaction */
	position pos;          /* the position files and their rules */
	bool connected_before; /* a reconnect: st->confirmed is ours */
	bool watch_out;        /* stdout is a pipe or socket: watch for its reader leaving */
	bool reader_gone;      /* ... and it left */
	bool in_txn;
	bool reached_end;
	time_t ack_mtime; /* --ack-file: last seen modification */
	long ack_mtime_ns;
	ino_t ack_ino;
	int64_t last_status_us;
	int64_t last_ack_check_us;
	int64_t last_data_us;
	bool data_seen; /* XLogData since last_data_us was last set */
	bool pinged;    /* asked the server for a keepalive while idle */
	bool told_idle; /* said why the confirmed position is past the acknowledged */
	FILE *dump;
	PGconn *lookup; /* plain connection for primary-key look-ups */
	int lookup_ec;  /* the exit status a failed look-up calls for, 0 if none */
	decoder *dec;   /* the current connection's decoder */
} stream_state;

/*
 * A lost connection: a warning when a reconnect follows (the default), an
 * error when it ends the run (--no-loop), so that cron jobs grepping for
 * "error" alert on what needs a person, not on a retry.
 */
static void __attribute__((format(printf, 2, 3)))
log_lost(const stream_state *st, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st->o->no_loop)
		log_error("%s", msg);
	else
		log_warn("%s", msg);
}

/* The same, for a failure that ends the run whatever the options. */
static void __attribute__((format(printf, 2, 3)))
log_fatal(const stream_state *st, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	(void) st;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
}

/* Microseconds of clock c: REALTIME for the server, MONOTONIC for intervals. */
static int64_t
clock_us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define now_us() clock_us(CLOCK_MONOTONIC)

static void
put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char) v;
}

/*
 * Primary-key columns of a relation whose replica identity is not the
 * default (FULL flags every column, USING INDEX another index's, NOTHING
 * none), on a second, ordinary connection opened on first use.
 */
/* The kind of a user-defined type (the Debezium format), on the same connection. */
static int
type_lookup(void *arg, uint32_t oid, char *kind)
{
	stream_state *st = arg;

	return conn_type_kind(&st->lookup, st->o->conninfo, oid, kind, &st->lookup_ec);
}

static int
pk_lookup(void *arg, uint32_t relid, char ***names)
{
	stream_state *st = arg;

	return conn_pk_columns(&st->lookup, st->o->conninfo, relid, names, &st->lookup_ec);
}

/*
 * Nothing is open or held back: no transaction in progress, nothing
 * pending on the output, a snapshot written before streaming acknowledged,
 * and no streamed or prepared transaction in the decoder's spool
 * (confirming past one would make the server skip it).
 */
static bool
idle_confirmable(stream_state *st)
{
	uint64_t oldest;

	return !st->in_txn && output_pending(&st->out) == 0 && st->acked >= st->o->hold_below &&
		   (st->dec == NULL || decoder_pending(st->dec, &oldest) == 0);
}

/* The position the server may consider flushed: see the file header. */
static uint64_t
flush_position(stream_state *st)
{
	uint64_t pos = st->acked;

	/*
	 * Everything emitted is acknowledged and no transaction is open: the
	 * server's newer keepalive position can be confirmed too, so a slot
	 * whose tables are idle does not pin WAL.  (--checkpoint writes that
	 * position into its file first, in update_acked(), so acked has it.)
	 */
	if (!st->o->checkpoint && idle_confirmable(st) && st->acked >= st->out.mark_lsn &&
		st->idle_lsn > pos)
		pos = st->idle_lsn;
	return pos;
}

/* Send a standby status update.  Returns 0, or -1 if the connection failed. */
static int
send_status(stream_state *st, PGconn *conn, bool reply_requested)
{
	unsigned char msg[1 + 8 * 4 + 1];
	uint64_t flush = flush_position(st);
	bool idle = flush > st->acked; /* the server's keepalive position, see flush_position() */
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];

	/*
	 * --ack-file: a keepalive position past the consumer's acknowledgement
	 * is recorded in FILE.confirmed before it is confirmed, so that at the
	 * next start a slot ahead of the acknowledgement can be told from one
	 * that we moved ourselves.  If it cannot be recorded, it is not sent.
	 */
	if (st->pos.record_path && flush > st->acked && flush > st->pos.recorded)
	{
		if (pos_write(&st->pos, st->pos.record_path, flush, st->sys.sysid) == 0)
			st->pos.recorded = flush;
		else
			flush = st->acked;
	}
	if (flush < st->confirmed)
		flush = st->confirmed;
	msg[0] = 'r';
	put_be64(msg + 1, st->received > flush ? st->received : flush); /* write */
	put_be64(msg + 9, flush);                                       /* flush */
	put_be64(msg + 17, flush);                                      /* apply */
	put_be64(msg + 25, (uint64_t) (clock_us(CLOCK_REALTIME) - PG_EPOCH_OFFSET_US));
	msg[33] = reply_requested ? 1 : 0;
	if (PQputCopyData(conn, (const char *) msg, sizeof(msg)) <= 0 || PQflush(conn) < 0)
	{
		log_lost(st, "could not send feedback to the server: %s", conn_error(conn, NULL));
		return -1;
	}
	if (flush != st->confirmed)
		log_debug("confirmed %s (received %s)", lsn_format(flush, b1),
				  lsn_format(st->received, b2));
	if (idle && flush > st->acked && !st->told_idle)
	{
		/* once: the slot's confirmed_flush_lsn then shows more than was acknowledged */
		log_info("confirmed %s, past the acknowledged %s: everything emitted is acknowledged and"
				 " the server's WAL moved on with nothing for this slot, so its newer position is"
				 " confirmed (an idle slot does not pin WAL)",
				 lsn_format(flush, b1), lsn_format(st->acked, b2));
		st->told_idle = true;
	}
	st->confirmed = flush;
	st->last_status_us = now_us();
	return 0;
}

/*
 * Advance "acked" from what the mode says is durable.  --checkpoint: fsync
 * the output if it is a file, then rewrite the checkpoint file.  --ack-file:
 * re-read the file when it changed.  Returns 0 or -1 (st->exitcode set).
 */
static int
update_acked(stream_state *st, bool force_ack_check)
{
	const stream_opts *o = st->o;

	if (o->checkpoint)
	{
		uint64_t want = st->out.written_lsn;

		/*
		 * Nothing pending and no transaction open: the keepalive position
		 * goes into the file too, so that the file never falls behind what
		 * is confirmed to the server.
		 */
		if (st->out.written_lsn >= st->out.mark_lsn && idle_confirmable(st) && st->idle_lsn > want)
			want = st->idle_lsn;
		if (want <= st->acked)
			return 0;
		if (output_sync(&st->out) != 0)
		{
			log_error("could not fsync the output: %m");
			st->exitcode = EXIT_OUTPUT;
			return -1;
		}
		if (want < st->out.synced_lsn)
			want = st->out.synced_lsn;
		if (pos_write(&st->pos, o->checkpoint, want, st->sys.sysid) != 0)
		{
			st->exitcode = EXIT_CHECKPOINT;
			return -1;
		}
		st->acked = want;
	}
	else if (o->ack_file)
	{
		struct stat sb;
		int64_t now = now_us();
		uint64_t lsn;
		int ec;

		if (!force_ack_check && now - st->last_ack_check_us < (int64_t) (o->ack_interval * 1e6))
			goto confirm;
		st->last_ack_check_us = now;
		if (stat(o->ack_file, &sb) != 0)
			return 0; /* not written yet: nothing acknowledged */
		/* a rename gives a new inode even when the clock tick is coarse */
		if (sb.st_mtim.tv_sec == st->ack_mtime && sb.st_mtim.tv_nsec == st->ack_mtime_ns &&
			sb.st_ino == st->ack_ino)
			goto confirm;
		if ((ec = pos_read_ack(&st->pos, &lsn)) != 0)
		{
			st->exitcode = ec;
			return -1;
		}
		st->ack_mtime = sb.st_mtim.tv_sec;
		st->ack_mtime_ns = sb.st_mtim.tv_nsec;
		st->ack_ino = sb.st_ino;
	confirm:
		/*
		 * Only what this run emitted and wrote, whatever the file says; a
		 * file ahead of the slot at start becomes confirmable as this run
		 * emits its transactions again, so this is re-evaluated each time.
		 */
		st->acked = pos_acknowledged(&st->pos, st->pos.ack_lsn, st->out.written_lsn, st->acked);
	}
	else
		st->acked = st->out.written_lsn;
	return 0;
}

/* Write pending output without blocking; EPIPE and friends are fatal. */
static int
flush_output(stream_state *st, bool block)
{
	if (output_flush(&st->out, block, 10000) != 0)
	{
		if (errno == EPIPE)
			log_error("could not write to standard output: the reader is gone (broken pipe)");
		else if (errno == ETIMEDOUT)
			log_error("could not write to standard output: the reader took nothing for 10 s");
		else
			log_error("could not write to standard output: %m");
		st->exitcode = EXIT_OUTPUT;
		if (st->out.is_file)
		{
			/*
			 * A failed write (disk full) may have left half a line: cut the
			 * file back to the last transaction that is acknowledged (with
			 * --checkpoint, the one the checkpoint file holds), so that a
			 * restart appends whole lines after whole lines.
			 */
			uint64_t off = st->o->checkpoint ? st->out.synced_off : st->out.written_off;

			if (output_cut(&st->out, off) != 0)
				log_error("could not cut the output file back to its last complete line: %m");
			else
				log_info("cut the output file back to its last complete transaction");
		}
		return -1;
	}
	return 0;
}

static void
dump_message(stream_state *st, const unsigned char *p, size_t n, uint64_t start, uint64_t end)
{
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];

	fprintf(st->dump, "%s %s ", lsn_format(start, b1), lsn_format(end, b2));
	for (size_t i = 0; i < n; i++)
		fprintf(st->dump, "%02x", p[i]);
	fputc('\n', st->dump);
	fflush(st->dump);
}

/*
 * Does this pgoutput message start a transaction that commits after
 * --endpos (or is a non-transactional message past it)?  Peeks at the
 * commit LSN that Begin, Stream Commit and Commit Prepared carry, so
 * that a transaction is emitted whole or not at all.
 */
static bool
past_endpos(stream_state *st, const unsigned char *p, size_t n, uint64_t wal_start)
{
	uint64_t lsn;

	if (st->endpos == 0 || n == 0)
		return false;
	if (proto_peek_commit_lsn(p, n, &lsn))
		return lsn > st->endpos;
	/* a Message outside a transaction */
	if (!st->in_txn && proto_is_plain_message(p, n))
		return wal_start > st->endpos;
	return false;
}

/* Handle one CopyData message from the server. */
static run_result
handle_copydata(stream_state *st, PGconn *conn, decoder *dec, const unsigned char *p, size_t n)
{
	char b1[LSN_BUFLEN], b2[LSN_BUFLEN];

	if (n >= 1 + 8 + 8 + 8 && p[0] == 'w')
	{
		uint64_t start = proto_get64(p + 1);
		uint64_t end = proto_get64(p + 9);
		const unsigned char *msg = p + 25;
		size_t len = n - 25;
		dec_result res;
		dec_status ds;

		if (end > st->received)
			st->received = end;
		st->data_seen = true; /* last_data_us is set once per batch, not per message */
		st->pinged = false;
		if (st->dump)
			dump_message(st, msg, len, start, end);
		if (past_endpos(st, msg, len, start))
		{
			st->reached_end = true;
			return RUN_DONE;
		}
		st->lookup_ec = 0;
		ds = decoder_feed(dec, msg, len, start, end, output_buf(&st->out), &res);
		if (ds == DEC_ERROR && st->lookup_ec == EXIT_CONNECT)
		{
			/*
			 * The primary-key look-up could not connect: like a lost
			 * replication connection, worth a reconnect (the relation
			 * comes again), not the end of the stream.
			 */
			log_warn("slot \"%s\": %s; reconnecting", st->o->slot, decoder_error(dec));
			st->exitcode = EXIT_CONNECT;
			return RUN_RETRY;
		}
		if (ds == DEC_ERROR)
		{
			log_error("slot \"%s\": could not decode the change at %s: %s", st->o->slot,
					  lsn_format(start, b1), decoder_error(dec));
			/* a look-up refused (permission, ...) keeps its own status */
			st->exitcode = st->lookup_ec ? st->lookup_ec : EXIT_PROTOCOL;
			return RUN_FATAL;
		}
		st->in_txn = res.in_txn;
		if (ds == DEC_COMMIT && res.empty)
		{
			/*
			 * A transaction with nothing published (13, 14): no line
			 * carries its end_lsn for a consumer to acknowledge, so it is
			 * a position like a keepalive's, confirmed once everything
			 * printed is acknowledged.
			 */
			if (res.end_lsn > st->idle_lsn)
				st->idle_lsn = res.end_lsn;
			if (st->endpos && res.commit_lsn >= st->endpos)
				st->reached_end = true;
		}
		else if (ds == DEC_COMMIT)
		{
			output_mark_commit(&st->out, res.end_lsn);
			pos_emitted(&st->pos, res.end_lsn);
			if (st->endpos && res.commit_lsn >= st->endpos)
				st->reached_end = true;
		}
		return RUN_CONTINUE;
	}
	if (n >= 1 + 8 + 8 + 1 && p[0] == 'k')
	{
		uint64_t end = proto_get64(p + 1);
		bool reply = p[17] != 0;

		if (end > st->received)
			st->received = end;
		if (!st->in_txn)
		{
			if (end > st->idle_lsn)
				st->idle_lsn = end;
			if (st->endpos && end >= st->endpos)
				st->reached_end = true;
		}
		st->pinged = false;
		log_debug("keepalive %s%s", lsn_format(end, b1), reply ? ", reply requested" : "");
		if (reply && send_status(st, conn, false) != 0)
			return RUN_RETRY;
		return RUN_CONTINUE;
	}
	log_error("slot \"%s\": unexpected replication message '%c' of %zu bytes after %s", st->o->slot,
			  n ? p[0] : '?', n, lsn_format(st->received, b2));
	st->exitcode = EXIT_PROTOCOL;
	return RUN_FATAL;
}

/*
 * Stop cleanly: write out what is buffered, record and confirm what is
 * durable, end the COPY.  Returns RUN_DONE, or RUN_FATAL on an output error.
 */
static run_result
finish(stream_state *st, PGconn *conn)
{
	PGresult *res;

	if (flush_output(st, true) != 0)
		return RUN_FATAL;
	if (update_acked(st, true) != 0)
		return RUN_FATAL;
	send_status(st, conn, false);
	if (PQputCopyEnd(conn, NULL) > 0)
	{
		PQsetnonblocking(conn, 0);
		PQflush(conn);
		/* drain what the server still sends until it ends the COPY */
		while ((res = PQgetResult(conn)) != NULL)
		{
			if (PQresultStatus(res) == PGRES_COPY_BOTH || PQresultStatus(res) == PGRES_COPY_OUT)
			{
				char *buf;

				while (PQgetCopyData(conn, &buf, 0) > 0)
					PQfreemem(buf);
			}
			PQclear(res);
		}
	}
	return RUN_DONE;
}

/*
 * Wait for the server socket or stdout, at most timeout_ms; busy: changes
 * came in since the last wait, so gather more before waking (COALESCE_BYTES).
 */
static void
wait_io(stream_state *st, PGconn *conn, bool want_read, bool want_write_pg, bool busy,
		int timeout_ms)
{
	struct pollfd pfd[2];
	int n = 0;
	int lowat = COALESCE_BYTES;
	bool coalescing = false;

	/*
	 * Only for this poll: libpq's own blocking waits (the end of the COPY)
	 * must wake at the first byte
	 */
	if (busy && want_read &&
		setsockopt(PQsocket(conn), SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) == 0)
	{
		coalescing = true;
		if (timeout_ms > COALESCE_MS)
			timeout_ms = COALESCE_MS;
	}

	pfd[n].fd = PQsocket(conn);
	pfd[n].events = (want_read ? POLLIN : 0) | (want_write_pg ? POLLOUT : 0);
	n++;
	/*
	 * A pipe or socket is watched even with nothing to write: a reader that
	 * went away (kafka-write died) shows as POLLERR or POLLHUP, and is
	 * noticed while the tables are idle, not at the next change.
	 */
	if ((output_pending(&st->out) > 0 || st->watch_out) && !st->out.is_file)
	{
		pfd[n].fd = st->out.fd;
		pfd[n].events = output_pending(&st->out) > 0 ? POLLOUT : 0;
		pfd[n].revents = 0;
		n++;
	}
	if (poll(pfd, (nfds_t) n, timeout_ms) < 0 && errno != EINTR)
		log_debug("poll: %m");
	else if (n == 2 && st->watch_out && (pfd[1].revents & (POLLERR | POLLHUP)))
		st->reader_gone = true;
	lowat = 1;
	if (coalescing &&
		setsockopt(PQsocket(conn), SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) != 0)
		log_debug("setsockopt SO_RCVLOWAT: %m");
}

/*
 * After a failure that set st->exitcode: reconnect, or give up?  Once
 * streaming has worked, a lost connection is retried with backoff, and so
 * is a slot still held by the walsender of our own lost connection (it
 * lets go at wal_sender_timeout).  At start-up they are reported: exit 3
 * or 8.
 */
static run_result
retry_or_fatal(stream_state *st)
{
	if (!st->connected_before)
		return RUN_FATAL;
	if (st->exitcode == EXIT_CONNECT)
		return RUN_RETRY;
	if (st->exitcode == EXIT_SLOT_BUSY)
	{
		log_warn("the slot may still be held by our previous connection's walsender");
		return RUN_RETRY;
	}
	return RUN_FATAL;
}

/* One connection's worth of streaming. */
static run_result
stream_once(stream_state *st)
{
	const stream_opts *o = st->o;
	PGconn *conn;
	PGresult *res = NULL;
	decoder *dec = NULL;
	decoder_opts dopts;
	ev_opts ev;
	slot_info info;
	strbuf cmd = STRBUF_INIT;
	char b1[LSN_BUFLEN];
	uint64_t start;
	int proto;
	run_result rr = RUN_FATAL;

	/*
	 * A reconnect that cannot connect, or finds the slot still held (by our
	 * lost connection's walsender, most likely), will be tried again: a
	 * warning then, not an error.
	 */
	conn_retrying = st->connected_before && !o->no_loop;
	conn = conn_open(o->conninfo, true, &st->exitcode);
	if (conn == NULL)
	{
		conn_retrying = false;
		return retry_or_fatal(st);
	}
	if (slot_identify(conn, &st->sys, &st->exitcode) != 0 ||
		startup_check_slot(conn, o->slot, o->publication, &info, &st->exitcode) != 0)
	{
		conn_retrying = false;
		rr = retry_or_fatal(st);
		goto done;
	}
	conn_retrying = false;
	{
		int ec = startup_check_position(&st->pos, st->connected_before, &st->sys, &info, o->slot,
										o->allow_slot_ahead, st->confirmed, &st->acked);

		if (ec != 0)
		{
			st->exitcode = ec;
			goto done;
		}
	}
	st->connected_before = true;

	if (o->catch_up && st->endpos == 0)
	{
		int rc = startup_catch_up_target(conn, &st->endpos, &st->exitcode);

		if (rc != 0)
		{
			rr = rc == -1 ? retry_or_fatal(st) : RUN_FATAL;
			goto done;
		}
	}

	proto = startup_proto(o->proto_version, st->sys.server_version);

	/* resume after what this process already emitted, else where we were told */
	start = o->startpos;
	if (st->out.mark_lsn > start)
		start = st->out.mark_lsn;
	if (st->acked > start)
		start = st->acked;

	startup_replication_command(&cmd, conn, o->slot, start, proto, o->publication, o->messages,
								st->sys.server_version);
	log_info("%s", cmd.data);
	res = PQexec(conn, cmd.data);
	if (PQresultStatus(res) != PGRES_COPY_BOTH)
	{
		st->exitcode = conn_classify(res);
		rr = retry_or_fatal(st);
		(rr == RUN_RETRY ? log_lost
						 : log_fatal)(st, "could not start replication from slot \"%s\" at %s: %s",
									  o->slot, lsn_format(start, b1), conn_error(NULL, res));
		goto done;
	}
	PQclear(res);
	res = NULL;
	PQsetnonblocking(conn, 1);
	if (st->confirmed < info.confirmed_flush)
		st->confirmed = info.confirmed_flush;

	memset(&dopts, 0, sizeof(dopts));
	dopts.proto_version = proto;
	dopts.pk_lookup = pk_lookup;
	dopts.pk_arg = st;
	dopts.type_lookup = type_lookup;
	if (st->o->events != NULL)
	{
		/* source.db of Debezium's records: the database connected to */
		ev = *st->o->events;
		ev.dbname = PQdb(conn);
		dopts.events = &ev;
	}
	dec = st->dec = decoder_new(&dopts);
	st->in_txn = false;
	st->last_status_us = 0;
	st->last_data_us = now_us();

	for (;;)
	{
		int64_t now;
		int flushing;
		bool throttled;
		char *buf;
		int n = 0;
		bool got = false;

		if (sig_stop)
		{
			log_info("stopping on signal");
			rr = finish(st, conn);
			goto done;
		}

		/* read what the server has, unless the output is backed up */
		throttled = output_pending(&st->out) >= OUT_HIGH_WATER;
		if (!throttled)
		{
			if (PQconsumeInput(conn) == 0)
			{
				log_lost(st, "lost the connection to the server: %s", conn_error(conn, NULL));
				rr = RUN_RETRY;
				goto done;
			}
			while (output_pending(&st->out) < OUT_HIGH_WATER &&
				   (n = PQgetCopyData(conn, &buf, 1)) > 0)
			{
				rr = handle_copydata(st, conn, dec, (const unsigned char *) buf, (size_t) n);
				got = true;
				PQfreemem(buf);
				if (rr == RUN_FATAL || rr == RUN_RETRY)
					goto done;
				if (rr == RUN_DONE || (st->reached_end && !st->in_txn))
				{
					log_info("reached the end position %s", lsn_format(st->endpos, b1));
					rr = finish(st, conn);
					goto done;
				}
				/* a full pipe is tried again by the flush after this loop, not per message */
				if (output_pending(&st->out) >= OUT_FLUSH_AT && !st->out.full &&
					flush_output(st, false) != 0)
				{
					rr = RUN_FATAL;
					goto done;
				}
			}
			if (n == -1)
			{
				/* the server ended the COPY */
				res = PQgetResult(conn);
				if (PQresultStatus(res) != PGRES_COMMAND_OK)
				{
					st->exitcode = conn_classify(res);
					rr = retry_or_fatal(st);
					(rr == RUN_RETRY ? log_lost
									 : log_fatal)(st, "replication from slot \"%s\" stopped: %s",
												  o->slot, conn_error(NULL, res));
				}
				else
				{
					log_lost(st, "the server ended replication from slot \"%s\"", o->slot);
					rr = RUN_RETRY;
				}
				goto done;
			}
			if (n == -2)
			{
				log_lost(st, "could not read from the server: %s", conn_error(conn, NULL));
				rr = RUN_RETRY;
				goto done;
			}
		}

		/* idle, or enough pending: hand the output over */
		if (flush_output(st, false) != 0)
		{
			rr = RUN_FATAL;
			goto done;
		}
		if (update_acked(st, false) != 0)
		{
			rr = RUN_FATAL;
			goto done;
		}

		now = now_us();
		if (st->data_seen)
		{
			st->last_data_us = now;
			st->data_seen = false;
		}
		if (now - st->last_status_us >= (int64_t) (o->status_interval * 1e6) ||
			(flush_position(st) > st->confirmed && now - st->last_status_us >= 100000))
		{
			if (send_status(st, conn, false) != 0)
			{
				rr = RUN_RETRY;
				goto done;
			}
		}
		/* waiting for the end position with nothing coming: ask where the server is */
		if (st->endpos && !st->pinged && !st->in_txn && now - st->last_data_us > 500000)
		{
			if (send_status(st, conn, true) != 0)
			{
				rr = RUN_RETRY;
				goto done;
			}
			st->pinged = true;
		}
		if (st->reached_end && !st->in_txn)
		{
			log_info("reached the end position %s", lsn_format(st->endpos, b1));
			rr = finish(st, conn);
			goto done;
		}

		flushing = PQflush(conn);
		if (flushing < 0)
		{
			log_lost(st, "could not send to the server: %s", conn_error(conn, NULL));
			rr = RUN_RETRY;
			goto done;
		}
		/*
		 * What was just written may have made room to read again.  If
		 * this pass read nothing for want of room, or stopped with changes
		 * left in libpq's buffer, wait as if busy (at most COALESCE_MS):
		 * the socket may stay quiet while complete changes wait in libpq
		 * (at a backlog's end), and the usual 100 ms would hold them.
		 * Reading again at once instead cost pgwal-read a quarter more CPU
		 * time in a pipeline: smaller reads and writes.
		 */
		if (throttled || n > 0)
			got = true;
		throttled = output_pending(&st->out) >= OUT_HIGH_WATER;
		wait_io(st, conn, !throttled, flushing == 1, got, 100);
		if (st->reader_gone)
		{
			/* nothing more is confirmed: what was in the pipe may be lost */
			log_error("could not write to standard output: the reader is gone (broken pipe)");
			st->exitcode = EXIT_OUTPUT;
			rr = RUN_FATAL;
			goto done;
		}
	}

done:
	if (rr == RUN_RETRY)
	{
		/* a partial transaction will come again from the server */
		output_drop_partial(&st->out);
		st->in_txn = false;
	}
	PQclear(res);
	if (dec)
		decoder_free(dec);
	st->dec = NULL;
	strbuf_free(&cmd);
	PQfinish(conn);
	return rr;
}

int
stream_run(const stream_opts *o)
{
	stream_state st;
	int backoff = 1;
	int rc;

	memset(&st, 0, sizeof(st));
	st.o = o;
	st.endpos = o->endpos;
	rc = pos_open(&st.pos, o->slot, o->checkpoint, o->ack_file);
	if (rc != 0)
	{
		pos_close(&st.pos);
		return rc;
	}
	if (o->dump_raw && (st.dump = fopen(o->dump_raw, "w")) == NULL)
	{
		log_error("could not open file \"%s\": %m", o->dump_raw);
		return EXIT_ERROR;
	}
	output_open(&st.out, o->out_fd);
	{
		struct stat sb;

		st.watch_out = fstat(o->out_fd, &sb) == 0 && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode));
	}
	if (o->checkpoint && st.out.is_file)
	{
		uint64_t cut;

		/*
		 * An earlier run that died in the middle of a write (disk full,
		 * killed) left an incomplete last line, never checkpointed (the
		 * checkpoint follows whole transactions): cut it off, so that this
		 * run appends whole lines after whole lines.
		 */
		if (output_trim_fragment(&st.out, &cut) != 0)
		{
			log_error("could not remove an incomplete last line from the output file: %m");
			pos_close(&st.pos);
			output_close(&st.out);
			return EXIT_OUTPUT;
		}
		if (cut > 0)
			log_warn("removed an incomplete last line (%" PRIu64
					 " bytes) from the output file, left by an earlier run",
					 cut);
	}
	if (o->checkpoint && !st.out.is_file)
		log_warn("--checkpoint with output to a pipe or terminal counts what was written to it as"
				 " delivered: a reader that dies loses what it had not processed; use --ack-file"
				 " with a reader that acknowledges (kafka-write)");

	for (;;)
	{
		int64_t started = now_us();
		run_result rr = stream_once(&st);

		if (rr == RUN_DONE)
		{
			rc = EXIT_OK;
			break;
		}
		if (rr == RUN_FATAL || o->no_loop || sig_stop)
		{
			rc = rr == RUN_FATAL ? (st.exitcode ? st.exitcode : EXIT_ERROR)
								 : (sig_stop      ? EXIT_OK
									: st.exitcode ? st.exitcode
												  : EXIT_CONNECT);
			if (rr != RUN_FATAL && !sig_stop && flush_output(&st, true) != 0)
				rc = EXIT_OUTPUT;
			break;
		}
		/* keep the output moving while we wait to reconnect */
		if (flush_output(&st, false) != 0)
		{
			rc = EXIT_OUTPUT;
			break;
		}
		if (now_us() - started > 60 * INT64_C(1000000))
			backoff = 1;
		log_warn("reconnecting in %d s", backoff);
		for (int i = 0; i < backoff * 10 && !sig_stop; i++)
			usleep(100000);
		if (sig_stop)
		{
			rc = flush_output(&st, true) == 0 ? EXIT_OK : EXIT_OUTPUT;
			break;
		}
		backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
	}
	if (st.lookup)
		PQfinish(st.lookup);
	if (st.dump)
		fclose(st.dump);
	pos_close(&st.pos);
	output_close(&st.out);
	return rc;
}
