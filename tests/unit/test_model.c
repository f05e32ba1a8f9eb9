/*
 * test_model.c - the request and grant state machines, the review rules,
 * grant liveness and the small name helpers of src/core/model.c.
 *
 * Pure: no clock, no files. Times are small made-up integers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/model.h"

#define EXPIRES 1000 /* deadline of the test request */

/* ---- helpers ----------------------------------------------------------- */

/* alice asks; step 1 needs 2 of dba, step 2 needs 1 of security. */
static void make_request(struct jg_request *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "req_test");
	snprintf(r->requester, sizeof(r->requester), "alice");
	snprintf(r->resource, sizeof(r->resource), "prod-db");
	snprintf(r->action, sizeof(r->action), "sql.write");
	snprintf(r->steps[0].group, sizeof(r->steps[0].group), "dba");
	r->steps[0].count = 2;
	snprintf(r->steps[1].group, sizeof(r->steps[1].group), "security");
	r->steps[1].count = 1;
	r->nsteps = 2;
	r->duration = 1800;
	r->state = JG_REQ_PENDING;
	r->created_at = 100;
	r->expires_at = EXPIRES;
}

static struct jg_review review(const char *who, size_t step, int approve)
{
	struct jg_review rv = {.step = step, .approve = approve, .at = 200};
	snprintf(rv.reviewer, sizeof(rv.reviewer), "%s", who);
	return rv;
}

/* Active grant, window [100, 200), unlimited uses. */
static void make_grant(struct jg_grant *g)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "grt_test");
	snprintf(g->principal, sizeof(g->principal), "alice");
	g->not_before = 100;
	g->expires_at = 200;
	g->uses_left = -1;
	g->state = JG_GRANT_ACTIVE;
	g->created_at = 100;
}

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* ---- request state machine --------------------------------------------- */

static void req_can_allows_exactly_pending_to_terminal(void **state)
{
	(void)state;
	for (int from = 0; from < JG_REQ_NSTATES; from++)
		for (int to = 0; to < JG_REQ_NSTATES; to++) {
			int want = from == JG_REQ_PENDING && to != JG_REQ_PENDING;
			if (jg_req_can(from, to) != want)
				print_error("req %s -> %s\n",
				            jg_req_state_name(from),
				            jg_req_state_name(to));
			assert_int_equal(jg_req_can(from, to), want);
		}
}

static void req_can_refuses_out_of_range_states(void **state)
{
	(void)state;
	assert_false(jg_req_can(JG_REQ_PENDING, JG_REQ_NSTATES));
	assert_false(jg_req_can(JG_REQ_NSTATES, JG_REQ_APPROVED));
	assert_false(jg_req_can((enum jg_req_state)-1, JG_REQ_APPROVED));
}

static void request_transition_legal_moves_record_time_and_reason(void **state)
{
	(void)state;
	for (int to = 0; to < JG_REQ_NSTATES; to++) {
		struct jg_request r;
		char why[JG_WHY_MAX] = "";
		if (to == JG_REQ_PENDING)
			continue;
		make_request(&r);
		assert_int_equal(jg_request_transition(&r, to, "because", 555,
		                                       why),
		                 JG_OK);
		assert_int_equal(r.state, to);
		assert_int_equal(r.decided_at, 555);
		assert_string_equal(r.state_reason, "because");
	}
}

static void request_transition_null_reason_is_empty(void **state)
{
	struct jg_request r;
	char why[JG_WHY_MAX];
	(void)state;
	make_request(&r);
	snprintf(r.state_reason, sizeof(r.state_reason), "old");
	assert_int_equal(jg_request_transition(&r, JG_REQ_CANCELLED, NULL, 7,
	                                       why),
	                 JG_OK);
	assert_string_equal(r.state_reason, "");
}

