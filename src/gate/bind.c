/*
 * bind.c - what a new request binds to, and idempotency keys.
 *
 * The approval of a request binds to the SHA-256 of its bound payload:
 * the canonical JSON of its payload and params (exec/bound.c). It is
 * computed here, once, when the request is created, and stored with it;
 * the grant copies it, and execute.c refuses to run anything whose hash
 * differs. A request binds when it has a payload or params, or when its
 * action runs through a connector (even with neither): such a grant is
 * one-time. Plain access requests bind nothing ("").
 *
 * An idempotency key lets a client (a CI job that may be retried) create
 * a request at most once: the key, namespaced by requester, maps to the
 * request it made. Must never hand one requester's request to another.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec.h"
#include "gate/internal.h"

static enum jg_err check_params(const json_t *params, char why[JG_WHY_MAX])
{
	const char *key;
	json_t *v;

	if (!params)
		return JG_OK;
	if (!json_is_object(params))
		return jg_gate_why(JG_EINVAL, why, "params must be an object of "
		                   "strings");
	if (json_object_size(params) > JG_PARAMS_MAX)
		return jg_gate_why(JG_EINVAL, why, "at most %d params",
		                   JG_PARAMS_MAX);
	json_object_foreach ((json_t *)params, key, v) {
		if (!jg_param_name_valid(key))
			return jg_gate_why(JG_EINVAL, why, "param name '%.64s' is "
			                   "not valid (1-63 of A-Z a-z 0-9 _ . -, "
			                   "not a built-in slot)", key);
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return jg_gate_why(JG_EINVAL, why, "param '%s' must be a "
			                   "string without NUL bytes", key);
		if (json_string_length(v) > JG_PARAM_VALUE_MAX)
			return jg_gate_why(JG_EINVAL, why, "param '%s' is longer "
			                   "than %d bytes", key,
			                   JG_PARAM_VALUE_MAX);
	}
	return JG_OK;
}

enum jg_err jg_gate_bind(struct jg_gate *g, const struct jg_new_request *in,
                         struct jg_request *r, char why[JG_WHY_MAX])
{
	const json_t *params = (const json_t *)in->params;
	const struct jg_connector *k;
	enum jg_err e;

	r->params = NULL;
	r->payload_sha256[0] = '\0';
	if (in->extends) /* an extension lengthens a grant: nothing new runs */
		return JG_OK;
	if ((e = check_params(params, why)) != JG_OK)
		return e;
	if (params && !json_object_size(params))
		params = NULL;
	k = jg_connector_find(g->connectors, r->resource, r->action);
	if (k && (e = jg_connector_accepts(k, r->payload, params, why,
	                                   JG_WHY_MAX)) != JG_OK)
		return e;
	if (!k && !r->payload && !params)
		return JG_OK;
	if (params && !(r->params = json_dumps(params, JSON_COMPACT |
	                                                       JSON_SORT_KEYS)))
		return JG_ENOMEM;
	return jg_bound_sha256(r->payload, params, r->payload_sha256);
}

/* ---- idempotency keys ---- */

static enum jg_err store_key(const struct jg_principal *who, const char *key,
                             char out[JG_REQUEST_KEY_MAX],
                             char why[JG_WHY_MAX])
{
	size_t n = key ? strlen(key) : 0;

	if (!n || n > JG_IDEM_KEY_MAX ||
	    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                "0123456789._:/-") != n)
		return jg_gate_why(JG_EINVAL, why, "idempotency_key must be 1-%d "
		                   "of A-Z a-z 0-9 . _ : / -", JG_IDEM_KEY_MAX);
	snprintf(out, JG_REQUEST_KEY_MAX, "request:%s:%s", who->name, key);
	return JG_OK;
}

/* Did r ask for the start `in` asks for? A start that was not ahead of
 * r's creation was taken as "on approval" (stored as 0) then. */
static int same_start(const struct jg_request *r,
                      const struct jg_new_request *in)
{
	return r->start_at == (in->start_at > r->created_at ? in->start_at : 0);
}

enum jg_err jg_gate_idem_find(struct jg_gate *g, const struct jg_principal *who,
                              const struct jg_new_request *in,
                              struct jg_request_view *out,
                              char why[JG_WHY_MAX])
{
	char key[JG_REQUEST_KEY_MAX], id[JG_ID_LEN];
	struct jg_request probe = {0};
	enum jg_err e = store_key(who, in->idempotency_key, key, why);

	if (e == JG_OK)
		e = g->st->ops->request_key_get(g->st, key, id);
	if (e != JG_OK)
		return e;
	/* what the new ask would bind to, to tell a retry from a misuse */
	snprintf(probe.resource, sizeof(probe.resource), "%s", in->resource);
	snprintf(probe.action, sizeof(probe.action), "%s", in->action);
	probe.payload = in->payload && *in->payload ? (char *)in->payload : NULL;
	e = jg_gate_bind(g, in, &probe, why);
	probe.payload = NULL; /* borrowed */
	if (e == JG_OK && (e = jg_gate_load_view(g, id, out)) == JG_OK &&
	    (strcmp(out->req.resource, in->resource) ||
	     strcmp(out->req.action, in->action) ||
	     strcmp(out->req.payload_sha256, probe.payload_sha256) ||
	     !same_start(&out->req, in))) {
		jg_request_view_clear(out);
		e = jg_gate_why(JG_ECONFLICT, why, "idempotency key '%s' was "
		                "used for another request (%s)",
		                in->idempotency_key, id);
	}
	jg_request_clear(&probe);
	if (e == JG_OK)
		out->reused = 1;
	return e;
}

enum jg_err jg_gate_idem_put(struct jg_gate *g, const struct jg_principal *who,
                             const char *key, const char *request_id,
                             int64_t now)
{
	char stored[JG_REQUEST_KEY_MAX], why[JG_WHY_MAX];
	enum jg_err e = store_key(who, key, stored, why);

	if (e != JG_OK)
		return e;
	return g->st->ops->request_key_put(g->st, stored, request_id, now);
}
