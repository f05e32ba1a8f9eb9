/*
 * authcache.c - the token cache (see authcache.h): a direct-mapped table
 * of AUTHCACHE_SLOTS entries, allocated once. Deployments have tens of
 * tokens, rarely hundreds; a collision only costs a store lookup.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gate/authcache.h"

#define AUTHCACHE_SLOTS 128 /* a power of two */

struct slot {
	char digest[JG_SHA256_HEX]; /* "" when empty */
	char id[JG_ID_LEN];
	int64_t until; /* believed while now < until */
	struct jg_principal who;
};

struct jg_authcache {
	pthread_rwlock_t lock;
	uint64_t gen; /* drops so far; under lock */
	struct slot slots[AUTHCACHE_SLOTS];
};

enum jg_err jg_authcache_new(struct jg_authcache **out)
{
	struct jg_authcache *c = calloc(1, sizeof(*c));
	pthread_rwlockattr_t attr;

	*out = c;
	if (!c)
		return JG_ENOMEM;
	/* as in index.c: drops must not wait behind a stream of lookups */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	        PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&c->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return JG_OK;
}

void jg_authcache_free(struct jg_authcache *c)
{
	if (!c)
		return;
	pthread_rwlock_destroy(&c->lock);
	OPENSSL_cleanse(c, sizeof(*c)); /* digests are as good as hints */
	free(c);
}

/* The slot of a digest: its first hex digits (SHA-256 is uniform). */
static struct slot *slot_of(struct jg_authcache *c, const char *digest)
{
	unsigned h = 0;

	for (int i = 0; i < 8 && digest[i]; i++)
		h = h * 16 + (unsigned)(digest[i] & 0x0f);
	return &c->slots[h & (AUTHCACHE_SLOTS - 1)];
}

static int slot_is(const struct slot *s, const char *digest)
{
	return strlen(digest) == JG_SHA256_HEX - 1 && s->digest[0] &&
	       CRYPTO_memcmp(s->digest, digest, JG_SHA256_HEX - 1) == 0;
}

int jg_authcache_get(struct jg_authcache *c, const char *digest, int64_t now,
                     struct jg_principal *who)
{
	struct slot *s = slot_of(c, digest);
	int hit;

	pthread_rwlock_rdlock(&c->lock);
	/* a clock stepped back must not stretch the TTL */
	hit = slot_is(s, digest) && now < s->until &&
	      s->until - now <= JG_AUTHCACHE_TTL;
	if (hit)
		*who = s->who;
	pthread_rwlock_unlock(&c->lock);
	return hit;
}

uint64_t jg_authcache_gen(struct jg_authcache *c)
{
	uint64_t g;

	pthread_rwlock_rdlock(&c->lock);
	g = c->gen;
	pthread_rwlock_unlock(&c->lock);
	return g;
}

void jg_authcache_put(struct jg_authcache *c, uint64_t gen,
                      const char *digest, const char *id,
                      const struct jg_principal *who, int64_t now)
{
	struct slot *s = slot_of(c, digest);

	if (strlen(digest) != JG_SHA256_HEX - 1)
		return;
	pthread_rwlock_wrlock(&c->lock);
	if (gen == c->gen) {
		memcpy(s->digest, digest, JG_SHA256_HEX);
		snprintf(s->id, sizeof(s->id), "%s", id);
		s->until = now + JG_AUTHCACHE_TTL;
		s->who = *who;
	}
	pthread_rwlock_unlock(&c->lock);
}

void jg_authcache_drop(struct jg_authcache *c, const char *id)
{
	pthread_rwlock_wrlock(&c->lock);
	c->gen++;
	for (size_t i = 0; i < AUTHCACHE_SLOTS; i++)
		if (strcmp(c->slots[i].id, id) == 0)
			memset(&c->slots[i], 0, sizeof(c->slots[i]));
	pthread_rwlock_unlock(&c->lock);
}
