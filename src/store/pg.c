/*
 * pg.c - the shared store: PostgreSQL through libpq, so that several
 * jitgate servers keep one source of truth.
 *
 * Connections: a small pool. begin() takes one and ties it to the calling
 * thread (a pthread key of this store) until commit() or rollback(); a call
 * made outside a transaction borrows one for that single statement.
 *
 * Transactions: a write transaction runs at READ COMMITTED and first takes
 * a transaction-scoped advisory lock (KEY_WRITE), so write transactions are
 * serialised across every server on the database: audit_last + insert of
 * seq + 1 forms one linear chain, and what a use case read stays true until
 * it commits. audit.seq is the primary key as well, so even a writer that
 * skipped the lock could never fork the chain (its insert finds the seq
 * taken: JG_ECONFLICT). State updates are still conditional on the state
 * read (0 rows: JG_ECONFLICT). A read transaction is REPEATABLE READ READ
 * ONLY: one snapshot, no locks.
 *
 * Durability: the store refuses a server with synchronous_commit or fsync
 * off, since an acknowledged approval must never be lost.
 *
 * This file must never build SQL from values (every value is a $n
 * parameter of PQexecParams) and never print the URL's password.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "store/codec.h"
#include "store/pg.h"

#define POOL_MAX 16    /* connections per server */
#define PARAMS_MAX 32  /* bound values in one statement */
#define WALK_PAGE 1000 /* rows fetched per page by the walks */
#define PG_MIN_VERSION 110000

/* Advisory lock keys in jitgate's database ("jg" 0x6a67, then a number). */
#define KEY_MIGRATE "1785135105" /* 0x6a670001: schema migrations */
#define KEY_WRITE "1785135106"   /* 0x6a670002: every write transaction */

struct pgconn {
	PGconn *conn; /* NULL until first used */
	int busy;     /* taken by a thread */
};

struct pg {
	struct jg_store base; /* first: a struct pg * is a struct jg_store * */
	char *url;            /* owned; may hold a password: never printed */
	char shown[256];      /* url without secrets, for messages */
	pthread_mutex_t lock; /* guards pool[].busy, npool and base.err */
	pthread_cond_t freed;
	pthread_key_t cur;    /* struct pgconn * of this thread's transaction */
	struct pgconn pool[POOL_MAX];
	size_t npool;
};

/* Schema migrations, applied in order; never edit one that has shipped.
 * Same concepts and numbers as sqlite.c, in PostgreSQL's types. */
