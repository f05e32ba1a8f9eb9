/*
 * advice_gather.c - the pass over a period for jitgate insights: the
 * requests created in it (the store's request_walk, a page per read
 * transaction, as replay.c does, so the store is never held long), with
 * each request's reviews and grant, counted per rule, resource, approver,
 * step group and denial reason (advice_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insight/advice_internal.h"

#define PAGE 100 /* requests per read transaction: the store is shared */

static int series_add(struct jg_advice_series *s, int64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		int64_t *p = realloc(s->v, cap * sizeof(*p));
		if (!p)
			return -1;
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void jg_advice_sort(struct jg_advice_series *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
}

int64_t jg_advice_pct(const struct jg_advice_series *s, int p)
{
	size_t r = (s->n * (size_t)p + 99) / 100;

	return s->v[r ? r - 1 : 0];
}

struct jg_advice_tally *jg_advice_find(struct jg_advice_tallies *ts,
				       const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].name, name) == 0)
			return &ts->t[i];
	return NULL;
}

static struct jg_advice_tally *tally_of(struct jg_advice_tallies *ts,
					const char *name)
{
	struct jg_advice_tally *t = jg_advice_find(ts, name);

	if (t)
		return t;
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? 2 * ts->cap : 16;
		struct jg_advice_tally *p = realloc(ts->t, cap * sizeof(*p));
		if (!p)
			return NULL;
		ts->t = p;
		ts->cap = cap;
	}
	memset(&ts->t[ts->n], 0, sizeof(ts->t[0]));
	if (!(ts->t[ts->n].name = strdup(name)))
		return NULL;
	return &ts->t[ts->n++];
}

static void tallies_free(struct jg_advice_tallies *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		free(ts->t[i].name);
		free(ts->t[i].s.v);
	}
	free(ts->t);
}

static int rule_index(const struct jg_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The request as far as advice needs it: no owned parts. */
static int keep(const struct jg_request *r, void *arg)
{
	struct jg_advice_period *c = arg;
	struct jg_request *k;

	c->page++;
	if (r->created_at >= c->in->until)
		return 1;
	if (c->requests + c->nbatch >= JG_ADVICE_MAX_REQUESTS) {
		c->err = JG_EBUSY;
		return 1;
	}
	k = &c->batch[c->nbatch++];
	*k = *r;
	k->payload = k->reason = k->context = k->screening = k->params = NULL;
	return 0;
}

/* The review delays: from the step's start (the request, or the last
 * review of the step before) to each review. */
static int note_reviews(struct jg_advice_period *c, const struct jg_request *r,
                        const struct jg_review *rv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t start = r->created_at;
		for (size_t k = 0; k < n; k++)
			if (rv[k].step < rv[i].step && rv[k].at > start)
				start = rv[k].at;
		struct jg_advice_tally *p =
			tally_of(&c->people, rv[i].reviewer);
		struct jg_advice_tally *s = rv[i].step < r->nsteps
		                          ? tally_of(&c->steps,
		                                     r->steps[rv[i].step].group)
		                          : NULL;
		if (!p || (rv[i].step < r->nsteps && !s))
			return -1;
		if (series_add(&p->s, rv[i].at - start) ||
		    (s && series_add(&s->s, rv[i].at - start)))
			return -1;
	}
	return 0;
}

/* The last grant.used of a grant, at or before its end: its last use. */
static int last_used(const struct jg_event *ev, void *arg)
{
	*(int64_t *)arg = ev->ts;
	return 0;
}

/* How long the grant of r was used: to its completion or consumption,
 * else to its last recorded use; -1 when unknown (never reported). */
static enum jg_err use_of(struct jg_advice_period *c,
			  const struct jg_request *r, int64_t *use)
{
	struct jg_store *st = c->g->st;
	struct jg_grant gr;
	struct jg_filter f = {0};
	int64_t at = 0, next;
	enum jg_err e;

	*use = -1;
	if ((e = st->ops->grant_by_request(st, r->id, &gr)) != JG_OK)
		return e == JG_ENOTFOUND ? JG_OK : e;
	if (gr.state == JG_GRANT_COMPLETED || gr.state == JG_GRANT_CONSUMED) {
		at = gr.ended_at;
	} else {
		f.subject = gr.id;
		f.type = "grant.used";
		if ((e = st->ops->audit_walk(st, &f, last_used, &at, &next)))
			return e;
	}
	if (at > 0)
		*use = at - (gr.not_before > gr.created_at ? gr.not_before
		                                           : gr.created_at);
	if (*use < 0 && at > 0)
		*use = 0;
	return JG_OK;
}

