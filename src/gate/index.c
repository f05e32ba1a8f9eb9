/*
 * index.c - the in-memory index of live grants (see index.h).
 *
 * Separate chaining over a power-of-two bucket array that doubles when
 * the entries outnumber the buckets, so a lookup reads one short chain
 * whatever the number of grants. An entry is one allocation: a small
 * header, then principal, resource, action and grant id as NUL-ended
 * strings, so memory per grant is its names' length plus about 40 bytes
 * (and 8 to 16 bytes of bucket array).
 *
 * The hash is FNV-1a, not a keyed hash: the keys are those of approved
 * grants, which no caller can mint in bulk, and a lookup with a chosen key
 * reads one chain only.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gate/index.h"

#define INITIAL_BUCKETS 1024
#define LEN_MAX 255 /* names (63) and ids (31) fit in a byte */

struct ent {
	struct ent *next;
	int64_t not_before, expires_at;
	uint32_t hash;
	uint8_t plen, rlen, alen, idlen;
	char text[]; /* principal\0resource\0action\0id\0 */
};

struct jg_index {
	pthread_rwlock_t lock;
	struct ent **buckets; /* owned, nbuckets long; entries owned */
	size_t nbuckets;      /* a power of two */
	size_t count;
};

/* The key as looked up: its three strings and their lengths. */
struct key {
	const char *p, *r, *a;
	size_t plen, rlen, alen;
	uint32_t hash;
};

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h * 0x100000001b3ULL; /* the separator: "ab","c" != "a","bc" */
}

/* 0 when a string is too long to be a key (it can match nothing). */
static int key_make(struct key *k, const char *p, const char *r,
                    const char *a)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	k->p = p, k->r = r, k->a = a;
	k->plen = strlen(p), k->rlen = strlen(r), k->alen = strlen(a);
	if (k->plen > LEN_MAX || k->rlen > LEN_MAX || k->alen > LEN_MAX)
		return 0;
	h = fnv(fnv(fnv(h, p, k->plen), r, k->rlen), a, k->alen);
	k->hash = (uint32_t)(h ^ (h >> 32));
	return 1;
}

static const char *ent_resource(const struct ent *e)
{
	return e->text + e->plen + 1;
}

static const char *ent_action(const struct ent *e)
{
	return ent_resource(e) + e->rlen + 1;
}

static const char *ent_id(const struct ent *e)
{
	return ent_action(e) + e->alen + 1;
}

static int ent_is(const struct ent *e, const struct key *k)
{
	return e->hash == k->hash && e->plen == k->plen &&
	       e->rlen == k->rlen && e->alen == k->alen &&
	       memcmp(e->text, k->p, k->plen) == 0 &&
	       memcmp(ent_resource(e), k->r, k->rlen) == 0 &&
	       memcmp(ent_action(e), k->a, k->alen) == 0;
}

/* A new entry for grant gr under key k; NULL on ENOMEM. */
static struct ent *ent_new(const struct key *k, const struct jg_grant *gr)
{
	size_t idlen = strnlen(gr->id, JG_ID_LEN - 1);
	struct ent *e = malloc(sizeof(*e) + k->plen + k->rlen + k->alen +
	                       idlen + 4);
	char *t;

	if (!e)
		return NULL;
	e->next = NULL;
	e->not_before = gr->not_before;
	e->expires_at = gr->expires_at;
	e->hash = k->hash;
	e->plen = (uint8_t)k->plen, e->rlen = (uint8_t)k->rlen;
	e->alen = (uint8_t)k->alen, e->idlen = (uint8_t)idlen;
	t = e->text;
	memcpy(t, k->p, k->plen + 1), t += k->plen + 1;
	memcpy(t, k->r, k->rlen + 1), t += k->rlen + 1;
	memcpy(t, k->a, k->alen + 1), t += k->alen + 1;
	memcpy(t, gr->id, idlen), t[idlen] = '\0';
	return e;
}

enum jg_err jg_index_new(struct jg_index **out)
{
	struct jg_index *ix = calloc(1, sizeof(*ix));
	pthread_rwlockattr_t attr;

