/*
 * test_gate.c - jitgate's use cases (src/gate/) against a real store and a
 * policy parsed from a string: SQLite in a temporary file, and again on
 * PostgreSQL when JITGATE_TEST_PG names a server (see testdb.h).
 *
 * The store is always reached through a fault-injecting wrapper: a struct
 * whose first member is a struct jg_store with its own ops table, which
 * forwards every call to the real store unless a fault flag says to
 * fail. With a fault on, every state-changing use case must fail closed:
 * the whole database is compared before and after, byte for byte.
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
#include <sqlite3.h>

#include "audit/audit.h"
#include "gate/gate.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"

#define T0 1000000LL
#define HOUR 3600LL

static const char policy_yaml[] =
        "version: 1\n"
        "defaults:\n"
        "  max_duration: 1h\n"
        "  request_ttl: 24h\n"
        "groups:\n"
        "  dba:\n"
        "    members: [bob, carol]\n"
        "  security:\n"
        "    members: [dave]\n"
        "resources:\n"
        "  prod-db:\n"
        "    labels: {env: prod}\n"
        "    sensitivity: high\n"
        "    actions: [sql.read, sql.write]\n"
        "  staging-db:\n"
        "    labels: {env: staging}\n"
        "    actions: [sql.read]\n"
        "rules:\n"
        "  - name: prod-writes\n"
        "    match:\n"
        "      resource: prod-db\n"
        "      action: sql.write\n"
        "    steps:\n"
        "      - {group: dba, count: 2}\n"
        "      - {group: security, count: 1}\n"
        "    request_ttl: 4h\n"
        "  - name: prod-reads\n"
        "    match:\n"
        "      resource: prod-db\n"
        "      action: sql.read\n"
        "    steps:\n"
        "      - {group: dba, count: 1}\n"
        "    approve_comment: true\n"
        "  - name: staging-auto\n"
        "    match:\n"
        "      labels: {env: staging}\n"
        "    decision: auto\n";

/* ---- the fault-injecting store ----------------------------------------- */

struct fault {
	struct jg_store base; /* first: a struct fault * is a jg_store * */
	struct jg_store *real;
	int fail_audit;        /* audit_insert returns JG_ESTORE */
	int fail_grant_insert; /* grant_insert returns JG_ESTORE */
	int64_t stale_now;     /* non-zero: grant_find_live looks at this time */
	int fail_walk;         /* audit_walk returns JG_ESTORE (sync fails) */
};

static struct jg_store *real_of(struct jg_store *st)
{
	return ((struct fault *)st)->real;
}

#define FWD(name, params, args)                                  \
	static enum jg_err f_##name params                       \
	{                                                        \
		struct jg_store *r = real_of(st);                \
		return r->ops->name args;                        \
	}

static void f_close(struct jg_store *st)
{
	jg_store_close(real_of(st));
}

static void f_rollback(struct jg_store *st)
{
	struct jg_store *r = real_of(st);
	r->ops->rollback(r);
}

FWD(begin, (struct jg_store * st, int w), (r, w))
FWD(commit, (struct jg_store * st), (r))
FWD(request_insert, (struct jg_store * st, const struct jg_request *q),
    (r, q))
FWD(request_update,
    (struct jg_store * st, const struct jg_request *q, enum jg_req_state was,
     size_t was_step),
    (r, q, was, was_step))
FWD(request_get, (struct jg_store * st, const char *id, struct jg_request *o),
    (r, id, o))
FWD(request_list,
    (struct jg_store * st, const struct jg_filter *fl, struct jg_request **o,
     size_t *n, int64_t *next),
    (r, fl, o, n, next))
FWD(request_overdue,
    (struct jg_store * st, int64_t now, char (*ids)[JG_ID_LEN], size_t max,
     size_t *n),
    (r, now, ids, max, n))
FWD(request_count,
    (struct jg_store * st, const char *req, const char *res, int64_t since,
     size_t *a, size_t *b),
    (r, req, res, since, a, b))
FWD(request_walk,
    (struct jg_store * st, int64_t since, int64_t after, int limit,
     jg_request_fn fn, void *ctx, int64_t *next),
    (r, since, after, limit, fn, ctx, next))
FWD(review_insert,
    (struct jg_store * st, const char *id, const struct jg_review *rv),
    (r, id, rv))
FWD(review_list,
    (struct jg_store * st, const char *id, struct jg_review **o, size_t *n),
    (r, id, o, n))
FWD(grant_update,
    (struct jg_store * st, const struct jg_grant *g, enum jg_grant_state was),
    (r, g, was))
FWD(grant_get, (struct jg_store * st, const char *id, struct jg_grant *o),
    (r, id, o))
FWD(grant_by_request,
    (struct jg_store * st, const char *id, struct jg_grant *o), (r, id, o))
FWD(grant_list,
    (struct jg_store * st, const struct jg_filter *fl, struct jg_grant **o,
     size_t *n, int64_t *next),
    (r, fl, o, n, next))
FWD(grant_overdue,
    (struct jg_store * st, int64_t now, char (*ids)[JG_ID_LEN], size_t max,
     size_t *n),
    (r, now, ids, max, n))
FWD(audit_last,
    (struct jg_store * st, int64_t *seq, char hash[JG_SHA256_HEX]),
    (r, seq, hash))
FWD(token_insert, (struct jg_store * st, const struct jg_token *t), (r, t))
FWD(token_by_digest,
    (struct jg_store * st, const char *d, struct jg_token *o), (r, d, o))
FWD(token_get, (struct jg_store * st, const char *id, struct jg_token *o),
    (r, id, o))
FWD(token_list, (struct jg_store * st, struct jg_token **o, size_t *n),
    (r, o, n))
FWD(token_revoke, (struct jg_store * st, const char *id, int64_t now),
    (r, id, now))
FWD(token_count, (struct jg_store * st, int64_t *n), (r, n))
FWD(token_touch, (struct jg_store * st, const char *id, int64_t now),
    (r, id, now))
FWD(execution_insert, (struct jg_store * st, const struct jg_execution *x),
    (r, x))
FWD(execution_finish, (struct jg_store * st, const struct jg_execution *x),
    (r, x))
FWD(execution_get,
    (struct jg_store * st, const char *id, struct jg_execution *o),
    (r, id, o))
