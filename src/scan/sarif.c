/*
 * sarif.c - SARIF 2.1.0 results as findings (see scan.h for the mapping).
 *
 * SARIF spreads what we need over a result and its rule (reportingDescriptor
 * in tool.driver.rules, found by ruleIndex or ruleId): the severity score
 * is usually on the rule (GitHub's properties.security-severity), the
 * level on the result or the rule's defaultConfiguration, "warning" when
 * neither says. Everything read is bounded; a malformed result gets an
 * error of its own and the others are still read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan.h"
#include "util/crypto.h"

#define FINGERPRINT_MAX 1024 /* bytes of one fingerprint value */

/* What one run gives each of its results. */
struct run {
	char type[JG_NAME_MAX]; /* from tool.driver.name */
	const json_t *rules;    /* tool.driver.rules, borrowed */
	json_t *by_id;          /* owned: rule id -> descriptor */
};

static const char *str_at(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* "CodeQL" -> "codeql", "OWASP ZAP" -> "owasp-zap"; "sarif" for none. */
static void type_of(const char *name, char out[JG_NAME_MAX])
{
	size_t o = 0;
	int gap = 0;

	for (; name && *name && o < JG_NAME_MAX - 1; name++) {
		unsigned char c = (unsigned char)*name;
		if (!(isascii(c) && (isalnum(c) || c == '.' || c == '_' ||
		                     c == '-'))) {
			gap = 1;
			continue;
		}
		if (gap && o && o < JG_NAME_MAX - 2)
			out[o++] = '-';
		gap = 0;
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
	if (!o)
		snprintf(out, JG_NAME_MAX, "sarif");
}

static void run_setup(struct run *r, const json_t *run)
{
	const json_t *driver = json_object_get(json_object_get(run, "tool"),
	                                       "driver");
	size_t i;
	json_t *d;

	type_of(str_at(driver, "name"), r->type);
	r->rules = json_object_get(driver, "rules");
	if (!json_is_array(r->rules))
		r->rules = NULL;
	r->by_id = json_object();
	json_array_foreach(r->rules, i, d) {
		const char *id = str_at(d, "id");
		if (id && r->by_id)
			json_object_set(r->by_id, id, d);
	}
}

/* ---- severity ----------------------------------------------------------- */

/*
 * properties["security-severity"] of o, a score from 0.0 to 10.0 (string
 * or number), as a level: 1 and *level when there, 0 when not, -1 when
 * it is not a score.
 */
static int score_level(const json_t *o, int *level)
{
	json_t *v = json_object_get(json_object_get(o, "properties"),
	                            "security-severity");
	const char *s;
	char *end;
	double d;

	if (!v)
		return 0;
	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		d = strtod(s, &end);
		if (end == s || *end || isspace((unsigned char)*s))
			return -1;
	} else {
		return -1;
	}
	if (!(d >= 0.0 && d <= 10.0))
		return -1;
	*level = d >= 9.0 ? JG_CRITICAL : d >= 7.0 ? JG_HIGH
	         : d >= 4.0 ? JG_MEDIUM : JG_LOW;
	return 1;
}

static int level_of(const char *level)
{
	if (!strcmp(level, "error"))
		return JG_HIGH;
	if (!strcmp(level, "warning"))
		return JG_MEDIUM;
	if (!strcmp(level, "note") || !strcmp(level, "none"))
		return JG_LOW;
	return 0;
}

static int severity(struct jg_scan_item *it, const json_t *res,
                    const json_t *rule)
{
	const char *level;
	int rc = score_level(res, &it->severity);

	if (rc == 0 && rule)
		rc = score_level(rule, &it->severity);
	if (rc < 0)
		return jg_scan_fail(it, "security-severity must be a score from "
		                    "0.0 to 10.0");
	if (rc > 0)
		return 0;
	level = str_at(res, "level");
	if (!level && rule)
		level = str_at(json_object_get(rule, "defaultConfiguration"),
		               "level");
	if (!level)
		level = "warning"; /* SARIF's default */
	if (!(it->severity = level_of(level))) {
		char q[JG_SCAN_QUOTE_MAX];

		return jg_scan_fail(it, "level '%s' is not error, warning, "
		                    "note or none", jg_scan_quote(level, q));
	}
	return 0;
}

/* ---- location ----------------------------------------------------------- */

/* "URI:LINE:COLUMN" of the first location, or its logical name. */
static int location(struct jg_scan_item *it, const json_t *res)
{
	const json_t *loc = json_array_get(json_object_get(res, "locations"), 0);
	const json_t *phys = json_object_get(loc, "physicalLocation");
	const json_t *region = json_object_get(phys, "region");
	const json_t *line = json_object_get(region, "startLine");
	const json_t *col = json_object_get(region, "startColumn");
	const char *uri = str_at(json_object_get(phys, "artifactLocation"),
	                         "uri");
	const json_t *logical;
	char buf[JG_FINDING_LOCATION_MAX + 48];
	int n;

	if (!uri) {
		logical = json_array_get(json_object_get(loc, "logicalLocations"),
		                         0);
		uri = str_at(logical, "fullyQualifiedName");
		if (!uri)
			uri = str_at(logical, "name");
		if (!uri)
			return 0; /* a finding may have no location */
		return jg_scan_text(it, "location", uri, strlen(uri),
		                    JG_FINDING_LOCATION_MAX, &it->location);
	}
	if (strlen(uri) > JG_FINDING_LOCATION_MAX)
		return jg_scan_fail(it, "location is longer than %d bytes",
		                    JG_FINDING_LOCATION_MAX);
	if (json_is_integer(line) && json_integer_value(line) > 0 &&
	    json_is_integer(col) && json_integer_value(col) > 0)
		n = snprintf(buf, sizeof(buf), "%s:%lld:%lld", uri,
		             (long long)json_integer_value(line),
		             (long long)json_integer_value(col));
	else if (json_is_integer(line) && json_integer_value(line) > 0)
		n = snprintf(buf, sizeof(buf), "%s:%lld", uri,
		             (long long)json_integer_value(line));
	else
		n = snprintf(buf, sizeof(buf), "%s", uri);
	return jg_scan_text(it, "location", buf, (size_t)n,
	                    JG_FINDING_LOCATION_MAX, &it->location);
}

/* ---- identity ----------------------------------------------------------- */

/* The member of obj with the smallest name whose value is a string. */
static const char *first_string(const json_t *obj, const char **name)
{
	const char *key, *best = NULL, *val = NULL;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_string(v) && (!best || strcmp(key, best) < 0)) {
			best = key;
			val = json_string_value(v);
		}
	}
	*name = best;
	return val;
}

