/*
 * sync.c - keeping the index of live grants and the token cache in step
 * with the store (see "keeping the caches in step" in gate.h).
 *
 * Why the audit trail and not a message bus: every grant or token change
 * appends its event in the same transaction, and the trail's seq runs
 * 1, 2, 3... in commit order on every backend (writers are serialised),
 * so "the events after seq N" is exactly what this server has not seen,
 * whichever server or tool made it. A step reads the grant itself rather
 * than trusting the event's details, so applying an event twice, or late,
 * leaves the index as the store is.
 *
 * Why steps never overlap: sync_lock makes them run one after another,
 * each in a read transaction begun after the previous one ended, so each
 * sees the store at least as new as the one before and the index only
 * ever moves forward. A use case's own commit runs a step too (instead
 * of putting what it wrote straight into the index) so that no write can
 * race a step reading an older snapshot.
 *
 * Lock order: sync_lock, then the store's transaction, then the index or
 * cache lock. Nothing takes them the other way round: check takes only
 * the index lock.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/authcache.h"
#include "gate/index.h"
#include "gate/internal.h"
#include "util/ticker.h"
#include "util/log.h"

#define SYNC_PAGE 256 /* events read per audit_walk */
/* Grants read per grant_list page when loading: large, so that a million
 * grants take few read transactions; 20,000 records are about 19 MiB,
 * freed after each page. */
#define LOAD_PAGE 20000

/* What a step needs of one event. */
enum seen_kind { SEEN_OTHER, SEEN_GRANT, SEEN_TOKEN_REVOKED };
struct seen {
	int64_t seq, ts;
	enum seen_kind kind;
	char subject[JG_ID_LEN];
	char hash[JG_SHA256_HEX];
};

struct page {
	struct seen ev[SYNC_PAGE];
	size_t n;
};

/* audit_walk callback: copy the event out (the walk's rows are
 * borrowed), to be applied once the walk is over. */
static int collect(const struct jg_event *ev, void *ctx)
{
	struct page *p = ctx;
	struct seen *s = &p->ev[p->n++];

	s->seq = ev->seq;
	s->ts = ev->ts;
	s->kind = strncmp(ev->type, "grant.", 6) == 0 ? SEEN_GRANT
	          : strcmp(ev->type, "token.revoked") == 0 ? SEEN_TOKEN_REVOKED
	                                                   : SEEN_OTHER;
	memcpy(s->subject, ev->subject, JG_ID_LEN);
	memcpy(s->hash, ev->hash, JG_SHA256_HEX);
	return p->n == SYNC_PAGE;
}

/* Inside the step's read transaction. */
static enum jg_err apply(struct jg_gate *g, const struct seen *s)
{
	struct jg_grant gr;
	enum jg_err e;

	jg_gate_now(g, s->ts); /* another server's time is a floor too */
	if (s->kind == SEEN_TOKEN_REVOKED)
		jg_authcache_drop(g->auth, s->subject);
	if (s->kind != SEEN_GRANT)
		return JG_OK;
	e = g->st->ops->grant_get(g->st, s->subject, &gr);
	if (e == JG_ENOTFOUND)
		return JG_OK; /* nothing of it can be in the index */
	return e == JG_OK ? jg_index_apply(g->index, &gr) : e;
}

/*
 * Why a step re-reads the last event it applied: someone who can write
 * the database may delete the tail of the trail (or rewrite it) while
 * this server runs. New events would then reuse seqs at or below
 * sync_seq, which "the events after sync_seq" never shows, so a
 * revocation recorded after the cut would never reach the index. So each
 * step first reads the event at sync_seq again: gone, or with another
 * hash, means the trail went backwards. It costs one row per step.
 */
