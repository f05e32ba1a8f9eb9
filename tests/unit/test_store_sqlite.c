/*
 * test_store_sqlite.c - what only the SQLite backend has: its cache of
 * prepared statements, and group commit (src/store/sqlite_sync.c): many
 * threads' commits all durable, sharing fdatasync calls, and a failed
 * fdatasync failing the commits it covered and every write after it.
 */
#include <fcntl.h>
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

#include "audit/audit.h"
#include "store/sqlite.h"
#include "store/store.h"
#include "testdb.h"

struct fx {
	char path[TDB_NAME_MAX];
	struct jg_store *st;
};

static struct jg_store *open_ok(const char *path)
{
	struct jg_store *st = NULL;
	char err[256] = "";
	enum jg_err e = jg_store_open(path, &st, err, sizeof(err));

	if (e != JG_OK)
		print_error("open %s: %s\n", path, err);
	assert_int_equal(e, JG_OK);
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

/* n audit events, one transaction each. */
static void append_events(struct jg_store *st, int n)
{
	for (int i = 0; i < n; i++) {
		assert_int_equal(st->ops->begin(st, 1), JG_OK);
		assert_int_equal(jg_audit_append(st, 1000 + i, "tester",
		                                 "test.event", "", NULL),
		                 JG_OK);
		assert_int_equal(st->ops->commit(st), JG_OK);
	}
}

/* ---- the statement cache ------------------------------------------------ */

struct nest {
	struct jg_store *st;
	int outer, inner, depth;
};

static int count_inner(const struct jg_event *ev, void *ctx)
{
	struct nest *n = ctx;

	(void)ev;
	n->inner++;
	return 0;
}

/* Each event of the outer walk walks the whole trail again. */
static int walk_again(const struct jg_event *ev, void *ctx)
{
	struct nest *n = ctx;
	struct jg_filter f = {0};
	int64_t next;

	(void)ev;
	n->outer++;
	assert_int_equal(n->st->ops->audit_walk(n->st, &f, count_inner, n,
	                                        &next),
	                 JG_OK);
	assert_int_equal(next, 3);
	return 0;
}

/* The cached statement is mid-walk when the callback asks for the same
 * query: it must get a statement of its own, and the outer walk go on. */
static void walk_inside_the_same_walk(void **state)
{
	struct fx *f = *state;
	struct nest n = {.st = f->st};
	struct jg_filter flt = {0};
	int64_t next;

	append_events(f->st, 3);
	assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
	assert_int_equal(f->st->ops->audit_walk(f->st, &flt, walk_again, &n,
	                                        &next),
	                 JG_OK);
	f->st->ops->rollback(f->st);
	assert_int_equal(next, 3);
	assert_int_equal(n.outer, 3);
	assert_int_equal(n.inner, 9);

	/* and the cached statement is whole again afterwards */
	n = (struct nest){.st = f->st};
	assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
	assert_int_equal(f->st->ops->audit_walk(f->st, &flt, count_inner, &n,
	                                        &next),
	                 JG_OK);
	f->st->ops->rollback(f->st);
	assert_int_equal(n.inner, 3);
}

/* Bindings never leak from one call into the next. */
static void filters_do_not_stick(void **state)
{
	struct fx *f = *state;
	struct jg_filter one = {.cursor = 2}, all = {0};
	struct nest n = {.st = f->st};
	int64_t next;

	append_events(f->st, 3);
	assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
	assert_int_equal(f->st->ops->audit_walk(f->st, &one, count_inner, &n,
	                                        &next),
	                 JG_OK);
	assert_int_equal(n.inner, 1);
	n.inner = 0;
	assert_int_equal(f->st->ops->audit_walk(f->st, &all, count_inner, &n,
	                                        &next),
	                 JG_OK);
	f->st->ops->rollback(f->st);
	assert_int_equal(n.inner, 3);
}

/* ---- group commit ------------------------------------------------------- */

/* One write transaction putting key; its commit's result. */
static enum jg_err put_key(struct jg_store *st, const char *key)
{
	enum jg_err e = st->ops->begin(st, 1);

