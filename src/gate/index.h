/*
 * index.h - the in-memory index of live grants that `check` answers from.
 *
 * A hash table keyed by (principal, resource, action). Each entry holds
 * only what an answer needs: the grant's id, not_before, expires_at, uses
 * left and, for a grant bound to one payload, that payload's SHA-256,
 * packed with its key (about 90 bytes for typical names, 32 more when
 * bound, plus 16 to 43 bytes of table). Several grants may share a key.
 *
 * The index never decides alone: jg_index_find compares not_before and
 * expires_at with the caller's clock on every call, so an entry whose
 * grant has expired is never an allow, whether or not anything removed it
 * yet. What the index must be told is every other way a grant stops being
 * live (revoked, consumed, completed) and every change of its expiry;
 * src/gate/sync.c does that from the audit trail.
 *
 * Threads: any number of jg_index_find calls run at once (a read lock,
 * no allocation); jg_index_apply and jg_index_clear take the write lock.
 * The index knows nothing of the store.
 */
#ifndef JG_GATE_INDEX_H
#define JG_GATE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

struct jg_index;

/* *out is owned by the caller (jg_index_free). JG_ENOMEM. */
enum jg_err jg_index_new(struct jg_index **out);
void jg_index_free(struct jg_index *ix); /* NULL-safe */

/*
 * Make the index agree with grant gr as the store now has it: an active
 * grant with uses left is put (the entry of the same id is updated, so a
 * new expiry takes effect), any other is removed. Idempotent. JG_ENOMEM
 * leaves the index as it was (the caller must then not trust it).
 */
enum jg_err jg_index_apply(struct jg_index *ix, const struct jg_grant *gr);

/* Forget every entry. */
void jg_index_clear(struct jg_index *ix);

/* What the index found for a key. */
struct jg_hit {
	char grant_id[JG_ID_LEN];
	int64_t not_before;
	int64_t expires_at;
	int uses_left;                      /* -1: unlimited */
	char payload_sha256[JG_SHA256_HEX]; /* "" when not bound */
};

/* What jg_index_find (and the store fallback) found. */
enum {
	JG_FOUND_NONE = -1,   /* no grant of that key at all */
	JG_FOUND_EXPIRED = 0, /* none live; one expired by the clock */
	JG_FOUND_LIVE = 1,    /* a live grant allows what was asked */
	JG_FOUND_BOUND = 2,   /* live grants, each bound to another payload */
	JG_FOUND_LATER = 3,   /* none live; one starts later (scheduled) */
};

/*
 * The entries of (principal, resource, action), judged at `now` for a
 * check about payload hash payload_sha256 (64 hex digits; NULL or
 * malformed: none). A grant is live while not_before <= now <
 * expires_at; it fits the check when it binds no payload, or binds
 * exactly that one. JG_FOUND_LIVE: *hit is the fitting live grant, a
 * bound one before an unbound one, then the one expiring last.
 * JG_FOUND_BOUND: *hit is the live bound grant expiring last.
 * JG_FOUND_LATER: none live or bound, *hit is the scheduled one that
 * starts first. JG_FOUND_EXPIRED: *hit is the one that expired last.
 * JG_FOUND_NONE:
 * *hit untouched.
 */
int jg_index_find(struct jg_index *ix, const char *principal,
                  const char *resource, const char *action,
                  const char *payload_sha256, int64_t now,
                  struct jg_hit *hit);

/* How many entries it holds. */
size_t jg_index_count(struct jg_index *ix);

/* Bytes it uses for them: its slot array and live entries (not the free
 * room in its storage, nor the allocator's). */
size_t jg_index_bytes(struct jg_index *ix);

#endif