static int went_back(struct jg_gate *g, const struct page *p, char *why,
                     size_t len)
{
	if (g->sync_seq == 0)
		return 0;
	if (p->n == 0 || p->ev[0].seq != g->sync_seq) {
		snprintf(why, len, "the audit trail went backwards: event %lld, "
		         "already applied, is gone (%s)", (long long)g->sync_seq,
		         p->n == 0 ? "the trail ends before it"
		                   : "deleted from the middle");
		return 1;
	}
	if (strcmp(p->ev[0].hash, g->sync_hash) != 0) {
		snprintf(why, len, "the audit trail went backwards: event %lld, "
		         "already applied, was rewritten (its hash changed)",
		         (long long)g->sync_seq);
		return 1;
	}
	return 0;
}

/* Inside a read transaction: the events after sync_seq, page by page.
 * *back is set (with why) when the trail went backwards. */
static enum jg_err follow(struct jg_gate *g, int *back, char *why,
                          size_t len)
{
	struct page *p = malloc(sizeof(*p)); /* 29 KiB: not on the stack */
	enum jg_err e = p ? JG_OK : JG_ENOMEM;
	size_t first = g->sync_seq > 0; /* the page starts at sync_seq */
	int64_t next;

	while (e == JG_OK) {
		struct jg_filter f = {.cursor = g->sync_seq - (int64_t)first,
		                      .limit = SYNC_PAGE};
		p->n = 0;
		e = g->st->ops->audit_walk(g->st, &f, collect, p, &next);
		if (e == JG_OK && first && went_back(g, p, why, len)) {
			*back = 1;
			break;
		}
		for (size_t i = first; e == JG_OK && i < p->n; i++)
			if ((e = apply(g, &p->ev[i])) == JG_OK) {
				g->sync_seq = p->ev[i].seq;
				memcpy(g->sync_hash, p->ev[i].hash,
				       JG_SHA256_HEX);
			}
		if (p->n < SYNC_PAGE)
			break;
	}
	free(p);
	return e;
}

/*
 * Inside a read transaction: every grant the store marks active, and the
 * seq of the last event, from one snapshot. f.now = 0: grants the clock
 * has expired but no sweeper has recorded yet are loaded too (check
 * judges them by the clock; their grant.expired event removes them).
 */
static enum jg_err load(struct jg_gate *g)
{
	struct jg_filter f = {.state = "active", .limit = LOAD_PAGE};
	struct jg_grant *gs;
	size_t n;
	int64_t next = 0;
	enum jg_err e = g->st->ops->audit_last(g->st, &g->sync_seq,
	                                       g->sync_hash);

	if (e == JG_OK)
		e = jg_gate_clock_from_trail(g, g->sync_seq);
	jg_index_clear(g->index);
	do {
		gs = NULL;
		n = 0;
		f.cursor = next;
		if (e == JG_OK)
			e = g->st->ops->grant_list(g->st, &f, &gs, &n, &next);
		for (size_t i = 0; e == JG_OK && i < n; i++)
			e = jg_index_apply(g->index, &gs[i]);
		free(gs);
	} while (e == JG_OK && next);
	/* glibc keeps freed big buffers like the pages' for reuse; a server
	 * that loads once has no use for them */
	malloc_trim(0);
	g->loaded = e == JG_OK;
	return e;
}

/*
 * The trail went backwards: answer no allow from now on (the index is
 * emptied and stays the one check reads, so check never falls back to a
 * store that can no longer be trusted), say so loudly, and stop
 * following. Under sync_lock.
 */
void jg_gate_halt_locked(struct jg_gate *g, const char *why)
{
	snprintf(g->halted_why, sizeof(g->halted_why), "%s", why);
	__atomic_store_n(&g->halted, 1, __ATOMIC_RELEASE);
	if (g->index)
		jg_index_clear(g->index);
	__atomic_store_n(&g->fresh, 1, __ATOMIC_RELEASE);
	jg_log(JG_LOG_ERROR, "ALERT: %s; someone changed the database "
	       "behind this server. check allows nothing until restart; "
	       "run `jitgate audit verify --checkpoints SINK`", why);
}

void jg_gate_halt(struct jg_gate *g, const char *why)
{
	pthread_mutex_lock(&g->sync_lock);
	if (!jg_gate_halted(g, NULL))
		jg_gate_halt_locked(g, why);
	pthread_mutex_unlock(&g->sync_lock);
}

