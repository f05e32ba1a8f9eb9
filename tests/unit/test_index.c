/*
 * test_index.c - the in-memory index of live grants (src/gate/index.c),
 * the token cache (src/gate/authcache.c), and keeping both in step with
 * the store across gates (src/gate/sync.c).
 *
 * The structures alone first: what goes in, what comes out, and that the
 * clock passed to a lookup has the last word. Then two gates on one
 * database, as two servers share one (SQLite file, and PostgreSQL when
 * JITGATE_TEST_PG names a server, see testdb.h): what gate A changes,
 * gate B honours after one sync step, run here by hand (no sleeping).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gate/authcache.h"
#include "gate/gate.h"
#include "gate/index.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"
#include "util/crypto.h"

#define T0 3000000LL
#define HOUR 3600LL

/* ---- the index alone --------------------------------------------------- */

static struct jg_grant grant(const char *id, const char *p, const char *r,
                             const char *a, int64_t nbf, int64_t exp)
{
	struct jg_grant g;
	memset(&g, 0, sizeof(g));
	snprintf(g.id, sizeof(g.id), "%s", id);
	snprintf(g.principal, sizeof(g.principal), "%s", p);
	snprintf(g.resource, sizeof(g.resource), "%s", r);
	snprintf(g.action, sizeof(g.action), "%s", a);
	g.not_before = nbf;
	g.expires_at = exp;
	g.uses_left = -1;
	g.state = JG_GRANT_ACTIVE;
	return g;
}

static struct jg_index *index_new(void)
{
	struct jg_index *ix = NULL;
	assert_int_equal(jg_index_new(&ix), JG_OK);
	return ix;
}

/* What the index says of alice reading db at now; id into hit. */
static int find(struct jg_index *ix, int64_t now, struct jg_hit *hit)
{
	return jg_index_find(ix, "alice", "db", "read", NULL, now, hit);
}

static void put_find_remove(void **state)
{
	struct jg_index *ix = index_new();
	struct jg_grant g = grant("grt_1", "alice", "db", "read", T0, T0 + HOUR);
	struct jg_hit hit = {.grant_id = ""};

	(void)state;
	assert_int_equal(find(ix, T0, &hit), -1);
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_count(ix), 1);
	assert_int_equal(find(ix, T0, &hit), 1);
	assert_string_equal(hit.grant_id, "grt_1");
	assert_int_equal(hit.expires_at, T0 + HOUR);
	/* only that key */
	assert_int_equal(jg_index_find(ix, "bob", "db", "read", NULL, T0, &hit), -1);
	assert_int_equal(jg_index_find(ix, "alice", "db", "write", NULL, T0, &hit),
	                 -1);
	assert_int_equal(jg_index_find(ix, "alice", "db2", "read", NULL, T0, &hit),
	                 -1);
	/* revoked: out */
	g.state = JG_GRANT_REVOKED;
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_count(ix), 0);
	assert_int_equal(find(ix, T0, &hit), -1);
	jg_index_free(ix);
}

static void apply_is_idempotent_and_updates_expiry(void **state)
{
	struct jg_index *ix = index_new();
	struct jg_grant g = grant("grt_1", "alice", "db", "read", T0, T0 + HOUR);
	struct jg_hit hit;

	(void)state;
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_count(ix), 1);
	g.expires_at = T0 + 2 * HOUR; /* extended */
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_count(ix), 1);
	assert_int_equal(find(ix, T0 + HOUR, &hit), 1);
	assert_int_equal(hit.expires_at, T0 + 2 * HOUR);
	/* consumed (a one-time grant used): out, and out again is no-op */
	g.uses_left = 0;
	g.state = JG_GRANT_CONSUMED;
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_count(ix), 0);
	/* active but no uses left is not live either */
	g.state = JG_GRANT_ACTIVE;
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_count(ix), 0);
	jg_index_free(ix);
}

