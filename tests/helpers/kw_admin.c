/*
 * kw_admin.c
 *	Test helper for kafka-write's integration tests:
 *
 *		kw_admin create BROKERS TOPIC PARTITIONS	create a topic (rd_kafka_CreateTopics)
 *		kw_admin partition KEY PARTITIONS			print the Java-compatible partition of KEY
 *
 *	Exit status 0 on success (an existing topic counts as success when it
 *	has the partitions asked for), 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "murmur2.h"

static int
create(const char *brokers, const char *topic, int partitions)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **tr;
	size_t n;
	int rc = 1;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) !=
		RD_KAFKA_CONF_OK)
	{
		fprintf(stderr, "kw_admin: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		fprintf(stderr, "kw_admin: %s\n", errstr);
		return 1;
	}
	nt = rd_kafka_NewTopic_new(topic, partitions, 1, errstr, sizeof(errstr));
	q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	ev = rd_kafka_queue_poll(q, 30000);
	if (ev == NULL)
		fprintf(stderr, "kw_admin: CreateTopics timed out\n");
	else if (rd_kafka_event_error(ev))
		fprintf(stderr, "kw_admin: CreateTopics: %s\n", rd_kafka_event_error_string(ev));
	else
	{
		res = rd_kafka_event_CreateTopics_result(ev);
		tr = rd_kafka_CreateTopics_result_topics(res, &n);
		if (n == 1 &&
			(rd_kafka_topic_result_error(tr[0]) == RD_KAFKA_RESP_ERR_NO_ERROR ||
			 rd_kafka_topic_result_error(tr[0]) == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS))
			rc = 0;
		else
			fprintf(stderr, "kw_admin: create %s: %s\n", topic,
					n == 1 ? rd_kafka_topic_result_error_string(tr[0]) : "no result");
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "create") == 0)
		return create(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "partition") == 0)
	{
		printf("%d\n", (int) kw_murmur2_partition(argv[2], strlen(argv[2]), atoi(argv[3])));
		return 0;
	}
	fprintf(stderr, "usage: kw_admin create BROKERS TOPIC PARTITIONS | partition KEY PARTITIONS\n");
	return 1;
}
