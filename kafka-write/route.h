/*
 * route.h
 *	Templates that build a topic name, a key or a header value from the
 *	fields of one input line:
 *
 *		shop.{schema}.{table}		{name}: a member of the top-level object
 *		{/after/region}				{/...}: an RFC 6901 JSON pointer
 *		{{ and }}					literal braces
 *
 *	A placeholder expands to a string's decoded contents, or to the JSON
 *	text of any other value (42, true, {"id":1}).  A placeholder that does
 *	not resolve, or resolves to null, makes the line bad.
 */
#ifndef KW_ROUTE_H
#define KW_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "jsonscan.h"
#include "strbuf.h"

#define KW_TOPIC_MAX 249 /* Kafka's limit on topic name length */

typedef struct kw_tmpl kw_tmpl;

/*
 * Compile src.  Returns a template the caller owns (kw_tmpl_free), or
 * NULL with a message in err (errlen bytes) when src is malformed: an
 * unclosed '{', an empty placeholder, a lone '}'.
 */
kw_tmpl *kw_tmpl_compile(const char *src, char *err, size_t errlen);
void kw_tmpl_free(kw_tmpl *t);

/* True when t has no placeholders (its expansion is its literal text). */
bool kw_tmpl_is_static(const kw_tmpl *t);

/*
 * The literal text of t before its first placeholder (all of it for a
 * static template): *len bytes at the returned pointer, owned by t.
 */
const char *kw_tmpl_lead(const kw_tmpl *t, size_t *len);

#define KW_TMPL_TOPIC 0x1 /* sanitise expanded values for a topic name */

/*
 * Expand t against the validated JSON line (n bytes at line; idx its
 * member index from json_validate_index, or NULL), appending to out.  With KW_TMPL_TOPIC, each byte of a placeholder's value outside
 * [a-zA-Z0-9._-] becomes '_' (one '_' per UTF-8 character).  Returns 0, or
 * -1 with the reason in why (reset first).
 */
int kw_tmpl_expand(const kw_tmpl *t, const char *line, size_t n, const json_index *idx, int flags,
				   strbuf *out, strbuf *why);

/*
 * A memo of a template's recent expansions.  The topic of every line
 * comes from the same few tables: a line whose placeholders hold the same
 * JSON text as a remembered line's gets that expansion back without
 * decoding and sanitising it again, with a pointer the caller keeps beside
 * it (kafka-write keeps the topic's handle there).  KW_MEMO_SLOTS
 * expansions are kept, the oldest replaced first.
 */
#define KW_MEMO_SLOTS 16

typedef struct kw_memo kw_memo;

/* A memo for t (which must outlive it), expanding with flags. */
kw_memo *kw_memo_new(const kw_tmpl *t, int flags);
void kw_memo_free(kw_memo *m);

/*
 * kw_tmpl_expand through m.  Returns the expansion (NUL-terminated, owned
 * by m, valid until the next call) and sets *user to the address of the
 * caller's pointer kept with it (NULL the first time an expansion is
 * made); or NULL with the reason in why, nothing remembered.
 */
const char *kw_memo_expand(kw_memo *m, const char *line, size_t n, const json_index *idx,
						   strbuf *why, void ***user);

/*
 * For a topic template: NULL if every literal character of t is allowed
 * in a topic name, else the reason (a static string).
 */
const char *kw_tmpl_topic_check(const kw_tmpl *t);

/* Is c allowed in a Kafka topic name? */
bool kw_topic_char_ok(unsigned char c);

/*
 * Append the n bytes at s to out, each UTF-8 character outside
 * [a-zA-Z0-9._-] replaced by '_' (an invalid byte counts as one character).
 */
void kw_topic_sanitize(const char *s, size_t n, strbuf *out);

/*
 * Check a complete topic name.  Returns NULL if Kafka accepts it, else the
 * reason (a static string): empty, too long, "." or "..", bad characters.
 */
const char *kw_topic_check(const char *s, size_t n);

#endif
