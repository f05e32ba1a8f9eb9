/*
 * load_forward.c - the policy's `forward_auth` section: how the question
 * a reverse proxy asks for each request (host, method, path) becomes a
 * resource and an action, answered like /v1/check (docs/policy.md,
 * docs/enforcement.md).
 *
 *   forward_auth:
 *     identity_header: X-Forwarded-User   # optional, trusted proxies only
 *     request_url: https://jitgate.example.com/  # optional: denial link
 *     cache: 1s                           # optional: how long a proxy
 *                                         # may reuse an allow (off, ..60s)
 *     routes:
 *       - host: admin.example.com
 *         path_prefix: /billing/
 *         methods: [POST, PUT, DELETE]
 *         resource: billing-admin
 *         action: http.write
 *
 * A bare list is the `routes` alone. The first route that matches
 * decides; a request none matches is denied, so a route can only open
 * something, never widen what another one closes by accident. A path
 * prefix is compared with the request's path byte for byte, so it must
 * itself be a plain path: no "..", no "//", no percent-escapes (a proxy
 * that normalises paths differently could otherwise be steered around it;
 * gate/forward.c refuses such request paths too).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "policy/internal.h"

#define FWD_HOST_MAX 254   /* a DNS name (incl. NUL) */
#define FWD_PREFIX_MAX 512 /* a path prefix (incl. NUL) */
#define FWD_HEADER_MAX 64  /* a header name (incl. NUL) */

/* A DNS name, lowercase letters, digits, '-' and '.'. */
static int fr_host(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_fwd_route *r = obj;
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_get_text(ld, n, "'host'", FWD_HOST_MAX, &r->host))
		return -1;
	if (strspn(r->host, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
	    strlen(r->host))
		return jg_ld_fail(ld, n, "'host' '%s' must be a host name in "
		                         "lowercase, without a port",
		                  jg_ld_show(n, buf));
	return 0;
}

/* A plain absolute path, compared byte for byte (see the top). */
static int fr_path_prefix(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_fwd_route *r = obj;
	char buf[JG_LD_SHOW_MAX];
	const char *p;

	if (jg_ld_get_text(ld, n, "'path_prefix'", FWD_PREFIX_MAX,
	                   &r->path_prefix))
		return -1;
	p = r->path_prefix;
	if (p[0] != '/' || strpbrk(p, "?#%\\ ") || strstr(p, "//") ||
	    strstr(p, "/./") || strstr(p, "/../"))
		return jg_ld_fail(ld, n, "'path_prefix' '%s' must be a plain "
		                         "path starting with '/' (no '..', "
		                         "'//', '%%', '?', '#', spaces)",
		                  jg_ld_show(n, buf));
	return 0;
}

static int fr_methods(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_fwd_route *r = obj;
	char buf[JG_LD_SHOW_MAX];
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'methods'") ||
	    jg_ld_nodes_unique(ld, n, "method"))
		return -1;
	if (!(cnt = jg_ld_seq_len(n)))
		return jg_ld_fail(ld, n, "'methods' must name at least one "
		                         "method (leave it out for all)");
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *m = jg_ld_node(ld, n->data.sequence.items.start[i]);
		unsigned bit;

		if (jg_ld_expect(ld, m, YAML_SCALAR_NODE, "a method"))
			return -1;
		if (!(bit = jg_fwd_method_bit(jg_ld_str(m), jg_ld_slen(m))))
			return jg_ld_fail(ld, m, "method '%s' is not one of GET, "
			                         "HEAD, POST, PUT, PATCH, DELETE, "
			                         "OPTIONS",
			                  jg_ld_show(m, buf));
		r->methods |= bit;
	}
	return 0;
}

static int fr_resource(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_fwd_route *r = obj;

	if (jg_ld_get_name(ld, n, "resource", 0, &r->resource))
		return -1;
	if (!jg_policy_resource(ld->p, r->resource))
		return jg_ld_fail(ld, n, "resource '%s' is not defined under "
		                         "'resources'",
		                  r->resource);
	return 0;
}

