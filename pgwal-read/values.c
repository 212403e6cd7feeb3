/*
 * values.c
 *	Column values from pgoutput's text format to JSON; see values.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonscan.h"
#include "values.h"
#include "xalloc.h"

/* built-in scalar type OIDs (pg_type.dat) */
#define BOOLOID        16
#define INT8OID        20
#define INT2OID        21
#define INT4OID        23
#define TEXTOID        25
#define OIDOID         26
#define JSONOID        114
#define FLOAT4OID      700
#define FLOAT8OID      701
#define NUMERICOID     1700
#define TIMESTAMPOID   1114
#define TIMESTAMPTZOID 1184
#define TIMETZOID      1266
#define JSONBOID       3802

/* deepest array PostgreSQL builds (MAXDIM) */
#define ARRAY_MAXDIM 6

/* built-in array types: array OID, element OID, element delimiter */
static const struct
{
	uint32_t array;
	uint32_t elem;
	char delim;
} array_types[] = {
	{1000, 16, ','},   /* _bool */
	{1001, 17, ','},   /* _bytea */
	{1002, 18, ','},   /* _char */
	{1003, 19, ','},   /* _name */
	{1016, 20, ','},   /* _int8 */
	{1005, 21, ','},   /* _int2 */
	{1006, 22, ','},   /* _int2vector */
	{1007, 23, ','},   /* _int4 */
	{1008, 24, ','},   /* _regproc */
	{1009, 25, ','},   /* _text */
	{1028, 26, ','},   /* _oid */
	{1010, 27, ','},   /* _tid */
	{1011, 28, ','},   /* _xid */
	{1012, 29, ','},   /* _cid */
	{1013, 30, ','},   /* _oidvector */
	{199, 114, ','},   /* _json */
	{143, 142, ','},   /* _xml */
	{271, 5069, ','},  /* _xid8 */
	{1017, 600, ','},  /* _point */
	{1018, 601, ','},  /* _lseg */
	{1019, 602, ','},  /* _path */
	{1020, 603, ';'},  /* _box: the one built-in with ';' */
	{1027, 604, ','},  /* _polygon */
	{629, 628, ','},   /* _line */
	{1021, 700, ','},  /* _float4 */
	{1022, 701, ','},  /* _float8 */
	{719, 718, ','},   /* _circle */
	{775, 774, ','},   /* _macaddr8 */
	{791, 790, ','},   /* _money */
	{1040, 829, ','},  /* _macaddr */
	{1041, 869, ','},  /* _inet */
	{651, 650, ','},   /* _cidr */
	{1034, 1033, ','}, /* _aclitem */
	{1014, 1042, ','}, /* _bpchar */
	{1015, 1043, ','}, /* _varchar */
	{1182, 1082, ','}, /* _date */
	{1183, 1083, ','}, /* _time */
	{1115, 1114, ','}, /* _timestamp */
	{1185, 1184, ','}, /* _timestamptz */
	{1187, 1186, ','}, /* _interval */
	{1270, 1266, ','}, /* _timetz */
	{1561, 1560, ','}, /* _bit */
	{1563, 1562, ','}, /* _varbit */
	{1231, 1700, ','}, /* _numeric */
	{2201, 1790, ','}, /* _refcursor */
	{2207, 2202, ','}, /* _regprocedure */
	{2208, 2203, ','}, /* _regoper */
	{2209, 2204, ','}, /* _regoperator */
	{2210, 2205, ','}, /* _regclass */
	{4192, 4191, ','}, /* _regcollation */
	{2211, 2206, ','}, /* _regtype */
	{4097, 4096, ','}, /* _regrole */
	{4090, 4089, ','}, /* _regnamespace */
	{2951, 2950, ','}, /* _uuid */
	{3221, 3220, ','}, /* _pg_lsn */
	{3643, 3614, ','}, /* _tsvector */
	{3644, 3642, ','}, /* _gtsvector */
	{3645, 3615, ','}, /* _tsquery */
	{3735, 3734, ','}, /* _regconfig */
	{3770, 3769, ','}, /* _regdictionary */
	{3807, 3802, ','}, /* _jsonb */
	{4073, 4072, ','}, /* _jsonpath */
	{2949, 2970, ','}, /* _txid_snapshot */
	{5039, 5038, ','}, /* _pg_snapshot */
	{3905, 3904, ','}, /* _int4range */
	{3907, 3906, ','}, /* _numrange */
	{3909, 3908, ','}, /* _tsrange */
	{3911, 3910, ','}, /* _tstzrange */
	{3913, 3912, ','}, /* _daterange */
	{3927, 3926, ','}, /* _int8range */
	{6150, 4451, ','}, /* _int4multirange */
	{6151, 4532, ','}, /* _nummultirange */
	{6152, 4533, ','}, /* _tsmultirange */
	{6153, 4534, ','}, /* _tstzmultirange */
	{6155, 4535, ','}, /* _datemultirange */
	{6157, 4536, ','}, /* _int8multirange */
	{1263, 2275, ','}, /* _cstring */
	{2287, 2249, ','}, /* _record */
};