FWD(execution_unfinished,
    (struct jg_store * st, int64_t now, char (*ids)[JG_ID_LEN], size_t max,
     size_t *n),
    (r, now, ids, max, n))
FWD(request_key_get, (struct jg_store * st, const char *k, char id[JG_ID_LEN]),
    (r, k, id))
FWD(request_key_put,
    (struct jg_store * st, const char *k, const char *id, int64_t now),
    (r, k, id, now))

static enum jg_err f_audit_insert(struct jg_store *st,
                                  const struct jg_event *ev)
{
	struct fault *f = (struct fault *)st;
	if (f->fail_audit)
		return JG_ESTORE;
	return f->real->ops->audit_insert(f->real, ev);
}

static enum jg_err f_audit_walk(struct jg_store *st,
                                const struct jg_filter *fl, jg_event_fn fn,
                                void *ctx, int64_t *next)
{
	struct fault *f = (struct fault *)st;
	if (f->fail_walk)
		return JG_ESTORE;
	return f->real->ops->audit_walk(f->real, fl, fn, ctx, next);
}

static enum jg_err f_grant_insert(struct jg_store *st,
                                  const struct jg_grant *g)
{
	struct fault *f = (struct fault *)st;
	if (f->fail_grant_insert)
		return JG_ESTORE;
	return f->real->ops->grant_insert(f->real, g);
}

/* A store whose idea of "now" lags behind, as a cache or replica might. */
static enum jg_err f_grant_find_live(struct jg_store *st, const char *p,
                                     const char *res, const char *a,
                                     const char *fit, int64_t now,
                                     struct jg_grant *o)
{
	struct fault *f = (struct fault *)st;
	return f->real->ops->grant_find_live(f->real, p, res, a, fit,
	                                     f->stale_now ? f->stale_now : now,
	                                     o);
}

static const struct jg_store_ops fault_ops = {
        .name = "fault",
        .close = f_close,
        .begin = f_begin,
        .commit = f_commit,
        .rollback = f_rollback,
        .request_insert = f_request_insert,
        .request_update = f_request_update,
        .request_get = f_request_get,
        .request_list = f_request_list,
        .request_overdue = f_request_overdue,
        .request_count = f_request_count,
        .request_walk = f_request_walk,
        .review_insert = f_review_insert,
        .review_list = f_review_list,
        .grant_insert = f_grant_insert,
        .grant_update = f_grant_update,
        .grant_get = f_grant_get,
        .grant_by_request = f_grant_by_request,
        .grant_list = f_grant_list,
        .grant_find_live = f_grant_find_live,
        .grant_overdue = f_grant_overdue,
        .audit_last = f_audit_last,
        .audit_insert = f_audit_insert,
        .audit_walk = f_audit_walk,
        .token_insert = f_token_insert,
        .token_by_digest = f_token_by_digest,
        .token_get = f_token_get,
        .token_list = f_token_list,
        .token_revoke = f_token_revoke,
        .token_count = f_token_count,
        .token_touch = f_token_touch,
        .execution_insert = f_execution_insert,
        .execution_finish = f_execution_finish,
        .execution_get = f_execution_get,
        .execution_unfinished = f_execution_unfinished,
        .request_key_get = f_request_key_get,
        .request_key_put = f_request_key_put,
};

/* ---- fixture ----------------------------------------------------------- */

struct fx {
	char path[TDB_NAME_MAX]; /* SQLite file or PostgreSQL URL */
	struct fault fs;
	struct jg_policy *pol;
	struct jg_gate *g;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	if (!f)
		return -1;
	tdb_new(f->path);
	if (jg_store_open(f->path, &f->fs.real, err, sizeof(err)) != JG_OK) {
		print_error("store: %s\n", err);
		return -1;
	}
	f->fs.base.ops = &fault_ops;
	if (jg_policy_parse("gate-test.yaml", policy_yaml,
	                    sizeof(policy_yaml) - 1, &f->pol, err,
	                    sizeof(err)) != JG_OK) {
		print_error("policy: %s\n", err);
		return -1;
	}
	if (jg_gate_new(&f->fs.base, f->pol, NULL, &f->g) != JG_OK)
		return -1;
	/* check answers from the index, as when serving */
	if (jg_gate_index_load(f->g) != JG_OK)
		return -1;
	*state = f;
	return 0;
}

/* Another gate on f's store, without the index: check asks the store.
 * The caller frees it. */
static struct jg_gate *plain_gate(struct fx *f)
{
	struct jg_policy *pol;
	struct jg_gate *g;
	char err[256] = "";

