/*
 * dbzvalue.c
 *	PostgreSQL's text output to Debezium's JSON values (dbzvalue.h).
 *
 *	Each converter parses the text PostgreSQL printed under pgwal-read's
 *	pinned settings and writes what Debezium 3.6's PostgreSQL connector
 *	writes through the JsonConverter, as captured in
 *	tests/fixtures/debezium/README (the source of every rule here,
 *	including the odd ones: date infinity, time[] truncated to
 *	milliseconds, multi-dimensional arrays as nulls).  No printf family on
 *	the way through, except for the shortest digits of floating-point
 *	numbers.  About 870 lines: one converter per family of types, kept
 *	together so that the dispatch and the array rules read in one place
 *	(dates and times are in dbztime.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbztime.h"
#include "dbzvalue.h"
#include "event_dbz.h"
#include "fmt.h"
#include "hex.h"
#include "values.h"

/* type OIDs (pg_type.dat) */
enum
{
	T_BOOL = 16,
	T_BYTEA = 17,
	T_CHAR = 18,
	T_NAME = 19,
	T_INT8 = 20,
	T_INT2 = 21,
	T_INT4 = 23,
	T_TEXT = 25,
	T_OID = 26,
	T_JSON = 114,
	T_XML = 142,
	T_POINT = 600,
	T_LSEG = 601,
	T_PATH = 602,
	T_BOX = 603,
	T_POLYGON = 604,
	T_LINE = 628,
	T_FLOAT4 = 700,
	T_FLOAT8 = 701,
	T_CIRCLE = 718,
	T_MONEY = 790,
	T_DATE = 1082,
	T_TIME = 1083,
	T_TIMESTAMP = 1114,
	T_TIMESTAMPTZ = 1184,
	T_INTERVAL = 1186,
	T_TIMETZ = 1266,
	T_BIT = 1560,
	T_VARBIT = 1562,
	T_NUMERIC = 1700,
	T_PG_LSN = 3220,
	T_TSQUERY = 3615,
	T_JSONB = 3802
};

