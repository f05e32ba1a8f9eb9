/*
 * test_screen.c - screening (src/core/screen.c): which rule applies to a
 * request, what each of its checks says, and the decision.
 *
 * The policies here are built by hand (struct jg_policy, jg_resource,
 * jg_rule filled in directly), so these tests do not depend on the YAML
 * loader; only the time zones come from the system tz database through
 * jg_tz_load. Every condition is tried at its edges: the first and last
 * value that passes and the first that does not. Nothing reads the clock:
 * every ask carries its own `now`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <regex.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/policy.h"
#include "core/tz.h"
#include "policy/load.h"
#include "policy/tzif.h"
#include "util/timefmt.h"

/* ---- the fixed part of every policy ------------------------------------ */

#define S(x) ((char *)(x))

/* Days of a window: bit 0 Sunday ... bit 6 Saturday. */
#define SUN (1 << 0)
#define MON (1 << 1)
#define TUE (1 << 2)
#define WED (1 << 3)
#define THU (1 << 4)
#define FRI (1 << 5)
#define SAT (1 << 6)
#define MON_FRI (MON | TUE | WED | THU | FRI)
#define MON_SUN (MON_FRI | SAT | SUN)

#define HM(h, m) ((h) * 60 + (m))

static struct jg_label prod_labels[] = {
	{.key = S("env"), .value = S("prod")},
	{.key = S("team"), .value = S("data")},
};
static struct jg_label staging_labels[] = {
	{.key = S("env"), .value = S("staging")},
};
static struct jg_label prod_upper_labels[] = {
	{.key = S("env"), .value = S("Prod")},
};
static char *db_actions[] = {S("sql.read"), S("sql.write")};
static char *app_actions[] = {S("fix.deploy"), S("service.restart")};
static char *vault_actions[] = {S("secret.read")};

static struct jg_resource resources[] = {
	{.name = S("prod-db"), .labels = prod_labels, .nlabels = 2,
	 .sensitivity = S("high"), .level = JG_HIGH, .actions = db_actions,
	 .nactions = 2, .line = 3},
	{.name = S("staging-db"), .labels = staging_labels, .nlabels = 1,
	 .sensitivity = S("low"), .level = JG_LOW, .actions = db_actions,
	 .nactions = 2, .line = 8},
	{.name = S("staging-app"), .labels = staging_labels, .nlabels = 1,
	 .sensitivity = S("medium"), .level = JG_MEDIUM,
	 .actions = app_actions, .nactions = 2, .line = 13},
	{.name = S("vault"), .labels = NULL, .nlabels = 0,
	 .sensitivity = S("critical"), .level = JG_CRITICAL,
	 .actions = vault_actions, .nactions = 1, .line = 18},
	{.name = S("shouty-db"), .labels = prod_upper_labels, .nlabels = 1,
	 .sensitivity = S("high"), .level = JG_HIGH, .actions = db_actions,
	 .nactions = 2, .line = 22},
};

static char *dba_members[] = {S("bob"), S("carol")};
static char *oncall_members[] = {S("alice")};
static struct jg_group groups[] = {
	{.name = S("dba"), .members = dba_members, .nmembers = 2, .line = 30},
	{.name = S("oncall"), .members = oncall_members, .nmembers = 1,
	 .line = 32},
	{.name = S("security"), .members = NULL, .nmembers = 0, .line = 34},
};

static struct jg_step dba_step[] = {{.group = "dba", .count = 1}};

static struct jg_policy the_policy;

/* The shared resources and groups with these rules (borrowed). */
static const struct jg_policy *policy(struct jg_rule *rules, size_t n)
{
	memset(&the_policy, 0, sizeof(the_policy));
	snprintf(the_policy.sha256, sizeof(the_policy.sha256), "%064d", 0);
	the_policy.resources = resources;
	the_policy.nresources = sizeof(resources) / sizeof(resources[0]);
	the_policy.groups = groups;
	the_policy.ngroups = sizeof(groups) / sizeof(groups[0]);
	the_policy.rules = rules;
	the_policy.nrules = n;
	return &the_policy;
}

/* A rule that matches everything, decides d, 1h max, 24h TTL. */
static struct jg_rule rule(const char *name, enum jg_decision d)
{
	struct jg_rule r;

	memset(&r, 0, sizeof(r));
	r.name = S(name);
	r.line = 40;
	r.decision = d;
	if (d == JG_DECIDE_REVIEW) {
		r.steps = dba_step;
		r.nsteps = 1;
	}
	r.max_duration = 3600;
	r.request_ttl = 24 * 3600;
	return r;
}

static struct jg_principal person(const char *name, const char *group1,
                                  const char *group2)
{
	struct jg_principal who;

	memset(&who, 0, sizeof(who));
	snprintf(who.name, sizeof(who.name), "%s", name);
	if (group1)
		snprintf(who.groups[who.ngroups++], JG_NAME_MAX, "%s", group1);
	if (group2)
		snprintf(who.groups[who.ngroups++], JG_NAME_MAX, "%s", group2);
	return who;
}

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;
	enum jg_err rc = jg_time_parse(rfc3339, &t);
	if (rc != JG_OK)
		print_error("bad time in test: %s\n", rfc3339);
	assert_int_equal(rc, JG_OK);
	return t;
}

/* Wednesday 2026-03-04 10:00 UTC. */
#define NOW_TEXT "2026-03-04T10:00:00Z"

static struct jg_ask ask_for(const char *resource, const char *action)
{
	struct jg_ask a;

	memset(&a, 0, sizeof(a));
	a.resource = resource;
	a.action = action;
	a.reason = "INC-42: repair the orders table";
	a.now = at(NOW_TEXT);
	return a;
}

/* ---- screening, and what every verdict must look like ------------------ */

static enum jg_err screen(const struct jg_policy *p,
                          const struct jg_principal *who,
                          const struct jg_ask *a, struct jg_verdict *v)
{
	enum jg_err rc;

	memset(v, 0xa5, sizeof(*v)); /* screening must set every field */
	rc = jg_policy_screen(p, who, a, v);
	assert_true(v->nchecks <= JG_CHECKS_MAX);
	assert_non_null(memchr(v->reason, '\0', sizeof(v->reason)));
	/* a verdict, and each documented error, comes with its sentence
	 * (a counting error is the counter's, not screening's, to explain) */
	if (rc == JG_OK || rc == JG_EUNKNOWN || rc == JG_EDURATION ||
	    rc == JG_EFORBIDDEN || rc == JG_EINVAL)
		assert_true(v->reason[0] != '\0');
	for (size_t i = 0; i < v->nchecks; i++) {
		const struct jg_check *c = &v->checks[i];
		assert_non_null(memchr(c->name, '\0', sizeof(c->name)));
		assert_non_null(memchr(c->message, '\0', sizeof(c->message)));
		assert_true(c->name[0] != '\0');
		assert_true(c->message[0] != '\0');
		assert_true(c->result == JG_PASS || c->result == JG_FLAG ||
		            c->result == JG_FAIL);
	}
	assert_true(v->flagged == 0 || v->flagged == 1);
	assert_true(v->break_glass == 0 || v->break_glass == 1);
	if (rc != JG_OK)
		assert_int_equal(v->decision, JG_DECIDE_DENY);
	return rc;
}

static const struct jg_check *find_check(const struct jg_verdict *v,
                                         const char *name)
{
	for (size_t i = 0; i < v->nchecks; i++)
		if (strcmp(v->checks[i].name, name) == 0)
			return &v->checks[i];
	return NULL;
}

/* Check `name` is there with result r and a message containing phrase. */
static void has_check(const struct jg_verdict *v, const char *name,
                         enum jg_result r, const char *phrase)
{
	const struct jg_check *c = find_check(v, name);

	if (!c) {
		print_error("no check '%s' among %zu\n", name, v->nchecks);
		fail();
	}
	if (c->result != r || (phrase && !strstr(c->message, phrase)))
		print_error("check '%s': %s \"%s\", want %s \"...%s...\"\n",
		            name, jg_result_name(c->result), c->message,
		            jg_result_name(r), phrase ? phrase : "");
	assert_int_equal(c->result, r);
	if (phrase)
		assert_non_null(strstr(c->message, phrase));
}

static void expect_reason(const struct jg_verdict *v, const char *phrase)
{
	if (!strstr(v->reason, phrase))
		print_error("reason \"%s\" lacks \"%s\"\n", v->reason, phrase);
	assert_non_null(strstr(v->reason, phrase));
}

/* Screen and expect JG_OK with decision d. */
static void expect_decision(const struct jg_policy *p,
                            const struct jg_principal *who,
                            const struct jg_ask *a, enum jg_decision d,
                            struct jg_verdict *v)
{
	enum jg_err rc = screen(p, who, a, v);
	if (rc != JG_OK || v->decision != d)
		print_error("got %s, %s (%s); want ok, %s\n", jg_strerror(rc),
		            jg_decision_name(v->decision), v->reason,
		            jg_decision_name(d));
	assert_int_equal(rc, JG_OK);
	assert_int_equal(v->decision, d);
}

/* Screen and expect the error e with phrase in the reason. */
static void expect_error(const struct jg_policy *p,
                         const struct jg_principal *who,
                         const struct jg_ask *a, enum jg_err e,
                         const char *phrase)
{
	struct jg_verdict v;
	enum jg_err rc = screen(p, who, a, &v);
	if (rc != e)
		print_error("got %s (%s), want %s\n", jg_strerror(rc), v.reason,
		            jg_strerror(e));
	assert_int_equal(rc, e);
	expect_reason(&v, phrase);
}

/* ---- time zones, read once --------------------------------------------- */

static struct jg_tz *paris, *utc;

static int load_zones(void **state)
{
	char err[256] = "";

	(void)state;
	if (jg_tz_load("Europe/Paris", &paris, err, sizeof(err)) != JG_OK ||
	    jg_tz_load("UTC", &utc, err, sizeof(err)) != JG_OK) {
		fprintf(stderr, "test_screen: %s\n", err);
		return -1;
	}
	return 0;
}

