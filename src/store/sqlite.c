/*
 * sqlite.c - the embedded store: one SQLite database in WAL mode, where
 * an acknowledged change survives power loss.
 *
 * One connection, serialised by a mutex held from begin() to commit() or
 * rollback(): SQLite allows one writer anyway, and this keeps every use
 * case a single transaction without busy retries. COMMIT runs with
 * synchronous=NORMAL (no sync); commit() then releases the mutex and
 * waits for group commit (sqlite_sync.c) to fdatasync the WAL, which is
 * as durable as synchronous=FULL while many threads share each sync.
 * This file must never build SQL from caller strings: every value is a
 * bound parameter.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "store/codec.h"
#include "store/sqlite.h"
#include "store/sqlite_stmt.h"
#include "store/sqlite_sync.h"

struct sq {
	struct jg_store base; /* first: a struct sq * is a struct jg_store * */
	sqlite3 *db;
	struct jg_stmt_cache *stmts; /* owned; every prep() goes through it */
	struct jg_wal_sync *sync;    /* owned; makes commits durable */
	pthread_mutex_t lock;
	int in_tx;
	int tx_write; /* the transaction began with write=1 */
	int shrink;   /* under lock: a write found the disk full (wal_shrink) */
};

/* Schema migrations, applied in order; never edit one that has shipped. */
static const char *const migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE tokens ("
	"  id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE,"
	"  principal TEXT NOT NULL, service INTEGER NOT NULL,"
	"  groups TEXT NOT NULL, roles INTEGER NOT NULL, description TEXT,"
	"  created_by TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE requests ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
	"  requester TEXT NOT NULL, resource TEXT NOT NULL,"
	"  action TEXT NOT NULL, payload TEXT, payload_sha256 TEXT NOT NULL,"
	"  reason TEXT NOT NULL, ticket TEXT NOT NULL,"
	"  duration INTEGER NOT NULL, rule TEXT NOT NULL,"
	"  steps TEXT NOT NULL, step INTEGER NOT NULL, state TEXT NOT NULL,"
	"  state_reason TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL, decided_at INTEGER NOT NULL);"
	"CREATE INDEX requests_pending ON requests(state, expires_at);"
	"CREATE INDEX requests_requester ON requests(requester);"
	"CREATE TABLE request_groups ("
	"  group_name TEXT NOT NULL, request_id TEXT NOT NULL,"
	"  PRIMARY KEY (group_name, request_id)) WITHOUT ROWID;"
	"CREATE TABLE reviews ("
	"  request_id TEXT NOT NULL, reviewer TEXT NOT NULL,"
	"  step INTEGER NOT NULL, approve INTEGER NOT NULL, comment TEXT,"
	"  at INTEGER NOT NULL, PRIMARY KEY (request_id, reviewer));"
	"CREATE TABLE grants ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,"
	"  request_id TEXT NOT NULL UNIQUE, principal TEXT NOT NULL,"
	"  resource TEXT NOT NULL, action TEXT NOT NULL,"
	"  payload_sha256 TEXT NOT NULL, not_before INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL, uses_left INTEGER NOT NULL,"
	"  state TEXT NOT NULL, ended_by TEXT NOT NULL,"
	"  end_reason TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  ended_at INTEGER NOT NULL);"
	"CREATE INDEX grants_live ON grants(principal, resource, action, state);"
	"CREATE INDEX grants_expiry ON grants(state, expires_at);"
	"CREATE TABLE audit ("
	"  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	"  ts INTEGER NOT NULL, actor TEXT NOT NULL, type TEXT NOT NULL,"
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
	"  csrf TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL);",
	/* 4: the notification outbox */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL,"
	"  event TEXT NOT NULL, subject TEXT NOT NULL,"
	"  dedupe TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL,"
	"  next_at INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  delivered_at INTEGER NOT NULL, last_error TEXT NOT NULL);"
	"CREATE INDEX outbox_due ON outbox(state, next_at);",
	/* 5: request params, gateway executions, idempotency keys */
	"ALTER TABLE requests ADD COLUMN params TEXT;"
	"CREATE TABLE executions ("
	"  id TEXT PRIMARY KEY, request_id TEXT NOT NULL UNIQUE,"
	"  grant_id TEXT NOT NULL, connector TEXT NOT NULL,"
	"  state TEXT NOT NULL, exit_code INTEGER NOT NULL, output TEXT,"
	"  error TEXT NOT NULL, started_by TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL, deadline_at INTEGER NOT NULL,"
	"  finished_at INTEGER NOT NULL, duration_ms INTEGER NOT NULL);"
	"CREATE INDEX executions_unfinished ON executions(state, deadline_at);"
	"CREATE TABLE request_keys ("
	"  key TEXT PRIMARY KEY, request_id TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);",
	/* 6: signed audit checkpoints */
	"CREATE TABLE checkpoints ("
	"  seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, ts INTEGER NOT NULL,"
	"  key_id TEXT NOT NULL, sig TEXT NOT NULL);",
	/* 7: token lifetimes and last use */
	/* parenthesised: two statements, one migration (clang asks) */
	("ALTER TABLE tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE tokens ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;"),
	/* 8: sessions of people signed in at the identity provider */
	("ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'browser';"
	 "ALTER TABLE sessions ADD COLUMN principal TEXT NOT NULL DEFAULT '';"
	 "ALTER TABLE sessions ADD COLUMN person TEXT NOT NULL DEFAULT '';"
	 "CREATE INDEX sessions_by_principal ON sessions(principal);"),
	/* 9: /metrics counts requests by state and rule (the tally op): from
	 * this index, not the table (1M requests: 0.07 s instead of 1.6 s) */
	"CREATE INDEX requests_tally ON requests(state, rule);",
	/* 10: scheduled access: when a request's grant starts (0: on
	 * approval) */
	"ALTER TABLE requests ADD COLUMN start_at INTEGER NOT NULL DEFAULT 0;",
	/* 11: OpenSSH certificates issued for grants, for the KRL */
	("CREATE TABLE ssh_certs ("
	 "  serial INTEGER PRIMARY KEY, grant_id TEXT NOT NULL,"
	 "  fingerprint TEXT NOT NULL, valid_before INTEGER NOT NULL,"
	 "  issued_at INTEGER NOT NULL);"
	 "CREATE INDEX ssh_certs_valid ON ssh_certs(valid_before);"),
	/* 12: temporary PostgreSQL roles made for grants (pg_credentials) */
	("CREATE TABLE pgcreds ("
	 "  grant_id TEXT PRIMARY KEY, resource TEXT NOT NULL,"
	 "  role TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
	 "  valid_until INTEGER NOT NULL, dropped_at INTEGER NOT NULL);"
	 "CREATE INDEX pgcreds_open ON pgcreds(dropped_at, created_at);"),
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static struct sq *SQ(struct jg_store *st) { return (struct sq *)st; }

static enum jg_err fail(struct sq *s, const char *what)
{
	if (sqlite3_errcode(s->db) == SQLITE_FULL)
		s->shrink = 1;
	snprintf(s->base.err, sizeof(s->base.err), "sqlite: %s: %s", what,
	         sqlite3_errmsg(s->db));
	return JG_ESTORE;
}

static enum jg_err exec(struct sq *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(s, "exec");
	return JG_OK;
}

/*
 * The statement for sql, which must be a string literal (the cache is
 * keyed by its address), lent until release().
 */
static sqlite3_stmt *prep(struct sq *s, const char *sql)
{
	sqlite3_stmt *stmt = jg_stmt_get(s->stmts, sql);
	if (!stmt)
		fail(s, "prepare");
	return stmt;
}

static void release(struct sq *s, sqlite3_stmt *stmt)
{
	jg_stmt_put(s->stmts, stmt);
}

/* Bind NULL for a NULL or empty string, so "?N IS NULL" filters work. */
static void bind_opt(sqlite3_stmt *stmt, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(stmt, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(stmt, i);
}

static void bind_str(sqlite3_stmt *stmt, int i, const char *v)
{
	sqlite3_bind_text(stmt, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

/* Column i into dst, cut to size - 1 bytes as snprintf would; without
 * snprintf, whose formatting was a tenth of a year's audit walk. */
static void col_copy(sqlite3_stmt *stmt, int i, char *dst, size_t size)
{
	const char *v = (const char *)sqlite3_column_text(stmt, i);
	size_t n = v ? strnlen(v, size - 1) : 0;

	memcpy(dst, v ? v : "", n);
	dst[n] = '\0';
}

/* malloc'd copy of column i, NULL for SQL NULL; *oom set on failure. */
static char *col_dup(sqlite3_stmt *stmt, int i, int *oom)
{
	const char *v = (const char *)sqlite3_column_text(stmt, i);
	char *d;
	if (!v)
		return NULL;
	d = strdup(v);
	if (!d)
		*oom = 1;
	return d;
}

/* Step a write statement to completion, then release it. */
static enum jg_err run(struct sq *s, sqlite3_stmt *stmt)
{
	int rc;
	if (!stmt)
		return JG_ESTORE;
	rc = sqlite3_step(stmt);
	release(s, stmt);
	if (rc == SQLITE_CONSTRAINT)
		return JG_EDUP;
	if (rc != SQLITE_DONE)
		return fail(s, "write");
	return JG_OK;
}

/* Like run(), JG_ECONFLICT when no row changed (a conditional update). */
static enum jg_err run_changed(struct sq *s, sqlite3_stmt *stmt)
{
	enum jg_err e = run(s, stmt);
	if (e == JG_OK && sqlite3_changes(s->db) == 0)
		return JG_ECONFLICT;
	return e;
}

/* ---- transactions ---- */

/*
 * The store this thread holds a transaction on. rollback() after a
 * failed commit() must not touch the connection: commit already released
 * it, and another thread may hold it now. Thread-local, so the check
 * needs no lock; a thread holds one SQLite transaction at a time.
 */
static _Thread_local const struct sq *held;

/* Report a group-commit failure; s->lock held (err is shared). */
static enum jg_err sync_fail(struct sq *s, const char *why)
{
	snprintf(s->base.err, sizeof(s->base.err), "%s", why);
	return JG_ESTORE;
}

static enum jg_err sq_begin(struct jg_store *st, int write)
{
	struct sq *s = SQ(st);
	char why[sizeof(s->base.err)];
	enum jg_err e;

	pthread_mutex_lock(&s->lock);
	/* fail closed: after a failed sync, what we wrote may be gone */
	if (write && jg_wal_sync_failed(s->sync, why, sizeof(why)))
		e = sync_fail(s, why);
	else
		e = exec(s, write ? "BEGIN IMMEDIATE" : "BEGIN");
	if (e != JG_OK) {
		pthread_mutex_unlock(&s->lock);
		return e;
	}
	s->in_tx = 1;
	s->tx_write = write;
	held = s;
	return JG_OK;
}

static void end_tx(struct sq *s)
{
	s->in_tx = 0;
	held = NULL;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Wait, without the store lock, until the commit behind ticket is on
 * disk: the caller is answered only then (group commit, sqlite_sync.c).
 */
static enum jg_err wait_durable(struct sq *s, uint64_t ticket)
{
	char why[sizeof(s->base.err)];
	enum jg_err e = jg_wal_sync_wait(s->sync, ticket, why, sizeof(why));

	if (e != JG_OK) {
		pthread_mutex_lock(&s->lock);
		sync_fail(s, why);
		pthread_mutex_unlock(&s->lock);
	}
	return e;
}

/*
 * After the disk was full, the first write that succeeds again folds the
 * -wal into the database and truncates it to nothing. SQLite otherwise
 * keeps the log at the largest size it ever reached (it reuses it from
 * the start), so the space a full disk made it take stays taken after
 * the operator freed the disk. A truncating checkpoint loses nothing
 * that group commit waits for (see sqlite_sync.c: it syncs what it
 * copies). Busy (a reader in another process): tried at the next write.
 */
static void wal_shrink(struct sq *s)
{
	if (sqlite3_wal_checkpoint_v2(s->db, "main",
	                              SQLITE_CHECKPOINT_TRUNCATE, NULL,
	                              NULL) == SQLITE_OK)
		s->shrink = 0;
}

/*
 * A write transaction waits for its sync even when it changed nothing:
 * it may have read another thread's change that is not durable yet and
 * answered on it.
 */
static enum jg_err sq_commit(struct jg_store *st)
{
	struct sq *s = SQ(st);
	enum jg_err e = exec(s, "COMMIT");
	uint64_t ticket = 0;

	if (e != JG_OK)
		exec(s, "ROLLBACK");
	else if (s->tx_write)
		ticket = jg_wal_sync_ticket(s->sync);
	if (e == JG_OK && s->tx_write && s->shrink)
		wal_shrink(s);
	end_tx(s);
	return ticket ? wait_durable(s, ticket) : e;
}

static void sq_rollback(struct jg_store *st)
{
	struct sq *s = SQ(st);

	if (held != s)
		return; /* not ours: already ended, or another thread's */
	exec(s, "ROLLBACK");
	end_tx(s);
}

/* ---- requests ---- */

#define REQ_COLS                                                            \
	"id, requester, resource, action, payload, payload_sha256, reason, " \
	"ticket, duration, rule, steps, step, state, state_reason, "         \
	"created_at, expires_at, decided_at, context, screening, decision, " \
	"break_glass, post_review, extends, params, start_at, seq"
#define REQ_SEQ 25 /* column of seq in REQ_COLS */

static enum jg_err read_request(sqlite3_stmt *stmt, struct jg_request *r)
{
	int oom = 0;

	memset(r, 0, sizeof(*r));
	col_copy(stmt, 0, r->id, sizeof(r->id));
	col_copy(stmt, 1, r->requester, sizeof(r->requester));
	col_copy(stmt, 2, r->resource, sizeof(r->resource));
	col_copy(stmt, 3, r->action, sizeof(r->action));
	r->payload = col_dup(stmt, 4, &oom);
	col_copy(stmt, 5, r->payload_sha256, sizeof(r->payload_sha256));
	r->reason = col_dup(stmt, 6, &oom);
	col_copy(stmt, 7, r->ticket, sizeof(r->ticket));
	r->duration = sqlite3_column_int64(stmt, 8);
	col_copy(stmt, 9, r->rule, sizeof(r->rule));
	r->step = (size_t)sqlite3_column_int64(stmt, 11);
	col_copy(stmt, 13, r->state_reason, sizeof(r->state_reason));
	r->created_at = sqlite3_column_int64(stmt, 14);
	r->expires_at = sqlite3_column_int64(stmt, 15);
	r->decided_at = sqlite3_column_int64(stmt, 16);
	r->context = col_dup(stmt, 17, &oom);
	r->screening = col_dup(stmt, 18, &oom);
	col_copy(stmt, 19, r->decision, sizeof(r->decision));
	r->break_glass = sqlite3_column_int(stmt, 20);
	col_copy(stmt, 21, r->post_review, sizeof(r->post_review));
	col_copy(stmt, 22, r->extends, sizeof(r->extends));
	r->params = col_dup(stmt, 23, &oom);
	r->start_at = sqlite3_column_int64(stmt, 24);
	if (oom) {
		jg_request_clear(r);
		return JG_ENOMEM;
	}
	if (jg_codec_steps_decode((const char *)sqlite3_column_text(stmt, 10),
	                          r->steps, &r->nsteps) != JG_OK ||
	    jg_req_state_parse((const char *)sqlite3_column_text(stmt, 12),
	                       &r->state) != 0) {
		jg_request_clear(r);
		return JG_EINTERNAL;
	}
	return JG_OK;
}

static enum jg_err insert_request_groups(struct sq *s,
                                         const struct jg_request *r)
{
	for (size_t i = 0; i < r->nsteps; i++) {
		sqlite3_stmt *stmt = prep(s, "INSERT OR IGNORE INTO "
		                             "request_groups VALUES (?1, ?2)");
		if (!stmt)
			return JG_ESTORE;
		bind_str(stmt, 1, r->steps[i].group);
		bind_str(stmt, 2, r->id);
		enum jg_err e = run(s, stmt);
		if (e != JG_OK)
			return e;
	}
	return JG_OK;
}

static enum jg_err sq_request_insert(struct jg_store *st,
                                     const struct jg_request *r)
{
	struct sq *s = SQ(st);
	char *steps = jg_codec_steps_encode(r->steps, r->nsteps);
	sqlite3_stmt *stmt;
	enum jg_err e;

	if (!steps)
		return JG_ENOMEM;
	stmt = prep(s, "INSERT INTO requests (" REQ_COLS ") VALUES (?1, ?2, "
	               "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	               "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, "
	               "?25, NULL)");
	if (!stmt) {
		free(steps);
		return JG_ESTORE;
	}
	bind_str(stmt, 1, r->id);
	bind_str(stmt, 2, r->requester);
	bind_str(stmt, 3, r->resource);
	bind_str(stmt, 4, r->action);
	bind_opt(stmt, 5, r->payload);
	bind_str(stmt, 6, r->payload_sha256);
	bind_str(stmt, 7, r->reason);
	bind_str(stmt, 8, r->ticket);
	sqlite3_bind_int64(stmt, 9, r->duration);
	bind_str(stmt, 10, r->rule);
	bind_str(stmt, 11, steps);
	sqlite3_bind_int64(stmt, 12, (sqlite3_int64)r->step);
	bind_str(stmt, 13, jg_req_state_name(r->state));
	bind_str(stmt, 14, r->state_reason);
	sqlite3_bind_int64(stmt, 15, r->created_at);
	sqlite3_bind_int64(stmt, 16, r->expires_at);
	sqlite3_bind_int64(stmt, 17, r->decided_at);
	bind_str(stmt, 18, r->context ? r->context : "{}");
	bind_str(stmt, 19, r->screening ? r->screening : "[]");
	bind_str(stmt, 20, r->decision);
	sqlite3_bind_int(stmt, 21, r->break_glass);
	bind_str(stmt, 22, r->post_review);
	bind_str(stmt, 23, r->extends);
	bind_opt(stmt, 24, r->params);
	sqlite3_bind_int64(stmt, 25, r->start_at);
	free(steps);
	e = run(s, stmt);
	return e == JG_OK ? insert_request_groups(s, r) : e;
}

static enum jg_err sq_request_update(struct jg_store *st,
                                     const struct jg_request *r,
                                     enum jg_req_state was, size_t was_step)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s,
	        "UPDATE requests SET state = ?1, step = ?2, state_reason = ?3,"
	        " decided_at = ?4, post_review = ?8"
	        " WHERE id = ?5 AND state = ?6 AND step = ?7");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, jg_req_state_name(r->state));
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)r->step);
	bind_str(stmt, 3, r->state_reason);
	sqlite3_bind_int64(stmt, 4, r->decided_at);
	bind_str(stmt, 5, r->id);
	bind_str(stmt, 6, jg_req_state_name(was));
	sqlite3_bind_int64(stmt, 7, (sqlite3_int64)was_step);
	bind_str(stmt, 8, r->post_review);
	return run_changed(s, stmt);
}

