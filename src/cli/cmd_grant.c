/*
 * cmd_grant.c - `grants`, `revoke`, `done`, `extend` and `check`.
 *
 * `extend` asks for more time on one's own grant: the server screens it
 * like a request and either moves the grant's expiry at once (the grant
 * keeps its id) or creates a request that names the grant, pending
 * review or denied; exit 0 extended or pending, 1 denied.
 *
 * `check` is what an enforcement point scripts against: exit 0 allow,
 * 1 deny, 2 error, and one line "allow grt_... until T" or "deny: reason".
 *
 * Never: print the token; turn an error into a deny or an allow (an error
 * is always exit 2, so a script cannot mistake it for an answer).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"
#include "exec/exec.h"
#include "util/timefmt.h"

static const char *const grant_prefix[] = {"grt_", NULL};

static void fmt_uses(const json_t *g, char *buf, size_t len)
{
	const json_t *u = json_object_get(g, "uses_left");

	if (json_is_integer(u))
		snprintf(buf, len, "%lld", (long long)json_integer_value(u));
	else
		snprintf(buf, len, "unlimited");
}

/* scheduled access: an active grant that allows nothing before its
 * start reads "scheduled", not "active" */
static void fmt_state(const json_t *g, char *buf, size_t len)
{
	snprintf(buf, len, "%s",
	         json_is_true(json_object_get(g, "scheduled"))
	                 ? "scheduled"
	                 : jg_json_strd(g, "state"));
}

static const struct jg_col grant_cols[] = {
	{"ID", "id", NULL},
	{"STATE", NULL, fmt_state},
	{"PRINCIPAL", "principal", NULL},
	{"RESOURCE", "resource", NULL},
	{"ACTION", "action", NULL},
	{"EXPIRES", "expires_at", NULL},
	{"USES", NULL, fmt_uses},
	{NULL, NULL, NULL},
};

int jg_cli_cmd_grants(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct jg_kv q[] = {
		{"state", jg_cli_opt(a, "state")},
		{"principal", jg_cli_opt(a, "principal")},
		{"resource", jg_cli_opt(a, "resource")},
		{"limit", jg_cli_opt(a, "limit")},
		{"cursor", jg_cli_opt(a, "cursor")},
		{NULL, NULL},
	};
	json_t *page;
	int rv;

	if ((rv = jg_cli_check_limit(a, q[3].value)) ||
	    (rv = jg_cli_check_len(a, "--cursor", q[4].value, 512)))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/grants", q,
	                         NULL, &page)))
		return rv;
	rv = jg_out_page(page, grant_cols, cli->json);
	json_decref(page);
	return rv;
}

/* POST /v1/grants/{id}/{verb}; prints "grt_... <state>". */
static int end_grant(struct jg_cli *cli, const struct jg_cli_args *a,
                     const char *verb, const char *reason)
{
	char path[128], line[256];
	json_t *body = json_object(), *g = NULL;
	int rv = body ? JG_EXIT_OK : jg_cli_fail("out of memory");

	if (!rv)
		rv = jg_cli_check_id(a, a->pos[0], grant_prefix);
	if (!rv)
		rv = jg_cli_check_len(a, "--reason", reason, JG_REASON_MAX);
	if (!rv)
		rv = jg_cli_json_set(a, body, "reason", "--reason", reason);
	if (!rv && !jg_cli_client(cli))
		rv = JG_EXIT_ERR;
	if (!rv) {
		snprintf(path, sizeof(path), "/v1/grants/%s/%s", a->pos[0], verb);
		rv = jg_client_call(jg_cli_client(cli), "POST", path, NULL, body, &g);
	}
	if (!rv && cli->json) {
		rv = jg_out_json(g);
	} else if (!rv) {
		snprintf(line, sizeof(line), "%s %s", jg_json_strd(g, "id"),
		         jg_json_strd(g, "state"));
		jg_out_clean(line, line, sizeof(line), 0);
		printf("%s\n", line);
	}
	json_decref(body);
	json_decref(g);
	return rv;
}

int jg_cli_cmd_revoke(struct jg_cli *cli, const struct jg_cli_args *a)
{
	return end_grant(cli, a, "revoke", jg_cli_opt(a, "reason"));
}

int jg_cli_cmd_done(struct jg_cli *cli, const struct jg_cli_args *a)
{
	return end_grant(cli, a, "done", NULL);
}

static int print_extended(const struct jg_cli *cli, const json_t *ans)
{
	const json_t *ext = json_object_get(ans, "extended");
	const json_t *g = json_object_get(ans, "grant");
	const json_t *req = json_object_get(ans, "request");
	char line[1024];

	if (!json_is_boolean(ext) || !json_is_object(g) || !json_is_object(req))
		return jg_cli_fail("malformed answer from server: no extended, "
		                   "grant or request");
	if (cli->json) {
		if (jg_out_json(ans))
			return JG_EXIT_ERR;
	} else if (json_is_true(ext)) {
		snprintf(line, sizeof(line), "extended %s until %s",
		         jg_json_strd(g, "id"), jg_json_strd(g, "expires_at"));
		jg_out_clean(line, line, sizeof(line), 0);
		printf("%s\n", line);
	} else {
		jg_cli_request_line(req, line, sizeof(line));
		printf("%s\n", line);
	}
	if (json_is_true(ext))
		return JG_EXIT_OK;
	return jg_cli_state_exit(jg_json_str(req, "state"));
}

