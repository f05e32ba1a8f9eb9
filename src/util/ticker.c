/* ticker.c - a thread that calls one function every so often (ticker.h). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/ticker.h"

struct jg_ticker {
	void (*fn)(void *);
	void *arg;
	int period_ms, flags;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC: wall clock steps */
	int stop, poked;     /* under lock */
};

/* Under t->lock: sleep a period, or until poked or stopped. */
static void wait_period(struct jg_ticker *t)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += (long)(t->period_ms % 1000) * 1000000L;
	until.tv_sec += t->period_ms / 1000 + until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (!t->stop && !t->poked &&
	       pthread_cond_timedwait(&t->wake, &t->lock, &until) == 0)
		; /* woken without a reason: wait out the period */
	t->poked = 0;
}

static void *run(void *arg)
{
	struct jg_ticker *t = arg;

	if (t->flags & JG_TICK_FIRST)
		t->fn(t->arg);
	pthread_mutex_lock(&t->lock);
	for (;;) {
		wait_period(t);
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->lock);
		t->fn(t->arg);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	if (t->flags & JG_TICK_LAST)
		t->fn(t->arg);
	return NULL;
}

enum jg_err jg_ticker_start(int period_ms, void (*fn)(void *), void *arg,
                            int flags, struct jg_ticker **out)
{
	struct jg_ticker *t;
	pthread_condattr_t attr;

	*out = NULL;
	if (period_ms < 1 || !fn)
		return JG_EINVAL;
	if (!(t = calloc(1, sizeof(*t))))
		return JG_ENOMEM;
	*t = (struct jg_ticker){.fn = fn, .arg = arg, .period_ms = period_ms,
	                        .flags = flags};
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&t->thread, NULL, run, t) != 0) {
		pthread_cond_destroy(&t->wake);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return JG_EINTERNAL;
	}
	*out = t;
	return JG_OK;
}

static void signal_with(struct jg_ticker *t, int *flag)
{
	pthread_mutex_lock(&t->lock);
	*flag = 1;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
}

void jg_ticker_poke(struct jg_ticker *t)
{
	signal_with(t, &t->poked);
}

void jg_ticker_stop(struct jg_ticker *t)
{
	if (!t)
		return;
	signal_with(t, &t->stop);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