/*
 * Built-in types whose JSON form differs from a string, by name.  pgoutput
 * announces a domain with a Type message that carries its own OID but the
 * name of its base type, so a domain over int4 or int4[] maps like them.
 */
static const struct
{
	const char *name;
	uint32_t oid;
} builtin_names[] = {
	{"bool", BOOLOID},
	{"int2", INT2OID},
	{"int4", INT4OID},
	{"int8", INT8OID},
	{"oid", OIDOID},
	{"float4", FLOAT4OID},
	{"float8", FLOAT8OID},
	{"numeric", NUMERICOID},
	{"json", JSONOID},
	{"jsonb", JSONBOID},
	{"_bool", 1000},
	{"_int2", 1005},
	{"_int4", 1007},
	{"_int8", 1016},
	{"_oid", 1028},
	{"_float4", 1021},
	{"_float8", 1022},
	{"_numeric", 1231},
	{"_json", 199},
	{"_jsonb", 3807},
	{"_box", 1020},
	/* with --time-format=iso (value_set_time_iso) */
	{"timestamp", TIMESTAMPOID},
	{"timestamptz", TIMESTAMPTZOID},
	{"timetz", TIMETZOID},
	{"_timestamp", 1115},
	{"_timestamptz", 1185},
	{"_timetz", 1270},
};

uint32_t
value_builtin_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
		if (strcmp(builtin_names[i].name, name) == 0)
			return builtin_names[i].oid;
	return 0;
}

bool
value_array_type(uint32_t typid, uint32_t *elem, char *delim)
{
	if (typid == VALUE_TEXT_ARRAY)
	{
		*elem = TEXTOID;
		*delim = ',';
		return true;
	}
	for (size_t i = 0; i < sizeof(array_types) / sizeof(array_types[0]); i++)
	{
		if (array_types[i].array == typid)
		{
			*elem = array_types[i].elem;
			*delim = array_types[i].delim;
			return true;
		}
	}
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool
value_is_json_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return false;
	if (s[i] == '0')
		i++;
	else if (is_digit(s[i]))
	{
		while (i < n && is_digit(s[i]))
			i++;
	}
	else
		return false;
	if (i < n && s[i] == '.')
	{
		i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return false;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i == n;
}

bool
value_utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n)
	{
		int k = utf8_seqlen(p + i, n - i);

		if (k == 0)
			return false;
		i += (size_t) k;
	}
	return true;
}

void
value_hex_json(strbuf *out, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	strbuf_grow(out, 2 * n + 5);
	strbuf_add(out, "\"\\\\x", 4);
	for (size_t i = 0; i < n; i++)
	{
		out->data[out->len++] = hex[p[i] >> 4];
		out->data[out->len++] = hex[p[i] & 15];
	}
	out->data[out->len++] = '"';
	out->data[out->len] = '\0';
}

static bool
is_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Append one array element (already unescaped) mapped as type elem. */
static void
array_elem_json(strbuf *out, uint32_t elem, const char *s, size_t n)
{
	/* a nested array element type never occurs; map the element itself */
	value_to_json(out, elem, s, n);
}

/*
 * The array parser proper.  Writes into out; the caller rolls back on
 * failure.  tmp collects unescaped quoted elements.
 */
