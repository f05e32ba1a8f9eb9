/*
 * test_policy.c - the policy loader (src/policy/load.c) and the decisions
 * made from a loaded policy (src/core/policy.c).
 *
 * Every validation error is checked for its exact "name:LINE: " prefix and
 * a key phrase, and for failing closed: no policy comes back. Tests must
 * never depend on the clock or on files other than examples/policy.yaml
 * (run from the repository root).
 */
#include <arpa/inet.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/policy.h"
#include "core/tz.h"
#include "policy/lint.h"
#include "policy/load.h"
#include "util/crypto.h"

#define EXAMPLE "examples/policy.yaml"

/* ---- helpers ----------------------------------------------------------- */

static struct jg_policy *parse_ok(const char *yaml)
{
	struct jg_policy *p = NULL;
	char err[512] = "";
	enum jg_err rc = jg_policy_parse("t.yaml", yaml, strlen(yaml), &p, err,
	                                 sizeof(err));
	if (rc != JG_OK)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, JG_OK);
	assert_non_null(p);
	assert_string_equal(err, "");
	return p;
}

/* The load must fail with `want`, no policy, and "t.yaml:LINE: ...phrase". */
static void parse_fails(const char *yaml, size_t len, enum jg_err want,
                        int line, const char *phrase)
{
	struct jg_policy *p = (struct jg_policy *)&p; /* must be reset */
	char err[512] = "", prefix[32];
	enum jg_err rc = jg_policy_parse("t.yaml", yaml, len, &p, err,
	                                 sizeof(err));

	snprintf(prefix, sizeof(prefix), "t.yaml:%d: ", line);
	if (rc != want || strncmp(err, prefix, strlen(prefix)) != 0 ||
	    !strstr(err, phrase))
		print_error("got %d \"%s\"\nwant %d \"%s...%s...\"\n", rc, err,
		            want, prefix, phrase);
	assert_int_equal(rc, want);
	assert_null(p);
	assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(err, phrase));
	assert_null(strchr(err, '\n')); /* one line */
}

static struct jg_policy *load_example(void)
{
	struct jg_policy *p = NULL;
	char err[512] = "";
	enum jg_err rc = jg_policy_load(EXAMPLE, &p, err, sizeof(err));
	if (rc != JG_OK)
		print_error("%s\n", err);
	assert_int_equal(rc, JG_OK);
	assert_non_null(p);
	return p;
}

static struct jg_principal user(const char *name, const char *group)
{
	struct jg_principal who;

	memset(&who, 0, sizeof(who));
	snprintf(who.name, sizeof(who.name), "%s", name);
	if (group) {
		snprintf(who.groups[0], sizeof(who.groups[0]), "%s", group);
		who.ngroups = 1;
	}
	return who;
}

static int has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static const char *label(const struct jg_label *l, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].key, key) == 0)
			return l[i].value;
	return NULL;
}

/* ---- the example file -------------------------------------------------- */

static const struct jg_rule *rule_named(const struct jg_policy *p,
                                        const char *name)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return &p->rules[i];
	print_error("no rule '%s'\n", name);
	fail();
	return NULL;
}

static void example_resources(void **state)
{
	struct jg_policy *p = load_example();
	const struct jg_resource *r;

	(void)state;
	assert_int_equal(p->nresources, 4);
	r = jg_policy_resource(p, "prod-db");
	assert_non_null(r);
	assert_int_equal(r->nactions, 3);
	assert_true(has(r->actions, r->nactions, "sql.admin"));
	assert_string_equal(r->sensitivity, "high");
	assert_int_equal(r->level, JG_HIGH);
	assert_string_equal(label(r->labels, r->nlabels, "env"), "prod");
	assert_string_equal(label(r->labels, r->nlabels, "team"), "data");
	assert_true(r->line > 1);
	r = jg_policy_resource(p, "staging-db");
	assert_non_null(r);
	assert_string_equal(r->sensitivity, "medium"); /* the default */
	assert_int_equal(r->level, JG_MEDIUM);
	r = jg_policy_resource(p, "payments-api");
	assert_non_null(r);
	assert_string_equal(r->sensitivity, "critical");
	assert_int_equal(r->level, JG_CRITICAL);
	assert_true(has(r->actions, r->nactions, "fix.deploy"));
	r = jg_policy_resource(p, "payments-staging");
	assert_non_null(r);
	assert_int_equal(r->level, JG_LOW);
	assert_null(jg_policy_resource(p, "Prod-DB")); /* exact names */
	jg_policy_free(p);
}

static void example_groups_and_rules(void **state)
{
	struct jg_policy *p = load_example();
	const struct jg_group *g;
	const struct jg_rule *w;

	(void)state;
	assert_int_equal(p->ngroups, 4);
	g = jg_policy_group(p, "dba");
	assert_non_null(g);
	assert_int_equal(g->nmembers, 2);
	assert_true(has(g->members, g->nmembers, "carol"));
	assert_non_null(jg_policy_group(p, "sre"));
	assert_int_equal(p->nrules, 9);
	w = rule_named(p, "prod-db-writes");
	assert_int_equal(w->decision, JG_DECIDE_REVIEW);
	assert_int_equal(w->nsteps, 2);
	assert_string_equal(w->steps[0].group, "dba");
	assert_int_equal(w->steps[0].count, 2);
	assert_string_equal(w->steps[1].group, "security");
	assert_int_equal(w->max_duration, 30 * 60);
	assert_int_equal(w->request_ttl, 4 * 3600);
	assert_string_equal(w->action_glob, "sql.write");
	assert_true(w->line > 1);
	assert_int_equal(p->rules[0].decision, JG_DECIDE_DENY);
	w = rule_named(p, "staging-auto");
	assert_int_equal(w->decision, JG_DECIDE_AUTO);
	assert_int_equal(w->max_duration, 4 * 3600);
	assert_int_equal(w->request_ttl, 24 * 3600); /* defaults */
	assert_int_equal(w->extensions_auto, 0);
	assert_int_equal(w->nenvs, 1);
	assert_string_equal(w->envs[0], "staging");
	w = rule_named(p, "staging-db-writes");
	assert_int_equal(w->extensions_auto, 1);
	jg_policy_free(p);
}

static void example_checks(void **state)
{
	struct jg_policy *p = load_example();
	const struct jg_rule *r;

	(void)state;
	r = rule_named(p, "prod-db-reads-office-hours");
	assert_true(r->time.set);
	assert_int_equal(r->time.mode, JG_MODE_MATCH);
	assert_string_equal(r->time.text, "Mon-Fri 08:00-19:00 Europe/Paris");
	assert_true(r->justification.set);
	assert_int_equal(r->justification.min_length, 10);
	r = rule_named(p, "prod-db-writes");
	assert_true(r->ticket.set && r->ticket.regex);
	assert_int_equal(r->ticket.mode, JG_MODE_ENFORCE);
	assert_string_equal(r->ticket.pattern, "(INC|CHG)-[0-9]+");
	assert_true(r->source.set);
	assert_int_equal(r->source.mode, JG_MODE_FLAG);
	assert_int_equal(r->source.ncidrs, 3);
	assert_string_equal(r->break_glass_group, "sre");
	assert_int_equal(r->break_glass_max, 30 * 60);
	r = rule_named(p, "scanner-fixes-staging-low");
	assert_true(r->automation);
	assert_true(r->severity.set);
	assert_int_equal(r->severity.at_least, 0);
	assert_int_equal(r->severity.at_most, JG_LOW);
	assert_int_equal(r->severity.mode, JG_MODE_MATCH);
	r = rule_named(p, "payments-prod-changes");
	assert_true(r->rate.set);
	assert_int_equal(r->rate.per_requester, 5);
	assert_int_equal(r->rate.per_resource, 0);
	assert_int_equal(r->rate.window, 3600);
	assert_int_equal(r->rate.mode, JG_MODE_FLAG);
	jg_policy_free(p);
}

static void example_sha256(void **state)
{
	struct jg_policy *p = load_example();
	char *buf = malloc(JG_POLICY_FILE_MAX), want[JG_SHA256_HEX];
	FILE *f = fopen(EXAMPLE, "rb");
	size_t n;

	(void)state;
	assert_non_null(buf);
	assert_non_null(f);
	n = fread(buf, 1, JG_POLICY_FILE_MAX, f);
	fclose(f);
	jg_sha256_hex(buf, n, want);
	assert_string_equal(p->sha256, want);
	assert_int_equal(strlen(p->sha256), 64);
	free(buf);
	jg_policy_free(p);
}

/* ---- loading: accepted edge cases -------------------------------------- */

static void minimal_policy_denies_all(void **state)
{
	struct jg_policy *p = parse_ok("version: 1\n");

	(void)state;
	assert_int_equal(p->nresources + p->ngroups + p->nrules, 0);
	jg_policy_free(p);
}

static void rule_execute_auto_or_manual(void **state)
{
	struct jg_policy *p = parse_ok("version: 1\n"
	                               "rules:\n"
	                               "  - {name: a, decision: auto, execute: auto}\n"
	                               "  - {name: m, decision: auto, execute: manual}\n"
	                               "  - {name: d, decision: auto}\n");

	(void)state;
	assert_int_equal(p->rules[0].execute_auto, 1);
	assert_int_equal(p->rules[1].execute_auto, 0);
	assert_int_equal(p->rules[2].execute_auto, 0);
	jg_policy_free(p);
}

static void rule_approve_comment(void **state)
{
	struct jg_policy *p = parse_ok("version: 1\n"
	                               "rules:\n"
	                               "  - {name: a, decision: auto, approve_comment: true}\n"
	                               "  - {name: d, decision: auto}\n");

	(void)state;
	assert_int_equal(p->rules[0].approve_comment, 1);
	assert_int_equal(p->rules[1].approve_comment, 0);
	jg_policy_free(p);
}

static void defaults_apply_and_rules_override(void **state)
{
	struct jg_policy *p = parse_ok(
	        "version: 1\n"
	        "defaults: {max_duration: 2h, request_ttl: 90m}\n"
	        "rules:\n"
	        "  - {name: a, decision: auto}\n"
	        "  - {name: b, decision: auto, max_duration: 5m, request_ttl: 1d}\n");

	(void)state;
	assert_int_equal(p->rules[0].max_duration, 7200);
	assert_int_equal(p->rules[0].request_ttl, 5400);
	assert_int_equal(p->rules[1].max_duration, 300);
	assert_int_equal(p->rules[1].request_ttl, 86400);
	assert_null(p->rules[0].resource_glob); /* no match: everything */
	assert_null(p->rules[0].action_glob);
	jg_policy_free(p);
}

static void builtin_defaults(void **state)
{
	struct jg_policy *p = parse_ok("version: 1\n"
	                               "rules: [{name: a, decision: deny}]\n");

	(void)state;
	assert_int_equal(p->rules[0].max_duration, JG_DEFAULT_MAX_DURATION);
	assert_int_equal(p->rules[0].request_ttl, JG_DEFAULT_REQUEST_TTL);
	jg_policy_free(p);
}

