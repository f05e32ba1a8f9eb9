/*
 * test_metrics_gate.c - what /metrics and /readyz learn from the gate
 * (src/gate/metrics.c and the counters of check.c, request.c, sync.c):
 * decisions counted once, by who made them, with their latency; checks
 * by result; the store's tally and last seq; readiness with and without
 * the index. On SQLite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gate/gate.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"
#include "gatefx.h"

#define T0 2000000LL

static const char policy_yaml[] =
        "version: 1\n"
        "groups:\n"
        "  ops: {members: [bob]}\n"
        "resources:\n"
        "  lab: {actions: [read]}\n"
        "  db: {actions: [write]}\n"
        "  vault: {actions: [open]}\n"
        "rules:\n"
        "  - name: lab-auto\n"
        "    match: {resource: lab}\n"
        "    decision: auto\n"
        "    max_duration: 10m\n"
        "  - name: db-review\n"
        "    match: {resource: db}\n"
        "    steps: [{group: ops, count: 1}]\n"
        "    max_duration: 10m\n"
        "    request_ttl: 1d\n"
        "  - name: vault-deny\n"
        "    match: {resource: vault}\n"
        "    decision: deny\n";

struct fx {
	struct gatefx x; /* the database */
	struct jg_gate *g;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	gatefx_open(&f->x, 0);
	f->g = gatefx_gate(&f->x, policy_yaml, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	gatefx_close(&f->x);
	free(f);
	return 0;
}

static struct jg_principal user(const char *name, const char *group)
{
	struct jg_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	if (group) {
		snprintf(p.groups[0], sizeof(p.groups[0]), "%s", group);
		p.ngroups = 1;
	}
	return p;
}

/* alice asks for action on resource at t; the request's id into id, its
 * grant's into gid ("" when none yet). */