static int free_zones(void **state)
{
	(void)state;
	jg_tz_free(paris);
	jg_tz_free(utc);
	paris = utc = NULL;
	return 0;
}

/* ---- check builders ---------------------------------------------------- */

static void set_time(struct jg_rule *r, enum jg_mode mode, struct jg_tz *tz,
                     struct jg_window *w, size_t n, const char *text)
{
	r->time.set = 1;
	r->time.mode = mode;
	r->time.tz = tz;
	r->time.windows = w;
	r->time.nwindows = n;
	r->time.text = S(text);
}

static struct jg_cidr cidr(const char *text)
{
	struct jg_cidr c;
	char ip[64];
	const char *slash = strchr(text, '/');

	memset(&c, 0, sizeof(c));
	assert_non_null(slash);
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - text), text);
	c.prefix = atoi(slash + 1);
	c.family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(c.family, ip, c.addr), 1);
	return c;
}

static void set_source(struct jg_rule *r, enum jg_mode mode,
                       struct jg_cidr *c, size_t n)
{
	r->source.set = 1;
	r->source.mode = mode;
	r->source.cidrs = c;
	r->source.ncidrs = n;
}

/* The loader anchors ticket patterns: whole-string matches only. */
static void set_ticket(struct jg_rule *r, enum jg_mode mode,
                       const char *pattern, regex_t *re)
{
	char anchored[256];

	snprintf(anchored, sizeof(anchored), "^(%s)$", pattern);
	assert_int_equal(regcomp(re, anchored, REG_EXTENDED | REG_NOSUB), 0);
	r->ticket.set = 1;
	r->ticket.mode = mode;
	r->ticket.pattern = S(pattern);
	r->ticket.regex = re;
}

/* A fake request counter for the rate check. */
struct counter {
	size_t by_requester, by_resource;
	enum jg_err rc;
	int calls;
	int64_t since;
};

static enum jg_err fake_count(void *ctx, int64_t since, size_t *by_requester,
                              size_t *by_resource)
{
	struct counter *c = ctx;

	c->calls++;
	c->since = since;
	if (c->rc != JG_OK)
		return c->rc;
	*by_requester = c->by_requester;
	*by_resource = c->by_resource;
	return JG_OK;
}

/* ---- names ------------------------------------------------------------- */

static void test_result_and_decision_names(void **state)
{
	(void)state;
	assert_string_equal(jg_result_name(JG_PASS), "pass");
	assert_string_equal(jg_result_name(JG_FLAG), "flag");
	assert_string_equal(jg_result_name(JG_FAIL), "fail");
	assert_string_equal(jg_result_name((enum jg_result)3), "invalid");
	assert_string_equal(jg_result_name((enum jg_result)-1), "invalid");
	assert_string_equal(jg_decision_name(JG_DECIDE_DENY), "deny");
	assert_string_equal(jg_decision_name(JG_DECIDE_AUTO), "auto");
	assert_string_equal(jg_decision_name(JG_DECIDE_REVIEW), "review");
	assert_string_equal(jg_decision_name((enum jg_decision)3), "invalid");
	assert_string_equal(jg_decision_name((enum jg_decision)-1), "invalid");
}

static void test_level_names(void **state)
{
	static const char *const names[] = {"low", "medium", "high",
	                                    "critical"};
	(void)state;
	assert_int_equal(JG_LOW, 1);
	for (int i = JG_LOW; i <= JG_CRITICAL; i++) {
		assert_string_equal(jg_level_name(i), names[i - JG_LOW]);
		assert_int_equal(jg_level_parse(names[i - JG_LOW]), i);
		assert_int_equal(jg_level_parse(jg_level_name(i)), i);
	}
	/* out of range: never NULL, never a level */
	assert_non_null(jg_level_name(0));
	assert_non_null(jg_level_name(JG_CRITICAL + 1));
	assert_non_null(jg_level_name(-1));
	assert_int_equal(jg_level_parse(jg_level_name(0)), 0);
	assert_int_equal(jg_level_parse(jg_level_name(JG_CRITICAL + 1)), 0);
	/* exact names only */
	assert_int_equal(jg_level_parse("Low"), 0);
	assert_int_equal(jg_level_parse("HIGH"), 0);
	assert_int_equal(jg_level_parse("high "), 0);
	assert_int_equal(jg_level_parse("hig"), 0);
	assert_int_equal(jg_level_parse("highest"), 0);
	assert_int_equal(jg_level_parse(""), 0);
	assert_int_equal(jg_level_parse(NULL), 0);
}

/* ---- resource, action, duration: errors before any rule --------------- */

static void test_unknown_resource(void **state)
{
	struct jg_rule rules[] = {rule("all", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("nope-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	assert_int_equal(screen(p, &who, &a, &v), JG_EUNKNOWN);
	expect_reason(&v, "unknown resource 'nope-db'");
	assert_null(v.rule);
}

static void test_unknown_action(void **state)
{
	struct jg_rule rules[] = {rule("all", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.drop");
	struct jg_verdict v;

	(void)state;
	assert_int_equal(screen(p, &who, &a, &v), JG_EUNKNOWN);
	expect_reason(&v, "'prod-db'");
	expect_reason(&v, "'sql.drop'");
	/* an action of another resource is not one of this one */
	a = ask_for("prod-db", "secret.read");
	expect_error(p, &who, &a, JG_EUNKNOWN, "'secret.read'");
}

static void test_names_compare_exactly(void **state)
{
	struct jg_rule rules[3];
	const struct jg_policy *p;
	struct jg_principal alice = person("alice", "dba", NULL);
	struct jg_ask a;
	struct jg_verdict v;
	char *upper_users[] = {S("Alice")};
	char *upper_groups[] = {S("DBA")};
	char *prod_env[] = {S("prod")};

	(void)state;
	rules[0] = rule("upper-user", JG_DECIDE_AUTO);
	rules[0].users = upper_users;
	rules[0].nusers = 1;
	rules[1] = rule("upper-group", JG_DECIDE_AUTO);
	rules[1].groups = upper_groups;
	rules[1].ngroups = 1;
	rules[2] = rule("prod-env", JG_DECIDE_REVIEW);
	rules[2].envs = prod_env;
	rules[2].nenvs = 1;
	p = policy(rules, 3);

	a = ask_for("Prod-DB", "sql.read");
	expect_error(p, &alice, &a, JG_EUNKNOWN, "unknown resource 'Prod-DB'");
	a = ask_for("prod-db ", "sql.read");
	expect_error(p, &alice, &a, JG_EUNKNOWN, "unknown resource");
	a = ask_for("prod-db", "SQL.READ");
	expect_error(p, &alice, &a, JG_EUNKNOWN, "'SQL.READ'");
	a = ask_for("prod-db", "sql.read ");
	expect_error(p, &alice, &a, JG_EUNKNOWN, "has no action");

	/* user "Alice" is not alice, group "DBA" is not dba (token or policy),
	 * env "Prod" is not prod: only prod-db reaches the third rule */
	a = ask_for("prod-db", "sql.read");
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);
	assert_ptr_equal(v.rule, &rules[2]);
	a = ask_for("shouty-db", "sql.read");
	expect_decision(p, &alice, &a, JG_DECIDE_DENY, &v);
	assert_null(v.rule);
}

static void test_negative_duration(void **state)
{
	struct jg_rule rules[] = {rule("all", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");

	(void)state;
	a.duration = -1;
	expect_error(p, &who, &a, JG_EINVAL, "negative");
	a.duration = INT64_MIN;
	expect_error(p, &who, &a, JG_EINVAL, "negative");
	/* unknown targets are reported first */
	a = ask_for("nope", "sql.read");
	a.duration = -1;
	expect_error(p, &who, &a, JG_EUNKNOWN, "nope");
}

/* ---- rule choice and decisions ---------------------------------------- */

static void test_no_rule_default_deny(void **state)
{
	struct jg_rule rules[] = {rule("staging-only", JG_DECIDE_AUTO)};
	struct jg_label env_staging[] = {{S("env"), S("staging")}};
	const struct jg_policy *p;
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	rules[0].labels = env_staging;
	rules[0].nlabels = 1;
	for (size_t n = 0; n <= 1; n++) { /* no rules at all, or none match */
		p = policy(rules, n);
		expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
		assert_null(v.rule);
		expect_reason(&v, "no rule matches 'sql.read' on 'prod-db'");
		expect_reason(&v, "denied by default");
		assert_int_equal(v.nchecks, 1);
		has_check(&v, "rule", JG_FAIL, "denied by default");
		assert_int_equal(v.flagged, 0);
		assert_int_equal(v.break_glass, 0);
		assert_int_equal(v.duration, 0);
	}
	/* the matching resource gets the rule */
	a = ask_for("staging-db", "sql.write");
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	assert_ptr_equal(v.rule, &rules[0]);
}

static void test_decisions(void **state)
{
	struct jg_rule rules[1];
	const struct jg_policy *p;
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0] = rule("deny-all", JG_DECIDE_DENY);
	p = policy(rules, 1);
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	assert_ptr_equal(v.rule, &rules[0]);
	expect_reason(&v, "denied by rule 'deny-all'");
	has_check(&v, "rule", JG_PASS, "'deny-all' (line 40)");

	rules[0] = rule("auto-all", JG_DECIDE_AUTO);
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	expect_reason(&v, "approved automatically by rule 'auto-all'");
	assert_int_equal(v.flagged, 0);
	assert_int_equal(v.break_glass, 0);

	rules[0] = rule("review-all", JG_DECIDE_REVIEW);
	rules[0].request_ttl = 4 * 3600;
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	expect_reason(&v, "needs approval by rule 'review-all'");
	assert_int_equal(v.request_ttl, 4 * 3600);
	assert_int_equal(v.duration, 3600);
	has_check(&v, "duration", JG_PASS, NULL);
}

static void test_first_rule_wins(void **state)
{
	struct jg_rule rules[] = {rule("writes-denied", JG_DECIDE_DENY),
	                          rule("rest-auto", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 2);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0].action_glob = S("*.write");
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	assert_ptr_equal(v.rule, &rules[0]);
	a.action = "sql.read";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	assert_ptr_equal(v.rule, &rules[1]);
	/* the first rule's checks do not leak into the verdict */
	has_check(&v, "rule", JG_PASS, "'rest-auto'");
}

/* ---- duration ---------------------------------------------------------- */

static void test_duration_edges(void **state)
{
	struct jg_rule rules[] = {rule("prod-db-writes", JG_DECIDE_REVIEW)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0].max_duration = 30 * 60;

	a.duration = 30 * 60; /* equal: allowed */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.duration, 1800);
	has_check(&v, "duration", JG_PASS, "30m");

	a.duration = 30 * 60 + 1; /* one second more */
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
	expect_reason(&v, "duration 30m1s is above the maximum 30m");
	expect_reason(&v, "'prod-db-writes'");

	a.duration = 1; /* the shortest */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.duration, 1);

	a.duration = 0; /* none given: the rule's maximum */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.duration, 1800);

	a.duration = INT64_MAX;
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
	expect_reason(&v, "30m");
}

/* ---- source ------------------------------------------------------------ */

/* Screen with this source: 1 when it passes, 0 when it is denied. */
static int source_ok(const struct jg_policy *p, const char *source)
{
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	a.source_ip = source;
	assert_int_equal(screen(p, &who, &a, &v), JG_OK);
	const struct jg_check *c = find_check(&v, "source");
	assert_non_null(c);
	if (c->result == JG_PASS) {
		assert_int_equal(v.decision, JG_DECIDE_AUTO);
		return 1;
	}
	assert_int_equal(c->result, JG_FAIL);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	/* enforce: the check's sentence is the reason */
	expect_reason(&v, "denied by rule 'office'");
	expect_reason(&v, c->message);
	return 0;
}

static void test_source_ipv4_edges(void **state)
{
	struct jg_rule rules[] = {rule("office", JG_DECIDE_AUTO)};
	struct jg_cidr c[1];
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	c[0] = cidr("10.0.0.0/8");
	set_source(&rules[0], JG_MODE_ENFORCE, c, 1);
	assert_true(source_ok(p, "10.0.0.0"));
	assert_true(source_ok(p, "10.0.0.1"));
	assert_true(source_ok(p, "10.255.255.255"));
	assert_false(source_ok(p, "9.255.255.255"));
	assert_false(source_ok(p, "11.0.0.0"));
	assert_false(source_ok(p, "110.0.0.1"));

	a.source_ip = "11.0.0.0";
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "source", JG_FAIL, "source 11.0.0.0 is not in 10.0.0.0/8");
	a.source_ip = "10.255.255.255";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "source", JG_PASS, "10.255.255.255 is in 10.0.0.0/8");

	/* /32: exactly one address */
	c[0] = cidr("192.0.2.7/32");
	assert_true(source_ok(p, "192.0.2.7"));
	assert_false(source_ok(p, "192.0.2.6"));
	assert_false(source_ok(p, "192.0.2.8"));

	/* a prefix that is not a whole number of bytes */
	c[0] = cidr("172.16.0.0/12");
	assert_true(source_ok(p, "172.16.0.0"));
	assert_true(source_ok(p, "172.31.255.255"));
	assert_false(source_ok(p, "172.15.255.255"));
	assert_false(source_ok(p, "172.32.0.0"));
	c[0] = cidr("192.168.1.128/25");
	assert_true(source_ok(p, "192.168.1.128"));
	assert_true(source_ok(p, "192.168.1.255"));
	assert_false(source_ok(p, "192.168.1.127"));
	assert_false(source_ok(p, "192.168.2.128"));
	c[0] = cidr("192.168.1.0/31");
	assert_true(source_ok(p, "192.168.1.0"));
	assert_true(source_ok(p, "192.168.1.1"));
	assert_false(source_ok(p, "192.168.1.2"));

	/* /0: every IPv4 address, no IPv6 one */
	c[0] = cidr("0.0.0.0/0");
	assert_true(source_ok(p, "0.0.0.0"));
	assert_true(source_ok(p, "255.255.255.255"));
	assert_false(source_ok(p, "2001:db8::1"));
}

