/*
 * policy.c - lookups and screening over a loaded policy.
 *
 * Screening, which uses these, is in screen.c.
 */
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "core/tz.h"
#include "util/timefmt.h"

static void labels_free(struct jg_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].key);
		free(l[i].value);
	}
	free(l);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void maps_free(struct jg_group_map *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].from);
		free(m[i].to);
	}
	free(m);
}

static void claims_free(struct jg_claim_match *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].claim);
		free(c[i].value);
	}
	free(c);
}

static void identity_free(struct jg_identity *id)
{
	struct jg_signin *s = &id->signin;

	free(s->issuer);
	free(s->client_id);
	free(s->client_secret_file);
	free(s->redirect_url);
	free(s->ca_file);
	free(s->principal_claim);
	free(s->groups_claim);
	strv_free(s->scopes, s->nscopes);
	strv_free(s->email_domains, s->nemail_domains);
	maps_free(s->group_map, s->ngroup_map);
	maps_free(s->role_map, s->nrole_map);
	for (size_t i = 0; i < id->nworkload; i++) {
		struct jg_workload_issuer *w = &id->workload[i];
		free(w->issuer);
		free(w->audience);
		free(w->jwks_url);
		free(w->ca_file);
		for (size_t j = 0; j < w->nbindings; j++) {
			struct jg_workload_binding *b = &w->bindings[j];
			claims_free(b->claims, b->nclaims);
			free(b->principal);
			strv_free(b->groups, b->ngroups);
		}
		free(w->bindings);
	}
	free(id->workload);
}

static void forward_free(struct jg_forward *f)
{
	for (size_t i = 0; i < f->nroutes; i++) {
		free(f->routes[i].host);
		free(f->routes[i].path_prefix);
		free(f->routes[i].resource);
		free(f->routes[i].action);
	}
	free(f->routes);
	free(f->identity_header);
	free(f->request_url);
}

void jg_policy_free(struct jg_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nresources; i++) {
		struct jg_resource *r = &p->resources[i];
		free(r->name);
		free(r->sensitivity);
		labels_free(r->labels, r->nlabels);
		strv_free(r->actions, r->nactions);
	}
	free(p->resources);
	for (size_t i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		strv_free(p->groups[i].members, p->groups[i].nmembers);
	}
	free(p->groups);
	for (size_t i = 0; i < p->nrules; i++) {
		struct jg_rule *r = &p->rules[i];
		free(r->name);
		free(r->resource_glob);
		free(r->action_glob);
		labels_free(r->labels, r->nlabels);
		strv_free(r->envs, r->nenvs);
		strv_free(r->users, r->nusers);
		strv_free(r->groups, r->ngroups);
		strv_free(r->finding_types, r->nfinding_types);
		jg_tz_free(r->time.tz);
		free(r->time.windows);
		free(r->time.text);
		free(r->source.cidrs);
		free(r->ticket.pattern);
		if (r->ticket.regex) {
			regfree(r->ticket.regex);
			free(r->ticket.regex);
		}
		free(r->steps);
		free(r->break_glass_group);
	}
	free(p->rules);
	for (size_t i = 0; i < p->nfindings; i++) {
		struct jg_finding_map *m = &p->findings[i];
		strv_free(m->types, m->ntypes);
		free(m->rule_glob);
		free(m->target_glob);
		free(m->resource);
		free(m->action);
		free(m->reason);
	}
	free(p->findings);
	identity_free(&p->identity);
	forward_free(&p->forward);
	jg_tz_free(p->off_hours_zones.dflt);
	for (size_t i = 0; i < p->off_hours_zones.nby; i++) {
		free(p->off_hours_zones.by[i].who);
		jg_tz_free(p->off_hours_zones.by[i].tz);
	}
	free(p->off_hours_zones.by);
	free(p);
}

const struct jg_resource *jg_policy_resource(const struct jg_policy *p,
                                             const char *name)
{
	for (size_t i = 0; i < p->nresources; i++)
		if (strcmp(p->resources[i].name, name) == 0)
			return &p->resources[i];
	return NULL;
}

const struct jg_group *jg_policy_group(const struct jg_policy *p,
                                       const char *name)
{
	for (size_t i = 0; i < p->ngroups; i++)
		if (strcmp(p->groups[i].name, name) == 0)
			return &p->groups[i];
	return NULL;
}

int jg_resource_has_action(const struct jg_resource *res, const char *action)
{
	for (size_t i = 0; i < res->nactions; i++)
		if (strcmp(res->actions[i], action) == 0)
			return 1;
	return 0;
}

const char *jg_resource_label(const struct jg_resource *res, const char *key)
{
	for (size_t i = 0; i < res->nlabels; i++)
		if (strcmp(res->labels[i].key, key) == 0)
			return res->labels[i].value;
	return NULL;
}

int jg_rule_matches(const struct jg_rule *rule, const struct jg_resource *res,
                    const char *action)
{
	if (rule->resource_glob && fnmatch(rule->resource_glob, res->name, 0))
		return 0;
	if (rule->action_glob && fnmatch(rule->action_glob, action, 0))
		return 0;
	for (size_t i = 0; i < rule->nlabels; i++) {
		const char *v = jg_resource_label(res, rule->labels[i].key);
		if (!v || strcmp(v, rule->labels[i].value) != 0)
			return 0;
	}
	return 1;
}

const struct jg_rule *jg_policy_match(const struct jg_policy *p,
                                      const struct jg_resource *res,
                                      const char *action)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (jg_rule_matches(&p->rules[i], res, action))
			return &p->rules[i];
	return NULL;
}

int jg_policy_member(const struct jg_policy *p, const char *group,
                     const struct jg_principal *who)
{
	for (size_t i = 0; i < who->ngroups; i++)
		if (strcmp(who->groups[i], group) == 0)
			return 1;
	const struct jg_group *g = jg_policy_group(p, group);
	if (!g)
		return 0;
	for (size_t i = 0; i < g->nmembers; i++)
		if (strcmp(g->members[i], who->name) == 0)
			return 1;
	return 0;
}

const struct jg_tz *jg_policy_alert_zone(const struct jg_policy *p,
                                         const char *principal)
{
	const struct jg_alert_zones *z = &p->off_hours_zones;
	struct jg_principal who;

	for (size_t i = 0; i < z->nby; i++)
		if (strcmp(z->by[i].who, principal) == 0)
			return z->by[i].tz;
	memset(&who, 0, sizeof(who));
	snprintf(who.name, sizeof(who.name), "%s", principal);
	for (size_t i = 0; i < z->nby; i++)
		if (strncmp(z->by[i].who, "group:", 6) == 0 &&
		    jg_policy_member(p, z->by[i].who + 6, &who))
			return z->by[i].tz;
	return z->dflt;
}
