/*
 * murmur2.h
 *	The murmur2 hash exactly as Kafka's Java client computes it
 *	(org.apache.kafka.common.utils.Utils.murmur2), so that a key lands in
 *	the partition a JVM producer would pick:
 *
 *		partition = (murmur2(key) & 0x7fffffff) % partitions
 *
 *	librdkafka's "murmur2_random" partitioner (kafka-write's default) does
 *	the same; this copy lets the tests predict placements.
 */
#ifndef KW_MURMUR2_H
#define KW_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/* The hash as a Java int would hold it (same bits, signed). */
int32_t kw_murmur2(const void *key, size_t len);

/* The partition for key among partitions (> 0) partitions. */
int32_t kw_murmur2_partition(const void *key, size_t len, int32_t partitions);

#endif
