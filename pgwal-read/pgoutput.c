/*
 * pgoutput.c
 *	pgoutput's wire messages into structs (pgoutput.h).  Byte offsets in
 *	comments and messages count from the message type byte (offset 0).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pgoutput.h"
#include "xalloc.h"

bool
pgo_fail(pgo_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errsize, fmt, ap);
	va_end(ap);
	return false;
}

static bool
pgo_need(pgo_reader *r, size_t n, const char *what)
{
	if (n > r->len - r->off)
	{
		/* report the end the field would need, in bytes from the start */
		return pgo_fail(r, "truncated at byte %zu of %zu (%s)", r->off + n, r->len, what);
	}
	return true;
}

static bool
pgo_u8(pgo_reader *r, uint8_t *v, const char *what)
{
	if (!pgo_need(r, 1, what))
		return false;
	*v = r->p[r->off++];
	return true;
}

static bool
pgo_u16(pgo_reader *r, uint16_t *v, const char *what)
{
	if (!pgo_need(r, 2, what))
		return false;
	*v = (uint16_t) ((r->p[r->off] << 8) | r->p[r->off + 1]);
	r->off += 2;
	return true;
}

static bool
pgo_u32(pgo_reader *r, uint32_t *v, const char *what)
{
	if (!pgo_need(r, 4, what))
		return false;
	*v = ((uint32_t) r->p[r->off] << 24) | ((uint32_t) r->p[r->off + 1] << 16) |
		 ((uint32_t) r->p[r->off + 2] << 8) | (uint32_t) r->p[r->off + 3];
	r->off += 4;
	return true;
}

static bool
pgo_u64(pgo_reader *r, uint64_t *v, const char *what)
{
	uint64_t x = 0;

	if (!pgo_need(r, 8, what))
		return false;
	for (int i = 0; i < 8; i++)
		x = (x << 8) | r->p[r->off + i];
	r->off += 8;
	*v = x;
	return true;
}

static bool
pgo_i64(pgo_reader *r, int64_t *v, const char *what)
{
	uint64_t u;

	if (!pgo_u64(r, &u, what))
		return false;
	memcpy(v, &u, sizeof(*v)); /* two's complement, no UB */
	return true;
}

static bool
pgo_len(pgo_reader *r, size_t *v, const char *what)
{
	uint32_t u;
	size_t at = r->off;

	if (!pgo_u32(r, &u, what))
		return false;
	if (u & 0x80000000u)
		return pgo_fail(r, "negative length %" PRId32 " at byte %zu (%s)",
						(int32_t) (u - 0x80000000u) - INT32_MAX - 1, at, what);
	*v = u;
	return true;
}

static bool
pgo_str(pgo_reader *r, const char **s, size_t *n, const char *what)
{
	const unsigned char *nul;

	nul = memchr(r->p + r->off, '\0', r->len - r->off);
	if (nul == NULL)
		return pgo_fail(r, "string without terminator at byte %zu (%s)", r->off, what);
	*s = (const char *) r->p + r->off;
	*n = (size_t) (nul - (r->p + r->off));
	r->off += *n + 1;
	return true;
}

static bool
pgo_end(pgo_reader *r)
{
	if (r->off != r->len)
		return pgo_fail(r, "%zu unexpected bytes at byte %zu (message length %zu)", r->len - r->off,
						r->off, r->len);
	return true;
}

static bool
parse_tcol(pgo_reader *r, ev_val *c, const char *what)
{
	uint8_t kind;

	if (!pgo_u8(r, &kind, what))
		return false;
	c->kind = (char) kind;
	c->val = NULL;
	c->len = 0;
	switch (kind)
	{
		case 'n':
		case 'u':
			return true;
		case 't':
		case 'b':
			if (!pgo_len(r, &c->len, what) || !pgo_need(r, c->len, what))
				return false;
			c->val = (const char *) r->p + r->off;
			r->off += c->len;
			return true;
		default:
			return pgo_fail(r, "unknown tuple column kind 0x%02x at byte %zu (%s)", kind,
							r->off - 1, what);
	}
}

