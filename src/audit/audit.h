/*
 * audit.h - the tamper-evident trail.
 *
 * Each event's hash is SHA-256 over its canonical encoding: the JSON object
 * {actor, details, id, prev_hash, seq, subject, ts, type} with sorted keys,
 * no white space, integers as integers, details as parsed from the stored
 * text (see audit/canon.h). prev_hash of event 1 is 64 zeros, of event N
 * the hash of event N-1, so changing, removing or reordering any event
 * breaks every hash after it. Appends happen inside the caller's
 * write transaction: an append that fails must make the caller roll back
 * (fail closed: no state change without its audit record).
 */
#ifndef JG_AUDIT_H
#define JG_AUDIT_H

#include <jansson.h>

#include "store/store.h"

#define JG_AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

/*
 * Append one event. details is borrowed (NULL means {}). On any failure
 * returns non-OK and the caller must roll back its transaction.
 */
enum jg_err jg_audit_append(struct jg_store *st, int64_t now,
                            const char *actor, const char *type,
                            const char *subject, json_t *details);

/*
 * Hash of ev from its fields (ev->hash is ignored): SHA-256 of the text
 * audit/canon.h builds. JG_EINVAL when ev->details is not a JSON object or
 * a string field is not valid UTF-8, JG_ENOMEM when out of memory.
 */
enum jg_err jg_audit_hash(const struct jg_event *ev, char out[JG_SHA256_HEX]);

struct jg_audit_report {
	int ok;
	int64_t count;      /* events checked */
	int64_t broken_seq; /* first bad event, 0 when ok */
	char reason[256];
};

/*
 * Walk the whole chain; fills rep. Non-OK only when the store fails or
 * memory runs out, never for a broken chain.
 */
enum jg_err jg_audit_verify(struct jg_store *st,
                            struct jg_audit_report *rep);

/* A new JSON object for ev as the API shows it (caller owns it). */
json_t *jg_audit_event_json(const struct jg_event *ev);

#endif