static void test_source_ipv6_edges(void **state)
{
	struct jg_rule rules[] = {rule("office", JG_DECIDE_AUTO)};
	struct jg_cidr c[1];
	const struct jg_policy *p = policy(rules, 1);

	(void)state;
	c[0] = cidr("2001:db8:1:2::/64");
	set_source(&rules[0], JG_MODE_ENFORCE, c, 1);
	assert_true(source_ok(p, "2001:db8:1:2::"));
	assert_true(source_ok(p, "2001:db8:1:2::1"));
	assert_true(source_ok(p, "2001:db8:1:2:ffff:ffff:ffff:ffff"));
	assert_true(source_ok(p, "2001:DB8:1:2:0:0:0:AB")); /* any spelling */
	assert_false(source_ok(p, "2001:db8:1:1:ffff:ffff:ffff:ffff"));
	assert_false(source_ok(p, "2001:db8:1:3::"));
	assert_false(source_ok(p, "2001:db8:1:2")); /* not an address */
	assert_false(source_ok(p, "10.0.0.1"));      /* other family */

	c[0] = cidr("2001:db8::42/128");
	assert_true(source_ok(p, "2001:db8::42"));
	assert_false(source_ok(p, "2001:db8::41"));
	assert_false(source_ok(p, "2001:db8::43"));

	c[0] = cidr("fd00::/7"); /* not on a byte boundary */
	assert_true(source_ok(p, "fc00::"));
	assert_true(source_ok(p, "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(source_ok(p, "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(source_ok(p, "fe00::"));
}

static void test_source_ipv4_mapped(void **state)
{
	struct jg_rule rules[] = {rule("office", JG_DECIDE_AUTO)};
	struct jg_cidr c[1];
	const struct jg_policy *p = policy(rules, 1);

	(void)state;
	c[0] = cidr("10.0.0.0/8");
	set_source(&rules[0], JG_MODE_ENFORCE, c, 1);
	/* a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d */
	assert_true(source_ok(p, "::ffff:10.0.0.0"));
	assert_true(source_ok(p, "::ffff:10.255.255.255"));
	assert_true(source_ok(p, "::FFFF:10.1.2.3"));
	assert_true(source_ok(p, "::ffff:a01:203")); /* same, in hex */
	assert_false(source_ok(p, "::ffff:11.0.0.0"));
	assert_false(source_ok(p, "::ffff:9.255.255.255"));
	/* IPv4-compatible (deprecated) and NAT64 forms are not IPv4 */
	assert_false(source_ok(p, "::10.0.0.1"));
	assert_false(source_ok(p, "64:ff9b::10.0.0.1"));
	assert_false(source_ok(p, "::fffe:10.0.0.1"));
}

static void test_source_unknown_fails(void **state)
{
	static const char *const bad[] = {
	    "", "not-an-ip", "10.0.0.1 ", " 10.0.0.1", "10.0.0.256",
	    "10.0.0", "10.0.0.1/32", "10.0.0.1:443", "[::1]", "fe80::1%eth0",
	};
	struct jg_rule rules[] = {rule("office", JG_DECIDE_AUTO)};
	struct jg_cidr c[1];
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	c[0] = cidr("0.0.0.0/0");
	set_source(&rules[0], JG_MODE_ENFORCE, c, 1);
	a.source_ip = NULL; /* absent: fails closed, even against /0 */
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "source", JG_FAIL, "unknown");
	expect_reason(&v, "source address (none) is unknown");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (source_ok(p, bad[i]))
			print_error("source '%s' passed\n", bad[i]);
		assert_false(source_ok(p, bad[i]));
	}
	/* in flag mode an unknown source is shown, not denied */
	rules[0].source.mode = JG_MODE_FLAG;
	a.source_ip = NULL;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "source", JG_FLAG, "unknown");
	assert_int_equal(v.flagged, 1);
}

static void test_source_several_cidrs(void **state)
{
	struct jg_rule rules[] = {rule("office", JG_DECIDE_AUTO)};
	struct jg_cidr c[3];
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	c[0] = cidr("10.0.0.0/8");
	c[1] = cidr("192.0.2.0/24");
	c[2] = cidr("2001:db8::/32");
	set_source(&rules[0], JG_MODE_ENFORCE, c, 3);
	assert_true(source_ok(p, "10.1.1.1"));
	assert_true(source_ok(p, "192.0.2.255"));
	assert_true(source_ok(p, "2001:db8:ffff::1"));
	assert_false(source_ok(p, "192.0.3.0"));
	a.source_ip = "192.0.2.9";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "source", JG_PASS, "is in 192.0.2.0/24");
	a.source_ip = "198.51.100.1"; /* the sentence lists every network */
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "source", JG_FAIL,
	             "not in 10.0.0.0/8, 192.0.2.0/24, 2001:db8::/32");
}

/* ---- time windows ------------------------------------------------------ */

/* Screen at `when`: 1 when the time check passes, 0 when it fails. */
static int time_ok(const struct jg_policy *p, const char *when,
                   const char *phrase)
{
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	a.now = at(when);
	assert_int_equal(screen(p, &who, &a, &v), JG_OK);
	const struct jg_check *c = find_check(&v, "time");
	assert_non_null(c);
	if (phrase && !strstr(c->message, phrase)) {
		print_error("%s: \"%s\" lacks \"%s\"\n", when, c->message,
		            phrase);
		fail();
	}
	if (c->result == JG_PASS) {
		assert_int_equal(v.decision, JG_DECIDE_AUTO);
		return 1;
	}
	assert_int_equal(c->result, JG_FAIL);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	expect_reason(&v, c->message);
	return 0;
}

