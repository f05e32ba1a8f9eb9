/*
 * test_check.c - /v1/check is as narrow as the grant (src/gate/check.c).
 *
 * A grant bound to one payload allows only a check that names that
 * payload's SHA-256; a consuming check takes one use, once, even when
 * another server's index still lists the grant. Each question is asked of
 * a gate answering from its index and of one answering from the store,
 * and with a signed grant token; on SQLite, and on PostgreSQL when
 * JITGATE_TEST_PG is set.
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

#include "audit/audit.h"
#include "gate/gate.h"
#include "policy/load.h"
#include "sign/keys.h"
#include "store/store.h"
#include "util/crypto.h"
#include "testdb.h"
#include "gatefx.h"

#define T0 2000000LL

static const char policy_yaml[] =
        "version: 1\n"
        "resources:\n"
        "  db: {actions: [sql.write, sql.read]}\n"
        "rules:\n"
        "  - name: db-auto\n"
        "    match: {resource: db}\n"
        "    decision: auto\n"
        "    max_duration: 10m\n";

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

#define user gatefx_user

/* alice's auto-approved grant for action on db (with payload, bound;
 * without, plain access); its id and bound hash into gid and sha. */
static void granted(struct fx *f, const char *action, const char *payload,
                    char gid[JG_ID_LEN], char sha[JG_SHA256_HEX])
{
	struct jg_principal alice = user("alice", 0);
	struct jg_new_request in = {.resource = "db", .action = action,
	                            .payload = payload, .reason = "INC-1"};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_request_create(f->ix, &alice, &in, T0, &v,
	                                        why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	snprintf(gid, JG_ID_LEN, "%s", v.grant_id);
	if (sha)
		snprintf(sha, JG_SHA256_HEX, "%s", v.req.payload_sha256);
	jg_request_view_clear(&v);
}

/* Ask g, as who, about alice's `action` on db with payload hash sha. */
static enum jg_err ask(struct jg_gate *g, const struct jg_principal *who,
                       const char *action, const char *sha, int consume,
                       struct jg_answer *c)
{
	struct jg_check_query q = {.principal = "alice", .resource = "db",
	                           .action = action, .payload_sha256 = sha,
	                           .consume = consume};
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_authorize(g, who, &q, T0 + 1, c, why);

	if (e != JG_OK)
		assert_true(why[0] != '\0');
	return e;
}

static struct jg_answer ok(struct jg_gate *g, const char *action,
                           const char *sha, int consume)
{
	struct jg_principal alice = user("alice", 0);
	struct jg_answer c;

	assert_int_equal(ask(g, &alice, action, sha, consume, &c), JG_OK);
	return c;
}

static int64_t events(struct fx *f, const char *type)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE type = "
	                           "'%s'", type);
	return tdb_int(f->x.path, sql);
}

static void audit_intact(struct fx *f)
{
	struct jg_audit_report rep;
	assert_int_equal(jg_audit_verify(f->x.st, &rep), JG_OK);
	assert_true(rep.ok);
}

/* ---- bound grants ------------------------------------------------------ */

static void bare_check_denies_a_bound_grant(void **state)
{
	struct fx *f = *state;
	struct jg_gate *gates[] = {f->ix, f->raw};
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX];

	granted(f, "sql.write", "DELETE FROM t WHERE id = 7", gid, sha);
	for (size_t i = 0; i < 2; i++) {
		struct jg_answer c = ok(gates[i], "sql.write", NULL, 0);
		assert_false(c.allow);
		assert_non_null(strstr(c.reason, gid));
		assert_non_null(strstr(c.reason, "bound to one payload"));
		assert_non_null(strstr(c.reason, "payload_sha256"));
	}
}

