/*
 * main.c
 *	kafka-write: produce NDJSON lines to Kafka, acknowledging delivered
 *	transactions in an LSN checkpoint file.  This file parses the command
 *	line and hands over to writer.c; see kafka-write(1).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "exitcodes.h"
#include "log.h"
#include "opt.h"
#include "producer.h"
#include "route.h"
#include "sig.h"
#include "writer.h"
#include "xalloc.h"

#define KW_VERSION "0.1.0"

static void
usage(void)
{
	printf(
		"kafka-write produces newline-delimited JSON to Kafka, one message per line.\n"
		"\n"
		"Usage:\n"
		"  kafka-write -b BROKERS {-t TOPIC | --topic-template TEMPLATE} [OPTION]... [FILE]...\n"
		"\n"
		"Reads standard input when no FILE is given.\n"
		"\n"
		"Routing:\n"
		"  -b, --brokers=LIST         bootstrap brokers, host:port[,...]\n"
		"  -t, --topic=NAME           produce every line to NAME\n"
		"      --topic-template=TEMPLATE\n"
		"                             topic from fields: 'shop.{schema}.{table}', "
		"'{/after/region}'\n"
		"      --tx-topic=NAME        produce begin/commit lines to NAME (default: not produced)\n"
		"      --message-topic=NAME   with a template, where message events go (default: the\n"
		"                             template's text before its first field, then 'message')\n"
		"      --key-field=PATH       key: JSON text of a member or /JSON/pointer (default: key)\n"
		"      --key-template=TEMPLATE  key: a template's text\n"
		"      --no-key               produce without keys\n"
		"      --value-field=PATH     value: JSON text of a member or /JSON/pointer (default: the\n"
		"                             line); null gives a tombstone\n"
		"  -p, --partition=N          produce to partition N (default: murmur2 of the key)\n"
		"  -H, --header=NAME=VALUE    add a header; VALUE may hold {placeholders} (repeatable)\n"
		"      --headers-field=PATH   a header for each member of that object\n"
		"      --tombstones           after each delete event, a null-value message with its key\n"
		"      --debezium             pgwal-read --format=debezium's lines: short for\n"
		"                             --topic-template '{topic}' --key-field key\n"
		"                             --value-field value --headers-field headers --tombstones\n"
		"\n"
		"Producer:\n"
		"  -X PROP=VALUE              librdkafka property (repeatable)\n"
		"  -F, --config=FILE          librdkafka properties file (PROP=VALUE lines, # comments)\n"
		"      --flush-timeout=SECS   wait at most SECS for deliveries at exit (default: 30)\n"
		"\n"
		"Exactly once:\n"
		"      --transactional-id=ID  produce in Kafka transactions, with the position kept in\n"
		"                             Kafka; input already there is dropped (see EXACTLY ONCE)\n"
		"      --position-topic=NAME  compacted topic for the position (default: "
		"pgwal-positions)\n"
		"      --commit-interval=SECS commit a Kafka transaction at least every SECS "
		"(default: 0.1)\n"
		"      --commit-max=N         ... and after N messages (default: 100000)\n"
		"\n"
		"Acknowledgements:\n"
		"      --ack-file=FILE        write the end_lsn of delivered transactions to FILE\n"
		"      --ack-interval=SECS    write FILE at most every SECS (default: 1)\n"
		"\n"
		"Input:\n"
		"      --max-line=BYTES       longest line accepted (default: 1000000)\n"
		"      --skip-bad             log bad lines and go on\n"
		"      --dead-letter=FILE     append bad lines with their errors to FILE and go on\n"
		"\n"
		"Output:\n"
		"      --progress             progress on stderr (default: when stderr is a terminal)\n"
		"      --no-progress          no progress lines\n"
		"  -v, --verbose              more messages (-vv: debug)\n"
		"  -q, --quiet                errors only\n"
		"      --help                 show this help, then exit\n"
		"      --version              show the version, then exit\n"
		"\n"
		"Exit status: 0 all delivered, 1 error, 2 usage, 4 dead-letter file, 5 ack file,\n"
		"20 bad input, 21 not delivered, 22 fatal producer error, 23 fenced, 24 transactions\n"
		"refused, 25 message too large, 26 colliding topic names.  See kafka-write(1).\n");
}

enum
{
	OPT_TOPIC_TEMPLATE = 256,
	OPT_TX_TOPIC,
	OPT_MESSAGE_TOPIC,
	OPT_KEY_FIELD,
	OPT_KEY_TEMPLATE,
	OPT_NO_KEY,
	OPT_VALUE_FIELD,
	OPT_HEADERS_FIELD,
	OPT_TOMBSTONES,
	OPT_DEBEZIUM,
	OPT_FLUSH_TIMEOUT,
	OPT_ACK_FILE,
	OPT_ACK_INTERVAL,
	OPT_MAX_LINE,
	OPT_SKIP_BAD,
	OPT_DEAD_LETTER,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_TXN_ID,
	OPT_POSITION_TOPIC,
	OPT_COMMIT_INTERVAL,
	OPT_COMMIT_MAX,
	OPT_HELP,
	OPT_VERSION
};

static const struct option long_options[] = {
	/* routing */
	{"brokers", required_argument, NULL, 'b'},
	{"topic", required_argument, NULL, 't'},
	{"topic-template", required_argument, NULL, OPT_TOPIC_TEMPLATE},
	{"tx-topic", required_argument, NULL, OPT_TX_TOPIC},
	{"message-topic", required_argument, NULL, OPT_MESSAGE_TOPIC},
	{"key-field", required_argument, NULL, OPT_KEY_FIELD},
	{"key-template", required_argument, NULL, OPT_KEY_TEMPLATE},
	{"no-key", no_argument, NULL, OPT_NO_KEY},
	{"partition", required_argument, NULL, 'p'},
	{"header", required_argument, NULL, 'H'},
	{"value-field", required_argument, NULL, OPT_VALUE_FIELD},
	{"headers-field", required_argument, NULL, OPT_HEADERS_FIELD},
	{"tombstones", no_argument, NULL, OPT_TOMBSTONES},
	{"debezium", no_argument, NULL, OPT_DEBEZIUM},
	/* producer */
	{"config", required_argument, NULL, 'F'},
	{"flush-timeout", required_argument, NULL, OPT_FLUSH_TIMEOUT},
	/* exactly once */
	{"transactional-id", required_argument, NULL, OPT_TXN_ID},
	{"position-topic", required_argument, NULL, OPT_POSITION_TOPIC},
	{"commit-interval", required_argument, NULL, OPT_COMMIT_INTERVAL},
	{"commit-max", required_argument, NULL, OPT_COMMIT_MAX},
	/* acknowledgements */
	{"ack-file", required_argument, NULL, OPT_ACK_FILE},
	{"ack-interval", required_argument, NULL, OPT_ACK_INTERVAL},
	/* input */
	{"max-line", required_argument, NULL, OPT_MAX_LINE},
	{"skip-bad", no_argument, NULL, OPT_SKIP_BAD},
	{"dead-letter", required_argument, NULL, OPT_DEAD_LETTER},
	/* output */
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0}};

