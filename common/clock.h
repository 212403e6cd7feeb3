/*
 * clock.h
 *	The monotonic clock in seconds, for intervals and deadlines (never
 *	for wall-clock times).
 */
#ifndef PGWAL_CLOCK_H
#define PGWAL_CLOCK_H

#include <time.h>

static inline double
clock_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

#endif
