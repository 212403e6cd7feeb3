/*
 * dbzvalue.h
 *	Column values in Debezium's JSON (placeholder until the converters land).
 */
#ifndef PGWAL_DBZVALUE_H
#define PGWAL_DBZVALUE_H

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
	dbz_decimal decimal;
	dbz_time time;
	dbz_binary binary;
} dbz_modes;

int dbz_mode_set(dbz_modes *m, const char *property, const char *value);
int dbz_value(strbuf *out, uint32_t typid, int32_t typmod, const char *text, size_t len,
			  const dbz_modes *m, const char **err);

#endif
