/*
 * xalloc.h
 *	Allocation wrappers.  The one out-of-memory policy of both programs:
 *	print "out of memory" and exit with EXIT_ERROR.  Callers never check
 *	for NULL.  What they return is the caller's to free().
 */
#ifndef PGWAL_XALLOC_H
#define PGWAL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