	assert_int_equal(jg_policy_parse("gate-test.yaml", policy_yaml,
	                                 sizeof(policy_yaml) - 1, &pol, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_int_equal(jg_gate_new(&f->fs.base, pol, NULL, &g), JG_OK);
	return g;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	jg_gate_free(f->g);
	jg_store_close(&f->fs.base);
	tdb_remove(f->path); /* the gate owned and freed f->pol */
	free(f);
	return 0;
}

/* ---- principals -------------------------------------------------------- */

static struct jg_principal user(const char *name)
{
	struct jg_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	return p;
}

static struct jg_principal with_group(struct jg_principal p, const char *g)
{
	snprintf(p.groups[p.ngroups], sizeof(p.groups[0]), "%s", g);
	p.ngroups++;
	return p;
}

static struct jg_principal with_roles(struct jg_principal p, int roles)
{
	p.roles = roles;
	return p;
}

/* ---- looking at the database behind the gate's back -------------------- */

static int64_t sql_int(const char *path, const char *sql)
{
	return tdb_int(path, sql);
}

static void sql_text(const char *path, const char *sql, char *out,
                     size_t len)
{
	tdb_text(path, sql, out, len);
}

#define COUNT(f, table) sql_int((f)->path, "SELECT count(*) FROM " table)

/* Every row of every table as one string; the caller frees it. */
static char *snapshot(const char *path)
{
	static const char *const tables[] = {
	        "requests", "request_groups", "reviews", "grants", "audit",
	        "tokens"};
	return tdb_snapshot(path, tables, sizeof(tables) / sizeof(tables[0]));
}

static void assert_unchanged(const char *path, const char *before)
{
	char *now = snapshot(path);
	if (strcmp(now, before) != 0)
		print_error("database changed:\nbefore: %s\nafter:  %s\n",
		            before, now);
	assert_string_equal(now, before);
	free(now);
}

static void audit_ok(struct fx *f, int64_t want_count)
{
	struct jg_principal admin = with_roles(user("admin"), JG_ROLE_ADMIN);
	struct jg_audit_report rep;
	char why[JG_WHY_MAX] = "";
	assert_int_equal(jg_gate_audit_verify(f->g, &admin, &rep, why), JG_OK);
	assert_true(rep.ok);
	assert_int_equal(rep.count, want_count);
	assert_int_equal(COUNT(f, "audit"), want_count);
}

/* ---- use-case helpers -------------------------------------------------- */

/* Create a request; on success its id is copied into id (if not NULL). */
static enum jg_err create(struct fx *f, const struct jg_principal *who,
                          const char *resource, const char *action,
                          const char *payload, int64_t now, char *id)
{
	struct jg_new_request in = {.resource = resource, .action = action,
	                            .payload = payload, .reason = "INC-42"};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_request_create(f->g, who, &in, now, &v, why);
	if (e == JG_OK) {
		if (id)
			snprintf(id, JG_ID_LEN, "%s", v.req.id);
		jg_request_view_clear(&v);
	}
	return e;
}

static void create_ok(struct fx *f, const char *who, const char *resource,
                      const char *action, int64_t now, char *id)
{
	struct jg_principal p = user(who);
	assert_int_equal(create(f, &p, resource, action, NULL, now, id), JG_OK);
}

/* Review; on success copies the request's state/step/grant id out. */
static enum jg_err review(struct fx *f, const struct jg_principal *who,
                          const char *id, int approve, int64_t now,
                          struct jg_request_view *out)
{
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_review(f->g, who, id, approve, "ok", now, &v,
	                               why);
	/* a refusal always says why (a store failure may not) */
	assert_true(e == JG_OK || e == JG_ESTORE || why[0] != '\0');
	if (e == JG_OK) {
		if (out) {
			*out = v; /* caller clears */
			return e;
		}
		jg_request_view_clear(&v);
	}
	return e;
}

static void review_ok(struct fx *f, const char *who, const char *id,
                      int approve, int64_t now)
{
	struct jg_principal p = user(who);
	assert_int_equal(review(f, &p, id, approve, now, NULL), JG_OK);
}

static struct jg_answer check_on(struct jg_gate *g, const char *principal,
                                const char *action, int64_t now)
{
	struct jg_principal p = user(principal);
	struct jg_answer c;
	char why[JG_WHY_MAX] = "";
	assert_int_equal(jg_gate_check(g, &p, principal, "prod-db", action,
	                               now, &c, why),
	                 JG_OK);
	return c;
}

static struct jg_answer check(struct fx *f, const char *principal,
                             const char *action, int64_t now)
{
	return check_on(f->g, principal, action, now);
}

/* A check on prod-db that names the payload about to run. */
static struct jg_answer check_sha(struct fx *f, const char *principal,
                                  const char *action, const char *sha,
                                  int64_t now)
{
	struct jg_principal p = user(principal);
	struct jg_check_query q = {.principal = principal,
	                           .resource = "prod-db",
	                           .action = action,
	                           .payload_sha256 = sha};
	struct jg_answer c;
	char why[JG_WHY_MAX] = "";
	assert_int_equal(jg_gate_authorize(f->g, &p, &q, now, &c, why), JG_OK);
	return c;
}

/* Grant id as the store has it, read as an admin. */
static struct jg_grant grant_of(struct fx *f, const char *id)
{
	struct jg_principal admin = with_roles(user("admin"), JG_ROLE_ADMIN);
	struct jg_grant gr;
	char why[JG_WHY_MAX] = "";
	assert_int_equal(jg_gate_grant_get(f->g, &admin, id, &gr, why), JG_OK);
	return gr;
}

static void request_state(struct fx *f, const char *id, char *out, size_t len)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT state || ':' || step FROM requests "
	                           "WHERE id = '%s'", id);
	sql_text(f->path, sql, out, len);
}

/* A read request by alice approved by bob at `at`; grant id into gid. */
static void approved_read(struct fx *f, int64_t at, char *rid, char *gid)
{
	struct jg_principal bob = user("bob");
	struct jg_request_view v;
	create_ok(f, "alice", "prod-db", "sql.read", at, rid);
	assert_int_equal(review(f, &bob, rid, 1, at, &v), JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	assert_true(v.grant_id[0] != '\0');
	snprintf(gid, JG_ID_LEN, "%s", v.grant_id);
	jg_request_view_clear(&v);
}

/* ---- approval flow ----------------------------------------------------- */

/* A non-consuming check by alice of her read grant, used from source. */
static enum jg_err check_from(struct fx *f, const char *source, int64_t now,
                              struct jg_answer *c)
{
	struct jg_principal alice = user("alice");
	struct jg_check_query q = {.principal = "alice", .resource = "prod-db",
	                           .action = "sql.read", .source = source};
	char why[JG_WHY_MAX] = "";

	return jg_gate_authorize(f->g, &alice, &q, now, c, why);
}

/* The first non-consuming allow of a grant from a source records
 * grant.used {via, principal, source, request_id}; the second does not;
 * another source does. When that record cannot be written the answer is
 * the store's error, not an allow, and the next try records it. */
static void first_use_from_a_source_is_recorded_once(void **state)
{
	struct fx *f = *state;
	struct jg_answer c;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], det[512];
	json_t *d;

	approved_read(f, T0, rid, gid);
	assert_int_equal(check_from(f, "198.51.100.7", T0 + 1, &c), JG_OK);
	assert_true(c.allow);
	assert_int_equal(check_from(f, "198.51.100.7", T0 + 2, &c), JG_OK);
	assert_true(c.allow);
	assert_int_equal(COUNT(f, "audit WHERE type = 'grant.used'"), 1);
	sql_text(f->path, "SELECT details FROM audit WHERE type = "
	         "'grant.used'", det, sizeof(det));
	assert_non_null(d = json_loads(det, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(d, "via")),
	                    "check");
	assert_string_equal(json_string_value(json_object_get(d, "principal")),
	                    "alice");
	assert_string_equal(json_string_value(json_object_get(d, "source")),
	                    "198.51.100.7");
	assert_string_equal(
	        json_string_value(json_object_get(d, "request_id")), rid);
	json_decref(d);
	/* a new source while the trail cannot be written: no allow */
	f->fs.fail_audit = 1;
	assert_int_equal(check_from(f, "2001:db8::8", T0 + 3, &c), JG_ESTORE);
	assert_false(c.allow);
	/* a source seen already needs no write */
	assert_int_equal(check_from(f, "198.51.100.7", T0 + 3, &c), JG_OK);
	assert_true(c.allow);
	f->fs.fail_audit = 0;
	assert_int_equal(check_from(f, "2001:db8::8", T0 + 4, &c), JG_OK);
	assert_true(c.allow);
	assert_int_equal(COUNT(f, "audit WHERE type = 'grant.used'"), 2);
	/* a source must be an address */
	assert_int_equal(check_from(f, "host.example", T0 + 5, &c), JG_EINVAL);
	assert_int_equal(check_from(f, "", T0 + 5, &c), JG_EINVAL);
}