int jg_cli_cmd_extend(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *reason = jg_cli_opt(a, "reason");
	const char *dur = jg_cli_opt(a, "duration");
	json_t *body = json_object(), *ans = NULL;
	char path[128];
	int64_t secs;
	int rv = body ? JG_EXIT_OK : jg_cli_fail("out of memory");

	if (!rv)
		rv = jg_cli_check_id(a, a->pos[0], grant_prefix);
	if (!rv && (!reason || !*reason))
		rv = jg_cli_usage_fail(a, "--reason is required");
	if (!rv)
		rv = jg_cli_check_len(a, "--reason", reason, JG_REASON_MAX);
	if (!rv)
		rv = jg_cli_check_len(a, "--ticket", jg_cli_opt(a, "ticket"),
		                      JG_TICKET_MAX - 1);
	if (!rv && dur && jg_duration_parse(dur, &secs) != JG_OK)
		rv = jg_cli_usage_fail(a, "invalid duration '%.32s' (e.g. 30m, 2h)",
		                       dur);
	if (!rv)
		rv = jg_cli_json_set(a, body, "reason", "--reason", reason);
	if (!rv)
		rv = jg_cli_json_set(a, body, "ticket", "--ticket",
		                     jg_cli_opt(a, "ticket"));
	if (!rv)
		rv = jg_cli_json_set(a, body, "duration", "--duration", dur);
	if (!rv && !jg_cli_client(cli))
		rv = JG_EXIT_ERR;
	if (!rv) {
		snprintf(path, sizeof(path), "/v1/grants/%s/extend", a->pos[0]);
		rv = jg_client_call(jg_cli_client(cli), "POST", path, NULL, body,
		                    &ans);
	}
	if (!rv)
		rv = print_extended(cli, ans);
	json_decref(body);
	json_decref(ans);
	return rv;
}

static int print_check(const struct jg_cli *cli, const json_t *ans)
{
	const json_t *allow = json_object_get(ans, "allow");
	const json_t *uses = json_object_get(ans, "uses_left");
	char line[1024], left[48] = "";
	int rv = JG_EXIT_OK;

	if (!json_is_boolean(allow))
		return jg_cli_fail("malformed answer from server: no allow");
	if (json_is_integer(uses))
		snprintf(left, sizeof(left), " (%s%lld use%s left)",
		         json_is_true(json_object_get(ans, "consumed"))
		                 ? "used one, "
		                 : "",
		         (long long)json_integer_value(uses),
		         json_integer_value(uses) == 1 ? "" : "s");
	if (cli->json)
		rv = jg_out_json(ans);
	else if (json_is_true(allow))
		snprintf(line, sizeof(line), "allow %s until %s%s",
		         jg_json_strd(ans, "grant_id"),
		         jg_json_strd(ans, "expires_at"), left);
	else
		snprintf(line, sizeof(line), "deny: %s", jg_json_strd(ans, "reason"));
	if (!cli->json) {
		jg_out_clean(line, line, sizeof(line), 0);
		printf("%s\n", line);
	}
	if (rv)
		return rv;
	return json_is_true(allow) ? JG_EXIT_OK : JG_EXIT_NO;
}

int jg_cli_payload_sha256(const struct jg_cli_args *a, char hex[JG_SHA256_HEX])
{
	const char *text = jg_cli_opt(a, "payload");
	const char *file = jg_cli_opt(a, "payload-file");
	const char *sha = jg_cli_opt(a, "payload-sha256");
	char *payload = NULL;
	size_t len;
	int rv;

	hex[0] = '\0';
	if (!!text + !!file + !!sha > 1)
		return jg_cli_usage_fail(a, "--payload, --payload-file and "
		                            "--payload-sha256 exclude each other");
	if (sha && (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64))
		return jg_cli_usage_fail(a, "--payload-sha256 wants 64 lowercase "
		                            "hex digits");
	if (sha) {
		memcpy(hex, sha, JG_SHA256_HEX);
		return JG_EXIT_OK;
	}
	if ((rv = jg_cli_check_len(a, "--payload", text, JG_PAYLOAD_MAX)))
		return rv;
	if (file && (rv = jg_cli_read_file("payload file", file,
	                                   JG_PAYLOAD_MAX, &payload, &len)))
		return rv;
	if ((payload || text) &&
	    jg_bound_sha256(payload ? payload : text, NULL, hex) != JG_OK)
		rv = jg_cli_fail("out of memory");
	free(payload);
	return rv;
}

/* The payload and consume parts of a check's body. */
static int check_payload(const struct jg_cli_args *a, json_t *body)
{
	char hex[JG_SHA256_HEX];
	int rv = jg_cli_payload_sha256(a, hex);

	if (!rv && hex[0])
		rv = jg_cli_json_set(a, body, "payload_sha256", "the payload hash",
		                     hex);
	if (!rv && jg_cli_flag(a, "consume") &&
	    json_object_set_new(body, "consume", json_true()) != 0)
		rv = jg_cli_fail("out of memory");
	return rv;
}

int jg_cli_cmd_check(struct jg_cli *cli, const struct jg_cli_args *a)
{
	json_t *body = json_object(), *ans = NULL;
	int rv = body ? JG_EXIT_OK : jg_cli_fail("out of memory");

	static const char *const what[] = {"PRINCIPAL", "RESOURCE", "ACTION"};
	static const char *const key[] = {"principal", "resource", "action"};
	size_t i;

	for (i = 0; !rv && i < 3; i++) {
		rv = jg_cli_check_name(a, what[i], a->pos[i]);
		if (!rv)
			rv = jg_cli_json_set(a, body, key[i], what[i], a->pos[i]);
	}
	if (!rv)
		rv = check_payload(a, body);
	if (!rv && !jg_cli_client(cli))
		rv = JG_EXIT_ERR;
	if (!rv)
		rv = jg_client_call(jg_cli_client(cli), "POST", "/v1/check", NULL,
		                    body, &ans);
	if (!rv)
		rv = print_check(cli, ans);
	json_decref(body);
	json_decref(ans);
	return rv;
}
