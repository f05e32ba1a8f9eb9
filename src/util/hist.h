/*
 * hist.h - a latency histogram that many threads feed without a lock.
 *
 * For /metrics (docs/operations.md): the module that measures something
 * owns its histogram and calls jg_hist_observe on its own path; the
 * exposition (http/prom.c) reads a snapshot. Each observation is two
 * relaxed atomic adds (its bucket and the sum), so a hot path pays a few
 * nanoseconds and never waits for a reader or another writer.
 *
 * A snapshot reads the buckets one by one while others may add: it is
 * not one instant, but it is always self-consistent where Prometheus
 * needs it to be (cumulative counts never decrease, and _count is the
 * +Inf bucket). The sum may lag the counts by the observations in flight.
 */
#ifndef JG_HIST_H
#define JG_HIST_H

#include <stddef.h>
#include <stdint.h>

#define JG_HIST_MAX 20 /* finite buckets at most */

struct jg_hist {
	const double *le; /* upper bounds in seconds, ascending; borrowed
	                   * (a static table) */
	size_t n;         /* how many (at most JG_HIST_MAX) */
	uint64_t bucket[JG_HIST_MAX + 1]; /* atomic, not cumulative;
	                                   * [n] holds what is past le[n-1] */
	uint64_t sum_us; /* atomic: the observations' sum, microseconds */
};

/* What the exposition prints: counts cumulative, as Prometheus wants. */
struct jg_hist_snap {
	const double *le;
	size_t n;
	uint64_t cum[JG_HIST_MAX + 1]; /* cum[i]: observations <= le[i];
	                                * cum[n]: all of them (+Inf) */
	double sum;                    /* seconds */
};

/* Empty histogram over bounds le[0..n) (n capped at JG_HIST_MAX). */
void jg_hist_init(struct jg_hist *h, const double *le, size_t n);

/* Count one observation of us microseconds. Thread-safe, lock-free. */
void jg_hist_observe_us(struct jg_hist *h, uint64_t us);

/* Read h into s (see above on consistency). */
void jg_hist_snapshot(const struct jg_hist *h, struct jg_hist_snap *s);

#endif
