/*
 * test_report.c - the compliance report's renderers (src/insight/
 * report_render.c, report_html.c) on a model made by hand: CSV quoting,
 * HTML escaping of what the trail holds, the hash line of JSON and HTML
 * (the hash is of the file without it), and the controls table; and
 * the gathering (report.c) from a trail written here: alerts and their
 * acknowledgements, a review by the requester, a policy change, the
 * period's bounds and who may ask; and the chain's verification, done by
 * the same walk, on trails changed before, in and after the period.
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
#include <sqlite3.h>

#include "audit/audit.h"
#include "insight/report.h"
#include "policy/load.h"
#include "util/crypto.h"

#define NASTY "say \"hi\", then\nleave <script>alert(1)</script> & go"

static json_t *model(void)
{
	json_t *m = json_pack(
	        "{s:s,s:i,s:{s:s,s:s},s:s,s:s,s:{s:i,s:i,s:i},s:o,"
	        "s:[{s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:[s,s],s:b,s:I,s:s}],"
	        "s:[],s:[],s:[],s:{s:[]},s:{s:b,s:I,s:I,s:[]},"
	        "s:{s:[],s:[],s:[]}}",
	        "report", "jitgate compliance evidence", "format_version", 1,
	        "period", "since", "2026-10-01T00:00:00Z", "until",
	        "2027-01-01T00:00:00Z", "generated_at", "2027-01-02T00:00:00Z",
	        "generated_by", "audra", "summary", "events", 5, "first_seq", 1,
	        "last_seq", 5, "controls", jg_report_controls(), "grants",
	        "grant_id", "grt_1", "request_id", "req_1", "principal", "alice",
	        "resource", "prod-db", "action", "sql.write", "reason", NASTY,
	        "ticket", "approved_by", "bob", "carol", "break_glass", 0,
	        "seconds_granted", (json_int_t)3600, "ended", "revoked",
	        "break_glass", "policy_changes", "alerts", "self_approvals",
	        "reviews_by_requester", "audit", "chain_ok", 1, "events_checked",
	        (json_int_t)5, "checkpoints_checked", (json_int_t)0,
	        "checkpoints", "charts", "grants_per_week", "grants_by_resource",
	        "time_to_approve");
	assert_non_null(m);
	return m;
}

/* The text of out without the first line starting with prefix. */
static char *without_line(const char *out, const char *prefix)
{
	const char *at = strstr(out, prefix), *next;
	size_t head;
	char *rest;

	assert_non_null(at);
	assert_true(at == out || at[-1] == '\n');
	head = (size_t)(at - out);
	next = strchr(at, '\n') + 1;
	rest = malloc(head + strlen(next) + 1);
	assert_non_null(rest);
	memcpy(rest, out, head);
	memcpy(rest + head, next, strlen(next) + 1);
	return rest;
}

static void hash_is_of_rest(const char *out, const char *prefix,
                            const char sha[JG_SHA256_HEX])
{
	char *rest = without_line(out, prefix), got[JG_SHA256_HEX];

	jg_sha256_hex(rest, strlen(rest), got);
	assert_string_equal(got, sha);
	assert_non_null(strstr(out, sha)); /* the line shows it */
	free(rest);
}

static void test_csv(void **state)
{
	json_t *m = model();
	char *out, sha[JG_SHA256_HEX], whole[JG_SHA256_HEX];
	size_t len;

	(void)state;
	assert_int_equal(jg_report_render(m, JG_REPORT_CSV, &out, &len, sha),
	                 JG_OK);
	assert_int_equal(strncmp(out, "grant_id,request_id,principal,", 30), 0);
	/* quotes doubled, the field quoted, the line break kept inside */
	assert_non_null(strstr(out, ",\"say \"\"hi\"\", then\nleave <script>"));
	/* approvers joined, a null ticket empty */
	assert_non_null(strstr(out, "\",,bob; carol,false,"));
	jg_sha256_hex(out, len, whole);
	assert_string_equal(sha, whole); /* CSV: the whole file */
	free(out);
	json_decref(m);
}

static void test_html(void **state)
{
	json_t *m = model();
	char *out, sha[JG_SHA256_HEX];
	size_t len;

	(void)state;
	assert_int_equal(jg_report_render(m, JG_REPORT_HTML, &out, &len, sha),
	                 JG_OK);
	assert_int_equal(strlen(out), len);
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "{{"));
	assert_non_null(strstr(out, "say &quot;hi&quot;, then\nleave "
	                            "&lt;script&gt;alert(1)&lt;/script&gt; "
	                            "&amp; go"));
	for (const char *c = "CC6.1\0CC6.2\0CC6.3\0CC7.2\0A.5.15\0A.5.18\0"
	                     "A.8.2\0A.8.15\0A.8.16\0";
	     *c; c += strlen(c) + 1) {
		char cell[32];
		snprintf(cell, sizeof(cell), "<td>%s</td>", c);
		assert_non_null(strstr(out, cell));
	}
	hash_is_of_rest(out, "<p id=\"report-sha256\"", sha);
	free(out);
	json_decref(m);
}

