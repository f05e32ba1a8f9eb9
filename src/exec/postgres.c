/*
 * postgres.c - the `postgres` connector: the approved SQL, run as it is
 * on the target database through libpq, in one transaction.
 *
 *     type: postgres
 *     dsn: "host=db.internal dbname=app user=jitgate_exec"  # no password
 *     password_file: /etc/jitgate/app-db.pass   # or password_env: VAR
 *     # or the whole connection string as a secret: dsn_env / dsn_file
 *     statement_timeout: 30s   # SET LOCAL; default: the timeout
 *     max_rows: 100            # rows kept per statement
 *     timeout: 60s
 *
 * BEGIN, SET LOCAL statement_timeout (and standard_conforming_strings),
 * the payload (it may hold several statements), COMMIT; any error rolls
 * everything back. The payload may not hold transaction control or COPY
 * (pg_sql.c refuses them when the request is made), so the transaction
 * is the connector's alone. What each statement returned is kept as
 * JSON: its command tag and affected rows, or its columns and (bounded)
 * rows as text. This file must never put a password or secret
 * connection string in a message (libpq's own errors are masked by
 * exec.c as well), never retry, never wait past the timeout (the client
 * side cancels the query and drops the connection when the server does
 * not stop), and never say "nothing was committed" unless that is so.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "exec/internal.h"

#define ROWS_DEFAULT 100
#define ROWS_MAX 10000

/* ---- configuration ---- */

/* Exactly one of dsn, dsn_env, dsn_file. */
static int dsn_once(struct jg_cfg *c, yaml_node_t *n, struct pg_conf *pc)
{
	pc->dsn_node = n;
	if (pc->dsn)
		return jg_cfg_fail(c, n, "give exactly one of dsn, dsn_env, "
		                   "dsn_file");
	return 0;
}

int jg_pg_dsn(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct pg_conf *pc = conf;

	return dsn_once(c, n, pc) || jg_cfg_str(c, n, "dsn", 0, &pc->dsn);
}

int jg_pg_dsn_env(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct pg_conf *pc = conf;

	if (dsn_once(c, n, pc))
		return -1;
	pc->dsn_secret = 1;
	return jg_cfg_secret_env(c, n, "dsn_env", &pc->dsn);
}

int jg_pg_dsn_file(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct pg_conf *pc = conf;

	if (dsn_once(c, n, pc))
		return -1;
	pc->dsn_secret = 1;
	return jg_cfg_secret_file(c, n, "dsn_file", &pc->dsn);
}

int jg_pg_password_file(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct pg_conf *pc = conf;

	if (pc->password)
		return jg_cfg_fail(c, n, "give password_file or password_env, "
		                   "not both");
	return jg_cfg_secret_file(c, n, "password_file", &pc->password);
}

int jg_pg_password_env(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct pg_conf *pc = conf;

	if (pc->password)
		return jg_cfg_fail(c, n, "give password_file or password_env, "
		                   "not both");
	return jg_cfg_secret_env(c, n, "password_env", &pc->password);
}

static int load_statement_timeout(struct jg_cfg *c, yaml_node_t *n,
                                  void *conf)
{
	return jg_cfg_duration(c, n, "statement_timeout", JG_EXEC_TIMEOUT_MAX,
	                       &((struct pg_conf *)conf)->statement_timeout);
}

static int load_max_rows(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_int(c, n, "max_rows", 0, ROWS_MAX,
	                  &((struct pg_conf *)conf)->max_rows);
}

static const struct jg_cfg_key keys[] = {
	{"dsn", jg_pg_dsn, 0},
	{"dsn_env", jg_pg_dsn_env, 0},
	{"dsn_file", jg_pg_dsn_file, 0},
	{"password_file", jg_pg_password_file, 0},
	{"password_env", jg_pg_password_env, 0},
	{"statement_timeout", load_statement_timeout, 0},
	{"max_rows", load_max_rows, 0},
};

