/*
 * cmd_request.c - `request` (with --wait), `list` and `show`.
 *
 * `request` checks every argument against core/limits.h before anything
 * is sent, so an oversized payload or reason is refused locally with a
 * clear message. `--wait` polls GET /v1/requests/{id} once a second on one
 * connection and reports each change on stderr; its exit status is the
 * outcome (0 approved, 1 denied, 3 expired or cancelled, 2 error/timeout).
 *
 * Never: print the token; show server text without cleaning it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"
#include "util/crypto.h"
#include "util/timefmt.h"

#define LINE_MAX_ 1024 /* one human line about a request */
#define PATH_MAX_ 128  /* "/v1/requests/" + id + "/approve" */

static const char *const req_prefix[] = {"req_", NULL};
static const char *const show_prefix[] = {"req_", "grt_", NULL};

/* --- one line about a request -------------------------------------- */

static void put(char *buf, size_t len, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o = *o + (size_t)n < len ? *o + (size_t)n : len - 1;
}

/* "needs 1 more of dba (bob), then 1 of security" */
static void needs(const json_t *req, char *buf, size_t len, size_t *o)
{
	const json_t *steps = json_object_get(req, "steps"), *s;
	long long cur = jg_json_int(req, "current_step", 0), count, have;
	size_t i;
	int first = 1;

	json_array_foreach (steps, i, s) {
		if ((long long)i < cur)
			continue;
		count = jg_json_int(s, "count", 0);
		have = (long long)json_array_size(json_object_get(s, "approvals"));
		put(buf, len, o, "%s%lld%s of %s", first ? "needs " : ", then ",
		    count - have, have ? " more" : "", jg_json_strd(s, "group"));
		first = 0;
	}
	if (first)
		put(buf, len, o, "%s", jg_json_strd(req, "state_reason"));
}

void jg_cli_request_line(const json_t *req, char *buf, size_t len)
{
	const char *state = jg_json_strd(req, "state");
	const char *why = jg_json_str(req, "state_reason");
	char raw[LINE_MAX_];
	size_t o = 0;

	put(raw, sizeof(raw), &o, "%s %s", jg_json_strd(req, "id"), state);
	if (!strcmp(state, "pending")) {
		put(raw, sizeof(raw), &o, ": ");
		needs(req, raw, sizeof(raw), &o);
	} else if (why && *why) {
		/* "approved: all steps complete" must not read "approved: approved: ..." */
		if (!strncmp(why, state, strlen(state)) && why[strlen(state)] == ':')
			why += strlen(state) + 1;
		put(raw, sizeof(raw), &o, ": %s", why + strspn(why, " "));
	}
	if (jg_json_str(req, "grant_id"))
		put(raw, sizeof(raw), &o, "; grant %s", jg_json_str(req, "grant_id"));
	if (jg_json_str(req, "start_at"))
		put(raw, sizeof(raw), &o, "; starts at %s",
		    jg_json_str(req, "start_at"));
	if (jg_json_str(req, "extends"))
		put(raw, sizeof(raw), &o, "; extends %s", jg_json_str(req, "extends"));
	if (jg_json_str(req, "post_review"))
		put(raw, sizeof(raw), &o, "; post-review %s",
		    jg_json_str(req, "post_review"));
	jg_out_clean(raw, buf, len, 0);
}

int jg_cli_state_exit(const char *state)
{
	static const struct { const char *state; int code; } map[] = {
		{"approved", JG_EXIT_OK},   {"pending", JG_EXIT_OK},
		{"denied", JG_EXIT_NO},     {"expired", JG_EXIT_ENDED},
		{"cancelled", JG_EXIT_ENDED},
	};
	size_t i;

	for (i = 0; state && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].state, state))
			return map[i].code;
	return jg_cli_fail("unexpected request state '%.32s'", state ? state : "");
}

/* --- request ------------------------------------------------------- */