static void request_transition_illegal_moves_conflict_and_change_nothing(
        void **state)
{
	(void)state;
	for (int from = 0; from < JG_REQ_NSTATES; from++)
		for (int to = 0; to < JG_REQ_NSTATES; to++) {
			struct jg_request r;
			char why[JG_WHY_MAX] = "";
			if (jg_req_can(from, to))
				continue;
			make_request(&r);
			r.state = from;
			r.decided_at = 42;
			snprintf(r.state_reason, sizeof(r.state_reason), "kept");
			assert_int_equal(jg_request_transition(&r, to, "x", 999,
			                                       why),
			                 JG_ECONFLICT);
			assert_int_equal(r.state, from);
			assert_int_equal(r.decided_at, 42);
			assert_string_equal(r.state_reason, "kept");
			assert_true(why[0] != '\0');
			assert_true(contains(why, jg_req_state_name(from)));
			assert_true(contains(why, jg_req_state_name(to)));
			assert_true(contains(why, "req_test"));
		}
}

/* ---- grant state machine ----------------------------------------------- */

static void grant_can_allows_exactly_active_to_ended(void **state)
{
	(void)state;
	for (int from = 0; from < JG_GRANT_NSTATES; from++)
		for (int to = 0; to < JG_GRANT_NSTATES; to++) {
			int want = from == JG_GRANT_ACTIVE &&
			           to != JG_GRANT_ACTIVE;
			if (jg_grant_can(from, to) != want)
				print_error("grant %s -> %s\n",
				            jg_grant_state_name(from),
				            jg_grant_state_name(to));
			assert_int_equal(jg_grant_can(from, to), want);
		}
	assert_false(jg_grant_can(JG_GRANT_ACTIVE, JG_GRANT_NSTATES));
	assert_false(jg_grant_can(JG_GRANT_NSTATES, JG_GRANT_REVOKED));
}

static void grant_end_legal_moves(void **state)
{
	(void)state;
	for (int to = 0; to < JG_GRANT_NSTATES; to++) {
		struct jg_grant g;
		char why[JG_WHY_MAX] = "";
		int64_t now;
		if (to == JG_GRANT_ACTIVE)
			continue;
		make_grant(&g);
		/* expiry only once the clock says so; the rest only before */
		now = to == JG_GRANT_EXPIRED ? g.expires_at + 5
		                             : g.expires_at - 1;
		assert_int_equal(jg_grant_end(&g, to, "bob", "done", now, why),
		                 JG_OK);
		assert_int_equal(g.state, to);
		assert_string_equal(g.ended_by, "bob");
		assert_string_equal(g.end_reason, "done");
		/* an expiry is dated at expires_at, not when it was noticed */
		assert_int_equal(g.ended_at,
		                 to == JG_GRANT_EXPIRED ? g.expires_at : now);
	}
}

static void grant_end_illegal_moves_conflict_and_change_nothing(void **state)
{
	(void)state;
	for (int from = 0; from < JG_GRANT_NSTATES; from++)
		for (int to = 0; to < JG_GRANT_NSTATES; to++) {
			struct jg_grant g;
			char why[JG_WHY_MAX] = "";
			if (jg_grant_can(from, to))
				continue;
			make_grant(&g);
			g.state = from;
			/* before expiry, so the clock cannot be the reason */
			assert_int_equal(jg_grant_end(&g, to, "bob", "r", 150,
			                              why),
			                 JG_ECONFLICT);
			assert_int_equal(g.state, from);
			assert_int_equal(g.ended_at, 0);
			assert_string_equal(g.ended_by, "");
			assert_string_equal(g.end_reason, "");
			assert_true(why[0] != '\0');
			assert_true(contains(why, jg_grant_state_name(from)));
			assert_true(contains(why, jg_grant_state_name(to)));
			assert_true(contains(why, "grt_test"));
		}
}

static void grant_end_revoke_after_clock_expiry_refused(void **state)
{
	(void)state;
	static const enum jg_grant_state tos[] = {
	        JG_GRANT_REVOKED, JG_GRANT_CONSUMED, JG_GRANT_COMPLETED};
	for (size_t i = 0; i < sizeof(tos) / sizeof(tos[0]); i++) {
		struct jg_grant g;
		char why[JG_WHY_MAX] = "";
		make_grant(&g);
		assert_int_equal(jg_grant_end(&g, tos[i], "bob", NULL,
		                              g.expires_at, why),
		                 JG_ECONFLICT);
		assert_int_equal(g.state, JG_GRANT_ACTIVE);
		assert_true(contains(why, "expired"));
		assert_true(contains(why, jg_grant_state_name(tos[i])));
	}
}

