/*
 * forward.c - forward-auth (see forward.h): route the proxy's question
 * to a resource and an action, name the caller, and decide with
 * jg_gate_authorize, the same index and rules as /v1/check.
 *
 * It runs for every request a proxy passes on, so on the allow path it
 * allocates nothing, reads no store when the caller's bearer is in the
 * authentication cache (or came as a trusted identity header) and the
 * index is in step, and audits nothing but a grant's first use from
 * each client address (check.c's seen set): a trail event per proxied
 * request would bury everything else. Allows and denials are counted by
 * the HTTP metrics (per route and status).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gate/forward.h"
#include "gate/internal.h"

/* The identity grant tokens are verified under: it may ask about any
 * holder (the token names it), and it is nobody's name. */
static const struct jg_principal fwd_checker = {.name = "forward-auth",
                                                .roles = JG_ROLE_CHECKER};

/* 1 when the path p[0..len) is plain: see jg_fwd_match. */
static int path_plain(const char *p, size_t len)
{
	if (len == 0 || p[0] != '/')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\')
			return 0;
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '/')
			return 0;
		if (p[i] == '%' && i + 2 < len &&
		    (strncasecmp(p + i, "%2e", 3) == 0 ||
		     strncasecmp(p + i, "%2f", 3) == 0 ||
		     strncasecmp(p + i, "%5c", 3) == 0))
			return 0;
		/* a "." or ".." segment */
		if (p[i] == '/' && i + 1 < len && p[i + 1] == '.') {
			size_t d = (i + 2 < len && p[i + 2] == '.') ? 3 : 2;
			if (i + d == len || p[i + d] == '/')
				return 0;
		}
	}
	return 1;
}

/* The host part of h (without ":port"), its length into *len. */
static const char *host_part(const char *h, size_t *len)
{
	if (!h)
		h = "";
	*len = h[0] == '[' ? strcspn(h, "]") + (strchr(h, ']') != NULL)
	                   : strcspn(h, ":");
	return h;
}

static int route_fits(const struct jg_fwd_route *r, const char *host,
                      size_t hlen, unsigned mbit, const char *path,
                      size_t plen)
{
	size_t n;

	if (r->host && (strlen(r->host) != hlen ||
	                strncasecmp(r->host, host, hlen) != 0))
		return 0;
	if (r->methods && !(r->methods & mbit))
		return 0;
	if (r->path_prefix) {
		n = strlen(r->path_prefix);
		if (n > plen || memcmp(r->path_prefix, path, n) != 0)
			return 0;
	}
	return 1;
}

const struct jg_fwd_route *jg_fwd_match(const struct jg_forward *f,
                                        const struct jg_fwd_ask *ask,
                                        char why[JG_WHY_MAX])
{
	const char *path = ask->uri ? ask->uri : "";
	size_t plen = strcspn(path, "?#"), hlen;
	const char *host = host_part(ask->host, &hlen);
	unsigned mbit = ask->method ? jg_fwd_method_bit(ask->method,
	                                                strlen(ask->method))
	                            : 0;

	if (!path_plain(path, plen)) {
		snprintf(why, JG_WHY_MAX, "the path '%.*s' is not a plain path "
		         "(empty, '..', '//', or an escaped '.', '/' or '\\')",
		         (int)(plen > 120 ? 120 : plen), path);
		return NULL;
	}
	for (size_t i = 0; i < f->nroutes; i++)
		if (route_fits(&f->routes[i], host, hlen, mbit, path, plen))
			return &f->routes[i];
	snprintf(why, JG_WHY_MAX, "no forward_auth route of the policy "
	         "matches %.10s %.*s%.*s", ask->method ? ask->method : "?",
	         (int)(hlen > 100 ? 100 : hlen), host,
	         (int)(plen > 120 ? 120 : plen), path);
	return NULL;
}

int64_t jg_fwd_cache_ms(const struct jg_forward *f, const struct jg_answer *a,
                        int64_t now)
{
	int64_t left = (a->expires_at - now - 1) * 1000;
	int64_t most = f->cache * 1000;

	if (!a->allow || a->uses_left >= 0 || left <= 0 || most <= 0)
		return 0;
	return left < most ? left : most;
}

/* A denial or refusal with its reason. */
__attribute__((format(printf, 3, 4)))
static void refuse(struct jg_fwd_answer *out, int status, const char *fmt,
                   ...)
{
	va_list ap;

	out->status = status;
	out->check.allow = 0;
	va_start(ap, fmt);
	vsnprintf(out->check.reason, sizeof(out->check.reason), fmt, ap);
	va_end(ap);
}