static void two_level_approval_yields_grant_and_check_allows(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice"), bob = user("bob"),
	                    carol = user("carol"), dave = user("dave");
	struct jg_request_view v;
	struct jg_answer c;
	struct jg_grant gr;
	char id[JG_ID_LEN];

	assert_int_equal(create(f, &alice, "prod-db", "sql.write",
	                        "UPDATE t SET x = 1", T0, id),
	                 JG_OK);
	assert_false(check(f, "alice", "sql.write", T0).allow);

	assert_int_equal(review(f, &bob, id, 1, T0 + 10, &v), JG_OK);
	assert_int_equal(v.req.state, JG_REQ_PENDING);
	assert_int_equal(v.req.step, 0);
	assert_int_equal(v.nreviews, 1);
	jg_request_view_clear(&v);

	assert_int_equal(review(f, &carol, id, 1, T0 + 20, &v), JG_OK);
	assert_int_equal(v.req.state, JG_REQ_PENDING);
	assert_int_equal(v.req.step, 1);
	assert_string_equal(v.grant_id, "");
	jg_request_view_clear(&v);
	assert_false(check(f, "alice", "sql.write", T0 + 20).allow);

	assert_int_equal(review(f, &dave, id, 1, T0 + 30, &v), JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	assert_int_equal(v.nreviews, 3);
	assert_true(v.grant_id[0] != '\0');

	/* the grant binds the payload: a bare check is denied, saying why */
	c = check(f, "alice", "sql.write", T0 + 30);
	assert_false(c.allow);
	assert_non_null(strstr(c.reason, "bound to one payload"));
	c = check_sha(f, "alice", "sql.write", v.req.payload_sha256, T0 + 30);
	assert_true(c.allow);
	assert_string_equal(c.grant_id, v.grant_id);
	assert_int_equal(c.expires_at, T0 + 30 + HOUR);
	assert_string_equal(c.payload_sha256, v.req.payload_sha256);
	assert_int_equal(c.uses_left, 1);
	assert_false(c.consumed);
	gr = grant_of(f, c.grant_id);
	assert_int_equal(gr.uses_left, 1); /* bound payload: runs once */
	assert_string_equal(gr.payload_sha256, v.req.payload_sha256);
	jg_request_view_clear(&v);
	/* the grant is for that action only, and for alice only */
	assert_false(check(f, "alice", "sql.read", T0 + 30).allow);
	assert_false(check(f, "bob", "sql.write", T0 + 30).allow);

	/* created, 3 reviews, approved, grant issued (the checks, from no
	 * address, record no use) */
	audit_ok(f, 6);
}

static void auto_rule_approves_at_once(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_answer c;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(create(f, &alice, "staging-db", "sql.read", NULL, T0,
	                        NULL),
	                 JG_OK);
	assert_int_equal(jg_gate_check(f->g, &alice, "alice", "staging-db",
	                               "sql.read", T0, &c, why),
	                 JG_OK);
	assert_true(c.allow);
	assert_int_equal(grant_of(f, c.grant_id).uses_left, -1);
	audit_ok(f, 3); /* created, approved, grant issued */
}

static void self_approval_refused_even_with_group_on_token(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice =
	        with_group(with_group(user("alice"), "dba"), "security");
	char id[JG_ID_LEN], st[32], *before;

	assert_int_equal(create(f, &alice, "prod-db", "sql.read", NULL, T0, id),
	                 JG_OK);
	before = snapshot(f->path);
	assert_int_equal(review(f, &alice, id, 1, T0 + 1, NULL), JG_ESELF);
	assert_unchanged(f->path, before);
	free(before);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "pending:0");
	assert_false(check(f, "alice", "sql.read", T0 + 1).allow);
}

static void non_member_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal mallory = user("mallory"), dave = user("dave");
	struct jg_principal sre = with_group(user("sam"), "sre");
	char id[JG_ID_LEN], *before;

	create_ok(f, "alice", "prod-db", "sql.write", T0, id);
	before = snapshot(f->path);
	/* outside every group of the request: cannot even see it */
	assert_int_equal(review(f, &mallory, id, 1, T0 + 1, NULL),
	                 JG_ENOTFOUND);
	assert_int_equal(review(f, &sre, id, 1, T0 + 1, NULL), JG_ENOTFOUND);
	/* security reviews step 2, not step 1 */
	assert_int_equal(review(f, &dave, id, 1, T0 + 1, NULL), JG_EFORBIDDEN);
	assert_int_equal(review(f, &dave, id, 0, T0 + 1, NULL), JG_EFORBIDDEN);
	assert_unchanged(f->path, before);
	free(before);
	assert_int_equal(COUNT(f, "reviews"), 0);
}

static void token_group_makes_a_member(void **state)
{
	struct fx *f = *state;
	struct jg_principal zoe = with_group(user("zoe"), "dba");
	char id[JG_ID_LEN], st[32];

	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	assert_int_equal(review(f, &zoe, id, 1, T0 + 1, NULL), JG_OK);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "approved:0");
}

static void duplicate_review_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	char id[JG_ID_LEN], *before;

	create_ok(f, "alice", "prod-db", "sql.write", T0, id);
	review_ok(f, "bob", id, 1, T0 + 1);
	before = snapshot(f->path);
	assert_int_equal(review(f, &bob, id, 1, T0 + 2, NULL), JG_EDUP);
	assert_int_equal(review(f, &bob, id, 0, T0 + 2, NULL), JG_EDUP);
	assert_unchanged(f->path, before);
	free(before);
	assert_int_equal(COUNT(f, "reviews"), 1);
}

