/*
 * proto.c
 *	pgoutput wire messages into structs (see proto.h).  Byte offsets
 *	count from the type byte p[0].
 */
#include <string.h>

#include "proto.h"

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

int
proto_read_begin(const unsigned char *p, size_t n, proto_begin *b)
{
	/* B, final_lsn(1..8), commit_time(9..16), xid(17..20) */
	if (n < 21 || p[0] != 'B')
		return -1;
	b->final_lsn = proto_get64(p + 1);
	b->commit_time = (int64_t) proto_get64(p + 9);
	b->xid = proto_get32(p + 17);
	return 0;
}

int
proto_read_commit(const unsigned char *p, size_t n, proto_commit *c)
{
	size_t off = 1;

	memset(c, 0, sizeof(*c));
	if (n < 1)
		return -1;
	c->type = (char) p[0];
	switch (p[0])
	{
		case 'C': /* C, flags(1), commit_lsn(2..9), end_lsn(10..17), commit_time(18..25) */
			break;
		case 'c': /* c, xid(1..4), then as C from byte 5 */
			if (n < 5)
				return -1;
			c->xid = proto_get32(p + 1);
			off = 5;
			break;
		case 'K': /* as C, then xid(26..29), gid(30..) NUL-terminated */
			break;
		default:
			return -1;
	}
	if (n < off + 25)
		return -1;
	c->flags = p[off];
	if (c->flags != 0)
		return -1;
	c->commit_lsn = proto_get64(p + off + 1);
	c->end_lsn = proto_get64(p + off + 9);
	c->commit_time = (int64_t) proto_get64(p + off + 17);
	if (p[0] == 'K')
	{
		const unsigned char *nul;

		if (n < 30)
			return -1;
		c->xid = proto_get32(p + 26);
		nul = memchr(p + 30, '\0', n - 30);
		if (nul == NULL)
			return -1;
		c->gid = (const char *) (p + 30);
		c->gid_len = (size_t) (nul - (p + 30));
	}
	return 0;
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