enum jg_err jg_gate_sync(struct jg_gate *g)
{
	char why[JG_WHY_MAX];
	int back = 0;
	int64_t seq;
	enum jg_err e;

	if (!g->index)
		return JG_OK;
	pthread_mutex_lock(&g->sync_lock);
	if (jg_gate_halted(g, NULL)) {
		pthread_mutex_unlock(&g->sync_lock);
		return JG_OK; /* stays halted: nothing more is applied */
	}
	if ((e = g->st->ops->begin(g->st, 0)) == JG_OK) {
		e = g->loaded ? follow(g, &back, why, sizeof(why)) : load(g);
		g->st->ops->rollback(g->st);
	}
	if (back) {
		jg_gate_halt_locked(g, why);
		/* only a head this run applied itself is worth signing */
		jg_gate_record_halt(g, why);
	}
	else
		__atomic_store_n(&g->fresh, e == JG_OK, __ATOMIC_RELEASE);
	if (e == JG_OK && !back) /* /metrics and /readyz: in step as of now */
		__atomic_store_n(&g->sync_ok_ms, jg_replay_clock_ms(),
		                 __ATOMIC_RELAXED);
	seq = g->sync_seq;
	pthread_mutex_unlock(&g->sync_lock);
	if (e == JG_OK && !back)
		jg_gate_signer_poke(g, seq);
	return e;
}

int jg_gate_halted(struct jg_gate *g, char why[JG_WHY_MAX])
{
	if (!__atomic_load_n(&g->halted, __ATOMIC_ACQUIRE))
		return 0;
	if (why)
		snprintf(why, JG_WHY_MAX, "%s", g->halted_why);
	return 1;
}

int jg_gate_cached(struct jg_gate *g)
{
	return g->index && __atomic_load_n(&g->fresh, __ATOMIC_ACQUIRE);
}

enum jg_err jg_gate_index_load(struct jg_gate *g)
{
	if (!g->index && jg_index_new(&g->index) != JG_OK)
		return JG_ENOMEM;
	if (!g->auth && jg_authcache_new(&g->auth) != JG_OK) {
		jg_index_free(g->index);
		g->index = NULL;
		return JG_ENOMEM;
	}
	return jg_gate_sync(g);
}

void jg_gate_index_size(struct jg_gate *g, size_t *grants, size_t *bytes)
{
	*grants = g->index ? jg_index_count(g->index) : 0;
	*bytes = g->index ? jg_index_bytes(g->index) : 0;
}

/* ---- the background thread ------------------------------------------- */

struct jg_syncer {
	struct jg_gate *g;         /* borrowed */
	int failing;               /* ticker thread only: say it once */
	struct jg_ticker *ticker;  /* owned */
};

/* Tell the operator when steps start and stop failing (not each one). */
static void report(int *failing, enum jg_err e)
{
	if ((e != JG_OK) == *failing)
		return;
	*failing = e != JG_OK;
	if (*failing)
		jg_log(JG_LOG_ERROR, "sync of the grant index failed (%s); "
		       "check answers from the store until it recovers",
		       jg_strerror(e));
	else
		jg_log(JG_LOG_INFO, "sync of the grant index recovered");
}

static void step(void *arg)
{
	struct jg_syncer *s = arg;

	report(&s->failing, jg_gate_sync(s->g));
}

enum jg_err jg_gate_sync_start(struct jg_gate *g, int period_ms)
{
	struct jg_syncer *s;
	enum jg_err e;

	if (g->syncer || period_ms < 1)
		return JG_EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return JG_ENOMEM;
	s->g = g;
	if ((e = jg_ticker_start(period_ms, step, s, JG_TICK_FIRST,
	                         &s->ticker)) != JG_OK) {
		free(s);
		return e;
	}
	g->syncer = s;
	return JG_OK;
}

void jg_gate_sync_stop(struct jg_gate *g)
{
	struct jg_syncer *s = g->syncer;

	if (!s)
		return;
	jg_ticker_stop(s->ticker);
	free(s);
	g->syncer = NULL;
}
