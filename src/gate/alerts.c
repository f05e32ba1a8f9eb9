/*
 * alerts.c - the gate's side of alerts (docs/alerts.md): feeding what
 * was committed to the detectors (insight/detect.h), appending what they
 * raise as `alert.raised` events, listing alerts and acknowledging them.
 *
 * A detector must never make a user's write fail: the step runs after the
 * user's commit has succeeded, reads the new events in a read
 * transaction of its own, and appends its alerts in a write transaction
 * of its own; whatever fails there is logged and costs at most an alert.
 * A server runs the steps on a thread of its own (jg_gate_alerts_start),
 * every JG_ALERTS_MS: a commit does not even poke it. A test may ask for
 * them in the committing thread instead (jg_gate_alerts_inline); other
 * users of a gate (the CLI's offline commands, tests of other use cases)
 * run no detector at all. Steps never overlap, and
 * a step never runs from inside another one (the alerts' own commit
 * bypasses jg_gate_commit).
 *
 * Restart: the first step re-reads the trail's last `horizon` seconds
 * (the longest window) to rebuild the counters, and raises only what the
 * trail does not already record as raised, so a burst straddling a
 * restart fires once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/internal.h"
#include "insight/detect.h"
#include "util/log.h"
#include "util/ticker.h"

#define ALERT_PAGE 256     /* events read per audit_walk */
#define PENDING_MAX 256    /* alerts raised by one step at most */
#define SEEN_MAX 1024      /* alerts recorded, remembered while replaying */
#define COMMENT_MAX 1024   /* an acknowledgement's comment, bytes */

struct kind_subject {
	int kind;
	char subject[JG_ALERT_SUBJECT_MAX];
};

struct jg_gate_alerting {
	pthread_mutex_t lock; /* one step at a time */
	struct jg_ticker *ticker; /* owned; a server's thread, or NULL */
	int inline_steps;         /* 1: a step after each commit instead */
	struct jg_gate *g;        /* borrowed: the gate this belongs to */
	struct jg_detect *d;  /* owned */
	int loaded;           /* the replay at start is done */
	int64_t seq;          /* events fed so far */
	int64_t ts;           /* the newest fed event's time */
	struct jg_alert pending[PENDING_MAX]; /* raised, not yet appended */
	size_t npending;
	int replaying;
	struct kind_subject *seen; /* owned [SEEN_MAX], while replaying */
	size_t nseen;
	/* alert.raised events fed since start, by kind, replay excluded (by
	 * any server sharing the trail): /metrics reads them (atomic) */
	uint64_t raised[JG_AK_COUNT];
};

/* first_sensitive's question, asked while the gate is held (or by the
 * only thread that may swap the policy): high or critical. */
static int sensitive(const char *resource, void *ctx)
{
	const struct jg_gate *g = ctx;
	const struct jg_resource *r = jg_policy_resource(g->policy, resource);

	return r && r->level >= JG_HIGH;
}

/* off_hours' question, asked like sensitive's: the principal's zone
 * (borrowed from the policy), NULL for UTC. */
static const struct jg_tz *zone(const char *principal, void *ctx)
{
	const struct jg_gate *g = ctx;

	return g->policy ? jg_policy_alert_zone(g->policy, principal) : NULL;
}

enum jg_err jg_gate_alerts_init(struct jg_gate *g)
{
	struct jg_gate_alerting *a = calloc(1, sizeof(*a));

	if (!a || jg_detect_new(&a->d) != JG_OK) {
		free(a);
		return JG_ENOMEM;
	}
	/* a gate without a policy (restore's revocations) raises nothing */
	jg_detect_tune(a->d, g->policy ? g->policy->alerts : NULL);
	jg_detect_sensitive(a->d, sensitive, g);
	jg_detect_zone(a->d, zone, g);
	pthread_mutex_init(&a->lock, NULL);
	a->g = g;
	g->alerting = a;
	return JG_OK;
}

void jg_gate_alerts_raised(struct jg_gate *g, uint64_t out[JG_AK_COUNT])
{
	for (int k = 0; k < JG_AK_COUNT; k++)
		out[k] = g->alerting ? __atomic_load_n(&g->alerting->raised[k],
		                                       __ATOMIC_RELAXED)
		                     : 0;
}