static void grant_end_expire_before_expiry_refused(void **state)
{
	struct jg_grant g;
	char why[JG_WHY_MAX] = "";
	(void)state;
	make_grant(&g);
	assert_int_equal(jg_grant_end(&g, JG_GRANT_EXPIRED, "jitgate", NULL,
	                              g.expires_at - 1, why),
	                 JG_ECONFLICT);
	assert_int_equal(g.state, JG_GRANT_ACTIVE);
	assert_int_equal(g.ended_at, 0);
	assert_true(why[0] != '\0');
	/* and exactly at expires_at it is allowed */
	assert_int_equal(jg_grant_end(&g, JG_GRANT_EXPIRED, "jitgate", NULL,
	                              g.expires_at, why),
	                 JG_OK);
	assert_int_equal(g.state, JG_GRANT_EXPIRED);
}

/* ---- review rules ------------------------------------------------------ */

static void review_by_requester_refused_even_in_group(void **state)
{
	struct jg_request r;
	char why[JG_WHY_MAX] = "";
	(void)state;
	make_request(&r);
	assert_int_equal(jg_review_check(&r, NULL, 0, "alice", 1, 500, why),
	                 JG_ESELF);
	assert_true(contains(why, "req_test"));
}

static void review_by_non_member_forbidden(void **state)
{
	struct jg_request r;
	char why[JG_WHY_MAX] = "";
	(void)state;
	make_request(&r);
	assert_int_equal(jg_review_check(&r, NULL, 0, "mallory", 0, 500, why),
	                 JG_EFORBIDDEN);
	assert_true(contains(why, "mallory"));
	assert_true(contains(why, "dba"));
	/* the same user in the group may */
	assert_int_equal(jg_review_check(&r, NULL, 0, "mallory", 1, 500, why),
	                 JG_OK);
}

static void second_review_by_same_user_dup(void **state)
{
	struct jg_request r;
	struct jg_review prior[1];
	char why[JG_WHY_MAX] = "";
	(void)state;
	make_request(&r);
	prior[0] = review("bob", 0, 1);
	assert_int_equal(jg_review_check(&r, prior, 1, "bob", 1, 500, why),
	                 JG_EDUP);
	assert_true(contains(why, "bob"));
	assert_int_equal(jg_review_check(&r, prior, 1, "carol", 1, 500, why),
	                 JG_OK);
}

static void review_after_decision_conflict(void **state)
{
	(void)state;
	for (int s = 0; s < JG_REQ_NSTATES; s++) {
		struct jg_request r;
		char why[JG_WHY_MAX] = "";
		if (s == JG_REQ_PENDING)
			continue;
		make_request(&r);
		r.state = s;
		assert_int_equal(jg_review_check(&r, NULL, 0, "bob", 1, 500,
		                                 why),
		                 JG_ECONFLICT);
		assert_true(contains(why, jg_req_state_name(s)));
	}
}

static void review_at_deadline_refused_one_second_before_allowed(void **state)
{
	struct jg_request r;
	char why[JG_WHY_MAX] = "";
	(void)state;
	make_request(&r);
	assert_int_equal(jg_review_check(&r, NULL, 0, "bob", 1, EXPIRES, why),
	                 JG_ECONFLICT);
	assert_true(contains(why, "expired"));
	assert_int_equal(jg_review_check(&r, NULL, 0, "bob", 1, EXPIRES + 1,
	                                 why),
	                 JG_ECONFLICT);
	assert_int_equal(jg_review_check(&r, NULL, 0, "bob", 1, EXPIRES - 1,
	                                 why),
	                 JG_OK);
}

static void two_of_dba_then_security_approves(void **state)
{
	struct jg_request r;
	struct jg_review rv[3];
	(void)state;
	make_request(&r);

	rv[0] = review("bob", 0, 1);
	assert_int_equal(jg_review_apply(&r, rv, 0, &rv[0], 300),
	                 JG_REVIEW_RECORDED);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.state, JG_REQ_PENDING);

	rv[1] = review("carol", 0, 1);
	assert_int_equal(jg_review_apply(&r, rv, 1, &rv[1], 310),
	                 JG_REVIEW_STEP_ADVANCED);
	assert_int_equal(r.step, 1);
	assert_int_equal(r.state, JG_REQ_PENDING);
	assert_int_equal(r.decided_at, 0);

	rv[2] = review("dave", 1, 1);
	assert_int_equal(jg_review_apply(&r, rv, 2, &rv[2], 320),
	                 JG_REVIEW_APPROVED);
	assert_int_equal(r.state, JG_REQ_APPROVED);
	assert_int_equal(r.decided_at, 320);
	assert_true(r.state_reason[0] != '\0');
}

