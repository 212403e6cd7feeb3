/*
 * lsn.h
 *	WAL positions as PostgreSQL prints them: "%X/%X", high and low 32 bits.
 */
#ifndef PGWAL_LSN_H
#define PGWAL_LSN_H

#include <stdint.h>

#define LSN_BUFLEN  18 /* "FFFFFFFF/FFFFFFFF" and a NUL */
#define LSN_INVALID ((uint64_t) 0)

/* Parse "X/X" (hex, 1 to 8 digits each side).  0 on success, -1 if malformed. */
int lsn_parse(const char *s, uint64_t *lsn);
/* Format into buf (LSN_BUFLEN bytes); returns buf. */
char *lsn_format(uint64_t lsn, char *buf);

#endif
