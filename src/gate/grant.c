/*
 * grant.c - grant use cases: issue, show, list, revoke, done, and the
 * sweeper (check is check.c).
 *
 * A grant is dead the moment expires_at passes: check compares with the
 * clock on every call. The sweeper only records what the clock decided.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"
#include "util/timefmt.h"

enum jg_err jg_gate_issue_grant(struct jg_gate *g, const struct jg_request *r,
                                int64_t now, char grant_id[JG_ID_LEN])
{
	struct jg_grant gr;
	char exp[JG_TIME_LEN], start[JG_TIME_LEN];
	enum jg_err e;

	jg_grant_from_request(&gr, r, now);
	if ((e = jg_random_id("grt", gr.id)) != JG_OK)
		return e;
	if ((e = g->st->ops->grant_insert(g->st, &gr)) != JG_OK)
		return e;
	memcpy(grant_id, gr.id, JG_ID_LEN);
	jg_time_format(gr.expires_at, exp);
	jg_time_format(gr.not_before, start);
	/* scheduled access: the trail says when it starts (s*: the key is
	 * absent for a grant live at once) */
	return jg_gate_audit(g, now, JG_ACTOR_SYSTEM, "grant.issued", gr.id,
	                     json_pack("{s:s,s:s,s:s,s:s,s:s,s:s*}",
	                               "request_id", r->id, "principal",
	                               gr.principal, "resource", gr.resource,
	                               "action", gr.action, "expires_at", exp,
	                               "start_at", gr.not_before > now ? start
	                                                               : NULL));
}

/* 1 when who belongs to an approver group of the request behind gr. */
static int approves(struct jg_gate *g, const struct jg_principal *who,
                    const struct jg_grant *gr)
{
	struct jg_request r;
	int ok;

	if (g->st->ops->request_get(g->st, gr->request_id, &r) != JG_OK)
		return 0;
	ok = jg_gate_reviews(g, who, &r);
	jg_request_clear(&r);
	return ok;
}

/* Who may see grant gr: admins, auditors, its holder, its approvers. */
static int grant_access(struct jg_gate *g, const struct jg_principal *who,
                        const struct jg_grant *gr)
{
	return jg_gate_sees_all(who) || strcmp(who->name, gr->principal) == 0 ||
	       approves(g, who, gr);
}

enum jg_err jg_gate_grant_get(struct jg_gate *g,
                              const struct jg_principal *who, const char *id,
                              struct jg_grant *out, char why[JG_WHY_MAX])
{
	enum jg_err e;

	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->grant_get(g->st, id, out);
	if (e == JG_OK && !grant_access(g, who, out))
		e = JG_ENOTFOUND;
	g->st->ops->rollback(g->st);
	if (e == JG_ENOTFOUND)
		jg_gate_why(e, why, "grant %s not found", id);
	return e;
}

enum jg_err jg_gate_grant_list(struct jg_gate *g,
                               const struct jg_principal *who,
                               struct jg_filter *f, struct jg_grant **out,
                               size_t *n, int64_t *next,
                               char why[JG_WHY_MAX])
{
	const char *groups[2 * JG_GROUPS_MAX];
	enum jg_err e;

	(void)why;
	/* what grant_access lets who see: its own, and those of the
	 * requests it approves; a principal filter narrows that */
	if (!jg_gate_sees_all(who))
		jg_gate_viewer_filter(g, who, f, groups);
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->grant_list(g->st, f, out, n, next);
	g->st->ops->rollback(g->st);
	return e;
}

static enum jg_err may_end(struct jg_gate *g, const struct jg_principal *who,
                           const struct jg_grant *gr, enum jg_grant_state to,
                           char why[JG_WHY_MAX])
{
	int holder = strcmp(who->name, gr->principal) == 0;

	if (to == JG_GRANT_COMPLETED && !holder)
		return jg_gate_why(JG_EFORBIDDEN, why, "only the holder may "
		                   "mark grant %s done", gr->id);
	/* auditors see every grant but end none */
	if (to == JG_GRANT_REVOKED && !holder && !jg_gate_is_admin(who) &&
	    !approves(g, who, gr))
		return jg_gate_why(JG_EFORBIDDEN, why, "'%s' may not revoke "
		                   "grant %s", who->name, gr->id);
	if (to != JG_GRANT_COMPLETED && to != JG_GRANT_REVOKED)
		return jg_gate_why(JG_EINVAL, why, "a grant can only be "
		                   "revoked or marked done");
	return JG_OK;
}

enum jg_err jg_gate_grant_end(struct jg_gate *g,
                              const struct jg_principal *who, const char *id,
                              enum jg_grant_state to, const char *reason,
                              int64_t now, struct jg_grant *out,
                              char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (reason && strlen(reason) > JG_NOTE_MAX)
		return jg_gate_why(JG_EINVAL, why, "reason is longer than %d "
		                   "bytes", JG_NOTE_MAX);
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = g->st->ops->grant_get(g->st, id, out);
	if (e == JG_OK && !grant_access(g, who, out))
		e = JG_ENOTFOUND;
	if (e == JG_ENOTFOUND)
		return jg_gate_abort(g, jg_gate_why(e, why, "grant %s not "
		                                    "found", id));
	if (e == JG_OK)
		e = may_end(g, who, out, to, why);
	if (e == JG_OK)
		e = jg_grant_end(out, to, who->name, reason, now, why);
	if (e == JG_OK)
		e = g->st->ops->grant_update(g->st, out, JG_GRANT_ACTIVE);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name,
		                  to == JG_GRANT_REVOKED ? "grant.revoked"
		                                         : "grant.completed",
		                  id, json_pack("{s:s?}", "reason", reason));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	jg_gate_credentials_poke(g); /* its database role goes now */
	return JG_OK;
}

