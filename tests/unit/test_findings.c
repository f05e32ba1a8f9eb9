/*
 * test_findings.c - scanner findings: the generic format and SARIF 2.1.0
 * (src/scan/), the policy's `findings` list (loader and core matching,
 * reason templates), and the gate turning findings into requests once
 * each, on SQLite and, when JITGATE_TEST_PG is set, PostgreSQL.
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

#include "exec/exec.h"
#include "gate/gate.h"
#include "policy/load.h"
#include "scan/scan.h"
#include "store/store.h"
#include "testdb.h"
#include "gatefx.h"

#define T0 1800000000LL

/* ---- helpers ----------------------------------------------------------- */

/* Parse the report text; the result code, and s filled. */
static enum jg_err parse(const char *text, const char *target,
                         struct jg_scan *s, char why[JG_WHY_MAX])
{
	json_error_t jerr;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	enum jg_err e;

	if (!doc)
		fail_msg("test JSON: %s: %s", jerr.text, text);
	e = jg_scan_parse(doc, target, s, why);
	json_decref(doc);
	return e;
}

static void parse_ok(const char *text, const char *target, struct jg_scan *s)
{
	char why[JG_WHY_MAX] = "";
	if (parse(text, target, s, why) != JG_OK)
		fail_msg("report refused: %s", why);
}

static void expect_item_error(const struct jg_scan *s, size_t i,
                              const char *because)
{
	assert_true(i < s->n);
	if (!strstr(s->items[i].error, because))
		fail_msg("item %zu: error '%s', expected '%s'", i,
		         s->items[i].error, because);
}

static struct jg_policy *policy(const char *yaml, char *err, size_t len)
{
	struct jg_policy *p = NULL;
	jg_policy_parse("findings-test.yaml", yaml, strlen(yaml), &p, err, len);
	return p;
}

/* ---- the generic format -------------------------------------------------- */

static void generic_single_and_batch(void **state)
{
	struct jg_scan s;

	(void)state;
	parse_ok("{\"id\":\"F-1\",\"type\":\"dast\",\"rule\":\"xss\","
	         "\"severity\":\"high\",\"location\":\"/login\","
	         "\"recommendation\":\"escape it\",\"target\":\"web\"}",
	         NULL, &s);
	assert_int_equal(s.n, 1);
	assert_false(s.sarif);
	assert_string_equal(s.items[0].error, "");
	assert_string_equal(s.items[0].id, "F-1");
	assert_string_equal(s.items[0].type, "dast");
	assert_string_equal(s.items[0].rule, "xss");
	assert_int_equal(s.items[0].severity, JG_HIGH);
	assert_string_equal(s.items[0].location, "/login");
	assert_string_equal(s.items[0].recommendation, "escape it");
	assert_string_equal(s.items[0].target, "web");
	jg_scan_clear(&s);
	/* a batch; the query's target fills in where a finding names none */
	parse_ok("{\"findings\":[{\"id\":\"a\",\"type\":\"sast\"},"
	         "{\"id\":\"b\",\"type\":\"sast\",\"target\":\"api\"}]}",
	         "web", &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.items[0].target, "web");
	assert_string_equal(s.items[1].target, "api");
	assert_int_equal(s.items[0].severity, 0);
	assert_null(s.items[0].rule);
	jg_scan_clear(&s);
	parse_ok("{\"findings\":[]}", NULL, &s);
	assert_int_equal(s.n, 0);
	jg_scan_clear(&s);
}

/* What an error quotes from the input is shown, never passed through: a
 * newline in a member's name or a SARIF level cannot split or forge a
 * line of the log or the answer (found by fuzz_findings). */
static void errors_show_the_input_they_quote(void **state)
{
	struct jg_scan s;

	(void)state;
	parse_ok("{\"findings\":[{\"id\":\"a\",\"type\":\"zap\","
	         "\"recommendati\\n\":\"x\"}]}", NULL, &s);
	expect_item_error(&s, 0, "unknown member 'recommendati<U+000A>'");
	assert_null(strchr(s.items[0].error, '\n'));
	jg_scan_clear(&s);
	parse_ok("{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":"
	         "{\"name\":\"zap\"}},\"results\":[{\"ruleId\":\"r\","
	         "\"level\":\"fatal\\u001b[2J\"}]}]}", NULL, &s);
	expect_item_error(&s, 0, "level 'fatal<U+001B>[2J'");
	assert_null(strchr(s.items[0].error, 0x1b));
	jg_scan_clear(&s);
}

