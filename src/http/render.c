/* render.c - JSON views of requests, grants, tokens and principals. */
#include <stdio.h>
#include <string.h>

#include "http/render.h"
#include "util/timefmt.h"

/* A JSON time, or null for 0 ("not yet"). */
static json_t *time_or_null(int64_t t)
{
	char buf[JG_TIME_LEN];
	if (!t)
		return json_null();
	jg_time_format(t, buf);
	return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *render_steps(const struct jg_request_view *v,
                            enum jg_req_state state)
{
	const struct jg_request *r = &v->req;
	json_t *steps = json_array();

	for (size_t i = 0; steps && i < r->nsteps; i++) {
		json_t *who = json_array();
		/* break-glass approves without the steps: say so */
		const char *status =
		        r->break_glass ? "skipped"
		        : i < r->step || state == JG_REQ_APPROVED ? "done"
		        : i == r->step && state == JG_REQ_PENDING ? "current"
		                                                    : "waiting";
		for (size_t k = 0; k < v->nreviews; k++)
			if (v->reviews[k].step == i && v->reviews[k].approve)
				json_array_append_new(
				        who, json_string(v->reviews[k].reviewer));
		json_array_append_new(steps,
		                      json_pack("{s:s,s:i,s:o,s:s}", "group",
		                                r->steps[i].group, "count",
		                                r->steps[i].count, "approvals",
		                                who, "status", status));
	}
	return steps;
}

static json_t *render_reviews(const struct jg_request_view *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->nreviews; i++) {
		const struct jg_review *rv = &v->reviews[i];
		json_array_append_new(
		        a, json_pack("{s:s,s:I,s:s,s:o,s:o}", "reviewer",
		                     rv->reviewer, "step", (json_int_t)rv->step,
		                     "verdict", rv->approve ? "approve" : "deny",
		                     "comment", str_or_null(rv->comment), "at",
		                     time_or_null(rv->at)));
	}
	return a;
}

json_t *jg_render_request(const struct jg_request_view *v, int64_t now)
{
	const struct jg_request *r = &v->req;
	enum jg_req_state state = jg_request_state_at(r, now);
	char dur[32];

	jg_duration_format(r->duration, dur, sizeof(dur));
	json_t *o = json_pack(
	        "{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:s,s:I,s:o,s:s,s:s,s:o,"
	        "s:I,s:o,s:o,s:o,s:o,s:o}",
	        "id", r->id, "requester", r->requester, "resource", r->resource,
	        "action", r->action, "payload", str_or_null(r->payload),
	        "payload_sha256", str_or_null(r->payload_sha256), "reason",
	        r->reason ? r->reason : "", "ticket", str_or_null(r->ticket),
	        "duration", dur, "duration_seconds", (json_int_t)r->duration,
	        "rule", str_or_null(r->rule), "state",
	        jg_req_state_name(state), "state_reason",
	        state != r->state ? "expired undecided" : r->state_reason,
	        "steps", render_steps(v, state), "current_step", (json_int_t)r->step,
	        "reviews", render_reviews(v), "created_at",
	        time_or_null(r->created_at), "expires_at",
	        time_or_null(r->expires_at), "decided_at",
	        time_or_null(r->decided_at), "grant_id",
	        str_or_null(v->grant_id));
	if (!o)
		return NULL;
	json_object_set_new(o, "context", json_loads(r->context ? r->context
	                                                        : "{}", 0, NULL));
	json_object_set_new(o, "screening",
	                    json_loads(r->screening ? r->screening : "[]", 0,
	                               NULL));
	json_object_set_new(o, "decision", str_or_null(r->decision));
	json_object_set_new(o, "break_glass", json_boolean(r->break_glass));
	json_object_set_new(o, "post_review", str_or_null(r->post_review));
	json_object_set_new(o, "extends", str_or_null(r->extends));
	json_object_set_new(o, "start_at", time_or_null(r->start_at));
	json_object_set_new(o, "params", r->params ? json_loads(r->params, 0,
	                                                        NULL)
	                                           : json_null());
	json_object_set_new(o, "execution", v->has_exec
	                                            ? jg_render_execution(&v->exec)
	                                            : json_null());
	return o;
}