static enum jg_err note_one(struct jg_advice_period *c,
			    const struct jg_request *r)
{
	const struct jg_policy *p = c->g->policy;
	struct jg_store *st = c->g->st;
	struct jg_advice_tally *rule =
		tally_of(&c->rules, r->rule[0] ? r->rule : "");
	struct jg_advice_tally *res = tally_of(&c->resources, r->resource);
	struct jg_review *rv = NULL;
	size_t nrv = 0;
	enum jg_err e;
	int64_t use;
	int ri = rule_index(p, r->rule);

	if (!rule || !res)
		return JG_ENOMEM;
	c->requests++;
	rule->n[JG_ADVICE_REQ]++;
	res->n[0]++;
	if (r->state == JG_REQ_EXPIRED)
		rule->n[JG_ADVICE_EXPIRED]++;
	if (strcmp(r->decision, "review") == 0 &&
	    (r->state == JG_REQ_APPROVED || r->state == JG_REQ_DENIED)) {
		rule->n[JG_ADVICE_DECIDED]++;
		rule->n[JG_ADVICE_APPROVED] += r->state == JG_REQ_APPROVED;
	}
	if (r->state == JG_REQ_DENIED) {
		char key[JG_WHY_MAX + 16];
		snprintf(key, sizeof(key), "%s\t%s",
		         strcmp(r->decision, "deny") == 0 ? "screening"
		                                           : "review",
		         r->state_reason);
		struct jg_advice_tally *d = tally_of(&c->denials, key);
		if (!d)
			return JG_ENOMEM;
		d->n[0]++;
	}
	if ((e = st->ops->review_list(st, r->id, &rv, &nrv)) != JG_OK)
		return e;
	int bad = note_reviews(c, r, rv, nrv);
	for (size_t i = 0; i < nrv; i++)
		free(rv[i].comment);
	free(rv);
	if (bad)
		return JG_ENOMEM;
	if (r->state != JG_REQ_APPROVED || ri < 0 || r->extends[0])
		return JG_OK;
	if ((e = use_of(c, r, &use)) != JG_OK)
		return e;
	if (use >= 0 && series_add(&c->uses[ri], use))
		return JG_ENOMEM;
	return JG_OK;
}

/* One page: its requests read, then their reviews and grants, in one
 * read transaction. */
static enum jg_err gather_page(struct jg_advice_period *c, int64_t *after,
			       int *more)
{
	struct jg_store *st = c->g->st;
	int64_t next = *after;
	enum jg_err e;

	c->page = c->nbatch = 0;
	if ((e = st->ops->begin(st, 0)) != JG_OK)
		return e;
	e = st->ops->request_walk(st, c->in->since, *after, PAGE, keep, c,
	                          &next);
	for (size_t i = 0; e == JG_OK && c->err == JG_OK && i < c->nbatch;
	     i++)
		e = note_one(c, &c->batch[i]);
	st->ops->rollback(st);
	*more = c->page == PAGE && c->nbatch == PAGE;
	*after = next;
	return e != JG_OK ? e : c->err;
}

enum jg_err jg_advice_gather(struct jg_advice_period *c)
{
	int64_t after = 0;
	int more = 1;
	enum jg_err e = JG_OK;

	c->uses = calloc(c->g->policy->nrules + 1, sizeof(*c->uses));
	c->batch = calloc(PAGE, sizeof(*c->batch));
	if (!c->uses || !c->batch)
		return JG_ENOMEM;
	while (more && e == JG_OK)
		e = gather_page(c, &after, &more);
	return e;
}

void jg_advice_gather_free(struct jg_advice_period *c)
{
	for (size_t i = 0; c->uses && i < c->g->policy->nrules; i++)
		free(c->uses[i].v);
	free(c->uses);
	free(c->batch);
	tallies_free(&c->rules);
	tallies_free(&c->resources);
	tallies_free(&c->people);
	tallies_free(&c->steps);
	tallies_free(&c->denials);
}