static void test_time_window_edges(void **state)
{
	struct jg_rule rules[] = {rule("hours", JG_DECIDE_AUTO)};
	struct jg_window w[] = {{MON_FRI, HM(8, 0), HM(19, 0)}};
	const struct jg_policy *p = policy(rules, 1);

	(void)state;
	set_time(&rules[0], JG_MODE_ENFORCE, utc, w, 1, "Mon-Fri 08:00-19:00 UTC");
	/* the start minute is in, the end minute is out */
	assert_false(time_ok(p, "2026-03-04T07:59:59Z", "Wed 07:59 UTC is outside"));
	assert_true(time_ok(p, "2026-03-04T08:00:00Z", "Wed 08:00 UTC is within Mon-Fri 08:00-19:00 UTC"));
	assert_true(time_ok(p, "2026-03-04T18:59:59Z", "Wed 18:59"));
	assert_false(time_ok(p, "2026-03-04T19:00:00Z", "Wed 19:00 UTC is outside"));
	/* the days of the week */
	assert_true(time_ok(p, "2026-03-02T08:00:00Z", "Mon 08:00"));
	assert_true(time_ok(p, "2026-03-06T18:59:00Z", "Fri 18:59"));
	assert_false(time_ok(p, "2026-03-07T10:00:00Z", "Sat 10:00"));
	assert_false(time_ok(p, "2026-03-08T10:00:00Z", "Sun 10:00"));
	/* midnight belongs to the day that starts */
	assert_false(time_ok(p, "2026-03-04T00:00:00Z", "Wed 00:00"));
}

static void test_time_overnight(void **state)
{
	struct jg_rule rules[] = {rule("night", JG_DECIDE_AUTO)};
	struct jg_window w[] = {{MON, HM(22, 0), HM(6, 0)}};
	const struct jg_policy *p = policy(rules, 1);

	(void)state;
	set_time(&rules[0], JG_MODE_ENFORCE, utc, w, 1, "Mon 22:00-06:00 UTC");
	/* on the day: from 22:00 to midnight */
	assert_false(time_ok(p, "2026-03-02T21:59:59Z", "Mon 21:59"));
	assert_true(time_ok(p, "2026-03-02T22:00:00Z", "Mon 22:00"));
	assert_true(time_ok(p, "2026-03-02T23:59:59Z", "Mon 23:59"));
	/* the morning after, which is a Tuesday, not a listed day */
	assert_true(time_ok(p, "2026-03-03T00:00:00Z", "Tue 00:00"));
	assert_true(time_ok(p, "2026-03-03T05:59:59Z", "Tue 05:59"));
	assert_false(time_ok(p, "2026-03-03T06:00:00Z", "Tue 06:00"));
	/* Monday morning belongs to Sunday night, which is not listed */
	assert_false(time_ok(p, "2026-03-02T00:00:00Z", "Mon 00:00"));
	assert_false(time_ok(p, "2026-03-02T05:59:00Z", "Mon 05:59"));
	/* Tuesday evening is not listed either */
	assert_false(time_ok(p, "2026-03-03T22:00:00Z", "Tue 22:00"));

	/* every night of the week: Saturday night runs into Sunday */
	w[0].days = MON_SUN;
	assert_true(time_ok(p, "2026-03-08T03:00:00Z", "Sun 03:00"));
	assert_true(time_ok(p, "2026-03-07T22:30:00Z", "Sat 22:30"));
	assert_false(time_ok(p, "2026-03-07T12:00:00Z", "Sat 12:00"));
	assert_false(time_ok(p, "2026-03-08T06:00:00Z", "Sun 06:00"));
}

static void test_time_dst_paris(void **state)
{
	struct jg_rule rules[] = {rule("paris", JG_DECIDE_AUTO)};
	struct jg_window w[] = {{MON_SUN, HM(8, 0), HM(19, 0)}};
	const struct jg_policy *p = policy(rules, 1);

	(void)state;
	set_time(&rules[0], JG_MODE_ENFORCE, paris, w, 1,
	         "Mon-Sun 08:00-19:00 Europe/Paris");
	/* the day before spring forward: CET, UTC+1 */
	assert_false(time_ok(p, "2026-03-28T06:59:59Z", "Sat 07:59 Europe/Paris"));
	assert_true(time_ok(p, "2026-03-28T07:00:00Z", "Sat 08:00 Europe/Paris"));
	assert_true(time_ok(p, "2026-03-28T17:59:59Z", "Sat 18:59"));
	assert_false(time_ok(p, "2026-03-28T18:00:00Z", "Sat 19:00"));
	/* 2026-03-29, clocks go 02:00 -> 03:00: CEST, UTC+2 from 01:00Z */
	assert_false(time_ok(p, "2026-03-29T05:59:59Z", "Sun 07:59 Europe/Paris"));
	assert_true(time_ok(p, "2026-03-29T06:00:00Z", "Sun 08:00 Europe/Paris"));
	assert_true(time_ok(p, "2026-03-29T16:59:59Z", "Sun 18:59"));
	assert_false(time_ok(p, "2026-03-29T17:00:00Z", "Sun 19:00"));
	assert_false(time_ok(p, "2026-03-29T00:59:59Z", "Sun 01:59"));
	assert_false(time_ok(p, "2026-03-29T01:00:00Z", "Sun 03:00"));
	/* the day before fall back: CEST */
	assert_false(time_ok(p, "2026-10-24T05:59:59Z", "Sat 07:59"));
	assert_true(time_ok(p, "2026-10-24T06:00:00Z", "Sat 08:00"));
	/* 2026-10-25, clocks go 03:00 -> 02:00: CET, UTC+1 from 01:00Z */
	assert_false(time_ok(p, "2026-10-25T06:59:59Z", "Sun 07:59 Europe/Paris"));
	assert_true(time_ok(p, "2026-10-25T07:00:00Z", "Sun 08:00 Europe/Paris"));
	assert_true(time_ok(p, "2026-10-25T17:59:59Z", "Sun 18:59"));
	assert_false(time_ok(p, "2026-10-25T18:00:00Z", "Sun 19:00"));
	assert_false(time_ok(p, "2026-10-25T00:59:59Z", "Sun 02:59"));
	assert_false(time_ok(p, "2026-10-25T01:00:00Z", "Sun 02:00"));
	/* the local day, not the UTC day, picks the weekday */
	w[0].days = SUN;
	w[0].start = HM(0, 0);
	w[0].end = HM(1, 0);
	assert_true(time_ok(p, "2026-03-28T23:30:00Z", "Sun 00:30"));
	assert_false(time_ok(p, "2026-03-29T23:30:00Z", "Mon 01:30"));
}

static void test_time_several_windows(void **state)
{
	struct jg_rule rules[] = {rule("split", JG_DECIDE_AUTO)};
	struct jg_window w[] = {{MON_FRI, HM(8, 0), HM(12, 0)},
	                        {MON_FRI, HM(14, 0), HM(18, 0)},
	                        {SAT, HM(10, 0), HM(11, 0)}};
	const struct jg_policy *p = policy(rules, 1);

	(void)state;
	set_time(&rules[0], JG_MODE_ENFORCE, utc, w, 3, "split hours");
	assert_true(time_ok(p, "2026-03-04T11:59:00Z", NULL));
	assert_false(time_ok(p, "2026-03-04T12:00:00Z", NULL));
	assert_false(time_ok(p, "2026-03-04T13:59:00Z", NULL));
	assert_true(time_ok(p, "2026-03-04T14:00:00Z", NULL));
	assert_true(time_ok(p, "2026-03-07T10:00:00Z", NULL));
	assert_false(time_ok(p, "2026-03-07T11:00:00Z", NULL));
	assert_false(time_ok(p, "2026-03-08T10:00:00Z", NULL));
}

/* ---- justification and ticket ----------------------------------------- */

static int reason_ok(const struct jg_policy *p, const char *reason)
{
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	a.reason = reason;
	assert_int_equal(screen(p, &who, &a, &v), JG_OK);
	const struct jg_check *c = find_check(&v, "justification");
	assert_non_null(c);
	assert_int_equal(v.decision,
	                 c->result == JG_PASS ? JG_DECIDE_AUTO : JG_DECIDE_DENY);
	return c->result == JG_PASS;
}

static void test_justification_min_length(void **state)
{
	struct jg_rule rules[] = {rule("why", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	rules[0].justification.set = 1;
	rules[0].justification.mode = JG_MODE_ENFORCE;
	rules[0].justification.min_length = 10;
	assert_true(reason_ok(p, "0123456789"));
	assert_true(reason_ok(p, "0123456789a"));
	assert_false(reason_ok(p, "012345678"));
	assert_false(reason_ok(p, "   012345678   ")); /* spaces trimmed */
	assert_false(reason_ok(p, "\t\n012345678\n"));
	assert_true(reason_ok(p, "  01234 6789  ")); /* inner space counts */
	assert_false(reason_ok(p, "          "));
	assert_false(reason_ok(p, ""));
	assert_false(reason_ok(p, NULL));

	a.reason = "too short";
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "justification", JG_FAIL,
	             "justification has 9 characters (at least 10 required)");
	expect_reason(&v, "denied by rule 'why': justification has 9");

	rules[0].justification.min_length = 0;
	assert_true(reason_ok(p, NULL));
	assert_true(reason_ok(p, ""));
}

static int ticket_ok(const struct jg_policy *p, const char *ticket)
{
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	a.ticket = ticket;
	assert_int_equal(screen(p, &who, &a, &v), JG_OK);
	const struct jg_check *c = find_check(&v, "ticket");
	assert_non_null(c);
	assert_int_equal(v.decision,
	                 c->result == JG_PASS ? JG_DECIDE_AUTO : JG_DECIDE_DENY);
	return c->result == JG_PASS;
}

static void test_ticket_whole_string(void **state)
{
	struct jg_rule rules[] = {rule("ticketed", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;
	regex_t re;

	(void)state;
	set_ticket(&rules[0], JG_MODE_ENFORCE, "INC-[0-9]+|CHG-[0-9]{4}", &re);
	assert_true(ticket_ok(p, "INC-42"));
	assert_true(ticket_ok(p, "INC-0"));
	assert_true(ticket_ok(p, "CHG-1234"));
	assert_false(ticket_ok(p, "xINC-42"));   /* prefix junk */
	assert_false(ticket_ok(p, "INC-42x"));   /* suffix junk */
	assert_false(ticket_ok(p, " INC-42"));
	assert_false(ticket_ok(p, "INC-42\n"));
	assert_false(ticket_ok(p, "INC-42 CHG-1234"));
	assert_false(ticket_ok(p, "xCHG-1234")); /* anchors cover each branch */
	assert_false(ticket_ok(p, "CHG-12345"));
	assert_false(ticket_ok(p, "CHG-123"));
	assert_false(ticket_ok(p, "inc-42"));
	assert_false(ticket_ok(p, "INC-"));
	assert_false(ticket_ok(p, ""));
	assert_false(ticket_ok(p, NULL));

	a.ticket = NULL;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "ticket", JG_FAIL, "a ticket matching");
	a.ticket = "INC-42x";
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "ticket", JG_FAIL, "'INC-42x' does not match");
	a.ticket = "INC-42";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "ticket", JG_PASS, "'INC-42' matches");
	regfree(&re);
}