/*
 * The id: 32 hex digits of the SHA-256 of what identifies the problem
 * across scans: a fingerprint, else a partial fingerprint with the rule,
 * else the rule and the location.
 */
static int identity(struct jg_scan_item *it, const json_t *res)
{
	const char *name, *fp;
	char basis[2 * FINGERPRINT_MAX + JG_FINDING_RULE_MAX +
	           JG_FINDING_LOCATION_MAX + 16];
	char hex[JG_SHA256_HEX];
	int n;

	if ((fp = first_string(json_object_get(res, "fingerprints"), &name)))
		n = snprintf(basis, sizeof(basis), "fp\n%.1024s\n%.1024s", name,
		             fp);
	else if ((fp = first_string(json_object_get(res, "partialFingerprints"),
	                            &name)))
		n = snprintf(basis, sizeof(basis), "pfp\n%s\n%.1024s\n%.1024s",
		             it->rule, name, fp);
	else
		n = snprintf(basis, sizeof(basis), "loc\n%s\n%s", it->rule,
		             it->location ? it->location : "");
	if (fp && (strlen(name) > FINGERPRINT_MAX ||
	           strlen(fp) > FINGERPRINT_MAX))
		return jg_scan_fail(it, "a fingerprint is longer than %d bytes",
		                    FINGERPRINT_MAX);
	jg_sha256_hex(basis, (size_t)n < sizeof(basis) ? (size_t)n
	                                               : sizeof(basis) - 1,
	              hex);
	if (!(it->id = strndup(hex, 32)))
		return jg_scan_fail(it, "out of memory");
	return 0;
}

