/*
 * writer.h
 *	The pipeline of kafka-write: read lines, validate, route, produce,
 *	track deliveries, write acknowledgements, and finish cleanly.
 */
#ifndef KW_WRITER_H
#define KW_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "route.h"

typedef enum kw_key_mode
{
	KW_KEY_DEFAULT,  /* the "key" member, when present and not null */
	KW_KEY_FIELD,    /* --key-field: a member or JSON pointer, as JSON text */
	KW_KEY_TEMPLATE, /* --key-template: template text */
	KW_KEY_NONE      /* --no-key */
} kw_key_mode;

typedef struct kw_header_opt
{
	char *name;     /* owned */
	kw_tmpl *value; /* owned */
} kw_header_opt;

typedef struct kw_opts
{
	const char *topic;    /* -t, or NULL */
	kw_tmpl *topic_tmpl;  /* --topic-template, or NULL (owned) */
	const char *tx_topic; /* --tx-topic, or NULL */
	char *message_topic;  /* --message-topic or its default, with a template (owned) */
	kw_key_mode key_mode;
	const char *key_path;     /* --key-field */
	const char *value_path;   /* --value-field, or NULL: the line is the value */
	const char *headers_path; /* --headers-field, or NULL */
	kw_tmpl *key_tmpl;        /* --key-template (owned) */
	int32_t partition;        /* --partition, or RD_KAFKA_PARTITION_UA */
	kw_header_opt *headers;   /* -H (owned) */
	size_t nheaders;
	bool tombstones;
	bool skip_bad;
	const char *dead_letter;
	const char *ack_file;
	double ack_interval;  /* seconds */
	double flush_timeout; /* seconds */
	size_t max_line;
	int progress; /* -1 auto (stderr a terminal), 0 off, 1 on */
	/* exactly once (--transactional-id): see txn.h */
	const char *txn_id;         /* NULL: at least once */
	const char *position_topic; /* the position topic */
	double commit_interval;     /* seconds */
	unsigned long commit_max;   /* messages per Kafka transaction */
	char **files;               /* NULL-terminated; empty: stdin */
} kw_opts;

/*
 * Run the pipeline.  conf is taken over (see kw_producer_new).  Returns
 * the exit status (exitcodes.h).
 */
int kw_run(const kw_opts *o, rd_kafka_conf_t *conf);

#endif
