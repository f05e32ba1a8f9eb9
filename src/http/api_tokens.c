/*
 * api_tokens.c - /healthz, /v1/whoami and /v1/tokens.
 *
 * The one place a token secret leaves the server: the 201 answer to
 * POST /v1/tokens. It is never logged and never shown again.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "http/handlers.h"
#include "http/render.h"
#include "util/timefmt.h"

void jg_api_health(struct jg_ex *ex)
{
	jg_ex_json(ex, 200, json_pack("{s:s}", "status", "ok"));
}

void jg_api_whoami(struct jg_ex *ex)
{
	jg_ex_json(ex, 200, jg_render_principal(&ex->who));
}

/* Read "groups" and "roles" arrays into spec; -1 with a reply on error. */
static int read_lists(struct jg_ex *ex, struct jg_token *spec)
{
	json_t *groups = json_object_get(ex->body, "groups");
	json_t *roles = json_object_get(ex->body, "roles");
	size_t i;
	json_t *v;

	if ((groups && !json_is_array(groups)) || (roles && !json_is_array(roles))) {
		jg_ex_fail(ex, JG_EINVAL, "groups and roles must be arrays");
		return -1;
	}
	if (json_array_size(groups) > JG_GROUPS_MAX) {
		jg_ex_fail(ex, JG_EINVAL, "at most 32 groups per token");
		return -1;
	}
	json_array_foreach(groups, i, v) {
		const char *s = json_string_value(v);
		if (!s || strlen(s) >= JG_NAME_MAX) {
			jg_ex_fail(ex, JG_EINVAL, "each group must be a name "
			                          "shorter than 64 bytes");
			return -1;
		}
		memcpy(spec->who.groups[spec->who.ngroups++], s, strlen(s) + 1);
	}
	json_array_foreach(roles, i, v) {
		int bit = jg_role_parse(json_string_value(v));
		if (!bit) {
			jg_ex_fail(ex, JG_EINVAL, "roles are admin, auditor, "
			                          "checker and metrics");
			return -1;
		}
		spec->who.roles |= bit;
	}
	return 0;
}

/* "ttl" (a duration) or "expires_at" (RFC 3339) into spec->expires_at;
 * neither: the token lives until revoked. -1 with a reply on error. */
static int read_lifetime(struct jg_ex *ex, struct jg_token *spec)
{
	const char *ttl, *until;
	int64_t secs;

	if (jg_ex_str(ex, "ttl", 0, &ttl) ||
	    jg_ex_str(ex, "expires_at", 0, &until))
		return -1;
	if (ttl && until) {
		jg_ex_fail(ex, JG_EINVAL, "give ttl or expires_at, not both");
		return -1;
	}
	if (ttl && jg_duration_parse(ttl, &secs) != JG_OK) {
		jg_ex_fail(ex, JG_EINVAL, "ttl must be a duration such as 90d "
		                          "or 12h (at most 366d)");
		return -1;
	}
	if (until && jg_time_parse(until, &spec->expires_at) != JG_OK) {
		jg_ex_fail(ex, JG_EINVAL, "expires_at must be an RFC 3339 time "
		                          "(2027-03-01T00:00:00Z)");
		return -1;
	}
	if (ttl)
		spec->expires_at = ex->now + secs;
	return 0;
}

void jg_api_token_create(struct jg_ex *ex)
{
	static const char *const fields[] = {"principal", "kind", "groups",
	                                     "roles", "description", "ttl",
	                                     "expires_at", NULL};
	struct jg_token spec = {0}, out;
	const char *principal, *kind, *desc;
	char secret[JG_TOKEN_LEN], why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields) ||
	    jg_ex_str(ex, "principal", 1, &principal) ||
	    jg_ex_str(ex, "kind", 0, &kind) ||
	    jg_ex_str(ex, "description", 0, &desc) || read_lists(ex, &spec) ||
	    read_lifetime(ex, &spec))
		return;
	if (kind && strcmp(kind, "user") != 0 && strcmp(kind, "service") != 0) {
		jg_ex_fail(ex, JG_EINVAL, "kind must be user or service");
		return;
	}
	if (strlen(principal) >= JG_NAME_MAX ||
	    (desc && strlen(desc) >= JG_DESC_MAX)) {
		jg_ex_fail(ex, JG_EINVAL, "principal or description too long");
		return;
	}
	memcpy(spec.who.name, principal, strlen(principal) + 1);
	spec.who.service = kind && strcmp(kind, "service") == 0;
	if (desc)
		memcpy(spec.description, desc, strlen(desc) + 1);
	e = jg_gate_token_create(ex->gate, &ex->who, &spec, ex->now, &out,
	                         secret, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	json_t *o = jg_render_token(&out);
	json_object_set_new(o, "token", json_string(secret));
	OPENSSL_cleanse(secret, sizeof(secret));
	jg_ex_json(ex, 201, o);
}

/* GET /v1/tokens[?stale=30d]: every token, or the stale ones only. */
void jg_api_token_list(struct jg_ex *ex)
{
	struct jg_token *tokens = NULL; /* owned; freed below */
	const char *stale_arg = jg_ex_query(ex, "stale");
	int64_t stale = 0;
	size_t n = 0;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (stale_arg && jg_duration_parse(stale_arg, &stale) != JG_OK) {
		jg_ex_fail(ex, JG_EINVAL, "stale must be a duration such as 30d "
		                          "(at most 366d)");
		return;
	}
	e = jg_gate_token_list(ex->gate, &ex->who, ex->now, stale, &tokens, &n,
	                       why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, jg_render_token(&tokens[i]));
	free(tokens);
	jg_ex_json(ex, 200, json_pack("{s:o}", "items", items));
}

void jg_api_token_revoke(struct jg_ex *ex)
{
	static const char *const fields[] = {NULL};
	struct jg_token t;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields))
		return;
	e = jg_gate_token_revoke(ex->gate, &ex->who, ex->param, ex->now, &t,
	                         why);
	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		jg_ex_json(ex, 200, jg_render_token(&t));
}