static void groups_edge_cases(void **state)
{
	/* Empty and absent member lists, '@' in user names, a step count
	 * above the number of listed members (tokens can add members). */
	struct jg_policy *p = parse_ok(
	        "version: 1\n"
	        "groups:\n"
	        "  empty: {members: []}\n"
	        "  bare: {}\n"
	        "  ops: {members: [ci@build.example, Bob]}\n"
	        "rules:\n"
	        "  - name: r\n"
	        "    steps: [{group: ops, count: 16}, {group: empty, count: 1}]\n");

	(void)state;
	assert_int_equal(p->ngroups, 3);
	assert_int_equal(jg_policy_group(p, "empty")->nmembers, 0);
	assert_int_equal(jg_policy_group(p, "bare")->nmembers, 0);
	assert_int_equal(jg_policy_group(p, "ops")->line, 5);
	assert_int_equal(p->rules[0].steps[0].count, JG_STEP_COUNT_MAX);
	assert_int_equal(p->rules[0].line, 7);
	jg_policy_free(p);
}

static void names_are_case_sensitive(void **state)
{
	struct jg_policy *p = parse_ok("version: 1\n"
	                               "resources:\n"
	                               "  db: {actions: [read]}\n"
	                               "  DB: {actions: [read, READ]}\n");

	(void)state;
	assert_int_equal(p->nresources, 2);
	assert_int_equal(jg_policy_resource(p, "DB")->nactions, 2);
	assert_int_equal(jg_policy_resource(p, "db")->nactions, 1);
	jg_policy_free(p);
}

static void load_missing_file(void **state)
{
	struct jg_policy *p = (struct jg_policy *)&p;
	char err[512];

	(void)state;
	assert_int_equal(jg_policy_load("no/such/policy.yaml", &p, err,
	                                sizeof(err)),
	                 JG_ENOTFOUND);
	assert_null(p);
	assert_non_null(strstr(err, "no/such/policy.yaml:1: "));
	assert_non_null(strstr(err, "No such file or directory"));
}

static void load_directory(void **state)
{
	struct jg_policy *p = NULL;
	char err[512];

	(void)state;
	assert_int_equal(jg_policy_load("examples", &p, err, sizeof(err)),
	                 JG_ENOTFOUND);
	assert_null(p);
	assert_non_null(strstr(err, "examples:1: "));
}

static void too_big(void **state)
{
	size_t len = JG_POLICY_FILE_MAX + 1;
	char *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	memset(buf, '#', len); /* one long comment */
	parse_fails(buf, len, JG_ETOOBIG, 1, "larger than");
	free(buf);
}

/* Text nested past JG_POLICY_DEPTH_MAX is refused at the first level too
 * deep, before libyaml builds it (which would take minutes for this). */
static void too_deep(void **state)
{
	size_t len = 200000;
	char *buf = malloc(len);
	char phrase[64];

	(void)state;
	assert_non_null(buf);
	snprintf(phrase, sizeof(phrase), "nesting deeper than %d levels",
	         JG_POLICY_DEPTH_MAX);
	memset(buf, '[', len); /* flow lists */
	parse_fails(buf, len, JG_EINVAL, 1, phrase);
	memset(buf, '{', len); /* flow maps */
	parse_fails(buf, len, JG_EINVAL, 1, phrase);
	for (size_t i = 0; i + 1 < len; i += 2) /* block lists: "- - - ..." */
		memcpy(buf + i, "- ", 2);
	parse_fails(buf, len, JG_EINVAL, 1, phrase);
	free(buf);
}

/* Block maps by indentation: the line named is the first too deep; and
 * JG_POLICY_DEPTH_MAX levels exactly are still read (then refused for
 * what they say, not for their depth). */
static void too_deep_block(void **state)
{
	char buf[16384], *at = buf;

	(void)state;
	for (int i = 0; i <= JG_POLICY_DEPTH_MAX; i++)
		at += snprintf(at, sizeof(buf) - (size_t)(at - buf), "%*sk:\n",
		               i, "");
	parse_fails(buf, strlen(buf), JG_EINVAL, JG_POLICY_DEPTH_MAX + 1,
	            "nesting deeper than");
	at = buf;
	for (int i = 0; i < JG_POLICY_DEPTH_MAX; i++)
		at += snprintf(at, sizeof(buf) - (size_t)(at - buf), "%*sk:\n",
		               i, "");
	parse_fails(buf, strlen(buf), JG_EINVAL, 1, "unknown key 'k'");
}

static void load_too_big_file(void **state)
{
	char path[] = "/tmp/jg_test_policy_XXXXXX", err[512];
	struct jg_policy *p = NULL;
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	(void)state;
	assert_non_null(f);
	fputs("version: 1\n", f);
	for (size_t i = 0; i < JG_POLICY_FILE_MAX / 8; i++)
		fputs("#######\n", f);
	fclose(f);
	assert_int_equal(jg_policy_load(path, &p, err, sizeof(err)), JG_ETOOBIG);
	assert_null(p);
	assert_non_null(strstr(err, ":1: the policy is larger than"));
	unlink(path);
}

static void nul_byte_refused(void **state)
{
	static const char yaml[] = "version: 1\nresources:\n  a\0b: {actions: [x]}\n";

	(void)state;
	parse_fails(yaml, sizeof(yaml) - 1, JG_EINVAL, 3, "invalid YAML");
}

static void null_err_buffer(void **state)
{
	struct jg_policy *p = NULL;

	(void)state;
	assert_int_equal(jg_policy_parse("t", "version: 2\n", 11, &p, NULL, 0),
	                 JG_EINVAL);
	assert_null(p);
}

/* ---- loading: screening keys ------------------------------------------- */

static const char full_policy[] =
        "version: 1\n"
        "groups:\n"
        "  engineers: {members: [alice]}\n"
        "  sre: {}\n"
        "resources:\n"
        "  prod-db: {labels: {env: prod}, sensitivity: high, actions: [sql.read]}\n"
        "rules:\n"
        "  - name: everything\n"                                 /* line 8 */
        "    match:\n"
        "      resource: 'prod-*'\n"
        "      environment: [prod, staging]\n"
        "      sensitivity: {at_least: medium, at_most: high}\n"
        "      requester: {users: [alice, bob@corp.example], groups: [engineers]}\n"
        "      finding_type: [sast, dast]\n"
        "    checks:\n"
        "      time:\n"
        "        zone: Europe/Paris\n"
        "        days: mon-fri\n"
        "        hours: '08:00-19:00'\n"
        "        mode: match\n"
        "      source: {cidrs: [10.0.0.0/8, '2001:db8::/32', 192.168.1.7], mode: enforce}\n"
        "      justification: {min_length: 10}\n"
        "      ticket: {pattern: '(INC|CHG)-[0-9]+', mode: flag}\n"
        "      severity: {at_least: low, at_most: medium}\n"
        "      rate: {per_requester: 5, per_resource: 20, window: 1h, mode: flag}\n"
        "    decision: auto\n"
        "    max_duration: 2h\n"
        "    break_glass: {group: sre, max_duration: 1h}\n"
        "    extensions: {auto: 2}\n"
        "  - name: plain\n"
        "    match: {environment: dev, automation: true}\n"
        "    decision: deny\n";

static void every_new_key_parsed(void **state)
{
	struct jg_policy *p = parse_ok(full_policy);
	const struct jg_rule *r = &p->rules[0];
	const struct jg_cidr *c;

	(void)state;
	assert_int_equal(r->line, 8);
	assert_int_equal(r->nenvs, 2);
	assert_string_equal(r->envs[0], "prod");
	assert_string_equal(r->envs[1], "staging");
	assert_int_equal(r->sens_min, JG_MEDIUM);
	assert_int_equal(r->sens_max, JG_HIGH);
	assert_int_equal(r->nusers, 2);
	assert_string_equal(r->users[1], "bob@corp.example");
	assert_int_equal(r->ngroups, 1);
	assert_string_equal(r->groups[0], "engineers");
	assert_int_equal(r->automation, 1); /* implied by finding_type */
	assert_int_equal(r->nfinding_types, 2);
	assert_string_equal(r->finding_types[1], "dast");

	assert_true(r->time.set);
	assert_int_equal(r->time.mode, JG_MODE_MATCH);
	assert_non_null(r->time.tz);
	assert_string_equal(jg_tz_name(r->time.tz), "Europe/Paris");
	assert_int_equal(r->time.nwindows, 1);
	assert_int_equal(r->time.windows[0].days, 0x3e); /* Mon..Fri */
	assert_int_equal(r->time.windows[0].start, 8 * 60);
	assert_int_equal(r->time.windows[0].end, 19 * 60);
	assert_string_equal(r->time.text, "Mon-Fri 08:00-19:00 Europe/Paris");

	assert_true(r->source.set);
	assert_int_equal(r->source.mode, JG_MODE_ENFORCE);
	assert_int_equal(r->source.ncidrs, 3);
	c = &r->source.cidrs[0];
	assert_int_equal(c->family, AF_INET);
	assert_int_equal(c->prefix, 8);
	assert_memory_equal(c->addr, "\x0a\0\0\0", 4);
	c = &r->source.cidrs[1];
	assert_int_equal(c->family, AF_INET6);
	assert_int_equal(c->prefix, 32);
	assert_memory_equal(c->addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	c = &r->source.cidrs[2];
	assert_int_equal(c->family, AF_INET);
	assert_int_equal(c->prefix, 32); /* a bare address */
	assert_memory_equal(c->addr, "\xc0\xa8\x01\x07", 4);

	assert_true(r->justification.set);
	assert_int_equal(r->justification.mode, JG_MODE_ENFORCE); /* default */
	assert_int_equal(r->justification.min_length, 10);
	assert_true(r->ticket.set);
	assert_int_equal(r->ticket.mode, JG_MODE_FLAG);
	assert_string_equal(r->ticket.pattern, "(INC|CHG)-[0-9]+");
	assert_non_null(r->ticket.regex);
	assert_true(r->severity.set);
	assert_int_equal(r->severity.at_least, JG_LOW);
	assert_int_equal(r->severity.at_most, JG_MEDIUM);
	assert_true(r->rate.set);
	assert_int_equal(r->rate.per_requester, 5);
	assert_int_equal(r->rate.per_resource, 20);
	assert_int_equal(r->rate.window, 3600);
	assert_int_equal(r->rate.mode, JG_MODE_FLAG);

	assert_string_equal(r->break_glass_group, "sre");
	assert_int_equal(r->break_glass_max, 3600);
	assert_int_equal(r->extensions_auto, 2);

	/* a single environment is a list of one; nothing else is set */
	r = &p->rules[1];
	assert_int_equal(r->nenvs, 1);
	assert_string_equal(r->envs[0], "dev");
	assert_int_equal(r->automation, 1);
	assert_int_equal(r->nfinding_types, 0);
	assert_int_equal(r->sens_min + r->sens_max, 0);
	assert_int_equal(r->nusers + r->ngroups, 0);
	assert_false(r->time.set || r->source.set || r->justification.set ||
	             r->ticket.set || r->severity.set || r->rate.set);
	/* hidden_chars needs no word: on, flagging */
	assert_false(r->hidden.off || r->hidden.enforce);
	assert_null(r->break_glass_group);
	assert_int_equal(r->extensions_auto, 0);
	jg_policy_free(p);
}

/* hidden_chars: off, flag (the default, also when the rule is silent)
 * or enforce. */
static void hidden_chars_modes(void **state)
{
	static const char yaml[] =
	        "version: 1\n"
	        "resources:\n  db: {actions: [read]}\n"
	        "rules:\n"
	        "  - {name: off, decision: auto, checks: {hidden_chars: {mode: off}}}\n"
	        "  - {name: flag, decision: auto, checks: {hidden_chars: {mode: flag}}}\n"
	        "  - {name: deny, decision: auto, checks: {hidden_chars: {mode: enforce}}}\n"
	        "  - {name: silent, decision: auto}\n";
	struct jg_policy *p = parse_ok(yaml);

	(void)state;
	assert_true(p->rules[0].hidden.off);
	assert_false(p->rules[0].hidden.enforce);
	assert_false(p->rules[1].hidden.off || p->rules[1].hidden.enforce);
	assert_false(p->rules[2].hidden.off);
	assert_true(p->rules[2].hidden.enforce);
	assert_false(p->rules[3].hidden.off || p->rules[3].hidden.enforce);
	jg_policy_free(p);
}

/* A policy with one rule whose time check is `time` (a YAML flow map). */
static struct jg_policy *with_time(const char *time)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
	         "version: 1\nrules:\n  - name: r\n    decision: auto\n"
	         "    checks:\n      time: %s\n", time);
	return parse_ok(yaml);
}

