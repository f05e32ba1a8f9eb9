/*
 * stepup.c - step-up for risky approvals: the approver of a request whose
 * rule or resource asks `step_up` must have signed in at the identity
 * provider recently enough (auth_time within `within` of the decision
 * clock) and, when asked, with a second factor (amr/acr said so).
 *
 * A jitgate token proves neither (auth_time and mfa are 0 on it), so a
 * step-up rule is approved only by people signed in through the provider.
 * Denying is never stepped up: refusing access cannot widen it.
 */
#include <stdio.h>
#include <string.h>

#include "gate/internal.h"
#include "util/timefmt.h"

/* The rule of r by name in the policy in force (NULL: gone since). */
static const struct jg_rule *rule_of(const struct jg_policy *p,
                                     const struct jg_request *r)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].name, r->rule) == 0)
			return &p->rules[i];
	return NULL;
}

/* The stricter of a and b: the shorter non-zero window, mfa if either. */
static struct jg_step_up stricter(struct jg_step_up a, struct jg_step_up b)
{
	struct jg_step_up s = {.mfa = a.mfa || b.mfa};

	if (!a.within || (b.within && b.within < a.within))
		s.within = b.within;
	else
		s.within = a.within;
	return s;
}

struct jg_step_up jg_gate_step_up_of(const struct jg_policy *p,
                                     const struct jg_request *r)
{
	struct jg_step_up s = {0};
	const struct jg_rule *rule = rule_of(p, r);
	const struct jg_resource *res = jg_policy_resource(p, r->resource);

	if (rule)
		s = stricter(s, rule->step_up);
	if (res)
		s = stricter(s, res->step_up);
	return s;
}

int jg_gate_approve_needs_comment(const struct jg_policy *p,
                                  const struct jg_request *r)
{
	const struct jg_rule *rule = rule_of(p, r);

	return rule && rule->approve_comment;
}

enum jg_err jg_gate_step_up_check(const struct jg_step_up *s,
                                  const struct jg_principal *who,
                                  int64_t now, char why[JG_WHY_MAX])
{
	char ago[32] = "", need[160];
	int stale, weak;

	if (!s->within && !s->mfa)
		return JG_OK;
	if (s->within)
		jg_duration_format(s->within, ago, sizeof(ago));
	snprintf(need, sizeof(need), "a sign-in at the identity provider%s%s%s",
	         s->within ? " within the last " : "", ago,
	         s->mfa ? " with a second factor (MFA)" : "");
	if (!who->auth_time)
		return jg_gate_why(JG_ESTEPUP, why,
		                   "approving this request needs %s; '%s' "
		                   "signed in with a jitgate token",
		                   need, who->name);
	stale = s->within && now - who->auth_time > s->within;
	weak = s->mfa && !who->mfa;
	if (stale || weak)
		return jg_gate_why(JG_ESTEPUP, why,
		                   "approving this request needs %s; '%s' "
		                   "signed in %s%s: sign in again",
		                   need, who->name,
		                   stale ? "too long ago" : "",
		                   weak ? (stale ? " and without a second factor"
		                                 : "without a second factor")
		                        : "");
	return JG_OK;
}