static void clock_has_the_last_word(void **state)
{
	struct jg_index *ix = index_new();
	struct jg_grant g = grant("grt_1", "alice", "db", "read", T0, T0 + HOUR);
	struct jg_hit hit = {.grant_id = ""};

	(void)state;
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(find(ix, T0 + HOUR - 1, &hit), 1);
	/* still in the index, but never an allow past expires_at */
	assert_int_equal(find(ix, T0 + HOUR, &hit), 0);
	assert_string_equal(hit.grant_id, "grt_1");
	assert_int_equal(find(ix, T0 + 100 * HOUR, &hit), 0);
	/* nor before not_before: a scheduled grant, found as starting later */
	hit.grant_id[0] = '\0';
	assert_int_equal(find(ix, T0 - 1, &hit), JG_FOUND_LATER);
	assert_string_equal(hit.grant_id, "grt_1");
	assert_int_equal(hit.not_before, T0);
	jg_index_free(ix);
}

static void several_grants_one_key(void **state)
{
	struct jg_index *ix = index_new();
	struct jg_grant a = grant("grt_a", "alice", "db", "read", T0, T0 + HOUR);
	struct jg_grant b = grant("grt_b", "alice", "db", "read", T0,
	                          T0 + 2 * HOUR);
	struct jg_grant c = grant("grt_c", "alice", "db", "read", T0 + 10,
	                          T0 + 3 * HOUR);
	struct jg_hit hit;

	(void)state;
	assert_int_equal(jg_index_apply(ix, &a), JG_OK);
	assert_int_equal(jg_index_apply(ix, &b), JG_OK);
	assert_int_equal(jg_index_apply(ix, &c), JG_OK);
	assert_int_equal(jg_index_count(ix), 3);
	/* the live one expiring last; c is not live yet at T0 */
	assert_int_equal(find(ix, T0, &hit), 1);
	assert_string_equal(hit.grant_id, "grt_b");
	assert_int_equal(find(ix, T0 + 10, &hit), 1);
	assert_string_equal(hit.grant_id, "grt_c");
	/* c revoked: b again; past b, a has expired too: deny, about b */
	c.state = JG_GRANT_REVOKED;
	assert_int_equal(jg_index_apply(ix, &c), JG_OK);
	assert_int_equal(find(ix, T0 + 10, &hit), 1);
	assert_string_equal(hit.grant_id, "grt_b");
	assert_int_equal(find(ix, T0 + HOUR, &hit), 1); /* a gone, b live */
	assert_string_equal(hit.grant_id, "grt_b");
	assert_int_equal(find(ix, T0 + 2 * HOUR, &hit), 0);
	assert_string_equal(hit.grant_id, "grt_b");
	/* b revoked while a is live: a answers */
	b.state = JG_GRANT_REVOKED;
	assert_int_equal(jg_index_apply(ix, &b), JG_OK);
	assert_int_equal(find(ix, T0 + 1, &hit), 1);
	assert_string_equal(hit.grant_id, "grt_a");
	jg_index_free(ix);
}

/* A bound grant fits only a lookup for its own payload hash; among
 * fitting grants the bound one answers; its uses left come along. */