static void days_forms(void **state)
{
	static const struct {
		const char *days;
		unsigned char mask;
		const char *text;
	} cases[] = {
		{"mon-fri", 0x3e, "Mon-Fri"},
		{"sat", 0x40, "Sat"},
		{"sun", 0x01, "Sun"},
		{"'sun,tue,thu'", 0x15, "Tue,Thu,Sun"},
		{"'sun, tue , thu'", 0x15, "Tue,Thu,Sun"},
		{"[mon, tue]", 0x06, "Mon-Tue"},
		{"[mon-wed, fri]", 0x2e, "Mon-Wed,Fri"},
		{"fri-mon", 0x63, "Fri-Mon"}, /* wraps past Sunday */
		{"sat-sun", 0x41, "Sat-Sun"},
		{"sun-sat", 0x7f, "Mon-Sun"},
		{"tue-mon", 0x7f, "Mon-Sun"},
		{"Mon-FRI", 0x3e, "Mon-Fri"}, /* day names in any case */
		{"'mon,wed-thu,sat-sun'", 0x5b, "Wed-Thu,Sat-Mon"}, /* runs wrap */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char t[256];
		struct jg_policy *p;

		snprintf(t, sizeof(t), "{zone: UTC, days: %s, hours: 09:00-17:00}",
		         cases[i].days);
		p = with_time(t);
		assert_int_equal(p->rules[0].time.windows[0].days, cases[i].mask);
		snprintf(t, sizeof(t), "%s 09:00-17:00 UTC", cases[i].text);
		assert_string_equal(p->rules[0].time.text, t);
		jg_policy_free(p);
	}
}