static void only_the_bound_payload_is_allowed(void **state)
{
	struct fx *f = *state;
	struct jg_gate *gates[] = {f->ix, f->raw};
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX], other[JG_SHA256_HEX];

	granted(f, "sql.write", "DELETE FROM t WHERE id = 7", gid, sha);
	jg_sha256_hex("DROP TABLE t", 12, other);
	for (size_t i = 0; i < 2; i++) {
		struct jg_answer c = ok(gates[i], "sql.write", other, 0);
		assert_false(c.allow);
		assert_non_null(strstr(c.reason, "bound to another payload"));
		c = ok(gates[i], "sql.write", sha, 0);
		assert_true(c.allow);
		assert_string_equal(c.grant_id, gid);
		assert_string_equal(c.payload_sha256, sha);
		assert_int_equal(c.uses_left, 1);
		assert_false(c.consumed);
		assert_int_equal(c.expires_at, T0 + 600);
	}
	/* asking uses nothing up */
	assert_int_equal(events(f, "grant.consumed"), 0);
}

static void malformed_payload_hash_is_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice", 0);
	const char *bad[] = {"", "abc",
	                     /* upper case, 63 and 65 digits, not hex */
	                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                     "gaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	struct jg_answer c;
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX];

	granted(f, "sql.write", "UPDATE t SET x = 1", gid, sha);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ask(f->ix, &alice, "sql.write", bad[i], 1, &c),
		                 JG_EINVAL);
		assert_false(c.allow);
	}
	assert_int_equal(events(f, "grant.consumed"), 0);
	assert_true(ok(f->ix, "sql.write", sha, 0).allow); /* still there */
}

static void unbound_grant_allows_any_payload(void **state)
{
	struct fx *f = *state;
	struct jg_gate *gates[] = {f->ix, f->raw};
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX];

	granted(f, "sql.read", NULL, gid, NULL);
	jg_sha256_hex("SELECT 1", 8, sha);
	for (size_t i = 0; i < 2; i++) {
		struct jg_answer c = ok(gates[i], "sql.read", NULL, 0);
		assert_true(c.allow);
		assert_string_equal(c.payload_sha256, "");
		assert_int_equal(c.uses_left, -1);
		assert_true(ok(gates[i], "sql.read", sha, 0).allow);
	}
}

static void the_narrowest_fitting_grant_answers(void **state)
{
	struct fx *f = *state;
	struct jg_gate *gates[] = {f->ix, f->raw};
	char plain[JG_ID_LEN], bound[JG_ID_LEN], sha[JG_SHA256_HEX];

	granted(f, "sql.write", NULL, plain, NULL);
	granted(f, "sql.write", "UPDATE t SET x = 2", bound, sha);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(ok(gates[i], "sql.write", NULL, 0).grant_id,
		                    plain);
		assert_string_equal(ok(gates[i], "sql.write", sha, 0).grant_id,
		                    bound);
	}
	/* consuming uses up the bound grant, and plain access remains */
	assert_true(ok(f->ix, "sql.write", sha, 1).consumed);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(ok(gates[i], "sql.write", sha, 0).grant_id,
		                    plain);
}

/* ---- consuming --------------------------------------------------------- */

static void consuming_check_takes_the_one_use(void **state)
{
	struct fx *f = *state;
	struct jg_principal admin = user("root", JG_ROLE_ADMIN);
	struct jg_grant gr;
	struct jg_answer c;
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX], why[JG_WHY_MAX];

	granted(f, "sql.write", "UPDATE t SET x = 1", gid, sha);
	c = ok(f->ix, "sql.write", sha, 1);
	assert_true(c.allow);
	assert_true(c.consumed);
	assert_int_equal(c.uses_left, 0);
	assert_string_equal(c.grant_id, gid);
	assert_int_equal(jg_gate_grant_get(f->ix, &admin, gid, &gr, why), JG_OK);
	assert_int_equal(gr.state, JG_GRANT_CONSUMED);
	assert_int_equal(gr.uses_left, 0);
	assert_string_equal(gr.ended_by, "alice");
	assert_int_equal(events(f, "grant.consumed"), 1);
	audit_intact(f);

	/* used up: a second consume, or any check, is denied */
	assert_false(ok(f->ix, "sql.write", sha, 1).allow);
	assert_false(ok(f->ix, "sql.write", sha, 0).allow);
	assert_false(ok(f->raw, "sql.write", sha, 1).allow);
	assert_int_equal(events(f, "grant.consumed"), 1);
}

