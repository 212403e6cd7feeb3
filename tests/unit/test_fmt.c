/*
 * test_fmt.c
 *	The printf-free formatters of the per-event path, each against what
 *	printf or gmtime_r print for the same value; json_string's fast path
 *	against a byte-at-a-time reference; and value_is_string_type against
 *	value_to_json itself.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "lsn.h"
#include "strbuf.h"
#include "tap.h"
#include "values.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
next_rand(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static int
check_u64(uint64_t v)
{
	char got[FMT_U64_MAX + 1], want[32];

	got[fmt_u64(v, got)] = '\0';
	snprintf(want, sizeof(want), "%" PRIu64, v);
	if (strcmp(got, want) != 0)
	{
		printf("# u64 %s: got %s\n", want, got);
		return 0;
	}
	return 1;
}

static int
check_lsn(uint64_t v)
{
	char got[LSN_BUFLEN], want[32];

	got[fmt_lsn(v, got)] = '\0';
	snprintf(want, sizeof(want), "%X/%X", (unsigned) (v >> 32), (unsigned) v);
	if (strcmp(got, want) != 0 || strcmp(lsn_format(v, got), want) != 0)
	{
		printf("# lsn %s: got %s\n", want, got);
		return 0;
	}
	return 1;
}

/* what the printf version printed: gmtime_r of the whole seconds */
static int
check_ts(int64_t us)
{
	char got[FMT_TS_MAX + 1], want[64];
	int64_t secs = us / 1000000, frac = us % 1000000;
	time_t t;
	struct tm tm;

	if (us == INT64_MAX)
		strcpy(want, "\"infinity\"");
	else if (us == INT64_MIN)
		strcpy(want, "\"-infinity\"");
	else
	{
		if (frac < 0)
		{
			frac += 1000000;
			secs--;
		}
		t = (time_t) (secs + INT64_C(946684800)); /* 2000-01-01 in Unix time */
		if (gmtime_r(&t, &tm) == NULL)
			return ok(0, "gmtime_r of %" PRId64, us);
		snprintf(want, sizeof(want), "\"%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z\"",
				 (int64_t) tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
				 tm.tm_sec, frac);
	}
	got[fmt_pg_ts_json(us, got)] = '\0';
	if (strcmp(got, want) != 0)
	{
		printf("# ts %" PRId64 ": got %s, expected %s\n", us, got, want);
		return 0;
	}
	return 1;
}

/* json_string as it was, one byte at a time: the reference */
static void
json_string_ref(strbuf *sb, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_putc(sb, '"');
	for (size_t i = 0; i < n;)
	{
		unsigned char c = s[i];
		int k;

		if (c == '"' || c == '\\')
		{
			strbuf_putc(sb, '\\');
			strbuf_putc(sb, (char) c);
		}
		else if (c == '\n')
			strbuf_puts(sb, "\\n");
		else if (c == '\r')
			strbuf_puts(sb, "\\r");
		else if (c == '\t')
			strbuf_puts(sb, "\\t");
		else if (c == '\b')
			strbuf_puts(sb, "\\b");
		else if (c == '\f')
			strbuf_puts(sb, "\\f");
		else if (c < 0x20)
		{
			char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};

			strbuf_puts(sb, u);
		}
		else if (c < 0x80)
			strbuf_putc(sb, (char) c);
		else if ((k = utf8_seqlen(s + i, n - i)) == 0)
			strbuf_puts(sb, "\xEF\xBF\xBD");
		else
		{
			strbuf_add(sb, s + i, (size_t) k);
			i += (size_t) k;
			continue;
		}
		i++;
	}
	strbuf_putc(sb, '"');
}

