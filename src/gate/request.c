/*
 * request.c - request use cases: create (screen), show, list, review,
 * cancel.
 *
 * The requester never approves their own request, whatever groups they
 * hold: jg_review_check refuses it before group membership is looked at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"
#include "util/timefmt.h"

void jg_request_view_clear(struct jg_request_view *v)
{
	if (!v)
		return;
	jg_request_clear(&v->req);
	for (size_t i = 0; i < v->nreviews; i++)
		jg_review_clear(&v->reviews[i]);
	free(v->reviews);
	jg_execution_clear(&v->exec);
	memset(v, 0, sizeof(*v));
}

enum jg_err jg_gate_load_view(struct jg_gate *g, const char *id,
                              struct jg_request_view *v)
{
	struct jg_grant gr;
	enum jg_err e;

	memset(v, 0, sizeof(*v));
	if ((e = g->st->ops->request_get(g->st, id, &v->req)) != JG_OK)
		return e;
	e = g->st->ops->review_list(g->st, id, &v->reviews, &v->nreviews);
	if (e == JG_OK) {
		e = g->st->ops->grant_by_request(g->st, id, &gr);
		if (e == JG_OK) {
			memcpy(v->grant_id, gr.id, sizeof(v->grant_id));
			v->grant = gr;
		} else if (e == JG_ENOTFOUND)
			e = JG_OK;
	}
	if (e == JG_OK)
		e = jg_gate_load_exec(g, v);
	if (e != JG_OK)
		jg_request_view_clear(v);
	return e;
}

static int can_view(const struct jg_gate *g, const struct jg_principal *who,
                    const struct jg_request *r)
{
	return jg_gate_sees_all(who) || strcmp(who->name, r->requester) == 0 ||
	       jg_gate_reviews(g, who, r);
}

/* ---- create ---- */

static enum jg_err check_text(const char *what, const char *s, size_t max,
                              int required, char why[JG_WHY_MAX])
{
	if (!s || !*s)
		return required ? jg_gate_why(JG_EINVAL, why, "%s is required",
		                              what)
		                : JG_OK;
	if (strlen(s) > max)
		return jg_gate_why(JG_EINVAL, why, "%s is longer than %zu bytes",
		                   what, max);
	return JG_OK;
}

static enum jg_err check_new(const struct jg_new_request *in,
                             char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (!jg_name_valid(in->resource, 0))
		return jg_gate_why(JG_EINVAL, why, "resource must be a name of "
		                   "1-63 characters of A-Z a-z 0-9 . _ -");
	if (!jg_name_valid(in->action, 0))
		return jg_gate_why(JG_EINVAL, why, "action must be a name of "
		                   "1-63 characters of A-Z a-z 0-9 . _ -");
	if ((e = check_text("reason", in->reason, JG_REASON_MAX, 1, why)) ||
	    (e = check_text("ticket", in->ticket, JG_TICKET_MAX - 1, 0, why)) ||
	    (e = check_text("payload", in->payload, JG_PAYLOAD_MAX, 0, why)))
		return e;
	if (in->duration < 0 || in->duration > JG_DURATION_MAX)
		return jg_gate_why(JG_EINVAL, why, "duration out of range");
	return JG_OK;
}

/* Fill r from the ask and the verdict; r owns copies of the strings. */
static enum jg_err build(struct jg_request *r, const struct jg_principal *who,
                         const struct jg_new_request *in,
                         const struct jg_verdict *v, int64_t now)
{
	enum jg_err e;

	memset(r, 0, sizeof(*r));
	if ((e = jg_random_id("req", r->id)) != JG_OK)
		return e;
	memcpy(r->requester, who->name, sizeof(r->requester));
	snprintf(r->resource, sizeof(r->resource), "%s", in->resource);
	snprintf(r->action, sizeof(r->action), "%s", in->action);
	snprintf(r->ticket, sizeof(r->ticket), "%s", in->ticket ? in->ticket : "");
	r->reason = strdup(in->reason);
	if (in->payload && *in->payload)
		r->payload = strdup(in->payload); /* bound by jg_gate_bind */
	if (!r->reason || (in->payload && *in->payload && !r->payload))
		return JG_ENOMEM;
	r->duration = v->duration;
	if (v->rule) {
		snprintf(r->rule, sizeof(r->rule), "%s", v->rule->name);
		for (size_t i = 0; i < v->rule->nsteps; i++)
			r->steps[i] = v->rule->steps[i];
		r->nsteps = v->rule->nsteps;
	}
	r->state = JG_REQ_PENDING;
	snprintf(r->state_reason, sizeof(r->state_reason), "%s", v->reason);
	r->created_at = now;
	r->start_at = v->start_at;
	r->expires_at = jg_request_deadline(now, v->request_ttl
	                                                 ? v->request_ttl
	                                                 : JG_DEFAULT_REQUEST_TTL,
	                                    r->start_at, r->duration);
	return JG_OK;
}