/* ---- scanner severity -------------------------------------------------- */

static int severity_ok(const struct jg_policy *p, int severity,
                       const char *phrase)
{
	struct jg_principal who = person("scanner", NULL, NULL);
	struct jg_ask a = ask_for("staging-app", "fix.deploy");
	struct jg_finding f = {.id = "F-1", .type = "dast", .severity = severity};
	struct jg_verdict v;

	a.finding = &f;
	assert_int_equal(screen(p, &who, &a, &v), JG_OK);
	const struct jg_check *c = find_check(&v, "severity");
	assert_non_null(c);
	if (phrase && !strstr(c->message, phrase)) {
		print_error("\"%s\" lacks \"%s\"\n", c->message, phrase);
		fail();
	}
	assert_int_equal(v.decision,
	                 c->result == JG_PASS ? JG_DECIDE_AUTO : JG_DECIDE_DENY);
	return c->result == JG_PASS;
}

static void test_severity_bounds(void **state)
{
	struct jg_rule rules[] = {rule("fixes", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("scanner", NULL, NULL);
	struct jg_ask a = ask_for("staging-app", "fix.deploy");
	struct jg_finding f = {.id = "F-1", .type = "dast"};
	struct jg_verdict v;

	(void)state;
	rules[0].severity.set = 1;
	rules[0].severity.mode = JG_MODE_ENFORCE;

	rules[0].severity.at_least = JG_HIGH;
	assert_false(severity_ok(p, JG_MEDIUM, "medium is not at least high"));
	assert_true(severity_ok(p, JG_HIGH, "high is at least high"));
	assert_true(severity_ok(p, JG_CRITICAL, NULL));

	rules[0].severity.at_least = 0;
	rules[0].severity.at_most = JG_MEDIUM;
	assert_true(severity_ok(p, JG_LOW, NULL));
	assert_true(severity_ok(p, JG_MEDIUM, "medium is at most medium"));
	assert_false(severity_ok(p, JG_HIGH, "high is not at most medium"));

	rules[0].severity.at_least = JG_MEDIUM;
	rules[0].severity.at_most = JG_HIGH;
	assert_false(severity_ok(p, JG_LOW, NULL));
	assert_true(severity_ok(p, JG_MEDIUM, NULL));
	assert_true(severity_ok(p, JG_HIGH, NULL));
	assert_false(severity_ok(p, JG_CRITICAL,
	                         "critical is not at least medium, at most high"));

	rules[0].severity.at_least = rules[0].severity.at_most = JG_LOW;
	assert_true(severity_ok(p, JG_LOW, NULL));
	assert_false(severity_ok(p, JG_MEDIUM, NULL));

	/* a finding without a severity, or no finding: fails closed */
	assert_false(severity_ok(p, 0, "no finding severity"));
	a.finding = NULL;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "severity", JG_FAIL, "no finding severity");
	expect_reason(&v, "no finding severity");
	a.finding = &f;
	f.severity = JG_LOW;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
}

/* ---- rate -------------------------------------------------------------- */

static void test_rate_per_requester(void **state)
{
	struct jg_rule rules[] = {rule("limited", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct counter cnt = {0};
	struct jg_verdict v;

	(void)state;
	rules[0].rate.set = 1;
	rules[0].rate.mode = JG_MODE_ENFORCE;
	rules[0].rate.per_requester = 3;
	rules[0].rate.window = 3600;
	a.count = fake_count;
	a.count_ctx = &cnt;

	cnt.by_requester = 2; /* limit - 1 made before: this is the 3rd */
	cnt.by_resource = 1000;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "rate", JG_PASS, NULL);
	assert_int_equal(cnt.calls, 1);
	assert_int_equal(cnt.since, a.now - 3600);

	cnt.by_requester = 3; /* limit reached: this would be the 4th */
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "rate", JG_FAIL, "alice made 3 requests in the last 1h (limit 3)");
	expect_reason(&v, "alice made 3 requests");

	cnt.by_requester = 4;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);

	cnt.by_requester = 0;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);

	/* flag mode shows it and lets the decision stand */
	rules[0].rate.mode = JG_MODE_FLAG;
	cnt.by_requester = 3;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "rate", JG_FLAG, "(limit 3)");
	assert_int_equal(v.flagged, 1);
}

static void test_rate_per_resource(void **state)
{
	struct jg_rule rules[] = {rule("limited", JG_DECIDE_REVIEW)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct counter cnt = {0};
	struct jg_verdict v;

	(void)state;
	rules[0].rate.set = 1;
	rules[0].rate.mode = JG_MODE_ENFORCE;
	rules[0].rate.per_resource = 5;
	rules[0].rate.window = 24 * 3600;
	a.count = fake_count;
	a.count_ctx = &cnt;

	cnt.by_resource = 4;
	cnt.by_requester = 1000; /* per_requester 0: not limited */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	has_check(&v, "rate", JG_PASS, NULL);
	assert_int_equal(cnt.since, a.now - 24 * 3600);

	cnt.by_resource = 5;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "rate", JG_FAIL, "prod-db had 5 requests in the last 1d (limit 5)");

	/* both limits: either one reached denies */
	rules[0].rate.per_requester = 2;
	cnt.by_resource = 0;
	cnt.by_requester = 2;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	cnt.by_requester = 1;
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
}

static void test_rate_not_counted_and_errors(void **state)
{
	struct jg_rule rules[] = {rule("limited", JG_DECIDE_AUTO),
	                          rule("fallback", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 2);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct counter cnt = {0};
	struct jg_verdict v;

	(void)state;
	rules[0].rate.set = 1;
	rules[0].rate.mode = JG_MODE_ENFORCE;
	rules[0].rate.per_requester = 1;
	rules[0].rate.window = 60;

	/* no counter: documented as passing */
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "rate", JG_PASS, "not counted");

	/* a counting error is the screening's error */
	a.count = fake_count;
	a.count_ctx = &cnt;
	cnt.rc = JG_ESTORE;
	assert_int_equal(screen(p, &who, &a, &v), JG_ESTORE);
	assert_int_equal(cnt.calls, 1);
	cnt.rc = JG_ENOMEM;
	assert_int_equal(screen(p, &who, &a, &v), JG_ENOMEM);
	/* even in match mode the error is not a "no match" */
	rules[0].rate.mode = JG_MODE_MATCH;
	cnt.rc = JG_ESTORE;
	assert_int_equal(screen(p, &who, &a, &v), JG_ESTORE);
	/* a rule that is not selected does not count */
	rules[0].resource_glob = S("staging-*");
	cnt.calls = 0;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(cnt.calls, 0);
	assert_ptr_equal(v.rule, &rules[1]);
}

/* ---- modes ------------------------------------------------------------- */

static void test_mode_enforce(void **state)
{
	struct jg_rule rules[] = {rule("office", JG_DECIDE_AUTO),
	                          rule("never-reached", JG_DECIDE_AUTO)};
	struct jg_cidr c[] = {cidr("10.0.0.0/8")};
	struct jg_window w[] = {{MON_FRI, HM(8, 0), HM(19, 0)}};
	const struct jg_policy *p = policy(rules, 2);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	set_source(&rules[0], JG_MODE_ENFORCE, c, 1);
	a.source_ip = "192.168.0.1";
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	assert_ptr_equal(v.rule, &rules[0]); /* the rule applies, and denies */
	assert_string_equal(v.reason, "denied by rule 'office': source "
	                              "192.168.0.1 is not in 10.0.0.0/8");
	has_check(&v, "rule", JG_PASS, NULL);
	has_check(&v, "source", JG_FAIL, NULL);
	assert_int_equal(v.flagged, 0);

	/* two failures: every check is kept, the first one is the reason */
	set_time(&rules[0], JG_MODE_ENFORCE, utc, w, 1, "Mon-Fri 08:00-19:00 UTC");
	a.now = at("2026-03-07T10:00:00Z");
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "time", JG_FAIL, "outside");
	has_check(&v, "source", JG_FAIL, NULL);
	expect_reason(&v, "denied by rule 'office': request at Sat 10:00 UTC");
	/* an enforce failure wins over a review rule too */
	rules[0].decision = JG_DECIDE_REVIEW;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
}