static void generic_bad_findings_each_get_an_error(void **state)
{
	char big[JG_FINDING_ID_MAX + 64], text[512];
	struct jg_scan s;

	(void)state;
	memset(big, 'x', JG_FINDING_ID_MAX + 1);
	big[JG_FINDING_ID_MAX + 1] = '\0';
	snprintf(text, sizeof(text),
	         "{\"findings\":["
	         "{\"type\":\"dast\"},"                              /* 0 */
	         "{\"id\":\"a\"},"                                  /* 1 */
	         "{\"id\":\"a\",\"type\":\"has space\"},"           /* 2 */
	         "{\"id\":\"a\",\"type\":\"dast\",\"severity\":\"info\"}," /* 3 */
	         "{\"id\":\"a\",\"type\":\"dast\",\"extra\":1},"    /* 4 */
	         "{\"id\":\"%s\",\"type\":\"dast\"},"               /* 5 */
	         "{\"id\":\"a\\u0001\",\"type\":\"dast\"},"         /* 6 */
	         "{\"id\":7,\"type\":\"dast\"},"                    /* 7 */
	         "\"F-9\","                                         /* 8 */
	         "{\"id\":\"ok\",\"type\":\"dast\",\"rule\":null}"  /* 9 */
	         "]}", big);
	parse_ok(text, NULL, &s);
	assert_int_equal(s.n, 10);
	expect_item_error(&s, 0, "id is required");
	expect_item_error(&s, 1, "type is required");
	expect_item_error(&s, 2, "type must be a name");
	expect_item_error(&s, 3, "severity must be low, medium, high or critical");
	expect_item_error(&s, 4, "unknown member 'extra'");
	assert_string_equal(s.items[4].id, "a"); /* named even when bad */
	expect_item_error(&s, 5, "longer than 128 bytes");
	expect_item_error(&s, 6, "control character");
	expect_item_error(&s, 7, "id must be a string");
	expect_item_error(&s, 8, "must be a JSON object");
	assert_string_equal(s.items[9].error, "");
	jg_scan_clear(&s);
}

static void reports_refused_whole(void **state)
{
	char why[JG_WHY_MAX] = "", *text;
	struct jg_scan s;
	size_t len = 32 + 40 * (JG_FINDINGS_MAX + 1), used;
	json_t *arr = json_array();

	(void)state;
	assert_int_equal(parse("[1]", NULL, &s, why), JG_EINVAL);
	jg_scan_clear(&s);
	assert_int_equal(parse("{\"findings\":{}}", NULL, &s, why), JG_EINVAL);
	jg_scan_clear(&s);
	assert_int_equal(parse("{\"findings\":[],\"x\":1}", NULL, &s, why),
	                 JG_EINVAL);
	jg_scan_clear(&s);
	assert_int_equal(parse("{\"id\":\"a\",\"type\":\"b\"}", "not a name", &s,
	                       why), JG_EINVAL);
	jg_scan_clear(&s);
	/* more than JG_FINDINGS_MAX */
	text = malloc(len);
	used = (size_t)snprintf(text, len, "{\"findings\":[");
	for (int i = 0; i <= JG_FINDINGS_MAX; i++)
		used += (size_t)snprintf(text + used, len - used,
		                         "%s{\"id\":\"%d\",\"type\":\"t\"}",
		                         i ? "," : "", i);
	snprintf(text + used, len - used, "]}");
	assert_int_equal(parse(text, NULL, &s, why), JG_ETOOBIG);
	assert_non_null(strstr(why, "500"));
	jg_scan_clear(&s);
	free(text);
	json_decref(arr);
}

/* ---- SARIF ---------------------------------------------------------------- */

