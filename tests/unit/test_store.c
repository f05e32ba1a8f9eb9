/*
 * test_store.c - the backends of store.h on real databases: SQLite
 * (src/store/sqlite.c) in a temporary file, and, when JITGATE_TEST_PG names
 * a server, PostgreSQL (src/store/pg.c) in a schema of its own; every test
 * runs on each. Migrations, round trips, conditional updates, paging,
 * visibility, the live-grant query, and what several handles on one
 * database (several servers) do to the audit chain.
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
#include <pthread.h>
#include <sqlite3.h>

#include "audit/audit.h"
#include "core/model.h"
#include "store/store.h"
#include "testdb.h"

struct fx {
	char path[TDB_NAME_MAX]; /* SQLite file or PostgreSQL URL */
	struct jg_store *st;
};

/* ---- fixtures and helpers ---------------------------------------------- */

static struct jg_store *open_ok(const char *path)
{
	struct jg_store *st = NULL;
	char err[256] = "";
	enum jg_err e = jg_store_open(path, &st, err, sizeof(err));
	if (e != JG_OK)
		print_error("open %s: %s\n", path, err);
	assert_int_equal(e, JG_OK);
	assert_non_null(st);
	return st;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	tdb_new(f->path);
	f->st = open_ok(f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	jg_store_close(f->st);
	tdb_remove(f->path);
	free(f);
	return 0;
}

/* One integer from SQL run on the database through a separate connection. */
static int64_t sql_int(const char *path, const char *sql)
{
	int64_t v = tdb_int(path, sql);
	assert_true(v >= 0); /* there was a row */
	return v;
}

static void sql_exec(const char *path, const char *sql)
{
	tdb_exec(path, sql);
}

static void begin(struct jg_store *st)
{
	assert_int_equal(st->ops->begin(st, 1), JG_OK);
}

static void commit(struct jg_store *st)
{
	assert_int_equal(st->ops->commit(st), JG_OK);
}

/* A pending request by `who` with one step "1 of group" (payload none). */
static void make_req(struct jg_request *r, const char *id, const char *who,
                     const char *group, int64_t at)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->requester, sizeof(r->requester), "%s", who);
	snprintf(r->resource, sizeof(r->resource), "prod-db");
	snprintf(r->action, sizeof(r->action), "sql.read");
	r->reason = (char *)"because"; /* borrowed: never cleared */
	r->duration = 600;
	snprintf(r->rule, sizeof(r->rule), "reads");
	snprintf(r->steps[0].group, sizeof(r->steps[0].group), "%s", group);
	r->steps[0].count = 1;
	r->nsteps = 1;
	r->state = JG_REQ_PENDING;
	r->created_at = at;
	r->expires_at = at + 3600;
}

static void insert_req(struct jg_store *st, const struct jg_request *r)
{
	begin(st);
	assert_int_equal(st->ops->request_insert(st, r), JG_OK);
	commit(st);
}

static void make_grant(struct jg_grant *g, const char *id, int64_t nb,
                       int64_t exp, int uses)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->id, sizeof(g->id), "%s", id);
	snprintf(g->request_id, sizeof(g->request_id), "req_%s", id);
	snprintf(g->principal, sizeof(g->principal), "alice");
	snprintf(g->resource, sizeof(g->resource), "prod-db");
	snprintf(g->action, sizeof(g->action), "sql.read");
	g->not_before = nb;
	g->expires_at = exp;
	g->uses_left = uses;
	g->state = JG_GRANT_ACTIVE;
	g->created_at = nb;
}

static void insert_grant(struct jg_store *st, const struct jg_grant *g)
{
	begin(st);
	assert_int_equal(st->ops->grant_insert(st, g), JG_OK);
	commit(st);
}

static enum jg_err find_live(struct jg_store *st, int64_t now,
                             struct jg_grant *out)
{
	return st->ops->grant_find_live(st, "alice", "prod-db", "sql.read",
	                                NULL, now, out);
}

/* ---- open and migrate -------------------------------------------------- */

static void reopen_is_idempotent_one_row_per_migration(void **state)
{
	struct fx *f = *state;
	struct jg_request r, got;
	int64_t rows, maxv, distinct;

	make_req(&r, "req_keep", "alice", "dba", 100);
	insert_req(f->st, &r);
	jg_store_close(f->st);
	f->st = open_ok(f->path);
	jg_store_close(f->st);
	f->st = open_ok(f->path);
	rows = sql_int(f->path, "SELECT count(*) FROM schema_version");
	maxv = sql_int(f->path, "SELECT max(version) FROM schema_version");
	distinct = sql_int(f->path, "SELECT count(DISTINCT version) FROM "
	                            "schema_version");
	assert_true(rows >= 1);
	assert_int_equal(rows, maxv);
	assert_int_equal(rows, distinct);
	/* the data written before the reopens is still there */
	assert_int_equal(f->st->ops->request_get(f->st, "req_keep", &got),
	                 JG_OK);
	jg_request_clear(&got);
}

static void newer_schema_refused_with_clear_message(void **state)
{
	struct fx *f = *state;
	struct jg_store *st = (struct jg_store *)&st;
	char err[256] = "", where[TDB_NAME_MAX];

	jg_store_close(f->st);
	f->st = NULL;
	sql_exec(f->path, "INSERT INTO schema_version VALUES (999)");
	assert_int_equal(jg_store_open(f->path, &st, err, sizeof(err)),
	                 JG_ESTORE);
	assert_null(st);
	assert_non_null(strstr(err, "999"));
	assert_non_null(strstr(err, "newer"));
	/* the file, or the URL as printable (for SQLite: the path itself) */
	jg_store_describe(f->path, where, sizeof(where));
	assert_non_null(strstr(err, where));
	/* and nothing was written by the refused open */
	assert_int_equal(sql_int(f->path, "SELECT max(version) FROM "
	                                  "schema_version"),
	                 999);
}

static void open_refuses_empty_path_and_unreachable_postgres(void **state)
{
	struct jg_store *st = (struct jg_store *)&st;
	char err[256] = "";
	(void)state;
	assert_int_equal(jg_store_open("sqlite:", &st, err, sizeof(err)),
	                 JG_EINVAL);
	assert_null(st);
	assert_true(err[0] != '\0');
	/* a postgres:// URL goes to PostgreSQL: nobody listens on port 1 */
	st = (struct jg_store *)&st;
	err[0] = '\0';
	assert_int_equal(jg_store_open("postgres://jg:s3cret@127.0.0.1:1/y",
	                               &st, err, sizeof(err)),
	                 JG_ESTORE);
	assert_null(st);
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_null(strstr(err, "s3cret")); /* never the password */
}

static void describe_never_shows_a_password(void **state)
{
	char out[256];
	(void)state;
	jg_store_describe("postgresql://jg:s3cret@db.example:5433/jitgate"
	                  "?sslmode=require&password=other",
	                  out, sizeof(out));
	assert_string_equal(out, "postgresql://jg@db.example:5433/jitgate");
	jg_store_describe("var/jitgate.db", out, sizeof(out));
	assert_string_equal(out, "var/jitgate.db");
}

/* ---- requests ---------------------------------------------------------- */