static const char *const migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE tokens ("
	"  id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE,"
	"  principal TEXT NOT NULL, service INTEGER NOT NULL,"
	"  groups TEXT NOT NULL, roles INTEGER NOT NULL, description TEXT,"
	"  created_by TEXT NOT NULL, created_at BIGINT NOT NULL,"
	"  revoked_at BIGINT NOT NULL DEFAULT 0);"
	"CREATE TABLE requests ("
	"  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  requester TEXT NOT NULL, resource TEXT NOT NULL,"
	"  action TEXT NOT NULL, payload TEXT, payload_sha256 TEXT NOT NULL,"
	"  reason TEXT NOT NULL, ticket TEXT NOT NULL,"
	"  duration BIGINT NOT NULL, rule TEXT NOT NULL,"
	"  steps TEXT NOT NULL, step BIGINT NOT NULL, state TEXT NOT NULL,"
	"  state_reason TEXT NOT NULL, created_at BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL, decided_at BIGINT NOT NULL);"
	"CREATE INDEX requests_pending ON requests(state, expires_at);"
	"CREATE INDEX requests_requester ON requests(requester);"
	"CREATE TABLE request_groups ("
	"  group_name TEXT NOT NULL, request_id TEXT NOT NULL,"
	"  PRIMARY KEY (group_name, request_id));"
	"CREATE TABLE reviews ("
	"  seq BIGINT GENERATED ALWAYS AS IDENTITY,"
	"  request_id TEXT NOT NULL, reviewer TEXT NOT NULL,"
	"  step BIGINT NOT NULL, approve INTEGER NOT NULL, comment TEXT,"
	"  at BIGINT NOT NULL, PRIMARY KEY (request_id, reviewer));"
	"CREATE TABLE grants ("
	"  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  request_id TEXT NOT NULL UNIQUE, principal TEXT NOT NULL,"
	"  resource TEXT NOT NULL, action TEXT NOT NULL,"
	"  payload_sha256 TEXT NOT NULL, not_before BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL, uses_left INTEGER NOT NULL,"
	"  state TEXT NOT NULL, ended_by TEXT NOT NULL,"
	"  end_reason TEXT NOT NULL, created_at BIGINT NOT NULL,"
	"  ended_at BIGINT NOT NULL);"
	"CREATE INDEX grants_live ON grants(principal, resource, action, state);"
	"CREATE INDEX grants_expiry ON grants(state, expires_at);"
	"CREATE TABLE audit ("
	"  seq BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	"  ts BIGINT NOT NULL, actor TEXT NOT NULL, type TEXT NOT NULL,"
	"  subject TEXT NOT NULL, details TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE INDEX audit_subject ON audit(subject);"
	"CREATE INDEX audit_actor ON audit(actor);",
	/* 2: screening, break-glass, extensions */
	"ALTER TABLE requests ADD COLUMN context TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE requests ADD COLUMN screening TEXT NOT NULL DEFAULT '[]';"
	"ALTER TABLE requests ADD COLUMN decision TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE requests ADD COLUMN break_glass INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE requests ADD COLUMN post_review TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE requests ADD COLUMN extends TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE grants ADD COLUMN extensions INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX requests_by_requester ON requests(requester, created_at);"
	"CREATE INDEX requests_by_resource ON requests(resource, created_at);",
	/* 3: dashboard sessions */
	"CREATE TABLE sessions ("
	"  digest TEXT PRIMARY KEY, token_id TEXT NOT NULL,"
	"  csrf TEXT NOT NULL, created_at BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL);",
	/* 4: the notification outbox */
	"CREATE TABLE outbox ("
	"  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	"  target TEXT NOT NULL,"
	"  event TEXT NOT NULL, subject TEXT NOT NULL,"
	"  dedupe TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL,"
	"  next_at BIGINT NOT NULL, created_at BIGINT NOT NULL,"
	"  delivered_at BIGINT NOT NULL, last_error TEXT NOT NULL);"
	"CREATE INDEX outbox_due ON outbox(state, next_at);",
	/* 5: request params, gateway executions, idempotency keys */
	"ALTER TABLE requests ADD COLUMN params TEXT;"
	"CREATE TABLE executions ("
	"  id TEXT PRIMARY KEY, request_id TEXT NOT NULL UNIQUE,"
	"  grant_id TEXT NOT NULL, connector TEXT NOT NULL,"
	"  state TEXT NOT NULL, exit_code INTEGER NOT NULL, output TEXT,"
	"  error TEXT NOT NULL, started_by TEXT NOT NULL,"
	"  started_at BIGINT NOT NULL, deadline_at BIGINT NOT NULL,"
	"  finished_at BIGINT NOT NULL, duration_ms BIGINT NOT NULL);"
	"CREATE INDEX executions_unfinished ON executions(state, deadline_at);"
	"CREATE TABLE request_keys ("
	"  key TEXT PRIMARY KEY, request_id TEXT NOT NULL,"
	"  created_at BIGINT NOT NULL);",
	/* 6: signed audit checkpoints */
	"CREATE TABLE checkpoints ("
	"  seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, ts BIGINT NOT NULL,"
	"  key_id TEXT NOT NULL, sig TEXT NOT NULL);",
	/* 7: token lifetimes and last use */
	/* parenthesised: two literals, one migration (clang asks) */
	("ALTER TABLE tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0,"
	 "  ADD COLUMN last_used_at BIGINT NOT NULL DEFAULT 0;"),
	/* 8: sessions of people signed in at the identity provider */
	("ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'browser',"
	 "  ADD COLUMN principal TEXT NOT NULL DEFAULT '',"
	 "  ADD COLUMN person TEXT NOT NULL DEFAULT '';"
	 "CREATE INDEX sessions_by_principal ON sessions(principal);"),
	/* 9: /metrics counts requests by state and rule (the tally op) from
	 * this index, an index-only scan instead of the table */
	"CREATE INDEX requests_tally ON requests(state, rule);",
	/* 10: scheduled access: when a request's grant starts (0: on
	 * approval) */
	"ALTER TABLE requests ADD COLUMN start_at BIGINT NOT NULL DEFAULT 0;",
	/* 11: OpenSSH certificates issued for grants, for the KRL */
	("CREATE TABLE ssh_certs ("
	 "  serial BIGINT PRIMARY KEY, grant_id TEXT NOT NULL,"
	 "  fingerprint TEXT NOT NULL, valid_before BIGINT NOT NULL,"
	 "  issued_at BIGINT NOT NULL);"
	 "CREATE INDEX ssh_certs_valid ON ssh_certs(valid_before);"),
	/* 12: temporary PostgreSQL roles made for grants (pg_credentials) */
	("CREATE TABLE pgcreds ("
	 "  grant_id TEXT PRIMARY KEY, resource TEXT NOT NULL,"
	 "  role TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL,"
	 "  valid_until BIGINT NOT NULL, dropped_at BIGINT NOT NULL);"
	 "CREATE INDEX pgcreds_open ON pgcreds(dropped_at, created_at);"),
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static struct pg *PG(struct jg_store *st) { return (struct pg *)st; }

/* ---- errors ---- */

/* Record the last error for logs: "pg: WHAT: MSG" without the newline. */
static void set_err(struct pg *p, const char *what, const char *msg)
{
	size_t len;

	pthread_mutex_lock(&p->lock);
	snprintf(p->base.err, sizeof(p->base.err), "postgres: %s: %s", what,
	         msg && *msg ? msg : "unknown error");
	len = strlen(p->base.err);
	while (len && (p->base.err[len - 1] == '\n' ||
	               p->base.err[len - 1] == ' '))
		p->base.err[--len] = '\0';
	pthread_mutex_unlock(&p->lock);
}

/* JG_OK for a successful result, else the error it stands for. */
static enum jg_err result_err(struct pg *p, PGconn *conn, const PGresult *r,
                              const char *what)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *code;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return JG_OK;
	set_err(p, what, r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
	code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (code && strcmp(code, "23505") == 0) /* unique_violation */
		return JG_EDUP;
	if (code && (strcmp(code, "40001") == 0 || /* serialization */
	             strcmp(code, "40P01") == 0))  /* deadlock */
		return JG_ECONFLICT;
	return JG_ESTORE; /* connection loss (08xxx) and everything else */
}

/* ---- bound values ---- */

struct params {
	int n, over;
	const char *v[PARAMS_MAX];
	char num[PARAMS_MAX][24];
};

static void p_str(struct params *ps, const char *s)
{
	if (ps->n == PARAMS_MAX) {
		ps->over = 1;
		return;
	}
	ps->v[ps->n++] = s ? s : "";
}

/* SQL NULL for a NULL or empty string, so "$n IS NULL" filters work. */
static void p_opt(struct params *ps, const char *s)
{
	if (ps->n == PARAMS_MAX) {
		ps->over = 1;
		return;
	}
	ps->v[ps->n++] = s && *s ? s : NULL;
}

static void p_int(struct params *ps, int64_t x)
{
	if (ps->n == PARAMS_MAX) {
		ps->over = 1;
		return;
	}
	snprintf(ps->num[ps->n], sizeof(ps->num[0]), "%lld", (long long)x);
	ps->v[ps->n] = ps->num[ps->n];
	ps->n++;
}

/* ---- columns ---- */

static void col_copy(const PGresult *r, int row, int col, char *dst,
                     size_t size)
{
	snprintf(dst, size, "%s", PQgetvalue(r, row, col));
}

/* malloc'd copy of a column, NULL for SQL NULL; *oom set on failure. */
static char *col_dup(const PGresult *r, int row, int col, int *oom)
{
	char *d;

	if (PQgetisnull(r, row, col))
		return NULL;
	d = strdup(PQgetvalue(r, row, col));
	if (!d)
		*oom = 1;
	return d;
}

static int64_t col_int(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* ---- connections ---- */

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs ("already exists, skipping") are not news */
}

/* One setting's value through SHOW, into out; JG_ESTORE on failure. */
static enum jg_err show(struct pg *p, PGconn *conn, const char *sql,
                        char *out, size_t len)
{
	PGresult *r = PQexec(conn, sql);
	enum jg_err e = result_err(p, conn, r, "settings");

	if (e == JG_OK && PQntuples(r) == 1)
		col_copy(r, 0, 0, out, len);
	else if (e == JG_OK)
		e = JG_ESTORE;
	PQclear(r);
	return e;
}

/* Refuse a server that could lose what it acknowledged, or is too old. */
static enum jg_err check_server(struct pg *p, PGconn *conn)
{
	char v[64] = "";
	enum jg_err e;

	if (PQserverVersion(conn) < PG_MIN_VERSION) {
		set_err(p, "server", "PostgreSQL 11 or newer is required");
		return JG_ESTORE;
	}
	if ((e = show(p, conn, "SHOW synchronous_commit", v, sizeof(v))) !=
	    JG_OK)
		return e;
	if (strcmp(v, "off") == 0) {
		set_err(p, "refusing to start", "synchronous_commit is off, "
		        "so an acknowledged approval could be lost in a "
		        "crash; set synchronous_commit = on for this database "
		        "or role");
		return JG_ESTORE;
	}
	if ((e = show(p, conn, "SHOW fsync", v, sizeof(v))) != JG_OK)
		return e;
	if (strcmp(v, "off") == 0) {
		set_err(p, "refusing to start", "fsync is off on the server, "
		        "so an acknowledged approval could be lost in a crash");
		return JG_ESTORE;
	}
	return JG_OK;
}

/*
 * Session settings: a server that hangs inside a transaction must not
 * hold the write lock for ever, and a writer waits for it only so long.
 */
static enum jg_err session_setup(struct pg *p, PGconn *conn)
{
	PGresult *r = PQexec(conn, "SET lock_timeout = '10s';"
	                           "SET idle_in_transaction_session_timeout"
	                           " = '60s'");
	enum jg_err e = result_err(p, conn, r, "session");
	PQclear(r);
	return e;
}

static enum jg_err connect_new(struct pg *p, PGconn **out)
{
	/* defaults first: anything the URL says overrides them */
	static const char *const keys[] = {"connect_timeout",
	                                   "application_name",
	                                   "client_encoding", "dbname", NULL};
	const char *vals[] = {"10", "jitgate", "UTF8", p->url, NULL};
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	enum jg_err e;

	*out = NULL;
	if (!conn)
		return JG_ENOMEM;
	if (PQstatus(conn) != CONNECTION_OK) {
		set_err(p, "cannot connect", PQerrorMessage(conn));
		PQfinish(conn);
		return JG_ESTORE;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	e = check_server(p, conn);
	if (e == JG_OK)
		e = session_setup(p, conn);
	if (e != JG_OK) {
		PQfinish(conn);
		return e;
	}
	*out = conn;
	return JG_OK;
}

/* Make c usable: connect it the first time, reconnect it once broken. */
static enum jg_err conn_ready(struct pg *p, struct pgconn *c)
{
	if (c->conn && PQstatus(c->conn) == CONNECTION_OK)
		return JG_OK;
	PQfinish(c->conn);
	c->conn = NULL;
	return connect_new(p, &c->conn);
}

static void pool_give(struct pg *p, struct pgconn *c)
{
	pthread_mutex_lock(&p->lock);
	c->busy = 0;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* A free connection, waiting for one when all POOL_MAX are taken. */
static enum jg_err pool_take(struct pg *p, struct pgconn **out)
{
	struct pgconn *c = NULL;
	enum jg_err e;

	pthread_mutex_lock(&p->lock);
	while (!c) {
		for (size_t i = 0; !c && i < p->npool; i++)
			if (!p->pool[i].busy)
				c = &p->pool[i];
		if (!c && p->npool < POOL_MAX)
			c = &p->pool[p->npool++];
		if (!c)
			pthread_cond_wait(&p->freed, &p->lock);
	}
	c->busy = 1;
	pthread_mutex_unlock(&p->lock);
	/* connecting is slow: never under the lock */
	if ((e = conn_ready(p, c)) != JG_OK) {
		pool_give(p, c);
		return e;
	}
	*out = c;
	return JG_OK;
}

/* ---- statements ---- */

static enum jg_err simple(struct pg *p, struct pgconn *c, const char *sql,
                          const char *what)
{
	PGresult *r = PQexec(c->conn, sql);
	enum jg_err e = result_err(p, c->conn, r, what);
	PQclear(r);
	return e;
}

/*
 * Run sql with the values in ps on this thread's transaction, or, outside
 * one, on a connection borrowed for this statement. On success *res (when
 * res is not NULL) is the result, which the caller PQclear()s.
 */
static enum jg_err query(struct pg *p, const char *sql,
                         const struct params *ps, PGresult **res)
{
	struct pgconn *c = pthread_getspecific(p->cur);
	int borrowed = 0;
	PGresult *r;
	enum jg_err e;

	if (res)
		*res = NULL;
	if (ps->over) {
		set_err(p, "query", "too many values for one statement");
		return JG_EINTERNAL;
	}
	if (!c) {
		if ((e = pool_take(p, &c)) != JG_OK)
			return e;
		borrowed = 1;
	}
	r = PQexecParams(c->conn, sql, ps->n, NULL, ps->v, NULL, NULL, 0);
	e = result_err(p, c->conn, r, "query");
	if (borrowed)
		pool_give(p, c);
	if (e == JG_OK && res)
		*res = r;
	else
		PQclear(r);
	return e;
}

/* A write; *changed is the number of rows it touched. */
static enum jg_err write_rows(struct pg *p, const char *sql,
                              const struct params *ps, long *changed)
{
	PGresult *r;
	enum jg_err e = query(p, sql, ps, &r);

	*changed = 0;
	if (e != JG_OK)
		return e;
	*changed = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return JG_OK;
}

/* An INSERT … ON CONFLICT DO NOTHING: a row that exists is JG_EDUP. */
static enum jg_err insert_once(struct pg *p, const char *sql,
                               const struct params *ps)
{
	long n;
	enum jg_err e = write_rows(p, sql, ps, &n);
	return e == JG_OK && n == 0 ? JG_EDUP : e;
}

/* A conditional UPDATE: no row changed is JG_ECONFLICT. */
static enum jg_err update_one(struct pg *p, const char *sql,
                              const struct params *ps)
{
	long n;
	enum jg_err e = write_rows(p, sql, ps, &n);
	return e == JG_OK && n == 0 ? JG_ECONFLICT : e;
}

/* A query of at most one row: JG_ENOTFOUND when there is none. */
static enum jg_err query_one(struct pg *p, const char *sql,
                             const struct params *ps, PGresult **res)
{
	enum jg_err e = query(p, sql, ps, res);

	if (e == JG_OK && PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		return JG_ENOTFOUND;
	}
	return e;
}

/* ---- transactions ---- */

/* Roll back without touching base.err: the error that led here stays. */
static void quiet_rollback(struct pgconn *c)
{
	PQclear(PQexec(c->conn, "ROLLBACK"));
}

static enum jg_err tx_open(struct pg *p, struct pgconn *c, int write)
{
	enum jg_err e;

	if (!write)
		return simple(p, c, "BEGIN ISOLATION LEVEL REPEATABLE READ "
		                    "READ ONLY", "begin");
	e = simple(p, c, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin");
	if (e == JG_OK) {
		e = simple(p, c, "SELECT pg_advisory_xact_lock(" KEY_WRITE ")",
		           "write lock");
		if (e != JG_OK)
			quiet_rollback(c);
	}
	return e;
}

static void unbind(struct pg *p, struct pgconn *c)
{
	pthread_setspecific(p->cur, NULL);
	pool_give(p, c);
}

static enum jg_err pg_begin(struct jg_store *st, int write)
{
	struct pg *p = PG(st);
	struct pgconn *c;
	enum jg_err e;

	if (pthread_getspecific(p->cur)) {
		set_err(p, "begin", "a transaction is already open");
		return JG_EINTERNAL;
	}
	if ((e = pool_take(p, &c)) != JG_OK)
		return e;
	e = tx_open(p, c, write);
	/* a pooled connection the server dropped while idle: once more */
	if (e == JG_ESTORE && PQstatus(c->conn) != CONNECTION_OK &&
	    (e = conn_ready(p, c)) == JG_OK)
		e = tx_open(p, c, write);
	if (e != JG_OK) {
		pool_give(p, c);
		return e;
	}
	pthread_setspecific(p->cur, c);
	return JG_OK;
}

static enum jg_err pg_commit(struct jg_store *st)
{
	struct pg *p = PG(st);
	struct pgconn *c = pthread_getspecific(p->cur);
	PGresult *r;
	enum jg_err e;

	if (!c) {
		set_err(p, "commit", "no transaction is open");
		return JG_EINTERNAL;
	}
	r = PQexec(c->conn, "COMMIT");
	e = result_err(p, c->conn, r, "commit");
	/* COMMIT of a failed transaction answers ROLLBACK */
	if (e == JG_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		set_err(p, "commit", "the transaction had failed and was "
		        "rolled back");
		e = JG_ESTORE;
	}
	PQclear(r);
	unbind(p, c);
	return e;
}

static void pg_rollback(struct jg_store *st)
{
	struct pg *p = PG(st);
	struct pgconn *c = pthread_getspecific(p->cur);

	if (!c)
		return;
	quiet_rollback(c);
	unbind(p, c);
}

/* ---- requests ---- */

#define REQ_FIELDS                                                          \
	"id, requester, resource, action, payload, payload_sha256, reason, " \
	"ticket, duration, rule, steps, step, state, state_reason, "         \
	"created_at, expires_at, decided_at, context, screening, decision, " \
	"break_glass, post_review, extends, params, start_at"
#define REQ_COLS REQ_FIELDS ", seq"
#define REQ_SEQ 25 /* column of seq in REQ_COLS */

static enum jg_err read_request(const PGresult *res, int i,
                                struct jg_request *r)
{
	int oom = 0;

	memset(r, 0, sizeof(*r));
	col_copy(res, i, 0, r->id, sizeof(r->id));
	col_copy(res, i, 1, r->requester, sizeof(r->requester));
	col_copy(res, i, 2, r->resource, sizeof(r->resource));
	col_copy(res, i, 3, r->action, sizeof(r->action));
	r->payload = col_dup(res, i, 4, &oom);
	col_copy(res, i, 5, r->payload_sha256, sizeof(r->payload_sha256));
	r->reason = col_dup(res, i, 6, &oom);
	col_copy(res, i, 7, r->ticket, sizeof(r->ticket));
	r->duration = col_int(res, i, 8);
	col_copy(res, i, 9, r->rule, sizeof(r->rule));
	r->step = (size_t)col_int(res, i, 11);
	col_copy(res, i, 13, r->state_reason, sizeof(r->state_reason));
	r->created_at = col_int(res, i, 14);
	r->expires_at = col_int(res, i, 15);
	r->decided_at = col_int(res, i, 16);
	r->context = col_dup(res, i, 17, &oom);
	r->screening = col_dup(res, i, 18, &oom);
	col_copy(res, i, 19, r->decision, sizeof(r->decision));
	r->break_glass = (int)col_int(res, i, 20);
	col_copy(res, i, 21, r->post_review, sizeof(r->post_review));
	col_copy(res, i, 22, r->extends, sizeof(r->extends));
	r->params = col_dup(res, i, 23, &oom);
	r->start_at = col_int(res, i, 24);
	if (oom) {
		jg_request_clear(r);
		return JG_ENOMEM;
	}
	if (jg_codec_steps_decode(PQgetvalue(res, i, 10), r->steps,
	                          &r->nsteps) != JG_OK ||
	    jg_req_state_parse(PQgetvalue(res, i, 12), &r->state) != 0) {
		jg_request_clear(r);
		return JG_EINTERNAL;
	}
	return JG_OK;
}

static enum jg_err insert_request_groups(struct pg *p,
                                         const struct jg_request *r)
{
	for (size_t i = 0; i < r->nsteps; i++) {
		struct params ps = {0};
		long n;
		enum jg_err e;

		p_str(&ps, r->steps[i].group);
		p_str(&ps, r->id);
		e = write_rows(p, "INSERT INTO request_groups VALUES ($1, $2)"
		                  " ON CONFLICT DO NOTHING", &ps, &n);
		if (e != JG_OK)
			return e;
	}
	return JG_OK;
}

static void request_params(struct params *ps, const struct jg_request *r,
                           const char *steps)
{
	p_str(ps, r->id);
	p_str(ps, r->requester);
	p_str(ps, r->resource);
	p_str(ps, r->action);
	p_opt(ps, r->payload);
	p_str(ps, r->payload_sha256);
	p_str(ps, r->reason);
	p_str(ps, r->ticket);
	p_int(ps, r->duration);
	p_str(ps, r->rule);
	p_str(ps, steps);
	p_int(ps, (int64_t)r->step);
	p_str(ps, jg_req_state_name(r->state));
	p_str(ps, r->state_reason);
	p_int(ps, r->created_at);
	p_int(ps, r->expires_at);
	p_int(ps, r->decided_at);
	p_str(ps, r->context ? r->context : "{}");
	p_str(ps, r->screening ? r->screening : "[]");
	p_str(ps, r->decision);
	p_int(ps, r->break_glass);
	p_str(ps, r->post_review);
	p_str(ps, r->extends);
	p_opt(ps, r->params);
	p_int(ps, r->start_at);
}

static enum jg_err pg_request_insert(struct jg_store *st,
                                     const struct jg_request *r)
{
	struct pg *p = PG(st);
	char *steps = jg_codec_steps_encode(r->steps, r->nsteps);
	struct params ps = {0};
	enum jg_err e;

	if (!steps)
		return JG_ENOMEM;
	request_params(&ps, r, steps);
	e = insert_once(p, "INSERT INTO requests (" REQ_FIELDS ") VALUES ($1,"
	                   " $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
	                   " $13, $14, $15, $16, $17, $18, $19, $20, $21,"
	                   " $22, $23, $24, $25) ON CONFLICT DO NOTHING", &ps);
	free(steps);
	return e == JG_OK ? insert_request_groups(p, r) : e;
}

static enum jg_err pg_request_update(struct jg_store *st,
                                     const struct jg_request *r,
                                     enum jg_req_state was, size_t was_step)
{
	struct params ps = {0};

	p_str(&ps, jg_req_state_name(r->state));
	p_int(&ps, (int64_t)r->step);
	p_str(&ps, r->state_reason);
	p_int(&ps, r->decided_at);
	p_str(&ps, r->id);
	p_str(&ps, jg_req_state_name(was));
	p_int(&ps, (int64_t)was_step);
	p_str(&ps, r->post_review);
	return update_one(PG(st),
	                  "UPDATE requests SET state = $1, step = $2,"
	                  " state_reason = $3, decided_at = $4,"
	                  " post_review = $8"
	                  " WHERE id = $5 AND state = $6 AND step = $7", &ps);
}

static enum jg_err pg_request_get(struct jg_store *st, const char *id,
                                  struct jg_request *out)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, id);
	e = query_one(PG(st), "SELECT " REQ_COLS " FROM requests WHERE id = $1",
	              &ps, &r);
	if (e == JG_OK) {
		e = read_request(r, 0, out);
		PQclear(r);
	}
	return e;
}

/*
 * Read the rows of a list query whose last column is seq into an array
 * of `size`-byte records. The query asked for limit + 1 rows: when the
 * extra one came, *next is its seq + 1 (cursors are exclusive: seq <
 * cursor), else 0.
 */
typedef enum jg_err (*row_reader)(const PGresult *res, int i, void *rec);

static enum jg_err list_rows(PGresult *res, int limit, int seqcol,
                             row_reader read, size_t size,
                             void (*clear)(void *), void **out, size_t *n,
                             int64_t *next)
{
	int rows = PQntuples(res), count = 0;
	char *arr = calloc((size_t)(limit > 0 ? limit : 1), size);
	enum jg_err e = JG_OK;

	*next = 0;
	if (!arr) {
		PQclear(res);
		return JG_ENOMEM;
	}
	while (count < rows && count < limit) {
		if ((e = read(res, count, arr + (size_t)count * size)) != JG_OK)
			break;
		count++;
	}
	if (e == JG_OK && rows > limit)
		*next = col_int(res, limit, seqcol) + 1;
	PQclear(res);
	if (e != JG_OK) {
		for (int i = 0; i < count; i++)
			clear(arr + (size_t)i * size);
		free(arr);
		return e;
	}
	*out = arr;
	*n = (size_t)count;
	return JG_OK;
}

static enum jg_err read_request_row(const PGresult *res, int i, void *rec)
{
	return read_request(res, i, rec);
}

static void clear_request(void *rec) { jg_request_clear(rec); }

/* JSON array of the viewer's groups; caller frees. */
static char *groups_json(const char *const *groups, size_t n)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(groups[i]));
	text = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return text;
}