static const char sarif_doc[] =
        "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
        "\"name\":\"OWASP ZAP\",\"rules\":["
        "{\"id\":\"r/sqli\",\"properties\":{\"security-severity\":\"9.1\"},"
        "\"shortDescription\":{\"text\":\"SQL injection\"}},"
        "{\"id\":\"r/note\",\"defaultConfiguration\":{\"level\":\"note\"}}]}},"
        "\"results\":["
        /* 0: severity from the rule's score, found by index */
        "{\"ruleIndex\":0,\"message\":{\"text\":\"use bind parameters\"},"
        "\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{"
        "\"uri\":\"src/db.c\"},\"region\":{\"startLine\":42,"
        "\"startColumn\":7}}}],\"fingerprints\":{\"b\":\"2\",\"a\":\"1\"}},"
        /* 1: the rule's default level, found by id; no message */
        "{\"ruleId\":\"r/note\",\"locations\":[{\"physicalLocation\":{"
        "\"artifactLocation\":{\"uri\":\"a.c\"},\"region\":{"
        "\"startLine\":3}}}]},"
        /* 2: the result's own level and score (score wins) */
        "{\"ruleId\":\"x\",\"level\":\"error\",\"properties\":{"
        "\"security-severity\":5},\"locations\":[{\"logicalLocations\":[{"
        "\"fullyQualifiedName\":\"pkg.Class.method\"}]}]},"
        /* 3: neither: SARIF's default, warning */
        "{\"ruleId\":\"y\"},"
        /* 4-6: not findings */
        "{\"ruleId\":\"y\",\"kind\":\"pass\"},"
        "{\"ruleId\":\"y\",\"suppressions\":[{\"kind\":\"inSource\"}]},"
        "{\"ruleId\":\"y\",\"baselineState\":\"absent\"},"
        /* 7: a suppression under review does not suppress */
        "{\"ruleId\":\"z\",\"level\":\"note\",\"suppressions\":[{"
        "\"kind\":\"external\",\"status\":\"underReview\"}]},"
        /* 8-11: bad ones */
        "{\"message\":{\"text\":\"no rule\"}},"
        "{\"ruleId\":\"y\",\"level\":\"fatal\"},"
        "{\"ruleId\":\"y\",\"properties\":{\"security-severity\":\"11\"}},"
        "{\"ruleId\":\"y\",\"properties\":{\"security-severity\":\"high\"}}"
        "]},{\"tool\":{\"driver\":{}},\"results\":[{\"ruleId\":\"q\"}]}]}";

static void sarif_results_as_findings(void **state)
{
	struct jg_scan s;

	(void)state;
	parse_ok(sarif_doc, "web", &s);
	assert_true(s.sarif);
	assert_int_equal(s.skipped, 3);
	assert_int_equal(s.n, 10);
	/* 0 */
	assert_string_equal(s.items[0].error, "");
	assert_string_equal(s.items[0].type, "owasp-zap");
	assert_string_equal(s.items[0].rule, "r/sqli");
	assert_int_equal(s.items[0].severity, JG_CRITICAL);
	assert_string_equal(s.items[0].location, "src/db.c:42:7");
	assert_string_equal(s.items[0].recommendation, "use bind parameters");
	assert_string_equal(s.items[0].target, "web");
	assert_int_equal(strlen(s.items[0].id), 32);
	/* 1 */
	assert_int_equal(s.items[1].severity, JG_LOW);
	assert_string_equal(s.items[1].location, "a.c:3");
	assert_null(s.items[1].recommendation);
	/* 2, 3 */
	assert_int_equal(s.items[2].severity, JG_MEDIUM);
	assert_string_equal(s.items[2].location, "pkg.Class.method");
	assert_int_equal(s.items[3].severity, JG_MEDIUM);
	assert_null(s.items[3].location);
	/* 7 is item 4 */
	assert_string_equal(s.items[4].rule, "z");
	assert_string_equal(s.items[4].error, "");
	/* the bad ones */
	expect_item_error(&s, 5, "no ruleId");
	expect_item_error(&s, 6, "level 'fatal'");
	expect_item_error(&s, 7, "security-severity");
	expect_item_error(&s, 8, "security-severity");
	/* a second run whose tool has no name */
	assert_string_equal(s.items[9].type, "sarif");
	jg_scan_clear(&s);
}

/* The id of the first result of a one-result SARIF report. */
static void sarif_id(const char *result, char out[64])
{
	char text[1024];
	struct jg_scan s;

	snprintf(text, sizeof(text), "{\"version\":\"2.1.0\",\"runs\":[{"
	         "\"tool\":{\"driver\":{\"name\":\"t\"}},\"results\":[%s]}]}",
	         result);
	parse_ok(text, NULL, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.items[0].error, "");
	snprintf(out, 64, "%s", s.items[0].id);
	jg_scan_clear(&s);
}

