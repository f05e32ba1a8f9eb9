/*
 * test_signin.c - people's sign-in through the identity provider: the
 * policy's identity.signin section and step_up keys (loader, file:line
 * errors, defaults); an ID token's claims to a person (principal, email
 * domain, groups a list or refused, group and role maps, auth_time, MFA
 * from amr/acr); pending sign-ins (single use, bound to a browser,
 * expiring); step-up in the review use case (SQLite, and PostgreSQL when
 * JITGATE_TEST_PG is set).
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
#include "gate/gate.h"
#include "gate/internal.h" /* the claims mapping, below the gate's API */
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"
#include "gatefx.h"

#define T0 1800000000LL

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

/* ---- claims to a person ------------------------------------------------ */

static struct jg_policy *claims_policy(void)
{
	char err[512];
	struct jg_policy *p = load(HEAD SIGNIN
	                           "    email_domains: [example.com]\n"
	                           "    group_map: {\"DB Admins\": dba}\n"
	                           "    role_map: {jg-admins: admin}\n",
	                           err, sizeof(err));
	if (!p)
		fail_msg("refused: %s", err);
	return p;
}

/* The claims (JSON text) under claims_policy: the result, s and why. */
static enum jg_err person_of(const char *text, struct jg_session *s,
                             char why[JG_WHY_MAX])
{
	struct jg_policy *p = claims_policy();
	json_t *c = json_loads(text, 0, NULL);
	enum jg_err e;

	if (!c)
		fail_msg("test JSON: %s", text);
	memset(s, 0, sizeof(*s));
	why[0] = '\0';
	e = jg_gate_signin_person(p, c, s, why);
	json_decref(c);
	jg_policy_free(p);
	return e;
}

static void claims_mapped(void **state)
{
	struct jg_session s;
	char why[JG_WHY_MAX];

	(void)state;
	assert_int_equal(person_of("{\"sub\":\"u1\",\"iss\":\"http://op\","
	                           "\"email\":\"a@Example.COM\",\"auth_time\":"
	                           "1700000000,\"amr\":[\"pwd\",\"otp\"],"
	                           "\"groups\":[\"DB Admins\",\"security\","
	                           "\"jg-admins\",\"unknown group\","
	                           "\"security\"]}",
	                           &s, why),
	                 JG_OK);
	assert_string_equal(s.who.name, "a@example.com"); /* one case */
	assert_string_equal(s.subject, "u1");
	assert_string_equal(s.issuer, "http://op");
	assert_int_equal(s.who.auth_time, 1700000000);
	assert_true(s.who.mfa);
	/* mapped, kept when the policy defines it, once each */
	assert_int_equal(s.who.ngroups, 2);
	assert_string_equal(s.who.groups[0], "dba");
	assert_string_equal(s.who.groups[1], "security");
	assert_int_equal(s.who.roles, JG_ROLE_ADMIN);
	/* no second factor; auth_time from iat when absent; acr mfa */
	assert_int_equal(person_of("{\"sub\":\"u\",\"email\":\"b@example.com\","
	                           "\"iat\":5,\"amr\":[\"pwd\"]}",
	                           &s, why),
	                 JG_OK);
	assert_false(s.who.mfa);
	assert_int_equal(s.who.auth_time, 5);
	assert_int_equal(s.who.ngroups, 0);
	assert_int_equal(person_of("{\"sub\":\"u\",\"email\":\"b@example.com\","
	                           "\"iat\":5,\"acr\":\"mfa\"}",
	                           &s, why),
	                 JG_OK);
	assert_true(s.who.mfa);
}

static void claims_refused(void **state)
{
	static const struct {
		const char *claims, *why;
	} bad[] = {
		{"{\"sub\":\"u\",\"email\":\"a@example.com\",\"iat\":5,"
		 "\"groups\":\"dba\"}", "the groups claim 'groups' is not a list"},
		{"{\"sub\":\"u\",\"email\":\"a@example.com\",\"iat\":5,"
		 "\"groups\":[\"dba\",7]}", "holds something other than group"},
		{"{\"sub\":\"u\",\"email\":\"a@evil.example\",\"iat\":5}",
		 "email domain 'evil.example' may not sign in"},
		{"{\"sub\":\"u\",\"email\":\"a@example.com\",\"iat\":5,"
		 "\"email_verified\":false}", "not verified the email"},
		{"{\"email\":\"a@example.com\",\"iat\":5}", "no usable subject"},
		{"{\"sub\":\"u\",\"email\":\"a b@example.com\",\"iat\":5}",
		 "does not hold a usable principal name"},
		{"{\"sub\":\"u\",\"email\":\"a@example.com\"}",
		 "neither auth_time nor iat"},
	};
	struct jg_session s;
	char why[JG_WHY_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(person_of(bad[i].claims, &s, why), JG_EAUTH);
		if (!strstr(why, bad[i].why))
			fail_msg("%s: why '%s', expected '%s'", bad[i].claims,
			         why, bad[i].why);
	}
}

