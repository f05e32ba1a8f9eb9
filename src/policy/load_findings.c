/*
 * load_findings.c - the policy's `findings` list (docs/findings.md):
 * which scanner findings each entry takes, and the request it raises for
 * each of them. Matching findings against it at run time is
 * core/findings.c; this file only reads and checks the entries.
 *
 * Every entry names a resource that exists and has the action (or
 * {target}, looked up when a finding names one), so a finding can never
 * raise a request the policy could not screen. Reason templates may only
 * hold the placeholders core/findings.c knows.
 */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

#define FINDING_RULE_MAX 255 /* bytes of a rule pattern */
#define FINDING_REASON_MAX 512 /* bytes of a reason template */

static int fm_type(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;

	return jg_ld_get_name_list(ld, n, "type", "finding type", &m->types,
	                           &m->ntypes);
}

/* Printable ASCII, space included, and nothing else. */
static int printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Scanner rule ids hold '/' and ':' ("js/sql-injection"), so the rule
 * pattern is any printable ASCII, matched with fnmatch(3). */
static int fm_rule(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, "rule"))
		return -1;
	if (jg_ld_slen(n) == 0 || jg_ld_slen(n) > FINDING_RULE_MAX ||
	    !printable(jg_ld_str(n), jg_ld_slen(n)))
		return jg_ld_fail(ld, n, "rule '%s' is not a valid pattern (1 to "
		                         "%d printable ASCII characters)",
		                  jg_ld_show(n, buf), FINDING_RULE_MAX);
	if (!(m->rule_glob = strndup(jg_ld_str(n), jg_ld_slen(n))))
		return jg_ld_nomem(ld, n);
	return 0;
}

static int fm_target(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_glob(ld, n, "target",
	                      &((struct jg_finding_map *)obj)->target_glob);
}

static int fm_severity(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;
	struct jg_ld_bounds b;

	if (jg_ld_get_bounds(ld, n, "'severity'", &b))
		return -1;
	m->at_least = b.min;
	m->at_most = b.max;
	return 0;
}

static const struct jg_ld_key fm_match_keys[] = {
	{"type", fm_type, 0},
	{"rule", fm_rule, 0},
	{"target", fm_target, 0},
	{"severity", fm_severity, 0},
};

static int fm_match(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_walk_map(ld, n, "'match'", fm_match_keys,
	                      JG_LD_NKEYS(fm_match_keys), obj, NULL);
}

static int fm_resource(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;

	if (n->type == YAML_SCALAR_NODE && jg_ld_is(n, JG_FINDING_TARGET)) {
		if (!(m->resource = strdup(JG_FINDING_TARGET)))
			return jg_ld_nomem(ld, n);
		return 0;
	}
	return jg_ld_get_name(ld, n, "resource", 0, &m->resource);
}

static int fm_action(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_name(ld, n, "action", 0,
	                      &((struct jg_finding_map *)obj)->action);
}

static int fm_duration(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "duration",
	                          &((struct jg_finding_map *)obj)->duration);
}

/* A reason template: text with {placeholder}s (core/findings.c). */
static int fm_reason(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;
	const char *s, *close;
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, "reason"))
		return -1;
	s = jg_ld_str(n);
	if (jg_ld_slen(n) == 0 || jg_ld_slen(n) > FINDING_REASON_MAX ||
	    strlen(s) != jg_ld_slen(n))
		return jg_ld_fail(ld, n, "reason must be 1 to %d bytes",
		                  FINDING_REASON_MAX);
	for (size_t i = 0; i < jg_ld_slen(n); i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return jg_ld_fail(ld, n,
			                  "reason holds a control character");
	for (s = strchr(s, '{'); s; s = strchr(close + 1, '{')) {
		close = strchr(s, '}');
		if (!close || !jg_finding_placeholder(s + 1,
		                                      (size_t)(close - s - 1)))
			return jg_ld_fail(ld, n, "reason '%s': '{' must start "
			                         "one of {id}, {type}, {rule}, "
			                         "{severity}, {location}, "
			                         "{target}, {recommendation}",
			                  jg_ld_show(n, buf));
	}
	if (!(m->reason = strndup(jg_ld_str(n), jg_ld_slen(n))))
		return jg_ld_nomem(ld, n);
	return 0;
}

static const struct jg_ld_key fm_keys[] = {
	{"match", fm_match, 0},
	{"resource", fm_resource, 1},
	{"action", fm_action, 1},
	{"duration", fm_duration, 0},
	{"reason", fm_reason, 0},
};

/* A named resource must exist and have the action; {target} is looked
 * up when a finding names one. */
static int fm_resource_ok(struct jg_ld *ld, yaml_node_t *n,
                          const struct jg_finding_map *m)
{
	const struct jg_resource *res;

	if (strcmp(m->resource, JG_FINDING_TARGET) == 0)
		return 0;
	if (!(res = jg_policy_resource(ld->p, m->resource)))
		return jg_ld_fail(ld, n, "resource '%s' is not defined",
		                  m->resource);
	if (!jg_resource_has_action(res, m->action))
		return jg_ld_fail(ld, n, "resource '%s' has no action '%s'",
		                  m->resource, m->action);
	return 0;
}

int jg_ld_findings(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'findings'"))
		return -1;
	if (!(cnt = jg_ld_seq_len(n)))
		return 0;
	if (!(p->findings = calloc(cnt, sizeof(*p->findings))))
		return jg_ld_nomem(ld, n);
	p->nfindings = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item =
			jg_ld_node(ld, n->data.sequence.items.start[i]);
		struct jg_finding_map *m = &p->findings[i];

		jg_ld_where_set(ld, "findings entry %zu", i + 1);
		m->line = jg_ld_line(item);
		if (jg_ld_walk_map(ld, item, "the entry", fm_keys,
		                   JG_LD_NKEYS(fm_keys), m, NULL) ||
		    fm_resource_ok(ld, item, m))
			return -1;
	}
	ld->where[0] = '\0';
	return 0;
}
