/*
 * signin_claims.c - who a verified ID token says signed in, under the
 * policy's identity.signin: the principal claim, the email domains, the
 * groups claim (a list, or refused), the group and role maps, auth_time
 * and whether a second factor was used.
 *
 * Only groups the policy defines are kept (after the group map): the
 * provider may put a person in hundreds of groups, and only those the
 * policy names can decide anything. A groups claim that is not a list of
 * strings is refused, never read as "no groups": a misconfigured provider
 * must not sign people in with less (or other) than it meant.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gate/internal.h"

/* amr values (RFC 8176) that stand for a factor beyond the password. */
static const char *const second_factors[] = {
	"mfa", "otp", "hwk", "swk", "sms", "tel", "fpt", "face", "iris",
	"retina", "vbm", "sc", "pop", "fido",
};

static int is_second_factor(const char *amr)
{
	for (size_t i = 0; i < sizeof(second_factors) / sizeof(*second_factors);
	     i++)
		if (strcmp(amr, second_factors[i]) == 0)
			return 1;
	return 0;
}

/* 1 when amr lists a second factor, or acr names multi-factor. */
static int used_mfa(const json_t *claims)
{
	json_t *amr = json_object_get(claims, "amr"), *v;
	const char *acr = json_string_value(json_object_get(claims, "acr"));
	size_t i;

	json_array_foreach(amr, i, v) {
		if (json_is_string(v) && is_second_factor(json_string_value(v)))
			return 1;
	}
	return acr && (strcmp(acr, "mfa") == 0 || strstr(acr, "multi-factor") ||
	               strstr(acr, "multifactor"));
}

/* The email's domain must be one of s->email_domains (any when none). */
static enum jg_err domain_ok(const struct jg_signin *s, const json_t *claims,
                             char why[JG_WHY_MAX])
{
	const char *email = json_string_value(json_object_get(claims, "email"));
	json_t *verified = json_object_get(claims, "email_verified");
	const char *at;

	if (!s->nemail_domains)
		return JG_OK;
	if (!email || !(at = strrchr(email, '@')))
		return jg_gate_why(JG_EAUTH, why, "the ID token has no email, "
		                   "and only some email domains may sign in");
	if (json_is_false(verified))
		return jg_gate_why(JG_EAUTH, why, "the provider has not "
		                   "verified the email address");
	for (size_t i = 0; i < s->nemail_domains; i++)
		if (strcasecmp(at + 1, s->email_domains[i]) == 0)
			return JG_OK;
	return jg_gate_why(JG_EAUTH, why, "email domain '%.64s' may not sign "
	                   "in here", at + 1);
}

/* Add group name to who unless there already or unknown to the policy. */
static enum jg_err add_group(const struct jg_policy *p,
                             struct jg_principal *who, const char *name,
                             char why[JG_WHY_MAX])
{
	if (!jg_policy_group(p, name))
		return JG_OK;
	for (size_t i = 0; i < who->ngroups; i++)
		if (strcmp(who->groups[i], name) == 0)
			return JG_OK;
	if (who->ngroups == JG_GROUPS_MAX)
		return jg_gate_why(JG_EAUTH, why, "more than %d of the "
		                   "policy's "
		                   "groups", JG_GROUPS_MAX);
	snprintf(who->groups[who->ngroups++], JG_NAME_MAX, "%s", name);
	return JG_OK;
}

/* One provider group: mapped (or as-is), and its role if any. */
static enum jg_err take_group(const struct jg_policy *p,
                              struct jg_principal *who, const char *g,
                              char why[JG_WHY_MAX])
{
	const struct jg_signin *s = &p->identity.signin;
	const char *name = g;

	for (size_t i = 0; i < s->nrole_map; i++)
		if (strcmp(s->role_map[i].from, g) == 0)
			who->roles |= jg_role_parse(s->role_map[i].to);
	for (size_t i = 0; i < s->ngroup_map; i++)
		if (strcmp(s->group_map[i].from, g) == 0) {
			name = s->group_map[i].to;
			break;
		}
	return add_group(p, who, name, why);
}

enum jg_err jg_gate_signin_groups(const struct jg_policy *p,
                                  const json_t *groups,
                                  struct jg_principal *who,
                                  char why[JG_WHY_MAX])
{
	const char *claim = p->identity.signin.groups_claim;
	json_t *v;
	size_t i;
	enum jg_err e;

	if (!groups)
		return JG_OK;
	if (!json_is_array(groups))
		return jg_gate_why(JG_EAUTH, why, "the groups claim '%.64s' is "
		                   "not a list", claim);
	json_array_foreach(groups, i, v) {
		if (!json_is_string(v))
			return jg_gate_why(JG_EAUTH, why, "the groups claim "
			                   "'%.64s' holds something other than "
			                   "group names", claim);
		if ((e = take_group(p, who, json_string_value(v), why)) !=
		    JG_OK)
			return e;
	}
	return JG_OK;
}

enum jg_err jg_gate_signin_person(const struct jg_policy *p,
                                  const json_t *claims,
                                  struct jg_session *out,
                                  char why[JG_WHY_MAX])
{
	const struct jg_signin *s = &p->identity.signin;
	const char *name = json_string_value(
	        json_object_get(claims, s->principal_claim));
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	json_t *at = json_object_get(claims, "auth_time");
	enum jg_err e;

	if (!sub || !*sub || strlen(sub) >= sizeof(out->subject))
		return jg_gate_why(JG_EAUTH, why, "the ID token has no usable "
		                   "subject (sub)");
	if (!name || !jg_name_valid(name, 1))
		return jg_gate_why(JG_EAUTH, why, "the claim '%.64s' does not "
		                   "hold a usable principal name (1 to %d of "
		                   "A-Z a-z 0-9 . _ - @)",
		                   s->principal_claim, JG_NAME_MAX - 1);
	if ((e = domain_ok(s, claims, why)) != JG_OK)
		return e;
	snprintf(out->who.name, sizeof(out->who.name), "%s", name);
	/* an email names one mailbox whatever its case: one person must not
	 * count twice towards "2 of dba" as Bob@ and bob@ */
	if (strcmp(s->principal_claim, "email") == 0)
		for (char *c = out->who.name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	snprintf(out->subject, sizeof(out->subject), "%s", sub);
	snprintf(out->issuer, sizeof(out->issuer), "%s", iss ? iss : s->issuer);
	if (!json_is_integer(at))
		at = json_object_get(claims, "iat");
	out->who.auth_time = json_is_integer(at) ? json_integer_value(at) : 0;
	if (out->who.auth_time <= 0)
		return jg_gate_why(JG_EAUTH, why, "the ID token says neither "
		                   "auth_time nor iat");
	out->who.mfa = used_mfa(claims);
	return jg_gate_signin_groups(p, json_object_get(claims,
	                                                s->groups_claim),
	                             &out->who, why);
}
