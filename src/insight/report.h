/*
 * report.h - compliance evidence for a period (issue 15 section 2).
 *
 * jg_report_gather reads the audit trail in one walk, which verifies the
 * whole chain and folds the events of [since, until) (plus the tokens
 * and the signed checkpoints) and builds the report's model: one JSON
 * object, the same data every format shows (docs/compliance.md
 * documents its schema). The renderers turn the model into a file:
 * JSON (report_json.c), CSV of the grants
 * table (report_csv.c) and self-contained HTML (report_html.c, from the
 * template web/report.html). The report only reads; it never writes to
 * the store or the trail.
 *
 * The report's own SHA-256: JSON and HTML carry it on one line of their
 * own, and the hash is of the file without that line (for JSON the line
 * starting `  "report_sha256": `, for HTML the line starting
 * `<p id="report-sha256"`). A CSV file has no room for it: its hash is of
 * the whole file, sent in the X-Jitgate-Report-SHA256 header.
 */
#ifndef JG_INSIGHT_REPORT_H
#define JG_INSIGHT_REPORT_H

#include <jansson.h>

#include "gate/gate.h"

enum jg_report_format { JG_REPORT_JSON, JG_REPORT_CSV, JG_REPORT_HTML };

/* A grant living longer than this is listed as standing privilege. */
#define JG_REPORT_LONG_GRANT (24 * 3600)

/* "json", "csv" or "html" into *out; -1 for anything else. */
int jg_report_format_parse(const char *s, enum jg_report_format *out);

/*
 * Admins and auditors: the model of the report on [since, until) as of
 * now. *out is the caller's (json_decref). JG_EFORBIDDEN for others,
 * JG_EINVAL when since >= until, with why.
 */
enum jg_err jg_report_gather(struct jg_gate *g,
                             const struct jg_principal *who, int64_t since,
                             int64_t until, int64_t now, json_t **out,
                             char why[JG_WHY_MAX]);

/*
 * The report file of model in format f: *out malloc'd (the caller frees
 * it), *len its bytes, sha the report's SHA-256 as described above.
 */
enum jg_err jg_report_render(const json_t *model, enum jg_report_format f,
                             char **out, size_t *len,
                             char sha[JG_SHA256_HEX]);

/* ---- inside the report (report_*.c) ---- */

struct jg_audit_report;

/*
 * Add to model what is not in the period's walk (report_facts.c):
 * standing_privileges (tokens now, long grants of the period), audit
 * (rep and pins: the chain's verification the walk did, with the
 * period's signed checkpoints) and charts (by_resource: resource ->
 * grants, from the walk).
 */
enum jg_err jg_report_facts(struct jg_gate *g, json_t *model,
                            const json_t *by_resource,
                            const struct jg_audit_report *rep, size_t pins,
                            int64_t since, int64_t until, int64_t now);

/* The controls and the sections that evidence each (report_controls.c):
 * a new JSON array, the caller's. */
json_t *jg_report_controls(void);

/* The string member key of o, "" when absent (borrowed). */
const char *jg_report_str(const json_t *o, const char *key);
/* t as an RFC 3339 JSON string, null when t <= 0 (a new reference). */
json_t *jg_report_time(int64_t t);

/* A growing text buffer; on allocation failure it sets failed and
 * drops further text. buf is owned by the struct's user (free it). */
struct jg_rbuf {
	char *buf;
	size_t len, cap;
	int failed;
};
void jg_rbuf_add(struct jg_rbuf *b, const char *s, size_t n);
void jg_rbuf_str(struct jg_rbuf *b, const char *s);
void jg_rbuf_fmt(struct jg_rbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum jg_err jg_report_json(const json_t *model, struct jg_rbuf *b,
                           char sha[JG_SHA256_HEX]);
enum jg_err jg_report_csv(const json_t *model, struct jg_rbuf *b,
                          char sha[JG_SHA256_HEX]);
enum jg_err jg_report_html(const json_t *model, struct jg_rbuf *b,
                           char sha[JG_SHA256_HEX]);

#endif
