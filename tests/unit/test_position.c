/*
 * test_position.c
 *	Unit tests of the position rules (position.c) and the checkpoint file
 *	reader and writer (ckpt.c): only emitted end_lsns are confirmed, a file
 *	of another slot or past the WAL is refused, links are never followed,
 *	errors never quote the file.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ckpt.h"
#include "exitcodes.h"
#include "log.h"
#include "position.h"
#include "tap.h"

static char dir[] = "/tmp/test_position.XXXXXX";

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static const char *
at(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

int
main(void)
{
	position p;
	uint64_t acked;
	ckpt c;
	char cmd[512];

	log_init("test_position");
	log_verbosity = -1;
	if (mkdtemp(dir) == NULL)
		return 1;

	/* only emitted end_lsns are confirmed */
	is_int(pos_open(&p, "s", NULL, at("a.ack")), 0, "no ack file yet: fine");
	pos_emitted(&p, 100);
	pos_emitted(&p, 200);
	pos_emitted(&p, 300);
	is_int(pos_acknowledged(&p, 250, UINT64_MAX, 0), 200,
		   "an ack between two commits confirms the lower one");
	is_int(pos_acknowledged(&p, 0x300000000, UINT64_MAX, 200), 300,
		   "an ack far ahead confirms at most the last emitted");
	is_int(pos_acknowledged(&p, 50, UINT64_MAX, 300), 300, "an ack never moves the position back");
	is_int(pos_acknowledged(&p, 1000, UINT64_MAX, 300), 300, "nothing new emitted: nothing more");
	pos_emitted(&p, 400);
	is_int(pos_acknowledged(&p, 1000, 399, 300), 300, "emitted but not yet written: not confirmed");
	is_int(pos_acknowledged(&p, 1000, 400, 300), 400, "... once written, confirmed");
	for (uint64_t l = 1; l <= 200000; l++)
		pos_emitted(&p, 1000 + l);
	ok(p.nemitted <= 65536, "the emitted list stays bounded (%zu)", p.nemitted);
	is_int(pos_acknowledged(&p, 1000 + 200000, UINT64_MAX, 300), 1000 + 200000,
		   "the last emitted is always confirmable");
	pos_close(&p);

	/* start checks */
	put("b.ack", "0/1000\nslot s\nsystem 42\n");
	is_int(pos_open(&p, "other", NULL, at("b.ack")), EXIT_POSITION, "another slot's file: refused");
	pos_close(&p);
	is_int(pos_open(&p, "s", NULL, at("b.ack")), 0, "own file: read");
	is_int(pos_check_start(&p, 43, 0x5000, 0x1000, false, &acked), EXIT_POSITION,
		   "another system's file: refused");
	pos_close(&p);
	pos_open(&p, "s", NULL, at("b.ack"));
	is_int(pos_check_start(&p, 42, 0x800, 0x800, false, &acked), EXIT_POSITION,
		   "a file past the server's WAL: refused");
	pos_close(&p);
	pos_open(&p, "s", NULL, at("b.ack"));
	is_int(pos_check_start(&p, 42, 0x5000, 0x2000, false, &acked), EXIT_CHECKPOINT,
		   "the slot ahead of the file: exit 5");
	pos_close(&p);
	pos_open(&p, "s", NULL, at("b.ack"));
	is_int(pos_check_start(&p, 42, 0x5000, 0x800, false, &acked), 0,
		   "an ack file ahead of the slot");
	is_int(acked, 0x800, "... resumes from the slot's position");
	pos_close(&p);
	put("b.ckpt", "0/1000\nslot s\n");
	pos_open(&p, "s", at("b.ckpt"), NULL);
	is_int(pos_check_start(&p, 42, 0x5000, 0x800, false, &acked), 0,
		   "a checkpoint file ahead of the slot");
	is_int(acked, 0x1000, "... is pgwal-read's own: resumed from");
	pos_close(&p);
	is_int(pos_open(&p, "s", at("missing/c.ckpt"), NULL), EXIT_CHECKPOINT,
		   "a checkpoint file in a missing directory: found at start");
	pos_close(&p);

	/* files: no links, no contents in errors */
	put("secret", "SECRET\n");
	snprintf(cmd, sizeof(cmd), "ln -s %s %s", at("secret"), at("link"));
	if (system(cmd) != 0)
		return 1;
	is_int(ckpt_read(at("link"), &c), -1, "a symbolic link is refused");
	is_int(ckpt_parse("0/1\nslot \n", 10, "x", &c), -1, "an empty slot name is refused");
	is_int(ckpt_parse("0/1\nsystem -1\n", 14, "x", &c), -1, "a negative system id is refused");
	is_int(ckpt_parse("0/1\0\n", 5, "x", &c), -1, "a NUL byte is refused");
	memset(&c, 0, sizeof(c));
	c.lsn = 0x1234;
	strcpy(c.slot, "s");
	for (int i = 0; i < 10; i++)
	{
		snprintf(cmd, sizeof(cmd), "ln -s %s %s.tmp.%d", at("secret"), at("w.ckpt"), getpid() + i);
		if (system(cmd) != 0)
			return 1;
	}
	is_int(ckpt_write(at("w.ckpt"), &c), 0, "written beside planted links");
	is_int(ckpt_read(at("w.ckpt"), &c), 0, "... and read back");
	is_int(c.lsn, 0x1234, "... with its LSN");
	{
		FILE *f = fopen(at("secret"), "r");
		char line[64] = "";

		if (f)
		{
			if (fgets(line, sizeof(line), f) == NULL)
				line[0] = '\0';
			fclose(f);
		}
		is_str(line, "SECRET\n", "no planted link was followed");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return done_testing();
}