/* Step a single-row query: JG_ENOTFOUND when there is no row. */
static enum jg_err step_one(struct sq *s, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		return JG_OK;
	if (rc == SQLITE_DONE)
		return JG_ENOTFOUND;
	return fail(s, "read");
}

static enum jg_err sq_request_get(struct jg_store *st, const char *id,
                                  struct jg_request *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " REQ_COLS
	                             " FROM requests WHERE id = ?1");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, id);
	e = step_one(s, stmt);
	if (e == JG_OK)
		e = read_request(stmt, out);
	release(s, stmt);
	return e;
}

/*
 * Run a list query whose last column is seq, reading up to limit rows
 * with `read` into an array of `size`-byte records. The query asks for
 * one extra row: when it comes, *next is its seq (callers add one, as
 * their cursors are exclusive), else 0.
 */
typedef enum jg_err (*row_reader)(sqlite3_stmt *stmt, void *rec);

static enum jg_err list_rows(struct sq *s, sqlite3_stmt *stmt, int limit,
                             int seqcol, row_reader read, size_t size,
                             void (*clear)(void *), void **out, size_t *n,
                             int64_t *next)
{
	char *arr = calloc((size_t)limit, size);
	enum jg_err e = JG_OK;
	size_t count = 0;
	int rc;

	*next = 0;
	if (!arr) {
		release(s, stmt);
		return JG_ENOMEM;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == (size_t)limit) {
			*next = sqlite3_column_int64(stmt, seqcol);
			break;
		}
		e = read(stmt, arr + count * size);
		if (e != JG_OK)
			break;
		count++;
	}
	if (e == JG_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = fail(s, "list");
	release(s, stmt);
	if (e != JG_OK) {
		for (size_t i = 0; i < count; i++)
			clear(arr + i * size);
		free(arr);
		return e;
	}
	*out = arr;
	*n = count;
	return JG_OK;
}

