/*
 * fuzz_ckpt.c
 *	libFuzzer target for the checkpoint (ack) file reader, ckpt_parse().
 *
 *	Invariants checked beyond memory safety: a file that parses gives a
 *	slot name that fits and is NUL-terminated, and writing the parsed
 *	record back in the canonical form parses to the same record.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "log.h"
#include "lsn.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ckpt c, again;
	strbuf body = STRBUF_INIT;
	char lsn[LSN_BUFLEN];

	log_verbosity = -1;
	if (ckpt_parse((const char *) data, size, "fuzz", &c) != 0)
		return 0;
	if (memchr(c.slot, '\0', sizeof(c.slot)) == NULL)
		abort();
	strbuf_printf(&body, "%s\n", lsn_format(c.lsn, lsn));
	if (c.slot[0])
		strbuf_printf(&body, "slot %s\n", c.slot);
	if (c.sysid)
		strbuf_printf(&body, "system %" PRIu64 "\n", c.sysid);
	if (ckpt_parse(body.data, body.len, "fuzz", &again) != 0 || again.lsn != c.lsn ||
		again.sysid != c.sysid || strcmp(again.slot, c.slot) != 0)
		abort();
	strbuf_free(&body);
	return 0;
}
