/*
 * gatefx.h - the fixture gate tests share: a fresh test database
 * (testdb.h: SQLite, or PostgreSQL when JITGATE_TEST_PG is set), signing
 * keys in a temporary directory when grant tokens are wanted, and gates
 * over them with a given policy text (indexed, as `jitgate serve` runs
 * them, or answering from the store).
 *
 * Include after cmocka.h and testdb.h. Everything here asserts: a fixture
 * that cannot be built fails the test that asked for it.
 */
#ifndef JG_TEST_GATEFX_H
#define JG_TEST_GATEFX_H

#include "gate/gate.h"
#include "policy/load.h"
#include "sign/keys.h"
#include "store/store.h"

#ifndef GATEFX_T0
#define GATEFX_T0 2000000LL /* when the fixture's keys are made */
#endif

struct gatefx {
	char path[TDB_NAME_MAX];
	char keydir[64];      /* "" without keys */
	struct jg_store *st;  /* owned */
	struct jg_keys *keys; /* owned; NULL without keys */
};

/* A new database opened as x->st; with_keys: keys in a new directory. */
static inline void gatefx_open(struct gatefx *x, int with_keys)
{
	char err[256] = "";

	memset(x, 0, sizeof(*x));
	tdb_new(x->path);
	if (jg_store_open(x->path, &x->st, err, sizeof(err)) != JG_OK)
		fail_msg("store: %s", err);
	if (!with_keys)
		return;
	snprintf(x->keydir, sizeof(x->keydir), "/tmp/jg-gatefx-keys.XXXXXX");
	if (!mkdtemp(x->keydir) ||
	    jg_keys_open(x->keydir, GATEFX_T0, &x->keys, err, sizeof(err)) !=
	            JG_OK)
		fail_msg("keys: %s", err);
}

/* A gate over x's store under the policy text yaml (the caller frees it
 * with jg_gate_free); indexed: its grant index loaded. */
static inline struct jg_gate *gatefx_gate(struct gatefx *x, const char *yaml,
                                          int indexed)
{
	struct jg_policy *pol;
	struct jg_gate *g;
	char err[256] = "";

	if (jg_policy_parse("t.yaml", yaml, strlen(yaml), &pol, err,
	                    sizeof(err)) != JG_OK)
		fail_msg("policy: %s", err);
	assert_int_equal(jg_gate_new(x->st, pol, NULL, &g), JG_OK);
	if (indexed)
		assert_int_equal(jg_gate_index_load(g), JG_OK);
	if (x->keys)
		jg_gate_set_keys(g, x->keys);
	return g;
}

/* Close what gatefx_open opened and remove the database and keys. */
static inline void gatefx_close(struct gatefx *x)
{
	char cmd[128];

	jg_keys_free(x->keys);
	jg_store_close(x->st);
	tdb_remove(x->path);
	if (x->keydir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", x->keydir);
		assert_int_equal(system(cmd), 0);
	}
}

/* A principal of that name with those roles and nothing else. */
static inline struct jg_principal gatefx_user(const char *name, int roles)
{
	struct jg_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.roles = roles;
	return p;
}

#endif
