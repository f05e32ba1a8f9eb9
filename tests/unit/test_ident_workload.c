/*
 * test_ident_workload.c - workload identity: the policy's
 * identity.workload list (loader, file:line errors) and the gate's use
 * of it (a platform token becomes a service principal through the first
 * matching binding; refusals; the verified-token cache; the audit
 * events; the issuer registry), against an issuer the test runs on
 * 127.0.0.1 (test_ident_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "gate/internal.h"
#include "policy/load.h"
#include "store/store.h"
#include "test_ident_fixture.h"
#include "testdb.h"
#include "gatefx.h"

#define T0 1800000000LL

#define HEAD                                                               \
	"version: 1\n"                                                     \
	"groups:\n"                                                        \
	"  deployers: {members: []}\n"                                     \
	"  readers: {members: []}\n"                                       \
	"resources:\n"                                                     \
	"  db: {actions: [read]}\n"                                        \
	"rules:\n"                                                         \
	"  - name: db\n"                                                   \
	"    match: {resource: db, requester: {groups: [deployers]}}\n"    \
	"    steps: [{group: readers, count: 1}]\n"

/* line 11 is the first after HEAD */
#define WORKLOAD(iss)                                                      \
	"identity:\n"                                                      \
	"  workload:\n"                                                    \
	"    - issuer: " iss "\n"                                          \
	"      audience: jitgate\n"                                        \
	"      bindings:\n"                                                \
	"        - claims: {repository: acme/payments, ref: refs/heads/main,"\
	" environment: prod}\n"                                            \
	"          principal: ci-payments-deploy\n"                        \
	"          groups: [deployers]\n"                                  \
	"        - claims: {repository: acme/payments, ref: \"refs/heads/release-*\"}\n" \
	"          principal: ci-payments-release\n"

static struct jg_policy *load(const char *yaml, char *err, size_t len)
{
	struct jg_policy *p = NULL;

	err[0] = '\0';
	jg_policy_parse("wl.yaml", yaml, strlen(yaml), &p, err, len);
	return p;
}

/* HEAD + text is refused with a message holding want. */
static void refused_policy(const char *text, const char *want)
{
	char yaml[4096], err[512];
	struct jg_policy *p;

	snprintf(yaml, sizeof(yaml), "%s%s", HEAD, text);
	if ((p = load(yaml, err, sizeof(err)))) {
		jg_policy_free(p);
		fail_msg("accepted: %s", text);
	}
	if (!strstr(err, want))
		fail_msg("message '%s', expected '%s'", err, want);
}

/* ---- the loader ---------------------------------------------------------------- */

