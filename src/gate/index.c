/*
 * index.c - the in-memory index of live grants (see index.h).
 *
 * Laid out for a lookup that touches as little memory as possible, since
 * with a million grants every cache line and page a lookup touches is a
 * miss:
 *
 * - Open addressing with linear probing over a power-of-two array of
 *   16-byte slots, each the key's 32-bit hash beside a pointer to its
 *   entry; at most 3/4 full. A lookup reads one run of slots (usually one
 *   cache line) and follows a pointer only when the hash matches, so it
 *   usually touches one slot line and one entry. Deletion shifts the
 *   following slots back (no tombstones), so runs stay short.
 * - Entries hold the grant's not_before, expires_at and uses left, then
 *   principal, resource, action and grant id as NUL-ended strings (about
 *   80 bytes for typical names), then, for a grant bound to one payload,
 *   that payload's SHA-256 (32 bytes). They live in 2 MiB chunks of their own, carved in
 *   16-byte size classes with a free list per class. Once the index is
 *   big (HUGE_FROM), new chunks and the slot array ask the kernel for
 *   transparent huge pages: a lookup then costs no page-table walks,
 *   which on a virtual machine cost about as much as the cache misses.
 *
 * The hash is FNV-1a, not a keyed hash: the keys are those of approved
 * grants, which no caller can mint in bulk, and a lookup with a chosen key
 * reads one run only.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "gate/index.h"
#include "util/crypto.h"

#define MIN_SLOTS 1024
#define LEN_MAX 255                   /* names (63) and ids (31) fit a byte */
#define CHUNK ((size_t)2 << 20)       /* entry storage, one huge page */
#define CLASS 16                      /* entry sizes round up to this */
#define HASH_LEN 32                   /* a bound payload's SHA-256, raw */
#define NCLASSES ((offsetof(struct ent, text) + 4 * LEN_MAX + 4 + HASH_LEN) \
                  / CLASS + 1)
/* Below this many bytes in use, no huge pages: a small index (and an idle
 * server) must not pay 2 MiB per chunk. */
#define HUGE_FROM ((size_t)8 << 20)

struct ent {
	int64_t not_before, expires_at;
	int32_t uses_left; /* -1: unlimited until expiry */
	uint8_t plen, rlen, alen, idlen;
	uint8_t bound; /* 1: HASH_LEN bytes of payload SHA-256 follow the id */
	char text[]; /* principal\0resource\0action\0id\0[sha256] */
};

struct slot {
	uint32_t hash;
	struct ent *e; /* NULL: empty */
};

/* A chunk of entry storage; the chunks form a list to be unmapped. */
struct chunk {
	struct chunk *next;
};

struct jg_index {
	pthread_rwlock_t lock;
	struct slot *slots; /* owned (mmap), nslots long */
	size_t nslots;      /* a power of two */
	size_t count;
	/* entry storage, under the write lock */
	struct chunk *chunks; /* owned */
	char *bump, *end;     /* unused space of the newest chunk */
	void *free[NCLASSES]; /* freed entries by size class, linked */
	size_t ent_bytes;     /* of live entries, for jg_index_bytes */
};

/* The key as looked up: its three strings and their lengths. */
struct key {
	const char *p, *r, *a;
	size_t plen, rlen, alen;
	uint32_t hash;
};

/* ---- memory ------------------------------------------------------------ */

/*
 * n bytes (a multiple of the page size) of zeroed memory; NULL when out of
 * memory. With huge, aligned to 2 MiB and the kernel asked to back it with
 * huge pages. Free with unmap(p, n).
 */
static void *map(size_t n, int huge)
{
	size_t align = huge ? CHUNK : 0;
	char *p = mmap(NULL, n + align, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *at;

	if (p == MAP_FAILED)
		return NULL;
	at = align ? (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1))
	           : p;
	if (at > p)
		munmap(p, (size_t)(at - p));
	if (p + align > at)
		munmap(at + n, (size_t)(p + align - at));
	if (huge)
		madvise(at, n, MADV_HUGEPAGE); /* a hint: fine if refused */
	return at;
}

static void unmap(void *p, size_t n)
{
	if (p)
		munmap(p, n);
}

