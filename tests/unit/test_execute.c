/*
 * test_execute.c - gateway execution as a use case (src/gate/execute.c,
 * src/gate/bind.c) on a real store, SQLite and, when JITGATE_TEST_PG is
 * set, PostgreSQL (testdb.h), with a real command connector
 * (/usr/bin/printf).
 *
 * What must hold: the approval binds to the hash of payload and params;
 * a request runs at most once; a grant that expired or was revoked, a
 * caller who is not the requester, a changed payload, each refuse the
 * run and change nothing; the outcome and its audit events are recorded;
 * idempotency keys return the same request; executions a crash left
 * `started` become `unknown` past their deadline, never run again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "exec/exec.h"
#include "gate/gate.h"
#include "notify/notify.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"

#define T0 2000000LL

static const char policy_yaml[] =
        "version: 1\n"
        "groups:\n"
        "  ops: {members: [bob]}\n"
        "resources:\n"
        "  box: {actions: [run, deploy, fail]}\n"
        "  plain: {actions: [read]}\n"
        "rules:\n"
        "  - name: box-run\n"
        "    match: {resource: box, action: run}\n"
        "    decision: auto\n"
        "    max_duration: 10m\n"
        "  - name: box-deploy\n"
        "    match: {resource: box, action: deploy}\n"
        "    steps: [{group: ops, count: 1}]\n"
        "    max_duration: 10m\n"
        "  - name: box-fail\n"
        "    match: {resource: box, action: fail}\n"
        "    decision: auto\n"
        "  - name: plain\n"
        "    match: {resource: plain}\n"
        "    decision: auto\n";

static const char connectors_yaml[] =
        "version: 1\n"
        "resources:\n"
        "  box:\n"
        "    type: command\n"
        "    program: /usr/bin/printf\n"
        "    args: ['[%s]\\n', '{service}']\n"
        "    actions: [run, deploy]\n";

static int64_t clock_now = T0;
static int64_t test_clock(void) { return clock_now; }

struct fx {
	char path[TDB_NAME_MAX];
	struct jg_store *st;
	struct jg_policy *pol; /* owned by the gate */
	struct jg_connectors *cs;
	struct jg_gate *g;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	if (!f)
		return -1;
	tdb_new(f->path);
	if (jg_store_open(f->path, &f->st, err, sizeof(err)) != JG_OK ||
	    jg_policy_parse("t.yaml", policy_yaml, sizeof(policy_yaml) - 1,
	                    &f->pol, err, sizeof(err)) != JG_OK ||
	    jg_connectors_parse("c.yaml", connectors_yaml,
	                        sizeof(connectors_yaml) - 1, &f->cs, err,
	                        sizeof(err)) != JG_OK ||
	    jg_gate_new(f->st, f->pol, NULL, &f->g) != JG_OK ||
	    jg_gate_index_load(f->g) != JG_OK) { /* as jitgate serve */
		print_error("setup: %s\n", err);
		return -1;
	}
	jg_gate_set_connectors(f->g, f->cs, test_clock);
	clock_now = T0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	jg_gate_free(f->g);
	jg_connectors_free(f->cs);
	jg_store_close(f->st);
	tdb_remove(f->path);
	free(f);
	return 0;
}

static struct jg_principal user(const char *name)
{
	struct jg_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	return p;
}

static int64_t count(struct fx *f, const char *sql)
{
	return tdb_int(f->path, sql);
}

/* Create a request by alice; its id into id; returns the error. */
static enum jg_err ask(struct fx *f, const char *action, const char *service,
                       const char *payload, const char *key, int64_t now,
                       char id[JG_ID_LEN], struct jg_request_view *keep)
{
	struct jg_principal alice = user("alice");
	json_t *params = service ? json_pack("{s:s}", "service", service) : NULL;
	struct jg_new_request in = {.resource = "box", .action = action,
	                            .payload = payload, .reason = "INC-1",
	                            .params = params, .idempotency_key = key};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_request_create(f->g, &alice, &in, now, &v, why);

	json_decref(params);
	if (e != JG_OK)
		return e;
	if (id)
		snprintf(id, JG_ID_LEN, "%s", v.req.id);
	if (keep)
		*keep = v;
	else
		jg_request_view_clear(&v);
	return e;
}