int
main(void)
{
	static const uint64_t u64s[] = {0,
									1,
									9,
									10,
									99,
									100,
									101,
									999,
									1000,
									4294967295u,
									4294967296u,
									UINT64_C(9999999999999999999),
									UINT64_C(10000000000000000000),
									UINT64_MAX - 1,
									UINT64_MAX};
	static const uint64_t lsns[] = {0,
									1,
									0xF,
									0x10,
									0xFFFFFFFF,
									UINT64_C(0x100000000),
									UINT64_C(0x1FFFFFFFF),
									UINT64_C(0xABCDEF0012345678),
									UINT64_C(0xFFFFFFFF00000000),
									UINT64_MAX};
	/* microseconds since 2000-01-01 */
	static const int64_t tss[] = {
		0,
		1,
		-1,
		999999,
		1000000,
		-1000000,
		-1000001,
		INT64_C(-946684800000000),        /* 1970-01-01 */
		INT64_C(-946684800000001),        /* 1969-12-31T23:59:59.999999 */
		INT64_C(5097600000000),           /* 2000-02-29 */
		INT64_C(5184000000000) - 1,       /* 2000-02-29T23:59:59.999999 */
		INT64_C(-3155760000000000),       /* 1900-01-01 */
		INT64_C(-3150576000000000),       /* 1900-03-01: 1900 is no leap year */
		INT64_C(131328000000000),         /* 2004-02-29 */
		INT64_C(-63113904000000000),      /* 0000-01-01 */
		INT64_C(-63113904000000000) - 1,  /* -0001-12-31 */
		INT64_C(-211813488000000000),     /* 4713 BC, PostgreSQL's lowest */
		INT64_C(9223371331200000000) - 1, /* PostgreSQL's highest, 294276 */
		INT64_C(252423993600000000),      /* 9999-12-31... and over 10000 */
		INT64_C(252455616000000000),
		INT64_MAX - 1,
		INT64_MIN + 1,
		INT64_MAX,
		INT64_MIN,
	};
	int bad;

	/* integers */
	bad = 0;
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++)
		bad += !check_u64(u64s[i]);
	for (uint64_t p = 1; p != 0 && p <= UINT64_MAX / 10; p *= 10)
		bad += !check_u64(p - 1) + !check_u64(p) + !check_u64(p + 1);
	for (int i = 0; i < 100000; i++)
		bad += !check_u64(next_rand() >> (next_rand() % 64));
	is_int(bad, 0, "fmt_u64 prints what %%" PRIu64 " prints");
	{
		strbuf sb = STRBUF_INIT;

		strbuf_u64(&sb, UINT64_MAX);
		strbuf_u64(&sb, 0);
		is_str(sb.data, "184467440737095516150", "strbuf_u64 appends");
		strbuf_free(&sb);
	}

	/* LSNs: each half on its own */
	bad = 0;
	for (size_t i = 0; i < sizeof(lsns) / sizeof(lsns[0]); i++)
		bad += !check_lsn(lsns[i]);
	for (int sh = 0; sh < 64; sh++)
		bad += !check_lsn(UINT64_C(1) << sh) + !check_lsn((UINT64_C(1) << sh) - 1);
	for (int i = 0; i < 100000; i++)
		bad += !check_lsn(next_rand() >> (next_rand() % 64));
	is_int(bad, 0, "fmt_lsn and lsn_format print what %%X/%%X prints");

	/* timestamps */
	bad = 0;
	for (size_t i = 0; i < sizeof(tss) / sizeof(tss[0]); i++)
		bad += !check_ts(tss[i]);
	/* every day from 1600 to 2400, at a random time of day */
	for (int64_t d = -146097; d <= 146097; d++)
		bad +=
			!check_ts(d * INT64_C(86400000000) + (int64_t) (next_rand() % UINT64_C(86400000000)));
	for (int i = 0; i < 200000; i++)
		bad += !check_ts((int64_t) next_rand());
	is_int(bad, 0, "fmt_pg_ts_json prints what gmtime_r and printf print");
	{
		char b[FMT_TS_MAX + 1];

		b[fmt_pg_ts_json(0, b)] = '\0';
		is_str(b, "\"2000-01-01T00:00:00.000000Z\"", "the epoch");
		b[fmt_pg_ts_json(INT64_C(-63113904000000000) - 1, b)] = '\0';
		is_str(b, "\"-001-12-31T23:59:59.999999Z\"", "a negative year as %%04d writes it");
	}

	/* json_string: every kind of byte, at every offset of a 16-byte block */
	{
		static const unsigned char kinds[] = {'a',  ' ',  '~',  0x7F, '"',  '\\', '\n', '\t',
											  0x01, 0x1F, 0x00, 0x80, 0xC3, 0xA9, 0xE2, 0x82,
											  0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF, 0xED, 0xA0};
		unsigned char s[80];
		strbuf got = STRBUF_INIT, want = STRBUF_INIT;

		bad = 0;
		for (int i = 0; i < 200000; i++)
		{
			size_t n = next_rand() % sizeof(s);
			int plain = (int) (next_rand() % 4); /* mostly plain, sometimes not */

			for (size_t j = 0; j < n; j++)
				s[j] = next_rand() % 8 < (uint64_t) plain * 2 + 1
						   ? (unsigned char) ('0' + next_rand() % 64)
						   : kinds[next_rand() % sizeof(kinds)];
			strbuf_reset(&got);
			strbuf_reset(&want);
			json_string(&got, (const char *) s, n);
			json_string_ref(&want, s, n);
			if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
			{
				if (bad++ == 0)
					printf("# json_string of %zu bytes: got %s, expected %s\n", n, got.data,
						   want.data);
			}
		}
		is_int(bad, 0, "json_string escapes like the byte-at-a-time reference");
		strbuf_free(&got);
		strbuf_free(&want);
	}

	/* a column resolved as a string type must write what value_to_json writes */
	{
		static const char *const samples[] = {"1",   "-2.5", "t",   "f", "{1,2}", "{\"a\":1}",
											  "[1]", "abc",  "NaN", "",  "{}",    "null"};
		strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		int nstring = 0;

		bad = 0;
		for (uint32_t typid = 0; typid <= 7000; typid++)
		{
			if (!value_is_string_type(typid))
				continue;
			nstring++;
			for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
			{
				strbuf_reset(&a);
				strbuf_reset(&b);
				value_to_json(&a, typid, samples[i], strlen(samples[i]));
				json_string(&b, samples[i], strlen(samples[i]));
				if (strcmp(a.data, b.data) != 0 && bad++ == 0)
					printf("# type %u, %s: %s\n", typid, samples[i], a.data);
			}
		}
		is_int(bad, 0, "value_is_string_type: value_to_json writes a JSON string");
		ok(!value_is_string_type(23) && !value_is_string_type(1700) &&
			   !value_is_string_type(3802) && !value_is_string_type(1007) &&
			   !value_is_string_type(VALUE_TEXT_ARRAY) && value_is_string_type(25) &&
			   value_is_string_type(1184) && nstring > 6000,
		   "numbers, json, arrays are not string types; text and timestamptz are");
		strbuf_free(&a);
		strbuf_free(&b);
	}
	return done_testing();
}
