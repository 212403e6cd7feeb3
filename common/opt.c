/*
 * opt.c
 *	Command-line number parsing.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "log.h"
#include "opt.h"

int
opt_int(const char *opt, const char *arg, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max)
	{
		log_usage_error("invalid value \"%s\" for option %s: must be an integer from %lld to %lld",
						arg, opt, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
opt_seconds(const char *opt, const char *arg, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || isnan(v) || v < min || v > max)
	{
		log_usage_error(
			"invalid value \"%s\" for option %s: must be a number of seconds from %g to %g", arg,
			opt, min, max);
		return -1;
	}
	*out = v;
	return 0;
}
