/*
 * tap.h
 *	A minimal Test Anything Protocol emitter for the C unit tests, read by
 *	prove(1).  Header-only: each test program includes it once.
 *
 *		ok(cond, "name %d", i);
 *		is_str(got, want, "name");
 *		is_int(got, want, "name");
 *		return done_testing();
 */
#ifndef PGWAL_TAP_H
#define PGWAL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n = 0;
static int tap_failed = 0;

static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass)
	{
		tap_failed++;
		printf("#   Failed test at %s line %d.\n", file, line);
	}
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_str(got, want, ...)                                                                     \
	do                                                                                             \
	{                                                                                              \
		const char *g_ = (got), *w_ = (want);                                                      \
		if (!ok(g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_, __VA_ARGS__))                           \
			printf("#          got: '%s'\n#     expected: '%s'\n", g_ ? g_ : "(null)",             \
				   w_ ? w_ : "(null)");                                                            \
	} while (0)

#define is_int(got, want, ...)                                                                     \
	do                                                                                             \
	{                                                                                              \
		long long g_ = (long long) (got), w_ = (long long) (want);                                 \
		if (!ok(g_ == w_, __VA_ARGS__))                                                            \
			printf("#          got: %lld\n#     expected: %lld\n", g_, w_);                        \
	} while (0)

static inline void
diag(const char *msg)
{
	printf("# %s\n", msg);
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