static void a_stale_index_cannot_consume_twice(void **state)
{
	struct fx *f = *state;
	struct jg_gate *other = gatefx_gate(&f->x, policy_yaml, 1); /* a second server */
	struct jg_answer c;
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX];

	granted(f, "sql.write", "UPDATE t SET x = 3", gid, sha);
	assert_int_equal(jg_gate_sync(other), JG_OK);
	assert_true(ok(f->ix, "sql.write", sha, 1).consumed);
	/* other has not synced: its index still lists the grant, but the
	 * store, asked inside the write transaction, has the last word */
	c = ok(other, "sql.write", sha, 1);
	assert_false(c.allow);
	assert_false(c.consumed);
	assert_non_null(strstr(c.reason, "was used up"));
	assert_int_equal(events(f, "grant.consumed"), 1);
	jg_gate_free(other);
}

static void consuming_an_unlimited_grant_takes_nothing(void **state)
{
	struct fx *f = *state;
	struct jg_answer c;
	char gid[JG_ID_LEN];

	granted(f, "sql.read", NULL, gid, NULL);
	c = ok(f->ix, "sql.read", NULL, 1);
	assert_true(c.allow);
	assert_false(c.consumed);
	assert_int_equal(c.uses_left, -1);
	assert_true(ok(f->ix, "sql.read", NULL, 1).allow);
	assert_int_equal(events(f, "grant.consumed"), 0);
	assert_int_equal(events(f, "grant.used"), 0);
}

static void consuming_for_another_needs_the_checker_role(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob", 0);
	struct jg_principal pep = user("pep", JG_ROLE_CHECKER);
	struct jg_answer c;
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX];

	granted(f, "sql.write", "UPDATE t SET x = 4", gid, sha);
	assert_int_equal(ask(f->ix, &bob, "sql.write", sha, 1, &c),
	                 JG_EFORBIDDEN);
	assert_int_equal(events(f, "grant.consumed"), 0);
	assert_int_equal(ask(f->ix, &pep, "sql.write", sha, 1, &c), JG_OK);
	assert_true(c.consumed);
	assert_int_equal(tdb_int(f->x.path, "SELECT count(*) FROM audit WHERE "
	                                  "type = 'grant.consumed' AND actor "
	                                  "= 'pep'"),
	                 1);
}

/* ---- with a grant token ------------------------------------------------ */

static enum jg_err ask_token(struct fx *f, const char *token, const char *sha,
                             int consume, struct jg_answer *c)
{
	struct jg_principal alice = user("alice", 0);
	struct jg_check_query q = {.token = token, .payload_sha256 = sha,
	                           .consume = consume};
	char why[JG_WHY_MAX] = "";

	return jg_gate_authorize(f->ix, &alice, &q, T0 + 1, c, why);
}

