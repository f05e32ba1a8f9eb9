/*
 * test_ticker.c - the background-work loop (src/util/ticker.c): the first
 * and last calls, a poke, a stop that waits, bad arguments. Waits are
 * bounded liveness loops, never timings: the period is an hour, so every
 * call seen here was asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "util/ticker.h"

static void count(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

/* Wait (10 s at most) until *n reaches want; its value then. */
static int await(int *n, int want)
{
	struct timespec ms = {.tv_sec = 0, .tv_nsec = 1000000};

	for (int i = 0; i < 10000 && __atomic_load_n(n, __ATOMIC_SEQ_CST) < want;
	     i++)
		nanosleep(&ms, NULL);
	return __atomic_load_n(n, __ATOMIC_SEQ_CST);
}

static void first_poke_last(void **state)
{
	struct jg_ticker *t;
	int n = 0;

	(void)state;
	assert_int_equal(jg_ticker_start(3600 * 1000, count, &n,
	                                 JG_TICK_FIRST | JG_TICK_LAST, &t),
	                 JG_OK);
	assert_int_equal(await(&n, 1), 1); /* at once */
	jg_ticker_poke(t);
	assert_int_equal(await(&n, 2), 2); /* poked, long before the hour */
	jg_ticker_stop(t);
	assert_int_equal(n, 3); /* and the last, before stop returned */
}

static void plain_runs_only_when_asked(void **state)
{
	struct jg_ticker *t;
	int n = 0;

	(void)state;
	assert_int_equal(jg_ticker_start(3600 * 1000, count, &n, 0, &t), JG_OK);
	jg_ticker_stop(t); /* promptly, though the hour is not over */
	assert_int_equal(n, 0);
	jg_ticker_stop(NULL);
}

static void bad_arguments(void **state)
{
	struct jg_ticker *t = (struct jg_ticker *)&t;
	int n = 0;

	(void)state;
	assert_int_equal(jg_ticker_start(0, count, &n, 0, &t), JG_EINVAL);
	assert_null(t);
	assert_int_equal(jg_ticker_start(10, NULL, &n, 0, &t), JG_EINVAL);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(first_poke_last),
	        cmocka_unit_test(plain_runs_only_when_asked),
	        cmocka_unit_test(bad_arguments),
	};
	return cmocka_run_group_tests_name("ticker", tests, NULL, NULL);
}