static void workload_loads(void **state)
{
	char err[512];
	struct jg_policy *p;
	const struct jg_workload_issuer *w;

	(void)state;
	p = load(HEAD WORKLOAD("https://token.actions.githubusercontent.com")
	         "    - issuer: https://gitlab.example.com\n"
	         "      audience: https://jitgate.example.com\n"
	         "      jwks_url: https://gitlab.example.com/oauth/discovery/keys\n"
	         "      ca_file: /etc/ssl/corp.pem\n"
	         "      bindings:\n"
	         "        - claims: {project_path: acme/payments, ref_protected: true}\n"
	         "          principal: gl-deploy\n",
	         err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	assert_int_equal(p->identity.nworkload, 2);
	w = &p->identity.workload[0];
	assert_string_equal(w->issuer,
	                    "https://token.actions.githubusercontent.com");
	assert_string_equal(w->audience, "jitgate");
	assert_null(w->jwks_url);
	assert_null(w->ca_file);
	assert_int_equal(w->nbindings, 2);
	assert_int_equal(w->bindings[0].nclaims, 3);
	assert_string_equal(w->bindings[0].claims[1].claim, "ref");
	assert_string_equal(w->bindings[0].claims[1].value, "refs/heads/main");
	assert_string_equal(w->bindings[0].principal, "ci-payments-deploy");
	assert_int_equal(w->bindings[0].ngroups, 1);
	assert_string_equal(w->bindings[0].groups[0], "deployers");
	assert_int_equal(w->bindings[0].line, 16);
	assert_int_equal(w->bindings[1].ngroups, 0);
	assert_string_equal(w->bindings[1].claims[1].value,
	                    "refs/heads/release-*");
	w = &p->identity.workload[1];
	assert_string_equal(w->jwks_url,
	                    "https://gitlab.example.com/oauth/discovery/keys");
	assert_string_equal(w->ca_file, "/etc/ssl/corp.pem");
	assert_string_equal(w->bindings[0].claims[1].value, "true");
	jg_policy_free(p);
}

static void workload_refusals(void **state)
{
	(void)state;
	refused_policy(WORKLOAD("http://ci.example.com"),
	               "wl.yaml:13: identity.workload entry 1: 'issuer' "
	               "'http://ci.example.com' must be an https URL");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      bindings: [{claims: {sub: x}, principal: p}]\n",
	               "wl.yaml:13: identity.workload entry 1: missing key "
	               "'audience'");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n"
	               "      bindings: [{claims: {ref: \"refs/*/main\"}, "
	               "principal: p}]\n",
	               "wl.yaml:15: identity.workload entry 1 binding 1: claim "
	               "'ref': '*' may only end a value");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n"
	               "      bindings: [{claims: {ref: \"*\"}, principal: p}]\n",
	               "'*' alone would match any token");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n"
	               "      bindings: [{claims: {}, principal: p}]\n",
	               "'claims' must name at least one claim");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n"
	               "      bindings: [{claims: {sub: x}, principal: p, "
	               "groups: [nobody]}]\n",
	               "group 'nobody' is not defined");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n      bindings: []\n",
	               "'bindings' must hold at least one binding");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n"
	               "      bindings: [{claims: {sub: x}}]\n",
	               "principal");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n      bindings: [{claims: {sub: x}, "
	               "principal: p, role: admin}]\n",
	               "unknown key 'role'");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n"
	               "      bindings: [{claims: {\"a b\": x}, principal: p}]\n",
	               "is not a claim name");
	refused_policy("identity:\n  workload:\n    - issuer: https://a.example\n"
	               "      audience: j\n"
	               "      bindings: [{claims: [sub], principal: p}]\n",
	               "'claims' must be a map");
	refused_policy("identity:\n  workload:\n"
	               "    - {issuer: https://a.example, audience: j, "
	               "bindings: [{claims: {sub: x}, principal: p}]}\n"
	               "    - {issuer: https://a.example, audience: k, "
	               "bindings: [{claims: {sub: y}, principal: q}]}\n",
	               "wl.yaml:14: identity.workload: issuer "
	               "'https://a.example' is listed twice (first at line 13)");
	refused_policy("identity:\n  workload: {issuer: https://a.example}\n",
	               "'workload' must be a list");
}

/* ---- the gate -------------------------------------------------------------------- */

static struct tkey KEY, OTHER;

struct fx {
	struct op op;
	struct gatefx x; /* the database */
	struct jg_gate *g;
};

static int gate_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char yaml[4096];

	if (!f)
		return -1;
	op_start(&f->op);
	op_set_jwks(&f->op, jwks_text(&KEY, 1));
	snprintf(yaml, sizeof(yaml), HEAD WORKLOAD("%s"), f->op.base);
	gatefx_open(&f->x, 0);
	f->g = gatefx_gate(&f->x, yaml, 0);
	*state = f;
	return 0;
}

static int gate_teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	gatefx_close(&f->x);
	op_free(&f->op);
	free(f);
	return 0;
}

static int64_t events(struct fx *f, const char *type)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE type = "
	         "'%s'", type);
	return tdb_int(f->x.path, sql);
}

/* A GitHub Actions token's claims (as GitHub sends them), from iss. */
static json_t *github(const char *iss, const char *ref, const char *env)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}",
	                 "iss", iss, "aud", "jitgate", "sub",
	                 "repo:acme/payments:environment:prod", "repository",
	                 "acme/payments", "repository_owner", "acme", "ref", ref,
	                 "environment", env, "job_workflow_ref",
	                 "acme/payments/.github/workflows/deploy.yml@refs/heads/main",
	                 "jti", "6f3c2b1e-1", "iat", (json_int_t)(T0 - 5), "nbf",
	                 (json_int_t)(T0 - 5), "exp", (json_int_t)(T0 + 300));
}

