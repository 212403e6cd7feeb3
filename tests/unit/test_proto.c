/*
 * test_proto.c
 *	The pgoutput message readers (proto.c): fields at their offsets, every
 *	truncation refused, flags and wrong types refused.
 */
#include <string.h>

#include "pgoutput.h"
#include "tap.h"

static size_t
put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char) v;
	return 8;
}

static size_t
put32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char) v;
	return 4;
}

int
main(void)
{
	unsigned char m[64];
	size_t n;
	proto_begin b;
	proto_commit c;
	uint64_t lsn;
	int refused;

	/* Begin */
	n = 0;
	m[n++] = 'B';
	n += put64(m + n, 0x16B3748);
	n += put64(m + n, 123456789);
	n += put32(m + n, 747);
	is_int(n, 21, "a Begin is 21 bytes");
	ok(proto_read_begin(m, n, &b) == 0, "Begin read");
	ok(b.final_lsn == 0x16B3748 && b.commit_time == 123456789 && b.xid == 747, "Begin fields");
	refused = 0;
	for (size_t k = 0; k < n; k++)
		refused += proto_read_begin(m, k, &b) == -1;
	is_int(refused, 21, "every truncated Begin refused");
	ok(proto_peek_commit_lsn(m, 9, &lsn) && lsn == 0x16B3748, "Begin peek needs 9 bytes");
	ok(!proto_peek_commit_lsn(m, 8, &lsn), "Begin peek refuses 8");

	/* Commit */
	n = 0;
	m[n++] = 'C';
	m[n++] = 0;
	n += put64(m + n, 0x100);
	n += put64(m + n, 0x200);
	n += put64(m + n, 42);
	is_int(n, 26, "a Commit is 26 bytes");
	ok(proto_read_commit(m, n, &c) == 0, "Commit read");
	ok(c.type == 'C' && c.commit_lsn == 0x100 && c.end_lsn == 0x200 && c.commit_time == 42 &&
		   c.xid == 0 && c.gid == NULL,
	   "Commit fields");
	refused = 0;
	for (size_t k = 0; k < n; k++)
		refused += proto_read_commit(m, k, &c) == -1;
	is_int(refused, 26, "every truncated Commit refused");
	m[1] = 1;
	ok(proto_read_commit(m, n, &c) == -1, "Commit with a flag set refused");
	ok(!proto_peek_commit_lsn(m, n, &lsn), "Commit has nothing to peek at");

	/* Stream Commit */
	n = 0;
	m[n++] = 'c';
	n += put32(m + n, 991);
	m[n++] = 0;
	n += put64(m + n, 0x300);
	n += put64(m + n, 0x400);
	n += put64(m + n, 7);
	is_int(n, 30, "a Stream Commit is 30 bytes");
	ok(proto_read_commit(m, n, &c) == 0, "Stream Commit read");
	ok(c.type == 'c' && c.xid == 991 && c.commit_lsn == 0x300 && c.end_lsn == 0x400 &&
		   c.commit_time == 7,
	   "Stream Commit fields");
	refused = 0;
	for (size_t k = 0; k < n; k++)
		refused += proto_read_commit(m, k, &c) == -1;
	is_int(refused, 30, "every truncated Stream Commit refused");
	ok(proto_peek_commit_lsn(m, 14, &lsn) && lsn == 0x300, "Stream Commit peek needs 14 bytes");
	ok(!proto_peek_commit_lsn(m, 13, &lsn), "Stream Commit peek refuses 13");

	/* Commit Prepared */
	n = 0;
	m[n++] = 'K';
	m[n++] = 0;
	n += put64(m + n, 0x500);
	n += put64(m + n, 0x600);
	n += put64(m + n, 9);
	n += put32(m + n, 55);
	memcpy(m + n, "gid1", 5);
	n += 5;
	ok(proto_read_commit(m, n, &c) == 0, "Commit Prepared read");
	ok(c.type == 'K' && c.xid == 55 && c.commit_lsn == 0x500 && c.end_lsn == 0x600 &&
		   c.gid_len == 4 && memcmp(c.gid, "gid1", 4) == 0,
	   "Commit Prepared fields");
	refused = 0;
	for (size_t k = 0; k < n; k++)
		refused += proto_read_commit(m, k, &c) == -1;
	is_int(refused, n, "every truncated Commit Prepared refused (the gid's NUL too)");
	ok(proto_peek_commit_lsn(m, 10, &lsn) && lsn == 0x500, "Commit Prepared peek needs 10 bytes");
	ok(!proto_peek_commit_lsn(m, 9, &lsn), "Commit Prepared peek refuses 9");

	/* wrong types */
	m[0] = 'I';
	ok(proto_read_commit(m, n, &c) == -1 && proto_read_begin(m, n, &b) == -1,
	   "an Insert is neither");
	ok(!proto_peek_commit_lsn(m, 0, &lsn), "empty message");

	/* Message flags */
	m[0] = 'M';
	m[1] = 0;
	ok(proto_is_plain_message(m, 2), "Message, not transactional");
	m[1] = 1;
	ok(!proto_is_plain_message(m, 2), "Message, transactional");
	ok(!proto_is_plain_message(m, 1), "Message without flags");
	return done_testing();
}
