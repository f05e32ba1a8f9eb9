/*
 * api_sign.c - signed grant tokens over HTTP: the public keys
 * (/.well-known/jwks.json, no authentication), a grant's token, and key
 * rotation. Checking a token is part of /v1/check (api_grants.c).
 */
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "util/timefmt.h"

void jg_api_jwks(struct jg_ex *ex)
{
	char *text = jg_gate_jwks(ex->gate, ex->now);
	json_t *doc = text ? json_loads(text, 0, NULL) : NULL;

	free(text);
	if (!doc) {
		jg_ex_fail(ex, JG_EINTERNAL, "no signing keys to publish");
		return;
	}
	jg_ex_json(ex, 200, doc);
}

void jg_api_grant_token(struct jg_ex *ex)
{
	const char *aud = jg_ex_query(ex, "aud");
	char why[JG_WHY_MAX] = "", at[JG_TIME_LEN];
	char *token = NULL;
	int64_t exp = 0;
	enum jg_err e;

	e = jg_gate_grant_token(ex->gate, &ex->who, ex->param, aud, ex->now,
	                        &token, &exp, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_time_format(exp, at);
	jg_ex_json(ex, 200, json_pack("{s:s,s:s}", "token", token,
	                              "expires_at", at));
	explicit_bzero(token, strlen(token));
	free(token);
}

void jg_api_keys_rotate(struct jg_ex *ex)
{
	static const char *const fields[] = {NULL};
	char kid[48], prev[48], why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields))
		return;
	e = jg_gate_keys_rotate(ex->gate, &ex->who, ex->now, kid, prev, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_ex_json(ex, 200, json_pack("{s:s,s:s}", "kid", kid, "previous_kid",
	                              prev));
}