static enum jg_err pg_request_list(struct jg_store *st,
                                   const struct jg_filter *f,
                                   struct jg_request **out, size_t *n,
                                   int64_t *next)
{
	struct params ps = {0};
	char *groups = NULL;
	PGresult *res;
	enum jg_err e;

	if (f->viewer &&
	    !(groups = groups_json(f->viewer_groups, f->nviewer_groups)))
		return JG_ENOMEM;
	p_opt(&ps, f->state);
	p_opt(&ps, f->principal);
	p_opt(&ps, f->resource);
	p_int(&ps, f->cursor);
	p_opt(&ps, f->viewer);
	p_str(&ps, groups ? groups : "[]");
	p_int(&ps, f->limit + 1);
	p_int(&ps, f->now);
	p_opt(&ps, f->post_review);
	e = query(PG(st),
	          "SELECT " REQ_COLS " FROM requests"
	          " WHERE ($1::text IS NULL OR (CASE WHEN state = 'pending'"
	          "  AND expires_at <= $8::bigint THEN 'expired'"
	          "  ELSE state END) = $1::text)"
	          " AND ($2::text IS NULL OR requester = $2::text)"
	          " AND ($3::text IS NULL OR resource = $3::text)"
	          " AND ($4::bigint = 0 OR seq < $4::bigint)"
	          " AND ($9::text IS NULL OR post_review = $9::text)"
	          " AND ($5::text IS NULL OR requester = $5::text OR id IN"
	          "  (SELECT request_id FROM request_groups WHERE group_name IN"
	          "   (SELECT json_array_elements_text($6::json))))"
	          " ORDER BY seq DESC LIMIT $7::bigint",
	          &ps, &res);
	free(groups);
	if (e != JG_OK)
		return e;
	return list_rows(res, f->limit, REQ_SEQ, read_request_row,
	                 sizeof(struct jg_request), clear_request,
	                 (void **)out, n, next);
}