static enum jg_err auth(struct fx *f, const char *tok, int64_t now,
                        struct jg_principal *who, char why[JG_WHY_MAX])
{
	return jg_gate_authenticate_why(f->g, tok, now, who, why);
}

static void matched_binding_is_the_principal(void **state)
{
	struct fx *f = *state;
	char *tok = jws(&KEY, github(f->op.base, "refs/heads/main", "prod"));
	char why[JG_WHY_MAX];
	struct jg_principal who;

	assert_int_equal(auth(f, tok, T0, &who, why), JG_OK);
	assert_string_equal(who.name, "ci-payments-deploy");
	assert_int_equal(who.ngroups, 1);
	assert_string_equal(who.groups[0], "deployers");
	assert_int_equal(who.service, 1);
	assert_int_equal(who.roles, 0);
	assert_int_equal(events(f, "workload.authenticated"), 1);
	/* remembered: no second event, no second fetch, same principal */
	memset(&who, 0, sizeof(who));
	assert_int_equal(auth(f, tok, T0 + 10, &who, why), JG_OK);
	assert_string_equal(who.name, "ci-payments-deploy");
	assert_int_equal(events(f, "workload.authenticated"), 1);
	assert_int_equal(op_hits(&f->op, 1), 1);
	/* what the trail says, and never the token */
	char details[2048];
	tdb_text(f->x.path, "SELECT details FROM audit WHERE type = "
	         "'workload.authenticated'", details, sizeof(details));
	assert_non_null(strstr(details, "\"subject\":\"repo:acme/payments:"
	                                "environment:prod\""));
	assert_non_null(strstr(details, "\"jti\":\"6f3c2b1e-1\""));
	assert_non_null(strstr(details, "\"principal\":\"ci-payments-deploy\""));
	assert_null(strstr(details, strrchr(tok, '.') + 1));
	/* until it expires, even when remembered */
	assert_int_equal(auth(f, tok, T0 + 300 + JG_IDENT_LEEWAY, &who, why),
	                 JG_EAUTH);
	assert_non_null(strstr(why, "expired"));
	free(tok);
	/* the second binding: a prefix */
	tok = jws(&KEY, github(f->op.base, "refs/heads/release-2.1", "staging"));
	assert_int_equal(auth(f, tok, T0, &who, why), JG_OK);
	assert_string_equal(who.name, "ci-payments-release");
	assert_int_equal(who.ngroups, 0);
	free(tok);
}

static void no_binding_refused_with_reason(void **state)
{
	struct fx *f = *state;
	char *tok = jws(&KEY, github(f->op.base, "refs/heads/dev", "prod"));
	char why[JG_WHY_MAX];
	struct jg_principal who;

	assert_int_equal(auth(f, tok, T0, &who, why), JG_EAUTH);
	assert_non_null(strstr(why, f->op.base));
	assert_non_null(strstr(why, "matches no binding"));
	assert_non_null(strstr(why, "sub 'repo:acme/payments:environment:prod'"));
	assert_null(strstr(why, strrchr(tok, '.') + 1));
	assert_string_equal(who.name, "");
	assert_int_equal(events(f, "workload.refused"), 1);
	assert_int_equal(events(f, "workload.authenticated"), 0);
	free(tok);
}

static void bad_tokens_refused(void **state)
{
	struct fx *f = *state;
	struct tkey forger = OTHER;
	char why[JG_WHY_MAX], *tok;
	struct jg_principal who;
	json_t *c;

	/* an issuer not in the policy */
	tok = jws(&KEY, github("https://evil.example", "refs/heads/main", "prod"));
	assert_int_equal(auth(f, tok, T0, &who, why), JG_EAUTH);
	assert_non_null(strstr(why, "'https://evil.example', which is not "
	                            "trusted"));
	free(tok);
	/* forged: another key under the issuer's kid */
	snprintf(forger.kid, sizeof(forger.kid), "%s", KEY.kid);
	tok = jws(&forger, github(f->op.base, "refs/heads/main", "prod"));
	assert_int_equal(auth(f, tok, T0, &who, why), JG_EAUTH);
	assert_non_null(strstr(why, "signature does not verify"));
	free(tok);
	/* for another audience */
	c = github(f->op.base, "refs/heads/main", "prod");
	json_object_set_new(c, "aud", json_string("sigstore"));
	tok = jws(&KEY, c);
	assert_int_equal(auth(f, tok, T0, &who, why), JG_EAUTH);
	assert_non_null(strstr(why, "not for audience 'jitgate'"));
	free(tok);
	/* not a JWT at all, nor a jitgate token */
	assert_int_equal(auth(f, "a.b.c", T0, &who, why), JG_EAUTH);
	assert_int_equal(events(f, "workload.refused"), 4);
	assert_int_equal(events(f, "workload.authenticated"), 0);
}

