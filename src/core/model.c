/*
 * model.c - the request and grant state machines.
 *
 * The transition tables below are the single source of truth for what may
 * follow what; every state change in jitgate goes through them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

static const char *const req_names[JG_REQ_NSTATES] = {
	"pending", "approved", "denied", "cancelled", "expired",
};

static const char *const grant_names[JG_GRANT_NSTATES] = {
	"active", "expired", "revoked", "consumed", "completed",
};

/* req_next[from][to]: 1 when legal. Only pending has exits. */
static const unsigned char req_next[JG_REQ_NSTATES][JG_REQ_NSTATES] = {
	[JG_REQ_PENDING] = {[JG_REQ_APPROVED] = 1, [JG_REQ_DENIED] = 1,
	                    [JG_REQ_CANCELLED] = 1, [JG_REQ_EXPIRED] = 1},
};

/* grant_next[from][to]: only active has exits. */
static const unsigned char grant_next[JG_GRANT_NSTATES][JG_GRANT_NSTATES] = {
	[JG_GRANT_ACTIVE] = {[JG_GRANT_EXPIRED] = 1, [JG_GRANT_REVOKED] = 1,
	                     [JG_GRANT_CONSUMED] = 1, [JG_GRANT_COMPLETED] = 1},
};

static const char *const exec_names[JG_EXEC_NSTATES] = {
	"started", "succeeded", "failed", "unknown",
};

static const char *const role_names[JG_NROLES] = {"admin", "auditor",
                                                  "checker", "metrics"};

const char *jg_role_name(int i)
{
	return i >= 0 && i < JG_NROLES ? role_names[i] : "invalid";
}

int jg_role_parse(const char *name)
{
	for (int i = 0; name && i < JG_NROLES; i++)
		if (strcmp(role_names[i], name) == 0)
			return 1 << i;
	return 0;
}

int jg_name_valid(const char *s, int at_ok)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		         c == '-' || (at_ok && c == '@');
		if (!ok || n + 1 >= JG_NAME_MAX)
			return 0;
	}
	return n > 0;
}

int jg_token_usable(const struct jg_token *t, int64_t now)
{
	return !t->revoked_at && (!t->expires_at || now < t->expires_at);
}

int jg_token_stale(const struct jg_token *t, int64_t now, int64_t stale)
{
	int64_t seen = t->last_used_at ? t->last_used_at : t->created_at;

	return !t->revoked_at && seen <= now - stale;
}

static unsigned char ascii_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

int jg_name_confusable(const char *a, const char *b)
{
	size_t i;

	if (strcmp(a, b) == 0)
		return 0;
	for (i = 0; a[i] && b[i]; i++)
		if (ascii_fold((unsigned char)a[i]) !=
		    ascii_fold((unsigned char)b[i]))
			return 0;
	return !a[i] && !b[i];
}

const char *jg_req_state_name(enum jg_req_state s)
{
	return (unsigned)s < JG_REQ_NSTATES ? req_names[s] : "invalid";
}

const char *jg_grant_state_name(enum jg_grant_state s)
{
	return (unsigned)s < JG_GRANT_NSTATES ? grant_names[s] : "invalid";
}

