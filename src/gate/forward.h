/*
 * forward.h - forward-auth: the question a reverse proxy asks before it
 * passes a request on (nginx auth_request, Envoy ext_authz, Traefik
 * ForwardAuth, Caddy forward_auth): may this caller do this request now?
 *
 * The request (host, method, path) becomes a resource and an action by
 * the policy's forward_auth routes (first match wins, no match denies);
 * the caller becomes a principal by a jitgate bearer (token, CLI session,
 * workload JWT), a signed grant token, a dashboard session cookie, or the
 * identity header of a trusted auth layer in front; and the answer is
 * /v1/check's for that principal, resource and action: a live grant,
 * judged by the decision clock, never one bound to a payload.
 */
#ifndef JG_GATE_FORWARD_H
#define JG_GATE_FORWARD_H

#include "gate/gate.h"

/* What the proxy asks about; strings borrowed. */
struct jg_fwd_ask {
	const char *host;   /* the Host the client asked, NULL/"" unknown */
	const char *method; /* GET, POST, ... */
	const char *uri;    /* the path and query the client sent */
	/* the client's address (a trusted proxy's X-Forwarded-For
	 * believed), NULL when unknown: where the grant is used from */
	const char *source;
};

/* Who the caller says it is; strings borrowed, NULL when absent. The
 * first present decides, in this order; a bad one is a 401, never a
 * fall-through to the next. */
struct jg_fwd_cred {
	/* the value of a trusted auth layer's identity header: the HTTP
	 * layer passes it only when the connection comes from a trusted
	 * proxy and the policy names the header */
	const char *identity;
	const char *bearer; /* after "Bearer " */
	const char *cookie; /* the dashboard session cookie */
};

struct jg_fwd_answer {
	int status; /* 200 allow, 401 who is unknown, 403 not allowed */
	char principal[JG_NAME_MAX]; /* "" when unknown */
	const char *resource; /* borrowed from the policy (under the hold); */
	const char *action;   /* NULL when no route matched */
	struct jg_answer check; /* the decision; its reason says why */
};

/*
 * The first route of f for ask, or NULL with why set. A path that is not
 * plain ("..", "//", percent-escaped dots or slashes, a backslash) matches
 * nothing: a proxy and an upstream that normalise it differently could
 * otherwise disagree on which route it is. Pure.
 */
const struct jg_fwd_route *jg_fwd_match(const struct jg_forward *f,
                                        const struct jg_fwd_ask *ask,
                                        char why[JG_WHY_MAX]);

/*
 * How many milliseconds a proxy may reuse the allow a (X-Jitgate-Cache-Ms)
 * asked at now (whole seconds): the policy's cache, never past the end of
 * the grant (or of the grant token that named the holder), counted as if
 * now were a second later since the true time may be; 0 for a denial and
 * for a grant with counted uses, whose every use must be asked. Pure.
 */
int64_t jg_fwd_cache_ms(const struct jg_forward *f, const struct jg_answer *a,
                        int64_t now);

/*
 * The use case; call holding the gate. JG_OK with out->status set for
 * every answer (a denial is an answer); errors are the store's. No store
 * access when the caller is a bearer token known to the cache or a trusted
 * identity header and the index is in step; nothing is audited but the
 * first use of a grant from a source (grant.used, via "forward").
 */
enum jg_err jg_gate_forward(struct jg_gate *g, const struct jg_fwd_ask *ask,
                            const struct jg_fwd_cred *cred, int64_t now,
                            struct jg_fwd_answer *out, char why[JG_WHY_MAX]);

#endif
