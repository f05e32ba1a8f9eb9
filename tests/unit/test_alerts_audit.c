/*
 * test_alerts_audit.c - the alerts the gate itself feeds into the trail
 * (docs/alerts.md): a token used after months unused (token.reactivated,
 * token_dormant), a checkpoint that cannot be written
 * (audit.checkpoint_failed, checkpoint_failed) and a verification that
 * finds the trail broken (audit.verify_failed, audit_verify_failed).
 * Through the real gate on SQLite, the clock as a parameter; the trail is
 * read back with SQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/checkpoint.h"
#include "gate/gate.h"
#include "insight/detect.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"
#include "gatefx.h"

#define DAY 86400LL
#define T0 (1793577600LL)

static const char policy_yaml[] =
        "version: 1\n"
        "resources:\n"
        "  lab: {actions: [read]}\n"
        "rules:\n"
        "  - name: lab-auto\n"
        "    match: {resource: lab}\n"
        "    decision: auto\n"
        "    max_duration: 10m\n";

struct fx {
	struct gatefx x;
	struct jg_gate *g; /* owned */
};

/* A gate under policy_yaml with alerts appended, its detectors fed as
 * each step commits. */
static struct jg_gate *alerts_gate(struct fx *f, const char *alerts)
{
	char yaml[1024];
	struct jg_gate *g;

	snprintf(yaml, sizeof(yaml), "%s%s", policy_yaml, alerts);
	g = gatefx_gate(&f->x, yaml, 0);
	jg_gate_alerts_inline(g);
	return g;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	gatefx_open(&f->x, 0);
	f->g = alerts_gate(f, "");
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

static void regate(struct fx *f, const char *alerts)
{
	jg_gate_free(f->g);
	f->g = alerts_gate(f, alerts);
}

/* Events of type in the trail. */
static int64_t events(struct fx *f, const char *type)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE "
	         "type = '%s'", type);
	return tdb_int(f->x.path, sql);
}

/* "kind:subject:severity" of every alert raised, one a line, in order. */
static void alerts(struct fx *f, char *out, size_t len)
{
	tdb_text(f->x.path, "SELECT group_concat(json_extract(details, '$.kind')"
	         " || ':' || json_extract(details, '$.subject') || ':' || "
	         "json_extract(details, '$.severity'), ' ') FROM (SELECT "
	         "details FROM audit WHERE type = 'alert.raised' ORDER BY seq)",
	         out, len);
}

/* A token for who made at made, last used at used (0: never). */
static void token(struct fx *f, const char *who, int64_t made, int64_t used,
                  struct jg_token *t, char secret[JG_TOKEN_LEN])
{
	struct jg_principal admin = {.name = "root", .roles = JG_ROLE_ADMIN};
	struct jg_token spec = {0};
	char why[JG_WHY_MAX] = "", sql[256];

	snprintf(spec.who.name, sizeof(spec.who.name), "%s", who);
	assert_int_equal(jg_gate_token_create(f->g, &admin, &spec, made, t,
	                                      secret, why),
	                 JG_OK);
	snprintf(sql, sizeof(sql), "UPDATE tokens SET last_used_at = %lld "
	         "WHERE id = '%s'", (long long)used, t->id);
	tdb_exec(f->x.path, sql);
}

static void auth(struct fx *f, const char *secret, int64_t now,
                 enum jg_err want)
{
	struct jg_principal who;

	assert_int_equal(jg_gate_authenticate(f->g, secret, now, &who), want);
}

/* A token last used 100 days ago: one token.reactivated, one high alert
 * on the token, and the secret nowhere in the trail. Used again at once,
 * nothing more. One used 10 days ago: nothing. */