static void a_token_is_as_narrow_as_its_grant(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice", 0);
	struct jg_answer c;
	char gid[JG_ID_LEN], sha[JG_SHA256_HEX], other[JG_SHA256_HEX];
	char why[JG_WHY_MAX] = "", *tok = NULL;
	int64_t exp;

	granted(f, "sql.write", "UPDATE t SET x = 5", gid, sha);
	jg_sha256_hex("UPDATE t SET x = 6", 18, other);
	assert_int_equal(jg_gate_grant_token(f->ix, &alice, gid, NULL, T0, &tok,
	                                     &exp, why),
	                 JG_OK);
	assert_int_equal(ask_token(f, tok, NULL, 0, &c), JG_OK);
	assert_false(c.allow);
	assert_non_null(strstr(c.reason, "bound to one payload"));
	assert_int_equal(ask_token(f, tok, other, 0, &c), JG_OK);
	assert_false(c.allow);
	assert_int_equal(ask_token(f, tok, sha, 0, &c), JG_OK);
	assert_true(c.allow);
	assert_string_equal(c.payload_sha256, sha);
	assert_int_equal(c.uses_left, 1);
	assert_int_equal(c.expires_at, exp);

	assert_int_equal(ask_token(f, tok, sha, 1, &c), JG_OK);
	assert_true(c.consumed);
	assert_int_equal(ask_token(f, tok, sha, 1, &c), JG_OK);
	assert_false(c.allow);
	assert_non_null(strstr(c.reason, "was used up"));
	assert_int_equal(events(f, "grant.consumed"), 1);
	free(tok);
}

/* ---- the decision clock ------------------------------------------------ */

static void a_clock_stepped_back_revives_nothing(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice", 0);
	struct jg_gate *again;
	struct jg_answer c;
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "", *tok = NULL;
	int64_t exp;
	size_t n;

	granted(f, "sql.read", NULL, gid, NULL); /* T0 .. T0 + 10m */
	assert_int_equal(jg_gate_check(f->ix, &alice, "alice", "db", "sql.read",
	                               jg_gate_now(f->ix, T0 + 600), &c, why),
	                 JG_OK);
	assert_false(c.allow);
	/* the wall clock steps back ten minutes: time stands still */
	assert_int_equal(jg_gate_now(f->ix, T0 + 1), T0 + 600);
	assert_int_equal(jg_gate_check(f->ix, &alice, "alice", "db", "sql.read",
	                               jg_gate_now(f->ix, T0 + 1), &c, why),
	                 JG_OK);
	assert_false(c.allow);
	assert_int_equal(jg_gate_grant_token(f->ix, &alice, gid, NULL,
	                                     jg_gate_now(f->ix, T0 + 1), &tok,
	                                     &exp, why),
	                 JG_ECONFLICT);
	assert_null(tok);
	/* and moves again once the wall clock passes the floor */
	assert_int_equal(jg_gate_now(f->ix, T0 + 700), T0 + 700);

	/* a restart starts from the newest time in the trail */
	assert_int_equal(jg_gate_sweep(f->ix, T0 + 700, &n), JG_OK);
	again = gatefx_gate(&f->x, policy_yaml, 1);
	assert_int_equal(jg_gate_now(again, T0 + 1), T0 + 700);
	jg_gate_free(again);
	again = gatefx_gate(&f->x, policy_yaml, 0); /* no index: starting the server seeds it */
	assert_int_equal(jg_gate_start(again, T0 + 1, why), JG_OK);
	assert_int_equal(jg_gate_now(again, T0 + 1), T0 + 700);
	jg_gate_free(again);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(bare_check_denies_a_bound_grant),
	        T(only_the_bound_payload_is_allowed),
	        T(malformed_payload_hash_is_refused),
	        T(unbound_grant_allows_any_payload),
	        T(the_narrowest_fitting_grant_answers),
	        T(consuming_check_takes_the_one_use),
	        T(a_stale_index_cannot_consume_twice),
	        T(consuming_an_unlimited_grant_takes_nothing),
	        T(consuming_for_another_needs_the_checker_role),
	        T(a_token_is_as_narrow_as_its_grant),
	        T(a_clock_stepped_back_revives_nothing),
	};
	int rc = cmocka_run_group_tests_name("check on sqlite", tests, NULL,
	                                     NULL);

	if (!tdb_pg_base())
		return rc;
	rc += cmocka_run_group_tests_name("check on postgres", tests,
	                                  tdb_pg_group_setup,
	                                  tdb_pg_group_teardown);
	return rc;
}