static void bound_grants_fit_their_payload_only(void **state)
{
	struct jg_index *ix = index_new();
	struct jg_grant b = grant("grt_b", "alice", "db", "write", T0,
	                          T0 + HOUR);
	struct jg_grant u = grant("grt_u", "alice", "db", "write", T0,
	                          T0 + 2 * HOUR);
	char other[JG_SHA256_HEX];
	struct jg_hit hit = {.grant_id = ""};
	size_t plain;

	(void)state;
	jg_sha256_hex("UPDATE t", 8, b.payload_sha256);
	jg_sha256_hex("DROP t", 6, other);
	b.uses_left = 1;
	assert_int_equal(jg_index_apply(ix, &u), JG_OK);
	plain = jg_index_bytes(ix);
	assert_int_equal(jg_index_apply(ix, &u), JG_OK);
	assert_int_equal(jg_index_find(ix, "alice", "db", "write", NULL, T0,
	                               &hit), JG_FOUND_LIVE);
	jg_index_apply(ix, &(struct jg_grant){.id = "grt_u", .principal = "alice",
	                                      .resource = "db", .action = "write",
	                                      .state = JG_GRANT_REVOKED});
	assert_int_equal(jg_index_apply(ix, &b), JG_OK);
	/* the hash is kept: 32 bytes more than an unbound entry at most */
	assert_true(jg_index_bytes(ix) <= plain + 32 + 16);
	assert_int_equal(jg_index_find(ix, "alice", "db", "write", NULL, T0,
	                               &hit), JG_FOUND_BOUND);
	assert_string_equal(hit.grant_id, "grt_b");
	assert_string_equal(hit.payload_sha256, b.payload_sha256);
	assert_int_equal(jg_index_find(ix, "alice", "db", "write", other, T0,
	                               &hit), JG_FOUND_BOUND);
	assert_int_equal(jg_index_find(ix, "alice", "db", "write",
	                               b.payload_sha256, T0, &hit),
	                 JG_FOUND_LIVE);
	assert_int_equal(hit.uses_left, 1);
	/* with plain access beside it, both fit; the bound one answers */
	assert_int_equal(jg_index_apply(ix, &u), JG_OK);
	assert_int_equal(jg_index_find(ix, "alice", "db", "write",
	                               b.payload_sha256, T0, &hit),
	                 JG_FOUND_LIVE);
	assert_string_equal(hit.grant_id, "grt_b");
	assert_int_equal(jg_index_find(ix, "alice", "db", "write", other, T0,
	                               &hit), JG_FOUND_LIVE);
	assert_string_equal(hit.grant_id, "grt_u");
	assert_string_equal(hit.payload_sha256, "");
	assert_int_equal(hit.uses_left, -1);
	/* used up: out of the index */
	b.uses_left = 0;
	assert_int_equal(jg_index_apply(ix, &b), JG_OK);
	assert_int_equal(jg_index_count(ix), 1);
	jg_index_free(ix);
}

static void keys_do_not_run_together(void **state)
{
	struct jg_index *ix = index_new();
	struct jg_grant g = grant("grt_1", "ab", "c", "x", T0, T0 + HOUR);
	struct jg_hit hit;

	(void)state;
	assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	assert_int_equal(jg_index_find(ix, "a", "bc", "x", NULL, T0, &hit), -1);
	assert_int_equal(jg_index_find(ix, "ab", "cx", "", NULL, T0, &hit), -1);
	assert_int_equal(jg_index_find(ix, "ab", "c", "x", NULL, T0, &hit), 1);
	jg_index_free(ix);
}

static void many_grants_grow_the_table(void **state)
{
	struct jg_index *ix = index_new();
	char id[32], p[32];
	struct jg_hit hit;
	enum { N = 20000 }; /* the table starts with 1024 buckets */

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "grt_%d", i);
		snprintf(p, sizeof(p), "user%d", i);
		struct jg_grant g = grant(id, p, "db", "read", T0, T0 + i + 1);
		assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	}
	assert_int_equal(jg_index_count(ix), N);
	for (int i = 0; i < N; i++) {
		snprintf(p, sizeof(p), "user%d", i);
		assert_int_equal(jg_index_find(ix, p, "db", "read", NULL, T0, &hit),
		                 1);
		snprintf(id, sizeof(id), "grt_%d", i);
		assert_string_equal(hit.grant_id, id);
		assert_int_equal(hit.expires_at, T0 + i + 1);
	}
	/* take out every third: runs close up behind them, and the rest
	 * stay reachable */
	for (int i = 0; i < N; i += 3) {
		snprintf(id, sizeof(id), "grt_%d", i);
		snprintf(p, sizeof(p), "user%d", i);
		struct jg_grant g = grant(id, p, "db", "read", T0, T0 + i + 1);
		g.state = JG_GRANT_REVOKED;
		assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	}
	assert_int_equal(jg_index_count(ix), N - (N + 2) / 3);
	for (int i = 0; i < N; i++) {
		snprintf(p, sizeof(p), "user%d", i);
		assert_int_equal(jg_index_find(ix, p, "db", "read", NULL, T0, &hit),
		                 i % 3 ? 1 : -1);
	}
	assert_true(jg_index_bytes(ix) > (size_t)jg_index_count(ix) * 40);
	jg_index_clear(ix);
	assert_int_equal(jg_index_count(ix), 0);
	assert_int_equal(jg_index_find(ix, "user1", "db", "read", NULL, T0, &hit),
	                 -1);
	jg_index_free(ix);
}