static void token_used_after_months_raises(void **state)
{
	struct fx *f = *state;
	struct jg_token old, recent;
	char s_old[JG_TOKEN_LEN], s_recent[JG_TOKEN_LEN], got[512], want[512];
	char sql[256];

	token(f, "sleeper", T0 - 200 * DAY, T0 - 100 * DAY, &old, s_old);
	token(f, "daily", T0 - 200 * DAY, T0 - 10 * DAY, &recent, s_recent);
	auth(f, s_recent, T0, JG_OK);
	assert_int_equal(events(f, "token.reactivated"), 0);
	auth(f, s_old, T0, JG_OK);
	auth(f, s_old, T0 + 120, JG_OK); /* touched again: not dormant */
	assert_int_equal(events(f, "token.reactivated"), 1);
	tdb_text(f->x.path, "SELECT actor || ' ' || subject || ' ' || details "
	         "FROM audit WHERE type = 'token.reactivated'", got,
	         sizeof(got));
	snprintf(want, sizeof(want), "sleeper %s {\"idle_days\":100,"
	         "\"last_used_at\":\"2026-07-25T00:00:00Z\","
	         "\"principal\":\"sleeper\",\"token\":\"%s\"}", old.id,
	         old.id);
	assert_string_equal(got, want);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE "
	         "instr(details, '%s') > 0", s_old);
	assert_int_equal(tdb_int(f->x.path, sql), 0);
	alerts(f, got, sizeof(got));
	snprintf(want, sizeof(want), "token_dormant:%s:high", old.id);
	assert_string_equal(got, want);
	snprintf(sql, sizeof(sql), "SELECT last_used_at FROM tokens WHERE "
	         "id = '%s'", old.id);
	assert_int_equal(tdb_int(f->x.path, sql), T0 + 120);
}

/* Never used: idle since it was made, last_used_at null. A dashboard
 * session opened with a dormant token is a use too. */
static void never_used_and_session_count(void **state)
{
	struct fx *f = *state;
	struct jg_principal who;
	struct jg_token a, b;
	char sa[JG_TOKEN_LEN], sb[JG_TOKEN_LEN], cookie[JG_TOKEN_LEN];
	char csrf[JG_SHA256_HEX], got[512];

	token(f, "ghost", T0 - 120 * DAY, 0, &a, sa);
	token(f, "browser", T0 - 95 * DAY, T0 - 91 * DAY, &b, sb);
	auth(f, sa, T0, JG_OK);
	assert_int_equal(jg_gate_session_open(f->g, sb, T0, cookie, csrf,
	                                      &who),
	                 JG_OK);
	tdb_text(f->x.path, "SELECT group_concat(json_extract(details, "
	         "'$.principal') || '/' || json_extract(details, '$.idle_days')"
	         " || '/' || ifnull(json_extract(details, '$.last_used_at'), "
	         "'null'), ' ') FROM audit WHERE type = 'token.reactivated'",
	         got, sizeof(got));
	assert_string_equal(got, "ghost/120/null browser/91/"
	                         "2026-08-03T00:00:00Z");
}

/* The dormancy period is the detector's window; off, no event at all. */
static void dormancy_is_tuned_and_can_be_off(void **state)
{
	struct fx *f = *state;
	struct jg_token t, u;
	char st[JG_TOKEN_LEN], su[JG_TOKEN_LEN], got[512], want[512];

	regate(f, "alerts:\n  token_dormant: {window: 7d}\n");
	token(f, "weekly", T0 - 20 * DAY, T0 - 10 * DAY, &t, st);
	auth(f, st, T0, JG_OK);
	alerts(f, got, sizeof(got));
	snprintf(want, sizeof(want), "token_dormant:%s:high", t.id);
	assert_string_equal(got, want);
	regate(f, "alerts:\n  token_dormant: off\n");
	token(f, "quiet", T0 - 200 * DAY, T0 - 100 * DAY, &u, su);
	auth(f, su, T0, JG_OK);
	assert_int_equal(events(f, "token.reactivated"), 1);
}