/* Release what the options own. */
static void
free_opts(kw_opts *o)
{
	kw_tmpl_free(o->topic_tmpl);
	kw_tmpl_free(o->key_tmpl);
	free(o->message_topic);
	for (size_t i = 0; i < o->nheaders; i++)
	{
		free(o->headers[i].name);
		kw_tmpl_free(o->headers[i].value);
	}
	free(o->headers);
}

/* Is a mock cluster asked for (test.mock.num.brokers > 0)? */
static int
mock_cluster(const rd_kafka_conf_t *conf)
{
	char val[64];
	size_t len = sizeof(val);

	return rd_kafka_conf_get(conf, "test.mock.num.brokers", val, &len) == RD_KAFKA_CONF_OK &&
		   strcmp(val, "0") != 0 && val[0] != '\0';
}

static int
check_topic_opt(const char *opt, const char *name)
{
	const char *why = kw_topic_check(name, strlen(name));

	if (why)
	{
		log_usage_error("invalid value \"%s\" for option %s: %s", name, opt, why);
		return -1;
	}
	return 0;
}

/*
 * What the command line gives beyond kw_opts: the raw values that
 * check_options turns into kw_opts members, and the producer's
 * configuration, which -X and -F build in command-line order.
 */
typedef struct cmdline
{
	rd_kafka_conf_t *conf; /* owned until kw_run takes it */
	kw_conf_seen seen;     /* what -X and -F set (kw_conf_fit_queue) */
	const char *brokers;
	const char *topic_template;
	int nkey; /* key options given (at most one) */
	bool max_line_set;
	bool debezium;
	char txn_id[512]; /* transactional.id from -X or -F */
} cmdline;