static void request_round_trip_without_payload(void **state)
{
	struct fx *f = *state;
	struct jg_request r, got;

	make_req(&r, "req_a", "alice", "dba", 100);
	snprintf(r.steps[1].group, sizeof(r.steps[1].group), "security");
	r.steps[0].count = 2;
	r.steps[1].count = 1;
	r.nsteps = 2;
	snprintf(r.ticket, sizeof(r.ticket), "INC-42");
	snprintf(r.state_reason, sizeof(r.state_reason), "needs approval");
	insert_req(f->st, &r);

	assert_int_equal(f->st->ops->request_get(f->st, "req_a", &got), JG_OK);
	assert_string_equal(got.id, "req_a");
	assert_string_equal(got.requester, "alice");
	assert_string_equal(got.resource, "prod-db");
	assert_string_equal(got.action, "sql.read");
	assert_null(got.payload);
	assert_string_equal(got.payload_sha256, "");
	assert_string_equal(got.reason, "because");
	assert_string_equal(got.ticket, "INC-42");
	assert_int_equal(got.duration, 600);
	assert_string_equal(got.rule, "reads");
	assert_int_equal(got.nsteps, 2);
	assert_string_equal(got.steps[0].group, "dba");
	assert_int_equal(got.steps[0].count, 2);
	assert_string_equal(got.steps[1].group, "security");
	assert_int_equal(got.steps[1].count, 1);
	assert_int_equal(got.step, 0);
	assert_int_equal(got.state, JG_REQ_PENDING);
	assert_string_equal(got.state_reason, "needs approval");
	assert_int_equal(got.created_at, 100);
	assert_int_equal(got.expires_at, 3700);
	assert_int_equal(got.decided_at, 0);
	jg_request_clear(&got);
}

static void request_round_trip_with_payload(void **state)
{
	struct fx *f = *state;
	struct jg_request r, got;

	make_req(&r, "req_p", "alice", "dba", 100);
	r.payload = (char *)"UPDATE t SET x = 'it''s' -- \xc3\xa9";
	snprintf(r.payload_sha256, sizeof(r.payload_sha256), "%064d", 1);
	r.state = JG_REQ_APPROVED;
	r.decided_at = 101;
	insert_req(f->st, &r);

	assert_int_equal(f->st->ops->request_get(f->st, "req_p", &got), JG_OK);
	assert_non_null(got.payload);
	assert_string_equal(got.payload, r.payload);
	assert_string_equal(got.payload_sha256, r.payload_sha256);
	assert_int_equal(got.state, JG_REQ_APPROVED);
	assert_int_equal(got.decided_at, 101);
	jg_request_clear(&got);
}

static void request_get_unknown_not_found(void **state)
{
	struct fx *f = *state;
	struct jg_request got;
	assert_int_equal(f->st->ops->request_get(f->st, "req_nope", &got),
	                 JG_ENOTFOUND);
}

static void request_insert_duplicate_id_refused(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	make_req(&r, "req_d", "alice", "dba", 100);
	insert_req(f->st, &r);
	begin(f->st);
	assert_int_not_equal(f->st->ops->request_insert(f->st, &r), JG_OK);
	f->st->ops->rollback(f->st);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM requests"), 1);
}

static void rollback_discards_writes(void **state)
{
	struct fx *f = *state;
	struct jg_request r, got;
	make_req(&r, "req_rb", "alice", "dba", 100);
	begin(f->st);
	assert_int_equal(f->st->ops->request_insert(f->st, &r), JG_OK);
	f->st->ops->rollback(f->st);
	assert_int_equal(f->st->ops->request_get(f->st, "req_rb", &got),
	                 JG_ENOTFOUND);
}

static void request_update_from_stale_state_or_step_conflicts(void **state)
{
	struct fx *f = *state;
	struct jg_request r, got;

	make_req(&r, "req_u", "alice", "dba", 100);
	insert_req(f->st, &r);

	r.state = JG_REQ_APPROVED;
	r.step = 1;
	r.decided_at = 200;
	snprintf(r.state_reason, sizeof(r.state_reason), "approved");
	begin(f->st);
	/* wrong state read */
	assert_int_equal(f->st->ops->request_update(f->st, &r, JG_REQ_DENIED,
	                                            0),
	                 JG_ECONFLICT);
	/* right state, stale step */
	assert_int_equal(f->st->ops->request_update(f->st, &r, JG_REQ_PENDING,
	                                            1),
	                 JG_ECONFLICT);
	commit(f->st);

	assert_int_equal(f->st->ops->request_get(f->st, "req_u", &got), JG_OK);
	assert_int_equal(got.state, JG_REQ_PENDING);
	assert_int_equal(got.step, 0);
	assert_int_equal(got.decided_at, 0);
	assert_string_equal(got.state_reason, "");
	jg_request_clear(&got);

	begin(f->st);
	assert_int_equal(f->st->ops->request_update(f->st, &r, JG_REQ_PENDING,
	                                            0),
	                 JG_OK);
	commit(f->st);
	assert_int_equal(f->st->ops->request_get(f->st, "req_u", &got), JG_OK);
	assert_int_equal(got.state, JG_REQ_APPROVED);
	assert_int_equal(got.step, 1);
	assert_int_equal(got.decided_at, 200);
	assert_string_equal(got.state_reason, "approved");
	jg_request_clear(&got);

	/* the same update again is now stale */
	begin(f->st);
	assert_int_equal(f->st->ops->request_update(f->st, &r, JG_REQ_PENDING,
	                                            0),
	                 JG_ECONFLICT);
	commit(f->st);
}

static void request_update_unknown_id_conflicts(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	make_req(&r, "req_ghost", "alice", "dba", 100);
	begin(f->st);
	assert_int_equal(f->st->ops->request_update(f->st, &r, JG_REQ_PENDING,
	                                            0),
	                 JG_ECONFLICT);
	commit(f->st);
}

