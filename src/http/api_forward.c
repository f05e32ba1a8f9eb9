/*
 * api_forward.c - GET /v1/authz/forward (and HEAD): forward-auth for
 * reverse proxies (docs/enforcement.md). The proxy asks, before passing
 * a request on, with the client's credentials and what it asks for in
 * headers; 200 lets it through (with X-Jitgate-Principal, -Grant and
 * -Expires for the upstream), 401 and 403 stop it.
 *
 * The route is public to the server's own authentication because the
 * Authorization header and cookie it carries are the end user's. The
 * caller of the endpoint, the enforcement point, is authenticated here:
 * its TCP peer is a trusted proxy (serve --trusted-proxy), or it sends a
 * checker token in X-Jitgate-Checker. Only a trusted proxy's identity
 * header is believed: anyone else could name anyone in it.
 *
 * Answers carry no JSON on the allow path (nothing to build for every
 * proxied request); a refusal carries a problem+json body for people
 * reading it by hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/forward.h"
#include "http/handlers.h"
#include "util/timefmt.h"

#define CHECKER_HEADER "X-Jitgate-Checker"

static const char *header(struct jg_ex *ex, const char *name)
{
	const char *v = MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND,
	                                            name);
	return v && *v ? v : NULL;
}

/*
 * One fact about the client's request, in X-Original-NAME (nginx, as its
 * configuration sets it) or X-Forwarded-NAME (Traefik, Caddy) into *out
 * (NULL: neither). A proxy sets one family and passes the client's own
 * headers on, so a client could send the other family and choose what is
 * asked about: when both are present and differ, -1 with a 400 set.
 */
static int fact(struct jg_ex *ex, const char *name, const char **out)
{
	char orig[32], fwd[32], msg[JG_WHY_MAX];
	const char *a, *b;

	snprintf(orig, sizeof(orig), "X-Original-%s", name);
	snprintf(fwd, sizeof(fwd), "X-Forwarded-%s", name);
	a = header(ex, orig);
	b = header(ex, fwd);
	*out = a ? a : b;
	if (!a || !b || strcmp(a, b) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s and %s differ: a client sent one of "
	         "them (the proxy must set or clear both)", orig, fwd);
	jg_ex_fail(ex, JG_EINVAL, msg);
	return -1;
}

/* May this caller ask at all? Sets the refusal when not. */
static int enforcement_point(struct jg_ex *ex, int from_proxy)
{
	const char *t = header(ex, CHECKER_HEADER);
	struct jg_principal p;

	if (from_proxy)
		return 1;
	if (!t) {
		jg_ex_fail(ex, JG_EFORBIDDEN, "forward-auth answers trusted "
		           "proxies (serve --trusted-proxy) and callers with a "
		           "checker token in " CHECKER_HEADER);
		return 0;
	}
	if (jg_gate_authenticate(ex->gate, t, ex->now, &p) != JG_OK ||
	    !(p.roles & (JG_ROLE_CHECKER | JG_ROLE_ADMIN))) {
		jg_ex_fail(ex, JG_EFORBIDDEN, "the " CHECKER_HEADER " token is "
		           "not a valid token with the checker role");
		return 0;
	}
	return 1;
}

/* The caller's credentials, as forward.h orders them. */
static void credentials(struct jg_ex *ex, int from_proxy,
                        struct jg_fwd_cred *c)
{
	const char *idh = jg_gate_policy(ex->gate)->forward.identity_header;
	const char *auth = header(ex, "Authorization");

	c->identity = from_proxy && idh ? header(ex, idh) : NULL;
	c->bearer = auth && strncmp(auth, "Bearer ", 7) == 0 ? auth + 7 : NULL;
	c->cookie = MHD_lookup_connection_value(ex->conn, MHD_COOKIE_KIND,
	                                        JG_SESSION_COOKIE);
}

/* An empty answer with status, to which headers are added. */
static int empty(struct jg_ex *ex, int status)
{
	ex->raw = MHD_create_response_from_buffer(0, (void *)"",
	                                          MHD_RESPMEM_PERSISTENT);
	if (!ex->raw) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return -1;
	}
	ex->status = status;
	return 0;
}

static void allowed(struct jg_ex *ex, const struct jg_fwd_answer *a)
{
	char exp[JG_TIME_LEN], ms[24];

	if (empty(ex, 200))
		return;
	jg_time_format(a->check.expires_at, exp);
	snprintf(ms, sizeof(ms), "%lld",
	         (long long)jg_fwd_cache_ms(&jg_gate_policy(ex->gate)->forward,
	                                    &a->check, ex->now));
	MHD_add_response_header(ex->raw, "X-Jitgate-Principal", a->principal);
	MHD_add_response_header(ex->raw, "X-Jitgate-Grant", a->check.grant_id);
	MHD_add_response_header(ex->raw, "X-Jitgate-Expires", exp);
	/* for a proxy-side allow cache (examples/nginx/jitgate_cache.lua) */
	MHD_add_response_header(ex->raw, "X-Jitgate-Cache-Ms", ms);
}

/* 401 or 403 as problem+json, with the link where the grant can be
 * asked for when the policy gives one and a route matched. */
static void refused(struct jg_ex *ex, const struct jg_fwd_answer *a)
{
	const char *base = jg_gate_policy(ex->gate)->forward.request_url;
	char link[JG_URL_MAX + 2 * JG_NAME_MAX + 32];
	struct MHD_Response *r;
	char *text;

	jg_ex_fail(ex, a->status == 401 ? JG_EAUTH : JG_EFORBIDDEN,
	           a->check.reason);
	text = json_dumps(ex->reply, JSON_COMPACT);
	r = text ? MHD_create_response_from_buffer(strlen(text), text,
	                                           MHD_RESPMEM_MUST_FREE)
	         : NULL;
	if (!r) {
		free(text);
		return; /* the problem reply above goes out instead */
	}
	MHD_add_response_header(r, "Content-Type", "application/problem+json");
	if (base && a->resource) {
		snprintf(link, sizeof(link), "%s%sresource=%s&action=%s", base,
		         strchr(base, '?') ? "&" : "?", a->resource, a->action);
		MHD_add_response_header(r, "X-Jitgate-Request-Url", link);
	}
	ex->raw = r;
}

void jg_api_forward(struct jg_ex *ex)
{
	int from_proxy = jg_ex_from_proxy(ex);
	struct jg_fwd_ask ask;
	struct jg_fwd_cred cred;
	struct jg_fwd_answer a;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (!enforcement_point(ex, from_proxy))
		return;
	if (fact(ex, "Method", &ask.method) || fact(ex, "URI", &ask.uri) ||
	    fact(ex, "Host", &ask.host))
		return;
	if (!ask.method || !ask.uri) {
		jg_ex_fail(ex, JG_EINVAL, "the proxy must send the client's "
		           "method and URI (X-Original-Method and X-Original-URI, "
		           "or X-Forwarded-Method and X-Forwarded-Uri)");
		return;
	}
	ask.source = ex->peer;
	credentials(ex, from_proxy, &cred);
	e = jg_gate_forward(ex->gate, &ask, &cred, ex->now, &a, why);
	/* the access log names whom the answer was about */
	memcpy(ex->who.name, a.principal, sizeof(ex->who.name));
	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else if (a.status == 200)
		allowed(ex, &a);
	else
		refused(ex, &a);
}
