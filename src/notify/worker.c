/*
 * worker.c - the thread that empties the outbox: one delivery pass a
 * second (jg_notify_deliver), until stopped. Stopping waits at most for
 * the delivery under way (its timeouts bound that).
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "notify/worker.h"

struct jg_notifier {
	struct jg_store *st;                 /* borrowed */
	const struct jg_notify_config *cfg;  /* borrowed */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
};

static int stopping(void *arg)
{
	struct jg_notifier *n = arg;
	return __atomic_load_n(&n->stop, __ATOMIC_ACQUIRE);
}

static void *run(void *arg)
{
	struct jg_notifier *n = arg;
	struct timespec until;

	pthread_mutex_lock(&n->lock);
	while (!n->stop) {
		pthread_mutex_unlock(&n->lock);
		jg_notify_deliver_until(n->st, n->cfg, (int64_t)time(NULL),
		                        stopping, n);
		pthread_mutex_lock(&n->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (!n->stop)
			pthread_cond_timedwait(&n->wake, &n->lock, &until);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

enum jg_err jg_notifier_start(struct jg_store *st,
                              const struct jg_notify_config *cfg,
                              struct jg_notifier **out)
{
	struct jg_notifier *n = calloc(1, sizeof(*n));

	*out = NULL;
	if (!n)
		return JG_ENOMEM;
	n->st = st;
	n->cfg = cfg;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->wake, NULL);
	if (pthread_create(&n->thread, NULL, run, n) != 0) {
		pthread_cond_destroy(&n->wake);
		pthread_mutex_destroy(&n->lock);
		free(n);
		return JG_EINTERNAL;
	}
	*out = n;
	return JG_OK;
}

void jg_notifier_stop(struct jg_notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	__atomic_store_n(&n->stop, 1, __ATOMIC_RELEASE);
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	pthread_cond_destroy(&n->wake);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