static void hours_forms(void **state)
{
	static const struct {
		const char *hours;
		int start, end;
		const char *text;
	} cases[] = {
		{"'00:00-24:00'", 0, 1440, "00:00-24:00"},
		{"'22:00-06:00'", 1320, 360, "22:00-06:00"}, /* past midnight */
		{"'8:30-9:15'", 510, 555, "08:30-09:15"},
		{"'23:59-24:00'", 1439, 1440, "23:59-24:00"},
		{"'12:00-00:00'", 720, 0, "12:00-00:00"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char t[256];
		struct jg_policy *p;

		snprintf(t, sizeof(t), "{zone: UTC, hours: %s}", cases[i].hours);
		p = with_time(t);
		assert_int_equal(p->rules[0].time.windows[0].days, 0x7f);
		assert_int_equal(p->rules[0].time.windows[0].start, cases[i].start);
		assert_int_equal(p->rules[0].time.windows[0].end, cases[i].end);
		snprintf(t, sizeof(t), "Mon-Sun %s UTC", cases[i].text);
		assert_string_equal(p->rules[0].time.text, t);
		jg_policy_free(p);
	}
}

static void time_windows(void **state)
{
	struct jg_policy *p = with_time(
	        "{zone: America/New_York, windows: [{days: mon-fri, hours: "
	        "'08:00-19:00'}, {days: [sat, sun], hours: '10:00-12:00'}, "
	        "{days: wed}]}");
	const struct jg_time_check *t = &p->rules[0].time;

	(void)state;
	assert_int_equal(t->nwindows, 3);
	assert_int_equal(t->mode, JG_MODE_ENFORCE);
	assert_int_equal(t->windows[1].days, 0x41);
	assert_int_equal(t->windows[1].start, 600);
	assert_int_equal(t->windows[2].start, 0); /* all day */
	assert_int_equal(t->windows[2].end, 1440);
	assert_string_equal(t->text, "Mon-Fri 08:00-19:00, Sat-Sun 10:00-12:00, "
	                             "Wed 00:00-24:00 America/New_York");
	jg_policy_free(p);
}

/* A policy with one rule whose source check lists `cidrs`. */
static struct jg_policy *with_cidrs(const char *cidrs)
{
	char yaml[1024];

	snprintf(yaml, sizeof(yaml),
	         "version: 1\nrules:\n  - name: r\n    decision: auto\n"
	         "    checks:\n      source: {cidrs: %s}\n", cidrs);
	return parse_ok(yaml);
}

static void cidr_edges(void **state)
{
	struct jg_policy *p = with_cidrs(
	        "[0.0.0.0/0, '::/0', 255.255.255.255/32, '::1', "
	        "'2001:db8::1/128', 10.128.0.0/9, '::1.2.3.4/128', "
	        "'fe80::/10', 172.16.0.0/12]");
	const struct jg_cidr *c = p->rules[0].source.cidrs;

	(void)state;
	assert_int_equal(p->rules[0].source.ncidrs, 9);
	assert_int_equal(c[0].family, AF_INET);
	assert_int_equal(c[0].prefix, 0);
	assert_int_equal(c[1].family, AF_INET6);
	assert_int_equal(c[1].prefix, 0);
	assert_int_equal(c[2].prefix, 32);
	assert_memory_equal(c[2].addr, "\xff\xff\xff\xff", 4);
	assert_int_equal(c[3].family, AF_INET6);
	assert_int_equal(c[3].prefix, 128);
	assert_int_equal(c[3].addr[15], 1);
	assert_int_equal(c[4].prefix, 128);
	assert_int_equal(c[5].prefix, 9);
	assert_int_equal(c[5].addr[1], 0x80);
	assert_int_equal(c[6].family, AF_INET6); /* IPv4-compatible, not mapped */
	assert_int_equal(c[7].prefix, 10);
	assert_int_equal(c[8].prefix, 12);
	jg_policy_free(p);
}

static int ticket_ok(const struct jg_rule *r, const char *ticket)
{
	return regexec(r->ticket.regex, ticket, 0, NULL, 0) == 0;
}

static void ticket_whole_match(void **state)
{
	struct jg_policy *p = parse_ok(
	        "version: 1\nrules:\n"
	        "  - name: a\n    decision: auto\n"
	        "    checks: {ticket: {pattern: '(INC|CHG)-[0-9]+'}}\n"
	        "  - name: b\n    decision: auto\n"
	        "    checks: {ticket: {pattern: 'INC-1|CHG-2'}}\n"
	        "  - name: c\n    decision: auto\n"
	        "    checks: {ticket: {pattern: '[(]x[)]|\\(y\\)|[]a)]'}}\n");

	(void)state;
	assert_true(ticket_ok(&p->rules[0], "INC-42"));
	assert_true(ticket_ok(&p->rules[0], "CHG-7"));
	assert_false(ticket_ok(&p->rules[0], "xINC-42"));
	assert_false(ticket_ok(&p->rules[0], "INC-42x"));
	assert_false(ticket_ok(&p->rules[0], "INC-"));
	assert_false(ticket_ok(&p->rules[0], "inc-42"));
	/* an alternation is anchored as a whole, not per branch */
	assert_true(ticket_ok(&p->rules[1], "CHG-2"));
	assert_false(ticket_ok(&p->rules[1], "INC-1zzz"));
	assert_false(ticket_ok(&p->rules[1], "zzzCHG-2"));
	/* parentheses in brackets and escaped ones are literals */
	assert_true(ticket_ok(&p->rules[2], "(x)"));
	assert_true(ticket_ok(&p->rules[2], "(y)"));
	assert_true(ticket_ok(&p->rules[2], ")"));
	assert_false(ticket_ok(&p->rules[2], "x"));
	jg_policy_free(p);
}

static void break_glass_equal_to_rule_max(void **state)
{
	struct jg_policy *p = parse_ok(
	        "version: 1\ndefaults: {max_duration: 45m}\n"
	        "groups: {sre: {members: [sam]}}\n"
	        "rules:\n  - name: a\n    decision: deny\n"
	        "    break_glass: {group: sre, max_duration: 45m}\n"
	        "    extensions: {auto: 0}\n");

	(void)state;
	assert_int_equal(p->rules[0].break_glass_max, 45 * 60);
	assert_int_equal(p->rules[0].extensions_auto, 0);
	jg_policy_free(p);
}

/* ---- loading: every refusal -------------------------------------------- */

struct bad {
	const char *name;
	const char *yaml;
	int line;
	const char *phrase;
};

#define V1 "version: 1\n"
#define RES "resources:\n  db: {actions: [read]}\n"  /* lines 2-3 */
#define GRP "groups:\n  dba: {members: [bob]}\n"     /* lines 2-3 */
#define R1 "rules:\n  - name: r\n    decision: auto\n"  /* lines 2-4 */

static const struct bad bad[] = {
	/* the file as a whole */
	{"empty file", "", 1, "the policy is empty"},
	{"only a comment", "# nothing\n", 1, "the policy is empty"},
	{"top level is a list", "- version: 1\n", 1,
	 "the policy must be a map, not a list"},
	{"invalid YAML", V1 "rules: [\n  {name: a\n", 4, "invalid YAML: did not find expected"},
	{"bad indentation", V1 "groups:\n  a: {}\n b: {}\n", 4, "invalid YAML"},
	{"undefined alias", V1 "groups: *nope\n", 2, "invalid YAML"},
	{"two documents", V1 "---\nversion: 1\n", 3, "second YAML document"},
	{"missing version", "rules: []\n", 1, "missing key 'version'"},
	{"version 2", "version: 2\n", 1, "version '2' is not supported"},
	{"version as a list", "version: [1]\n", 1,
	 "version must be a single value, not a list"},
	{"unknown top-level key", V1 "policy: x\n", 2,
	 "unknown key 'policy' (expected one of: version, defaults"},
	{"duplicate top-level key", V1 RES "version: 1\n", 4,
	 "duplicate key 'version' (first at line 1)"},
	{"key is a list", V1 "? [a]\n: b\n", 2,
	 "key must be a single value, not a list"},

	/* defaults */
	{"defaults unknown key", V1 "defaults:\n  max_durration: 1h\n", 3,
	 "defaults: unknown key 'max_durration'"},
	{"defaults is a list", V1 "defaults: [1h]\n", 2,
	 "'defaults' must be a map, not a list"},
	{"defaults bad duration", V1 "defaults: {request_ttl: soon}\n", 2,
	 "defaults: request_ttl 'soon' is not a valid duration"},
	{"defaults zero duration", V1 "defaults: {max_duration: 0s}\n", 2,
	 "max_duration '0s' is not a valid duration"},

	/* groups */
	{"groups is a list", V1 "groups: [dba]\n", 2,
	 "'groups' must be a map, not a list"},
	{"group unknown key", V1 "groups:\n  dba: {members: [], owner: x}\n", 3,
	 "group 'dba': unknown key 'owner'"},
	{"group is a list", V1 "groups:\n  dba: [bob]\n", 3,
	 "group 'dba': the definition must be a map, not a list"},
	{"group is empty", V1 "groups:\n  dba:\n", 3,
	 "the definition must be a map, not nothing"},
	{"members is a string", V1 "groups:\n  dba: {members: bob}\n", 3,
	 "'members' must be a list, not a single value"},
	{"duplicate group", V1 GRP "  dba: {}\n", 4,
	 "duplicate group 'dba' (first at line 3)"},
	{"bad group name", V1 "groups:\n  d b a: {}\n", 3,
	 "group 'd b a' is not a valid name"},
	{"bad member name", V1 "groups:\n  dba:\n    members: [bob, 'c d']\n", 4,
	 "group 'dba': member 'c d' is not a valid name (1 to 63 characters of "
	 "A-Z a-z 0-9 . _ - @)"},
	{"duplicate member", V1 "groups:\n  dba:\n    members:\n      - bob\n"
	                        "      - bob\n", 6,
	 "duplicate member 'bob' (first at line 5)"},
	{"member is a map", V1 "groups:\n  dba: {members: [{a: b}]}\n", 3,
	 "member must be a single value, not a map"},

	/* resources */
	{"resources is a list", V1 "resources: [db]\n", 2,
	 "'resources' must be a map, not a list"},
	{"resource unknown key", V1 "resources:\n  db:\n    actions: [r]\n"
	                            "    labells: {}\n", 5,
	 "resource 'db': unknown key 'labells'"},
	{"resource missing actions", V1 "resources:\n  db: {sensitivity: low}\n",
	 3, "resource 'db': missing key 'actions'"},
	{"resource empty actions", V1 "resources:\n  db: {actions: []}\n", 3,
	 "'actions' must not be empty"},
	{"actions is a map", V1 "resources:\n  db: {actions: {read: 1}}\n", 3,
	 "'actions' must be a list, not a map"},
	{"duplicate action", V1 "resources:\n  db:\n    actions:\n      - read\n"
	                        "      - write\n      - read\n", 7,
	 "resource 'db': duplicate action 'read' (first at line 5)"},
	{"bad action name", V1 "resources:\n  db: {actions: [sql.read, 'sql read']}\n",
	 3, "action 'sql read' is not a valid name"},
	{"duplicate resource", V1 RES "  db: {actions: [write]}\n", 4,
	 "duplicate resource 'db' (first at line 3)"},
	{"empty resource name", V1 "resources:\n  '': {actions: [r]}\n", 3,
	 "resource '' is not a valid name"},
	{"resource name with @", V1 "resources:\n  db@x: {actions: [r]}\n", 3,
	 "resource 'db@x' is not a valid name"},
	{"resource name too long",
	 V1 "resources:\n"
	    "  a123456789b123456789c123456789d123456789e123456789f123456789abcd:"
	    " {actions: [r]}\n",
	 3, "is not a valid name (1 to 63 characters"},
	{"resource name not ASCII", V1 "resources:\n  pr\xc3\xb6""d: {actions: [r]}\n",
	 3, "resource 'pr??d' is not a valid name"},
	{"bad sensitivity", V1 "resources:\n  db:\n    actions: [r]\n"
	                       "    sensitivity: extreme\n", 5,
	 "sensitivity 'extreme' is not one of: low, medium, high, critical"},
	{"labels is a list", V1 "resources:\n  db: {actions: [r], labels: [env]}\n",
	 3, "'labels' must be a map, not a list"},
	{"duplicate label", V1 "resources:\n  db:\n    actions: [r]\n"
	                       "    labels: {env: prod, env: dev}\n", 5,
	 "duplicate label 'env'"},
	{"bad label key", V1 "resources:\n  db:\n    actions: [r]\n"
	                     "    labels: {'e v': prod}\n", 5,
	 "label 'e v' is not a valid name"},
	{"bad label value", V1 "resources:\n  db:\n    actions: [r]\n"
	                       "    labels:\n      env: [prod]\n", 6,
	 "value of label 'env' must be a single value, not a list"},

	/* rules */
	{"rules is a map", V1 "rules: {a: b}\n", 2,
	 "'rules' must be a list, not a map"},
	{"rule is a string", V1 "rules:\n  - deny\n", 3,
	 "rule 1: the rule must be a map, not a single value"},
	{"rule unknown key", V1 GRP "rules:\n  - name: prod-writes\n"
	                            "    steps: [{group: dba, count: 1}]\n"
	                            "    aproval: yes\n", 7,
	 "rule 'prod-writes': unknown key 'aproval'"},
	{"unknown key before name", V1 "rules:\n  - aproval: yes\n"
	                               "    name: r\n    decision: deny\n", 3,
	 "rule 'r': unknown key 'aproval'"},
	{"rule missing name", V1 "rules:\n  - {name: a, decision: deny}\n"
	                         "  - {match: {}, decision: auto}\n", 4,
	 "rule 2: missing key 'name'"},
	{"bad rule name", V1 "rules:\n  - {name: 'a b', decision: deny}\n", 3,
	 "rule name 'a b' is not a valid name"},
	{"duplicate rule", V1 "rules:\n  - {name: a, decision: deny}\n"
	                      "  - {name: b, decision: deny}\n"
	                      "  - {name: a, decision: auto}\n", 5,
	 "duplicate rule 'a' (first at line 3)"},
	{"duplicate rule key", V1 "rules:\n  - name: a\n    decision: deny\n"
	                          "    decision: auto\n", 5,
	 "rule 'a': duplicate key 'decision' (first at line 4)"},
	{"neither decision nor steps", V1 "rules:\n  - {name: a}\n", 3,
	 "rule 'a': needs exactly one of 'decision' or 'steps'"},
	{"both decision and steps", V1 GRP "rules:\n  - name: a\n"
	                                   "    decision: auto\n"
	                                   "    steps: [{group: dba, count: 1}]\n",
	 5, "needs exactly one of 'decision' or 'steps'"},
	{"bad decision", V1 "rules:\n  - {name: a, decision: maybe}\n", 3,
	 "decision 'maybe' is not one of: deny, auto"},
	{"decision review", V1 "rules:\n  - {name: a, decision: review}\n", 3,
	 "decision 'review' is not one of"},
	{"bad rule duration", V1 "rules:\n  - name: a\n    decision: auto\n"
	                         "    max_duration: 400d\n", 5,
	 "rule 'a': max_duration '400d' is not a valid duration"},
	{"bad rule ttl", V1 "rules:\n  - {name: a, decision: auto, request_ttl: -1h}\n",
	 3, "request_ttl '-1h' is not a valid duration"},

	/* match */
	{"match is a list", V1 "rules:\n  - {name: a, decision: auto, match: [x]}\n",
	 3, "rule 'a': 'match' must be a map, not a list"},
	{"match unknown key", V1 "rules:\n  - name: a\n    decision: auto\n"
	                         "    match:\n      resources: db\n", 6,
	 "rule 'a' match: unknown key 'resources' (expected one of: resource, "
	 "labels, action, environment, sensitivity, requester, automation, "
	 "finding_type)"},
	{"match bad glob", V1 "rules:\n  - name: a\n    decision: auto\n"
	                      "    match: {resource: 'prod db'}\n", 5,
	 "resource 'prod db' is not a valid pattern"},
	{"match empty glob", V1 "rules:\n  - name: a\n    decision: auto\n"
	                        "    match: {action: ''}\n", 5,
	 "action '' is not a valid pattern"},
	{"match bad labels", V1 "rules:\n  - name: a\n    decision: auto\n"
	                        "    match: {labels: {env: 'pr od'}}\n", 5,
	 "value of label 'env' 'pr od' is not a valid name"},

	/* match: the screening keys (R1 is lines 2-4, match on line 5) */
	{"environment is a map", V1 R1 "    match: {environment: {a: b}}\n", 5,
	 "rule 'r' match: 'environment' must be a name or a list of names, "
	 "not a map"},
	{"environment bad name", V1 R1 "    match: {environment: [prod, 'st g']}\n",
	 5, "environment 'st g' is not a valid name"},
	{"environment empty", V1 R1 "    match: {environment: []}\n", 5,
	 "'environment' must not be empty"},
	{"environment twice", V1 R1 "    match:\n      environment:\n"
	                            "        - prod\n        - prod\n", 8,
	 "duplicate environment 'prod' (first at line 7)"},
	{"sensitivity bad level", V1 R1 "    match: {sensitivity: {at_least: huge}}\n",
	 5, "at_least 'huge' is not one of: low, medium, high, critical"},
	{"sensitivity no bound", V1 R1 "    match:\n      sensitivity: {}\n", 6,
	 "'sensitivity' needs at least one of 'at_least' or 'at_most'"},
	{"sensitivity inverted", V1 R1 "    match:\n"
	                               "      sensitivity: {at_least: high, at_most: low}\n",
	 6, "'sensitivity': at_least 'high' is above at_most 'low'"},
	{"sensitivity unknown key", V1 R1 "    match: {sensitivity: {above: low}}\n",
	 5, "unknown key 'above' (expected one of: at_least, at_most)"},
	{"sensitivity a string", V1 R1 "    match: {sensitivity: high}\n", 5,
	 "'sensitivity' must be a map, not a single value"},
	{"requester empty", V1 R1 "    match:\n      requester: {}\n", 6,
	 "'requester' needs at least one of 'users' or 'groups'"},
	{"requester undefined group", V1 GRP R1 "    match:\n"
	                                        "      requester: {groups: [dba, ops]}\n",
	 8, "rule 'r' match: group 'ops' is not defined (define it under "
	    "'groups', with 'members: []' if only tokens fill it)"},
	{"requester bad user", V1 R1 "    match: {requester: {users: ['a b']}}\n",
	 5, "user 'a b' is not a valid name (1 to 63 characters of A-Z a-z 0-9 "
	    ". _ - @)"},
	{"requester users a string", V1 R1 "    match: {requester: {users: alice}}\n",
	 5, "'users' must be a list, not a single value"},
	{"requester unknown key", V1 R1 "    match: {requester: {user: [alice]}}\n",
	 5, "unknown key 'user' (expected one of: users, groups)"},
	{"automation false", V1 R1 "    match: {automation: false}\n", 5,
	 "automation can only be true (leave it out to match people and "
	 "automation alike)"},
	{"automation yes", V1 R1 "    match: {automation: yes}\n", 5,
	 "automation 'yes' is not true or false"},
	{"finding_type bad", V1 R1 "    match: {finding_type: [sast, 'd a']}\n", 5,
	 "finding type 'd a' is not a valid name"},

	/* checks */
	{"checks a list", V1 R1 "    checks: [time]\n", 5,
	 "rule 'r': 'checks' must be a map, not a list"},
	{"checks unknown key", V1 R1 "    checks:\n      tme: {}\n", 6,
	 "rule 'r' checks: unknown key 'tme' (expected one of: time, source, "
	 "justification, ticket, severity, rate, hidden_chars)"},
	{"mode unknown", V1 R1 "    checks:\n"
	                       "      justification: {min_length: 3, mode: warn}\n",
	 6, "rule 'r' checks.justification: mode 'warn' is not one of: enforce, "
	    "flag, match"},
	{"time missing zone", V1 R1 "    checks:\n      time: {days: mon}\n", 6,
	 "rule 'r' checks.time: missing key 'zone'"},
	{"time unknown zone", V1 R1 "    checks:\n      time:\n"
	                            "        days: mon\n        zone: Mars/Base\n",
	 8, "rule 'r' checks.time: unknown time zone 'Mars/Base' (no file "},
	{"time zone traversal", V1 R1 "    checks:\n"
	                              "      time: {zone: ../../etc/passwd, days: mon}\n",
	 6, "time zone name '../../etc/passwd' is not valid"},
	{"time zone absolute", V1 R1 "    checks:\n"
	                             "      time: {zone: /etc/localtime, days: mon}\n",
	 6, "time zone name '/etc/localtime' is not valid"},
	{"time zone a directory", V1 R1 "    checks:\n"
	                                "      time: {zone: Europe, days: mon}\n",
	 6, "unknown time zone 'Europe'"},
	{"time zone a list", V1 R1 "    checks:\n"
	                           "      time: {zone: [UTC], days: mon}\n",
	 6, "zone must be a single value, not a list"},
	{"time no window", V1 R1 "    checks:\n      time: {zone: UTC}\n", 6,
	 "rule 'r' checks.time: needs 'days' or 'hours' (or 'windows')"},
	{"time both forms", V1 R1 "    checks:\n      time:\n        zone: UTC\n"
	                          "        days: mon\n"
	                          "        windows: [{days: tue}]\n", 7,
	 "give either 'windows' or 'days' and 'hours', not both"},
	{"time unknown key", V1 R1 "    checks:\n"
	                           "      time: {zone: UTC, days: mon, tz: UTC}\n",
	 6, "unknown key 'tz' (expected one of: zone, days, hours, windows, mode)"},
	{"days bad name", V1 R1 "    checks:\n"
	                        "      time: {zone: UTC, days: mon-fry}\n", 6,
	 "days 'mon-fry': 'mon-fry' is not a day or a range of days"},
	{"days bad in list", V1 R1 "    checks:\n      time:\n        zone: UTC\n"
	                           "        days:\n          - mon\n"
	                           "          - funday\n", 10,
	 "days 'funday': 'funday' is not a day"},
	{"days twice", V1 R1 "    checks:\n"
	                     "      time: {zone: UTC, days: 'mon-fri,wed'}\n", 6,
	 "days 'mon-fri,wed': Wed is given twice"},
	{"days twice in a list", V1 R1 "    checks:\n"
	                               "      time: {zone: UTC, days: [fri-mon, sun]}\n",
	 6, "days 'sun': Sun is given twice"},
	{"days same-day range", V1 R1 "    checks:\n"
	                              "      time: {zone: UTC, days: mon-mon}\n",
	 6, "the range 'mon-mon' starts and ends on the same day"},
	{"days empty", V1 R1 "    checks:\n      time: {zone: UTC, days: ''}\n",
	 6, "days '': '' is not a day"},
	{"days trailing comma", V1 R1 "    checks:\n"
	                              "      time: {zone: UTC, days: 'mon,'}\n",
	 6, "days 'mon,': '' is not a day"},
	{"days empty list", V1 R1 "    checks:\n      time: {zone: UTC, days: []}\n",
	 6, "'days' must not be empty"},
	{"days a map", V1 R1 "    checks:\n      time: {zone: UTC, days: {mon: 1}}\n",
	 6, "'days' must be days such as mon-fri or a list of them, not a map"},
	{"days full name", V1 R1 "    checks:\n"
	                         "      time: {zone: UTC, days: monday}\n",
	 6, "'monday' is not a day"},
	{"hours past 24", V1 R1 "    checks:\n"
	                        "      time: {zone: UTC, hours: '25:00-26:00'}\n", 6,
	 "hours '25:00-26:00' is not valid (HH:MM-HH:MM, such as 08:00-19:00, "
	 "or 22:00-06:00 past midnight; 24:00 only as the end)"},
	{"hours start 24:00", V1 R1 "    checks:\n"
	                            "      time: {zone: UTC, hours: '24:00-06:00'}\n",
	 6, "hours '24:00-06:00' is not valid"},
	{"hours 24:30", V1 R1 "    checks:\n"
	                      "      time: {zone: UTC, hours: '08:00-24:30'}\n", 6,
	 "hours '08:00-24:30' is not valid"},
	{"hours 60 minutes", V1 R1 "    checks:\n"
	                           "      time: {zone: UTC, hours: '08:60-09:00'}\n",
	 6, "is not valid"},
	{"hours one time", V1 R1 "    checks:\n"
	                         "      time: {zone: UTC, hours: '08:00'}\n", 6,
	 "hours '08:00' is not valid"},
	{"hours seconds", V1 R1 "    checks:\n"
	                        "      time: {zone: UTC, hours: '08:00:00-09:00:00'}\n",
	 6, "is not valid"},
	{"hours empty window", V1 R1 "    checks:\n"
	                             "      time: {zone: UTC, hours: '08:00-08:00'}\n",
	 6, "hours '08:00-08:00' is empty (the whole day is 00:00-24:00)"},
	{"windows empty", V1 R1 "    checks:\n"
	                        "      time: {zone: UTC, windows: []}\n", 6,
	 "'windows' must have 1 to 16 entries, not 0"},
	{"window without keys", V1 R1 "    checks:\n"
	                              "      time: {zone: UTC, windows: [{}]}\n", 6,
	 "rule 'r' checks.time window 1: a window needs 'days' or 'hours'"},
	{"window unknown key", V1 R1 "    checks:\n      time:\n        zone: UTC\n"
	                             "        windows:\n"
	                             "          - {days: mon}\n"
	                             "          - {days: tue, zone: UTC}\n", 10,
	 "rule 'r' checks.time window 2: unknown key 'zone' (expected one of: "
	 "days, hours)"},
	{"window bad hours", V1 R1 "    checks:\n      time:\n        zone: UTC\n"
	                           "        windows:\n"
	                           "          - {days: mon}\n"
	                           "          - days: tue\n"
	                           "            hours: '9-17'\n", 11,
	 "rule 'r' checks.time window 2: hours '9-17' is not valid"},
	{"source missing cidrs", V1 R1 "    checks:\n      source: {mode: flag}\n",
	 6, "rule 'r' checks.source: missing key 'cidrs'"},
	{"cidrs empty", V1 R1 "    checks:\n      source: {cidrs: []}\n", 6,
	 "'cidrs' must have 1 to 1024 entries, not 0"},
	{"cidrs a string", V1 R1 "    checks:\n      source: {cidrs: 10.0.0.0/8}\n",
	 6, "'cidrs' must be a list, not a single value"},
	{"cidr host bits", V1 R1 "    checks:\n      source:\n        cidrs:\n"
	                         "          - 10.0.0.0/8\n          - 10.0.0.1/8\n",
	 9, "rule 'r' checks.source: cidr '10.0.0.1/8' has host bits set (did "
	     "you mean 10.0.0.0/8?)"},
	{"cidr host bits v6", V1 R1 "    checks:\n"
	                            "      source: {cidrs: ['2001:db8::1/32']}\n", 6,
	 "cidr '2001:db8::1/32' has host bits set (did you mean 2001:db8::/32?)"},
	{"cidr host bits /0", V1 R1 "    checks:\n"
	                            "      source: {cidrs: [1.0.0.0/0]}\n", 6,
	 "has host bits set (did you mean 0.0.0.0/0?)"},
	{"cidr host bits /31", V1 R1 "    checks:\n"
	                             "      source: {cidrs: [10.0.0.3/31]}\n", 6,
	 "did you mean 10.0.0.2/31?"},
	{"cidr v4 prefix 33", V1 R1 "    checks:\n"
	                            "      source: {cidrs: [10.0.0.0/33]}\n", 6,
	 "cidr '10.0.0.0/33' is not an address or a network (such as "
	 "10.0.0.0/8, 192.168.1.7 or 2001:db8::/32)"},
	{"cidr v6 prefix 129", V1 R1 "    checks:\n"
	                             "      source: {cidrs: ['::/129']}\n", 6,
	 "cidr '::/129' is not an address"},
	{"cidr prefix leading zero", V1 R1 "    checks:\n"
	                                   "      source: {cidrs: [10.0.0.0/08]}\n",
	 6, "is not an address"},
	{"cidr prefix negative", V1 R1 "    checks:\n"
	                               "      source: {cidrs: [10.0.0.0/-1]}\n",
	 6, "is not an address"},
	{"cidr prefix empty", V1 R1 "    checks:\n"
	                            "      source: {cidrs: [10.0.0.0/]}\n", 6,
	 "is not an address"},
	{"cidr short address", V1 R1 "    checks:\n"
	                             "      source: {cidrs: [10.0.0/8]}\n", 6,
	 "cidr '10.0.0/8' is not an address"},
	{"cidr octet leading zero", V1 R1 "    checks:\n"
	                                  "      source: {cidrs: [010.0.0.1]}\n",
	 6, "is not an address"},
	{"cidr a name", V1 R1 "    checks:\n"
	                      "      source: {cidrs: [localhost]}\n", 6,
	 "cidr 'localhost' is not an address"},
	{"cidr zone index", V1 R1 "    checks:\n"
	                          "      source: {cidrs: ['fe80::1%eth0']}\n", 6,
	 "is not an address"},
	{"cidr v4-mapped", V1 R1 "    checks:\n"
	                         "      source: {cidrs: ['::ffff:10.0.0.0/104']}\n",
	 6, "cidr '::ffff:10.0.0.0/104' is an IPv4-mapped address (write it as "
	    "IPv4: 10.0.0.0/8)"},
	{"cidr v4-mapped host", V1 R1 "    checks:\n"
	                              "      source: {cidrs: ['::ffff:192.168.1.7']}\n",
	 6, "(write it as IPv4: 192.168.1.7/32)"},
	{"justification too short", V1 R1 "    checks:\n"
	                                   "      justification: {min_length: 0}\n",
	 6, "rule 'r' checks.justification: min_length '0' is not a whole number "
	    "from 1 to 2048"},
	{"justification too long", V1 R1 "    checks:\n"
	                                 "      justification: {min_length: 2049}\n",
	 6, "min_length '2049' is not a whole number from 1 to 2048"},
	{"justification no length", V1 R1 "    checks:\n"
	                                  "      justification: {mode: flag}\n",
	 6, "missing key 'min_length'"},
	{"ticket bad regex", V1 R1 "    checks:\n      ticket:\n"
	                           "        pattern: '(INC'\n", 7,
	 "rule 'r' checks.ticket: pattern '(INC' is not a valid extended "
	 "regular expression: Unmatched ( or \\("},
	{"ticket bad bracket", V1 R1 "    checks:\n"
	                             "      ticket: {pattern: '[a-'}\n", 6,
	 "pattern '[a-' is not a valid extended regular expression: "},
	{"ticket escapes anchors", V1 R1 "    checks:\n"
	                                 "      ticket: {pattern: 'x)|.*(y'}\n", 6,
	 "pattern 'x)|.*(y' has a ')' that closes no '(' (write \\) for a "
	 "literal parenthesis)"},
	{"ticket empty", V1 R1 "    checks:\n      ticket: {pattern: ''}\n", 6,
	 "pattern '' must be 1 to 256 characters"},
	{"ticket no pattern", V1 R1 "    checks:\n      ticket: {}\n", 6,
	 "rule 'r' checks.ticket: missing key 'pattern'"},
	{"severity no bound", V1 R1 "    checks:\n      severity: {mode: flag}\n",
	 6, "'severity' needs at least one of 'at_least' or 'at_most'"},
	{"severity inverted", V1 R1 "    checks:\n"
	                            "      severity: {at_least: critical, at_most: low}\n",
	 6, "at_least 'critical' is above at_most 'low'"},
	{"severity bad level", V1 R1 "    checks:\n"
	                             "      severity: {at_most: severe}\n", 6,
	 "rule 'r' checks.severity: at_most 'severe' is not one of: low, "
	 "medium, high, critical"},
	{"hidden_chars match", V1 R1 "    checks:\n"
	                             "      hidden_chars: {mode: match}\n", 6,
	 "rule 'r' checks.hidden_chars: mode 'match' is not one of: off, flag, "
	 "enforce"},
	{"hidden_chars no mode", V1 R1 "    checks:\n      hidden_chars: {}\n",
	 6, "rule 'r' checks.hidden_chars: missing key 'mode'"},
	{"hidden_chars scalar", V1 R1 "    checks:\n      hidden_chars: off\n",
	 6, "'hidden_chars' must be a map"},
	{"rate no count", V1 R1 "    checks:\n      rate: {window: 1h}\n", 6,
	 "'rate' needs at least one of 'per_requester' or 'per_resource'"},
	{"rate no window", V1 R1 "    checks:\n      rate: {per_requester: 5}\n",
	 6, "rule 'r' checks.rate: missing key 'window'"},
	{"rate zero", V1 R1 "    checks:\n"
	                    "      rate: {per_requester: 0, window: 1h}\n", 6,
	 "per_requester '0' is not a whole number from 1 to 100000"},
	{"rate too many", V1 R1 "    checks:\n"
	                        "      rate: {per_resource: 100001, window: 1h}\n",
	 6, "per_resource '100001' is not a whole number from 1 to 100000"},
	{"rate bad window", V1 R1 "    checks:\n"
	                          "      rate: {per_resource: 3, window: soon}\n",
	 6, "window 'soon' is not a valid duration"},

	/* break-glass and extensions */
	{"break_glass undefined group", V1 R1 "    break_glass:\n"
	                                      "      group: sre\n"
	                                      "      max_duration: 10m\n", 6,
	 "rule 'r' break_glass: group 'sre' is not defined (break-glass must "
	 "name a group from 'groups')"},
	{"break_glass no duration", V1 GRP R1 "    break_glass: {group: dba}\n",
	 7, "rule 'r' break_glass: missing key 'max_duration'"},
	{"break_glass too long", V1 GRP R1 "    break_glass:\n"
	                                    "      group: dba\n"
	                                    "      max_duration: 2h\n", 9,
	 "rule 'r' break_glass: max_duration 2h is above the rule's "
	 "max_duration 1h"},
	{"break_glass a string", V1 R1 "    break_glass: sre\n", 5,
	 "rule 'r': 'break_glass' must be a map, not a single value"},
	{"extensions a list", V1 R1 "    extensions: [1]\n", 5,
	 "rule 'r': 'extensions' must be a map, not a list"},
	{"time a string", V1 R1 "    checks: {time: office-hours}\n", 5,
	 "rule 'r' checks: 'time' must be a map, not a single value"},
	{"rate a list", V1 R1 "    checks: {rate: [5]}\n", 5,
	 "rule 'r' checks: 'rate' must be a map, not a list"},
	{"extensions too many", V1 R1 "    extensions: {auto: 101}\n", 5,
	 "rule 'r' extensions: auto '101' is not a whole number from 0 to 100"},
	{"extensions negative", V1 R1 "    extensions: {auto: -1}\n", 5,
	 "auto '-1' is not a whole number"},
	{"extensions unknown key", V1 R1 "    extensions: {manual: 1}\n", 5,
	 "unknown key 'manual' (expected one of: auto)"},
	{"rule unknown key lists all", V1 R1 "    break_glas: {}\n", 5,
	 "unknown key 'break_glas' (expected one of: name, match, checks, "
	 "decision, steps, max_duration, request_ttl, max_start_ahead, "
	 "break_glass, extensions, "
	 "execute, step_up, approve_comment)"},
	{"approve_comment not a boolean", V1 R1 "    approve_comment: approve\n",
	 5, "rule 'r': 'approve_comment' 'approve' is not true or false"},
	{"execute value", V1 R1 "    execute: always\n", 5,
	 "execute 'always' is not one of: manual, auto"},
	{"execute is a single value", V1 R1 "    execute: [auto]\n", 5,
	 "execute must be a single value, not a list"},

	/* steps */
	{"steps is a map", V1 GRP "rules:\n  - name: a\n    steps: {group: dba}\n",
	 6, "'steps' must be a list, not a map"},
	{"steps empty", V1 "rules:\n  - {name: a, steps: []}\n", 3,
	 "'steps' must have 1 to 8 entries, not 0"},
	{"too many steps", V1 GRP "rules:\n  - name: a\n    steps: ["
	                          "{group: dba, count: 1}, {group: dba, count: 1}, "
	                          "{group: dba, count: 1}, {group: dba, count: 1}, "
	                          "{group: dba, count: 1}, {group: dba, count: 1}, "
	                          "{group: dba, count: 1}, {group: dba, count: 1}, "
	                          "{group: dba, count: 1}]\n",
	 6, "'steps' must have 1 to 8 entries, not 9"},
	{"undefined group", V1 GRP "rules:\n  - name: a\n    steps:\n"
	                           "      - {group: dba, count: 1}\n"
	                           "      - {group: dbx, count: 1}\n", 8,
	 "rule 'a' step 2: group 'dbx' is not defined (steps must name a group "
	 "from 'groups')"},
	{"group case differs", V1 GRP "rules:\n  - name: a\n"
	                              "    steps: [{group: DBA, count: 1}]\n", 6,
	 "group 'DBA' is not defined"},
	{"step missing count", V1 GRP "rules:\n  - name: a\n"
	                              "    steps: [{group: dba}]\n", 6,
	 "rule 'a' step 1: missing key 'count'"},
	{"step unknown key", V1 GRP "rules:\n  - name: a\n    steps:\n"
	                            "      - group: dba\n        count: 1\n"
	                            "        of: 2\n", 9,
	 "rule 'a' step 1: unknown key 'of'"},
	{"count zero", V1 GRP "rules:\n  - name: a\n"
	                      "    steps: [{group: dba, count: 0}]\n", 6,
	 "count '0' is not a whole number from 1 to 16"},
	{"count too large", V1 GRP "rules:\n  - name: a\n"
	                           "    steps: [{group: dba, count: 17}]\n", 6,
	 "count '17' is not a whole number from 1 to 16"},
	{"count huge", V1 GRP "rules:\n  - name: a\n"
	                      "    steps: [{group: dba, count: 99999999999999999999}]\n",
	 6, "is not a whole number from 1 to 16"},
	{"count not a number", V1 GRP "rules:\n  - name: a\n"
	                              "    steps: [{group: dba, count: two}]\n", 6,
	 "count 'two' is not a whole number"},
	{"count negative", V1 GRP "rules:\n  - name: a\n"
	                          "    steps: [{group: dba, count: -1}]\n", 6,
	 "count '-1' is not a whole number"},
	{"step is a string", V1 GRP "rules:\n  - name: a\n    steps: [dba]\n", 6,
	 "rule 'a' step 1: the step must be a map, not a single value"},
};

static void refused(void **state)
{
	const struct bad *b = *state;
	parse_fails(b->yaml, strlen(b->yaml), JG_EINVAL, b->line, b->phrase);
}

/* ---- matching and membership ------------------------------------------- */

static const char match_policy[] =
        "version: 1\n"
        "groups:\n"
        "  dba: {members: [bob]}\n"
        "resources:\n"
        "  prod-db: {labels: {env: prod}, actions: [sql.read, sql.write, sql.admin]}\n"
        "  prod-cache: {labels: {env: prod}, actions: [flush]}\n"
        "  dev-db: {labels: {env: dev}, actions: [sql.read, sql.write]}\n"
        "  tmp: {actions: [sql.read, wipe]}\n"
        "rules:\n"
        "  - {name: no-admin, match: {action: sql.admin}, decision: deny}\n"
        "  - name: prod-sql\n"
        "    match: {resource: 'prod-*', labels: {env: prod}, action: 'sql.*'}\n"
        "    steps: [{group: dba, count: 1}]\n"
        "    max_duration: 30m\n"
        "  - {name: dev, match: {labels: {env: dev}}, decision: auto}\n"
        "  - {name: reads, match: {action: '*.read'}, decision: auto}\n";

static const char *rule_for(const struct jg_policy *p, const char *res,
                            const char *action)
{
	const struct jg_rule *r =
	        jg_policy_match(p, jg_policy_resource(p, res), action);
	return r ? r->name : "(none)";
}

static void match_first_wins(void **state)
{
	struct jg_policy *p = parse_ok(match_policy);

	(void)state;
	/* sql.admin on prod-db matches no-admin and prod-sql: first wins */
	assert_string_equal(rule_for(p, "prod-db", "sql.admin"), "no-admin");
	assert_string_equal(rule_for(p, "prod-db", "sql.write"), "prod-sql");
	/* sql.read on dev-db matches dev and reads: dev comes first */
	assert_string_equal(rule_for(p, "dev-db", "sql.read"), "dev");
	jg_policy_free(p);
}

static void match_globs_and_labels(void **state)
{
	struct jg_policy *p = parse_ok(match_policy);

	(void)state;
	/* resource glob matches, action glob does not: falls through */
	assert_string_equal(rule_for(p, "prod-cache", "flush"), "(none)");
	/* action glob '*.read' on a resource without labels */
	assert_string_equal(rule_for(p, "tmp", "sql.read"), "reads");
	/* a labelled rule never matches a resource lacking the label */
	assert_string_equal(rule_for(p, "tmp", "wipe"), "(none)");
	jg_policy_free(p);
}

static void member_via_policy_and_token(void **state)
{
	struct jg_policy *p = parse_ok(match_policy);
	struct jg_principal bob = user("bob", NULL);
	struct jg_principal eve = user("eve", "dba");
	struct jg_principal mallory = user("mallory", "security");
	struct jg_principal bob_upper = user("Bob", NULL);

	(void)state;
	assert_true(jg_policy_member(p, "dba", &bob));
	assert_true(jg_policy_member(p, "dba", &eve));
	assert_false(jg_policy_member(p, "dba", &mallory));
	assert_false(jg_policy_member(p, "dba", &bob_upper));
	/* a token group counts even when the policy does not define it */
	assert_true(jg_policy_member(p, "security", &mallory));
	assert_false(jg_policy_member(p, "security", &bob));
	jg_policy_free(p);
}

/* ---- screening --------------------------------------------------------- */

static enum jg_err screen(const struct jg_policy *p, const char *res,
                          const char *action, int64_t duration,
                          struct jg_verdict *v)
{
	struct jg_principal who = user("alice", NULL);
	struct jg_ask ask = {.resource = res, .action = action,
	                     .duration = duration};
	return jg_policy_screen(p, &who, &ask, v);
}

static void screen_unknown(void **state)
{
	struct jg_policy *p = parse_ok(match_policy);
	struct jg_verdict v;

	(void)state;
	assert_int_equal(screen(p, "nope", "sql.read", 0, &v), JG_EUNKNOWN);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	assert_non_null(strstr(v.reason, "unknown resource 'nope'"));
	assert_int_equal(screen(p, "prod-db", "sql.drop", 0, &v), JG_EUNKNOWN);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	assert_non_null(strstr(v.reason, "'sql.drop'"));
	/* an action of another resource is still unknown here */
	assert_int_equal(screen(p, "prod-db", "flush", 0, &v), JG_EUNKNOWN);
	jg_policy_free(p);
}

static void screen_duration(void **state)
{
	struct jg_policy *p = parse_ok(match_policy);
	struct jg_verdict v;

	(void)state;
	assert_int_equal(screen(p, "prod-db", "sql.write", 1800, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	assert_int_equal(v.duration, 1800);
	assert_int_equal(screen(p, "prod-db", "sql.write", 1801, &v),
	                 JG_EDURATION);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	assert_non_null(strstr(v.reason, "30m1s"));
	assert_non_null(strstr(v.reason, "30m "));
	assert_non_null(strstr(v.reason, "'prod-sql'"));
	/* no duration asked: the rule's maximum */
	assert_int_equal(screen(p, "prod-db", "sql.write", 0, &v), JG_OK);
	assert_int_equal(v.duration, 1800);
	assert_int_equal(v.request_ttl, JG_DEFAULT_REQUEST_TTL);
	jg_policy_free(p);
}

static void screen_decisions(void **state)
{
	struct jg_policy *p = parse_ok(match_policy);
	struct jg_verdict v;

	(void)state;
	assert_int_equal(screen(p, "prod-cache", "flush", 0, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	assert_null(v.rule);
	assert_non_null(strstr(v.reason, "denied by default"));
	assert_int_equal(screen(p, "prod-db", "sql.admin", 0, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	assert_string_equal(v.rule->name, "no-admin");
	assert_int_equal(screen(p, "dev-db", "sql.write", 0, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_AUTO);
	assert_int_equal(v.duration, JG_DEFAULT_MAX_DURATION);
	assert_int_equal(screen(p, "prod-db", "sql.read", 600, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	assert_int_equal(v.rule->nsteps, 1);
	assert_string_equal(v.rule->steps[0].group, "dba");
	jg_policy_free(p);
}

/* Screening the example as `make run` serves it (core/screen.c). */
static enum jg_err screen_as(const struct jg_policy *p, const char *who,
                             const char *group, struct jg_ask *ask,
                             struct jg_verdict *v)
{
	struct jg_principal w = user(who, group);
	return jg_policy_screen(p, &w, ask, v);
}

static void screen_example(void **state)
{
	struct jg_policy *p = load_example();
	struct jg_verdict v;
	struct jg_finding low = {.id = "F-1", .type = "dast", .severity = JG_LOW};
	struct jg_finding high = {.id = "F-2", .type = "sast",
	                          .severity = JG_HIGH};
	struct jg_ask read = {.resource = "prod-db", .action = "sql.read",
	                      .reason = "monthly revenue report",
	                      .now = 1772614800}; /* Wed 2026-03-04 10:00 Paris */
	struct jg_ask write = {.resource = "prod-db", .action = "sql.write",
	                       .duration = 1800, .ticket = "INC-42",
	                       .reason = "fix the corrupted invoice rows",
	                       .source_ip = "10.20.3.4", .now = 1772614800};
	struct jg_ask fix = {.resource = "payments-staging",
	                     .action = "fix.deploy", .finding = &low,
	                     .now = 1772614800};

	(void)state;
	/* office hours in Paris: a read is approved at once */
	assert_int_equal(screen_as(p, "alice", NULL, &read, &v), JG_OK);
	assert_string_equal(v.rule->name, "prod-db-reads-office-hours");
	assert_int_equal(v.decision, JG_DECIDE_AUTO);
	/* 19:30 in Paris, and a Saturday: one DBA */
	read.now = 1772649000;
	assert_int_equal(screen_as(p, "alice", NULL, &read, &v), JG_OK);
	assert_string_equal(v.rule->name, "prod-db-reads");
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	read.now = 1772874000;
	assert_int_equal(screen_as(p, "alice", NULL, &read, &v), JG_OK);
	assert_string_equal(v.rule->name, "prod-db-reads");

	/* writes: two DBAs then security; outside the networks, flagged */
	assert_int_equal(screen_as(p, "alice", NULL, &write, &v), JG_OK);
	assert_string_equal(v.rule->name, "prod-db-writes");
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	assert_false(v.flagged);
	assert_int_equal(v.request_ttl, 4 * 3600);
	write.source_ip = "203.0.113.9";
	assert_int_equal(screen_as(p, "alice", NULL, &write, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	assert_true(v.flagged);
	write.ticket = "JIRA-42"; /* not an incident or change: denied */
	assert_int_equal(screen_as(p, "alice", NULL, &write, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	write.ticket = "CHG-7";
	write.duration = 3600;
	assert_int_equal(screen_as(p, "alice", NULL, &write, &v), JG_EDURATION);
	write.duration = 0;
	write.break_glass = 1; /* an SRE in an emergency */
	assert_int_equal(screen_as(p, "sam", NULL, &write, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_AUTO);
	assert_true(v.break_glass);
	assert_int_equal(screen_as(p, "alice", NULL, &write, &v), JG_EFORBIDDEN);

	read.action = "sql.admin";
	assert_int_equal(screen_as(p, "alice", NULL, &read, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	assert_string_equal(v.rule->name, "prod-db-admin-denied");

	/* the scanner: low in staging at once, higher severities reviewed */
	assert_int_equal(screen_as(p, "zap", NULL, &fix, &v), JG_OK);
	assert_string_equal(v.rule->name, "scanner-fixes-staging-low");
	assert_int_equal(v.decision, JG_DECIDE_AUTO);
	fix.finding = &high;
	assert_int_equal(screen_as(p, "zap", NULL, &fix, &v), JG_OK);
	assert_string_equal(v.rule->name, "scanner-fixes-review");
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	fix.finding = &low;
	fix.resource = "payments-api";
	assert_int_equal(screen_as(p, "zap", NULL, &fix, &v), JG_OK);
	assert_string_equal(v.rule->name, "scanner-fixes-review");
	/* a person deploying a fix is no scanner */
	fix.finding = NULL;
	fix.ticket = "CHG-1";
	assert_int_equal(screen_as(p, "erin", NULL, &fix, &v), JG_OK);
	assert_string_equal(v.rule->name, "payments-prod-changes");
	assert_string_equal(v.rule->steps[0].group, "payments-oncall");
	fix.resource = "payments-staging";
	fix.action = "deploy";
	assert_int_equal(screen_as(p, "erin", NULL, &fix, &v), JG_OK);
	assert_string_equal(v.rule->name, "staging-auto");
	assert_int_equal(v.decision, JG_DECIDE_AUTO);

	/* staging writes: one DBA; one extension without review */
	fix.resource = "staging-db";
	fix.action = "sql.write";
	assert_int_equal(screen_as(p, "erin", NULL, &fix, &v), JG_OK);
	assert_string_equal(v.rule->name, "staging-db-writes");
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	fix.extension = 1;
	fix.life_so_far = 3600;
	fix.duration = 1800;
	assert_int_equal(screen_as(p, "erin", NULL, &fix, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_AUTO);
	fix.extensions_so_far = 1;
	assert_int_equal(screen_as(p, "erin", NULL, &fix, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	jg_policy_free(p);
}

/* ---- lint -------------------------------------------------------------- */

struct warnings {
	size_t n;
	int line[8];
	char msg[8][256];
};

static void collect(void *ctx, int line, const char *msg)
{
	struct warnings *w = ctx;

	if (w->n < 8) {
		w->line[w->n] = line;
		snprintf(w->msg[w->n], sizeof(w->msg[0]), "%s", msg);
	}
	w->n++;
}

static struct warnings lint(const char *yaml)
{
	struct jg_policy *p = parse_ok(yaml);
	struct warnings w = {0};
	size_t n = jg_policy_lint(p, collect, &w);

	assert_int_equal(n, w.n);
	assert_int_equal(jg_policy_lint(p, NULL, NULL), n); /* only counts */
	jg_policy_free(p);
	return w;
}

static void lint_example_is_clean(void **state)
{
	struct jg_policy *p = load_example();
	struct warnings w = {0};

	(void)state;
	jg_policy_lint(p, collect, &w);
	if (w.n)
		print_error("line %d: %s\n", w.line[0], w.msg[0]);
	assert_int_equal(w.n, 0);
	jg_policy_free(p);
}

static void lint_unreachable(void **state)
{
	struct warnings w = lint(
	        "version: 1\n"
	        "resources:\n"
	        "  prod-db: {labels: {env: prod, team: data}, actions: [read, write]}\n"
	        "rules:\n"
	        "  - name: prod-all\n"                          /* 5 */
	        "    match: {resource: 'prod-*', labels: {env: prod}}\n"
	        "    decision: auto\n"
	        "  - name: prod-db-write\n"                     /* 8 */
	        "    match: {resource: prod-db, labels: {env: prod, team: data}, "
	        "action: write}\n"
	        "    decision: deny\n"
	        "  - name: prod-glob\n"                         /* 11 */
	        "    match: {resource: 'prod-*', labels: {env: prod}}\n"
	        "    decision: deny\n");

	(void)state;
	assert_int_equal(w.n, 2);
	assert_int_equal(w.line[0], 8);
	assert_string_equal(w.msg[0], "rule 'prod-db-write' is unreachable: rule "
	                              "'prod-all' (line 5) matches everything it "
	                              "does");
	assert_int_equal(w.line[1], 11);
	assert_non_null(strstr(w.msg[1], "rule 'prod-glob' is unreachable: rule "
	                                 "'prod-all' (line 5)"));
}

static void lint_reachable(void **state)
{
	/* Each later rule escapes the earlier one in one way. */
	struct warnings w = lint(
	        "version: 1\n"
	        "groups: {dba: {members: [bob]}, ops: {members: [eve]}}\n"
	        "resources:\n"
	        "  db: {labels: {env: prod}, sensitivity: high, actions: [read]}\n"
	        "rules:\n"
	        "  - name: office-hours\n"
	        "    checks: {time: {zone: UTC, hours: '08:00-18:00', mode: match}}\n"
	        "    decision: auto\n"
	        "  - name: anyone\n"
	        "    match: {environment: [prod, dev], requester: {groups: [dba]}}\n"
	        "    decision: auto\n"
	        "  - name: env-staging\n"
	        "    match: {environment: staging, requester: {groups: [dba]}}\n"
	        "    decision: auto\n"
	        "  - name: other-group\n"
	        "    match: {environment: prod, requester: {groups: [ops]}}\n"
	        "    decision: auto\n"
	        "  - name: sens\n"
	        "    match: {sensitivity: {at_least: high}, automation: true}\n"
	        "    decision: auto\n"
	        "  - name: sens-wider\n"
	        "    match: {sensitivity: {at_least: medium}, automation: true}\n"
	        "    decision: auto\n"
	        "  - name: people\n"
	        "    match: {sensitivity: {at_least: high}}\n"
	        "    decision: auto\n"
	        "  - name: findings\n"
	        "    match: {finding_type: [sast]}\n"
	        "    decision: auto\n"
	        "  - name: more-findings\n"
	        "    match: {finding_type: [sast, dast]}\n"
	        "    decision: auto\n"
	        "  - name: glob\n"
	        "    match: {resource: 'd?'}\n"
	        "    decision: auto\n"
	        "  - name: other-glob\n"
	        "    match: {resource: 'd*'}\n"
	        "    decision: auto\n");

	(void)state;
	if (w.n)
		print_error("%s\n", w.msg[0]);
	assert_int_equal(w.n, 0);
}

static void lint_shadowed_by_wider_keys(void **state)
{
	struct warnings w = lint(
	        "version: 1\n"
	        "groups: {dba: {members: [bob]}}\n"
	        "resources:\n"
	        "  db: {labels: {env: prod}, sensitivity: high, actions: [read]}\n"
	        "rules:\n"
	        "  - name: wide\n"                                  /* 6 */
	        "    match:\n"
	        "      resource: 'd*'\n"
	        "      environment: [prod, staging]\n"
	        "      sensitivity: {at_least: medium}\n"
	        "      requester: {users: [alice, bob], groups: [dba]}\n"
	        "      finding_type: [sast, dast]\n"
	        "    checks: {ticket: {pattern: 'T-[0-9]+'}}\n" /* not MATCH */
	        "    decision: auto\n"
	        "  - name: narrow\n"                                /* 15 */
	        "    match:\n"
	        "      resource: db\n"
	        "      labels: {env: prod}\n"
	        "      sensitivity: {at_least: high, at_most: critical}\n"
	        "      requester: {users: [bob]}\n"
	        "      finding_type: sast\n"
	        "    decision: deny\n");

	(void)state;
	assert_int_equal(w.n, 1);
	assert_int_equal(w.line[0], 15);
	assert_string_equal(w.msg[0], "rule 'narrow' is unreachable: rule 'wide' "
	                              "(line 6) matches everything it does");
}

static void lint_steps_and_resources(void **state)
{
	struct warnings w = lint(
	        "version: 1\n"
	        "groups:\n"
	        "  dba: {members: [bob]}\n"
	        "  security: {}\n"
	        "resources:\n"
	        "  db: {labels: {env: prod}, actions: [read]}\n"
	        "  cache: {labels: {env: prod}, actions: [flush]}\n" /* 7 */
	        "  lab: {sensitivity: low, actions: [read]}\n"       /* 8 */
	        "rules:\n"
	        "  - name: reads\n"                                  /* 10 */
	        "    match: {action: read, sensitivity: {at_least: medium}}\n"
	        "    steps:\n"
	        "      - {group: dba, count: 1}\n"
	        "      - {group: security, count: 1}\n"
	        "      - {group: security, count: 1}\n");

	(void)state;
	assert_int_equal(w.n, 3);
	assert_int_equal(w.line[0], 10);
	assert_string_equal(w.msg[0], "rule 'reads' step 2: group 'security' "
	                              "lists no members, so only tokens carrying "
	                              "the group can approve");
	assert_int_equal(w.line[1], 7);
	assert_string_equal(w.msg[1], "resource 'cache' is matched by no rule, "
	                              "so every request on it is denied");
	assert_int_equal(w.line[2], 8);
	assert_non_null(strstr(w.msg[2], "resource 'lab'"));
}

static void lint_findings(void **state)
{
	struct warnings w = lint(
	        "version: 1\n"
	        "resources:\n"
	        "  web: {labels: {env: staging}, actions: [fix.deploy, alert.silence]}\n"
	        "  db: {actions: [sql.read]}\n"
	        "rules:\n"
	        "  - name: fixes\n"
	        "    match: {action: fix.deploy, automation: true}\n"
	        "    decision: auto\n"
	        "  - name: reads\n"
	        "    match: {resource: db}\n"
	        "    decision: auto\n"
	        "findings:\n"
	        "  - match: {type: [zap, codeql], severity: {at_least: low}}\n" /* 13 */
	        "    resource: web\n"
	        "    action: fix.deploy\n"
	        "  - match: {type: zap, rule: 'x*', severity: {at_least: high}}\n" /* 16 */
	        "    resource: web\n"
	        "    action: fix.deploy\n"
	        "  - match: {type: sarif}\n"                          /* 19 */
	        "    resource: web\n"
	        "    action: alert.silence\n"
	        "  - match: {type: semgrep}\n"                        /* 22 */
	        "    resource: '{target}'\n"
	        "    action: alert.silence\n"
	        "  - match: {type: trivy}\n"                          /* 25 */
	        "    resource: '{target}'\n"
	        "    action: fix.deploy\n"
	        "  - match: {type: zap}\n"                            /* 28 */
	        "    resource: web\n"
	        "    action: fix.deploy\n");

	(void)state;
	assert_int_equal(w.n, 3);
	assert_int_equal(w.line[0], 16);
	assert_string_equal(w.msg[0], "findings entry 2 is never used: entry 1 "
	                              "(line 13) takes every finding it would");
	assert_int_equal(w.line[1], 19);
	assert_string_equal(w.msg[1], "findings entry 3: no rule matches "
	                              "'alert.silence' on 'web', so every "
	                              "finding it takes is denied");
	assert_int_equal(w.line[2], 22);
	assert_string_equal(w.msg[2], "findings entry 4: no rule matches "
	                              "'alert.silence' on any resource, so every "
	                              "finding it takes is denied");
	/* entry 5 ({target}, fix.deploy) can reach web; entry 6 takes zap
	 * findings of unknown severity, which entry 1 (at least low) does not */
}

static void lint_no_effect(void **state)
{
	struct warnings w = lint(
	        "version: 1\n"
	        "groups: {sre: {members: [sam]}}\n"
	        "resources: {db: {actions: [read, write, drop]}}\n"
	        "rules:\n"
	        "  - name: no\n"                                   /* 5 */
	        "    match: {action: drop}\n"
	        "    decision: deny\n"
	        "    break_glass: {group: sre, max_duration: 10m}\n"
	        "  - name: yes\n"                                  /* 9 */
	        "    decision: auto\n"
	        "    extensions: {auto: 3}\n"
	        "    match: {action: write}\n"
	        "  - name: reviewed\n"
	        "    steps: [{group: sre, count: 1}]\n"
	        "    break_glass: {group: sre, max_duration: 10m}\n"
	        "    extensions: {auto: 3}\n"
	        "    match: {action: write}\n");

	(void)state;
	/* 'reviewed' is shadowed by 'yes' */
	assert_int_equal(w.n, 3);
	assert_int_equal(w.line[0], 5);
	assert_string_equal(w.msg[0], "rule 'no': break_glass has no effect, "
	                              "since the rule decides 'deny' at once");
	assert_int_equal(w.line[1], 9);
	assert_string_equal(w.msg[1], "rule 'yes': extensions.auto has no "
	                              "effect, since the rule decides 'auto' at "
	                              "once");
	assert_non_null(strstr(w.msg[2], "rule 'reviewed' is unreachable: rule "
	                                 "'yes' (line 9)"));
}

/* ---- main -------------------------------------------------------------- */

#define NBAD (sizeof(bad) / sizeof(bad[0]))

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(example_resources),
		cmocka_unit_test(example_groups_and_rules),
		cmocka_unit_test(example_sha256),
		cmocka_unit_test(minimal_policy_denies_all),
		cmocka_unit_test(rule_execute_auto_or_manual),
		cmocka_unit_test(rule_approve_comment),
		cmocka_unit_test(defaults_apply_and_rules_override),
		cmocka_unit_test(builtin_defaults),
		cmocka_unit_test(groups_edge_cases),
		cmocka_unit_test(names_are_case_sensitive),
		cmocka_unit_test(load_missing_file),
		cmocka_unit_test(load_directory),
		cmocka_unit_test(too_big),
		cmocka_unit_test(too_deep),
		cmocka_unit_test(too_deep_block),
		cmocka_unit_test(load_too_big_file),
		cmocka_unit_test(nul_byte_refused),
		cmocka_unit_test(null_err_buffer),
		cmocka_unit_test(match_first_wins),
		cmocka_unit_test(match_globs_and_labels),
		cmocka_unit_test(member_via_policy_and_token),
		cmocka_unit_test(screen_unknown),
		cmocka_unit_test(screen_duration),
		cmocka_unit_test(screen_decisions),
		cmocka_unit_test(screen_example),
		cmocka_unit_test(example_checks),
		cmocka_unit_test(every_new_key_parsed),
		cmocka_unit_test(days_forms),
		cmocka_unit_test(hours_forms),
		cmocka_unit_test(time_windows),
		cmocka_unit_test(cidr_edges),
		cmocka_unit_test(ticket_whole_match),
		cmocka_unit_test(break_glass_equal_to_rule_max),
		cmocka_unit_test(lint_example_is_clean),
		cmocka_unit_test(lint_unreachable),
		cmocka_unit_test(lint_reachable),
		cmocka_unit_test(lint_findings),
		cmocka_unit_test(lint_shadowed_by_wider_keys),
		cmocka_unit_test(lint_steps_and_resources),
		cmocka_unit_test(lint_no_effect),
		cmocka_unit_test(hidden_chars_modes),
	};
	/* One named test per refusal, so a failure says which one. */
	struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + NBAD];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < NBAD; i++)
		tests[n++] = (struct CMUnitTest){bad[i].name, refused, NULL, NULL,
		                                 (void *)&bad[i]};
	unsetenv("TZDIR"); /* zones from the system's tz database */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
