/*
 * test_schedule.c - scheduled access: a request's start time becomes its
 * grant's not_before (core/model.c, core/screen.c, gate/).
 *
 * The grant's window is [start, start + duration), whenever it was
 * approved; nothing allows the action before the start (the check says
 * when it starts), and the policy bounds how far ahead a start may lie.
 * The clock is the `now` parameter of each call. On SQLite, and on
 * PostgreSQL when JITGATE_TEST_PG is set.
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

#include "gate/gate.h"
#include "policy/load.h"
#include "sign/keys.h"
#include "store/store.h"
#include "util/b64url.h"
#include "util/timefmt.h"
#include "testdb.h"
#include "gatefx.h"

#define T0 2000000000LL /* 2033-05-18T03:33:20Z */
#define HOUR 3600LL
#define DAY (24 * HOUR)

static const char policy_yaml[] =
        "version: 1\n"
        "defaults: {max_start_ahead: 10d}\n"
        "groups:\n"
        "  dba: {members: [bob]}\n"
        "  sre: {members: [alice]}\n"
        "resources:\n"
        "  db: {actions: [sql.read]}\n"
        "  prod: {actions: [ssh.login]}\n"
        "rules:\n"
        "  - name: db-auto\n"
        "    match: {resource: db}\n"
        "    decision: auto\n"
        "    max_duration: 1h\n"
        "    max_start_ahead: 1d\n"
        "  - name: prod-review\n"
        "    match: {resource: prod}\n"
        "    steps: [{group: dba, count: 1}]\n"
        "    max_duration: 2h\n"
        "    request_ttl: 1h\n"
        "    break_glass: {group: sre, max_duration: 30m}\n"
        "    extensions: {auto: 1}\n";

struct fx {
	struct gatefx x; /* the database and keys */
	struct jg_gate *ix;  /* answers from its index, as jitgate serve */
	struct jg_gate *raw; /* answers from the store */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	gatefx_open(&f->x, 1);
	f->ix = gatefx_gate(&f->x, policy_yaml, 1);
	f->raw = gatefx_gate(&f->x, policy_yaml, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->ix);
	jg_gate_free(f->raw);
	gatefx_close(&f->x);
	free(f);
	return 0;
}

static struct jg_principal user(const char *name)
{
	return gatefx_user(name, 0);
}

/* alice asks for `action` on `resource` for `dur` from `start` at now. */
static enum jg_err ask(struct fx *f, const char *resource, const char *action,
                       int64_t dur, int64_t start, int break_glass,
                       int64_t now, struct jg_request_view *v,
                       char why[JG_WHY_MAX])
{
	struct jg_principal alice = user("alice");
	struct jg_new_request in = {.resource = resource, .action = action,
	                            .reason = "maintenance window CHG-7",
	                            .duration = dur, .start_at = start,
	                            .break_glass = break_glass};

	why[0] = '\0';
	return jg_gate_request_create(f->ix, &alice, &in, now, v, why);
}

static struct jg_grant grant_of(struct fx *f, const char *id)
{
	struct jg_principal alice = user("alice");
	struct jg_grant gr;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_grant_get(f->ix, &alice, id, &gr, why), JG_OK);
	return gr;
}

/* /v1/check of alice's `action` on `resource` at now, asked of g. */
static struct jg_answer check(struct jg_gate *g, const char *resource,
                              const char *action, int64_t now)
{
	struct jg_principal alice = user("alice");
	struct jg_answer a;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_check(g, &alice, "alice", resource, action,
	                               now, &a, why),
	                 JG_OK);
	return a;
}

/* ---- the core ----------------------------------------------------------- */

static void grant_window_is_start_to_start_plus_duration(void **state)
{
	struct jg_request r = {.duration = HOUR, .start_at = T0 + DAY};
	struct jg_grant g;

	(void)state;
	jg_grant_from_request(&g, &r, T0);
	assert_int_equal(g.not_before, T0 + DAY);
	assert_int_equal(g.expires_at, T0 + DAY + HOUR);
	assert_false(jg_grant_live(&g, T0));
	assert_false(jg_grant_live(&g, T0 + DAY - 1));
	assert_true(jg_grant_live(&g, T0 + DAY));
	assert_true(jg_grant_live(&g, T0 + DAY + HOUR - 1));
	assert_false(jg_grant_live(&g, T0 + DAY + HOUR));
	assert_true(jg_grant_open(&g, T0));
	/* approved once the window began: live now, ending as asked */
	jg_grant_from_request(&g, &r, T0 + DAY + 600);
	assert_int_equal(g.not_before, T0 + DAY + 600);
	assert_int_equal(g.expires_at, T0 + DAY + HOUR);
	/* unscheduled: from approval, as before */
	r.start_at = 0;
	jg_grant_from_request(&g, &r, T0);
	assert_int_equal(g.not_before, T0);
	assert_int_equal(g.expires_at, T0 + HOUR);
}

