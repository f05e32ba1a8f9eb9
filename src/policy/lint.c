/*
 * lint.c - warnings about a loaded policy (see lint.h).
 *
 * Everything here errs towards silence: "rule B is unreachable" is said
 * only when an earlier rule A provably matches every request B matches,
 * judged on the match keys alone (A must have no MATCH-mode check, since
 * a failing one would let requests fall through to B). Patterns are
 * compared as text, except that a pattern without wildcards is tested
 * against the other one with fnmatch(3), as screening would.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/lint.h"

#define MSG_MAX (3 * JG_NAME_MAX + 160)

struct out {
	void (*warn)(void *ctx, int line, const char *msg);
	void *ctx;
	size_t count;
};

__attribute__((format(printf, 3, 4)))
static void say(struct out *o, int line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	o->count++;
	if (!o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->ctx, line, msg);
}

static int in(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Every one of a[0..na) is in b[0..nb). */
static int subset(char *const *a, size_t na, char *const *b, size_t nb)
{
	for (size_t i = 0; i < na; i++)
		if (!in(b, nb, a[i]))
			return 0;
	return 1;
}

static const char *label(const struct jg_label *l, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].key, key) == 0)
			return l[i].value;
	return NULL;
}

/* Pattern `wide` (NULL: anything) matches everything pattern `narrow`
 * does (NULL: anything). */
static int glob_covers(const char *wide, const char *narrow)
{
	if (!wide)
		return 1;
	if (!narrow)
		return 0;
	if (strcmp(wide, narrow) == 0)
		return 1;
	return strpbrk(narrow, "*?[") == NULL && fnmatch(wide, narrow, 0) == 0;
}

static int has_match_mode(const struct jg_rule *r)
{
	return (r->time.set && r->time.mode == JG_MODE_MATCH) ||
	       (r->source.set && r->source.mode == JG_MODE_MATCH) ||
	       (r->justification.set &&
	        r->justification.mode == JG_MODE_MATCH) ||
	       (r->ticket.set && r->ticket.mode == JG_MODE_MATCH) ||
	       (r->severity.set && r->severity.mode == JG_MODE_MATCH) ||
	       (r->rate.set && r->rate.mode == JG_MODE_MATCH);
}

/* 1 when every request rule l matches, rule e matches too. */
static int covers(const struct jg_rule *e, const struct jg_rule *l)
{
	if (!glob_covers(e->resource_glob, l->resource_glob) ||
	    !glob_covers(e->action_glob, l->action_glob))
		return 0;
	for (size_t i = 0; i < e->nlabels; i++) {
		const char *v = label(l->labels, l->nlabels, e->labels[i].key);
		if (!v || strcmp(v, e->labels[i].value) != 0)
			return 0;
	}
	if (e->nenvs) {
		/* l's environments, from `environment` or its `env` label */
		const char *env = label(l->labels, l->nlabels, "env");
		if (l->nenvs ? !subset(l->envs, l->nenvs, e->envs, e->nenvs)
		             : !in(e->envs, e->nenvs, env))
			return 0;
	}
	if ((e->sens_min && (!l->sens_min || l->sens_min < e->sens_min)) ||
	    (e->sens_max && (!l->sens_max || l->sens_max > e->sens_max)))
		return 0;
	if (e->nusers || e->ngroups) {
		if (!l->nusers && !l->ngroups)
			return 0;
		if (!subset(l->users, l->nusers, e->users, e->nusers) ||
		    !subset(l->groups, l->ngroups, e->groups, e->ngroups))
			return 0;
	}
	if (e->automation && !l->automation)
		return 0;
	if (e->nfinding_types &&
	    (!l->nfinding_types || !subset(l->finding_types, l->nfinding_types,
	                                   e->finding_types, e->nfinding_types)))
		return 0;
	return 1;
}

static void unreachable(const struct jg_policy *p, size_t j, struct out *o)
{
	const struct jg_rule *l = &p->rules[j];

	for (size_t i = 0; i < j; i++) {
		const struct jg_rule *e = &p->rules[i];
		if (!has_match_mode(e) && covers(e, l)) {
			say(o, l->line,
			    "rule '%s' is unreachable: rule '%s' (line %d) matches "
			    "everything it does",
			    l->name, e->name, e->line);
			return;
		}
	}
}

static void empty_steps(const struct jg_policy *p, const struct jg_rule *r,
                        struct out *o)
{
	for (size_t k = 0; k < r->nsteps; k++) {
		const struct jg_group *g = jg_policy_group(p, r->steps[k].group);
		int seen = 0;

		for (size_t i = 0; i < k; i++)
			seen |= strcmp(r->steps[i].group, r->steps[k].group) == 0;
		if (g && g->nmembers == 0 && !seen)
			say(o, r->line,
			    "rule '%s' step %zu: group '%s' lists no members, so "
			    "only tokens carrying the group can approve",
			    r->name, k + 1, g->name);
	}
}

