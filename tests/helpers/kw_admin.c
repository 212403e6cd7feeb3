/*
 * kw_admin.c
 *	Test helper for kafka-write's integration tests:
 *
 *		kw_admin create BROKERS TOPIC PARTITIONS [NAME=VALUE]...
 *													create a topic (rd_kafka_CreateTopics),
 *													with topic configs, replicated as
 *													the brokers' default.replication.factor
 *													says (a cluster's topics must survive
 *													the loss of a broker) or as
 *													replication.factor=N says
 *		kw_admin delete BROKERS TOPIC				delete a topic (rd_kafka_DeleteTopics)
 *		kw_admin partition KEY PARTITIONS			print the Java-compatible partition of KEY
 *
 *	Exit status 0 on success (an existing topic counts as success when it
 *	has the partitions asked for, a missing one when deleting), 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "murmur2.h"

/* A client for admin requests, or NULL (reported). */
static rd_kafka_t *
admin_client(const char *brokers)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) !=
		RD_KAFKA_CONF_OK)
	{
		fprintf(stderr, "kw_admin: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
		fprintf(stderr, "kw_admin: %s\n", errstr);
	return rk;
}

/*
 * Wait for an admin request's result on q; check its one topic result.
 * ok_also: an error that counts as success too.
 */
static int
topic_result(rd_kafka_queue_t *q, const char *what, const char *topic, rd_kafka_resp_err_t ok_also)
{
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	const rd_kafka_topic_result_t **tr = NULL;
	size_t n = 0;
	int rc = 1;

	if (ev == NULL)
		fprintf(stderr, "kw_admin: %s timed out\n", what);
	else if (rd_kafka_event_error(ev))
		fprintf(stderr, "kw_admin: %s: %s\n", what, rd_kafka_event_error_string(ev));
	else
	{
		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_CREATETOPICS_RESULT)
			tr = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
		else if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DELETETOPICS_RESULT)
			tr = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
		if (n == 1 && (rd_kafka_topic_result_error(tr[0]) == RD_KAFKA_RESP_ERR_NO_ERROR ||
					   rd_kafka_topic_result_error(tr[0]) == ok_also))
			rc = 0;
		else
			fprintf(stderr, "kw_admin: %s %s: %s\n", what, topic,
					n == 1 ? rd_kafka_topic_result_error_string(tr[0]) : "no result");
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	return rc;
}

static int
create(const char *brokers, const char *topic, int partitions, char **configs)
{
	char errstr[512];
	rd_kafka_t *rk = admin_client(brokers);
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	int rc;
	int rf = -1;

	if (rk == NULL)
		return 1;

	/* replication.factor=N is the topic's, not a config */
	for (char **c = configs; *c; c++)
		if (strncmp(*c, "replication.factor=", 19) == 0)
			rf = atoi(*c + 19);
	nt = rd_kafka_NewTopic_new(topic, partitions, rf, errstr, sizeof(errstr));
	if (nt == NULL)
	{
		fprintf(stderr, "kw_admin: %s\n", errstr);
		return 1;
	}
	for (; *configs; configs++)
	{
		char *eq = strchr(*configs, '=');

		if (eq == NULL)
		{
			fprintf(stderr, "kw_admin: \"%s\" is not NAME=VALUE\n", *configs);
			return 1;
		}
		*eq = '\0';
		if (strcmp(*configs, "replication.factor") != 0)
			rd_kafka_NewTopic_set_config(nt, *configs, eq + 1);
	}
	q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rc = topic_result(q, "CreateTopics", topic, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

static int delete (const char *brokers, const char *topic)
{
	rd_kafka_t *rk = admin_client(brokers);
	rd_kafka_DeleteTopic_t *dt;
	rd_kafka_queue_t *q;
	int rc;

	if (rk == NULL)
		return 1;
	dt = rd_kafka_DeleteTopic_new(topic);
	q = rd_kafka_queue_new(rk);
	rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
	rc = topic_result(q, "DeleteTopics", topic, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	rd_kafka_DeleteTopic_destroy(dt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "create") == 0)
		return create(argv[2], argv[3], atoi(argv[4]), argv + 5);
	if (argc == 4 && strcmp(argv[1], "delete") == 0)
		return delete (argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "partition") == 0)
	{
		printf("%d\n", (int) kw_murmur2_partition(argv[2], strlen(argv[2]), atoi(argv[3])));
		return 0;
	}
	fprintf(
		stderr,
		"usage: kw_admin create BROKERS TOPIC PARTITIONS [NAME=VALUE]... | delete BROKERS TOPIC | "
		"partition KEY PARTITIONS\n");
	return 1;
}
