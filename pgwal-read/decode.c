/*
 * decode.c
 *	pgoutput messages (protocol versions 1 to 4) to events: the state
 *	machine between the wire and the event writer.
 *
 *	Structure: pgoutput.c parses each message into a struct (checking every
 *	length against the buffer); the handlers here check it against the
 *	state (an open transaction, a stream, a prepared transaction) and hand
 *	row changes to event.c, which writes the lines.  Messages of a streamed or
 *	prepared transaction are parsed (so that a malformed one is reported
 *	where it arrives) and then appended raw to the spool, a single unlinked
 *	temporary file; at Stream Commit / Commit Prepared they are read back
 *	and go through the same emit path as a normal transaction.
 *
 *	Byte offsets in comments count from the message type byte (offset 0).
 *
 *	Longer than the other files (about 1,400 lines): the state machine and
 *	the spool of streamed and prepared transactions share the decoder's
 *	state (the pending transactions, their spool offsets, the replay
 *	buffer); moving the spool to a file of its own is the next split.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "event.h"
#include "fmt.h"
#include "lsn.h"
#include "pgoutput.h"
#include "values.h"
#include "xalloc.h"

/* ----------------------------------------------------------------
 * OID-keyed hash map (open addressing, no deletion: values are replaced)
 * ---------------------------------------------------------------- */
typedef struct oidmap
{
	uint32_t *keys;
	void **vals;
	size_t cap; /* power of two, or 0 */
	size_t used;
} oidmap;

static size_t
oidmap_slot(const oidmap *m, uint32_t key)
{
	size_t h = (size_t) (key * 2654435761u) & (m->cap - 1);

	while (m->vals[h] != NULL && m->keys[h] != key)
		h = (h + 1) & (m->cap - 1);
	return h;
}

static void *
oidmap_get(const oidmap *m, uint32_t key)
{
	if (m->cap == 0)
		return NULL;
	return m->vals[oidmap_slot(m, key)];
}

/*
 * Store val under key.  Returns the value it replaces (the caller's to
 * free) or NULL.  The map takes ownership of val.
 */
