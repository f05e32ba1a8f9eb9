/*
 * clock.c - the decision clock: the "now" every use case is asked for.
 *
 * The wall clock can step back (NTP, a VM restored from a snapshot, an
 * operator). A grant judged expired at 12:00 must not be live again
 * because the clock later reads 11:59: a step back would revive every
 * grant that expired in between, until the sweeper records them. So the
 * time a decision uses never goes below the latest time this server has
 * used, nor below the newest event in the audit trail (every server's,
 * with PostgreSQL: sync.c raises the floor with each event it applies,
 * and loading the index starts it at the trail's last event, so a
 * restart does not forget). When the wall clock is behind the floor,
 * time stands still until it catches up: nothing expires early, and
 * nothing comes back to life.
 *
 * Lock-free: a check reads the floor and raises it at most once a second.
 */
#include <time.h>

#include "gate/internal.h"

int64_t jg_gate_wall(struct jg_gate *g)
{
	return jg_gate_now(g, g->clock ? g->clock() : (int64_t)time(NULL));
}

int64_t jg_gate_now(struct jg_gate *g, int64_t wall)
{
	int64_t floor = __atomic_load_n(&g->clock_floor, __ATOMIC_RELAXED);

	while (wall > floor &&
	       !__atomic_compare_exchange_n(&g->clock_floor, &floor, wall, 1,
	                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return wall > floor ? wall : floor;
}

static int newest(const struct jg_event *ev, void *ctx)
{
	*(int64_t *)ctx = ev->ts;
	return 0;
}

enum jg_err jg_gate_clock_from_trail(struct jg_gate *g, int64_t last_seq)
{
	struct jg_filter f = {.cursor = last_seq - 1, .limit = 1};
	int64_t ts = 0, next;
	enum jg_err e;

	if (last_seq <= 0)
		return JG_OK;
	e = g->st->ops->audit_walk(g->st, &f, newest, &ts, &next);
	if (e == JG_OK)
		jg_gate_now(g, ts);
	return e;
}
