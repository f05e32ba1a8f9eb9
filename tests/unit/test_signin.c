/*
 * test_signin.c - people's sign-in through the identity provider: the
 * policy's identity.signin section and step_up keys (loader, file:line
 * errors, defaults).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "policy/load.h"

#define HEAD                                                               \
	"version: 1\n"                                                     \
	"groups:\n"                                                        \
	"  dba: {members: []}\n"                                           \
	"  security: {members: []}\n"                                      \
	"resources:\n"                                                     \
	"  db: {actions: [write], step_up: {mfa: true}}\n"                 \
	"rules:\n"                                                         \
	"  - name: db\n"                                                   \
	"    match: {resource: db}\n"                                      \
	"    steps: [{group: security, count: 1}]\n"                       \
	"    step_up: {within: 10m, mfa: true}\n"

/* line 12 is the first after HEAD */
#define SIGNIN                                                             \
	"identity:\n"                                                      \
	"  signin:\n"                                                      \
	"    issuer: http://127.0.0.1:9000\n"                              \
	"    client_id: jitgate\n"                                         \
	"    redirect_url: http://127.0.0.1:8080/v1/auth/oidc/callback\n"

static struct jg_policy *load(const char *yaml, char *err, size_t len)
{
	struct jg_policy *p = NULL;

	err[0] = '\0';
	jg_policy_parse("signin.yaml", yaml, strlen(yaml), &p, err, len);
	return p;
}

/* The policy HEAD + SIGNIN + extra is refused with a message holding
 * `want` (which names the file and line). */
static void refused(const char *extra, const char *want)
{
	char yaml[4096], err[512];
	struct jg_policy *p;

	snprintf(yaml, sizeof(yaml), "%s%s%s", HEAD, SIGNIN, extra);
	p = load(yaml, err, sizeof(err));
	if (p) {
		jg_policy_free(p);
		fail_msg("accepted: %s", extra);
	}
	if (!strstr(err, want))
		fail_msg("message '%s', expected '%s'", err, want);
}

static void signin_defaults(void **state)
{
	char err[512];
	struct jg_policy *p;
	const struct jg_signin *s;

	(void)state;
	p = load(HEAD SIGNIN, err, sizeof(err));
	if (!p)
		fail_msg("refused: %s", err);
	s = &p->identity.signin;
	assert_true(s->enabled);
	assert_string_equal(s->issuer, "http://127.0.0.1:9000");
	assert_string_equal(s->client_id, "jitgate");
	assert_null(s->client_secret_file);
	assert_string_equal(s->principal_claim, "email");
	assert_string_equal(s->groups_claim, "groups");
	assert_int_equal(s->nscopes, 3);
	assert_string_equal(s->scopes[0], "openid");
	assert_int_equal(s->session_ttl, 8 * 3600);
	assert_true(s->token_signin);
	assert_false(s->userinfo);
	assert_int_equal(p->rules[0].step_up.within, 600);
	assert_true(p->rules[0].step_up.mfa);
	assert_int_equal(p->resources[0].step_up.within, 0);
	assert_true(p->resources[0].step_up.mfa);
	jg_policy_free(p);
}

static void signin_everything(void **state)
{
	char err[512];
	struct jg_policy *p;
	const struct jg_signin *s;

	(void)state;
	p = load(HEAD SIGNIN
	         "    client_secret_file: /etc/jitgate/oidc.secret\n"
	         "    ca_file: /etc/ssl/corp.pem\n"
	         "    principal_claim: preferred_username\n"
	         "    groups_claim: https://example.com/groups\n"
	         "    scopes: [openid, email, groups]\n"
	         "    email_domains: [example.com, example.org]\n"
	         "    group_map: {\"Database Admins\": dba}\n"
	         "    role_map: {jitgate-admins: admin, audit: auditor}\n"
	         "    session_ttl: 1h\n"
	         "    token_signin: false\n"
	         "    userinfo: true\n",
	         err, sizeof(err));
	if (!p)
		fail_msg("refused: %s", err);
	s = &p->identity.signin;
	assert_string_equal(s->client_secret_file, "/etc/jitgate/oidc.secret");
	assert_string_equal(s->principal_claim, "preferred_username");
	assert_string_equal(s->groups_claim, "https://example.com/groups");
	assert_int_equal(s->nscopes, 3);
	assert_int_equal(s->nemail_domains, 2);
	assert_int_equal(s->ngroup_map, 1);
	assert_string_equal(s->group_map[0].from, "Database Admins");
	assert_string_equal(s->group_map[0].to, "dba");
	assert_int_equal(s->nrole_map, 2);
	assert_string_equal(s->role_map[1].to, "auditor");
	assert_int_equal(s->session_ttl, 3600);
	assert_false(s->token_signin);
	assert_true(s->userinfo);
	jg_policy_free(p);
}