static void test_mode_flag(void **state)
{
	struct jg_rule rules[] = {rule("office", JG_DECIDE_REVIEW)};
	struct jg_cidr c[] = {cidr("10.0.0.0/8")};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	set_source(&rules[0], JG_MODE_FLAG, c, 1);
	rules[0].justification.set = 1;
	rules[0].justification.mode = JG_MODE_FLAG;
	rules[0].justification.min_length = 5;

	a.source_ip = "10.0.0.1"; /* nothing to flag */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.flagged, 0);
	expect_reason(&v, "needs approval by rule 'office'");
	assert_null(strstr(v.reason, "flag"));

	a.source_ip = "192.168.0.1";
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.flagged, 1);
	has_check(&v, "source", JG_FLAG, "192.168.0.1 is not in 10.0.0.0/8");
	has_check(&v, "justification", JG_PASS, NULL);
	expect_reason(&v, "needs approval by rule 'office', with flags");

	rules[0].decision = JG_DECIDE_AUTO; /* flags never change it */
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(v.flagged, 1);
	rules[0].decision = JG_DECIDE_DENY;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	assert_int_equal(v.flagged, 1);

	/* a flag and an enforce failure: denied, and still flagged */
	rules[0].decision = JG_DECIDE_AUTO;
	rules[0].justification.mode = JG_MODE_ENFORCE;
	a.reason = "x";
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	expect_reason(&v, "justification has 1 characters");
}

static void test_mode_match(void **state)
{
	struct jg_rule rules[] = {rule("office-auto", JG_DECIDE_AUTO),
	                          rule("elsewhere-review", JG_DECIDE_REVIEW)};
	struct jg_cidr c[] = {cidr("10.0.0.0/8")};
	const struct jg_policy *p = policy(rules, 2);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.read");
	struct jg_verdict v;

	(void)state;
	set_source(&rules[0], JG_MODE_MATCH, c, 1);
	a.source_ip = "10.0.0.1";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	assert_ptr_equal(v.rule, &rules[0]);
	has_check(&v, "source", JG_PASS, NULL);

	/* the check fails: the rule does not apply, the next one does */
	a.source_ip = "192.168.0.1";
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_ptr_equal(v.rule, &rules[1]);
	assert_null(find_check(&v, "source")); /* the skipped rule's checks */
	has_check(&v, "rule", JG_PASS, "'elsewhere-review'");
	assert_int_equal(v.flagged, 0);
	a.source_ip = NULL; /* unknown counts as not matching */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_ptr_equal(v.rule, &rules[1]);

	/* and with no next rule: the default deny */
	p = policy(rules, 1);
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	assert_null(v.rule);
	assert_int_equal(v.nchecks, 1);
	has_check(&v, "rule", JG_FAIL, "denied by default");
	expect_reason(&v, "no rule matches");

	/* a match-mode time window: business hours auto, else review */
	struct jg_window w[] = {{MON_FRI, HM(8, 0), HM(19, 0)}};
	rules[0].source.set = 0;
	set_time(&rules[0], JG_MODE_MATCH, paris, w, 1, "Mon-Fri 08:00-19:00 Europe/Paris");
	p = policy(rules, 2);
	a.now = at("2026-03-04T07:00:00Z"); /* 08:00 in Paris */
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	a.now = at("2026-03-04T06:59:59Z");
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_ptr_equal(v.rule, &rules[1]);
}

/* ---- match keys -------------------------------------------------------- */

/* Which rule applies (NULL: none) to who asking for resource/action. */
static const struct jg_rule *applies(const struct jg_policy *p,
                                     const struct jg_principal *who,
                                     const char *resource, const char *action,
                                     const struct jg_finding *f)
{
	struct jg_ask a = ask_for(resource, action);
	struct jg_verdict v;

	a.finding = f;
	assert_int_equal(screen(p, who, &a, &v), JG_OK);
	if (!v.rule)
		assert_int_equal(v.decision, JG_DECIDE_DENY);
	return v.rule;
}

static void test_match_environment(void **state)
{
	struct jg_rule rules[] = {rule("prod-only", JG_DECIDE_REVIEW)};
	char *envs[] = {S("prod")};
	char *two_envs[] = {S("staging"), S("prod")};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);

	(void)state;
	rules[0].envs = envs;
	rules[0].nenvs = 1;
	assert_non_null(applies(p, &who, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &who, "staging-db", "sql.read", NULL));
	assert_null(applies(p, &who, "vault", "secret.read", NULL)); /* no env */
	assert_null(applies(p, &who, "shouty-db", "sql.read", NULL)); /* Prod */
	rules[0].envs = two_envs;
	rules[0].nenvs = 2;
	assert_non_null(applies(p, &who, "prod-db", "sql.read", NULL));
	assert_non_null(applies(p, &who, "staging-db", "sql.read", NULL));
	assert_null(applies(p, &who, "vault", "secret.read", NULL));
}

static void test_match_sensitivity(void **state)
{
	struct jg_rule rules[] = {rule("bounded", JG_DECIDE_REVIEW)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);

	(void)state;
	/* staging-db low, staging-app medium, prod-db high, vault critical */
	rules[0].sens_min = JG_HIGH;
	assert_null(applies(p, &who, "staging-app", "fix.deploy", NULL));
	assert_non_null(applies(p, &who, "prod-db", "sql.read", NULL));
	assert_non_null(applies(p, &who, "vault", "secret.read", NULL));
	rules[0].sens_min = 0;
	rules[0].sens_max = JG_MEDIUM;
	assert_non_null(applies(p, &who, "staging-db", "sql.read", NULL));
	assert_non_null(applies(p, &who, "staging-app", "fix.deploy", NULL));
	assert_null(applies(p, &who, "prod-db", "sql.read", NULL));
	rules[0].sens_min = rules[0].sens_max = JG_HIGH;
	assert_null(applies(p, &who, "staging-app", "fix.deploy", NULL));
	assert_non_null(applies(p, &who, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &who, "vault", "secret.read", NULL));
	rules[0].sens_min = JG_LOW;
	rules[0].sens_max = JG_CRITICAL;
	assert_non_null(applies(p, &who, "staging-db", "sql.read", NULL));
	assert_non_null(applies(p, &who, "vault", "secret.read", NULL));
}

static void test_match_requester(void **state)
{
	struct jg_rule rules[] = {rule("people", JG_DECIDE_AUTO)};
	char *users[] = {S("alice"), S("ci@build.example")};
	char *dba[] = {S("dba")};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal alice = person("alice", NULL, NULL);
	struct jg_principal bob = person("bob", NULL, NULL); /* dba member */
	struct jg_principal eve = person("eve", "dba", NULL); /* token group */
	struct jg_principal ci = person("ci@build.example", NULL, NULL);
	struct jg_principal mallory = person("mallory", "oncall", "security");
	struct jg_principal alice2 = person("alice2", NULL, NULL);

	(void)state;
	rules[0].users = users;
	rules[0].nusers = 2;
	assert_non_null(applies(p, &alice, "prod-db", "sql.read", NULL));
	assert_non_null(applies(p, &ci, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &bob, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &alice2, "prod-db", "sql.read", NULL));

	rules[0].nusers = 0;
	rules[0].groups = dba;
	rules[0].ngroups = 1;
	assert_non_null(applies(p, &bob, "prod-db", "sql.read", NULL));
	assert_non_null(applies(p, &eve, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &alice, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &mallory, "prod-db", "sql.read", NULL));

	/* users and groups add up */
	rules[0].nusers = 2;
	assert_non_null(applies(p, &alice, "prod-db", "sql.read", NULL));
	assert_non_null(applies(p, &bob, "prod-db", "sql.read", NULL));
	assert_non_null(applies(p, &eve, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &mallory, "prod-db", "sql.read", NULL));

	/* a group only tokens carry (not defined in the policy) */
	char *ext[] = {S("sre")};
	struct jg_principal sre = person("sam", "oncall", "sre");
	rules[0].nusers = 0;
	rules[0].groups = ext;
	assert_non_null(applies(p, &sre, "prod-db", "sql.read", NULL));
	assert_null(applies(p, &alice, "prod-db", "sql.read", NULL));
}

static void test_match_automation(void **state)
{
	struct jg_rule rules[] = {rule("scanner-fixes", JG_DECIDE_AUTO),
	                          rule("humans", JG_DECIDE_REVIEW)};
	char *types[] = {S("sast"), S("dast")};
	const struct jg_policy *p = policy(rules, 2);
	struct jg_principal who = person("scanner", NULL, NULL);
	struct jg_finding f = {.id = "F-7", .type = "dast",
	                       .severity = JG_LOW};

	(void)state;
	rules[0].automation = 1;
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[0]);
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", NULL),
	                 &rules[1]);

	rules[0].automation = 0;
	rules[0].finding_types = types;
	rules[0].nfinding_types = 2;
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[0]);
	f.type = "sast";
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[0]);
	f.type = "iast";
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[1]);
	f.type = "SAST";
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[1]);
	f.type = NULL;
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[1]);
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", NULL),
	                 &rules[1]);
	/* a rule without automation keys takes findings too */
	f.type = "iast";
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[1]);
	/* both keys: a finding of a listed type */
	rules[0].automation = 1;
	f.type = "sast";
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[0]);
	f.type = "iast";
	assert_ptr_equal(applies(p, &who, "staging-app", "fix.deploy", &f),
	                 &rules[1]);
}

/* ---- break-glass ------------------------------------------------------- */

static struct jg_rule glass_rule(void)
{
	struct jg_rule r = rule("prod-writes", JG_DECIDE_REVIEW);
	r.max_duration = 3600;
	r.break_glass_group = S("oncall");
	r.break_glass_max = 15 * 60;
	return r;
}