static enum jg_err read_request_row(sqlite3_stmt *stmt, void *rec)
{
	return read_request(stmt, rec);
}

static void clear_request(void *rec) { jg_request_clear(rec); }

/* JSON array of the viewer's groups, for json_each(); caller frees. */
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

static enum jg_err sq_request_list(struct jg_store *st,
                                   const struct jg_filter *f,
                                   struct jg_request **out, size_t *n,
                                   int64_t *next)
{
	struct sq *s = SQ(st);
	char *groups = NULL;
	sqlite3_stmt *stmt = prep(s,
	        "SELECT " REQ_COLS " FROM requests"
	        " WHERE (?1 IS NULL OR (CASE WHEN state = 'pending' AND"
	        "  expires_at <= ?8 THEN 'expired' ELSE state END) = ?1)"
	        " AND (?2 IS NULL OR requester = ?2)"
	        " AND (?3 IS NULL OR resource = ?3)"
	        /* a bound SQLite can seek to: "?4 = 0 OR seq < ?4" made it
	         * scan from the newest row on every page */
	        " AND seq < (CASE WHEN ?4 = 0 THEN 9223372036854775807"
	        "  ELSE ?4 END)"
	        " AND (?9 IS NULL OR post_review = ?9)"
	        " AND (?5 IS NULL OR requester = ?5 OR id IN"
	        "  (SELECT request_id FROM request_groups WHERE group_name IN"
	        "   (SELECT value FROM json_each(?6))))"
	        " ORDER BY seq DESC LIMIT ?7");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	if (f->viewer) {
		groups = groups_json(f->viewer_groups, f->nviewer_groups);
		if (!groups) {
			release(s, stmt);
			return JG_ENOMEM;
		}
	}
	bind_opt(stmt, 1, f->state);
	bind_opt(stmt, 2, f->principal);
	bind_opt(stmt, 3, f->resource);
	sqlite3_bind_int64(stmt, 4, f->cursor);
	bind_opt(stmt, 5, f->viewer);
	bind_str(stmt, 6, groups ? groups : "[]");
	sqlite3_bind_int(stmt, 7, f->limit + 1);
	sqlite3_bind_int64(stmt, 8, f->now);
	bind_opt(stmt, 9, f->post_review);
	free(groups);
	e = list_rows(s, stmt, f->limit, REQ_SEQ, read_request_row,
	              sizeof(struct jg_request), clear_request, (void **)out,
	              n, next);
	/* list_rows set *next to the extra row's seq; the cursor is exclusive
	 * (seq < cursor), so point it just past the last returned row. */
	if (e == JG_OK && *next)
		*next += 1;
	return e;
}

/* Ids from a query binding ?1 = a, ?2 = b and ?3 = max rows. */
static enum jg_err ids_query(struct sq *s, const char *sql, int64_t a,
                             int64_t b, char (*ids)[JG_ID_LEN], size_t max,
                             size_t *n)
{
	sqlite3_stmt *stmt = prep(s, sql);
	int rc;

	*n = 0;
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, a);
	sqlite3_bind_int64(stmt, 2, b);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		col_copy(stmt, 0, ids[(*n)++], JG_ID_LEN);
	release(s, stmt);
	return rc == SQLITE_DONE ? JG_OK : fail(s, "ids");
}

static enum jg_err sq_request_overdue(struct jg_store *st, int64_t now,
                                      char (*ids)[JG_ID_LEN], size_t max,
                                      size_t *n)
{
	return ids_query(SQ(st),
	                 "SELECT id FROM requests WHERE state = 'pending'"
	                 " AND expires_at <= ?1 ORDER BY expires_at LIMIT ?3",
	                 now, 0, ids, max, n);
}

static enum jg_err sq_request_count(struct jg_store *st,
                                    const char *requester,
                                    const char *resource, int64_t since,
                                    size_t *by_requester,
                                    size_t *by_resource)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s,
	        "SELECT (SELECT count(*) FROM requests WHERE requester = ?1"
	        " AND created_at >= ?3), (SELECT count(*) FROM requests"
	        " WHERE resource = ?2 AND created_at >= ?3)");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, requester);
	bind_str(stmt, 2, resource);
	sqlite3_bind_int64(stmt, 3, since);
	e = step_one(s, stmt);
	if (e == JG_OK) {
		*by_requester = (size_t)sqlite3_column_int64(stmt, 0);
		*by_resource = (size_t)sqlite3_column_int64(stmt, 1);
	}
	release(s, stmt);
	return e;
}

static enum jg_err sq_tally(struct jg_store *st, jg_tally_fn fn, void *ctx)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, JG_CODEC_TALLY_SQL);
	char kind[16], state[16], label[JG_NAME_MAX];
	int rc;

	if (!stmt)
		return JG_ESTORE;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		col_copy(stmt, 0, kind, sizeof(kind));
		col_copy(stmt, 1, state, sizeof(state));
		col_copy(stmt, 2, label, sizeof(label));
		fn(kind, state, label, sqlite3_column_int64(stmt, 3),
		   sqlite3_column_int64(stmt, 4), ctx);
	}
	release(s, stmt);
	return rc == SQLITE_DONE ? JG_OK : fail(s, "tally");
}

static enum jg_err sq_request_walk(struct jg_store *st, int64_t since,
                                   int64_t after_seq, int limit,
                                   jg_request_fn fn, void *ctx,
                                   int64_t *next)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " REQ_COLS " FROM requests"
	                             " WHERE created_at >= ?1 AND seq > ?2"
	                             " ORDER BY seq LIMIT ?3");
	enum jg_err e = JG_OK;
	int rc, stop = 0;

	*next = 0;
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, since);
	sqlite3_bind_int64(stmt, 2, after_seq);
	sqlite3_bind_int(stmt, 3, limit > 0 ? limit : -1);
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct jg_request r;
		if ((e = read_request(stmt, &r)) != JG_OK)
			break;
		*next = sqlite3_column_int64(stmt, REQ_SEQ);
		stop = fn(&r, ctx);
		jg_request_clear(&r);
	}
	release(s, stmt);
	if (e == JG_OK && !stop && rc != SQLITE_DONE)
		return fail(s, "requests");
	return e;
}

/* ---- reviews ---- */

