/*
 * ack.c
 *	The delivered watermark over a growable ring of per-line counters.
 *
 *	Memory is proportional to the span of lines between the oldest
 *	incomplete line and the newest line read, which librdkafka's queue
 *	limits bound in practice.
 */
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "xalloc.h"

void
kw_ack_init(kw_ack *a)
{
	memset(a, 0, sizeof(*a));
	a->cap = 1024;
	a->pending = xcalloc(a->cap, sizeof(uint16_t));
	a->ccap = 64;
	a->commits = xcalloc(a->ccap, sizeof(kw_ack_commit));
	a->base = a->next = 1;
}

void
kw_ack_free(kw_ack *a)
{
	free(a->pending);
	free(a->commits);
	memset(a, 0, sizeof(*a));
}

static inline uint16_t *
slot(kw_ack *a, uint64_t seq)
{
	return &a->pending[seq & (a->cap - 1)];
}

/* Double the line ring, keeping each live line at seq & (cap - 1). */
static void
grow_lines(kw_ack *a)
{
	uint64_t ncap = a->cap * 2;
	uint16_t *np = xcalloc(ncap, sizeof(uint16_t));

	for (uint64_t s = a->base; s < a->next; s++)
		np[s & (ncap - 1)] = a->pending[s & (a->cap - 1)];
	free(a->pending);
	a->pending = np;
	a->cap = ncap;
}

static void
push_commit(kw_ack *a, uint64_t seq, uint64_t lsn)
{
	if (a->ccount == a->ccap)
	{
		kw_ack_commit *nc = xcalloc(a->ccap * 2, sizeof(kw_ack_commit));

		for (uint64_t i = 0; i < a->ccount; i++)
			nc[i] = a->commits[(a->chead + i) % a->ccap];
		free(a->commits);
		a->commits = nc;
		a->chead = 0;
		a->ccap *= 2;
	}
	a->commits[(a->chead + a->ccount) % a->ccap] = (kw_ack_commit){seq, lsn};
	a->ccount++;
}

/* Move the watermark over complete lines and take the commits it passes. */
static void
advance(kw_ack *a)
{
	while (a->base < a->next && *slot(a, a->base) == 0)
		a->base++;
	while (a->ccount > 0 && a->commits[a->chead].seq < a->base)
	{
		a->acked_lsn = a->commits[a->chead].lsn;
		a->chead = (a->chead + 1) % a->ccap;
		a->ccount--;
	}
}

uint64_t
kw_ack_add(kw_ack *a, unsigned nmsgs, bool is_commit, uint64_t lsn)
{
	uint64_t seq = a->next;

	if (a->next - a->base >= a->cap)
		grow_lines(a);
	*slot(a, seq) = (uint16_t) nmsgs;
	a->next++;
	a->in_flight += nmsgs;
	if (is_commit)
		push_commit(a, seq, lsn);
	advance(a);
	return seq;
}

void
kw_ack_report(kw_ack *a, uint64_t seq, bool ok)
{
	uint16_t *p;

	if (seq < a->base || seq >= a->next)
		return; /* not ours: ignore rather than corrupt */
	p = slot(a, seq);
	if ((*p & ~KW_ACK_FAILED) == 0)
		return;
	(*p)--;
	if (a->in_flight > 0)
		a->in_flight--;
	if (ok)
		a->delivered++;
	else
	{
		a->failed++;
		*p |= KW_ACK_FAILED;
	}
	if (seq == a->base)
		advance(a);
}

void
kw_ack_kept(kw_ack *a, uint64_t seq)
{
	uint64_t d = a->delivered;

	kw_ack_report(a, seq, true);
	if (a->delivered != d)
	{
		a->delivered--;
		a->kept++;
	}
}

void
kw_ack_abandon(kw_ack *a, uint64_t seq, unsigned missing)
{
	uint16_t *p;

	if (seq < a->base || seq >= a->next)
		return;
	p = slot(a, seq);
	for (unsigned i = 0; i < missing && (*p & ~KW_ACK_FAILED) > 0; i++)
	{
		(*p)--;
		if (a->in_flight > 0)
			a->in_flight--;
		a->failed++;
	}
	*p |= KW_ACK_FAILED;
}
