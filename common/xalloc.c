/*
 * xalloc.c
 *	Allocation wrappers that exit on failure.
 */
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "log.h"
#include "xalloc.h"

static void
oom(size_t size)
{
	log_error("out of memory (asked for %zu bytes)", size);
	exit(EXIT_ERROR);
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
