/*
 * pgcred.c - the `pg_credentials` connector: a temporary PostgreSQL login
 * role for each live grant on the resource, made and dropped here.
 *
 *     type: pg_credentials
 *     dsn: "host=db.internal dbname=app user=jitgate_admin"  # no password
 *     password_file: /etc/jitgate/app-admin.pass  # or password_env, ...
 *     role: app_readwrite        # the role the new login role joins
 *     connection_limit: 2        # optional: CONNECTION LIMIT of each role
 *     timeout: 10s
 *
 * The connection keys and code are postgres.c's (jg_pg_*): the admin
 * role they name needs CREATEROLE (and pg_signal_backend, to end the
 * sessions of a role it drops). The gate (gate/credentials.c) decides
 * when a role is made and when it must go; this file only talks to the
 * target database.
 *
 * The password is never sent as text: it is turned into a SCRAM-SHA-256
 * verifier on this side (PQencryptPasswordConn, as psql's \password
 * does), so neither the server's statement log nor pg_stat_activity ever
 * sees it. Names and literals go through libpq's escaping. This file must
 * never put the password in a message, and never report a role dropped
 * unless DROP ROLE succeeded (or it did not exist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "exec/internal.h"
#include "util/timefmt.h"

struct cred_conf {
	struct pg_conf pg; /* first: the jg_pg_* loaders take conf as one */
	char *role;        /* owned: the role each login role joins */
	long connection_limit; /* 0: none */
};

static int load_role(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_str(c, n, "role", 0, &((struct cred_conf *)conf)->role);
}

static int load_limit(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_int(c, n, "connection_limit", 1, 10000,
	                  &((struct cred_conf *)conf)->connection_limit);
}

static const struct jg_cfg_key keys[] = {
	{"dsn", jg_pg_dsn, 0},
	{"dsn_env", jg_pg_dsn_env, 0},
	{"dsn_file", jg_pg_dsn_file, 0},
	{"password_file", jg_pg_password_file, 0},
	{"password_env", jg_pg_password_env, 0},
	{"role", load_role, 1},
	{"connection_limit", load_limit, 0},
};

static int check(struct jg_cfg *c, yaml_node_t *n, struct jg_connector *k)
{
	struct cred_conf *cc = k->conf;

	if (!cc->pg.dsn)
		return jg_cfg_fail(c, n, "give one of dsn, dsn_env, dsn_file");
	if (k->nslots)
		return jg_cfg_fail(c, n, "internal: pg_credentials takes no "
		                   "params");
	return jg_pg_check_dsn(c, &cc->pg);
}

static void free_conf(void *conf)
{
	struct cred_conf *cc = conf;

	jg_pg_free_conf(&cc->pg);
	free(cc->role);
}

/* It hands out credentials; it has nothing to run. */
static void run(const struct jg_connector *k, const struct jg_exec_input *in,
                struct jg_buf *out, struct jg_exec_result *res)
{
	(void)k;
	(void)in;
	(void)out;
	jg_exec_fail(res, "a pg_credentials connector runs nothing: fetch the "
	             "grant's credentials (jitgate credentials GRANT_ID)");
}

const struct jg_connector_ops jg_pgcred_ops = {
	.kind = "pg_credentials",
	.conf_size = sizeof(struct cred_conf),
	.keys = keys,
	.nkeys = sizeof(keys) / sizeof(keys[0]),
	.check = check,
	.run = run,
	.free_conf = free_conf,
};

/* ---- what the gate calls ---- */

int jg_connector_issues_credentials(const struct jg_connector *k)
{
	return k && k->ops == &jg_pgcred_ops;
}

int jg_pgcred_role_ok(const char *role)
{
	size_t n = strlen(role);

	if (n == 0 || n >= JG_PGCRED_ROLE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((role[i] >= 'a' && role[i] <= 'z') ||
		      (role[i] >= '0' && role[i] <= '9') || role[i] == '_'))
			return 0;
	return 1;
}

