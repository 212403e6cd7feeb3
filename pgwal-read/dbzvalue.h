/*
 * dbzvalue.h
 *	Column values as Debezium 3.6's PostgreSQL connector writes them with
 *	Kafka Connect's JsonConverter (schemas.enable=false): PostgreSQL's text
 *	output (under pgwal-read's pinned settings: DateStyle ISO, TimeZone
 *	UTC, IntervalStyle postgres, extra_float_digits 3, bytea hex) to
 *	Debezium's JSON, in the modes Debezium's properties select.  The
 *	mapping, type by type, is in pgwal-read(1), DEBEZIUM VALUES, and the
 *	captured records it was checked against in tests/fixtures/debezium/.
 */
#ifndef PGWAL_DBZVALUE_H
#define PGWAL_DBZVALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef enum
{
	DBZ_DECIMAL_PRECISE,
	DBZ_DECIMAL_DOUBLE,
	DBZ_DECIMAL_STRING
} dbz_decimal;

typedef enum
{
	DBZ_TIME_ADAPTIVE,
	DBZ_TIME_ADAPTIVE_MICRO,
	DBZ_TIME_CONNECT
} dbz_time;

typedef enum
{
	DBZ_BINARY_BYTES,
	DBZ_BINARY_BASE64,
	DBZ_BINARY_HEX
} dbz_binary;

typedef struct dbz_modes
{
	dbz_decimal decimal; /* decimal.handling.mode */
	dbz_time time;       /* time.precision.mode */
	dbz_binary binary;   /* binary.handling.mode */
	/*
	 * The value comes from a snapshot's query, not from pgoutput: Debezium
	 * reads a few values differently there (date infinity, BC dates, name)
	 */
	bool snapshot;
} dbz_modes;

/*
 * Set the mode of Debezium property name ("decimal.handling.mode", ...)
 * from its value ("precise", ...).  0, or -1 for an unknown name or value.
 */
int dbz_mode_set(dbz_modes *m, const char *name, const char *value);

/*
 * Append Debezium's JSON for a non-NULL value: text/len is PostgreSQL's
 * text output, typid the column's type as the event writer resolves it
 * (built-in OIDs, a domain as its base type; user-defined types keep
 * their OID, arrays of them VALUE_TEXT_ARRAY), typmod the column's,
 * usertype as for dbz_type_kept().
 * Returns 1 when written; 0 when Debezium leaves such a column out of the
 * row (types it has no converter for); -1 with *err set when text is not
 * what the type prints (nothing appended).
 */
int dbz_value(strbuf *out, uint32_t typid, int32_t typmod, char usertype, const char *text,
			  size_t len, const dbz_modes *m, const char **err);

/*
 * Does Debezium write columns of this type at all (even when NULL)?
 * usertype: for a user-defined type (or an array of one), its pg_type
 * typtype ('e' enum, 'c' composite, 'd' domain, 'r' range, 'm'
 * multirange, 'b' base), 0 when unknown.
 */
bool dbz_type_kept(uint32_t typid, char usertype);

/* Append v as a JSON number. */
void dbz_i64(strbuf *out, int64_t v);

/* Append the standard base64 of p[0..n), with padding. */
void dbz_base64(strbuf *out, const unsigned char *p, size_t n);

/* Append a double / float as Java's Double.toString / Float.toString print it. */
void dbz_java_double(strbuf *out, double v);
void dbz_java_float(strbuf *out, float v);

#endif
