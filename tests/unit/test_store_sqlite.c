/*
 * test_store_sqlite.c - what only the SQLite backend has: its cache of
 * prepared statements.
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        T(walk_inside_the_same_walk),
	        T(filters_do_not_stick),
	};
	return cmocka_run_group_tests_name("sqlite store", tests, NULL, NULL);
}
