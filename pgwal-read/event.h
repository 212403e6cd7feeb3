/*
 * event.h
 *	The one writer of change events: every line pgwal-read prints about a
 *	change, a transaction boundary, a truncate or a message is written
 *	here, for the stream (decode.c) and for snapshots and backfills
 *	(snapshot.c) alike, in the format chosen: pgwal's own (pgwal-events(7))
 *	or Debezium's records (pgwal-read(1), DEBEZIUM FORMAT).
 *
 *	The callers describe a table once (ev_rel: columns, types, key) and
 *	then hand over rows as column values in PostgreSQL's text output
 *	(ev_val).  The key rules live here too: which columns form the "key"
 *	object, in which order, and when it is null.
 */
#ifndef PGWAL_EVENT_H
#define PGWAL_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbzvalue.h"
#include "fmt.h"
#include "strbuf.h"

typedef enum
{
	EV_PGWAL = 0, /* pgwal-events(7) */
	EV_DEBEZIUM   /* Debezium's key, value and topic, in a pgwal line */
} ev_format;

/* How events are written; shared by every writer of one run. */
typedef struct ev_opts
{
	ev_format format;
	/* EV_DEBEZIUM */
	const char *topic_prefix; /* topic.prefix: topics <prefix>.<schema>.<table> */
	const char *dbname;       /* source.db */
	dbz_modes modes;          /* decimal/time/binary handling */
} ev_opts;

/* A column as the events name and type it. */
typedef struct ev_col
{
	char *name;
	char *jkey; /* "name": as JSON, built once */
	size_t jkeylen;
	uint32_t typid; /* as the server announced it */
	int32_t typmod;
	bool key;       /* pgoutput's flag: part of the replica identity */
	uint32_t vtype; /* typid as the values map it (ev_resolve) */
	bool vstring;   /* vtype always maps to a JSON string */
	char usertype;  /* a user-defined type's (or array element's) typtype, 0 unknown */
} ev_col;

/* A table: its name, columns and key. */
typedef struct ev_rel
{
	uint32_t relid;
	char *nspname;
	char *relname;
	char *jhead; /* ,"schema":"nsp","table":"rel","key": built once */
	size_t jheadlen;
	char *topic; /* EV_DEBEZIUM: ,"topic":"prefix.nsp.rel" built once */
	size_t topiclen;
	int ncols;
	ev_col *cols;
	/*
	 * The key of pgwal's events: nkey column indexes, in table order;
	 * nkey -1: the key is null.
	 */
	int nkey;
	int *key;
	/* Debezium's key: the primary key's columns in its definition order */
	int npk;
	int *pk;
	/* for the caller */
	char ident;    /* replica identity: d, f, i, n */
	bool key_done; /* ev_set_key called */
	uint32_t vgen; /* the caller's type generation when vtypes were set */
} ev_rel;

/* A column value: 'n' NULL, 'u' unchanged TOASTed, 't' text, 'b' binary. */
typedef struct ev_val
{
	char kind;
	const char *val;
	size_t len;
} ev_val;

/* The transaction (or snapshot) whose events are being written. */
typedef struct ev_txn
{
	bool snapshot;       /* a snapshot or backfill: xid and ts null */
	uint32_t xid;        /* not for snapshot */
	int64_t ts;          /* commit time, microseconds since 2000-01-01 */
	uint64_t commit_lsn; /* 0 for a backfill: null */
	uint64_t seq;        /* events written so far */
	char *origin;        /* replication origin, or NULL (owned) */
	/*
	 * EV_DEBEZIUM snapshot rows: Debezium's source.snapshot marker ("true",
	 * "first", "last", ...; NULL: "true"), and, after each row, where
	 * ev_row wrote it in out (mark_at, mark_len) for ev_remark
	 */
	const char *mark;
	size_t mark_at;
	size_t mark_len;
} ev_txn;

typedef struct ev_writer
{
	ev_opts o;
	char *dbname;             /* o.dbname's copy */
	uint64_t last_commit_lsn; /* EV_DEBEZIUM: source.sequence's first */
	const ev_val *kc_new;     /* EV_DEBEZIUM key change: the delete's new row */
	const ev_val *kc_old;     /* ... the create's old row */
	char *dbz_headers;        /* EV_DEBEZIUM: the headers every record carries */
	/* the last timestamp formatted */
	bool ts_cached;
	int64_t ts_us;
	size_t ts_len;
	char ts_json[FMT_TS_MAX];
	strbuf scratch;
} ev_writer;

