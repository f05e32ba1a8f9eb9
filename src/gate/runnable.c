/*
 * runnable.c - what an approved request's grant has come to, and whether
 * its requester can still run it: the dashboard shows an approved
 * request as live only while its grant is, and offers "Run" only where
 * execute would work. Hints for the page; execute decides.
 */
#include <string.h>

#include "exec/exec.h"
#include "gate/internal.h"

const char *jg_gate_grant_state_of(struct jg_gate *g,
                                   const struct jg_request_view *v,
                                   int64_t now)
{
	struct jg_grant gr;
	enum jg_err e;

	if (!v->grant_id[0] || g->st->ops->begin(g->st, 0) != JG_OK)
		return NULL;
	e = g->st->ops->grant_get(g->st, v->grant_id, &gr);
	g->st->ops->rollback(g->st);
	if (e != JG_OK)
		return NULL;
	/* the clock decides, before the sweeper records it (grant.c) */
	if (gr.state == JG_GRANT_ACTIVE && gr.expires_at <= now)
		gr.state = JG_GRANT_EXPIRED;
	return jg_grant_state_name(gr.state);
}

int jg_gate_can_execute(struct jg_gate *g, const struct jg_principal *who,
                        const struct jg_request_view *v, const char *grant)
{
	const struct jg_request *r = &v->req;

	return strcmp(who->name, r->requester) == 0 &&
	       r->state == JG_REQ_APPROVED && !v->has_exec &&
	       !r->extends[0] && grant && strcmp(grant, "active") == 0 &&
	       jg_connector_find(g->connectors, r->resource, r->action);
}