/*
 * The dsn parses; a plain one holds no password, and the password in a
 * secret one is masked on its own too.
 */
int jg_pg_check_dsn(struct jg_cfg *c, struct pg_conf *pc)
{
	PQconninfoOption *opts = PQconninfoParse(pc->dsn, NULL);
	int has_password = 0, rc = 0;

	if (!opts)
		return jg_cfg_fail(c, pc->dsn_node, "the connection string does "
		                   "not parse (see libpq's connection strings)");
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "password") || !o->val || !*o->val)
			continue;
		has_password = 1;
		if (pc->dsn_secret)
			rc = jg_cfg_remember(c, pc->dsn_node, o->val);
		explicit_bzero(o->val, strlen(o->val));
	}
	PQconninfoFree(opts);
	if (rc)
		return -1;
	if (has_password && !pc->dsn_secret)
		return jg_cfg_fail(c, pc->dsn_node, "dsn holds a password: put "
		                   "it in password_file or password_env (or the "
		                   "whole string in dsn_file or dsn_env)");
	return 0;
}

static int check(struct jg_cfg *c, yaml_node_t *n, struct jg_connector *k)
{
	struct pg_conf *pc = k->conf;

	if (!pc->dsn)
		return jg_cfg_fail(c, n, "give one of dsn, dsn_env, dsn_file");
	if (!pc->max_rows)
		pc->max_rows = ROWS_DEFAULT;
	if (!pc->statement_timeout || pc->statement_timeout > k->timeout)
		pc->statement_timeout = k->timeout;
	k->uses_payload = 1; /* the SQL to run */
	if (k->nslots)
		return jg_cfg_fail(c, n, "internal: postgres takes no params");
	return jg_pg_check_dsn(c, pc);
}

void jg_pg_free_conf(void *conf)
{
	struct pg_conf *pc = conf;

	if (pc->dsn_secret)
		jg_secret_free(pc->dsn);
	else
		free(pc->dsn);
	jg_secret_free(pc->password);
}

/* ---- running ---- */

PGconn *jg_pg_connect(const struct pg_conf *pc, int64_t timeout,
                      struct jg_exec_result *res)
{
	char tmo[24];
	/* defaults first; the dsn overrides them; the password comes last */
	const char *names[] = {"connect_timeout", "application_name",
	                       "client_encoding", "dbname",
	                       pc->password ? "password" : NULL, NULL};
	const char *vals[] = {tmo, "jitgate-exec", "UTF8", pc->dsn,
	                      pc->password, NULL};
	PGconn *conn;