/* A restart re-reads the detectors' longest window, not the months of
 * token_dormant's dormancy period; with only token_dormant on, it still
 * reads (a horizon of 0 would feed nothing). */
static void dormancy_is_no_replay_horizon(void **state)
{
	struct jg_alert_tune tune[JG_AK_COUNT] = {{0}};
	struct jg_detect *d;

	(void)state;
	assert_int_equal(jg_detect_new(&d), JG_OK);
	assert_int_equal(jg_detect_horizon(d), 30 * DAY); /* off_hours */
	for (int i = 0; i < JG_AK_COUNT; i++)
		tune[i].off = i != JG_AK_TOKEN_DORMANT;
	tune[JG_AK_TOKEN_DORMANT].window = 365 * DAY;
	jg_detect_tune(d, tune);
	assert_int_equal(jg_detect_horizon(d), 1);
	assert_int_equal(jg_alert_window(tune, JG_AK_TOKEN_DORMANT), 365 * DAY);
	assert_int_equal(jg_alert_window(NULL, JG_AK_TOKEN_DORMANT), 90 * DAY);
	tune[JG_AK_TOKEN_DORMANT].off = 1;
	assert_int_equal(jg_alert_window(tune, JG_AK_TOKEN_DORMANT), 0);
	jg_detect_free(d);
}

/* The event cannot be recorded: a dormant token is not let in (and its
 * use is not recorded either); a token in use still is. */
static void dormant_use_fails_closed(void **state)
{
	struct fx *f = *state;
	struct jg_token t, u;
	char st[JG_TOKEN_LEN], su[JG_TOKEN_LEN], sql[256];

	token(f, "sleeper", T0 - 200 * DAY, T0 - 100 * DAY, &t, st);
	token(f, "daily", T0 - 200 * DAY, T0 - DAY, &u, su);
	tdb_exec(f->x.path, "CREATE TRIGGER no_reactivation BEFORE INSERT ON "
	         "audit WHEN NEW.type = 'token.reactivated' BEGIN SELECT "
	         "RAISE(ABORT, 'refused'); END");
	auth(f, st, T0, JG_ESTORE);
	auth(f, su, T0, JG_OK);
	snprintf(sql, sizeof(sql), "SELECT last_used_at FROM tokens WHERE "
	         "id = '%s'", t.id);
	assert_int_equal(tdb_int(f->x.path, sql), T0 - 100 * DAY);
	tdb_exec(f->x.path, "DROP TRIGGER no_reactivation");
	auth(f, st, T0 + 1, JG_OK);
	assert_int_equal(events(f, "token.reactivated"), 1);
}

/* ---- checkpoints and verification -------------------------------------- */

static int64_t clock_now = T0;
static int64_t test_clock(void) { return clock_now; }

/* Start a signer on f's gate whose sink cannot be written (read only). */
static void start_failing_signer(struct fx *f, const char *dir)
{
	char key[256], sink[256], err[512] = "";
	struct jg_ckpt_config c = {.every = 1000, .interval = 3600,
	                           .clock = test_clock};

	snprintf(key, sizeof(key), "%s/ck.pem", dir);
	snprintf(sink, sizeof(sink), "%s/sink", dir);
	assert_int_equal(jg_ckpt_key_open(key, &c.key, err, sizeof(err)),
	                 JG_OK);
	close(open(sink, O_CREAT | O_WRONLY, 0600));
	c.sink_fd = open(sink, O_RDONLY);
	assert_true(c.sink_fd >= 0);
	assert_int_equal(jg_gate_signer_start(f->g, &c, err, sizeof(err)),
	                 JG_OK);
}

