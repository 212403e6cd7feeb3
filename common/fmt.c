/*
 * fmt.c
 *	Number and time formatting without the printf family; see fmt.h.
 */
#include <string.h>

#include "fmt.h"

static const char digits2[] = "00010203040506070809"
							  "10111213141516171819"
							  "20212223242526272829"
							  "30313233343536373839"
							  "40414243444546474849"
							  "50515253545556575859"
							  "60616263646566676869"
							  "70717273747576777879"
							  "80818283848586878889"
							  "90919293949596979899";

size_t
fmt_u64(uint64_t v, char *buf)
{
	char tmp[FMT_U64_MAX];
	char *p = tmp + sizeof(tmp);
	size_t n;

	while (v >= 100)
	{
		unsigned d = (unsigned) (v % 100);

		v /= 100;
		p -= 2;
		memcpy(p, digits2 + 2 * d, 2);
	}
	if (v >= 10)
	{
		p -= 2;
		memcpy(p, digits2 + 2 * v, 2);
	}
	else
		*--p = (char) ('0' + v);
	n = (size_t) (tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	return n;
}

/* v in upper-case hex, no leading zeros ("%X") */
static size_t
fmt_hex32(uint32_t v, char *buf)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 1;

	for (uint32_t t = v >> 4; t != 0; t >>= 4)
		n++;
	for (size_t i = n; i > 0; i--, v >>= 4)
		buf[i - 1] = hex[v & 15];
	return n;
}

size_t
fmt_lsn(uint64_t lsn, char *buf)
{
	size_t n = fmt_hex32((uint32_t) (lsn >> 32), buf);

	buf[n++] = '/';
	return n + fmt_hex32((uint32_t) lsn, buf + n);
}

/* v (0..99) as two digits */
static char *
put2(char *p, int64_t v)
{
	memcpy(p, digits2 + 2 * v, 2);
	return p + 2;
}

void
fmt_civil(int64_t days, int64_t *y, int64_t *m, int64_t *d)
{
	/* H. Hinnant's algorithm */
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	if (*m <= 2)
		(*y)++;
}

int64_t
fmt_days(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

size_t
fmt_pg_ts_json(int64_t us, char *buf)
{
	const int64_t day_us = INT64_C(86400000000);
	int64_t days, rem, y, dd, mm, secs, frac;
	char *p = buf;

	if (us == INT64_MAX)
	{
		memcpy(buf, "\"infinity\"", 10);
		return 10;
	}
	if (us == INT64_MIN)
	{
		memcpy(buf, "\"-infinity\"", 11);
		return 11;
	}
	days = us / day_us;
	rem = us % day_us;
	if (rem < 0)
	{
		rem += day_us;
		days--;
	}
	fmt_civil(days + 10957, &y, &mm, &dd);
	secs = rem / 1000000;
	frac = rem % 1000000;

	*p++ = '"';
	/* "%04" PRId64: zero-padded to four characters, the sign included */
	if (y >= 0 && y <= 9999)
	{
		p = put2(p, y / 100);
		p = put2(p, y % 100);
	}
	else
	{
		uint64_t a = y < 0 ? (uint64_t) 0 - (uint64_t) y : (uint64_t) y;
		char tmp[FMT_U64_MAX];
		size_t n = fmt_u64(a, tmp);

		if (y < 0)
			*p++ = '-';
		for (size_t w = n + (y < 0); w < 4; w++)
			*p++ = '0';
		memcpy(p, tmp, n);
		p += n;
	}
	*p++ = '-';
	p = put2(p, mm);
	*p++ = '-';
	p = put2(p, dd);
	*p++ = 'T';
	p = put2(p, secs / 3600);
	*p++ = ':';
	p = put2(p, secs / 60 % 60);
	*p++ = ':';
	p = put2(p, secs % 60);
	*p++ = '.';
	p = put2(p, frac / 10000);
	p = put2(p, frac / 100 % 100);
	p = put2(p, frac % 100);
	*p++ = 'Z';
	*p++ = '"';
	return (size_t) (p - buf);
}