static enum jg_err run(struct fx *f, const char *who, const char *id,
                       const char *expect, int64_t now,
                       struct jg_request_view *out)
{
	struct jg_principal p = user(who);
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	clock_now = now + 1;
	e = jg_gate_execute(f->g, &p, id, expect, now, &v, why);
	if (e != JG_OK)
		assert_true(why[0] != '\0'); /* a refusal says why */
	if (e == JG_OK && out)
		*out = v;
	else if (e == JG_OK)
		jg_request_view_clear(&v);
	return e;
}

/* May alice `action` box with payload hash sha (NULL: none) at now,
 * says check? */
static int allowed(struct fx *f, const char *action, const char *sha,
                   int64_t now)
{
	struct jg_principal alice = user("alice");
	struct jg_check_query q = {.principal = "alice", .resource = "box",
	                           .action = action, .payload_sha256 = sha};
	struct jg_answer c;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_authorize(f->g, &alice, &q, now, &c, why),
	                 JG_OK);
	return c.allow;
}

static void audit_intact(struct fx *f)
{
	struct jg_principal admin = user("admin");
	struct jg_audit_report rep;
	char why[JG_WHY_MAX];

	admin.roles = JG_ROLE_ADMIN;
	assert_int_equal(jg_gate_audit_verify(f->g, &admin, &rep, why), JG_OK);
	assert_true(rep.ok);
}

static int64_t events(struct fx *f, const char *type)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE type = "
	                           "'%s'", type);
	return count(f, sql);
}

/* The execution.failed notice queued (webhook target), or NULL; owned. */
static char *failed_notice(struct fx *f)
{
	struct jg_delivery *ds = NULL;
	size_t n = 0;
	char *payload = NULL;

	assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
	assert_int_equal(f->st->ops->outbox_list(f->st, NULL, 100, &ds, &n),
	                 JG_OK);
	f->st->ops->rollback(f->st);
	for (size_t i = 0; i < n; i++) {
		if (!payload && strcmp(ds[i].event, "execution.failed") == 0)
			payload = strdup(ds[i].payload);
		jg_delivery_clear(&ds[i]);
	}
	free(ds);
	return payload;
}

static const struct jg_notify_config notify_cfg = {
	.webhook_url = "http://127.0.0.1:1/", .max_attempts = 3};

/* ---- binding ----------------------------------------------------------- */

static void approval_binds_payload_and_params_one_time(void **state)
{
	struct fx *f = *state;
	struct jg_request_view v;
	json_t *p = json_pack("{s:s}", "service", "api");
	char want[JG_SHA256_HEX], sql[200], id[JG_ID_LEN];

	assert_int_equal(ask(f, "run", "api", NULL, NULL, T0, id, &v), JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	assert_int_equal(jg_bound_sha256(NULL, p, want), JG_OK);
	assert_string_equal(v.req.payload_sha256, want);
	assert_string_equal(v.req.params, "{\"service\":\"api\"}");
	snprintf(sql, sizeof(sql), "SELECT uses_left FROM grants WHERE "
	                           "request_id = '%s'", id);
	assert_int_equal(count(f, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM grants WHERE "
	                           "payload_sha256 = '%s'", want);
	assert_int_equal(count(f, sql), 1);
	jg_request_view_clear(&v);
	json_decref(p);
}

static void params_must_fit_the_connector(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	json_t *extra = json_pack("{s:s,s:s}", "service", "a", "x", "b");
	json_t *bad = json_pack("{s:s}", "payload", "a");
	struct jg_new_request in = {.resource = "box", .action = "run",
	                            .reason = "INC-1"};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(ask(f, "run", NULL, NULL, NULL, T0, NULL, NULL),
	                 JG_EINVAL);
	assert_int_equal(ask(f, "run", "api", "SELECT 1", NULL, T0, NULL, NULL),
	                 JG_EINVAL);
	in.params = extra;
	assert_int_equal(jg_gate_request_create(f->g, &alice, &in, T0, &v, why),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "has no param 'x'"));
	in.params = bad;
	assert_int_equal(jg_gate_request_create(f->g, &alice, &in, T0, &v, why),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "not valid"));
	assert_int_equal(count(f, "SELECT count(*) FROM requests"), 0);
	assert_int_equal(count(f, "SELECT count(*) FROM audit"), 0);
	json_decref(extra);
	json_decref(bad);
}