static void refusals_audited_at_a_bounded_rate(void **state)
{
	struct fx *f = *state;
	char why[JG_WHY_MAX], details[1024];
	struct jg_principal who;

	for (int i = 0; i < 100; i++)
		assert_int_equal(auth(f, "x.y.z", T0 + i % 30, &who, why),
		                 JG_EAUTH);
	assert_int_equal(events(f, "workload.refused"), 10);
	/* the next minute's first event counts those left out */
	assert_int_equal(auth(f, "x.y.z", T0 + 60, &who, why), JG_EAUTH);
	assert_int_equal(events(f, "workload.refused"), 11);
	tdb_text(f->x.path, "SELECT details FROM audit WHERE type = "
	         "'workload.refused' ORDER BY seq DESC LIMIT 1", details,
	         sizeof(details));
	assert_non_null(strstr(details, "\"suppressed\":90"));
}

static void issuer_down_known_keys_work(void **state)
{
	struct fx *f = *state;
	char *a = jws(&KEY, github(f->op.base, "refs/heads/main", "prod"));
	char *b = jws(&KEY, github(f->op.base, "refs/heads/release-1", "prod"));
	char why[JG_WHY_MAX];
	struct jg_principal who;

	assert_int_equal(auth(f, a, T0, &who, why), JG_OK);
	op_stop(&f->op);
	/* a token never seen, signed with a cached key */
	assert_int_equal(auth(f, b, T0 + 5, &who, why), JG_OK);
	assert_string_equal(who.name, "ci-payments-release");
	free(a);
	free(b);
}

static void issuer_objects_kept_by_configuration(void **state)
{
	struct fx *f = *state;
	struct jg_ident_issuer_cfg a = { f->op.base, NULL, NULL };
	struct jg_ident_issuer_cfg b = { f->op.base, "https://k.example/jwks",
	                                 NULL };
	struct jg_ident_issuer *x = NULL, *y = NULL, *z = NULL;
	char why[JG_WHY_MAX];

	assert_int_equal(jg_gate_issuer(f->g, &a, &x, why), JG_OK);
	assert_int_equal(jg_gate_issuer(f->g, &a, &y, why), JG_OK);
	assert_ptr_equal(x, y);
	assert_int_equal(jg_gate_issuer(f->g, &b, &z, why), JG_OK);
	assert_ptr_not_equal(x, z);
	b.jwks_url = "http://k.example/jwks";
	assert_int_equal(jg_gate_issuer(f->g, &b, &z, why), JG_EINVAL);
	assert_null(z);
}

#define G(fn) cmocka_unit_test_setup_teardown(fn, gate_setup, gate_teardown)

int main(void)
{
	const struct CMUnitTest loader[] = {
	        cmocka_unit_test(workload_loads),
	        cmocka_unit_test(workload_refusals),
	};
	const struct CMUnitTest gate[] = {
	        G(matched_binding_is_the_principal),
	        G(no_binding_refused_with_reason),
	        G(bad_tokens_refused),
	        G(refusals_audited_at_a_bounded_rate),
	        G(issuer_down_known_keys_work),
	        G(issuer_objects_kept_by_configuration),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	KEY = tkey_new("RS256", "gh-1", 2048);
	OTHER = tkey_new("RS256", "gh-other", 2048);
	rc = cmocka_run_group_tests_name("workload policy", loader, NULL, NULL);
	rc += cmocka_run_group_tests_name("workload tokens on sqlite", gate,
	                                  NULL, NULL);
	EVP_PKEY_free(KEY.pkey);
	EVP_PKEY_free(OTHER.pkey);
	curl_global_cleanup();
	return rc;
}
