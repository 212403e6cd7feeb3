/*
 * fuzz_pgoutput.c
 *	libFuzzer harness for the pgoutput wire parsers alone (pgoutput.h).
 *
 *	Input: one byte choosing the protocol version and whether the message
 *	carries a leading xid (streamed), then one message (type byte first).
 *	Every parser that takes that type is run on an exact-size copy.
 *	Invariants: a parser that fails says why; one that succeeds consumed
 *	the message exactly and every pointer it set lies inside it.
 */
#include <stdlib.h>
#include <string.h>

#include "pgoutput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const unsigned char *msg, size_t len, const void *p, size_t n)
{
	const unsigned char *q = p;

	if (n > 0 && (q < msg || q + n > msg + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pgo_relation rel;
	static pgo_tuple oldt, newt;
	char err[512];
	unsigned char *msg;
	size_t len;
	int proto;
	bool has_xid, ok = false;
	pgo_reader r;

	if (size < 2)
		return 0;
	proto = 1 + data[0] % 4;
	has_xid = (data[0] & 4) != 0;
	len = size - 1;
	msg = malloc(len);
	memcpy(msg, data + 1, len);
	err[0] = '\0';
	r = (pgo_reader){msg, len, 1, err, sizeof(err)};
	switch (msg[0])
	{
		case 'R':
			ok = pgo_parse_relation(&r, has_xid, &rel);
			for (int i = 0; ok && i < rel.ncols; i++)
				inside(msg, len, rel.cols[i].name, rel.cols[i].namelen + 1);
			break;
		case 'Y':
		{
			pgo_type t;

			ok = pgo_parse_type(&r, has_xid, &t);
			if (ok)
				inside(msg, len, t.name, t.namelen + 1);
			break;
		}
		case 'I':
		case 'U':
		case 'D':
		{
			pgo_change c;

			ok = pgo_parse_change(&r, has_xid, &c, &oldt, &newt);
			for (int i = 0; ok && c.newt && i < c.newt->ncols; i++)
				inside(msg, len, c.newt->cols[i].val, c.newt->cols[i].len);
			for (int i = 0; ok && c.oldt && i < c.oldt->ncols; i++)
				inside(msg, len, c.oldt->cols[i].val, c.oldt->cols[i].len);
			break;
		}
		case 'T':
		{
			pgo_truncate t;

			ok = pgo_parse_truncate(&r, has_xid, &t);
			if (ok)
				inside(msg, len, t.relids, (size_t) t.nrels * 4);
			for (uint32_t i = 0; ok && i < t.nrels; i++)
				(void) pgo_truncate_relid(&t, i);
			break;
		}
		case 'M':
		{
			pgo_message m;

			ok = pgo_parse_message(&r, has_xid, &m);
			if (ok)
				inside(msg, len, m.content, m.len);
			break;
		}
		case 'O':
		{
			const char *name;
			size_t n;

			ok = pgo_parse_origin(&r, &name, &n);
			break;
		}
		case 'B':
		{
			pgo_begin b;

			ok = pgo_parse_begin(&r, &b);
			break;
		}
		case 'C':
		{
			pgo_commit c;

			ok = pgo_parse_commit(&r, &c);
			break;
		}
		case 'S':
		{
			pgo_stream_start s;

			ok = pgo_parse_stream_start(&r, &s);
			break;
		}
		case 'E':
			ok = pgo_parse_stream_stop(&r);
			break;
		case 'c':
		{
			pgo_commit c;

			ok = pgo_parse_stream_commit(&r, &c);
			break;
		}
		case 'A':
		{
			pgo_stream_abort a;

			ok = pgo_parse_stream_abort(&r, proto, &a);
			break;
		}
		case 'b':
		case 'P':
		case 'p':
		case 'K':
		case 'r':
		{
			pgo_twophase t;

			ok = pgo_parse_twophase(&r, &t);
			if (ok)
				inside(msg, len, t.gid, t.gidlen + 1);
			break;
		}
		default:
			free(msg);
			return 0;
	}
	if (!ok && err[0] == '\0')
		abort(); /* a failure says why */
	if (ok && r.off != len && msg[0] != 'A')
		abort(); /* a success consumed the message */
	free(msg);
	return 0;
}
