/*
 * test_exec.c - the connectors (src/exec/): the connectors file with its
 * file:line errors, templates (a param fills one argv element, whatever
 * it holds), the bound payload hash, masking of secrets, output bounds,
 * the environment allow-list, the timeout that kills the process group,
 * and the http host allow-list checked before anything is sent.
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

/* ---- helpers ----------------------------------------------------------- */

static struct jg_connectors *load_ok(const char *yaml)
{
	struct jg_connectors *c = NULL;
	char err[512] = "";
	enum jg_err rc = jg_connectors_parse("c.yaml", yaml, strlen(yaml), &c,
	                                     err, sizeof(err));
	if (rc != JG_OK)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, JG_OK);
	assert_non_null(c);
	return c;
}

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

/* Run the connector of resource r (action "run") with params. */
static void run(const struct jg_connectors *cs, const char *r,
                const char *payload, json_t *params,
                struct jg_exec_result *res)
{
	const struct jg_connector *k = jg_connector_find(cs, r, "run");
	struct jg_exec_input in = {.request_id = "req_t", .requester = "alice",
	                           .resource = r, .action = "run",
	                           .payload = payload, .params = params};
	assert_non_null(k);
	jg_connector_run(k, &in, res);
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

/* ---- the postgres connector's statement check ------------------------- */

static void pg_refuses(const char *sql, const char *phrase)
{
	char why[512] = "";
	enum jg_err e = jg_pg_sql_check(sql, why, sizeof(why));

	if (e != JG_EINVAL || !strstr(why, phrase))
		print_error("%s\n  got %d \"%s\", want \"%s\"\n", sql, e, why,
		            phrase);
	assert_int_equal(e, JG_EINVAL);
	assert_non_null(strstr(why, phrase));
}

static void pg_accepts(const char *sql)
{
	char why[512] = "";
	enum jg_err e = jg_pg_sql_check(sql, why, sizeof(why));

	if (e != JG_OK)
		print_error("%s\n  refused: %s\n", sql, why);
	assert_int_equal(e, JG_OK);
}

static void pg_transaction_control_and_copy_are_refused(void **state)
{
	(void)state;
	pg_refuses("COMMIT", "statement 1 is COMMIT");
	pg_refuses("update t set n = 1; commit; update t set n = 2",
	           "statement 2 is COMMIT");
	pg_refuses("SELECT 1;\n  -- note\n  Begin", "statement 2 is BEGIN");
	pg_refuses("start transaction", "statement 1 is START");
	pg_refuses("SELECT 1; END", "statement 2 is END");
	pg_refuses("rollback", "ROLLBACK");
	pg_refuses("ROLLBACK PREPARED 'x'", "ROLLBACK");
	pg_refuses("COMMIT PREPARED 'x'", "COMMIT");
	pg_refuses("abort", "ABORT");
	pg_refuses("SAVEPOINT a", "SAVEPOINT");
	pg_refuses("RELEASE SAVEPOINT a", "RELEASE");
	pg_refuses("PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION");
	pg_refuses("/* c */ COPY t FROM STDIN", "statement 1 is COPY");
	pg_refuses("SELECT 1;copy t to stdout", "statement 2 is COPY");
	pg_refuses("SELECT 1;;;COMMIT", "statement 2 is COMMIT");
	/* a string ends where PostgreSQL ends it */
	pg_refuses("SELECT 'it''s'; COMMIT", "statement 2 is COMMIT");
	pg_refuses("SELECT 'a\\'; COMMIT; --'", "statement 2 is COMMIT");
	pg_refuses("SELECT E'\\\\'; COMMIT; --'", "statement 2 is COMMIT");
	pg_refuses("SELECT 1E'x'; COMMIT", "statement 2 is COMMIT");
	pg_refuses("SELECT $$x$$; COMMIT", "statement 2 is COMMIT");
	pg_refuses("SELECT $a$ $b$ ; $a$; COMMIT", "statement 2 is COMMIT");
	pg_refuses("SELECT x$y$; COMMIT; SELECT $y$", "statement 2 is COMMIT");
	pg_refuses("SELECT $1; COMMIT; SELECT $1", "statement 2 is COMMIT");
	pg_refuses("SELECT \"a\"\"b\"; COMMIT", "statement 2 is COMMIT");
	pg_refuses("SELECT 1 /* /* nested */ still */; COMMIT",
	           "statement 2 is COMMIT");
	pg_refuses("SELECT 1 --; \n; COMMIT", "statement 2 is COMMIT");
	/* a BEGIN ATOMIC body is split at its ';': refused, never let through */
	pg_refuses("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC "
	           "SELECT 1; END", "statement 2 is END");
}

static void pg_commit_as_text_is_not_a_statement(void **state)
{
	(void)state;
	pg_accepts("SELECT 'COMMIT; ROLLBACK'");
	pg_accepts("SELECT E'\\'; COMMIT; --'");
	pg_accepts("SELECT 1 -- ; COMMIT");
	pg_accepts("SELECT 1 /* ; COMMIT; /* nested */ ; COPY */");
	pg_accepts("SELECT $$; COMMIT;$$");
	pg_accepts("SELECT $body$ $$; COMMIT; $$ $body$");
	pg_accepts("SELECT 1 AS \"commit\"; SELECT \"x;COMMIT\"");
	pg_accepts("UPDATE t SET commit = 1 WHERE begin = 2");
	pg_accepts("SELECT count(*) FROM copy");
	pg_accepts("DO $$BEGIN UPDATE t SET n = 1; COMMIT; END$$");
	pg_accepts("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS "
	           "$f$ BEGIN ROLLBACK; END $f$; SELECT f()");
	pg_accepts("PREPARE q AS SELECT 1; EXECUTE q");
	pg_accepts("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
	pg_accepts("beginning");
	pg_accepts("");
	pg_accepts(" ; ;\n");
	pg_accepts("SELECT 'unterminated; COMMIT");
}

static void pg_payload_refused_when_the_request_is_made(void **state)
{
	struct jg_connectors *cs = load_ok(
	        "version: 1\nresources:\n  db:\n    type: postgres\n"
	        "    dsn: 'host=127.0.0.1 port=1 dbname=x'\n");
	const struct jg_connector *k = jg_connector_find(cs, "db", "run");
	struct jg_exec_result res;
	char why[512];

	(void)state;
	assert_int_equal(jg_connector_accepts(k, "UPDATE t SET n = 1; COMMIT",
	                                      NULL, why, sizeof(why)),
	                 JG_EINVAL);
	assert_non_null(strstr(why, "statement 2 is COMMIT"));
	assert_int_equal(jg_connector_accepts(k, "SELECT 'COMMIT'", NULL, why,
	                                      sizeof(why)), JG_OK);
	/* and at run time, before connecting (nothing listens on port 1) */
	run(cs, "db", "COPY t FROM STDIN", NULL, &res);
	assert_false(res.ok);
	assert_int_equal(res.exit_code, -1);
	assert_non_null(strstr(res.error, "statement 1 is COPY"));
	jg_exec_result_clear(&res);
	jg_connectors_free(cs);
}

/*
 * Against a real PostgreSQL (JITGATE_TEST_PG, else skipped), with the
 * request-time check bypassed (jg_pg_ops.run called directly): a COPY
 * still ends, past it nothing is committed, and a COMMIT in the payload
 * is reported as what it is, never as "nothing was committed".
 */
static void pg_run_time_copy_ends_and_commit_is_told(void **state)
{
	struct jg_connectors *cs;
	const struct jg_connector *k;
	struct jg_exec_result res;
	struct jg_exec_input in = {.request_id = "req_t", .requester = "alice",
	                           .resource = "db", .action = "run"};
	char sql[256], table[40];
	static const char *const copies[] = {"FROM STDIN", "TO STDOUT"};

	(void)state;
	if (!getenv("JITGATE_TEST_PG") || !*getenv("JITGATE_TEST_PG"))
		skip();
	cs = load_ok("version: 1\nresources:\n  db:\n    type: postgres\n"
	             "    dsn_env: JITGATE_TEST_PG\n    timeout: 5s\n");
	k = jg_connector_find(cs, "db", "run");
	snprintf(table, sizeof(table), "jg_exec_rt_%ld", (long)getpid());
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (n int)", table);
	run(cs, "db", sql, NULL, &res);
	assert_true(res.ok);
	jg_exec_result_clear(&res);
	for (size_t i = 0; i < 2; i++) {
		struct jg_buf out = {.max = 4096};
		char copy[80];
		snprintf(copy, sizeof(copy), "COPY %s %s", table, copies[i]);
		snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (1); %s",
		         table, copy);
		in.payload = sql;
		memset(&res, 0, sizeof(res));
		jg_pg_ops.run(k, &in, &out, &res);
		assert_false(res.ok);
		assert_false(res.timed_out);
		assert_non_null(strstr(res.error, "COPY is not run"));
		jg_buf_free(&out);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	run(cs, "db", sql, NULL, &res);
	assert_non_null(strstr(res.output, "\"rows\":[[\"0\"]]"));
	jg_exec_result_clear(&res);
	{
		struct jg_buf out = {.max = 4096};
		snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (2); COMMIT; "
		         "SELECT 1/0", table);
		in.payload = sql;
		memset(&res, 0, sizeof(res));
		jg_pg_ops.run(k, &in, &out, &res);
		assert_false(res.ok);
		assert_non_null(strstr(res.error, "may have been committed"));
		assert_null(strstr(res.error, "nothing was committed"));
		jg_buf_free(&out);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	run(cs, "db", sql, NULL, &res);
	assert_non_null(strstr(res.output, "\"rows\":[[\"1\"]]"));
	jg_exec_result_clear(&res);
	snprintf(sql, sizeof(sql), "DROP TABLE %s", table);
	run(cs, "db", sql, NULL, &res);
	assert_true(res.ok);
	jg_exec_result_clear(&res);
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
	                                  "%2f", "a%2Fb", "%3f", "%23", "%5c"};
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
	        cmocka_unit_test(pg_transaction_control_and_copy_are_refused),
	        cmocka_unit_test(pg_commit_as_text_is_not_a_statement),
	        cmocka_unit_test(pg_payload_refused_when_the_request_is_made),
	        cmocka_unit_test(pg_run_time_copy_ends_and_commit_is_told),
	        cmocka_unit_test(http_redirects_keep_scheme_host_and_port),
	        cmocka_unit_test(http_path_params_stay_one_segment),
	        cmocka_unit_test(config_errors_name_file_and_line),
	        cmocka_unit_test(secret_never_in_a_message),
	        cmocka_unit_test(example_file_loads),
	        cmocka_unit_test(empty_file_has_no_connectors),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests_name("exec", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
