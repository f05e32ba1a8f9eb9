/*
 * advice.c - jitgate insights: tuning advice from a period's history.
 *
 * One pass over the requests created in the period (the store's
 * request_walk, a page per read transaction, as replay.c does, so the
 * store is never held long), with each request's reviews and grant;
 * then per rule, approver, step group, reason and resource, the
 * suggestions (docs/insights.md). A suggestion that changes the policy
 * carries the edit (advice_change.c) and the result of replaying the
 * edited policy over the period with the existing replay use case.
 * Read-only: nothing is written, not even an audit event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"
#include "insight/advice.h"
#include "util/crypto.h"
#include "util/timefmt.h"

#define PAGE 100 /* requests per read transaction: the store is shared */

/* Durations (seconds) of one subject; a growing array. */
struct series {
	int64_t *v; /* owned */
	size_t n, cap;
};

/* Counts per named subject: rules, resources, people, groups, reasons. */
struct tally {
	char *name; /* owned */
	size_t n[4];
	struct series s;
};

struct tallies {
	struct tally *t; /* owned */
	size_t n, cap;
};

enum { R_REQ, R_APPROVED, R_DECIDED, R_EXPIRED }; /* rules' n[] */

struct gather {
	struct jg_gate *g;
	const struct jg_advice_in *in;
	size_t requests;
	struct tallies rules, resources, people, steps, denials;
	struct series *uses; /* per policy rule, owned, by rule index */
	enum jg_err err;
	size_t page;
	struct jg_request *batch; /* owned copies of this page's requests */
	size_t nbatch;
};

static int series_add(struct series *s, int64_t v)
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

/* Nearest-rank percentile p (1..100) of a sorted series. */
static int64_t pct(const struct series *s, int p)
{
	size_t r = (s->n * (size_t)p + 99) / 100;

	return s->v[r ? r - 1 : 0];
}

