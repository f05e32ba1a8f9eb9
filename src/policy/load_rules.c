/*
 * load_rules.c - the `rules` list: for each rule, its match keys (which
 * requests it applies to) and its outcome (decision or approval steps,
 * durations, break-glass, extensions, execution). Its checks are read by
 * load_checks.c.
 *
 * Every message about a rule names it ("rule 'x' step 2: ..."), or gives
 * its position when it has no usable name. Groups named by steps,
 * requesters and break-glass must be defined under `groups`, which the
 * top level loads first; rule names must differ, so that a decision's
 * rule is never ambiguous in the trail.
 */
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "policy/internal.h"
#include "util/timefmt.h"

#define EXTENSIONS_MAX 100  /* extensions granted without review */

/* ---- match ------------------------------------------------------------- */

static int rule_name(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_name(ld, n, "rule name", 0,
	                      &((struct jg_rule *)obj)->name);
}

static int match_resource(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_glob(ld, n, "resource",
	                      &((struct jg_rule *)obj)->resource_glob);
}

static int match_labels(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return jg_ld_get_labels(ld, n, &r->labels, &r->nlabels);
}

static int match_action(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_glob(ld, n, "action",
	                      &((struct jg_rule *)obj)->action_glob);
}

static int match_environment(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return jg_ld_get_name_list(ld, n, "'environment'", "environment",
	                           &r->envs, &r->nenvs);
}

static int match_sensitivity(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	struct jg_ld_bounds b;

	if (jg_ld_get_bounds(ld, n, "'sensitivity'", &b))
		return -1;
	r->sens_min = b.min;
	r->sens_max = b.max;
	return 0;
}

/* A list of group names, each defined under `groups`. */
static int get_groups(struct jg_ld *ld, yaml_node_t *n, const char *key,
                      char ***out, size_t *nout)
{
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_get_names(ld, n, key, "group", 0, 1, out, nout))
		return -1;
	for (size_t i = 0; i < *nout; i++)
		if (!jg_policy_group(ld->p, (*out)[i]))
			return jg_ld_fail(
				ld,
				jg_ld_node(ld, n->data.sequence.items.start[i]),
				"group '%s' is not defined (define it under "
				"'groups', with 'members: []' if only tokens "
				"fill it)",
				jg_ld_show_str((*out)[i], strlen((*out)[i]),
				               buf));
	return 0;
}

static int req_users(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return jg_ld_get_names(ld, n, "'users'", "user", 1, 1, &r->users,
	                       &r->nusers);
}

static int req_groups(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return get_groups(ld, n, "'groups'", &r->groups, &r->ngroups);
}

static const struct jg_ld_key requester_keys[] = {
	{"users", req_users, 0},
	{"groups", req_groups, 0},
};

static int match_requester(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;

	if (jg_ld_walk_map(ld, n, "'requester'", requester_keys,
	                   JG_LD_NKEYS(requester_keys), r, NULL))
		return -1;
	if (!r->nusers && !r->ngroups)
		return jg_ld_fail(ld, n, "'requester' needs at least one of "
		                         "'users' or 'groups'");
	return 0;
}

static int match_automation(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	int v;

	if (jg_ld_get_bool(ld, n, "automation", &v))
		return -1;
	if (!v)
		return jg_ld_fail(ld, n, "automation can only be true (leave it "
		                         "out to match people and automation "
		                         "alike)");
	r->automation = 1;
	return 0;
}

static int match_finding_type(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;

	r->automation = 1; /* only automation raises findings */
	return jg_ld_get_name_list(ld, n, "'finding_type'", "finding type",
	                           &r->finding_types, &r->nfinding_types);
}

static const struct jg_ld_key match_keys[] = {
	{"resource", match_resource, 0},
	{"labels", match_labels, 0},
	{"action", match_action, 0},
	{"environment", match_environment, 0},
	{"sensitivity", match_sensitivity, 0},
	{"requester", match_requester, 0},
	{"automation", match_automation, 0},
	{"finding_type", match_finding_type, 0},
};

static int rule_match(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_walk_under(ld, n, "'match'", " match", match_keys,
	                        JG_LD_NKEYS(match_keys), obj);
}

/* ---- outcome ------------------------------------------------------------ */

static int rule_decision(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	static const char *const names[] = {"deny", "auto"};
	static const enum jg_decision values[] = {JG_DECIDE_DENY,
	                                          JG_DECIDE_AUTO};
	size_t i;

	if (jg_ld_get_choice(ld, n, "decision", names, JG_LD_NKEYS(names), &i))
		return -1;
	((struct jg_rule *)obj)->decision = values[i];
	return 0;
}

static int step_group(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_step *s = obj;
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_get_name(ld, n, "group", 0, NULL))
		return -1;
	/* < JG_NAME_MAX, checked */
	memcpy(s->group, jg_ld_str(n), jg_ld_slen(n));
	s->group[jg_ld_slen(n)] = '\0';
	if (!jg_policy_group(ld->p, s->group))
		return jg_ld_fail(ld, n,
		                  "group '%s' is not defined (steps must name a "
		                  "group from 'groups')",
		                  jg_ld_show(n, buf));
	return 0;
}

