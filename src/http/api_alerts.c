/*
 * api_alerts.c - GET /v1/alerts (admins, auditors; ?state=open or
 * acknowledged) and POST /v1/alerts/{id}/acknowledge {comment} (admins;
 * the comment is required). See docs/alerts.md.
 */
#include "http/handlers.h"

void jg_api_alerts_list(struct jg_ex *ex)
{
	char why[JG_WHY_MAX] = "";
	json_t *list;
	enum jg_err e = jg_gate_alerts_list(ex->gate, &ex->who,
	                                    jg_ex_query(ex, "state"), &list,
	                                    why);

	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_ex_json(ex, 200, json_pack("{s:o}", "alerts", list));
}

void jg_api_alerts_ack(struct jg_ex *ex)
{
	static const char *const fields[] = {"comment", NULL};
	char why[JG_WHY_MAX] = "";
	const char *comment;
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "comment", 1, &comment))
		return;
	e = jg_gate_alerts_ack(ex->gate, &ex->who, ex->param, comment,
	                       ex->now, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_ex_json(ex, 200, json_pack("{s:s,s:s}", "id", ex->param, "state",
	                              "acknowledged"));
}