json_t *jg_render_execution(const struct jg_execution *x)
{
	json_t *o = json_pack(
	        "{s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:I}", "id", x->id,
	        "grant_id", x->grant_id, "connector", x->connector, "state",
	        jg_exec_state_name(x->state), "exit_code",
	        x->exit_code < 0 ? json_null() : json_integer(x->exit_code),
	        "error", str_or_null(x->error), "started_by", x->started_by,
	        "started_at", time_or_null(x->started_at), "deadline_at",
	        time_or_null(x->deadline_at), "finished_at",
	        time_or_null(x->finished_at), "duration_ms",
	        (json_int_t)x->duration_ms);

	/* null while it runs, or when the caller may not see it */
	if (o)
		json_object_set_new(o, "output", x->output ? json_string(x->output)
		                                           : json_null());
	return o;
}

json_t *jg_render_grant(const struct jg_grant *g, int64_t now)
{
	json_t *o = json_pack(
	        "{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:i}",
	        "id", g->id, "request_id", g->request_id, "principal",
	        g->principal, "resource", g->resource, "action", g->action,
	        "payload_sha256", str_or_null(g->payload_sha256), "not_before",
	        time_or_null(g->not_before), "expires_at",
	        time_or_null(g->expires_at), "uses_left",
	        g->uses_left < 0 ? json_null() : json_integer(g->uses_left),
	        "state", jg_grant_state_name(jg_grant_state_at(g, now)),
	        "ended_by", str_or_null(g->ended_by), "end_reason",
	        str_or_null(g->end_reason), "ended_at",
	        time_or_null(g->ended_at ? g->ended_at
	                     : jg_grant_state_at(g, now) == JG_GRANT_EXPIRED
	                             ? g->expires_at
	                             : 0),
	        "created_at", time_or_null(g->created_at), "extensions",
	        g->extensions);

	/* scheduled access: active, but allowing nothing before its start */
	if (o)
		json_object_set_new(o, "scheduled",
		                    json_boolean(jg_grant_state_at(g, now) ==
		                                         JG_GRANT_ACTIVE &&
		                                 now < g->not_before));
	return o;
}

json_t *jg_render_roles(int roles)
{
	json_t *a = json_array();
	for (int i = 0; a && i < JG_NROLES; i++)
		if (roles & (1 << i))
			json_array_append_new(a, json_string(jg_role_name(i)));
	return a;
}

json_t *jg_render_principal(const struct jg_principal *p)
{
	json_t *groups = json_array();
	for (size_t i = 0; groups && i < p->ngroups; i++)
		json_array_append_new(groups, json_string(p->groups[i]));
	return json_pack("{s:s,s:s,s:o,s:o}", "principal", p->name, "kind",
	                 p->service ? "service" : "user", "groups", groups,
	                 "roles", jg_render_roles(p->roles));
}

json_t *jg_render_token(const struct jg_token *t)
{
	json_t *o = jg_render_principal(&t->who);
	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_string(t->id));
	json_object_set_new(o, "description", str_or_null(t->description));
	json_object_set_new(o, "created_at", time_or_null(t->created_at));
	json_object_set_new(o, "created_by", json_string(t->created_by));
	json_object_set_new(o, "revoked_at", time_or_null(t->revoked_at));
	json_object_set_new(o, "expires_at", time_or_null(t->expires_at));
	json_object_set_new(o, "last_used_at", time_or_null(t->last_used_at));
	return o;
}

json_t *jg_render_page(json_t *items, int64_t next)
{
	char buf[24];
	if (!next)
		return json_pack("{s:o,s:n}", "items", items, "next_cursor");
	snprintf(buf, sizeof(buf), "%lld", (long long)next);
	return json_pack("{s:o,s:s}", "items", items, "next_cursor", buf);
}