static bool
parse_tuple(pgo_reader *r, pgo_tuple *t, const char *which)
{
	uint16_t ncols;
	char what[64];

	if (r->len - r->off < 2)
	{
		snprintf(what, sizeof(what), "%s column count", which);
		return pgo_u16(r, &ncols, what);
	}
	pgo_u16(r, &ncols, "");
	if (ncols & 0x8000)
		return pgo_fail(r, "negative column count %d at byte %zu (%s)", (int) ncols - 65536,
						r->off - 2, which);
	/* every column is at least one byte: bound the allocation */
	if (ncols > r->len - r->off)
	{
		snprintf(what, sizeof(what), "%s column count", which);
		return pgo_need(r, ncols, what);
	}
	if (ncols > t->cap)
	{
		t->cols = xrealloc(t->cols, ncols * sizeof(ev_val));
		t->cap = ncols;
	}
	t->ncols = ncols;
	for (int i = 0; i < ncols; i++)
	{
		size_t at = r->off;

		if (!parse_tcol(r, &t->cols[i], ""))
		{
			r->off = at;
			snprintf(what, sizeof(what), "%s column %d", which, i + 1);
			return parse_tcol(r, &t->cols[i], what);
		}
	}
	return true;
}

/*
 * Relation: [Int32 xid] Int32 relid, String namespace ("" = pg_catalog),
 * String name, Int8 replica identity, Int16 ncols, then per column:
 * Int8 flags, String name, Int32 type oid, Int32 typmod.
 */
bool
pgo_parse_relation(pgo_reader *r, bool has_xid, pgo_relation *m)
{
	uint32_t xid;
	uint8_t ident;
	uint16_t ncols;

	m->ncols = 0;
	if (has_xid && !pgo_u32(r, &xid, "xid"))
		return false;
	if (!pgo_u32(r, &m->relid, "relation id") || !pgo_str(r, &m->nsp, &m->nsplen, "namespace") ||
		!pgo_str(r, &m->name, &m->namelen, "relation name") ||
		!pgo_u8(r, &ident, "replica identity"))
		return false;
	if (ident != 'd' && ident != 'n' && ident != 'f' && ident != 'i')
		return pgo_fail(r, "unknown replica identity 0x%02x at byte %zu", ident, r->off - 1);
	m->ident = (char) ident;
	if (!pgo_u16(r, &ncols, "column count"))
		return false;
	if (ncols & 0x8000)
		return pgo_fail(r, "negative column count %d at byte %zu", (int) ncols - 65536, r->off - 2);
	/* each column takes at least 10 bytes: bound the allocation by the message */
	if (!pgo_need(r, (size_t) ncols * 10, "column descriptions"))
		return false;
	if (ncols > m->cap)
	{
		m->cols = xrealloc(m->cols, ncols * sizeof(pgo_relcol));
		m->cap = ncols;
	}
	for (int i = 0; i < ncols; i++)
	{
		pgo_relcol *c = &m->cols[i];
		uint32_t typmod;
		char what[48];

		snprintf(what, sizeof(what), "column %d", i + 1);
		if (!pgo_u8(r, &c->flags, what))
			return false;
		if (c->flags & ~PGO_KEY_FLAG)
			return pgo_fail(r, "unknown column flags 0x%02x at byte %zu (column %d)", c->flags,
							r->off - 1, i + 1);
		if (!pgo_str(r, &c->name, &c->namelen, what) || !pgo_u32(r, &c->typid, what) ||
			!pgo_u32(r, &typmod, what))
			return false;
		c->typmod = (int32_t) typmod;
		m->ncols = i + 1;
	}
	return pgo_end(r);
}

