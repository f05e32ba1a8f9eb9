/*
 * load_workload.c - the policy's `identity.workload` list: the issuers
 * of machine tokens jitgate trusts (GitHub Actions, GitLab CI,
 * Kubernetes, any OpenID issuer) and the bindings that turn a token's
 * claims into a service principal (docs/identity.md).
 *
 *   identity:
 *     workload:
 *       - issuer: https://token.actions.githubusercontent.com
 *         audience: jitgate
 *         jwks_url: https://...          # optional: else discovery
 *         ca_file: /etc/ssl/corp-ca.pem  # optional
 *         bindings:
 *           - claims: {repository: acme/payments, ref: refs/heads/main}
 *             principal: ci-payments-deploy
 *             groups: [deployers]
 *
 * A binding says who a token is, so its claims are exact values; a
 * trailing '*' makes one a prefix ("refs/heads/release-*") and is the
 * only wildcard. A value that is '*' alone would bind every token of the
 * issuer and is refused: a binding must name something.
 */
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "policy/internal.h"

static int wl_issuer(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_url(ld, n, "'issuer'",
	                     &((struct jg_workload_issuer *)obj)->issuer);
}

static int wl_audience(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_text(ld, n, "'audience'", JG_CLAIM_MAX,
	                      &((struct jg_workload_issuer *)obj)->audience);
}

static int wl_jwks_url(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_url(ld, n, "'jwks_url'",
	                     &((struct jg_workload_issuer *)obj)->jwks_url);
}

static int wl_ca_file(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_path(ld, n, "'ca_file'",
	                      &((struct jg_workload_issuer *)obj)->ca_file);
}

/* One claim value: text, with '*' only at its end and never alone. */
static int claim_value(struct jg_ld *ld, yaml_node_t *n, const char *claim,
                       char **out)
{
	char what[JG_CLAIM_MAX + 16];
	const char *star;

	snprintf(what, sizeof(what), "claim '%s'", claim);
	if (jg_ld_get_text(ld, n, what, JG_CLAIM_MAX, out))
		return -1;
	star = strchr(*out, '*');
	if (star && star[1])
		return jg_ld_fail(ld, n, "%s: '*' may only end a value (a "
		                         "prefix match)", what);
	if (strcmp(*out, "*") == 0)
		return jg_ld_fail(ld, n, "%s: '*' alone would match any "
		                         "token; name a value or a prefix",
		                  what);
	return 0;
}

static int bd_claims(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_workload_binding *b = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'claims'") ||
	    jg_ld_map_keys_ok(ld, n, "claim"))
		return -1;
	if (!(cnt = jg_ld_map_len(n)))
		return jg_ld_fail(ld, n, "'claims' must name at least one claim");
	if (!(b->claims = calloc(cnt, sizeof(*b->claims))))
		return jg_ld_nomem(ld, n);
	b->nclaims = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
		struct jg_claim_match *m = &b->claims[i];

		if (jg_ld_get_claim_name(ld, jg_ld_node(ld, pr->key), "a claim",
		                         &m->claim) ||
		    claim_value(ld, jg_ld_node(ld, pr->value), m->claim,
		                &m->value))
			return -1;
	}
	return 0;
}

static int bd_principal(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_name(ld, n, "principal", 1,
	                      &((struct jg_workload_binding *)obj)->principal);
}

static int bd_groups(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_workload_binding *b = obj;

	if (jg_ld_get_names(ld, n, "'groups'", "group", 0, 0, &b->groups,
	                    &b->ngroups))
		return -1;
	for (size_t i = 0; i < b->ngroups; i++)
		if (jg_ld_group_defined(
		            ld, jg_ld_node(ld, n->data.sequence.items.start[i]),
		            b->groups[i]))
			return -1;
	return 0;
}

static const struct jg_ld_key binding_keys[] = {
	{"claims", bd_claims, 1},
	{"principal", bd_principal, 1},
	{"groups", bd_groups, 0},
};

static int wl_bindings(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_workload_issuer *w = obj;
	size_t cnt, mark;
	int rc = 0;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'bindings'"))
		return -1;
	if (!(cnt = jg_ld_seq_len(n)))
		return jg_ld_fail(ld, n, "'bindings' must hold at least one "
		                         "binding (else no token is accepted)");
	if (!(w->bindings = calloc(cnt, sizeof(*w->bindings))))
		return jg_ld_nomem(ld, n);
	w->nbindings = cnt;
	for (size_t i = 0; i < cnt && !rc; i++) {
		yaml_node_t *item =
			jg_ld_node(ld, n->data.sequence.items.start[i]);

		w->bindings[i].line = jg_ld_line(item);
		mark = jg_ld_where_add(ld, " binding %zu", i + 1);
		rc = jg_ld_walk_map(ld, item, "a binding", binding_keys,
		                    JG_LD_NKEYS(binding_keys), &w->bindings[i],
		                    NULL);
		ld->where[mark] = '\0';
	}
	return rc;
}

static const struct jg_ld_key workload_keys[] = {
	{"issuer", wl_issuer, 1},
	{"audience", wl_audience, 1},
	{"jwks_url", wl_jwks_url, 0},
	{"ca_file", wl_ca_file, 0},
	{"bindings", wl_bindings, 1},
};

_Static_assert(JG_LD_NKEYS(workload_keys) <= JG_LD_KEYS_MAX,
               "a key table is larger than JG_LD_KEYS_MAX");

/* Two entries for one issuer would make the first one's bindings hide
 * the second's; one entry per issuer. */
static int issuers_unique(struct jg_ld *ld, const struct jg_identity *id)
{
	for (size_t i = 1; i < id->nworkload; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(id->workload[i].issuer,
			           id->workload[j].issuer) == 0)
				return jg_ld_fail_line(
				        ld, id->workload[i].line,
				        "issuer '%s' is listed twice (first at "
				        "line %d); put all its bindings in one "
				        "entry",
				        id->workload[i].issuer,
				        id->workload[j].line);
	return 0;
}

int jg_ld_workload(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_identity *id = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'workload'"))
		return -1;
	if (!(cnt = jg_ld_seq_len(n)))
		return 0;
	if (!(id->workload = calloc(cnt, sizeof(*id->workload))))
		return jg_ld_nomem(ld, n);
	id->nworkload = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item =
			jg_ld_node(ld, n->data.sequence.items.start[i]);

		jg_ld_where_set(ld, "identity.workload entry %zu", i + 1);
		id->workload[i].line = jg_ld_line(item);
		if (jg_ld_walk_map(ld, item, "the entry", workload_keys,
		                   JG_LD_NKEYS(workload_keys), &id->workload[i],
		                   NULL))
			return -1;
	}
	jg_ld_where_set(ld, "identity.workload");
	if (issuers_unique(ld, id))
		return -1;
	jg_ld_where_set(ld, "identity");
	return 0;
}