/* A grant token names its holder, when it is for the route's resource
 * and action; *exp is when the token ends. 0 with out->principal set,
 * or -1 with out refused (or *e an error). */
static int by_grant_token(struct jg_gate *g, const char *token,
                          struct jg_fwd_answer *out, int64_t now,
                          int64_t *exp, enum jg_err *e, char why[JG_WHY_MAX])
{
	struct jg_check_query q = {.token = token,
	                           .resource = out->resource,
	                           .action = out->action};
	struct jg_grant gr;
	char reason[JG_WHY_MAX] = "";

	*e = jg_gate_token_grant(g, &fwd_checker, &q, now, &gr, exp, reason,
	                         why);
	if (*e == JG_EINTERNAL) { /* no signing key: no grant token is valid */
		*e = JG_OK;
		refuse(out, 401, "the bearer token is not valid (and no grant "
		       "token can be verified here)");
		return -1;
	}
	if (*e != JG_OK)
		return -1;
	if (!gr.id[0]) {
		refuse(out, 401, "%s", reason);
		return -1;
	}
	snprintf(out->principal, sizeof(out->principal), "%s", gr.principal);
	return 0;
}

/* Name the caller into out->principal: 0, or -1 with out refused (401)
 * or *e an error. A bearer with two dots that is no workload token of
 * the policy may be a grant token (*exp its end). */
static int identify(struct jg_gate *g, const struct jg_fwd_cred *c,
                    struct jg_fwd_answer *out, int64_t now, int64_t *exp,
                    enum jg_err *e, char why[JG_WHY_MAX])
{
	struct jg_principal who;
	char bad[JG_WHY_MAX] = "";

	*e = JG_OK;
	if (c->identity) {
		if (!jg_name_valid(c->identity, 1)) {
			refuse(out, 401, "the identity header does not hold a "
			       "valid principal name");
			return -1;
		}
		snprintf(out->principal, sizeof(out->principal), "%s",
		         c->identity);
		return 0;
	}
	if (c->bearer) {
		*e = jg_gate_authenticate_why(g, c->bearer, now, &who, bad);
		if (*e == JG_EAUTH && strchr(c->bearer, '.')) {
			if (by_grant_token(g, c->bearer, out, now, exp, e, why))
				return -1;
			return 0;
		}
	} else if (c->cookie) {
		*e = jg_gate_session_auth(g, c->cookie, now, &who, bad);
	} else {
		refuse(out, 401, "no credentials: a bearer token, a grant "
		       "token or a jitgate session is needed");
		return -1;
	}
	if (*e == JG_EAUTH) {
		*e = JG_OK;
		refuse(out, 401, "the %s is not valid (unknown, expired or "
		       "revoked)", c->bearer ? "bearer token" : "session");
		return -1;
	}
	if (*e != JG_OK)
		return -1;
	memcpy(out->principal, who.name, sizeof(out->principal));
	return 0;
}

enum jg_err jg_gate_forward(struct jg_gate *g, const struct jg_fwd_ask *ask,
                            const struct jg_fwd_cred *cred, int64_t now,
                            struct jg_fwd_answer *out, char why[JG_WHY_MAX])
{
	const struct jg_fwd_route *r;
	struct jg_principal who = {.name = ""};
	struct jg_check_query q = {0};
	int64_t exp = INT64_MAX;
	enum jg_err e;

	out->status = 403;
	out->principal[0] = '\0';
	out->resource = out->action = NULL;
	memset(&out->check, 0, sizeof(out->check));
	r = jg_fwd_match(&jg_gate_policy(g)->forward, ask, out->check.reason);
	if (!r)
		return JG_OK;
	out->resource = r->resource;
	out->action = r->action;
	if (identify(g, cred, out, now, &exp, &e, why))
		return e;
	/* asked as the principal itself: no checker role in play */
	memcpy(who.name, out->principal, sizeof(who.name));
	q.principal = who.name;
	q.resource = r->resource;
	q.action = r->action;
	q.source = ask->source; /* NULL: unknown (who.source is "") */
	q.via = "forward";
	if ((e = jg_gate_authorize(g, &who, &q, now, &out->check, why)) != JG_OK)
		return e;
	if (!out->check.allow)
		return JG_OK;
	if (out->check.expires_at > exp) /* a grant token ends first */
		out->check.expires_at = exp;
	out->status = 200;
	return JG_OK;
}