static void signin_refusals(void **state)
{
	char yaml[1024], err[512];
	struct jg_policy *p;

	(void)state;
	refused("    client_secret: hunter2\n",
	        "signin.yaml:17: identity.signin: unknown key 'client_secret'");
	refused("    group_map: {Admins: nobody}\n",
	        "signin.yaml:17: identity.signin: group 'nobody' is not defined");
	refused("    role_map: {Admins: root}\n",
	        "signin.yaml:17: identity.signin: role 'root' is not one of");
	refused("    scopes: [email]\n",
	        "signin.yaml:17: identity.signin: 'scopes' must hold openid");
	refused("    session_ttl: 10s\n", "signin.yaml:17:");
	refused("    client_secret_file: oidc.secret\n",
	        "must be an absolute path");
	refused("    groups_claim: \"a b\"\n", "is not a claim name");
	refused("    token_signin: maybe\n", "is not true or false");
	/* a plain-http issuer off loopback, a wrong callback path */
	snprintf(yaml, sizeof(yaml),
	         "%sidentity:\n  signin:\n    issuer: http://login.example.com\n"
	         "    client_id: j\n"
	         "    redirect_url: https://j.example.com/v1/auth/oidc/callback\n",
	         HEAD);
	assert_null(p = load(yaml, err, sizeof(err)));
	assert_non_null(strstr(err, "signin.yaml:14: identity.signin: 'issuer' "
	                            "'http://login.example.com' must be an https URL"));
	snprintf(yaml, sizeof(yaml),
	         "%sidentity:\n  signin:\n    issuer: https://login.example.com\n"
	         "    client_id: j\n"
	         "    redirect_url: https://j.example.com/callback\n",
	         HEAD);
	assert_null(p = load(yaml, err, sizeof(err)));
	assert_non_null(strstr(err, "signin.yaml:16:"));
	assert_non_null(strstr(err, "must end with /v1/auth/oidc/callback"));
	/* required keys */
	snprintf(yaml, sizeof(yaml),
	         "%sidentity:\n  signin:\n    issuer: https://login.example.com\n",
	         HEAD);
	assert_null(p = load(yaml, err, sizeof(err)));
	assert_non_null(strstr(err, "client_id"));
}

static void step_up_refusals(void **state)
{
	char err[512];
	struct jg_policy *p;

	(void)state;
	p = load("version: 1\nresources:\n  db: {actions: [w], step_up: {}}\n",
	         err, sizeof(err));
	assert_null(p);
	assert_non_null(strstr(err, "signin.yaml:3: resource 'db': 'step_up' "
	                            "asks nothing"));
	p = load("version: 1\nresources:\n  db: {actions: [w]}\nrules:\n"
	         "  - name: r\n    match: {resource: db}\n    decision: auto\n"
	         "    step_up: {within: 10m, mfa: yes}\n",
	         err, sizeof(err));
	assert_null(p);
	assert_non_null(strstr(err, "signin.yaml:8: rule 'r' step_up: 'mfa' "
	                            "'yes' is not true or false"));
	p = load("version: 1\nresources:\n  db: {actions: [w]}\nrules:\n"
	         "  - name: r\n    match: {resource: db}\n    decision: auto\n"
	         "    step_up: {within: 5s}\n",
	         err, sizeof(err));
	assert_null(p);
	assert_non_null(strstr(err, "'within' must be at least 1m"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signin_defaults),
		cmocka_unit_test(signin_everything),
		cmocka_unit_test(signin_refusals),
		cmocka_unit_test(step_up_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
