/*
 * sig.c
 *	Signal flags.
 */
#include <string.h>

#include "sig.h"

volatile sig_atomic_t sig_stop = 0;
volatile sig_atomic_t sig_count = 0;

static void
on_stop(int signo)
{
	(void) signo;
	sig_stop = 1;
	if (sig_count < 1000)
		sig_count++;
}

void
sig_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* one handler at a time: sig_count is counted without a lost update */
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	/* no SA_RESTART: a blocking call returns EINTR and the loop sees the flag */
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}