static void ask(struct fx *f, const char *resource, const char *action,
                int64_t t, char id[JG_ID_LEN], char gid[JG_ID_LEN])
{
	struct jg_principal alice = user("alice", NULL);
	struct jg_new_request in = {.resource = resource, .action = action,
	                            .reason = "metrics test",
	                            .duration = 300};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	jg_gate_hold(f->g);
	assert_int_equal(jg_gate_request_create(f->g, &alice, &in, t, &v, why),
	                 JG_OK);
	jg_gate_release(f->g);
	memcpy(id, v.req.id, JG_ID_LEN);
	memcpy(gid, v.grant_id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

static void count_row(const char *kind, const char *state, const char *label,
                      int64_t n, int64_t failed, void *ctx)
{
	char *out = ctx;
	size_t len = strlen(out);

	(void)failed;
	snprintf(out + len, 512 - len, "%s/%s/%s=%lld ", kind, state, label,
	         (long long)n);
}

static void decisions_counted_by_who_decided(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob", "ops");
	struct jg_request_view v;
	struct jg_gate_metrics m;
	struct jg_principal alice = user("alice", NULL);
	struct jg_extension more = {.duration = 60, .reason = "more"};
	struct jg_extend_result x;
	char id[JG_ID_LEN], gid[JG_ID_LEN], lab[JG_ID_LEN];
	char why[JG_WHY_MAX] = "", rows[512] = "";
	int64_t seq = 0;

	assert_int_equal(jg_gate_index_load(f->g), JG_OK);
	ask(f, "lab", "read", T0, id, lab); /* approved at once */
	ask(f, "vault", "open", T0, id, gid); /* denied at once */
	ask(f, "db", "write", T0, id, gid); /* pending ... */
	jg_gate_hold(f->g);               /* ... approved 90 s later */
	assert_int_equal(jg_gate_review(f->g, &bob, id, 1, "ok", T0 + 90, &v,
	                                why),
	                 JG_OK);
	jg_request_view_clear(&v);
	/* an extension the rule approves at once: decided by policy too */
	assert_int_equal(jg_gate_grant_extend(f->g, &alice, lab, &more, T0 + 95,
	                                      &x, why),
	                 JG_OK);
	if (!x.extended)
		print_error("extend: %s\n", why);
	assert_true(x.extended);
	jg_request_view_clear(&x.req);
	jg_gate_metrics(f->g, &m);
	jg_gate_release(f->g);

	/* the policy decisions at once: in the first bucket, le 1 s */
	assert_int_equal(m.decided[JG_DECIDED_BY_POLICY].cum[0], 3);
	assert_int_equal(m.decided[JG_DECIDED_BY_POLICY].n, 11);
	assert_int_equal(m.decided[JG_DECIDED_BY_POLICY].cum[11], 3);
	assert_int_equal(m.decided[JG_DECIDED_BY_REVIEW].cum[11], 1);
	assert_int_equal(m.decided[JG_DECIDED_BY_REVIEW].cum[3], 0); /* <=60 */
	assert_int_equal(m.decided[JG_DECIDED_BY_REVIEW].cum[4], 1); /* <=300 */
	assert_true(m.decided[JG_DECIDED_BY_REVIEW].sum == 90.0);
	assert_int_equal(m.grants, 2);

	/* the store's side: one row per state and rule, and the last seq */
	jg_gate_hold(f->g);
	assert_int_equal(jg_gate_tally(f->g, count_row, rows, &seq), JG_OK);
	jg_gate_release(f->g);
	/* the lab request and its extension */
	assert_non_null(strstr(rows, "request/approved/lab-auto=2 "));
	assert_non_null(strstr(rows, "request/denied/vault-deny=1 "));
	assert_non_null(strstr(rows, "request/approved/db-review=1 "));
	assert_int_equal(seq, m.applied_seq);
	assert_true(seq > 0);
}

static void checks_counted_by_result(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice", NULL);
	struct jg_answer a;
	struct jg_gate_metrics m;
	char id[JG_ID_LEN], gid[JG_ID_LEN], why[JG_WHY_MAX];

	assert_int_equal(jg_gate_index_load(f->g), JG_OK);
	ask(f, "lab", "read", T0, id, gid);
	jg_gate_hold(f->g);
	for (int i = 0; i < 3; i++)
		assert_int_equal(jg_gate_check(f->g, &alice, "alice", "lab",
		                               "read", T0 + 1, &a, why),
		                 JG_OK);
	assert_int_equal(jg_gate_check(f->g, &alice, "alice", "db", "write",
	                               T0 + 1, &a, why),
	                 JG_OK);
	/* another principal without the checker role: an error */
	assert_int_equal(jg_gate_check(f->g, &alice, "bob", "lab", "read",
	                               T0 + 1, &a, why),
	                 JG_EFORBIDDEN);
	jg_gate_metrics(f->g, &m);
	jg_gate_release(f->g);
	assert_int_equal(m.checks[JG_CHECK_ALLOW], 3);
	assert_int_equal(m.checks[JG_CHECK_DENY], 1);
	assert_int_equal(m.checks[JG_CHECK_ERROR], 1);
}

static void ready_once_the_index_is_in_step(void **state)
{
	struct fx *f = *state;
	struct jg_ready r;
	struct jg_gate_metrics m;

	jg_gate_hold(f->g);
	assert_int_equal(jg_gate_ready(f->g, &r), 0);
	jg_gate_metrics(f->g, &m);
	jg_gate_release(f->g);
	assert_int_equal(m.sync_age_ms, -1);
	assert_true(r.store && r.audit && !r.index);
	assert_non_null(strstr(r.index_why, "not loaded"));

	assert_int_equal(jg_gate_index_load(f->g), JG_OK);
	jg_gate_hold(f->g);
	assert_int_equal(jg_gate_ready(f->g, &r), 1);
	jg_gate_metrics(f->g, &m);
	jg_gate_release(f->g);
	assert_true(r.store && r.audit && r.index);
	assert_true(m.sync_age_ms >= 0);
	assert_int_equal(m.signer, 0); /* no checkpoint key here */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		        decisions_counted_by_who_decided, setup, teardown),
		cmocka_unit_test_setup_teardown(checks_counted_by_result, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(ready_once_the_index_is_in_step,
		                                setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
