/*
 * log.c
 *	Leveled diagnostics on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int log_verbosity = 0;
const char *log_progname = "pgwal";

void
log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	log_progname = slash ? slash + 1 : progname;
}

/*
 * Print one diagnostic line.  The whole line goes out in one fprintf call
 * on unbuffered stderr so that lines of two processes sharing a terminal do
 * not interleave mid-line.  errno is preserved so that %m works.
 */
static void
emit(const char *level, const char *fmt, va_list ap)
{
	char msg[2048];
	int save = errno;

	errno = save;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", log_progname, level, msg);
	errno = save;
}

#define LOG_BODY(level)                                                                            \
	do                                                                                             \
	{                                                                                              \
		va_list ap;                                                                                \
		va_start(ap, fmt);                                                                         \
		emit(level, fmt, ap);                                                                      \
		va_end(ap);                                                                                \
	} while (0)

void
log_error(const char *fmt, ...)
{
	LOG_BODY("error: ");
}

void
log_warn(const char *fmt, ...)
{
	if (log_verbosity >= 0)
		LOG_BODY("warning: ");
}

void
log_info(const char *fmt, ...)
{
	if (log_verbosity >= 1)
		LOG_BODY("");
}

void
log_debug(const char *fmt, ...)
{
	if (log_verbosity >= 2)
		LOG_BODY("debug: ");
}

void
log_usage_error(const char *fmt, ...)
{
	LOG_BODY("error: ");
	fprintf(stderr, "Try \"%s --help\" for more information.\n", log_progname);
}
