/*
 * api_metrics.c - GET /metrics (Prometheus text, for monitoring) and
 * GET /readyz (may a load balancer send traffic here?). /healthz, in
 * api_tokens.c, only says the process answers; docs/operations.md has
 * what each means.
 */
#include <stdlib.h>

#include "http/handlers.h"
#include "http/metrics.h"
#include "http/prom.h"

/* Who may scrape: the metrics role exists for exactly this; admins and
 * checkers (the enforcement points' identity) may too. */
#define SCRAPERS (JG_ROLE_ADMIN | JG_ROLE_CHECKER | JG_ROLE_METRICS)

void jg_api_metrics(struct jg_ex *ex)
{
	size_t len = 0;
	char *text;

	if (!(ex->who.roles & SCRAPERS)) {
		jg_ex_fail(ex, JG_EFORBIDDEN, "/metrics needs the metrics, "
		           "checker or admin role");
		return;
	}
	text = jg_metrics_render(jg_ex_metrics(ex), ex->gate, ex->now, &len);
	if (!text) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	ex->raw = MHD_create_response_from_buffer(len, text,
	                                          MHD_RESPMEM_MUST_FREE);
	if (!ex->raw) {
		free(text);
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	MHD_add_response_header(ex->raw, "Content-Type", JG_PROM_CONTENT_TYPE);
	ex->status = 200;
}

/* {"ok": true} or {"ok": false, "reason": why}. */
static json_t *check(int ok, const char *why)
{
	return ok ? json_pack("{s:b}", "ok", 1)
	          : json_pack("{s:b,s:s}", "ok", 0, "reason", why);
}

void jg_api_ready(struct jg_ex *ex)
{
	struct jg_ready r;
	int ready = jg_gate_ready(ex->gate, &r);
	json_t *failing = json_array();

	if (!r.store)
		json_array_append_new(failing, json_string("store"));
	if (!r.audit)
		json_array_append_new(failing, json_string("audit"));
	if (!r.index)
		json_array_append_new(failing, json_string("index"));
	jg_ex_json(ex, ready ? 200 : 503,
	           json_pack("{s:s,s:o,s:{s:o,s:o,s:o}}", "status",
	                     ready ? "ready" : "not ready", "failing", failing,
	                     "checks", "store", check(r.store, r.store_why),
	                     "audit", check(r.audit, r.audit_why), "index",
	                     check(r.index, r.index_why)));
}