	*out = NULL;
	if (!ix || !(ix->buckets = calloc(INITIAL_BUCKETS,
	                                  sizeof(*ix->buckets)))) {
		free(ix);
		return JG_ENOMEM;
	}
	ix->nbuckets = INITIAL_BUCKETS;
	/* glibc's default lets a steady stream of checks starve a writer,
	 * and a revocation waiting for the write lock must not wait long */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	        PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ix->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	*out = ix;
	return JG_OK;
}

static void free_entries(struct jg_index *ix)
{
	for (size_t i = 0; i < ix->nbuckets; i++) {
		struct ent *e = ix->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
		ix->buckets[i] = NULL;
	}
	ix->count = 0;
}

void jg_index_free(struct jg_index *ix)
{
	if (!ix)
		return;
	free_entries(ix);
	free(ix->buckets);
	pthread_rwlock_destroy(&ix->lock);
	free(ix);
}

void jg_index_clear(struct jg_index *ix)
{
	pthread_rwlock_wrlock(&ix->lock);
	free_entries(ix);
	pthread_rwlock_unlock(&ix->lock);
}

/* Under the write lock: twice the buckets. Out of memory, the chains
 * only grow longer; nothing is lost. */
static void grow(struct jg_index *ix)
{
	size_t n = ix->nbuckets * 2;
	struct ent **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < ix->nbuckets; i++) {
		struct ent *e = ix->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(ix->buckets);
	ix->buckets = b;
	ix->nbuckets = n;
}

/* Under the write lock: where the link to gr's entry is (*link NULL:
 * none, and link is where a new one goes). */
static struct ent **slot(struct jg_index *ix, const struct key *k,
                         const char *id)
{
	struct ent **link = &ix->buckets[k->hash & (ix->nbuckets - 1)];

	for (; *link; link = &(*link)->next)
		if (ent_is(*link, k) && strcmp(ent_id(*link), id) == 0)
			return link;
	return link;
}

enum jg_err jg_index_apply(struct jg_index *ix, const struct jg_grant *gr)
{
	int live = gr->state == JG_GRANT_ACTIVE && gr->uses_left != 0;
	struct ent *fresh = NULL, **link, *gone = NULL;
	struct key k;

	if (!key_make(&k, gr->principal, gr->resource, gr->action))
		return JG_OK; /* no such key in the index, nor ever will be */
	/* allocate outside the lock; the common case (an update or a
	 * removal) frees it again */
	if (live && !(fresh = ent_new(&k, gr)))
		return JG_ENOMEM;
	pthread_rwlock_wrlock(&ix->lock);
	link = slot(ix, &k, gr->id);
	if (*link && live) {
		(*link)->not_before = gr->not_before;
		(*link)->expires_at = gr->expires_at;
	} else if (*link) {
		gone = *link;
		*link = gone->next;
		ix->count--;
	} else if (live) {
		*link = fresh;
		fresh = NULL;
		if (++ix->count > ix->nbuckets)
			grow(ix);
	}
	pthread_rwlock_unlock(&ix->lock);
	free(gone);
	free(fresh);
	return JG_OK;
}

/* Of a and b (either NULL), the one expiring last. */
static const struct ent *later(const struct ent *a, const struct ent *b)
{
	return !a || (b && b->expires_at > a->expires_at) ? b : a;
}

int jg_index_find(struct jg_index *ix, const char *principal,
                  const char *resource, const char *action, int64_t now,
                  struct jg_hit *hit)
{
	const struct ent *live = NULL, *dead = NULL, *best;
	struct key k;

	if (!key_make(&k, principal, resource, action))
		return -1;
	pthread_rwlock_rdlock(&ix->lock);
	for (const struct ent *e = ix->buckets[k.hash & (ix->nbuckets - 1)];
	     e; e = e->next) {
		if (!ent_is(e, &k))
			continue;
		if (now >= e->expires_at)
			dead = later(dead, e);
		else if (now >= e->not_before)
			live = later(live, e);
	}
	best = live ? live : dead;
	if (best) {
		memcpy(hit->grant_id, ent_id(best), best->idlen + 1u);
		hit->expires_at = best->expires_at;
	}
	pthread_rwlock_unlock(&ix->lock);
	return live ? 1 : dead ? 0 : -1;
}

size_t jg_index_count(struct jg_index *ix)
{
	size_t n;

	pthread_rwlock_rdlock(&ix->lock);
	n = ix->count;
	pthread_rwlock_unlock(&ix->lock);
	return n;
}
