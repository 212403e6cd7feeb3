/*
 * sink.h
 *	The one-shot actions' blocking writer now lives in output.c/output.h,
 *	beside the event writer: one module writes to stdout.  This header
 *	stays for the files that include it until they include output.h.
 */
#ifndef PGWAL_SINK_H
#define PGWAL_SINK_H

#include "output.h"

#endif