/* The creation event carries what screening saw and said: flags are
 * recorded in the trail, not only shown to approvers. */
static json_t *created_details(const struct jg_request *r)
{
	char dur[32], start[JG_TIME_LEN];

	jg_duration_format(r->duration, dur, sizeof(dur));
	jg_time_format(r->start_at, start);
	return json_pack("{s:s,s:s,s:s?,s:s,s:s?,s:s,s:s?,s:s,s:o,s:o,s:s?,"
	                 "s:s*}",
	                 "resource", r->resource, "action", r->action,
	                 "payload_sha256", r->payload ? r->payload_sha256 : NULL,
	                 "reason", r->reason, "ticket",
	                 r->ticket[0] ? r->ticket : NULL, "duration", dur,
	                 "rule", r->rule[0] ? r->rule : NULL, "decision",
	                 r->decision, "context",
	                 json_loads(r->context, 0, NULL), "screening",
	                 json_loads(r->screening, 0, NULL), "extends",
	                 r->extends[0] ? r->extends : NULL, "start_at",
	                 r->start_at ? start : NULL); /* s*: absent if NULL */
}

/*
 * Inside a write transaction: r has just been decided (stored already);
 * audit the decision and, when approved, issue its grant.
 */
static enum jg_err announce(struct jg_gate *g, const struct jg_request *r,
                            const char *by, int64_t now,
                            char why[JG_WHY_MAX])
{
	char grant_id[JG_ID_LEN];
	int ok = r->state == JG_REQ_APPROVED;
	enum jg_err e;

	e = jg_gate_audit(g, now, by, ok ? "request.approved" : "request.denied",
	                  r->id, json_pack("{s:s}", "reason", r->state_reason));
	if (e == JG_OK)
		e = jg_gate_notice(g, ok ? JG_NOTICE_APPROVED : JG_NOTICE_DENIED,
		                   r, now);
	if (e != JG_OK || !ok)
		return e;
	if (!r->extends[0])
		return jg_gate_issue_grant(g, r, now, grant_id);
	/* an approved extension lengthens its grant, which keeps its id */
	struct jg_grant gr;
	if ((e = g->st->ops->grant_get(g->st, r->extends, &gr)) != JG_OK)
		return e;
	return jg_gate_extend_grant(g, &gr, r->duration, by, r->id, now, why);
}

/* Did grant gr come from a break-glass request? Into *bg. */
static enum jg_err extends_break_glass(struct jg_gate *g,
                                       const struct jg_grant *gr, int *bg)
{
	struct jg_request r = {0};
	enum jg_err e = g->st->ops->request_get(g->st, gr->request_id, &r);

	*bg = e == JG_OK && r.break_glass;
	jg_request_clear(&r);
	return e;
}

/*
 * Screen ask. An extension of a break-glass grant is break-glass again:
 * self-approved (alerted, noticed, reviewed afterwards) while its whole
 * life stays within the rule's break-glass maximum and the holder is still
 * in the break-glass group; past that it needs the rule's reviewers, like
 * any request, and extensions.auto never applies to it.
 */
static enum jg_err screen_ask(struct jg_gate *g,
                              const struct jg_principal *who,
                              struct jg_ask *ask, struct jg_verdict *v)
{
	enum jg_err e;

	if (!ask->extends_break_glass)
		return jg_policy_screen(g->policy, who, ask, v);
	ask->break_glass = 1;
	e = jg_policy_screen(g->policy, who, ask, v);
	if (e != JG_EDURATION && e != JG_EFORBIDDEN)
		return e;
	ask->break_glass = 0;
	return jg_policy_screen(g->policy, who, ask, v);
}