static void approvals_of_earlier_step_do_not_count_on_next(void **state)
{
	struct jg_request r;
	struct jg_review rv[3];
	(void)state;
	make_request(&r);
	r.steps[0].count = 1;
	r.steps[1].count = 2;

	rv[0] = review("bob", 0, 1);
	assert_int_equal(jg_review_apply(&r, rv, 0, &rv[0], 300),
	                 JG_REVIEW_STEP_ADVANCED);
	rv[1] = review("dave", 1, 1);
	assert_int_equal(jg_review_apply(&r, rv, 1, &rv[1], 310),
	                 JG_REVIEW_RECORDED);
	assert_int_equal(r.state, JG_REQ_PENDING);
	rv[2] = review("erin", 1, 1);
	assert_int_equal(jg_review_apply(&r, rv, 2, &rv[2], 320),
	                 JG_REVIEW_APPROVED);
}

static void single_step_single_approval_approves(void **state)
{
	struct jg_request r;
	struct jg_review rv;
	(void)state;
	make_request(&r);
	r.steps[0].count = 1;
	r.nsteps = 1;
	rv = review("bob", 0, 1);
	assert_int_equal(jg_review_apply(&r, NULL, 0, &rv, 300),
	                 JG_REVIEW_APPROVED);
	assert_int_equal(r.state, JG_REQ_APPROVED);
}

static void deny_on_first_step_denies(void **state)
{
	struct jg_request r;
	struct jg_review rv[2];
	(void)state;
	make_request(&r);
	rv[0] = review("bob", 0, 1);
	jg_review_apply(&r, rv, 0, &rv[0], 300);
	rv[1] = review("carol", 0, 0);
	assert_int_equal(jg_review_apply(&r, rv, 1, &rv[1], 310),
	                 JG_REVIEW_DENIED);
	assert_int_equal(r.state, JG_REQ_DENIED);
	assert_int_equal(r.decided_at, 310);
	assert_true(contains(r.state_reason, "carol"));
}

static void deny_on_last_step_denies(void **state)
{
	struct jg_request r;
	struct jg_review rv[3];
	(void)state;
	make_request(&r);
	rv[0] = review("bob", 0, 1);
	rv[1] = review("carol", 0, 1);
	rv[2] = review("dave", 1, 0);
	jg_review_apply(&r, rv, 0, &rv[0], 300);
	assert_int_equal(jg_review_apply(&r, rv, 1, &rv[1], 310),
	                 JG_REVIEW_STEP_ADVANCED);
	assert_int_equal(jg_review_apply(&r, rv, 2, &rv[2], 320),
	                 JG_REVIEW_DENIED);
	assert_int_equal(r.state, JG_REQ_DENIED);
	assert_true(contains(r.state_reason, "dave"));
}

/* ---- grant liveness ---------------------------------------------------- */

static void grant_live_window_edges(void **state)
{
	struct jg_grant g;
	(void)state;
	make_grant(&g);
	assert_false(jg_grant_live(&g, g.not_before - 1));
	assert_true(jg_grant_live(&g, g.not_before));
	assert_true(jg_grant_live(&g, g.expires_at - 1));
	assert_false(jg_grant_live(&g, g.expires_at));
	assert_false(jg_grant_live(&g, g.expires_at + 1000));
}

static void grant_live_needs_uses_and_active_state(void **state)
{
	struct jg_grant g;
	(void)state;
	make_grant(&g);
	g.uses_left = 1;
	assert_true(jg_grant_live(&g, 150));
	g.uses_left = 0;
	assert_false(jg_grant_live(&g, 150));
	g.uses_left = -1;
	for (int s = 0; s < JG_GRANT_NSTATES; s++) {
		g.state = s;
		assert_int_equal(jg_grant_live(&g, 150), s == JG_GRANT_ACTIVE);
	}
}