void jg_gate_alerts_free(struct jg_gate *g)
{
	struct jg_gate_alerting *a = g->alerting;

	if (!a)
		return;
	jg_ticker_stop(a->ticker); /* a step in progress ends first */
	jg_detect_free(a->d);
	free(a->seen);
	pthread_mutex_destroy(&a->lock);
	free(a);
	g->alerting = NULL;
}

/* ---- feeding ------------------------------------------------------------ */

static void collect(const struct jg_alert *al, void *ctx)
{
	struct jg_gate_alerting *a = ctx;

	if (a->npending < PENDING_MAX)
		a->pending[a->npending++] = *al;
	else
		jg_log(JG_LOG_WARN, "alerts: more than %d raised at once; "
		       "%s on '%s' dropped", PENDING_MAX,
		       jg_alert_kind_name(al->kind), al->subject);
}

/* While replaying: remember which alerts the trail records as raised. */
static void remember(struct jg_gate_alerting *a, const json_t *det)
{
	int kind = jg_alert_kind_of(
	        json_string_value(json_object_get(det, "kind")) ?: "");
	const char *subject =
	        json_string_value(json_object_get(det, "subject"));

	if (kind < 0 || !subject || a->nseen == SEEN_MAX)
		return;
	a->seen[a->nseen].kind = kind;
	snprintf(a->seen[a->nseen].subject, JG_ALERT_SUBJECT_MAX, "%s",
	         subject);
	a->nseen++;
}

/* Only these types' details are read by a detector: parse no others. */
static int wants_details(const char *type)
{
	return strcmp(type, "request.created") == 0 ||
	       strcmp(type, "review.recorded") == 0 ||
	       strcmp(type, "grant.issued") == 0 ||
	       strcmp(type, "alert.raised") == 0 ||
	       strcmp(type, "alert.acknowledged") == 0 ||
	       strcmp(type, "token.reactivated") == 0 ||
	       strncmp(type, "audit.", 6) == 0 ||
	       jg_detect_is_use(type);
}

/* Count a fed alert.raised for /metrics. */
static void count_raised(struct jg_gate_alerting *a, const json_t *det)
{
	int kind = jg_alert_kind_of(
	        json_string_value(json_object_get(det, "kind")) ?: "");

	if (kind >= 0)
		__atomic_add_fetch(&a->raised[kind], 1, __ATOMIC_RELAXED);
}

static void feed_one(struct jg_gate_alerting *a, const struct jg_event *ev)
{
	json_t *det = ev->details ? json_loads(ev->details, 0, NULL) : NULL;

	if (strcmp(ev->type, "alert.raised") == 0) {
		if (a->replaying)
			remember(a, det);
		else
			count_raised(a, det);
	}
	jg_detect_feed(a->d, ev, det, collect, a);
	json_decref(det);
	a->seq = ev->seq;
	a->ts = ev->ts > a->ts ? ev->ts : a->ts;
}

/* A page of events copied out of the store, fed once its lock is gone. */
struct page {
	struct jg_event ev[ALERT_PAGE]; /* details owned, NULL when unread */
	size_t n;
	int oom;
};

static int copy_one(const struct jg_event *ev, void *ctx)
{
	struct page *p = ctx;
	struct jg_event *c = &p->ev[p->n];

	*c = *ev;
	c->details = NULL;
	if (wants_details(ev->type) && ev->details &&
	    !(c->details = strdup(ev->details))) {
		p->oom = 1;
		return 1;
	}
	return ++p->n == ALERT_PAGE;
}

/*
 * Feed the events after a->seq (since: only those at or after that time),
 * a page per read transaction, each fed after its transaction ended: the
 * store has one lock, and parsing under it would hold up every writer.
 */