/* Break-glass and extensions.auto only turn a review into an approval. */
static void no_effect(const struct jg_rule *r, struct out *o)
{
	if (r->decision == JG_DECIDE_REVIEW)
		return;
	if (r->break_glass_group)
		say(o, r->line,
		    "rule '%s': break_glass has no effect, since the rule "
		    "decides '%s' at once",
		    r->name, jg_decision_name(r->decision));
	if (r->extensions_auto)
		say(o, r->line,
		    "rule '%s': extensions.auto has no effect, since the rule "
		    "decides '%s' at once",
		    r->name, jg_decision_name(r->decision));
}

/* Rule r matches a request for action on res (NULL: some action of res),
 * as far as the policy can tell without the requester. */
static int reaches(const struct jg_rule *r, const struct jg_resource *res,
                   const char *action)
{
	int hit = 0;

	if (r->resource_glob && fnmatch(r->resource_glob, res->name, 0) != 0)
		return 0;
	for (size_t i = 0; i < r->nlabels; i++) {
		const char *v = label(res->labels, res->nlabels, r->labels[i].key);
		if (!v || strcmp(v, r->labels[i].value) != 0)
			return 0;
	}
	if (r->nenvs &&
	    !in(r->envs, r->nenvs, label(res->labels, res->nlabels, "env")))
		return 0;
	if ((r->sens_min && res->level < r->sens_min) ||
	    (r->sens_max && res->level > r->sens_max))
		return 0;
	for (size_t i = 0; !hit && i < res->nactions; i++)
		hit = (!action || strcmp(action, res->actions[i]) == 0) &&
		      (!r->action_glob ||
		       fnmatch(r->action_glob, res->actions[i], 0) == 0);
	return hit;
}

/* Some rule matches a request for action on res. */
static int any_rule_reaches(const struct jg_policy *p,
                            const struct jg_resource *res, const char *action)
{
	for (size_t j = 0; j < p->nrules; j++)
		if (reaches(&p->rules[j], res, action))
			return 1;
	return 0;
}

/* ---- the findings list ---- */

/* 1 when every finding entry l takes, entry e takes too. */
static int finding_covers(const struct jg_finding_map *e,
                          const struct jg_finding_map *l)
{
	if (e->ntypes && (!l->ntypes || !subset(l->types, l->ntypes, e->types,
	                                        e->ntypes)))
		return 0;
	if (!glob_covers(e->rule_glob, l->rule_glob) ||
	    !glob_covers(e->target_glob, l->target_glob))
		return 0;
	return (!e->at_least || (l->at_least && l->at_least >= e->at_least)) &&
	       (!e->at_most || (l->at_most && l->at_most <= e->at_most));
}

static void finding_unused(const struct jg_policy *p, size_t j,
                           struct out *o)
{
	for (size_t i = 0; i < j; i++) {
		if (finding_covers(&p->findings[i], &p->findings[j])) {
			say(o, p->findings[j].line, "findings entry %zu is never "
			    "used: entry %zu (line %d) takes every finding it "
			    "would", j + 1, i + 1, p->findings[i].line);
			return;
		}
	}
}

/* The request an entry raises must be one some rule matches, or every
 * finding it takes is denied: say so. */
static void finding_denied(const struct jg_policy *p, size_t j,
                           struct out *o)
{
	const struct jg_finding_map *m = &p->findings[j];
	int named = strcmp(m->resource, JG_FINDING_TARGET) != 0;

	for (size_t k = 0; k < p->nresources; k++) {
		const struct jg_resource *res = &p->resources[k];
		if (named && strcmp(res->name, m->resource) != 0)
			continue;
		if (any_rule_reaches(p, res, m->action))
			return;
	}
	if (named)
		say(o, m->line, "findings entry %zu: no rule matches '%s' on "
		    "'%s', so every finding it takes is denied", j + 1,
		    m->action, m->resource);
	else
		say(o, m->line, "findings entry %zu: no rule matches '%s' on "
		    "any resource, so every finding it takes is denied", j + 1,
		    m->action);
}

size_t jg_policy_lint(const struct jg_policy *p,
                      void (*warn)(void *ctx, int line, const char *msg),
                      void *ctx)
{
	struct out o = {warn, ctx, 0};

	for (size_t j = 0; j < p->nrules; j++) {
		unreachable(p, j, &o);
		empty_steps(p, &p->rules[j], &o);
		no_effect(&p->rules[j], &o);
	}
	for (size_t k = 0; k < p->nresources; k++) {
		const struct jg_resource *res = &p->resources[k];

		if (!any_rule_reaches(p, res, NULL))
			say(&o, res->line,
			    "resource '%s' is matched by no rule, so every request "
			    "on it is denied",
			    res->name);
	}
	for (size_t j = 0; j < p->nfindings; j++) {
		finding_unused(p, j, &o);
		finding_denied(p, j, &o);
	}
	return o.count;
}
