/*
 * lsn.c
 *	LSN parsing and formatting.
 */
#include "fmt.h"
#include "hex.h"
#include "lsn.h"

/* Parse 1 to 8 hex digits ending at stop; returns the end or NULL. */
static const char *
parse_half(const char *s, char stop, uint32_t *out)
{
	uint32_t v = 0;
	int n = 0;

	for (; *s != stop; s++, n++)
	{
		int d = hex_digit(*s);

		if (d < 0 || n == 8)
			return NULL;
		v = (v << 4) | (uint32_t) d;
	}
	if (n == 0)
		return NULL;
	*out = v;
	return s;
}

int
lsn_parse(const char *s, uint64_t *lsn)
{
	uint32_t hi, lo;

	if ((s = parse_half(s, '/', &hi)) == NULL)
		return -1;
	if (parse_half(s + 1, '\0', &lo) == NULL)
		return -1;
	*lsn = ((uint64_t) hi << 32) | lo;
	return 0;
}

char *
lsn_format(uint64_t lsn, char *buf)
{
	buf[fmt_lsn(lsn, buf)] = '\0';
	return buf;
}
