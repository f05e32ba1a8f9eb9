/*
 * hist.c - the lock-free latency histogram (see hist.h).
 */
#include <string.h>

#include "util/hist.h"

void jg_hist_init(struct jg_hist *h, const double *le, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->le = le;
	h->n = n > JG_HIST_MAX ? JG_HIST_MAX : n;
}

void jg_hist_observe_us(struct jg_hist *h, uint64_t us)
{
	double s = (double)us / 1e6;
	size_t i = 0;

	/* a dozen or so bounds: a linear scan beats a search at that size */
	while (i < h->n && s > h->le[i])
		i++;
	__atomic_add_fetch(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->sum_us, us, __ATOMIC_RELAXED);
}

void jg_hist_snapshot(const struct jg_hist *h, struct jg_hist_snap *s)
{
	uint64_t total = 0;

	memset(s, 0, sizeof(*s));
	s->le = h->le;
	s->n = h->n;
	/* the sum first: read after the buckets it could exceed them */
	s->sum = (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6;
	for (size_t i = 0; i <= h->n; i++) {
		total += __atomic_load_n(&h->bucket[i], __ATOMIC_RELAXED);
		s->cum[i] = total;
	}
}