	if (e != JG_OK)
		return e;
	e = st->ops->request_key_put(st, key, "req_x", 1000);
	if (e != JG_OK) {
		st->ops->rollback(st);
		return e;
	}
	return st->ops->commit(st);
}

#define NTHREADS 32
#define NCOMMITS 25

struct committer {
	pthread_t th;
	struct jg_store *st;
	int idx, round, failed;
};

static void *commit_many(void *arg)
{
	struct committer *c = arg;
	char key[64];

	for (int i = 0; i < NCOMMITS; i++) {
		snprintf(key, sizeof(key), "k-%d-%d-%d", c->round, c->idx, i);
		if (put_key(c->st, key) != JG_OK)
			c->failed++;
	}
	return NULL;
}

/* NTHREADS threads, NCOMMITS commits each; every one must succeed. */
static void commit_round(struct jg_store *st, int round)
{
	struct committer c[NTHREADS];

	for (int i = 0; i < NTHREADS; i++) {
		c[i] = (struct committer){.st = st, .idx = i, .round = round};
		assert_int_equal(
		        pthread_create(&c[i].th, NULL, commit_many, &c[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(c[i].th, NULL);
		assert_int_equal(c[i].failed, 0);
	}
}

/*
 * 32 threads on one connection: every commit succeeds, every row is
 * there after close and reopen, and the commits shared fdatasync calls.
 * Sharing depends on scheduling, not on time: the other threads queue
 * for the connection while one syncs, so the next sync covers several.
 * Rounds repeat (a few at most) until a round shows it.
 */
static void threads_share_syncs_and_every_commit_stays(void **state)
{
	struct fx *f = *state;
	int rounds = 0, shared = 0;

	while (!shared && rounds < 10) {
		uint64_t before = jg_store_sqlite_syncs(f->st);
		commit_round(f->st, rounds++);
		shared = jg_store_sqlite_syncs(f->st) - before <
		         (uint64_t)NTHREADS * NCOMMITS;
	}
	assert_true(shared);
	jg_store_close(f->st);
	f->st = open_ok(f->path);
	assert_int_equal(tdb_int(f->path, "SELECT count(*) FROM request_keys"),
	                 rounds * NTHREADS * NCOMMITS);
}

/* Replace the descriptor group commit syncs with one fdatasync refuses
 * (EINVAL on a character device): a real failing call, no hook. */
static void break_sync(struct jg_store *st)
{
	int fd = open("/dev/full", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(dup2(fd, jg_store_sqlite_wal_fd(st)) >= 0);
	close(fd);
}

static void failed_sync_fails_the_commit_and_every_later_write(void **state)
{
	struct fx *f = *state;
	char key[16];

	assert_int_equal(put_key(f->st, "before"), JG_OK);
	break_sync(f->st);
	assert_int_equal(put_key(f->st, "during"), JG_ESTORE);
	assert_non_null(strstr(f->st->err, "syncing"));
	/* fail closed: no write begins again on this handle */
	assert_int_equal(f->st->ops->begin(f->st, 1), JG_ESTORE);
	assert_non_null(strstr(f->st->err, "refused"));
	/* reads still work, for whoever looks into what happened */
	assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
	assert_int_equal(f->st->ops->request_key_get(f->st, "before", key),
	                 JG_OK);
	f->st->ops->rollback(f->st);
}

static void *put_one_key(void *arg)
{
	struct committer *c = arg;
	char key[32];

	snprintf(key, sizeof(key), "t-%d", c->idx);
	c->failed = put_key(c->st, key) != JG_OK;
	return NULL;
}

/* Every thread waiting on the broken sync gets the error, none hangs. */
static void failed_sync_fails_every_waiter(void **state)
{
	struct fx *f = *state;
	struct committer c[NTHREADS];

	break_sync(f->st);
	for (int i = 0; i < NTHREADS; i++) {
		c[i] = (struct committer){.st = f->st, .idx = i};
		assert_int_equal(
		        pthread_create(&c[i].th, NULL, put_one_key, &c[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(c[i].th, NULL);
		assert_int_equal(c[i].failed, 1);
	}
}

/* SQLite never removes the WAL while a connection is open: a missing one
 * is damage from outside, and commits must not be acknowledged. */
static void removed_wal_fails_closed(void **state)
{
	struct fx *f = *state;
	char wal[TDB_NAME_MAX + 8];

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(put_key(f->st, "before"), JG_OK);
	assert_int_equal(unlink(wal), 0);
	assert_int_equal(put_key(f->st, "after"), JG_ESTORE);
	assert_non_null(strstr(f->st->err, "-wal"));
	assert_int_equal(f->st->ops->begin(f->st, 1), JG_ESTORE);
}

/* A read-only transaction never syncs. */
static void reads_do_not_sync(void **state)
{
	struct fx *f = *state;
	uint64_t before;
	char key[16];

	assert_int_equal(put_key(f->st, "k"), JG_OK);
	before = jg_store_sqlite_syncs(f->st);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
		assert_int_equal(f->st->ops->request_key_get(f->st, "k", key),
		                 JG_OK);
		assert_int_equal(f->st->ops->commit(f->st), JG_OK);
	}
	assert_int_equal(jg_store_sqlite_syncs(f->st), before);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(walk_inside_the_same_walk),
	        T(filters_do_not_stick),
	        T(threads_share_syncs_and_every_commit_stays),
	        T(failed_sync_fails_the_commit_and_every_later_write),
	        T(failed_sync_fails_every_waiter),
	        T(removed_wal_fails_closed),
	        T(reads_do_not_sync),
	};
	return cmocka_run_group_tests_name("sqlite store", tests, NULL, NULL);
}