static void request_overdue_edges(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	char ids[4][JG_ID_LEN];
	size_t n = 99;

	make_req(&r, "req_o", "alice", "dba", 100); /* expires 3700 */
	insert_req(f->st, &r);
	make_req(&r, "req_done", "alice", "dba", 100);
	r.state = JG_REQ_APPROVED;
	insert_req(f->st, &r);
	assert_int_equal(f->st->ops->request_overdue(f->st, 3699, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(f->st->ops->request_overdue(f->st, 3700, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "req_o");
}

/* ---- paging and visibility --------------------------------------------- */

#define NPAGE 7

static void request_list_pages_cover_every_row_once_newest_first(void **state)
{
	struct fx *f = *state;
	int seen[NPAGE] = {0};
	int64_t cursor = 0, last_created = INT64_MAX;
	int pages = 0, total = 0;

	for (int i = 0; i < NPAGE; i++) {
		struct jg_request r;
		char id[16];
		snprintf(id, sizeof(id), "req_%d", i);
		make_req(&r, id, "alice", "dba", 1000 + i);
		insert_req(f->st, &r);
	}
	do {
		struct jg_filter flt = {.limit = 3, .cursor = cursor};
		struct jg_request *out = NULL;
		size_t n = 0;
		int64_t next = -1;
		assert_int_equal(f->st->ops->request_list(f->st, &flt, &out, &n,
		                                          &next),
		                 JG_OK);
		assert_true(n <= 3);
		for (size_t i = 0; i < n; i++) {
			int k = atoi(out[i].id + 4);
			assert_true(k >= 0 && k < NPAGE);
			seen[k]++;
			assert_true(out[i].created_at < last_created);
			last_created = out[i].created_at;
			jg_request_clear(&out[i]);
		}
		free(out);
		total += (int)n;
		cursor = next;
		pages++;
		assert_true(pages <= NPAGE); /* no endless paging */
	} while (cursor != 0);
	assert_int_equal(pages, 3);
	assert_int_equal(total, NPAGE);
	for (int i = 0; i < NPAGE; i++)
		assert_int_equal(seen[i], 1);
}

static void request_list_exact_page_ends_with_no_cursor(void **state)
{
	struct fx *f = *state;
	struct jg_filter flt = {.limit = 2};
	struct jg_request *out = NULL;
	size_t n = 0;
	int64_t next = -1;

	for (int i = 0; i < 2; i++) {
		struct jg_request r;
		char id[16];
		snprintf(id, sizeof(id), "req_%d", i);
		make_req(&r, id, "alice", "dba", 1000 + i);
		insert_req(f->st, &r);
	}
	assert_int_equal(f->st->ops->request_list(f->st, &flt, &out, &n, &next),
	                 JG_OK);
	assert_int_equal(n, 2);
	assert_int_equal(next, 0);
	for (size_t i = 0; i < n; i++)
		jg_request_clear(&out[i]);
	free(out);
}

/* Which of the ids came back for this filter; returns the count. */
static size_t list_ids(struct jg_store *st, struct jg_filter *flt,
                       char *buf, size_t len)
{
	struct jg_request *out = NULL;
	size_t n = 0;
	int64_t next = 0;

	buf[0] = '\0';
	flt->limit = 50;
	assert_int_equal(st->ops->request_list(st, flt, &out, &n, &next),
	                 JG_OK);
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, "%s ", out[i].id);
		jg_request_clear(&out[i]);
	}
	free(out);
	return n;
}

static void request_list_viewer_sees_own_and_reviewable_only(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	char ids[256];

	make_req(&r, "req_alice", "alice", "dba", 1); /* reviewed by dba */
	insert_req(f->st, &r);
	make_req(&r, "req_bob", "bob", "security", 2);
	insert_req(f->st, &r);
	make_req(&r, "req_carol", "carol", "dba", 3); /* dba then security */
	snprintf(r.steps[1].group, sizeof(r.steps[1].group), "security");
	r.steps[1].count = 1;
	r.nsteps = 2;
	insert_req(f->st, &r);
	make_req(&r, "req_dave", "dave", "payments", 4);
	insert_req(f->st, &r);

	{ /* no groups: own requests only */
		struct jg_filter flt = {.viewer = "alice"};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 1);
		assert_string_equal(ids, "req_alice ");
	}
	{ /* a dba member sees what dba reviews */
		const char *g[] = {"dba"};
		struct jg_filter flt = {.viewer = "erin", .viewer_groups = g,
		                        .nviewer_groups = 1};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 2);
		assert_string_equal(ids, "req_carol req_alice ");
	}
	{ /* own + security's, each once although carol's names both */
		const char *g[] = {"security", "dba"};
		struct jg_filter flt = {.viewer = "dave", .viewer_groups = g,
		                        .nviewer_groups = 2};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 4);
		assert_string_equal(ids,
		                    "req_dave req_carol req_bob req_alice ");
	}
	{ /* a group that reviews nothing adds nothing */
		const char *g[] = {"sre"};
		struct jg_filter flt = {.viewer = "zed", .viewer_groups = g,
		                        .nviewer_groups = 1};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 0);
	}
	{ /* no viewer: everything; plus the requester filter */
		struct jg_filter flt = {0};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 4);
		flt = (struct jg_filter){.principal = "bob"};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 1);
		assert_string_equal(ids, "req_bob ");
	}
}

/* The gate passes token groups and policy groups: up to 2 x JG_GROUPS_MAX. */
static void request_list_viewer_with_many_groups_sees_reviewable(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	char names[2 * JG_GROUPS_MAX][16], ids[256];
	const char *g[2 * JG_GROUPS_MAX];
	size_t n = JG_GROUPS_MAX + 8;

	make_req(&r, "req_dba", "alice", "dba", 1);
	insert_req(f->st, &r);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "team%zu", i);
		g[i] = names[i];
	}
	g[n - 1] = "dba"; /* the one that matters comes last */
	{
		struct jg_filter flt = {.viewer = "erin", .viewer_groups = g,
		                        .nviewer_groups = n};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 1);
		assert_string_equal(ids, "req_dba ");
	}
}

static void request_list_state_filter(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	char ids[256];
	struct jg_filter flt = {.state = "approved"};

	make_req(&r, "req_p", "alice", "dba", 1);
	insert_req(f->st, &r);
	make_req(&r, "req_a", "alice", "dba", 2);
	r.state = JG_REQ_APPROVED;
	insert_req(f->st, &r);
	assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 1);
	assert_string_equal(ids, "req_a ");
}

static void request_list_state_filter_uses_state_at_now(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	char ids[256];

	make_req(&r, "req_due", "alice", "dba", 100); /* deadline 3700 */
	insert_req(f->st, &r);
	{
		struct jg_filter flt = {.state = "pending", .now = 3699};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 1);
		flt = (struct jg_filter){.state = "expired", .now = 3699};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 0);
		flt = (struct jg_filter){.state = "pending", .now = 3700};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 0);
		flt = (struct jg_filter){.state = "expired", .now = 3700};
		assert_int_equal(list_ids(f->st, &flt, ids, sizeof(ids)), 1);
		assert_string_equal(ids, "req_due ");
	}
}

/* ---- the tally (/metrics) ---------------------------------------------- */

struct tally_row {
	char key[96]; /* kind/state/label */
	int64_t n, failed;
};
struct tally_rows {
	struct tally_row r[16];
	size_t n;
};

static void tally_add(const char *kind, const char *state, const char *label,
                      int64_t n, int64_t failed, void *ctx)
{
	struct tally_rows *t = ctx;

	assert_true(t->n < 16);
	snprintf(t->r[t->n].key, sizeof(t->r[0].key), "%s/%s/%s", kind, state,
	         label);
	t->r[t->n].n = n;
	t->r[t->n++].failed = failed;
}

/* The row with key, which must be there once. */
static const struct tally_row *tally_row(const struct tally_rows *t,
                                         const char *key)
{
	const struct tally_row *found = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->r[i].key, key) == 0) {
			assert_null(found);
			found = &t->r[i];
		}
	if (!found)
		print_error("no tally row %s\n", key);
	assert_non_null(found);
	return found;
}

/* Queue a delivery, then record `attempts` attempts ending in state. */
static void outbox_put(struct jg_store *st, const char *dedupe,
                       const char *state, int attempts)
{
	struct jg_delivery d = {.created_at = 1}, *ds = NULL;
	size_t n = 0;

	snprintf(d.target, sizeof(d.target), "webhook");
	snprintf(d.event, sizeof(d.event), "request.pending");
	snprintf(d.subject, sizeof(d.subject), "req_x");
	snprintf(d.dedupe, sizeof(d.dedupe), "%s", dedupe);
	d.payload = (char *)"{}"; /* borrowed: never cleared */
	begin(st);
	assert_int_equal(st->ops->outbox_insert(st, &d), JG_OK);
	commit(st);
	begin(st);
	assert_int_equal(st->ops->outbox_list(st, NULL, 1, &ds, &n), JG_OK);
	assert_int_equal(n, 1);
	snprintf(ds[0].state, sizeof(ds[0].state), "%s", state);
	ds[0].attempts = attempts;
	assert_int_equal(st->ops->outbox_mark(st, &ds[0]), JG_OK);
	commit(st);
	free(ds[0].payload);
	free(ds);
}

