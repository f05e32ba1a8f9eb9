/*
 * bound.c - the bound payload: the one text an approval binds to.
 *
 * A request may carry a payload (SQL text, a document) and params (string
 * values for a connector's template slots). Both decide what runs, so the
 * approval binds to both: the canonical JSON {"params": …, "payload": …}
 * is hashed, and the gate refuses to run anything whose hash differs from
 * the grant's. The encoding is jansson's compact, key-sorted form, the
 * same as the audit chain's, so a client can compute the hash itself
 * (docs/connectors.md shows how). Must never depend on key order, white
 * space or anything but the two values.
 */
#include <stdlib.h>
#include <string.h>

#include "exec/exec.h"

static const char *const builtins[] = {"payload", "request_id", "requester",
                                       "resource", "action"};

int jg_param_name_valid(const char *s)
{
	if (!jg_name_valid(s, 0))
		return 0;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(s, builtins[i]) == 0)
			return 0;
	return 1;
}

/* A new object {"params": copy of params or {}, "payload": …}. */
static json_t *bound_object(const char *payload, const json_t *params)
{
	const char *key;
	json_t *v, *p = json_object();

	if (!p)
		return NULL;
	if (params && !json_is_object(params)) {
		json_decref(p);
		return NULL;
	}
	json_object_foreach ((json_t *)params, key, v) {
		if (!json_is_string(v) ||
		    json_object_set_new(p, key, json_string(json_string_value(v)))) {
			json_decref(p);
			return NULL;
		}
	}
	return json_pack("{s:o,s:s?}", "params", p, "payload", payload);
}

char *jg_bound_text(const char *payload, const json_t *params)
{
	json_t *o = bound_object(payload, params);
	char *text;

	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

enum jg_err jg_bound_sha256(const char *payload, const json_t *params,
                            char out[JG_SHA256_HEX])
{
	char *text;

	out[0] = '\0';
	if (params && !json_is_object(params))
		return JG_EINVAL;
	if (!(text = jg_bound_text(payload, params)))
		return params ? JG_EINVAL : JG_ENOMEM;
	jg_sha256_hex(text, strlen(text), out);
	free(text);
	return JG_OK;
}
