/*
 * canon.h - the canonical text of an audit event, the bytes its hash covers.
 *
 * The text is, byte for byte, what jansson writes for the object
 * {actor, details, id, prev_hash, seq, subject, ts, type} with
 * JSON_COMPACT | JSON_SORT_KEYS, details being the stored details text
 * parsed (duplicate keys refused). Every chain ever written was hashed over
 * that jansson output, so this must never drift from it by one byte.
 *
 * It is built straight into a reusable buffer: the stored details are
 * copied as they are when a quick scan proves they already are jansson's
 * compact sorted-key form (the form jg_audit_append stores), and only other
 * texts go through jansson (parse and dump). Verify thereby hashes a million
 * events without a million parses; the result is the same either way.
 *
 * Against someone editing the database: the fast path hashes the stored
 * bytes themselves, and jansson's form of a value is unique, so any edit
 * that changes a value changes the hash. An edit that only re-spells the
 * details (white space, key order, escapes) leaves the text jansson makes
 * of them, hence the hash, unchanged: that was so before this fast path
 * and stays so, since nothing shown to anyone changes (docs/security.md).
 */
#ifndef JG_AUDIT_CANON_H
#define JG_AUDIT_CANON_H

#include <stddef.h>

#include "core/model.h"
#include "util/err.h"

/*
 * A growable buffer; zero-initialise it, reuse it for any number of
 * events, then jg_canon_release it. text is owned by the buffer.
 */
struct jg_canon {
	char *text; /* NUL-terminated after jg_canon_event */
	size_t len;
	size_t cap;
};

/*
 * Replace c's text with the canonical text of ev (ev->hash is not part of
 * it; NULL details mean {}). JG_EINVAL when the details are not a JSON
 * object or a string field is not valid UTF-8, JG_ENOMEM when the buffer
 * cannot grow; c->text is then meaningless but c stays reusable.
 */
enum jg_err jg_canon_event(struct jg_canon *c, const struct jg_event *ev);

/* Free c's text; c is zeroed and may be reused. */
void jg_canon_release(struct jg_canon *c);

#endif