static void tally_counts_requests_and_outbox(void **state)
{
	struct fx *f = *state;
	struct jg_request r;
	struct tally_rows t = {0};
	const char *states[] = {"pending", "approved", "approved", "approved"};
	const char *rules[] = {"reads", "reads", "writes", "writes"};

	for (int i = 0; i < 4; i++) {
		char id[16];
		snprintf(id, sizeof(id), "req_%d", i);
		make_req(&r, id, "alice", "dba", 10 + i);
		snprintf(r.rule, sizeof(r.rule), "%s", rules[i]);
		r.state = strcmp(states[i], "pending") ? JG_REQ_APPROVED
		                                        : JG_REQ_PENDING;
		insert_req(f->st, &r);
	}
	outbox_put(f->st, "d1", "delivered", 3); /* 2 failed, then sent */
	outbox_put(f->st, "d2", "dead", 4);      /* 4 failed */
	outbox_put(f->st, "d3", "pending", 1);   /* 1 failed, will retry */
	outbox_put(f->st, "d4", "pending", 0);   /* not tried yet */
	begin(f->st);
	assert_int_equal(f->st->ops->tally(f->st, tally_add, &t), JG_OK);
	f->st->ops->rollback(f->st);
	assert_int_equal(t.n, 6);
	assert_int_equal(tally_row(&t, "request/pending/reads")->n, 1);
	assert_int_equal(tally_row(&t, "request/approved/reads")->n, 1);
	assert_int_equal(tally_row(&t, "request/approved/writes")->n, 2);
	assert_int_equal(tally_row(&t, "outbox/delivered/")->n, 1);
	assert_int_equal(tally_row(&t, "outbox/delivered/")->failed, 2);
	assert_int_equal(tally_row(&t, "outbox/dead/")->n, 1);
	assert_int_equal(tally_row(&t, "outbox/dead/")->failed, 4);
	assert_int_equal(tally_row(&t, "outbox/pending/")->n, 2);
	assert_int_equal(tally_row(&t, "outbox/pending/")->failed, 1);
}

/* ---- reviews ----------------------------------------------------------- */

static void review_twice_by_same_reviewer_dup(void **state)
{
	struct fx *f = *state;
	struct jg_review rv = {.reviewer = "bob", .step = 0, .approve = 1,
	                       .comment = (char *)"lgtm", .at = 10};
	struct jg_review *out = NULL;
	size_t n = 0;

	begin(f->st);
	assert_int_equal(f->st->ops->review_insert(f->st, "req_x", &rv), JG_OK);
	rv.approve = 0;
	rv.comment = NULL;
	assert_int_equal(f->st->ops->review_insert(f->st, "req_x", &rv),
	                 JG_EDUP);
	/* another reviewer, and the same reviewer on another request, are fine */
	snprintf(rv.reviewer, sizeof(rv.reviewer), "carol");
	assert_int_equal(f->st->ops->review_insert(f->st, "req_x", &rv), JG_OK);
	snprintf(rv.reviewer, sizeof(rv.reviewer), "bob");
	assert_int_equal(f->st->ops->review_insert(f->st, "req_y", &rv), JG_OK);
	commit(f->st);

	assert_int_equal(f->st->ops->review_list(f->st, "req_x", &out, &n),
	                 JG_OK);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].reviewer, "bob");
	assert_int_equal(out[0].approve, 1);
	assert_string_equal(out[0].comment, "lgtm");
	assert_int_equal(out[0].at, 10);
	assert_string_equal(out[1].reviewer, "carol");
	assert_int_equal(out[1].approve, 0);
	assert_null(out[1].comment);
	for (size_t i = 0; i < n; i++)
		jg_review_clear(&out[i]);
	free(out);
}

/* ---- grants ------------------------------------------------------------ */

static void grant_round_trip_and_conditional_update(void **state)
{
	struct fx *f = *state;
	struct jg_grant g, got;

	make_grant(&g, "grt_1", 100, 200, 1);
	snprintf(g.payload_sha256, sizeof(g.payload_sha256), "%064d", 9);
	insert_grant(f->st, &g);
	assert_int_equal(f->st->ops->grant_get(f->st, "grt_1", &got), JG_OK);
	assert_string_equal(got.request_id, "req_grt_1");
	assert_string_equal(got.payload_sha256, g.payload_sha256);
	assert_int_equal(got.not_before, 100);
	assert_int_equal(got.expires_at, 200);
	assert_int_equal(got.uses_left, 1);
	assert_int_equal(got.state, JG_GRANT_ACTIVE);
	assert_int_equal(f->st->ops->grant_by_request(f->st, "req_grt_1", &got),
	                 JG_OK);
	assert_string_equal(got.id, "grt_1");

	g.state = JG_GRANT_REVOKED;
	g.ended_at = 150;
	snprintf(g.ended_by, sizeof(g.ended_by), "bob");
	begin(f->st);
	assert_int_equal(f->st->ops->grant_update(f->st, &g, JG_GRANT_EXPIRED),
	                 JG_ECONFLICT);
	assert_int_equal(f->st->ops->grant_update(f->st, &g, JG_GRANT_ACTIVE),
	                 JG_OK);
	assert_int_equal(f->st->ops->grant_update(f->st, &g, JG_GRANT_ACTIVE),
	                 JG_ECONFLICT);
	commit(f->st);
	assert_int_equal(f->st->ops->grant_get(f->st, "grt_1", &got), JG_OK);
	assert_int_equal(got.state, JG_GRANT_REVOKED);
	assert_string_equal(got.ended_by, "bob");
	assert_int_equal(got.ended_at, 150);
}

static void grant_find_live_window_edges(void **state)
{
	struct fx *f = *state;
	struct jg_grant g, got;

	make_grant(&g, "grt_w", 100, 200, -1);
	insert_grant(f->st, &g);
	assert_int_equal(find_live(f->st, 99, &got), JG_ENOTFOUND);
	assert_int_equal(find_live(f->st, 100, &got), JG_OK);
	assert_string_equal(got.id, "grt_w");
	assert_int_equal(find_live(f->st, 199, &got), JG_OK);
	assert_int_equal(find_live(f->st, 200, &got), JG_ENOTFOUND);
	/* other principal / action / resource never match */
	assert_int_equal(f->st->ops->grant_find_live(f->st, "bob", "prod-db",
	                                             "sql.read", NULL, 150, &got),
	                 JG_ENOTFOUND);
	assert_int_equal(f->st->ops->grant_find_live(f->st, "alice", "prod-db",
	                                             "sql.write", NULL, 150, &got),
	                 JG_ENOTFOUND);
	assert_int_equal(f->st->ops->grant_find_live(f->st, "alice", "stage",
	                                             "sql.read", NULL, 150, &got),
	                 JG_ENOTFOUND);
}

static void grant_find_live_skips_ended_and_used_up(void **state)
{
	struct fx *f = *state;
	struct jg_grant g, got;

	make_grant(&g, "grt_rev", 100, 900, -1);
	g.state = JG_GRANT_REVOKED;
	insert_grant(f->st, &g);
	make_grant(&g, "grt_used", 100, 900, 0);
	insert_grant(f->st, &g);
	make_grant(&g, "grt_done", 100, 900, 1);
	g.state = JG_GRANT_CONSUMED;
	insert_grant(f->st, &g);
	assert_int_equal(find_live(f->st, 150, &got), JG_ENOTFOUND);

	make_grant(&g, "grt_once", 100, 300, 1);
	insert_grant(f->st, &g);
	assert_int_equal(find_live(f->st, 150, &got), JG_OK);
	assert_string_equal(got.id, "grt_once");
}