/* Bytes the index uses: slots and live entries. */
static size_t in_use(const struct jg_index *ix)
{
	return ix->nslots * sizeof(struct slot) + ix->ent_bytes;
}

/* What an entry with `text` bytes of strings takes. */
static size_t ent_size(size_t text)
{
	return (offsetof(struct ent, text) + text + CLASS - 1) / CLASS * CLASS;
}

/* Under the write lock: room for an entry of `size` bytes (ent_size). */
static struct ent *ent_alloc(struct jg_index *ix, size_t size)
{
	void **head = &ix->free[size / CLASS];
	struct chunk *c;
	void *p = *head;

	if (p) {
		*head = *(void **)p;
		ix->ent_bytes += size;
		return p;
	}
	if ((size_t)(ix->end - ix->bump) < size) {
		if (!(c = map(CHUNK, in_use(ix) >= HUGE_FROM)))
			return NULL;
		c->next = ix->chunks;
		ix->chunks = c;
		/* the chunk's header takes the first class-sized cell */
		ix->bump = (char *)c + CLASS;
		ix->end = (char *)c + CHUNK;
	}
	p = ix->bump;
	ix->bump += size;
	ix->ent_bytes += size;
	return p;
}

/* The bytes of text an entry with these lengths holds. */
static size_t text_len(size_t plen, size_t rlen, size_t alen, size_t idlen,
                       int bound)
{
	return plen + rlen + alen + idlen + 4 + (bound ? HASH_LEN : 0);
}

static void ent_free(struct jg_index *ix, struct ent *e)
{
	size_t size = ent_size(text_len(e->plen, e->rlen, e->alen, e->idlen,
	                                e->bound));
	void **head = &ix->free[size / CLASS];

	*(void **)e = *head;
	*head = e;
	ix->ent_bytes -= size;
}

static void free_entries(struct jg_index *ix)
{
	struct chunk *c = ix->chunks, *next;

	for (; c; c = next) {
		next = c->next;
		unmap(c, CHUNK);
	}
	ix->chunks = NULL;
	ix->ent_bytes = 0;
	ix->bump = ix->end = NULL;
	memset(ix->free, 0, sizeof(ix->free));
}

/* ---- keys and entries ------------------------------------------------- */

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h * 0x100000001b3ULL; /* a NUL after each: "ab","c" != "a","bc" */
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

/* The bound payload's raw SHA-256; only when e->bound. */
static const unsigned char *ent_hash(const struct ent *e)
{
	return (const unsigned char *)ent_id(e) + e->idlen + 1;
}

/* Does slot s hold an entry of key k? */
static int slot_is(const struct slot *s, const struct key *k)
{
	const struct ent *e = s->e;

	return s->hash == k->hash && e->plen == k->plen &&
	       e->rlen == k->rlen && e->alen == k->alen &&
	       memcmp(e->text, k->p, k->plen) == 0 &&
	       memcmp(ent_resource(e), k->r, k->rlen) == 0 &&
	       memcmp(ent_action(e), k->a, k->alen) == 0;
}

/* Under the write lock: a new entry for grant gr under key k. */
static struct ent *ent_new(struct jg_index *ix, const struct key *k,
                           const struct jg_grant *gr)
{
	size_t idlen = strnlen(gr->id, JG_ID_LEN - 1);
	unsigned char hash[HASH_LEN];
	int bound = jg_sha256_unhex(gr->payload_sha256, hash) == 0;
	struct ent *e = ent_alloc(ix, ent_size(text_len(k->plen, k->rlen,
	                                                k->alen, idlen, bound)));
	char *t;

	if (!e)
		return NULL;
	e->not_before = gr->not_before;
	e->expires_at = gr->expires_at;
	e->uses_left = gr->uses_left;
	e->plen = (uint8_t)k->plen, e->rlen = (uint8_t)k->rlen;
	e->alen = (uint8_t)k->alen, e->idlen = (uint8_t)idlen;
	e->bound = (uint8_t)bound;
	t = e->text;
	memcpy(t, k->p, k->plen + 1), t += k->plen + 1;
	memcpy(t, k->r, k->rlen + 1), t += k->rlen + 1;
	memcpy(t, k->a, k->alen + 1), t += k->alen + 1;
	memcpy(t, gr->id, idlen), t[idlen] = '\0', t += idlen + 1;
	if (bound)
		memcpy(t, hash, HASH_LEN);
	return e;
}

