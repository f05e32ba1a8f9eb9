/*
 * execute.c - the gateway runs an approved request's bound payload
 * through its resource's connector, exactly once.
 *
 *   1. one write transaction: the request is approved, the grant live,
 *      one-time and bound to the hash of what the request holds (and of
 *      what the caller expects); the grant is consumed and the execution
 *      recorded `started`, with their audit events. Commit.
 *   2. the connector runs, outside any transaction and without the
 *      gate's policy lock: a reload never waits for an action.
 *   3. a second write transaction records the outcome and its event.
 *
 * The order is the guarantee: nothing runs unless step 1 committed, and
 * step 1 can commit once per request (the grant is consumed, and the
 * store holds at most one execution per request). A crash between 1 and
 * 3 leaves the execution `started`; jg_gate_exec_recover marks it
 * `unknown` once its deadline has passed, and nothing ever runs it
 * again: a human looks at the target. This file must never run a
 * connector inside a transaction, before the start is committed, or for
 * a request whose execution exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec.h"
#include "gate/internal.h"
#include "util/timefmt.h"
#include "util/log.h"

#define EXEC_GRACE 10 /* seconds past the timeout: surely over by then */
#define AUDIT_OUTPUT_MAX 8192    /* output bytes copied into the trail */
#define FINISH_TRIES 3           /* the outcome is worth a retry */
#define RECOVER_BATCH 100

void jg_gate_set_connectors(struct jg_gate *g, const struct jg_connectors *cs,
                            int64_t (*clock)(void))
{
	g->connectors = cs;
	g->clock = clock;
}

enum jg_err jg_gate_load_exec(struct jg_gate *g, struct jg_request_view *v)
{
	enum jg_err e = g->st->ops->execution_get(g->st, v->req.id, &v->exec);

	v->has_exec = e == JG_OK;
	return e == JG_ENOTFOUND ? JG_OK : e;
}

void jg_gate_exec_redact(const struct jg_principal *who,
                         struct jg_request_view *v)
{
	if (!v->has_exec || jg_gate_sees_all(who) ||
	    strcmp(who->name, v->req.requester) == 0)
		return;
	free(v->exec.output);
	v->exec.output = NULL;
}

/* ---- step 1: start ---- */

/* What one execution carries from step 1 to step 3 (jg_gate_exec_*). */
struct jg_exec_run {
	struct jg_request_view v;
	struct jg_execution x;
	const struct jg_connector *k; /* borrowed: connectors live as long
	                               * as the gate (set once, at start) */
	json_t *params; /* owned; parsed from v.req.params, NULL when none */
	int64_t now;    /* when step 1 committed */
	int ran;        /* step 2 done: x holds the outcome */
	int timed_out;  /* the connector's timeout ended it */
};

static void run_free(struct jg_exec_run *r)
{
	if (!r)
		return;
	jg_request_view_clear(&r->v);
	jg_execution_clear(&r->x);
	json_decref(r->params);
	free(r);
}

/* The request may be executed by who, through a connector, now. */
static enum jg_err may_run(struct jg_gate *g, const struct jg_principal *who,
                           struct jg_exec_run *r, int64_t now, char why[JG_WHY_MAX])
{
	const struct jg_request *q = &r->v.req;
	enum jg_req_state st = jg_request_state_at(q, now);

	if (who && strcmp(who->name, q->requester) != 0)
		return jg_gate_why(JG_EFORBIDDEN, why, "only the requester (%s) "
		                   "may execute request %s", q->requester, q->id);
	if (!(r->k = jg_connector_find(g->connectors, q->resource, q->action)))
		return jg_gate_why(JG_EINVAL, why, "resource '%s' has no "
		                   "connector for action '%s': the gateway cannot "
		                   "execute it", q->resource, q->action);
	if (r->v.has_exec)
		return jg_gate_why(JG_EEXECUTED, why, "request %s was executed "
		                   "already (%s, %s): it runs once", q->id,
		                   r->v.exec.id,
		                   jg_exec_state_name(r->v.exec.state));
	if (st != JG_REQ_APPROVED)
		return jg_gate_why(JG_ECONFLICT, why, "request %s is %s: only an "
		                   "approved request runs", q->id,
		                   jg_req_state_name(st));
	return JG_OK;
}

