/*
 * test_pool.c - the execution pool (http/pool.c): its two bounds, the
 * order jobs run in, and what a stop does to jobs waiting, running, or
 * submitted on a place reserved just before it.
 *
 * What must hold: a place is reserved before anything is done for a job,
 * so a full pool refuses while nothing has happened; a stop cancels every
 * job that has not begun (run never called) and waits for those running.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "http/pool.h"

/* A job that records what happened to it; a gated one waits for open. */
struct tjob {
	struct jg_pool_job pj; /* first */
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int *open;     /* NULL: runs straight through */
	int ran, cancelled, started;
	int order;     /* 1-based rank among the runs */
	int *counter;  /* shared by the jobs of one test */
};

static void tjob_run(struct jg_pool_job *pj)
{
	struct tjob *j = (struct tjob *)pj;

	pthread_mutex_lock(j->mu);
	j->started = 1;
	pthread_cond_broadcast(j->cv);
	while (j->open && !*j->open)
		pthread_cond_wait(j->cv, j->mu);
	j->ran = 1;
	j->order = ++*j->counter;
	pthread_cond_broadcast(j->cv);
	pthread_mutex_unlock(j->mu);
}

static void tjob_cancel(struct jg_pool_job *pj)
{
	struct tjob *j = (struct tjob *)pj;

	pthread_mutex_lock(j->mu);
	j->cancelled = 1;
	pthread_mutex_unlock(j->mu);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int counter, gate_open;

static void tjob_init(struct tjob *j, int gated)
{
	*j = (struct tjob){.pj = {NULL, tjob_run, tjob_cancel},
	                   .mu = &mu, .cv = &cv,
	                   .open = gated ? &gate_open : NULL,
	                   .counter = &counter};
}

static void wait_started(struct tjob *j)
{
	pthread_mutex_lock(&mu);
	while (!j->started)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void wait_ran(struct tjob *j)
{
	pthread_mutex_lock(&mu);
	while (!j->ran)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void open_gate(void)
{
	pthread_mutex_lock(&mu);
	gate_open = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

static int setup(void **state)
{
	(void)state;
	counter = 0;
	gate_open = 0;
	return 0;
}

/* threads + queue places, no more; a place given back is free again. */
static void bounded_by_threads_and_queue(void **state)
{
	struct jg_pool *p = jg_pool_new(1, 2);

	(void)state;
	assert_non_null(p);
	assert_int_equal(jg_pool_reserve(p), 0);
	assert_int_equal(jg_pool_reserve(p), 0);
	assert_int_equal(jg_pool_reserve(p), 0);
	assert_int_equal(jg_pool_reserve(p), -1);
	jg_pool_unreserve(p);
	assert_int_equal(jg_pool_reserve(p), 0);
	for (int i = 0; i < 3; i++)
		jg_pool_unreserve(p);
	jg_pool_free(p);
	assert_null(jg_pool_new(0, 1));
}

/* A running job keeps its place until it returns; then the next runs,
 * in the order submitted. */
static void places_free_as_jobs_end(void **state)
{
	struct jg_pool *p = jg_pool_new(1, 1);
	struct tjob a, b;

	(void)state;
	tjob_init(&a, 1);
	tjob_init(&b, 0);
	assert_int_equal(jg_pool_reserve(p), 0);
	jg_pool_submit(p, &a.pj);
	wait_started(&a);
	assert_int_equal(jg_pool_reserve(p), 0);
	jg_pool_submit(p, &b.pj);
	assert_int_equal(jg_pool_reserve(p), -1); /* a runs, b waits */
	open_gate();
	wait_ran(&b);
	assert_int_equal(a.order, 1);
	assert_int_equal(b.order, 2);
	jg_pool_free(p);
	assert_int_equal(a.cancelled + b.cancelled, 0);
}

static void *open_later(void *arg)
{
	struct timespec ts = {0, 50 * 1000000L};

	(void)arg;
	nanosleep(&ts, NULL);
	open_gate();
	return NULL;
}

/* A stop cancels the waiting job (never run), waits for the running one
 * (it ends, not cancelled), refuses new places, and cancels at once a job
 * submitted on a place reserved before it. */
static void stop_cancels_waiting_and_waits_for_running(void **state)
{
	struct jg_pool *p = jg_pool_new(1, 1);
	struct tjob a, b, c;
	pthread_t t;

	(void)state;
	tjob_init(&a, 1);
	tjob_init(&b, 0);
	tjob_init(&c, 0);
	assert_int_equal(jg_pool_reserve(p), 0);
	jg_pool_submit(p, &a.pj);
	wait_started(&a);
	assert_int_equal(jg_pool_reserve(p), 0);
	jg_pool_submit(p, &b.pj);
	assert_int_equal(pthread_create(&t, NULL, open_later, NULL), 0);
	jg_pool_stop(p); /* returns once a has ended */
	pthread_join(t, NULL);
	assert_int_equal(a.ran, 1);
	assert_int_equal(a.cancelled, 0);
	assert_int_equal(b.ran, 0);
	assert_int_equal(b.cancelled, 1);
	assert_int_equal(jg_pool_reserve(p), -1);
	jg_pool_submit(p, &c.pj); /* as if reserved just before the stop */
	assert_int_equal(c.ran, 0);
	assert_int_equal(c.cancelled, 1);
	jg_pool_stop(p); /* idempotent */
	jg_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(bounded_by_threads_and_queue, setup),
		cmocka_unit_test_setup(places_free_as_jobs_end, setup),
		cmocka_unit_test_setup(stop_cancels_waiting_and_waits_for_running,
		                       setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