static void grant_find_live_prefers_latest_expiry(void **state)
{
	struct fx *f = *state;
	struct jg_grant g, got;

	make_grant(&g, "grt_short", 100, 300, -1);
	insert_grant(f->st, &g);
	make_grant(&g, "grt_long", 100, 500, -1);
	insert_grant(f->st, &g);
	make_grant(&g, "grt_mid", 100, 400, -1);
	insert_grant(f->st, &g);
	assert_int_equal(find_live(f->st, 150, &got), JG_OK);
	assert_string_equal(got.id, "grt_long");
	assert_int_equal(find_live(f->st, 450, &got), JG_OK);
	assert_string_equal(got.id, "grt_long");
}

static size_t grant_count(struct jg_store *st, const char *state_name,
                          int64_t now)
{
	struct jg_filter flt = {.state = state_name, .now = now, .limit = 50};
	struct jg_grant *out = NULL;
	size_t n = 0;
	int64_t next = -1;
	assert_int_equal(st->ops->grant_list(st, &flt, &out, &n, &next), JG_OK);
	assert_int_equal(next, 0);
	free(out);
	return n;
}

static void grant_list_state_filter_uses_state_at_now(void **state)
{
	struct fx *f = *state;
	struct jg_grant g;

	make_grant(&g, "grt_a", 100, 200, -1);
	insert_grant(f->st, &g);
	make_grant(&g, "grt_r", 100, 200, -1);
	g.state = JG_GRANT_REVOKED;
	insert_grant(f->st, &g);
	assert_int_equal(grant_count(f->st, "active", 199), 1);
	assert_int_equal(grant_count(f->st, "expired", 199), 0);
	assert_int_equal(grant_count(f->st, "active", 200), 0);
	assert_int_equal(grant_count(f->st, "expired", 200), 1);
	assert_int_equal(grant_count(f->st, "revoked", 200), 1);
	assert_int_equal(grant_count(f->st, NULL, 200), 2);
}

