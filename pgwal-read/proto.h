/*
 * proto.h
 *	pgoutput wire messages into structs: one reader per message, each
 *	checking the length before every read and rejecting unknown flags, as
 *	PostgreSQL's proto.c does.  Pure functions over (p, n), p[0] being the
 *	message type byte; no state, no I/O, nothing allocated (strings are
 *	spans into p).  Fuzzed by tests/fuzz/fuzz_proto.c.
 *
 *	For now the transaction bounds (Begin and the three commits); the
 *	decoder's other readers are to move here from decode.c.
 */
#ifndef PGWAL_PROTO_H
#define PGWAL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
