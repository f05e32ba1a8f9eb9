/*
 * fuzz_findings.c - libFuzzer harness for scanner reports (src/scan/:
 * the generic format and SARIF 2.1.0) and the policy's findings list
 * (src/core/findings.c): each input is a report, read with and without
 * a default target; every finding read is matched against a fixed policy
 * and its reason template filled in.
 *
 * Beyond the sanitizers it asserts the reader's promises: at most
 * JG_FINDINGS_MAX findings; each either has an error (one line) or an
 * id, a type that is a name, a known severity and bounded strings free
 * of control characters; reasons fit and hold no control characters.
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/findings/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/load.h"
#include "scan/scan.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

static const char policy_yaml[] =
        "version: 1\n"
        "resources:\n"
        "  web: {actions: [fix.deploy, alert.silence]}\n"
        "findings:\n"
        "  - match: {type: [codeql, zap], rule: 'js/*', severity: "
        "{at_least: high}}\n"
        "    resource: web\n"
        "    action: alert.silence\n"
        "  - match: {target: 'w*'}\n"
        "    resource: '{target}'\n"
        "    action: fix.deploy\n"
        "    reason: '{id} {type} {rule} {severity} {location} {target} "
        "{recommendation}'\n"
        "  - resource: web\n"
        "    action: fix.deploy\n";

static struct jg_policy *policy;

static void clean(const char *s, size_t max)
{
	if (!s)
		return;
	CHECK(strlen(s) <= max);
	for (; *s; s++)
		CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

static void item_ok(const struct jg_scan_item *it, const char *target)
{
	struct jg_finding f;
	const struct jg_finding_map *m;
	char reason[JG_REASON_MAX + 1];

	if (it->error[0]) {
		CHECK(!strchr(it->error, '\n'));
		return;
	}
	CHECK(it->id && it->id[0]);
	clean(it->id, JG_FINDING_ID_MAX);
	CHECK(jg_name_valid(it->type, 0));
	CHECK(it->severity >= 0 && it->severity <= JG_CRITICAL);
	clean(it->rule, JG_FINDING_RULE_MAX);
	clean(it->location, JG_FINDING_LOCATION_MAX);
	clean(it->recommendation, JG_REASON_MAX);
	CHECK(!it->target[0] || jg_name_valid(it->target, 0));
	if (it->target[0])
		target = it->target;
	jg_scan_finding(it, &f);
	m = jg_policy_finding_map(policy, &f, target);
	CHECK(m != NULL); /* the last entry takes anything */
	jg_finding_reason(m, &f, target, reason, sizeof(reason));
	clean(reason, JG_REASON_MAX);
	jg_finding_reason(m, &f, target, reason, 7);
	CHECK(strlen(reason) < 7);
}

static void read_report(const json_t *doc, const char *target)
{
	char why[JG_WHY_MAX] = "";
	struct jg_scan s;

	if (jg_scan_parse(doc, target, &s, why) != JG_OK) {
		CHECK(why[0] && !strchr(why, '\n'));
	} else {
		CHECK(s.n <= JG_FINDINGS_MAX);
		for (size_t i = 0; i < s.n; i++)
			item_ok(&s.items[i], target);
	}
	jg_scan_clear(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *doc;

	if (!policy)
		CHECK(jg_policy_parse("fuzz.yaml", policy_yaml,
		                      sizeof(policy_yaml) - 1, &policy, err,
		                      sizeof(err)) == JG_OK);
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	                 NULL);
	if (!doc)
		return 0;
	read_report(doc, NULL);
	read_report(doc, "web");
	json_decref(doc);
	return 0;
}
