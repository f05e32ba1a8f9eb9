/*
 * test_advice.c - jitgate insights (src/insight/advice*.c): a gate driven
 * through a known history with the clock parameter, then exactly the
 * suggestions it gives, their numbers, the policy change text and the
 * replay counts; and none for a history that gives no reason for one.
 * On SQLite, and on PostgreSQL when JITGATE_TEST_PG is set.
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
#include "insight/advice.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"

#define T0 2000000000LL
#define MIN 60LL
#define HOUR 3600LL

static const char policy_yaml[] =
        "version: 1\n"
        "groups:\n"
        "  dba: {members: [bob]}\n"
        "  sec: {members: [dave]}\n"
        "resources:\n"
        "  db: {actions: [sql.read, sql.write]}\n"
        "  web: {actions: [deploy]}\n"
        "  old: {actions: [poke]}\n"
        "rules:\n"
        "  - name: db-reads\n"
        "    match:\n"
        "      resource: db\n"
        "      action: sql.read\n"
        "    steps:\n"
        "      - {group: dba, count: 1}\n"
        "    max_duration: 8h # a working day\n"
        "  - name: db-writes\n"
        "    match: {resource: db, action: sql.write}\n"
        "    steps: [{group: sec, count: 1}]\n"
        "    request_ttl: 3h\n"
        "  - name: web-closed\n"
        "    match: {resource: web}\n"
        "    decision: deny\n"
        "  - name: old-rule\n"
        "    match: {resource: old}\n"
        "    decision: auto\n";

struct fx {
	char path[TDB_NAME_MAX];
	struct jg_store *st;
	struct jg_gate *g;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct jg_policy *pol;
	char err[256] = "";

	if (!f)
		return -1;
	tdb_new(f->path);
	if (jg_store_open(f->path, &f->st, err, sizeof(err)) != JG_OK ||
	    jg_policy_parse("t.yaml", policy_yaml, sizeof(policy_yaml) - 1,
	                    &pol, err, sizeof(err)) != JG_OK ||
	    jg_gate_new(f->st, pol, NULL, &f->g) != JG_OK) {
		print_error("setup: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	jg_store_close(f->st);
	tdb_remove(f->path);
	free(f);
	return 0;
}

static struct jg_principal user(const char *name, int roles)
{
	struct jg_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.roles = roles;
	return p;
}

/* alice asks at now; the new request's id into id. */
static void ask(struct fx *f, const char *resource, const char *action,
                int64_t now, char id[JG_ID_LEN], char grant[JG_ID_LEN])
{
	struct jg_principal alice = user("alice", 0);
	struct jg_new_request in = {.resource = resource, .action = action,
	                            .reason = "INC-1 look"};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_request_create(f->g, &alice, &in, now, &v,
	                                        why),
	                 JG_OK);
	memcpy(id, v.req.id, JG_ID_LEN);
	if (grant)
		memcpy(grant, v.grant_id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

static void review(struct fx *f, const char *who, const char *id,
                   int64_t now, char grant[JG_ID_LEN])
{
	struct jg_principal p = user(who, 0);
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_review(f->g, &p, id, 1, "ok", now, &v, why),
	                 JG_OK);
	if (grant)
		memcpy(grant, v.grant_id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

static void complete(struct fx *f, const char *grant, int64_t now)
{
	struct jg_principal alice = user("alice", 0);
	struct jg_grant out;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_grant_end(f->g, &alice, grant,
	                                   JG_GRANT_COMPLETED, "done", now,
	                                   &out, why),
	                 JG_OK);
}

static json_t *advise_until(struct fx *f, int with_text, int64_t until)
{
	struct jg_principal aud = user("audrey", JG_ROLE_AUDITOR);
	struct jg_advice_in in = {.since = T0, .until = until};
	char why[JG_WHY_MAX] = "";
	json_t *out = NULL;

	if (with_text) {
		in.policy = policy_yaml;
		in.policy_len = sizeof(policy_yaml) - 1;
	}
	assert_int_equal(jg_advice_run(f->g, &aud, &in, &out, why), JG_OK);
	assert_non_null(out);
	return out;
}

static json_t *advise(struct fx *f, int with_text)
{
	return advise_until(f, with_text, T0 + 100 * HOUR);
}

/* The suggestion of kind about subject, or NULL. */
static json_t *pick(json_t *out, const char *kind, const char *subject)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(out, "suggestions"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "kind")), kind) ==
		            0 &&
		    strcmp(json_string_value(json_object_get(s, "subject")),
		           subject) == 0)
			return s;
	return NULL;
}

static json_int_t num(json_t *s, const char *obj, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(s, obj),
	                                          key));
}

static const char *str(json_t *s, const char *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(s, obj),
	                                         key));
}

/* 20 reads approved by bob within a minute, each used 5 minutes of its
 * 8 hours; 5 writes dave takes 2 hours over, 2 of them left to expire;
 * 3 deploys denied by policy; nothing on `old`. */