static enum jg_err sq_review_insert(struct jg_store *st, const char *req_id,
                                    const struct jg_review *rv)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO reviews (request_id, "
	                             "reviewer, step, approve, comment, at) "
	                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, req_id);
	bind_str(stmt, 2, rv->reviewer);
	sqlite3_bind_int64(stmt, 3, (sqlite3_int64)rv->step);
	sqlite3_bind_int(stmt, 4, rv->approve);
	bind_opt(stmt, 5, rv->comment);
	sqlite3_bind_int64(stmt, 6, rv->at);
	return run(s, stmt);
}

static enum jg_err sq_review_list(struct jg_store *st, const char *req_id,
                                  struct jg_review **out, size_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT reviewer, step, approve, comment,"
	                             " at FROM reviews WHERE request_id = ?1"
	                             " ORDER BY at, rowid");
	struct jg_review *arr = NULL;
	size_t count = 0, cap = 0;
	int rc = SQLITE_DONE, oom = 0;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, req_id);
	while (!oom && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct jg_review *na = realloc(arr, ncap * sizeof(*na));
			if (!na) {
				oom = 1;
				break;
			}
			arr = na;
			cap = ncap;
		}
		struct jg_review *rv = &arr[count++];
		memset(rv, 0, sizeof(*rv));
		col_copy(stmt, 0, rv->reviewer, sizeof(rv->reviewer));
		rv->step = (size_t)sqlite3_column_int64(stmt, 1);
		rv->approve = sqlite3_column_int(stmt, 2);
		rv->comment = col_dup(stmt, 3, &oom);
		rv->at = sqlite3_column_int64(stmt, 4);
	}
	release(s, stmt);
	if (oom || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
		for (size_t i = 0; i < count; i++)
			jg_review_clear(&arr[i]);
		free(arr);
		return oom ? JG_ENOMEM : fail(s, "reviews");
	}
	*out = arr;
	*n = count;
	return JG_OK;
}

/* ---- grants ---- */

#define GRANT_COLS                                                        \
	"id, request_id, principal, resource, action, payload_sha256, "   \
	"not_before, expires_at, uses_left, state, ended_by, end_reason, " \
	"created_at, ended_at, extensions, seq"
#define GRANT_SEQ 15

static enum jg_err read_grant(sqlite3_stmt *stmt, void *rec)
{
	struct jg_grant *g = rec;

	memset(g, 0, sizeof(*g));
	col_copy(stmt, 0, g->id, sizeof(g->id));
	col_copy(stmt, 1, g->request_id, sizeof(g->request_id));
	col_copy(stmt, 2, g->principal, sizeof(g->principal));
	col_copy(stmt, 3, g->resource, sizeof(g->resource));
	col_copy(stmt, 4, g->action, sizeof(g->action));
	col_copy(stmt, 5, g->payload_sha256, sizeof(g->payload_sha256));
	g->not_before = sqlite3_column_int64(stmt, 6);
	g->expires_at = sqlite3_column_int64(stmt, 7);
	g->uses_left = sqlite3_column_int(stmt, 8);
	col_copy(stmt, 10, g->ended_by, sizeof(g->ended_by));
	col_copy(stmt, 11, g->end_reason, sizeof(g->end_reason));
	g->created_at = sqlite3_column_int64(stmt, 12);
	g->ended_at = sqlite3_column_int64(stmt, 13);
	g->extensions = sqlite3_column_int(stmt, 14);
	if (jg_grant_state_parse((const char *)sqlite3_column_text(stmt, 9),
	                         &g->state) != 0)
		return JG_EINTERNAL;
	return JG_OK;
}

static void clear_grant(void *rec) { (void)rec; }

static enum jg_err sq_grant_insert(struct jg_store *st,
                                   const struct jg_grant *g)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO grants (" GRANT_COLS
	                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	                             "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
	                             "NULL)");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, g->id);
	bind_str(stmt, 2, g->request_id);
	bind_str(stmt, 3, g->principal);
	bind_str(stmt, 4, g->resource);
	bind_str(stmt, 5, g->action);
	bind_str(stmt, 6, g->payload_sha256);
	sqlite3_bind_int64(stmt, 7, g->not_before);
	sqlite3_bind_int64(stmt, 8, g->expires_at);
	sqlite3_bind_int(stmt, 9, g->uses_left);
	bind_str(stmt, 10, jg_grant_state_name(g->state));
	bind_str(stmt, 11, g->ended_by);
	bind_str(stmt, 12, g->end_reason);
	sqlite3_bind_int64(stmt, 13, g->created_at);
	sqlite3_bind_int64(stmt, 14, g->ended_at);
	sqlite3_bind_int(stmt, 15, g->extensions);
	return run(s, stmt);
}

static enum jg_err sq_grant_update(struct jg_store *st,
                                   const struct jg_grant *g,
                                   enum jg_grant_state was)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "UPDATE grants SET state = ?1, "
	                             "uses_left = ?2, ended_by = ?3, "
	                             "end_reason = ?4, ended_at = ?5, "
	                             "expires_at = ?8, extensions = ?9 "
	                             "WHERE id = ?6 AND state = ?7");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, jg_grant_state_name(g->state));
	sqlite3_bind_int(stmt, 2, g->uses_left);
	bind_str(stmt, 3, g->ended_by);
	bind_str(stmt, 4, g->end_reason);
	sqlite3_bind_int64(stmt, 5, g->ended_at);
	bind_str(stmt, 6, g->id);
	bind_str(stmt, 7, jg_grant_state_name(was));
	sqlite3_bind_int64(stmt, 8, g->expires_at);
	sqlite3_bind_int(stmt, 9, g->extensions);
	return run_changed(s, stmt);
}

static enum jg_err grant_one(struct sq *s, const char *sql, const char *key,
                             struct jg_grant *out)
{
	sqlite3_stmt *stmt = prep(s, sql);
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, key);
	e = step_one(s, stmt);
	if (e == JG_OK)
		e = read_grant(stmt, out);
	release(s, stmt);
	return e;
}

static enum jg_err sq_grant_get(struct jg_store *st, const char *id,
                                struct jg_grant *out)
{
	return grant_one(SQ(st), "SELECT " GRANT_COLS
	                         " FROM grants WHERE id = ?1", id, out);
}

static enum jg_err sq_grant_by_request(struct jg_store *st,
                                       const char *req_id,
                                       struct jg_grant *out)
{
	return grant_one(SQ(st), "SELECT " GRANT_COLS
	                         " FROM grants WHERE request_id = ?1",
	                 req_id, out);
}

static enum jg_err sq_grant_list(struct jg_store *st,
                                 const struct jg_filter *f,
                                 struct jg_grant **out, size_t *n,
                                 int64_t *next)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s,
	        "SELECT " GRANT_COLS " FROM grants"
	        " WHERE (?1 IS NULL OR (CASE WHEN state = 'active' AND"
	        "  expires_at <= ?6 THEN 'expired' ELSE state END) = ?1)"
	        " AND (?2 IS NULL OR principal = ?2)"
	        " AND (?3 IS NULL OR resource = ?3)"
	        /* a bound SQLite can seek to: "?4 = 0 OR seq < ?4" made it
	         * scan from the newest row on every page */
	        " AND seq < (CASE WHEN ?4 = 0 THEN 9223372036854775807"
	        "  ELSE ?4 END)"
	        " AND (?7 IS NULL OR principal = ?7 OR request_id IN"
	        "  (SELECT request_id FROM request_groups WHERE group_name IN"
	        "   (SELECT value FROM json_each(?8))))"
	        " ORDER BY seq DESC LIMIT ?5");
	char *groups = NULL;
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	if (f->viewer) {
		groups = groups_json(f->viewer_groups, f->nviewer_groups);
		if (!groups) {
			release(s, stmt);
			return JG_ENOMEM;
		}
	}
	bind_opt(stmt, 1, f->state);
	bind_opt(stmt, 2, f->principal);
	bind_opt(stmt, 3, f->resource);
	sqlite3_bind_int64(stmt, 4, f->cursor);
	sqlite3_bind_int(stmt, 5, f->limit + 1);
	sqlite3_bind_int64(stmt, 6, f->now);
	bind_opt(stmt, 7, f->viewer);
	bind_str(stmt, 8, groups ? groups : "[]");
	free(groups);
	e = list_rows(s, stmt, f->limit, GRANT_SEQ, read_grant,
	              sizeof(struct jg_grant), clear_grant, (void **)out, n,
	              next);
	if (e == JG_OK && *next)
		*next += 1;
	return e;
}

static enum jg_err sq_grant_find_live(struct jg_store *st,
                                      const char *principal,
                                      const char *resource,
                                      const char *action, const char *fit,
                                      int64_t now, struct jg_grant *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s,
	        /* the planner prefers grants_expiry, which scans every
	         * active grant; the key lookup is what check needs */
	        "SELECT " GRANT_COLS " FROM grants INDEXED BY grants_live"
	        " WHERE principal = ?1"
	        " AND resource = ?2 AND action = ?3 AND state = 'active'"
	        " AND not_before <= ?4 AND expires_at > ?4 AND uses_left != 0"
	        " AND (?5 OR payload_sha256 = '' OR payload_sha256 = ?6)"
	        " ORDER BY payload_sha256 = '', expires_at DESC LIMIT 1");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, principal);
	bind_str(stmt, 2, resource);
	bind_str(stmt, 3, action);
	sqlite3_bind_int64(stmt, 4, now);
	sqlite3_bind_int(stmt, 5, fit == NULL);
	bind_str(stmt, 6, fit);
	e = step_one(s, stmt);
	if (e == JG_OK)
		e = read_grant(stmt, out);
	release(s, stmt);
	return e;
}

