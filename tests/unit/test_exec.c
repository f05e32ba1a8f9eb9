/*
 * test_exec.c - the connectors (src/exec/): the connectors file with its
 * file:line errors, templates (a param fills one argv element, whatever
 * it holds), the bound payload hash, masking of secrets and output
 * bounds (a secret cut at the end of what was read never comes back in
 * part),
 * the environment allow-list, the timeout that kills the process group,
 * the http host allow-list checked before anything is sent, redirects
 * kept to one origin, and params that must stay one path segment. The
 * postgres connector's rules are in test_exec_pg.c.
 *
 * Programs run are real (/usr/bin/printf, /usr/bin/env, /bin/sh for the
 * process-group test); no network beyond 127.0.0.1 is used.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "exec/exec.h"
#include "exec/internal.h"
#include "exec_test.h"

/* ---- helpers ----------------------------------------------------------- */

/* The load fails with "c.yaml:LINE: ...phrase..." and no connectors. */
static void load_fails(const char *yaml, int line, const char *phrase)
{
	struct jg_connectors *c = (struct jg_connectors *)&c;
	char err[512] = "", prefix[32];
	enum jg_err rc = jg_connectors_parse("c.yaml", yaml, strlen(yaml), &c,
	                                     err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "c.yaml:%d: ", line);
	if (rc == JG_OK || strncmp(err, prefix, strlen(prefix)) != 0 ||
	    !strstr(err, phrase))
		print_error("got %d \"%s\"\nwant \"%s...%s...\"\n", rc, err,
		            prefix, phrase);
	assert_int_not_equal(rc, JG_OK);
	assert_null(c);
	assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(err, phrase));
}

#define PRINTF_CONN(extra)                                                \
	"version: 1\n"                                                    \
	"resources:\n"                                                    \
	"  box:\n"                                                        \
	"    type: command\n"                                             \
	"    program: /usr/bin/printf\n"                                  \
	"    args: ['[%s]\\n', '{service}', 'literal {{service}', "       \
	"'--id={request_id}']\n" extra

/* ---- templates and the bound payload ----------------------------------- */

static void param_with_shell_metacharacters_is_one_argument(void **state)
{
	struct jg_connectors *cs = load_ok(PRINTF_CONN(""));
	json_t *p = json_pack("{s:s}", "service", "a; rm -rf / $(id) `id` | x");
	struct jg_exec_result res;

	(void)state;
	run(cs, "box", NULL, p, &res);
	assert_true(res.ok);
	assert_int_equal(res.exit_code, 0);
	assert_string_equal(res.output, "[a; rm -rf / $(id) `id` | x]\n"
	                                "[literal {service}]\n"
	                                "[--id=req_t]\n");
	assert_string_equal(res.error, "");
	jg_exec_result_clear(&res);
	json_decref(p);
	jg_connectors_free(cs);
}

static void param_with_newline_and_quotes_stays_one_argument(void **state)
{
	struct jg_connectors *cs = load_ok(PRINTF_CONN(""));
	json_t *p = json_pack("{s:s}", "service", "x\"y' \n--evil");
	struct jg_exec_result res;

	(void)state;
	run(cs, "box", NULL, p, &res);
	assert_true(res.ok);
	assert_string_equal(res.output, "[x\"y' \n--evil]\n[literal {service}]\n"
	                                "[--id=req_t]\n");
	jg_exec_result_clear(&res);
	json_decref(p);
	jg_connectors_free(cs);
}

