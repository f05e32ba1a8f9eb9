/*
 * seen.c - the (grant, source) pairs this gate has recorded a use of:
 * a non-consuming check that allows records grant.used the first time a
 * grant is used from a source (check.c), and this set is how it knows
 * the first time without asking the store on every check.
 *
 * Memory only and bounded: SEEN_SLOTS slots of 16 bytes (16 MiB of
 * address space, paid for page by page as pairs arrive), probed a few at
 * a time; a full neighbourhood forgets its oldest pair, which then gets
 * one more grant.used if it comes back (as after a restart). A slot holds
 * a 64-bit hash of the pair keyed with a random secret drawn at start, so
 * no one can choose a source whose pair passes for another's: a chance
 * collision (about n^2 / 2^65 for n pairs) costs one unrecorded first
 * use, never an allow. Never a store access here, and the lock is held
 * for one short probe.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "gate/internal.h"

#define SEEN_SLOTS (1u << 20) /* pairs remembered */
#define SEEN_PROBE 8          /* slots tried before forgetting the oldest */

struct pair {
	uint64_t key; /* keyed hash of grant and source; 0: empty */
	uint64_t age; /* when claimed, in claims */
};

struct jg_seen {
	pthread_mutex_t lock;
	uint64_t secret[2]; /* the hash's key, random */
	uint64_t claims;    /* under lock: claims so far */
	struct pair *tab;   /* owned [SEEN_SLOTS], under lock */
};

enum jg_err jg_seen_new(struct jg_seen **out)
{
	struct jg_seen *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->tab = calloc(SEEN_SLOTS, sizeof(*s->tab)))) {
		free(s);
		return JG_ENOMEM;
	}
	if (RAND_bytes((unsigned char *)s->secret, sizeof(s->secret)) != 1) {
		jg_seen_free(s);
		return JG_EINTERNAL;
	}
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return JG_OK;
}

void jg_seen_free(struct jg_seen *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->tab);
	free(s);
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct hashing {
	uint64_t h, w; /* the state, the word being filled */
	size_t n;      /* bytes taken */
	uint64_t k;    /* mixed into every word */
};

/* Take the bytes of p and its NUL (which separates grant from source),
 * mixing them in 8 at a time. */
static void absorb(struct hashing *x, const char *p)
{
	do {
		x->w = x->w << 8 | (unsigned char)*p;
		if (++x->n % 8 == 0) {
			x->h = mix(x->h ^ x->w ^ x->k);
			x->w = 0;
		}
	} while (*p++);
}

/* The pair's key, never 0 (an empty slot). */
static uint64_t pair_key(const struct jg_seen *s, const char *grant,
                         const char *source)
{
	struct hashing x = {.h = s->secret[0], .k = s->secret[1]};
	uint64_t h;

	absorb(&x, grant);
	absorb(&x, source);
	h = mix(x.h ^ x.w ^ x.n);
	return h ? h : 1;
}

int jg_seen_claim(struct jg_seen *s, const char *grant, const char *source)
{
	uint64_t k = pair_key(s, grant, source);
	struct pair *oldest = NULL;
	int had = 0;

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < SEEN_PROBE && !had; i++) {
		struct pair *p = &s->tab[(k + i) % SEEN_SLOTS];
		had = p->key == k;
		if (!oldest || p->age < oldest->age)
			oldest = p;
	}
	if (!had) {
		oldest->key = k;
		oldest->age = ++s->claims;
	}
	pthread_mutex_unlock(&s->lock);
	return had;
}

void jg_seen_forget(struct jg_seen *s, const char *grant, const char *source)
{
	uint64_t k = pair_key(s, grant, source);

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < SEEN_PROBE; i++) {
		struct pair *p = &s->tab[(k + i) % SEEN_SLOTS];
		if (p->key == k)
			p->key = p->age = 0;
	}
	pthread_mutex_unlock(&s->lock);
}