static void grant_list_pages_cover_every_row_once(void **state)
{
	struct fx *f = *state;
	int seen[5] = {0};
	int64_t cursor = 0;
	int pages = 0;

	for (int i = 0; i < 5; i++) {
		struct jg_grant g;
		char id[16];
		snprintf(id, sizeof(id), "grt_%d", i);
		make_grant(&g, id, 100, 200, -1);
		insert_grant(f->st, &g);
	}
	do {
		struct jg_filter flt = {.limit = 2, .cursor = cursor};
		struct jg_grant *out = NULL;
		size_t n = 0;
		assert_int_equal(f->st->ops->grant_list(f->st, &flt, &out, &n,
		                                        &cursor),
		                 JG_OK);
		for (size_t i = 0; i < n; i++)
			seen[atoi(out[i].id + 4)]++;
		if (n >= 2)
			assert_true(atoi(out[0].id + 4) > atoi(out[1].id + 4));
		free(out);
		assert_true(++pages <= 5);
	} while (cursor != 0);
	assert_int_equal(pages, 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(seen[i], 1);
}

static void grant_overdue_edges(void **state)
{
	struct fx *f = *state;
	struct jg_grant g;
	char ids[4][JG_ID_LEN];
	size_t n = 99;

	make_grant(&g, "grt_a", 100, 200, -1);
	insert_grant(f->st, &g);
	make_grant(&g, "grt_b", 100, 200, -1);
	g.state = JG_GRANT_REVOKED;
	insert_grant(f->st, &g);
	assert_int_equal(f->st->ops->grant_overdue(f->st, 199, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(f->st->ops->grant_overdue(f->st, 200, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "grt_a");
}

/* ---- tokens ------------------------------------------------------------ */

static void token_by_digest_and_revoke(void **state)
{
	struct fx *f = *state;
	struct jg_token t = {0}, got;
	int64_t count = -1;

	snprintf(t.id, sizeof(t.id), "tok_1");
	snprintf(t.digest, sizeof(t.digest), "%064d", 5);
	snprintf(t.who.name, sizeof(t.who.name), "ci-bot");
	snprintf(t.who.groups[0], sizeof(t.who.groups[0]), "dba");
	snprintf(t.who.groups[1], sizeof(t.who.groups[1]), "security");
	t.who.ngroups = 2;
	t.who.service = 1;
	t.who.roles = JG_ROLE_CHECKER | JG_ROLE_AUDITOR;
	snprintf(t.description, sizeof(t.description), "pipeline");
	snprintf(t.created_by, sizeof(t.created_by), "admin");
	t.created_at = 50;

	assert_int_equal(f->st->ops->token_count(f->st, &count), JG_OK);
	assert_int_equal(count, 0);
	begin(f->st);
	assert_int_equal(f->st->ops->token_insert(f->st, &t), JG_OK);
	commit(f->st);
	assert_int_equal(f->st->ops->token_count(f->st, &count), JG_OK);
	assert_int_equal(count, 1);

	assert_int_equal(f->st->ops->token_by_digest(f->st, t.digest, &got),
	                 JG_OK);
	assert_string_equal(got.id, "tok_1");
	assert_string_equal(got.who.name, "ci-bot");
	assert_int_equal(got.who.ngroups, 2);
	assert_string_equal(got.who.groups[0], "dba");
	assert_string_equal(got.who.groups[1], "security");
	assert_int_equal(got.who.service, 1);
	assert_int_equal(got.who.roles, JG_ROLE_CHECKER | JG_ROLE_AUDITOR);
	assert_string_equal(got.description, "pipeline");
	assert_string_equal(got.created_by, "admin");
	assert_int_equal(got.created_at, 50);
	assert_int_equal(got.revoked_at, 0);

	assert_int_equal(f->st->ops->token_by_digest(f->st, "ab", &got),
	                 JG_ENOTFOUND);

	begin(f->st);
	assert_int_equal(f->st->ops->token_revoke(f->st, "tok_1", 77), JG_OK);
	assert_int_equal(f->st->ops->token_revoke(f->st, "tok_1", 88),
	                 JG_ECONFLICT);
	assert_int_equal(f->st->ops->token_revoke(f->st, "tok_nope", 88),
	                 JG_ECONFLICT);
	commit(f->st);
	assert_int_equal(f->st->ops->token_get(f->st, "tok_1", &got), JG_OK);
	assert_int_equal(got.revoked_at, 77);
	assert_int_equal(f->st->ops->token_by_digest(f->st, t.digest, &got),
	                 JG_OK);
	assert_int_equal(got.revoked_at, 77);
}

/* A lifetime is kept; a use is recorded at most once a minute. */
static void token_expiry_and_touch(void **state)
{
	struct fx *f = *state;
	struct jg_token t = {0}, got;

	snprintf(t.id, sizeof(t.id), "tok_1");
	snprintf(t.digest, sizeof(t.digest), "%064d", 6);
	snprintf(t.who.name, sizeof(t.who.name), "alice");
	snprintf(t.created_by, sizeof(t.created_by), "admin");
	t.created_at = 1000;
	t.expires_at = 1000 + 90 * 86400;
	t.last_used_at = 999; /* never stored: a new token is unused */
	begin(f->st);
	assert_int_equal(f->st->ops->token_insert(f->st, &t), JG_OK);
	commit(f->st);
	assert_int_equal(f->st->ops->token_get(f->st, "tok_1", &got), JG_OK);
	assert_int_equal(got.expires_at, 1000 + 90 * 86400);
	assert_int_equal(got.last_used_at, 0);

	begin(f->st);
	assert_int_equal(f->st->ops->token_touch(f->st, "tok_1", 2000), JG_OK);
	/* within the minute: nothing written */
	assert_int_equal(f->st->ops->token_touch(f->st, "tok_1", 2059),
	                 JG_ECONFLICT);
	commit(f->st);
	assert_int_equal(f->st->ops->token_get(f->st, "tok_1", &got), JG_OK);
	assert_int_equal(got.last_used_at, 2000);
	begin(f->st);
	assert_int_equal(f->st->ops->token_touch(f->st, "tok_1", 2060), JG_OK);
	assert_int_equal(f->st->ops->token_touch(f->st, "tok_nope", 9000),
	                 JG_ECONFLICT);
	commit(f->st);
	assert_int_equal(f->st->ops->token_by_digest(f->st, t.digest, &got),
	                 JG_OK);
	assert_int_equal(got.last_used_at, 2060);
}

static void token_digest_unique(void **state)
{
	struct fx *f = *state;
	struct jg_token t = {0};

	snprintf(t.id, sizeof(t.id), "tok_1");
	snprintf(t.digest, sizeof(t.digest), "%064d", 5);
	snprintf(t.who.name, sizeof(t.who.name), "a");
	begin(f->st);
	assert_int_equal(f->st->ops->token_insert(f->st, &t), JG_OK);
	snprintf(t.id, sizeof(t.id), "tok_2");
	assert_int_not_equal(f->st->ops->token_insert(f->st, &t), JG_OK);
	commit(f->st);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM tokens"), 1);
}

/* ---- executions and idempotency keys (migration 5) --------------------- */

static void request_params_round_trip(void **state)
{
	struct fx *f = *state;
	struct jg_request r, got;

	make_req(&r, "req_params", "alice", "dba", 100);
	r.params = (char *)"{\"service\":\"a; rm -rf /\",\"x\":\"\xc3\xa9\"}";
	insert_req(f->st, &r);
	assert_int_equal(f->st->ops->request_get(f->st, "req_params", &got),
	                 JG_OK);
	assert_non_null(got.params);
	assert_string_equal(got.params, r.params);
	jg_request_clear(&got);
	make_req(&r, "req_noparams", "alice", "dba", 100);
	insert_req(f->st, &r);
	assert_int_equal(f->st->ops->request_get(f->st, "req_noparams", &got),
	                 JG_OK);
	assert_null(got.params);
	jg_request_clear(&got);
}

static void make_exec(struct jg_execution *x, const char *id,
                      const char *req, int64_t at, int64_t deadline)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", id);
	snprintf(x->request_id, sizeof(x->request_id), "%s", req);
	snprintf(x->grant_id, sizeof(x->grant_id), "grt_%s", id);
	snprintf(x->connector, sizeof(x->connector), "command");
	snprintf(x->started_by, sizeof(x->started_by), "alice");
	x->state = JG_EXEC_STARTED;
	x->exit_code = -1;
	x->started_at = at;
	x->deadline_at = deadline;
}

static void insert_exec(struct jg_store *st, const struct jg_execution *x,
                        enum jg_err want)
{
	begin(st);
	assert_int_equal(st->ops->execution_insert(st, x), want);
	if (want == JG_OK)
		commit(st);
	else
		st->ops->rollback(st);
}

static void execution_round_trip_and_finish_once(void **state)
{
	struct fx *f = *state;
	struct jg_execution x, got;

	make_exec(&x, "exe_1", "req_1", 100, 160);
	insert_exec(f->st, &x, JG_OK);
	assert_int_equal(f->st->ops->execution_get(f->st, "req_1", &got),
	                 JG_OK);
	assert_string_equal(got.id, "exe_1");
	assert_string_equal(got.grant_id, "grt_exe_1");
	assert_string_equal(got.connector, "command");
	assert_int_equal(got.state, JG_EXEC_STARTED);
	assert_int_equal(got.exit_code, -1);
	assert_null(got.output);
	assert_string_equal(got.error, "");
	assert_int_equal(got.started_at, 100);
	assert_int_equal(got.deadline_at, 160);
	assert_int_equal(got.finished_at, 0);
	jg_execution_clear(&got);

	x.state = JG_EXEC_SUCCEEDED;
	x.exit_code = 0;
	x.output = (char *)"a; rm -rf /\n\xc3\xa9\n";
	x.finished_at = 102;
	x.duration_ms = 1500;
	begin(f->st);
	assert_int_equal(f->st->ops->execution_finish(f->st, &x), JG_OK);
	commit(f->st);
	/* finished once: a second outcome (or unknown) conflicts */
	x.state = JG_EXEC_UNKNOWN;
	begin(f->st);
	assert_int_equal(f->st->ops->execution_finish(f->st, &x),
	                 JG_ECONFLICT);
	f->st->ops->rollback(f->st);

	assert_int_equal(f->st->ops->execution_get(f->st, "req_1", &got),
	                 JG_OK);
	assert_int_equal(got.state, JG_EXEC_SUCCEEDED);
	assert_int_equal(got.exit_code, 0);
	assert_string_equal(got.output, "a; rm -rf /\n\xc3\xa9\n");
	assert_int_equal(got.finished_at, 102);
	assert_int_equal(got.duration_ms, 1500);
	jg_execution_clear(&got);
}

static void execution_second_for_request_dup(void **state)
{
	struct fx *f = *state;
	struct jg_execution x;

	make_exec(&x, "exe_a", "req_1", 100, 160);
	insert_exec(f->st, &x, JG_OK);
	make_exec(&x, "exe_b", "req_1", 101, 161);
	insert_exec(f->st, &x, JG_EDUP);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM executions"),
	                 1);
}

static void execution_get_unknown_not_found(void **state)
{
	struct fx *f = *state;
	struct jg_execution got;
	assert_int_equal(f->st->ops->execution_get(f->st, "req_none", &got),
	                 JG_ENOTFOUND);
}

static void execution_finish_unknown_id_conflicts(void **state)
{
	struct fx *f = *state;
	struct jg_execution x;

	make_exec(&x, "exe_1", "req_1", 100, 160);
	insert_exec(f->st, &x, JG_OK);
	snprintf(x.id, sizeof(x.id), "exe_other");
	x.state = JG_EXEC_FAILED;
	begin(f->st);
	assert_int_equal(f->st->ops->execution_finish(f->st, &x),
	                 JG_ECONFLICT);
	f->st->ops->rollback(f->st);
}

static void execution_unfinished_past_deadline_only(void **state)
{
	struct fx *f = *state;
	struct jg_execution x;
	char ids[4][JG_ID_LEN];
	size_t n = 9;

	make_exec(&x, "exe_late", "req_late", 100, 150);
	insert_exec(f->st, &x, JG_OK);
	make_exec(&x, "exe_now", "req_now", 100, 200);
	insert_exec(f->st, &x, JG_OK);
	make_exec(&x, "exe_done", "req_done", 100, 120);
	insert_exec(f->st, &x, JG_OK);
	x.state = JG_EXEC_FAILED;
	begin(f->st);
	assert_int_equal(f->st->ops->execution_finish(f->st, &x), JG_OK);
	commit(f->st);

	assert_int_equal(f->st->ops->execution_unfinished(f->st, 149, ids, 4,
	                                                  &n), JG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(f->st->ops->execution_unfinished(f->st, 150, ids, 4,
	                                                  &n), JG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0], "req_late");
	assert_int_equal(f->st->ops->execution_unfinished(f->st, 500, ids, 4,
	                                                  &n), JG_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "req_late");
	assert_string_equal(ids[1], "req_now");
	assert_int_equal(f->st->ops->execution_unfinished(f->st, 500, ids, 1,
	                                                  &n), JG_OK);
	assert_int_equal(n, 1);
}

static void request_key_put_get_and_taken(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN] = "unchanged";

	assert_int_equal(f->st->ops->request_key_get(f->st, "request:alice:k1",
	                                             id), JG_ENOTFOUND);
	begin(f->st);
	assert_int_equal(f->st->ops->request_key_put(f->st, "request:alice:k1",
	                                             "req_1", 100), JG_OK);
	commit(f->st);
	begin(f->st);
	assert_int_equal(f->st->ops->request_key_put(f->st, "request:alice:k1",
	                                             "req_2", 101), JG_EDUP);
	f->st->ops->rollback(f->st);
	assert_int_equal(f->st->ops->request_key_get(f->st, "request:alice:k1",
	                                             id), JG_OK);
	assert_string_equal(id, "req_1");
	/* keys are exact: another namespace or case is another key */
	assert_int_equal(f->st->ops->request_key_get(f->st, "request:bob:k1",
	                                             id), JG_ENOTFOUND);
	assert_int_equal(f->st->ops->request_key_get(f->st, "request:alice:K1",
	                                             id), JG_ENOTFOUND);
}

/* ---- the function table ------------------------------------------------ */

/* A backend that forgets an operation would crash the server calling it. */
static void every_operation_is_implemented(void **state)
{
	struct fx *f = *state;
	const struct jg_store_ops *ops = f->st->ops;
	const unsigned char *p = (const unsigned char *)&ops->close;
	const unsigned char *end = (const unsigned char *)(ops + 1);
	void (*none)(void) = NULL;
	size_t slot = sizeof(none);

	assert_non_null(ops->name);
	for (size_t i = 0; p + slot <= end; p += slot, i++) {
		if (memcmp(p, &none, slot) == 0)
			print_error("%s: operation %zu of struct jg_store_ops is "
			            "NULL\n", ops->name, i);
		assert_true(memcmp(p, &none, slot) != 0);
	}
}

/* ---- several handles on one database: several servers --------------- */

static void audit_seq_taken_is_a_conflict(void **state)
{
	struct fx *f = *state;
	struct jg_event ev = {.seq = 1, .id = "evt_1", .ts = 5,
	                      .actor = "a", .type = "t.x",
	                      .details = (char *)"{}"};

	begin(f->st);
	assert_int_equal(f->st->ops->audit_insert(f->st, &ev), JG_OK);
	snprintf(ev.id, sizeof(ev.id), "evt_2");
	/* a second event 1 would fork the chain */
	assert_int_equal(f->st->ops->audit_insert(f->st, &ev), JG_ECONFLICT);
	commit(f->st);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit"), 1);
}

struct appender {
	struct jg_store *st;
	int n, failed;
};

/* n write transactions, each appending one audit event. */
static void *append_many(void *arg)
{
	struct appender *a = arg;

	for (int i = 0; i < a->n; i++) {
		enum jg_err e = a->st->ops->begin(a->st, 1);
		if (e != JG_OK) {
			a->failed++;
			continue;
		}
		e = jg_audit_append(a->st, 1000 + i, "tester", "test.event", "",
		                    NULL);
		if (e == JG_OK)
			e = a->st->ops->commit(a->st);
		else
			a->st->ops->rollback(a->st);
		if (e != JG_OK)
			a->failed++;
	}
	return NULL;
}

#define NAPPENDERS 4
#define NAPPENDS 30

static void two_handles_keep_one_linear_audit_chain(void **state)
{
	struct fx *f = *state;
	struct jg_store *other = open_ok(f->path);
	struct appender a[NAPPENDERS];
	pthread_t t[NAPPENDERS];
	struct jg_audit_report rep;

	/* two "servers", two threads on each */
	for (int i = 0; i < NAPPENDERS; i++) {
		a[i] = (struct appender){.st = i % 2 ? other : f->st,
		                         .n = NAPPENDS};
		assert_int_equal(
		        pthread_create(&t[i], NULL, append_many, &a[i]), 0);
	}
	for (int i = 0; i < NAPPENDERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].failed, 0);
	}
	jg_store_close(other);
	assert_int_equal(jg_audit_verify(f->st, &rep), JG_OK);
	if (!rep.ok)
		print_error("chain broken at %lld: %s\n",
		            (long long)rep.broken_seq, rep.reason);
	assert_true(rep.ok);
	assert_int_equal(rep.count, NAPPENDERS * NAPPENDS);
	assert_int_equal(sql_int(f->path, "SELECT max(seq) FROM audit"),
	                 NAPPENDERS * NAPPENDS);
}