static enum jg_err follow(struct jg_gate *g, struct jg_gate_alerting *a,
                          int64_t since)
{
	struct page *p = malloc(sizeof(*p)); /* 80 KiB: not on the stack */
	enum jg_err e = p ? JG_OK : JG_ENOMEM;
	int64_t next;

	while (e == JG_OK) {
		struct jg_filter f = {.cursor = a->seq, .limit = ALERT_PAGE,
		                      .since = since};
		p->n = 0;
		p->oom = 0;
		if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
			break;
		e = g->st->ops->audit_walk(g->st, &f, copy_one, p, &next);
		g->st->ops->rollback(g->st);
		if (e == JG_OK && p->oom)
			e = JG_ENOMEM;
		for (size_t i = 0; i < p->n; i++) {
			if (e == JG_OK)
				feed_one(a, &p->ev[i]);
			free(p->ev[i].details);
		}
		if (p->n < ALERT_PAGE)
			break;
	}
	free(p);
	return e;
}

static int newest_ts(const struct jg_event *ev, void *ctx)
{
	*(int64_t *)ctx = ev->ts;
	return 1;
}

static int was_recorded(const struct jg_gate_alerting *a,
                        const struct jg_alert *al)
{
	for (size_t i = 0; i < a->nseen; i++)
		if (a->seen[i].kind == al->kind &&
		    strcmp(a->seen[i].subject, al->subject) == 0)
			return 1;
	return 0;
}

/* Once: rebuild the counters from the last horizon of the trail; keep
 * only the alerts it does not record as raised. */
static enum jg_err replay(struct jg_gate *g, struct jg_gate_alerting *a)
{
	int64_t last = 0, ts = 0, next;
	char hash[JG_SHA256_HEX];
	size_t kept = 0;
	enum jg_err e = g->st->ops->begin(g->st, 0);

	if (e != JG_OK)
		return e;
	e = g->st->ops->audit_last(g->st, &last, hash);
	if (e == JG_OK && last > 0) {
		struct jg_filter f = {.cursor = last + 1, .limit = 1,
		                      .desc = 1};
		e = g->st->ops->audit_walk(g->st, &f, newest_ts, &ts, &next);
	}
	g->st->ops->rollback(g->st);
	if (e != JG_OK || last == 0)
		return e;
	if (!(a->seen = calloc(SEEN_MAX, sizeof(*a->seen))))
		return JG_ENOMEM;
	a->replaying = 1;
	e = follow(g, a, ts - jg_detect_horizon(a->d));
	a->replaying = 0;
	for (size_t i = 0; i < a->npending; i++)
		if (!was_recorded(a, &a->pending[i]))
			a->pending[kept++] = a->pending[i];
	a->npending = kept;
	a->seq = last > a->seq ? last : a->seq;
	free(a->seen);
	a->seen = NULL;
	a->nseen = 0;
	return e;
}

/* ---- raising ------------------------------------------------------------ */

static json_t *alert_details(const struct jg_alert *al)
{
	json_t *ids = json_array();

	for (size_t i = 0; ids && i < al->nevents; i++)
		json_array_append_new(ids, json_string(al->events[i]));
	return json_pack("{s:s,s:s,s:s,s:s,s:o}", "kind",
	                 jg_alert_kind_name(al->kind), "severity",
	                 jg_level_name(al->severity), "subject", al->subject,
	                 "summary", al->summary, "events", ids);
}

static int last_id(const struct jg_event *ev, void *ctx)
{
	memcpy(ctx, ev->id, JG_ID_LEN);
	return 1;
}

/* Inside the alerts' write transaction: one alert.raised, and its
 * notice through the outbox. */
static enum jg_err append(struct jg_gate *g, const struct jg_alert *al)
{
	json_t *det = alert_details(al);
	int64_t now = jg_gate_now(g, al->ts), seq = 0, next;
	char hash[JG_SHA256_HEX], id[JG_ID_LEN] = "";
	enum jg_err e;

	if (!det)
		return JG_ENOMEM;
	e = jg_gate_audit(g, now, JG_ACTOR_SYSTEM, "alert.raised", "",
	                  json_incref(det)); /* det is still ours */
	if (e == JG_OK && g->notify)
		e = g->st->ops->audit_last(g->st, &seq, hash);
	if (e == JG_OK && g->notify) {
		struct jg_filter f = {.cursor = seq + 1, .limit = 1, .desc = 1};
		e = g->st->ops->audit_walk(g->st, &f, last_id, id, &next);
	}
	if (e == JG_OK && g->notify)
		e = jg_notify_alert(g->st, g->notify, id, det, now);
	json_decref(det);
	return e;
}

