/*
 * pgoutput.h
 *	pgoutput's wire messages (protocol versions 1 to 4) into structs.
 *
 *	Each pgo_parse_X() reads one message of type X from a reader positioned
 *	after its type byte, checking every length against the buffer, and
 *	fills a struct whose strings and values point into the message.  No
 *	state is kept between messages: what a message means in its stream
 *	(transactions, streaming, two-phase) is decode.c's business.  On a
 *	malformed message the parser returns false and writes what is wrong,
 *	and at which byte, into the reader's error buffer, e.g. "truncated at
 *	byte 12 of 9 (tuple column 3)".  Byte offsets count from the type byte.
 */
#ifndef PGWAL_PGOUTPUT_H
#define PGWAL_PGOUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h" /* ev_val: tuple columns are parsed straight into them */

typedef struct pgo_reader
{
	const unsigned char *p;
	size_t len;
	size_t off;
	char *err; /* the last error's detail; the caller's buffer */
	size_t errsize;
} pgo_reader;

/* Set the reader's error; returns false. */
bool pgo_fail(pgo_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Relation: the column flag of the replica identity's columns */
#define PGO_KEY_FLAG 1

typedef struct pgo_relcol
{
	uint8_t flags;
	const char *name;
	size_t namelen;
	uint32_t typid;
	int32_t typmod;
} pgo_relcol;

/* 'R'; namespace "" stands for pg_catalog.  cols: reused, the caller frees it. */
typedef struct pgo_relation
{
	uint32_t relid;
	const char *nsp;
	size_t nsplen;
	const char *name;
	size_t namelen;
	char ident; /* d, n, f, i */
	int ncols;
	pgo_relcol *cols;
	int cap;
} pgo_relation;

/* 'Y' */
typedef struct pgo_type
{
	uint32_t oid;
	const char *nsp;
	size_t nsplen;
	const char *name;
	size_t namelen;
} pgo_type;

/* TupleData; cols: reused, the caller frees it */
typedef struct pgo_tuple
{
	int ncols;
	ev_val *cols;
	int cap;
} pgo_tuple;

/* 'I', 'U', 'D': the tuples are the caller's scratch, given in oldt/newt */
typedef struct pgo_change
{
	char op;
	uint32_t xid; /* streamed: the (sub)transaction */
	uint32_t relid;
	char oldkind;    /* 0, 'K' or 'O' */
	pgo_tuple *oldt; /* NULL when not sent */
	pgo_tuple *newt; /* NULL for a delete */
} pgo_change;

/* 'T' */
typedef struct pgo_truncate
{
	uint32_t xid;
	uint32_t nrels;
	uint8_t flags; /* 1 cascade, 2 restart identity */
	const unsigned char *relids;
} pgo_truncate;

/* 'M' */
typedef struct pgo_message
{
	uint32_t xid;
	uint8_t flags; /* 1 transactional */
	uint64_t lsn;
	const char *prefix;
	size_t prefixlen;
	const unsigned char *content;
	size_t len;
} pgo_message;

/* 'B' */
typedef struct pgo_begin
{
	uint64_t final_lsn;
	int64_t ts;
	uint32_t xid;
} pgo_begin;

/* 'C', and 'c' (stream commit, with its xid) */
typedef struct pgo_commit
{
	uint32_t xid;
	uint64_t commit_lsn;
	uint64_t end_lsn;
	int64_t ts;
} pgo_commit;

/* 'S' */
typedef struct pgo_stream_start
{
	uint32_t xid;
	bool first;
} pgo_stream_start;

/* 'A' */
typedef struct pgo_stream_abort
{
	uint32_t xid;
	uint32_t subxid;
} pgo_stream_abort;

/* 'b', 'P', 'p', 'K', 'r': the fixed part of the two-phase messages */
typedef struct pgo_twophase
{
	uint64_t lsn;
	uint64_t end_lsn;
	int64_t ts;
	uint32_t xid;
	const char *gid;
	size_t gidlen;
} pgo_twophase;

/* With has_xid, the message is streamed and starts with its xid. */
bool pgo_parse_relation(pgo_reader *r, bool has_xid, pgo_relation *m);
bool pgo_parse_type(pgo_reader *r, bool has_xid, pgo_type *m);
bool pgo_parse_change(pgo_reader *r, bool has_xid, pgo_change *m, pgo_tuple *oldt, pgo_tuple *newt);
bool pgo_parse_truncate(pgo_reader *r, bool has_xid, pgo_truncate *m);
bool pgo_parse_message(pgo_reader *r, bool has_xid, pgo_message *m);
bool pgo_parse_origin(pgo_reader *r, const char **name, size_t *n);
bool pgo_parse_begin(pgo_reader *r, pgo_begin *m);
bool pgo_parse_commit(pgo_reader *r, pgo_commit *m);
bool pgo_parse_stream_start(pgo_reader *r, pgo_stream_start *m);
bool pgo_parse_stream_stop(pgo_reader *r);
bool pgo_parse_stream_commit(pgo_reader *r, pgo_commit *m);
/* proto: the protocol version asked for (4 allows the parallel-apply fields) */
bool pgo_parse_stream_abort(pgo_reader *r, int proto, pgo_stream_abort *m);
bool pgo_parse_twophase(pgo_reader *r, pgo_twophase *m);

/* The i-th relation id of a truncate. */
uint32_t pgo_truncate_relid(const pgo_truncate *m, uint32_t i);

/*
 * For the stream loop, before the decoder sees a message: the transaction
 * bounds as plain structs, read with the parsers above, and the few
 * fields the loop needs at once.
 */
/* Begin ('B') */
typedef struct proto_begin
{
	uint64_t final_lsn;  /* the commit record's LSN */
	int64_t commit_time; /* microseconds since 2000-01-01 */
	uint32_t xid;
} proto_begin;

/* Commit ('C'), Stream Commit ('c'), Commit Prepared ('K') */
typedef struct proto_commit
{
	char type;     /* 'C', 'c' or 'K' */
	uint8_t flags; /* 0: no flag is defined */
	uint64_t commit_lsn;
	uint64_t end_lsn;
	int64_t commit_time;
	uint32_t xid;    /* 'c' and 'K'; 0 for 'C' */
	const char *gid; /* 'K': the prepared transaction's name, in p; else NULL */
	size_t gid_len;
} proto_commit;

/* Big-endian integers as the wire carries them (the caller checked the length). */
uint64_t proto_get64(const unsigned char *p);
uint32_t proto_get32(const unsigned char *p);

/* Read a Begin message.  Returns 0, or -1 (not a Begin, too short). */
int proto_read_begin(const unsigned char *p, size_t n, proto_begin *b);

/*
 * Read a Commit, Stream Commit or Commit Prepared message.  Returns 0, or
 * -1 (another type, too short, flags set, 'K' without its NUL-terminated
 * gid).
 */
int proto_read_commit(const unsigned char *p, size_t n, proto_commit *c);

/*
 * The commit LSN a message announces before the rest of it: Begin's
 * final_lsn, Stream Commit's and Commit Prepared's commit_lsn.  Reads only
 * the bytes up to that field (what the end-position test needs before the
 * decoder sees the message).  Returns true and sets *lsn, or false
 * (another type, too short).
 */
bool proto_peek_commit_lsn(const unsigned char *p, size_t n, uint64_t *lsn);

/*
 * A logical message ('M') sent outside any transaction: its flags byte
 * (at byte 1 when not streamed) has bit 0 (transactional) clear.
 */
bool proto_is_plain_message(const unsigned char *p, size_t n);

#endif