/* Screen and build r inside the open write transaction. */
static enum jg_err screen_new(struct jg_gate *g, const struct jg_principal *who,
                              const struct jg_new_request *in, int64_t now,
                              struct jg_request *r, struct jg_verdict *v,
                              char why[JG_WHY_MAX])
{
	struct jg_count_ctx cc = {g, who->name, in->resource, 0};
	struct jg_ask ask = {
		.resource = in->resource, .action = in->action,
		.duration = in->duration, .reason = in->reason,
		.ticket = in->ticket, .source_ip = in->source_ip, .now = now,
		.finding = in->finding, .break_glass = in->break_glass,
		.start_at = in->start_at, .payload = in->payload, .count = jg_gate_count, .count_ctx = &cc,
	};
	/* owned: the params as JSON text, for the hidden_chars check */
	char *params = in->params ? json_dumps(in->params, JSON_COMPACT) : NULL;
	enum jg_err e = in->params && !params ? JG_ENOMEM : JG_OK;

	ask.params = params;
	if (e == JG_OK && in->extends) {
		ask.extension = 1;
		ask.life_so_far = in->extends->expires_at - in->extends->not_before;
		ask.extensions_so_far = in->extends->extensions;
		e = extends_break_glass(g, in->extends, &ask.extends_break_glass);
	}
	if (e != JG_OK) {
		free(params);
		return e;
	}
	e = screen_ask(g, who, &ask, v);
	free(params);
	if (e != JG_OK)
		return jg_gate_why(e, why, "%s", v->reason);
	if ((e = build(r, who, in, v, now)) != JG_OK ||
	    (e = jg_gate_bind(g, in, r, why)) != JG_OK)
		return e;
	if (in->extends)
		memcpy(r->extends, in->extends->id, sizeof(r->extends));
	r->context = jg_gate_context_text(who, in);
	r->screening = jg_gate_checks_text(v);
	if (!r->context || !r->screening)
		return JG_ENOMEM;
	snprintf(r->decision, sizeof(r->decision), "%s",
	         jg_gate_decision_name(v));
	r->break_glass = v->break_glass;
	if (v->break_glass)
		snprintf(r->post_review, sizeof(r->post_review), "required");
	if (v->decision == JG_DECIDE_REVIEW)
		return JG_OK;
	return jg_request_transition(r, v->decision == JG_DECIDE_AUTO
	                                        ? JG_REQ_APPROVED
	                                        : JG_REQ_DENIED,
	                             v->reason, now, why);
}

static json_t *break_glass_details(const struct jg_request *r)
{
	return json_pack("{s:s,s:s,s:s,s:s}", "requester", r->requester,
	                 "resource", r->resource, "action", r->action, "reason",
	                 r->reason);
}

enum jg_err jg_gate_create_tx(struct jg_gate *g,
                              const struct jg_principal *who,
                              const struct jg_new_request *in, int64_t now,
                              struct jg_request_view *out,
                              char why[JG_WHY_MAX])
{
	struct jg_verdict v;
	struct jg_request r = {0};
	enum jg_err e;

	if ((e = check_new(in, why)) != JG_OK)
		return e;
	if (in->finding && !who->service)
		return jg_gate_why(JG_EFORBIDDEN, why, "only service identities "
		                   "may attach scanner findings");
	e = screen_new(g, who, in, now, &r, &v, why);
	if (e == JG_OK)
		e = g->st->ops->request_insert(g->st, &r);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name, "request.created", r.id,
		                  created_details(&r));
	if (e == JG_OK && r.state == JG_REQ_PENDING)
		e = jg_gate_notice(g, JG_NOTICE_PENDING, &r, now);
	if (e == JG_OK && r.break_glass)
		e = jg_gate_audit(g, now, who->name, "alert.break_glass", r.id,
		                  break_glass_details(&r));
	if (e == JG_OK && r.break_glass)
		e = jg_gate_notice(g, JG_NOTICE_BREAK_GLASS, &r, now);
	if (e == JG_OK && r.state != JG_REQ_PENDING)
		e = announce(g, &r, r.break_glass ? who->name : JG_ACTOR_SYSTEM,
		             now, why);
	if (e == JG_OK)
		e = jg_gate_load_view(g, r.id, out);
	jg_request_clear(&r);
	return e;
}