static void *
oidmap_put(oidmap *m, uint32_t key, void *val)
{
	size_t h;
	void *old;

	if ((m->used + 1) * 2 > m->cap)
	{
		oidmap big;

		big.cap = m->cap ? m->cap * 2 : 64;
		big.used = 0;
		big.keys = xcalloc(big.cap, sizeof(uint32_t));
		big.vals = xcalloc(big.cap, sizeof(void *));
		for (size_t i = 0; i < m->cap; i++)
		{
			if (m->vals[i] != NULL)
			{
				size_t s = oidmap_slot(&big, m->keys[i]);

				big.keys[s] = m->keys[i];
				big.vals[s] = m->vals[i];
				big.used++;
			}
		}
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	h = oidmap_slot(m, key);
	old = m->vals[h];
	if (old == NULL)
		m->used++;
	m->keys[h] = key;
	m->vals[h] = val;
	return old;
}

/* ----------------------------------------------------------------
 * Decoder state
 * ---------------------------------------------------------------- */
typedef struct typinfo
{
	char *nspname;
	char *name;
	char kind;   /* type_lookup's answer */
	bool looked; /* type_lookup asked */
} typinfo;

typedef enum
{
	P_STREAMING, /* streamed, not yet committed or prepared */
	P_PREPARING, /* between Begin Prepare and Prepare */
	P_PREPARED   /* prepared, waiting for Commit/Rollback Prepared */
} pstate;

/* a spooled transaction */
typedef struct pending
{
	struct pending *next;
	uint32_t xid;
	char *gid; /* set once prepared */
	pstate state;
	bool schema_applied; /* its Relation/Type messages are in the cache */
	uint64_t first_lsn;  /* wal_start of its Stream Start / Begin Prepare */
	int64_t first_rec;   /* spool offsets, -1 if none */
	int64_t last_rec;
	uint32_t *aborted; /* aborted subtransaction xids */
	size_t naborted;
	size_t abortcap;
} pending;

/* spool record header, followed by len bytes of the raw message */
typedef struct spool_rec
{
	int64_t next; /* offset of the transaction's next record, -1 */
	uint64_t wal_start;
	uint64_t wal_end;
	uint32_t len;
	uint32_t subxid;
	uint32_t flags;
	uint32_t pad;
} spool_rec;

#define REC_HAS_XID 1 /* message carries a leading xid (streamed) */

/* the transaction whose events are being written */
typedef struct txnctx
{
	bool open;
	ev_txn t;
	/*
	 * the begin line waits for the first event (begin_lsn: its lsn), so
	 * that a transaction without one prints nothing at all
	 */
	bool begun;
	uint64_t begin_lsn;
} txnctx;

struct decoder
{
	decoder_opts opts;
	char err[1024];

	oidmap rels;        /* relid -> ev_rel */
	oidmap types;       /* type oid -> typinfo */
	uint32_t types_gen; /* bumped by each Type message: columns re-resolve */

	ev_writer w; /* writes the events */

	txnctx txn; /* open normal transaction, or one being replayed */

	bool in_stream;      /* between Stream Start and Stream Stop */
	pending *stream_cur; /* the transaction being streamed */
	bool in_prepare;     /* between Begin Prepare and Prepare */
	pending *prep_cur;
	pending *pending; /* all spooled transactions */

	int spool_fd; /* -1 until first needed */
	int64_t spool_end;
	unsigned char *rbuf; /* replay buffer */
	size_t rbufcap;

	pgo_tuple oldt; /* scratch for tuple data */
	pgo_tuple newt;
	pgo_relation relmsg; /* scratch for Relation messages */
	char wire_err[512];  /* what the wire parser found wrong */

	/*
	 * A non-transactional message emitted outside any transaction: its LSN
	 * is a position that may be acknowledged, like a commit's end_lsn.
	 */
	uint64_t ackpoint;

	/* for error messages */
	unsigned char cur_type;
	uint64_t cur_lsn;
	bool replaying;
	uint32_t replay_xid;
};

/* ----------------------------------------------------------------
 * Errors and the message reader
 * ---------------------------------------------------------------- */

/*
 * Set the error message: "pgoutput message 'X' at LSN: detail".  Always
 * returns false, so that callers can write "return fail(...)".
 */
static bool fail(decoder *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool
fail(decoder *d, const char *fmt, ...)
{
	char lsn[LSN_BUFLEN];
	char type[8];
	va_list ap;
	int n;
	size_t used;

	if (d->cur_type >= 0x20 && d->cur_type < 0x7f)
		snprintf(type, sizeof(type), "%c", d->cur_type);
	else
		snprintf(type, sizeof(type), "\\x%02x", d->cur_type);
	n = snprintf(d->err, sizeof(d->err), "pgoutput message '%s' at %s: ", type,
				 lsn_format(d->cur_lsn, lsn));
	used = n > 0 ? (size_t) n : 0;
	if (used >= sizeof(d->err))
		return false;
	va_start(ap, fmt);
	n = vsnprintf(d->err + used, sizeof(d->err) - used, fmt, ap);
	va_end(ap);
	used += n > 0 ? (size_t) n : 0;
	if (d->replaying && used < sizeof(d->err))
		snprintf(d->err + used, sizeof(d->err) - used, " (replaying transaction %" PRIu32 ")",
				 d->replay_xid);
	return false;
}

/* A reader of the message p[0..len) from byte off; errors go to d->wire_err. */
static pgo_reader
reader(decoder *d, const unsigned char *p, size_t len, size_t off)
{
	return (pgo_reader){p, len, off, d->wire_err, sizeof(d->wire_err)};
}

/* ----------------------------------------------------------------
 * Relation and Type messages
 * ---------------------------------------------------------------- */
static void
typinfo_free(typinfo *t)
{
	if (t == NULL)
		return;
	free(t->nspname);
	free(t->name);
	free(t);
}

/* Put a relation into the cache, replacing (and freeing) an older one. */
static void
rel_store(decoder *d, ev_rel *rel)
{
	ev_rel_free(oidmap_put(&d->rels, rel->relid, rel));
}

/* Parse and apply a Relation or Type message. */
static bool
apply_schema(decoder *d, pgo_reader *r, bool has_xid)
{
	if (r->p[0] == 'R')
	{
		pgo_relation *m = &d->relmsg;
		ev_rel *rel;
		char *nsp, *name;

		if (!pgo_parse_relation(r, has_xid, m))
			return false;
		nsp = m->nsplen ? xstrndup(m->nsp, m->nsplen) : xstrdup("pg_catalog");
		name = xstrndup(m->name, m->namelen);
		rel = ev_rel_new(&d->w, m->relid, nsp, name, m->ncols);
		free(nsp);
		free(name);
		for (int i = 0; i < m->ncols; i++)
			ev_set_col(rel, i, m->cols[i].name, m->cols[i].namelen, m->cols[i].typid,
					   m->cols[i].typmod, (m->cols[i].flags & PGO_KEY_FLAG) != 0);
		rel->ident = m->ident;
		rel_store(d, rel);
	}
	else
	{
		pgo_type m;
		typinfo *t;

		if (!pgo_parse_type(r, has_xid, &m))
			return false;
		t = xcalloc(1, sizeof(typinfo));
		t->nspname = m.nsplen ? xstrndup(m.nsp, m.nsplen) : xstrdup("pg_catalog");
		t->name = xstrndup(m.name, m.namelen);
		typinfo_free(oidmap_put(&d->types, m.oid, t));
		/* columns resolve their type again; 0 stays "never resolved" */
		if (++d->types_gen == 0)
			d->types_gen = 1;
	}
	return true;
}

/* ----------------------------------------------------------------
 * Tuple data and change messages
 * ---------------------------------------------------------------- */

/*
 * TupleData: Int16 ncols, then per column Byte1 kind: 'n' null,
 * 'u' unchanged toast, 't' text or 'b' binary followed by Int32 length and
 * the bytes.  The columns go into t's scratch array.
 */

/* The relation of a change, or NULL with the error set. */
static ev_rel *
lookup_rel(decoder *d, uint32_t relid)
{
	ev_rel *rel = oidmap_get(&d->rels, relid);

	if (rel == NULL)
		fail(d, "unknown relation id %" PRIu32 " (no Relation message for it)", relid);
	return rel;
}

static bool
check_ncols(decoder *d, const ev_rel *rel, const pgo_tuple *t, const char *which)
{
	if (t->ncols != rel->ncols)
		return fail(d, "%s has %d columns but relation %s.%s (id %" PRIu32 ") has %d", which,
					t->ncols, rel->nspname, rel->relname, rel->relid, rel->ncols);
	return true;
}

/*
 * Make rel ready for its events: its columns' value types resolved (again
 * after any Type message) and its key set, asking pk_lookup once where the
 * server's flags cannot tell: under REPLICA IDENTITY FULL (every column
 * flagged), USING INDEX (another index's columns), NOTHING (none), and
 * for formats that need the primary key's own order.
 */
static bool
rel_ready(decoder *d, ev_rel *rel)
{
	if (rel->vgen != d->types_gen)
	{
		for (int i = 0; i < rel->ncols; i++)
		{
			ev_col *c = &rel->cols[i];
			typinfo *t =
				c->typid >= VALUE_FIRST_NORMAL_OID ? oidmap_get(&d->types, c->typid) : NULL;

			ev_set_vtype(c, ev_resolve(c->typid, t ? t->nspname : NULL, t ? t->name : NULL));
			/* Debezium writes user-defined types by their kind */
			if (t != NULL && ev_needs_pk(&d->w) && d->opts.type_lookup != NULL &&
				(c->vtype >= VALUE_FIRST_NORMAL_OID || c->vtype == VALUE_TEXT_ARRAY))
			{
				if (!t->looked && d->opts.type_lookup(d->opts.pk_arg, c->typid, &t->kind) != 0)
					return fail(d, "could not look up type %s.%s (%u)", t->nspname, t->name,
								c->typid);
				t->looked = true;
				c->usertype = t->kind;
			}
		}
		rel->vgen = d->types_gen;
	}
	if (!rel->key_done)
	{
		char **names = NULL;
		int n = -1;

		if ((rel->ident != 'd' || ev_needs_pk(&d->w)) && d->opts.pk_lookup != NULL)
		{
			n = d->opts.pk_lookup(d->opts.pk_arg, rel->relid, &names);
			if (n < 0)
			{
				/* a key that silently changes would move rows between partitions */
				return fail(d, "could not look up the primary key of relation \"%s\".\"%s\" (%u)",
							rel->nspname, rel->relname, rel->relid);
			}
		}
		else if (rel->ident != 'd')
			n = 0; /* unknown: as if there were none */
		ev_set_key(rel, rel->ident, names, n, NULL, 0);
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		rel->key_done = true;
	}
	return true;
}

static bool
emit_change(decoder *d, strbuf *out, const pgo_change *c, uint64_t lsn)
{
	ev_rel *rel = lookup_rel(d, c->relid);

	if (rel == NULL)
		return false;
	if (c->oldt && !check_ncols(d, rel, c->oldt, "old tuple"))
		return false;
	if (c->newt && !check_ncols(d, rel, c->newt, "new tuple"))
		return false;
	if (!rel_ready(d, rel))
		return false;
	ev_row(&d->w, out, &d->txn.t, rel, c->op, lsn, c->oldt ? c->oldt->cols : NULL,
		   c->oldkind == 'K', c->newt ? c->newt->cols : NULL);
	return true;
}

/* Truncate: [Int32 xid] Int32 nrels, Int8 flags, nrels x Int32 relid. */

static bool
emit_truncate(decoder *d, strbuf *out, const pgo_truncate *t, uint64_t lsn)
{
	ev_rel **rels = xcalloc(t->nrels ? t->nrels : 1, sizeof(ev_rel *));

	for (uint32_t i = 0; i < t->nrels; i++)
	{
		rels[i] = lookup_rel(d, pgo_truncate_relid(t, i));
		if (rels[i] == NULL)
		{
			free(rels);
			return false;
		}
	}
	ev_truncate(&d->w, out, &d->txn.t, rels, (int) t->nrels, t->flags, lsn);
	free(rels);
	return true;
}

/*
 * Message: [Int32 xid] Int8 flags (1 = transactional), Int64 lsn,
 * String prefix, Int32 length, Byten content.
 */

/*
 * A message line; transactional ones belong to d->txn.  One sent outside
 * any transaction carries "end_lsn", the message's own LSN: like a commit
 * line's, a position that can be acknowledged once the line is delivered.
 */
static void
emit_message(decoder *d, strbuf *out, const pgo_message *m, bool has_xid, uint64_t lsn)
{
	uint64_t ack = 0;

	if (!(m->flags & 1) && !has_xid && !d->txn.open && !d->in_prepare)
		ack = d->ackpoint = m->lsn;
	ev_message(&d->w, out, &d->txn.t, (m->flags & 1) != 0, has_xid ? m->xid : 0, ack, m->prefix,
			   m->prefixlen, m->content, m->len, lsn);
}

static void
set_origin(decoder *d, const char *name, size_t n)
{
	free(d->txn.t.origin);
	d->txn.t.origin = xstrndup(name, n);
}

/*
 * Decode a change-like message (I, U, D, T, M) of the current transaction
 * and write its event.
 */
static bool
emit_change_msg(decoder *d, pgo_reader *r, bool has_xid, uint64_t lsn, strbuf *out)
{
	switch (r->p[0])
	{
		case 'I':
		case 'U':
		case 'D':
		{
			pgo_change c;

			if (!pgo_parse_change(r, has_xid, &c, &d->oldt, &d->newt))
				return false;
			return emit_change(d, out, &c, lsn);
		}
		case 'T':
		{
			pgo_truncate t;

			if (!pgo_parse_truncate(r, has_xid, &t))
				return false;
			return emit_truncate(d, out, &t, lsn);
		}
		default: /* 'M' */
		{
			pgo_message m;

			if (!pgo_parse_message(r, has_xid, &m))
				return false;
			emit_message(d, out, &m, has_xid, lsn);
			return true;
		}
	}
}

/*
 * Check a message of a spooled transaction without emitting anything.
 * Sets *xid to the leading xid when has_xid.
 */
static bool
validate_msg(decoder *d, pgo_reader *r, bool has_xid, uint32_t *xid)
{
	*xid = 0;
	switch (r->p[0])
	{
		case 'R':
		{
			if (!pgo_parse_relation(r, has_xid, &d->relmsg))
				return false;
			break;
		}
		case 'Y':
		{
			pgo_type t;

			if (!pgo_parse_type(r, has_xid, &t))
				return false;
			break;
		}
		case 'I':
		case 'U':
		case 'D':
		{
			pgo_change c;

			if (!pgo_parse_change(r, has_xid, &c, &d->oldt, &d->newt))
				return false;
			break;
		}
		case 'T':
		{
			pgo_truncate t;

			if (!pgo_parse_truncate(r, has_xid, &t))
				return false;
			break;
		}
		case 'M':
		{
			pgo_message m;

			if (!pgo_parse_message(r, has_xid, &m))
				return false;
			break;
		}
		default:
		{
			const char *name;
			size_t n;

			if (!pgo_parse_origin(r, &name, &n))
				return false;
			return true;
		}
	}
	if (has_xid)
		*xid = ((uint32_t) r->p[1] << 24) | ((uint32_t) r->p[2] << 16) | ((uint32_t) r->p[3] << 8) |
			   r->p[4];
	return true;
}

/* ----------------------------------------------------------------
 * The spool
 * ---------------------------------------------------------------- */
static bool
spool_open(decoder *d)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (d->spool_fd >= 0)
		return true;
	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	path = xmalloc(strlen(dir) + 32);
	sprintf(path, "%s/pgwal-spool-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
	{
		fail(d, "could not create spool file in \"%s\": %s", dir, strerror(errno));
		free(path);
		return false;
	}
	unlink(path);
	free(path);
	d->spool_fd = fd;
	d->spool_end = 0;
	return true;
}

static bool
spool_pwrite(decoder *d, const void *buf, size_t n, int64_t off)
{
	const char *p = buf;

	while (n > 0)
	{
		ssize_t w = pwrite(d->spool_fd, p, n, (off_t) off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail(d, "could not write spool file: %s", w < 0 ? strerror(errno) : "no space");
		p += w;
		n -= (size_t) w;
		off += w;
	}
	return true;
}

static bool
spool_pread(decoder *d, void *buf, size_t n, int64_t off)
{
	char *p = buf;

	while (n > 0)
	{
		ssize_t got = pread(d->spool_fd, p, n, (off_t) off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return fail(d, "could not read spool file: %s",
						got < 0 ? strerror(errno) : "unexpected end of file");
		p += got;
		n -= (size_t) got;
		off += got;
	}
	return true;
}

/* Append a raw message to transaction p's chain in the spool. */
static bool
spool_append(decoder *d, pending *p, const unsigned char *msg, size_t len, uint32_t flags,
			 uint32_t subxid, uint64_t wal_start, uint64_t wal_end)
{
	spool_rec h;
	int64_t off;

	if (len > UINT32_MAX)
		return fail(d, "message of %zu bytes too large to spool", len);
	if (!spool_open(d))
		return false;
	memset(&h, 0, sizeof(h));
	h.next = -1;
	h.wal_start = wal_start;
	h.wal_end = wal_end;
	h.len = (uint32_t) len;
	h.subxid = subxid;
	h.flags = flags;
	off = d->spool_end;
	if (!spool_pwrite(d, &h, sizeof(h), off) ||
		!spool_pwrite(d, msg, len, off + (int64_t) sizeof(h)))
		return false;
	if (p->last_rec >= 0)
	{
		if (!spool_pwrite(d, &off, sizeof(off), p->last_rec + (int64_t) offsetof(spool_rec, next)))
			return false;
	}
	else
		p->first_rec = off;
	p->last_rec = off;
	d->spool_end = off + (int64_t) sizeof(h) + (int64_t) len;
	return true;
}

static pending *
pending_new(decoder *d, uint32_t xid, pstate st, uint64_t first_lsn)
{
	pending *p = xcalloc(1, sizeof(pending));

	p->xid = xid;
	p->state = st;
	p->first_lsn = first_lsn;
	p->first_rec = p->last_rec = -1;
	p->next = d->pending;
	d->pending = p;
	return p;
}

/*
 * Forget a spooled transaction.  Its records stay in the file until no
 * transaction is pending, then the file is emptied.
 */
static void
pending_drop(decoder *d, pending *p)
{
	for (pending **pp = &d->pending; *pp; pp = &(*pp)->next)
	{
		if (*pp == p)
		{
			*pp = p->next;
			break;
		}
	}
	if (d->stream_cur == p)
		d->stream_cur = NULL;
	if (d->prep_cur == p)
		d->prep_cur = NULL;
	free(p->gid);
	free(p->aborted);
	free(p);
	if (d->pending == NULL && d->spool_fd >= 0 && d->spool_end > 0)
	{
		/* nothing left to replay: give the disk space back */
		if (ftruncate(d->spool_fd, 0) == 0)
			d->spool_end = 0;
	}
}

static pending *
pending_by_xid(decoder *d, uint32_t xid, pstate st)
{
	for (pending *p = d->pending; p; p = p->next)
		if (p->xid == xid && p->state == st)
			return p;
	return NULL;
}

static pending *
pending_by_gid(decoder *d, const char *gid, size_t n)
{
	for (pending *p = d->pending; p; p = p->next)
		if (p->state == P_PREPARED && p->gid && strlen(p->gid) == n && memcmp(p->gid, gid, n) == 0)
			return p;
	return NULL;
}

static bool
subxid_aborted(const pending *p, uint32_t xid)
{
	for (size_t i = 0; i < p->naborted; i++)
		if (p->aborted[i] == xid)
			return true;
	return false;
}

/*
 * Read record at off into d->rbuf; sets *h.  The payload is h->len bytes.
 */
static bool
spool_read(decoder *d, int64_t off, spool_rec *h)
{
	if (!spool_pread(d, h, sizeof(*h), off))
		return false;
	if (h->len > d->rbufcap)
	{
		d->rbuf = xrealloc(d->rbuf, h->len);
		d->rbufcap = h->len;
	}
	return spool_pread(d, d->rbuf, h->len, off + (int64_t) sizeof(*h));
}

/*
 * Apply the Relation and Type messages of a spooled transaction to the
 * cache (at Stream Prepare, when pgoutput considers them sent).
 */
static bool
spool_apply_schema(decoder *d, pending *p)
{
	spool_rec h;

	for (int64_t off = p->first_rec; off >= 0; off = h.next)
	{
		pgo_reader r;

		if (!spool_read(d, off, &h))
			return false;
		if (h.len == 0 || (d->rbuf[0] != 'R' && d->rbuf[0] != 'Y'))
			continue;
		d->cur_type = d->rbuf[0];
		d->cur_lsn = h.wal_start;
		r = reader(d, d->rbuf, h.len, 1);
		if (!apply_schema(d, &r, (h.flags & REC_HAS_XID) != 0))
			return false;
	}
	p->schema_applied = true;
	return true;
}

/* ----------------------------------------------------------------
 * Transaction lines
 * ---------------------------------------------------------------- */
static void
txn_open(decoder *d, uint32_t xid, int64_t ts, uint64_t commit_lsn)
{
	free(d->txn.t.origin);
	memset(&d->txn, 0, sizeof(d->txn));
	d->txn.open = true;
	d->txn.t.xid = xid;
	d->txn.t.ts = ts;
	d->txn.t.commit_lsn = commit_lsn;
}

static void
txn_close(decoder *d)
{
	free(d->txn.t.origin);
	memset(&d->txn, 0, sizeof(d->txn));
}

static void
emit_begin(decoder *d, strbuf *out, uint64_t lsn)
{
	ev_begin(&d->w, out, &d->txn.t, lsn);
}

/* The commit line; closes d->txn and fills res. */
static void
emit_commit(decoder *d, strbuf *out, uint64_t commit_lsn, uint64_t end_lsn, int64_t ts,
			dec_result *res)
{
	d->txn.t.ts = ts;
	ev_commit(&d->w, out, &d->txn.t, commit_lsn, end_lsn);
	res->end_lsn = end_lsn;
	res->commit_lsn = commit_lsn;
	res->events = d->txn.t.seq;
	txn_close(d);
}

/*
 * Emit a spooled transaction: begin, its events in order, commit.  Changes
 * of aborted subtransactions are skipped; Relation/Type messages are
 * applied (unless already applied at Stream Prepare) whatever their
 * subtransaction, because pgoutput counts them as sent to the top-level
 * transaction.
 */
static bool
replay(decoder *d, pending *p, uint32_t xid, uint64_t commit_lsn, uint64_t end_lsn, int64_t ts,
	   strbuf *out, dec_result *res)
{
	unsigned char save_type = d->cur_type;
	uint64_t save_lsn = d->cur_lsn;
	spool_rec h;

	txn_open(d, xid, ts, commit_lsn);
	emit_begin(d, out, p->first_lsn);
	d->replaying = true;
	d->replay_xid = xid;
	for (int64_t off = p->first_rec; off >= 0; off = h.next)
	{
		bool has_xid;
		pgo_reader r;

		if (!spool_read(d, off, &h))
			return false;
		if (h.len == 0)
			continue;
		has_xid = (h.flags & REC_HAS_XID) != 0;
		d->cur_type = d->rbuf[0];
		d->cur_lsn = h.wal_start;
		r = reader(d, d->rbuf, h.len, 1);
		switch (d->rbuf[0])
		{
			case 'R':
			case 'Y':
				if (!p->schema_applied && !apply_schema(d, &r, has_xid))
					return false;
				break;
			case 'O':
			{
				const char *name;
				size_t n;

				if (!pgo_parse_origin(&r, &name, &n))
					return false;
				set_origin(d, name, n);
				break;
			}
			default:
				if (has_xid && h.subxid != p->xid && subxid_aborted(p, h.subxid))
					break;
				if (!emit_change_msg(d, &r, has_xid, h.wal_start, out))
					return false;
				break;
		}
	}
	d->replaying = false;
	d->cur_type = save_type;
	d->cur_lsn = save_lsn;
	emit_commit(d, out, commit_lsn, end_lsn, ts, res);
	pending_drop(d, p);
	return true;
}

/* ----------------------------------------------------------------
 * Message handlers
 * ---------------------------------------------------------------- */

/* Is any transaction block open (normal, streamed chunk, prepare)? */
static bool
block_open(const decoder *d)
{
	return d->txn.open || d->in_stream || d->in_prepare;
}

static bool
need_version(decoder *d, int v)
{
	if (d->opts.proto_version < v)
		return fail(d, "message needs protocol version %d (requested %d)", v,
					d->opts.proto_version);
	return true;
}

/* Begin: Int64 final lsn, Int64 commit ts, Int32 xid. */
static bool
handle_begin(decoder *d, pgo_reader *r, uint64_t wal_start, strbuf *out)
{
	pgo_begin m;

	if (!pgo_parse_begin(r, &m))
		return false;
	if (block_open(d))
		return fail(d, "begin inside an open transaction");
	(void) out;
	txn_open(d, m.xid, m.ts, m.final_lsn);
	d->txn.begin_lsn = wal_start; /* the begin line waits for an event */
	return true;
}

/* Commit: Int8 flags (0), Int64 commit lsn, Int64 end lsn, Int64 commit ts. */
static bool
handle_commit(decoder *d, pgo_reader *r, strbuf *out, dec_result *res)
{
	pgo_commit m;

	if (!pgo_parse_commit(r, &m))
		return false;
	if (!d->txn.open)
		return fail(d, "commit outside a transaction");
	if (!d->txn.begun)
	{
		/* nothing published in it: no lines, a position only */
		res->end_lsn = m.end_lsn;
		res->commit_lsn = m.commit_lsn;
		res->empty = true;
		txn_close(d);
		return true;
	}
	emit_commit(d, out, m.commit_lsn, m.end_lsn, m.ts, res);
	return true;
}

/*
 * Origin, Relation, Type, Insert, Update, Delete, Truncate, Message: where
 * they go depends on the block they arrive in.
 */
static bool
handle_data(decoder *d, pgo_reader *r, uint64_t wal_start, uint64_t wal_end, strbuf *out)
{
	char type = (char) r->p[0];
	bool has_xid = d->in_stream && type != 'O';
	uint32_t subxid;

	if (d->in_stream || d->in_prepare)
	{
		pending *p = d->in_stream ? d->stream_cur : d->prep_cur;
		size_t start = r->off;

		if (!validate_msg(d, r, has_xid, &subxid))
			return false;
		if (type == 'M' && !(r->p[start + (has_xid ? 4 : 0)] & 1))
		{
			/* non-transactional: out of band, now */
			pgo_reader again = reader(d, r->p, r->len, start);

			return emit_change_msg(d, &again, has_xid, wal_start, out);
		}
		if (d->in_prepare && (type == 'R' || type == 'Y'))
		{
			/* pgoutput counts these as sent now, not at commit */
			pgo_reader again = reader(d, r->p, r->len, start);

			return apply_schema(d, &again, false);
		}
		return spool_append(d, p, r->p, r->len, has_xid ? REC_HAS_XID : 0, subxid, wal_start,
							wal_end);
	}

	switch (type)
	{
		case 'O':
		{
			const char *name;
			size_t n;

			if (!pgo_parse_origin(r, &name, &n))
				return false;
			if (!d->txn.open)
				return fail(d, "origin outside a transaction");
			set_origin(d, name, n);
			return true;
		}
		case 'R':
		case 'Y':
			/* accepted outside a transaction too: nothing depends on the block */
			return apply_schema(d, r, false);
		case 'M':
			if (r->off < r->len && !(r->p[r->off] & 1))
				return emit_change_msg(d, r, false, wal_start, out);
			/* FALLTHROUGH */
		default:
			if (!d->txn.open)
			{
				/* parse first, so that a malformed message says so */
				uint32_t dummy;

				if (!validate_msg(d, r, false, &dummy))
					return false;
				return fail(d, "change outside a transaction");
			}
			if (!d->txn.begun)
			{
				emit_begin(d, out, d->txn.begin_lsn);
				d->txn.begun = true;
			}
			return emit_change_msg(d, r, false, wal_start, out);
	}
}

/* Stream Start: Int32 xid, Int8 first segment (0 or 1). */
static bool
handle_stream_start(decoder *d, pgo_reader *r, uint64_t wal_start)
{
	pgo_stream_start m;
	uint32_t xid;
	pending *p;

	if (!pgo_parse_stream_start(r, &m))
		return false;
	xid = m.xid;
	if (block_open(d))
		return fail(d, "stream start inside an open transaction");
	p = pending_by_xid(d, xid, P_STREAMING);
	if (m.first)
	{
		/* the server starts this transaction over: forget what we had */
		if (p != NULL)
			pending_drop(d, p);
		p = pending_new(d, xid, P_STREAMING, wal_start);
	}
	else if (p == NULL)
		return fail(d,
					"stream continues transaction %" PRIu32 " whose first segment was not received",
					xid);
	d->in_stream = true;
	d->stream_cur = p;
	return true;
}

static bool
handle_stream_stop(decoder *d, pgo_reader *r)
{
	if (!pgo_parse_stream_stop(r))
		return false;
	if (!d->in_stream)
		return fail(d, "stream stop without stream start");
	d->in_stream = false;
	d->stream_cur = NULL;
	return true;
}

/* Stream Commit: Int32 xid, Int8 flags (0), Int64 commit lsn, Int64 end lsn, Int64 ts. */
static bool
handle_stream_commit(decoder *d, pgo_reader *r, strbuf *out, dec_result *res)
{
	pgo_commit m;
	pending *p;

	if (!pgo_parse_stream_commit(r, &m))
		return false;
	if (block_open(d))
		return fail(d, "stream commit inside an open transaction");
	p = pending_by_xid(d, m.xid, P_STREAMING);
	if (p == NULL)
		return fail(d, "stream commit of unknown transaction %" PRIu32, m.xid);
	return replay(d, p, m.xid, m.commit_lsn, m.end_lsn, m.ts, out, res);
}

/*
 * Stream Abort: Int32 xid, Int32 subxid, and with protocol 4 and parallel
 * streaming also Int64 abort lsn, Int64 abort ts.
 */
static bool
handle_stream_abort(decoder *d, pgo_reader *r)
{
	pgo_stream_abort m;
	uint32_t xid, subxid;
	pending *p;

	if (!pgo_parse_stream_abort(r, d->opts.proto_version, &m))
		return false;
	xid = m.xid;
	subxid = m.subxid;
	if (block_open(d))
		return fail(d, "stream abort inside an open transaction");
	p = pending_by_xid(d, xid, P_STREAMING);
	if (p == NULL)
		return true; /* nothing of it was kept */
	if (subxid == xid)
		pending_drop(d, p);
	else if (!subxid_aborted(p, subxid))
	{
		if (p->naborted == p->abortcap)
		{
			p->abortcap = p->abortcap ? p->abortcap * 2 : 8;
			p->aborted = xrealloc(p->aborted, p->abortcap * sizeof(uint32_t));
		}
		p->aborted[p->naborted++] = subxid;
	}
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

static bool
handle_twophase(decoder *d, pgo_reader *r, uint64_t wal_start, strbuf *out, dec_result *res,
				dec_status *st)
{
	char type = (char) r->p[0];
	pgo_twophase t;
	pending *p;

	if (!pgo_parse_twophase(r, &t))
		return false;
	if (type == 'P')
	{
		if (!d->in_prepare)
			return fail(d, "prepare without begin prepare");
		p = d->prep_cur;
		if (p->xid != t.xid || strlen(p->gid) != t.gidlen || memcmp(p->gid, t.gid, t.gidlen) != 0)
			return fail(
				d, "prepare of transaction %" PRIu32 " does not match begin prepare of %" PRIu32,
				t.xid, p->xid);
		p->state = P_PREPARED;
		d->in_prepare = false;
		d->prep_cur = NULL;
		return true;
	}
	if (block_open(d))
		return fail(d, "two-phase message inside an open transaction");
	switch (type)
	{
		case 'b':
			/* a re-sent prepare replaces what we kept under its gid */
			p = pending_by_gid(d, t.gid, t.gidlen);
			if (p != NULL)
				pending_drop(d, p);
			p = pending_new(d, t.xid, P_PREPARING, wal_start);
			p->gid = xstrndup(t.gid, t.gidlen);
			p->schema_applied = true;
			d->in_prepare = true;
			d->prep_cur = p;
			return true;
		case 'p':
			p = pending_by_xid(d, t.xid, P_STREAMING);
			if (p == NULL)
				return fail(d, "stream prepare of unknown transaction %" PRIu32, t.xid);
			{
				pending *old = pending_by_gid(d, t.gid, t.gidlen);

				if (old != NULL)
					pending_drop(d, old);
			}
			p->gid = xstrndup(t.gid, t.gidlen);
			p->state = P_PREPARED;
			return spool_apply_schema(d, p);
		case 'K':
			p = pending_by_gid(d, t.gid, t.gidlen);
			if (p == NULL)
				return fail(d,
							"commit prepared of unknown transaction %" PRIu32
							" gid \"%.*s\" (its prepare was not received)",
							t.xid, (int) (t.gidlen > 200 ? 200 : t.gidlen), t.gid);
			if (!replay(d, p, t.xid, t.lsn, t.end_lsn, t.ts, out, res))
				return false;
			*st = DEC_COMMIT;
			return true;
		default: /* 'r' */
			p = pending_by_gid(d, t.gid, t.gidlen);
			if (p != NULL)
				pending_drop(d, p);
			return true;
	}
}

/* ----------------------------------------------------------------
 * Public interface
 * ---------------------------------------------------------------- */
decoder *
decoder_new(const decoder_opts *opts)
{
	decoder *d = xcalloc(1, sizeof(decoder));

	d->types_gen = 1;

	d->opts = *opts;
	ev_writer_init(&d->w, opts->events ? opts->events : &(ev_opts){0});
	d->opts.events = NULL; /* copied into the writer */
	d->spool_fd = -1;
	return d;
}

void
decoder_free(decoder *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->rels.cap; i++)
		ev_rel_free(d->rels.vals[i]);
	free(d->rels.keys);
	free(d->rels.vals);
	for (size_t i = 0; i < d->types.cap; i++)
		typinfo_free(d->types.vals[i]);
	free(d->types.keys);
	free(d->types.vals);
	while (d->pending)
	{
		pending *p = d->pending;

		d->pending = p->next;
		free(p->gid);
		free(p->aborted);
		free(p);
	}
	if (d->spool_fd >= 0)
		close(d->spool_fd);
	free(d->txn.t.origin);
	ev_writer_free(&d->w);
	free(d->rbuf);
	free(d->oldt.cols);
	free(d->newt.cols);
	free(d->relmsg.cols);
	free(d);
}

const char *
decoder_error(const decoder *d)
{
	return d->err;
}

size_t
decoder_pending(const decoder *d, uint64_t *oldest)
{
	size_t n = 0;
	uint64_t min = 0;

	for (const pending *p = d->pending; p; p = p->next)
	{
		if (n == 0 || p->first_lsn < min)
			min = p->first_lsn;
		n++;
	}
	if (oldest)
		*oldest = min;
	return n;
}

dec_status
decoder_feed(decoder *d, const unsigned char *msg, size_t len, uint64_t wal_start, uint64_t wal_end,
			 strbuf *out, dec_result *res)
{
	dec_result dummy;
	dec_status st = DEC_OK;
	size_t save = out->len;
	pgo_reader r = reader(d, msg, len, 1);
	bool ok;

	if (res == NULL)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	d->err[0] = '\0';
	d->wire_err[0] = '\0';
	d->replaying = false;
	d->ackpoint = 0;
	d->cur_lsn = wal_start;
	d->cur_type = len ? msg[0] : 0;
	if (len == 0)
	{
		char lsn[LSN_BUFLEN];

		snprintf(d->err, sizeof(d->err), "empty pgoutput message at %s",
				 lsn_format(wal_start, lsn));
		res->in_txn = d->txn.open || d->in_prepare;
		return DEC_ERROR;
	}

	switch (msg[0])
	{
		case 'B':
			ok = handle_begin(d, &r, wal_start, out);
			break;
		case 'C':
			ok = handle_commit(d, &r, out, res);
			if (ok)
				st = DEC_COMMIT;
			break;
		case 'O':
		case 'R':
		case 'Y':
		case 'I':
		case 'U':
		case 'D':
		case 'T':
		case 'M':
			ok = handle_data(d, &r, wal_start, wal_end, out);
			if (ok && d->ackpoint)
			{
				st = DEC_COMMIT;
				res->end_lsn = res->commit_lsn = d->ackpoint;
			}
			break;
		case 'S':
			ok = need_version(d, 2) && handle_stream_start(d, &r, wal_start);
			break;
		case 'E':
			ok = need_version(d, 2) && handle_stream_stop(d, &r);
			break;
		case 'c':
			ok = need_version(d, 2) && handle_stream_commit(d, &r, out, res);
			if (ok)
				st = DEC_COMMIT;
			break;
		case 'A':
			ok = need_version(d, 2) && handle_stream_abort(d, &r);
			break;
		case 'b':
		case 'P':
		case 'K':
		case 'r':
			ok = need_version(d, 3) && handle_twophase(d, &r, wal_start, out, res, &st);
			break;
		case 'p':
			ok = need_version(d, 3) && handle_twophase(d, &r, wal_start, out, res, &st);
			break;
		default:
			ok = fail(d, "unknown message type");
			break;
	}
	if (!ok)
	{
		/* the wire parser says what was wrong; the decoder where */
		if (d->err[0] == '\0')
			fail(d, "%s", d->wire_err);
		/* never leave a partial line behind */
		out->len = save;
		if (out->data)
			out->data[save] = '\0';
		st = DEC_ERROR;
		memset(res, 0, sizeof(*res));
	}
	res->in_txn = d->txn.open || d->in_prepare;
	return st;
}
