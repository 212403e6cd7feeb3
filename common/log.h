/*
 * log.h
 *	Diagnostics on stderr, one line each: "progname: level: message".
 *	stdout carries data only.  log_verbosity is set from -v/-q: errors
 *	always print; warnings unless -q; info with -v; debug with -vv.
 */
#ifndef PGWAL_LOG_H
#define PGWAL_LOG_H

extern int log_verbosity; /* -1 quiet, 0 default, 1 -v, 2 -vv */
extern const char *log_progname;

void log_init(const char *progname);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error line followed by "Try "progname --help" for more information." */
void log_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
