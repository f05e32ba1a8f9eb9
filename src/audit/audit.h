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

#include "audit/canon.h"
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

/*
 * The same, and the trail must also match every signed checkpoint in
 * cps (n of them, sorted by seq; see checkpoint.h): reach each one's seq
 * with its hash. A trail that ends before a signed seq, or whose hash
 * there differs (a rewrite, however consistent), is broken: broken_seq
 * names the first event no matching checkpoint vouches for.
 */
enum jg_err jg_audit_verify_pinned(struct jg_store *st,
                                   const struct jg_checkpoint *cps, size_t n,
                                   struct jg_audit_report *rep);

/*
 * The same verification, giving every event of the trail to fn as well
 * (in seq order, borrowed for the call; after a break too, which only
 * the verifier stops at), so a reader of the whole trail needs one walk,
 * not two. fn returning non-zero stops the walk; rep then holds what was
 * checked so far and no checkpoint past it is judged missing.
 */
enum jg_err jg_audit_verify_walk(struct jg_store *st,
                                 const struct jg_checkpoint *cps, size_t n,
                                 jg_event_fn fn, void *ctx,
                                 struct jg_audit_report *rep);

/*
 * The walk itself, for events from elsewhere (an export file): init,
 * feed each event in order to jg_audit_verifier_event (non-zero: stop,
 * the chain broke or err is set), then jg_audit_verifier_end, which
 * checks the checkpoints past the last event and frees what init took.
 */
struct jg_audit_verifier {
	struct jg_audit_report *rep; /* borrowed */
	char prev[JG_SHA256_HEX];
	struct jg_canon canon;       /* one buffer for the whole walk */
	enum jg_err err;             /* set when verifying itself failed */
	const struct jg_checkpoint *cps; /* borrowed, sorted by seq */
	size_t ncps, icp;            /* icp: the next one to match */
	int64_t vouched;             /* seq of the last checkpoint matched */
};
void jg_audit_verifier_init(struct jg_audit_verifier *v,
                            struct jg_audit_report *rep,
                            const struct jg_checkpoint *cps, size_t n);
int jg_audit_verifier_event(const struct jg_event *ev, void *v);
void jg_audit_verifier_end(struct jg_audit_verifier *v);

/* A new JSON object for ev as the API shows it (caller owns it). */
json_t *jg_audit_event_json(const struct jg_event *ev);

#endif