/* The grant is live, one-time, and bound to what the request holds. */
static enum jg_err grant_ok(const struct jg_exec_run *r, const struct jg_grant *gr,
                            const char *expect, int64_t now,
                            char why[JG_WHY_MAX])
{
	const struct jg_request *q = &r->v.req;
	char sha[JG_SHA256_HEX];

	char later[JG_WHY_MAX];

	if (jg_gate_not_started(gr, now, later, sizeof(later)))
		return jg_gate_why(JG_ECONFLICT, why, "%s: nothing runs before "
		                   "then", later);
	if (!jg_grant_live(gr, now))
		return jg_gate_why(JG_ECONFLICT, why, "grant %s is %s: nothing "
		                   "runs", gr->id,
		                   gr->uses_left == 0 && gr->state == JG_GRANT_ACTIVE
		                           ? "used up"
		                           : jg_grant_state_name(
		                                     jg_grant_state_at(gr, now)));
	if (gr->uses_left <= 0 || !gr->payload_sha256[0])
		return jg_gate_why(JG_ECONFLICT, why, "grant %s is not a one-time "
		                   "grant for a bound payload", gr->id);
	if (jg_bound_sha256(q->payload, r->params, sha) != JG_OK ||
	    strcmp(sha, q->payload_sha256) || strcmp(sha, gr->payload_sha256))
		return jg_gate_why(JG_EMISMATCH, why, "the payload of request %s "
		                   "no longer matches what was approved (sha256 "
		                   "%.12s…): nothing runs", q->id,
		                   gr->payload_sha256);
	if (expect && strcmp(expect, gr->payload_sha256))
		return jg_gate_why(JG_EMISMATCH, why, "payload_sha256 %.64s is not "
		                   "the approved payload's (%s): nothing runs",
		                   expect, gr->payload_sha256);
	return JG_OK;
}

static json_t *started_details(const struct jg_exec_run *r, int64_t deadline)
{
	char at[JG_TIME_LEN];

	jg_time_format(deadline, at);
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "execution_id", r->x.id,
	                 "grant_id", r->x.grant_id, "connector", r->x.connector,
	                 "payload_sha256", r->v.req.payload_sha256, "deadline",
	                 at);
}

/* Consume the grant and record the start, with their events (source:
 * the executor's address, for grant.consumed; NULL when unknown). */
static enum jg_err record_start(struct jg_gate *g, struct jg_exec_run *r,
                                struct jg_grant *gr, const char *actor,
                                const char *source, int64_t now,
                                char why[JG_WHY_MAX])
{
	char reason[JG_WHY_MAX];
	enum jg_err e = jg_random_id("exe", r->x.id);

	if (e != JG_OK)
		return e;
	snprintf(reason, sizeof(reason), "executed as %s", r->x.id);
	if ((e = jg_grant_end(gr, JG_GRANT_CONSUMED, actor, reason, now,
	                      why)) != JG_OK)
		return e;
	gr->uses_left = 0;
	if ((e = g->st->ops->grant_update(g->st, gr, JG_GRANT_ACTIVE)) != JG_OK)
		return e;
	memcpy(r->x.request_id, r->v.req.id, JG_ID_LEN);
	memcpy(r->x.grant_id, gr->id, JG_ID_LEN);
	snprintf(r->x.connector, sizeof(r->x.connector), "%s",
	         jg_connector_kind(r->k));
	snprintf(r->x.started_by, sizeof(r->x.started_by), "%s", actor);
	r->x.state = JG_EXEC_STARTED;
	r->x.exit_code = -1;
	r->x.started_at = now;
	r->x.deadline_at = now + jg_connector_timeout(r->k) + EXEC_GRACE;
	if ((e = g->st->ops->execution_insert(g->st, &r->x)) == JG_EDUP)
		return jg_gate_why(JG_EEXECUTED, why, "request %s was executed "
		                   "already: it runs once", r->v.req.id);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, actor, "grant.consumed", gr->id,
		                  json_pack("{s:s,s:s,s:s?}", "request_id",
		                            r->v.req.id, "execution_id", r->x.id,
		                            "source", source));
	if (e == JG_OK)
		e = jg_gate_audit(g, now, actor, "execution.started", r->v.req.id,
		                  started_details(r, r->x.deadline_at));
	return e;
}