#define LOC(uri, line) \
	"\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{" \
	"\"uri\":\"" uri "\"},\"region\":{\"startLine\":" #line "}}}]"

static void sarif_ids_identify_the_problem(void **state)
{
	char a[64], b[64], c[64], d[64], e[64], f[64];

	(void)state;
	/* same rule and place, different message: the same finding */
	sarif_id("{\"ruleId\":\"r\",\"message\":{\"text\":\"one\"}," LOC("x.c", 1)
	         "}", a);
	sarif_id("{\"ruleId\":\"r\",\"message\":{\"text\":\"two\"}," LOC("x.c", 1)
	         "}", b);
	assert_string_equal(a, b);
	/* another line, another rule: others */
	sarif_id("{\"ruleId\":\"r\"," LOC("x.c", 2) "}", c);
	sarif_id("{\"ruleId\":\"s\"," LOC("x.c", 1) "}", d);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	/* a fingerprint outlives a moved line */
	sarif_id("{\"ruleId\":\"r\",\"fingerprints\":{\"v1\":\"abc\"},"
	         LOC("x.c", 1) "}", e);
	sarif_id("{\"ruleId\":\"r\",\"fingerprints\":{\"v1\":\"abc\"},"
	         LOC("x.c", 9) "}", f);
	assert_string_equal(e, f);
	assert_string_not_equal(e, a);
	/* partial fingerprints count with the rule */
	sarif_id("{\"ruleId\":\"r\",\"partialFingerprints\":{\"h\":\"1\"}}", a);
	sarif_id("{\"ruleId\":\"s\",\"partialFingerprints\":{\"h\":\"1\"}}", b);
	assert_string_not_equal(a, b);
}

static void sarif_refused_whole(void **state)
{
	char why[JG_WHY_MAX] = "";
	struct jg_scan s;

	(void)state;
	assert_int_equal(parse("{\"version\":\"2.0.0\",\"runs\":[]}", NULL, &s,
	                       why), JG_EINVAL);
	assert_non_null(strstr(why, "2.1.0"));
	jg_scan_clear(&s);
	assert_int_equal(parse("{\"version\":\"2.1.0\",\"runs\":{}}", NULL, &s,
	                       why), JG_EINVAL);
	jg_scan_clear(&s);
	/* odd but harmless shapes are read, not refused */
	parse_ok("{\"version\":\"2.1.0\",\"runs\":[1,{\"results\":null},"
	         "{\"results\":[1]},{\"tool\":7,\"results\":[{\"ruleId\":\"a\","
	         "\"locations\":\"x\",\"fingerprints\":[]}]}]}", NULL, &s);
	assert_int_equal(s.n, 2);
	expect_item_error(&s, 0, "must be a JSON object");
	assert_string_equal(s.items[1].error, "");
	jg_scan_clear(&s);
}

/* ---- the policy's findings list ------------------------------------------ */

static const char policy_head[] =
        "version: 1\n"
        "groups:\n"
        "  appsec: {members: [sam]}\n"
        "resources:\n"
        "  stage-app: {labels: {env: staging}, actions: [fix.deploy]}\n"
        "  prod-app: {labels: {env: prod}, actions: [fix.deploy, "
        "alert.silence]}\n"
        "rules:\n"
        "  - name: low-in-staging\n"
        "    match: {labels: {env: staging}, automation: true}\n"
        "    checks:\n"
        "      severity: {at_most: low, mode: match}\n"
        "    decision: auto\n"
        "  - name: scanners\n"
        "    match: {automation: true}\n"
        "    steps: [{group: appsec, count: 1}]\n";

static const char policy_findings[] =
        "findings:\n"
        "  - match: {type: zap, rule: 'js/*', severity: {at_least: high}}\n"
        "    resource: prod-app\n"
        "    action: alert.silence\n"
        "    reason: 'urgent {rule} at {location} [{severity}]'\n"
        "  - match: {type: [zap, dast], target: '*-app'}\n"
        "    resource: '{target}'\n"
        "    action: fix.deploy\n"
        "    duration: 30m\n";

static char *policy_text(const char *findings)
{
	size_t n = strlen(policy_head) + strlen(findings) + 1;
	char *t = malloc(n);
	snprintf(t, n, "%s%s", policy_head, findings);
	return t;
}