/* ---- exactly once ------------------------------------------------------ */

static void execute_runs_once_and_records_everything(void **state)
{
	struct fx *f = *state;
	struct jg_request_view v;
	char id[JG_ID_LEN], sql[200], sha[JG_SHA256_HEX];

	jg_gate_set_notify(f->g, &notify_cfg);
	assert_int_equal(ask(f, "run", "a; rm -rf /", NULL, NULL, T0, id, &v),
	                 JG_OK);
	snprintf(sha, sizeof(sha), "%s", v.req.payload_sha256);
	jg_request_view_clear(&v);
	assert_false(allowed(f, "run", NULL, T0 + 5)); /* bound: name it */
	assert_true(allowed(f, "run", sha, T0 + 5));
	assert_int_equal(run(f, "alice", id, NULL, T0 + 5, &v), JG_OK);
	assert_false(allowed(f, "run", sha, T0 + 5)); /* one use, consumed */
	assert_null(failed_notice(f)); /* success is no news */
	assert_true(v.has_exec);
	assert_int_equal(v.exec.state, JG_EXEC_SUCCEEDED);
	assert_int_equal(v.exec.exit_code, 0);
	assert_string_equal(v.exec.output, "[a; rm -rf /]\n");
	assert_string_equal(v.exec.connector, "command");
	assert_string_equal(v.exec.started_by, "alice");
	assert_int_equal(v.exec.started_at, T0 + 5);
	assert_int_equal(v.exec.finished_at, T0 + 6);
	assert_string_equal(v.exec.grant_id, v.grant_id);
	jg_request_view_clear(&v);
	snprintf(sql, sizeof(sql), "SELECT uses_left FROM grants WHERE "
	                           "request_id = '%s' AND state = 'consumed'",
	         id);
	assert_int_equal(count(f, sql), 0);
	assert_int_equal(events(f, "grant.consumed"), 1);
	assert_int_equal(events(f, "execution.started"), 1);
	assert_int_equal(events(f, "execution.succeeded"), 1);
	audit_intact(f);

	/* a second execute: refused, nothing runs again */
	assert_int_equal(run(f, "alice", id, NULL, T0 + 6, NULL), JG_EEXECUTED);
	assert_int_equal(count(f, "SELECT count(*) FROM executions"), 1);
	assert_int_equal(events(f, "execution.started"), 1);
}