	snprintf(tmo, sizeof(tmo), "%lld",
	         (long long)(timeout < 10 ? timeout : 10));
	conn = PQconnectdbParams(names, vals, 1);
	if (!conn) {
		jg_exec_fail(res, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		jg_exec_fail(res, "cannot connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* One statement that ran without error, as JSON; *used grows by its size. */
static json_t *statement_json(const PGresult *r, long max_rows,
                              size_t limit, size_t *used)
{
	json_t *o = json_pack("{s:s}", "command", PQcmdStatus((PGresult *)r));
	json_t *cols, *rows;
	int nrows = PQntuples(r), ncols = PQnfields(r), kept = 0;

	if (!o || PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (o && *PQcmdTuples((PGresult *)r))
			json_object_set_new(o, "rows_affected", json_integer(
			        strtoll(PQcmdTuples((PGresult *)r), NULL, 10)));
		return o;
	}
	cols = json_array();
	rows = json_array();
	for (int i = 0; i < ncols; i++)
		json_array_append_new(cols, json_string(PQfname(r, i)));
	for (; kept < nrows && kept < max_rows && *used < limit; kept++) {
		json_t *row = json_array();
		for (int i = 0; i < ncols; i++) {
			const char *v = PQgetvalue(r, kept, i);
			json_t *cell = PQgetisnull(r, kept, i) ? json_null()
			               : json_stringn(v, (size_t)PQgetlength(r, kept, i));
			*used += (size_t)PQgetlength(r, kept, i) + 4;
			json_array_append_new(row, cell ? cell
			                                : json_string("?"));
		}
		json_array_append_new(rows, row);
	}
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "row_count", json_integer(nrows));
	json_object_set_new(o, "truncated", json_boolean(kept < nrows));
	return o;
}

/* Ask the server to stop what it runs; the answer is not waited for. */
static void cancel(PGconn *conn)
{
	PGcancel *cc = PQgetCancel(conn);
	char buf[256];

	if (cc) {
		PQcancel(cc, buf, sizeof(buf));
		PQfreeCancel(cc);
	}
}

/*
 * Wait until libpq has a result to hand out, but never past deadline
 * (ms): then the query is cancelled and -1 returned with timed_out set.
 * Checked on every call, busy or not, so no loop of results outlives it.
 */
static int await(PGconn *conn, int64_t deadline, struct jg_exec_result *res)
{
	for (;;) {
		int64_t left = deadline - jg_exec_ms();
		if (left <= 0) {
			cancel(conn);
			res->timed_out = 1;
			return -1;
		}
		if (!PQisBusy(conn))
			return 0;
		struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
		poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (!PQconsumeInput(conn))
			return -1;
	}
}

/*
 * A COPY state the checks let through: COPY FROM STDIN is ended with an
 * error (the server then fails the statement), COPY TO STDOUT cannot be
 * ended without reading it all: -1, and the caller drops the connection.
 */
static int end_copy(PGconn *conn, ExecStatusType st, int failed,
                    struct jg_exec_result *res)
{
	if (!failed)
		jg_exec_fail(res, "COPY is not run by the postgres connector");
	if (st == PGRES_COPY_IN &&
	    PQputCopyEnd(conn, "COPY is not run by jitgate") == 1)
		return 0;
	return -1;
}

/*
 * Send sql and read all its results, until deadline. Those of the
 * statements that ran go into stmts (when not NULL). 0, or -1 with
 * res->error (or timed_out).
 */
static int run_sql(PGconn *conn, const char *sql, int64_t deadline,
                   const struct jg_connector *k, json_t *stmts,
                   struct jg_exec_result *res)
{
	const struct pg_conf *pc = k->conf;
	size_t used = 0;
	int failed = 0;
	PGresult *r;

	if (!PQsendQuery(conn, sql)) {
		jg_exec_fail(res, "%s", PQerrorMessage(conn));
		return -1;
	}
	for (;;) {
		if (await(conn, deadline, res)) {
			if (!res->timed_out)
				jg_exec_fail(res, "%s", PQerrorMessage(conn));
			return -1;
		}
		if (!(r = PQgetResult(conn)))
			break;
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT ||
		    st == PGRES_COPY_BOTH) {
			PQclear(r);
			if (end_copy(conn, st, failed, res))
				return -1;
			failed = 1;
			continue;
		}
		if (!failed && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) {
			if (stmts)
				json_array_append_new(stmts, statement_json(
				        r, pc->max_rows, k->output_limit, &used));
		} else if (!failed) {
			failed = 1;
			jg_exec_fail(res, "%s", PQresultErrorMessage(r));
		}
		PQclear(r);
	}
	return failed ? -1 : 0;
}

/* Cut libpq's trailing newline from the error sentence. */
static void tidy(struct jg_exec_result *res)
{
	size_t n = strlen(res->error);

	while (n && (res->error[n - 1] == '\n' || res->error[n - 1] == ' '))
		res->error[--n] = '\0';
}

/* Is the connector's transaction still open (and so not committed)? */
static int in_transaction(PGconn *conn)
{
	PGTransactionStatusType t = PQtransactionStatus(conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

/* -1, with a timeout's error sentence ending in what came of it. */
static int timed_out(const struct jg_connector *k, struct jg_exec_result *res,
                     const char *outcome)
{
	jg_exec_fail(res, "timed out after %llds: the query was cancelled; %s",
	             (long long)k->timeout, outcome);
	return -1;
}

/*
 * BEGIN, the session settings, the payload, COMMIT: 0 when committed.
 * On -1, res->error says what happened, truthfully: PostgreSQL's error
 * while the transaction is still the connector's (the caller rolls it
 * back), "may have been committed" when the payload ended it, "unknown"
 * when COMMIT got no answer in time.
 */
static int transact(PGconn *conn, const struct jg_connector *k,
                    const char *sql, int64_t deadline, json_t *stmts,
                    struct jg_exec_result *res)
{
	const struct pg_conf *pc = k->conf;
	char begin[160], was[sizeof(res->error)];
	int rc;

	/* standard_conforming_strings: the server splits the payload into
	 * statements as pg_sql.c did when it was checked */
	snprintf(begin, sizeof(begin), "BEGIN; SET LOCAL statement_timeout = "
	         "%lld; SET LOCAL standard_conforming_strings = on",
	         (long long)pc->statement_timeout * 1000);
	if (run_sql(conn, begin, deadline, k, NULL, res))
		return res->timed_out ? timed_out(k, res, "nothing was committed")
		                      : -1;
	rc = run_sql(conn, sql, deadline, k, stmts, res);
	if (res->timed_out)
		return timed_out(k, res, "nothing was committed");
	/* a COMMIT or ROLLBACK the checks should have refused */
	if (PQtransactionStatus(conn) == PQTRANS_IDLE) {
		snprintf(was, sizeof(was), "%s", res->error);
		jg_exec_fail(res, "the payload ended the connector's "
		             "transaction: what ran before that may have been "
		             "committed%s%s", was[0] ? "; then: " : "", was);
		return -1;
	}
	if (rc)
		return -1;
	if (run_sql(conn, "COMMIT", deadline, k, NULL, res)) {
		if (res->timed_out)
			return timed_out(k, res, "whether COMMIT committed is "
			                 "unknown");
		snprintf(was, sizeof(was), "%s", res->error);
		jg_exec_fail(res, "COMMIT failed, nothing was committed: %s", was);
		return -1;
	}
	return 0;
}

static void run(const struct jg_connector *k, const struct jg_exec_input *in,
                struct jg_buf *out, struct jg_exec_result *res)
{
	const struct pg_conf *pc = k->conf;
	int64_t deadline = jg_exec_ms() + k->timeout * 1000;
	json_t *stmts = json_array();
	char *text;
	PGconn *conn = jg_pg_connect(pc, k->timeout, res);
	int rc = conn && stmts ? 0 : -1;

	if (!rc)
		rc = transact(conn, k, in->payload ? in->payload : "", deadline,
		              stmts, res);
	/* an open transaction is rolled back; past the deadline, or with the
	 * connection mid-COPY, closing it does that on the server's side */
	if (rc && conn && !res->timed_out && in_transaction(conn) &&
	    PQstatus(conn) == CONNECTION_OK) {
		struct jg_exec_result ignored = {0};
		run_sql(conn, "ROLLBACK", deadline, k, NULL, &ignored);
	}
	res->ok = rc == 0;
	res->exit_code = conn ? (rc == 0 ? 0 : 1) : -1;
	if (stmts && (text = json_dumps(stmts, JSON_COMPACT))) {
		jg_buf_add(out, text, strlen(text));
		free(text);
	}
	json_decref(stmts);
	PQfinish(conn);
	tidy(res);
}

static enum jg_err validate(const struct jg_connector *k, const char *payload,
                            const json_t *params, char *why, size_t whylen)
{
	(void)k;
	(void)params;
	return jg_pg_sql_check(payload ? payload : "", why, whylen);
}

const struct jg_connector_ops jg_pg_ops = {
	.kind = "postgres",
	.conf_size = sizeof(struct pg_conf),
	.keys = keys,
	.nkeys = sizeof(keys) / sizeof(keys[0]),
	.check = check,
	.run = run,
	.validate = validate,
	.free_conf = jg_pg_free_conf,
};