static void template_escapes(void **state)
{
	json_t *p = json_pack("{s:s,s:s}", "a", "x \"q\"\n&/", "b", "1");
	struct jg_exec_input in = {.request_id = "req_1", .requester = "al",
	                           .resource = "r", .action = "go",
	                           .payload = NULL, .params = p};
	char err[128], *out;

	(void)state;
	assert_int_equal(jg_template_expand("{a}|{b}|{{a}|{ a}|{}|{action}", &in,
	                                    JG_ESC_NONE, &out, err,
	                                    sizeof(err)), 0);
	assert_string_equal(out, "x \"q\"\n&/|1|{a}|{ a}|{}|go");
	free(out);
	assert_int_equal(jg_template_expand("{\"k\": \"{a}\"}", &in, JG_ESC_JSON,
	                                    &out, err, sizeof(err)), 0);
	assert_string_equal(out, "{\"k\": \"x \\\"q\\\"\\n&/\"}");
	free(out);
	assert_int_equal(jg_template_expand("/v1/{a}?b={b}", &in, JG_ESC_URL,
	                                    &out, err, sizeof(err)), 0);
	assert_string_equal(out, "/v1/x%20%22q%22%0A%26%2F?b=1");
	free(out);
	assert_int_equal(jg_template_expand("{missing}", &in, JG_ESC_NONE, &out,
	                                    err, sizeof(err)), -1);
	assert_null(out);
	assert_non_null(strstr(err, "param 'missing' is missing"));
	json_decref(p);
}

static void bound_payload_is_canonical_json(void **state)
{
	json_t *p1 = json_pack("{s:s,s:s}", "b", "2", "a", "1");
	json_t *p2 = json_pack("{s:s,s:s}", "a", "1", "b", "2");
	json_t *bad = json_pack("{s:i}", "a", 1);
	char h1[JG_SHA256_HEX], h2[JG_SHA256_HEX], want[JG_SHA256_HEX];
	char *text = jg_bound_text("SELECT 1;\n", p1);
	const char *canon = "{\"params\":{\"a\":\"1\",\"b\":\"2\"},"
	                    "\"payload\":\"SELECT 1;\\n\"}";

	(void)state;
	assert_string_equal(text, canon);
	free(text);
	jg_sha256_hex(canon, strlen(canon), want);
	assert_int_equal(jg_bound_sha256("SELECT 1;\n", p1, h1), JG_OK);
	assert_int_equal(jg_bound_sha256("SELECT 1;\n", p2, h2), JG_OK);
	assert_string_equal(h1, want);
	assert_string_equal(h1, h2); /* key order does not matter */
	/* any change to payload or a param changes the hash */
	assert_int_equal(jg_bound_sha256("SELECT 2;\n", p1, h2), JG_OK);
	assert_string_not_equal(h1, h2);
	json_object_set_new(p2, "b", json_string("3"));
	assert_int_equal(jg_bound_sha256("SELECT 1;\n", p2, h2), JG_OK);
	assert_string_not_equal(h1, h2);
	text = jg_bound_text(NULL, NULL);
	assert_string_equal(text, "{\"params\":{},\"payload\":null}");
	free(text);
	assert_int_equal(jg_bound_sha256(NULL, bad, h2), JG_EINVAL);
	json_decref(p1);
	json_decref(p2);
	json_decref(bad);
}

static void param_names(void **state)
{
	(void)state;
	assert_true(jg_param_name_valid("service"));
	assert_true(jg_param_name_valid("db_name-2.x"));
	assert_false(jg_param_name_valid(""));
	assert_false(jg_param_name_valid("a b"));
	assert_false(jg_param_name_valid("payload"));
	assert_false(jg_param_name_valid("request_id"));
	assert_false(jg_param_name_valid("x{y}"));
}

static void accepts_exactly_the_slots(void **state)
{
	struct jg_connectors *cs = load_ok(PRINTF_CONN(""));
	const struct jg_connector *k = jg_connector_find(cs, "box", "run");
	json_t *ok = json_pack("{s:s}", "service", "api");
	json_t *extra = json_pack("{s:s,s:s}", "service", "api", "x", "1");
	json_t *none = json_object();
	char why[256];

	(void)state;
	assert_int_equal(jg_connector_accepts(k, NULL, ok, why, sizeof(why)),
	                 JG_OK);
	assert_int_equal(jg_connector_accepts(k, NULL, extra, why, sizeof(why)),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "has no param 'x'"));
	assert_int_equal(jg_connector_accepts(k, NULL, none, why, sizeof(why)),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "needs param 'service'"));
	assert_int_equal(jg_connector_accepts(k, NULL, NULL, why, sizeof(why)),
	                 JG_EINVAL);
	assert_int_equal(jg_connector_accepts(k, "SELECT 1", ok, why,
	                                      sizeof(why)), JG_EINVAL);
	assert_non_null(strstr(why, "takes no payload"));
	json_decref(ok);
	json_decref(extra);
	json_decref(none);
	jg_connectors_free(cs);
}

