/*
 * report_pipe.c - the report's walk on both cores: the store's walk, the
 * chain's verification and the parsing of the details stay on the
 * caller's thread, while the period's events, handed over in batches
 * (copies, with their parsed details), are folded into the model on a
 * thread of this pipe's own. The two halves cost about the same in a
 * year's report, so they overlap instead of taking turns.
 *
 * Order is kept: one producer, one consumer, batches in a FIFO. The
 * consumer alone touches what fold writes until jg_report_pipe_end has
 * joined it. When the thread cannot be started, events are folded on
 * the caller's thread as they come, with the same result.
 */
#include <pthread.h>
#include <stdlib.h>

#include "insight/report.h"

#define PIPE_BATCH 1024 /* events per hand-over */
#define PIPE_NB 4       /* batches in flight: two filling, two folding */

struct batch {
	struct jg_event ev[PIPE_BATCH]; /* details NULL: d has them */
	json_t *d[PIPE_BATCH];          /* owned until given to fold */
	size_t n;
};

struct jg_report_pipe {
	jg_report_parse_fn parse; /* borrowed */
	jg_report_fold_fn fold;
	void *ctx;
	int threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch *pool;            /* owned: PIPE_NB batches */
	struct batch *full[PIPE_NB], *free[PIPE_NB]; /* FIFO, stack */
	size_t fhead, nfull, nfree;
	struct batch *cur; /* the producer's, NULL until it takes one */
	int done;          /* the producer is finished */
};

/* Under mu: wait for a free batch. */
static struct batch *take_free(struct jg_report_pipe *p)
{
	while (p->nfree == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	return p->free[--p->nfree];
}

static void hand_over(struct jg_report_pipe *p, struct batch *b)
{
	pthread_mutex_lock(&p->mu);
	p->full[(p->fhead + p->nfull) % PIPE_NB] = b;
	p->nfull++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void fold_batch(struct jg_report_pipe *p, struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		p->fold(&b->ev[i], b->d[i], p->ctx);
	b->n = 0;
}

static void *consume(void *arg)
{
	struct jg_report_pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct batch *b;
		while (p->nfull == 0 && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->nfull == 0)
			break;
		b = p->full[p->fhead];
		p->fhead = (p->fhead + 1) % PIPE_NB;
		p->nfull--;
		pthread_mutex_unlock(&p->mu);
		fold_batch(p, b);
		pthread_mutex_lock(&p->mu);
		p->free[p->nfree++] = b;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct jg_report_pipe *jg_report_pipe_start(jg_report_parse_fn parse,
                                            jg_report_fold_fn fold,
                                            void *ctx)
{
	struct jg_report_pipe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->parse = parse;
	p->fold = fold;
	p->ctx = ctx;
	p->pool = calloc(PIPE_NB, sizeof(*p->pool));
	if (!p->pool) {
		free(p);
		return NULL;
	}
	for (size_t i = 0; i < PIPE_NB; i++)
		p->free[p->nfree++] = &p->pool[PIPE_NB - 1 - i];
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->threaded = pthread_create(&p->th, NULL, consume, p) == 0;
	return p;
}

int jg_report_pipe_event(const struct jg_event *ev, void *arg)
{
	struct jg_report_pipe *p = arg;
	struct batch *b;

	if (!p->threaded) {
		p->fold(ev, p->parse(ev), p->ctx);
		return 0;
	}
	if (!p->cur) {
		pthread_mutex_lock(&p->mu);
		p->cur = take_free(p);
		pthread_mutex_unlock(&p->mu);
	}
	b = p->cur;
	b->d[b->n] = p->parse(ev);
	b->ev[b->n] = *ev;
	b->ev[b->n++].details = NULL; /* borrowed from the walk: gone soon */
	if (b->n == PIPE_BATCH) {
		p->cur = NULL;
		hand_over(p, b);
	}
	return 0;
}

void jg_report_pipe_end(struct jg_report_pipe *p)
{
	if (p->threaded) {
		if (p->cur && p->cur->n)
			hand_over(p, p->cur);
		pthread_mutex_lock(&p->mu);
		p->done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->pool);
	free(p);
}