/* Many grants of one key share one run of slots; taking some out of the
 * middle must leave the others, and entries of other keys, reachable. */
static void one_long_run(void **state)
{
	struct jg_index *ix = index_new();
	char id[32];
	struct jg_hit hit;
	enum { N = 500 }; /* under 3/4 of the first table: no growth */

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "grt_%d", i);
		struct jg_grant g = grant(id, i % 2 ? "alice" : "bob", "db",
		                          "read", T0, T0 + 10 + i);
		assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	}
	for (int i = N - 1; i >= 0; i -= 2) { /* alice's, latest first */
		snprintf(id, sizeof(id), "grt_%d", i);
		assert_int_equal(find(ix, T0, &hit), 1);
		assert_string_equal(hit.grant_id, id);
		struct jg_grant g = grant(id, "alice", "db", "read", T0,
		                          T0 + 10 + i);
		g.state = JG_GRANT_COMPLETED;
		assert_int_equal(jg_index_apply(ix, &g), JG_OK);
	}
	assert_int_equal(find(ix, T0, &hit), -1);
	assert_int_equal(jg_index_find(ix, "bob", "db", "read", NULL, T0, &hit), 1);
	snprintf(id, sizeof(id), "grt_%d", N - 2);
	assert_string_equal(hit.grant_id, id);
	assert_int_equal(jg_index_count(ix), N / 2);
	jg_index_free(ix);
}

/*
 * Readers run while a writer puts grants in and revokes them: once a
 * revocation has been applied (and published through `done`), no reader
 * that starts after may be allowed by it.
 */
struct race {
	struct jg_index *ix;
	int done; /* atomic: grants 0..done-1 are revoked */
	int stop; /* atomic */
	int bad;  /* atomic: allows of a revoked grant */
};

enum { RACE_GRANTS = 3000, RACE_READERS = 3 };