/* kafka-write's defaults, before the command line. */
static void
default_options(kw_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->key_mode = KW_KEY_DEFAULT;
	o->partition = RD_KAFKA_PARTITION_UA;
	o->ack_interval = 1.0;
	o->flush_timeout = 30.0;
	o->max_line = 1000000;
	o->progress = -1;
	o->position_topic = "pgwal-positions";
	o->commit_interval = 0.1;
	o->commit_max = 100000;
}

/* -H NAME=VALUE.  Returns 0, or -1 after a usage message. */
static int
add_header_opt(kw_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char err[512];
	kw_tmpl *t;

	if (eq == NULL || eq == arg)
	{
		log_usage_error("invalid value \"%s\" for option -H/--header: must be NAME=VALUE", arg);
		return -1;
	}
	t = kw_tmpl_compile(eq + 1, err, sizeof(err));
	if (t == NULL)
	{
		log_usage_error("invalid value for option -H/--header: %s", err);
		return -1;
	}
	o->headers = xrealloc(o->headers, (o->nheaders + 1) * sizeof(kw_header_opt));
	o->headers[o->nheaders].name = xstrndup(arg, (size_t) (eq - arg));
	o->headers[o->nheaders].value = t;
	o->nheaders++;
	return 0;
}

/* A --*-field PATH: a member name, or a JSON pointer.  0, or -1 after a usage message. */
static int
check_path_opt(const char *opt, const char *path)
{
	if (path[0] == '\0')
	{
		log_usage_error("invalid value for option %s: empty", opt);
		return -1;
	}
	return 0;
}

/*
 * Parse the command line into o and cl.  Returns -1 to go on, else the
 * exit status (--help, --version, a usage error).
 */