/* Step 1, inside its write transaction. who NULL: `execute: auto`. */
static enum jg_err start_tx(struct jg_gate *g, const struct jg_principal *who,
                            const char *id, const char *expect, int64_t now,
                            struct jg_exec_run *r, char why[JG_WHY_MAX])
{
	const char *actor = who ? who->name : JG_ACTOR_SYSTEM;
	struct jg_grant gr;
	enum jg_err e = jg_gate_load_view(g, id, &r->v);

	if (e == JG_OK && who && strcmp(who->name, r->v.req.requester) &&
	    !jg_gate_sees_all(who) && !jg_gate_reviews(g, who, &r->v.req))
		e = JG_ENOTFOUND; /* do not reveal that it exists */
	if (e == JG_ENOTFOUND)
		return jg_gate_why(e, why, "request %s not found", id);
	if (e == JG_OK)
		e = may_run(g, who, r, now, why);
	if (e != JG_OK)
		return e;
	if (r->v.req.params &&
	    !(r->params = json_loads(r->v.req.params, 0, NULL)))
		return jg_gate_why(JG_EMISMATCH, why, "the params of request %s "
		                   "are unreadable: nothing runs", id);
	e = g->st->ops->grant_by_request(g->st, id, &gr);
	if (e == JG_ENOTFOUND)
		return jg_gate_why(JG_ECONFLICT, why, "request %s has no grant",
		                   id);
	if (e == JG_OK)
		e = grant_ok(r, &gr, expect, now, why);
	if (e == JG_OK)
		e = record_start(g, r, &gr, actor,
		                 who && who->source[0] ? who->source : NULL, now,
		                 why);
	return e;
}

/* ---- step 3: the outcome ---- */

static json_t *finish_details(const struct jg_execution *x, int timed_out)
{
	size_t len = x->output ? strlen(x->output) : 0, cut = len;
	char sha[JG_SHA256_HEX] = "";
	json_t *o;

	if (x->output)
		jg_sha256_hex(x->output, len, sha);
	if (cut > AUDIT_OUTPUT_MAX) { /* at a character boundary */
		cut = AUDIT_OUTPUT_MAX;
		while (cut && ((unsigned char)x->output[cut] & 0xc0) == 0x80)
			cut--;
	}
	o = json_pack("{s:s,s:s,s:i,s:I,s:b,s:s?,s:s?,s:I,s:b}",
	              "execution_id", x->id, "connector", x->connector,
	              "exit_code", x->exit_code, "duration_ms",
	              (json_int_t)x->duration_ms, "timed_out", timed_out,
	              "error", x->error[0] ? x->error : NULL, "output_sha256",
	              x->output ? sha : NULL, "output_bytes", (json_int_t)len,
	              "output_cut", cut < len);
	if (o && x->output)
		json_object_set_new(o, "output", json_stringn(x->output, cut));
	return o;
}