static void test_json(void **state)
{
	json_t *m = model(), *back;
	char *out, *rest, sha[JG_SHA256_HEX];
	size_t len;

	(void)state;
	assert_int_equal(jg_report_render(m, JG_REPORT_JSON, &out, &len, sha),
	                 JG_OK);
	assert_int_equal(strncmp(out, "{\n  \"report_sha256\": \"", 22), 0);
	hash_is_of_rest(out, "  \"report_sha256\": ", sha);
	/* without its hash line it is the model itself */
	rest = without_line(out, "  \"report_sha256\": ");
	back = json_loads(rest, 0, NULL);
	assert_true(json_equal(back, m));
	json_decref(back);
	/* with it, valid JSON carrying the hash */
	back = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(back,
	                                                      "report_sha256")),
	                    sha);
	json_decref(back);
	free(rest);
	free(out);
	json_decref(m);
}

static void test_controls_and_formats(void **state)
{
	json_t *c = jg_report_controls();
	enum jg_report_format f;

	(void)state;
	assert_int_equal(json_array_size(c), 9);
	for (size_t i = 0; i < json_array_size(c); i++)
		assert_true(json_array_size(json_object_get(json_array_get(c, i),
		                                            "evidence")) > 0);
	json_decref(c);
	assert_int_equal(jg_report_format_parse("csv", &f), 0);
	assert_int_equal(f, JG_REPORT_CSV);
	assert_int_equal(jg_report_format_parse("pdf", &f), -1);
	assert_int_equal(jg_report_format_parse(NULL, &f), -1);
}

#define T 1790000000LL /* 2026-09-21T... */

static const char policy_yaml[] = "version: 1\n"
                                  "resources:\n"
                                  "  db: {actions: [read]}\n"
                                  "rules:\n"
                                  "  - name: all\n"
                                  "    match: {resource: db}\n"
                                  "    decision: auto\n"
                                  "    max_duration: 1h\n";

struct trail {
	char dir[64], path[96];
	struct jg_store *st;
	struct jg_gate *g;
};

static void add(struct trail *t, int64_t ts, const char *actor,
                const char *type, const char *subject, json_t *d)
{
	assert_int_equal(t->st->ops->begin(t->st, 1), JG_OK);
	assert_int_equal(jg_audit_append(t->st, ts, actor, type, subject, d),
	                 JG_OK);
	assert_int_equal(t->st->ops->commit(t->st), JG_OK);
	json_decref(d);
}

static int keep_id(const struct jg_event *ev, void *ctx)
{
	snprintf(ctx, JG_ID_LEN, "%s", ev->id);
	return 0;
}

/* The id of the last event of type. */
static void last_id(struct trail *t, const char *type, char id[JG_ID_LEN])
{
	struct jg_filter f = {.type = type};
	int64_t next;

	assert_int_equal(t->st->ops->begin(t->st, 0), JG_OK);
	assert_int_equal(t->st->ops->audit_walk(t->st, &f, keep_id, id, &next),
	                 JG_OK);
	t->st->ops->rollback(t->st);
}

