/*
 * screening.c - what the gate hands to screening and keeps of it: rate
 * counts from the store, the request's context (source address, groups
 * at the time, scanner finding) and the checks' sentences, stored with
 * the request so approvers see them and replay can re-decide it.
 */
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"

enum jg_err jg_gate_count(void *ctx, int64_t since, size_t *by_requester,
                          size_t *by_resource)
{
	struct jg_count_ctx *c = ctx;
	size_t later_req = 0, later_res = 0;
	enum jg_err e;

	e = c->g->st->ops->request_count(c->g->st, c->requester, c->resource,
	                                 since, by_requester, by_resource);
	if (e != JG_OK || !c->before)
		return e;
	/* replay: what existed when the request was made, not since */
	e = c->g->st->ops->request_count(c->g->st, c->requester, c->resource,
	                                 c->before, &later_req, &later_res);
	*by_requester -= later_req < *by_requester ? later_req : *by_requester;
	*by_resource -= later_res < *by_resource ? later_res : *by_resource;
	return e;
}

static json_t *finding_json(const struct jg_finding *f)
{
	if (!f)
		return json_null();
	return json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?}", "id", f->id,
	                 "type", f->type, "rule", f->rule, "severity",
	                 f->severity ? jg_level_name(f->severity) : NULL,
	                 "location", f->location, "recommendation",
	                 f->recommendation);
}

static char *dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(v);
	return s;
}

char *jg_gate_context_text(const struct jg_principal *who,
                           const struct jg_new_request *in)
{
	json_t *groups = json_array();

	for (size_t i = 0; groups && i < who->ngroups; i++)
		json_array_append_new(groups, json_string(who->groups[i]));
	return dump(json_pack("{s:s?,s:o,s:b,s:b,s:o}", "source_ip",
	                      in->source_ip, "groups", groups, "service",
	                      who->service, "break_glass", in->break_glass,
	                      "finding", finding_json(in->finding)));
}

char *jg_gate_checks_text(const struct jg_verdict *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->nchecks; i++)
		json_array_append_new(
		        a, json_pack("{s:s,s:s,s:s}", "name", v->checks[i].name,
		                     "result", jg_result_name(v->checks[i].result),
		                     "message", v->checks[i].message));
	return dump(a);
}

const char *jg_gate_decision_name(const struct jg_verdict *v)
{
	return v->break_glass ? "break-glass" : jg_decision_name(v->decision);
}
