/*
 * fuzz_dbzvalue.c
 *	libFuzzer harness for Debezium's value converters (dbzvalue.h).
 *
 *	Input: two bytes choosing the type (from a list of every type the
 *	converters know, arrays included) and the modes, then the text.
 *	Invariants: a converter either appends nothing and says why, or
 *	appends one valid JSON value.
 */
#include <stdlib.h>
#include <string.h>

#include "dbzvalue.h"
#include "jsonscan.h"
#include "values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t types[] = {
	16,    17,   18,   19,   20,   21,   23,   25,   26,   114,  142,  600,
	650,   700,  701,  790,  829,  869,  1042, 1043, 1082, 1083, 1114, 1184,
	1186,  1266, 1560, 1562, 1700, 2950, 3802, 3904, 1000, 1001, 1005, 1007,
	1009,  1016, 1021, 1022, 1115, 1182, 1183, 1185, 1231, 1270, 3807, VALUE_TEXT_ARRAY,
	16400,
};
static const int32_t typmods[] = {-1, 0, 1, 3, 6, (10 << 16 | 2) + 4, (5 << 16) + 4, 8};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	strbuf out = STRBUF_INIT;
	dbz_modes m = {0};
	const char *err = NULL;
	char *text;
	int rc;
	uint32_t typid;
	int32_t typmod;

	if (size < 2)
		return 0;
	typid = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	typmod = typmods[(data[0] >> 6 | (data[1] & 4) >> 1) % (sizeof(typmods) / sizeof(typmods[0]))];
	m.decimal = (dbz_decimal) (data[1] % 3);
	m.time = (dbz_time) ((data[1] >> 3) % 3);
	m.binary = (dbz_binary) ((data[1] >> 5) % 3);
	m.snapshot = (data[1] & 0x80) != 0;
	text = malloc(size - 2 + 1);
	memcpy(text, data + 2, size - 2);
	rc = dbz_value(&out, typid, typmod, "ecdrmb"[data[1] % 6], text, size - 2, &m, &err);
	if (rc < 0 && (out.len != 0 || err == NULL))
		abort(); /* a refusal appends nothing and says why */
	if (rc == 0 && out.len != 0)
		abort();
	if (rc > 0 && json_validate(out.data, out.len, NULL) != 0)
		abort(); /* one valid JSON value */
	free(text);
	strbuf_free(&out);
	return 0;
}
