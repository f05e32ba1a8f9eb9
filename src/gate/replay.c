/*
 * replay.c - what a changed policy would have decided.
 *
 * Every stored request is screened again under the candidate policy, in
 * the context it was made in: its requester's groups at the time, its
 * source address, its scanner finding, its time (for time windows), and
 * the requests made before it (for rate limits). Read-only: nothing is
 * written, not even an audit event.
 *
 * A long history takes long to screen again (each rate limit is a count
 * in the store), so a replay is bounded in time and stops as soon as the
 * server does (struct jg_replay_bound): a request thread, or SIGTERM,
 * never waits for it past that bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate/internal.h"
#include "policy/load.h"

#define REPLAY_PAGE 500
/*
 * A page is read in one store transaction, and the SQLite store holds
 * its one connection from begin to rollback: every other call waits
 * meanwhile (the sweep too, and with it the daemon's signal handling).
 * On a long history a screening can take tens of ms (a rate check
 * counts the requests before), so a page also ends after this long, and
 * the next goes on where it stopped.
 */
#define REPLAY_SLICE_MS 20

struct replay_ctx {
	struct jg_gate *g;
	const struct jg_policy *candidate;
	struct jg_replay *out;
	const struct jg_replay_bound *bound; /* NULL: none */
	enum jg_err err;
	int why_stop; /* 1: past the deadline, 2: the server stops */
	int64_t slice_end; /* when this page gives the store back */
	int yielded;       /* it did, before its end */
};

int64_t jg_replay_clock_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* 0 to go on; else why to stop (c->why_stop). */
static int bound_reached(struct replay_ctx *c)
{
	const struct jg_replay_bound *b = c->bound;

	if (!b)
		return 0;
	if (b->stop && __atomic_load_n(b->stop, __ATOMIC_ACQUIRE))
		c->why_stop = 2;
	else if (b->deadline && jg_replay_clock_ms() >= b->deadline)
		c->why_stop = 1;
	return c->why_stop;
}