/* ---- the table --------------------------------------------------------- */

enum jg_err jg_index_new(struct jg_index **out)
{
	struct jg_index *ix = calloc(1, sizeof(*ix));
	pthread_rwlockattr_t attr;

	*out = NULL;
	if (!ix || !(ix->slots = map(MIN_SLOTS * sizeof(struct slot), 0))) {
		free(ix);
		return JG_ENOMEM;
	}
	ix->nslots = MIN_SLOTS;
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

void jg_index_free(struct jg_index *ix)
{
	if (!ix)
		return;
	free_entries(ix);
	unmap(ix->slots, ix->nslots * sizeof(struct slot));
	pthread_rwlock_destroy(&ix->lock);
	free(ix);
}

void jg_index_clear(struct jg_index *ix)
{
	pthread_rwlock_wrlock(&ix->lock);
	free_entries(ix);
	memset(ix->slots, 0, ix->nslots * sizeof(struct slot));
	ix->count = 0;
	pthread_rwlock_unlock(&ix->lock);
}

/* Under the write lock: twice the slots. Out of memory, the table only
 * gets fuller (and refuses entries when full): nothing is lost. */
static void grow(struct jg_index *ix)
{
	size_t n = ix->nslots * 2, mask = n - 1;
	struct slot *s = map(n * sizeof(*s), n * sizeof(*s) >= HUGE_FROM);

	if (!s)
		return;
	for (size_t i = 0; i < ix->nslots; i++) {
		size_t j = ix->slots[i].hash & mask;
		if (!ix->slots[i].e)
			continue;
		while (s[j].e)
			j = (j + 1) & mask;
		s[j] = ix->slots[i];
	}
	unmap(ix->slots, ix->nslots * sizeof(*s));
	ix->slots = s;
	ix->nslots = n;
}

/* Under the write lock: the slot of grant id under key k, or of the empty
 * slot that ends its run. */
static size_t find_slot(const struct jg_index *ix, const struct key *k,
                        const char *id)
{
	size_t mask = ix->nslots - 1, i = k->hash & mask;

	for (; ix->slots[i].e; i = (i + 1) & mask)
		if (slot_is(&ix->slots[i], k) &&
		    strcmp(ent_id(ix->slots[i].e), id) == 0)
			break;
	return i;
}

/*
 * Under the write lock: empty slot i, then move back each following slot
 * of the run that may sit there (its home is not after the hole), so that
 * every entry stays reachable from its home without tombstones.
 */
static void remove_at(struct jg_index *ix, size_t i)
{
	size_t mask = ix->nslots - 1, j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!ix->slots[j].e)
			break;
		size_t home = ix->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ix->slots[i] = ix->slots[j];
			i = j;
		}
	}
	ix->slots[i].e = NULL;
	ix->slots[i].hash = 0;
}

/* Under the write lock: put a new entry for gr in empty slot i. */
static enum jg_err insert_at(struct jg_index *ix, size_t i,
                             const struct key *k, const struct jg_grant *gr)
{
	struct ent *e;

	/* at most 3/4 full, so runs stay short */
	if ((ix->count + 1) * 4 > ix->nslots * 3) {
		grow(ix);
		i = find_slot(ix, k, gr->id); /* the slots may have moved */
	}
	/* grow failed: still one slot must stay empty to end every probe */
	if (ix->count + 2 > ix->nslots)
		return JG_ENOMEM;
	if (!(e = ent_new(ix, k, gr)))
		return JG_ENOMEM;
	ix->slots[i].hash = k->hash;
	ix->slots[i].e = e;
	ix->count++;
	return JG_OK;
}

enum jg_err jg_index_apply(struct jg_index *ix, const struct jg_grant *gr)
{
	int live = gr->state == JG_GRANT_ACTIVE && gr->uses_left != 0;
	enum jg_err e = JG_OK;
	struct key k;
	size_t i;