static void remove_dir(const char *dir)
{
	static const char *const names[] = {"sink", "ck.pem", "ck.pem.pub"};
	char p[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* A checkpoint that cannot be written: one audit.checkpoint_failed and a
 * critical alert; failing again within 10 minutes appends nothing, after
 * that one more event (the alert stays the one open). */
static void failed_checkpoint_is_an_alert(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/jg-ckpt-fail-XXXXXX", got[512];
	struct jg_token t;
	char s[JG_TOKEN_LEN];

	assert_non_null(mkdtemp(dir));
	token(f, "alice", T0, 0, &t, s);
	assert_int_equal(jg_gate_index_load(f->g), JG_OK);
	clock_now = T0 + 60;
	start_failing_signer(f, dir);
	jg_gate_signer_stop(f->g); /* its last round tries, and fails */
	assert_int_equal(events(f, "audit.checkpoint_failed"), 1);
	tdb_text(f->x.path, "SELECT details FROM audit WHERE type = "
	         "'audit.checkpoint_failed'", got, sizeof(got));
	assert_string_equal(got, "{\"error\":\"internal error\",\"seq\":1}");
	alerts(f, got, sizeof(got));
	assert_string_equal(got, "checkpoint_failed:checkpoint:critical");

	clock_now = T0 + 60 + 300;
	start_failing_signer(f, dir);
	jg_gate_signer_stop(f->g);
	assert_int_equal(events(f, "audit.checkpoint_failed"), 1);
	clock_now = T0 + 60 + 601;
	start_failing_signer(f, dir);
	jg_gate_signer_stop(f->g);
	assert_int_equal(events(f, "audit.checkpoint_failed"), 2);
	alerts(f, got, sizeof(got));
	assert_string_equal(got, "checkpoint_failed:checkpoint:critical");
	remove_dir(dir);
}

/* The server verifies a trail altered at seq 2: audit.verify_failed by
 * who asked, a critical alert on seq 2; verified again, one more event
 * but no second alert. An intact trail records nothing. */
static void failed_verification_is_an_alert(void **state)
{
	struct fx *f = *state;
	struct jg_principal aud = {.name = "audrey", .roles = JG_ROLE_AUDITOR};
	struct jg_audit_report rep;
	char why[JG_WHY_MAX] = "", got[512];
	struct jg_token t;
	char s[JG_TOKEN_LEN];
	size_t pins = 0;

	token(f, "alice", T0, 0, &t, s);
	token(f, "bob", T0 + 1, 0, &t, s);
	assert_int_equal(jg_gate_audit_verify_pinned(f->g, &aud, &rep, &pins,
	                                             why),
	                 JG_OK);
	assert_true(rep.ok);
	assert_int_equal(events(f, "audit.verify_failed"), 0);
	tdb_exec(f->x.path, "UPDATE audit SET actor = 'mallory' WHERE seq = 2");
	assert_int_equal(jg_gate_audit_verify_pinned(f->g, &aud, &rep, &pins,
	                                             why),
	                 JG_OK);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 2);
	tdb_text(f->x.path, "SELECT actor || ' ' || json_extract(details, "
	         "'$.from') || '-' || json_extract(details, '$.to') || ' ' || "
	         "json_extract(details, '$.first_bad_seq') FROM audit WHERE "
	         "type = 'audit.verify_failed'", got, sizeof(got));
	assert_string_equal(got, "audrey 1-2 2");
	alerts(f, got, sizeof(got));
	assert_string_equal(got, "audit_verify_failed:2:critical");
	assert_int_equal(jg_gate_audit_verify_pinned(f->g, &aud, &rep, &pins,
	                                             why),
	                 JG_OK);
	assert_int_equal(events(f, "audit.verify_failed"), 2);
	alerts(f, got, sizeof(got));
	assert_string_equal(got, "audit_verify_failed:2:critical");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(token_used_after_months_raises),
	        T(never_used_and_session_count),
	        T(dormancy_is_tuned_and_can_be_off),
	        T(dormant_use_fails_closed),
	        cmocka_unit_test(dormancy_is_no_replay_horizon),
	        T(failed_checkpoint_is_an_alert),
	        T(failed_verification_is_an_alert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