static void approve_after_deny_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal carol = user("carol");
	char id[JG_ID_LEN], st[32], *before;

	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	review_ok(f, "bob", id, 0, T0 + 1);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "denied:0");
	before = snapshot(f->path);
	assert_int_equal(review(f, &carol, id, 1, T0 + 2, NULL), JG_ECONFLICT);
	assert_unchanged(f->path, before);
	free(before);
	assert_int_equal(COUNT(f, "grants"), 0);
	assert_false(check(f, "alice", "sql.read", T0 + 2).allow);
}

static void deny_on_second_step_denies(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN], st[32];

	create_ok(f, "alice", "prod-db", "sql.write", T0, id);
	review_ok(f, "bob", id, 1, T0 + 1);
	review_ok(f, "carol", id, 1, T0 + 2);
	review_ok(f, "dave", id, 0, T0 + 3);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "denied:1");
	assert_int_equal(COUNT(f, "grants"), 0);
	audit_ok(f, 5); /* created, 3 reviews, denied */
}

static void cancel_by_non_requester_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob"), mallory = user("mallory"),
	                    alice = user("alice");
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX] = "", st[32], *before;

	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	before = snapshot(f->path);
	/* a reviewer sees it but may not withdraw it */
	assert_int_equal(jg_gate_cancel(f->g, &bob, id, "no", T0 + 1, &v, why),
	                 JG_EFORBIDDEN);
	assert_true(why[0] != '\0');
	assert_int_equal(jg_gate_cancel(f->g, &mallory, id, "no", T0 + 1, &v,
	                                why),
	                 JG_ENOTFOUND);
	assert_unchanged(f->path, before);
	free(before);

	assert_int_equal(jg_gate_cancel(f->g, &alice, id, "not needed", T0 + 2,
	                                &v, why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_CANCELLED);
	jg_request_view_clear(&v);
	assert_int_equal(jg_gate_cancel(f->g, &alice, id, NULL, T0 + 3, &v,
	                                why),
	                 JG_ECONFLICT);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "cancelled:0");
}

static void admin_may_cancel_any_request(void **state)
{
	struct fx *f = *state;
	struct jg_principal admin = with_roles(user("root"), JG_ROLE_ADMIN);
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX] = "";

	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	assert_int_equal(jg_gate_cancel(f->g, &admin, id, NULL, T0 + 1, &v,
	                                why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_CANCELLED);
	jg_request_view_clear(&v);
}

/* ---- time -------------------------------------------------------------- */

static void check_denies_at_expires_at_without_sweep(void **state)
{
	struct fx *f = *state;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], sql[128], st[32];

	approved_read(f, T0, rid, gid);
	assert_true(check(f, "alice", "sql.read", T0).allow);
	assert_true(check(f, "alice", "sql.read", T0 + HOUR - 1).allow);
	assert_false(check(f, "alice", "sql.read", T0 + HOUR).allow);
	assert_false(check(f, "alice", "sql.read", T0 + 10 * HOUR).allow);
	/* nobody swept: the row still says active */
	snprintf(sql, sizeof(sql), "SELECT state FROM grants WHERE id = '%s'",
	         gid);
	sql_text(f->path, sql, st, sizeof(st));
	assert_string_equal(st, "active");
}

static void review_at_deadline_refused_before_sweep(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	char id[JG_ID_LEN], *before;

	create_ok(f, "alice", "prod-db", "sql.write", T0, id); /* ttl 4h */
	before = snapshot(f->path);
	assert_int_equal(review(f, &bob, id, 1, T0 + 4 * HOUR, NULL),
	                 JG_ECONFLICT);
	assert_unchanged(f->path, before);
	free(before);
	assert_int_equal(review(f, &bob, id, 1, T0 + 4 * HOUR - 1, NULL),
	                 JG_OK);
}

/* The clock decides first: an overdue request is expired, not cancelled. */
static void cancel_at_deadline_refused_before_sweep(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX] = "", st[32], *before, *after;
	enum jg_err e;
	int same;

	create_ok(f, "alice", "prod-db", "sql.write", T0, id); /* ttl 4h */
	before = snapshot(f->path);
	e = jg_gate_cancel(f->g, &alice, id, NULL, T0 + 4 * HOUR, &v, why);
	if (e == JG_OK)
		jg_request_view_clear(&v);
	after = snapshot(f->path);
	same = strcmp(before, after) == 0;
	free(before);
	free(after);
	request_state(f, id, st, sizeof(st));
	if (e != JG_ECONFLICT)
		print_error("cancel after the deadline: err %d, state %s\n", e,
		            st);
	assert_int_equal(e, JG_ECONFLICT);
	assert_true(same);
}

static void sweep_expires_overdue_requests_and_grants(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	char wid[JG_ID_LEN], rid[JG_ID_LEN], gid[JG_ID_LEN], sql[160],
	        st[64];
	size_t changed = 99;

	create_ok(f, "alice", "prod-db", "sql.write", T0, wid); /* dies T0+4h */
	approved_read(f, T0, rid, gid);                         /* T0+1h */

	assert_int_equal(jg_gate_sweep(f->g, T0 + HOUR - 1, &changed), JG_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(jg_gate_sweep(f->g, T0 + HOUR, &changed), JG_OK);
	assert_int_equal(changed, 1);
	snprintf(sql, sizeof(sql), "SELECT state || ':' || ended_at || ':' || "
	         "ended_by FROM grants WHERE id = '%s'", gid);
	sql_text(f->path, sql, st, sizeof(st));
	{
		char want[64];
		snprintf(want, sizeof(want), "expired:%lld:jitgate",
		         T0 + HOUR);
		assert_string_equal(st, want);
	}

	assert_int_equal(jg_gate_sweep(f->g, T0 + 4 * HOUR - 1, &changed),
	                 JG_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(jg_gate_sweep(f->g, T0 + 4 * HOUR, &changed), JG_OK);
	assert_int_equal(changed, 1);
	request_state(f, wid, st, sizeof(st));
	assert_string_equal(st, "expired:0");
	request_state(f, rid, st, sizeof(st));
	assert_string_equal(st, "approved:0");
	assert_int_equal(review(f, &bob, wid, 1, T0 + 4 * HOUR, NULL),
	                 JG_ECONFLICT);

	/* nothing left to do */
	assert_int_equal(jg_gate_sweep(f->g, T0 + 100 * HOUR, &changed), JG_OK);
	assert_int_equal(changed, 0);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit WHERE "
	                                  "type = 'grant.expired'"),
	                 1);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM audit WHERE "
	                                  "type = 'request.expired'"),
	                 1);
	/* 2 created, review, approved, issued, 2 expiries */
	audit_ok(f, 7);
}

