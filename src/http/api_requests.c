/* api_requests.c - /v1/requests: create, list, show, cancel, review. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "http/render.h"
#include "util/timefmt.h"

/* Who may approve for each group (jg_gate_approvers), or an empty
 * object when that cannot be read: the names are a hint, the request
 * itself is the answer. The caller's. */
static json_t *approvers(struct jg_ex *ex)
{
	json_t *by = NULL;

	if (jg_gate_approvers(ex->gate, ex->now, &by) != JG_OK)
		by = json_object();
	return by;
}

/* Each step of o names the known approvers of its group (by, borrowed). */
static void name_approvers(json_t *o, json_t *by)
{
	json_t *step;
	size_t i;

	json_array_foreach(json_object_get(o, "steps"), i, step) {
		json_t *a = json_object_get(by, json_string_value(
		                                        json_object_get(step, "group")));
		json_object_set_new(step, "approvers", a ? json_incref(a)
		                                         : json_array());
	}
}

/* v as the API shows it to this caller: can_review and can_post_review
 * are theirs alone; by (borrowed) names each step's approvers. */
static json_t *render_for(struct jg_ex *ex, const struct jg_request_view *v,
                          json_t *by)
{
	json_t *o = jg_render_request(v, ex->now);
	const char *grant = jg_gate_grant_state_of(v, ex->now);

	if (o) {
		name_approvers(o, by);
		json_object_set_new(o, "grant_state",
		                    grant ? json_string(grant) : json_null());
		json_object_set_new(o, "can_execute",
		                    json_boolean(jg_gate_can_execute(
		                            ex->gate, &ex->who, v, ex->now)));
		json_object_set_new(o, "can_review",
		                    json_boolean(jg_gate_can_review(
		                            ex->gate, &ex->who, v, ex->now)));
		json_object_set_new(o, "approve_needs_comment",
		                    json_boolean(jg_gate_approve_needs_comment_of(
		                            ex->gate, v)));
		json_object_set_new(o, "can_post_review",
		                    json_boolean(jg_gate_can_post_review(
		                            ex->gate, &ex->who, v)));
	}
	return o;
}

/* Reply with view v (and clear it), or with the problem for e. */
static void reply_view(struct jg_ex *ex, enum jg_err e, int status,
                       struct jg_request_view *v, const char *why)
{
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	json_t *by = approvers(ex);
	jg_ex_json(ex, status, render_for(ex, v, by));
	json_decref(by);
	jg_request_view_clear(v);
}

/*
 * The scanner finding a service attaches: {id, type, rule, severity,
 * location, recommendation}, all strings. 0 when fine or absent.
 */
static int read_finding(struct jg_ex *ex, struct jg_finding *f, int *has)
{
	static const char *const fields[] = {"id", "type", "rule", "severity",
	                                     "location", "recommendation",
	                                     NULL};
	json_t *o = json_object_get(ex->body, "finding");
	json_t *body = ex->body;
	const char *severity;
	int rc;

	*has = 0;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		jg_ex_fail(ex, JG_EINVAL, "finding must be an object");
		return -1;
	}
	ex->body = o; /* reuse the field readers on the nested object */
	rc = jg_ex_fields(ex, fields) || jg_ex_str(ex, "id", 1, &f->id) ||
	     jg_ex_str(ex, "type", 0, &f->type) ||
	     jg_ex_str(ex, "rule", 0, &f->rule) ||
	     jg_ex_str(ex, "severity", 0, &severity) ||
	     jg_ex_str(ex, "location", 0, &f->location) ||
	     jg_ex_str(ex, "recommendation", 0, &f->recommendation);
	ex->body = body;
	if (rc)
		return -1;
	if (severity && !(f->severity = jg_level_parse(severity))) {
		jg_ex_fail(ex, JG_EINVAL, "finding severity must be low, "
		                          "medium, high or critical");
		return -1;
	}
	*has = 1;
	return 0;
}

/* params: an object of strings (the gate checks names and bounds). */
static int read_params(struct jg_ex *ex, struct jg_new_request *in)
{
	json_t *p = json_object_get(ex->body, "params");

	if (!p || json_is_null(p))
		return 0;
	if (!json_is_object(p)) {
		jg_ex_fail(ex, JG_EINVAL, "params must be an object of strings");
		return -1;
	}
	in->params = p; /* borrowed from the body */
	return 0;
}

void jg_api_request_create(struct jg_ex *ex)
{
	static const char *const fields[] = {"resource", "action", "payload",
	                                     "reason", "ticket", "duration",
	                                     "finding", "break_glass", "params",
	                                     "idempotency_key", "start_at",
	                                     NULL};
	struct jg_new_request in = {0};
	struct jg_finding finding = {0};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	json_t *bg;
	int has_finding;
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || read_finding(ex, &finding, &has_finding) ||
	    jg_ex_str(ex, "resource", 1, &in.resource) ||
	    jg_ex_str(ex, "action", 1, &in.action) ||
	    jg_ex_str(ex, "reason", 1, &in.reason) ||
	    jg_ex_str(ex, "payload", 0, &in.payload) ||
	    jg_ex_str(ex, "ticket", 0, &in.ticket) ||
	    jg_ex_duration(ex, "duration", &in.duration) ||
	    jg_ex_time(ex, "start_at", &in.start_at) ||
	    jg_ex_str(ex, "idempotency_key", 0, &in.idempotency_key) ||
	    read_params(ex, &in))
		return;
	bg = json_object_get(ex->body, "break_glass");
	if (bg && !json_is_boolean(bg)) {
		jg_ex_fail(ex, JG_EINVAL, "break_glass must be true or false");
		return;
	}
	in.break_glass = json_is_true(bg);
	in.finding = has_finding ? &finding : NULL;
	in.source_ip = ex->peer;
	e = jg_gate_request_create(ex->gate, &ex->who, &in, ex->now, &v, why);
	/* an idempotency key's earlier request: 200, not created again */
	reply_view(ex, e, e == JG_OK && v.reused ? 200 : 201, &v, why);
}