static int
parse_options(int argc, char **argv, kw_opts *o, cmdline *cl)
{
	char errstr[512];
	char err[512];
	long long n;
	double secs;
	int c;

	while ((c = getopt_long(argc, argv, "b:t:p:H:X:F:vq", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'b':
				cl->brokers = optarg;
				break;
			case 't':
				if (check_topic_opt("-t/--topic", optarg) != 0)
					return EXIT_USAGE;
				o->topic = optarg;
				break;
			case OPT_TOPIC_TEMPLATE:
				cl->topic_template = optarg;
				break;
			case OPT_TX_TOPIC:
				if (check_topic_opt("--tx-topic", optarg) != 0)
					return EXIT_USAGE;
				o->tx_topic = optarg;
				break;
			case OPT_MESSAGE_TOPIC:
				if (check_topic_opt("--message-topic", optarg) != 0)
					return EXIT_USAGE;
				free(o->message_topic);
				o->message_topic = xstrdup(optarg);
				break;
			case OPT_KEY_FIELD:
				o->key_mode = KW_KEY_FIELD;
				o->key_path = optarg;
				cl->nkey++;
				break;
			case OPT_KEY_TEMPLATE:
				kw_tmpl_free(o->key_tmpl);
				o->key_tmpl = kw_tmpl_compile(optarg, err, sizeof(err));
				if (o->key_tmpl == NULL)
				{
					log_usage_error("invalid value for option --key-template: %s", err);
					return EXIT_USAGE;
				}
				o->key_mode = KW_KEY_TEMPLATE;
				cl->nkey++;
				break;
			case OPT_NO_KEY:
				o->key_mode = KW_KEY_NONE;
				cl->nkey++;
				break;
			case OPT_VALUE_FIELD:
				if (check_path_opt("--value-field", optarg) != 0)
					return EXIT_USAGE;
				o->value_path = optarg;
				break;
			case OPT_HEADERS_FIELD:
				if (check_path_opt("--headers-field", optarg) != 0)
					return EXIT_USAGE;
				o->headers_path = optarg;
				break;
			case OPT_DEBEZIUM:
				cl->debezium = true;
				break;
			case 'p':
				if (opt_int("-p/--partition", optarg, 0, INT32_MAX, &n) != 0)
					return EXIT_USAGE;
				o->partition = (int32_t) n;
				break;
			case 'H':
				if (add_header_opt(o, optarg) != 0)
					return EXIT_USAGE;
				break;
			case OPT_TOMBSTONES:
				o->tombstones = true;
				break;
			case 'X':
				if (kw_conf_setkv(cl->conf, &cl->seen, optarg, errstr, sizeof(errstr)) != 0)
				{
					log_usage_error("invalid value for option -X: %s", errstr);
					return EXIT_USAGE;
				}
				break;
			case 'F':
				if (kw_conf_file(cl->conf, &cl->seen, optarg, errstr, sizeof(errstr)) != 0)
				{
					log_usage_error("invalid value for option -F/--config: %s", errstr);
					return EXIT_USAGE;
				}
				break;
			case OPT_FLUSH_TIMEOUT:
				if (opt_seconds("--flush-timeout", optarg, 0, 86400, &secs) != 0)
					return EXIT_USAGE;
				o->flush_timeout = secs;
				break;
			case OPT_TXN_ID:
				if (optarg[0] == '\0')
				{
					log_usage_error("invalid value for option --transactional-id: empty");
					return EXIT_USAGE;
				}
				o->txn_id = optarg;
				break;
			case OPT_POSITION_TOPIC:
				if (check_topic_opt("--position-topic", optarg) != 0)
					return EXIT_USAGE;
				o->position_topic = optarg;
				break;
			case OPT_COMMIT_INTERVAL:
				if (opt_seconds("--commit-interval", optarg, 0.001, 3600, &secs) != 0)
					return EXIT_USAGE;
				o->commit_interval = secs;
				break;
			case OPT_COMMIT_MAX:
				if (opt_int("--commit-max", optarg, 1, 100000000, &n) != 0)
					return EXIT_USAGE;
				o->commit_max = (unsigned long) n;
				break;
			case OPT_ACK_FILE:
				o->ack_file = optarg;
				break;
			case OPT_ACK_INTERVAL:
				if (opt_seconds("--ack-interval", optarg, 0, 3600, &secs) != 0)
					return EXIT_USAGE;
				o->ack_interval = secs;
				break;
			case OPT_MAX_LINE:
				if (opt_int("--max-line", optarg, 1, 1024LL * 1024 * 1024, &n) != 0)
					return EXIT_USAGE;
				o->max_line = (size_t) n;
				cl->max_line_set = true;
				break;
			case OPT_SKIP_BAD:
				o->skip_bad = true;
				break;
			case OPT_DEAD_LETTER:
				o->dead_letter = optarg;
				break;
			case OPT_PROGRESS:
				o->progress = 1;
				break;
			case OPT_NO_PROGRESS:
				o->progress = 0;
				break;
			case 'v':
				if (log_verbosity < 2)
					log_verbosity++;
				break;
			case 'q':
				log_verbosity = -1;
				break;
			case OPT_HELP:
				usage();
				return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_OUTPUT;
			case OPT_VERSION:
				printf("kafka-write %s (librdkafka %s)\n", KW_VERSION, rd_kafka_version_str());
				return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_OUTPUT;
			default:
				/* getopt printed what was wrong */
				fprintf(stderr, "Try \"%s --help\" for more information.\n", log_progname);
				return EXIT_USAGE;
		}
	}
	o->files = argv + optind;
	return -1;
}

/*
 * --debezium: pgwal-read --format=debezium's lines carry the Kafka record
 * in their topic, key, value and headers members (see kafka-write(1));
 * what the command line sets itself wins.
 */
static void
apply_debezium(kw_opts *o, cmdline *cl)
{
	if (!o->topic && !cl->topic_template)
		cl->topic_template = "{topic}";
	if (cl->nkey == 0)
	{
		o->key_mode = KW_KEY_FIELD;
		o->key_path = "key";
	}
	if (o->value_path == NULL)
		o->value_path = "value";
	if (o->headers_path == NULL)
		o->headers_path = "headers";
	o->tombstones = true;
}

/* The topic template and the message topic it implies.  0, or -1 after a usage message. */
static int
set_topic_template(kw_opts *o, const char *topic_template)
{
	char err[512];
	const char *why;

	o->topic_tmpl = kw_tmpl_compile(topic_template, err, sizeof(err));
	if (o->topic_tmpl == NULL)
	{
		log_usage_error("invalid value for option --topic-template: %s", err);
		return -1;
	}
	if ((why = kw_tmpl_topic_check(o->topic_tmpl)) != NULL)
	{
		log_usage_error("invalid value \"%s\" for option --topic-template: %s", topic_template,
						why);
		return -1;
	}
	/* like Debezium's <topic.prefix>.message: 'shop.{schema}.{table}' gives shop.message */
	if (o->message_topic == NULL && !kw_tmpl_is_static(o->topic_tmpl))
	{
		size_t leadlen;
		const char *lead = kw_tmpl_lead(o->topic_tmpl, &leadlen);

		o->message_topic = xmalloc(leadlen + sizeof("message"));
		memcpy(o->message_topic, lead, leadlen);
		memcpy(o->message_topic + leadlen, "message", sizeof("message"));
		if ((why = kw_topic_check(o->message_topic, strlen(o->message_topic))) != NULL)
		{
			log_usage_error("the default message topic \"%s\" is invalid: %s; "
							"use --message-topic",
							o->message_topic, why);
			return -1;
		}
	}
	return 0;
}

/*
 * Required options, conflicts (each with its own message), and what the
 * options imply for the producer's configuration.  Returns 0, or -1
 * after a usage message.
 */
static int
check_options(kw_opts *o, cmdline *cl)
{
	rd_kafka_conf_t *conf = cl->conf;
	char errstr[512];

	if (cl->debezium)
		apply_debezium(o, cl);
	if (o->topic && cl->topic_template)
	{
		log_usage_error("options -t/--topic and --topic-template cannot be used together");
		return -1;
	}
	if (!o->topic && !cl->topic_template)
	{
		log_usage_error("no topic given: use -t/--topic or --topic-template");
		return -1;
	}
	if (cl->topic_template && set_topic_template(o, cl->topic_template) != 0)
		return -1;
	if (cl->nkey > 1)
	{
		log_usage_error("options --key-field, --key-template and --no-key cannot be used together");
		return -1;
	}
	if (cl->brokers)
	{
		if (rd_kafka_conf_set(conf, "bootstrap.servers", cl->brokers, errstr, sizeof(errstr)) !=
			RD_KAFKA_CONF_OK)
		{
			log_usage_error("invalid value for option -b/--brokers: %s", errstr);
			return -1;
		}
	}
	else if (!kw_conf_isset(conf, "bootstrap.servers") && !mock_cluster(conf))
	{
		log_usage_error("no brokers given: use -b/--brokers (or bootstrap.servers in -X or -F)");
		return -1;
	}
	/* without --max-line, follow a message.max.bytes raised with -X or -F */
	if (!cl->max_line_set)
	{
		char val[32];
		size_t len = sizeof(val);
		long long mmb;

		if (rd_kafka_conf_get(conf, "message.max.bytes", val, &len) == RD_KAFKA_CONF_OK &&
			(mmb = atoll(val)) > (long long) o->max_line)
			o->max_line = (size_t) mmb;
	}
	if (kw_conf_fit_queue(conf, &cl->seen, o->max_line, errstr, sizeof(errstr)) != 0)
	{
		log_usage_error("%s", errstr);
		return -1;
	}
	/* exactly once: --transactional-id, or transactional.id given with -X or -F */
	if (o->txn_id)
	{
		if (rd_kafka_conf_set(conf, "transactional.id", o->txn_id, errstr, sizeof(errstr)) !=
			RD_KAFKA_CONF_OK)
		{
			log_usage_error("invalid value for option --transactional-id: %s", errstr);
			return -1;
		}
	}
	else if (kw_conf_isset(conf, "transactional.id"))
	{
		size_t len = sizeof(cl->txn_id);

		rd_kafka_conf_get(conf, "transactional.id", cl->txn_id, &len);
		o->txn_id = cl->txn_id;
	}
	if (o->txn_id && o->topic && strcmp(o->topic, o->position_topic) == 0)
	{
		log_usage_error("the position topic cannot be the topic produced to");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	kw_opts o;
	cmdline cl;
	char errstr[512];
	int rc;

	log_init(argv[0]);
	default_options(&o);
	memset(&cl, 0, sizeof(cl));

	/* -X and -F apply in command-line order, over kafka-write's defaults */
	cl.conf = rd_kafka_conf_new();
	if (kw_conf_defaults(cl.conf, errstr, sizeof(errstr)) != 0)
	{
		log_error("could not set default producer properties: %s", errstr);
		rd_kafka_conf_destroy(cl.conf);
		return EXIT_ERROR;
	}
	rc = parse_options(argc, argv, &o, &cl);
	if (rc < 0 && check_options(&o, &cl) != 0)
		rc = EXIT_USAGE;
	if (rc >= 0)
	{
		rd_kafka_conf_destroy(cl.conf);
		free_opts(&o);
		return rc;
	}

	sig_setup();
	rc = kw_run(&o, cl.conf); /* takes the configuration */
	cl.conf = NULL;
	free_opts(&o);
	return rc;
}