static void check_trusts_clock_over_store(void **state)
{
	struct fx *f = *state;
	struct jg_answer c;
	char rid[JG_ID_LEN], gid[JG_ID_LEN];

	struct jg_gate *gates[2];

	approved_read(f, T0, rid, gid);
	f->fs.stale_now = T0; /* the store still finds the grant live */
	/* nothing swept it: the index still holds it, too */
	gates[0] = f->g;
	gates[1] = plain_gate(f);
	for (int i = 0; i < 2; i++) {
		c = check_on(gates[i], "alice", "sql.read", T0 + HOUR);
		assert_string_equal(c.grant_id, gid);
		assert_false(c.allow);
		assert_string_equal(c.reason, "grant is no longer live");
		c = check_on(gates[i], "alice", "sql.read", T0 + HOUR - 1);
		assert_true(c.allow);
		assert_int_equal(c.expires_at, T0 + HOUR);
	}
	jg_gate_free(gates[1]);
}

/* ---- fail closed ------------------------------------------------------- */

static void audit_fault_fails_create_and_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	char *before;

	create_ok(f, "alice", "prod-db", "sql.read", T0, NULL);
	before = snapshot(f->path);
	f->fs.fail_audit = 1;
	assert_int_not_equal(create(f, &alice, "prod-db", "sql.read", NULL,
	                            T0 + 1, NULL),
	                     JG_OK);
	/* an automatic approval (request + decision + grant) too */
	assert_int_not_equal(create(f, &alice, "staging-db", "sql.read", NULL,
	                            T0 + 1, NULL),
	                     JG_OK);
	assert_unchanged(f->path, before);
	free(before);
	assert_int_equal(COUNT(f, "requests"), 1);
	assert_int_equal(COUNT(f, "grants"), 0);
	assert_int_equal(COUNT(f, "audit"), 1);

	f->fs.fail_audit = 0;
	assert_int_equal(create(f, &alice, "prod-db", "sql.read", NULL, T0 + 2,
	                        NULL),
	                 JG_OK);
	assert_int_equal(COUNT(f, "requests"), 2);
	audit_ok(f, 2);
}

static void audit_fault_fails_review_and_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob"), dave = user("dave");
	char id[JG_ID_LEN], st[32], *before;

	create_ok(f, "alice", "prod-db", "sql.write", T0, id);
	before = snapshot(f->path);
	f->fs.fail_audit = 1;
	assert_int_equal(review(f, &bob, id, 1, T0 + 1, NULL), JG_ESTORE);
	assert_int_equal(review(f, &bob, id, 0, T0 + 1, NULL), JG_ESTORE);
	assert_unchanged(f->path, before);
	free(before);
	assert_int_equal(COUNT(f, "reviews"), 0);
	assert_int_equal(COUNT(f, "audit"), 1);

	f->fs.fail_audit = 0;
	assert_int_equal(review(f, &bob, id, 1, T0 + 1, NULL), JG_OK);
	assert_int_equal(COUNT(f, "reviews"), 1);
	review_ok(f, "carol", id, 1, T0 + 2);

	/* the final approval: fails whole, request stays at step 2 */
	before = snapshot(f->path);
	f->fs.fail_audit = 1;
	assert_int_equal(review(f, &dave, id, 1, T0 + 3, NULL), JG_ESTORE);
	assert_unchanged(f->path, before);
	free(before);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "pending:1");
	assert_int_equal(COUNT(f, "grants"), 0);

	f->fs.fail_audit = 0;
	assert_int_equal(review(f, &dave, id, 1, T0 + 3, NULL), JG_OK);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "approved:1");
	audit_ok(f, 6);
}

static void grant_insert_fault_on_final_approval_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	char id[JG_ID_LEN], st[32], *before;
	int64_t audits;

	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	audits = COUNT(f, "audit");
	before = snapshot(f->path);
	f->fs.fail_grant_insert = 1;
	assert_int_equal(review(f, &bob, id, 1, T0 + 1, NULL), JG_ESTORE);
	assert_unchanged(f->path, before);
	free(before);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "pending:0");
	assert_int_equal(COUNT(f, "reviews"), 0);
	assert_int_equal(COUNT(f, "grants"), 0);
	assert_int_equal(COUNT(f, "audit"), audits);
	assert_false(check(f, "alice", "sql.read", T0 + 1).allow);

	f->fs.fail_grant_insert = 0;
	assert_int_equal(review(f, &bob, id, 1, T0 + 1, NULL), JG_OK);
	request_state(f, id, st, sizeof(st));
	assert_string_equal(st, "approved:0");
	assert_int_equal(COUNT(f, "grants"), 1);
	assert_true(check(f, "alice", "sql.read", T0 + 1).allow);
}

static void audit_fault_fails_revoke_and_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_grant gr;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], why[JG_WHY_MAX] = "", *before;

	approved_read(f, T0, rid, gid);
	before = snapshot(f->path);
	f->fs.fail_audit = 1;
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid, JG_GRANT_REVOKED,
	                                   "done early", T0 + 5, &gr, why),
	                 JG_ESTORE);
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid,
	                                   JG_GRANT_COMPLETED, NULL, T0 + 5,
	                                   &gr, why),
	                 JG_ESTORE);
	assert_unchanged(f->path, before);
	free(before);
	/* rolled back: the index was not told either */
	assert_true(check(f, "alice", "sql.read", T0 + 5).allow);

	f->fs.fail_audit = 0;
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid, JG_GRANT_REVOKED,
	                                   "done early", T0 + 5, &gr, why),
	                 JG_OK);
	assert_int_equal(gr.state, JG_GRANT_REVOKED);
	assert_false(check(f, "alice", "sql.read", T0 + 5).allow);
}

/*
 * A revoke commits, but the sync step after it cannot read the trail: the
 * index may not answer (it would still allow), so check asks the store
 * until a step succeeds.
 */