static void trail_open(struct trail *t)
{
	struct jg_policy *pol;
	char err[256];

	snprintf(t->dir, sizeof(t->dir), "/tmp/jg-report-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/j.db", t->dir);
	assert_int_equal(jg_store_open(t->path, &t->st, err, sizeof(err)),
	                 JG_OK);
	assert_int_equal(jg_policy_parse("t", policy_yaml,
	                                 sizeof(policy_yaml) - 1, &pol, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_int_equal(jg_gate_new(t->st, pol, NULL, &t->g), JG_OK);
}

static void trail_close(struct trail *t)
{
	char p[128];

	jg_gate_free(t->g);
	jg_store_close(t->st);
	snprintf(p, sizeof(p), "%s-wal", t->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", t->path);
	unlink(p);
	unlink(t->path);
	rmdir(t->dir);
}

static void test_gather(void **state)
{
	struct jg_principal audra = {.name = "audra", .roles = JG_ROLE_AUDITOR};
	struct jg_principal paul = {.name = "paul"};
	char why[JG_WHY_MAX], alert[JG_ID_LEN] = "";
	struct trail t;
	json_t *m = NULL, *grant, *a;

	(void)state;
	trail_open(&t);
	/* before the period: not in the report */
	add(&t, T - 100, "alice", "request.created", "req_old",
	    json_pack("{s:s,s:s,s:s}", "resource", "db", "action", "read",
	              "reason", "old"));
	add(&t, T + 10, "alice", "request.created", "req_a",
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "resource", "db", "action",
	              "read", "reason", "INC-9 look", "ticket", "INC-9",
	              "duration", "1h"));
	/* a review by the requester that got through: the report shows it */
	add(&t, T + 20, "alice", "review.recorded", "req_a",
	    json_pack("{s:s,s:i}", "verdict", "approve", "step", 0));
	add(&t, T + 30, "bob", "review.recorded", "req_a",
	    json_pack("{s:s,s:i}", "verdict", "approve", "step", 0));
	add(&t, T + 30, "bob", "request.approved", "req_a",
	    json_pack("{s:s}", "reason", "ok"));
	add(&t, T + 30, "jitgate", "grant.issued", "grt_a",
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "request_id", "req_a",
	              "principal", "alice", "resource", "db", "action", "read",
	              "expires_at", "2026-09-21T14:40:00Z"));
	add(&t, T + 40, "jitgate", "alert.raised", "",
	    json_pack("{s:s,s:s,s:s,s:s,s:[i,i]}", "kind", "rubber_stamp",
	              "severity", "warning", "subject", "bob", "summary",
	              "bob approved within seconds", "events", 3, 4));
	last_id(&t, "alert.raised", alert);
	add(&t, T + 50, "jitgate", "alert.raised", "",
	    json_pack("{s:s,s:s,s:s,s:s,s:[]}", "kind", "burst", "severity",
	              "info", "subject", "alice", "summary", "many requests",
	              "events"));
	add(&t, T + 60, "admin", "alert.acknowledged", alert,
	    json_pack("{s:s,s:s}", "alert_id", alert, "comment",
	              "talked to bob"));
	add(&t, T + 70, "admin", "policy.reloaded", "",
	    json_pack("{s:s,s:s,s:s}", "path", "/etc/jitgate/policy.yaml",
	              "sha256", "ab12", "previous_sha256", "cd34"));

	assert_int_equal(jg_report_gather(t.g, &paul, T, T + 3600, T + 3600,
	                                  &m, why),
	                 JG_EFORBIDDEN);
	assert_null(m);
	assert_int_equal(jg_report_gather(t.g, &audra, T, T, T, &m, why),
	                 JG_EINVAL);
	assert_string_equal(why, "since must be before until");
	assert_int_equal(jg_report_gather(t.g, &audra, T, T + 3600, T + 3600,
	                                  &m, why),
	                 JG_OK);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(m, "summary"), "events")),
	                 9);
	assert_int_equal(json_array_size(json_object_get(m, "grants")), 1);
	grant = json_array_get(json_object_get(m, "grants"), 0);
	assert_string_equal(json_string_value(json_object_get(grant, "ticket")),
	                    "INC-9");
	assert_int_equal(json_integer_value(json_object_get(
	                         grant, "seconds_to_approve")),
	                 20);
	assert_int_equal(json_array_size(json_object_get(grant, "approved_by")),
	                 2);
	a = json_object_get(json_object_get(m, "self_approvals"),
	                    "reviews_by_requester");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(a, 0), "reviewer")),
	                    "alice");
	a = json_object_get(m, "alerts");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(a, 0), "alert_id")),
	                    alert);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(a, 0), "handled")),
	                    "acknowledged");
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(a, 0), "comment")),
	                    "talked to bob");
	assert_int_equal(json_array_size(json_object_get(json_array_get(a, 0),
	                                                 "events")),
	                 2);
	assert_string_equal(json_string_value(json_object_get(
	                            json_array_get(a, 1), "handled")),
	                    "open");
	a = json_array_get(json_object_get(m, "policy_changes"), 0);
	assert_string_equal(json_string_value(json_object_get(a, "sha256")),
	                    "ab12");
	assert_string_equal(json_string_value(json_object_get(a, "by")),
	                    "admin");
	assert_true(json_is_true(json_object_get(json_object_get(m, "audit"),
	                                         "chain_ok")));
	json_decref(m);
	trail_close(&t);
}

/* Change the trail behind the store's back: one row, as an intruder. */
static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

static json_t *gather_hour(struct trail *t)
{
	struct jg_principal audra = {.name = "audra", .roles = JG_ROLE_AUDITOR};
	char why[JG_WHY_MAX];
	json_t *m = NULL;

	assert_int_equal(jg_report_gather(t->g, &audra, T, T + 3600, T + 3600,
	                                  &m, why),
	                 JG_OK);
	return m;
}

static void expect_audit(const json_t *m, int ok, int64_t broken,
                         int64_t checked)
{
	const json_t *a = json_object_get(m, "audit");

	assert_int_equal(json_is_true(json_object_get(a, "chain_ok")), ok);
	assert_int_equal(json_integer_value(json_object_get(a, "broken_seq")),
	                 broken);
	assert_int_equal(json_integer_value(json_object_get(a,
	                                                    "events_checked")),
	                 checked);
}