static enum jg_err sq_grant_overdue(struct jg_store *st, int64_t now,
                                    char (*ids)[JG_ID_LEN], size_t max,
                                    size_t *n)
{
	return ids_query(SQ(st),
	                 "SELECT id FROM grants WHERE state = 'active'"
	                 " AND expires_at <= ?1 ORDER BY expires_at LIMIT ?3",
	                 now, 0, ids, max, n);
}

/* ---- audit ---- */

static enum jg_err sq_audit_last(struct jg_store *st, int64_t *seq,
                                 char hash[JG_SHA256_HEX])
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT seq, hash FROM audit "
	                             "ORDER BY seq DESC LIMIT 1");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	*seq = 0;
	hash[0] = '\0';
	e = step_one(s, stmt);
	if (e == JG_OK) {
		*seq = sqlite3_column_int64(stmt, 0);
		col_copy(stmt, 1, hash, JG_SHA256_HEX);
	}
	release(s, stmt);
	return e == JG_ENOTFOUND ? JG_OK : e;
}

static enum jg_err sq_audit_insert(struct jg_store *st,
                                   const struct jg_event *ev)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO audit (seq, id, ts, actor, "
	                             "type, subject, details, prev_hash, hash)"
	                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	                             " ?9)");
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, ev->seq);
	bind_str(stmt, 2, ev->id);
	sqlite3_bind_int64(stmt, 3, ev->ts);
	bind_str(stmt, 4, ev->actor);
	bind_str(stmt, 5, ev->type);
	bind_str(stmt, 6, ev->subject);
	bind_str(stmt, 7, ev->details);
	bind_str(stmt, 8, ev->prev_hash);
	bind_str(stmt, 9, ev->hash);
	enum jg_err e = run(s, stmt);
	/* a clash on seq means the chain moved under us: never a dup review */
	return e == JG_EDUP ? JG_ECONFLICT : e;
}

static enum jg_err sq_audit_walk(struct jg_store *st,
                                 const struct jg_filter *f, jg_event_fn fn,
                                 void *ctx, int64_t *next)
{
	struct sq *s = SQ(st);
	/* two texts, so each walks the primary key in its own direction */
	sqlite3_stmt *stmt = prep(s, f->desc
	        ? "SELECT seq, id, ts, actor, type, subject, details, prev_hash,"
	          " hash FROM audit WHERE seq < (CASE WHEN ?1 = 0 THEN"
	          "  9223372036854775807 ELSE ?1 END)"
	          " AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR type = ?3)"
	          " AND (?4 IS NULL OR subject = ?4)"
	          " AND (?5 = 0 OR ts >= ?5) AND (?6 = 0 OR ts < ?6)"
	          " ORDER BY seq DESC LIMIT ?7"
	        : "SELECT seq, id, ts, actor, type, subject, details, prev_hash,"
	          " hash FROM audit WHERE seq > ?1"
	          " AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR type = ?3)"
	          " AND (?4 IS NULL OR subject = ?4)"
	          " AND (?5 = 0 OR ts >= ?5) AND (?6 = 0 OR ts < ?6)"
	          " ORDER BY seq LIMIT ?7");
	int rc, stop = 0;

	*next = 0;
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, f->cursor);
	bind_opt(stmt, 2, f->actor);
	bind_opt(stmt, 3, f->type);
	bind_opt(stmt, 4, f->subject);
	sqlite3_bind_int64(stmt, 5, f->since);
	sqlite3_bind_int64(stmt, 6, f->until);
	sqlite3_bind_int(stmt, 7, f->limit > 0 ? f->limit : -1);
	while (!stop && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct jg_event ev = {0};
		ev.seq = sqlite3_column_int64(stmt, 0);
		col_copy(stmt, 1, ev.id, sizeof(ev.id));
		ev.ts = sqlite3_column_int64(stmt, 2);
		col_copy(stmt, 3, ev.actor, sizeof(ev.actor));
		col_copy(stmt, 4, ev.type, sizeof(ev.type));
		col_copy(stmt, 5, ev.subject, sizeof(ev.subject));
		/* borrowed: valid until the next step */
		ev.details = (char *)sqlite3_column_text(stmt, 6);
		col_copy(stmt, 7, ev.prev_hash, sizeof(ev.prev_hash));
		col_copy(stmt, 8, ev.hash, sizeof(ev.hash));
		*next = ev.seq;
		stop = fn(&ev, ctx);
	}
	release(s, stmt);
	if (!stop && rc != SQLITE_DONE)
		return fail(s, "audit");
	return JG_OK;
}

/* ---- tokens ---- */

#define TOKEN_COLS JG_CODEC_TOKEN_COLS

static enum jg_err read_token(sqlite3_stmt *stmt, struct jg_token *t)
{
	memset(t, 0, sizeof(*t));
	col_copy(stmt, 0, t->id, sizeof(t->id));
	col_copy(stmt, 1, t->digest, sizeof(t->digest));
	col_copy(stmt, 2, t->who.name, sizeof(t->who.name));
	t->who.service = sqlite3_column_int(stmt, 3);
	t->who.roles = sqlite3_column_int(stmt, 5);
	col_copy(stmt, 6, t->description, sizeof(t->description));
	col_copy(stmt, 7, t->created_by, sizeof(t->created_by));
	t->created_at = sqlite3_column_int64(stmt, 8);
	t->revoked_at = sqlite3_column_int64(stmt, 9);
	t->expires_at = sqlite3_column_int64(stmt, 10);
	t->last_used_at = sqlite3_column_int64(stmt, 11);
	return jg_codec_groups_decode(
	        (const char *)sqlite3_column_text(stmt, 4), &t->who);
}

static enum jg_err sq_token_insert(struct jg_store *st,
                                   const struct jg_token *t)
{
	struct sq *s = SQ(st);
	char *groups = jg_codec_groups_encode(&t->who);
	sqlite3_stmt *stmt;

	if (!groups)
		return JG_ENOMEM;
	stmt = prep(s, "INSERT INTO tokens (" TOKEN_COLS ") VALUES (?1, ?2, "
	               "?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, 0)");
	if (!stmt) {
		free(groups);
		return JG_ESTORE;
	}
	bind_str(stmt, 1, t->id);
	bind_str(stmt, 2, t->digest);
	bind_str(stmt, 3, t->who.name);
	sqlite3_bind_int(stmt, 4, t->who.service);
	bind_str(stmt, 5, groups);
	sqlite3_bind_int(stmt, 6, t->who.roles);
	bind_opt(stmt, 7, t->description);
	bind_str(stmt, 8, t->created_by);
	sqlite3_bind_int64(stmt, 9, t->created_at);
	sqlite3_bind_int64(stmt, 10, t->expires_at);
	free(groups);
	return run(s, stmt);
}

static enum jg_err token_one(struct sq *s, const char *sql, const char *key,
                             struct jg_token *out)
{
	sqlite3_stmt *stmt = prep(s, sql);
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, key);
	e = step_one(s, stmt);
	if (e == JG_OK)
		e = read_token(stmt, out);
	release(s, stmt);
	return e;
}

static enum jg_err sq_token_by_digest(struct jg_store *st, const char *digest,
                                      struct jg_token *out)
{
	return token_one(SQ(st), "SELECT " TOKEN_COLS
	                         " FROM tokens WHERE digest = ?1", digest, out);
}

static enum jg_err sq_token_get(struct jg_store *st, const char *id,
                                struct jg_token *out)
{
	return token_one(SQ(st), "SELECT " TOKEN_COLS
	                         " FROM tokens WHERE id = ?1", id, out);
}

static enum jg_err sq_token_list(struct jg_store *st, struct jg_token **out,
                                 size_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " TOKEN_COLS
	                             " FROM tokens ORDER BY created_at, id");
	struct jg_token *arr = NULL;
	size_t count = 0;
	int rc;

	if (!stmt)
		return JG_ESTORE;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct jg_token *na = realloc(arr, (count + 1) * sizeof(*na));
		if (!na) {
			free(arr);
			release(s, stmt);
			return JG_ENOMEM;
		}
		arr = na;
		read_token(stmt, &arr[count++]);
	}
	release(s, stmt);
	if (rc != SQLITE_DONE) {
		free(arr);
		return fail(s, "tokens");
	}
	*out = arr;
	*n = count;
	return JG_OK;
}

static enum jg_err sq_token_revoke(struct jg_store *st, const char *id,
                                   int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "UPDATE tokens SET revoked_at = ?1 "
	                             "WHERE id = ?2 AND revoked_at = 0");
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, now);
	bind_str(stmt, 2, id);
	return run_changed(s, stmt);
}