int
dbz_mode_set(dbz_modes *m, const char *name, const char *value)
{
	static const struct
	{
		const char *name, *value;
		int which, mode;
	} modes[] = {
		{"decimal.handling.mode", "precise", 0, DBZ_DECIMAL_PRECISE},
		{"decimal.handling.mode", "double", 0, DBZ_DECIMAL_DOUBLE},
		{"decimal.handling.mode", "string", 0, DBZ_DECIMAL_STRING},
		{"time.precision.mode", "adaptive", 1, DBZ_TIME_ADAPTIVE},
		{"time.precision.mode", "adaptive_time_microseconds", 1, DBZ_TIME_ADAPTIVE_MICRO},
		{"time.precision.mode", "connect", 1, DBZ_TIME_CONNECT},
		{"binary.handling.mode", "bytes", 2, DBZ_BINARY_BYTES},
		{"binary.handling.mode", "base64", 2, DBZ_BINARY_BASE64},
		{"binary.handling.mode", "hex", 2, DBZ_BINARY_HEX},
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
	{
		if (strcmp(modes[i].name, name) != 0 || strcmp(modes[i].value, value) != 0)
			continue;
		if (modes[i].which == 0)
			m->decimal = (dbz_decimal) modes[i].mode;
		else if (modes[i].which == 1)
			m->time = (dbz_time) modes[i].mode;
		else
			m->binary = (dbz_binary) modes[i].mode;
		return 0;
	}
	return -1;
}

/* ----------------------------------------------------------------
 * Small writers
 * ---------------------------------------------------------------- */

void
dbz_base64(strbuf *out, const unsigned char *p, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	strbuf_grow(out, (n + 2) / 3 * 4);
	for (size_t i = 0; i < n; i += 3)
	{
		uint32_t v = (uint32_t) p[i] << 16;
		char *q = out->data + out->len;

		if (i + 1 < n)
			v |= (uint32_t) p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		out->len += 4;
	}
	out->data[out->len] = '\0';
}

static void
put_quoted_base64(strbuf *out, const unsigned char *p, size_t n)
{
	strbuf_putc(out, '"');
	dbz_base64(out, p, n);
	strbuf_putc(out, '"');
}

void
dbz_i64(strbuf *out, int64_t v)
{
	if (v < 0)
	{
		strbuf_putc(out, '-');
		strbuf_u64(out, (uint64_t) 0 - (uint64_t) v);
	}
	else
		strbuf_u64(out, (uint64_t) v);
}

/*
 * Java's Double/Float.toString from the shortest digits that read back as
 * v: d.ddd with at least one fraction digit for 10^-3 <= |v| < 10^7,
 * else d.dddE<exp>.
 */
static void
java_format(strbuf *out, double v, bool is_float)
{
	char buf[40], digits[24];
	int nd = 0, exp10;
	const char *e;

	if (v == 0)
	{
		strbuf_puts(out, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	for (int p = 1; p <= 17; p++)
	{
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (is_float ? strtof(buf, NULL) == (float) v : strtod(buf, NULL) == v)
			break;
	}
	/* buf: [-]d[.ddd]e[+-]xx */
	for (const char *p = buf; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	e = strchr(buf, 'e');
	exp10 = atoi(e + 1);
	if (v < 0)
		strbuf_putc(out, '-');
	if (exp10 >= -3 && exp10 < 7)
	{
		if (exp10 < 0)
		{
			strbuf_puts(out, "0.");
			for (int i = -1; i > exp10; i--)
				strbuf_putc(out, '0');
			strbuf_add(out, digits, (size_t) nd);
		}
		else
		{
			for (int i = 0; i <= exp10; i++)
				strbuf_putc(out, i < nd ? digits[i] : '0');
			strbuf_putc(out, '.');
			if (nd > exp10 + 1)
				strbuf_add(out, digits + exp10 + 1, (size_t) (nd - exp10 - 1));
			else
				strbuf_putc(out, '0');
		}
		return;
	}
	strbuf_putc(out, digits[0]);
	strbuf_putc(out, '.');
	if (nd > 1)
		strbuf_add(out, digits + 1, (size_t) (nd - 1));
	else
		strbuf_putc(out, '0');
	strbuf_putc(out, 'E');
	dbz_i64(out, exp10);
}

/* NaN and the infinities are strings, as Jackson writes them by default */
static bool
put_special(strbuf *out, double v)
{
	if (isnan(v))
		strbuf_puts(out, "\"NaN\"");
	else if (isinf(v))
		strbuf_puts(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
		return false;
	return true;
}

void
dbz_java_double(strbuf *out, double v)
{
	if (!put_special(out, v))
		java_format(out, v, false);
}

void
dbz_java_float(strbuf *out, float v)
{
	if (!put_special(out, v))
		java_format(out, (double) v, true);
}

/* ----------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------- */

/* s is exactly an optionally signed run of digits */
static bool
is_integer(const char *s, size_t n)
{
	size_t i = (n > 0 && s[0] == '-') ? 1 : 0;

	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool
parse_double(const char *s, size_t n, double *v)
{
	char buf[64];
	char *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*v = strtod(buf, &end);
	return *end == '\0';
}

/* buf[0..nb) (little-endian) = buf * 10 + d; the new length, or -1 past cap */
static int
mul10_add(unsigned char *buf, int nb, int cap, int d)
{
	for (int k = 0; k < nb || d; k++)
	{
		int v;

		if (k >= cap)
			return -1;
		v = (k < nb ? buf[k] : 0) * 10 + d;
		buf[k] = (unsigned char) (v & 0xFF);
		d = v >> 8;
		if (k >= nb)
			nb = k + 1;
	}
	return nb;
}

/*
 * A decimal's unscaled value at scale (digits dropped or zeros added) as
 * the minimal big-endian two's-complement bytes of a Java BigInteger.
 * Returns the byte count (in buf, at most cap), or -1 for text that is not
 * a plain decimal.
 */
static int
unscaled_bytes(const char *s, size_t n, int scale, unsigned char *buf, int cap)
{
	bool neg = false;
	int nb = 0, frac = -1;
	size_t i = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	if (i == n)
		return -1;
	memset(buf, 0, (size_t) cap);
	for (; i < n; i++)
	{
		int d;

		if (s[i] == '.' && frac < 0)
		{
			frac = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (frac >= 0 && frac >= scale)
			continue; /* beyond the scale: PostgreSQL printed them, Debezium drops them */
		if (frac >= 0)
			frac++;
		d = s[i] - '0';
		if ((nb = mul10_add(buf, nb, cap, d)) < 0)
			return -1;
	}
	for (int f = frac < 0 ? 0 : frac; f < scale; f++)
		if ((nb = mul10_add(buf, nb, cap, 0)) < 0)
			return -1;
	/* room for the sign bit */
	if (nb == 0 || (buf[nb - 1] & 0x80))
	{
		if (nb >= cap)
			return -1;
		buf[nb++] = 0;
	}
	if (neg)
	{
		int carry = 1;

		for (int k = 0; k < nb; k++)
		{
			int v = (unsigned char) ~buf[k] + carry;

			buf[k] = (unsigned char) (v & 0xFF);
			carry = v >> 8;
		}
		/* minimal: drop 0xFF bytes whose next byte keeps the sign */
		while (nb > 1 && buf[nb - 1] == 0xFF && (buf[nb - 2] & 0x80))
			nb--;
	}
	else
		while (nb > 1 && buf[nb - 1] == 0 && !(buf[nb - 2] & 0x80))
			nb--;
	/* big-endian */
	for (int a = 0, b = nb - 1; a < b; a++, b--)
	{
		unsigned char t = buf[a];

		buf[a] = buf[b];
		buf[b] = t;
	}
	return nb;
}

/* the number of fraction digits of a decimal, trailing zeros dropped */
static int
natural_scale(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	size_t end = n;

	if (dot == NULL)
		return 0;
	while (end > (size_t) (dot - s) + 1 && s[end - 1] == '0')
		end--;
	return (int) (end - (size_t) (dot - s) - 1);
}

/*
 * numeric (and money, scale 2): precise: the unscaled value's bytes in
 * base64, with a declared scale (scale >= 0) as a string, without one as
 * {"scale":N,"value":"..."}; NaN and the infinities null.  string: the
 * decimal's text; double: a JSON number.
 */
static int
put_decimal(strbuf *out, const char *s, size_t n, int scale, const dbz_modes *m)
{
	unsigned char buf[512];
	int nb, sc;

	if ((n == 3 && memcmp(s, "NaN", 3) == 0) || (n == 8 && memcmp(s, "Infinity", 8) == 0) ||
		(n == 9 && memcmp(s, "-Infinity", 9) == 0))
	{
		if (m->decimal == DBZ_DECIMAL_STRING)
			strbuf_puts(out, s[0] == 'N'   ? "\"NAN\""
							 : s[0] == 'I' ? "\"POSITIVE_INFINITY\""
										   : "\"NEGATIVE_INFINITY\"");
		else if (m->decimal == DBZ_DECIMAL_DOUBLE)
			strbuf_puts(out, s[0] == 'N'   ? "\"NaN\""
							 : s[0] == 'I' ? "\"Infinity\""
										   : "\"-Infinity\"");
		else
			strbuf_puts(out, "null");
		return 1;
	}
	if (m->decimal == DBZ_DECIMAL_STRING)
	{
		if (unscaled_bytes(s, n, 0, buf, sizeof(buf)) < 0 && natural_scale(s, n) == 0)
			return -1;
		dbz_json_string(out, s, n);
		return 1;
	}
	if (m->decimal == DBZ_DECIMAL_DOUBLE)
	{
		double v;

		if (!parse_double(s, n, &v))
			return -1;
		dbz_java_double(out, v);
		return 1;
	}
	sc = scale >= 0 ? scale : natural_scale(s, n);
	nb = unscaled_bytes(s, n, sc, buf, sizeof(buf));
	if (nb < 0)
		return -1;
	if (scale >= 0)
		put_quoted_base64(out, buf, (size_t) nb);
	else
	{
		strbuf_puts(out, "{\"scale\":");
		dbz_i64(out, sc);
		strbuf_puts(out, ",\"value\":");
		put_quoted_base64(out, buf, (size_t) nb);
		strbuf_putc(out, '}');
	}
	return 1;
}

/* money's text ("$1,234.56", "-$0.01") as a plain decimal */
static int
put_money(strbuf *out, const char *s, size_t n, const dbz_modes *m)
{
	char buf[64];
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < sizeof(buf); i++)
		if ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-')
			buf[k++] = s[i];
	if (k == 0)
		return -1;
	return put_decimal(out, buf, k, 2, m);
}

/* ----------------------------------------------------------------
 * Binary types
 * ---------------------------------------------------------------- */

static int
put_bytea(strbuf *out, const char *s, size_t n, const dbz_modes *m)
{
	size_t nb;
	unsigned char *b;

	if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n - 2) % 2 != 0)
		return -1;
	for (size_t i = 2; i < n; i++)
		if (hex_digit(s[i]) < 0)
			return -1;
	if (m->binary == DBZ_BINARY_HEX)
	{
		strbuf_putc(out, '"');
		for (size_t i = 2; i < n; i++)
			strbuf_putc(out, "0123456789abcdef"[hex_digit(s[i])]);
		strbuf_putc(out, '"');
		return 1;
	}
	nb = (n - 2) / 2;
	b = malloc(nb ? nb : 1);
	for (size_t i = 0; i < nb; i++)
	{
		int hi = hex_digit(s[2 + 2 * i]), lo = hex_digit(s[3 + 2 * i]);

		if (hi < 0 || lo < 0)
		{
			free(b);
			return -1;
		}
		b[i] = (unsigned char) (hi << 4 | lo);
	}
	put_quoted_base64(out, b, nb);
	free(b);
	return 1;
}

/*
 * bit(1): a boolean; bit(n), varbit: Debezium's Bits, the bit string read
 * as an unsigned number, its bytes little-endian, minimal (0: no bytes)
 */
static int
put_bits(strbuf *out, const char *s, size_t n, uint32_t typid, int32_t typmod)
{
	unsigned char *b;
	size_t nb = (n + 7) / 8, used = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] != '0' && s[i] != '1')
			return -1;
	if (typid == T_BIT && typmod == 1)
	{
		if (n != 1)
			return -1;
		strbuf_puts(out, s[0] == '1' ? "true" : "false");
		return 1;
	}
	b = calloc(nb ? nb : 1, 1);
	for (size_t i = 0; i < n; i++)
		if (s[n - 1 - i] == '1')
		{
			b[i / 8] |= (unsigned char) (1u << (i % 8));
			used = i / 8 + 1;
		}
	put_quoted_base64(out, b, used);
	free(b);
	return 1;
}

/* point "(x,y)": {"x":..,"y":..,"wkb":"<base64 of the WKB point>","srid":null} */
static int
put_point(strbuf *out, const char *s, size_t n)
{
	const char *comma = memchr(s, ',', n);
	double x, y;
	unsigned char wkb[21] = {1, 1, 0, 0, 0};

	if (n < 5 || s[0] != '(' || s[n - 1] != ')' || comma == NULL ||
		!parse_double(s + 1, (size_t) (comma - s - 1), &x) ||
		!parse_double(comma + 1, (size_t) (s + n - 1 - comma - 1), &y))
		return -1;
	memcpy(wkb + 5, &x, 8); /* little-endian machines: as WKB's NDR */
	memcpy(wkb + 13, &y, 8);
	strbuf_puts(out, "{\"x\":");
	dbz_java_double(out, x);
	strbuf_puts(out, ",\"y\":");
	dbz_java_double(out, y);
	strbuf_puts(out, ",\"wkb\":");
	put_quoted_base64(out, wkb, sizeof(wkb));
	strbuf_puts(out, ",\"srid\":null}");
	return 1;
}

/* ----------------------------------------------------------------
 * Arrays
 * ---------------------------------------------------------------- */

static int put_scalar(strbuf *out, uint32_t typid, int32_t typmod, const char *s, size_t n,
					  const dbz_modes *m, bool elem);

/* Types Debezium has no converter for: the column is left out */
static bool
scalar_dropped(uint32_t typid)
{
	switch (typid)
	{
		case T_PG_LSN:
		case T_TSQUERY:
		case T_BOX:
		case T_LSEG:
		case T_PATH:
		case T_POLYGON:
		case T_LINE:
		case T_CIRCLE:
		case 4451: /* the multiranges */
		case 4532:
		case 4533:
		case 4534:
		case 4535:
		case 4536:
			return true;
		default:
			return false;
	}
}

/* Types whose arrays Debezium has no converter for: the column is left out */
static bool
array_dropped(uint32_t elem)
{
	switch (elem)
	{
		case T_MONEY:
		case T_INTERVAL:
		case T_POINT:
		case T_BOX:
		case T_LSEG:
		case T_PATH:
		case T_POLYGON:
		case T_LINE:
		case T_CIRCLE:
		case T_PG_LSN:
		case T_TSQUERY:
			return true;
		default:
			return false;
	}
}

/*
 * An array's text output as a JSON array of the elements' values.  One
 * dimension: the elements (explicit bounds dropped); more: one null per
 * sub-array, as Debezium writes them.  A numeric[] with NaN or an
 * infinity, and an array of user-defined labels with a NULL element,
 * are null as a whole.
 */
static int
put_array(strbuf *out, uint32_t elem, char delim, int32_t typmod, const char *s, size_t n,
		  const dbz_modes *m)
{
	size_t i = 0, save = out->len;
	bool first = true;
	char *buf = malloc(n + 1);

	if (i < n && s[i] == '[')
	{
		/* bounds: "[0:2]={...}"; more than one dimension: one null per sub-array */
		while (i < n && s[i] != '=')
			i++;
		i++;
	}
	if (i >= n || s[i] != '{' || s[n - 1] != '}')
	{
		free(buf);
		return -1;
	}
	i++;
	strbuf_putc(out, '[');
	if (i < n && s[i] == '{')
	{
		/* more than one dimension */
		int depth = 0;

		for (; i < n - 1; i++)
		{
			if (s[i] == '"')
			{
				for (i++; i < n && s[i] != '"'; i++)
					if (s[i] == '\\')
						i++;
				continue;
			}
			if (s[i] == '{' && depth++ == 0)
			{
				if (!first)
					strbuf_putc(out, ',');
				first = false;
				strbuf_puts(out, "null");
			}
			else if (s[i] == '}')
				depth--;
		}
		strbuf_putc(out, ']');
		free(buf);
		return 1;
	}
	while (i < n - 1)
	{
		size_t k = 0;
		bool quoted = false;

		if (s[i] == '"')
		{
			quoted = true;
			for (i++; i < n - 1 && s[i] != '"'; i++)
			{
				if (s[i] == '\\' && i + 1 < n - 1)
					i++;
				buf[k++] = s[i];
			}
			i++; /* the closing quote */
		}
		else
			while (i < n - 1 && s[i] != delim)
				buf[k++] = s[i++];
		if (!first)
			strbuf_putc(out, ',');
		first = false;
		if (!quoted && k == 4 && memcmp(buf, "NULL", 4) == 0)
		{
			if (elem == VALUE_TEXT_ARRAY)
				goto whole_null; /* an enum array with a NULL fails in Debezium */
			strbuf_puts(out, "null");
		}
		else
		{
			int rc;

			/* NaN and the infinities fail a numeric[] as a whole, in every mode */
			if (elem == T_NUMERIC && k > 0 && (buf[0] == 'N' || buf[0] == 'I' || buf[k - 1] == 'y'))
				goto whole_null;
			rc = put_scalar(out, elem == VALUE_TEXT_ARRAY ? T_TEXT : elem, typmod, buf, k, m, true);

			if (rc < 0)
			{
				out->len = save;
				out->data[save] = '\0';
				free(buf);
				return -1;
			}
		}
		if (i < n - 1 && s[i] == delim)
			i++;
	}
	strbuf_putc(out, ']');
	free(buf);
	return 1;

whole_null:
	out->len = save;
	out->data[save] = '\0';
	strbuf_puts(out, "null");
	free(buf);
	return 1;
}

/* ----------------------------------------------------------------
 * The dispatch
 * ---------------------------------------------------------------- */

static int
put_scalar(strbuf *out, uint32_t typid, int32_t typmod, const char *s, size_t n, const dbz_modes *m,
		   bool elem)
{
	switch (typid)
	{
		case T_BOOL:
			/* pgoutput's t and f; a cast's true and false */
			if ((n == 1 || (n == 4 && memcmp(s, "true", 4) == 0) ||
				 (n == 5 && memcmp(s, "false", 5) == 0)) &&
				(s[0] == 't' || s[0] == 'f'))
			{
				strbuf_puts(out, s[0] == 't' ? "true" : "false");
				return 1;
			}
			return -1;
		case 869: /* inet: a host as PostgreSQL prints it, without /32 or /128 */
			if (n > 3 && memcmp(s + n - 3, "/32", 3) == 0 && memchr(s, ':', n) == NULL)
				n -= 3;
			else if (n > 4 && memcmp(s + n - 4, "/128", 4) == 0)
				n -= 4;
			dbz_json_string(out, s, n);
			return 1;
		case T_INT2:
		case T_INT4:
		case T_INT8:
		case T_OID:
		{
			size_t i = s[0] == '-' ? 1 : 0;

			if (!is_integer(s, n))
				return -1;
			/* PostgreSQL prints no leading zeros; a JSON number may not have them */
			while (i + 1 < n && s[i] == '0')
				i++;
			if (s[0] == '-' && !(n - i == 1 && s[i] == '0'))
				strbuf_putc(out, '-');
			strbuf_add(out, s + i, n - i);
			return 1;
		}
		case T_FLOAT4:
		case T_FLOAT8:
		{
			double v;

			if (!parse_double(s, n, &v))
				return -1;
			if (typid == T_FLOAT4)
				dbz_java_float(out, (float) v);
			else
				dbz_java_double(out, v);
			return 1;
		}
		case T_NUMERIC:
			return put_decimal(out, s, n, typmod >= 4 ? (int) ((typmod - 4) & 0xFFFF) : -1, m);
		case T_MONEY:
			return put_money(out, s, n, m);
		case T_BYTEA:
			return put_bytea(out, s, n, m);
		case T_BIT:
		case T_VARBIT:
			return put_bits(out, s, n, typid, typmod);
		case T_DATE:
			if (elem)
			{
				/* in arrays the infinities read as in the snapshot, always */
				dbz_modes snap = *m;

				snap.snapshot = true;
				return dbz_put_date(out, s, n, &snap);
			}
			return dbz_put_date(out, s, n, m);
		case T_TIME:
			return dbz_put_time(out, s, n, typmod, m, elem);
		case T_TIMETZ:
			return dbz_put_timetz(out, s, n);
		case T_TIMESTAMP:
			return dbz_put_timestamp(out, s, n, typmod, m);
		case T_TIMESTAMPTZ:
			if (elem && n == 9 && memcmp(s, "-infinity", 9) == 0)
			{
				/* Debezium's reading of it inside an array, as captured */
				strbuf_puts(out, "\"+292269055-12-02T23:00:00.000000Z\"");
				return 1;
			}
			return dbz_put_timestamptz(out, s, n, elem ? -1 : typmod);
		case T_INTERVAL:
			return dbz_put_interval(out, s, n);
		case T_POINT:
			return put_point(out, s, n);
		case T_NAME:
			/* pgoutput's name values come out null in Debezium's streamed changes */
			if (!m->snapshot)
			{
				strbuf_puts(out, "null");
				return 1;
			}
			dbz_json_string(out, s, n);
			return 1;
		default:
			/* text, json, xml, uuid, network, ranges, enums: the text */
			dbz_json_string(out, s, n);
			return 1;
	}
}

bool
dbz_type_kept(uint32_t typid, char usertype)
{
	uint32_t elem;
	char delim;

	if (typid == VALUE_TEXT_ARRAY)
		return usertype != 'c' && usertype != 'd' && usertype != 'm';
	if (typid >= VALUE_FIRST_NORMAL_OID)
		return usertype != 'c' && usertype != 'm';
	if (value_array_type(typid, &elem, &delim))
		return !array_dropped(elem) && !scalar_dropped(elem);
	return !scalar_dropped(typid);
}

int
dbz_value(strbuf *out, uint32_t typid, int32_t typmod, char usertype, const char *text, size_t len,
		  const dbz_modes *m, const char **err)
{
	uint32_t elem;
	char delim;
	int rc;

	if (!dbz_type_kept(typid, usertype))
		return 0;
	if (typid == VALUE_TEXT_ARRAY)
		rc = put_array(out, VALUE_TEXT_ARRAY, ',', -1, text, len, m);
	else if (value_array_type(typid, &elem, &delim))
	{
		rc = put_array(out, elem, delim, typmod, text, len, m);
	}
	else
		rc = put_scalar(out, typid, typmod, text, len, m, false);
	if (rc < 0 && err)
		*err = "a value this type does not print";
	return rc;
}