int jg_cli_check_ask(const struct jg_cli_args *a)
{
	const char *reason = jg_cli_opt(a, "reason");
	const char *dur = jg_cli_opt(a, "duration");
	const char *tmo = jg_cli_opt(a, "timeout");
	int64_t secs;
	int rv;

	if ((rv = jg_cli_check_name(a, "RESOURCE", a->pos[0])) ||
	    (rv = jg_cli_check_name(a, "ACTION", a->pos[1])))
		return rv;
	if (!reason || !*reason)
		return jg_cli_usage_fail(a, "--reason is required");
	if ((rv = jg_cli_check_len(a, "--reason", reason, JG_REASON_MAX)) ||
	    (rv = jg_cli_check_len(a, "--payload", jg_cli_opt(a, "payload"),
	                           JG_PAYLOAD_MAX)) ||
	    (rv = jg_cli_check_len(a, "--ticket", jg_cli_opt(a, "ticket"),
	                           JG_TICKET_MAX - 1)))
		return rv;
	if (jg_cli_opt(a, "payload") && jg_cli_opt(a, "payload-file"))
		return jg_cli_usage_fail(a, "--payload and --payload-file exclude "
		                            "each other");
	if (dur && jg_duration_parse(dur, &secs) != JG_OK)
		return jg_cli_usage_fail(a, "invalid duration '%.32s' (e.g. 30m, 2h)",
		                         dur);
	if (tmo && jg_duration_parse(tmo, &secs) != JG_OK)
		return jg_cli_usage_fail(a, "invalid timeout '%.32s' (e.g. 10m)", tmo);
	return JG_EXIT_OK;
}

static int check_request_args(const struct jg_cli_args *a)
{
	int rv = jg_cli_check_ask(a);

	const char *start = jg_cli_opt(a, "start");
	int64_t at;

	if (!rv && jg_cli_opt(a, "timeout") && !jg_cli_flag(a, "wait"))
		return jg_cli_usage_fail(a, "--timeout needs --wait");
	if (!rv && start && jg_time_parse(start, &at) != JG_OK)
		return jg_cli_usage_fail(a, "invalid start '%.40s' (an RFC 3339 "
		                         "time such as 2026-12-05T02:00:00Z)",
		                         start);
	return rv;
}

/* The body of POST /v1/requests; *out is a new reference. */
static int request_body(const struct jg_cli_args *a, json_t **out)
{
	const char *file = jg_cli_opt(a, "payload-file");
	char *payload = NULL;
	size_t len;
	json_t *b = json_object();
	int rv = b ? JG_EXIT_OK : jg_cli_fail("out of memory");

	if (!rv && file)
		rv = jg_cli_read_file("payload file", file, JG_PAYLOAD_MAX,
		                      &payload, &len);
	if (!rv)
		rv = jg_cli_json_set(a, b, "resource", "RESOURCE", a->pos[0]);
	if (!rv)
		rv = jg_cli_json_set(a, b, "action", "ACTION", a->pos[1]);
	if (!rv)
		rv = jg_cli_json_set(a, b, "reason", "--reason", jg_cli_opt(a, "reason"));
	if (!rv)
		rv = jg_cli_json_set(a, b, "payload", "the payload",
		                     payload ? payload : jg_cli_opt(a, "payload"));
	if (!rv)
		rv = jg_cli_json_set(a, b, "ticket", "--ticket", jg_cli_opt(a, "ticket"));
	if (!rv)
		rv = jg_cli_json_set(a, b, "duration", "--duration",
		                     jg_cli_opt(a, "duration"));
	if (!rv)
		rv = jg_cli_json_set(a, b, "start_at", "--start",
		                     jg_cli_opt(a, "start"));
	if (!rv && jg_cli_opt(a, "finding")) {
		json_t *f;

		if (!(rv = jg_cli_json_arg(a, "--finding", jg_cli_opt(a, "finding"),
		                           &f)) &&
		    json_object_set_new(b, "finding", f) != 0)
			rv = jg_cli_fail("out of memory");
	}
	if (!rv && jg_cli_flag(a, "break-glass") &&
	    json_object_set_new(b, "break_glass", json_true()) != 0)
		rv = jg_cli_fail("out of memory");
	free(payload);
	if (rv)
		json_decref(b);
	else
		*out = b;
	return rv;
}

/*
 * Poll the request until it leaves `pending` or `timeout` seconds (0: no
 * limit) pass. *req is replaced by the latest answer.
 */
static int wait_decision(struct jg_cli *cli, json_t **req, int64_t timeout)
{
	char path[PATH_MAX_], last[LINE_MAX_], line[LINE_MAX_], d[32];
	int64_t start = jg_cli_mono();
	json_t *next;
	int rv;

	snprintf(path, sizeof(path), "/v1/requests/%s", jg_json_strd(*req, "id"));
	jg_cli_request_line(*req, last, sizeof(last));
	while (!strcmp(jg_json_strd(*req, "state"), "pending")) {
		if (timeout && jg_cli_mono() - start >= timeout) {
			jg_duration_format(timeout, d, sizeof(d));
			return jg_cli_fail("timed out after %s: %s", d, last);
		}
		jg_cli_sleep_1s();
		if ((rv = jg_client_call(jg_cli_client(cli), "GET", path, NULL,
		                         NULL, &next)))
			return rv;
		json_decref(*req);
		*req = next;
		jg_cli_request_line(*req, line, sizeof(line));
		if (strcmp(line, last)) {
			fprintf(stderr, "%s\n", line);
			memcpy(last, line, sizeof(last));
		}
	}
	return cli->json ? jg_out_json(*req) : JG_EXIT_OK;
}

