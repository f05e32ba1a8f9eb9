/*
 * test_notify.c - the notification outbox: signatures receivers can
 * check, back-off, who hears of what, and that a notice is queued once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify/notify.h"
#include "policy/load.h"
#include "store/store.h"

/* A value computed independently (Python's hmac module):
 * HMAC-SHA256("key", "dlv_7.1700000000.request.pending.{}") */
static void sign_known_value(void **state)
{
	char sig[72];

	(void)state;
	jg_notify_sign("key", "dlv_7", 1700000000, "request.pending", "{}",
	               sig);
	assert_string_equal(sig, "v1=72472e1e44fd4172aaec8023d56f7f7becf4c92e"
	                         "aee776ccbbc347ccc196705d");
}

/* The delivery id and the event are signed too: a receiver that drops
 * repeats by id cannot be fooled by the same body under a new id. */
static void sign_depends_on_every_part(void **state)
{
	const char *body = "{\"a\":1}";
	char a[72], b[72], c[72], d[72], e[72], f[72];

	(void)state;
	jg_notify_sign("secret-one-xxxxxxxx", "dlv_1", 1, "grant.expiring",
	               body, a);
	jg_notify_sign("secret-two-xxxxxxxx", "dlv_1", 1, "grant.expiring",
	               body, b);
	jg_notify_sign("secret-one-xxxxxxxx", "dlv_1", 2, "grant.expiring",
	               body, c);
	jg_notify_sign("secret-one-xxxxxxxx", "dlv_1", 1, "grant.expiring",
	               "{\"a\":2}", d);
	jg_notify_sign("secret-one-xxxxxxxx", "dlv_2", 1, "grant.expiring",
	               body, e);
	jg_notify_sign("secret-one-xxxxxxxx", "dlv_1", 1, "request.pending",
	               body, f);
	assert_int_equal(strlen(a), 3 + 64);
	assert_string_not_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_string_not_equal(a, e);
	assert_string_not_equal(a, f);
}

static void backoff_doubles_and_caps(void **state)
{
	(void)state;
	assert_int_equal(jg_notify_backoff(1), 2);
	assert_int_equal(jg_notify_backoff(2), 4);
	assert_int_equal(jg_notify_backoff(5), 32);
	assert_int_equal(jg_notify_backoff(11), 2048);
	assert_int_equal(jg_notify_backoff(12), 3600);
	assert_int_equal(jg_notify_backoff(50), 3600);
	assert_int_equal(jg_notify_backoff(0), 2);
}

struct fx {
	char path[64];
	struct jg_store *st;
	struct jg_policy *p;
};

static const char policy_yaml[] =
        "version: 1\n"
        "groups:\n"
        "  dba: {members: [bob, carol]}\n"
        "resources:\n"
        "  db: {actions: [sql.write]}\n"
        "rules:\n"
        "  - name: r\n"
        "    steps: [{group: dba, count: 1}]\n";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/jg-notify-XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	if (jg_store_open(f->path, &f->st, err, sizeof(err)) != JG_OK ||
	    jg_policy_parse("t.yaml", policy_yaml, sizeof(policy_yaml) - 1,
	                    &f->p, err, sizeof(err)) != JG_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char wal[80];

	jg_store_close(f->st);
	jg_policy_free(f->p);
	unlink(f->path);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", f->path);
	unlink(wal);
	free(f);
	return 0;
}

static struct jg_request sample(void)
{
	struct jg_request r = {.nsteps = 1, .state = JG_REQ_PENDING};
	snprintf(r.id, sizeof(r.id), "req_test");
	snprintf(r.requester, sizeof(r.requester), "alice");
	snprintf(r.resource, sizeof(r.resource), "db");
	snprintf(r.action, sizeof(r.action), "sql.write");
	snprintf(r.steps[0].group, sizeof(r.steps[0].group), "dba");
	r.steps[0].count = 1;
	r.reason = (char *)"fix <b>&</b>";
	return r;
}

static size_t queued(struct fx *f, struct jg_delivery **ds)
{
	size_t n = 0;
	assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
	assert_int_equal(f->st->ops->outbox_list(f->st, NULL, 100, ds, &n),
	                 JG_OK);
	f->st->ops->rollback(f->st);
	return n;
}

static void clear_all(struct jg_delivery *ds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		jg_delivery_clear(&ds[i]);
	free(ds);
}

static void pending_goes_to_the_step_once_per_target(void **state)
{
	struct fx *f = *state;
	struct jg_notify_config cfg = {.webhook_url = "http://127.0.0.1:1/",
	                               .slack_url = "http://127.0.0.1:1/s",
	                               .max_attempts = 3};
	struct jg_request r = sample();
	struct jg_delivery *ds;
	size_t n;

	for (int i = 0; i < 2; i++) { /* the same notice twice: queued once */
		assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
		assert_int_equal(jg_notify_request(f->st, &cfg, f->p,
		                                   JG_NOTICE_PENDING, &r, 100),
		                 JG_OK);
		assert_int_equal(f->st->ops->commit(f->st), JG_OK);
	}
	n = queued(f, &ds);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(ds[i].state, "pending");
		assert_string_equal(ds[i].event, "request.pending");
		if (strcmp(ds[i].target, "webhook") == 0) {
			assert_non_null(strstr(ds[i].payload,
			                       "\"users\":[\"bob\",\"carol\"]"));
			assert_non_null(strstr(ds[i].payload,
			                       "\"groups\":[\"dba\"]"));
		} else {
			/* Slack text escapes what the requester wrote */
			assert_string_equal(ds[i].target, "slack");
			assert_non_null(strstr(ds[i].payload,
			                       "fix &lt;b&gt;&amp;&lt;/b&gt;"));
		}
	}
	clear_all(ds, n);
}

