/*
 * fuzz_decode.c
 *	libFuzzer harness for the pgoutput decoder.
 *
 *	Input: one byte choosing the protocol version (1 + byte % 4) and the
 *	event format (bit 2: Debezium's), then
 *	messages, each a 2-byte big-endian length and that many bytes.  They
 *	are fed to a fresh decoder in order; feeding goes on after an error so
 *	that odd states are reached too.  Seeds (tests/fuzz/seeds/fuzz_decode)
 *	are the fixtures, converted by tests/fixtures/gen_pgoutput.py --seeds.
 *	Invariants: an error appends nothing, output ends at a line end, and
 *	every line passes json_validate (what kafka-write checks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "event.h"
#include "jsonscan.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_pk(void *arg, uint32_t relid, char ***names)
{
	(void) arg;
	if (relid & 1)
		return -1;
	*names = malloc(sizeof(char *));
	(*names)[0] = strdup("id");
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decoder_opts o = {1, fuzz_pk, NULL, NULL, NULL};
	decoder *d;
	strbuf out = STRBUF_INIT;
	size_t i = 1;
	uint64_t lsn = 0x1000;

	if (size < 1)
		return 0;
	o.proto_version = 1 + data[0] % 4;
	if (data[0] & 4)
		o.events = &(ev_opts){.format = EV_DEBEZIUM, .topic_prefix = "fz", .dbname = "db"};
	d = decoder_new(&o);
	while (i + 2 <= size)
	{
		size_t n = ((size_t) data[i] << 8) | data[i + 1];
		unsigned char *msg;
		size_t before = out.len;
		dec_result res;
		dec_status st;

		i += 2;
		if (n > size - i)
			n = size - i;
		/* an exact-size copy, so that any overread is caught */
		msg = malloc(n ? n : 1);
		memcpy(msg, data + i, n);
		i += n;
		st = decoder_feed(d, msg, n, lsn, lsn + n, &out, &res);
		free(msg);
		lsn += 0x100;
		if (st == DEC_ERROR && out.len != before)
			abort(); /* an error must append nothing */
		if (out.len > 0 && out.data[out.len - 1] != '\n')
			abort(); /* never a partial line */
		/* every line is one kafka-write accepts (strict JSON, any depth) */
		for (size_t at = before; at < out.len;)
		{
			const char *eol = memchr(out.data + at, '\n', out.len - at);

			if (json_validate(out.data + at, (size_t) (eol - (out.data + at)), NULL) != 0)
				abort();
			at = (size_t) (eol - out.data) + 1;
		}
		if (out.len > (1 << 20))
			strbuf_reset(&out);
	}
	strbuf_free(&out);
	decoder_free(d);
	return 0;
}