/* The ids a query of one id column returns, at most max. */
static enum jg_err ids_rows(struct pg *p, const char *sql,
                            const struct params *ps, char (*ids)[JG_ID_LEN],
                            size_t max, size_t *n)
{
	PGresult *r;
	enum jg_err e;

	*n = 0;
	if ((e = query(p, sql, ps, &r)) != JG_OK)
		return e;
	for (int i = 0; i < PQntuples(r) && *n < max; i++)
		col_copy(r, i, 0, ids[(*n)++], JG_ID_LEN);
	PQclear(r);
	return JG_OK;
}

/*
 * Ids from an overdue query. FOR UPDATE SKIP LOCKED in the SQL: a row
 * that another server's sweeper holds is left to it, so an expiry is
 * recorded once.
 */
static enum jg_err overdue(struct pg *p, const char *sql, int64_t now,
                           char (*ids)[JG_ID_LEN], size_t max, size_t *n)
{
	struct params ps = {0};

	p_int(&ps, now);
	p_int(&ps, (int64_t)max);
	return ids_rows(p, sql, &ps, ids, max, n);
}

static enum jg_err pg_request_overdue(struct jg_store *st, int64_t now,
                                      char (*ids)[JG_ID_LEN], size_t max,
                                      size_t *n)
{
	return overdue(PG(st),
	               "SELECT id FROM requests WHERE state = 'pending'"
	               " AND expires_at <= $1::bigint ORDER BY expires_at"
	               " LIMIT $2::bigint FOR UPDATE SKIP LOCKED",
	               now, ids, max, n);
}

static enum jg_err pg_request_count(struct jg_store *st,
                                    const char *requester,
                                    const char *resource, int64_t since,
                                    size_t *by_requester,
                                    size_t *by_resource)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, requester);
	p_str(&ps, resource);
	p_int(&ps, since);
	e = query_one(PG(st),
	              "SELECT (SELECT count(*) FROM requests WHERE"
	              " requester = $1 AND created_at >= $3::bigint),"
	              " (SELECT count(*) FROM requests WHERE resource = $2"
	              " AND created_at >= $3::bigint)",
	              &ps, &r);
	if (e == JG_OK) {
		*by_requester = (size_t)col_int(r, 0, 0);
		*by_resource = (size_t)col_int(r, 0, 1);
		PQclear(r);
	}
	return e;
}

static enum jg_err pg_tally(struct jg_store *st, jg_tally_fn fn, void *ctx)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e = query(PG(st), JG_CODEC_TALLY_SQL, &ps, &r);

	if (e != JG_OK)
		return e;
	for (int i = 0; i < PQntuples(r); i++)
		fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		   PQgetvalue(r, i, 2), col_int(r, i, 3), col_int(r, i, 4),
		   ctx);
	PQclear(r);
	return JG_OK;
}

/* One page of request_walk: fn for each row; *stop when fn said so. */
static enum jg_err walk_requests_page(PGresult *res, jg_request_fn fn,
                                      void *ctx, int64_t *next, int *stop)
{
	enum jg_err e = JG_OK;

	for (int i = 0; e == JG_OK && !*stop && i < PQntuples(res); i++) {
		struct jg_request r;
		if ((e = read_request(res, i, &r)) != JG_OK)
			break;
		*next = col_int(res, i, REQ_SEQ);
		*stop = fn(&r, ctx);
		jg_request_clear(&r);
	}
	return e;
}

static enum jg_err pg_request_walk(struct jg_store *st, int64_t since,
                                   int64_t after_seq, int limit,
                                   jg_request_fn fn, void *ctx,
                                   int64_t *next)
{
	int64_t left = limit > 0 ? limit : -1;
	enum jg_err e = JG_OK;
	int stop = 0;

	*next = 0;
	/* in pages, so a long history is never one result in memory */
	while (e == JG_OK && !stop && left != 0) {
		int64_t page = left < 0 || left > WALK_PAGE ? WALK_PAGE : left;
		struct params ps = {0};
		PGresult *res;
		int rows;

		p_int(&ps, since);
		p_int(&ps, *next ? *next : after_seq);
		p_int(&ps, page);
		e = query(PG(st), "SELECT " REQ_COLS " FROM requests"
		                  " WHERE created_at >= $1::bigint"
		                  " AND seq > $2::bigint ORDER BY seq"
		                  " LIMIT $3::bigint", &ps, &res);
		if (e != JG_OK)
			break;
		rows = PQntuples(res);
		e = walk_requests_page(res, fn, ctx, next, &stop);
		PQclear(res);
		if (rows < page)
			break;
		if (left > 0)
			left -= rows;
	}
	return e;
}

/* ---- reviews ---- */

static enum jg_err pg_review_insert(struct jg_store *st, const char *req_id,
                                    const struct jg_review *rv)
{
	struct params ps = {0};

	p_str(&ps, req_id);
	p_str(&ps, rv->reviewer);
	p_int(&ps, (int64_t)rv->step);
	p_int(&ps, rv->approve);
	p_opt(&ps, rv->comment);
	p_int(&ps, rv->at);
	return insert_once(PG(st),
	                   "INSERT INTO reviews (request_id, reviewer, step,"
	                   " approve, comment, at) VALUES ($1, $2, $3, $4, $5,"
	                   " $6) ON CONFLICT DO NOTHING", &ps);
}

static enum jg_err pg_review_list(struct jg_store *st, const char *req_id,
                                  struct jg_review **out, size_t *n)
{
	struct params ps = {0};
	struct jg_review *arr;
	PGresult *r;
	int rows, oom = 0;
	enum jg_err e;

	p_str(&ps, req_id);
	e = query(PG(st), "SELECT reviewer, step, approve, comment, at FROM"
	                  " reviews WHERE request_id = $1 ORDER BY at, seq",
	          &ps, &r);
	if (e != JG_OK)
		return e;
	rows = PQntuples(r);
	arr = calloc(rows ? (size_t)rows : 1, sizeof(*arr));
	for (int i = 0; arr && i < rows; i++) {
		col_copy(r, i, 0, arr[i].reviewer, sizeof(arr[i].reviewer));
		arr[i].step = (size_t)col_int(r, i, 1);
		arr[i].approve = (int)col_int(r, i, 2);
		arr[i].comment = col_dup(r, i, 3, &oom);
		arr[i].at = col_int(r, i, 4);
	}
	PQclear(r);
	if (!arr || oom) {
		for (int i = 0; arr && i < rows; i++)
			jg_review_clear(&arr[i]);
		free(arr);
		return JG_ENOMEM;
	}
	*out = arr;
	*n = (size_t)rows;
	return JG_OK;
}

/* ---- grants ---- */

#define GRANT_FIELDS                                                      \
	"id, request_id, principal, resource, action, payload_sha256, "   \
	"not_before, expires_at, uses_left, state, ended_by, end_reason, " \
	"created_at, ended_at, extensions"
#define GRANT_COLS GRANT_FIELDS ", seq"
#define GRANT_SEQ 15

static enum jg_err read_grant(const PGresult *res, int i, void *rec)
{
	struct jg_grant *g = rec;

	memset(g, 0, sizeof(*g));
	col_copy(res, i, 0, g->id, sizeof(g->id));
	col_copy(res, i, 1, g->request_id, sizeof(g->request_id));
	col_copy(res, i, 2, g->principal, sizeof(g->principal));
	col_copy(res, i, 3, g->resource, sizeof(g->resource));
	col_copy(res, i, 4, g->action, sizeof(g->action));
	col_copy(res, i, 5, g->payload_sha256, sizeof(g->payload_sha256));
	g->not_before = col_int(res, i, 6);
	g->expires_at = col_int(res, i, 7);
	g->uses_left = (int)col_int(res, i, 8);
	col_copy(res, i, 10, g->ended_by, sizeof(g->ended_by));
	col_copy(res, i, 11, g->end_reason, sizeof(g->end_reason));
	g->created_at = col_int(res, i, 12);
	g->ended_at = col_int(res, i, 13);
	g->extensions = (int)col_int(res, i, 14);
	if (jg_grant_state_parse(PQgetvalue(res, i, 9), &g->state) != 0)
		return JG_EINTERNAL;
	return JG_OK;
}

static void clear_grant(void *rec) { (void)rec; }

static enum jg_err pg_grant_insert(struct jg_store *st,
                                   const struct jg_grant *g)
{
	struct params ps = {0};

	p_str(&ps, g->id);
	p_str(&ps, g->request_id);
	p_str(&ps, g->principal);
	p_str(&ps, g->resource);
	p_str(&ps, g->action);
	p_str(&ps, g->payload_sha256);
	p_int(&ps, g->not_before);
	p_int(&ps, g->expires_at);
	p_int(&ps, g->uses_left);
	p_str(&ps, jg_grant_state_name(g->state));
	p_str(&ps, g->ended_by);
	p_str(&ps, g->end_reason);
	p_int(&ps, g->created_at);
	p_int(&ps, g->ended_at);
	p_int(&ps, g->extensions);
	return insert_once(PG(st),
	                   "INSERT INTO grants (" GRANT_FIELDS ") VALUES ($1,"
	                   " $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
	                   " $13, $14, $15) ON CONFLICT DO NOTHING", &ps);
}