static void history(struct fx *f)
{
	char id[JG_ID_LEN], grant[JG_ID_LEN];
	size_t changed;
	int64_t t = T0;

	for (int i = 0; i < 20; i++, t += HOUR) {
		ask(f, "db", "sql.read", t, id, NULL);
		review(f, "bob", id, t + MIN, grant);
		complete(f, grant, t + 6 * MIN);
	}
	for (int i = 0; i < 3; i++, t += 3 * HOUR) {
		ask(f, "db", "sql.write", t, id, NULL);
		review(f, "dave", id, t + 2 * HOUR, NULL);
	}
	ask(f, "db", "sql.write", t, id, NULL);
	ask(f, "db", "sql.write", t + MIN, id, NULL);
	assert_int_equal(jg_gate_sweep(f->g, t + 4 * HOUR, &changed), JG_OK);
	for (int i = 0; i < 3; i++)
		ask(f, "web", "deploy", t + 5 * HOUR + i, id, NULL);
}

static void known_history_gives_exactly_these(void **state)
{
	struct fx *f = *state;
	json_t *out, *s;

	history(f);
	out = advise(f, 1);
	assert_int_equal(json_integer_value(json_object_get(out, "requests")),
	                 28);
	assert_int_equal(json_array_size(json_object_get(out, "suggestions")),
	                 8);

	s = pick(out, "auto_approve", "db-reads");
	assert_non_null(s);
	assert_int_equal(num(s, "evidence", "decided"), 20);
	assert_int_equal(num(s, "evidence", "approved"), 20);
	assert_string_equal(str(s, "change", "key"), "decision");
	assert_string_equal(str(s, "change", "old"), "review");
	assert_string_equal(str(s, "change", "new"), "auto");
	assert_int_equal(num(s, "change", "line"), 10);
	json_t *d = json_object_get(json_object_get(s, "change"), "diff");
	assert_int_equal(json_array_size(d), 4);
	assert_string_equal(json_string_value(json_array_get(d, 0)),
	                    "@@ line 14 @@");
	assert_string_equal(json_string_value(json_array_get(d, 1)),
	                    "-    steps:");
	assert_string_equal(json_string_value(json_array_get(d, 2)),
	                    "-      - {group: dba, count: 1}");
	assert_string_equal(json_string_value(json_array_get(d, 3)),
	                    "+    decision: auto");
	/* the 20 reads were reviewed; auto would have approved them at once */
	assert_int_equal(num(s, "replay", "total"), 28);
	assert_int_equal(num(s, "replay", "changed"), 20);
	assert_int_equal(num(s, "replay", "changed_in_period"), 20);

	s = pick(out, "shorter_max_duration", "db-reads");
	assert_non_null(s);
	assert_int_equal(num(s, "evidence", "grants"), 20);
	assert_int_equal(num(s, "evidence", "p90_use_s"), 5 * MIN);
	assert_int_equal(num(s, "evidence", "max_duration_s"), 8 * HOUR);
	assert_string_equal(str(s, "change", "old"), "8h");
	assert_string_equal(str(s, "change", "new"), "15m");
	d = json_object_get(json_object_get(s, "change"), "diff");
	assert_string_equal(json_string_value(json_array_get(d, 1)),
	                    "-    max_duration: 8h # a working day");
	assert_string_equal(json_string_value(json_array_get(d, 2)),
	                    "+    max_duration: 15m");
	/* each was recorded as asking for the 8h it got: replay says a 15m
	 * maximum would have refused all 20 as they were asked */
	assert_int_equal(num(s, "replay", "total"), 28);
	assert_int_equal(num(s, "replay", "changed"), 20);

	s = pick(out, "slow_approver", "dave");
	assert_non_null(s);
	assert_int_equal(num(s, "evidence", "decisions"), 3);
	assert_int_equal(num(s, "evidence", "median_s"), 2 * HOUR);
	assert_int_equal(num(s, "evidence", "p90_s"), 2 * HOUR);
	s = pick(out, "slow_step", "sec");
	assert_non_null(s);
	assert_int_equal(num(s, "evidence", "median_s"), 2 * HOUR);
	assert_null(pick(out, "slow_approver", "bob"));

	s = pick(out, "expired_undecided", "db-writes");
	assert_non_null(s);
	assert_int_equal(num(s, "evidence", "expired"), 2);
	assert_int_equal(num(s, "evidence", "requests"), 5);

	json_t *all = json_object_get(out, "suggestions");
	size_t i, denials = 0;
	json_array_foreach(all, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "kind")),
		           "denial_reason") != 0)
			continue;
		denials++;
		assert_int_equal(num(s, "evidence", "count"), 3);
		assert_string_equal(str(s, "evidence", "by"), "screening");
	}
	assert_int_equal(denials, 1);

	assert_non_null(pick(out, "unused_rule", "old-rule"));
	assert_non_null(pick(out, "unused_resource", "old"));
	json_decref(out);
}

/* The replay runs to now; the requests of the period are counted apart:
 * a period of the first 10 reads sees 10 of the 20 changed. */
