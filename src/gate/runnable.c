/*
 * runnable.c - what an approved request's grant has come to, and whether
 * its requester can still run it: the dashboard shows an approved
 * request as live only while its grant is, and offers "Run" only where
 * execute would work. Hints for the page; execute decides. Both read the
 * grant the view was loaded with (jg_gate_load_view): no store access.
 */
#include <string.h>

#include "exec/exec.h"
#include "gate/internal.h"

const char *jg_gate_grant_state_of(const struct jg_request_view *v,
                                   int64_t now)
{
	/* the clock decides, before the sweeper records it */
	return v->grant_id[0] ? jg_grant_state_name(jg_grant_state_at(&v->grant, now))
	                      : NULL;
}

int jg_gate_can_execute(struct jg_gate *g, const struct jg_principal *who,
                        const struct jg_request_view *v, int64_t now)
{
	const struct jg_request *r = &v->req;

	return strcmp(who->name, r->requester) == 0 &&
	       r->state == JG_REQ_APPROVED && !v->has_exec &&
	       !r->extends[0] && v->grant_id[0] && jg_grant_live(&v->grant, now) &&
	       jg_connector_find(g->connectors, r->resource, r->action);
}