/* ---- sweeper ---- */

#define SWEEP_BATCH 100

static enum jg_err expire_request(struct jg_gate *g, const char *id,
                                  int64_t now)
{
	struct jg_request r;
	char why[JG_WHY_MAX];
	enum jg_err e = g->st->ops->request_get(g->st, id, &r);

	if (e != JG_OK)
		return e;
	/* decided by the clock at the deadline, like a grant's ended_at */
	e = jg_request_transition(&r, JG_REQ_EXPIRED, "expired undecided",
	                          r.expires_at, why);
	if (e == JG_OK)
		e = g->st->ops->request_update(g->st, &r, JG_REQ_PENDING, r.step);
	jg_request_clear(&r);
	if (e != JG_OK)
		return e;
	return jg_gate_audit(g, now, JG_ACTOR_SYSTEM, "request.expired", id,
	                     NULL);
}

static enum jg_err expire_grant(struct jg_gate *g, const char *id,
                                int64_t now)
{
	struct jg_grant gr;
	char why[JG_WHY_MAX], at[JG_TIME_LEN];
	enum jg_err e = g->st->ops->grant_get(g->st, id, &gr);

	if (e == JG_OK)
		e = jg_grant_end(&gr, JG_GRANT_EXPIRED, JG_ACTOR_SYSTEM, NULL,
		                 now, why);
	if (e == JG_OK)
		e = g->st->ops->grant_update(g->st, &gr, JG_GRANT_ACTIVE);
	if (e != JG_OK)
		return e;
	jg_time_format(gr.expires_at, at);
	return jg_gate_audit(g, now, JG_ACTOR_SYSTEM, "grant.expired", id,
	                     json_pack("{s:s}", "expired_at", at));
}

/* Tell holders their grant ends soon (once per expiry time). */
static enum jg_err warn_expiring(struct jg_gate *g, int64_t now)
{
	char ids[SWEEP_BATCH][JG_ID_LEN];
	struct jg_grant gr;
	size_t n = 0;
	enum jg_err e = g->st->ops->grant_expiring(g->st, now,
	                                           g->notify->expiring_within,
	                                           ids, SWEEP_BATCH, &n);

	for (size_t i = 0; e == JG_OK && i < n; i++) {
		e = g->st->ops->grant_get(g->st, ids[i], &gr);
		if (e == JG_OK)
			e = jg_notify_grant(g->st, g->notify, &gr, now);
	}
	return e;
}

enum jg_err jg_gate_sweep(struct jg_gate *g, int64_t now, size_t *changed)
{
	char reqs[SWEEP_BATCH][JG_ID_LEN], grants[SWEEP_BATCH][JG_ID_LEN];
	size_t nr = 0, ng = 0;
	enum jg_err e;

	*changed = 0;
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = g->st->ops->request_overdue(g->st, now, reqs, SWEEP_BATCH, &nr);
	if (e == JG_OK)
		e = g->st->ops->grant_overdue(g->st, now, grants, SWEEP_BATCH,
		                              &ng);
	for (size_t i = 0; e == JG_OK && i < nr; i++)
		e = expire_request(g, reqs[i], now);
	for (size_t i = 0; e == JG_OK && i < ng; i++)
		e = expire_grant(g, grants[i], now);
	if (e == JG_OK && g->notify)
		e = warn_expiring(g, now);
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	*changed = nr + ng;
	return JG_OK;
}

/* ---- audit ---- */

enum jg_err jg_gate_audit_walk(struct jg_gate *g,
                               const struct jg_principal *who,
                               const struct jg_filter *f, jg_event_fn fn,
                               void *ctx, int64_t *next,
                               char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (!jg_gate_sees_all(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "the audit trail is for "
		                   "admins and auditors");
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->audit_walk(g->st, f, fn, ctx, next);
	g->st->ops->rollback(g->st);
	return e;
}

enum jg_err jg_gate_audit_verify(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 struct jg_audit_report *rep,
                                 char why[JG_WHY_MAX])
{
	if (!jg_gate_sees_all(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "the audit trail is for "
		                   "admins and auditors");
	return jg_audit_verify(g->st, rep);
}

/* ---- outbox ---- */

enum jg_err jg_gate_outbox(struct jg_gate *g, const struct jg_principal *who,
                           const char *state, int limit,
                           struct jg_delivery **out, size_t *n,
                           char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (!jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "the outbox is for "
		                   "admins");
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->outbox_list(g->st, state, limit, out, n);
	g->st->ops->rollback(g->st);
	return e;
}
