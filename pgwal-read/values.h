/*
 * values.h
 *	Column values from pgoutput's text format to JSON.
 *
 *	The mapping (documented in pgwal-events(7)): integer, float and numeric
 *	types become JSON numbers with PostgreSQL's digits copied verbatim; bool
 *	becomes true/false; json and jsonb are embedded, compacted to one line,
 *	when they pass the strict validator kafka-write applies (jsonscan.h);
 *	arrays of built-in types become JSON arrays; everything else is a JSON
 *	string of the text output.  Whenever a value does not have the shape its
 *	type promises, it is written as a JSON string instead, so the output is
 *	always one valid JSON value.
 */
#ifndef PGWAL_VALUES_H
#define PGWAL_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * With on true (pgwal-read --time-format=iso), value_to_json and
 * value_is_string_type write timestamptz, timestamp and timetz values (and
 * arrays of them) in ISO 8601 (value_time_iso).  Set once, before any value
 * is mapped: callers cache value_is_string_type per column.
 */
void value_set_time_iso(bool on);

/*
 * Append the ISO 8601 JSON string for PostgreSQL's text output s (DateStyle
 * ISO) of a timestamptz (1184), timestamp (1114) or timetz (1266) value:
 * "2026-12-02T17:46:17.042324Z", "2026-12-02T17:46:17.042324",
 * "17:46:17.042324Z"; always six fractional digits; a zero offset as Z,
 * another as +HH:MM; BC years as astronomical years ("0044-03-15 ... BC" is
 * -0043), years past 9999 with a + sign.  Returns false and appends nothing
 * when s is not such a value (infinity, -infinity, an offset with seconds,
 * another type): the caller writes the text as it is.
 */
bool value_time_iso(strbuf *out, uint32_t typid, const char *s, size_t n);

/* OIDs below are built-in types; user-defined types start here */
#define VALUE_FIRST_NORMAL_OID 16384

/* pseudo type OID for "array of text elements" (user types named _foo) */
#define VALUE_TEXT_ARRAY ((uint32_t) 0xFFFFFFFF)

/*
 * Append the JSON value for the n bytes of text output s of a column of
 * type typid.  s need not be NUL-terminated.
 */
void value_to_json(strbuf *out, uint32_t typid, const char *s, size_t n);

/*
 * Does value_to_json write every value of type typid as json_string()
 * would?  Callers resolve this once per column and skip the dispatch.
 */
bool value_is_string_type(uint32_t typid);

/*
 * If typid is a built-in array type, set *elem to its element type and
 * *delim to its element delimiter and return true.
 */
bool value_array_type(uint32_t typid, uint32_t *elem, char *delim);

/*
 * Append PostgreSQL array text output s as a JSON array whose elements
 * are mapped as type elem.  Returns false and appends nothing if s is not
 * an array literal this function understands (a lower-bound decoration
 * like "[0:1]={1,2}", more than 6 dimensions, malformed quoting).
 */
bool value_array_to_json(strbuf *out, uint32_t elem, char delim, const char *s, size_t n);

/*
 * The OID of a pg_catalog type by name, for the built-in types that do
 * not map to a string (numbers, bool, json, their arrays, box[], and the
 * timestamp types that --time-format=iso spells, their arrays); 0 for
 * any other name.
 */
uint32_t value_builtin_by_name(const char *name);

/* Is s exactly one JSON number token? */
bool value_is_json_number(const char *s, size_t n);

/* Append the bytes p as a JSON string in bytea hex form: "\\x0a0b". */
void value_hex_json(strbuf *out, const unsigned char *p, size_t n);

/* Is the whole buffer valid UTF-8? */
bool value_utf8_valid(const unsigned char *p, size_t n);

#endif
