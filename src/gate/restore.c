/*
 * restore.c - what a restore from a backup must do before the gateway
 * serves again: end every grant the backup still holds as active.
 *
 * A backup is a past state. A grant revoked, used up or ended after the
 * backup was taken is active again in it, and nothing in the restored
 * database knows better. Rather than guess which were still live, the
 * restore revokes them all, each with its grant.revoked event (actor
 * jitgate, the reason naming the backup): a holder re-requests, which is
 * a nuisance; a revoked grant coming back is a hole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"

/* One batch in one transaction; *n counts what it revoked. */
static enum jg_err revoke_batch(struct jg_gate *g, int64_t now,
                                const char *reason, size_t *n, int *more)
{
	struct jg_filter f = {.state = "active", .limit = JG_LIST_MAX,
	                      .now = now};
	struct jg_grant *gs = NULL;
	size_t count = 0;
	int64_t next = 0;
	char why[JG_WHY_MAX];
	enum jg_err e = g->st->ops->begin(g->st, 1);

	if (e != JG_OK)
		return e;
	e = g->st->ops->grant_list(g->st, &f, &gs, &count, &next);
	for (size_t i = 0; e == JG_OK && i < count; i++) {
		e = jg_grant_end(&gs[i], JG_GRANT_REVOKED, JG_ACTOR_SYSTEM,
		                 reason, now, why);
		if (e == JG_OK)
			e = g->st->ops->grant_update(g->st, &gs[i],
			                             JG_GRANT_ACTIVE);
		if (e == JG_OK)
			e = jg_gate_audit(g, now, JG_ACTOR_SYSTEM,
			                  "grant.revoked", gs[i].id,
			                  json_pack("{s:s}", "reason", reason));
	}
	free(gs);
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	*n += count;
	*more = count == JG_LIST_MAX;
	return JG_OK;
}

enum jg_err jg_gate_restore_revoke(struct jg_gate *g, int64_t now,
                                   const char *reason, size_t *n)
{
	enum jg_err e = JG_OK;
	int more = 1;

	*n = 0;
	while (e == JG_OK && more) /* revoked ones leave the list */
		e = revoke_batch(g, now, reason, n, &more);
	return e;
}
