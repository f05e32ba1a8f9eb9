/*
 * load_identity.c - the policy's `identity` section: who may sign in
 * through the company's identity provider (`signin`, load_signin.c) and
 * which workload token issuers are trusted, with the bindings that map
 * their tokens to service principals (`workload`, load_workload.c).
 *
 * It lives in the policy, not in server flags, because it decides who
 * someone is and which groups they are in: a change to it is a policy
 * change, reloaded, audited with the file's SHA-256 and replayable.
 */
#include "policy/internal.h"

/* Each section adds its row here. */
static const struct jg_ld_key identity_keys[] = {
	{"signin", jg_ld_signin, 0},
	{"workload", jg_ld_workload, 0},
};

_Static_assert(JG_LD_NKEYS(identity_keys) <= JG_LD_KEYS_MAX,
               "a key table is larger than JG_LD_KEYS_MAX");

int jg_ld_identity(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'identity'"))
		return -1;
	jg_ld_where_set(ld, "identity");
	if (jg_ld_walk_map(ld, n, "'identity'", identity_keys,
	                   JG_LD_NKEYS(identity_keys), &p->identity, NULL))
		return -1;
	ld->where[0] = '\0';
	return 0;
}