static enum jg_err pg_grant_update(struct jg_store *st,
                                   const struct jg_grant *g,
                                   enum jg_grant_state was)
{
	struct params ps = {0};

	p_str(&ps, jg_grant_state_name(g->state));
	p_int(&ps, g->uses_left);
	p_str(&ps, g->ended_by);
	p_str(&ps, g->end_reason);
	p_int(&ps, g->ended_at);
	p_str(&ps, g->id);
	p_str(&ps, jg_grant_state_name(was));
	p_int(&ps, g->expires_at);
	p_int(&ps, g->extensions);
	return update_one(PG(st),
	                  "UPDATE grants SET state = $1, uses_left = $2,"
	                  " ended_by = $3, end_reason = $4, ended_at = $5,"
	                  " expires_at = $8, extensions = $9"
	                  " WHERE id = $6 AND state = $7", &ps);
}

static enum jg_err grant_one(struct pg *p, const char *sql, const char *key,
                             struct jg_grant *out)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, key);
	e = query_one(p, sql, &ps, &r);
	if (e == JG_OK) {
		e = read_grant(r, 0, out);
		PQclear(r);
	}
	return e;
}

static enum jg_err pg_grant_get(struct jg_store *st, const char *id,
                                struct jg_grant *out)
{
	return grant_one(PG(st), "SELECT " GRANT_COLS " FROM grants"
	                         " WHERE id = $1", id, out);
}

static enum jg_err pg_grant_by_request(struct jg_store *st,
                                       const char *req_id,
                                       struct jg_grant *out)
{
	return grant_one(PG(st), "SELECT " GRANT_COLS " FROM grants"
	                         " WHERE request_id = $1", req_id, out);
}

static enum jg_err pg_grant_list(struct jg_store *st,
                                 const struct jg_filter *f,
                                 struct jg_grant **out, size_t *n,
                                 int64_t *next)
{
	struct params ps = {0};
	char *groups = NULL;
	PGresult *res;
	enum jg_err e;

	if (f->viewer &&
	    !(groups = groups_json(f->viewer_groups, f->nviewer_groups)))
		return JG_ENOMEM;
	p_opt(&ps, f->state);
	p_opt(&ps, f->principal);
	p_opt(&ps, f->resource);
	p_int(&ps, f->cursor);
	p_int(&ps, f->limit + 1);
	p_int(&ps, f->now);
	p_opt(&ps, f->viewer);
	p_str(&ps, groups ? groups : "[]");
	e = query(PG(st),
	          "SELECT " GRANT_COLS " FROM grants"
	          " WHERE ($1::text IS NULL OR (CASE WHEN state = 'active'"
	          "  AND expires_at <= $6::bigint THEN 'expired'"
	          "  ELSE state END) = $1::text)"
	          " AND ($2::text IS NULL OR principal = $2::text)"
	          " AND ($3::text IS NULL OR resource = $3::text)"
	          " AND ($4::bigint = 0 OR seq < $4::bigint)"
	          " AND ($7::text IS NULL OR principal = $7::text OR request_id IN"
	          "  (SELECT request_id FROM request_groups WHERE group_name IN"
	          "   (SELECT json_array_elements_text($8::json))))"
	          " ORDER BY seq DESC LIMIT $5::bigint",
	          &ps, &res);
	free(groups);
	if (e != JG_OK)
		return e;
	return list_rows(res, f->limit, GRANT_SEQ, read_grant,
	                 sizeof(struct jg_grant), clear_grant, (void **)out, n,
	                 next);
}

static enum jg_err pg_grant_find_live(struct jg_store *st,
                                      const char *principal,
                                      const char *resource,
                                      const char *action, const char *fit,
                                      int64_t now, struct jg_grant *out)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, principal);
	p_str(&ps, resource);
	p_str(&ps, action);
	p_int(&ps, now);
	p_int(&ps, fit == NULL);
	p_str(&ps, fit ? fit : "");
	e = query_one(PG(st),
	              "SELECT " GRANT_COLS " FROM grants WHERE principal = $1"
	              " AND resource = $2 AND action = $3 AND state = 'active'"
	              " AND not_before <= $4::bigint"
	              " AND expires_at > $4::bigint AND uses_left != 0"
	              " AND ($5::bigint = 1 OR payload_sha256 = ''"
	              "      OR payload_sha256 = $6)"
	              " ORDER BY payload_sha256 = '', expires_at DESC LIMIT 1",
	              &ps, &r);
	if (e == JG_OK) {
		e = read_grant(r, 0, out);
		PQclear(r);
	}
	return e;
}

static enum jg_err pg_grant_overdue(struct jg_store *st, int64_t now,
                                    char (*ids)[JG_ID_LEN], size_t max,
                                    size_t *n)
{
	return overdue(PG(st),
	               "SELECT id FROM grants WHERE state = 'active'"
	               " AND expires_at <= $1::bigint ORDER BY expires_at"
	               " LIMIT $2::bigint FOR UPDATE SKIP LOCKED",
	               now, ids, max, n);
}

static enum jg_err pg_grant_expiring(struct jg_store *st, int64_t now,
                                     int64_t within, char (*ids)[JG_ID_LEN],
                                     size_t max, size_t *n)
{
	struct params ps = {0};

	p_int(&ps, now);
	p_int(&ps, now + within);
	p_int(&ps, (int64_t)max);
	return ids_rows(PG(st), "SELECT id FROM grants WHERE state = 'active'"
	                        " AND expires_at > $1::bigint"
	                        " AND expires_at <= $2::bigint"
	                        " ORDER BY expires_at LIMIT $3::bigint",
	                &ps, ids, max, n);
}

/* ---- audit ---- */

static enum jg_err pg_audit_last(struct jg_store *st, int64_t *seq,
                                 char hash[JG_SHA256_HEX])
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	*seq = 0;
	hash[0] = '\0';
	e = query_one(PG(st), "SELECT seq, hash FROM audit ORDER BY seq DESC"
	                      " LIMIT 1", &ps, &r);
	if (e == JG_OK) {
		*seq = col_int(r, 0, 0);
		col_copy(r, 0, 1, hash, JG_SHA256_HEX);
		PQclear(r);
	}
	return e == JG_ENOTFOUND ? JG_OK : e;
}

static enum jg_err pg_audit_insert(struct jg_store *st,
                                   const struct jg_event *ev)
{
	struct params ps = {0};
	enum jg_err e;

	p_int(&ps, ev->seq);
	p_str(&ps, ev->id);
	p_int(&ps, ev->ts);
	p_str(&ps, ev->actor);
	p_str(&ps, ev->type);
	p_str(&ps, ev->subject);
	p_str(&ps, ev->details);
	p_str(&ps, ev->prev_hash);
	p_str(&ps, ev->hash);
	e = insert_once(PG(st), "INSERT INTO audit (seq, id, ts, actor, type,"
	                        " subject, details, prev_hash, hash) VALUES"
	                        " ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	                        " ON CONFLICT DO NOTHING", &ps);
	/* a taken seq means the chain moved under us: never a dup review */
	return e == JG_EDUP ? JG_ECONFLICT : e;
}

/* One page of audit_walk; details are borrowed from res for the call. */
static void walk_events_page(const PGresult *res, jg_event_fn fn, void *ctx,
                             int64_t *next, int *stop)
{
	for (int i = 0; !*stop && i < PQntuples(res); i++) {
		struct jg_event ev = {0};
		ev.seq = col_int(res, i, 0);
		col_copy(res, i, 1, ev.id, sizeof(ev.id));
		ev.ts = col_int(res, i, 2);
		col_copy(res, i, 3, ev.actor, sizeof(ev.actor));
		col_copy(res, i, 4, ev.type, sizeof(ev.type));
		col_copy(res, i, 5, ev.subject, sizeof(ev.subject));
		ev.details = PQgetvalue(res, i, 6);
		col_copy(res, i, 7, ev.prev_hash, sizeof(ev.prev_hash));
		col_copy(res, i, 8, ev.hash, sizeof(ev.hash));
		*next = ev.seq;
		*stop = fn(&ev, ctx);
	}
}

static enum jg_err pg_audit_walk(struct jg_store *st,
                                 const struct jg_filter *f, jg_event_fn fn,
                                 void *ctx, int64_t *next)
{
	int64_t left = f->limit > 0 ? f->limit : -1, after = f->cursor;
	enum jg_err e = JG_OK;
	int stop = 0;

	*next = 0;
	while (!stop && left != 0) {
		int64_t page = left < 0 || left > WALK_PAGE ? WALK_PAGE : left;
		struct params ps = {0};
		PGresult *res;
		int rows;

		p_int(&ps, after);
		p_opt(&ps, f->actor);
		p_opt(&ps, f->type);
		p_opt(&ps, f->subject);
		p_int(&ps, f->since);
		p_int(&ps, f->until);
		p_int(&ps, page);
		/* two texts, so each walks the primary key its own way */
		e = query(PG(st), f->desc
		          ? "SELECT seq, id, ts, actor, type, subject, details,"
		            " prev_hash, hash FROM audit WHERE ($1::bigint = 0"
		            "  OR seq < $1::bigint)"
		            " AND ($2::text IS NULL OR actor = $2::text)"
		            " AND ($3::text IS NULL OR type = $3::text)"
		            " AND ($4::text IS NULL OR subject = $4::text)"
		            " AND ($5::bigint = 0 OR ts >= $5::bigint)"
		            " AND ($6::bigint = 0 OR ts < $6::bigint)"
		            " ORDER BY seq DESC LIMIT $7::bigint"
		          : "SELECT seq, id, ts, actor, type, subject, details,"
		            " prev_hash, hash FROM audit WHERE seq > $1::bigint"
		            " AND ($2::text IS NULL OR actor = $2::text)"
		            " AND ($3::text IS NULL OR type = $3::text)"
		            " AND ($4::text IS NULL OR subject = $4::text)"
		            " AND ($5::bigint = 0 OR ts >= $5::bigint)"
		            " AND ($6::bigint = 0 OR ts < $6::bigint)"
		            " ORDER BY seq LIMIT $7::bigint", &ps, &res);
		if (e != JG_OK)
			break;
		rows = PQntuples(res);
		walk_events_page(res, fn, ctx, next, &stop);
		PQclear(res);
		if (rows < page)
			break;
		after = *next;
		if (left > 0)
			left -= rows;
	}
	return e;
}

/* ---- tokens ---- */

#define TOKEN_COLS JG_CODEC_TOKEN_COLS

static enum jg_err read_token(const PGresult *r, int i, struct jg_token *t)
{
	memset(t, 0, sizeof(*t));
	col_copy(r, i, 0, t->id, sizeof(t->id));
	col_copy(r, i, 1, t->digest, sizeof(t->digest));
	col_copy(r, i, 2, t->who.name, sizeof(t->who.name));
	t->who.service = (int)col_int(r, i, 3);
	t->who.roles = (int)col_int(r, i, 5);
	col_copy(r, i, 6, t->description, sizeof(t->description));
	col_copy(r, i, 7, t->created_by, sizeof(t->created_by));
	t->created_at = col_int(r, i, 8);
	t->revoked_at = col_int(r, i, 9);
	t->expires_at = col_int(r, i, 10);
	t->last_used_at = col_int(r, i, 11);
	return jg_codec_groups_decode(PQgetvalue(r, i, 4), &t->who);
}

static enum jg_err pg_token_insert(struct jg_store *st,
                                   const struct jg_token *t)
{
	char *groups = jg_codec_groups_encode(&t->who);
	struct params ps = {0};
	enum jg_err e;

	if (!groups)
		return JG_ENOMEM;
	p_str(&ps, t->id);
	p_str(&ps, t->digest);
	p_str(&ps, t->who.name);
	p_int(&ps, t->who.service);
	p_str(&ps, groups);
	p_int(&ps, t->who.roles);
	p_opt(&ps, t->description);
	p_str(&ps, t->created_by);
	p_int(&ps, t->created_at);
	p_int(&ps, t->expires_at);
	e = insert_once(PG(st), "INSERT INTO tokens (" TOKEN_COLS ") VALUES"
	                        " ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10,"
	                        " 0)"
	                        " ON CONFLICT DO NOTHING", &ps);
	free(groups);
	return e;
}

static enum jg_err token_one(struct pg *p, const char *sql, const char *key,
                             struct jg_token *out)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, key);
	e = query_one(p, sql, &ps, &r);
	if (e == JG_OK) {
		e = read_token(r, 0, out);
		PQclear(r);
	}
	return e;
}