static bool
array_parse(strbuf *out, strbuf *tmp, uint32_t elem, char delim, const char *s, size_t n)
{
	size_t i = 0;
	int depth = 0;
	bool need_item = false; /* after a delimiter */

	if (n == 0 || s[0] != '{')
		return false; /* includes "[lb:ub]={...}" */
	while (i < n)
	{
		char c = s[i];

		if (c == '{')
		{
			if (depth > 0 && !need_item && s[i - 1] != '{')
				return false;
			if (++depth > ARRAY_MAXDIM)
				return false;
			strbuf_putc(out, '[');
			i++;
			need_item = false;
			continue;
		}
		if (c == '}')
		{
			if (need_item || depth == 0)
				return false;
			strbuf_putc(out, ']');
			depth--;
			i++;
			if (depth == 0)
				return i == n;
			continue;
		}
		if (c == delim)
		{
			if (need_item || s[i - 1] == '{')
				return false;
			strbuf_putc(out, ',');
			need_item = true;
			i++;
			continue;
		}
		/* an element: must follow '{' or a delimiter */
		if (!need_item && s[i - 1] != '{')
			return false;
		need_item = false;
		if (c == '"')
		{
			strbuf_reset(tmp);
			i++;
			for (;;)
			{
				if (i >= n)
					return false;
				if (s[i] == '"')
					break;
				if (s[i] == '\\')
				{
					if (++i >= n)
						return false;
				}
				strbuf_putc(tmp, s[i]);
				i++;
			}
			i++; /* closing quote */
			if (i >= n || (s[i] != delim && s[i] != '}'))
				return false;
			array_elem_json(out, elem, tmp->data ? tmp->data : "", tmp->len);
		}
		else
		{
			size_t j = i;

			while (j < n && s[j] != delim && s[j] != '{' && s[j] != '}' && s[j] != '"' &&
				   s[j] != '\\' && !is_json_ws(s[j]))
				j++;
			if (j == i || j >= n || (s[j] != delim && s[j] != '}'))
				return false;
			if (j - i == 4 && strncasecmp(s + i, "NULL", 4) == 0)
				strbuf_puts(out, "null");
			else
				array_elem_json(out, elem, s + i, j - i);
			i = j;
		}
	}
	return false;
}

bool
value_array_to_json(strbuf *out, uint32_t elem, char delim, const char *s, size_t n)
{
	size_t save = out->len;
	strbuf tmp = STRBUF_INIT;
	bool ok;

	ok = array_parse(out, &tmp, elem, delim, s, n);
	strbuf_free(&tmp);
	if (!ok)
	{
		out->len = save;
		if (out->data)
			out->data[save] = '\0';
	}
	return ok;
}

/* --time-format=iso; see value_set_time_iso */
static bool time_iso;

void
value_set_time_iso(bool on)
{
	time_iso = on;
}

/* Parse exactly k digits at s[*i] into *v. */
static bool
time_digits(const char *s, size_t n, size_t *i, int k, long *v)
{
	long r = 0;

	if (*i + (size_t) k > n)
		return false;
	for (int j = 0; j < k; j++)
	{
		if (!is_digit(s[*i + (size_t) j]))
			return false;
		r = r * 10 + (s[*i + (size_t) j] - '0');
	}
	*i += (size_t) k;
	*v = r;
	return true;
}

