/*
 * dbztime.h
 *	Dates, times and intervals as Debezium writes them (dbzvalue.h's part
 *	for them): PostgreSQL's ISO text in, Debezium's JSON appended.  Each
 *	returns 1, or -1 when the text is not what the type prints.
 */
#ifndef PGWAL_DBZTIME_H
#define PGWAL_DBZTIME_H

#include "dbzvalue.h"

int dbz_put_date(strbuf *out, const char *s, size_t n, const dbz_modes *m);
/* elem: an array element (Debezium cuts time[] to milliseconds) */
int dbz_put_time(strbuf *out, const char *s, size_t n, int32_t typmod, const dbz_modes *m,
				 bool elem);
int dbz_put_timetz(strbuf *out, const char *s, size_t n);
int dbz_put_timestamp(strbuf *out, const char *s, size_t n, int32_t typmod, const dbz_modes *m);
int dbz_put_timestamptz(strbuf *out, const char *s, size_t n, int32_t typmod);
int dbz_put_interval(strbuf *out, const char *s, size_t n);

#endif