void jg_replay_clear(struct jg_replay *r)
{
	if (!r)
		return;
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static const char *str_at(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The principal as it was: name from the request, groups from context. */
static void principal_of(const struct jg_request *r, json_t *ctx,
                         struct jg_principal *who)
{
	json_t *groups = json_object_get(ctx, "groups"), *v;
	size_t i;

	memset(who, 0, sizeof(*who));
	memcpy(who->name, r->requester, sizeof(who->name));
	who->service = json_is_true(json_object_get(ctx, "service"));
	json_array_foreach(groups, i, v) {
		const char *s = json_string_value(v);
		if (!s || who->ngroups == JG_GROUPS_MAX ||
		    strlen(s) >= JG_NAME_MAX)
			continue;
		memcpy(who->groups[who->ngroups++], s, strlen(s) + 1);
	}
}

static void finding_of(json_t *ctx, struct jg_finding *f, int *has)
{
	json_t *o = json_object_get(ctx, "finding");

	memset(f, 0, sizeof(*f));
	*has = json_is_object(o);
	if (!*has)
		return;
	f->id = str_at(o, "id");
	f->type = str_at(o, "type");
	f->rule = str_at(o, "rule");
	f->location = str_at(o, "location");
	f->recommendation = str_at(o, "recommendation");
	f->severity = jg_level_parse(str_at(o, "severity"));
}

/* The decision name a screening result maps to ("refused" for errors). */
static const char *outcome(enum jg_err e, const struct jg_verdict *v)
{
	if (e == JG_EUNKNOWN || e == JG_EDURATION || e == JG_EFORBIDDEN ||
	    e == JG_EINVAL)
		return "refused";
	return jg_gate_decision_name(v);
}

static void record(struct jg_replay *out, const struct jg_request *r,
                   const char *now, const struct jg_verdict *v)
{
	struct jg_replay_item *it;

	out->changed++;
	if (out->nitems == JG_REPLAY_MAX)
		return;
	it = &out->items[out->nitems++];
	memset(it, 0, sizeof(*it));
	memcpy(it->id, r->id, sizeof(it->id));
	memcpy(it->requester, r->requester, sizeof(it->requester));
	memcpy(it->resource, r->resource, sizeof(it->resource));
	memcpy(it->action, r->action, sizeof(it->action));
	it->created_at = r->created_at;
	snprintf(it->was, sizeof(it->was), "%s", r->decision);
	memcpy(it->was_rule, r->rule, sizeof(it->was_rule));
	snprintf(it->now, sizeof(it->now), "%s", now);
	snprintf(it->now_rule, sizeof(it->now_rule), "%s",
	         v->rule ? v->rule->name : "");
	snprintf(it->reason, sizeof(it->reason), "%s", v->reason);
}

static int screen_one(const struct jg_request *r, struct replay_ctx *c)
{
	struct jg_principal who;
	struct jg_finding f;
	struct jg_verdict v;
	json_t *ctx;
	int has;

	c->out->total++;
	/* extensions depend on their grant's life then; and rows from
	 * before screening was recorded have no decision to compare */
	if (r->extends[0] || !r->decision[0]) {
		c->out->skipped++;
		return 0;
	}
	ctx = json_loads(r->context ? r->context : "{}", 0, NULL);
	principal_of(r, ctx, &who);
	finding_of(ctx, &f, &has);
	struct jg_count_ctx cc = {c->g, r->requester, r->resource,
	                          r->created_at};
	struct jg_ask ask = {
		.resource = r->resource, .action = r->action,
		.duration = r->duration, .reason = r->reason,
		.ticket = r->ticket, .source_ip = str_at(ctx, "source_ip"),
		.now = r->created_at, .finding = has ? &f : NULL,
		.break_glass = json_is_true(json_object_get(ctx, "break_glass")),
		.start_at = r->start_at, /* a candidate bound applies too */
		.payload = r->payload, .params = r->params,
		.count = jg_gate_count, .count_ctx = &cc,
	};
	enum jg_err e = jg_policy_screen(c->candidate, &who, &ask, &v);
	const char *now = outcome(e, &v);
	if (e == JG_ESTORE || e == JG_ENOMEM) {
		c->err = e;
		json_decref(ctx);
		return 1;
	}
	if (strcmp(now, r->decision) == 0)
		c->out->same++;
	else
		record(c->out, r, now, &v);
	json_decref(ctx);
	return 0;
}

/* One request of a page: within the bound, and the page's time slice. */
static int replay_one(const struct jg_request *r, void *arg)
{
	struct replay_ctx *c = arg;

	if (bound_reached(c)) {
		c->err = JG_EBUSY;
		return 1;
	}
	if (screen_one(r, c))
		return 1;
	if (jg_replay_clock_ms() < c->slice_end)
		return 0;
	c->yielded = 1; /* r is done: the next page starts after it */
	return 1;
}

/*
 * Between slices: the store's lock is not fair, and a thread that gives
 * it back and takes it again at once can starve the others (the sweep,
 * and with it the daemon's signal handling, and the API). A millisecond
 * asleep lets a waiter in; 5% of the replay's time.
 */
static void let_others_in(void)
{
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};

	nanosleep(&ms, NULL);
}

static enum jg_err walk(struct replay_ctx *c, int64_t since)
{
	struct jg_store *st = c->g->st;
	int64_t after = 0, next;
	enum jg_err e;

	for (;;) {
		size_t before = c->out->total;
		c->slice_end = jg_replay_clock_ms() + REPLAY_SLICE_MS;
		c->yielded = 0;
		if ((e = st->ops->begin(st, 0)) != JG_OK)
			return e;
		e = st->ops->request_walk(st, since, after, REPLAY_PAGE,
		                          replay_one, c, &next);
		st->ops->rollback(st);
		if (e != JG_OK || c->err != JG_OK)
			return e != JG_OK ? e : c->err;
		if (!c->yielded && c->out->total - before < REPLAY_PAGE)
			return JG_OK;
		after = next;
		let_others_in();
	}
}

enum jg_err jg_gate_replay(struct jg_gate *g, const struct jg_principal *who,
                           const char *text, size_t len, int64_t since,
                           const struct jg_replay_bound *bound,
                           struct jg_replay *out, char why[JG_WHY_MAX])
{
	struct jg_policy *candidate = NULL;
	struct replay_ctx c = {.g = g, .out = out, .bound = bound, .err = JG_OK};
	char err[JG_WHY_MAX - 32];
	enum jg_err e;

	memset(out, 0, sizeof(*out));
	if (!jg_gate_sees_all(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "replay is for admins "
		                   "and auditors");
	e = jg_policy_parse("candidate policy", text, len, &candidate, err,
	                    sizeof(err));
	if (e != JG_OK)
		return jg_gate_why(e == JG_ENOMEM ? e : JG_EINVAL, why, "%s",
		                   err);
	out->items = calloc(JG_REPLAY_MAX, sizeof(*out->items));
	if (!out->items) {
		jg_policy_free(candidate);
		return JG_ENOMEM;
	}
	c.candidate = candidate;
	e = walk(&c, since);
	jg_policy_free(candidate);
	if (c.why_stop)
		jg_gate_why(e, why, c.why_stop == 2
		                ? "the server is stopping: the replay stopped "
		                  "after %zu requests; try again"
		                : "the replay ran out of time after %zu "
		                  "requests: replay a shorter period (since)",
		            out->total);
	if (e != JG_OK)
		jg_replay_clear(out);
	return e;
}