/*
 * The walk that folds the period verifies the whole chain, before and
 * after the period too, and a break stops only the verification: the
 * period's events are all still in the report.
 */
static void test_gather_broken_chain(void **state)
{
	struct trail t;
	json_t *m;

	(void)state;
	trail_open(&t);
	add(&t, T - 100, "alice", "token.created", "tok_1", NULL);  /* 1 */
	add(&t, T + 10, "alice", "request.created", "req_a",        /* 2 */
	    json_pack("{s:s,s:s,s:s}", "resource", "db", "action", "read",
	              "reason", "look"));
	add(&t, T + 20, "bob", "request.approved", "req_a", NULL);   /* 3 */
	add(&t, T + 30, "jitgate", "grant.issued", "grt_a",          /* 4 */
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "request_id", "req_a",
	              "principal", "alice", "resource", "db", "action", "read",
	              "expires_at", "2026-09-21T14:40:00Z"));
	add(&t, T + 4000, "alice", "token.revoked", "tok_1", NULL);  /* 5 */
	add(&t, T + 4100, "alice", "token.created", "tok_2", NULL);  /* 6 */

	m = gather_hour(&t);
	expect_audit(m, 1, 0, 6);
	json_decref(m);

	/* after the period: still found */
	sql_exec(t.path, "UPDATE audit SET actor = 'mallory' WHERE seq = 6");
	m = gather_hour(&t);
	expect_audit(m, 0, 6, 5);
	assert_int_equal(json_array_size(json_object_get(m, "grants")), 1);
	json_decref(m);

	/* before it: found, and the period is reported whole */
	sql_exec(t.path, "UPDATE audit SET actor = 'alice' WHERE seq = 6");
	sql_exec(t.path, "UPDATE audit SET actor = 'mallory' WHERE seq = 1");
	m = gather_hour(&t);
	expect_audit(m, 0, 1, 0);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(m, "summary"), "events")),
	                 3);
	assert_int_equal(json_array_size(json_object_get(m, "grants")), 1);
	json_decref(m);

	/* an event of the period deleted: the gap, and the rest shown */
	sql_exec(t.path, "UPDATE audit SET actor = 'alice' WHERE seq = 1");
	sql_exec(t.path, "DELETE FROM audit WHERE seq = 3");
	m = gather_hour(&t);
	expect_audit(m, 0, 3, 2);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(m, "summary"), "events")),
	                 2);
	assert_int_equal(json_array_size(json_object_get(m, "grants")), 1);
	json_decref(m);
	trail_close(&t);
}

/*
 * A period longer than one page of the walk (10,000 events, each page
 * its own read transaction): every event is folded, in order, and the
 * chain verified across the pages.
 */
static void test_gather_pages(void **state)
{
	struct trail t;
	char req[JG_ID_LEN], grt[JG_ID_LEN];
	json_t *m, *grants;
	const int n = 5001; /* two events each: 10,002 */

	(void)state;
	trail_open(&t);
	assert_int_equal(t.st->ops->begin(t.st, 1), JG_OK);
	for (int i = 0; i < n; i++) {
		json_t *d;
		snprintf(req, sizeof(req), "req_%05d", i);
		snprintf(grt, sizeof(grt), "grt_%05d", i);
		d = json_pack("{s:s,s:s,s:s}", "resource", "db", "action",
		              "read", "reason", req);
		assert_int_equal(jg_audit_append(t.st, T + i / 2, "alice",
		                                 "request.created", req, d),
		                 JG_OK);
		json_decref(d);
		d = json_pack("{s:s,s:s,s:s,s:s,s:s}", "request_id", req,
		              "principal", "alice", "resource", "db", "action",
		              "read", "expires_at", "2026-09-21T14:40:00Z");
		assert_int_equal(jg_audit_append(t.st, T + i / 2, "jitgate",
		                                 "grant.issued", grt, d),
		                 JG_OK);
		json_decref(d);
	}
	assert_int_equal(t.st->ops->commit(t.st), JG_OK);
	m = gather_hour(&t);
	expect_audit(m, 1, 0, 2 * n);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(m, "summary"), "last_seq")),
	                 2 * n);
	grants = json_object_get(m, "grants");
	assert_int_equal(json_array_size(grants), n);
	for (int i = 0; i < n; i++) {
		snprintf(req, sizeof(req), "req_%05d", i);
		assert_string_equal(jg_report_str(json_array_get(grants,
		                                                 (size_t)i),
		                                  "reason"),
		                    req);
	}
	json_decref(m);
	trail_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_controls_and_formats),
		cmocka_unit_test(test_gather),
		cmocka_unit_test(test_gather_broken_chain),
		cmocka_unit_test(test_gather_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