static struct tally *tally_of(struct tallies *ts, const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].name, name) == 0)
			return &ts->t[i];
	if (ts->n == ts->cap) {
		size_t cap = ts->cap ? 2 * ts->cap : 16;
		struct tally *p = realloc(ts->t, cap * sizeof(*p));
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

static void tallies_free(struct tallies *ts)
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
	struct gather *c = arg;
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
static int note_reviews(struct gather *c, const struct jg_request *r,
                        const struct jg_review *rv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t start = r->created_at;
		for (size_t k = 0; k < n; k++)
			if (rv[k].step < rv[i].step && rv[k].at > start)
				start = rv[k].at;
		struct tally *p = tally_of(&c->people, rv[i].reviewer);
		struct tally *s = rv[i].step < r->nsteps
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
static enum jg_err use_of(struct gather *c, const struct jg_request *r,
                          int64_t *use)
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

static enum jg_err note_one(struct gather *c, const struct jg_request *r)
{
	const struct jg_policy *p = c->g->policy;
	struct jg_store *st = c->g->st;
	struct tally *rule = tally_of(&c->rules, r->rule[0] ? r->rule : "");
	struct tally *res = tally_of(&c->resources, r->resource);
	struct jg_review *rv = NULL;
	size_t nrv = 0;
	enum jg_err e;
	int64_t use;
	int ri = rule_index(p, r->rule);

	if (!rule || !res)
		return JG_ENOMEM;
	c->requests++;
	rule->n[R_REQ]++;
	res->n[0]++;
	if (r->state == JG_REQ_EXPIRED)
		rule->n[R_EXPIRED]++;
	if (strcmp(r->decision, "review") == 0 &&
	    (r->state == JG_REQ_APPROVED || r->state == JG_REQ_DENIED)) {
		rule->n[R_DECIDED]++;
		rule->n[R_APPROVED] += r->state == JG_REQ_APPROVED;
	}
	if (r->state == JG_REQ_DENIED) {
		char key[JG_WHY_MAX + 16];
		snprintf(key, sizeof(key), "%s\t%s",
		         strcmp(r->decision, "deny") == 0 ? "screening"
		                                           : "review",
		         r->state_reason);
		struct tally *d = tally_of(&c->denials, key);
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
static enum jg_err gather_page(struct gather *c, int64_t *after, int *more)
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

static enum jg_err gather(struct gather *c)
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

static void gather_free(struct gather *c)
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

/* ---- suggestions ---- */

struct advise {
	struct gather *c;
	const struct jg_principal *who;
	const char *text; /* the policy text changes edit, NULL: none */
	size_t len;
	const char *no_change; /* why there is no text, for suggestions */
	json_t *list;
};

static json_t *suggestion(const char *kind, const char *subject,
                          json_t *evidence, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static json_t *suggestion(const char *kind, const char *subject,
                          json_t *evidence, const char *fmt, ...)
{
	char summary[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(summary, sizeof(summary), fmt, ap);
	va_end(ap);
	return json_pack("{s:s,s:s,s:s,s:o}", "kind", kind, "subject",
	                 subject, "summary", summary, "evidence", evidence);
}

/* The change to rule r (key: old -> value) and its replay over the
 * period, into s. */
static void with_change(struct advise *a, json_t *s, const struct jg_rule *r,
                        const char *key, const char *old, const char *value)
{
	char *text = NULL, was[64], why[JG_WHY_MAX] = "";
	size_t len = 0;
	json_t *diff = NULL;
	struct jg_replay rp;

	if (!a->text) {
		json_object_set_new(s, "change_note", json_string(a->no_change));
		return;
	}
	if (jg_advice_edit(a->text, a->len, r->line, key, value, &text, &len,
	                   was, &diff)) {
		json_object_set_new(s, "change_note", json_string(
		        "the rule is not in block style: edit it by hand"));
		return;
	}
	json_object_set_new(s, "change",
	                    json_pack("{s:s,s:i,s:s,s:s,s:s,s:o}", "rule",
	                              r->name, "line", r->line, "key", key,
	                              "old", old, "new", value, "diff", diff));
	enum jg_err e = jg_gate_replay(a->c->g, a->who, text, len,
	                               a->c->in->since, a->c->in->bound, &rp,
	                               why);
	if (e == JG_OK) {
		json_object_set_new(s, "replay",
		                    json_pack("{s:I,s:I,s:I,s:I}", "total",
		                              (json_int_t)rp.total, "same",
		                              (json_int_t)rp.same, "changed",
		                              (json_int_t)rp.changed, "skipped",
		                              (json_int_t)rp.skipped));
		jg_replay_clear(&rp);
	} else {
		json_object_set_new(s, "replay",
		                    json_pack("{s:s}", "error", why));
	}
	free(text);
}

static void add(struct advise *a, json_t *s)
{
	if (s)
		json_array_append_new(a->list, s);
}

static struct tally *find(struct tallies *ts, const char *name)
{
	for (size_t i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].name, name) == 0)
			return &ts->t[i];
	return NULL;
}

static void always_approved(struct advise *a, const struct jg_rule *r)
{
	struct tally *t = find(&a->c->rules, r->name);

	if (r->decision != JG_DECIDE_REVIEW || !t ||
	    t->n[R_DECIDED] < JG_ADVICE_MIN_APPROVED ||
	    t->n[R_APPROVED] != t->n[R_DECIDED] || t->n[R_EXPIRED])
		return;
	json_t *s = suggestion(
	        "auto_approve", r->name,
	        json_pack("{s:I,s:I}", "decided", (json_int_t)t->n[R_DECIDED],
	                  "approved", (json_int_t)t->n[R_APPROVED]),
	        "rule '%s': all %zu reviewed requests were approved; "
	        "approve them at once",
	        r->name, t->n[R_APPROVED]);
	if (s)
		with_change(a, s, r, "decision", "review", "auto");
	add(a, s);
}

static void shorter_max(struct advise *a, size_t ri)
{
	const struct jg_rule *r = &a->c->g->policy->rules[ri];
	struct series *u = &a->c->uses[ri];
	char old[32], nu[32];

	if (u->n < JG_ADVICE_MIN_GRANTS)
		return;
	qsort(u->v, u->n, sizeof(*u->v), cmp_i64);
	int64_t p90 = pct(u, 90);
	int64_t to = (p90 / JG_ADVICE_ROUND + 1) * JG_ADVICE_ROUND;
	if (p90 % JG_ADVICE_ROUND == 0 && p90 > 0)
		to = p90;
	if (2 * to > r->max_duration)
		return; /* used for more than half of it: fine as it is */
	jg_duration_format(r->max_duration, old, sizeof(old));
	jg_duration_format(to, nu, sizeof(nu));
	json_t *s = suggestion(
	        "shorter_max_duration", r->name,
	        json_pack("{s:I,s:I,s:I,s:I}", "grants", (json_int_t)u->n,
	                  "median_use_s", (json_int_t)pct(u, 50), "p90_use_s",
	                  (json_int_t)p90, "max_duration_s",
	                  (json_int_t)r->max_duration),
	        "rule '%s': 90%% of %zu grants were used for at most %s of "
	        "their %s; a maximum of %s would do",
	        r->name, u->n, nu, old, nu);
	if (s)
		with_change(a, s, r, "max_duration", old, nu);
	add(a, s);
}

static void slow(struct advise *a, struct tallies *ts, const char *kind,
                 const char *what)
{
	for (size_t i = 0; i < ts->n; i++) {
		struct series *s = &ts->t[i].s;
		if (s->n < JG_ADVICE_MIN_DECISIONS)
			continue;
		qsort(s->v, s->n, sizeof(*s->v), cmp_i64);
		int64_t med = pct(s, 50), p90 = pct(s, 90);
		if (med < JG_ADVICE_SLOW)
			continue;
		char m[32], n9[32];
		jg_duration_format(med, m, sizeof(m));
		jg_duration_format(p90, n9, sizeof(n9));
		add(a, suggestion(kind, ts->t[i].name,
		                  json_pack("{s:I,s:I,s:I}", "decisions",
		                            (json_int_t)s->n, "median_s",
		                            (json_int_t)med, "p90_s",
		                            (json_int_t)p90),
		                  "%s '%s' takes %s to decide (median of %zu; "
		                  "p90 %s)",
		                  what, ts->t[i].name, m, s->n, n9));
	}
}

static void expired(struct advise *a, const struct jg_rule *r)
{
	struct tally *t = find(&a->c->rules, r->name);

	if (!t || !t->n[R_EXPIRED])
		return;
	add(a, suggestion("expired_undecided", r->name,
	                  json_pack("{s:I,s:I}", "expired",
	                            (json_int_t)t->n[R_EXPIRED], "requests",
	                            (json_int_t)t->n[R_REQ]),
	                  "rule '%s': %zu of %zu requests expired undecided",
	                  r->name, t->n[R_EXPIRED], t->n[R_REQ]));
}

static int cmp_denial(const void *x, const void *y)
{
	const struct tally *a = x, *b = y;

	if (a->n[0] != b->n[0])
		return a->n[0] < b->n[0] ? 1 : -1;
	return strcmp(a->name, b->name);
}

static void denials(struct advise *a)
{
	struct tallies *ts = &a->c->denials;

	if (ts->n)
		qsort(ts->t, ts->n, sizeof(*ts->t), cmp_denial);
	for (size_t i = 0; i < ts->n && i < JG_ADVICE_TOP_DENIALS; i++) {
		char *tab = strchr(ts->t[i].name, '\t');
		if (ts->t[i].n[0] < JG_ADVICE_MIN_DENIALS || !tab)
			continue;
		*tab = '\0';
		add(a, suggestion("denial_reason", tab + 1,
		                  json_pack("{s:I,s:s}", "count",
		                            (json_int_t)ts->t[i].n[0], "by",
		                            ts->t[i].name),
		                  "%zu requests denied (%s): %s", ts->t[i].n[0],
		                  ts->t[i].name, tab + 1));
		*tab = '\t';
	}
}

static void unused(struct advise *a)
{
	const struct jg_policy *p = a->c->g->policy;

	for (size_t i = 0; i < p->nrules; i++)
		if (!find(&a->c->rules, p->rules[i].name))
			add(a, suggestion("unused_rule", p->rules[i].name,
			                  json_pack("{s:i}", "line",
			                            p->rules[i].line),
			                  "rule '%s' (line %d) matched no request",
			                  p->rules[i].name, p->rules[i].line));
	for (size_t i = 0; i < p->nresources; i++)
		if (!find(&a->c->resources, p->resources[i].name))
			add(a, suggestion("unused_resource",
			                  p->resources[i].name, json_object(),
			                  "resource '%s': nobody asked for it",
			                  p->resources[i].name));
}

static void advise_all(struct advise *a)
{
	const struct jg_policy *p = a->c->g->policy;

	if (!a->c->requests)
		return; /* an empty period teaches nothing */
	for (size_t i = 0; i < p->nrules; i++) {
		always_approved(a, &p->rules[i]);
		shorter_max(a, i);
	}
	slow(a, &a->c->people, "slow_approver", "approver");
	slow(a, &a->c->steps, "slow_step", "step group");
	for (size_t i = 0; i < p->nrules; i++)
		expired(a, &p->rules[i]);
	denials(a);
	unused(a);
}

/* The loaded policy file's text, if it is still what is in force. */
static char *policy_text(struct jg_gate *g, size_t *len, const char **why)
{
	char sha[JG_SHA256_HEX];
	char *buf;
	FILE *f;

	*why = "the policy file is not known to this server";
	if (!g->policy_path || !(f = fopen(g->policy_path, "rb")))
		return NULL;
	buf = malloc(JG_POLICY_FILE_MAX + 1); /* the caller's */
	*len = buf ? fread(buf, 1, JG_POLICY_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || *len > JG_POLICY_FILE_MAX) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	jg_sha256_hex(buf, *len, sha);
	if (strcmp(sha, g->policy->sha256) != 0) {
		*why = "the policy file changed since it was loaded: reload "
		       "it to see the changes";
		free(buf);
		return NULL;
	}
	return buf;
}

enum jg_err jg_advice_run(struct jg_gate *g, const struct jg_principal *who,
                          const struct jg_advice_in *in, json_t **out,
                          char why[JG_WHY_MAX])
{
	struct gather c = {.g = g, .in = in, .err = JG_OK};
	struct advise a = {.c = &c, .who = who, .text = in->policy,
	                   .len = in->policy_len};
	char *owned = NULL;
	enum jg_err e;

	*out = NULL;
	if (!jg_gate_sees_all(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "insights are for admins "
		                   "and auditors");
	if (in->until <= in->since)
		return jg_gate_why(JG_EINVAL, why, "until must be after since");
	/* the rules read are those in force; a reload waits meanwhile */
	jg_gate_hold(g);
	e = gather(&c);
	if (e == JG_EBUSY)
		jg_gate_why(e, why, "the period has more than %d requests: "
		            "ask for a shorter one", JG_ADVICE_MAX_REQUESTS);
	if (e == JG_OK && !a.text)
		a.text = owned = policy_text(g, &a.len, &a.no_change);
	if (e == JG_OK && !(a.list = json_array()))
		e = JG_ENOMEM;
	if (e == JG_OK)
		advise_all(&a);
	if (e == JG_OK) {
		char s[JG_TIME_LEN], u[JG_TIME_LEN];
		jg_time_format(in->since, s);
		jg_time_format(in->until, u);
		*out = json_pack("{s:s,s:s,s:I,s:o}", "since", s, "until", u,
		                 "requests", (json_int_t)c.requests,
		                 "suggestions", a.list);
		a.list = NULL;
		if (!*out)
			e = JG_ENOMEM;
	}
	json_decref(a.list);
	free(owned);
	gather_free(&c);
	jg_gate_release(g);
	return e;
}
