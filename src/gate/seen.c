/*
 * seen.c - the (grant, source) pairs this gate has recorded a use of:
 * a non-consuming check that allows records grant.used the first time a
 * grant is used from a source (check.c), and this set is how it knows
 * the first time without asking the store on every check.
 *
 * Memory only and bounded: a fixed table of slots, probed a few at a
 * time; a full neighbourhood forgets its oldest pair, which then gets
 * one more grant.used if it comes back (as after a restart). Never a
 * store access here, and the lock is held for one short probe.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"

#define SEEN_SLOTS 8192 /* pairs remembered */
#define SEEN_PROBE 8    /* slots tried before forgetting the oldest */

struct pair {
	uint64_t age; /* 0: empty; else when claimed, in claims */
	char grant[JG_ID_LEN];
	char source[JG_ADDR_MAX];
};

struct jg_seen {
	pthread_mutex_t lock;
	uint64_t claims;  /* under lock: claims so far */
	struct pair *tab; /* owned [SEEN_SLOTS], under lock */
};

enum jg_err jg_seen_new(struct jg_seen **out)
{
	struct jg_seen *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->tab = calloc(SEEN_SLOTS, sizeof(*s->tab)))) {
		free(s);
		return JG_ENOMEM;
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

static uint32_t pair_hash(const char *grant, const char *source)
{
	uint32_t h = 2166136261u;

	for (; *grant; grant++)
		h = (h ^ (unsigned char)*grant) * 16777619u;
	h = (h ^ '>') * 16777619u;
	for (; *source; source++)
		h = (h ^ (unsigned char)*source) * 16777619u;
	return h;
}

static int is(const struct pair *p, const char *grant, const char *source)
{
	return p->age && strcmp(p->grant, grant) == 0 &&
	       strcmp(p->source, source) == 0;
}

int jg_seen_claim(struct jg_seen *s, const char *grant, const char *source)
{
	uint32_t h = pair_hash(grant, source);
	struct pair *oldest = NULL;
	int had = 0;

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < SEEN_PROBE && !had; i++) {
		struct pair *p = &s->tab[(h + i) % SEEN_SLOTS];
		had = is(p, grant, source);
		if (!oldest || p->age < oldest->age)
			oldest = p;
	}
	if (!had) {
		oldest->age = ++s->claims;
		snprintf(oldest->grant, sizeof(oldest->grant), "%s", grant);
		snprintf(oldest->source, sizeof(oldest->source), "%s", source);
	}
	pthread_mutex_unlock(&s->lock);
	return had;
}

void jg_seen_forget(struct jg_seen *s, const char *grant, const char *source)
{
	uint32_t h = pair_hash(grant, source);

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < SEEN_PROBE; i++) {
		struct pair *p = &s->tab[(h + i) % SEEN_SLOTS];
		if (is(p, grant, source))
			p->age = 0;
	}
	pthread_mutex_unlock(&s->lock);
}
