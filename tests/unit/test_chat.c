/*
 * test_chat.c - Slack's side of chat approvals (notify/chat.h): the v0
 * signature against Slack's documented example, the time window, replays,
 * the form body and the user table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify/chat.h"

/* Slack's own example ("Verifying requests from Slack"). */
static const char secret[] = "8f742231b10e8888abcd99yyyzzz85a5";
static const char ts[] = "1531420618";
static const char body[] =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain="
        "testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id="
        "U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
        "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J"
        "%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id="
        "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
static const char want[] = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a"
                           "10bd27519666489c69b503";

static void sign_slack_example(void **state)
{
	char sig[68];

	(void)state;
	jg_slack_sign(secret, ts, body, strlen(body), sig);
	assert_string_equal(sig, want);
}

static void verify_window_and_replay(void **state)
{
	struct jg_slack_seen *seen = jg_slack_seen_new();
	int64_t t = 1531420618;
	char why[200], bad[sizeof(want)];

	(void)state;
	assert_non_null(seen);
	/* right, within the window: once */
	assert_int_equal(jg_slack_verify(secret, seen, ts, want, body,
	                                 strlen(body), t + 299, why,
	                                 sizeof(why)), 0);
	assert_int_equal(jg_slack_verify(secret, seen, ts, want, body,
	                                 strlen(body), t + 299, why,
	                                 sizeof(why)), -1);
	assert_non_null(strstr(why, "replay"));
	/* stale and future */
	assert_int_equal(jg_slack_verify(secret, seen, ts, want, body,
	                                 strlen(body), t + 301, why,
	                                 sizeof(why)), -1);
	assert_non_null(strstr(why, "minutes"));
	assert_int_equal(jg_slack_verify(secret, seen, ts, want, body,
	                                 strlen(body), t - 301, why,
	                                 sizeof(why)), -1);
	/* one hex digit off, a cut body, a missing header, no secret */
	memcpy(bad, want, sizeof(want));
	bad[10] = bad[10] == '0' ? '1' : '0';
	assert_int_equal(jg_slack_verify(secret, seen, "1531420619", bad,
	                                 body, strlen(body), t, why,
	                                 sizeof(why)), -1);
	assert_non_null(strstr(why, "does not match"));
	assert_int_equal(jg_slack_verify(secret, seen, ts, want, body,
	                                 strlen(body) - 1, t, why,
	                                 sizeof(why)), -1);
	assert_int_equal(jg_slack_verify(secret, seen, NULL, want, body,
	                                 strlen(body), t, why, sizeof(why)),
	                 -1);
	assert_int_equal(jg_slack_verify(NULL, seen, ts, want, body,
	                                 strlen(body), t, why, sizeof(why)),
	                 -1);
	assert_int_equal(jg_slack_verify(secret, seen, "12x", want, body,
	                                 strlen(body), t, why, sizeof(why)),
	                 -1);
	jg_slack_seen_free(seen);
}

static void form_values(void **state)
{
	const char *f = "a=1&payload=%7B%22x%22%3A+1%7D&b=";
	char *v;

	(void)state;
	v = jg_form_value(f, strlen(f), "payload");
	assert_string_equal(v, "{\"x\": 1}");
	free(v);
	v = jg_form_value(f, strlen(f), "b");
	assert_string_equal(v, "");
	free(v);
	assert_null(jg_form_value(f, strlen(f), "pay"));
	assert_null(jg_form_value("payload=%4", 10, "payload"));  /* cut */
	assert_null(jg_form_value("payload=%00", 11, "payload")); /* NUL */
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void user_table(void **state)
{
	char path[] = "/tmp/jg_chat_users_XXXXXX", why[300];
	struct jg_chat_users *u;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(write_file(path, "# who is who\nU1 alice\n\n"
	                                  "  U2\tbob  # on call\n"), 0);
	assert_int_equal(jg_chat_users_load(path, &u, why, sizeof(why)), 0);
	assert_string_equal(jg_chat_users_find(u, "U1"), "alice");
	assert_string_equal(jg_chat_users_find(u, "U2"), "bob");
	assert_null(jg_chat_users_find(u, "U3"));
	jg_chat_users_free(u);
	/* an id twice, or a line with one word: refused, naming the line */
	assert_int_equal(write_file(path, "U1 alice\nU1 bob\n"), 0);
	assert_int_equal(jg_chat_users_load(path, &u, why, sizeof(why)), -1);
	assert_non_null(strstr(why, ":2:"));
	assert_int_equal(write_file(path, "U1\n"), 0);
	assert_int_equal(jg_chat_users_load(path, &u, why, sizeof(why)), -1);
	unlink(path);
}

static void buttons(void **state)
{
	json_t *a = jg_slack_actions("req_1", "https://jg/#/requests/req_1", 0);
	char *s;

	(void)state;
	s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(strstr(s, "\"action_id\":\"jg_approve\""));
	assert_non_null(strstr(s, "\"action_id\":\"jg_open\""));
	free(s);
	json_decref(a);
	/* step-up: no Approve, only the dashboard */
	a = jg_slack_actions("req_1", "https://jg/#/requests/req_1", 1);
	s = json_dumps(a, JSON_COMPACT);
	assert_null(strstr(s, "jg_approve"));
	assert_non_null(strstr(s, "jg_open"));
	free(s);
	json_decref(a);
	/* step-up without a dashboard URL: no buttons at all */
	assert_null(jg_slack_actions("req_1", "", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_slack_example),
		cmocka_unit_test(verify_window_and_replay),
		cmocka_unit_test(form_values),
		cmocka_unit_test(user_table),
		cmocka_unit_test(buttons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
