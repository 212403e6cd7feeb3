/*
 * test_kw_ack.c
 *	The delivered watermark and the acknowledged end_lsn, with reports
 *	out of order, failures, and growth of the rings.
 */
#include "ack.h"
#include "tap.h"

static void
test_in_order(void)
{
	kw_ack a;
	uint64_t s1, s2, s3, s4;

	kw_ack_init(&a);
	s1 = kw_ack_add(&a, 0, false, 0);    /* begin, not produced */
	s2 = kw_ack_add(&a, 1, false, 0);    /* insert */
	s3 = kw_ack_add(&a, 2, false, 0);    /* delete + tombstone */
	s4 = kw_ack_add(&a, 0, true, 0x100); /* commit */
	is_int(s1, 1, "sequence numbers start at 1");
	is_int(kw_ack_watermark(&a), 1, "watermark passes a line without messages");
	is_int(a.in_flight, 3, "3 messages in flight");
	is_int(a.acked_lsn, 0, "nothing acknowledged yet");
	kw_ack_report(&a, s3, true);
	is_int(kw_ack_watermark(&a), 1, "out-of-order report does not move the watermark");
	kw_ack_report(&a, s2, true);
	is_int(kw_ack_watermark(&a), 2, "watermark at the insert");
	is_int(a.acked_lsn, 0, "commit not yet acknowledged (tombstone pending)");
	kw_ack_report(&a, s3, true);
	is_int(kw_ack_watermark(&a), s4, "watermark through the commit");
	is_int(a.acked_lsn, 0x100, "commit acknowledged");
	is_int(a.delivered, 3, "3 delivered");
	is_int(a.in_flight, 0, "none in flight");
	kw_ack_report(&a, s2, true);
	is_int(a.delivered, 3, "stale report ignored");
	kw_ack_free(&a);
}

static void
test_failure(void)
{
	kw_ack a;
	uint64_t s[6];

	kw_ack_init(&a);
	s[0] = kw_ack_add(&a, 1, false, 0);
	s[1] = kw_ack_add(&a, 0, true, 0x10);
	s[2] = kw_ack_add(&a, 1, false, 0);
	s[3] = kw_ack_add(&a, 0, true, 0x20);
	s[4] = kw_ack_add(&a, 1, false, 0);
	s[5] = kw_ack_add(&a, 0, true, 0x30);
	kw_ack_report(&a, s[4], true);
	kw_ack_report(&a, s[0], true);
	is_int(a.acked_lsn, 0x10, "first transaction acknowledged");
	kw_ack_report(&a, s[2], false);
	is_int(a.acked_lsn, 0x10, "failed line blocks the second commit");
	is_int(a.failed, 1, "one failed");
	is_int(kw_ack_watermark(&a), s[1], "watermark stays before the failure");
	kw_ack_report(&a, s[2], true);
	is_int(a.acked_lsn, 0x10, "a later report for the failed line changes nothing");
	(void) s[3];
	(void) s[5];
	kw_ack_free(&a);

	kw_ack_init(&a);
	s[0] = kw_ack_add(&a, 2, false, 0);
	s[1] = kw_ack_add(&a, 0, true, 0x40);
	kw_ack_report(&a, s[0], true);
	kw_ack_abandon(&a, s[0], 1);
	is_int(a.acked_lsn, 0, "abandoned message blocks the commit");
	is_int(a.failed, 1, "abandoned message counted as failed");
	is_int(a.in_flight, 0, "abandoned message not in flight");
	kw_ack_free(&a);
}

static void
test_growth(void)
{
	kw_ack a;
	uint64_t first;
	uint64_t n = 100000;
	int okay = 1;

	kw_ack_init(&a);
	first = kw_ack_add(&a, 1, false, 0);
	for (uint64_t i = 1; i < n; i++)
		kw_ack_add(&a, 1, (i % 10) == 9, i);
	/* deliver everything but the first, in reverse */
	for (uint64_t s = first + n - 1; s > first; s--)
		kw_ack_report(&a, s, true);
	is_int(a.acked_lsn, 0, "nothing acknowledged while line 1 is pending");
	kw_ack_report(&a, first, true);
	is_int(kw_ack_watermark(&a), n, "watermark jumps over 100000 lines");
	is_int(a.acked_lsn, n - 1, "last commit acknowledged");
	okay = a.in_flight == 0 && a.delivered == n;
	ok(okay, "all delivered, none in flight");
	kw_ack_free(&a);
}

/* A refused message kept in the dead-letter file: done, not delivered. */
static void
test_kept(void)
{
	kw_ack a;
	uint64_t s1, s2;

	kw_ack_init(&a);
	s1 = kw_ack_add(&a, 1, false, 0);
	s2 = kw_ack_add(&a, 0, true, 0x100);
	kw_ack_kept(&a, s1);
	is_int(kw_ack_watermark(&a), (int) s2, "kept: the watermark passes the line");
	is_int(a.acked_lsn, 0x100, "kept: the commit after it is acknowledged");
	is_int(a.delivered, 0, "kept: not counted as delivered");
	is_int(a.kept, 1, "kept: counted as kept");
	is_int(a.failed, 0, "kept: not counted as failed");
	is_int(a.in_flight, 0, "kept: no longer in flight");
	kw_ack_free(&a);
}

int
main(void)
{
	test_in_order();
	test_kept();
	test_failure();
	test_growth();
	return done_testing();
}