/* Append v zero-padded to at least k digits. */
static size_t
time_put(char *b, long v, int k)
{
	char t[24];
	int m = 0;

	do
	{
		t[m++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (m < k)
		t[m++] = '0';
	for (int j = 0; j < m; j++)
		b[j] = t[m - 1 - j];
	return (size_t) m;
}

/*
 * "HH:MM:SS[.f{1,6}]" at s[*i], written as "HH:MM:SS.ffffff" into b.
 * Returns the bytes written, 0 if s is not such a time.
 */
static size_t
time_of_day(const char *s, size_t n, size_t *i, char *b)
{
	long v;
	size_t k = 0;
	int f = 0;

	for (int part = 0; part < 3; part++)
	{
		if (part > 0)
		{
			if (*i >= n || s[*i] != ':')
				return 0;
			(*i)++;
			b[k++] = ':';
		}
		if (!time_digits(s, n, i, 2, &v))
			return 0;
		k += time_put(b + k, v, 2);
	}
	b[k++] = '.';
	if (*i < n && s[*i] == '.')
	{
		(*i)++;
		while (*i < n && is_digit(s[*i]) && f < 6)
			b[k + (size_t) f++] = s[(*i)++];
		if (f == 0 || (*i < n && is_digit(s[*i])))
			return 0;
	}
	while (f < 6)
		b[k + (size_t) f++] = '0';
	return k + 6;
}

/*
 * The offset "+HH[:MM[:SS]]" at s[*i] written as "Z" or "+HH:MM" into b.
 * An offset with seconds has no ISO 8601 form: 0.
 */
static size_t
time_offset(const char *s, size_t n, size_t *i, char *b)
{
	long hh, mm = 0, ss = 0;
	char sign;

	if (*i >= n || (s[*i] != '+' && s[*i] != '-'))
		return 0;
	sign = s[(*i)++];
	if (!time_digits(s, n, i, 2, &hh))
		return 0;
	if (*i < n && s[*i] == ':')
	{
		(*i)++;
		if (!time_digits(s, n, i, 2, &mm))
			return 0;
		if (*i < n && s[*i] == ':')
		{
			(*i)++;
			if (!time_digits(s, n, i, 2, &ss))
				return 0;
		}
	}
	if (ss != 0)
		return 0;
	if (hh == 0 && mm == 0)
	{
		b[0] = 'Z';
		return 1;
	}
	b[0] = sign;
	time_put(b + 1, hh, 2);
	b[3] = ':';
	time_put(b + 4, mm, 2);
	return 6;
}

/*
 * The common case, a timestamptz as a UTC session prints it,
 * "2026-12-02 17:46:17[.f{1,6}]+00", copied without parsing numbers.
 */
static bool
time_iso_utc(strbuf *out, const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	size_t digits;
	char *p;

	if (n < 22 || n > 29 || n == 23 || memcmp(s + n - 3, "+00", 3) != 0)
		return false;
	for (size_t i = 0; i < 19; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			return false;
	digits = n == 22 ? 0 : n - 23;
	if (digits > 0 && s[19] != '.')
		return false;
	for (size_t i = 0; i < digits; i++)
		if (!is_digit(s[20 + i]))
			return false;
	strbuf_grow(out, 29);
	p = out->data + out->len;
	p[0] = '"';
	memcpy(p + 1, s, 10);
	p[11] = 'T';
	memcpy(p + 12, s + 11, 8);
	p[20] = '.';
	memcpy(p + 21, s + 20, digits);
	memset(p + 21 + digits, '0', 6 - digits);
	p[27] = 'Z';
	p[28] = '"';
	out->len += 29;
	out->data[out->len] = '\0';
	return true;
}

bool
value_time_iso(strbuf *out, uint32_t typid, const char *s, size_t n)
{
	/* "+294276-12-31T23:59:59.999999+14:00" and then some */
	char b[64];
	size_t i = 0, k = 0, t;

	if (typid == TIMESTAMPTZOID && time_iso_utc(out, s, n))
		return true;
	b[k++] = '"';
	if (typid == TIMESTAMPTZOID || typid == TIMESTAMPOID)
	{
		long year = 0, mon, day;
		size_t y0 = i;

		while (i < n && is_digit(s[i]) && i - y0 < 9)
			year = year * 10 + (s[i++] - '0');
		if (i - y0 < 4 || i >= n || s[i] != '-')
			return false;
		i++;
		if (!time_digits(s, n, &i, 2, &mon) || i >= n || s[i++] != '-' ||
			!time_digits(s, n, &i, 2, &day) || i >= n || s[i++] != ' ')
			return false;
		if (n >= 3 && memcmp(s + n - 3, " BC", 3) == 0)
		{
			/* 1 BC is year 0, 44 BC is -43 */
			if (year < 1)
				return false;
			n -= 3;
			year = 1 - year;
		}
		if (year < 0)
			b[k++] = '-';
		else if (year > 9999)
			b[k++] = '+';
		k += time_put(b + k, year < 0 ? -year : year, 4);
		b[k++] = '-';
		k += time_put(b + k, mon, 2);
		b[k++] = '-';
		k += time_put(b + k, day, 2);
		b[k++] = 'T';
	}
	else if (typid != TIMETZOID)
		return false;
	if ((t = time_of_day(s, n, &i, b + k)) == 0)
		return false;
	k += t;
	if (typid != TIMESTAMPOID)
	{
		if ((t = time_offset(s, n, &i, b + k)) == 0)
			return false;
		k += t;
	}
	if (i != n)
		return false;
	b[k++] = '"';
	strbuf_add(out, b, k);
	return true;
}

bool
value_is_string_type(uint32_t typid)
{
	uint32_t elem;
	char delim;

	switch (typid)
	{
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TIMETZOID:
			return !time_iso;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case BOOLOID:
		case JSONOID:
		case JSONBOID:
			return false;
		default:
			return !value_array_type(typid, &elem, &delim);
	}
}

void
value_to_json(strbuf *out, uint32_t typid, const char *s, size_t n)
{
	uint32_t elem;
	char delim;

	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case OIDOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			/* NaN, Infinity and anything unexpected fall through to a string */
			if (value_is_json_number(s, n))
			{
				strbuf_add(out, s, n);
				return;
			}
			break;
		case BOOLOID:
			if (n == 1 && s[0] == 't')
			{
				strbuf_puts(out, "true");
				return;
			}
			if (n == 1 && s[0] == 'f')
			{
				strbuf_puts(out, "false");
				return;
			}
			break;
		case JSONOID:
		case JSONBOID:
			/*
			 * Embedded when strict JSON, else (a json value with a lone
			 * surrogate escape such as "\ud800", which the json type
			 * accepts) a string of the text: see pgwal-events(7).
			 */
			if (json_compact(out, s, n))
				return;
			break;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case TIMETZOID:
			/* infinity, -infinity and anything unexpected stay as they are */
			if (time_iso && value_time_iso(out, typid, s, n))
				return;
			break;
		default:
			if (value_array_type(typid, &elem, &delim) &&
				value_array_to_json(out, elem, delim, s, n))
				return;
			break;
	}
	json_string(out, s, n);
}