static enum jg_err pg_token_by_digest(struct jg_store *st,
                                      const char *digest,
                                      struct jg_token *out)
{
	return token_one(PG(st), "SELECT " TOKEN_COLS " FROM tokens"
	                         " WHERE digest = $1", digest, out);
}

static enum jg_err pg_token_get(struct jg_store *st, const char *id,
                                struct jg_token *out)
{
	return token_one(PG(st), "SELECT " TOKEN_COLS " FROM tokens"
	                         " WHERE id = $1", id, out);
}

static enum jg_err pg_token_list(struct jg_store *st, struct jg_token **out,
                                 size_t *n)
{
	struct params ps = {0};
	struct jg_token *arr;
	PGresult *r;
	int rows;
	enum jg_err e;

	/* COLLATE "C": the same byte order as SQLite, whatever the locale */
	e = query(PG(st), "SELECT " TOKEN_COLS " FROM tokens"
	                  " ORDER BY created_at, id COLLATE \"C\"", &ps, &r);
	if (e != JG_OK)
		return e;
	rows = PQntuples(r);
	arr = calloc(rows ? (size_t)rows : 1, sizeof(*arr));
	for (int i = 0; arr && i < rows; i++)
		read_token(r, i, &arr[i]);
	PQclear(r);
	if (!arr)
		return JG_ENOMEM;
	*out = arr;
	*n = (size_t)rows;
	return JG_OK;
}

static enum jg_err pg_token_revoke(struct jg_store *st, const char *id,
                                   int64_t now)
{
	struct params ps = {0};

	p_int(&ps, now);
	p_str(&ps, id);
	return update_one(PG(st), "UPDATE tokens SET revoked_at = $1"
	                          " WHERE id = $2 AND revoked_at = 0", &ps);
}

static enum jg_err pg_token_touch(struct jg_store *st, const char *id,
                                  int64_t now)
{
	struct params ps = {0};

	p_int(&ps, now);
	p_str(&ps, id);
	p_int(&ps, now - JG_TOKEN_TOUCH_EVERY);
	return update_one(PG(st), "UPDATE tokens SET last_used_at = $1"
	                          " WHERE id = $2 AND last_used_at <= $3", &ps);
}

static enum jg_err pg_token_count(struct jg_store *st, int64_t *n)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	*n = 0;
	e = query_one(PG(st), "SELECT count(*) FROM tokens", &ps, &r);
	if (e == JG_OK) {
		*n = col_int(r, 0, 0);
		PQclear(r);
	}
	return e;
}

/* ---- outbox ---- */

#define OUTBOX_COLS                                                     \
	"id, target, event, subject, dedupe, payload, state, attempts, " \
	"next_at, created_at, delivered_at, last_error"

static enum jg_err read_delivery(const PGresult *r, int i,
                                 struct jg_delivery *d)
{
	int oom = 0;

	memset(d, 0, sizeof(*d));
	d->id = col_int(r, i, 0);
	col_copy(r, i, 1, d->target, sizeof(d->target));
	col_copy(r, i, 2, d->event, sizeof(d->event));
	col_copy(r, i, 3, d->subject, sizeof(d->subject));
	col_copy(r, i, 4, d->dedupe, sizeof(d->dedupe));
	d->payload = col_dup(r, i, 5, &oom);
	col_copy(r, i, 6, d->state, sizeof(d->state));
	d->attempts = (int)col_int(r, i, 7);
	d->next_at = col_int(r, i, 8);
	d->created_at = col_int(r, i, 9);
	d->delivered_at = col_int(r, i, 10);
	col_copy(r, i, 11, d->last_error, sizeof(d->last_error));
	return oom ? JG_ENOMEM : JG_OK;
}

/* Every row of res (cleared here) as a malloc'd array of deliveries. */
static enum jg_err read_deliveries(PGresult *res, struct jg_delivery **out,
                                   size_t *n)
{
	int rows = PQntuples(res), count = 0;
	struct jg_delivery *arr = calloc(rows ? (size_t)rows : 1, sizeof(*arr));
	enum jg_err e = arr ? JG_OK : JG_ENOMEM;

	while (e == JG_OK && count < rows) {
		if ((e = read_delivery(res, count, &arr[count])) != JG_OK)
			break;
		count++;
	}
	PQclear(res);
	if (e != JG_OK) {
		for (int i = 0; arr && i < count; i++)
			jg_delivery_clear(&arr[i]);
		free(arr);
		return e;
	}
	*out = arr;
	*n = (size_t)rows;
	return JG_OK;
}

static enum jg_err pg_outbox_insert(struct jg_store *st,
                                    const struct jg_delivery *d)
{
	struct params ps = {0};

	p_str(&ps, d->target);
	p_str(&ps, d->event);
	p_str(&ps, d->subject);
	p_str(&ps, d->dedupe);
	p_str(&ps, d->payload);
	p_int(&ps, d->created_at);
	return insert_once(PG(st),
	                   "INSERT INTO outbox (target, event, subject, dedupe,"
	                   " payload, state, attempts, next_at, created_at,"
	                   " delivered_at, last_error) VALUES ($1, $2, $3, $4,"
	                   " $5, 'pending', 0, $6, $6, 0, '')"
	                   " ON CONFLICT DO NOTHING", &ps);
}

/*
 * Lease the due deliveries: the rows as they were (next_at before the
 * lease), pushed to now + lease in the same statement. SKIP LOCKED: a
 * delivery another server is leasing right now is left to it.
 */
static enum jg_err pg_outbox_claim(struct jg_store *st, int64_t now,
                                   int64_t lease, size_t max,
                                   struct jg_delivery **out, size_t *n)
{
	struct params ps = {0};
	PGresult *res;
	enum jg_err e;

	*out = NULL;
	*n = 0;
	p_int(&ps, now);
	p_int(&ps, (int64_t)max);
	p_int(&ps, now + lease);
	e = query(PG(st),
	          "WITH due AS (SELECT " OUTBOX_COLS " FROM outbox"
	          "  WHERE state = 'pending' AND next_at <= $1::bigint"
	          "  ORDER BY next_at, id LIMIT $2::bigint"
	          "  FOR UPDATE SKIP LOCKED),"
	          " leased AS (UPDATE outbox SET next_at = $3::bigint"
	          "  WHERE id IN (SELECT id FROM due))"
	          " SELECT " OUTBOX_COLS " FROM due ORDER BY next_at, id",
	          &ps, &res);
	if (e != JG_OK)
		return e;
	return read_deliveries(res, out, n);
}

static enum jg_err pg_outbox_mark(struct jg_store *st,
                                  const struct jg_delivery *d)
{
	struct params ps = {0};

	p_str(&ps, d->state);
	p_int(&ps, d->attempts);
	p_int(&ps, d->next_at);
	p_int(&ps, d->delivered_at);
	p_str(&ps, d->last_error);
	p_int(&ps, d->id);
	return update_one(PG(st), "UPDATE outbox SET state = $1, attempts = $2,"
	                          " next_at = $3, delivered_at = $4,"
	                          " last_error = $5 WHERE id = $6", &ps);
}

static enum jg_err pg_outbox_list(struct jg_store *st, const char *state,
                                  int limit, struct jg_delivery **out,
                                  size_t *n)
{
	struct params ps = {0};
	PGresult *res;
	enum jg_err e;

	p_opt(&ps, state);
	p_int(&ps, limit);
	e = query(PG(st), "SELECT " OUTBOX_COLS " FROM outbox"
	                  " WHERE ($1::text IS NULL OR state = $1::text)"
	                  " ORDER BY id DESC LIMIT $2::bigint", &ps, &res);
	if (e != JG_OK)
		return e;
	return read_deliveries(res, out, n);
}