static enum jg_err sq_token_touch(struct jg_store *st, const char *id,
                                  int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "UPDATE tokens SET last_used_at = ?1 "
	                             "WHERE id = ?2 AND last_used_at <= ?3");
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, now);
	bind_str(stmt, 2, id);
	sqlite3_bind_int64(stmt, 3, now - JG_TOKEN_TOUCH_EVERY);
	return run_changed(s, stmt);
}

static enum jg_err sq_token_count(struct jg_store *st, int64_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT count(*) FROM tokens");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	e = step_one(s, stmt);
	*n = e == JG_OK ? sqlite3_column_int64(stmt, 0) : 0;
	release(s, stmt);
	return e;
}

/* ---- outbox ---- */

#define OUTBOX_COLS                                                     \
	"id, target, event, subject, dedupe, payload, state, attempts, " \
	"next_at, created_at, delivered_at, last_error"

static enum jg_err read_delivery(sqlite3_stmt *stmt, struct jg_delivery *d)
{
	int oom = 0;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(stmt, 0);
	col_copy(stmt, 1, d->target, sizeof(d->target));
	col_copy(stmt, 2, d->event, sizeof(d->event));
	col_copy(stmt, 3, d->subject, sizeof(d->subject));
	col_copy(stmt, 4, d->dedupe, sizeof(d->dedupe));
	d->payload = col_dup(stmt, 5, &oom);
	col_copy(stmt, 6, d->state, sizeof(d->state));
	d->attempts = sqlite3_column_int(stmt, 7);
	d->next_at = sqlite3_column_int64(stmt, 8);
	d->created_at = sqlite3_column_int64(stmt, 9);
	d->delivered_at = sqlite3_column_int64(stmt, 10);
	col_copy(stmt, 11, d->last_error, sizeof(d->last_error));
	return oom ? JG_ENOMEM : JG_OK;
}

static enum jg_err sq_outbox_insert(struct jg_store *st,
                                    const struct jg_delivery *d)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO outbox (" OUTBOX_COLS ") "
	                             "VALUES (NULL, ?1, ?2, ?3, ?4, ?5, "
	                             "'pending', 0, ?6, ?6, 0, '')");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, d->target);
	bind_str(stmt, 2, d->event);
	bind_str(stmt, 3, d->subject);
	bind_str(stmt, 4, d->dedupe);
	bind_str(stmt, 5, d->payload);
	sqlite3_bind_int64(stmt, 6, d->created_at);
	return run(s, stmt);
}

/* Read every row of stmt into a malloc'd array of deliveries. */
static enum jg_err read_deliveries(struct sq *s, sqlite3_stmt *stmt,
                                   struct jg_delivery **out, size_t *n)
{
	struct jg_delivery *arr = NULL;
	size_t count = 0;
	enum jg_err e = JG_OK;
	int rc;

	while (e == JG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct jg_delivery *na = realloc(arr, (count + 1) * sizeof(*na));
		if (!na) {
			e = JG_ENOMEM;
			break;
		}
		arr = na;
		e = read_delivery(stmt, &arr[count++]);
	}
	release(s, stmt);
	if (e == JG_OK && rc != SQLITE_DONE)
		e = fail(s, "outbox");
	if (e != JG_OK) {
		for (size_t i = 0; i < count; i++)
			jg_delivery_clear(&arr[i]);
		free(arr);
		return e;
	}
	*out = arr;
	*n = count;
	return JG_OK;
}

static enum jg_err sq_outbox_claim(struct jg_store *st, int64_t now,
                                   int64_t lease, size_t max,
                                   struct jg_delivery **out, size_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " OUTBOX_COLS " FROM outbox "
	                             "WHERE state = 'pending' AND next_at <= ?1"
	                             " ORDER BY next_at, id LIMIT ?2");
	enum jg_err e;

	*out = NULL;
	*n = 0;
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	if ((e = read_deliveries(s, stmt, out, n)) != JG_OK || !*n)
		return e;
	stmt = prep(s, "UPDATE outbox SET next_at = ?1 WHERE state = "
	               "'pending' AND next_at <= ?2 AND id <= ?3");
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, now + lease);
	sqlite3_bind_int64(stmt, 2, now);
	sqlite3_bind_int64(stmt, 3, (*out)[*n - 1].id);
	return run(s, stmt);
}

static enum jg_err sq_outbox_mark(struct jg_store *st,
                                  const struct jg_delivery *d)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "UPDATE outbox SET state = ?1, "
	                             "attempts = ?2, next_at = ?3, "
	                             "delivered_at = ?4, last_error = ?5 "
	                             "WHERE id = ?6");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, d->state);
	sqlite3_bind_int(stmt, 2, d->attempts);
	sqlite3_bind_int64(stmt, 3, d->next_at);
	sqlite3_bind_int64(stmt, 4, d->delivered_at);
	bind_str(stmt, 5, d->last_error);
	sqlite3_bind_int64(stmt, 6, d->id);
	return run_changed(s, stmt);
}

static enum jg_err sq_outbox_list(struct jg_store *st, const char *state,
                                  int limit, struct jg_delivery **out,
                                  size_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " OUTBOX_COLS " FROM outbox "
	                             "WHERE (?1 IS NULL OR state = ?1) "
	                             "ORDER BY id DESC LIMIT ?2");
	if (!stmt)
		return JG_ESTORE;
	bind_opt(stmt, 1, state);
	sqlite3_bind_int(stmt, 2, limit);
	return read_deliveries(s, stmt, out, n);
}

static enum jg_err sq_grant_expiring(struct jg_store *st, int64_t now,
                                     int64_t within, char (*ids)[JG_ID_LEN],
                                     size_t max, size_t *n)
{
	return ids_query(SQ(st),
	                 "SELECT id FROM grants WHERE state = 'active' AND"
	                 " expires_at > ?1 AND expires_at <= ?2"
	                 " ORDER BY expires_at LIMIT ?3",
	                 now, now + within, ids, max, n);
}

/* ---- sessions ---- */

static enum jg_err sq_session_insert(struct jg_store *st,
                                     const struct jg_session *ss)
{
	struct sq *s = SQ(st);
	char *person = jg_codec_person_encode(ss);
	sqlite3_stmt *stmt;
	enum jg_err e;

	if (!person)
		return JG_ENOMEM;
	stmt = prep(s, "INSERT INTO sessions (" JG_CODEC_SESSION_COLS ")"
	               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (!stmt) {
		free(person);
		return JG_ESTORE;
	}
	bind_str(stmt, 1, ss->digest);
	bind_str(stmt, 2, ss->token_id);
	bind_str(stmt, 3, ss->csrf);
	sqlite3_bind_int64(stmt, 4, ss->created_at);
	sqlite3_bind_int64(stmt, 5, ss->expires_at);
	bind_str(stmt, 6, ss->cli ? "cli" : "browser");
	bind_str(stmt, 7, ss->token_id[0] ? "" : ss->who.name);
	bind_str(stmt, 8, person);
	e = run(s, stmt);
	free(person);
	return e;
}

static enum jg_err sq_session_get(struct jg_store *st, const char *digest,
                                  struct jg_session *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " JG_CODEC_SESSION_COLS
	                             " FROM sessions WHERE digest = ?1");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, digest);
	e = step_one(s, stmt);
	memset(out, 0, sizeof(*out));
	if (e == JG_OK) {
		col_copy(stmt, 0, out->digest, sizeof(out->digest));
		col_copy(stmt, 1, out->token_id, sizeof(out->token_id));
		col_copy(stmt, 2, out->csrf, sizeof(out->csrf));
		out->created_at = sqlite3_column_int64(stmt, 3);
		out->expires_at = sqlite3_column_int64(stmt, 4);
		out->cli = strcmp((const char *)sqlite3_column_text(stmt, 5),
		                  "cli") == 0;
		col_copy(stmt, 6, out->who.name, sizeof(out->who.name));
		e = jg_codec_person_decode(
			(const char *)sqlite3_column_text(stmt, 7), out);
	}
	release(s, stmt);
	return e;
}

static enum jg_err sq_session_delete(struct jg_store *st, const char *digest,
                                     int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "DELETE FROM sessions WHERE digest = ?1 "
	                             "OR expires_at <= ?2");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, digest);
	sqlite3_bind_int64(stmt, 2, now);
	return run(s, stmt);
}

static enum jg_err sq_session_delete_principal(struct jg_store *st,
                                               const char *name, long *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "DELETE FROM sessions WHERE principal = ?1"
	                             " AND token_id = ''");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, name);
	e = run(s, stmt);
	*n = e == JG_OK ? (long)sqlite3_changes(s->db) : 0;
	return e;
}

/* ---- executions ---- */

#define EXEC_COLS                                                        \
	"id, request_id, grant_id, connector, state, exit_code, output, " \
	"error, started_by, started_at, deadline_at, finished_at, "       \
	"duration_ms"

static enum jg_err read_execution(sqlite3_stmt *stmt, struct jg_execution *x)
{
	int oom = 0;