/* ---- pending sign-ins --------------------------------------------------- */

static void pending_single_use_and_bound(void **state)
{
	struct jg_policy *p = claims_policy();
	struct jg_gate *g = NULL;
	struct jg_signin_start a, b, got;
	char why[JG_WHY_MAX];

	(void)state;
	assert_int_equal(jg_gate_new(NULL, p, NULL, &g), JG_OK);
	assert_int_equal(jg_gate_signin_begin(g, "/#/inbox", "10.0.0.1", T0, &a), JG_OK);
	assert_int_equal(strlen(a.verifier), 43);
	assert_int_equal(strlen(a.challenge), 43);
	assert_string_not_equal(a.state, a.nonce);
	/* another browser's cookie: refused, and the state is burnt */
	assert_int_equal(jg_gate_signin_begin(g, NULL, "10.0.0.1", T0, &b), JG_OK);
	assert_int_equal(jg_gate_signin_take(g, b.state, a.bind, T0, &got, why),
	                 JG_EAUTH);
	assert_non_null(strstr(why, "another browser"));
	assert_int_equal(jg_gate_signin_take(g, b.state, b.bind, T0, &got, why),
	                 JG_EAUTH);
	assert_non_null(strstr(why, "unknown or was already used"));
	/* the right browser, once */
	assert_int_equal(jg_gate_signin_take(g, a.state, a.bind, T0 + 1, &got,
	                                     why),
	                 JG_OK);
	assert_string_equal(got.nonce, a.nonce);
	assert_string_equal(got.verifier, a.verifier);
	assert_string_equal(got.next, "/#/inbox");
	assert_int_equal(jg_gate_signin_take(g, a.state, a.bind, T0 + 1, &got,
	                                     why),
	                 JG_EAUTH);
	/* too late */
	assert_int_equal(jg_gate_signin_begin(g, NULL, "10.0.0.1", T0, &a), JG_OK);
	assert_int_equal(jg_gate_signin_take(g, a.state, a.bind,
	                                     T0 + JG_LOGIN_TTL, &got, why),
	                 JG_EAUTH);
	assert_non_null(strstr(why, "took longer"));
	/* one address cannot fill the table: 32 in progress, then busy;
	 * another address still starts one */
	for (int i = 0; i < JG_LOGINS_PER_PEER; i++)
		assert_int_equal(jg_gate_signin_begin(g, NULL, "10.0.0.9",
		                                      T0 + 10, &a),
		                 JG_OK);
	assert_int_equal(jg_gate_signin_begin(g, NULL, "10.0.0.9", T0 + 10, &a),
	                 JG_EBUSY);
	assert_int_equal(jg_gate_signin_begin(g, NULL, "10.0.0.8", T0 + 10, &a),
	                 JG_OK);
	/* ... until they expire */
	assert_int_equal(jg_gate_signin_begin(g, NULL, "10.0.0.9",
	                                      T0 + 10 + JG_LOGIN_TTL, &a),
	                 JG_OK);
	jg_gate_free(g);
}

/* ---- step-up in the review use case ------------------------------------ */

/* risky: the rule asks 10m with MFA; calm: the resource asks 1h; plain:
 * nothing asked. */
static const char gate_policy[] =
	"version: 1\n"
	"groups:\n"
	"  security: {members: [tok]}\n"
	"resources:\n"
	"  db: {actions: [write, read]}\n"
	"  calm: {actions: [write], step_up: {within: 1h}}\n"
	"  plain: {actions: [write]}\n"
	"rules:\n"
	"  - name: risky\n"
	"    match: {resource: db, action: write}\n"
	"    steps: [{group: security, count: 1}]\n"
	"    step_up: {within: 10m, mfa: true}\n"
	"  - name: calm\n"
	"    match: {resource: calm}\n"
	"    steps: [{group: security, count: 1}]\n"
	"    step_up: {within: 2h}\n"
	"  - name: plain\n"
	"    match: {resource: plain}\n"
	"    steps: [{group: security, count: 1}]\n";

