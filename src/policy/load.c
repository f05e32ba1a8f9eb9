/*
 * load.c - the policy file (YAML) to a struct jg_policy, with file:line
 * errors: the entry points, and the top level of the file.
 *
 * The loader must never hand out a policy built from a file it did not
 * fully understand: every error (bad YAML, unknown key, wrong type, bad
 * name, duplicate, undefined group, out-of-range number) frees what was
 * built so far and returns no policy, so a typo can never widen access. It
 * never reads a clock, keeps no state between calls, and never copies raw
 * control bytes from the file into a message.
 *
 * The shape of each map is a table of keys (struct jg_ld_key), walked by
 * jg_ld_walk_map() in table order -- not file order, so that `groups` and
 * `defaults` are known before `rules` refer to them. A new key is a new
 * table row. The loader's files, one concern each (policy/internal.h
 * says what they share):
 *   load.c          entry points; version, defaults, groups, resources
 *   load_yaml.c     reading the YAML tree: messages, duplicates, key tables
 *   load_values.c   names, patterns, durations, levels, bounds ...
 *   load_rules.c    rules: match keys and outcome
 *   load_checks.c   a rule's checks: source, justification, ticket,
 *                   severity, rate
 *   load_time.c     the time check: windows and time zones
 *   load_findings.c the `findings` list (docs/findings.md)
 *   load_identity.c the `identity` section; load_signin.c its `signin`
 *   load_forward.c  the `forward_auth` section (reverse proxies)
 *   load_alerts.c   the `alerts` section (alert detectors' settings)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/limits.h"
#include "policy/internal.h"
#include "policy/load.h"
#include "util/crypto.h"

/* ---- defaults ---------------------------------------------------------- */

static int dflt_max_duration(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "max_duration",
	                          &((struct jg_ld_defaults *)obj)->max_duration);
}

static int dflt_request_ttl(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "request_ttl",
	                          &((struct jg_ld_defaults *)obj)->request_ttl);
}

static int dflt_max_start_ahead(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(
	        ld, n, "max_start_ahead",
	        &((struct jg_ld_defaults *)obj)->max_start_ahead);
}

static const struct jg_ld_key defaults_keys[] = {
	{"max_duration", dflt_max_duration, 0},
	{"request_ttl", dflt_request_ttl, 0},
	{"max_start_ahead", dflt_max_start_ahead, 0},
};

/* ---- groups ------------------------------------------------------------ */

static int group_members(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_group *g = obj;
	return jg_ld_get_names(ld, n, "'members'", "member", 1, 0, &g->members,
	                       &g->nmembers);
}

static const struct jg_ld_key group_keys[] = {
	{"members", group_members, 0},
};

/* ---- resources --------------------------------------------------------- */

static int res_labels(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;
	return jg_ld_get_labels(ld, n, &r->labels, &r->nlabels);
}

static int res_sensitivity(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;

	if (jg_ld_get_level(ld, n, "sensitivity", &r->level))
		return -1;
	if (!(r->sensitivity = strdup(jg_level_name(r->level))))
		return jg_ld_nomem(ld, n);
	return 0;
}

static int res_actions(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;
	return jg_ld_get_names(ld, n, "'actions'", "action", 0, 1, &r->actions,
	                       &r->nactions);
}

static int res_step_up(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_step_up(ld, n, &((struct jg_resource *)obj)->step_up);
}

static const struct jg_ld_key resource_keys[] = {
	{"labels", res_labels, 0},
	{"sensitivity", res_sensitivity, 0},
	{"actions", res_actions, 1},
	{"step_up", res_step_up, 0},
};

/* ---- the top level ----------------------------------------------------- */

static int top_version(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	char buf[JG_LD_SHOW_MAX];

	(void)obj;
	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, "version"))
		return -1;
	if (!jg_ld_is(n, "1"))
		return jg_ld_fail(ld, n, "version '%s' is not supported (use "
		                         "version: 1)",
		                  jg_ld_show(n, buf));
	return 0;
}

