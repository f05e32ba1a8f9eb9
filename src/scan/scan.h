/*
 * scan.h - scanner reports (POST /v1/findings) read into findings.
 *
 * Two formats (docs/findings.md):
 *  - generic: one finding {id, type, rule, severity, location,
 *    recommendation, target}, or {"findings": [...]} of them. Strict like
 *    the rest of the API: unknown members and wrong types are refused.
 *  - SARIF 2.1.0 ({"version": "2.1.0", "runs": [...]}): each result of
 *    each run is a finding of type tool.driver.name (lower-cased, other
 *    characters than names allow turned into '-'), its rule the result's
 *    ruleId, its severity from properties.security-severity (the
 *    result's, else its rule's) or else level, its location the first
 *    physical location as URI:LINE:COLUMN, its recommendation
 *    message.text. Its id is derived from its fingerprints (else its
 *    partial fingerprints with the rule, else rule and location), so the
 *    same problem reported again has the same id. SARIF is extensible, so
 *    unknown members are ignored; results that are not failures (kind
 *    pass, notApplicable, informational), suppressed, or absent from the
 *    baseline are skipped and only counted.
 *
 * One bad finding does not spoil the others: each carries its own error.
 * A report is refused whole only when it is no report at all (not an
 * object, a SARIF version other than 2.1.0) or holds more than
 * JG_FINDINGS_MAX findings. Pure: no I/O, no clock.
 */
#ifndef JG_SCAN_H
#define JG_SCAN_H

#include <stddef.h>

#include <jansson.h>

#include "core/policy.h"

#define JG_FINDINGS_MAX 500          /* findings in one report */
#define JG_FINDING_ID_MAX 128        /* bytes of a finding id */
#define JG_FINDING_RULE_MAX 256      /* bytes of a rule id */
#define JG_FINDING_LOCATION_MAX 1024 /* bytes of a location */

/* One finding as read. Strings are owned; NULL when not given. */
struct jg_scan_item {
	char *id;
	char type[JG_NAME_MAX];
	char *rule;
	char *location;
	char *recommendation;
	int severity;             /* enum jg_level, 0 unknown */
	char target[JG_NAME_MAX]; /* "" none */
	char error[200];          /* not "": this one could not be read */
};

struct jg_scan {
	struct jg_scan_item *items; /* owned array */
	size_t n;
	size_t skipped; /* SARIF results that are not findings */
	int sarif;      /* the report was SARIF */
};

/*
 * Read report (borrowed). target (NULL: none) is the target of findings
 * that name none (SARIF's all). JG_EINVAL or JG_ETOOBIG with why when
 * the report is refused whole; JG_ENOMEM. Clear out with jg_scan_clear
 * either way.
 */
enum jg_err jg_scan_parse(const json_t *report, const char *target,
                          struct jg_scan *out, char why[JG_WHY_MAX]);
void jg_scan_clear(struct jg_scan *s);

/* A struct jg_finding borrowing its strings from it. */
void jg_scan_finding(const struct jg_scan_item *it, struct jg_finding *f);

/* sarif.c, for scan.c: the SARIF report into s. */
enum jg_err jg_scan_sarif(const json_t *report, const char *target,
                          struct jg_scan *s, char why[JG_WHY_MAX]);

/* Shared by scan.c and sarif.c: an item appended to s (zeroed), target
 * copied in; NULL on ENOMEM. */
struct jg_scan_item *jg_scan_add(struct jg_scan *s, const char *target);
/* Set it->error (printf) and return -1. */
/* Up to the first 64 bytes of s, fit to quote in an error message: every
 * control, newline and hidden character shown as <U+XXXX> (util/visible.h),
 * so a scanner's input cannot break or forge a log line. Into buf. */
#define JG_SCAN_QUOTE_MAX (64 * 8 + 1)
const char *jg_scan_quote(const char *s, char buf[JG_SCAN_QUOTE_MAX]);

int jg_scan_fail(struct jg_scan_item *it, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* A copy of s[0..len) into *out when it has no control characters and
 * is at most max bytes; -1 with it->error naming what otherwise. */
int jg_scan_text(struct jg_scan_item *it, const char *what, const char *s,
                 size_t len, size_t max, char **out);

#endif
