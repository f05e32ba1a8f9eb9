/*
 * pool.c - the execution pool (see pool.h): a mutex, a condition, a
 * FIFO of jobs and a fixed set of threads. It knows nothing of HTTP or
 * of the gate; server.c gives it jobs that resume their connection.
 */
#include <pthread.h>
#include <stdlib.h>

#include "http/pool.h"

#define POOL_THREADS_MAX 256u

struct jg_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct jg_pool_job *head, *tail; /* queued, borrowed */
	unsigned used;     /* places reserved, queued or running */
	unsigned cap;      /* threads + queue */
	int stopping;
	unsigned nthreads; /* started */
	pthread_t *threads; /* owned */
};

static void *worker(void *arg)
{
	struct jg_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct jg_pool_job *j = p->head;
		if (!j && p->stopping)
			break;
		if (!j) {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		if (!(p->head = j->next))
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		j->run(j);
		pthread_mutex_lock(&p->mu);
		p->used--;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct jg_pool *jg_pool_new(unsigned threads, unsigned queue)
{
	struct jg_pool *p = calloc(1, sizeof(*p));

	if (!p || threads < 1 || threads > POOL_THREADS_MAX ||
	    !(p->threads = calloc(threads, sizeof(*p->threads)))) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->cap = threads + queue;
	for (; p->nthreads < threads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, worker, p)) {
			jg_pool_free(p);
			return NULL;
		}
	return p;
}

int jg_pool_reserve(struct jg_pool *p)
{
	int rc = -1;

	pthread_mutex_lock(&p->mu);
	if (!p->stopping && p->used < p->cap) {
		p->used++;
		rc = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void jg_pool_unreserve(struct jg_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->used--;
	pthread_mutex_unlock(&p->mu);
}

void jg_pool_submit(struct jg_pool *p, struct jg_pool_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->stopping) { /* reserved just before the stop */
		pthread_mutex_unlock(&p->mu);
		job->cancel(job);
		return;
	}
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void jg_pool_stop(struct jg_pool *p)
{
	struct jg_pool_job *j;
	unsigned n;

	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	j = p->head; /* nothing of these has begun: they are refused */
	p->head = p->tail = NULL;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	while (j) {
		struct jg_pool_job *next = j->next;
		j->cancel(j);
		j = next;
	}
	pthread_mutex_lock(&p->mu);
	n = p->nthreads; /* join each thread once */
	p->nthreads = 0;
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < n; i++)
		pthread_join(p->threads[i], NULL);
}

void jg_pool_free(struct jg_pool *p)
{
	if (!p)
		return;
	jg_pool_stop(p);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p);
}