	memset(x, 0, sizeof(*x));
	col_copy(stmt, 0, x->id, sizeof(x->id));
	col_copy(stmt, 1, x->request_id, sizeof(x->request_id));
	col_copy(stmt, 2, x->grant_id, sizeof(x->grant_id));
	col_copy(stmt, 3, x->connector, sizeof(x->connector));
	x->exit_code = sqlite3_column_int(stmt, 5);
	x->output = col_dup(stmt, 6, &oom);
	col_copy(stmt, 7, x->error, sizeof(x->error));
	col_copy(stmt, 8, x->started_by, sizeof(x->started_by));
	x->started_at = sqlite3_column_int64(stmt, 9);
	x->deadline_at = sqlite3_column_int64(stmt, 10);
	x->finished_at = sqlite3_column_int64(stmt, 11);
	x->duration_ms = sqlite3_column_int64(stmt, 12);
	if (oom) {
		jg_execution_clear(x);
		return JG_ENOMEM;
	}
	if (jg_exec_state_parse((const char *)sqlite3_column_text(stmt, 4),
	                        &x->state) != 0) {
		jg_execution_clear(x);
		return JG_EINTERNAL;
	}
	return JG_OK;
}

static enum jg_err sq_execution_insert(struct jg_store *st,
                                       const struct jg_execution *x)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO executions (" EXEC_COLS
	                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	                             " ?8, ?9, ?10, ?11, ?12, ?13)");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, x->id);
	bind_str(stmt, 2, x->request_id);
	bind_str(stmt, 3, x->grant_id);
	bind_str(stmt, 4, x->connector);
	bind_str(stmt, 5, jg_exec_state_name(x->state));
	sqlite3_bind_int(stmt, 6, x->exit_code);
	bind_opt(stmt, 7, x->output);
	bind_str(stmt, 8, x->error);
	bind_str(stmt, 9, x->started_by);
	sqlite3_bind_int64(stmt, 10, x->started_at);
	sqlite3_bind_int64(stmt, 11, x->deadline_at);
	sqlite3_bind_int64(stmt, 12, x->finished_at);
	sqlite3_bind_int64(stmt, 13, x->duration_ms);
	return run(s, stmt);
}

static enum jg_err sq_execution_finish(struct jg_store *st,
                                       const struct jg_execution *x)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "UPDATE executions SET state = ?1,"
	                             " exit_code = ?2, output = ?3, error = ?4,"
	                             " finished_at = ?5, duration_ms = ?6"
	                             " WHERE request_id = ?7 AND id = ?8"
	                             " AND state = 'started'");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, jg_exec_state_name(x->state));
	sqlite3_bind_int(stmt, 2, x->exit_code);
	bind_opt(stmt, 3, x->output);
	bind_str(stmt, 4, x->error);
	sqlite3_bind_int64(stmt, 5, x->finished_at);
	sqlite3_bind_int64(stmt, 6, x->duration_ms);
	bind_str(stmt, 7, x->request_id);
	bind_str(stmt, 8, x->id);
	return run_changed(s, stmt);
}

static enum jg_err sq_execution_get(struct jg_store *st, const char *req_id,
                                    struct jg_execution *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " EXEC_COLS " FROM executions"
	                             " WHERE request_id = ?1");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, req_id);
	e = step_one(s, stmt);
	if (e == JG_OK)
		e = read_execution(stmt, out);
	release(s, stmt);
	return e;
}

static enum jg_err sq_execution_unfinished(struct jg_store *st, int64_t now,
                                           char (*ids)[JG_ID_LEN],
                                           size_t max, size_t *n)
{
	return ids_query(SQ(st),
	                 "SELECT request_id FROM executions WHERE"
	                 " state = 'started' AND deadline_at <= ?1"
	                 " ORDER BY deadline_at LIMIT ?3",
	                 now, 0, ids, max, n);
}

/* ---- idempotency keys ---- */

static enum jg_err sq_request_key_get(struct jg_store *st, const char *key,
                                      char request_id[JG_ID_LEN])
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT request_id FROM request_keys"
	                             " WHERE key = ?1");
	enum jg_err e;

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, key);
	e = step_one(s, stmt);
	if (e == JG_OK)
		col_copy(stmt, 0, request_id, JG_ID_LEN);
	release(s, stmt);
	return e;
}

static enum jg_err sq_request_key_put(struct jg_store *st, const char *key,
                                      const char *request_id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO request_keys (key,"
	                             " request_id, created_at) VALUES"
	                             " (?1, ?2, ?3)");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, key);
	bind_str(stmt, 2, request_id);
	sqlite3_bind_int64(stmt, 3, now);
	return run(s, stmt);
}

/* ---- signed checkpoints ---- */

static enum jg_err sq_checkpoint_insert(struct jg_store *st,
                                        const struct jg_checkpoint *cp)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT OR IGNORE INTO checkpoints (seq,"
	                             " hash, ts, key_id, sig) VALUES"
	                             " (?1, ?2, ?3, ?4, ?5)");
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, cp->seq);
	bind_str(stmt, 2, cp->hash);
	sqlite3_bind_int64(stmt, 3, cp->ts);
	bind_str(stmt, 4, cp->key_id);
	bind_str(stmt, 5, cp->sig);
	return run(s, stmt);
}

static enum jg_err sq_checkpoint_list(struct jg_store *st, int64_t after,
                                      struct jg_checkpoint *out, size_t max,
                                      size_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT seq, hash, ts, key_id, sig FROM"
	                             " checkpoints WHERE seq > ?1 ORDER BY seq"
	                             " LIMIT ?2");
	enum jg_err e = JG_OK;
	int rc;

	*n = 0;
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, after);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	while (e == JG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		e = jg_codec_checkpoint(
		        sqlite3_column_int64(stmt, 0),
		        (const char *)sqlite3_column_text(stmt, 1),
		        sqlite3_column_int64(stmt, 2),
		        (const char *)sqlite3_column_text(stmt, 3),
		        (const char *)sqlite3_column_text(stmt, 4), &out[(*n)++]);
	release(s, stmt);
	if (e == JG_OK && rc != SQLITE_DONE)
		return fail(s, "checkpoints");
	return e;
}

/* ---- SSH certificates ---- */

static enum jg_err sq_ssh_cert_insert(struct jg_store *st,
                                      const struct jg_ssh_issued *c)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO ssh_certs (serial, grant_id,"
	                             " fingerprint, valid_before, issued_at)"
	                             " VALUES (?1, ?2, ?3, ?4, ?5)");
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, c->serial);
	bind_str(stmt, 2, c->grant_id);
	bind_str(stmt, 3, c->fingerprint);
	sqlite3_bind_int64(stmt, 4, c->valid_before);
	sqlite3_bind_int64(stmt, 5, c->issued_at);
	return run(s, stmt);
}

static enum jg_err sq_ssh_cert_revoked(struct jg_store *st, int64_t now,
                                       int64_t *out, size_t max, size_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT c.serial FROM ssh_certs c JOIN"
	                             " grants g ON g.id = c.grant_id WHERE"
	                             " c.valid_before > ?1 AND g.state IN"
	                             " ('revoked', 'completed', 'consumed')"
	                             " ORDER BY c.serial LIMIT ?2");
	int rc;

	*n = 0;
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, now);
	sqlite3_bind_int64(stmt, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		out[(*n)++] = sqlite3_column_int64(stmt, 0);
	release(s, stmt);
	return rc == SQLITE_DONE ? JG_OK : fail(s, "ssh_certs");
}

/* ---- temporary PostgreSQL roles ---- */

static enum jg_err sq_pgcred_insert(struct jg_store *st,
                                    const struct jg_pgcred *c)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "INSERT INTO pgcreds ("
	                             JG_CODEC_PGCRED_COLS ") VALUES"
	                             " (?1, ?2, ?3, ?4, ?5, ?6)");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, c->grant_id);
	bind_str(stmt, 2, c->resource);
	bind_str(stmt, 3, c->role);
	sqlite3_bind_int64(stmt, 4, c->created_at);
	sqlite3_bind_int64(stmt, 5, c->valid_until);
	sqlite3_bind_int64(stmt, 6, c->dropped_at);
	return run(s, stmt);
}

static enum jg_err sq_pgcred_open(struct jg_store *st,
                                  const struct jg_pgcred *after,
                                  struct jg_pgcred *out, size_t max, size_t *n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "SELECT " JG_CODEC_PGCRED_COLS " FROM"
	                             " pgcreds WHERE dropped_at = 0 AND"
	                             " (created_at > ?2 OR (created_at = ?2"
	                             " AND grant_id > ?3))"
	                             " ORDER BY created_at, grant_id LIMIT ?1");
	enum jg_err e = JG_OK;
	int rc;

	*n = 0;
	if (!stmt)
		return JG_ESTORE;
	sqlite3_bind_int64(stmt, 1, (sqlite3_int64)max);
	sqlite3_bind_int64(stmt, 2, after ? after->created_at : INT64_MIN);
	bind_str(stmt, 3, after ? after->grant_id : "");
	while (e == JG_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
		e = jg_codec_pgcred((const char *)sqlite3_column_text(stmt, 0),
		                    (const char *)sqlite3_column_text(stmt, 1),
		                    (const char *)sqlite3_column_text(stmt, 2),
		                    sqlite3_column_int64(stmt, 3),
		                    sqlite3_column_int64(stmt, 4),
		                    sqlite3_column_int64(stmt, 5), &out[(*n)++]);
	release(s, stmt);
	if (e == JG_OK && rc != SQLITE_DONE)
		return fail(s, "pgcreds");
	return e;
}