static void replay_counts_the_period_apart(void **state)
{
	struct fx *f = *state;
	json_t *out, *s;

	history(f);
	out = advise_until(f, 1, T0 + 10 * HOUR);
	assert_int_equal(json_integer_value(json_object_get(out, "requests")),
	                 10);
	s = pick(out, "auto_approve", "db-reads");
	assert_non_null(s);
	assert_int_equal(num(s, "evidence", "decided"), 10);
	assert_int_equal(num(s, "replay", "changed"), 20);
	assert_int_equal(num(s, "replay", "changed_in_period"), 10);
	json_decref(out);
}

/* Without the policy text (no file to read), the suggestions stand but
 * say why they carry no change. */
static void no_text_no_change(void **state)
{
	struct fx *f = *state;
	json_t *out, *s;

	history(f);
	out = advise(f, 0);
	s = pick(out, "auto_approve", "db-reads");
	assert_non_null(s);
	assert_null(json_object_get(s, "change"));
	assert_null(json_object_get(s, "replay"));
	assert_non_null(json_object_get(s, "change_note"));
	json_decref(out);
}

/* Every rule and resource used, every review quick, nothing repeated. */
static void quiet_history_gives_none(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN], grant[JG_ID_LEN];
	json_t *out;

	ask(f, "db", "sql.read", T0, id, NULL);
	review(f, "bob", id, T0 + MIN, grant);
	complete(f, grant, T0 + 7 * HOUR);
	ask(f, "db", "sql.write", T0 + HOUR, id, NULL);
	review(f, "dave", id, T0 + HOUR + MIN, NULL);
	ask(f, "web", "deploy", T0 + 2 * HOUR, id, NULL);
	ask(f, "old", "poke", T0 + 3 * HOUR, id, NULL);
	out = advise(f, 1);
	assert_int_equal(json_integer_value(json_object_get(out, "requests")),
	                 4);
	assert_int_equal(json_array_size(json_object_get(out, "suggestions")),
	                 0);
	json_decref(out);
}

static void empty_period_gives_none(void **state)
{
	json_t *out = advise(*state, 1);

	assert_int_equal(json_array_size(json_object_get(out, "suggestions")),
	                 0);
	json_decref(out);
}

static void only_admins_and_auditors_and_a_real_period(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice", 0);
	struct jg_principal adm = user("root", JG_ROLE_ADMIN);
	struct jg_advice_in in = {.since = T0, .until = T0 + HOUR};
	char why[JG_WHY_MAX] = "";
	json_t *out = NULL;

	assert_int_equal(jg_advice_run(f->g, &alice, &in, &out, why),
	                 JG_EFORBIDDEN);
	assert_null(out);
	in.until = T0;
	assert_int_equal(jg_advice_run(f->g, &adm, &in, &out, why),
	                 JG_EINVAL);
	assert_string_equal(why, "until must be after since");
}

/* The edit itself: a key the rule lacks is added at its block's end;
 * a flow-style rule is refused. */
static void edit_adds_a_missing_key_and_refuses_flow_style(void **state)
{
	static const char text[] = "rules:\n"
	                           "  - name: a\n"
	                           "    decision: auto\n"
	                           "\n"
	                           "  - name: b\n"
	                           "    decision: deny\n"
	                           "  - {name: c, decision: auto}\n";
	char *out = NULL, old[64];
	size_t len;
	json_t *diff;

	(void)state;
	assert_int_equal(jg_advice_edit(text, sizeof(text) - 1, 2,
	                                "max_duration", "2h", &out, &len, old,
	                                &diff),
	                 0);
	assert_string_equal(out, "rules:\n"
	                         "  - name: a\n"
	                         "    decision: auto\n"
	                         "    max_duration: 2h\n"
	                         "\n"
	                         "  - name: b\n"
	                         "    decision: deny\n"
	                         "  - {name: c, decision: auto}\n");
	assert_int_equal(len, strlen(out));
	assert_string_equal(old, "");
	json_decref(diff);
	free(out);
	assert_int_equal(jg_advice_edit(text, sizeof(text) - 1, 5, "decision",
	                                "auto", &out, &len, old, &diff),
	                 0);
	assert_string_equal(old, "deny");
	assert_non_null(strstr(out, "  - name: b\n    decision: auto\n"));
	json_decref(diff);
	free(out);
	assert_int_equal(jg_advice_edit(text, sizeof(text) - 1, 7, "decision",
	                                "deny", &out, &len, old, &diff),
	                 -1);
	assert_int_equal(jg_advice_edit(text, sizeof(text) - 1, 99, "decision",
	                                "deny", &out, &len, old, &diff),
	                 -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(known_history_gives_exactly_these),
	        T(replay_counts_the_period_apart),
	        T(no_text_no_change),
	        T(quiet_history_gives_none),
	        T(empty_period_gives_none),
	        T(only_admins_and_auditors_and_a_real_period),
	        cmocka_unit_test(edit_adds_a_missing_key_and_refuses_flow_style),
	};
	int rc = cmocka_run_group_tests_name("advice on sqlite", tests, NULL,
	                                     NULL);

	if (!tdb_pg_base())
		return rc;
	rc += cmocka_run_group_tests_name("advice on postgres", tests,
	                                  tdb_pg_group_setup,
	                                  tdb_pg_group_teardown);
	return rc;
}
