/*
 * dbztime.c
 *	Dates, times and intervals as Debezium 3.6 writes them (dbztime.h),
 *	rule by rule from tests/fixtures/debezium/README.
 */
#include <string.h>

#include "dbztime.h"
#include "event_dbz.h"
#include "fmt.h"

/* ----------------------------------------------------------------
 * Dates and times
 * ---------------------------------------------------------------- */

/* digits at s[*i..] as a number; false if none */
static bool
num(const char *s, size_t n, size_t *i, int64_t *v, int *ndigits)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && *i - start < 18)
		*v = *v * 10 + (s[(*i)++] - '0');
	if (ndigits)
		*ndigits = (int) (*i - start);
	return *i > start;
}

/* "YYYY-MM-DD[ BC]" at s[*i..]: days since the epoch */
static bool
parse_date(const char *s, size_t n, size_t *i, int64_t *days, bool *bc)
{
	int64_t y, mo, d;

	if (!num(s, n, i, &y, NULL) || *i >= n || s[(*i)++] != '-' || !num(s, n, i, &mo, NULL) ||
		*i >= n || s[(*i)++] != '-' || !num(s, n, i, &d, NULL) || mo < 1 || mo > 12 || d < 1 ||
		d > 31 || y > 10000000)
		return false;
	*bc = n - *i >= 3 && memcmp(s + n - 3, " BC", 3) == 0;
	*days = fmt_days(*bc ? 1 - y : y, (int) mo, (int) d);
	return true;
}

/* "HH:MM:SS[.ffffff]" at s[*i..]: microseconds since midnight */
static bool
parse_time(const char *s, size_t n, size_t *i, int64_t *us)
{
	int64_t h, mi, se, f = 0;
	int nd = 0;

	if (!num(s, n, i, &h, NULL) || *i >= n || s[(*i)++] != ':' || !num(s, n, i, &mi, NULL) ||
		*i >= n || s[(*i)++] != ':' || !num(s, n, i, &se, NULL))
		return false;
	if (*i < n && s[*i] == '.')
	{
		(*i)++;
		if (!num(s, n, i, &f, &nd) || nd > 6)
			return false;
		for (; nd < 6; nd++)
			f *= 10;
	}
	/* an interval's hours go up to 2562047788; more cannot be a value */
	if (h > INT64_C(2562047788) || mi > 59 || se > 60)
		return false;
	*us = ((h * 60 + mi) * 60 + se) * 1000000 + f;
	return true;
}

/* "+HH[:MM[:SS]]" or "-..." at s[*i..]: seconds east of UTC */
static bool
parse_offset(const char *s, size_t n, size_t *i, int64_t *secs)
{
	int sign;
	int64_t h, mi = 0, se = 0;

	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return false;
	sign = s[(*i)++] == '-' ? -1 : 1;
	if (!num(s, n, i, &h, NULL))
		return false;
	if (*i < n && s[*i] == ':' && (++*i, !num(s, n, i, &mi, NULL)))
		return false;
	if (*i < n && s[*i] == ':' && (++*i, !num(s, n, i, &se, NULL)))
		return false;
	if (h > 99 || mi > 59 || se > 59)
		return false;
	*secs = sign * (h * 3600 + mi * 60 + se);
	return true;
}

/* time(p), timestamp(p): milliseconds for p <= 3 in the adaptive mode */
static bool
in_millis(int32_t typmod, bool is_time, const dbz_modes *m)
{
	if (m->time == DBZ_TIME_CONNECT)
		return true;
	if (m->time == DBZ_TIME_ADAPTIVE_MICRO && is_time)
		return false;
	return typmod >= 0 && typmod <= 3;
}

/* hh:mm:ss of secs (under 100 hours) into b; returns 8 */
static int
put_hms(char *b, int64_t secs)
{
	b[0] = (char) ('0' + secs / 36000 % 10);
	b[1] = (char) ('0' + secs / 3600 % 10);
	b[2] = ':';
	b[3] = (char) ('0' + secs / 600 % 6);
	b[4] = (char) ('0' + secs / 60 % 10);
	b[5] = ':';
	b[6] = (char) ('0' + secs / 10 % 6);
	b[7] = (char) ('0' + secs % 10);
	return 8;
}

