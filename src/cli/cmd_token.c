/*
 * cmd_token.c - `token create`, `token list`, `token revoke` and `whoami`.
 *
 * `token create` is the one command that prints a secret: the new token,
 * once, as the server returns it once, with a warning on stderr (or alone
 * with -q, for scripts). Nothing else in the CLI ever prints a token, and
 * `token list` shows ids and principals only (the server never sends the
 * secrets again).
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"
#include "core/model.h"
#include "util/crypto.h"

static const char *const tok_prefix[] = {"tok_", NULL};
static const char *const roles[] = {"admin", "auditor", "checker", "metrics",
                                    NULL};

/* A JSON array of the values of a repeatable option, checked. */
static int name_array(const struct jg_cli_args *a, const char *opt,
                      const char *const *allowed, json_t *arr)
{
	const char *const *vals;
	const char *const *ok;
	size_t n, i;
	int rv;

	vals = jg_cli_list(a, opt, &n);
	if (n > JG_GROUPS_MAX)
		return jg_cli_usage_fail(a, "too many --%s options (at most %d)",
		                         opt, JG_GROUPS_MAX);
	for (i = 0; i < n; i++) {
		if ((rv = jg_cli_check_name(a, opt, vals[i])))
			return rv;
		for (ok = allowed; ok && *ok && strcmp(*ok, vals[i]); ok++)
			;
		if (ok && !*ok)
			return jg_cli_usage_fail(a, "unknown role '%s': expected "
			                            "admin, auditor, checker or "
			                            "metrics", vals[i]);
		if (json_array_append_new(arr, json_string(vals[i])) != 0)
			return jg_cli_usage_fail(a, "--%s '%s' is not valid UTF-8",
			                         opt, vals[i]);
	}
	return JG_EXIT_OK;
}

static int token_body(const struct jg_cli_args *a, json_t **out)
{
	json_t *b = json_object(), *groups = json_array(), *rl = json_array();
	int rv = b && groups && rl ? JG_EXIT_OK : jg_cli_fail("out of memory");

	if (!rv)
		rv = jg_cli_check_name(a, "PRINCIPAL", a->pos[0]);
	if (!rv)
		rv = jg_cli_check_len(a, "--description",
		                      jg_cli_opt(a, "description"), JG_DESC_MAX - 1);
	if (!rv)
		rv = name_array(a, "group", NULL, groups);
	if (!rv)
		rv = name_array(a, "role", roles, rl);
	if (!rv && (json_object_set(b, "groups", groups) ||
	            json_object_set(b, "roles", rl)))
		rv = jg_cli_fail("out of memory");
	if (!rv)
		rv = jg_cli_json_set(a, b, "principal", "PRINCIPAL", a->pos[0]);
	if (!rv)
		rv = jg_cli_json_set(a, b, "kind", "kind",
		                     jg_cli_flag(a, "service") ? "service" : "user");
	if (!rv)
		rv = jg_cli_json_set(a, b, "description", "--description",
		                     jg_cli_opt(a, "description"));
	if (!rv)
		rv = jg_cli_json_set(a, b, "ttl", "--ttl", jg_cli_opt(a, "ttl"));
	if (!rv)
		rv = jg_cli_json_set(a, b, "expires_at", "--expires-at",
		                     jg_cli_opt(a, "expires-at"));
	json_decref(groups);
	json_decref(rl);
	if (rv)
		json_decref(b);
	else
		*out = b;
	return rv;
}

static void print_token(const json_t *t)
{
	char groups[256], rl[128], raw[512], line[512];

	jg_out_value(json_object_get(t, "groups"), groups, sizeof(groups));
	jg_out_value(json_object_get(t, "roles"), rl, sizeof(rl));
	snprintf(raw, sizeof(raw), "%s created for %s (%s; groups: %s; roles: %s)",
	         jg_json_strd(t, "id"), jg_json_strd(t, "principal"),
	         jg_json_strd(t, "kind"), groups, rl);
	jg_out_clean(raw, line, sizeof(line), 0);
	printf("%s\n", line);
}

int jg_cli_cmd_token_create(struct jg_cli *cli, const struct jg_cli_args *a)
{
	json_t *body = NULL, *t = NULL;
	char secret[JG_TOKEN_LEN + 64];
	int rv;

	if ((rv = token_body(a, &body)))
		return rv;
	if (!jg_cli_client(cli))
		rv = JG_EXIT_ERR;
	else
		rv = jg_client_call(jg_cli_client(cli), "POST", "/v1/tokens", NULL,
		                    body, &t);
	json_decref(body);
	if (!rv && !jg_json_str(t, "token"))
		rv = jg_cli_fail("malformed answer from server: no token");
	if (!rv && cli->json && !jg_cli_flag(a, "quiet")) {
		rv = jg_out_json(t);
	} else if (!rv) {
		jg_out_clean(jg_json_str(t, "token"), secret, sizeof(secret), 0);
		if (!jg_cli_flag(a, "quiet"))
			print_token(t);
		printf("%s\n", secret);
		explicit_bzero(secret, sizeof(secret));
		if (!jg_cli_flag(a, "quiet"))
			fprintf(stderr, "jitgate: this token is shown only once; "
			                "store it now\n");
	}
	json_decref(t);
	return rv;
}

static const struct jg_col token_cols[] = {
	{"ID", "id", NULL},
	{"PRINCIPAL", "principal", NULL},
	{"KIND", "kind", NULL},
	{"GROUPS", "groups", NULL},
	{"ROLES", "roles", NULL},
	{"CREATED", "created_at", NULL},
	{"EXPIRES", "expires_at", NULL},
	{"LAST USED", "last_used_at", NULL},
	{"REVOKED", "revoked_at", NULL},
	{NULL, NULL, NULL},
};

int jg_cli_cmd_token_list(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct jg_kv q[] = {{"stale", jg_cli_opt(a, "stale")}, {NULL, NULL}};
	json_t *page;
	int rv;

	if ((rv = jg_cli_check_len(a, "--stale", q[0].value, 32)))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/tokens", q,
	                         NULL, &page)))
		return rv;
	rv = jg_out_page(page, token_cols, cli->json);
	json_decref(page);
	return rv;
}

int jg_cli_cmd_token_revoke(struct jg_cli *cli, const struct jg_cli_args *a)
{
	char path[128], line[256];
	json_t *t;
	int rv;

	if ((rv = jg_cli_check_id(a, a->pos[0], tok_prefix)))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	snprintf(path, sizeof(path), "/v1/tokens/%s/revoke", a->pos[0]);
	if ((rv = jg_client_call(jg_cli_client(cli), "POST", path, NULL, NULL,
	                         &t)))
		return rv;
	if (cli->json) {
		rv = jg_out_json(t);
	} else {
		jg_out_clean(jg_json_strd(t, "id"), line, sizeof(line), 0);
		printf("%s revoked\n", line);
	}
	json_decref(t);
	return rv;
}

int jg_cli_cmd_whoami(struct jg_cli *cli, const struct jg_cli_args *a)
{
	json_t *me;
	int rv;

	(void)a;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/whoami", NULL,
	                         NULL, &me)))
		return rv;
	jg_cli_session_describe(cli, me);
	rv = jg_cli_print(cli, me);
	json_decref(me);
	return rv;
}