static void grant_state_at_follows_clock_only_while_active(void **state)
{
	struct jg_grant g;
	(void)state;
	make_grant(&g);
	assert_int_equal(jg_grant_state_at(&g, g.expires_at - 1),
	                 JG_GRANT_ACTIVE);
	assert_int_equal(jg_grant_state_at(&g, g.expires_at), JG_GRANT_EXPIRED);
	g.state = JG_GRANT_REVOKED;
	assert_int_equal(jg_grant_state_at(&g, g.expires_at + 10),
	                 JG_GRANT_REVOKED);
	g.state = JG_GRANT_CONSUMED;
	assert_int_equal(jg_grant_state_at(&g, 0), JG_GRANT_CONSUMED);
}

static void request_state_at_reads_overdue_pending_as_expired(void **state)
{
	struct jg_request r;
	(void)state;
	make_request(&r);
	assert_int_equal(jg_request_state_at(&r, EXPIRES - 1), JG_REQ_PENDING);
	assert_int_equal(jg_request_state_at(&r, EXPIRES), JG_REQ_EXPIRED);
	assert_int_equal(r.state, JG_REQ_PENDING); /* only read, not changed */
	for (int s = 1; s < JG_REQ_NSTATES; s++) {
		r.state = s;
		assert_int_equal(jg_request_state_at(&r, EXPIRES + 100), s);
	}
}

static void grant_from_request_with_payload_runs_once(void **state)
{
	struct jg_request r;
	struct jg_grant g;
	char payload[] = "UPDATE t SET x = 1";
	(void)state;
	make_request(&r);
	r.payload = payload; /* borrowed; not cleared */
	snprintf(r.payload_sha256, sizeof(r.payload_sha256), "%064d", 7);
	memset(&g, 0x5a, sizeof(g));
	jg_grant_from_request(&g, &r, 5000);
	assert_int_equal(g.uses_left, 1);
	assert_int_equal(g.not_before, 5000);
	assert_int_equal(g.created_at, 5000);
	assert_int_equal(g.expires_at, 5000 + r.duration);
	assert_int_equal(g.state, JG_GRANT_ACTIVE);
	assert_string_equal(g.request_id, "req_test");
	assert_string_equal(g.principal, "alice");
	assert_string_equal(g.resource, "prod-db");
	assert_string_equal(g.action, "sql.write");
	assert_string_equal(g.payload_sha256, r.payload_sha256);
	assert_string_equal(g.id, "");
	assert_string_equal(g.ended_by, "");
	assert_int_equal(g.ended_at, 0);
	assert_true(jg_grant_live(&g, 5000));
}

static void grant_from_request_without_payload_unlimited(void **state)
{
	struct jg_request r;
	struct jg_grant g;
	(void)state;
	make_request(&r);
	r.duration = 60;
	jg_grant_from_request(&g, &r, 10);
	assert_int_equal(g.uses_left, -1);
	assert_int_equal(g.expires_at, 70);
	assert_string_equal(g.payload_sha256, "");
}

/* ---- names ------------------------------------------------------------- */

static void state_names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < JG_REQ_NSTATES; s++) {
		enum jg_req_state out = JG_REQ_NSTATES;
		assert_int_equal(jg_req_state_parse(jg_req_state_name(s), &out),
		                 0);
		assert_int_equal(out, s);
	}
	for (int s = 0; s < JG_GRANT_NSTATES; s++) {
		enum jg_grant_state out = JG_GRANT_NSTATES;
		assert_int_equal(
		        jg_grant_state_parse(jg_grant_state_name(s), &out), 0);
		assert_int_equal(out, s);
	}
	assert_string_equal(jg_req_state_name(JG_REQ_PENDING), "pending");
	assert_string_equal(jg_req_state_name(JG_REQ_EXPIRED), "expired");
	assert_string_equal(jg_grant_state_name(JG_GRANT_ACTIVE), "active");
	assert_string_equal(jg_grant_state_name(JG_GRANT_COMPLETED),
	                    "completed");
}