enum jg_err jg_gate_request_create(struct jg_gate *g,
                                   const struct jg_principal *who,
                                   const struct jg_new_request *in,
                                   int64_t now, struct jg_request_view *out,
                                   char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (in->extends)
		return jg_gate_why(JG_EINVAL, why, "extend a grant through "
		                   "its extend call");
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	if (in->idempotency_key &&
	    (e = jg_gate_idem_find(g, who, in, out, why)) != JG_ENOTFOUND)
		return jg_gate_finish(g, e, out); /* the same request, or why not */
	e = jg_gate_create_tx(g, who, in, now, out, why);
	if (e == JG_OK && in->idempotency_key &&
	    (e = jg_gate_idem_put(g, who, in->idempotency_key, out->req.id,
	                          now)) != JG_OK)
		jg_request_view_clear(out);
	if ((e = jg_gate_finish(g, e, out)) == JG_OK) {
		if (!out->reused)
			jg_gate_count_decision(g, &out->req, now,
			                       JG_DECIDED_BY_POLICY);
		jg_gate_execute_auto(g, out, now);
	}
	return e;
}

/* ---- read ---- */

enum jg_err jg_gate_request_get(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *id, struct jg_request_view *out,
                                char why[JG_WHY_MAX])
{
	enum jg_err e;

	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = jg_gate_load_view(g, id, out);
	g->st->ops->rollback(g->st);
	if (e == JG_OK && !can_view(g, who, &out->req)) {
		jg_request_view_clear(out);
		e = JG_ENOTFOUND; /* do not reveal that it exists */
	}
	if (e == JG_OK)
		jg_gate_exec_redact(who, out);
	if (e == JG_ENOTFOUND)
		jg_gate_why(e, why, "request %s not found", id);
	return e;
}

enum jg_err jg_gate_request_list(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 struct jg_filter *f,
                                 struct jg_request_view **out, size_t *n,
                                 int64_t *next, char why[JG_WHY_MAX])
{
	const char *groups[2 * JG_GROUPS_MAX];
	struct jg_request *reqs = NULL;
	struct jg_request_view *views;
	size_t count = 0;
	enum jg_err e;

	(void)why;
	if (!jg_gate_sees_all(who))
		jg_gate_viewer_filter(g, who, f, groups);
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->request_list(g->st, f, &reqs, &count, next);
	views = e == JG_OK ? calloc(count ? count : 1, sizeof(*views)) : NULL;
	if (e == JG_OK && !views)
		e = JG_ENOMEM;
	for (size_t i = 0; e == JG_OK && i < count; i++)
		e = jg_gate_load_view(g, reqs[i].id, &views[i]);
	g->st->ops->rollback(g->st);
	for (size_t i = 0; i < count; i++)
		jg_request_clear(&reqs[i]);
	free(reqs);
	if (e != JG_OK) {
		for (size_t i = 0; views && i < count; i++)
			jg_request_view_clear(&views[i]);
		free(views);
		return e;
	}
	for (size_t i = 0; i < count; i++)
		jg_gate_exec_redact(who, &views[i]);
	*out = views;
	*n = count;
	return JG_OK;
}

/* ---- review ---- */

int jg_gate_can_review(struct jg_gate *g, const struct jg_principal *who,
                       const struct jg_request_view *v, int64_t now)
{
	const struct jg_request *r = &v->req;
	char why[JG_WHY_MAX];
	int in_group = r->state == JG_REQ_PENDING && r->step < r->nsteps &&
	               jg_policy_member(g->policy, r->steps[r->step].group, who);

	return jg_review_check(r, v->reviews, v->nreviews, who->name, in_group,
	                       now, why) == JG_OK;
}

int jg_gate_approve_needs_comment_of(const struct jg_gate *g,
                                     const struct jg_request_view *v)
{
	return jg_gate_approve_needs_comment(g->policy, &v->req);
}

static json_t *review_details(const struct jg_review *rv, const char *via)
{
	return json_pack("{s:s,s:I,s:s?,s:s?}", "verdict",
	                 rv->approve ? "approve" : "deny", "step",
	                 (json_int_t)rv->step, "comment", rv->comment, "via",
	                 via);
}

/* 1 when s holds more than spaces, tabs and newlines. */
static int has_text(const char *s)
{
	return s && s[strspn(s, " \t\r\n")] != '\0';
}

/* A denial always owes the requester a reason; an approval does when its
 * rule says `approve_comment: true`. Checked here, where every client's
 * review passes, so no client can skip it. */
static enum jg_err comment_check(const struct jg_gate *g,
                                 const struct jg_request *r, int approve,
                                 const char *comment, char why[JG_WHY_MAX])
{
	if (has_text(comment))
		return JG_OK;
	if (!approve)
		return jg_gate_why(JG_EINVAL, why, "a denial needs a comment: "
		                   "the requester is owed a reason");
	if (jg_gate_approve_needs_comment(g->policy, r))
		return jg_gate_why(JG_EINVAL, why, "rule '%s' asks approvers "
		                   "for a comment", r->rule);
	return JG_OK;
}