/* Connect as the admin; NULL with why. */
static PGconn *admin(const struct jg_connector *k, char *why, size_t whylen)
{
	const struct cred_conf *cc = k->conf;
	struct jg_exec_result res = {0};
	PGconn *conn = jg_pg_connect(&cc->pg, k->timeout, &res);
	size_t n;

	if (!conn) {
		n = strlen(res.error);
		while (n && (res.error[n - 1] == '\n' || res.error[n - 1] == ' '))
			res.error[--n] = '\0';
		snprintf(why, whylen, "the target database: %s", res.error);
	}
	return conn;
}

/* The admin connection for statements about role, after checking that k
 * makes credentials and role is one of ours; NULL with *e and why. */
static PGconn *admin_for(const struct jg_connector *k, const char *role,
                         enum jg_err *e, char *why, size_t whylen)
{
	PGconn *conn;

	if (!jg_connector_issues_credentials(k) || !jg_pgcred_role_ok(role)) {
		snprintf(why, whylen, "internal: not a credentials connector or "
		         "a bad role name");
		*e = JG_EINTERNAL;
		return NULL;
	}
	conn = admin(k, why, whylen);
	*e = conn ? JG_OK : JG_EBUSY;
	return conn;
}

/*
 * Run sql; 0 when it succeeded, else -1 with PostgreSQL's message in why
 * and its SQLSTATE in state (when not NULL).
 */
static int sql(PGconn *conn, const char *q, char state[6], char *why,
               size_t whylen)
{
	PGresult *r = PQexec(conn, q);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
	                    : NULL;
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;

	if (rc) {
		snprintf(why, whylen, "the target database: %s",
		         msg ? msg : PQerrorMessage(conn));
		if (state)
			snprintf(state, 6, "%s", code ? code : "");
	}
	PQclear(r);
	return rc;
}

/* CREATE ROLE ... for role (quoted), the verifier and valid_until. */
static char *create_sql(PGconn *conn, const struct cred_conf *cc,
                        const char *role, const char *verifier,
                        int64_t valid_until)
{
	char until[JG_TIME_LEN], limit[48] = "";
	char *qrole = PQescapeIdentifier(conn, role, strlen(role));
	char *qmember = PQescapeIdentifier(conn, cc->role, strlen(cc->role));
	char *qpw = PQescapeLiteral(conn, verifier, strlen(verifier));
	char *quntil, *q = NULL;
	size_t len;

	jg_time_format(valid_until, until);
	quntil = PQescapeLiteral(conn, until, strlen(until));
	if (cc->connection_limit)
		snprintf(limit, sizeof(limit), " CONNECTION LIMIT %ld",
		         cc->connection_limit);
	if (qrole && qmember && qpw && quntil) {
		len = strlen(qrole) + strlen(qmember) + strlen(qpw) +
		      strlen(quntil) + strlen(limit) + 128;
		if ((q = malloc(len)))
			snprintf(q, len, "CREATE ROLE %s LOGIN PASSWORD %s "
			         "VALID UNTIL %s IN ROLE %s%s",
			         qrole, qpw, quntil, qmember, limit);
	}
	PQfreemem(qrole);
	PQfreemem(qmember);
	PQfreemem(qpw);
	PQfreemem(quntil);
	return q;
}

/* Where the holder connects: the admin connection's host, port, db. */
static void where_of(PGconn *conn, struct jg_pgcred_where *w)
{
	const char *h = PQhost(conn), *p = PQport(conn), *d = PQdb(conn);

	snprintf(w->host, sizeof(w->host), "%s", h && *h ? h : "localhost");
	snprintf(w->port, sizeof(w->port), "%s", p && *p ? p : "5432");
	snprintf(w->dbname, sizeof(w->dbname), "%s", d ? d : "");
}

