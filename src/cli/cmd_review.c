/*
 * cmd_review.c - `approve`, `deny`, `cancel` and `post-review` of a
 * request.
 *
 * Each is one POST to /v1/requests/{id}/{verb}; the server decides who may
 * (never the requester, one review per approver) and its refusal is
 * printed as it comes, e.g. "jitgate: requester cannot approve own
 * request req_...". On success the request's new state is printed.
 *
 * Never: print the token; retry a refused review.
 */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"

static const char *const req_prefix[] = {"req_", NULL};

/* POST /v1/requests/{id}/{verb} with {key: value} when value is given. */
static int review(struct jg_cli *cli, const struct jg_cli_args *a,
                  const char *verb, const char *key)
{
	const char *text = jg_cli_opt(a, key);
	char path[128], line[1024];
	json_t *body = json_object(), *req = NULL;
	int rv = body ? JG_EXIT_OK : jg_cli_fail("out of memory");

	if (!rv)
		rv = jg_cli_check_id(a, a->pos[0], req_prefix);
	if (!rv && key && !strcmp(key, "comment"))
		rv = jg_cli_check_len(a, "--comment", text, JG_REASON_MAX);
	else if (!rv)
		rv = jg_cli_check_len(a, "--reason", text, JG_REASON_MAX);
	if (!rv)
		rv = jg_cli_json_set(a, body, key, key, text);
	if (!rv && !jg_cli_client(cli))
		rv = JG_EXIT_ERR;
	if (!rv) {
		snprintf(path, sizeof(path), "/v1/requests/%s/%s", a->pos[0], verb);
		rv = jg_client_call(jg_cli_client(cli), "POST", path, NULL, body,
		                    &req);
	}
	if (!rv && cli->json) {
		rv = jg_out_json(req);
	} else if (!rv) {
		jg_cli_request_line(req, line, sizeof(line));
		printf("%s\n", line);
	}
	json_decref(body);
	json_decref(req);
	return rv;
}

int jg_cli_cmd_approve(struct jg_cli *cli, const struct jg_cli_args *a)
{
	return review(cli, a, "approve", "comment");
}

/* The server refuses a denial without a comment; say so before sending. */
int jg_cli_cmd_deny(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *c = jg_cli_opt(a, "comment");

	if (!c || !c[strspn(c, " \t\r\n")])
		return jg_cli_usage_fail(a, "deny needs --comment TEXT: the "
		                            "requester is owed a reason");
	return review(cli, a, "deny", "comment");
}

int jg_cli_cmd_cancel(struct jg_cli *cli, const struct jg_cli_args *a)
{
	return review(cli, a, "cancel", "reason");
}

/* The review a break-glass approval owes afterwards; never the requester's. */
int jg_cli_cmd_post_review(struct jg_cli *cli, const struct jg_cli_args *a)
{
	return review(cli, a, "post-review", "comment");
}