static enum jg_err finish_tx(struct jg_gate *g, const struct jg_request *q,
                             const struct jg_execution *x, int timed_out)
{
	enum jg_err e = g->st->ops->begin(g->st, 1);

	if (e != JG_OK)
		return e;
	e = g->st->ops->execution_finish(g->st, x);
	if (e == JG_OK)
		e = jg_gate_audit(g, x->finished_at, x->started_by,
		                  x->state == JG_EXEC_SUCCEEDED
		                          ? "execution.succeeded"
		                          : "execution.failed",
		                  x->request_id, finish_details(x, timed_out));
	if (e == JG_OK && x->state != JG_EXEC_SUCCEEDED)
		e = jg_gate_notice_exec(g, q, x, x->finished_at);
	if (e != JG_OK || (e = g->st->ops->commit(g->st)) != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- the three steps, apart ---- */

static enum jg_err check_args(const char *id, const char *expect,
                              char why[JG_WHY_MAX])
{
	if (!id || strlen(id) >= JG_ID_LEN)
		return jg_gate_why(JG_ENOTFOUND, why, "request not found");
	if (expect && (strlen(expect) != JG_SHA256_HEX - 1 ||
	               strspn(expect, "0123456789abcdef") != JG_SHA256_HEX - 1))
		return jg_gate_why(JG_EINVAL, why, "payload_sha256 must be 64 "
		                   "lowercase hex digits");
	return JG_OK;
}

enum jg_err jg_gate_exec_start(struct jg_gate *g,
                               const struct jg_principal *who,
                               const char *id, const char *expect_sha256,
                               int64_t now, struct jg_exec_run **run,
                               char why[JG_WHY_MAX])
{
	struct jg_exec_run *r;
	enum jg_err e = check_args(id, expect_sha256, why);

	*run = NULL;
	if (e != JG_OK)
		return e;
	if (!(r = calloc(1, sizeof(*r))))
		return JG_ENOMEM;
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK) {
		run_free(r);
		return e;
	}
	/* jg_gate_commit: the grant it consumed leaves the index */
	if ((e = start_tx(g, who, id, expect_sha256, now, r, why)) != JG_OK ||
	    (e = jg_gate_commit(g)) != JG_OK) {
		run_free(r);
		return jg_gate_abort(g, e);
	}
	r->now = now;
	*run = r;
	return JG_OK;
}

/* Step 2: only the connector and the clock, nothing of the gate's but
 * the connector table, which never changes while the gate lives. */
void jg_gate_exec_run(struct jg_gate *g, struct jg_exec_run *r)
{
	const struct jg_request *q = &r->v.req;
	struct jg_exec_input in = {q->id, q->requester, q->resource, q->action,
	                           q->payload, r->params};
	struct jg_exec_result res;

	jg_connector_run(r->k, &in, &res);
	r->x.state = res.ok ? JG_EXEC_SUCCEEDED : JG_EXEC_FAILED;
	r->x.exit_code = res.exit_code;
	r->x.output = res.output; /* moved */
	res.output = NULL;
	snprintf(r->x.error, sizeof(r->x.error), "%s", res.error);
	r->x.duration_ms = res.duration_ms;
	r->x.finished_at = g->clock ? g->clock()
	                            : r->now + res.duration_ms / 1000;
	if (r->x.finished_at < r->now)
		r->x.finished_at = r->now;
	r->timed_out = res.timed_out;
	r->ran = 1;
	jg_exec_result_clear(&res);
}

enum jg_err jg_gate_exec_finish(struct jg_gate *g, struct jg_exec_run *r,
                                struct jg_request_view *out,
                                char why[JG_WHY_MAX])
{
	char id[JG_ID_LEN];
	enum jg_err e = JG_ESTORE;

	memset(out, 0, sizeof(*out));
	memcpy(id, r->v.req.id, sizeof(id));
	for (int i = 0; r->ran && i < FINISH_TRIES && e != JG_OK; i++) {
		if (i)
			pause_ms(500L * i);
		e = finish_tx(g, &r->v.req, &r->x, r->timed_out);
	}
	if (e != JG_OK)
		jg_gate_why(e, why, "%s ran, but its outcome could not be "
		            "recorded: it will show as unknown", r->x.id);
	run_free(r);
	if (e != JG_OK || (e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = jg_gate_load_view(g, id, out);
	g->st->ops->rollback(g->st);
	return e;
}

/*
 * All three steps in the caller's thread. held: the caller holds the
 * gate, and lets go of it while the connector runs, so that a policy
 * reload never waits for an action (the outcome is recorded under the
 * policy in force then).
 */
static enum jg_err execute(struct jg_gate *g, const struct jg_principal *who,
                           const char *id, const char *expect, int64_t now,
                           int held, struct jg_request_view *out,
                           char why[JG_WHY_MAX])
{
	struct jg_exec_run *r;
	enum jg_err e = jg_gate_exec_start(g, who, id, expect, now, &r, why);

	memset(out, 0, sizeof(*out));
	if (e != JG_OK)
		return e;
	/* committed: from here on it has started, whatever happens */
	if (held)
		jg_gate_release(g);
	jg_gate_exec_run(g, r);
	if (held)
		jg_gate_hold(g);
	return jg_gate_exec_finish(g, r, out, why);
}

enum jg_err jg_gate_execute(struct jg_gate *g, const struct jg_principal *who,
                            const char *id, const char *expect_sha256,
                            int64_t now, struct jg_request_view *out,
                            char why[JG_WHY_MAX])
{
	return execute(g, who, id, expect_sha256, now, 0, out, why);
}

/* ---- execute: auto ---- */

static const struct jg_rule *rule_named(const struct jg_policy *p,
                                        const char *name)
{
	for (size_t i = 0; name[0] && i < p->nrules; i++)
		if (strcmp(p->rules[i].name, name) == 0)
			return &p->rules[i];
	return NULL;
}

/*
 * Runs in the thread of the use case that approved v (an HTTP worker):
 * that request's answer carries the outcome. The gate is let go while
 * the connector runs (when this thread holds it), so a reload does not
 * wait; the worker itself waits, at most the connector's timeout.
 */
void jg_gate_execute_auto(struct jg_gate *g, struct jg_request_view *v,
                          int64_t now)
{
	const struct jg_rule *rule = rule_named(g->policy, v->req.rule);
	struct jg_request_view after;
	char why[JG_WHY_MAX];
	char id[JG_ID_LEN];

	if (!rule || !rule->execute_auto || v->req.state != JG_REQ_APPROVED ||
	    v->has_exec || v->req.extends[0] || /* an extension runs nothing */
	    v->req.start_at > now || /* scheduled: its holder runs it from then */
	    !jg_connector_find(g->connectors, v->req.resource, v->req.action))
		return;
	memcpy(id, v->req.id, sizeof(id));
	if (execute(g, NULL, id, NULL, now, jg_gate_held(), &after, why) !=
	    JG_OK) {
		/* the request stays approved; the requester may execute it */
		jg_log(JG_LOG_ERROR, "execute: auto of %s: %s", id, why);
		return;
	}
	jg_request_view_clear(v);
	*v = after;
}

/* ---- recovery ---- */

static enum jg_err mark_unknown(struct jg_gate *g, const char *req_id,
                                int64_t now)
{
	struct jg_execution x;
	struct jg_request r = {0};
	enum jg_err e = g->st->ops->execution_get(g->st, req_id, &x);

	if (e != JG_OK)
		return e;
	if ((e = g->st->ops->request_get(g->st, req_id, &r)) != JG_OK) {
		jg_execution_clear(&x);
		return e;
	}
	x.state = JG_EXEC_UNKNOWN;
	x.finished_at = now;
	snprintf(x.error, sizeof(x.error), "the gateway lost track of it (a "
	         "crash or restart between start and finish): it may or may "
	         "not have run; check the target, it will not run again");
	e = g->st->ops->execution_finish(g->st, &x);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, JG_ACTOR_SYSTEM, "execution.unknown",
		                  req_id, json_pack("{s:s,s:s,s:s}",
		                                    "execution_id", x.id,
		                                    "connector", x.connector,
		                                    "started_by", x.started_by));
	if (e == JG_OK)
		e = jg_gate_notice_exec(g, &r, &x, now);
	jg_request_clear(&r);
	jg_execution_clear(&x);
	return e;
}

enum jg_err jg_gate_exec_recover(struct jg_gate *g, int64_t now, size_t *n)
{
	char ids[RECOVER_BATCH][JG_ID_LEN];
	enum jg_err e;

	*n = 0;
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = g->st->ops->execution_unfinished(g->st, now, ids, RECOVER_BATCH, n);
	for (size_t i = 0; e == JG_OK && i < *n; i++)
		e = mark_unknown(g, ids[i], now);
	if (e != JG_OK || (e = g->st->ops->commit(g->st)) != JG_OK) {
		*n = 0;
		return jg_gate_abort(g, e);
	}
	return JG_OK;
}