/* Inside the write transaction: check, record and apply one review. */
static enum jg_err review_tx(struct jg_gate *g, const struct jg_principal *who,
                             struct jg_request_view *v, int approve,
                             const char *comment, const char *via,
                             int64_t now, char why[JG_WHY_MAX])
{
	struct jg_request *r = &v->req;
	struct jg_review rv = {.approve = approve, .at = now};
	enum jg_req_state was = r->state;
	size_t was_step = r->step;
	int in_group;
	enum jg_err e;

	in_group = r->state == JG_REQ_PENDING && r->step < r->nsteps &&
	           jg_policy_member(g->policy, r->steps[r->step].group, who);
	e = jg_review_check(r, v->reviews, v->nreviews, who->name, in_group,
	                    now, why);
	if (e == JG_OK)
		e = comment_check(g, r, approve, comment, why);
	if (e == JG_OK && approve) {
		struct jg_step_up su = jg_gate_step_up_of(g->policy, r);
		e = jg_gate_step_up_check(&su, who, now, why);
	}
	if (e != JG_OK)
		return e;
	memcpy(rv.reviewer, who->name, sizeof(rv.reviewer));
	rv.step = r->step;
	rv.comment = (char *)comment; /* borrowed; not freed here */
	if ((e = g->st->ops->review_insert(g->st, r->id, &rv)) != JG_OK)
		return e == JG_EDUP ? jg_gate_why(e, why, "'%s' has already "
		                                  "reviewed request %s",
		                                  who->name, r->id)
		                    : e;
	if ((e = jg_gate_audit(g, now, who->name, "review.recorded", r->id,
	                       review_details(&rv, via))) != JG_OK)
		return e;
	if (jg_review_apply(r, v->reviews, v->nreviews, &rv, now) ==
	    JG_REVIEW_RECORDED)
		return JG_OK;
	e = g->st->ops->request_update(g->st, r, was, was_step);
	if (e == JG_OK && r->state == JG_REQ_PENDING)
		return jg_gate_notice(g, JG_NOTICE_STEP, r, now);
	if (e != JG_OK)
		return e;
	return announce(g, r, who->name, now, why);
}

enum jg_err jg_gate_review(struct jg_gate *g, const struct jg_principal *who,
                           const char *id, int approve, const char *comment,
                           int64_t now, struct jg_request_view *out,
                           char why[JG_WHY_MAX])
{
	return jg_gate_review_via(g, who, id, approve, comment, NULL, now, out,
	                          why);
}

enum jg_err jg_gate_review_via(struct jg_gate *g,
                               const struct jg_principal *who,
                               const char *id, int approve,
                               const char *comment, const char *via,
                               int64_t now, struct jg_request_view *out,
                               char why[JG_WHY_MAX])
{
	struct jg_request_view v;
	enum jg_err e;

	if ((e = check_text("comment", comment, JG_REASON_MAX, 0, why)))
		return e;
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = jg_gate_load_view(g, id, &v);
	if (e == JG_OK && !can_view(g, who, &v.req)) {
		jg_request_view_clear(&v);
		e = JG_ENOTFOUND;
	}
	if (e == JG_ENOTFOUND)
		return jg_gate_abort(g, jg_gate_why(e, why, "request %s not "
		                                    "found", id));
	if (e == JG_OK) {
		e = review_tx(g, who, &v, approve, comment, via, now, why);
		jg_request_view_clear(&v);
	}
	if (e == JG_OK)
		e = jg_gate_load_view(g, id, out);
	if ((e = jg_gate_finish(g, e, out)) == JG_OK) {
		jg_gate_count_decision(g, &out->req, now, JG_DECIDED_BY_REVIEW);
		jg_gate_execute_auto(g, out, now); /* when approved, if asked */
		jg_gate_exec_redact(who, out);
	}
	return e;
}

/* ---- cancel ---- */

enum jg_err jg_gate_cancel(struct jg_gate *g, const struct jg_principal *who,
                           const char *id, const char *reason, int64_t now,
                           struct jg_request_view *out, char why[JG_WHY_MAX])
{
	struct jg_request r;
	enum jg_err e;
	char text[JG_WHY_MAX];

