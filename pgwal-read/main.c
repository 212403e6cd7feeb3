/*
 * pgwal-read: stream PostgreSQL row changes as newline-delimited JSON.
 *
 * main() is the outline: parse options, run the one action asked for
 * (create or drop a slot, list, peek at or advance slots, backfill, or
 * stream, after an initial snapshot or not), exit with its status.  The
 * work is in stream.c (the replication loop), decode.c (pgoutput to JSON),
 * slot.c (slots and publications), slotcmd.c (--list-slots, --peek,
 * --advance), snapshot.c (read events) and output.c (stdout).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "conn.h"
#include "exitcodes.h"
#include "event.h"
#include "log.h"
#include "lsn.h"
#include "opt.h"
#include "position.h"
#include "sig.h"
#include "slot.h"
#include "slotcmd.h"
#include "snapshot.h"
#include "stream.h"
#include "values.h"
#include "version.h"
#include "xalloc.h"

typedef struct options
{
	stream_opts s;
	bool create_slot;
	bool drop_slot;
	bool if_not_exists;
	bool failover;
	bool start;
	bool create_publication;
	snap_table *tables;
	int ntables;
	bool snapshot;
	bool backfill;
	bool list_slots;
	bool peek;
	bool advance;
	slotcmd_opts c;
	ev_opts ev;              /* how events are written (--format=debezium) */
	const char *dbz_prop[4]; /* Debezium properties given, for the usage check */
} options;

static void
usage(void)
{
	printf("%s streams changes from a PostgreSQL logical replication slot as JSON lines.\n\n",
		   log_progname);
	printf("Usage:\n"
		   "  %s [OPTION]... -S SLOT\n"
		   "  %s --list-slots [--format=table|json]\n"
		   "  %s -S SLOT --peek [N] [--format=text|json] | --advance=LSN [--yes]\n"
		   "  %s --backfill [--table=TABLE [--where=COND]]...\n\n",
		   log_progname, log_progname, log_progname, log_progname);
	printf(
		"Connection and slot:\n"
		"  -d, --dbname=CONNSTR        database connection string or URI (libpq; PG* variables "
		"apply)\n"
		"  -w, --no-password           never prompt for a password\n"
		"  -W, --password              prompt for a password before connecting (default:\n"
		"                              when the server asks for one and there is a terminal)\n"
		"  -S, --slot=NAME             logical replication slot (plugin pgoutput)\n"
		"      --publication=NAME      publication to stream (default: pgwal)\n"
		"      --create-publication    create the publication if missing (FOR ALL TABLES, or "
		"--table)\n"
		"      --table=TABLE           a table of the publication to create, or to --backfill\n"
		"                              (repeatable)\n"
		"\nActions (default: stream):\n"
		"      --create-slot           create the slot, then exit (with --start: then stream)\n"
		"      --if-not-exists         with --create-slot: an existing pgoutput slot is fine\n"
		"      --start                 with --create-slot: stream after creating\n"
		"      --failover              with --create-slot: a failover slot, synchronised to\n"
		"                              standbys (PostgreSQL 17 and later)\n"
		"      --snapshot              with --create-slot: emit every table of the publication\n"
		"                              as read events in the slot's snapshot first\n"
		"      --drop-slot             drop the slot, then exit\n"
		"\nSlots and backfills:\n"
		"      --list-slots            list the cluster's slots with lag and WAL retained\n"
		"      --format=FORMAT         --list-slots, --peek: table or text (for humans; the\n"
		"                              default on a terminal) or json (JSON lines)\n"
		"      --peek[=N]              print pending changes without consuming them\n"
		"                              (N: at most N transactions)\n"
		"      --advance=LSN           skip the slot's changes up to LSN (says what first)\n"
		"      --yes                   with --advance: do not ask\n"
		"      --backfill              emit tables (--table, else the publication's) as read\n"
		"                              events in one consistent snapshot, without a slot\n"
		"      --where=COND            filter for the --table just before it\n"
		"\nStreaming:\n"
		"  -I, --startpos=LSN          start where the slot is, but not before LSN\n"
		"  -E, --endpos=LSN            stop after the last transaction committing at or before "
		"LSN\n"
		"      --catch-up              stop once caught up with the server's WAL position at "
		"start\n"
		"      --no-loop               exit when the connection is lost instead of reconnecting\n"
		"  -s, --status-interval=SECS  time between status updates to the server (default: 10)\n"
		"      --checkpoint=FILE       self-acknowledged mode: write FILE after each flushed "
		"batch\n"
		"      --ack-file=FILE         confirm only the LSN that the consumer writes to FILE\n"
		"      --ack-interval=SECS     how often to look at --ack-file (default: 0.2)\n"
		"      --allow-slot-ahead      go on when the slot is past the acknowledged position\n"
		"      --proto-version=N       pgoutput protocol version, 1 to 4 (default: the server's "
		"newest)\n"
		"      --no-messages           leave out pg_logical_emit_message() output\n"
		"      --dump-raw=FILE         also write every pgoutput message in hex to FILE "
		"(debugging)\n"
		"\nDebezium's format (see DEBEZIUM FORMAT in pgwal-read(1)):\n"
		"      --format=debezium       events carry the topic, key and value that Debezium's\n"
		"                              PostgreSQL connector writes (kafka-write --debezium)\n"
		"      --topic-prefix=NAME     Debezium's topic.prefix (required with it)\n"
		"      --decimal.handling.mode=precise|double|string\n"
		"      --time.precision.mode=adaptive|adaptive_time_microseconds|connect\n"
		"      --binary.handling.mode=bytes|base64|hex\n"
		"                              Debezium's properties of those names (default: the "
		"first)\n"
		"\nOther:\n"
		"      --time-format=FORMAT    timestamptz, timestamp and timetz column values as\n"
		"                              postgres (the default: the server's text) or iso\n"
		"                              (ISO 8601, spelled like the ts field)\n"
		"  -v, --verbose               more messages on stderr (repeat for debug)\n"
		"  -q, --quiet                 errors only\n"
		"      --help                  show this help, then exit\n"
		"      --version               show the version, then exit\n"
		"\nEvents go to standard output, diagnostics to standard error.  See pgwal-read(1)\n"
		"and pgwal-events(7).\n");
}