struct opener {
	const char *path;
	enum jg_err e;
	char err[256];
};

static void *open_one(void *arg)
{
	struct opener *o = arg;
	struct jg_store *st = NULL;

	o->e = jg_store_open(o->path, &st, o->err, sizeof(o->err));
	jg_store_close(st);
	return NULL;
}

static void servers_starting_together_migrate_once(void **state)
{
	struct fx *f = *state;
	struct opener o[3];
	pthread_t t[3];
	int started[3];

	/* an empty database again, then three opens at once */
	jg_store_close(f->st);
	f->st = NULL;
	tdb_remove(f->path);
	tdb_new(f->path);
	for (int i = 0; i < 3; i++) {
		o[i] = (struct opener){.path = f->path};
		started[i] = pthread_create(&t[i], NULL, open_one, &o[i]) == 0;
	}
	/* join every thread before any assertion: a failing one returns
	 * from this function, and the threads read o and f->path */
	for (int i = 0; i < 3; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	for (int i = 0; i < 3; i++) {
		assert_true(started[i]);
		if (o[i].e != JG_OK)
			print_error("open %d: %s\n", i, o[i].err);
		assert_int_equal(o[i].e, JG_OK);
	}
	assert_int_equal(
	        sql_int(f->path, "SELECT count(*) FROM schema_version"),
	        sql_int(f->path, "SELECT max(version) FROM schema_version"));
	f->st = open_ok(f->path);
}

/* ---- PostgreSQL only --------------------------------------------------- */

static void pg_synchronous_commit_off_refused(void **state)
{
	const char *base = tdb_pg_base();
	struct jg_store *st = (struct jg_store *)&st;
	char url[TDB_NAME_MAX], err[256] = "";
	(void)state;

	snprintf(url, sizeof(url), "%s%soptions=-csynchronous_commit%%3Doff",
	         base, strchr(base, '?') ? "&" : "?");
	assert_int_equal(jg_store_open(url, &st, err, sizeof(err)), JG_ESTORE);
	assert_null(st);
	assert_non_null(strstr(err, "synchronous_commit is off"));
}

/* Terminate every session of the store under test, and wait till gone. */
static void kill_store_sessions(const char *path)
{
	tdb_exec(path, "SELECT pg_terminate_backend(pid) FROM "
	               "pg_stat_activity WHERE application_name = 'jitgate' "
	               "AND datname = current_database()");
	for (int i = 0; i < 100; i++) {
		if (sql_int(path, "SELECT count(*) FROM pg_stat_activity WHERE "
		                  "application_name = 'jitgate' AND "
		                  "datname = current_database()") == 0)
			return;
		usleep(50 * 1000);
	}
	fail_msg("the store's sessions did not end");
}

static void pg_lost_connection_is_store_error_then_recovers(void **state)
{
	struct fx *f = *state;
	struct jg_request r, got;

	begin(f->st);
	kill_store_sessions(f->path);
	assert_int_equal(f->st->ops->request_get(f->st, "req_x", &got),
	                 JG_ESTORE);
	assert_non_null(strstr(f->st->err, "postgres"));
	f->st->ops->rollback(f->st);
	/* a connection known broken is replaced before its next use */
	assert_int_equal(f->st->ops->request_get(f->st, "req_x", &got),
	                 JG_ENOTFOUND);
	/* one that died unnoticed fails the statement outside a transaction */
	kill_store_sessions(f->path);
	assert_int_equal(f->st->ops->request_get(f->st, "req_x", &got),
	                 JG_ESTORE);
	make_req(&r, "req_after", "alice", "dba", 100);
	insert_req(f->st, &r);
	kill_store_sessions(f->path);
	begin(f->st); /* a pooled connection found dead: begin retries once */
	assert_int_equal(f->st->ops->request_get(f->st, "req_after", &got),
	                 JG_OK);
	jg_request_clear(&got);
	commit(f->st);
}

static void pg_overdue_rows_held_by_one_server_skipped_by_another(void **state)
{
	struct fx *f = *state;
	struct jg_store *other = open_ok(f->path);
	struct jg_request r;
	struct jg_grant g;
	char ids[4][JG_ID_LEN];
	size_t n = 99;

	make_req(&r, "req_due", "alice", "dba", 100); /* deadline 3700 */
	insert_req(f->st, &r);
	make_grant(&g, "grt_due", 100, 200, -1);
	insert_grant(f->st, &g);
	begin(f->st); /* this server's sweeper holds both rows */
	assert_int_equal(f->st->ops->request_overdue(f->st, 4000, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(f->st->ops->grant_overdue(f->st, 4000, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 1);
	/* the other server's sweeper passes them by */
	assert_int_equal(other->ops->request_overdue(other, 4000, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(other->ops->grant_overdue(other, 4000, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 0);
	commit(f->st);
	assert_int_equal(other->ops->request_overdue(other, 4000, ids, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 1);
	jg_store_close(other);
}

/* ---- temporary PostgreSQL roles (pgcreds) ----------------------------- */

static void pgcred(struct jg_pgcred *c, const char *grant, int64_t at)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->grant_id, sizeof(c->grant_id), "%s", grant);
	snprintf(c->resource, sizeof(c->resource), "app-db");
	snprintf(c->role, sizeof(c->role), "jg_%s", grant);
	c->created_at = at;
	c->valid_until = at + 600;
}

static void pgcreds_one_per_grant_open_until_dropped(void **state)
{
	struct fx *f = *state;
	struct jg_pgcred a, b, got[4];
	size_t n = 99;

	pgcred(&a, "grt_a", 200);
	pgcred(&b, "grt_b", 100);
	begin(f->st);
	assert_int_equal(f->st->ops->pgcred_insert(f->st, &a), JG_OK);
	assert_int_equal(f->st->ops->pgcred_insert(f->st, &b), JG_OK);
	commit(f->st);
	begin(f->st); /* a second role for a grant is refused */
	assert_int_equal(f->st->ops->pgcred_insert(f->st, &a), JG_EDUP);
	f->st->ops->rollback(f->st);

	begin(f->st);
	assert_int_equal(f->st->ops->pgcred_open(f->st, NULL, got, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 2); /* oldest first */
	assert_string_equal(got[0].grant_id, "grt_b");
	assert_string_equal(got[1].role, "jg_grt_a");
	assert_int_equal(got[1].valid_until, 800);
	assert_int_equal(got[1].dropped_at, 0);
	/* pages: one at a time, each after the last one seen */
	assert_int_equal(f->st->ops->pgcred_open(f->st, NULL, got, 1, &n),
	                 JG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].grant_id, "grt_b");
	assert_int_equal(f->st->ops->pgcred_open(f->st, &got[0], got + 1, 1,
	                                         &n), JG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(got[1].grant_id, "grt_a");
	assert_int_equal(f->st->ops->pgcred_open(f->st, &got[1], got + 2, 1,
	                                         &n), JG_OK);
	assert_int_equal(n, 0);
	assert_int_equal(f->st->ops->pgcred_extend(f->st, "grt_b", 1300),
	                 JG_OK);
	assert_int_equal(f->st->ops->pgcred_drop(f->st, "grt_b", 900), JG_OK);
	assert_int_equal(f->st->ops->pgcred_extend(f->st, "grt_b", 1400),
	                 JG_ECONFLICT);
	assert_int_equal(f->st->ops->pgcred_drop(f->st, "grt_b", 901),
	                 JG_ECONFLICT);
	assert_int_equal(f->st->ops->pgcred_forget(f->st, "grt_a"), JG_OK);
	assert_int_equal(f->st->ops->pgcred_open(f->st, NULL, got, 4, &n),
	                 JG_OK);
	assert_int_equal(n, 0);
	commit(f->st);
	/* forgotten: the grant may have a role again */
	begin(f->st);
	assert_int_equal(f->st->ops->pgcred_insert(f->st, &a), JG_OK);
	commit(f->st);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM pgcreds"), 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(reopen_is_idempotent_one_row_per_migration),
	        T(newer_schema_refused_with_clear_message),
	        cmocka_unit_test(
	                open_refuses_empty_path_and_unreachable_postgres),
	        cmocka_unit_test(describe_never_shows_a_password),
	        T(request_round_trip_without_payload),
	        T(request_round_trip_with_payload),
	        T(request_get_unknown_not_found),
	        T(request_insert_duplicate_id_refused),
	        T(pgcreds_one_per_grant_open_until_dropped),
	        T(rollback_discards_writes),
	        T(request_update_from_stale_state_or_step_conflicts),
	        T(request_update_unknown_id_conflicts),
	        T(request_overdue_edges),
	        T(request_list_pages_cover_every_row_once_newest_first),
	        T(request_list_exact_page_ends_with_no_cursor),
	        T(request_list_viewer_sees_own_and_reviewable_only),
	        T(request_list_viewer_with_many_groups_sees_reviewable),
	        T(request_list_state_filter),
	        T(request_list_state_filter_uses_state_at_now),
	        T(tally_counts_requests_and_outbox),
	        T(review_twice_by_same_reviewer_dup),
	        T(grant_round_trip_and_conditional_update),
	        T(grant_find_live_window_edges),
	        T(grant_find_live_skips_ended_and_used_up),
	        T(grant_find_live_prefers_latest_expiry),
	        T(grant_list_state_filter_uses_state_at_now),
	        T(grant_list_pages_cover_every_row_once),
	        T(grant_overdue_edges),
	        T(token_by_digest_and_revoke),
	        T(token_expiry_and_touch),
	        T(token_digest_unique),
	        T(request_params_round_trip),
	        T(execution_round_trip_and_finish_once),
	        T(execution_second_for_request_dup),
	        T(execution_get_unknown_not_found),
	        T(execution_finish_unknown_id_conflicts),
	        T(execution_unfinished_past_deadline_only),
	        T(request_key_put_get_and_taken),
	        T(every_operation_is_implemented),
	        T(audit_seq_taken_is_a_conflict),
	        T(two_handles_keep_one_linear_audit_chain),
	        T(servers_starting_together_migrate_once),
	};
	const struct CMUnitTest pg_tests[] = {
	        cmocka_unit_test(pg_synchronous_commit_off_refused),
	        T(pg_lost_connection_is_store_error_then_recovers),
	        T(pg_overdue_rows_held_by_one_server_skipped_by_another),
	};
	int rc = cmocka_run_group_tests_name("store on sqlite", tests, NULL,
	                                     NULL);

	if (!tdb_pg_base())
		return rc;
	rc += cmocka_run_group_tests_name("store on postgres", tests,
	                                  tdb_pg_group_setup,
	                                  tdb_pg_group_teardown);
	rc += cmocka_run_group_tests_name("store on postgres only", pg_tests,
	                                  tdb_pg_group_setup,
	                                  tdb_pg_group_teardown);
	return rc;
}