static void race_key(int i, char p[32])
{
	snprintf(p, 32, "user%d", i);
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	struct jg_hit hit;
	char p[32];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int done = __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
		if (done == 0)
			continue;
		race_key(done - 1, p);
		if (jg_index_find(r->ix, p, "db", "read", NULL, T0, &hit) == 1)
			__atomic_add_fetch(&r->bad, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void readers_never_see_a_revoked_grant(void **state)
{
	struct race r = {.ix = index_new()};
	pthread_t readers[RACE_READERS];
	char id[32], p[32];

	(void)state;
	for (int i = 0; i < RACE_READERS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, race_reader,
		                                &r),
		                 0);
	for (int i = 0; i < RACE_GRANTS; i++) {
		snprintf(id, sizeof(id), "grt_%d", i);
		race_key(i, p);
		struct jg_grant g = grant(id, p, "db", "read", T0, T0 + HOUR);
		assert_int_equal(jg_index_apply(r.ix, &g), JG_OK);
		g.state = JG_GRANT_REVOKED;
		assert_int_equal(jg_index_apply(r.ix, &g), JG_OK);
		__atomic_store_n(&r.done, i + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < RACE_READERS; i++)
		pthread_join(readers[i], NULL);
	assert_int_equal(r.bad, 0);
	assert_int_equal(jg_index_count(r.ix), 0);
	jg_index_free(r.ix);
}

/* ---- the token cache alone --------------------------------------------- */

#define DIGEST_A "aaaa000000000000000000000000000000000000000000000000000000000001"
#define DIGEST_B "bbbb000000000000000000000000000000000000000000000000000000000002"

static void token_cache_ttl_and_drop(void **state)
{
	struct jg_authcache *c = NULL;
	struct jg_principal alice = {.name = "alice"}, who;

	(void)state;
	assert_int_equal(jg_authcache_new(&c), JG_OK);
	assert_false(jg_authcache_get(c, DIGEST_A, T0, &who)); /* never put */
	jg_authcache_put(c, jg_authcache_gen(c), DIGEST_A, "tok_a", &alice,
	                 T0);
	assert_true(jg_authcache_get(c, DIGEST_A, T0, &who));
	assert_string_equal(who.name, "alice");
	assert_false(jg_authcache_get(c, DIGEST_B, T0, &who));
	/* believed for the TTL, not a second longer (nor before it was
	 * put: a clock stepped back) */
	assert_true(jg_authcache_get(c, DIGEST_A, T0 + JG_AUTHCACHE_TTL - 1,
	                             &who));
	assert_false(jg_authcache_get(c, DIGEST_A, T0 + JG_AUTHCACHE_TTL,
	                              &who));
	assert_false(jg_authcache_get(c, DIGEST_A, T0 - 1, &who));
	/* dropped by id */
	jg_authcache_drop(c, "tok_a");
	assert_false(jg_authcache_get(c, DIGEST_A, T0, &who));
	jg_authcache_free(c);
}

static void token_cache_refuses_a_put_older_than_a_drop(void **state)
{
	struct jg_authcache *c = NULL;
	struct jg_principal alice = {.name = "alice"}, who;
	uint64_t gen;

	(void)state;
	assert_int_equal(jg_authcache_new(&c), JG_OK);
	/* read "valid" from the store, then the token is revoked and
	 * dropped before the put: the put must not bring it back */
	gen = jg_authcache_gen(c);
	jg_authcache_drop(c, "tok_a");
	jg_authcache_put(c, gen, DIGEST_A, "tok_a", &alice, T0);
	assert_false(jg_authcache_get(c, DIGEST_A, T0, &who));
	jg_authcache_free(c);
}

/* ---- two gates on one database ----------------------------------------- */

static const char policy_yaml[] =
        "version: 1\n"
        "defaults: {max_duration: 1h}\n"
        "resources:\n"
        "  db: {actions: [read, write]}\n"
        "rules:\n"
        "  - name: auto\n"
        "    match: {resource: db}\n"
        "    decision: auto\n"
        "    max_duration: 2h\n"
        "    extensions: {auto: 1}\n";

struct side {
	struct jg_store *st;
	struct jg_gate *g;
};

struct fx {
	char path[TDB_NAME_MAX];
	struct side a, b;
};

/* A gate with its own connection to f's database, index loaded. */
static int open_side(struct fx *f, struct side *s)
{
	struct jg_policy *pol;
	char err[256] = "";

	if (jg_store_open(f->path, &s->st, err, sizeof(err)) != JG_OK ||
	    jg_policy_parse("index-test.yaml", policy_yaml,
	                    sizeof(policy_yaml) - 1, &pol, err,
	                    sizeof(err)) != JG_OK ||
	    jg_gate_new(s->st, pol, NULL, &s->g) != JG_OK ||
	    jg_gate_index_load(s->g) != JG_OK) {
		print_error("setup: %s\n", err);
		return -1;
	}
	return 0;
}

static void close_side(struct side *s)
{
	jg_gate_free(s->g);
	jg_store_close(s->st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	tdb_new(f->path);
	if (open_side(f, &f->a) || open_side(f, &f->b))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	close_side(&f->a);
	close_side(&f->b);
	tdb_remove(f->path);
	free(f);
	return 0;
}

static struct jg_principal user(const char *name, int roles)
{
	struct jg_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.roles = roles;
	return p;
}

/* alice asks to `action` db on gate g (approved at once); grant id out. */
static void issue(struct jg_gate *g, const char *action, int64_t now,
                  char gid[JG_ID_LEN])
{
	struct jg_principal alice = user("alice", 0);
	struct jg_new_request in = {.resource = "db", .action = action,
	                            .reason = "INC-7", .duration = HOUR};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_request_create(g, &alice, &in, now, &v, why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	snprintf(gid, JG_ID_LEN, "%s", v.grant_id);
	jg_request_view_clear(&v);
}

/* What gate g answers about alice doing `action` on db at now. */
static struct jg_answer ask(struct jg_gate *g, const char *action,
                            int64_t now)
{
	struct jg_principal alice = user("alice", 0);
	struct jg_answer c;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_check(g, &alice, "alice", "db", action, now,
	                               &c, why),
	                 JG_OK);
	return c;
}

static void end(struct jg_gate *g, const char *gid, int64_t now)
{
	struct jg_principal alice = user("alice", 0);
	struct jg_grant gr;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_grant_end(g, &alice, gid, JG_GRANT_REVOKED,
	                                   "done", now, &gr, why),
	                 JG_OK);
}

static void sync_ok(struct jg_gate *g)
{
	assert_int_equal(jg_gate_sync(g), JG_OK);
}

static void issue_and_revoke_reach_the_other_gate(void **state)
{
	struct fx *f = *state;
	char gid[JG_ID_LEN];
	struct jg_answer c;

	issue(f->a.g, "read", T0, gid);
	/* A's own commit brought A's index in step before returning */
	c = ask(f->a.g, "read", T0);
	assert_true(c.allow);
	assert_string_equal(c.grant_id, gid);
	/* B answers from its index, which has not heard of it yet ... */
	assert_false(ask(f->b.g, "read", T0).allow);
	/* ... until its next sync step */
	sync_ok(f->b.g);
	c = ask(f->b.g, "read", T0);
	assert_true(c.allow);
	assert_string_equal(c.grant_id, gid);
	assert_int_equal(c.expires_at, T0 + HOUR);

	end(f->a.g, gid, T0 + 5);
	assert_false(ask(f->a.g, "read", T0 + 5).allow); /* at once on A */
	assert_true(ask(f->b.g, "read", T0 + 5).allow);  /* B: not yet */
	sync_ok(f->b.g);
	c = ask(f->b.g, "read", T0 + 5);
	assert_false(c.allow);
	assert_string_equal(c.grant_id, "");
	/* a step with nothing new changes nothing */
	sync_ok(f->b.g);
	assert_false(ask(f->b.g, "read", T0 + 5).allow);
}

static void extension_and_expiry_reach_the_other_gate(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = user("alice", 0);
	struct jg_extension more = {.duration = HOUR, .reason = "more"};
	struct jg_extend_result res;
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "";
	struct jg_answer c;
	size_t swept = 0;

	issue(f->a.g, "write", T0, gid);
	sync_ok(f->b.g);
	assert_int_equal(ask(f->b.g, "write", T0).expires_at, T0 + HOUR);
	assert_int_equal(jg_gate_grant_extend(f->a.g, &alice, gid, &more,
	                                      T0 + 10, &res, why),
	                 JG_OK);
	assert_true(res.extended);
	jg_request_view_clear(&res.req);
	assert_int_equal(ask(f->a.g, "write", T0 + HOUR).expires_at,
	                 T0 + 2 * HOUR);
	/* B still has the old expiry, and the clock ends it there */
	assert_false(ask(f->b.g, "write", T0 + HOUR).allow);
	sync_ok(f->b.g);
	c = ask(f->b.g, "write", T0 + HOUR);
	assert_true(c.allow);
	assert_int_equal(c.expires_at, T0 + 2 * HOUR);

	/* past expiry, unswept: denied by the clock, about that grant */
	c = ask(f->b.g, "write", T0 + 2 * HOUR);
	assert_false(c.allow);
	assert_string_equal(c.grant_id, gid);
	/* A's sweeper records the expiry; B's next step drops the entry */
	assert_int_equal(jg_gate_sweep(f->a.g, T0 + 2 * HOUR, &swept), JG_OK);
	assert_int_equal(swept, 1);
	sync_ok(f->b.g);
	c = ask(f->b.g, "write", T0 + 2 * HOUR);
	assert_false(c.allow);
	assert_string_equal(c.grant_id, "");
}

static void a_new_gate_loads_what_the_store_holds(void **state)
{
	struct fx *f = *state;
	struct side c;
	char live[JG_ID_LEN], gone[JG_ID_LEN];

	issue(f->a.g, "read", T0, gone);
	end(f->a.g, gone, T0 + 1);
	issue(f->a.g, "read", T0 + 2, live);
	assert_int_equal(open_side(f, &c), 0);
	assert_true(ask(c.g, "read", T0 + 3).allow);
	assert_string_equal(ask(c.g, "read", T0 + 3).grant_id, live);
	/* and follows the trail from there */
	end(f->a.g, live, T0 + 4);
	sync_ok(c.g);
	assert_false(ask(c.g, "read", T0 + 4).allow);
	close_side(&c);
}

static void token_revocation_reaches_the_other_gate(void **state)
{
	struct fx *f = *state;
	struct jg_principal admin = user("admin", JG_ROLE_ADMIN), who;
	struct jg_token spec = {.who = {.name = "pep"}}, t;
	char secret[JG_TOKEN_LEN], why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_token_create(f->a.g, &admin, &spec, T0, &t,
	                                      secret, why),
	                 JG_OK);
	/* a miss is never cached: B knows the new token at once */
	assert_int_equal(jg_gate_authenticate(f->b.g, secret, T0, &who), JG_OK);
	assert_string_equal(who.name, "pep");
	assert_int_equal(jg_gate_token_revoke(f->a.g, &admin, t.id, T0 + 1, &t,
	                                      why),
	                 JG_OK);
	assert_int_equal(jg_gate_authenticate(f->a.g, secret, T0 + 1, &who),
	                 JG_EAUTH);
	/* B believed the token (cached) until its next step */
	assert_int_equal(jg_gate_authenticate(f->b.g, secret, T0 + 1, &who),
	                 JG_OK);
	sync_ok(f->b.g);
	assert_int_equal(jg_gate_authenticate(f->b.g, secret, T0 + 1, &who),
	                 JG_EAUTH);
}

/*
 * A token's end holds on every path: the cache does not keep one that
 * ends within its TTL, and after the end it is refused like a revoked
 * one. Its use is recorded once a minute, not once a request.
 */
static void token_lifetime_and_last_use(void **state)
{
	struct fx *f = *state;
	struct jg_principal admin = user("admin", JG_ROLE_ADMIN), who;
	struct jg_token spec = {.who = {.name = "ci"}, .expires_at = T0 + 5};
	struct jg_token t, *list = NULL;
	char secret[JG_TOKEN_LEN], why[JG_WHY_MAX] = "";
	size_t n = 0;

	assert_int_equal(jg_gate_token_create(f->a.g, &admin, &spec, T0, &t,
	                                      secret, why),
	                 JG_OK);
	assert_int_equal(t.expires_at, T0 + 5);
	assert_int_equal(jg_gate_authenticate(f->a.g, secret, T0, &who), JG_OK);
	assert_int_equal(jg_gate_authenticate(f->a.g, secret, T0 + 4, &who),
	                 JG_OK);
	assert_int_equal(jg_gate_authenticate(f->a.g, secret, T0 + 5, &who),
	                 JG_EAUTH);
	assert_int_equal(jg_gate_token_list(f->a.g, &admin, T0 + 5, 0, &list,
	                                    &n, why),
	                 JG_OK);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].id, t.id))
			assert_int_equal(list[i].last_used_at, T0); /* not T0+4 */
	free(list);
	/* stale: made at T0, used at T0; nothing else here was used */
	assert_int_equal(jg_gate_token_list(f->a.g, &admin, T0 + 100, 50,
	                                    &list, &n, why),
	                 JG_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].id, t.id);
	free(list);
	/* an end in the past is refused, and so is "CI" beside "ci" */
	spec.expires_at = T0 - 1;
	assert_int_equal(jg_gate_token_create(f->a.g, &admin, &spec, T0, &t,
	                                      secret, why),
	                 JG_EINVAL);
	spec.expires_at = 0;
	snprintf(spec.who.name, sizeof(spec.who.name), "CI");
	assert_int_equal(jg_gate_token_create(f->a.g, &admin, &spec, T0, &t,
	                                      secret, why),
	                 JG_ECONFLICT);
	assert_non_null(strstr(why, "existing principal 'ci'"));
}