enum jg_err jg_pgcred_create(const struct jg_connector *k, const char *role,
                             const char *password, int64_t valid_until,
                             struct jg_pgcred_where *where, int *maybe,
                             char *why, size_t whylen)
{
	const struct cred_conf *cc = k->conf;
	PGconn *conn;
	char *verifier, *q;
	enum jg_err e = JG_OK;

	*maybe = 0;
	if (!(conn = admin_for(k, role, &e, why, whylen)))
		return e;
	/* the verifier, never the password, goes over the wire */
	verifier = PQencryptPasswordConn(conn, password, role, "scram-sha-256");
	q = verifier ? create_sql(conn, cc, role, verifier, valid_until) : NULL;
	if (!q) {
		snprintf(why, whylen, "out of memory (or the target database "
		         "cannot make a SCRAM verifier)");
		e = JG_ENOMEM;
	} else if (sql(conn, q, NULL, why, whylen)) {
		e = JG_EBUSY;
		/* an error answer: the statement did nothing; a lost
		 * connection: it may have made the role */
		*maybe = PQstatus(conn) != CONNECTION_OK;
	} else {
		where_of(conn, where);
	}
	if (q) {
		explicit_bzero(q, strlen(q));
		free(q);
	}
	if (verifier) {
		explicit_bzero(verifier, strlen(verifier));
		PQfreemem(verifier);
	}
	PQfinish(conn);
	return e;
}

/*
 * Make role unusable, end its sessions, then drop it. NOLOGIN first, so
 * that no new session starts between the terminations and the drop
 * (DROP ROLE itself leaves open sessions running).
 */
static int drop_steps(PGconn *conn, const char *qrole, const char *lit,
                      char *why, size_t whylen)
{
	char q[512], state[6] = "";

	snprintf(q, sizeof(q), "ALTER ROLE %s NOLOGIN", qrole);
	if (sql(conn, q, state, why, whylen))
		return strcmp(state, "42704") ? -1 : 0; /* undefined: gone */
	snprintf(q, sizeof(q), "SELECT pg_terminate_backend(pid) FROM "
	         "pg_stat_activity WHERE usename = %s", lit);
	if (sql(conn, q, NULL, why, whylen))
		return -1;
	snprintf(q, sizeof(q), "DROP ROLE IF EXISTS %s", qrole);
	if (!sql(conn, q, state, why, whylen))
		return 0;
	if (strcmp(state, "2BP01"))
		return -1;
	/* it owns something here: hand it to us (REASSIGN needs us to be a
	 * member of it, which CREATEROLE may grant), drop its privileges,
	 * then the role; what it made is kept, now ours */
	snprintf(q, sizeof(q), "GRANT %s TO CURRENT_USER; REASSIGN OWNED BY "
	         "%s TO CURRENT_USER; DROP OWNED BY %s; DROP ROLE IF EXISTS %s",
	         qrole, qrole, qrole, qrole);
	return sql(conn, q, NULL, why, whylen);
}

enum jg_err jg_pgcred_drop(const struct jg_connector *k, const char *role,
                           char *why, size_t whylen)
{
	PGconn *conn;
	char *qrole, *lit;
	enum jg_err e = JG_OK;

	if (!(conn = admin_for(k, role, &e, why, whylen)))
		return e;
	qrole = PQescapeIdentifier(conn, role, strlen(role));
	lit = PQescapeLiteral(conn, role, strlen(role));
	if (!qrole || !lit) {
		snprintf(why, whylen, "out of memory");
		e = JG_ENOMEM;
	} else if (drop_steps(conn, qrole, lit, why, whylen)) {
		e = JG_EBUSY;
	}
	PQfreemem(qrole);
	PQfreemem(lit);
	PQfinish(conn);
	return e;
}

enum jg_err jg_pgcred_valid_until(const struct jg_connector *k,
                                  const char *role, int64_t valid_until,
                                  char *why, size_t whylen)
{
	char until[JG_TIME_LEN], q[256];
	char *qrole = NULL, *quntil = NULL;
	PGconn *conn;
	enum jg_err e = JG_OK;

	if (!(conn = admin_for(k, role, &e, why, whylen)))
		return e;
	jg_time_format(valid_until, until);
	qrole = PQescapeIdentifier(conn, role, strlen(role));
	quntil = PQescapeLiteral(conn, until, strlen(until));
	if (!qrole || !quntil) {
		snprintf(why, whylen, "out of memory");
		e = JG_ENOMEM;
	} else {
		snprintf(q, sizeof(q), "ALTER ROLE %s VALID UNTIL %s", qrole,
		         quntil);
		if (sql(conn, q, NULL, why, whylen))
			e = JG_EBUSY;
	}
	PQfreemem(qrole);
	PQfreemem(quntil);
	PQfinish(conn);
	return e;
}
