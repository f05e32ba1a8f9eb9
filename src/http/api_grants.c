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

/* The answer to a check, as JSON. */
static json_t *check_json(const struct jg_answer *c)
{
	char exp[JG_TIME_LEN];

	if (!c->allow)
		return json_pack("{s:b,s:n,s:n,s:s}", "allow", 0, "grant_id",
		                 "expires_at", "reason", c->reason);
	jg_time_format(c->expires_at, exp);
	return json_pack("{s:b,s:s,s:s,s:o,s:o,s:b,s:s}", "allow", 1,
	                 "grant_id", c->grant_id, "expires_at", exp,
	                 "payload_sha256",
	                 c->payload_sha256[0] ? json_string(c->payload_sha256)
	                                      : json_null(),
	                 "uses_left",
	                 c->uses_left < 0 ? json_null()
	                                  : json_integer(c->uses_left),
	                 "consumed", c->consumed, "reason", c->reason);
}

void jg_api_check(struct jg_ex *ex)
{
	static const char *const fields[] = {"principal", "resource", "action",
	                                     "token", "payload_sha256",
	                                     "consume", "source", NULL};
	struct jg_check_query q = {0};
	json_t *consume = json_object_get(ex->body, "consume");
	struct jg_answer c;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	/* a signed grant token names its principal (and, unless asked,
	 * its resource and action) */
	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "token", 0, &q.token) ||
	    jg_ex_str(ex, "principal", !q.token, &q.principal) ||
	    jg_ex_str(ex, "resource", !q.token, &q.resource) ||
	    jg_ex_str(ex, "action", !q.token, &q.action) ||
	    jg_ex_str(ex, "payload_sha256", 0, &q.payload_sha256) ||
	    jg_ex_str(ex, "source", 0, &q.source))
		return; /* no source: the caller's own address (who.source) */
	if (q.token && q.principal) {
		jg_ex_fail(ex, JG_EINVAL, "give either a token or a principal: "
		                          "the token names its principal");
		return;
	}
	if (consume && !json_is_boolean(consume)) {
		jg_ex_fail(ex, JG_EINVAL, "consume must be true or false");
		return;
	}
	q.consume = json_is_true(consume);
	e = jg_gate_authorize(ex->gate, &ex->who, &q, ex->now, &c, why);
	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		jg_ex_json(ex, 200, check_json(&c));
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
