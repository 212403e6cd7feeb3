/*
 * murmur2.h
 *	The murmur2 hash exactly as Kafka's Java client computes it
 *	(org.apache.kafka.common.utils.Utils.murmur2), so that a key lands in
 *	the partition a JVM producer would pick:
 *
 *		partition = (murmur2(key) & 0x7fffffff) % partitions
 *
 *	librdkafka's "murmur2_random" partitioner (kafka-write's default) does
 *	the same, so kafka-write itself never computes it: this copy, header
 *	only, lets the tests (test_kw_route, kw_admin) predict placements and
 *	check that librdkafka's agree with Java's.
 *
 *	MurmurHash2 with seed 0x9747b28c, the little-endian 4-byte blocks and
 *	the tail handling of the Java client.  Computed in uint32_t so that
 *	overflow is defined, then reinterpreted as signed.
 */
#ifndef KW_MURMUR2_H
#define KW_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/* The hash as a Java int would hold it (same bits, signed). */
static inline int32_t
kw_murmur2(const void *key, size_t len)
{
	const unsigned char *d = key;
	const uint32_t m = 0x5bd1e995;
	const int r = 24;
	uint32_t h = 0x9747b28cu ^ (uint32_t) len;
	size_t nblocks = len / 4;
	size_t tail = len & ~(size_t) 3;

	for (size_t i = 0; i < nblocks; i++)
	{
		const unsigned char *b = d + i * 4;
		uint32_t k =
			(uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;

		k *= m;
		k ^= k >> r;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len & 3)
	{
		case 3:
			h ^= (uint32_t) d[tail + 2] << 16;
			/* fall through */
		case 2:
			h ^= (uint32_t) d[tail + 1] << 8;
			/* fall through */
		case 1:
			h ^= (uint32_t) d[tail];
			h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return (int32_t) h;
}

/* The partition for key among partitions (> 0) partitions. */
static inline int32_t
kw_murmur2_partition(const void *key, size_t len, int32_t partitions)
{
	uint32_t h = (uint32_t) kw_murmur2(key, len) & 0x7fffffffu;

	return (int32_t) (h % (uint32_t) partitions);
}

#endif
