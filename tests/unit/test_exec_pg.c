/*
 * test_exec_pg.c - the postgres connector's own rules: the statement check
 * that refuses transaction control and COPY when a request is made
 * (hostile cases: the words inside strings, E-strings, quoted
 * identifiers, dollar quotes and comments), and, against a real
 * PostgreSQL when JITGATE_TEST_PG is set, what a run does when such a
 * payload reaches it all the same.
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

#include "exec/exec.h"
#include "exec/internal.h"
#include "exec_test.h"

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
 * The server reads '...' as the check did, with no backslash escapes,
 * even on a connection whose default says otherwise (options in the
 * connection string: nothing shared with other tests is changed).
 */
static void pg_server_reads_strings_as_the_check_does(void **state)
{
	const char *base = getenv("JITGATE_TEST_PG");
	struct jg_connectors *cs;
	struct jg_exec_result res;
	char url[600];

	(void)state;
	if (!base || !*base)
		skip();
	snprintf(url, sizeof(url), "%s%soptions=-c%%20standard_conforming_"
	         "strings%%3Doff", base, strchr(base, '?') ? "&" : "?");
	setenv("JG_T_PG_SCS_OFF", url, 1);
	cs = load_ok("version: 1\nresources:\n  db:\n    type: postgres\n"
	             "    dsn_env: JG_T_PG_SCS_OFF\n    timeout: 5s\n");
	run(cs, "db", "SELECT current_setting('standard_conforming_strings') "
	    "AS s, 'a\\' AS v, E'b\\'' AS w", NULL, &res);
	if (!res.ok)
		print_error("%s\n", res.error);
	assert_true(res.ok);
	assert_non_null(strstr(res.output,
	                       "\"rows\":[[\"on\",\"a\\\\\",\"b'\"]]"));
	jg_exec_result_clear(&res);
	jg_connectors_free(cs);
}

/*
 * Against a real PostgreSQL (JITGATE_TEST_PG, else skipped), with the
 * request-time check bypassed (jg_pg_ops.run called directly): a COPY
 * still ends, past it nothing is committed, and a COMMIT in the payload
 * is reported as what it is, never as "nothing was committed"; a COMMIT
 * that fails says nothing was.
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
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (n int UNIQUE DEFERRABLE "
	         "INITIALLY DEFERRED)", table);
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
	/* a COMMIT that fails (a deferred constraint) commits nothing */
	snprintf(sql, sizeof(sql), "INSERT INTO %s VALUES (7), (7)", table);
	run(cs, "db", sql, NULL, &res);
	assert_false(res.ok);
	assert_int_equal(res.exit_code, 1);
	assert_non_null(strstr(res.error, "COMMIT failed, nothing was "
	                                  "committed: "));
	assert_non_null(strstr(res.error, "duplicate key"));
	jg_exec_result_clear(&res);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(pg_transaction_control_and_copy_are_refused),
	        cmocka_unit_test(pg_commit_as_text_is_not_a_statement),
	        cmocka_unit_test(pg_payload_refused_when_the_request_is_made),
	        cmocka_unit_test(pg_run_time_copy_ends_and_commit_is_told),
	        cmocka_unit_test(pg_server_reads_strings_as_the_check_does),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