/* hh:mm:ss[.fraction without trailing zeros]Z */
static void
put_clock(strbuf *out, int64_t us)
{
	char b[24];
	int k = put_hms(b, us / 1000000);
	int64_t f = us % 1000000;

	if (f > 0)
	{
		int nd = 6;

		while (f % 10 == 0)
		{
			f /= 10;
			nd--;
		}
		b[k++] = '.';
		for (int d = nd - 1; d >= 0; d--)
		{
			b[k + d] = (char) ('0' + f % 10);
			f /= 10;
		}
		k += nd;
	}
	strbuf_add(out, b, (size_t) k);
}

int
dbz_put_date(strbuf *out, const char *s, size_t n, const dbz_modes *m)
{
	size_t i = 0;
	int64_t days;
	bool bc;

	/* Debezium's readings of PostgreSQL's infinities, as captured */
	if (n == 8 && memcmp(s, "infinity", 8) == 0)
		dbz_i64(out, m->snapshot ? -622191234 : -2147472692);
	else if (n == 9 && memcmp(s, "-infinity", 9) == 0)
		dbz_i64(out, m->snapshot ? -625821272 : -2147472691);
	else if (!parse_date(s, n, &i, &days, &bc))
		return -1;
	else
	{
		/* the snapshot's JDBC reading loses the era: 4713-01-01 BC as AD */
		if (bc && m->snapshot)
		{
			size_t j = 0;
			bool bc2;

			parse_date(s, n - 3, &j, &days, &bc2);
		}
		dbz_i64(out, days);
	}
	return 1;
}

int
dbz_put_time(strbuf *out, const char *s, size_t n, int32_t typmod, const dbz_modes *m, bool elem)
{
	size_t i = 0;
	int64_t us;

	if (!parse_time(s, n, &i, &us) || i != n)
		return -1;
	if (elem && m->time != DBZ_TIME_CONNECT)
		dbz_i64(out, us / 1000 * 1000); /* time[]: microseconds cut to milliseconds */
	else
		dbz_i64(out, in_millis(typmod, true, m) ? us / 1000 : us);
	return 1;
}

int
dbz_put_timetz(strbuf *out, const char *s, size_t n)
{
	size_t i = 0;
	int64_t us, off;
	const int64_t day = INT64_C(86400000000);

	if (!parse_time(s, n, &i, &us) || !parse_offset(s, n, &i, &off) || i != n)
		return -1;
	us = ((us - off * 1000000) % day + day) % day;
	strbuf_putc(out, '"');
	put_clock(out, us);
	strbuf_puts(out, "Z\"");
	return 1;
}

/* "YYYY-MM-DD HH:MM:SS[.f][+HH[:MM]][ BC]": microseconds since the epoch */
static bool
parse_timestamp(const char *s, size_t n, bool tz, int64_t *us, int64_t *ms)
{
	size_t i = 0;
	int64_t days, t, off = 0;
	bool bc;

	if (!parse_date(s, n, &i, &days, &bc) || i >= n || s[i++] != ' ' || !parse_time(s, n, &i, &t))
		return false;
	if (tz && !parse_offset(s, n, &i, &off))
		return false;
	if (bc)
		i += 3;
	if (i != n)
		return false;
	{
		/* years past 294276 do not fit: clamped (the milliseconds stay exact) */
		__int128 v = (__int128) days * INT64_C(86400000000) + t - (__int128) off * 1000000;

		*us = v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t) v;
		if (ms != NULL)
			*ms = (int64_t) ((v - (((v % 1000) + 1000) % 1000)) / 1000);
	}
	return true;
}

int
dbz_put_timestamp(strbuf *out, const char *s, size_t n, int32_t typmod, const dbz_modes *m)
{
	bool ms = in_millis(typmod, false, m);
	int64_t us, msv;

	if (n == 8 && memcmp(s, "infinity", 8) == 0)
		dbz_i64(out, ms ? INT64_C(9223372036825200) : INT64_C(9223372036825200000));
	else if (n == 9 && memcmp(s, "-infinity", 9) == 0)
		dbz_i64(out, ms ? INT64_C(-9223372036832400) : INT64_C(-9223372036832400000));
	else if (!parse_timestamp(s, n, false, &us, &msv))
		return -1;
	else
		dbz_i64(out, ms ? msv : us);
	return 1;
}