static void check_asks_the_store_while_sync_fails(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_grant gr;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], gid2[JG_ID_LEN];
	char why[JG_WHY_MAX] = "";

	approved_read(f, T0, rid, gid);
	f->fs.fail_walk = 1;
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid, JG_GRANT_REVOKED,
	                                   "lost laptop", T0 + 5, &gr, why),
	                 JG_OK);
	assert_false(check(f, "alice", "sql.read", T0 + 5).allow);
	assert_int_equal(jg_gate_sync(f->g), JG_ESTORE);
	/* a grant issued meanwhile is allowed, from the store too */
	approved_read(f, T0 + 6, rid, gid2);
	assert_string_equal(check(f, "alice", "sql.read", T0 + 6).grant_id,
	                    gid2);

	f->fs.fail_walk = 0;
	assert_int_equal(jg_gate_sync(f->g), JG_OK);
	assert_string_equal(check(f, "alice", "sql.read", T0 + 6).grant_id,
	                    gid2);
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid2,
	                                   JG_GRANT_REVOKED, NULL, T0 + 7, &gr,
	                                   why),
	                 JG_OK);
	assert_false(check(f, "alice", "sql.read", T0 + 7).allow);
}

static void audit_fault_fails_cancel_and_sweep(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_request_view v;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], pid[JG_ID_LEN],
	        why[JG_WHY_MAX] = "", *before;
	size_t changed = 99;

	approved_read(f, T0, rid, gid);
	create_ok(f, "alice", "prod-db", "sql.write", T0, pid);
	before = snapshot(f->path);
	f->fs.fail_audit = 1;
	assert_int_equal(jg_gate_cancel(f->g, &alice, pid, NULL, T0 + 1, &v,
	                                why),
	                 JG_ESTORE);
	/* only the grant is due at T0 + 1h; both are at T0 + 100h */
	assert_int_equal(jg_gate_sweep(f->g, T0 + HOUR, &changed), JG_ESTORE);
	assert_int_equal(jg_gate_sweep(f->g, T0 + 100 * HOUR, &changed),
	                 JG_ESTORE);
	assert_int_equal(changed, 0);
	assert_unchanged(f->path, before);
	free(before);

	f->fs.fail_audit = 0;
	assert_int_equal(jg_gate_sweep(f->g, T0 + 100 * HOUR, &changed), JG_OK);
	assert_int_equal(changed, 2);
}

static void audit_fault_fails_start_and_mints_no_token(void **state)
{
	struct fx *f = *state;
	struct jg_principal p;
	char secret[JG_TOKEN_LEN] = "x", again[JG_TOKEN_LEN] = "x";

	f->fs.fail_audit = 1;
	assert_int_equal(jg_gate_start(f->g, T0, secret), JG_ESTORE);
	assert_string_equal(secret, "");
	assert_int_equal(COUNT(f, "tokens"), 0);
	assert_int_equal(COUNT(f, "audit"), 0);

	f->fs.fail_audit = 0;
	assert_int_equal(jg_gate_start(f->g, T0, secret), JG_OK);
	assert_true(strncmp(secret, "jg_", 3) == 0);
	assert_int_equal(jg_gate_authenticate(f->g, secret, T0, &p), JG_OK);
	assert_string_equal(p.name, "admin");
	assert_true(p.roles & JG_ROLE_ADMIN);
	/* a second start mints nothing, but is recorded */
	assert_int_equal(jg_gate_start(f->g, T0 + 1, again), JG_OK);
	assert_string_equal(again, "");
	assert_int_equal(COUNT(f, "tokens"), 1);
	audit_ok(f, 3); /* token.created, server.started x2 */
}

/* ---- other refusals ---------------------------------------------------- */

static void revoke_by_stranger_and_after_expiry_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal mallory = user("mallory"), carol = user("carol"),
	                    alice = user("alice");
	struct jg_grant gr;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], why[JG_WHY_MAX] = "", *before;

	approved_read(f, T0, rid, gid);
	before = snapshot(f->path);
	assert_int_equal(jg_gate_grant_end(f->g, &mallory, gid,
	                                   JG_GRANT_REVOKED, NULL, T0 + 1, &gr,
	                                   why),
	                 JG_ENOTFOUND);
	/* only the holder marks it done */
	assert_int_equal(jg_gate_grant_end(f->g, &carol, gid,
	                                   JG_GRANT_COMPLETED, NULL, T0 + 1,
	                                   &gr, why),
	                 JG_EFORBIDDEN);
	/* once the clock expired it, it can no longer be revoked */
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid, JG_GRANT_REVOKED,
	                                   NULL, T0 + HOUR, &gr, why),
	                 JG_ECONFLICT);
	assert_unchanged(f->path, before);
	free(before);
	/* a reviewer of the request may revoke it while live */
	assert_int_equal(jg_gate_grant_end(f->g, &carol, gid, JG_GRANT_REVOKED,
	                                   NULL, T0 + 1, &gr, why),
	                 JG_OK);
}

/* bob reviews for dba by the policy, and carries a full set of token groups */
static void list_shows_reviewable_to_member_with_many_token_groups(
        void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	struct jg_request_view *views = NULL, v;
	struct jg_filter flt = {.limit = 50, .now = T0};
	char id[JG_ID_LEN], why[JG_WHY_MAX] = "", g[16];
	size_t n = 0;
	int64_t next = 0;

	for (int i = 0; i < JG_GROUPS_MAX; i++) {
		snprintf(g, sizeof(g), "team%d", i);
		bob = with_group(bob, g);
	}
	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	/* bob may see it one by one ... */
	assert_int_equal(jg_gate_request_get(f->g, &bob, id, &v, why), JG_OK);
	jg_request_view_clear(&v);
	/* ... so the list must show it too */
	assert_int_equal(jg_gate_request_list(f->g, &bob, &flt, &views, &n,
	                                      &next, why),
	                 JG_OK);
	for (size_t i = 0; i < n; i++)
		jg_request_view_clear(&views[i]);
	free(views);
	assert_int_equal(n, 1);
}

static void auditor_sees_but_cannot_revoke(void **state)
{
	struct fx *f = *state;
	struct jg_principal aud = with_roles(user("audrey"), JG_ROLE_AUDITOR);
	struct jg_grant gr;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], why[JG_WHY_MAX] = "", *before;

	approved_read(f, T0, rid, gid);
	assert_int_equal(jg_gate_grant_get(f->g, &aud, gid, &gr, why), JG_OK);
	before = snapshot(f->path);
	assert_int_equal(jg_gate_grant_end(f->g, &aud, gid, JG_GRANT_REVOKED,
	                                   NULL, T0 + 1, &gr, why),
	                 JG_EFORBIDDEN);
	assert_unchanged(f->path, before);
	free(before);
}