static void test_break_glass_member(void **state)
{
	struct jg_rule rules[1];
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal alice = person("alice", NULL, NULL); /* policy */
	struct jg_principal tok = person("tom", "oncall", NULL); /* token */
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0] = glass_rule();
	a.break_glass = 1;
	a.duration = 10 * 60;
	expect_decision(p, &alice, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(v.break_glass, 1);
	assert_int_equal(v.flagged, 1);
	assert_int_equal(v.duration, 600);
	has_check(&v, "break-glass", JG_FLAG, "alice used break-glass");
	expect_reason(&v, "break-glass");
	expect_reason(&v, "'prod-writes'");

	expect_decision(p, &tok, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(v.break_glass, 1);

	/* the break-glass maximum, not the rule's, bounds it */
	a.duration = 15 * 60;
	expect_decision(p, &alice, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(v.duration, 900);
	a.duration = 15 * 60 + 1;
	assert_int_equal(screen(p, &alice, &a, &v), JG_EDURATION);
	expect_reason(&v, "15m1s");
	expect_reason(&v, "15m of break-glass");
	assert_int_equal(v.break_glass, 0);
	a.duration = 0; /* none given: the break-glass maximum */
	expect_decision(p, &alice, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(v.duration, 900);

	/* without break-glass the same person goes to review */
	a.break_glass = 0;
	a.duration = 0;
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.break_glass, 0);
	assert_int_equal(v.duration, 3600);
	assert_null(find_check(&v, "break-glass"));
}

static void test_break_glass_refused(void **state)
{
	struct jg_rule rules[1];
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal bob = person("bob", "dba", NULL);
	struct jg_principal alice = person("alice", NULL, NULL);
	struct jg_principal upper = person("mallory", "ONCALL", NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");

	(void)state;
	rules[0] = glass_rule();
	a.break_glass = 1;
	expect_error(p, &bob, &a, JG_EFORBIDDEN, "'oncall'");
	expect_error(p, &bob, &a, JG_EFORBIDDEN, "bob");
	expect_error(p, &upper, &a, JG_EFORBIDDEN, "mallory");

	/* a member without a reason */
	a.reason = NULL;
	expect_error(p, &alice, &a, JG_EINVAL, "reason");
	a.reason = "";
	expect_error(p, &alice, &a, JG_EINVAL, "reason");
	a.reason = " \t\n ";
	expect_error(p, &alice, &a, JG_EINVAL, "reason");
	a.reason = "x";
	assert_int_equal(screen(p, &alice, &a, &(struct jg_verdict){0}), JG_OK);

	/* a rule without break-glass */
	rules[0].break_glass_group = NULL;
	expect_error(p, &alice, &a, JG_EFORBIDDEN, "'prod-writes'");
}

static void test_break_glass_never_bypasses_enforce(void **state)
{
	struct jg_rule rules[1];
	struct jg_cidr c[] = {cidr("10.0.0.0/8")};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal alice = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0] = glass_rule();
	set_source(&rules[0], JG_MODE_ENFORCE, c, 1);
	a.break_glass = 1;
	a.source_ip = "203.0.113.9";
	expect_decision(p, &alice, &a, JG_DECIDE_DENY, &v);
	assert_int_equal(v.break_glass, 0);
	expect_reason(&v, "denied by rule 'prod-writes': source 203.0.113.9");
	/* in flag mode it goes through, flagged twice */
	rules[0].source.mode = JG_MODE_FLAG;
	expect_decision(p, &alice, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(v.break_glass, 1);
	has_check(&v, "source", JG_FLAG, NULL);
	has_check(&v, "break-glass", JG_FLAG, NULL);
	/* a deny rule stays a deny */
	rules[0].source.mode = JG_MODE_ENFORCE;
	a.source_ip = "10.0.0.1";
	rules[0].decision = JG_DECIDE_DENY;
	rules[0].nsteps = 0;
	expect_decision(p, &alice, &a, JG_DECIDE_DENY, &v);
	assert_int_equal(v.break_glass, 0);
}

/* ---- extensions -------------------------------------------------------- */

static void test_extension_total_life(void **state)
{
	struct jg_rule rules[] = {rule("extendable", JG_DECIDE_REVIEW)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0].max_duration = 3600;
	a.extension = 1;
	a.life_so_far = 3000;

	a.duration = 600; /* life so far + extra == max: allowed */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.duration, 600);
	has_check(&v, "duration", JG_PASS, "total life 1h");

	a.duration = 601;
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
	expect_reason(&v, "total life 1h1s is above the maximum 1h");
	expect_reason(&v, "'extendable'");

	a.duration = 0; /* none given: whatever is left */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.duration, 600);

	a.life_so_far = 3600; /* nothing left to give */
	a.duration = 1;
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
	expect_reason(&v, "total life 1h1s");
	a.duration = 0;
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
}

/*
 * An extension that asks for no particular time when none is left: the
 * refusal must state the grant's real life, not a sentence that
 * contradicts itself ("total life 1h is above the maximum 1h"), and
 * after a reload that lowered the maximum it must name the longer life.
 */
static void test_extension_nothing_left_reason(void **state)
{
	struct jg_rule rules[] = {rule("extendable", JG_DECIDE_REVIEW)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0].max_duration = 3600;
	a.extension = 1;
	a.duration = 0;

	a.life_so_far = 3600;
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
	if (strstr(v.reason, "1h is above the maximum 1h"))
		print_error("self-contradicting reason: %s\n", v.reason);
	assert_null(strstr(v.reason, "1h is above the maximum 1h"));

	a.life_so_far = 2 * 3600; /* the policy now allows less */
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
	expect_reason(&v, "2h"); /* the life it already has */
	expect_reason(&v, "1h"); /* the maximum */
}

/* Total life = life so far + extra must not overflow into a pass. */
static void test_extension_huge_duration(void **state)
{
	struct jg_rule rules[] = {rule("extendable", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	a.extension = 1;
	a.life_so_far = 3000;
	a.duration = INT64_MAX;
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
	a.duration = INT64_MAX - 2999;
	assert_int_equal(screen(p, &who, &a, &v), JG_EDURATION);
}

/* A break-glass grant never grows by extensions.auto. */
static void test_extension_of_break_glass_is_never_auto(void **state)
{
	struct jg_rule rules[] = {rule("extendable", JG_DECIDE_REVIEW)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0].extensions_auto = 2;
	a.extension = 1;
	a.life_so_far = 600;
	a.duration = 600;
	a.extends_break_glass = 1;
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_null(find_check(&v, "extension"));
	a.extends_break_glass = 0;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
}

static void test_extension_auto_count(void **state)
{
	struct jg_rule rules[] = {rule("extendable", JG_DECIDE_REVIEW)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("prod-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	rules[0].extensions_auto = 2;
	a.extension = 1;
	a.life_so_far = 600;
	a.duration = 600;

	a.extensions_so_far = 0;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "extension", JG_PASS, "extension 1 of 2");
	a.extensions_so_far = 1;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "extension", JG_PASS, "extension 2 of 2");
	a.extensions_so_far = 2; /* used up: back to review */
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_null(find_check(&v, "extension"));
	a.extensions_so_far = 3;
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);

	rules[0].extensions_auto = 0; /* never without review */
	a.extensions_so_far = 0;
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);

	/* not an extension: extensions_auto is irrelevant */
	rules[0].extensions_auto = 2;
	a.extension = 0;
	a.life_so_far = 0;
	expect_decision(p, &who, &a, JG_DECIDE_REVIEW, &v);
	assert_null(find_check(&v, "extension"));

	/* an enforce failure denies an extension too */
	a.extension = 1;
	rules[0].justification.set = 1;
	rules[0].justification.min_length = 1000;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
}

/* ---- the same, from a policy file ------------------------------------- */

/* Screening a policy as the loader builds it: the loader anchors ticket
 * patterns, reads the zone and fills in the checks screening relies on. */
static const char loaded_yaml[] =
    "version: 1\n"
    "groups:\n"
    "  dba: {members: [bob, carol]}\n"
    "  security: {members: [dave]}\n"
    "  sre: {members: [sam]}\n"
    "resources:\n"
    "  prod-db:\n"
    "    labels: {env: prod}\n"
    "    sensitivity: high\n"
    "    actions: [sql.read, sql.write]\n"
    "  staging-app:\n"
    "    labels: {env: staging}\n"
    "    sensitivity: low\n"
    "    actions: [fix.deploy]\n"
    "rules:\n"
    "  - name: scanner-low\n"
    "    match: {environment: staging, action: fix.deploy, automation: true}\n"
    "    checks:\n"
    "      severity: {at_most: low, mode: match}\n"
    "    decision: auto\n"
    "  - name: scanner-review\n"
    "    match: {action: fix.deploy, finding_type: [sast, dast]}\n"
    "    steps: [{group: security, count: 1}]\n"
    "  - name: reads-office-hours\n"
    "    match: {resource: prod-db, action: sql.read}\n"
    "    checks:\n"
    "      time: {zone: Europe/Paris, days: mon-fri, hours: \"08:00-19:00\", "
    "mode: match}\n"
    "    decision: auto\n"
    "  - name: reads\n"
    "    match: {resource: prod-db, action: sql.read}\n"
    "    steps: [{group: dba, count: 1}]\n"
    "  - name: writes\n"
    "    match: {resource: prod-db, action: sql.write}\n"
    "    checks:\n"
    "      ticket: {pattern: \"INC-[0-9]+|CHG-[0-9]+\"}\n"
    "      source: {cidrs: [10.0.0.0/8, \"2001:db8::/32\"], mode: flag}\n"
    "    steps: [{group: dba, count: 2}]\n"
    "    max_duration: 30m\n"
    "    break_glass: {group: sre, max_duration: 15m}\n";

/* ---- hidden characters ------------------------------------------------- */

#define RLO "\xe2\x80\xae" /* U+202E RIGHT-TO-LEFT OVERRIDE */
#define ZWSP "\xe2\x80\x8b" /* U+200B ZERO WIDTH SPACE */

/* On for every rule without a word in the policy: flags, names the code
 * point and the byte, and an auto rule still approves. */
static void test_hidden_chars_flag_by_default(void **state)
{
	struct jg_rule rules[] = {rule("staging", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("staging-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	a.payload = "UPDATE orders SET x = 1; -- " RLO " ;DROP";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "hidden_chars", JG_FLAG,
	          "payload contains U+202E RIGHT-TO-LEFT OVERRIDE at byte 28");
	assert_int_equal(v.flagged, 1);
	expect_reason(&v, "with flags");

	/* every place it looks, each named with its first hidden character */
	a.payload = "SELECT 1";
	a.reason = "INC-42" ZWSP;
	a.ticket = "\x01";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "hidden_chars", JG_FLAG,
	          "reason contains U+200B ZERO WIDTH SPACE at byte 6; ticket "
	          "contains U+0001 CONTROL at byte 0");

	/* ill-formed UTF-8 is named by its byte */
	a.reason = "INC-42";
	a.ticket = NULL;
	a.payload = "SELECT \xff";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	has_check(&v, "hidden_chars", JG_FLAG,
	          "payload contains ill-formed UTF-8 byte 0xFF at byte 7");
}

/* Clean text, newlines and tabs included, leaves no trace in the
 * verdict. */
static void test_hidden_chars_silent_when_clean(void **state)
{
	struct jg_rule rules[] = {rule("staging", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("staging-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	a.payload = "UPDATE orders\n\tSET note = 'café ☕'\nWHERE id = 7;";
	a.params = "{\"id\":\"7\",\"note\":\"line\\none\\ttab\"}";
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	assert_null(find_check(&v, "hidden_chars"));
	assert_int_equal(v.flagged, 0);
}

/* params are JSON text: a hidden character may be raw or escaped. */
static void test_hidden_chars_params_escapes(void **state)
{
	static const struct {
		const char *params;
		const char *phrase;
	} cases[] = {
		{"{\"a\":\"x" RLO "\"}",
		 "params contains U+202E RIGHT-TO-LEFT OVERRIDE at byte 7"},
		{"{\"a\":\"x\\u202e\"}",
		 "params contains U+202E RIGHT-TO-LEFT OVERRIDE at byte 7"},
		{"{\"a\":\"x\\u202E\"}", "U+202E"},
		{"{\"a\":\"\\r\"}", "params contains U+000D CARRIAGE RETURN at "
		                    "byte 6"},
		{"{\"a\":\"\\u0007\"}", "U+0007 CONTROL"},
		{"{\"a\":\"\\udb40\\udc41\"}", "params contains U+E0041 TAG"},
		{"{\"a\":\"\\\\u202e\"}", NULL}, /* an escaped backslash */
		{"{\"a\":\"\\u00e9\\n\\t\\\"\\/\"}", NULL},
	};
	struct jg_rule rules[] = {rule("staging", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("staging-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a.params = cases[i].params;
		expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
		if (cases[i].phrase)
			has_check(&v, "hidden_chars", JG_FLAG, cases[i].phrase);
		else
			assert_null(find_check(&v, "hidden_chars"));
	}
}

/* mode: enforce denies, naming the character; mode: off says nothing. */
static void test_hidden_chars_enforce_and_off(void **state)
{
	struct jg_rule rules[] = {rule("staging", JG_DECIDE_AUTO)};
	const struct jg_policy *p = policy(rules, 1);
	struct jg_principal who = person("alice", NULL, NULL);
	struct jg_ask a = ask_for("staging-db", "sql.write");
	struct jg_verdict v;

	(void)state;
	a.payload = "SELECT 1" RLO;
	rules[0].hidden.enforce = 1;
	expect_decision(p, &who, &a, JG_DECIDE_DENY, &v);
	has_check(&v, "hidden_chars", JG_FAIL, "payload contains U+202E");
	expect_reason(&v, "denied by rule 'staging': payload contains U+202E "
	                  "RIGHT-TO-LEFT OVERRIDE at byte 8");

	rules[0].hidden.enforce = 0;
	rules[0].hidden.off = 1;
	expect_decision(p, &who, &a, JG_DECIDE_AUTO, &v);
	assert_null(find_check(&v, "hidden_chars"));
	assert_int_equal(v.flagged, 0);
}

static void test_loaded_policy(void **state)
{
	struct jg_policy *p = NULL;
	char err[512] = "";
	enum jg_err rc = jg_policy_parse("t.yaml", loaded_yaml,
	                                 strlen(loaded_yaml), &p, err,
	                                 sizeof(err));
	struct jg_principal scanner = person("scanner", NULL, NULL);
	struct jg_principal alice = person("alice", NULL, NULL);
	struct jg_principal sam = person("sam", NULL, NULL);
	struct jg_principal bob = person("bob", NULL, NULL);
	struct jg_finding f = {.id = "F-1", .type = "dast",
	                       .severity = JG_LOW};
	struct jg_ask a;
	struct jg_verdict v;

	(void)state;
	if (rc != JG_OK)
		print_error("%s\n", err);
	assert_int_equal(rc, JG_OK);
	assert_non_null(p);

	/* scanner: low in staging at once, anything else to security */
	a = ask_for("staging-app", "fix.deploy");
	a.finding = &f;
	expect_decision(p, &scanner, &a, JG_DECIDE_AUTO, &v);
	assert_string_equal(v.rule->name, "scanner-low");
	f.severity = JG_MEDIUM;
	expect_decision(p, &scanner, &a, JG_DECIDE_REVIEW, &v);
	assert_string_equal(v.rule->name, "scanner-review");
	f.type = "iast";
	expect_decision(p, &scanner, &a, JG_DECIDE_DENY, &v);
	assert_null(v.rule);

	/* reads: office hours in Paris (08:00 there is 07:00Z in March) */
	a = ask_for("prod-db", "sql.read");
	a.now = at("2026-03-04T07:00:00Z");
	expect_decision(p, &alice, &a, JG_DECIDE_AUTO, &v);
	assert_string_equal(v.rule->name, "reads-office-hours");
	a.now = at("2026-03-04T06:59:59Z");
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);
	assert_string_equal(v.rule->name, "reads");
	a.now = at("2026-03-29T06:00:00Z"); /* a Sunday: closed */
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);

	/* writes: the whole ticket must match one branch of the pattern */
	a = ask_for("prod-db", "sql.write");
	a.source_ip = "10.1.2.3";
	a.ticket = "CHG-7";
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.flagged, 0);
	a.ticket = "xCHG-7";
	expect_decision(p, &alice, &a, JG_DECIDE_DENY, &v);
	a.ticket = "INC-7x";
	expect_decision(p, &alice, &a, JG_DECIDE_DENY, &v);
	a.ticket = "INC-7";
	a.source_ip = "::ffff:192.168.1.1"; /* flagged, not refused */
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.flagged, 1);
	a.source_ip = "2001:db8:ffff::1";
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);
	assert_int_equal(v.flagged, 0);
	a.duration = 30 * 60;
	expect_decision(p, &alice, &a, JG_DECIDE_REVIEW, &v);
	a.duration = 30 * 60 + 1;
	expect_error(p, &alice, &a, JG_EDURATION,
	             "duration 30m1s is above the maximum 30m");

	/* break-glass: sre only, at most 15m */
	a.duration = 0;
	a.break_glass = 1;
	expect_decision(p, &sam, &a, JG_DECIDE_AUTO, &v);
	assert_int_equal(v.break_glass, 1);
	assert_int_equal(v.duration, 15 * 60);
	expect_error(p, &bob, &a, JG_EFORBIDDEN, "'sre'");
	a.duration = 15 * 60 + 1;
	expect_error(p, &sam, &a, JG_EDURATION, "15m1s");

	jg_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_result_and_decision_names),
	    cmocka_unit_test(test_level_names),
	    cmocka_unit_test(test_unknown_resource),
	    cmocka_unit_test(test_unknown_action),
	    cmocka_unit_test(test_names_compare_exactly),
	    cmocka_unit_test(test_negative_duration),
	    cmocka_unit_test(test_no_rule_default_deny),
	    cmocka_unit_test(test_decisions),
	    cmocka_unit_test(test_first_rule_wins),
	    cmocka_unit_test(test_duration_edges),
	    cmocka_unit_test(test_source_ipv4_edges),
	    cmocka_unit_test(test_source_ipv6_edges),
	    cmocka_unit_test(test_source_ipv4_mapped),
	    cmocka_unit_test(test_source_unknown_fails),
	    cmocka_unit_test(test_source_several_cidrs),
	    cmocka_unit_test(test_time_window_edges),
	    cmocka_unit_test(test_time_overnight),
	    cmocka_unit_test(test_time_dst_paris),
	    cmocka_unit_test(test_time_several_windows),
	    cmocka_unit_test(test_justification_min_length),
	    cmocka_unit_test(test_ticket_whole_string),
	    cmocka_unit_test(test_severity_bounds),
	    cmocka_unit_test(test_rate_per_requester),
	    cmocka_unit_test(test_rate_per_resource),
	    cmocka_unit_test(test_rate_not_counted_and_errors),
	    cmocka_unit_test(test_mode_enforce),
	    cmocka_unit_test(test_mode_flag),
	    cmocka_unit_test(test_mode_match),
	    cmocka_unit_test(test_match_environment),
	    cmocka_unit_test(test_match_sensitivity),
	    cmocka_unit_test(test_match_requester),
	    cmocka_unit_test(test_match_automation),
	    cmocka_unit_test(test_break_glass_member),
	    cmocka_unit_test(test_break_glass_refused),
	    cmocka_unit_test(test_break_glass_never_bypasses_enforce),
	    cmocka_unit_test(test_extension_total_life),
	    cmocka_unit_test(test_extension_auto_count),
	    cmocka_unit_test(test_extension_of_break_glass_is_never_auto),
	    cmocka_unit_test(test_extension_nothing_left_reason),
	    cmocka_unit_test(test_extension_huge_duration),
	    cmocka_unit_test(test_hidden_chars_flag_by_default),
	    cmocka_unit_test(test_hidden_chars_silent_when_clean),
	    cmocka_unit_test(test_hidden_chars_params_escapes),
	    cmocka_unit_test(test_hidden_chars_enforce_and_off),
	    cmocka_unit_test(test_loaded_policy),
	};

	return cmocka_run_group_tests(tests, load_zones, free_zones);
}