/* After the resource (table order): the action must be one of its. */
static int fr_action(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_fwd_route *r = obj;

	if (jg_ld_get_name(ld, n, "action", 0, &r->action))
		return -1;
	if (!jg_resource_has_action(jg_policy_resource(ld->p, r->resource),
	                            r->action))
		return jg_ld_fail(ld, n, "resource '%s' has no action '%s'",
		                  r->resource, r->action);
	return 0;
}

static const struct jg_ld_key route_keys[] = {
	{"host", fr_host, 0},
	{"path_prefix", fr_path_prefix, 0},
	{"methods", fr_methods, 0},
	{"resource", fr_resource, 1},
	{"action", fr_action, 1},
};

static int fwd_routes(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_forward *f = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'routes'"))
		return -1;
	if (!(cnt = jg_ld_seq_len(n)))
		return 0;
	if (!(f->routes = calloc(cnt, sizeof(*f->routes))))
		return jg_ld_nomem(ld, n);
	f->nroutes = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item =
			jg_ld_node(ld, n->data.sequence.items.start[i]);

		jg_ld_where_set(ld, "forward_auth route %zu", i + 1);
		f->routes[i].line = jg_ld_line(item);
		if (jg_ld_walk_map(ld, item, "a route", route_keys,
		                   JG_LD_NKEYS(route_keys), &f->routes[i], NULL))
			return -1;
	}
	ld->where[0] = '\0';
	return 0;
}

/* A header name (RFC 9110 token letters), never one that carries
 * credentials or routing of its own. */
static int fwd_identity_header(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	static const char *const refused[] = {"authorization", "cookie",
	                                      "host", "x-jitgate-checker"};
	struct jg_forward *f = obj;
	char buf[JG_LD_SHOW_MAX];
	const char *h;

	if (jg_ld_get_text(ld, n, "'identity_header'", FWD_HEADER_MAX,
	                   &f->identity_header))
		return -1;
	h = f->identity_header;
	if (strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	              "0123456789-_") != strlen(h))
		return jg_ld_fail(ld, n, "'identity_header' '%s' must be a "
		                         "header name (letters, digits, '-')",
		                  jg_ld_show(n, buf));
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (strcasecmp(h, refused[i]) == 0)
			return jg_ld_fail(ld, n, "'identity_header' cannot be "
			                         "%s", h);
	return 0;
}

static int fwd_request_url(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_url(ld, n, "'request_url'",
	                     &((struct jg_forward *)obj)->request_url);
}

/* The proxy's allow cache (docs/enforcement.md): a revocation waits for
 * it, so it is bounded to a minute; `off` turns it off. */
static int fwd_cache(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_forward *f = obj;
	char buf[JG_LD_SHOW_MAX];

	if (n->type == YAML_SCALAR_NODE && strcmp(jg_ld_str(n), "off") == 0) {
		f->cache = 0;
		return 0;
	}
	if (jg_ld_get_duration(ld, n, "'cache'", &f->cache))
		return -1;
	if (f->cache > JG_FWD_CACHE_MAX)
		return jg_ld_fail(ld, n, "'cache' '%s' is longer than %ds: a "
		                         "revoked grant would keep opening the "
		                         "door that long",
		                  jg_ld_show(n, buf), JG_FWD_CACHE_MAX);
	return 0;
}

static const struct jg_ld_key forward_keys[] = {
	{"routes", fwd_routes, 1},
	{"identity_header", fwd_identity_header, 0},
	{"request_url", fwd_request_url, 0},
	{"cache", fwd_cache, 0},
};

int jg_ld_forward(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;

	p->forward.cache = JG_FWD_CACHE_DEFAULT;
	if (n->type == YAML_SEQUENCE_NODE)
		return fwd_routes(ld, n, &p->forward);
	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'forward_auth'"))
		return -1;
	jg_ld_where_set(ld, "forward_auth");
	if (jg_ld_walk_map(ld, n, "'forward_auth'", forward_keys,
	                   JG_LD_NKEYS(forward_keys), &p->forward, NULL))
		return -1;
	ld->where[0] = '\0';
	return 0;
}