static enum jg_err sq_pgcred_drop(struct jg_store *st, const char *grant_id,
                                  int64_t dropped_at)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "UPDATE pgcreds SET dropped_at = ?2"
	                             " WHERE grant_id = ?1 AND dropped_at = 0");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, grant_id);
	sqlite3_bind_int64(stmt, 2, dropped_at);
	return run_changed(s, stmt);
}

static enum jg_err sq_pgcred_forget(struct jg_store *st, const char *grant_id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "DELETE FROM pgcreds WHERE grant_id = ?1");

	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, grant_id);
	return run(s, stmt);
}

static enum jg_err sq_pgcred_extend(struct jg_store *st, const char *grant_id,
                                    int64_t valid_until)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *stmt = prep(s, "UPDATE pgcreds SET valid_until = ?2"
	                             " WHERE grant_id = ?1 AND dropped_at = 0");
	if (!stmt)
		return JG_ESTORE;
	bind_str(stmt, 1, grant_id);
	sqlite3_bind_int64(stmt, 2, valid_until);
	return run_changed(s, stmt);
}

/* ---- open, migrate, close ---- */

static void sq_close(struct jg_store *st)
{
	struct sq *s = SQ(st);
	jg_stmt_cache_free(s->stmts); /* before close: it finalizes */
	sqlite3_close(s->db);
	jg_wal_sync_close(s->sync);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct jg_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.request_insert = sq_request_insert,
	.request_update = sq_request_update,
	.request_get = sq_request_get,
	.request_list = sq_request_list,
	.request_overdue = sq_request_overdue,
	.request_count = sq_request_count,
	.tally = sq_tally,
	.request_walk = sq_request_walk,
	.review_insert = sq_review_insert,
	.review_list = sq_review_list,
	.grant_insert = sq_grant_insert,
	.grant_update = sq_grant_update,
	.grant_get = sq_grant_get,
	.grant_by_request = sq_grant_by_request,
	.grant_list = sq_grant_list,
	.grant_find_live = sq_grant_find_live,
	.grant_overdue = sq_grant_overdue,
	.audit_last = sq_audit_last,
	.audit_insert = sq_audit_insert,
	.audit_walk = sq_audit_walk,
	.token_insert = sq_token_insert,
	.token_by_digest = sq_token_by_digest,
	.token_get = sq_token_get,
	.token_list = sq_token_list,
	.token_revoke = sq_token_revoke,
	.token_count = sq_token_count,
	.token_touch = sq_token_touch,
	.outbox_insert = sq_outbox_insert,
	.outbox_claim = sq_outbox_claim,
	.outbox_mark = sq_outbox_mark,
	.outbox_list = sq_outbox_list,
	.grant_expiring = sq_grant_expiring,
	.session_insert = sq_session_insert,
	.session_get = sq_session_get,
	.session_delete = sq_session_delete,
	.session_delete_principal = sq_session_delete_principal,
	.execution_insert = sq_execution_insert,
	.execution_finish = sq_execution_finish,
	.execution_get = sq_execution_get,
	.execution_unfinished = sq_execution_unfinished,
	.request_key_get = sq_request_key_get,
	.request_key_put = sq_request_key_put,
	.checkpoint_insert = sq_checkpoint_insert,
	.checkpoint_list = sq_checkpoint_list,
	.ssh_cert_insert = sq_ssh_cert_insert,
	.ssh_cert_revoked = sq_ssh_cert_revoked,
	.pgcred_insert = sq_pgcred_insert,
	.pgcred_open = sq_pgcred_open,
	.pgcred_drop = sq_pgcred_drop,
	.pgcred_forget = sq_pgcred_forget,
	.pgcred_extend = sq_pgcred_extend,
};

static enum jg_err schema_version(struct sq *s, int64_t *v)
{
	sqlite3_stmt *stmt;
	enum jg_err e = exec(s, "CREATE TABLE IF NOT EXISTS schema_version "
	                        "(version INTEGER NOT NULL)");
	if (e != JG_OK)
		return e;
	stmt = prep(s, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (!stmt)
		return JG_ESTORE;
	e = step_one(s, stmt);
	*v = e == JG_OK ? sqlite3_column_int64(stmt, 0) : 0;
	release(s, stmt);
	return e;
}

static enum jg_err migrate(struct sq *s)
{
	int64_t v;
	enum jg_err e;

	if ((e = exec(s, "BEGIN IMMEDIATE")) != JG_OK)
		return e;
	if ((e = schema_version(s, &v)) != JG_OK)
		goto out;
	if (v > (int64_t)NMIGRATIONS) {
		snprintf(s->base.err, sizeof(s->base.err),
		         "database schema version %lld is newer than this "
		         "jitgate (%zu): upgrade jitgate", (long long)v,
		         NMIGRATIONS);
		e = JG_ESTORE;
		goto out;
	}
	for (; e == JG_OK && v < (int64_t)NMIGRATIONS; v++) {
		char sql[64];
		e = exec(s, migrations[v]);
		snprintf(sql, sizeof(sql),
		         "INSERT INTO schema_version VALUES (%lld)",
		         (long long)v + 1);
		if (e == JG_OK)
			e = exec(s, sql);
	}
out:
	exec(s, e == JG_OK ? "COMMIT" : "ROLLBACK");
	return e;
}

/*
 * One try at WAL mode: JG_OK, or an error with *busy set when another
 * connection held the file.
 */
static enum jg_err try_wal(struct sq *s, int *busy)
{
	sqlite3_stmt *stmt = prep(s, "PRAGMA journal_mode = WAL");
	enum jg_err e = stmt ? step_one(s, stmt) : JG_ESTORE;
	const char *mode;

	*busy = e != JG_OK && sqlite3_errcode(s->db) == SQLITE_BUSY;
	if (e == JG_OK) {
		mode = (const char *)sqlite3_column_text(stmt, 0);
		if (sqlite3_stricmp(mode ? mode : "", "wal") != 0) {
			snprintf(s->base.err, sizeof(s->base.err),
			         "sqlite: cannot use WAL mode (journal mode "
			         "is '%s')", mode ? mode : "");
			e = JG_ESTORE;
		}
	}
	if (stmt)
		release(s, stmt);
	return e;
}

/* How long opening retries a busy switch to WAL, and how often. */
#define WAL_RETRY_MS 5000
#define WAL_RETRY_STEP_MS 5

/*
 * WAL mode, or an error: group commit relies on it (with a rollback
 * journal, synchronous=NORMAL would not be made whole by syncing a WAL).
 * The busy timeout does not cover this pragma: when several servers open
 * a new file at once, one is converting it while SQLite answers the
 * others SQLITE_BUSY at once, so they retry here for a bounded time.
 */
static enum jg_err use_wal(struct sq *s)
{
	enum jg_err e;
	int busy;

	for (int waited = 0;; waited += WAL_RETRY_STEP_MS) {
		e = try_wal(s, &busy);
		if (e == JG_OK || !busy || waited >= WAL_RETRY_MS)
			return e;
		sqlite3_sleep(WAL_RETRY_STEP_MS);
	}
}

/* Once the -wal file exists (after migrate): start group commit, which
 * also makes the migrations durable. */
static enum jg_err start_sync(struct sq *s)
{
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(s->db,
	                                                           "main"));
	char why[sizeof(s->base.err)];

	if (jg_wal_sync_open(wal, &s->sync, why, sizeof(why)) != JG_OK)
		return sync_fail(s, why);
	return JG_OK;
}

uint64_t jg_store_sqlite_syncs(struct jg_store *st)
{
	return st->ops == &sqlite_ops ? jg_wal_sync_count(SQ(st)->sync) : 0;
}

int jg_store_sqlite_wal_fd(struct jg_store *st)
{
	return st->ops == &sqlite_ops ? jg_wal_sync_fd(SQ(st)->sync) : -1;
}

enum jg_err jg_store_sqlite_open(const char *path, struct jg_store **out,
                                 char *err, size_t errlen)
{
	struct sq *s = calloc(1, sizeof(*s));
	enum jg_err e;

	*out = NULL;
	if (!s)
		return JG_ENOMEM;
	s->base.ops = &sqlite_ops;
	pthread_mutex_init(&s->lock, NULL);
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                            SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database '%s': %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(&s->base);
		return JG_ESTORE;
	}
	if (!(s->stmts = jg_stmt_cache_new(s->db))) {
		snprintf(err, errlen, "database '%s': out of memory", path);
		sq_close(&s->base);
		return JG_ENOMEM;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* NORMAL: COMMIT does not sync; sq_commit waits for group commit */
	e = use_wal(s);
	if (e == JG_OK)
		e = exec(s, "PRAGMA synchronous = NORMAL;"
		            " PRAGMA foreign_keys = ON;");
	if (e == JG_OK)
		e = migrate(s);
	if (e == JG_OK)
		e = start_sync(s);
	if (e != JG_OK) {
		snprintf(err, errlen, "database '%s': %s", path, s->base.err);
		sq_close(&s->base);
		return e;
	}
	*out = &s->base;
	return JG_OK;
}