/* ---- results ------------------------------------------------------------ */

/* Not a finding: a pass, suppressed, or gone since the baseline. */
static int not_a_finding(const json_t *res)
{
	const char *kind = str_at(res, "kind");
	const char *baseline = str_at(res, "baselineState");
	json_t *sup = json_object_get(res, "suppressions"), *s;
	size_t i;

	if (kind && strcmp(kind, "fail") && strcmp(kind, "open") &&
	    strcmp(kind, "review"))
		return 1;
	if (baseline && !strcmp(baseline, "absent"))
		return 1;
	json_array_foreach(sup, i, s) {
		const char *status = str_at(s, "status");
		if (!status || !strcmp(status, "accepted"))
			return 1;
	}
	return 0;
}

/* The rule of res: by ruleIndex (or rule.index), else by id. */
static const json_t *rule_of(const struct run *r, const json_t *res,
                             const char **id)
{
	const json_t *ref = json_object_get(res, "rule");
	json_t *idx = json_object_get(res, "ruleIndex");
	const json_t *d = NULL;

	*id = str_at(res, "ruleId");
	if (!*id)
		*id = str_at(ref, "id");
	if (!idx)
		idx = json_object_get(ref, "index");
	if (json_is_integer(idx) && json_integer_value(idx) >= 0)
		d = json_array_get(r->rules, (size_t)json_integer_value(idx));
	if (!d && *id && r->by_id)
		d = json_object_get(r->by_id, *id);
	if (!*id)
		*id = str_at(d, "id");
	return d;
}

static void result_item(struct jg_scan_item *it, const json_t *res,
                        const struct run *r)
{
	const json_t *rule;
	const char *id, *text;

	memcpy(it->type, r->type, sizeof(it->type));
	if (!json_is_object(res)) {
		jg_scan_fail(it, "a result must be a JSON object");
		return;
	}
	rule = rule_of(r, res, &id);
	if (!id) {
		jg_scan_fail(it, "the result has no ruleId");
		return;
	}
	if (jg_scan_text(it, "ruleId", id, strlen(id), JG_FINDING_RULE_MAX,
	                 &it->rule) ||
	    location(it, res) || identity(it, res) || severity(it, res, rule))
		return;
	text = str_at(json_object_get(res, "message"), "text");
	if (!text && rule)
		text = str_at(json_object_get(rule, "shortDescription"), "text");
	if (text && *text)
		jg_scan_text(it, "message.text", text, strlen(text),
		             JG_REASON_MAX, &it->recommendation);
}

enum jg_err jg_scan_sarif(const json_t *report, const char *target,
                          struct jg_scan *s, char why[JG_WHY_MAX])
{
	const char *version = str_at(report, "version");
	json_t *runs = json_object_get(report, "runs"), *run, *res;
	struct jg_scan_item *it;
	size_t i, j;

	if (!version || strcmp(version, "2.1.0") != 0) {
		snprintf(why, JG_WHY_MAX, "a SARIF report must be version "
		         "2.1.0");
		return JG_EINVAL;
	}
	if (!json_is_array(runs)) {
		snprintf(why, JG_WHY_MAX, "SARIF runs must be an array");
		return JG_EINVAL;
	}
	json_array_foreach(runs, i, run) {
		struct run r = {0};
		json_t *results = json_object_get(run, "results");

		run_setup(&r, run);
		json_array_foreach(results, j, res) {
			if (json_is_object(res) && not_a_finding(res)) {
				s->skipped++;
				continue;
			}
			if (s->n == JG_FINDINGS_MAX) {
				json_decref(r.by_id);
				snprintf(why, JG_WHY_MAX, "more than %d results in "
				         "one report; send them in parts",
				         JG_FINDINGS_MAX);
				return JG_ETOOBIG;
			}
			if (!(it = jg_scan_add(s, target))) {
				json_decref(r.by_id);
				return JG_ENOMEM;
			}
			result_item(it, res, &r);
		}
		json_decref(r.by_id);
	}
	return JG_OK;
}
