/*
 * test_copy.c
 *	Unit tests of the COPY text-format row parser of snapshot.c
 *	(copy_row_parse): field splitting, NULL, and every escape.
 */
#include <stdlib.h>
#include <string.h>

#include "copy.h"
#include "tap.h"

/* Field i of r as "NULL" or its bytes with non-printables as <XX>. */
static const char *
field(const copy_row *r, int i)
{
	static char buf[256];
	size_t o = 0;

	if (r->isnull[i])
		return "NULL";
	for (size_t k = 0; k < r->len[i] && o + 5 < sizeof(buf); k++)
	{
		unsigned char ch = (unsigned char) r->field.data[r->off[i] + k];

		if (ch < 0x20 || ch >= 0x7f)
			o += (size_t) snprintf(buf + o, sizeof(buf) - o, "<%02X>", ch);
		else
			buf[o++] = (char) ch;
	}
	buf[o] = '\0';
	return buf;
}

static void
check(const char *in, int nf, const char *const *want, const char *name)
{
	copy_row r;
	int n;

	memset(&r, 0, sizeof(r));
	n = copy_row_parse(&r, in, strlen(in));
	is_int(n, nf, "%s: %d fields", name, nf);
	for (int i = 0; i < n && i < nf; i++)
		is_str(field(&r, i), want[i], "%s: field %d", name, i + 1);
	copy_row_free(&r);
}

int
main(void)
{
	check("1\tabc\n", 2, (const char *[]){"1", "abc"}, "plain");
	check("1\tabc", 2, (const char *[]){"1", "abc"}, "no newline");
	check("\\N\t\t\\N\n", 3, (const char *[]){"NULL", "", "NULL"}, "NULL and empty");
	check("\\\\N\n", 1, (const char *[]){"\\N"}, "an escaped backslash then N is text");
	check("x\\Ny\n", 1, (const char *[]){"xNy"}, "\\N inside a field is N");
	check("a\\tb\\nc\\rd\\\\e\n", 1, (const char *[]){"a<09>b<0A>c<0D>d\\e"},
		  "tab newline return backslash");
	check("\\b\\f\\v\n", 1, (const char *[]){"<08><0C><0B>"}, "backspace formfeed vtab");
	check("\\101\\7\\0121\n", 1, (const char *[]){"A<07><0A>1"}, "octal, 1 to 3 digits");
	check("\\x41\\x4g\\xz\n", 1, (const char *[]){"A<04>gxz"},
		  "hex, 1 or 2 digits; \\x alone is x");
	check("\\q\\\"\n", 1, (const char *[]){"q\""}, "any other escaped character is itself");
	check("\xc3\xbc\t\xe2\x82\xac\n", 2, (const char *[]){"<C3><BC>", "<E2><82><AC>"},
		  "UTF-8 bytes pass");
	check("\n", 1, (const char *[]){""}, "an empty row is one empty field");
	check("a\\\n", 1, (const char *[]){"a\\"}, "a lone trailing backslash");
	check("\t\t\n", 3, (const char *[]){"", "", ""}, "empty fields");
	{
		/* a row longer than any buffer guess, and many fields */
		size_t n = 100000;
		char *big = malloc(n * 2 + 2);
		copy_row r;

		for (size_t i = 0; i < n; i++)
		{
			big[2 * i] = 'x';
			big[2 * i + 1] = '\t';
		}
		big[2 * n - 1] = '\n';
		big[2 * n] = '\0';
		memset(&r, 0, sizeof(r));
		is_int(copy_row_parse(&r, big, 2 * n), (long long) n, "100000 fields");
		is_int(r.len[n - 1], 1, "... the last one whole");
		/* reuse of the same row keeps nothing of the previous one */
		is_int(copy_row_parse(&r, "a\tb\n", 4), 2, "reused row: 2 fields");
		is_str(field(&r, 1), "b", "reused row: field 2");
		copy_row_free(&r);
		free(big);
	}
	return done_testing();
}
