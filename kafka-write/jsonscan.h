/*
 * jsonscan.h
 *	A strict JSON validator for one input line, and lookups into a line
 *	that passed it.  No tree is built: lookups walk the text and return
 *	spans (pointer and length) into the caller's buffer, which keeps
 *	ownership of the bytes.
 *
 *	Strict means RFC 8259 exactly: valid UTF-8 only (no overlong forms,
 *	no encoded surrogates), no raw control characters or NUL bytes, \u
 *	escapes with surrogates properly paired, numbers in JSON's grammar,
 *	one value with only whitespace around it, and containers nested at
 *	most KW_JSON_MAX_DEPTH deep.
 */
#ifndef KW_JSONSCAN_H
#define KW_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define KW_JSON_MAX_DEPTH 256

/* A span of bytes inside a caller-owned buffer. */
typedef struct kw_span
{
	const char *p;
	size_t n;
} kw_span;

/* Where and why validation failed; offset is 0-based from the line start. */
typedef struct kw_json_error
{
	size_t offset;
	const char *reason; /* static string */
} kw_json_error;

/*
 * Validate the n bytes at s as one JSON value.  Returns 0 if valid, else
 * -1 with *err filled (err may be NULL).
 */
int kw_json_validate(const char *s, size_t n, kw_json_error *err);

/*
 * The top-level members of an object, noted while it is validated, so that
 * the fields kafka-write needs on every line (op, key, end_lsn) are found
 * without walking the line again.
 */
#define KW_JSON_INDEX_MAX 32
typedef struct kw_json_index
{
	int n;
	bool complete; /* every member is here: a name not found is absent */
	struct
	{
		const char *name; /* raw bytes between the quotes (no escapes) */
		size_t namelen;
		kw_span value;
	} m[KW_JSON_INDEX_MAX];
} kw_json_index;

/* kw_json_validate, filling idx for a valid line. */
int kw_json_validate_index(const char *s, size_t n, kw_json_error *err, kw_json_index *idx);

/*
 * Look name up in idx: 1 found (*out set), 0 not a member, -1 unknown (a
 * member name with escapes, or more than KW_JSON_INDEX_MAX members: ask
 * kw_json_member).  The first occurrence wins, as with kw_json_member.
 */
int kw_json_index_find(const kw_json_index *idx, const char *name, size_t namelen, kw_span *out);

/*
 * In a validated document, find the member named name (namelen bytes,
 * compared after decoding the member name's escapes) of the top-level
 * object.  The first occurrence wins.  Returns true and sets *out to the
 * member's value text, or false when the document is not an object or has
 * no such member.
 */
bool kw_json_member(const char *s, size_t n, const char *name, size_t namelen, kw_span *out);

/*
 * Walk the members of the validated object obj: *pos starts at 0; each call
 * sets *name (the member name's literal, quotes included) and *value and
 * returns true, or returns false after the last member.
 */
bool kw_json_next_member(kw_span obj, size_t *pos, kw_span *name, kw_span *value);

/*
 * Resolve the RFC 6901 JSON pointer ptr ("" is the whole document,
 * "/a/0/b~1c" with ~1 for '/' and ~0 for '~') in a validated document.
 * Returns true and sets *out, or false when it does not resolve (also for
 * a malformed pointer such as a '~' escape other than ~0 and ~1).
 */
bool kw_json_pointer(const char *s, size_t n, const char *ptr, size_t ptrlen, kw_span *out);

/*
 * The kind of a validated value, by its first byte: 's' string, 'n'
 * number, 'o' object, 'a' array, 't' true, 'f' false, 'z' null.
 */
char kw_json_kind(kw_span v);

/*
 * Append the decoded contents of the validated string literal v (quotes
 * included in v) to sb: escapes resolved, surrogate pairs joined into
 * UTF-8.
 */
void kw_json_unescape(kw_span v, strbuf *sb);

#endif