static void outcome_goes_to_the_requester_too(void **state)
{
	struct fx *f = *state;
	struct jg_notify_config cfg = {.webhook_url = "http://127.0.0.1:1/",
	                               .max_attempts = 3};
	struct jg_request r = sample();
	struct jg_delivery *ds;
	size_t n;

	r.state = JG_REQ_APPROVED;
	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	assert_int_equal(jg_notify_request(f->st, &cfg, f->p,
	                                   JG_NOTICE_APPROVED, &r, 100),
	                 JG_OK);
	assert_int_equal(f->st->ops->commit(f->st), JG_OK);
	n = queued(f, &ds);
	assert_int_equal(n, 1);
	assert_non_null(strstr(ds[0].payload,
	                       "\"users\":[\"alice\",\"bob\",\"carol\"]"));
	clear_all(ds, n);
}

/* Scheduled access: both targets say when the grant starts; an
 * unscheduled notice says nothing of a start. */
static void approved_notice_says_when_it_starts(void **state)
{
	struct fx *f = *state;
	struct jg_notify_config cfg = {.webhook_url = "http://127.0.0.1:1/",
	                               .slack_url = "http://127.0.0.1:1/s",
	                               .max_attempts = 3};
	struct jg_request r = sample(), now = sample();
	struct jg_delivery *ds;
	size_t n;

	r.state = now.state = JG_REQ_APPROVED;
	r.start_at = 2000000000; /* 2033-05-18T03:33:20Z */
	snprintf(now.id, sizeof(now.id), "req_now");
	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	assert_int_equal(jg_notify_request(f->st, &cfg, f->p,
	                                   JG_NOTICE_APPROVED, &r, 100),
	                 JG_OK);
	assert_int_equal(jg_notify_request(f->st, &cfg, f->p,
	                                   JG_NOTICE_APPROVED, &now, 100),
	                 JG_OK);
	assert_int_equal(f->st->ops->commit(f->st), JG_OK);
	n = queued(f, &ds);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		int sched = strcmp(ds[i].subject, "req_test") == 0;
		int hook = strcmp(ds[i].target, "webhook") == 0;
		const char *says = hook ? "\"start_at\":\"2033-05-18T03:33:20Z\""
		                        : "from 2033-05-18T03:33:20Z";

		if (sched)
			assert_non_null(strstr(ds[i].payload, says));
		else
			assert_null(strstr(ds[i].payload, hook ? "start_at"
			                                       : " from "));
	}
	clear_all(ds, n);
}

static void nothing_without_targets(void **state)
{
	struct fx *f = *state;
	struct jg_notify_config cfg = {.max_attempts = 3};
	struct jg_request r = sample();
	struct jg_delivery *ds;
	size_t n;

	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	assert_int_equal(jg_notify_request(f->st, &cfg, f->p,
	                                   JG_NOTICE_PENDING, &r, 100),
	                 JG_OK);
	assert_int_equal(jg_notify_request(f->st, NULL, f->p,
	                                   JG_NOTICE_PENDING, &r, 100),
	                 JG_OK);
	assert_int_equal(f->st->ops->commit(f->st), JG_OK);
	n = queued(f, &ds);
	assert_int_equal(n, 0);
	clear_all(ds, n);
}

/* Nobody listens on port 1: each pass fails, backs off, then dead. */
static void failing_deliveries_back_off_then_die(void **state)
{
	struct fx *f = *state;
	struct jg_notify_config cfg = {.webhook_url = "http://127.0.0.1:1/",
	                               .webhook_secret = "0123456789abcdef",
	                               .max_attempts = 2};
	struct jg_request r = sample();
	struct jg_delivery *ds;
	size_t n;

	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	assert_int_equal(jg_notify_request(f->st, &cfg, f->p,
	                                   JG_NOTICE_PENDING, &r, 100),
	                 JG_OK);
	assert_int_equal(f->st->ops->commit(f->st), JG_OK);

	assert_int_equal(jg_notify_deliver(f->st, &cfg, 100), 1);
	assert_int_equal(jg_notify_deliver(f->st, &cfg, 101), 0); /* backing off */
	n = queued(f, &ds);
	assert_int_equal(ds[0].attempts, 1);
	assert_string_equal(ds[0].state, "pending");
	assert_int_equal(ds[0].next_at, 102);
	assert_true(ds[0].last_error[0] != '\0');
	clear_all(ds, n);

	assert_int_equal(jg_notify_deliver(f->st, &cfg, 102), 1);
	n = queued(f, &ds);
	assert_string_equal(ds[0].state, "dead");
	assert_int_equal(ds[0].attempts, 2);
	clear_all(ds, n);
	assert_int_equal(jg_notify_deliver(f->st, &cfg, 10000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_known_value),
		cmocka_unit_test(sign_depends_on_every_part),
		cmocka_unit_test(backoff_doubles_and_caps),
		cmocka_unit_test_setup_teardown(
		        pending_goes_to_the_step_once_per_target, setup, teardown),
		cmocka_unit_test_setup_teardown(outcome_goes_to_the_requester_too,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
		        approved_notice_says_when_it_starts, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_without_targets, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(
		        failing_deliveries_back_off_then_die, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