	if (!key_make(&k, gr->principal, gr->resource, gr->action))
		return JG_OK; /* no such key in the index, nor ever will be */
	pthread_rwlock_wrlock(&ix->lock);
	i = find_slot(ix, &k, gr->id);
	if (ix->slots[i].e && live) {
		ix->slots[i].e->not_before = gr->not_before;
		ix->slots[i].e->expires_at = gr->expires_at;
		ix->slots[i].e->uses_left = gr->uses_left;
	} else if (ix->slots[i].e) {
		ent_free(ix, ix->slots[i].e);
		remove_at(ix, i);
		ix->count--;
	} else if (live) {
		e = insert_at(ix, i, &k, gr);
	}
	pthread_rwlock_unlock(&ix->lock);
	return e;
}

/* Of a and b (either NULL), the one expiring last. */
static const struct ent *later(const struct ent *a, const struct ent *b)
{
	return !a || (b && b->expires_at > a->expires_at) ? b : a;
}

/* Of live entries a and b that both fit the ask: a bound one before an
 * unbound one (the narrowest grant answers, and is the one a consuming
 * check uses up), then the one expiring last. */
static const struct ent *better(const struct ent *a, const struct ent *b)
{
	if (a && b && a->bound != b->bound)
		return a->bound ? a : b;
	return later(a, b);
}

/* Does a live entry e allow a check that asks about payload hash
 * `sha` (NULL: none)? An unbound grant allows any; a bound one only
 * its own payload. */
static int fits(const struct ent *e, const unsigned char *sha)
{
	return !e->bound || (sha && memcmp(ent_hash(e), sha, HASH_LEN) == 0);
}

/* Of entries a and b that start later: the one that starts first. */
static const struct ent *sooner(const struct ent *a, const struct ent *b)
{
	return !a || (b && b->not_before < a->not_before) ? b : a;
}

static void hit_fill(struct jg_hit *hit, const struct ent *e)
{
	memcpy(hit->grant_id, ent_id(e), e->idlen + 1u);
	hit->not_before = e->not_before;
	hit->expires_at = e->expires_at;
	hit->uses_left = e->uses_left;
	if (e->bound)
		jg_sha256_tohex(ent_hash(e), hit->payload_sha256);
	else
		hit->payload_sha256[0] = '\0';
}

int jg_index_find(struct jg_index *ix, const char *principal,
                  const char *resource, const char *action,
                  const char *payload_sha256, int64_t now,
                  struct jg_hit *hit)
{
	const struct ent *live = NULL, *bound = NULL, *dead = NULL, *soon = NULL;
	const struct ent *best;
	unsigned char sha[HASH_LEN];
	const unsigned char *asked = NULL;
	struct key k;
	size_t mask, i;
	int found;

	if (!key_make(&k, principal, resource, action))
		return JG_FOUND_NONE;
	if (payload_sha256 && jg_sha256_unhex(payload_sha256, sha) == 0)
		asked = sha;
	pthread_rwlock_rdlock(&ix->lock);
	mask = ix->nslots - 1;
	for (i = k.hash & mask; ix->slots[i].e; i = (i + 1) & mask) {
		const struct ent *e = ix->slots[i].e;
		if (!slot_is(&ix->slots[i], &k))
			continue;
		if (now >= e->expires_at)
			dead = later(dead, e);
		else if (now < e->not_before)
			soon = sooner(soon, e);
		else if (fits(e, asked))
			live = better(live, e);
		else
			bound = later(bound, e);
	}
	found = live ? JG_FOUND_LIVE : bound ? JG_FOUND_BOUND
	        : soon ? JG_FOUND_LATER : dead ? JG_FOUND_EXPIRED
	               : JG_FOUND_NONE;
	best = live ? live : bound ? bound : soon ? soon : dead;
	if (best)
		hit_fill(hit, best);
	pthread_rwlock_unlock(&ix->lock);
	return found;
}

size_t jg_index_count(struct jg_index *ix)
{
	size_t n;

	pthread_rwlock_rdlock(&ix->lock);
	n = ix->count;
	pthread_rwlock_unlock(&ix->lock);
	return n;
}

size_t jg_index_bytes(struct jg_index *ix)
{
	size_t n;

	pthread_rwlock_rdlock(&ix->lock);
	n = sizeof(*ix) + in_use(ix);
	pthread_rwlock_unlock(&ix->lock);
	return n;
}