static int step_count(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_int(ld, n, "count", 1, JG_STEP_COUNT_MAX,
	                     &((struct jg_step *)obj)->count);
}

static const struct jg_ld_key step_keys[] = {
	{"group", step_group, 1},
	{"count", step_count, 1},
};

static int rule_steps(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'steps'"))
		return -1;
	cnt = jg_ld_seq_len(n);
	if (cnt < 1 || cnt > JG_STEPS_MAX)
		return jg_ld_fail(ld, n,
		                  "'steps' must have 1 to %d entries, not %zu",
		                  JG_STEPS_MAX, cnt);
	if (!(r->steps = calloc(cnt, sizeof(*r->steps))))
		return jg_ld_nomem(ld, n);
	r->nsteps = cnt;
	r->decision = JG_DECIDE_REVIEW;
	for (size_t i = 0; i < cnt; i++) {
		size_t mark = jg_ld_where_add(ld, " step %zu", i + 1);
		yaml_node_t *s =
			jg_ld_node(ld, n->data.sequence.items.start[i]);
		if (jg_ld_walk_map(ld, s, "the step", step_keys,
		                   JG_LD_NKEYS(step_keys), &r->steps[i], NULL))
			return -1;
		ld->where[mark] = '\0';
	}
	return 0;
}

static int rule_max_duration(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "max_duration",
	                          &((struct jg_rule *)obj)->max_duration);
}

static int rule_max_start_ahead(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "max_start_ahead",
	                          &((struct jg_rule *)obj)->max_start_ahead);
}

static int rule_request_ttl(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "request_ttl",
	                          &((struct jg_rule *)obj)->request_ttl);
}

static int bg_group(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_get_name(ld, n, "group", 0, &r->break_glass_group))
		return -1;
	if (!jg_policy_group(ld->p, r->break_glass_group))
		return jg_ld_fail(ld, n,
		                  "group '%s' is not defined (break-glass must "
		                  "name a group from 'groups')",
		                  jg_ld_show(n, buf));
	return 0;
}

static int bg_max_duration(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "max_duration",
	                          &((struct jg_rule *)obj)->break_glass_max);
}

static const struct jg_ld_key break_glass_keys[] = {
	{"group", bg_group, 1},
	{"max_duration", bg_max_duration, 1},
};

/* Loaded after the rule's max_duration, which caps it. */
static int rule_break_glass(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	yaml_node_t *found[JG_LD_KEYS_MAX];
	char a[32], b[32];
	size_t mark;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'break_glass'"))
		return -1;
	mark = jg_ld_where_add(ld, "%s", " break_glass");
	if (jg_ld_walk_map(ld, n, "'break_glass'", break_glass_keys,
	                   JG_LD_NKEYS(break_glass_keys), r, found))
		return -1;
	if (r->break_glass_max > r->max_duration) {
		jg_duration_format(r->break_glass_max, a, sizeof(a));
		jg_duration_format(r->max_duration, b, sizeof(b));
		return jg_ld_fail(ld, found[1], "max_duration %s is above the "
		                                "rule's max_duration %s",
		                  a, b);
	}
	ld->where[mark] = '\0';
	return 0;
}

static int ext_auto(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_int(ld, n, "auto", 0, EXTENSIONS_MAX,
	                     &((struct jg_rule *)obj)->extensions_auto);
}

static const struct jg_ld_key extensions_keys[] = {
	{"auto", ext_auto, 1},
};

static int rule_extensions(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_walk_under(ld, n, "'extensions'", " extensions",
	                        extensions_keys, JG_LD_NKEYS(extensions_keys),
	                        obj);
}

/* `execute: auto`: the gateway runs an approved request at once
 * (docs/connectors.md); `manual`, the default, waits for its requester. */
static int rule_execute(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	static const char *const names[] = {"manual", "auto"};
	size_t i;

	if (jg_ld_get_choice(ld, n, "execute", names, JG_LD_NKEYS(names), &i))
		return -1;
	((struct jg_rule *)obj)->execute_auto = i == 1;
	return 0;
}

/* ---- step-up (rules and resources) ---- */

static int su_within(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_step_up *s = obj;

	if (jg_ld_get_duration(ld, n, "within", &s->within))
		return -1;
	if (s->within < 60)
		return jg_ld_fail(ld, n, "'within' must be at least 1m");
	return 0;
}

static int su_mfa(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_bool(ld, n, "'mfa'", &((struct jg_step_up *)obj)->mfa);
}

static const struct jg_ld_key step_up_keys[] = {
	{"within", su_within, 0},
	{"mfa", su_mfa, 0},
};

