/* api_grants.c - /v1/grants and /v1/check. */
#include <stdlib.h>

#include "http/handlers.h"
#include "http/render.h"
#include "util/timefmt.h"

void jg_api_grant_list(struct jg_ex *ex)
{
	struct jg_filter f = {0};
	struct jg_grant *grants = NULL;
	enum jg_grant_state st;
	size_t n = 0;
	int64_t next = 0;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_paging(ex, &f))
		return;
	f.now = ex->now;
	f.state = jg_ex_query(ex, "state");
	f.principal = jg_ex_query(ex, "principal");
	f.resource = jg_ex_query(ex, "resource");
	if (f.state && jg_grant_state_parse(f.state, &st) != 0) {
		jg_ex_fail(ex, JG_EINVAL, "state must be active, expired, "
		                          "revoked, consumed or completed");
		return;
	}
	e = jg_gate_grant_list(ex->gate, &ex->who, &f, &grants, &n, &next,
	                       why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items,
		                      jg_render_grant(&grants[i], ex->now));
	free(grants);
	jg_ex_json(ex, 200, jg_render_page(items, next));
}

void jg_api_grant_get(struct jg_ex *ex)
{
	struct jg_grant g;
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_grant_get(ex->gate, &ex->who, ex->param, &g,
	                                  why);
	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		jg_ex_json(ex, 200, jg_render_grant(&g, ex->now));
}

static void end(struct jg_ex *ex, enum jg_grant_state to)
{
	static const char *const fields[] = {"reason", NULL};
	struct jg_grant g;
	const char *reason;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "reason", 0, &reason))
		return;
	e = jg_gate_grant_end(ex->gate, &ex->who, ex->param, to, reason,
	                      ex->now, &g, why);
	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		jg_ex_json(ex, 200, jg_render_grant(&g, ex->now));
}

void jg_api_grant_revoke(struct jg_ex *ex) { end(ex, JG_GRANT_REVOKED); }
void jg_api_grant_done(struct jg_ex *ex) { end(ex, JG_GRANT_COMPLETED); }

void jg_api_check(struct jg_ex *ex)
{
	static const char *const fields[] = {"principal", "resource", "action",
	                                     "token", NULL};
	const char *principal, *resource, *action, *token;
	struct jg_answer c;
	char why[JG_WHY_MAX] = "", exp[JG_TIME_LEN];
	enum jg_err e;

	/* a signed grant token names its principal (and, unless asked,
	 * its resource and action) */
	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "token", 0, &token) ||
	    jg_ex_str(ex, "principal", !token, &principal) ||
	    jg_ex_str(ex, "resource", !token, &resource) ||
	    jg_ex_str(ex, "action", !token, &action))
		return;
	if (token && principal) {
		jg_ex_fail(ex, JG_EINVAL, "give either a token or a principal: "
		                          "the token names its principal");
		return;
	}
	if (token)
		e = jg_gate_check_token(ex->gate, &ex->who, token, resource,
		                        action, ex->now, &c, why);
	else
		e = jg_gate_check(ex->gate, &ex->who, principal, resource,
		                  action, ex->now, &c, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	/* a trail that went backwards can no longer be trusted to hold a
	 * revocation: nothing is allowed until restart (gate/sync.c) */
	if (jg_gate_halted(ex->gate, c.reason))
		c.allow = 0;
	if (!c.allow) {
		jg_ex_json(ex, 200, json_pack("{s:b,s:n,s:n,s:s}", "allow", 0,
		                              "grant_id", "expires_at", "reason",
		                              c.reason));
		return;
	}
	jg_time_format(c.expires_at, exp);
	jg_ex_json(ex, 200, json_pack("{s:b,s:s,s:s,s:s}", "allow", 1,
	                              "grant_id", c.grant_id, "expires_at", exp,
	                              "reason", c.reason));
}

void jg_api_grant_extend(struct jg_ex *ex)
{
	static const char *const fields[] = {"duration", "reason", "ticket",
	                                     NULL};
	struct jg_extension in = {.source_ip = ex->peer};
	struct jg_extend_result res;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "reason", 1, &in.reason) ||
	    jg_ex_str(ex, "ticket", 0, &in.ticket) ||
	    jg_ex_duration(ex, "duration", &in.duration))
		return;
	e = jg_gate_grant_extend(ex->gate, &ex->who, ex->param, &in, ex->now,
	                         &res, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_ex_json(ex, res.extended ? 200 : 201,
	           json_pack("{s:b,s:o,s:o}", "extended", res.extended, "grant",
	                     jg_render_grant(&res.grant, ex->now), "request",
	                     jg_render_request(&res.req, ex->now)));
	jg_request_view_clear(&res.req);
}