/* ISO 8601 in UTC with the column's precision: "2024-02-29T13:14:15.123456Z" */
int
dbz_put_timestamptz(strbuf *out, const char *s, size_t n, int32_t typmod)
{
	int64_t us, days, secs, f, y, d, mo;
	int prec = typmod >= 0 && typmod <= 6 ? typmod : 6;
	char b[48];
	int k = 0;

	if ((n == 8 && memcmp(s, "infinity", 8) == 0) || (n == 9 && memcmp(s, "-infinity", 9) == 0))
	{
		dbz_json_string(out, s, n);
		return 1;
	}
	if (!parse_timestamp(s, n, true, &us, NULL))
		return -1;
	days = us / INT64_C(86400000000) - (us % INT64_C(86400000000) < 0);
	{
		/* in 128 bits: days * a day may pass the ends of 64 */
		__int128 rest = (__int128) us - (__int128) days * INT64_C(86400000000);

		secs = (int64_t) (rest / 1000000);
		f = (int64_t) (rest % 1000000);
	}
	fmt_civil(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
	{
		b[k++] = y < 0 ? '-' : '+';
		y = y < 0 ? -y : y;
	}
	{
		char yb[24];
		int yn = 0;
		int64_t yy = y;

		do
		{
			yb[yn++] = (char) ('0' + yy % 10);
			yy /= 10;
		} while (yy > 0);
		while (yn < 4)
			yb[yn++] = '0';
		while (yn > 0)
			b[k++] = yb[--yn];
	}
	b[k++] = '-';
	b[k++] = (char) ('0' + mo / 10);
	b[k++] = (char) ('0' + mo % 10);
	b[k++] = '-';
	b[k++] = (char) ('0' + d / 10);
	b[k++] = (char) ('0' + d % 10);
	b[k++] = 'T';
	k += put_hms(b + k, secs);
	if (prec > 0)
	{
		int64_t div = 100000;

		b[k++] = '.';
		for (int p = 0; p < prec; p++, div /= 10)
			b[k++] = (char) ('0' + f / div % 10);
	}
	b[k++] = 'Z';
	strbuf_putc(out, '"');
	strbuf_add(out, b, (size_t) k);
	strbuf_putc(out, '"');
	return 1;
}

/*
 * interval (IntervalStyle postgres: "1 year 2 mons 3 days 04:05:06.789",
 * "-1 days +00:00:00.000001"): microseconds, a month 30.4375 days
 */
int
dbz_put_interval(strbuf *out, const char *s, size_t n)
{
	size_t i = 0;
	long double total = 0;

	while (i < n)
	{
		int sign = 1;
		int64_t v;
		size_t save;

		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		save = i;
		if (s[i] == '-' || s[i] == '+')
			sign = s[i++] == '-' ? -1 : 1;
		if (i + 2 < n && s[i + 2] == ':')
		{
			int64_t us;

			if (!parse_time(s, n, &i, &us))
				return -1;
			total += (long double) sign * us;
			continue;
		}
		if (!num(s, n, &i, &v, NULL) || i >= n || s[i] != ' ')
			return -1;
		i++;
		if (n - i >= 4 && memcmp(s + i, "year", 4) == 0)
			total += (long double) sign * v * 12 * 2629800 * 1000000.0L;
		else if (n - i >= 3 && memcmp(s + i, "mon", 3) == 0)
			total += (long double) sign * v * 2629800 * 1000000.0L;
		else if (n - i >= 3 && memcmp(s + i, "day", 3) == 0)
			total += (long double) sign * v * 86400 * 1000000.0L;
		else
			return -1;
		while (i < n && s[i] != ' ')
			i++;
		(void) save;
	}
	if (total >= 9223372036854775807.0L)
		dbz_i64(out, INT64_MAX);
	else if (total <= -9223372036854775808.0L)
		dbz_i64(out, INT64_MIN);
	else
		dbz_i64(out, (int64_t) total);
	return 1;
}