/* Type: [Int32 xid] Int32 oid, String namespace, String name. */
bool
pgo_parse_type(pgo_reader *r, bool has_xid, pgo_type *m)
{
	uint32_t xid;

	if (has_xid && !pgo_u32(r, &xid, "xid"))
		return false;
	return pgo_u32(r, &m->oid, "type oid") && pgo_str(r, &m->nsp, &m->nsplen, "namespace") &&
		   pgo_str(r, &m->name, &m->namelen, "type name") && pgo_end(r);
}

/*
 * Insert: [Int32 xid] Int32 relid, 'N', TupleData.
 * Update: [Int32 xid] Int32 relid, optional 'K' or 'O' TupleData, 'N' TupleData.
 * Delete: [Int32 xid] Int32 relid, 'K' or 'O', TupleData.
 */
bool
pgo_parse_change(pgo_reader *r, bool has_xid, pgo_change *c, pgo_tuple *oldt, pgo_tuple *newt)
{
	uint8_t b;

	memset(c, 0, sizeof(*c));
	c->op = (char) r->p[0];
	if (has_xid && !pgo_u32(r, &c->xid, "xid"))
		return false;
	if (!pgo_u32(r, &c->relid, "relation id"))
		return false;
	if (!pgo_u8(r, &b, "tuple type"))
		return false;
	if (c->op != 'I' && (b == 'K' || b == 'O'))
	{
		c->oldkind = (char) b;
		c->oldt = oldt;
		if (!parse_tuple(r, c->oldt, "old tuple"))
			return false;
		if (c->op == 'D')
			return pgo_end(r);
		if (!pgo_u8(r, &b, "tuple type"))
			return false;
	}
	if (c->op == 'D')
		return pgo_fail(r, "unknown old tuple type 0x%02x at byte %zu (expected 'K' or 'O')", b,
						r->off - 1);
	if (b != 'N')
		return pgo_fail(r, "unknown tuple type 0x%02x at byte %zu (expected %s'N')", b, r->off - 1,
						c->op == 'U' && !c->oldkind ? "'K', 'O' or " : "");
	c->newt = newt;
	if (!parse_tuple(r, c->newt, "new tuple"))
		return false;
	return pgo_end(r);
}

/* Truncate: [Int32 xid] Int32 nrels, Int8 flags, nrels x Int32 relid. */
bool
pgo_parse_truncate(pgo_reader *r, bool has_xid, pgo_truncate *t)
{
	t->xid = 0;
	if (has_xid && !pgo_u32(r, &t->xid, "xid"))
		return false;
	if (!pgo_u32(r, &t->nrels, "relation count"))
		return false;
	if (t->nrels & 0x80000000u)
		return pgo_fail(r, "negative relation count at byte %zu", r->off - 4);
	if (!pgo_u8(r, &t->flags, "flags"))
		return false;
	if (t->flags & ~3)
		return pgo_fail(r, "unknown truncate flags 0x%02x at byte %zu", t->flags, r->off - 1);
	if (!pgo_need(r, (size_t) t->nrels * 4, "relation ids"))
		return false;
	t->relids = r->p + r->off;
	r->off += (size_t) t->nrels * 4;
	return pgo_end(r);
}

