/*
 * test_store_tx.c - a store transaction belongs to the thread that began
 * it: nothing another thread does (a rollback() with no transaction of
 * its own, as every use case calls after a failed commit) may end it.
 *
 * Found by tests/e2e/test_faults.sh (SQLite on a full disk under
 * concurrent load): sq_commit() releases the store lock when COMMIT
 * fails, the use case then calls rollback() (jg_gate_abort), and
 * sq_rollback() reads in_tx without the lock: when another thread has
 * begun meanwhile, it rolls back that thread's transaction and unlocks
 * the lock that thread holds. The victim's inserts vanish (it answered
 * 404 to POST /v1/requests), its later statements run in autocommit
 * mode, two threads share the connection, and once the server looped in
 * sqlite3PcacheDirtyList at COMMIT and never stopped. (Fixed: the store
 * now knows which thread holds its transaction.)
 *
 * PostgreSQL binds a transaction to its thread (pthread_getspecific), so
 * this runs on SQLite, where the bug is.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static struct jg_store *st;
static char path[64];

static int setup(void **state)
{
	char err[256];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/jitgate-tx-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(jg_store_open(path, &st, err, sizeof(err)), JG_OK);
	return 0;
}

static int teardown(void **state)
{
	char p[96];

	(void)state;
	jg_store_close(st);
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

static void *stray_rollback(void *arg)
{
	(void)arg;
	st->ops->rollback(st); /* this thread has no transaction */
	return NULL;
}

static void rollback_elsewhere_leaves_my_transaction(void **state)
{
	static char reason[] = "tx test";
	struct jg_request r = {0}, got;
	pthread_t t;
	enum jg_err e;

	(void)state;
	snprintf(r.id, sizeof(r.id), "req_txtest");
	snprintf(r.requester, sizeof(r.requester), "alice");
	snprintf(r.resource, sizeof(r.resource), "db");
	snprintf(r.action, sizeof(r.action), "write");
	snprintf(r.rule, sizeof(r.rule), "db");
	r.reason = reason;
	r.state = JG_REQ_PENDING;
	r.created_at = 1000;
	r.expires_at = 2000;

	assert_int_equal(st->ops->begin(st, 1), JG_OK);
	assert_int_equal(st->ops->request_insert(st, &r), JG_OK);
	assert_int_equal(pthread_create(&t, NULL, stray_rollback, NULL), 0);
	pthread_join(t, NULL);
	e = st->ops->request_get(st, r.id, &got);
	if (e == JG_OK)
		jg_request_clear(&got);
	assert_int_equal(e, JG_OK); /* the stray rollback left it alone */
	assert_int_equal(st->ops->commit(st), JG_OK);
	assert_int_equal(st->ops->begin(st, 0), JG_OK);
	assert_int_equal(st->ops->request_get(st, r.id, &got), JG_OK);
	jg_request_clear(&got);
	st->ops->rollback(st);
}

/* The reference: one thread's transaction, begun and committed. */
static void my_transaction_commits(void **state)
{
	static char reason[] = "tx test";
	struct jg_request r = {0}, got;

	(void)state;
	snprintf(r.id, sizeof(r.id), "req_txown");
	snprintf(r.requester, sizeof(r.requester), "alice");
	snprintf(r.resource, sizeof(r.resource), "db");
	snprintf(r.action, sizeof(r.action), "write");
	snprintf(r.rule, sizeof(r.rule), "db");
	r.reason = reason;
	r.state = JG_REQ_PENDING;
	assert_int_equal(st->ops->begin(st, 1), JG_OK);
	assert_int_equal(st->ops->request_insert(st, &r), JG_OK);
	assert_int_equal(st->ops->commit(st), JG_OK);
	st->ops->rollback(st); /* after a commit: nothing to do */
	assert_int_equal(st->ops->begin(st, 0), JG_OK);
	assert_int_equal(st->ops->request_get(st, r.id, &got), JG_OK);
	jg_request_clear(&got);
	st->ops->rollback(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(my_transaction_commits),
	        cmocka_unit_test(rollback_elsewhere_leaves_my_transaction),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
