/*
 * opt.h
 *	Range-checked numbers from the command line.
 */
#ifndef PGWAL_OPT_H
#define PGWAL_OPT_H

/*
 * Parse a decimal integer in [min, max] for the option named opt.  On a
 * bad value prints "invalid value "X" for option --opt: must be ..." with
 * the --help hint and returns -1.
 */
int opt_int(const char *opt, const char *arg, long long min, long long max, long long *out);
/* Same for a number of seconds, fractions allowed (0.5). */
int opt_seconds(const char *opt, const char *arg, double min, double max, double *out);

#endif