uint32_t
pgo_truncate_relid(const pgo_truncate *m, uint32_t i)
{
	const unsigned char *p = m->relids + 4 * (size_t) i;

	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

/*
 * Message: [Int32 xid] Int8 flags (1 = transactional), Int64 lsn,
 * String prefix, Int32 length, Byten content.
 */
bool
pgo_parse_message(pgo_reader *r, bool has_xid, pgo_message *m)
{
	m->xid = 0;
	if (has_xid && !pgo_u32(r, &m->xid, "xid"))
		return false;
	if (!pgo_u8(r, &m->flags, "flags"))
		return false;
	if (m->flags & ~1)
		return pgo_fail(r, "unknown message flags 0x%02x at byte %zu", m->flags, r->off - 1);
	if (!pgo_u64(r, &m->lsn, "message lsn") || !pgo_str(r, &m->prefix, &m->prefixlen, "prefix") ||
		!pgo_len(r, &m->len, "content length") || !pgo_need(r, m->len, "content"))
		return false;
	m->content = r->p + r->off;
	r->off += m->len;
	return pgo_end(r);
}

/* Origin: Int64 origin commit lsn, String name. */
bool
pgo_parse_origin(pgo_reader *r, const char **name, size_t *n)
{
	uint64_t lsn;

	return pgo_u64(r, &lsn, "origin lsn") && pgo_str(r, name, n, "origin name") && pgo_end(r);
}

/* Begin: Int64 final lsn, Int64 commit ts, Int32 xid. */
bool
pgo_parse_begin(pgo_reader *r, pgo_begin *m)
{
	return pgo_u64(r, &m->final_lsn, "final lsn") && pgo_i64(r, &m->ts, "commit timestamp") &&
		   pgo_u32(r, &m->xid, "xid") && pgo_end(r);
}

/* Commit: Int8 flags (0), Int64 commit lsn, Int64 end lsn, Int64 commit ts. */
bool
pgo_parse_commit(pgo_reader *r, pgo_commit *m)
{
	uint8_t flags;

	m->xid = 0;
	if (!pgo_u8(r, &flags, "flags"))
		return false;
	if (flags != 0)
		return pgo_fail(r, "unknown commit flags 0x%02x at byte 1", flags);
	return pgo_u64(r, &m->commit_lsn, "commit lsn") && pgo_u64(r, &m->end_lsn, "end lsn") &&
		   pgo_i64(r, &m->ts, "commit timestamp") && pgo_end(r);
}

/* Stream Start: Int32 xid, Int8 first segment (0 or 1). */
bool
pgo_parse_stream_start(pgo_reader *r, pgo_stream_start *m)
{
	uint8_t first;

	if (!pgo_u32(r, &m->xid, "xid") || !pgo_u8(r, &first, "first segment") || !pgo_end(r))
		return false;
	if (first > 1)
		return pgo_fail(r, "bad first-segment flag 0x%02x at byte 5", first);
	m->first = first == 1;
	return true;
}

/* Stream Stop: nothing after the type. */
bool
pgo_parse_stream_stop(pgo_reader *r)
{
	return pgo_end(r);
}

/* Stream Commit: Int32 xid, Int8 flags (0), Int64 commit lsn, Int64 end lsn, Int64 ts. */
bool
pgo_parse_stream_commit(pgo_reader *r, pgo_commit *m)
{
	uint8_t flags;

	if (!pgo_u32(r, &m->xid, "xid") || !pgo_u8(r, &flags, "flags"))
		return false;
	if (flags != 0)
		return pgo_fail(r, "unknown stream commit flags 0x%02x at byte 5", flags);
	return pgo_u64(r, &m->commit_lsn, "commit lsn") && pgo_u64(r, &m->end_lsn, "end lsn") &&
		   pgo_i64(r, &m->ts, "commit timestamp") && pgo_end(r);
}

/*
 * Stream Abort: Int32 xid, Int32 subxid, and with protocol 4 and parallel
 * streaming also Int64 abort lsn, Int64 abort ts.
 */
bool
pgo_parse_stream_abort(pgo_reader *r, int proto, pgo_stream_abort *m)
{
	if (!pgo_u32(r, &m->xid, "xid") || !pgo_u32(r, &m->subxid, "subtransaction xid"))
		return false;
	if (r->len != 9 && !(r->len == 25 && proto >= 4))
		return pgo_fail(r, "bad stream abort length %zu (expected 9%s)", r->len,
						proto >= 4 ? " or 25" : "");
	return true;
}

/*
 * The fixed part of the two-phase messages:
 *	Begin Prepare: Int64 prepare lsn, Int64 end lsn, Int64 prepare ts, Int32 xid, String gid
 *	Prepare / Stream Prepare / Commit Prepared: Int8 flags (0), Int64 lsn,
 *		Int64 end lsn, Int64 ts, Int32 xid, String gid
 *	Rollback Prepared: Int8 flags (0), Int64 prepare end lsn, Int64 rollback
 *		end lsn, Int64 prepare ts, Int64 rollback ts, Int32 xid, String gid
 */
bool
pgo_parse_twophase(pgo_reader *r, pgo_twophase *t)
{
	char type = (char) r->p[0];
	int64_t ts2;

	if (type != 'b')
	{
		uint8_t flags;

		if (!pgo_u8(r, &flags, "flags"))
			return false;
		if (flags != 0)
			return pgo_fail(r, "unknown flags 0x%02x at byte 1", flags);
	}
	if (!pgo_u64(r, &t->lsn, "lsn") || !pgo_u64(r, &t->end_lsn, "end lsn") ||
		!pgo_i64(r, &t->ts, "timestamp"))
		return false;
	if (type == 'r' && !pgo_i64(r, &ts2, "rollback timestamp"))
		return false;
	return pgo_u32(r, &t->xid, "xid") && pgo_str(r, &t->gid, &t->gidlen, "gid") && pgo_end(r);
}

/* ----------------------------------------------------------------
 * For the stream loop
 * ---------------------------------------------------------------- */

uint64_t
proto_get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

uint32_t
proto_get32(const unsigned char *p)
{
	return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

bool
proto_peek_commit_lsn(const unsigned char *p, size_t n, uint64_t *lsn)
{
	if (n == 0)
		return false;
	switch (p[0])
	{
		case 'B': /* Begin: final_lsn at byte 1 */
			if (n < 9)
				return false;
			*lsn = proto_get64(p + 1);
			return true;
		case 'c': /* Stream Commit: xid(4) flags(1) commit_lsn */
			if (n < 14)
				return false;
			*lsn = proto_get64(p + 6);
			return true;
		case 'K': /* Commit Prepared: flags(1) commit_lsn */
			if (n < 10)
				return false;
			*lsn = proto_get64(p + 2);
			return true;
		default:
			return false;
	}
}

bool
proto_is_plain_message(const unsigned char *p, size_t n)
{
	return n >= 2 && p[0] == 'M' && !(p[1] & 1);
}

int
proto_read_begin(const unsigned char *p, size_t n, proto_begin *b)
{
	char err[128];
	pgo_reader r = {p, n, 1, err, sizeof(err)};
	pgo_begin m;

	if (n < 1 || p[0] != 'B' || !pgo_parse_begin(&r, &m))
		return -1;
	b->final_lsn = m.final_lsn;
	b->commit_time = m.ts;
	b->xid = m.xid;
	return 0;
}

int
proto_read_commit(const unsigned char *p, size_t n, proto_commit *c)
{
	char err[128];
	pgo_reader r = {p, n, 1, err, sizeof(err)};
	pgo_commit m;
	pgo_twophase t;

	memset(c, 0, sizeof(*c));
	if (n < 1)
		return -1;
	c->type = (char) p[0];
	switch (p[0])
	{
		case 'C':
			if (!pgo_parse_commit(&r, &m))
				return -1;
			break;
		case 'c':
			if (!pgo_parse_stream_commit(&r, &m))
				return -1;
			break;
		case 'K':
			if (!pgo_parse_twophase(&r, &t))
				return -1;
			c->commit_lsn = t.lsn;
			c->end_lsn = t.end_lsn;
			c->commit_time = t.ts;
			c->xid = t.xid;
			c->gid = t.gid;
			c->gid_len = t.gidlen;
			return 0;
		default:
			return -1;
	}
	c->commit_lsn = m.commit_lsn;
	c->end_lsn = m.end_lsn;
	c->commit_time = m.ts;
	c->xid = m.xid;
	return 0;
}
