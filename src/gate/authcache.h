/*
 * authcache.h - bearer token digest -> principal, for a short while, so
 * that authenticating a request need not ask the store each time.
 *
 * Only tokens the store said were valid are cached (never a miss), each
 * for JG_AUTHCACHE_TTL seconds at most; a revocation drops the token at
 * once (src/gate/sync.c calls jg_authcache_drop for every token.revoked
 * event, this server's and the others'). A fixed number of slots, chosen
 * by the digest: a new token takes the slot of the one before it.
 *
 * A put races with a drop: a lookup in the store may read a token just
 * before it is revoked and put it just after the drop. So a put carries
 * the generation it read before asking the store (jg_authcache_gen),
 * and is refused when any drop happened since.
 *
 * Threads: any number at once (a read-write lock; no allocation after
 * jg_authcache_new).
 */
#ifndef JG_GATE_AUTHCACHE_H
#define JG_GATE_AUTHCACHE_H

#include <stdint.h>

#include "core/model.h"

#define JG_AUTHCACHE_TTL 10 /* seconds a valid token is believed */

struct jg_authcache;

/* *out is the caller's (jg_authcache_free). JG_ENOMEM. */
enum jg_err jg_authcache_new(struct jg_authcache **out);
void jg_authcache_free(struct jg_authcache *c); /* NULL-safe */

/* 1 and *who when digest (hex SHA-256) was put less than the TTL before
 * now; else 0. */
int jg_authcache_get(struct jg_authcache *c, const char *digest, int64_t now,
                     struct jg_principal *who);

/* The generation to pass to jg_authcache_put; read it before looking the
 * token up in the store. */
uint64_t jg_authcache_gen(struct jg_authcache *c);

/* Remember that digest is token id of who, as read at now in generation
 * gen; nothing when a drop came since. */
void jg_authcache_put(struct jg_authcache *c, uint64_t gen,
                      const char *digest, const char *id,
                      const struct jg_principal *who, int64_t now);

/* Forget token id (revoked). */
void jg_authcache_drop(struct jg_authcache *c, const char *id);

#endif
