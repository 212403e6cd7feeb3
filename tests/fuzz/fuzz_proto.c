/*
 * fuzz_proto.c
 *	libFuzzer target for the pgoutput message readers (proto.c).
 *
 *	Invariants checked beyond memory safety: a message that reads gives a
 *	gid inside the input and NUL-terminated there, and the peeked commit
 *	LSN is the one the full reader gives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgoutput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	proto_begin b;
	proto_commit c;
	uint64_t peek = 0;
	bool peeked = proto_peek_commit_lsn(data, size, &peek);

	(void) proto_is_plain_message(data, size);
	if (proto_read_begin(data, size, &b) == 0 && (!peeked || peek != b.final_lsn))
		abort();
	if (proto_read_commit(data, size, &c) == 0)
	{
		if (c.flags != 0 || (char) data[0] != c.type)
			abort();
		if (c.type != 'C' && (!peeked || peek != c.commit_lsn))
			abort();
		if (c.gid &&
			((const uint8_t *) c.gid < data || (const uint8_t *) c.gid + c.gid_len >= data + size ||
			 c.gid[c.gid_len] != '\0'))
			abort();
	}
	return 0;
}
