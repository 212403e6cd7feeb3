/*
 * kw_mock.c
 *	Test helper: a librdkafka mock cluster in its own process, driven by
 *	commands on stdin, for kafka-write's fault-injection tests.
 *
 *		kw_mock BROKERS		prints the bootstrap servers on the first line
 *							of stdout, then "ready" after each command
 *
 *	Commands (one per line):
 *		topic NAME PARTITIONS		create a topic
 *		errors APIKEY N ERR...		the next N requests of APIKEY fail with
 *									the given errors (Produce is 0,
 *									InitProducerId 22); with N > count of
 *									ERR, the last one repeats
 *		down ID / up ID				take a broker down or up
 *		rtt ID MS					delay a broker's responses
 *		quit						(or end of input) stop
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int
main(int argc, char **argv)
{
	char errstr[512];
	char line[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	int nbrokers = argc > 1 ? atoi(argv[1]) : 1;

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		fprintf(stderr, "kw_mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, nbrokers > 0 ? nbrokers : 1);
	if (mc == NULL)
	{
		fprintf(stderr, "kw_mock: could not create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin))
	{
		char *tok[16];
		int nt = 0;
		char *save = NULL;

		for (char *t = strtok_r(line, " \t\n", &save); t && nt < 16;
			 t = strtok_r(NULL, " \t\n", &save))
			tok[nt++] = t;
		if (nt == 0)
			continue;
		if (strcmp(tok[0], "quit") == 0)
			break;
		if (strcmp(tok[0], "topic") == 0 && nt == 3)
			rd_kafka_mock_topic_create(mc, tok[1], atoi(tok[2]), 1);
		else if (strcmp(tok[0], "errors") == 0 && nt >= 4)
		{
			int n = atoi(tok[2]);
			rd_kafka_resp_err_t *errs = calloc((size_t) n, sizeof(*errs));

			for (int i = 0; i < n; i++)
				errs[i] = (rd_kafka_resp_err_t) atoi(tok[3 + (i < nt - 3 ? i : nt - 4)]);
			rd_kafka_mock_push_request_errors_array(mc, (int16_t) atoi(tok[1]), (size_t) n, errs);
			free(errs);
		}
		else if (strcmp(tok[0], "down") == 0 && nt == 2)
			rd_kafka_mock_broker_set_down(mc, atoi(tok[1]));
		else if (strcmp(tok[0], "up") == 0 && nt == 2)
			rd_kafka_mock_broker_set_up(mc, atoi(tok[1]));
		else if (strcmp(tok[0], "rtt") == 0 && nt == 3)
			rd_kafka_mock_broker_set_rtt(mc, atoi(tok[1]), atoi(tok[2]));
		else
			fprintf(stderr, "kw_mock: bad command: %s\n", tok[0]);
		printf("ready\n");
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