static int top_defaults(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	(void)obj;
	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'defaults'"))
		return -1;
	jg_ld_where_set(ld, "defaults");
	if (jg_ld_walk_map(ld, n, "'defaults'", defaults_keys,
	                   JG_LD_NKEYS(defaults_keys), &ld->dflt, NULL))
		return -1;
	ld->where[0] = '\0';
	return 0;
}

static int top_groups(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'groups'") ||
	    jg_ld_map_keys_ok(ld, n, "group"))
		return -1;
	if (!(cnt = jg_ld_map_len(n)))
		return 0;
	if (!(p->groups = calloc(cnt, sizeof(*p->groups))))
		return jg_ld_nomem(ld, n);
	p->ngroups = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
		struct jg_group *g = &p->groups[i];
		yaml_node_t *k = jg_ld_node(ld, pr->key);

		if (jg_ld_get_name(ld, k, "group", 0, &g->name))
			return -1;
		g->line = jg_ld_line(k);
		jg_ld_where_set(ld, "group '%s'", g->name);
		if (jg_ld_walk_map(ld, jg_ld_node(ld, pr->value),
		                   "the definition", group_keys,
		                   JG_LD_NKEYS(group_keys), g, NULL))
			return -1;
		ld->where[0] = '\0';
	}
	return 0;
}

static int top_resources(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'resources'") ||
	    jg_ld_map_keys_ok(ld, n, "resource"))
		return -1;
	if (!(cnt = jg_ld_map_len(n)))
		return 0;
	if (!(p->resources = calloc(cnt, sizeof(*p->resources))))
		return jg_ld_nomem(ld, n);
	p->nresources = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
		struct jg_resource *r = &p->resources[i];
		yaml_node_t *k = jg_ld_node(ld, pr->key);

		if (jg_ld_get_name(ld, k, "resource", 0, &r->name))
			return -1;
		r->line = jg_ld_line(k);
		jg_ld_where_set(ld, "resource '%s'", r->name);
		if (jg_ld_walk_map(ld, jg_ld_node(ld, pr->value),
		                   "the definition", resource_keys,
		                   JG_LD_NKEYS(resource_keys), r, NULL))
			return -1;
		if (!r->sensitivity) {
			r->level = JG_MEDIUM;
			if (!(r->sensitivity = strdup(jg_level_name(JG_MEDIUM))))
				return jg_ld_nomem(ld, k);
		}
		ld->where[0] = '\0';
	}
	return 0;
}

/* In dependency order: rules need the defaults and the groups. */
static const struct jg_ld_key top_keys[] = {
	{"version", top_version, 1},
	{"defaults", top_defaults, 0},
	{"groups", top_groups, 0},
	{"resources", top_resources, 0},
	{"rules", jg_ld_rules, 0},
	{"findings", jg_ld_findings, 0}, /* needs the resources */
	{"identity", jg_ld_identity, 0}, /* needs the groups */
	{"forward_auth", jg_ld_forward, 0}, /* needs the resources */
	{"alerts", jg_ld_alerts, 0},
};

_Static_assert(JG_LD_NKEYS(top_keys) <= JG_LD_KEYS_MAX &&
                       JG_LD_NKEYS(resource_keys) <= JG_LD_KEYS_MAX,
               "a key table is larger than JG_LD_KEYS_MAX");

/* ---- entry points ------------------------------------------------------ */

static void parser_fail(struct jg_ld *ld, const yaml_parser_t *ps)
{
	int line = (int)ps->problem_mark.line + 1;

	if (ps->error == YAML_MEMORY_ERROR) {
		jg_ld_nomem(ld, NULL);
		return;
	}
	if (ps->error == YAML_READER_ERROR) { /* no mark: count the lines */
		line = 1;
		for (size_t i = 0; i < ps->problem_offset && i < ld->len; i++)
			line += ld->buf[i] == '\n';
	}
	jg_ld_fail_line(ld, line, "invalid YAML: %s%s%s%s",
	                ps->problem ? ps->problem : "cannot parse",
	                ps->context ? " (" : "", ps->context ? ps->context : "",
	                ps->context ? ")" : "");
}