static void pending_deadline_stretches_to_the_start(void **state)
{
	(void)state;
	/* unscheduled: request_ttl */
	assert_int_equal(jg_request_deadline(T0, HOUR, 0, HOUR), T0 + HOUR);
	/* a start next week: approvable until it */
	assert_int_equal(jg_request_deadline(T0, HOUR, T0 + 7 * DAY, HOUR),
	                 T0 + 7 * DAY);
	/* a start in ten minutes, ttl 24h: never past the window's end */
	assert_int_equal(jg_request_deadline(T0, DAY, T0 + 600, HOUR),
	                 T0 + 600 + HOUR);
	/* ttl between start and end: the ttl */
	assert_int_equal(jg_request_deadline(T0, 900, T0 + 600, HOUR),
	                 T0 + 900);
}

/* ---- screening and the bound -------------------------------------------- */

static void start_past_the_rule_bound_is_refused(void **state)
{
	struct fx *f = *state;
	struct jg_request_view v;
	char why[JG_WHY_MAX];

	assert_int_equal(ask(f, "db", "sql.read", HOUR, T0 + DAY + 1, 0, T0,
	                     &v, why),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "max_start_ahead"));
	assert_non_null(strstr(why, "1d"));
	assert_non_null(strstr(why, "db-auto"));
	/* the defaults' bound (10d) on a rule that names none */
	assert_int_equal(ask(f, "prod", "ssh.login", HOUR, T0 + 10 * DAY + 1,
	                     0, T0, &v, why),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "10d"));
	assert_int_equal(tdb_int(f->x.path, "SELECT count(*) FROM requests"), 0);
	/* at the bound: fine */
	assert_int_equal(ask(f, "db", "sql.read", HOUR, T0 + DAY, 0, T0, &v,
	                     why),
	                 JG_OK);
	assert_int_equal(v.req.start_at, T0 + DAY);
	jg_request_view_clear(&v);
}

static void start_in_the_past_is_refused(void **state)
{
	struct fx *f = *state;
	struct jg_request_view v;
	char why[JG_WHY_MAX];

	assert_int_equal(ask(f, "db", "sql.read", HOUR, T0 - HOUR, 0, T0, &v,
	                     why),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "in the past"));
	/* within the skew: it starts on approval, like any request */
	assert_int_equal(ask(f, "db", "sql.read", HOUR, T0 - 30, 0, T0, &v,
	                     why),
	                 JG_OK);
	assert_int_equal(v.req.start_at, 0);
	assert_int_equal(grant_of(f, v.grant_id).not_before, T0);
	jg_request_view_clear(&v);
}

static void break_glass_cannot_be_scheduled(void **state)
{
	struct fx *f = *state;
	struct jg_request_view v;
	char why[JG_WHY_MAX];

	assert_int_equal(ask(f, "prod", "ssh.login", 600, T0 + HOUR, 1, T0,
	                     &v, why),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "break-glass"));
	assert_int_equal(tdb_int(f->x.path, "SELECT count(*) FROM requests"), 0);
}

/* ---- the grant and its check --------------------------------------------- */

