/*
 * extend.c - more time on a live grant.
 *
 * An extension is a request like any other (screened, audited, reviewed
 * by the same steps) that names the grant it extends; when approved, the
 * grant's expires_at moves and the grant keeps its id. The rule's
 * max_duration caps the grant's whole life, and its extensions.auto
 * extensions are approved without review. A scheduled grant may be
 * extended before its start too: its window [not_before, expires_at)
 * grows at the end, and its whole planned life counts against the cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"
#include "util/timefmt.h"

enum jg_err jg_gate_extend_grant(struct jg_gate *g, struct jg_grant *gr,
                                 int64_t extra, const char *actor,
                                 const char *by, int64_t now,
                                 char why[JG_WHY_MAX])
{
	char exp[JG_TIME_LEN];
	enum jg_err e;

	if (!jg_grant_open(gr, now))
		return jg_gate_why(JG_ECONFLICT, why, "grant %s is %s: it can no "
		                   "longer be extended", gr->id,
		                   jg_grant_state_name(jg_grant_state_at(gr, now)));
	gr->expires_at += extra;
	gr->extensions++;
	if ((e = g->st->ops->grant_update(g->st, gr, JG_GRANT_ACTIVE)) != JG_OK)
		return e;
	jg_time_format(gr->expires_at, exp);
	return jg_gate_audit(g, now, actor, "grant.extended", gr->id,
	                     json_pack("{s:s?,s:I,s:s,s:i}", "request_id",
	                               by && *by ? by : NULL, "seconds",
	                               (json_int_t)extra, "expires_at", exp,
	                               "extensions", gr->extensions));
}

/* Is an extension of this grant already waiting? One at a time keeps
 * the cap on the grant's total life exact. */
static enum jg_err pending_extension(struct jg_gate *g, const char *holder,
                                     const char *grant_id, int64_t now,
                                     char found[JG_ID_LEN])
{
	struct jg_filter f = {.state = "pending", .principal = holder,
	                      .limit = JG_LIST_MAX, .now = now};
	struct jg_request *reqs = NULL;
	size_t n = 0;
	int64_t next;
	enum jg_err e = g->st->ops->request_list(g->st, &f, &reqs, &n, &next);

	found[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!found[0] && strcmp(reqs[i].extends, grant_id) == 0)
			memcpy(found, reqs[i].id, JG_ID_LEN);
		jg_request_clear(&reqs[i]);
	}
	free(reqs);
	return e;
}

static enum jg_err extend_tx(struct jg_gate *g, const struct jg_principal *who,
                             const char *id, const struct jg_extension *in,
                             int64_t now, struct jg_extend_result *out,
                             char why[JG_WHY_MAX])
{
	struct jg_grant *gr = &out->grant;
	char waiting[JG_ID_LEN];
	enum jg_err e = g->st->ops->grant_get(g->st, id, gr);

	if (e == JG_OK && strcmp(gr->principal, who->name) != 0)
		e = JG_ENOTFOUND; /* only the holder may ask; others learn nothing */
	if (e == JG_ENOTFOUND)
		return jg_gate_why(e, why, "grant %s not found", id);
	if (e != JG_OK)
		return e;
	if (!jg_grant_open(gr, now))
		return jg_gate_why(JG_ECONFLICT, why, "grant %s is %s: it can no "
		                   "longer be extended", id,
		                   jg_grant_state_name(jg_grant_state_at(gr, now)));
	if ((e = pending_extension(g, who->name, id, now, waiting)) != JG_OK)
		return e;
	if (waiting[0])
		return jg_gate_why(JG_ECONFLICT, why, "grant %s already has a "
		                   "pending extension request %s", id, waiting);

	struct jg_new_request req = {
		.resource = gr->resource, .action = gr->action,
		.reason = in->reason, .ticket = in->ticket,
		.duration = in->duration, .source_ip = in->source_ip,
		.extends = gr,
	};
	if ((e = jg_gate_create_tx(g, who, &req, now, &out->req, why)) != JG_OK)
		return e;
	out->extended = out->req.req.state == JG_REQ_APPROVED;
	/* reread: an automatic approval has just moved expires_at */
	return g->st->ops->grant_get(g->st, id, gr);
}

enum jg_err jg_gate_grant_extend(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const char *id,
                                 const struct jg_extension *in, int64_t now,
                                 struct jg_extend_result *out,
                                 char why[JG_WHY_MAX])
{
	enum jg_err e;

	memset(out, 0, sizeof(*out));
	if (in->duration < 0 || in->duration > JG_DURATION_MAX)
		return jg_gate_why(JG_EINVAL, why, "duration out of range");
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = extend_tx(g, who, id, in, now, out, why);
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK) {
		jg_request_view_clear(&out->req);
		return jg_gate_abort(g, e);
	}
	/* an extension decided at once is a request decided by policy */
	jg_gate_count_decision(g, &out->req.req, now, JG_DECIDED_BY_POLICY);
	return JG_OK;
}
