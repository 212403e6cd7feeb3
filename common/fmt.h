/*
 * fmt.h
 *	Number and time formatting without the printf family, for the per-event
 *	path.  Each function writes into the caller's buffer (no NUL) and
 *	returns the number of bytes written; the output is byte for byte what
 *	the printf format named in its comment prints.
 */
#ifndef PGWAL_FMT_H
#define PGWAL_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_U64_MAX 20 /* "18446744073709551615" */
#define FMT_TS_MAX  32 /* "\"-infinity\"", or a quoted date with a 6+ digit year */

/* "%" PRIu64 */
size_t fmt_u64(uint64_t v, char *buf);
/* "%X/%X" of the high and low 32 bits: PostgreSQL's LSN form */
size_t fmt_lsn(uint64_t lsn, char *buf);
/*
 * A PostgreSQL timestamp (microseconds since 2000-01-01 00:00:00 UTC) as a
 * quoted JSON string: "\"%04d-%02d-%02dT%02d:%02d:%02d.%06dZ\"" of the
 * proleptic Gregorian date (a negative year written as %04d writes it),
 * "\"infinity\"" or "\"-infinity\"" for INT64_MAX and INT64_MIN.
 */
/* The proleptic Gregorian date of days since 1970-01-01 (year 0 is 1 BC), and back. */
void fmt_civil(int64_t days, int64_t *y, int64_t *m, int64_t *d);
int64_t fmt_days(int64_t y, int64_t m, int64_t d);

size_t fmt_pg_ts_json(int64_t us, char *buf);

#endif