static void state_parse_refuses_unknown_and_leaves_out(void **state)
{
	enum jg_req_state r = JG_REQ_DENIED;
	enum jg_grant_state g = JG_GRANT_REVOKED;
	(void)state;
	assert_int_equal(jg_req_state_parse("Pending", &r), -1);
	assert_int_equal(jg_req_state_parse("", &r), -1);
	assert_int_equal(jg_req_state_parse(NULL, &r), -1);
	assert_int_equal(jg_req_state_parse("active", &r), -1);
	assert_int_equal(r, JG_REQ_DENIED);
	assert_int_equal(jg_grant_state_parse("pending", &g), -1);
	assert_int_equal(jg_grant_state_parse("active ", &g), -1);
	assert_int_equal(jg_grant_state_parse(NULL, &g), -1);
	assert_int_equal(g, JG_GRANT_REVOKED);
	assert_string_equal(jg_req_state_name(JG_REQ_NSTATES), "invalid");
	assert_string_equal(jg_grant_state_name(JG_GRANT_NSTATES), "invalid");
}

static void name_valid_length_edges(void **state)
{
	char s[JG_NAME_MAX + 2];
	(void)state;
	memset(s, 'a', sizeof(s));
	s[JG_NAME_MAX - 1] = '\0'; /* 63 bytes */
	assert_true(jg_name_valid(s, 0));
	s[JG_NAME_MAX - 1] = 'a';
	s[JG_NAME_MAX] = '\0'; /* 64 bytes */
	assert_false(jg_name_valid(s, 0));
	assert_false(jg_name_valid(s, 1));
	assert_false(jg_name_valid("", 0));
	assert_false(jg_name_valid("", 1));
	assert_false(jg_name_valid(NULL, 1));
	assert_true(jg_name_valid("a", 0));
}

static void name_valid_characters(void **state)
{
	(void)state;
	assert_true(jg_name_valid("Prod-DB_2.x", 0));
	assert_true(jg_name_valid("bob@example.com", 1));
	assert_false(jg_name_valid("bob@example.com", 0));
	assert_false(jg_name_valid("@", 0));
	assert_true(jg_name_valid("@", 1));
	assert_false(jg_name_valid("a b", 1));
	assert_false(jg_name_valid("a/b", 1));
	assert_false(jg_name_valid("a*", 1));
	assert_false(jg_name_valid("caf\xc3\xa9", 1));
	assert_false(jg_name_valid("a\n", 1));
}

/* "Bob" beside "bob": one person, two approvers. */
static void name_confusable_by_case(void **state)
{
	(void)state;
	assert_true(jg_name_confusable("Bob", "bob"));
	assert_true(jg_name_confusable("bob", "BOB"));
	assert_true(jg_name_confusable("Bob@Example.COM", "bob@example.com"));
	assert_false(jg_name_confusable("bob", "bob")); /* the same one */
	assert_false(jg_name_confusable("bob", "bobby"));
	assert_false(jg_name_confusable("bob", "bo"));
	assert_false(jg_name_confusable("bob", "bab"));
	/* only letters fold: '@' (0x40) and '`' (0x60) stay apart */
	assert_false(jg_name_confusable("a@b", "a`b"));
	assert_false(jg_name_confusable("a-b", "a_b"));
}

/* Expired is refused like revoked; stale counts from the last use. */
static void token_usable_and_stale(void **state)
{
	struct jg_token t = {.created_at = 100};

	(void)state;
	assert_true(jg_token_usable(&t, 1000000));
	t.expires_at = 200;
	assert_true(jg_token_usable(&t, 199));
	assert_false(jg_token_usable(&t, 200));
	t.expires_at = 0;
	t.revoked_at = 150;
	assert_false(jg_token_usable(&t, 160));

	t.revoked_at = 0;
	/* never used: stale once made that long ago */
	assert_false(jg_token_stale(&t, 129, 30));
	assert_true(jg_token_stale(&t, 130, 30));
	t.last_used_at = 500;
	assert_false(jg_token_stale(&t, 529, 30));
	assert_true(jg_token_stale(&t, 530, 30));
	t.revoked_at = 510; /* revoked: dealt with, never stale */
	assert_false(jg_token_stale(&t, 10000, 30));
}