static void actions_limit_what_a_connector_runs(void **state)
{
	struct jg_connectors *cs = load_ok(PRINTF_CONN("    actions: [run]\n"
	                                               "  other:\n"
	                                               "    type: command\n"
	                                               "    program: /bin/echo\n"));
	(void)state;
	assert_non_null(jg_connector_find(cs, "box", "run"));
	assert_null(jg_connector_find(cs, "box", "drop"));
	assert_non_null(jg_connector_find(cs, "other", "anything"));
	assert_null(jg_connector_find(cs, "nobox", "run"));
	assert_null(jg_connector_find(NULL, "box", "run"));
	assert_string_equal(jg_connector_kind(jg_connector_find(cs, "box",
	                                                        "run")),
	                    "command");
	assert_int_equal(jg_connectors_count(cs), 2);
	jg_connectors_free(cs);
}

/* ---- the command connector --------------------------------------------- */

static void env_is_the_allow_list_and_secrets_are_masked(void **state)
{
	struct jg_connectors *cs;
	struct jg_exec_result res;
	char path[] = "/tmp/jg-exec-secret-XXXXXX", yaml[1024];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "file-s3cret-value\n", 18), 18);
	close(fd);
	setenv("JG_T_PASS", "passed-through", 1);
	setenv("JG_T_HIDDEN", "must-not-appear", 1);
	setenv("JG_T_SECRET", "env-s3cret-value", 1);
	snprintf(yaml, sizeof(yaml),
	         "version: 1\n"
	         "resources:\n"
	         "  box:\n"
	         "    type: command\n"
	         "    program: /usr/bin/env\n"
	         "    env: [JG_T_PASS, JG_T_UNSET]\n"
	         "    set_env: {MODE: fixed}\n"
	         "    secret_env:\n"
	         "      TOKEN: {env: JG_T_SECRET}\n"
	         "      FILE_TOKEN: {file: %s}\n", path);
	cs = load_ok(yaml);
	run(cs, "box", NULL, NULL, &res);
	assert_true(res.ok);
	assert_non_null(strstr(res.output, "JG_T_PASS=passed-through\n"));
	assert_non_null(strstr(res.output, "MODE=fixed\n"));
	assert_non_null(strstr(res.output, "TOKEN=[masked]\n"));
	assert_non_null(strstr(res.output, "FILE_TOKEN=[masked]\n"));
	assert_null(strstr(res.output, "s3cret"));
	assert_null(strstr(res.output, "JG_T_HIDDEN"));
	assert_null(strstr(res.output, "JG_T_UNSET"));
	assert_null(strstr(res.output, "PATH="));
	jg_exec_result_clear(&res);
	jg_connectors_free(cs);
	unlink(path);
}