static void findings_list_loaded_and_matched(void **state)
{
	char err[512] = "", reason[JG_REASON_MAX + 1];
	char *text = policy_text(policy_findings);
	struct jg_policy *p = policy(text, err, sizeof(err));
	struct jg_finding f = {.id = "F-1", .type = "zap", .rule = "js/xss",
	                       .severity = JG_HIGH, .location = "a.js:1"};
	const struct jg_finding_map *m;

	(void)state;
	if (!p)
		fail_msg("policy: %s", err);
	assert_int_equal(p->nfindings, 2);
	m = jg_policy_finding_map(p, &f, "stage-app");
	assert_ptr_equal(m, &p->findings[0]);
	jg_finding_reason(m, &f, "stage-app", reason, sizeof(reason));
	assert_string_equal(reason, "urgent js/xss at a.js:1 [high]");
	/* below the bound: the second entry, which needs a target */
	f.severity = JG_LOW;
	m = jg_policy_finding_map(p, &f, "stage-app");
	assert_ptr_equal(m, &p->findings[1]);
	assert_int_equal(m->duration, 1800);
	assert_string_equal(m->resource, JG_FINDING_TARGET);
	jg_finding_reason(m, &f, "stage-app", reason, sizeof(reason));
	assert_string_equal(reason, "zap finding F-1: js/xss (low) at a.js:1");
	assert_null(jg_policy_finding_map(p, &f, NULL));
	assert_null(jg_policy_finding_map(p, &f, "db"));
	/* unknown severity never meets a bound */
	f.severity = 0;
	f.rule = "js/x";
	assert_ptr_equal(jg_policy_finding_map(p, &f, "stage-app"),
	                 &p->findings[1]);
	f.type = "sast";
	assert_null(jg_policy_finding_map(p, &f, "stage-app"));
	/* missing values read "-"; reasons are cut to fit */
	f.type = "zap";
	f.location = NULL;
	jg_finding_reason(&p->findings[1], &f, NULL, reason, 24);
	assert_string_equal(reason, "zap finding F-1: js/x (");
	jg_policy_free(p);
	free(text);
}

static void findings_list_errors_name_the_line(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
	        {"findings:\n  - {resource: nope, action: fix.deploy}\n",
	         "findings-test.yaml:17: findings entry 1: resource 'nope' is "
	         "not defined"},
	        {"findings:\n  - {resource: stage-app, action: alert.silence}\n",
	         "has no action 'alert.silence'"},
	        {"findings:\n  - {resource: stage-app}\n", "missing key 'action'"},
	        {"findings:\n  - {resource: stage-app, action: fix.deploy, "
	         "reason: 'see {url}'}\n", "'{' must start one of"},
	        {"findings:\n  - {match: {severity: {at_least: high, at_most: "
	         "low}}, resource: stage-app, action: fix.deploy}\n",
	         "at_least 'high' is above at_most 'low'"},
	        {"findings:\n  - {match: {kind: x}, resource: stage-app, action: "
	         "fix.deploy}\n", "unknown key 'kind'"},
	        {"findings:\n  - {match: {type: 'a b'}, resource: stage-app, "
	         "action: fix.deploy}\n", "not a valid name"},
	        {"findings: {}\n", "'findings'"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = policy_text(cases[i].yaml);
		struct jg_policy *p = policy(text, err, sizeof(err));
		assert_null(p);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			         cases[i].want);
		free(text);
	}
}

/* ---- the gate ------------------------------------------------------------ */

struct fx {
	struct gatefx x; /* the database */
	struct jg_gate *g;
};

static int gate_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *text = policy_text(policy_findings);

	if (!f || !text)
		return -1;
	gatefx_open(&f->x, 0);
	f->g = gatefx_gate(&f->x, text, 0);
	free(text);
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

static struct jg_principal scanner(int service)
{
	struct jg_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "zap");
	p.service = service;
	return p;
}

/* Post report text as the scanner; results into out (n of them). */
static enum jg_err post(struct fx *f, const char *text, const char *target,
                        struct jg_finding_result *out, size_t *n,
                        char why[JG_WHY_MAX])
{
	struct jg_principal zap = scanner(1);
	struct jg_scan s;
	enum jg_err e;

	parse_ok(text, target, &s);
	assert_true(s.n <= 8);
	*n = s.n;
	e = jg_gate_findings(f->g, &zap, &s, "10.0.0.9", T0, out, why);
	jg_scan_clear(&s);
	return e;
}