static int parse_name(const char *const *names, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int jg_req_state_parse(const char *name, enum jg_req_state *out)
{
	int i = parse_name(req_names, JG_REQ_NSTATES, name);
	if (i < 0)
		return -1;
	*out = (enum jg_req_state)i;
	return 0;
}

int jg_grant_state_parse(const char *name, enum jg_grant_state *out)
{
	int i = parse_name(grant_names, JG_GRANT_NSTATES, name);
	if (i < 0)
		return -1;
	*out = (enum jg_grant_state)i;
	return 0;
}

const char *jg_exec_state_name(enum jg_exec_state s)
{
	return (unsigned)s < JG_EXEC_NSTATES ? exec_names[s] : "invalid";
}

int jg_exec_state_parse(const char *name, enum jg_exec_state *out)
{
	int i = parse_name(exec_names, JG_EXEC_NSTATES, name);
	if (i < 0)
		return -1;
	*out = (enum jg_exec_state)i;
	return 0;
}

int jg_req_can(enum jg_req_state from, enum jg_req_state to)
{
	return (unsigned)from < JG_REQ_NSTATES && (unsigned)to < JG_REQ_NSTATES &&
	       req_next[from][to];
}

int jg_grant_can(enum jg_grant_state from, enum jg_grant_state to)
{
	return (unsigned)from < JG_GRANT_NSTATES &&
	       (unsigned)to < JG_GRANT_NSTATES && grant_next[from][to];
}

enum jg_err jg_request_transition(struct jg_request *r, enum jg_req_state to,
                                  const char *reason, int64_t now,
                                  char why[JG_WHY_MAX])
{
	if (!jg_req_can(r->state, to)) {
		snprintf(why, JG_WHY_MAX, "request %s is %s and cannot become %s",
		         r->id, jg_req_state_name(r->state),
		         jg_req_state_name(to));
		return JG_ECONFLICT;
	}
	r->state = to;
	r->decided_at = now;
	snprintf(r->state_reason, sizeof(r->state_reason), "%s",
	         reason ? reason : "");
	return JG_OK;
}

enum jg_err jg_review_check(const struct jg_request *r,
                            const struct jg_review *prior, size_t nprior,
                            const char *reviewer, int in_group, int64_t now,
                            char why[JG_WHY_MAX])
{
	if (r->state != JG_REQ_PENDING) {
		snprintf(why, JG_WHY_MAX, "request %s is already %s", r->id,
		         jg_req_state_name(r->state));
		return JG_ECONFLICT;
	}
	if (now >= r->expires_at) {
		snprintf(why, JG_WHY_MAX,
		         "request %s expired undecided and can no longer be "
		         "reviewed", r->id);
		return JG_ECONFLICT;
	}
	if (strcmp(reviewer, r->requester) == 0) {
		snprintf(why, JG_WHY_MAX,
		         "requester cannot review own request %s", r->id);
		return JG_ESELF;
	}
	for (size_t i = 0; i < nprior; i++) {
		if (strcmp(prior[i].reviewer, reviewer) == 0) {
			snprintf(why, JG_WHY_MAX,
			         "'%s' has already reviewed request %s",
			         reviewer, r->id);
			return JG_EDUP;
		}
	}
	if (!in_group) {
		snprintf(why, JG_WHY_MAX,
		         "'%s' is not in group '%s' that reviews step %zu of "
		         "request %s", reviewer, r->steps[r->step].group,
		         r->step + 1, r->id);
		return JG_EFORBIDDEN;
	}
	return JG_OK;
}

/* Distinct approvals on `step`: reviewers are unique per request already. */
static int approvals_on(const struct jg_review *rv, size_t n, size_t step)
{
	int count = 0;
	for (size_t i = 0; i < n; i++)
		if (rv[i].step == step && rv[i].approve)
			count++;
	return count;
}

enum jg_review_outcome jg_review_apply(struct jg_request *r,
                                       const struct jg_review *prior,
                                       size_t nprior,
                                       const struct jg_review *rv,
                                       int64_t now)
{
	char why[JG_WHY_MAX], reason[JG_WHY_MAX];

	if (!rv->approve) {
		snprintf(reason, sizeof(reason), "denied by %s", rv->reviewer);
		jg_request_transition(r, JG_REQ_DENIED, reason, now, why);
		return JG_REVIEW_DENIED;
	}
	const struct jg_step *st = &r->steps[r->step];
	if (approvals_on(prior, nprior, r->step) + 1 < st->count)
		return JG_REVIEW_RECORDED;
	if (r->step + 1 < r->nsteps) {
		r->step++;
		return JG_REVIEW_STEP_ADVANCED;
	}
	snprintf(reason, sizeof(reason), "approved: %s complete",
	         r->nsteps == 1 ? "the approval step is"
	                        : "every approval step is");
	jg_request_transition(r, JG_REQ_APPROVED, reason, now, why);
	return JG_REVIEW_APPROVED;
}

enum jg_req_state jg_request_state_at(const struct jg_request *r, int64_t now)
{
	if (r->state == JG_REQ_PENDING && now >= r->expires_at)
		return JG_REQ_EXPIRED;
	return r->state;
}

enum jg_grant_state jg_grant_state_at(const struct jg_grant *g, int64_t now)
{
	if (g->state == JG_GRANT_ACTIVE && now >= g->expires_at)
		return JG_GRANT_EXPIRED;
	return g->state;
}

int jg_grant_live(const struct jg_grant *g, int64_t now)
{
	return g->state == JG_GRANT_ACTIVE && now >= g->not_before &&
	       now < g->expires_at && g->uses_left != 0;
}

int jg_grant_open(const struct jg_grant *g, int64_t now)
{
	return jg_grant_live(g, now > g->not_before ? now : g->not_before);
}

int64_t jg_request_deadline(int64_t now, int64_t ttl, int64_t start_at,
                            int64_t duration)
{
	int64_t at = now + ttl;

	if (!start_at)
		return at;
	if (at < start_at)
		at = start_at;
	return at < start_at + duration ? at : start_at + duration;
}

enum jg_err jg_grant_end(struct jg_grant *g, enum jg_grant_state to,
                         const char *actor, const char *reason, int64_t now,
                         char why[JG_WHY_MAX])
{
	enum jg_grant_state eff = jg_grant_state_at(g, now);

	if (!jg_grant_can(g->state, to) ||
	    (to != JG_GRANT_EXPIRED && eff != JG_GRANT_ACTIVE)) {
		snprintf(why, JG_WHY_MAX, "grant %s is %s and cannot become %s",
		         g->id, jg_grant_state_name(eff),
		         jg_grant_state_name(to));
		return JG_ECONFLICT;
	}
	if (to == JG_GRANT_EXPIRED && eff != JG_GRANT_EXPIRED) {
		snprintf(why, JG_WHY_MAX, "grant %s has not reached its expiry",
		         g->id);
		return JG_ECONFLICT;
	}
	g->state = to;
	g->ended_at = to == JG_GRANT_EXPIRED ? g->expires_at : now;
	snprintf(g->ended_by, sizeof(g->ended_by), "%s", actor ? actor : "");
	snprintf(g->end_reason, sizeof(g->end_reason), "%s",
	         reason ? reason : "");
	return JG_OK;
}

void jg_grant_from_request(struct jg_grant *g, const struct jg_request *r,
                           int64_t now)
{
	memset(g, 0, sizeof(*g));
	memcpy(g->request_id, r->id, sizeof(g->request_id));
	memcpy(g->principal, r->requester, sizeof(g->principal));
	memcpy(g->resource, r->resource, sizeof(g->resource));
	memcpy(g->action, r->action, sizeof(g->action));
	memcpy(g->payload_sha256, r->payload_sha256, sizeof(g->payload_sha256));
	/* approved after its start (the window has begun): live now,
	 * still ending with the window that was asked for */
	int64_t start = r->start_at ? r->start_at : now;
	g->not_before = start > now ? start : now;
	g->expires_at = start + r->duration;
	/* A bound payload (payload and/or params) runs once; plain access
	 * lasts until expiry. */
	g->uses_left = r->payload_sha256[0] ? 1 : -1;
	g->state = JG_GRANT_ACTIVE;
	g->created_at = now;
}

void jg_request_clear(struct jg_request *r)
{
	if (!r)
		return;
	free(r->payload);
	free(r->reason);
	free(r->context);
	free(r->screening);
	free(r->params);
	memset(r, 0, sizeof(*r));
}

void jg_execution_clear(struct jg_execution *x)
{
	if (!x)
		return;
	free(x->output);
	memset(x, 0, sizeof(*x));
}

void jg_review_clear(struct jg_review *rv)
{
	if (!rv)
		return;
	free(rv->comment);
	memset(rv, 0, sizeof(*rv));
}

void jg_delivery_clear(struct jg_delivery *d)
{
	if (!d)
		return;
	free(d->payload);
	memset(d, 0, sizeof(*d));
}

void jg_event_clear(struct jg_event *ev)
{
	if (!ev)
		return;
	free(ev->details);
	memset(ev, 0, sizeof(*ev));
}