static void secret_cut_by_the_output_limit_never_leaks(void **state)
{
	struct jg_connectors *cs;
	struct jg_exec_result res;

	(void)state;
	setenv("JG_T_LONG", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1);
	/* the secret starts at byte 8 and the limit is 12 bytes */
	cs = load_ok("version: 1\n"
	             "resources:\n"
	             "  box:\n"
	             "    type: command\n"
	             "    program: /usr/bin/printf\n"
	             "    args: ['1234567-%s-end', '{v}']\n"
	             "    output_limit: 12\n"
	             "    secret_env: {X: {env: JG_T_LONG}}\n");
	json_t *p = json_pack("{s:s}", "v", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	run(cs, "box", NULL, p, &res);
	assert_true(res.ok);
	assert_null(strstr(res.output, "ABCD"));
	assert_non_null(strstr(res.output, "1234567-[mas"));
	assert_non_null(strstr(res.output, "output truncated"));
	jg_exec_result_clear(&res);
	json_decref(p);
	jg_connectors_free(cs);
}

static void output_is_bounded_and_made_utf8(void **state)
{
	struct jg_connectors *cs = load_ok(
	        "version: 1\n"
	        "resources:\n"
	        "  box:\n"
	        "    type: command\n"
	        "    program: /usr/bin/printf\n"
	        "    args: ['ok \\303\\251 bad \\377 nul \\000 end']\n");
	struct jg_exec_result res;

	(void)state;
	run(cs, "box", NULL, NULL, &res);
	assert_true(res.ok);
	assert_string_equal(res.output, "ok \xc3\xa9 bad ? nul ? end");
	jg_exec_result_clear(&res);
	jg_connectors_free(cs);
}

static void nonzero_status_and_workdir(void **state)
{
	struct jg_connectors *cs = load_ok(
	        "version: 1\n"
	        "resources:\n"
	        "  box:\n"
	        "    type: command\n"
	        "    program: /bin/sh\n"
	        "    args: [-c, 'pwd; exit 7']\n"
	        "    workdir: /tmp\n");
	struct jg_exec_result res;

	(void)state;
	run(cs, "box", NULL, NULL, &res);
	assert_false(res.ok);
	assert_false(res.timed_out);
	assert_int_equal(res.exit_code, 7);
	assert_string_equal(res.output, "/tmp\n");
	assert_string_equal(res.error, "exited with status 7");
	jg_exec_result_clear(&res);
	jg_connectors_free(cs);
}

/* 1 when pid is gone or a zombie waiting to be reaped. */
static int dead(long pid)
{
	char path[64], buf[256];
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return 1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

static void timeout_kills_the_process_group(void **state)
{
	struct jg_connectors *cs = load_ok(
	        "version: 1\n"
	        "resources:\n"
	        "  box:\n"
	        "    type: command\n"
	        "    program: /bin/sh\n"
	        "    args: [-c, '/usr/bin/sleep 30 & echo $!; wait']\n"
	        "    timeout: 1s\n");
	struct jg_exec_result res;
	long pid;
	int i;

	(void)state;
	run(cs, "box", NULL, NULL, &res);
	assert_false(res.ok);
	assert_true(res.timed_out);
	assert_int_equal(res.exit_code, 124);
	assert_true(res.duration_ms >= 1000 && res.duration_ms < 5000);
	assert_non_null(strstr(res.error, "timed out after 1s"));
	pid = strtol(res.output, NULL, 10);
	assert_true(pid > 1);
	for (i = 0; i < 50 && !dead(pid); i++)
		usleep(100000);
	assert_true(dead(pid)); /* the background sleep went with the group */
	jg_exec_result_clear(&res);
	jg_connectors_free(cs);
}

/* ---- the http connector ------------------------------------------------ */

static void http_host_outside_allow_list_refused_before_sending(void **state)
{
	struct jg_connectors *cs = load_ok(
	        "version: 1\n"
	        "resources:\n"
	        "  api:\n"
	        "    type: http\n"
	        "    url: 'http://{host}:1/x'\n"
	        "    allow_hosts: [localhost, '*.internal']\n"
	        "    timeout: 2s\n");
	json_t *p = json_pack("{s:s}", "host", "127.0.0.1");
	struct jg_exec_result res;

	(void)state;
	run(cs, "api", NULL, p, &res);
	assert_false(res.ok);
	assert_int_equal(res.exit_code, -1);
	assert_non_null(strstr(res.error, "host '127.0.0.1' is not in "
	                                  "allow_hosts: nothing was sent"));
	jg_exec_result_clear(&res);
	/* case does not matter; a listed host is let through (and then
	 * nothing listens on port 1) */
	json_object_set_new(p, "host", json_string("LOCALHOST"));
	run(cs, "api", NULL, p, &res);
	assert_false(res.ok);
	assert_null(strstr(res.error, "allow_hosts"));
	jg_exec_result_clear(&res);
	/* a subdomain matches "*.internal"; the bare domain does not */
	json_object_set_new(p, "host", json_string("internal"));
	run(cs, "api", NULL, p, &res);
	assert_non_null(strstr(res.error, "not in allow_hosts"));
	jg_exec_result_clear(&res);
	json_decref(p);
	jg_connectors_free(cs);
}

static void http_param_cannot_change_the_host(void **state)
{
	struct jg_connectors *cs = load_ok(
	        "version: 1\n"
	        "resources:\n"
	        "  api:\n"
	        "    type: http\n"
	        "    url: 'http://localhost:1/{p}'\n"
	        "    allow_hosts: [localhost]\n"
	        "    timeout: 2s\n");
	json_t *p = json_pack("{s:s}", "p", "@evil.example/x");
	struct jg_exec_result res;

	(void)state;
	run(cs, "api", NULL, p, &res);
	assert_false(res.ok);
	assert_null(strstr(res.error, "allow_hosts"));
	assert_null(strstr(res.error, "evil"));
	jg_exec_result_clear(&res);
	json_decref(p);
	jg_connectors_free(cs);
}

/*
 * Masking a long secret shortens the text, so bytes from past the limit
 * move into what is returned: a secret cut by the bound at the end of the
 * buffer must not come back in part.
 */
static void secret_cut_at_the_buffer_end_never_leaks(void **state)
{
	struct jg_connectors *cs;
	struct jg_exec_result res;
	json_t *p;

	(void)state;
	setenv("JG_T_LONG2", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 1);
	/* limit 40, buffer 40 + 36: the second copy is cut after "ABCDEFGHIJ" */
	cs = load_ok("version: 1\n"
	             "resources:\n"
	             "  box:\n"
	             "    type: command\n"
	             "    program: /usr/bin/printf\n"
	             "    args: ['%s%s%s', '{v}', '{dashes}', '{v}']\n"
	             "    output_limit: 40\n"
	             "    secret_env: {X: {env: JG_T_LONG2}}\n");
	p = json_pack("{s:s,s:s}", "v", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	              "dashes", "------------------------------");
	run(cs, "box", NULL, p, &res);
	assert_true(res.ok);
	assert_string_equal(res.output, "[masked]------------------------------"
	                                "\n[jitgate: output truncated]");
	jg_exec_result_clear(&res);
	json_decref(p);
	jg_connectors_free(cs);
}

static void secret_tail_is_the_longest_prefix_at_the_end(void **state)
{
	struct jg_connectors *cs;
	const struct jg_connector *k;

	(void)state;
	setenv("JG_T_TAIL", "secret", 1);
	cs = load_ok("version: 1\nresources:\n  box:\n    type: command\n"
	             "    program: /bin/true\n"
	             "    secret_env: {X: {env: JG_T_TAIL}}\n");
	k = jg_connector_find(cs, "box", "run");
	assert_int_equal(jg_exec_secret_tail(k, "xx sec", 6), 3);
	assert_int_equal(jg_exec_secret_tail(k, "xx s", 4), 1);
	assert_int_equal(jg_exec_secret_tail(k, "secre", 5), 5);
	assert_int_equal(jg_exec_secret_tail(k, "xx secret", 9), 0);
	assert_int_equal(jg_exec_secret_tail(k, "xx ecret", 8), 0);
	assert_int_equal(jg_exec_secret_tail(k, "", 0), 0);
	jg_connectors_free(cs);
}

/* ---- http: redirects and params in the path --------------------------- */

static void http_redirects_keep_scheme_host_and_port(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(jg_http_same_origin("http://a.x/p", "http://A.x:80/q",
	                                     why, sizeof(why)), 0);
	assert_int_equal(jg_http_same_origin("https://a.x/p",
	                                     "https://a.x:443/q", why,
	                                     sizeof(why)), 0);
	assert_int_equal(jg_http_same_origin("https://a.x/p", "http://a.x/p",
	                                     why, sizeof(why)), -1);
	assert_string_equal(why, "redirect from https to http refused");
	assert_int_equal(jg_http_same_origin("http://a.x/p", "https://a.x/p",
	                                     why, sizeof(why)), -1);
	assert_string_equal(why, "redirect from http to https refused");
	assert_int_equal(jg_http_same_origin("http://127.0.0.1:8000/",
	                                     "http://127.0.0.1:8001/", why,
	                                     sizeof(why)), -1);
	assert_string_equal(why, "redirect to another port 8001 of "
	                         "'127.0.0.1' refused");
	assert_int_equal(jg_http_same_origin("http://127.0.0.1:8000/",
	                                     "http://127.0.0.2:8000/", why,
	                                     sizeof(why)), -1);
	assert_string_equal(why, "redirect to another host '127.0.0.2' refused");
	assert_int_equal(jg_http_same_origin("http://a.x/", "ftp://a.x/", why,
	                                     sizeof(why)), -1);
}

static void http_path_params_stay_one_segment(void **state)
{
	static const char *const bad[] = {".", "..", "", "a/b", "a\\b", "a?x",
	                                  "a#x", "%2e%2e", "%2E", ".%2e",
	                                  "%2f", "a%2Fb", "%3f", "%23", "%5c",
	                                  "a%00%2f"};
	static const char *const good[] = {"beta", "v1.2", "...", ".hidden",
	                                   "a..b", "on off", "%41"};
	struct jg_connectors *cs = load_ok(
	        "version: 1\nresources:\n  api:\n    type: http\n"
	        "    url: 'http://127.0.0.1:1/flags/{flag}?by={who}'\n"
	        "    allow_hosts: [127.0.0.1]\n");
	const struct jg_connector *k = jg_connector_find(cs, "api", "run");
	json_t *p = json_pack("{s:s,s:s}", "flag", "x", "who", "a/b?c#..");
	char why[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_object_set_new(p, "flag", json_string(bad[i]));
		if (jg_connector_accepts(k, NULL, p, why, sizeof(why)) !=
		    JG_EINVAL)
			print_error("accepted flag '%s'\n", bad[i]);
		assert_int_equal(jg_connector_accepts(k, NULL, p, why,
		                                      sizeof(why)), JG_EINVAL);
		assert_non_null(strstr(why, "param 'flag' may not be"));
	}
	/* the query is escaped and cannot change the path: anything goes */
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_object_set_new(p, "flag", json_string(good[i]));
		if (jg_connector_accepts(k, NULL, p, why, sizeof(why)) != JG_OK)
			print_error("refused flag '%s': %s\n", good[i], why);
		assert_int_equal(jg_connector_accepts(k, NULL, p, why,
		                                      sizeof(why)), JG_OK);
	}
	json_decref(p);
	jg_connectors_free(cs);
}

/* A built-in slot is checked when it runs: a principal may be named "..". */
static void http_builtin_path_slot_checked_at_run_time(void **state)
{
	struct jg_connectors *cs = load_ok(
	        "version: 1\nresources:\n  api:\n    type: http\n"
	        "    url: 'http://127.0.0.1:1/users/{requester}'\n"
	        "    allow_hosts: [127.0.0.1]\n");
	const struct jg_connector *k = jg_connector_find(cs, "api", "run");
	struct jg_exec_input in = {.request_id = "req_t", .requester = "..",
	                           .resource = "api", .action = "run"};
	struct jg_exec_result res;

	(void)state;
	jg_connector_run(k, &in, &res);
	assert_false(res.ok);
	assert_int_equal(res.exit_code, -1);
	assert_non_null(strstr(res.error, "slot 'requester' may not be"));
	jg_exec_result_clear(&res);
	jg_connectors_free(cs);
}

/* ---- the connectors file ----------------------------------------------- */

static void config_errors_name_file_and_line(void **state)
{
	(void)state;
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    program: /bin/echo\n    shell: yes\n",
	           6, "unknown key 'shell' for a command connector");
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    args: [x]\n",
	           4, "missing key 'program'");
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    program: echo\n",
	           5, "must be an absolute path");
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    program: /nonexistent/jg-prog\n",
	           5, "cannot be run");
	load_fails("version: 1\nresources:\n  box:\n    type: ssh\n",
	           4, "type 'ssh' is not one of command, postgres, http");
	load_fails("version: 1\nresources:\n  box:\n    program: /bin/echo\n",
	           4, "missing key 'type'");
	load_fails("version: 1\nresources:\n  db:\n    type: postgres\n"
	           "    dsn: 'host=x password=hunter2'\n",
	           5, "dsn holds a password");
	load_fails("version: 1\nresources:\n  db:\n    type: postgres\n"
	           "    dsn_env: JG_T_NOT_SET_ANYWHERE\n",
	           5, "environment variable JG_T_NOT_SET_ANYWHERE is not set");
	load_fails("version: 1\nresources:\n  db:\n    type: postgres\n"
	           "    dsn: 'dbname=x'\n    dsn_env: X\n",
	           6, "exactly one of dsn");
	load_fails("version: 1\nresources:\n  api:\n    type: http\n"
	           "    url: 'http://x/'\n",
	           4, "missing key 'allow_hosts'");
	load_fails("version: 1\nresources:\n  api:\n    type: http\n"
	           "    url: 'ftp://x/'\n    allow_hosts: [x]\n",
	           5, "must start with http:// or https://");
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    program: /bin/echo\n    secret_env:\n"
	           "      T: {file: /nonexistent/jg-secret}\n",
	           7, "cannot read file /nonexistent/jg-secret");
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    program: /bin/echo\n    timeout: 2h\n",
	           6, "timeout '2h' must be a duration");
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    type: http\n",
	           5, "key 'type' appears twice");
	load_fails("version: 1\nresources:\n  box:\n    type: command\n"
	           "    program: /bin/echo\n  box:\n    type: command\n",
	           6, "key 'box' appears twice");
	load_fails("version: 2\n", 1, "version must be 1");
	load_fails("resources: {}\n", 1, "version must be 1");
	load_fails("version: 1\nresources:\n  box: [\n", 4, "invalid YAML");
	load_fails("version: 1\nextra: 1\n", 2, "unknown key 'extra'");
	load_fails("version: 1\nresources:\n  'bad name':\n    type: command\n",
	           3, "is not a valid name");
}