void ev_writer_init(ev_writer *w, const ev_opts *o);

/*
 * A value of type "char" (typid 18) as PostgreSQL 15 and later spell it.
 * Servers before 15 send a byte above 127 as it is, which is not UTF-8 and
 * would reach JSON as U+FFFD, the byte lost; from 15 on the server writes
 * it as a backslash and three octal digits.  Returns v, or tmp pointing
 * into buf with that spelling, so both versions give the same events.
 */
const ev_val *ev_char_value(const ev_col *col, const ev_val *v, ev_val *tmp, char buf[4]);
void ev_writer_free(ev_writer *w);

/* ---- describing a table ---- */

/*
 * Append s with every character a Kafka topic name cannot hold replaced
 * by _, as Debezium's topic naming does (per UTF-16 unit).
 */
void ev_topic_part(strbuf *out, const char *s);

/*
 * A new table with ncols columns to be filled by ev_set_col; names are
 * copied.
 */
ev_rel *ev_rel_new(const ev_writer *w, uint32_t relid, const char *nspname, const char *relname,
				   int ncols);
void ev_rel_free(ev_rel *rel);
void ev_set_col(ev_rel *rel, int i, const char *name, size_t namelen, uint32_t typid,
				int32_t typmod, bool key);

/*
 * The type the values of a column of type typid map by: a built-in type
 * itself; a domain (announced with its base type's pg_catalog name) as
 * that type; an array of a user-defined type (_name) as an array of
 * strings; anything else user-defined as a string.  nspname/typname may
 * be NULL when unknown.
 */
uint32_t ev_resolve(uint32_t typid, const char *nspname, const char *typname);
void ev_set_vtype(ev_col *c, uint32_t vtype);

/*
 * The key rules, once for all writers.  replident: the table's replica
 * identity (d, f, i, n).  pk/npk: the primary key's column names in
 * definition order (npk 0: none; -1: not looked up, allowed only under the
 * default identity in pgwal's format); ident_index: without a primary key
 * under USING INDEX, the index's column names (NULL: use the columns'
 * key flags).  pgwal's key: the primary key in table order; without one,
 * the USING INDEX index's columns; else null; null as well when a key
 * column is not among the columns (a publication's column list).
 * Debezium's key: the primary key in definition order; without one, the
 * USING INDEX index's columns (in its order when ident_index gives it);
 * else null.
 */
void ev_set_key(ev_rel *rel, char replident, char *const *pk, int npk, char *const *ident_index,
				int nindex);

/* Does this format need the primary key's definition order? */
bool ev_needs_pk(const ev_writer *w);

/* ---- writing ---- */

void ev_begin(ev_writer *w, strbuf *out, const ev_txn *t, uint64_t lsn);

/*
 * One row change: op 'I' insert, 'U' update, 'D' delete, 'R' read
 * (snapshot).  oldv/newv: rel->ncols values each, or NULL; old_keys_only:
 * oldv is pgoutput's 'K' tuple (only the identity's columns are real).
 * Advances t->seq.
 */
void ev_row(ev_writer *w, strbuf *out, ev_txn *t, const ev_rel *rel, char op, uint64_t lsn,
			const ev_val *oldv, bool old_keys_only, const ev_val *newv);

/*
 * Replace the snapshot marker of a row written at t->mark_at in out (the
 * row must be the last thing in out): a snapshot row's marker depends on
 * whether another row follows, which is known only later.
 */
void ev_remark(strbuf *out, ev_txn *t, const char *mark);

/* A truncate of n tables; flags: 1 cascade, 2 restart identity. */
void ev_truncate(ev_writer *w, strbuf *out, ev_txn *t, ev_rel *const *rels, int n, int flags,
				 uint64_t lsn);

/*
 * A logical decoding message.  t: its transaction for a transactional
 * one, else NULL; then xid (0: none), and ack_lsn the message's own LSN
 * when it is a position of its own (sent outside any transaction), else 0.
 */
void ev_message(ev_writer *w, strbuf *out, ev_txn *t, bool transactional, uint32_t xid,
				uint64_t ack_lsn, const char *prefix, size_t prefixlen,
				const unsigned char *content, size_t len, uint64_t lsn);

void ev_commit(ev_writer *w, strbuf *out, const ev_txn *t, uint64_t commit_lsn, uint64_t end_lsn);

#endif
