/*
 * jsonscan.h
 *	The one JSON scanner of both programs: a strict validator, lookups
 *	into a text that passed it, and compaction.  No tree is built: lookups
 *	walk the text and return spans (pointer and length) into the caller's
 *	buffer, which keeps ownership of the bytes.
 *
 *	Strict means RFC 8259 with I-JSON's rule on strings (RFC 7493): valid UTF-8 only
 *	(no overlong forms, no encoded surrogates), no raw control characters
 *	or NUL bytes, \u escapes with surrogates properly paired, numbers in
 *	JSON's grammar, one value with only whitespace around it.
 *
 *	No hidden limits: lengths and offsets are size_t, and nesting depth is
 *	bounded only by the text (the validator keeps one byte per open
 *	container, on its own stack up to 256 levels and on the heap beyond,
 *	never the C stack), so anything PostgreSQL can store in a json or jsonb
 *	column passes.  kafka-write validates every input line with it;
 *	pgwal-read embeds a json or jsonb value only when it passes (see
 *	json_compact), so every line pgwal-read writes is one kafka-write
 *	accepts.
 */
#ifndef PGWAL_JSONSCAN_H
#define PGWAL_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* A span of bytes inside a caller-owned buffer. */
typedef struct json_span
{
	const char *p;
	size_t n;
} json_span;

/* Where and why validation failed; offset is 0-based from the line start. */
typedef struct json_error
{
	size_t offset;
	const char *reason; /* static string */
} json_error;

/*
 * Validate the n bytes at s as one JSON value.  Returns 0 if valid, else
 * -1 with *err filled (err may be NULL).
 */
int json_validate(const char *s, size_t n, json_error *err);

/*
 * The top-level members of an object, noted while it is validated, so that
 * the fields kafka-write needs on every line (op, key, end_lsn) are found
 * without walking the line again.
 */
#define JSON_INDEX_MAX 32
typedef struct json_index
{
	int n;
	bool complete; /* every member is here: a name not found is absent */
	struct
	{
		const char *name; /* raw bytes between the quotes (no escapes) */
		size_t namelen;
		json_span value;
	} m[JSON_INDEX_MAX];
} json_index;

/* json_validate, filling idx for a valid line. */
int json_validate_index(const char *s, size_t n, json_error *err, json_index *idx);

/*
 * Look name up in idx: 1 found (*out set), 0 not a member, -1 unknown (a
 * member name with escapes, or more than JSON_INDEX_MAX members: ask
 * json_member).  The first occurrence wins, as with json_member.
 */
int json_index_find(const json_index *idx, const char *name, size_t namelen, json_span *out);

/*
 * A top-level member of the validated document s: through idx (filled
 * for s, or NULL) when it can tell, else by walking s (json_member).
 */
bool json_lookup(const json_index *idx, const char *s, size_t n, const char *name, size_t namelen,
				 json_span *out);

/*
 * In a validated document, find the member named name (namelen bytes,
 * compared after decoding the member name's escapes) of the top-level
 * object.  The first occurrence wins.  Returns true and sets *out to the
 * member's value text, or false when the document is not an object or has
 * no such member.
 */
bool json_member(const char *s, size_t n, const char *name, size_t namelen, json_span *out);

/*
 * Walk the members of the validated object obj: *pos starts at 0; each call
 * sets *name (the member name's literal, quotes included) and *value and
 * returns true, or returns false after the last member.
 */
bool json_next_member(json_span obj, size_t *pos, json_span *name, json_span *value);

/*
 * Resolve the RFC 6901 JSON pointer ptr ("" is the whole document,
 * "/a/0/b~1c" with ~1 for '/' and ~0 for '~') in a validated document.
 * Returns true and sets *out, or false when it does not resolve (also for
 * a malformed pointer such as a '~' escape other than ~0 and ~1).
 */
bool json_pointer(const char *s, size_t n, const char *ptr, size_t ptrlen, json_span *out);

/*
 * Append the JSON text s (n bytes) to out with the whitespace outside
 * strings removed, everything else byte for byte, if it passes
 * json_validate; returns true.  Otherwise appends nothing and returns
 * false.
 */
bool json_compact(strbuf *out, const char *s, size_t n);

/*
 * The kind of a validated value, by its first byte: 's' string, 'n'
 * number, 'o' object, 'a' array, 't' true, 'f' false, 'z' null.
 */
char json_kind(json_span v);

/*
 * Append the decoded contents of the validated string literal v (quotes
 * included in v) to sb: escapes resolved, surrogate pairs joined into
 * UTF-8.
 */
void json_unescape(json_span v, strbuf *sb);

#endif
