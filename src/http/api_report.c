/*
 * api_report.c - GET /v1/report?since=&until=&format=html|json|csv: the
 * compliance evidence for a period (insight/report.h), for admins and
 * auditors, as a file to download. since and until are dates
 * (2026-10-01) or RFC 3339 times; a date until includes that whole day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "insight/report.h"
#include "util/timefmt.h"

#define DATE_LEN 10 /* "2026-10-01" */

static const char *const types[] = {
	[JG_REPORT_JSON] = "application/json",
	[JG_REPORT_CSV] = "text/csv; charset=utf-8",
	[JG_REPORT_HTML] = "text/html; charset=utf-8",
};

static const char *const exts[] = {
	[JG_REPORT_JSON] = "json",
	[JG_REPORT_CSV] = "csv",
	[JG_REPORT_HTML] = "html",
};

/* A bound of the period; a date for until means the day after it. */
static int bound(struct jg_ex *ex, const char *key, int end, int64_t *out)
{
	const char *v = jg_ex_query(ex, key);
	char msg[160];

	if (!v || !*v) {
		snprintf(msg, sizeof(msg), "'%s' is required: a date "
		         "(2026-10-01) or an RFC 3339 time", key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	if (jg_time_parse(v, out) != JG_OK) {
		snprintf(msg, sizeof(msg), "'%s' must be a date (2026-10-01) "
		         "or an RFC 3339 time (2026-10-01T00:00:00Z)", key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	if (end && strlen(v) == DATE_LEN)
		*out += 86400;
	return 0;
}

static int format_param(struct jg_ex *ex, enum jg_report_format *f)
{
	const char *v = jg_ex_query(ex, "format");

	*f = JG_REPORT_HTML;
	if (!v || jg_report_format_parse(v, f) == 0)
		return 0;
	jg_ex_fail(ex, JG_EINVAL, "format must be html, json or csv");
	return -1;
}

void jg_api_report(struct jg_ex *ex)
{
	enum jg_report_format f;
	int64_t since, until;
	char why[JG_WHY_MAX] = "", sha[JG_SHA256_HEX], disp[96];
	json_t *m = NULL;    /* owned: the model */
	char *text = NULL;   /* owned until MHD takes it */
	size_t len = 0;
	enum jg_err e;

	if (!(ex->who.roles & (JG_ROLE_ADMIN | JG_ROLE_AUDITOR))) {
		jg_ex_fail(ex, JG_EFORBIDDEN, "the compliance report is for "
		           "admins and auditors");
		return;
	}
	if (format_param(ex, &f) || bound(ex, "since", 0, &since) ||
	    bound(ex, "until", 1, &until))
		return;
	if (since >= until) {
		jg_ex_fail(ex, JG_EINVAL, "since must be before until");
		return;
	}
	e = jg_report_gather(ex->gate, &ex->who, since, until, ex->now, &m,
	                     why);
	if (e == JG_OK)
		e = jg_report_render(m, f, &text, &len, sha);
	json_decref(m);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why[0] ? why : NULL);
		return;
	}
	ex->raw = MHD_create_response_from_buffer(len, text,
	                                          MHD_RESPMEM_MUST_FREE);
	if (!ex->raw) {
		free(text);
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"jitgate-report."
	         "%s\"", exts[f]);
	MHD_add_response_header(ex->raw, "Content-Type", types[f]);
	MHD_add_response_header(ex->raw, "Content-Disposition", disp);
	MHD_add_response_header(ex->raw, "X-Jitgate-Report-SHA256", sha);
	ex->status = 200;
}