static int print_created(const struct jg_cli *cli, const struct jg_cli_args *a,
                         const json_t *req)
{
	char line[LINE_MAX_];

	if (jg_cli_flag(a, "quiet")) {
		jg_out_clean(jg_json_strd(req, "id"), line, sizeof(line), 0);
		printf("%s\n", line);
		return JG_EXIT_OK;
	}
	if (cli->json)
		return jg_out_json(req);
	jg_cli_request_line(req, line, sizeof(line));
	printf("%s\n", line);
	return JG_EXIT_OK;
}

int jg_cli_cmd_request(struct jg_cli *cli, const struct jg_cli_args *a)
{
	json_t *body = NULL, *req = NULL;
	int64_t timeout = 0;
	int rv;

	if ((rv = check_request_args(a)) || (rv = request_body(a, &body)))
		return rv;
	if (jg_cli_opt(a, "timeout"))
		jg_duration_parse(jg_cli_opt(a, "timeout"), &timeout);
	if (!jg_cli_client(cli))
		rv = JG_EXIT_ERR;
	else
		rv = jg_client_call(jg_cli_client(cli), "POST", "/v1/requests", NULL,
		                    body, &req);
	json_decref(body);
	if (!rv && !jg_cli_id_ok(jg_json_str(req, "id"), req_prefix))
		rv = jg_cli_fail("malformed answer from server: bad request id");
	if (!rv)
		rv = print_created(cli, a, req);
	if (!rv && jg_cli_flag(a, "wait")) {
		fflush(stdout);
		rv = wait_decision(cli, &req, timeout);
	}
	if (!rv)
		rv = jg_cli_state_exit(jg_json_str(req, "state"));
	json_decref(req);
	return rv;
}

/* --- list and show ------------------------------------------------- */

static void fmt_step(const json_t *r, char *buf, size_t len)
{
	size_t n = json_array_size(json_object_get(r, "steps"));

	if (!n || strcmp(jg_json_strd(r, "state"), "pending"))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%lld/%zu", jg_json_int(r, "current_step", 0) + 1, n);
}

static const struct jg_col request_cols[] = {
	{"ID", "id", NULL},
	{"STATE", "state", NULL},
	{"REQUESTER", "requester", NULL},
	{"RESOURCE", "resource", NULL},
	{"ACTION", "action", NULL},
	{"STEP", NULL, fmt_step},
	{"CREATED", "created_at", NULL},
	{NULL, NULL, NULL},
};

int jg_cli_cmd_list(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct jg_kv q[] = {
		{"state", jg_cli_opt(a, "state")},
		{"requester", jg_cli_opt(a, "requester")},
		{"resource", jg_cli_opt(a, "resource")},
		{"post_review", jg_cli_opt(a, "post-review")},
		{"limit", jg_cli_opt(a, "limit")},
		{"cursor", jg_cli_opt(a, "cursor")},
		{NULL, NULL},
	};
	json_t *page;
	int rv;

	if ((rv = jg_cli_check_limit(a, q[4].value)) ||
	    (rv = jg_cli_check_len(a, "--cursor", q[5].value, 512)))
		return rv;
	if (q[3].value && strcmp(q[3].value, "required") &&
	    strcmp(q[3].value, "done"))
		return jg_cli_usage_fail(a, "--post-review must be required or "
		                            "done");
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/requests", q,
	                         NULL, &page)))
		return rv;
	rv = jg_out_page(page, request_cols, cli->json);
	json_decref(page);
	return rv;
}

int jg_cli_cmd_show(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *id = a->pos[0];
	char path[PATH_MAX_];
	json_t *obj;
	int rv;

	if ((rv = jg_cli_check_id(a, id, show_prefix)))
		return rv;
	snprintf(path, sizeof(path), "/v1/%s/%s",
	         strncmp(id, "req_", 4) ? "grants" : "requests", id);
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", path, NULL, NULL,
	                         &obj)))
		return rv;
	rv = jg_cli_print(cli, obj);
	json_decref(obj);
	return rv;
}
