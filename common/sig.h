/*
 * sig.h
 *	Signals.  Handlers only set flags; the main loops decide what a stop
 *	means.  SIGHUP keeps its default (a hangup ends the program, unless it
 *	runs under nohup).  SIGPIPE is ignored so that a closed pipe shows up as EPIPE
 *	from write(), which the programs treat as an output failure.
 */
#ifndef PGWAL_SIG_H
#define PGWAL_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop;  /* SIGINT or SIGTERM seen */
extern volatile sig_atomic_t sig_count; /* how many (up to 1000): a later one is told apart */

void sig_setup(void);

#endif
