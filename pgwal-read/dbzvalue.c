/* dbzvalue.c: placeholder until the converters land. */
#include <string.h>

#include "dbzvalue.h"

int
dbz_mode_set(dbz_modes *m, const char *property, const char *value)
{
	(void) m;
	(void) property;
	(void) value;
	return -1;
}

int
dbz_value(strbuf *out, uint32_t typid, int32_t typmod, const char *text, size_t len,
		  const dbz_modes *m, const char **err)
{
	(void) typid;
	(void) typmod;
	(void) m;
	(void) err;
	json_string(out, text, len);
	return 1;
}
