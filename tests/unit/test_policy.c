/*
 * test_policy.c - the policy loader (src/policy/load.c) and the decisions
 * made from a loaded policy (src/core/policy.c).
 *
 * Every validation error is checked for its exact "name:LINE: " prefix and
 * a key phrase, and for failing closed: no policy comes back. Tests must
 * never depend on the clock or on files other than examples/policy.yaml
 * (run from the repository root).
 */
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

static void example_resources(void **state)
{
	struct jg_policy *p = load_example();
	const struct jg_resource *r;

	(void)state;
	assert_int_equal(p->nresources, 5);
	r = jg_policy_resource(p, "prod-db");
	assert_non_null(r);
	assert_int_equal(r->nactions, 3);
	assert_true(has(r->actions, r->nactions, "sql.admin"));
	assert_string_equal(r->sensitivity, "high");
	assert_string_equal(label(r->labels, r->nlabels, "env"), "prod");
	assert_string_equal(label(r->labels, r->nlabels, "team"), "data");
	assert_true(r->line > 1);
	r = jg_policy_resource(p, "staging-db");
	assert_non_null(r);
	assert_string_equal(r->sensitivity, "medium"); /* the default */
	r = jg_policy_resource(p, "payments-api");
	assert_non_null(r);
	assert_string_equal(r->sensitivity, "critical");
	assert_true(has(r->actions, r->nactions, "deploy"));
	assert_non_null(jg_policy_resource(p, "payments-staging"));
	r = jg_policy_resource(p, "scanner-findings");
	assert_non_null(r);
	assert_true(has(r->actions, r->nactions, "fix.deploy"));
	assert_null(jg_policy_resource(p, "Prod-DB")); /* exact names */
	jg_policy_free(p);
}

static void example_groups_and_rules(void **state)
{
	struct jg_policy *p = load_example();
	const struct jg_group *g;
	const struct jg_rule *w = NULL;

	(void)state;
	assert_int_equal(p->ngroups, 4);
	g = jg_policy_group(p, "dba");
	assert_non_null(g);
	assert_int_equal(g->nmembers, 2);
	assert_true(has(g->members, g->nmembers, "carol"));
	assert_non_null(jg_policy_group(p, "sre"));
	assert_int_equal(p->nrules, 5);
	for (size_t i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i].name, "prod-db-writes") == 0)
			w = &p->rules[i];
	assert_non_null(w);
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
	assert_int_equal(p->rules[4].decision, JG_DECIDE_AUTO);
	assert_int_equal(p->rules[4].max_duration, 4 * 3600);
	assert_int_equal(p->rules[4].request_ttl, 24 * 3600); /* defaults */
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
	 "labels, action)"},
	{"match bad glob", V1 "rules:\n  - name: a\n    decision: auto\n"
	                      "    match: {resource: 'prod db'}\n", 5,
	 "resource 'prod db' is not a valid pattern"},
	{"match empty glob", V1 "rules:\n  - name: a\n    decision: auto\n"
	                        "    match: {action: ''}\n", 5,
	 "action '' is not a valid pattern"},
	{"match bad labels", V1 "rules:\n  - name: a\n    decision: auto\n"
	                        "    match: {labels: {env: 'pr od'}}\n", 5,
	 "value of label 'env' 'pr od' is not a valid name"},

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

static void screen_example(void **state)
{
	struct jg_policy *p = load_example();
	struct jg_verdict v;

	(void)state;
	assert_int_equal(screen(p, "prod-db", "sql.write", 1800, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_REVIEW);
	assert_int_equal(v.request_ttl, 4 * 3600);
	assert_int_equal(screen(p, "prod-db", "sql.write", 3600, &v),
	                 JG_EDURATION);
	assert_int_equal(screen(p, "prod-db", "sql.admin", 0, &v), JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_DENY);
	assert_int_equal(screen(p, "payments-api", "deploy", 0, &v), JG_OK);
	assert_string_equal(v.rule->name, "payments-prod-changes");
	assert_string_equal(v.rule->steps[0].group, "payments-oncall");
	assert_int_equal(screen(p, "scanner-findings", "fix.deploy", 4 * 3600, &v),
	                 JG_OK);
	assert_int_equal(v.decision, JG_DECIDE_AUTO);
	assert_int_equal(screen(p, "payments-staging", "deploy", 0, &v), JG_OK);
	assert_string_equal(v.rule->name, "staging-auto");
	jg_policy_free(p);
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
		cmocka_unit_test(defaults_apply_and_rules_override),
		cmocka_unit_test(builtin_defaults),
		cmocka_unit_test(groups_edge_cases),
		cmocka_unit_test(names_are_case_sensitive),
		cmocka_unit_test(load_missing_file),
		cmocka_unit_test(load_directory),
		cmocka_unit_test(too_big),
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
	};
	/* One named test per refusal, so a failure says which one. */
	struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + NBAD];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < NBAD; i++)
		tests[n++] = (struct CMUnitTest){bad[i].name, refused, NULL, NULL,
		                                 (void *)&bad[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