void jg_api_request_list(struct jg_ex *ex)
{
	struct jg_filter f = {0};
	struct jg_request_view *views = NULL;
	enum jg_req_state st;
	size_t n = 0;
	int64_t next = 0;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_paging(ex, &f))
		return;
	f.now = ex->now;
	f.state = jg_ex_query(ex, "state");
	f.principal = jg_ex_query(ex, "requester");
	f.resource = jg_ex_query(ex, "resource");
	f.post_review = jg_ex_query(ex, "post_review");
	if (f.post_review && strcmp(f.post_review, "required") != 0 &&
	    strcmp(f.post_review, "done") != 0) {
		jg_ex_fail(ex, JG_EINVAL, "post_review must be required or done");
		return;
	}
	if (f.state && jg_req_state_parse(f.state, &st) != 0) {
		jg_ex_fail(ex, JG_EINVAL, "state must be pending, approved, "
		                          "denied, cancelled or expired");
		return;
	}
	e = jg_gate_request_list(ex->gate, &ex->who, &f, &views, &n, &next,
	                         why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	json_t *items = json_array();
	json_t *by = approvers(ex);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, render_for(ex, &views[i], by));
		jg_request_view_clear(&views[i]);
	}
	json_decref(by);
	free(views);
	jg_ex_json(ex, 200, jg_render_page(items, next));
}

void jg_api_request_get(struct jg_ex *ex)
{
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_request_get(ex->gate, &ex->who, ex->param, &v,
	                                    why);
	reply_view(ex, e, 200, &v, why);
}

void jg_api_request_cancel(struct jg_ex *ex)
{
	static const char *const fields[] = {"reason", NULL};
	struct jg_request_view v;
	const char *reason;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "reason", 0, &reason))
		return;
	e = jg_gate_cancel(ex->gate, &ex->who, ex->param, reason, ex->now, &v,
	                   why);
	reply_view(ex, e, 200, &v, why);
}

static void review(struct jg_ex *ex, int approve)
{
	static const char *const fields[] = {"comment", NULL};
	struct jg_request_view v;
	const char *comment;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "comment", 0, &comment))
		return;
	e = jg_gate_review(ex->gate, &ex->who, ex->param, approve, comment,
	                   ex->now, &v, why);
	reply_view(ex, e, 200, &v, why);
}

void jg_api_request_approve(struct jg_ex *ex) { review(ex, 1); }
void jg_api_request_deny(struct jg_ex *ex) { review(ex, 0); }

void jg_api_request_post_review(struct jg_ex *ex)
{
	static const char *const fields[] = {"comment", NULL};
	struct jg_request_view v;
	const char *comment;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "comment", 0, &comment))
		return;
	e = jg_gate_post_review(ex->gate, &ex->who, ex->param, comment,
	                        ex->now, &v, why);
	reply_view(ex, e, 200, &v, why);
}

/* What an execute carries to its pool thread. */
struct exec_ask {
	char id[JG_ID_LEN + 32]; /* as the path gave it: the gate checks it */
	int has_sha;
	char sha[]; /* payload_sha256 as sent, when has_sha */
};

/*
 * On a pool thread (jg_ex_defer): the start and the outcome under the
 * gate hold, the connector without it, so neither a policy reload nor
 * any HTTP worker waits for the action.
 */
static void execute_work(struct jg_ex *ex, void *arg)
{
	const struct exec_ask *k = arg;
	struct jg_exec_run *run;
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	jg_gate_hold(ex->gate);
	e = jg_gate_exec_start(ex->gate, &ex->who, k->id,
	                       k->has_sha ? k->sha : NULL, ex->now, &run, why);
	if (e == JG_OK) {
		jg_gate_release(ex->gate);
		jg_gate_exec_run(ex->gate, run);
		jg_gate_hold(ex->gate);
		e = jg_gate_exec_finish(ex->gate, run, &v, why);
	}
	reply_view(ex, e, 200, &v, why);
	jg_gate_release(ex->gate);
}

/*
 * POST /v1/requests/{id}/execute: run the bound payload, once, on the
 * execution pool. A full pool answers 503 here, before anything of the
 * request is read or consumed.
 */
void jg_api_request_execute(struct jg_ex *ex)
{
	static const char *const fields[] = {"payload_sha256", NULL};
	const char *sha;
	struct exec_ask *k;
	size_t n;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "payload_sha256", 0, &sha))
		return;
	n = sha ? strlen(sha) + 1 : 1;
	if (!(k = calloc(1, sizeof(*k) + n))) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	snprintf(k->id, sizeof(k->id), "%s", ex->param);
	k->has_sha = sha != NULL;
	memcpy(k->sha, sha ? sha : "", n);
	if (jg_ex_defer(ex, execute_work, k))
		free(k);
}