static void failing_program_is_a_recorded_failure(void **state)
{
	struct fx *f = *state;
	struct jg_connectors *cs = NULL;
	struct jg_request_view v;
	struct jg_principal bob = user("bob");
	char id[JG_ID_LEN], err[256], why[JG_WHY_MAX], *notice;
	static const char yaml[] = "version: 1\nresources:\n  box:\n"
	                           "    type: command\n"
	                           "    program: /bin/sh\n"
	                           "    args: [-c, 'echo oops; exit 3']\n";

	assert_int_equal(jg_connectors_parse("c.yaml", yaml, sizeof(yaml) - 1,
	                                     &cs, err, sizeof(err)), JG_OK);
	jg_gate_set_connectors(f->g, cs, test_clock);
	jg_gate_set_notify(f->g, &notify_cfg);
	/* deploy needs bob's approval, so there are approvers to tell */
	assert_int_equal(ask(f, "deploy", NULL, NULL, NULL, T0, id, NULL),
	                 JG_OK);
	assert_int_equal(jg_gate_review(f->g, &bob, id, 1, "ok", T0, &v, why),
	                 JG_OK);
	jg_request_view_clear(&v);
	assert_int_equal(run(f, "alice", id, NULL, T0 + 1, &v), JG_OK);
	assert_int_equal(v.exec.state, JG_EXEC_FAILED);
	assert_int_equal(v.exec.exit_code, 3);
	assert_string_equal(v.exec.output, "oops\n");
	assert_string_equal(v.exec.error, "exited with status 3");
	jg_request_view_clear(&v);
	assert_int_equal(events(f, "execution.failed"), 1);
	/* the requester and the approvers hear of it, without the output */
	notice = failed_notice(f);
	assert_non_null(notice);
	assert_non_null(strstr(notice, "\"users\":[\"alice\",\"bob\"]"));
	assert_non_null(strstr(notice, "\"error\":\"exited with status 3\""));
	assert_non_null(strstr(notice, "\"exit_code\":3"));
	assert_non_null(strstr(notice, "\"state\":\"failed\""));
	assert_null(strstr(notice, "oops"));
	free(notice);
	assert_int_equal(run(f, "alice", id, NULL, T0 + 2, NULL), JG_EEXECUTED);
	jg_gate_set_connectors(f->g, f->cs, test_clock);
	jg_connectors_free(cs);
	audit_intact(f);
}

static void refusals_change_nothing(void **state)
{
	struct fx *f = *state;
	static const char *const tables[] = {"requests", "grants", "audit",
	                                     "executions"};
	char id[JG_ID_LEN], pend[JG_ID_LEN], other[JG_ID_LEN], *before, *after;
	char sql[200];

	assert_int_equal(ask(f, "run", "api", NULL, NULL, T0, id, NULL), JG_OK);
	assert_int_equal(ask(f, "deploy", "api", NULL, NULL, T0, pend, NULL),
	                 JG_OK);
	before = tdb_snapshot(f->path, tables, 4);
	/* not the requester: an approver is refused, a stranger sees nothing */
	assert_int_equal(run(f, "bob", pend, NULL, T0 + 1, NULL), JG_EFORBIDDEN);
	assert_int_equal(run(f, "mallory", id, NULL, T0 + 1, NULL),
	                 JG_ENOTFOUND);
	/* still pending */
	assert_int_equal(run(f, "alice", pend, NULL, T0 + 1, NULL), JG_ECONFLICT);
	/* another hash than the approved one */
	assert_int_equal(run(f, "alice", id, "0000000000000000000000000000000000"
	                                     "000000000000000000000000000000",
	                     T0 + 1, NULL), JG_EMISMATCH);
	assert_int_equal(run(f, "alice", id, "not-a-hash", T0 + 1, NULL),
	                 JG_EINVAL);
	/* the grant expired (10m) */
	assert_int_equal(run(f, "alice", id, NULL, T0 + 600, NULL), JG_ECONFLICT);
	assert_int_equal(run(f, "alice", "req_nope", NULL, T0 + 1, NULL),
	                 JG_ENOTFOUND);
	after = tdb_snapshot(f->path, tables, 4);
	assert_string_equal(before, after);
	free(after);
	/* a plain resource has no connector */
	{
		struct jg_principal alice = user("alice");
		struct jg_new_request in = {.resource = "plain", .action = "read",
		                            .reason = "x"};
		struct jg_request_view v;
		char why[JG_WHY_MAX];
		assert_int_equal(jg_gate_request_create(f->g, &alice, &in, T0, &v,
		                                        why), JG_OK);
		snprintf(other, sizeof(other), "%s", v.req.id);
		assert_string_equal(v.req.payload_sha256, ""); /* binds nothing */
		jg_request_view_clear(&v);
		assert_int_equal(run(f, "alice", other, NULL, T0 + 1, NULL),
		                 JG_EINVAL);
	}
	/* the payload changed behind the gate's back: refused */
	snprintf(sql, sizeof(sql), "UPDATE requests SET params = "
	                           "'{\"service\":\"evil\"}' WHERE id = '%s'", id);
	tdb_exec(f->path, sql);
	assert_int_equal(run(f, "alice", id, NULL, T0 + 1, NULL), JG_EMISMATCH);
	assert_int_equal(count(f, "SELECT count(*) FROM executions"), 0);
	free(before);
}