static void secret_never_in_a_message(void **state)
{
	struct jg_connectors *c = NULL;
	char err[512];

	(void)state;
	setenv("JG_T_DSN", "host=x password=topsecret dbname='unterminated", 1);
	assert_int_not_equal(jg_connectors_parse(
	        "c.yaml",
	        "version: 1\nresources:\n  db:\n    type: postgres\n"
	        "    dsn_env: JG_T_DSN\n", 67, &c, err, sizeof(err)), JG_OK);
	assert_null(c);
	assert_non_null(strstr(err, "c.yaml:5:"));
	assert_null(strstr(err, "topsecret"));
}

/* Run from the repository root, as tests/run does. */
static void example_file_loads(void **state)
{
	struct jg_connectors *cs = NULL;
	char err[512] = "";

	(void)state;
	if (jg_connectors_load("examples/connectors.yaml", &cs, err,
	                       sizeof(err)) != JG_OK)
		print_error("%s\n", err);
	assert_non_null(cs);
	assert_non_null(jg_connector_find(cs, "payments-staging",
	                                  "service.restart"));
	assert_null(jg_connector_find(cs, "payments-staging", "deploy"));
	jg_connectors_free(cs);
	assert_int_equal(jg_connectors_load("/nonexistent/c.yaml", &cs, err,
	                                    sizeof(err)), JG_ENOTFOUND);
	assert_null(cs);
	assert_non_null(strstr(err, "/nonexistent/c.yaml:1: cannot open"));
}

