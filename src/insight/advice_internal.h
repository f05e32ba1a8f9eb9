/*
 * advice_internal.h - what advice.c (the suggestions) and advice_gather.c
 * (the pass over the period) share; not for other modules.
 */
#ifndef JG_ADVICE_INTERNAL_H
#define JG_ADVICE_INTERNAL_H

#include "gate/internal.h"
#include "insight/advice.h"

/* Durations (seconds) of one subject; a growing array. */
struct jg_advice_series {
	int64_t *v; /* owned */
	size_t n, cap;
};

/* Counts per named subject: rules, resources, people, groups, reasons. */
struct jg_advice_tally {
	char *name; /* owned */
	size_t n[4];
	struct jg_advice_series s;
};

struct jg_advice_tallies {
	struct jg_advice_tally *t; /* owned */
	size_t n, cap;
};

enum {
	JG_ADVICE_REQ,
	JG_ADVICE_APPROVED,
	JG_ADVICE_DECIDED,
	JG_ADVICE_EXPIRED
}; /* rules' n[] */

struct jg_advice_period {
	struct jg_gate *g;
	const struct jg_advice_in *in;
	size_t requests;
	struct jg_advice_tallies rules, resources, people, steps, denials;
	struct jg_advice_series
		*uses; /* per policy rule, owned, by rule index */
	enum jg_err err;
	size_t page;
	struct jg_request *batch; /* owned copies of this page's requests */
	size_t nbatch;
};

/*
 * Read the period of c->in (c->g and c->in set, the rest zero); JG_EBUSY
 * past JG_ADVICE_MAX_REQUESTS. Free with jg_advice_gather_free, also on
 * failure.
 */
enum jg_err jg_advice_gather(struct jg_advice_period *c);
void jg_advice_gather_free(struct jg_advice_period *c);

/* Sort a series ascending; then its nearest-rank percentile p (1..100),
 * of a series with at least one value. */
void jg_advice_sort(struct jg_advice_series *s);
int64_t jg_advice_pct(const struct jg_advice_series *s, int p);

/* The tally of name (borrowed), or NULL. */
struct jg_advice_tally *jg_advice_find(struct jg_advice_tallies *ts,
				       const char *name);

#endif
