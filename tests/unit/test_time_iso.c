/*
 * test_time_iso.c
 *	value_time_iso, the --time-format=iso spelling of timestamptz,
 *	timestamp and timetz values, against hand-computed cases; and
 *	value_to_json with the option off (PostgreSQL's text) and on.
 */
#include <stdint.h>
#include <string.h>

#include "strbuf.h"
#include "tap.h"
#include "values.h"

#define TIMESTAMP   1114
#define TIMESTAMPTZ 1184
#define TIMETZ      1266
#define DATE        1082
#define TIME        1083

/* value_time_iso's output, or "(false)" when it declines */
static const char *
iso(uint32_t typid, const char *s)
{
	static strbuf out = STRBUF_INIT;

	strbuf_reset(&out);
	strbuf_puts(&out, "");
	if (!value_time_iso(&out, typid, s, strlen(s)))
		return out.len == 0 ? "(false)" : "(false, yet appended)";
	return out.data;
}

static const char *
tojson(uint32_t typid, const char *s)
{
	static strbuf out = STRBUF_INIT;

	strbuf_reset(&out);
	strbuf_puts(&out, "");
	value_to_json(&out, typid, s, strlen(s));
	return out.data;
}

int
main(void)
{
	/* timestamptz: fractions of 0 to 6 digits, always written with 6 */
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17+00"), "\"2026-12-02T17:46:17.000000Z\"",
		   "timestamptz, no fraction");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.5+00"), "\"2026-12-02T17:46:17.500000Z\"",
		   "timestamptz, 1 digit");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.04+00"), "\"2026-12-02T17:46:17.040000Z\"",
		   "timestamptz, 2 digits");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.042+00"), "\"2026-12-02T17:46:17.042000Z\"",
		   "timestamptz, 3 digits");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.0423+00"), "\"2026-12-02T17:46:17.042300Z\"",
		   "timestamptz, 4 digits");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.04232+00"), "\"2026-12-02T17:46:17.042320Z\"",
		   "timestamptz, 5 digits");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.042324+00"), "\"2026-12-02T17:46:17.042324Z\"",
		   "timestamptz, 6 digits");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.0423245+00"), "(false)",
		   "timestamptz, 7 digits declined");
	/* offsets: zero in any spelling is Z, others +HH:MM */
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17+00:00"), "\"2026-12-02T17:46:17.000000Z\"",
		   "timestamptz, +00:00");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17-00"), "\"2026-12-02T17:46:17.000000Z\"",
		   "timestamptz, -00");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 23:16:17.1+05:30"), "\"2026-12-02T23:16:17.100000+05:30\"",
		   "timestamptz, +05:30");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 12:46:17-05"), "\"2026-12-02T12:46:17.000000-05:00\"",
		   "timestamptz, -05");
	is_str(iso(TIMESTAMPTZ, "1883-11-18 12:00:00-07:52:58"), "(false)",
		   "timestamptz, offset with seconds declined");
	/* BC: astronomical years */
	is_str(iso(TIMESTAMPTZ, "0044-03-15 12:00:00+00 BC"), "\"-0043-03-15T12:00:00.000000Z\"",
		   "timestamptz, 44 BC is -0043");
	is_str(iso(TIMESTAMPTZ, "0001-01-01 00:00:00+00 BC"), "\"0000-01-01T00:00:00.000000Z\"",
		   "timestamptz, 1 BC is 0000");
	is_str(iso(TIMESTAMPTZ, "4714-11-24 00:00:00+00 BC"), "\"-4713-11-24T00:00:00.000000Z\"",
		   "timestamptz, the earliest (4714 BC)");
	is_str(iso(TIMESTAMPTZ, "0001-01-01 00:00:00+00"), "\"0001-01-01T00:00:00.000000Z\"",
		   "timestamptz, 1 AD");
	is_str(iso(TIMESTAMPTZ, "294276-12-31 23:59:59.999999+00"),
		   "\"+294276-12-31T23:59:59.999999Z\"", "timestamptz, a year past 9999 gets +");
	/* infinity and garbage stay as they are */
	is_str(iso(TIMESTAMPTZ, "infinity"), "(false)", "timestamptz infinity declined");
	is_str(iso(TIMESTAMPTZ, "-infinity"), "(false)", "timestamptz -infinity declined");
	is_str(iso(TIMESTAMPTZ, ""), "(false)", "empty declined");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17"), "(false)", "timestamptz without offset");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.+00"), "(false)", "a dot without digits");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17+00 "), "(false)", "trailing space");
	is_str(iso(TIMESTAMPTZ, "26-12-02 17:46:17+00"), "(false)", "a 2-digit year");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17.0a+00"), "(false)", "a letter in the fraction");
	is_str(iso(TIMESTAMPTZ, "2026-12-02x17:46:17+00"), "(false)", "no space before the time");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:46:17,5+00"), "(false)", "a comma for the dot");
	is_str(iso(TIMESTAMPTZ, "2026-12-02 17:4a:17.5+00"), "(false)", "a letter in the minutes");
	is_str(iso(TIMESTAMPTZ, "12026-12-02 17:46:17.5+00"), "\"+12026-12-02T17:46:17.500000Z\"",
		   "a 5-digit year");
	/* timestamp: no zone */
	is_str(iso(TIMESTAMP, "2026-12-02 17:46:17"), "\"2026-12-02T17:46:17.000000\"",
		   "timestamp, no fraction");
	is_str(iso(TIMESTAMP, "2026-12-02 17:46:17.042324"), "\"2026-12-02T17:46:17.042324\"",
		   "timestamp, 6 digits");
	is_str(iso(TIMESTAMP, "2026-12-02 17:46:17.04"), "\"2026-12-02T17:46:17.040000\"",
		   "timestamp, 2 digits");
	is_str(iso(TIMESTAMP, "0044-03-15 12:00:00 BC"), "\"-0043-03-15T12:00:00.000000\"",
		   "timestamp, 44 BC");
	is_str(iso(TIMESTAMP, "2026-12-02 17:46:17+00"), "(false)", "timestamp with an offset");
	is_str(iso(TIMESTAMP, "infinity"), "(false)", "timestamp infinity declined");
	/* timetz */
	is_str(iso(TIMETZ, "17:46:17.042324+00"), "\"17:46:17.042324Z\"", "timetz +00");
	is_str(iso(TIMETZ, "17:46:17+02"), "\"17:46:17.000000+02:00\"", "timetz +02");
	is_str(iso(TIMETZ, "17:46:17.5-03:30"), "\"17:46:17.500000-03:30\"", "timetz -03:30");
	is_str(iso(TIMETZ, "24:00:00+00"), "\"24:00:00.000000Z\"", "timetz 24:00:00");
	is_str(iso(TIMETZ, "17:46:17"), "(false)", "timetz without offset");
	/* other types are not this function's */
	is_str(iso(DATE, "2026-12-02"), "(false)", "date declined");
	is_str(iso(TIME, "17:46:17"), "(false)", "time declined");

	/* value_to_json: off by default, PostgreSQL's text */
	ok(value_is_string_type(TIMESTAMPTZ), "timestamptz is a plain string by default");
	is_str(tojson(TIMESTAMPTZ, "2026-12-02 17:46:17.042324+00"),
		   "\"2026-12-02 17:46:17.042324+00\"", "off: timestamptz as the text");
	is_str(tojson(1185, "{\"2026-12-02 17:46:17+00\"}"), "[\"2026-12-02 17:46:17+00\"]",
		   "off: timestamptz[] as the text");
	value_set_time_iso(true);
	ok(!value_is_string_type(TIMESTAMPTZ), "on: timestamptz is not a plain string");
	ok(!value_is_string_type(TIMESTAMP), "on: timestamp is not a plain string");
	ok(!value_is_string_type(TIMETZ), "on: timetz is not a plain string");
	ok(value_is_string_type(DATE), "on: date still is");
	ok(value_is_string_type(TIME), "on: time still is");
	is_str(tojson(TIMESTAMPTZ, "2026-12-02 17:46:17.042324+00"), "\"2026-12-02T17:46:17.042324Z\"",
		   "on: timestamptz");
	is_str(tojson(TIMESTAMP, "2026-12-02 17:46:17"), "\"2026-12-02T17:46:17.000000\"",
		   "on: timestamp");
	is_str(tojson(TIMESTAMPTZ, "infinity"), "\"infinity\"", "on: infinity as it is");
	is_str(tojson(DATE, "2026-12-02"), "\"2026-12-02\"", "on: date as it is");
	is_str(tojson(TIME, "17:46:17.5"), "\"17:46:17.5\"", "on: time as it is");
	is_str(tojson(1185, "{\"2026-12-02 17:46:17+00\",NULL,infinity}"),
		   "[\"2026-12-02T17:46:17.000000Z\",null,\"infinity\"]", "on: timestamptz[]");
	is_str(tojson(1115, "{{\"0044-03-15 12:00:00 BC\"}}"), "[[\"-0043-03-15T12:00:00.000000\"]]",
		   "on: timestamp[][] with BC");
	value_set_time_iso(false);
	is_str(tojson(TIMESTAMPTZ, "2026-12-02 17:46:17+00"), "\"2026-12-02 17:46:17+00\"",
		   "off again");
	return done_testing();
}