static void revoked_grant_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_request_view v;
	struct jg_grant gr;
	char id[JG_ID_LEN], why[JG_WHY_MAX];

	assert_int_equal(ask(f, "run", "api", NULL, NULL, T0, id, &v), JG_OK);
	assert_int_equal(jg_gate_grant_end(f->g, &alice, v.grant_id,
	                                   JG_GRANT_REVOKED, "no", T0 + 1, &gr,
	                                   why), JG_OK);
	jg_request_view_clear(&v);
	assert_int_equal(run(f, "alice", id, NULL, T0 + 2, NULL), JG_ECONFLICT);
	assert_int_equal(count(f, "SELECT count(*) FROM executions"), 0);
}

static void approval_after_review_then_execute(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX];

	assert_int_equal(ask(f, "deploy", "web", NULL, NULL, T0, id, NULL),
	                 JG_OK);
	assert_int_equal(jg_gate_review(f->g, &bob, id, 1, "ok", T0 + 1, &v,
	                                why), JG_OK);
	assert_false(v.has_exec); /* not `execute: auto` */
	jg_request_view_clear(&v);
	assert_int_equal(run(f, "alice", id, NULL, T0 + 2, &v), JG_OK);
	assert_int_equal(v.exec.state, JG_EXEC_SUCCEEDED);
	jg_request_view_clear(&v);
	/* the approver sees the execution, but not its output */
	assert_int_equal(jg_gate_request_get(f->g, &bob, id, &v, why), JG_OK);
	assert_true(v.has_exec);
	assert_null(v.exec.output);
	jg_request_view_clear(&v);
}

static void execute_auto_runs_at_approval(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX];
	const struct jg_policy *p = jg_gate_policy(f->g);

	for (size_t i = 0; i < p->nrules; i++) /* as `execute: auto` would */
		((struct jg_rule *)&p->rules[i])->execute_auto = 1;
	/* approved at creation: runs at once */
	assert_int_equal(ask(f, "run", "now", NULL, NULL, T0, id, &v), JG_OK);
	assert_true(v.has_exec);
	assert_int_equal(v.exec.state, JG_EXEC_SUCCEEDED);
	assert_string_equal(v.exec.started_by, "jitgate");
	assert_string_equal(v.exec.output, "[now]\n");
	jg_request_view_clear(&v);
	/* approved by review: runs then */
	assert_int_equal(ask(f, "deploy", "later", NULL, NULL, T0, id, &v), JG_OK);
	assert_false(v.has_exec);
	jg_request_view_clear(&v);
	assert_int_equal(jg_gate_review(f->g, &bob, id, 1, "ok", T0 + 1, &v,
	                                why), JG_OK);
	assert_true(v.has_exec);
	assert_int_equal(v.exec.state, JG_EXEC_SUCCEEDED);
	jg_request_view_clear(&v);
	assert_int_equal(run(f, "alice", id, NULL, T0 + 2, NULL), JG_EEXECUTED);
	assert_int_equal(count(f, "SELECT count(*) FROM executions"), 2);
	audit_intact(f);
}

/* ---- idempotency keys -------------------------------------------------- */