static void overlong_cancel_reason_refused(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice");
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX] = "", reason[JG_NOTE_MAX + 2],
	        *before;

	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0'; /* JG_NOTE_MAX + 1 bytes */
	before = snapshot(f->path);
	assert_int_equal(jg_gate_cancel(f->g, &alice, id, reason, T0 + 1, &v,
	                                why),
	                 JG_EINVAL);
	assert_unchanged(f->path, before);
	free(before);
	reason[JG_NOTE_MAX] = '\0'; /* exactly the maximum is fine */
	assert_int_equal(jg_gate_cancel(f->g, &alice, id, reason, T0 + 1, &v,
	                                why),
	                 JG_OK);
	assert_non_null(strstr(v.req.state_reason, reason));
	jg_request_view_clear(&v);
}

static void check_of_other_principal_needs_checker_role(void **state)
{
	struct fx *f = *state;
	struct jg_principal bob = user("bob");
	struct jg_principal checker = with_roles(user("pep"), JG_ROLE_CHECKER);
	struct jg_answer c;
	char rid[JG_ID_LEN], gid[JG_ID_LEN], why[JG_WHY_MAX] = "";

	approved_read(f, T0, rid, gid);
	assert_int_equal(jg_gate_check(f->g, &bob, "alice", "prod-db",
	                               "sql.read", T0, &c, why),
	                 JG_EFORBIDDEN);
	assert_false(c.allow);
	assert_int_equal(jg_gate_check(f->g, &checker, "alice", "prod-db",
	                               "sql.read", T0, &c, why),
	                 JG_OK);
	assert_true(c.allow);
}

/* Review with this comment; the request's reviews and state are checked
 * unchanged on a refusal. */
static enum jg_err review_said(struct fx *f, const char *who, const char *id,
                               int approve, const char *comment)
{
	struct jg_principal p = user(who);
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_review(f->g, &p, id, approve, comment, T0, &v,
	                               why);

	if (e == JG_OK) {
		jg_request_view_clear(&v);
		return e;
	}
	assert_int_equal(jg_gate_request_get(f->g, &p, id, &v, why), JG_OK);
	assert_int_equal(v.req.state, JG_REQ_PENDING);
	assert_int_equal(v.nreviews, 0);
	jg_request_view_clear(&v);
	return e;
}

/* A denial needs a comment (missing, empty or blank: refused, nothing
 * changed); so does an approval under `approve_comment: true`. */
static void review_comments_required(void **state)
{
	struct fx *f = *state;
	struct jg_request_view v;
	char id[JG_ID_LEN], why[JG_WHY_MAX] = "";
	struct jg_principal bob = user("bob");

	create_ok(f, "alice", "prod-db", "sql.write", T0, id);
	assert_int_equal(review_said(f, "bob", id, 0, NULL), JG_EINVAL);
	assert_int_equal(review_said(f, "bob", id, 0, ""), JG_EINVAL);
	assert_int_equal(review_said(f, "bob", id, 0, " \t\n"), JG_EINVAL);
	assert_int_equal(jg_gate_review(f->g, &bob, id, 0, NULL, T0, &v, why),
	                 JG_EINVAL);
	assert_string_equal(why, "a denial needs a comment: the requester is "
	                         "owed a reason");
	/* prod-writes asks nothing of approvers */
	assert_int_equal(review_said(f, "bob", id, 1, NULL), JG_OK);
	assert_int_equal(review_said(f, "carol", id, 0, "not today"), JG_OK);

	create_ok(f, "alice", "prod-db", "sql.read", T0, id);
	assert_int_equal(jg_gate_request_get(f->g, &bob, id, &v, why), JG_OK);
	assert_true(jg_gate_approve_needs_comment_of(f->g, &v));
	jg_request_view_clear(&v);
	assert_int_equal(review_said(f, "bob", id, 1, NULL), JG_EINVAL);
	assert_int_equal(review_said(f, "bob", id, 1, "  "), JG_EINVAL);
	assert_int_equal(jg_gate_review(f->g, &bob, id, 1, "", T0, &v, why),
	                 JG_EINVAL);
	assert_string_equal(why, "rule 'prod-reads' asks approvers for a "
	                         "comment");
	assert_int_equal(review_said(f, "bob", id, 1, "INC-42 checked"), JG_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(two_level_approval_yields_grant_and_check_allows),
	        T(auto_rule_approves_at_once),
	        T(self_approval_refused_even_with_group_on_token),
	        T(non_member_refused),
	        T(token_group_makes_a_member),
	        T(duplicate_review_refused),
	        T(approve_after_deny_refused),
	        T(review_comments_required),
	        T(deny_on_second_step_denies),
	        T(cancel_by_non_requester_refused),
	        T(admin_may_cancel_any_request),
	        T(check_denies_at_expires_at_without_sweep),
	        T(review_at_deadline_refused_before_sweep),
	        T(cancel_at_deadline_refused_before_sweep),
	        T(sweep_expires_overdue_requests_and_grants),
	        T(check_trusts_clock_over_store),
	        T(audit_fault_fails_create_and_changes_nothing),
	        T(audit_fault_fails_review_and_changes_nothing),
	        T(grant_insert_fault_on_final_approval_changes_nothing),
	        T(audit_fault_fails_revoke_and_changes_nothing),
	        T(first_use_from_a_source_is_recorded_once),
	        T(audit_fault_fails_cancel_and_sweep),
	        T(audit_fault_fails_start_and_mints_no_token),
	        T(revoke_by_stranger_and_after_expiry_refused),
	        T(check_asks_the_store_while_sync_fails),
	        T(list_shows_reviewable_to_member_with_many_token_groups),
	        T(auditor_sees_but_cannot_revoke),
	        T(overlong_cancel_reason_refused),
	        T(check_of_other_principal_needs_checker_role),
	};
	int rc = cmocka_run_group_tests_name("gate on sqlite", tests, NULL,
	                                     NULL);

	if (tdb_pg_base())
		rc += cmocka_run_group_tests_name("gate on postgres", tests,
		                                  tdb_pg_group_setup,
		                                  tdb_pg_group_teardown);
	return rc;
}
