/*
 * api_findings.c - POST /v1/findings: a scanner's report (generic JSON or
 * SARIF 2.1.0, up to JG_BIG_BODY_MAX bytes and JG_FINDINGS_MAX findings)
 * in, one result per finding out. See docs/findings.md.
 */
#include <stdlib.h>

#include "http/handlers.h"
#include "scan/scan.h"

static json_t *result_json(size_t i, const struct jg_finding_result *r)
{
	json_t *o = json_pack("{s:I,s:s?,s:s?}", "index", (json_int_t)i,
	                      "finding_id",
	                      r->finding_id[0] ? r->finding_id : NULL, "type",
	                      r->type[0] ? r->type : NULL);

	if (!o)
		return NULL;
	if (r->error[0]) {
		json_object_set_new(o, "error", json_string(r->error));
		return o;
	}
	json_object_set_new(o, "request_id", json_string(r->request_id));
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "duplicate", json_boolean(r->duplicate));
	return o;
}

void jg_api_findings(struct jg_ex *ex)
{
	struct jg_finding_result *res = NULL;
	struct jg_scan scan;
	size_t created = 0, dups = 0, errors = 0;
	char why[JG_WHY_MAX] = "";
	json_t *items;
	enum jg_err e;

	e = jg_scan_parse(ex->body, jg_ex_query(ex, "target"), &scan, why);
	if (e == JG_OK && !(res = calloc(scan.n ? scan.n : 1, sizeof(*res))))
		e = JG_ENOMEM;
	if (e == JG_OK)
		e = jg_gate_findings(ex->gate, &ex->who, &scan, ex->peer, ex->now,
		                     res, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		jg_scan_clear(&scan);
		free(res);
		return;
	}
	items = json_array();
	for (size_t i = 0; items && i < scan.n; i++) {
		json_array_append_new(items, result_json(i, &res[i]));
		errors += res[i].error[0] != '\0';
		dups += !res[i].error[0] && res[i].duplicate;
		created += !res[i].error[0] && !res[i].duplicate;
	}
	jg_ex_json(ex, 200, json_pack("{s:o*,s:I,s:I,s:I,s:I}", "results",
	                              items, "created", (json_int_t)created,
	                              "duplicates", (json_int_t)dups, "errors",
	                              (json_int_t)errors, "skipped",
	                              (json_int_t)scan.skipped));
	jg_scan_clear(&scan);
	free(res);
}