static void idempotency_key_returns_the_same_request(void **state)
{
	struct fx *f = *state;
	struct jg_principal carol = user("carol");
	json_t *params = json_pack("{s:s}", "service", "api");
	struct jg_new_request in = {.resource = "box", .action = "run",
	                            .reason = "INC-1", .params = params,
	                            .idempotency_key = "ci-42"};
	struct jg_request_view v;
	char a[JG_ID_LEN], b[JG_ID_LEN], why[JG_WHY_MAX];

	assert_int_equal(ask(f, "run", "api", NULL, "ci-42", T0, a, &v), JG_OK);
	assert_false(v.reused);
	jg_request_view_clear(&v);
	assert_int_equal(ask(f, "run", "api", NULL, "ci-42", T0 + 5, b, &v),
	                 JG_OK);
	assert_true(v.reused);
	assert_string_equal(a, b);
	jg_request_view_clear(&v);
	assert_int_equal(count(f, "SELECT count(*) FROM requests"), 1);
	/* the same key for another ask is refused */
	assert_int_equal(ask(f, "run", "web", NULL, "ci-42", T0, NULL, NULL),
	                 JG_ECONFLICT);
	assert_int_equal(ask(f, "run", "api", NULL, "bad key!", T0, NULL, NULL),
	                 JG_EINVAL);
	/* another requester's key is another key */
	assert_int_equal(jg_gate_request_create(f->g, &carol, &in, T0, &v, why),
	                 JG_OK);
	assert_false(v.reused);
	assert_string_not_equal(v.req.id, a);
	jg_request_view_clear(&v);
	assert_int_equal(count(f, "SELECT count(*) FROM requests"), 2);
	json_decref(params);
}

/* ---- recovery ---------------------------------------------------------- */

static void recovery_marks_started_unknown_past_deadline(void **state)
{
	struct fx *f = *state;
	struct jg_execution x = {.id = "exe_crashed", .state = JG_EXEC_STARTED,
	                         .exit_code = -1, .started_at = T0,
	                         .deadline_at = T0 + 60};
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX], *notice;
	size_t n = 9;
	struct jg_principal alice = user("alice");

	jg_gate_set_notify(f->g, &notify_cfg);
	assert_int_equal(ask(f, "run", "api", NULL, NULL, T0, id, NULL), JG_OK);
	/* as if a server crashed after step 1 */
	snprintf(x.request_id, sizeof(x.request_id), "%s", id);
	snprintf(x.connector, sizeof(x.connector), "command");
	snprintf(x.started_by, sizeof(x.started_by), "alice");
	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	assert_int_equal(f->st->ops->execution_insert(f->st, &x), JG_OK);
	assert_int_equal(f->st->ops->commit(f->st), JG_OK);

	assert_int_equal(jg_gate_exec_recover(f->g, T0 + 59, &n), JG_OK);
	assert_int_equal(n, 0); /* it could still be running */
	assert_int_equal(jg_gate_exec_recover(f->g, T0 + 60, &n), JG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(jg_gate_exec_recover(f->g, T0 + 61, &n), JG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(events(f, "execution.unknown"), 1);
	notice = failed_notice(f); /* lost track: a human must look */
	assert_non_null(notice);
	assert_non_null(strstr(notice, "\"state\":\"unknown\""));
	assert_non_null(strstr(notice, "lost track"));
	free(notice);
	assert_int_equal(jg_gate_request_get(f->g, &alice, id, &v, why), JG_OK);
	assert_int_equal(v.exec.state, JG_EXEC_UNKNOWN);
	assert_non_null(strstr(v.exec.error, "lost track"));
	jg_request_view_clear(&v);
	/* and it never runs again */
	assert_int_equal(run(f, "alice", id, NULL, T0 + 62, NULL), JG_EEXECUTED);
	audit_intact(f);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(approval_binds_payload_and_params_one_time),
	        T(params_must_fit_the_connector),
	        T(execute_runs_once_and_records_everything),
	        T(failing_program_is_a_recorded_failure),
	        T(refusals_change_nothing),
	        T(revoked_grant_refused),
	        T(approval_after_review_then_execute),
	        T(execute_auto_runs_at_approval),
	        T(idempotency_key_returns_the_same_request),
	        T(recovery_marks_started_unknown_past_deadline),
	};
	int rc = cmocka_run_group_tests_name("execute on sqlite", tests, NULL,
	                                     NULL);

	if (!tdb_pg_base())
		return rc;
	rc += cmocka_run_group_tests_name("execute on postgres", tests,
	                                  tdb_pg_group_setup,
	                                  tdb_pg_group_teardown);
	return rc;
}