/* pg_credentials: the postgres connection keys, a required role, and it
 * runs nothing; the role names jitgate makes. */
static void pg_credentials_config(void **state)
{
	struct jg_connectors *cs;
	const struct jg_connector *k;
	struct jg_exec_input in = {.request_id = "req_x", .requester = "a",
	                           .resource = "app-db", .action = "db.login"};
	struct jg_exec_result r;

	(void)state;
	load_fails("version: 1\nresources:\n  app-db:\n    type: pg_credentials\n"
	           "    dsn: 'dbname=app'\n",
	           4, "missing key 'role'");
	load_fails("version: 1\nresources:\n  app-db:\n    type: pg_credentials\n"
	           "    dsn: 'dbname=app password=hunter2'\n    role: app_rw\n",
	           5, "dsn holds a password");
	load_fails("version: 1\nresources:\n  app-db:\n    type: pg_credentials\n"
	           "    dsn: 'dbname=app'\n    role: app_rw\n"
	           "    connection_limit: 0\n",
	           7, "connection_limit");
	load_fails("version: 1\nresources:\n  app-db:\n    type: pg_credentials\n"
	           "    role: app_rw\n",
	           4, "give one of dsn, dsn_env, dsn_file");
	cs = load_ok("version: 1\nresources:\n  app-db:\n"
	             "    type: pg_credentials\n    dsn: 'dbname=app'\n"
	             "    role: app_rw\n    connection_limit: 2\n");
	k = jg_connector_find(cs, "app-db", "db.login");
	assert_non_null(k);
	assert_string_equal(jg_connector_kind(k), "pg_credentials");
	assert_true(jg_connector_issues_credentials(k));
	assert_false(jg_connector_issues_credentials(NULL));
	jg_connector_run(k, &in, &r);
	assert_false(r.ok);
	assert_non_null(strstr(r.error, "runs nothing"));
	jg_exec_result_clear(&r);
	jg_connectors_free(cs);

	assert_true(jg_pgcred_role_ok("jg_grt_2hx9v4v0jacpecmcn45n0da2qh"));
	assert_false(jg_pgcred_role_ok(""));
	assert_false(jg_pgcred_role_ok("jg_Grt"));
	assert_false(jg_pgcred_role_ok("jg\"; DROP ROLE x; --"));
	assert_false(jg_pgcred_role_ok(
	        "jg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

static void empty_file_has_no_connectors(void **state)
{
	struct jg_connectors *cs = load_ok("version: 1\n");
	(void)state;
	assert_int_equal(jg_connectors_count(cs), 0);
	assert_null(jg_connector_find(cs, "x", "y"));
	jg_connectors_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(param_with_shell_metacharacters_is_one_argument),
	        cmocka_unit_test(param_with_newline_and_quotes_stays_one_argument),
	        cmocka_unit_test(template_escapes),
	        cmocka_unit_test(bound_payload_is_canonical_json),
	        cmocka_unit_test(param_names),
	        cmocka_unit_test(accepts_exactly_the_slots),
	        cmocka_unit_test(actions_limit_what_a_connector_runs),
	        cmocka_unit_test(env_is_the_allow_list_and_secrets_are_masked),
	        cmocka_unit_test(secret_cut_by_the_output_limit_never_leaks),
	        cmocka_unit_test(output_is_bounded_and_made_utf8),
	        cmocka_unit_test(nonzero_status_and_workdir),
	        cmocka_unit_test(timeout_kills_the_process_group),
	        cmocka_unit_test(http_host_outside_allow_list_refused_before_sending),
	        cmocka_unit_test(http_param_cannot_change_the_host),
	        cmocka_unit_test(secret_cut_at_the_buffer_end_never_leaks),
	        cmocka_unit_test(secret_tail_is_the_longest_prefix_at_the_end),
	        cmocka_unit_test(http_redirects_keep_scheme_host_and_port),
	        cmocka_unit_test(http_path_params_stay_one_segment),
	        cmocka_unit_test(http_builtin_path_slot_checked_at_run_time),
	        cmocka_unit_test(config_errors_name_file_and_line),
	        cmocka_unit_test(secret_never_in_a_message),
	        cmocka_unit_test(example_file_loads),
	        cmocka_unit_test(empty_file_has_no_connectors),
	        cmocka_unit_test(pg_credentials_config),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("exec", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