int jg_ld_step_up(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_step_up *s = obj;

	if (jg_ld_walk_under(ld, n, "'step_up'", " step_up", step_up_keys,
	                     JG_LD_NKEYS(step_up_keys), s))
		return -1;
	if (!s->within && !s->mfa)
		return jg_ld_fail(ld, n,
		                  "'step_up' asks nothing (give 'within', or "
		                  "'mfa: true')");
	return 0;
}

static int rule_step_up(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_step_up(ld, n, &((struct jg_rule *)obj)->step_up);
}

/* `approve_comment: true`: an approver must say why, as a denier must. */
static int rule_approve_comment(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_bool(ld, n, "'approve_comment'",
	                      &((struct jg_rule *)obj)->approve_comment);
}

/* ---- the rule ----------------------------------------------------------- */

/* In load order: break_glass needs max_duration. */
enum { RK_NAME, RK_MATCH, RK_CHECKS, RK_DECISION, RK_STEPS,
       RK_MAX_DURATION, RK_REQUEST_TTL, RK_MAX_START_AHEAD, RK_BREAK_GLASS,
       RK_EXTENSIONS, RK_EXECUTE, RK_STEP_UP, RK_APPROVE_COMMENT, RK_N };

static const struct jg_ld_key rule_keys[RK_N] = {
	[RK_NAME] = {"name", rule_name, 1},
	[RK_MATCH] = {"match", rule_match, 0},
	[RK_CHECKS] = {"checks", jg_ld_checks, 0},
	[RK_DECISION] = {"decision", rule_decision, 0},
	[RK_STEPS] = {"steps", rule_steps, 0},
	[RK_MAX_DURATION] = {"max_duration", rule_max_duration, 0},
	[RK_REQUEST_TTL] = {"request_ttl", rule_request_ttl, 0},
	[RK_MAX_START_AHEAD] = {"max_start_ahead", rule_max_start_ahead, 0},
	[RK_BREAK_GLASS] = {"break_glass", rule_break_glass, 0},
	[RK_EXTENSIONS] = {"extensions", rule_extensions, 0},
	[RK_EXECUTE] = {"execute", rule_execute, 0},
	[RK_STEP_UP] = {"step_up", rule_step_up, 0},
	[RK_APPROVE_COMMENT] = {"approve_comment", rule_approve_comment, 0},
};

_Static_assert(RK_N <= JG_LD_KEYS_MAX &&
                       JG_LD_NKEYS(match_keys) <= JG_LD_KEYS_MAX,
               "a key table is larger than JG_LD_KEYS_MAX");

static int load_rule(struct jg_ld *ld, yaml_node_t *n, size_t idx,
                     struct jg_rule *r)
{
	yaml_node_t *found[JG_LD_KEYS_MAX];
	yaml_node_t *name = jg_ld_map_get(ld, n, "name");
	char buf[JG_LD_SHOW_MAX];

	/* Name the rule in every message, even those about earlier keys. */
	if (name && name->type == YAML_SCALAR_NODE)
		jg_ld_where_set(ld, "rule '%s'", jg_ld_show(name, buf));
	else
		jg_ld_where_set(ld, "rule %zu", idx + 1);
	r->line = jg_ld_line(n);
	r->max_duration = ld->dflt.max_duration;
	r->request_ttl = ld->dflt.request_ttl;
	r->max_start_ahead = ld->dflt.max_start_ahead;
	r->decision = JG_DECIDE_DENY;
	if (jg_ld_walk_map(ld, n, "the rule", rule_keys, RK_N, r, found))
		return -1;
	if (!found[RK_DECISION] == !found[RK_STEPS])
		return jg_ld_fail(ld, n,
		                  "needs exactly one of 'decision' or 'steps'");
	return 0;
}

static int rule_names_unique(struct jg_ld *ld, const struct jg_policy *p)
{
	struct jg_ld_ref *refs;
	int rc;

	if (p->nrules < 2)
		return 0;
	if (!(refs = calloc(p->nrules, sizeof(*refs))))
		return jg_ld_nomem(ld, NULL);
	for (size_t i = 0; i < p->nrules; i++)
		refs[i] = (struct jg_ld_ref){p->rules[i].name,
		                             strlen(p->rules[i].name),
		                             p->rules[i].line, i};
	rc = jg_ld_refs_unique(ld, refs, p->nrules, "rule");
	free(refs);
	return rc;
}

int jg_ld_rules(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'rules'"))
		return -1;
	if (!(cnt = jg_ld_seq_len(n)))
		return 0;
	if (!(p->rules = calloc(cnt, sizeof(*p->rules))))
		return jg_ld_nomem(ld, n);
	p->nrules = cnt;
	for (size_t i = 0; i < cnt; i++)
		if (load_rule(ld,
		              jg_ld_node(ld, n->data.sequence.items.start[i]), i,
		              &p->rules[i]))
			return -1;
	ld->where[0] = '\0';
	return rule_names_unique(ld, p);
}
