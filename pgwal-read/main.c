/*
 * pgwal-read: stream PostgreSQL row changes as newline-delimited JSON.
 *
 * main() is the outline: parse options, run the one action asked for
 * (create or drop a slot, or stream), exit with its status.  The work is
 * in stream.c (the replication loop), decode.c (pgoutput to JSON), slot.c
 * (slots and publications) and output.c (stdout).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "lsn.h"
#include "opt.h"
#include "sig.h"
#include "slot.h"
#include "stream.h"
#include "version.h"
#include "xalloc.h"

typedef struct options
{
	stream_opts s;
	bool		create_slot;
	bool		drop_slot;
	bool		if_not_exists;
	bool		start;
	bool		create_publication;
	char	  **tables;
	int			ntables;
} options;

static void
usage(void)
{
	printf("%s streams changes from a PostgreSQL logical replication slot as JSON lines.\n\n", log_progname);
	printf("Usage:\n"
		   "  %s [OPTION]... -S SLOT\n\n", log_progname);
	printf("Connection and slot:\n"
		   "  -d, --dbname=CONNSTR        database connection string or URI (libpq; PG* variables apply)\n"
		   "  -S, --slot=NAME             logical replication slot (plugin pgoutput)\n"
		   "      --publication=NAME      publication to stream (default: pgwal)\n"
		   "      --create-publication    create the publication if missing (FOR ALL TABLES, or --table)\n"
		   "      --table=TABLE           a table of the publication to create (repeatable)\n"
		   "\nActions (default: stream):\n"
		   "      --create-slot           create the slot, then exit (with --start: then stream)\n"
		   "      --if-not-exists         with --create-slot: an existing pgoutput slot is fine\n"
		   "      --start                 with --create-slot: stream after creating\n"
		   "      --drop-slot             drop the slot, then exit\n"
		   "\nStreaming:\n"
		   "  -I, --startpos=LSN          start where the slot is, but not before LSN\n"
		   "  -E, --endpos=LSN            stop after the last transaction committing at or before LSN\n"
		   "      --catch-up              stop once caught up with the server's WAL position at start\n"
		   "      --no-loop               exit when the connection is lost instead of reconnecting\n"
		   "  -s, --status-interval=SECS  time between status updates to the server (default: 10)\n"
		   "      --checkpoint=FILE       self-acknowledged mode: write FILE after each flushed batch\n"
		   "      --ack-file=FILE         confirm only the LSN that the consumer writes to FILE\n"
		   "      --ack-interval=SECS     how often to look at --ack-file (default: 0.2)\n"
		   "      --allow-slot-ahead      go on when the slot is past the acknowledged position\n"
		   "      --proto-version=N       pgoutput protocol version, 1 to 4 (default: the server's newest)\n"
		   "      --no-messages           leave out pg_logical_emit_message() output\n"
		   "      --dump-raw=FILE         also write every pgoutput message in hex to FILE (debugging)\n"
		   "\nOther:\n"
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
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_options[] = {
	/* connection and slot */
	{"dbname", required_argument, NULL, 'd'},
	{"slot", required_argument, NULL, 'S'},
	{"publication", required_argument, NULL, OPT_PUBLICATION},
	{"create-publication", no_argument, NULL, OPT_CREATE_PUBLICATION},
	{"table", required_argument, NULL, OPT_TABLE},
	/* actions */
	{"create-slot", no_argument, NULL, OPT_CREATE_SLOT},
	{"if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS},
	{"start", no_argument, NULL, OPT_START},
	{"drop-slot", no_argument, NULL, OPT_DROP_SLOT},
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
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0}
};

static int
parse_lsn_arg(const char *opt, const char *arg, uint64_t *out)
{
	if (lsn_parse(arg, out) != 0)
	{
		log_usage_error("invalid value \"%s\" for option %s: must be an LSN like 0/16B3748", arg, opt);
		return -1;
	}
	return 0;
}

/* Parse argv into o.  Returns -1 (message printed) on a usage error, 1 after --help/--version. */
static int
parse_options(int argc, char **argv, options *o)
{
	int			c;
	long long	n;

	memset(o, 0, sizeof(*o));
	o->s.publication = "pgwal";
	o->s.messages = true;
	o->s.status_interval = 10;
	o->s.ack_interval = 0.2;
	o->s.out_fd = 1;

	while ((c = getopt_long(argc, argv, "d:S:I:E:s:vq", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				o->s.conninfo = optarg;
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
				o->tables = xrealloc(o->tables, sizeof(char *) * (size_t) (o->ntables + 1));
				o->tables[o->ntables++] = optarg;
				break;
			case OPT_CREATE_SLOT:
				o->create_slot = true;
				break;
			case OPT_IF_NOT_EXISTS:
				o->if_not_exists = true;
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
	if (optind < argc)
	{
		log_usage_error("too many command-line arguments (first is \"%s\")", argv[optind]);
		return -1;
	}
	if (o->s.slot == NULL)
	{
		log_usage_error("no slot specified: -S/--slot is required");
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
	if (o->start && !o->create_slot)
	{
		log_usage_error("--start needs --create-slot (streaming is the default action)");
		return -1;
	}
	if (o->s.checkpoint && o->s.ack_file)
	{
		log_usage_error("--checkpoint and --ack-file cannot be used together: one file says what is durable");
		return -1;
	}
	if (o->s.endpos && o->s.catch_up)
	{
		log_usage_error("--endpos and --catch-up cannot be used together");
		return -1;
	}
	if (o->ntables && !o->create_publication)
	{
		log_usage_error("--table needs --create-publication");
		return -1;
	}
	return 0;
}

/* --create-slot, --drop-slot, --create-publication: the one-shot actions. */
static int
run_admin(const options *o, bool *stream_after)
{
	int			ec = EXIT_OK;
	sysinfo		si;
	PGconn	   *conn = conn_open(o->s.conninfo, true, &ec);

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
	if (o->create_publication &&
		publication_create(conn, o->s.publication, o->tables, o->ntables, &ec) != 0)
		goto done;
	if (o->create_slot && slot_create(conn, o->s.slot, o->if_not_exists, si.server_version, &ec) != 0)
		goto done;
	*stream_after = !o->create_slot || o->start;
done:
	PQfinish(conn);
	return ec;
}

int
main(int argc, char **argv)
{
	options		o;
	int			rc;
	bool		stream_after = true;

	log_init(argv[0]);
	rc = parse_options(argc, argv, &o);
	if (rc != 0)
	{
		free(o.tables);
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	sig_setup();

	if (o.create_slot || o.drop_slot || o.create_publication)
		rc = run_admin(&o, &stream_after);
	if (rc == EXIT_OK && stream_after)
		rc = stream_run(&o.s);

	free(o.tables);
	if (fclose(stdout) != 0 && rc == EXIT_OK)
	{
		log_error("could not write to standard output: %m");
		rc = EXIT_OUTPUT;
	}
	return rc;
}