static void check_denies_before_the_start_and_allows_from_it(void **state)
{
	struct fx *f = *state;
	struct jg_request_view v;
	struct jg_answer a;
	struct jg_grant gr;
	char why[JG_WHY_MAX], start[JG_TIME_LEN];

	assert_int_equal(ask(f, "db", "sql.read", 1800, T0 + 2 * HOUR, 0, T0,
	                     &v, why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED); /* auto */
	gr = grant_of(f, v.grant_id);
	assert_int_equal(gr.not_before, T0 + 2 * HOUR);
	assert_int_equal(gr.expires_at, T0 + 2 * HOUR + 1800);
	jg_time_format(T0 + 2 * HOUR, start);

	a = check(f->ix, "db", "sql.read", T0 + 2 * HOUR - 1);
	assert_false(a.allow);
	assert_non_null(strstr(a.reason, "starts at"));
	assert_non_null(strstr(a.reason, start));
	assert_non_null(strstr(a.reason, v.grant_id));
	/* from the store (index out of step): denied all the same */
	assert_false(check(f->raw, "db", "sql.read", T0 + 2 * HOUR - 1).allow);
	assert_true(check(f->ix, "db", "sql.read", T0 + 2 * HOUR).allow);
	assert_true(check(f->raw, "db", "sql.read", T0 + 2 * HOUR).allow);
	assert_false(check(f->ix, "db", "sql.read", T0 + 2 * HOUR + 1800).allow);
	assert_false(check(f->raw, "db", "sql.read",
	                   T0 + 2 * HOUR + 1800).allow);
	/* the trail says when it starts */
	assert_int_equal(tdb_int(f->x.path, "SELECT count(*) FROM audit WHERE "
	                                  "type IN ('request.created', "
	                                  "'grant.issued') AND details LIKE "
	                                  "'%\"start_at\"%'"),
	                 2);
	jg_request_view_clear(&v);
}

static void review_any_time_before_the_start(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	struct jg_request_view v, after;
	struct jg_grant gr;
	char why[JG_WHY_MAX];
	int64_t start = T0 + 5 * DAY;

	assert_int_equal(ask(f, "prod", "ssh.login", HOUR, start, 0, T0, &v,
	                     why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_PENDING);
	/* request_ttl is 1h, but it may be approved until its start */
	assert_int_equal(v.req.expires_at, start);
	assert_int_equal(jg_gate_review(f->ix, &bob, v.req.id, 1, NULL,
	                                T0 + 3 * DAY, &after, why),
	                 JG_OK);
	assert_int_equal(after.req.state, JG_REQ_APPROVED);
	gr = grant_of(f, after.grant_id);
	assert_int_equal(gr.not_before, start);
	assert_int_equal(gr.expires_at, start + HOUR);
	assert_false(check(f->ix, "prod", "ssh.login", start - 1).allow);
	assert_true(check(f->ix, "prod", "ssh.login", start).allow);
	jg_request_view_clear(&after);
	jg_request_view_clear(&v);
}

static void extension_before_the_start_lengthens_the_window(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice"), bob = user("bob");
	struct jg_request_view v, after;
	struct jg_extension ext = {.duration = 1800, .reason = "more time"};
	struct jg_extend_result res;
	char why[JG_WHY_MAX];
	int64_t start = T0 + DAY;

	assert_int_equal(ask(f, "prod", "ssh.login", HOUR, start, 0, T0, &v,
	                     why),
	                 JG_OK);
	assert_int_equal(jg_gate_review(f->ix, &bob, v.req.id, 1, NULL, T0 + 1,
	                                &after, why),
	                 JG_OK);
	assert_int_equal(jg_gate_grant_extend(f->ix, &alice, after.grant_id,
	                                      &ext, T0 + 2, &res, why),
	                 JG_OK);
	assert_true(res.extended); /* extensions: {auto: 1} */
	assert_int_equal(res.grant.not_before, start);
	assert_int_equal(res.grant.expires_at, start + HOUR + 1800);
	assert_false(check(f->ix, "prod", "ssh.login", start - 1).allow);
	jg_request_view_clear(&res.req);
	jg_request_view_clear(&after);
	jg_request_view_clear(&v);
}

/* The "nbf" claim of a compact JWS. */
static int64_t nbf_of(const char *token)
{
	const char *p = strchr(token, '.'), *q = p ? strchr(p + 1, '.') : NULL;
	unsigned char buf[2048];
	long n;
	json_t *c;
	int64_t nbf;

	assert_non_null(q);
	n = jg_b64url_decode(p + 1, (size_t)(q - p - 1), buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	c = json_loads((const char *)buf, 0, NULL);
	assert_non_null(c);
	nbf = json_integer_value(json_object_get(c, "nbf"));
	json_decref(c);
	return nbf;
}

static void token_carries_the_start_as_nbf(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_request_view v;
	char why[JG_WHY_MAX], *token = NULL;
	int64_t exp, start = T0 + HOUR;

	assert_int_equal(ask(f, "db", "sql.read", 1800, start, 0, T0, &v, why),
	                 JG_OK);
	/* an hour ahead: a token would be dead before its start */
	assert_int_equal(jg_gate_grant_token(f->ix, &alice, v.grant_id, NULL,
	                                     T0, &token, &exp, why),
	                 JG_ECONFLICT);
	assert_null(token);
	assert_non_null(strstr(why, "starts at"));
	/* a minute before the start: valid from the start */
	assert_int_equal(jg_gate_grant_token(f->ix, &alice, v.grant_id, NULL,
	                                     start - 60, &token, &exp, why),
	                 JG_OK);
	assert_int_equal(nbf_of(token), start);
	assert_true(exp > start);
	free(token);
	jg_request_view_clear(&v);
}

static void replay_holds_history_to_a_tighter_bound(void **state)
{
	struct fx *f = *state;
	struct jg_principal admin = user("admin");
	struct jg_request_view v;
	struct jg_replay_bound bound = {0, NULL};
	struct jg_replay rep;
	char why[JG_WHY_MAX], *tight = strdup(policy_yaml), *at;

	assert_non_null(tight);
	at = strstr(tight, "max_start_ahead: 1d");
	assert_non_null(at);
	memcpy(at, "max_start_ahead: 1h", 19);
	admin.roles = JG_ROLE_ADMIN;
	assert_int_equal(ask(f, "db", "sql.read", HOUR, T0 + 2 * HOUR, 0, T0,
	                     &v, why),
	                 JG_OK);
	jg_request_view_clear(&v);
	assert_int_equal(jg_gate_replay(f->ix, &admin, tight, strlen(tight), 0,
	                                &bound, &rep, why),
	                 JG_OK);
	assert_int_equal(rep.changed, 1);
	assert_string_equal(rep.items[0].now, "refused");
	assert_non_null(strstr(rep.items[0].reason, "max_start_ahead"));
	jg_replay_clear(&rep);
	free(tight);
}

static void idempotency_key_is_bound_to_the_start(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_new_request in = {.resource = "db", .action = "sql.read",
	                            .reason = "CHG-8", .duration = HOUR,
	                            .start_at = T0 + HOUR,
	                            .idempotency_key = "chg-8"};
	struct jg_request_view v, again;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_request_create(f->ix, &alice, &in, T0, &v,
	                                        why),
	                 JG_OK);
	/* a retry: the same request */
	assert_int_equal(jg_gate_request_create(f->ix, &alice, &in, T0 + 5,
	                                        &again, why),
	                 JG_OK);
	assert_true(again.reused);
	assert_string_equal(again.req.id, v.req.id);
	jg_request_view_clear(&again);
	/* the same key for another start is another request: refused */
	in.start_at = T0 + 2 * HOUR;
	assert_int_equal(jg_gate_request_create(f->ix, &alice, &in, T0 + 5,
	                                        &again, why),
	                 JG_ECONFLICT);
	assert_non_null(strstr(why, "chg-8"));
	jg_request_view_clear(&v);
}

/* ---- the policy key ------------------------------------------------------ */

static void policy_loads_max_start_ahead(void **state)
{
	static const char bad[] =
	        "version: 1\n"
	        "resources: {db: {actions: [sql.read]}}\n"
	        "rules:\n"
	        "  - name: r\n"
	        "    decision: auto\n"
	        "    max_start_ahead: soon\n";
	static const char silent[] =
	        "version: 1\n"
	        "resources: {db: {actions: [sql.read]}}\n"
	        "rules: [{name: r, decision: auto}]\n";
	struct jg_policy *p = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(jg_policy_parse("p.yaml", policy_yaml,
	                                 sizeof(policy_yaml) - 1, &p, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_int_equal(p->rules[0].max_start_ahead, DAY);
	assert_int_equal(p->rules[1].max_start_ahead, 10 * DAY);
	jg_policy_free(p);
	assert_int_equal(jg_policy_parse("p.yaml", silent, sizeof(silent) - 1,
	                                 &p, err, sizeof(err)),
	                 JG_OK);
	assert_int_equal(p->rules[0].max_start_ahead,
	                 JG_DEFAULT_MAX_START_AHEAD);
	jg_policy_free(p);
	assert_int_not_equal(jg_policy_parse("p.yaml", bad, sizeof(bad) - 1, &p,
	                                     err, sizeof(err)),
	                     JG_OK);
	assert_non_null(strstr(err, "max_start_ahead"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(grant_window_is_start_to_start_plus_duration),
	        cmocka_unit_test(pending_deadline_stretches_to_the_start),
	        cmocka_unit_test(policy_loads_max_start_ahead),
	        T(start_past_the_rule_bound_is_refused),
	        T(start_in_the_past_is_refused),
	        T(break_glass_cannot_be_scheduled),
	        T(check_denies_before_the_start_and_allows_from_it),
	        T(review_any_time_before_the_start),
	        T(extension_before_the_start_lengthens_the_window),
	        T(token_carries_the_start_as_nbf),
	        T(replay_holds_history_to_a_tighter_bound),
	        T(idempotency_key_is_bound_to_the_start),
	};
	int rc = cmocka_run_group_tests_name("schedule on sqlite", tests, NULL,
	                                     NULL);

	if (!tdb_pg_base())
		return rc;
	rc += cmocka_run_group_tests_name("schedule on postgres", tests,
	                                  tdb_pg_group_setup,
	                                  tdb_pg_group_teardown);
	return rc;
}