/* ---- sessions ---- */

static enum jg_err pg_session_insert(struct jg_store *st,
                                     const struct jg_session *ss)
{
	struct params ps = {0};
	char *person = jg_codec_person_encode(ss);
	enum jg_err e;

	if (!person)
		return JG_ENOMEM;
	p_str(&ps, ss->digest);
	p_str(&ps, ss->token_id);
	p_str(&ps, ss->csrf);
	p_int(&ps, ss->created_at);
	p_int(&ps, ss->expires_at);
	p_str(&ps, ss->cli ? "cli" : "browser");
	p_str(&ps, ss->token_id[0] ? "" : ss->who.name);
	p_str(&ps, person);
	e = insert_once(PG(st), "INSERT INTO sessions (" JG_CODEC_SESSION_COLS
	                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	                        " ON CONFLICT DO NOTHING", &ps);
	free(person);
	return e;
}

static enum jg_err pg_session_get(struct jg_store *st, const char *digest,
                                  struct jg_session *out)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, digest);
	memset(out, 0, sizeof(*out));
	e = query_one(PG(st), "SELECT " JG_CODEC_SESSION_COLS
	                      " FROM sessions WHERE digest = $1",
	              &ps, &r);
	if (e != JG_OK)
		return e;
	col_copy(r, 0, 0, out->digest, sizeof(out->digest));
	col_copy(r, 0, 1, out->token_id, sizeof(out->token_id));
	col_copy(r, 0, 2, out->csrf, sizeof(out->csrf));
	out->created_at = col_int(r, 0, 3);
	out->expires_at = col_int(r, 0, 4);
	out->cli = strcmp(PQgetvalue(r, 0, 5), "cli") == 0;
	col_copy(r, 0, 6, out->who.name, sizeof(out->who.name));
	e = jg_codec_person_decode(PQgetvalue(r, 0, 7), out);
	PQclear(r);
	return e;
}

static enum jg_err pg_session_delete(struct jg_store *st, const char *digest,
                                     int64_t now)
{
	struct params ps = {0};
	long n;

	p_str(&ps, digest);
	p_int(&ps, now);
	return write_rows(PG(st), "DELETE FROM sessions WHERE digest = $1"
	                          " OR expires_at <= $2::bigint", &ps, &n);
}

static enum jg_err pg_session_delete_principal(struct jg_store *st,
                                               const char *name, long *n)
{
	struct params ps = {0};

	p_str(&ps, name);
	return write_rows(PG(st), "DELETE FROM sessions WHERE principal = $1"
	                          " AND token_id = ''", &ps, n);
}

/* ---- executions ---- */

#define EXEC_COLS                                                        \
	"id, request_id, grant_id, connector, state, exit_code, output, " \
	"error, started_by, started_at, deadline_at, finished_at, "       \
	"duration_ms"

static enum jg_err read_execution(const PGresult *r, int i,
                                  struct jg_execution *x)
{
	int oom = 0;

	memset(x, 0, sizeof(*x));
	col_copy(r, i, 0, x->id, sizeof(x->id));
	col_copy(r, i, 1, x->request_id, sizeof(x->request_id));
	col_copy(r, i, 2, x->grant_id, sizeof(x->grant_id));
	col_copy(r, i, 3, x->connector, sizeof(x->connector));
	x->exit_code = (int)col_int(r, i, 5);
	x->output = col_dup(r, i, 6, &oom);
	col_copy(r, i, 7, x->error, sizeof(x->error));
	col_copy(r, i, 8, x->started_by, sizeof(x->started_by));
	x->started_at = col_int(r, i, 9);
	x->deadline_at = col_int(r, i, 10);
	x->finished_at = col_int(r, i, 11);
	x->duration_ms = col_int(r, i, 12);
	if (oom) {
		jg_execution_clear(x);
		return JG_ENOMEM;
	}
	if (jg_exec_state_parse(PQgetvalue(r, i, 4), &x->state) != 0) {
		jg_execution_clear(x);
		return JG_EINTERNAL;
	}
	return JG_OK;
}

static enum jg_err pg_execution_insert(struct jg_store *st,
                                       const struct jg_execution *x)
{
	struct params ps = {0};

	p_str(&ps, x->id);
	p_str(&ps, x->request_id);
	p_str(&ps, x->grant_id);
	p_str(&ps, x->connector);
	p_str(&ps, jg_exec_state_name(x->state));
	p_int(&ps, x->exit_code);
	p_opt(&ps, x->output);
	p_str(&ps, x->error);
	p_str(&ps, x->started_by);
	p_int(&ps, x->started_at);
	p_int(&ps, x->deadline_at);
	p_int(&ps, x->finished_at);
	p_int(&ps, x->duration_ms);
	return insert_once(PG(st), "INSERT INTO executions (" EXEC_COLS ")"
	                           " VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
	                           " $9, $10, $11, $12, $13)"
	                           " ON CONFLICT DO NOTHING", &ps);
}

static enum jg_err pg_execution_finish(struct jg_store *st,
                                       const struct jg_execution *x)
{
	struct params ps = {0};

	p_str(&ps, jg_exec_state_name(x->state));
	p_int(&ps, x->exit_code);
	p_opt(&ps, x->output);
	p_str(&ps, x->error);
	p_int(&ps, x->finished_at);
	p_int(&ps, x->duration_ms);
	p_str(&ps, x->request_id);
	p_str(&ps, x->id);
	return update_one(PG(st), "UPDATE executions SET state = $1,"
	                          " exit_code = $2, output = $3, error = $4,"
	                          " finished_at = $5, duration_ms = $6"
	                          " WHERE request_id = $7 AND id = $8"
	                          " AND state = 'started'", &ps);
}

static enum jg_err pg_execution_get(struct jg_store *st, const char *req_id,
                                    struct jg_execution *out)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, req_id);
	e = query_one(PG(st), "SELECT " EXEC_COLS " FROM executions"
	                      " WHERE request_id = $1", &ps, &r);
	if (e == JG_OK) {
		e = read_execution(r, 0, out);
		PQclear(r);
	}
	return e;
}

static enum jg_err pg_execution_unfinished(struct jg_store *st, int64_t now,
                                           char (*ids)[JG_ID_LEN],
                                           size_t max, size_t *n)
{
	return overdue(PG(st),
	               "SELECT request_id FROM executions WHERE"
	               " state = 'started' AND deadline_at <= $1::bigint"
	               " ORDER BY deadline_at LIMIT $2::bigint"
	               " FOR UPDATE SKIP LOCKED",
	               now, ids, max, n);
}

/* ---- idempotency keys ---- */

static enum jg_err pg_request_key_get(struct jg_store *st, const char *key,
                                      char request_id[JG_ID_LEN])
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	p_str(&ps, key);
	e = query_one(PG(st), "SELECT request_id FROM request_keys"
	                      " WHERE key = $1", &ps, &r);
	if (e == JG_OK) {
		col_copy(r, 0, 0, request_id, JG_ID_LEN);
		PQclear(r);
	}
	return e;
}

static enum jg_err pg_request_key_put(struct jg_store *st, const char *key,
                                      const char *request_id, int64_t now)
{
	struct params ps = {0};

	p_str(&ps, key);
	p_str(&ps, request_id);
	p_int(&ps, now);
	return insert_once(PG(st), "INSERT INTO request_keys (key, request_id,"
	                           " created_at) VALUES ($1, $2, $3)"
	                           " ON CONFLICT DO NOTHING", &ps);
}

/* ---- signed checkpoints ---- */

static enum jg_err pg_checkpoint_insert(struct jg_store *st,
                                        const struct jg_checkpoint *cp)
{
	struct params ps = {0};
	long n;

	p_int(&ps, cp->seq);
	p_str(&ps, cp->hash);
	p_int(&ps, cp->ts);
	p_str(&ps, cp->key_id);
	p_str(&ps, cp->sig);
	return write_rows(PG(st), "INSERT INTO checkpoints (seq, hash, ts,"
	                          " key_id, sig) VALUES ($1, $2, $3, $4, $5)"
	                          " ON CONFLICT DO NOTHING", &ps, &n);
}

static enum jg_err pg_checkpoint_list(struct jg_store *st, int64_t after,
                                      struct jg_checkpoint *out, size_t max,
                                      size_t *n)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	*n = 0;
	p_int(&ps, after);
	p_int(&ps, (int64_t)max);
	e = query(PG(st), "SELECT seq, hash, ts, key_id, sig FROM checkpoints"
	                  " WHERE seq > $1 ORDER BY seq LIMIT $2::bigint",
	          &ps, &r);
	for (int i = 0; e == JG_OK && i < PQntuples(r); i++)
		e = jg_codec_checkpoint(col_int(r, i, 0), PQgetvalue(r, i, 1),
		                        col_int(r, i, 2), PQgetvalue(r, i, 3),
		                        PQgetvalue(r, i, 4), &out[(*n)++]);
	if (r)
		PQclear(r);
	return e;
}

/* ---- SSH certificates ---- */

static enum jg_err pg_ssh_cert_insert(struct jg_store *st,
                                      const struct jg_ssh_issued *c)
{
	struct params ps = {0};
	long n;

	p_int(&ps, c->serial);
	p_str(&ps, c->grant_id);
	p_str(&ps, c->fingerprint);
	p_int(&ps, c->valid_before);
	p_int(&ps, c->issued_at);
	return write_rows(PG(st), "INSERT INTO ssh_certs (serial, grant_id,"
	                          " fingerprint, valid_before, issued_at)"
	                          " VALUES ($1, $2, $3, $4, $5)", &ps, &n);
}