static void role_names_and_bits(void **state)
{
	(void)state;
	assert_string_equal(jg_role_name(0), "admin");
	assert_string_equal(jg_role_name(1), "auditor");
	assert_string_equal(jg_role_name(2), "checker");
	assert_string_equal(jg_role_name(3), "metrics");
	assert_string_equal(jg_role_name(-1), "invalid");
	assert_string_equal(jg_role_name(JG_NROLES), "invalid");
	assert_int_equal(jg_role_parse("admin"), JG_ROLE_ADMIN);
	assert_int_equal(jg_role_parse("auditor"), JG_ROLE_AUDITOR);
	assert_int_equal(jg_role_parse("checker"), JG_ROLE_CHECKER);
	assert_int_equal(jg_role_parse("metrics"), JG_ROLE_METRICS);
	assert_int_equal(jg_role_parse("Admin"), 0);
	assert_int_equal(jg_role_parse(""), 0);
	assert_int_equal(jg_role_parse(NULL), 0);
	for (int i = 0; i < JG_NROLES; i++)
		assert_int_equal(jg_role_parse(jg_role_name(i)), 1 << i);
}

static void clear_functions_free_and_zero(void **state)
{
	struct jg_request r;
	struct jg_review rv = {0};
	struct jg_event ev = {0};
	(void)state;
	make_request(&r);
	r.payload = strdup("p");
	r.reason = strdup("because");
	rv.comment = strdup("ok");
	ev.details = strdup("{}");
	ev.seq = 3;
	jg_request_clear(&r);
	jg_review_clear(&rv);
	jg_event_clear(&ev);
	assert_null(r.payload);
	assert_null(r.reason);
	assert_string_equal(r.id, "");
	assert_null(rv.comment);
	assert_null(ev.details);
	assert_int_equal(ev.seq, 0);
	jg_request_clear(NULL);
	jg_review_clear(NULL);
	jg_event_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(req_can_allows_exactly_pending_to_terminal),
	        cmocka_unit_test(req_can_refuses_out_of_range_states),
	        cmocka_unit_test(
	                request_transition_legal_moves_record_time_and_reason),
	        cmocka_unit_test(request_transition_null_reason_is_empty),
	        cmocka_unit_test(
	                request_transition_illegal_moves_conflict_and_change_nothing),
	        cmocka_unit_test(grant_can_allows_exactly_active_to_ended),
	        cmocka_unit_test(grant_end_legal_moves),
	        cmocka_unit_test(
	                grant_end_illegal_moves_conflict_and_change_nothing),
	        cmocka_unit_test(grant_end_revoke_after_clock_expiry_refused),
	        cmocka_unit_test(grant_end_expire_before_expiry_refused),
	        cmocka_unit_test(review_by_requester_refused_even_in_group),
	        cmocka_unit_test(review_by_non_member_forbidden),
	        cmocka_unit_test(second_review_by_same_user_dup),
	        cmocka_unit_test(review_after_decision_conflict),
	        cmocka_unit_test(
	                review_at_deadline_refused_one_second_before_allowed),
	        cmocka_unit_test(two_of_dba_then_security_approves),
	        cmocka_unit_test(approvals_of_earlier_step_do_not_count_on_next),
	        cmocka_unit_test(single_step_single_approval_approves),
	        cmocka_unit_test(deny_on_first_step_denies),
	        cmocka_unit_test(deny_on_last_step_denies),
	        cmocka_unit_test(grant_live_window_edges),
	        cmocka_unit_test(grant_live_needs_uses_and_active_state),
	        cmocka_unit_test(grant_state_at_follows_clock_only_while_active),
	        cmocka_unit_test(
	                request_state_at_reads_overdue_pending_as_expired),
	        cmocka_unit_test(grant_from_request_with_payload_runs_once),
	        cmocka_unit_test(grant_from_request_without_payload_unlimited),
	        cmocka_unit_test(state_names_round_trip),
	        cmocka_unit_test(state_parse_refuses_unknown_and_leaves_out),
	        cmocka_unit_test(name_valid_length_edges),
	        cmocka_unit_test(name_valid_characters),
	        cmocka_unit_test(name_confusable_by_case),
	        cmocka_unit_test(token_usable_and_stale),
	        cmocka_unit_test(role_names_and_bits),
	        cmocka_unit_test(clear_functions_free_and_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