struct fx {
	struct gatefx x; /* the database */
	struct jg_gate *g;
};

static int gate_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	gatefx_open(&f->x, 0);
	f->g = gatefx_gate(&f->x, gate_policy, 0);
	*state = f;
	return 0;
}

static int gate_teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	gatefx_close(&f->x);
	free(f);
	return 0;
}

static struct jg_principal person(const char *name, int64_t auth_time,
                                  int mfa)
{
	struct jg_principal p = {.ngroups = 1, .auth_time = auth_time,
	                         .mfa = mfa};

	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.groups[0], sizeof(p.groups[0]), "security");
	return p;
}

/* A new pending request on resource res, action act, by alice. */
static void ask(struct fx *f, const char *res, const char *act,
                char id[JG_ID_LEN])
{
	struct jg_principal alice = person("alice", 0, 0);
	struct jg_new_request in = {.resource = res, .action = act,
	                            .reason = "INC-1"};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	if (jg_gate_request_create(f->g, &alice, &in, T0, &v, why) != JG_OK)
		fail_msg("create: %s", why);
	assert_int_equal(v.req.state, JG_REQ_PENDING);
	memcpy(id, v.req.id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

/* who approves id at now: the result, why filled. */
static enum jg_err approve(struct fx *f, const struct jg_principal *who,
                           const char *id, int64_t now, char why[JG_WHY_MAX])
{
	struct jg_request_view v;
	enum jg_err e;

	why[0] = '\0';
	e = jg_gate_review(f->g, who, id, 1, NULL, now, &v, why);
	if (e == JG_OK) {
		assert_int_equal(v.req.state, JG_REQ_APPROVED);
		jg_request_view_clear(&v);
	}
	return e;
}

static void expect_step_up(struct fx *f, const struct jg_principal *who,
                           const char *id, int64_t now, const char *want)
{
	char why[JG_WHY_MAX];

	assert_int_equal(approve(f, who, id, now, why), JG_ESTEPUP);
	if (!strstr(why, want))
		fail_msg("why '%s', expected '%s'", why, want);
}

static void step_up_refuses_then_allows(void **state)
{
	struct fx *f = *state;
	struct jg_principal tok = person("tok", 0, 0);
	struct jg_principal stale_mfa = person("carol", T0 - 11 * 60, 1);
	struct jg_principal fresh_pwd = person("bob", T0 - 60, 0);
	struct jg_principal fresh_mfa = person("carol", T0 - 60, 1);
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX];

	ask(f, "db", "write", id);
	/* a jitgate token proves no sign-in at all */
	expect_step_up(f, &tok, id, T0, "'tok' signed in with a jitgate token");
	expect_step_up(f, &stale_mfa, id, T0, "signed in too long ago");
	expect_step_up(f, &fresh_pwd, id, T0, "without a second factor");
	expect_step_up(f, &fresh_pwd, id, T0, "within the last 10m with a "
	                                      "second factor (MFA)");
	/* nothing was recorded by the refusals */
	assert_int_equal(jg_gate_request_get(f->g, &tok, id, &v, why), JG_OK);
	assert_int_equal(v.nreviews, 0);
	assert_int_equal(v.req.state, JG_REQ_PENDING);
	jg_request_view_clear(&v);
	/* fresh with MFA: approved */
	if (approve(f, &fresh_mfa, id, T0, why) != JG_OK)
		fail_msg("refused: %s", why);
}

static void step_up_stricter_of_rule_and_resource(void **state)
{
	struct fx *f = *state;
	/* the rule asks 2h, the resource 1h: 1h holds */
	struct jg_principal ninety = person("bob", T0 - 90 * 60, 1);
	struct jg_principal half = person("bob", T0 - 30 * 60, 0);
	struct jg_principal tok = person("tok", 0, 0);
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX];

	ask(f, "calm", "write", id);
	expect_step_up(f, &ninety, id, T0, "within the last 1h");
	if (approve(f, &half, id, T0, why) != JG_OK)
		fail_msg("refused: %s", why);
	/* no step-up asked: a token approves */
	ask(f, "plain", "write", id);
	if (approve(f, &tok, id, T0, why) != JG_OK)
		fail_msg("refused: %s", why);
	/* a token may still deny a step-up request */
	ask(f, "db", "write", id);
	assert_int_equal(jg_gate_review(f->g, &tok, id, 0, "too risky", T0, &v, why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_DENIED);
	jg_request_view_clear(&v);
}

/* A person's sessions: a browser's cookie and a CLI's "jgs_" bearer, each
 * only as itself, both ending at their ttl and on sign-out. */
static void person_sessions(void **state)
{
	struct fx *f = *state;
	struct jg_session s = {0};
	struct jg_principal who;
	char cookie[JG_TOKEN_LEN], bearer[JG_TOKEN_LEN], csrf[JG_SHA256_HEX];
	char csrf2[JG_SHA256_HEX];

	s.who = person("carol@example.com", T0 - 5, 1);
	snprintf(s.issuer, sizeof(s.issuer), "http://127.0.0.1:9");
	snprintf(s.subject, sizeof(s.subject), "carol");
	assert_int_equal(jg_gate_session_open_person(f->g, &s, 3600, T0, cookie,
	                                             csrf),
	                 JG_OK);
	assert_int_equal(strncmp(cookie, "jg_", 3), 0);
	s.cli = 1;
	assert_int_equal(jg_gate_session_open_person(f->g, &s, 3600, T0, bearer,
	                                             csrf2),
	                 JG_OK);
	assert_int_equal(strncmp(bearer, "jgs_", 4), 0);
	assert_int_equal(strlen(bearer), 47);
	/* the cookie: the person, as the provider said */
	assert_int_equal(jg_gate_session_auth(f->g, cookie, T0 + 1, &who, csrf2),
	                 JG_OK);
	assert_string_equal(who.name, "carol@example.com");
	assert_int_equal(who.auth_time, T0 - 5);
	assert_true(who.mfa);
	assert_int_equal(who.ngroups, 1);
	assert_string_equal(csrf2, csrf);
	/* the bearer: the same person, through jg_gate_authenticate */
	memset(&who, 0, sizeof(who));
	assert_int_equal(jg_gate_authenticate(f->g, bearer, T0 + 1, &who), JG_OK);
	assert_string_equal(who.name, "carol@example.com");
	assert_true(who.mfa);
	/* each only as itself */
	assert_int_equal(jg_gate_authenticate(f->g, cookie, T0 + 1, &who),
	                 JG_EAUTH);
	assert_int_equal(jg_gate_session_auth(f->g, bearer, T0 + 1, &who, csrf2),
	                 JG_EAUTH);
	/* the ttl ends them */
	assert_int_equal(jg_gate_authenticate(f->g, bearer, T0 + 3600, &who),
	                 JG_EAUTH);
	assert_int_equal(jg_gate_session_auth(f->g, cookie, T0 + 3600, &who,
	                                      csrf2),
	                 JG_EAUTH);
	/* sign-out ends the CLI's at once */
	assert_int_equal(jg_gate_session_close(f->g, bearer, &s.who, T0 + 2),
	                 JG_OK);
	assert_int_equal(jg_gate_authenticate(f->g, bearer, T0 + 2, &who),
	                 JG_EAUTH);
	assert_int_equal(jg_gate_authenticate(f->g, "jgs_nonsense", T0 + 2, &who),
	                 JG_EAUTH);
}

#define G(fn) cmocka_unit_test_setup_teardown(fn, gate_setup, gate_teardown)

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(signin_defaults),
		cmocka_unit_test(signin_everything),
		cmocka_unit_test(signin_refusals),
		cmocka_unit_test(step_up_refusals),
		cmocka_unit_test(claims_mapped),
		cmocka_unit_test(claims_refused),
		cmocka_unit_test(pending_single_use_and_bound),
	};
	const struct CMUnitTest gate[] = {
		G(step_up_refuses_then_allows),
		G(step_up_stricter_of_rule_and_resource),
		G(person_sessions),
	};
	int rc = cmocka_run_group_tests_name("signin policy", pure, NULL, NULL);

	rc += cmocka_run_group_tests_name("step-up on sqlite", gate, NULL,
	                                  NULL);
	if (tdb_pg_base())
		rc += cmocka_run_group_tests_name("step-up on postgres", gate,
		                                  tdb_pg_group_setup,
		                                  tdb_pg_group_teardown);
	return rc;
}
