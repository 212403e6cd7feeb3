/*
 * event_dbz.h
 *	The Debezium part of an event line (event.h's EV_DEBEZIUM): the key
 *	and the value that Debezium's PostgreSQL connector writes for a change,
 *	with JsonConverter's schemas.enable=false.
 */
#ifndef PGWAL_EVENT_DBZ_H
#define PGWAL_EVENT_DBZ_H

#include "event.h"

/*
 * A JSON string as Debezium's JsonConverter (Jackson) writes it: \n \r \t
 * \b \f, other control characters as \u00XX in upper case, characters
 * outside the Basic Multilingual Plane as two escaped UTF-16 surrogates
 * (\uD83D\uDE00), everything else as it is.
 */
void dbz_json_string(strbuf *out, const char *s, size_t n);

/* Does an update change Debezium's key (the caller writes it as two records)? */
bool dbz_key_changed(const ev_rel *rel, const ev_val *oldv, const ev_val *newv);

/* After a line's ,"key": write Debezium's key, then ,"value":{...}. */
void dbz_record(ev_writer *w, strbuf *out, ev_txn *t, const ev_rel *rel, char op, uint64_t lsn,
				const ev_val *oldv, bool old_keys_only, const ev_val *newv);

/* After a message line's head: ,"topic":..,"key":..,"value":{...}. */
void dbz_message(ev_writer *w, strbuf *out, ev_txn *t, bool transactional, const char *prefix,
				 size_t prefixlen, const unsigned char *content, size_t len, uint64_t lsn);

#endif