static int64_t count(struct fx *f, const char *sql)
{
	return tdb_int(f->x.path, sql);
}

static void findings_raise_requests_once(void **state)
{
	struct fx *f = *state;
	struct jg_finding_result r[8];
	char why[JG_WHY_MAX] = "", ctx[512], sql[256];
	size_t n;

	assert_int_equal(post(f, "{\"findings\":["
	                         "{\"id\":\"1\",\"type\":\"zap\",\"severity\":"
	                         "\"low\",\"target\":\"stage-app\"},"
	                         "{\"id\":\"2\",\"type\":\"zap\",\"severity\":"
	                         "\"low\",\"target\":\"prod-app\"},"
	                         "{\"id\":\"1\",\"type\":\"zap\",\"severity\":"
	                         "\"low\",\"target\":\"stage-app\"},"
	                         "{\"id\":\"3\",\"type\":\"sast\"},"
	                         "{\"id\":\"4\",\"type\":\"zap\",\"target\":"
	                         "\"ghost-app\"},"
	                         "{\"id\":\"5\",\"type\":\"zap\"},"
	                         "{\"type\":\"zap\"}]}",
	                      NULL, r, &n, why), JG_OK);
	assert_int_equal(n, 7);
	/* low in staging: approved by policy; in production: pending */
	assert_string_equal(r[0].state, "approved");
	assert_false(r[0].duplicate);
	assert_string_equal(r[1].state, "pending");
	/* the same finding again in the same report */
	assert_true(r[2].duplicate);
	assert_string_equal(r[2].request_id, r[0].request_id);
	/* no entry takes it; an unknown resource; no target; unreadable */
	assert_non_null(strstr(r[3].error, "no entry of the policy's findings"));
	assert_non_null(strstr(r[4].error, "ghost-app"));
	assert_non_null(strstr(r[5].error, "no entry of the policy"));
	assert_non_null(strstr(r[6].error, "id is required"));
	assert_int_equal(count(f, "SELECT count(*) FROM requests"), 2);
	/* the request carries the finding as its context */
	snprintf(sql, sizeof(sql), "SELECT context FROM requests WHERE id = "
	         "'%s'", r[0].request_id);
	tdb_text(f->x.path, sql, ctx, sizeof(ctx));
	assert_non_null(strstr(ctx, "\"id\":\"1\""));
	assert_non_null(strstr(ctx, "\"type\":\"zap\""));
	/* posted again later: duplicates of the same requests */
	assert_int_equal(post(f, "{\"id\":\"2\",\"type\":\"zap\",\"severity\":"
	                         "\"low\"}", "prod-app", r, &n, why), JG_OK);
	assert_true(r[0].duplicate);
	assert_string_equal(r[0].state, "pending");
	assert_int_equal(count(f, "SELECT count(*) FROM requests"), 2);
}

static void only_service_identities_post_findings(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = scanner(0);
	struct jg_finding_result r[1];
	char why[JG_WHY_MAX] = "";
	struct jg_scan s;

	parse_ok("{\"id\":\"1\",\"type\":\"zap\",\"target\":\"stage-app\"}", NULL,
	         &s);
	assert_int_equal(jg_gate_findings(f->g, &alice, &s, NULL, T0, r, why),
	                 JG_EFORBIDDEN);
	jg_scan_clear(&s);
	assert_int_equal(count(f, "SELECT count(*) FROM requests"), 0);
}

static void sarif_report_through_the_gate(void **state)
{
	struct fx *f = *state;
	struct jg_finding_result r[8];
	char why[JG_WHY_MAX] = "";
	size_t n;
	const char *doc =
	        "{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
	        "\"name\":\"ZAP\"}},\"results\":["
	        "{\"ruleId\":\"js/sqli\",\"level\":\"error\","
	        "\"partialFingerprints\":{\"h\":\"1\"}},"
	        "{\"ruleId\":\"css/x\",\"level\":\"note\",\"locations\":[{"
	        "\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"a.css\"}}}]}"
	        "]}]}";

	assert_int_equal(post(f, doc, "stage-app", r, &n, why), JG_OK);
	assert_int_equal(n, 2);
	/* high: the first entry, alert.silence on prod-app, for review */
	assert_string_equal(r[0].error, "");
	assert_string_equal(r[0].state, "pending");
	assert_string_equal(r[0].type, "zap");
	/* low in staging: approved */
	assert_string_equal(r[1].state, "approved");
	assert_int_equal(count(f, "SELECT count(*) FROM requests WHERE "
	                          "resource = 'prod-app' AND action = "
	                          "'alert.silence'"), 1);
	assert_int_equal(count(f, "SELECT count(*) FROM grants"), 1);
	assert_int_equal(post(f, doc, "stage-app", r, &n, why), JG_OK);
	assert_true(r[0].duplicate && r[1].duplicate);
	assert_int_equal(count(f, "SELECT count(*) FROM requests"), 2);
}

