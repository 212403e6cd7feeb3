/*
 * json_bench.c
 *	Benchmark of the strict JSON validator on a pgwal-read-shaped line
 *	(the 260-byte event of scripts/bench-kafka-write.sh), as kafka-write
 *	calls it on every input line (validation and the member index):
 *
 *		json_bench [ROUNDS]		prints CPU ns per line, the best of 5 runs
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonscan.h"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: steadier on a shared machine */
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	static const char line[] =
		"{\"op\":\"insert\",\"lsn\":\"0/16B3748\",\"xid\":740,\"ts\":\"2026-01-01 "
		"00:00:00.123456+00\",\"commit_lsn\":\"0/16B39C8\",\"seq\":1,\"schema\":\"public\","
		"\"table\":\"orders\",\"key\":{\"id\":12345},\"before\":null,\"after\":{\"id\":12345,"
		"\"amount\":12345.45,\"region\":\"eu-west-1\"},\"unchanged\":[]}";
	long rounds = argc > 1 ? atol(argv[1]) : 2000000;
	double best = 0;
	json_index idx;
	json_error err;
	long bad = 0;

	for (int run = 0; run < 5; run++)
	{
		double t0 = now_ns(), ns;

		for (long i = 0; i < rounds; i++)
			bad += json_validate_index(line, sizeof(line) - 1, &err, &idx) != 0;
		ns = (now_ns() - t0) / (double) rounds;
		if (run == 0 || ns < best)
			best = ns;
	}
	if (bad != 0)
		return 1;
	printf("%zu-byte line: %.1f ns per line\n", sizeof(line) - 1, best);
	return 0;
}
