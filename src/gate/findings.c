/*
 * findings.c - scanner findings to action requests (POST /v1/findings).
 *
 * Each finding the policy's `findings` list takes becomes a request made
 * by the posting service identity, with the finding as its context, and
 * is screened like any other: rules with automation, finding_type and
 * severity checks decide whether it is approved at once or waits for
 * approvers. A finding is raised once: its key "finding:TYPE:ID" is
 * stored with the request it created (store request_key_put), and the
 * same finding posted again answers with that request instead of a new
 * one, whatever became of it.
 *
 * The whole report is one transaction: a finding that cannot be raised
 * (no policy entry takes it, unknown resource, refused by screening) gets
 * its error in its result and leaves nothing behind, but a store failure
 * rolls every finding of the report back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"
#include "scan/scan.h"

_Static_assert(sizeof(((struct jg_finding_result *)0)->finding_id) ==
                       JG_FINDING_ID_MAX + 1,
               "gate.h sizes finding ids as scan.h bounds them");

/* Errors of one finding; anything else fails the whole report. */
static int own_error(enum jg_err e)
{
	return e == JG_EINVAL || e == JG_EUNKNOWN || e == JG_EDURATION ||
	       e == JG_EFORBIDDEN;
}

static enum jg_err fail_one(struct jg_finding_result *res, const char *fmt,
                            ...) __attribute__((format(printf, 2, 3)));

static enum jg_err fail_one(struct jg_finding_result *res, const char *fmt,
                            ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return JG_OK;
}

/* The same finding raised before: answer with its request. */
static enum jg_err duplicate(struct jg_gate *g, const char *req_id,
                             int64_t now, struct jg_finding_result *res)
{
	struct jg_request r;
	enum jg_err e = g->st->ops->request_get(g->st, req_id, &r);

	if (e != JG_OK)
		return e;
	memcpy(res->request_id, r.id, sizeof(res->request_id));
	snprintf(res->state, sizeof(res->state), "%s",
	         jg_req_state_name(jg_request_state_at(&r, now)));
	res->duplicate = 1;
	jg_request_clear(&r);
	return JG_OK;
}

/* Inside the transaction: raise (or recognise) one finding. */
static enum jg_err raise_one(struct jg_gate *g, const struct jg_principal *who,
                             const struct jg_scan_item *it,
                             const char *source_ip, int64_t now,
                             struct jg_finding_result *res)
{
	const char *target = it->target[0] ? it->target : NULL;
	const struct jg_finding_map *m;
	struct jg_new_request in = {.source_ip = source_ip};
	struct jg_request_view v;
	struct jg_finding f;
	char key[JG_REQUEST_KEY_MAX], req_id[JG_ID_LEN];
	char reason[JG_REASON_MAX + 1], why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (it->error[0])
		return fail_one(res, "%s", it->error);
	jg_scan_finding(it, &f);
	if ((size_t)snprintf(key, sizeof(key), "finding:%s:%s", it->type,
	                     it->id) >= sizeof(key))
		return fail_one(res, "the finding's type and id are too long");
	e = g->st->ops->request_key_get(g->st, key, req_id);
	if (e == JG_OK)
		return duplicate(g, req_id, now, res);
	if (e != JG_ENOTFOUND)
		return e;
	if (!(m = jg_policy_finding_map(g->policy, &f, target)))
		return fail_one(res, "no entry of the policy's findings list "
		                "takes this finding (type %s, rule %s, severity "
		                "%s%s%s)", it->type, it->rule ? it->rule : "-",
		                it->severity ? jg_level_name(it->severity) : "-",
		                target ? ", target " : "", target ? target : "");
	in.resource = m->resource;
	if (strcmp(m->resource, JG_FINDING_TARGET) == 0 &&
	    !(in.resource = target))
		return fail_one(res, "the policy's findings entry at line %d "
		                "needs the finding's target", m->line);
	in.action = m->action;
	in.duration = m->duration;
	jg_finding_reason(m, &f, target, reason, sizeof(reason));
	in.reason = reason;
	in.finding = &f;
	e = jg_gate_create_tx(g, who, &in, now, &v, why);
	if (own_error(e))
		return fail_one(res, "%s", why[0] ? why : jg_strerror(e));
	if (e != JG_OK)
		return e;
	memcpy(res->request_id, v.req.id, sizeof(res->request_id));
	snprintf(res->state, sizeof(res->state), "%s",
	         jg_req_state_name(v.req.state));
	jg_request_view_clear(&v);
	return g->st->ops->request_key_put(g->st, key, res->request_id, now);
}

/* After the commit: the requests just raised and approved at once run
 * now when their rule says `execute: auto`, as a request made through
 * the API would. A run that fails leaves the request approved. */
static void execute_raised(struct jg_gate *g,
                           const struct jg_finding_result *out, size_t n,
                           int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		struct jg_request_view v;
		enum jg_err e;

		if (!out[i].request_id[0] || out[i].duplicate ||
		    strcmp(out[i].state, "approved") != 0 ||
		    g->st->ops->begin(g->st, 0) != JG_OK)
			continue;
		e = jg_gate_load_view(g, out[i].request_id, &v);
		g->st->ops->rollback(g->st);
		if (e != JG_OK)
			continue;
		jg_gate_execute_auto(g, &v, now);
		jg_request_view_clear(&v);
	}
}

enum jg_err jg_gate_findings(struct jg_gate *g, const struct jg_principal *who,
                             const struct jg_scan *scan,
                             const char *source_ip, int64_t now,
                             struct jg_finding_result *out,
                             char why[JG_WHY_MAX])
{
	enum jg_err e;

	memset(out, 0, scan->n * sizeof(*out));
	if (!who->service)
		return jg_gate_why(JG_EFORBIDDEN, why, "only service identities "
		                   "(scanners, CI jobs) may post findings");
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	for (size_t i = 0; e == JG_OK && i < scan->n; i++) {
		const struct jg_scan_item *it = &scan->items[i];
		if (it->id)
			snprintf(out[i].finding_id, sizeof(out[i].finding_id),
			         "%s", it->id);
		memcpy(out[i].type, it->type, sizeof(out[i].type));
		e = raise_one(g, who, it, source_ip, now, &out[i]);
	}
	if (e == JG_OK)
		e = jg_gate_commit(g);
	if (e != JG_OK) {
		memset(out, 0, scan->n * sizeof(*out));
		return jg_gate_abort(g, e);
	}
	execute_raised(g, out, scan->n, now);
	return JG_OK;
}
