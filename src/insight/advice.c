/*
 * advice.c - jitgate insights: tuning advice from a period's history.
 *
 * The pass over the period (advice_gather.c) counts per rule, approver,
 * step group, denial reason and resource; this file turns the counts
 * into suggestions (docs/insights.md). A suggestion that changes the
 * policy carries the edit (advice_change.c) and the result of replaying
 * the edited policy over the period with the existing replay use case.
 * Read-only: nothing is written, not even an audit event.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insight/advice_internal.h"
#include "util/crypto.h"
#include "util/timefmt.h"

struct advise {
	struct jg_advice_period *c;
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

/*
 * The replay runs from since to now; of the requests it lists (the first
 * JG_REPLAY_MAX changed), those created before until are the period's.
 * Exact only when none was left out of the list, so only then given.
 */
static void in_period(json_t *o, const struct jg_replay *rp, int64_t until)
{
	size_t n = 0;

	if (!o || rp->changed > rp->nitems)
		return;
	for (size_t i = 0; i < rp->nitems; i++)
		n += rp->items[i].created_at < until;
	json_object_set_new(o, "changed_in_period", json_integer((json_int_t)n));
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
		json_object_set_new(s, "change_note",
				    json_string(a->no_change));
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
		json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "total",
		                      (json_int_t)rp.total, "same",
		                      (json_int_t)rp.same, "changed",
		                      (json_int_t)rp.changed, "skipped",
		                      (json_int_t)rp.skipped);
		in_period(o, &rp, a->c->in->until);
		json_object_set_new(s, "replay", o);
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

static void always_approved(struct advise *a, const struct jg_rule *r)
{
	struct jg_advice_tally *t = jg_advice_find(&a->c->rules, r->name);

	if (r->decision != JG_DECIDE_REVIEW || !t ||
	    t->n[JG_ADVICE_DECIDED] < JG_ADVICE_MIN_APPROVED ||
	    t->n[JG_ADVICE_APPROVED] != t->n[JG_ADVICE_DECIDED] ||
	    t->n[JG_ADVICE_EXPIRED])
		return;
	json_t *s = suggestion(
		"auto_approve", r->name,
		json_pack("{s:I,s:I}", "decided",
			  (json_int_t)t->n[JG_ADVICE_DECIDED], "approved",
			  (json_int_t)t->n[JG_ADVICE_APPROVED]),
		"rule '%s': all %zu reviewed requests were approved; "
		"approve them at once",
		r->name, t->n[JG_ADVICE_APPROVED]);
	if (s)
		with_change(a, s, r, "decision", "review", "auto");
	add(a, s);
}

static void shorter_max(struct advise *a, size_t ri)
{
	const struct jg_rule *r = &a->c->g->policy->rules[ri];
	struct jg_advice_series *u = &a->c->uses[ri];
	char old[32], nu[32];

	if (u->n < JG_ADVICE_MIN_GRANTS)
		return;
	jg_advice_sort(u);
	int64_t p90 = jg_advice_pct(u, 90);
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
			  "median_use_s", (json_int_t)jg_advice_pct(u, 50),
			  "p90_use_s", (json_int_t)p90, "max_duration_s",
			  (json_int_t)r->max_duration),
		"rule '%s': 90%% of %zu grants were used for at most %s of "
		"their %s; a maximum of %s would do",
		r->name, u->n, nu, old, nu);
	if (s)
		with_change(a, s, r, "max_duration", old, nu);
	add(a, s);
}

static void slow(struct advise *a, struct jg_advice_tallies *ts,
		 const char *kind, const char *what)
{
	for (size_t i = 0; i < ts->n; i++) {
		struct jg_advice_series *s = &ts->t[i].s;
		if (s->n < JG_ADVICE_MIN_DECISIONS)
			continue;
		jg_advice_sort(s);
		int64_t med = jg_advice_pct(s, 50), p90 = jg_advice_pct(s, 90);
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
	struct jg_advice_tally *t = jg_advice_find(&a->c->rules, r->name);

	if (!t || !t->n[JG_ADVICE_EXPIRED])
		return;
	add(a,
	    suggestion("expired_undecided", r->name,
		       json_pack("{s:I,s:I}", "expired",
				 (json_int_t)t->n[JG_ADVICE_EXPIRED],
				 "requests", (json_int_t)t->n[JG_ADVICE_REQ]),
		       "rule '%s': %zu of %zu requests expired undecided",
		       r->name, t->n[JG_ADVICE_EXPIRED], t->n[JG_ADVICE_REQ]));
}

static int cmp_denial(const void *x, const void *y)
{
	const struct jg_advice_tally *a = x, *b = y;

	if (a->n[0] != b->n[0])
		return a->n[0] < b->n[0] ? 1 : -1;
	return strcmp(a->name, b->name);
}

static void denials(struct advise *a)
{
	struct jg_advice_tallies *ts = &a->c->denials;

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
		if (!jg_advice_find(&a->c->rules, p->rules[i].name))
			add(a,
			    suggestion("unused_rule", p->rules[i].name,
				       json_pack("{s:i}", "line",
						 p->rules[i].line),
				       "rule '%s' (line %d) matched no request",
				       p->rules[i].name, p->rules[i].line));
	for (size_t i = 0; i < p->nresources; i++)
		if (!jg_advice_find(&a->c->resources, p->resources[i].name))
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
	struct jg_advice_period c = {.g = g, .in = in, .err = JG_OK};
	struct advise a = {.c = &c, .who = who, .text = in->policy,
	                   .len = in->policy_len};
	char *owned = NULL;
	enum jg_err e;

	*out = NULL;
	if (!jg_gate_sees_all(who))
		return jg_gate_why(JG_EFORBIDDEN, why,
				   "insights are for admins "
				   "and auditors");
	if (in->until <= in->since)
		return jg_gate_why(JG_EINVAL, why, "until must be after since");
	/* the rules read are those in force; a reload waits meanwhile */
	jg_gate_hold(g);
	e = jg_advice_gather(&c);
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
	jg_advice_gather_free(&c);
	jg_gate_release(g);
	return e;
}