	if (reason && strlen(reason) > JG_NOTE_MAX)
		return jg_gate_why(JG_EINVAL, why, "reason is longer than %d "
		                   "bytes", JG_NOTE_MAX);
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = g->st->ops->request_get(g->st, id, &r);
	if (e == JG_OK && !can_view(g, who, &r)) {
		jg_request_clear(&r);
		e = JG_ENOTFOUND;
	}
	if (e == JG_ENOTFOUND)
		return jg_gate_abort(g, jg_gate_why(e, why, "request %s not "
		                                    "found", id));
	if (e != JG_OK)
		return jg_gate_abort(g, e);
	if (strcmp(who->name, r.requester) != 0 && !jg_gate_is_admin(who)) {
		jg_request_clear(&r);
		return jg_gate_abort(g, jg_gate_why(JG_EFORBIDDEN, why, "only "
		                     "the requester or an admin may cancel "
		                     "request %s", id));
	}
	if (jg_request_state_at(&r, now) == JG_REQ_EXPIRED) {
		jg_request_clear(&r);
		return jg_gate_abort(g, jg_gate_why(JG_ECONFLICT, why, "request "
		                     "%s expired undecided", id));
	}
	snprintf(text, sizeof(text), "cancelled by %s%s%s", who->name,
	         reason && *reason ? ": " : "", reason ? reason : "");
	e = jg_request_transition(&r, JG_REQ_CANCELLED, text, now, why);
	if (e == JG_OK)
		e = g->st->ops->request_update(g->st, &r, JG_REQ_PENDING, r.step);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name, "request.cancelled", id,
		                  json_pack("{s:s?}", "reason", reason));
	jg_request_clear(&r);
	if (e == JG_OK)
		e = jg_gate_load_view(g, id, out);
	return jg_gate_finish(g, e, out);
}

/* ---- review after break-glass ---- */

/* May who record r's review after break-glass? Also the dashboard's
 * can_post_review, so the form shows only where the call would work. */
static enum jg_err post_review_check(const struct jg_gate *g,
                                     const struct jg_principal *who,
                                     const struct jg_request *r,
                                     char why[JG_WHY_MAX])
{
	if (strcmp(r->post_review, "required") != 0)
		return jg_gate_why(JG_ECONFLICT, why, "request %s has no review "
		                   "due", r->id);
	if (strcmp(who->name, r->requester) == 0)
		return jg_gate_why(JG_ESELF, why, "the requester cannot review "
		                   "their own break-glass request %s", r->id);
	if (!jg_gate_reviews(g, who, r) && !jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "'%s' is not an approver "
		                   "of request %s", who->name, r->id);
	return JG_OK;
}

int jg_gate_can_post_review(const struct jg_gate *g,
                            const struct jg_principal *who,
                            const struct jg_request_view *v)
{
	char why[JG_WHY_MAX];

	return post_review_check(g, who, &v->req, why) == JG_OK;
}

static enum jg_err post_review_tx(struct jg_gate *g,
                                  const struct jg_principal *who,
                                  const char *id, const char *comment,
                                  int64_t now, char why[JG_WHY_MAX])
{
	struct jg_request r;
	enum jg_err e = g->st->ops->request_get(g->st, id, &r);

	if (e == JG_OK && !can_view(g, who, &r)) {
		jg_request_clear(&r);
		e = JG_ENOTFOUND;
	}
	if (e == JG_ENOTFOUND)
		return jg_gate_why(e, why, "request %s not found", id);
	if (e != JG_OK)
		return e;
	e = post_review_check(g, who, &r, why);
	if (e == JG_OK) {
		snprintf(r.post_review, sizeof(r.post_review), "done");
		e = g->st->ops->request_update(g->st, &r, r.state, r.step);
	}
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name, "request.post_reviewed", id,
		                  json_pack("{s:s?}", "comment", comment));
	jg_request_clear(&r);
	return e;
}

enum jg_err jg_gate_post_review(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *id, const char *comment,
                                int64_t now, struct jg_request_view *out,
                                char why[JG_WHY_MAX])
{
	enum jg_err e;

	if ((e = check_text("comment", comment, JG_REASON_MAX, 0, why)))
		return e;
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = post_review_tx(g, who, id, comment, now, why);
	if (e == JG_OK)
		e = jg_gate_load_view(g, id, out);
	if ((e = jg_gate_finish(g, e, out)) == JG_OK)
		jg_gate_exec_redact(who, out);
	return e;
}