/* A finding approved at once by an `execute: auto` rule runs through the
 * resource's connector, like a request made through the API. */
static void execute_auto_runs_raised_requests(void **state)
{
	struct fx *f = *state;
	struct jg_finding_result r[8];
	struct jg_connectors *cs = NULL;
	char why[JG_WHY_MAX] = "", err[256], sql[160], out[64];
	static const char yaml[] = "version: 1\nresources:\n  stage-app:\n"
	                           "    type: command\n"
	                           "    program: /usr/bin/printf\n"
	                           "    args: ['fixed %s', '{requester}']\n";
	const struct jg_policy *p = jg_gate_policy(f->g);
	size_t n;

	assert_int_equal(jg_connectors_parse("c.yaml", yaml, sizeof(yaml) - 1,
	                                     &cs, err, sizeof(err)), JG_OK);
	jg_gate_set_connectors(f->g, cs, NULL);
	for (size_t i = 0; i < p->nrules; i++) /* as `execute: auto` would */
		((struct jg_rule *)&p->rules[i])->execute_auto = 1;
	assert_int_equal(post(f, "{\"findings\":["
	                         "{\"id\":\"7\",\"type\":\"zap\",\"severity\":"
	                         "\"low\",\"target\":\"stage-app\"},"
	                         "{\"id\":\"8\",\"type\":\"zap\",\"severity\":"
	                         "\"medium\",\"target\":\"stage-app\"}]}",
	                      NULL, r, &n, why), JG_OK);
	assert_string_equal(r[0].state, "approved");
	assert_string_equal(r[1].state, "pending"); /* medium: for review */
	assert_int_equal(count(f, "SELECT count(*) FROM executions"), 1);
	snprintf(sql, sizeof(sql), "SELECT output FROM executions WHERE "
	         "request_id = '%s' AND state = 'succeeded'", r[0].request_id);
	tdb_text(f->x.path, sql, out, sizeof(out));
	assert_string_equal(out, "fixed zap");
	/* the same finding again: a duplicate, nothing runs twice */
	assert_int_equal(post(f, "{\"id\":\"7\",\"type\":\"zap\",\"severity\":"
	                         "\"low\",\"target\":\"stage-app\"}", NULL, r,
	                      &n, why), JG_OK);
	assert_true(r[0].duplicate);
	assert_int_equal(count(f, "SELECT count(*) FROM executions"), 1);
	jg_gate_set_connectors(f->g, NULL, NULL);
	jg_connectors_free(cs);
}

#define T(fn) cmocka_unit_test(fn)
#define G(fn) cmocka_unit_test_setup_teardown(fn, gate_setup, gate_teardown)

int main(void)
{
	const struct CMUnitTest pure[] = {
	        T(generic_single_and_batch),
	        T(generic_bad_findings_each_get_an_error),
	        T(errors_show_the_input_they_quote),
	        T(reports_refused_whole),
	        T(sarif_results_as_findings),
	        T(sarif_ids_identify_the_problem),
	        T(sarif_refused_whole),
	        T(findings_list_loaded_and_matched),
	        T(findings_list_errors_name_the_line),
	};
	const struct CMUnitTest gate[] = {
	        G(findings_raise_requests_once),
	        G(only_service_identities_post_findings),
	        G(sarif_report_through_the_gate),
	        G(execute_auto_runs_raised_requests),
	};
	int rc = cmocka_run_group_tests_name("findings", pure, NULL, NULL);

	rc += cmocka_run_group_tests_name("findings on sqlite", gate, NULL,
	                                  NULL);
	if (tdb_pg_base())
		rc += cmocka_run_group_tests_name("findings on postgres", gate,
		                                  tdb_pg_group_setup,
		                                  tdb_pg_group_teardown);
	return rc;
}