/* The background thread does what sync_ok does by hand: B comes to allow
 * what A issued without anyone calling jg_gate_sync (waited for, with a
 * cap far above any sync period: not a timing assertion). */
static void the_sync_thread_keeps_a_gate_in_step(void **state)
{
	struct fx *f = *state;
	struct timespec ms = {0, 1000000};
	char gid[JG_ID_LEN];
	int i;

	assert_int_equal(jg_gate_sync_start(f->b.g, 5), JG_OK);
	assert_int_equal(jg_gate_sync_start(f->b.g, 5), JG_EINVAL); /* one */
	issue(f->a.g, "read", T0, gid);
	for (i = 0; i < 20000 && !ask(f->b.g, "read", T0).allow; i++)
		nanosleep(&ms, NULL);
	assert_true(ask(f->b.g, "read", T0).allow);
	end(f->a.g, gid, T0 + 1);
	for (i = 0; i < 20000 && ask(f->b.g, "read", T0 + 1).allow; i++)
		nanosleep(&ms, NULL);
	assert_false(ask(f->b.g, "read", T0 + 1).allow);
	jg_gate_sync_stop(f->b.g);
	jg_gate_sync_stop(f->b.g); /* stopping twice is harmless */
}

#define UNIT(fn) cmocka_unit_test(fn)
#define GATES(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest alone[] = {
	        UNIT(put_find_remove),
	        UNIT(apply_is_idempotent_and_updates_expiry),
	        UNIT(clock_has_the_last_word),
	        UNIT(several_grants_one_key),
	        UNIT(bound_grants_fit_their_payload_only),
	        UNIT(keys_do_not_run_together),
	        UNIT(many_grants_grow_the_table),
	        UNIT(one_long_run),
	        UNIT(readers_never_see_a_revoked_grant),
	        UNIT(token_cache_ttl_and_drop),
	        UNIT(token_cache_refuses_a_put_older_than_a_drop),
	};
	const struct CMUnitTest gates[] = {
	        GATES(issue_and_revoke_reach_the_other_gate),
	        GATES(extension_and_expiry_reach_the_other_gate),
	        GATES(a_new_gate_loads_what_the_store_holds),
	        GATES(token_revocation_reaches_the_other_gate),
	        GATES(token_lifetime_and_last_use),
	        GATES(the_sync_thread_keeps_a_gate_in_step),
	};
	int rc = cmocka_run_group_tests_name("index", alone, NULL, NULL);

	rc += cmocka_run_group_tests_name("two gates on sqlite", gates, NULL,
	                                  NULL);
	if (tdb_pg_base())
		rc += cmocka_run_group_tests_name("two gates on postgres",
		                                  gates, tdb_pg_group_setup,
		                                  tdb_pg_group_teardown);
	return rc;
}