static enum jg_err raise_pending(struct jg_gate *g,
                                 struct jg_gate_alerting *a)
{
	enum jg_err e = g->st->ops->begin(g->st, 1);

	for (size_t i = 0; e == JG_OK && i < a->npending; i++)
		/* another server on the same trail may have raised it while
		 * this step read the events behind it */
		if (!jg_detect_recorded(a->d, a->pending[i].kind,
		                        a->pending[i].subject))
			e = append(g, &a->pending[i]);
	if (e == JG_OK)
		e = g->st->ops->commit(g->st);
	if (e != JG_OK)
		g->st->ops->rollback(g->st);
	else
		jg_gate_sync(g);
	return e;
}

static enum jg_err reading(struct jg_gate *g, struct jg_gate_alerting *a,
                           int replaying)
{
	return replaying ? replay(g, a) : follow(g, a, 0);
}

/* One step; the caller holds a->lock. */
static void step_locked(struct jg_gate *g, struct jg_gate_alerting *a)
{
	enum jg_err e;

	if (jg_gate_held()) /* the policy cannot change under a hold */
		/* a gate without a policy (restore's revocations) raises nothing */
	jg_detect_tune(a->d, g->policy ? g->policy->alerts : NULL);
	if (jg_detect_horizon(a->d) == 0) {
		/* every detector off: no read at all; turning one on again
		 * replays the trail from its horizon, not from here */
		a->loaded = 0;
		a->seq = 0;
		return;
	}
	e = reading(g, a, !a->loaded);
	a->loaded = a->loaded || e == JG_OK;
	/* the server's rounds judge deadlines by the wall clock; inline
	 * steps (tests, whose clock is a parameter) by the trail's newest
	 * event */
	if (e == JG_OK)
		jg_detect_clock(a->d, a->ticker ? jg_gate_now(g, time(NULL))
		                                : a->ts,
		                collect, a);
	if (e == JG_OK && a->npending > 0) {
		e = raise_pending(g, a);
		/* feed its own events now, so deduplication knows their ids */
		if (e == JG_OK)
			e = reading(g, a, 0);
		a->npending = 0;
	}
	if (e != JG_OK)
		jg_log(JG_LOG_WARN, "alerts: step failed: %s (the writes it "
		       "followed stand)", jg_strerror(e));
}

/* The server's thread: the gate held shared, so the policy it tunes from
 * stays while it runs. */
static void tick(void *arg)
{
	struct jg_gate_alerting *a = arg;

	jg_gate_hold(a->g);
	pthread_mutex_lock(&a->lock);
	step_locked(a->g, a);
	pthread_mutex_unlock(&a->lock);
	jg_gate_release(a->g);
}

/*
 * After a commit: with the server's thread, nothing (the user's request
 * pays nothing; each round takes in the events of every commit since the
 * last, which a poke per commit would split into a read per commit);
 * when asked for inline steps, the step itself, skipped when another
 * thread is in one (its next round takes these events in).
 */
void jg_gate_alerts_step(struct jg_gate *g)
{
	struct jg_gate_alerting *a = g->alerting;

	if (!a || a->ticker || !a->inline_steps)
		return;
	if (pthread_mutex_trylock(&a->lock) != 0)
		return;
	step_locked(g, a);
	pthread_mutex_unlock(&a->lock);
}

enum jg_err jg_gate_alerts_start(struct jg_gate *g, int period_ms)
{
	struct jg_gate_alerting *a = g->alerting;

	if (!a || a->ticker)
		return JG_EINVAL;
	/* first at once: the restart's replay happens at start */
	return jg_ticker_start(period_ms, tick, a, JG_TICK_FIRST, &a->ticker);
}

void jg_gate_alerts_inline(struct jg_gate *g)
{
	if (g->alerting)
		g->alerting->inline_steps = 1;
}

void jg_gate_alerts_stop(struct jg_gate *g)
{
	if (!g->alerting)
		return;
	jg_ticker_stop(g->alerting->ticker);
	g->alerting->ticker = NULL;
}
