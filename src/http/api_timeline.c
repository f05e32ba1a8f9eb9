/* api_timeline.c - GET /v1/requests/{id}/events: one request's story. */
#include "http/handlers.h"

void jg_api_request_events(struct jg_ex *ex)
{
	char why[JG_WHY_MAX] = "";
	json_t *items = NULL;
	enum jg_err e = jg_gate_request_events(ex->gate, &ex->who, ex->param,
	                                       &items, why);

	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		jg_ex_json(ex, 200, json_pack("{s:o}", "items", items));
}
