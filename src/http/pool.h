/*
 * pool.h - the execution pool: a few threads of their own on which the
 * gateway runs actions, so that an action never occupies an HTTP worker
 * (four slow actions would otherwise stop every endpoint, /v1/check
 * included).
 *
 * Bounded twice: at most `threads` jobs run at once and at most `queue`
 * more wait. A place is reserved before anything is done for a job, so
 * a full pool refuses while nothing has happened yet.
 */
#ifndef JG_HTTP_POOL_H
#define JG_HTTP_POOL_H

struct jg_pool;

struct jg_pool_job {
	struct jg_pool_job *next; /* the pool's, while queued */
	/* on a pool thread; the job belongs to run from then on */
	void (*run)(struct jg_pool_job *job);
	/* instead of run, when the pool stops before the job began */
	void (*cancel)(struct jg_pool_job *job);
};

/* Start threads (1 to 256) with room for queue waiting jobs; NULL when
 * threads cannot be made. */
struct jg_pool *jg_pool_new(unsigned threads, unsigned queue);

/* Reserve the place of one job: 0; -1 when full or stopping. */
int jg_pool_reserve(struct jg_pool *p);

/* Give back a place reserved and not used. */
void jg_pool_unreserve(struct jg_pool *p);

/* Queue job (borrowed until run or cancel) on the place reserved; a
 * pool stopped meanwhile cancels it at once. */
void jg_pool_submit(struct jg_pool *p, struct jg_pool_job *job);

/*
 * Stop: refuse new reservations, cancel the jobs still waiting (and any
 * submitted later), and wait for the running ones to return (an action
 * ends by its connector's timeout at the latest). Idempotent.
 */
void jg_pool_stop(struct jg_pool *p);

/* Stop if not stopped yet, and free. NULL-safe. */
void jg_pool_free(struct jg_pool *p);

#endif