static enum jg_err pg_ssh_cert_revoked(struct jg_store *st, int64_t now,
                                       int64_t *out, size_t max, size_t *n)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	*n = 0;
	p_int(&ps, now);
	p_int(&ps, (int64_t)max);
	e = query(PG(st), "SELECT c.serial FROM ssh_certs c JOIN grants g ON"
	                  " g.id = c.grant_id WHERE c.valid_before > $1 AND"
	                  " g.state IN ('revoked', 'completed', 'consumed')"
	                  " ORDER BY c.serial LIMIT $2::bigint", &ps, &r);
	for (int i = 0; e == JG_OK && i < PQntuples(r); i++)
		out[(*n)++] = col_int(r, i, 0);
	if (r)
		PQclear(r);
	return e;
}

/* ---- temporary PostgreSQL roles ---- */

static enum jg_err pg_pgcred_insert(struct jg_store *st,
                                    const struct jg_pgcred *c)
{
	struct params ps = {0};

	p_str(&ps, c->grant_id);
	p_str(&ps, c->resource);
	p_str(&ps, c->role);
	p_int(&ps, c->created_at);
	p_int(&ps, c->valid_until);
	p_int(&ps, c->dropped_at);
	return insert_once(PG(st), "INSERT INTO pgcreds (" JG_CODEC_PGCRED_COLS
	                           ") VALUES ($1, $2, $3, $4, $5, $6)"
	                           " ON CONFLICT DO NOTHING", &ps);
}

static enum jg_err pg_pgcred_open(struct jg_store *st,
                                  const struct jg_pgcred *after,
                                  struct jg_pgcred *out, size_t max, size_t *n)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e;

	*n = 0;
	p_int(&ps, (int64_t)max);
	p_int(&ps, after ? after->created_at : INT64_MIN);
	p_str(&ps, after ? after->grant_id : "");
	/* grant ids are ASCII: COLLATE "C" orders them as SQLite does */
	e = query(PG(st), "SELECT " JG_CODEC_PGCRED_COLS " FROM pgcreds"
	                  " WHERE dropped_at = 0 AND (created_at > $2::bigint"
	                  " OR (created_at = $2::bigint AND grant_id >"
	                  " $3 COLLATE \"C\")) ORDER BY created_at, grant_id"
	                  " COLLATE \"C\" LIMIT $1::bigint", &ps, &r);
	for (int i = 0; e == JG_OK && i < PQntuples(r); i++)
		e = jg_codec_pgcred(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		                    PQgetvalue(r, i, 2), col_int(r, i, 3),
		                    col_int(r, i, 4), col_int(r, i, 5),
		                    &out[(*n)++]);
	if (r)
		PQclear(r);
	return e;
}

static enum jg_err pg_pgcred_drop(struct jg_store *st, const char *grant_id,
                                  int64_t dropped_at)
{
	struct params ps = {0};

	p_str(&ps, grant_id);
	p_int(&ps, dropped_at);
	return update_one(PG(st), "UPDATE pgcreds SET dropped_at = $2::bigint"
	                          " WHERE grant_id = $1 AND dropped_at = 0", &ps);
}

static enum jg_err pg_pgcred_forget(struct jg_store *st, const char *grant_id)
{
	struct params ps = {0};
	long n;

	p_str(&ps, grant_id);
	return write_rows(PG(st), "DELETE FROM pgcreds WHERE grant_id = $1",
	                  &ps, &n);
}

static enum jg_err pg_pgcred_extend(struct jg_store *st, const char *grant_id,
                                    int64_t valid_until)
{
	struct params ps = {0};

	p_str(&ps, grant_id);
	p_int(&ps, valid_until);
	return update_one(PG(st), "UPDATE pgcreds SET valid_until = $2::bigint"
	                          " WHERE grant_id = $1 AND dropped_at = 0", &ps);
}

/* ---- open, migrate, close ---- */

static void pg_close(struct jg_store *st)
{
	struct pg *p = PG(st);

	for (size_t i = 0; i < p->npool; i++)
		PQfinish(p->pool[i].conn);
	if (p->url) {
		explicit_bzero(p->url, strlen(p->url));
		free(p->url);
	}
	pthread_key_delete(p->cur);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static const struct jg_store_ops pg_ops = {
	.name = "postgres",
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.request_insert = pg_request_insert,
	.request_update = pg_request_update,
	.request_get = pg_request_get,
	.request_list = pg_request_list,
	.request_overdue = pg_request_overdue,
	.request_count = pg_request_count,
	.tally = pg_tally,
	.request_walk = pg_request_walk,
	.review_insert = pg_review_insert,
	.review_list = pg_review_list,
	.grant_insert = pg_grant_insert,
	.grant_update = pg_grant_update,
	.grant_get = pg_grant_get,
	.grant_by_request = pg_grant_by_request,
	.grant_list = pg_grant_list,
	.grant_find_live = pg_grant_find_live,
	.grant_overdue = pg_grant_overdue,
	.audit_last = pg_audit_last,
	.audit_insert = pg_audit_insert,
	.audit_walk = pg_audit_walk,
	.token_insert = pg_token_insert,
	.token_by_digest = pg_token_by_digest,
	.token_get = pg_token_get,
	.token_list = pg_token_list,
	.token_revoke = pg_token_revoke,
	.token_count = pg_token_count,
	.token_touch = pg_token_touch,
	.outbox_insert = pg_outbox_insert,
	.outbox_claim = pg_outbox_claim,
	.outbox_mark = pg_outbox_mark,
	.outbox_list = pg_outbox_list,
	.grant_expiring = pg_grant_expiring,
	.session_insert = pg_session_insert,
	.session_get = pg_session_get,
	.session_delete = pg_session_delete,
	.session_delete_principal = pg_session_delete_principal,
	.execution_insert = pg_execution_insert,
	.execution_finish = pg_execution_finish,
	.execution_get = pg_execution_get,
	.execution_unfinished = pg_execution_unfinished,
	.request_key_get = pg_request_key_get,
	.request_key_put = pg_request_key_put,
	.checkpoint_insert = pg_checkpoint_insert,
	.checkpoint_list = pg_checkpoint_list,
	.ssh_cert_insert = pg_ssh_cert_insert,
	.ssh_cert_revoked = pg_ssh_cert_revoked,
	.pgcred_insert = pg_pgcred_insert,
	.pgcred_open = pg_pgcred_open,
	.pgcred_drop = pg_pgcred_drop,
	.pgcred_forget = pg_pgcred_forget,
	.pgcred_extend = pg_pgcred_extend,
};

static enum jg_err schema_version(struct pg *p, struct pgconn *c,
                                  int64_t *v)
{
	struct params ps = {0};
	PGresult *r;
	enum jg_err e = simple(p, c, "CREATE TABLE IF NOT EXISTS schema_version"
	                             " (version INTEGER PRIMARY KEY)",
	                       "migrate");
	if (e != JG_OK)
		return e;
	e = query_one(p, "SELECT coalesce(max(version), 0) FROM schema_version",
	              &ps, &r);
	if (e == JG_OK) {
		*v = col_int(r, 0, 0);
		PQclear(r);
	}
	return e;
}

static enum jg_err apply_migrations(struct pg *p, struct pgconn *c)
{
	int64_t v = 0;
	enum jg_err e = schema_version(p, c, &v);

	if (e == JG_OK && v > (int64_t)NMIGRATIONS) {
		char msg[160];
		snprintf(msg, sizeof(msg), "database schema version %lld is "
		         "newer than this jitgate (%zu): upgrade jitgate",
		         (long long)v, NMIGRATIONS);
		set_err(p, "migrate", msg);
		return JG_ESTORE;
	}
	for (; e == JG_OK && v < (int64_t)NMIGRATIONS; v++) {
		struct params ps = {0};
		long n;
		e = simple(p, c, migrations[v], "migrate");
		p_int(&ps, v + 1);
		if (e == JG_OK)
			e = write_rows(p, "INSERT INTO schema_version VALUES"
			                  " ($1::integer)", &ps, &n);
	}
	return e;
}

/*
 * Create or upgrade the schema in one transaction under the migration
 * lock (servers starting together migrate once, the others wait and find
 * it done) and the write lock (no write interleaves with a migration).
 */
static enum jg_err migrate(struct pg *p)
{
	struct pgconn *c;
	enum jg_err e = pool_take(p, &c);

	if (e != JG_OK)
		return e;
	pthread_setspecific(p->cur, c); /* now a transaction of this thread */
	e = simple(p, c, "BEGIN ISOLATION LEVEL READ COMMITTED", "migrate");
	/* another server's migration may take a while: wait for it */
	if (e == JG_OK)
		e = simple(p, c, "SET LOCAL lock_timeout = '10min'", "migrate");
	if (e == JG_OK)
		e = simple(p, c, "SELECT pg_advisory_xact_lock(" KEY_MIGRATE
		                 "), pg_advisory_xact_lock(" KEY_WRITE ")",
		           "migration lock");
	if (e == JG_OK)
		e = apply_migrations(p, c);
	if (e != JG_OK) {
		pg_rollback(&p->base);
		return e;
	}
	return pg_commit(&p->base);
}

void jg_store_pg_redact(const char *url, char *out, size_t len)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	const char *user = "", *host = "", *port = "", *db = "";

	if (!opts) {
		snprintf(out, len, "postgresql://(unparsable URL)");
		return;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "user") == 0)
			user = o->val;
		else if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
	}
	snprintf(out, len, "postgresql://%s%s%s%s%s/%s", user, *user ? "@" : "",
	         host, *port ? ":" : "", port, db);
	PQconninfoFree(opts);
}

static struct pg *pg_new(const char *url)
{
	struct pg *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (!(p->url = strdup(url)) || pthread_key_create(&p->cur, NULL)) {
		free(p->url);
		free(p);
		return NULL;
	}
	p->base.ops = &pg_ops;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	jg_store_pg_redact(url, p->shown, sizeof(p->shown));
	return p;
}

enum jg_err jg_store_pg_open(const char *url, struct jg_store **out,
                             char *err, size_t errlen)
{
	struct pg *p = pg_new(url);
	enum jg_err e;

	*out = NULL;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return JG_ENOMEM;
	}
	if ((e = migrate(p)) != JG_OK) {
		snprintf(err, errlen, "database '%s': %s", p->shown,
		         p->base.err);
		pg_close(&p->base);
		return e;
	}
	*out = &p->base;
	return JG_OK;
}
