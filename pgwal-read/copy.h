/*
 * copy.h
 *	Rows of COPY's text format (COPY ... TO STDOUT), as the snapshots and
 *	backfills read tables.
 */
#ifndef PGWAL_COPY_H
#define PGWAL_COPY_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/*
 * One row of COPY's text format, split: field i is the field.data bytes
 * [off[i], off[i] + len[i]) unless isnull[i].  Zero it before first use;
 * copy_row_free() releases it.
 */
typedef struct copy_row
{
	strbuf field;
	size_t *off;
	size_t *len;
	bool *isnull;
	int cap;
} copy_row;

/*
 * Split one row (with or without its final newline): tab-separated
 * fields, \N alone for NULL, escapes undone (\b \f \n \r \t \v \\,
 * \ooo octal, \xH or \xHH hex; any other escaped character stands for
 * itself).  Returns the number of fields (at least 1).
 */
int copy_row_parse(copy_row *r, const char *p, size_t n);
void copy_row_free(copy_row *r);

#endif