/* Refuse a second document: it would be silently ignored otherwise. */
static int single_document(struct jg_ld *ld, yaml_parser_t *ps)
{
	yaml_document_t extra;
	yaml_node_t *root;

	if (!yaml_parser_load(ps, &extra)) {
		parser_fail(ld, ps);
		return -1;
	}
	if ((root = yaml_document_get_root_node(&extra)))
		jg_ld_fail(ld, root, "a second YAML document (a policy is one "
		                     "document)");
	yaml_document_delete(&extra);
	return root ? -1 : 0;
}

static void build(struct jg_ld *ld, struct jg_policy **out)
{
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);
	struct jg_policy *p = calloc(1, sizeof(*p));

	if (!p) {
		jg_ld_nomem(ld, NULL);
		return;
	}
	ld->p = p;
	if (!root)
		jg_ld_fail_line(ld, 1, "the policy is empty (it starts with "
		                       "'version: 1')");
	else
		jg_ld_walk_map(ld, root, "the policy", top_keys,
		               JG_LD_NKEYS(top_keys), p, NULL);
	if (ld->rc != JG_OK) {
		jg_policy_free(p);
		return;
	}
	jg_sha256_hex(ld->buf, ld->len, p->sha256);
	*out = p;
}

enum jg_err jg_policy_parse(const char *name, const char *buf, size_t len,
                            struct jg_policy **out, char *err, size_t errlen)
{
	struct jg_ld ld = {
		.name = name,
		.buf = buf ? buf : "",
		.len = len,
		.dflt = {JG_DEFAULT_MAX_DURATION, JG_DEFAULT_REQUEST_TTL,
		         JG_DEFAULT_MAX_START_AHEAD},
		.rc = JG_OK,
		.err = err,
		.errlen = errlen,
	};
	yaml_parser_t ps;
	yaml_document_t doc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > JG_POLICY_FILE_MAX) {
		jg_ld_fail_line(&ld, 1, "the policy is larger than %d bytes",
		                JG_POLICY_FILE_MAX);
		return JG_ETOOBIG;
	}
	if (jg_ld_depth_ok(&ld))
		return ld.rc;
	if (!yaml_parser_initialize(&ps)) {
		jg_ld_nomem(&ld, NULL);
		return ld.rc;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)ld.buf, len);
	if (!yaml_parser_load(&ps, &doc)) {
		parser_fail(&ld, &ps);
	} else {
		ld.doc = &doc;
		if (single_document(&ld, &ps) == 0)
			build(&ld, out);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&ps);
	return ld.rc;
}

/* "PATH:1: why[: strerror(errnum)]" into err; returns rc. */
static enum jg_err file_fail(const char *path, char *err, size_t errlen,
                             enum jg_err rc, const char *why, int errnum)
{
	if (err && errlen)
		snprintf(err, errlen, "%s:1: %s%s%s", path, why,
		         errnum ? ": " : "", errnum ? strerror(errnum) : "");
	return rc;
}

/*
 * Read path into *buf (owned by the caller), at most one byte past the
 * limit so that jg_policy_parse notices a larger file. The size is not
 * taken from fstat: the file may change while it is read.
 */
static enum jg_err read_file(const char *path, char **buf, size_t *len,
                             char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	enum jg_err rc = JG_OK;

	*buf = NULL;
	*len = 0;
	if (!f)
		return file_fail(path, err, errlen, JG_ENOTFOUND, "cannot open",
		                 errno);
	*buf = malloc(JG_POLICY_FILE_MAX + 1);
	if (*buf)
		*len = fread(*buf, 1, JG_POLICY_FILE_MAX + 1, f);
	if (!*buf)
		rc = file_fail(path, err, errlen, JG_ENOMEM, "out of memory", 0);
	else if (ferror(f))
		rc = file_fail(path, err, errlen, JG_ENOTFOUND, "cannot read",
		               errno);
	fclose(f);
	if (rc != JG_OK) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

enum jg_err jg_policy_load(const char *path, struct jg_policy **out,
                           char *err, size_t errlen)
{
	char *buf;
	size_t len;
	enum jg_err rc;

	*out = NULL;
	rc = read_file(path, &buf, &len, err, errlen);
	if (rc != JG_OK)
		return rc;
	rc = jg_policy_parse(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}