enum
{
	OPT_PUBLICATION = 256,
	OPT_CREATE_PUBLICATION,
	OPT_TABLE,
	OPT_CREATE_SLOT,
	OPT_FAILOVER,
	OPT_IF_NOT_EXISTS,
	OPT_START,
	OPT_DROP_SLOT,
	OPT_CATCH_UP,
	OPT_NO_LOOP,
	OPT_CHECKPOINT,
	OPT_ACK_FILE,
	OPT_ACK_INTERVAL,
	OPT_ALLOW_SLOT_AHEAD,
	OPT_PROTO,
	OPT_NO_MESSAGES,
	OPT_DUMP_RAW,
	OPT_SNAPSHOT,
	OPT_LIST_SLOTS,
	OPT_FORMAT,
	OPT_PEEK,
	OPT_ADVANCE,
	OPT_YES,
	OPT_BACKFILL,
	OPT_WHERE,
	OPT_TIME_FORMAT,
	OPT_TOPIC_PREFIX,
	OPT_DBZ_DECIMAL,
	OPT_DBZ_TIME,
	OPT_DBZ_BINARY,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_options[] = {
	/* connection and slot */
	{"dbname", required_argument, NULL, 'd'},
	{"no-password", no_argument, NULL, 'w'},
	{"password", no_argument, NULL, 'W'},
	{"slot", required_argument, NULL, 'S'},
	{"publication", required_argument, NULL, OPT_PUBLICATION},
	{"create-publication", no_argument, NULL, OPT_CREATE_PUBLICATION},
	{"table", required_argument, NULL, OPT_TABLE},
	/* actions */
	{"create-slot", no_argument, NULL, OPT_CREATE_SLOT},
	{"failover", no_argument, NULL, OPT_FAILOVER},
	{"if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS},
	{"start", no_argument, NULL, OPT_START},
	{"drop-slot", no_argument, NULL, OPT_DROP_SLOT},
	{"snapshot", no_argument, NULL, OPT_SNAPSHOT},
	/* slots and backfills */
	{"list-slots", no_argument, NULL, OPT_LIST_SLOTS},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"peek", optional_argument, NULL, OPT_PEEK},
	{"advance", required_argument, NULL, OPT_ADVANCE},
	{"yes", no_argument, NULL, OPT_YES},
	{"backfill", no_argument, NULL, OPT_BACKFILL},
	{"where", required_argument, NULL, OPT_WHERE},
	/* streaming */
	{"startpos", required_argument, NULL, 'I'},
	{"endpos", required_argument, NULL, 'E'},
	{"catch-up", no_argument, NULL, OPT_CATCH_UP},
	{"no-loop", no_argument, NULL, OPT_NO_LOOP},
	{"status-interval", required_argument, NULL, 's'},
	{"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
	{"ack-file", required_argument, NULL, OPT_ACK_FILE},
	{"ack-interval", required_argument, NULL, OPT_ACK_INTERVAL},
	{"allow-slot-ahead", no_argument, NULL, OPT_ALLOW_SLOT_AHEAD},
	{"proto-version", required_argument, NULL, OPT_PROTO},
	{"no-messages", no_argument, NULL, OPT_NO_MESSAGES},
	{"dump-raw", required_argument, NULL, OPT_DUMP_RAW},
	/* other */
	{"time-format", required_argument, NULL, OPT_TIME_FORMAT},
	{"topic-prefix", required_argument, NULL, OPT_TOPIC_PREFIX},
	{"topic.prefix", required_argument, NULL, OPT_TOPIC_PREFIX},
	{"decimal.handling.mode", required_argument, NULL, OPT_DBZ_DECIMAL},
	{"time.precision.mode", required_argument, NULL, OPT_DBZ_TIME},
	{"binary.handling.mode", required_argument, NULL, OPT_DBZ_BINARY},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0}};

static int
parse_lsn_arg(const char *opt, const char *arg, uint64_t *out)
{
	if (lsn_parse(arg, out) != 0)
	{
		log_usage_error("invalid value \"%s\" for option %s: must be an LSN like 0/16B3748", arg,
						opt);
		return -1;
	}
	return 0;
}

static int check_options(options *o);

/* Parse argv into o.  Returns -1 (message printed) on a usage error, 1 after --help/--version. */
static int
parse_options(int argc, char **argv, options *o)
{
	int c;
	long long n;

	memset(o, 0, sizeof(*o));
	o->s.publication = "pgwal";
	o->s.messages = true;
	o->s.status_interval = 10;
	o->s.ack_interval = 0.2;
	o->s.out_fd = 1;

	while ((c = getopt_long(argc, argv, "d:wWS:I:E:s:vq", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				o->s.conninfo = optarg;
				break;
			case 'w':
				conn_password_prompt = CONN_PROMPT_NEVER;
				break;
			case 'W':
				conn_password_prompt = CONN_PROMPT_ALWAYS;
				break;
			case 'S':
				o->s.slot = optarg;
				break;
			case OPT_PUBLICATION:
				o->s.publication = optarg;
				break;
			case OPT_CREATE_PUBLICATION:
				o->create_publication = true;
				break;
			case OPT_TABLE:
				o->tables = xrealloc(o->tables, sizeof(snap_table) * (size_t) (o->ntables + 1));
				o->tables[o->ntables].name = optarg;
				o->tables[o->ntables++].where = NULL;
				break;
			case OPT_WHERE:
				if (o->ntables == 0)
				{
					log_usage_error("--where needs a --table before it: it filters that table");
					return -1;
				}
				if (o->tables[o->ntables - 1].where)
				{
					log_usage_error("--table %s has two --where filters: combine them with AND",
									o->tables[o->ntables - 1].name);
					return -1;
				}
				o->tables[o->ntables - 1].where = optarg;
				break;
			case OPT_SNAPSHOT:
				o->snapshot = true;
				break;
			case OPT_LIST_SLOTS:
				o->list_slots = true;
				break;
			case OPT_FORMAT:
				if (strcmp(optarg, "table") == 0 || strcmp(optarg, "text") == 0)
					o->c.format = LIST_TABLE;
				else if (strcmp(optarg, "json") == 0)
					o->c.format = LIST_JSON;
				else if (strcmp(optarg, "debezium") == 0)
					o->ev.format = EV_DEBEZIUM;
				else if (strcmp(optarg, "pgwal") == 0)
					o->ev.format = EV_PGWAL;
				else
				{
					log_usage_error("invalid value \"%s\" for option --format: must be pgwal or "
									"debezium (events), table, text or json (--list-slots, --peek)",
									optarg);
					return -1;
				}
				break;
			case OPT_TOPIC_PREFIX:
				if (optarg[0] == '\0')
				{
					log_usage_error("--topic-prefix must not be empty");
					return -1;
				}
				o->ev.topic_prefix = optarg;
				break;
			case OPT_DBZ_DECIMAL:
			case OPT_DBZ_TIME:
			case OPT_DBZ_BINARY:
			{
				static const char *const names[] = {"decimal.handling.mode", "time.precision.mode",
													"binary.handling.mode"};
				const char *name = names[c - OPT_DBZ_DECIMAL];

				if (dbz_mode_set(&o->ev.modes, name, optarg) != 0)
				{
					log_usage_error("invalid value \"%s\" for option --%s", optarg, name);
					return -1;
				}
				o->dbz_prop[c - OPT_DBZ_DECIMAL] = name;
				break;
			}
			case OPT_TIME_FORMAT:
				if (strcmp(optarg, "iso") == 0 || strcmp(optarg, "postgres") == 0)
					value_set_time_iso(strcmp(optarg, "iso") == 0);
				else
				{
					log_usage_error(
						"invalid value \"%s\" for option --time-format: must be postgres or iso",
						optarg);
					return -1;
				}
				break;
			case OPT_PEEK:
				o->peek = true;
				if (optarg && opt_int("--peek", optarg, 1, INT32_MAX, &o->c.peek_limit) != 0)
					return -1;
				break;
			case OPT_ADVANCE:
				o->advance = true;
				if (parse_lsn_arg("--advance", optarg, &o->c.upto) != 0)
					return -1;
				break;
			case OPT_YES:
				o->c.yes = true;
				break;
			case OPT_BACKFILL:
				o->backfill = true;
				break;
			case OPT_CREATE_SLOT:
				o->create_slot = true;
				break;
			case OPT_IF_NOT_EXISTS:
				o->if_not_exists = true;
				break;
			case OPT_FAILOVER:
				o->failover = true;
				break;
			case OPT_START:
				o->start = true;
				break;
			case OPT_DROP_SLOT:
				o->drop_slot = true;
				break;
			case 'I':
				if (parse_lsn_arg("--startpos", optarg, &o->s.startpos) != 0)
					return -1;
				break;
			case 'E':
				if (parse_lsn_arg("--endpos", optarg, &o->s.endpos) != 0)
					return -1;
				break;
			case OPT_CATCH_UP:
				o->s.catch_up = true;
				break;
			case OPT_NO_LOOP:
				o->s.no_loop = true;
				break;
			case 's':
				if (opt_seconds("--status-interval", optarg, 0.1, 3600, &o->s.status_interval) != 0)
					return -1;
				break;
			case OPT_CHECKPOINT:
				o->s.checkpoint = optarg;
				break;
			case OPT_ACK_FILE:
				o->s.ack_file = optarg;
				break;
			case OPT_ACK_INTERVAL:
				if (opt_seconds("--ack-interval", optarg, 0.01, 3600, &o->s.ack_interval) != 0)
					return -1;
				break;
			case OPT_ALLOW_SLOT_AHEAD:
				o->s.allow_slot_ahead = true;
				break;
			case OPT_PROTO:
				if (opt_int("--proto-version", optarg, 1, 4, &n) != 0)
					return -1;
				o->s.proto_version = (int) n;
				break;
			case OPT_NO_MESSAGES:
				o->s.messages = false;
				break;
			case OPT_DUMP_RAW:
				o->s.dump_raw = optarg;
				break;
			case 'v':
				log_verbosity = log_verbosity < 0 ? 1 : log_verbosity + 1;
				break;
			case 'q':
				log_verbosity = -1;
				break;
			case OPT_HELP:
				usage();
				return 1;
			case OPT_VERSION:
				printf("pgwal-read %s (libpq %d)\n", PGWAL_VERSION, PQlibVersion());
				return 1;
			default:
				fprintf(stderr, "Try \"%s --help\" for more information.\n", log_progname);
				return -1;
		}
	}
	/* --peek N as well as --peek=N (an optional argument must be attached) */
	if (o->peek && o->c.peek_limit == 0 && optind < argc && argv[optind][0] >= '0' &&
		argv[optind][0] <= '9')
	{
		if (opt_int("--peek", argv[optind], 1, INT32_MAX, &o->c.peek_limit) != 0)
			return -1;
		optind++;
	}
	if (optind < argc)
	{
		log_usage_error("too many command-line arguments (first is \"%s\")", argv[optind]);
		return -1;
	}
	return check_options(o);
}

/* Conflicts between options, each with its own message. */
static int
check_options(options *o)
{
	int nactions = o->list_slots + o->peek + o->advance + o->backfill +
				   (o->create_slot || o->create_publication) + o->drop_slot;

	if (nactions > 1)
	{
		log_usage_error("--list-slots, --peek, --advance, --backfill, --create-slot and --drop-slot"
						" are separate actions: give one");
		return -1;
	}
	if (o->list_slots || o->backfill)
	{
		if (o->s.slot)
		{
			log_usage_error("%s needs no slot (-S)", o->list_slots ? "--list-slots" : "--backfill");
			return -1;
		}
	}
	else if (o->s.slot == NULL)
	{
		log_usage_error("no slot specified: -S/--slot is required");
		return -1;
	}
	if (o->c.format != LIST_AUTO && !o->list_slots && !o->peek)
	{
		log_usage_error("--format needs --list-slots or --peek");
		return -1;
	}
	if (o->ev.format == EV_DEBEZIUM && (o->list_slots || o->peek || o->advance))
	{
		log_usage_error("--format=debezium is for streams, snapshots and backfills, not for %s",
						o->list_slots ? "--list-slots"
						: o->peek     ? "--peek"
									  : "--advance");
		return -1;
	}
	if (o->ev.format == EV_DEBEZIUM && o->ev.topic_prefix == NULL)
	{
		log_usage_error("--format=debezium needs --topic-prefix (Debezium's topic.prefix)");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (o->dbz_prop[i] && o->ev.format != EV_DEBEZIUM)
		{
			log_usage_error("--%s needs --format=debezium", o->dbz_prop[i]);
			return -1;
		}
	if (o->ev.topic_prefix && o->ev.format != EV_DEBEZIUM)
	{
		log_usage_error("--topic-prefix needs --format=debezium");
		return -1;
	}
	if (o->c.yes && !o->advance)
	{
		log_usage_error("--yes needs --advance");
		return -1;
	}
	if (o->snapshot && !o->create_slot)
	{
		log_usage_error(
			"--snapshot needs --create-slot: the snapshot is exported when the slot is created");
		return -1;
	}
	if ((o->list_slots || o->peek || o->advance || o->backfill) &&
		(o->s.checkpoint || o->s.ack_file || o->s.startpos || o->s.catch_up || o->s.no_loop))
	{
		log_usage_error(
			"--checkpoint, --ack-file, --startpos, --catch-up and --no-loop are for streaming");
		return -1;
	}
	if (o->s.endpos && (o->list_slots || o->advance || o->backfill))
	{
		log_usage_error("--endpos is for streaming and --peek (--advance takes the LSN itself)");
		return -1;
	}
	if (o->create_slot && o->drop_slot)
	{
		log_usage_error("--create-slot and --drop-slot cannot be used together");
		return -1;
	}
	if (o->if_not_exists && !o->create_slot)
	{
		log_usage_error("--if-not-exists needs --create-slot");
		return -1;
	}
	if (o->failover && !o->create_slot)
	{
		log_usage_error("--failover needs --create-slot");
		return -1;
	}
	if (o->start && !o->create_slot)
	{
		log_usage_error("--start needs --create-slot (streaming is the default action)");
		return -1;
	}
	if (o->s.checkpoint && o->s.ack_file)
	{
		log_usage_error(
			"--checkpoint and --ack-file cannot be used together: one file says what is durable");
		return -1;
	}
	if (o->s.endpos && o->s.catch_up)
	{
		log_usage_error("--endpos and --catch-up cannot be used together");
		return -1;
	}
	if (o->ntables && !o->create_publication && !o->backfill)
	{
		log_usage_error("--table needs --create-publication or --backfill");
		return -1;
	}
	for (int i = 0; i < o->ntables && !o->backfill; i++)
	{
		if (o->tables[i].where)
		{
			log_usage_error("--where is for --backfill");
			return -1;
		}
	}
	return 0;
}

/* --create-slot, --drop-slot, --create-publication: the one-shot actions. */
static int
run_admin(const options *o, bool *stream_after)
{
	int ec = EXIT_OK;
	sysinfo si;
	PGconn *conn = conn_open(o->s.conninfo, true, &ec);

	*stream_after = false;
	if (conn == NULL)
		return ec;
	if (slot_identify(conn, &si, &ec) != 0)
		goto done;
	if (o->drop_slot)
	{
		slot_drop(conn, o->s.slot, &ec);
		goto done;
	}
	/* refuse before creating anything: a publication left behind helps nobody */
	if (slot_check_wal_level(conn, &ec) != 0)
		goto done;
	if (o->create_publication)
	{
		char **names = xcalloc((size_t) o->ntables + 1, sizeof(char *));
		int rc;

		for (int i = 0; i < o->ntables; i++)
			names[i] = (char *) o->tables[i].name;
		rc = publication_create(conn, o->s.publication, names, o->ntables, &ec);
		free(names);
		if (rc != 0)
			goto done;
	}
	/* --snapshot creates the slot itself, exporting its snapshot */
	if (o->create_slot && !o->snapshot &&
		slot_create(conn, o->s.slot, o->if_not_exists, o->failover, si.server_version, &ec) != 0)
		goto done;
	*stream_after = !o->create_slot || o->start;
done:
	PQfinish(conn);
	return ec;
}

int
main(int argc, char **argv)
{
	options o;
	int rc;
	bool stream_after = true;

	log_init(argv[0]);
	rc = parse_options(argc, argv, &o);
	if (rc != 0)
	{
		free(o.tables);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	sig_setup();

	o.c.conninfo = o.s.conninfo;
	o.c.slot = o.s.slot;
	o.c.publication = o.s.publication;
	o.c.proto_version = o.s.proto_version;
	o.c.messages = o.s.messages;

	if (o.list_slots)
		rc = slotcmd_list(&o.c);
	else if (o.peek)
	{
		o.c.upto = o.s.endpos;
		rc = slotcmd_peek(&o.c);
	}
	else if (o.advance)
		rc = slotcmd_advance(&o.c);
	else if (o.backfill)
		rc = snapshot_backfill(&(snapshot_opts){.conninfo = o.s.conninfo,
												.publication = o.s.publication,
												.tables = o.tables,
												.ntables = o.ntables,
												.events = &o.ev});
	else
	{
		if (o.create_slot || o.drop_slot || o.create_publication)
			rc = run_admin(&o, &stream_after);
		if (rc == EXIT_OK && o.snapshot)
			rc = snapshot_initial(&(snapshot_opts){.conninfo = o.s.conninfo,
												   .publication = o.s.publication,
												   .slot = o.s.slot,
												   .if_not_exists = o.if_not_exists,
												   .failover = o.failover,
												   .checkpoint = o.s.checkpoint,
												   .ack_file = o.s.ack_file,
												   .consistent_point = &o.s.hold_below,
												   .events = &o.ev});
		/* a snapshot begun earlier must be acknowledged (--snapshot checks it itself) */
		if (rc == EXIT_OK && stream_after && !o.snapshot)
			rc = pos_check_marker(o.s.slot, o.s.checkpoint, o.s.ack_file);
		o.s.events = &o.ev;
		if (rc == EXIT_OK && stream_after)
			rc = stream_run(&o.s);
	}

	free(o.tables);
	if (fclose(stdout) != 0 && rc == EXIT_OK)
	{
		log_error("could not write to standard output: %m");
		rc = EXIT_OUTPUT;
	}
	return rc;
}
