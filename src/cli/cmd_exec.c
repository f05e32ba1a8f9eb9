/*
 * cmd_exec.c - `jitgate exec`: request an action, wait for the decision,
 * have the gateway run it, print its output and exit with its status.
 * Made for pipelines: progress goes to stderr, the action's output to
 * stdout, and the exit status says what happened:
 *
 *     0    approved, run, succeeded
 *     1    denied (nothing ran)
 *     2    usage or other error before anything ran (network, refused,
 *          timed out waiting for the decision, every execution slot of
 *          the server taken)
 *     3    expired or cancelled (nothing ran)
 *     4    it ran and failed: a SQL error, an HTTP answer other than 2xx,
 *          a program that could not be started
 *     N    a program (command connector) that exited with status N
 *          (128+S when killed by signal S); 124 when its timeout killed it
 *     125  the outcome is unknown: the gateway lost track of it (look at
 *          the target; it never runs again), or the server was lost once
 *          the execute call was sent: the action may have started (retry
 *          with the same --idempotency-key to learn what became of it)
 *
 * With --idempotency-key K, a retried step finds the request it made the
 * first time (same key, same ask) instead of making another; if that one
 * already ran, its recorded outcome is reported again and nothing runs.
 * The CLI checks that the server bound exactly the payload and params it
 * sent (their SHA-256, docs/connectors.md) and asks for the run with that
 * hash, so what runs is what was asked for. It never retries a run: after
 * a lost answer it only reads what the server recorded. Once the execute
 * call may have reached the server, only the server's word (a refusal,
 * or a request showing no execution after one) says nothing ran: a lost
 * connection there is 125, never 2, so a pipeline that retries on 2
 * cannot run the action twice.
 *
 * Never: print the token; show server text on a terminal unclean.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"
#include "exec/exec.h"
#include "util/timefmt.h"

#define LINE_MAX_ 1024
#define PATH_MAX_ 128
#define EXIT_FAILED 4
#define EXIT_UNKNOWN 125
#define RUN_TIMEOUT (JG_EXEC_TIMEOUT_MAX + 120) /* seconds for one run */

static const char *const req_prefix[] = {"req_", NULL};

/* --- arguments ------------------------------------------------------ */

/* The --param K=V options as a JSON object (*out new, NULL when none). */
static int params_of(const struct jg_cli_args *a, json_t **out)
{
	size_t n;
	const char *const *v = jg_cli_list(a, "param", &n);
	json_t *p = n ? json_object() : NULL;
	char name[JG_NAME_MAX];

	*out = NULL;
	if (n && !p)
		return jg_cli_fail("out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(v[i], '=');
		size_t len = eq ? (size_t)(eq - v[i]) : 0;
		snprintf(name, sizeof(name), "%.*s", (int)len, v[i]);
		if (!eq || len >= JG_NAME_MAX || !jg_param_name_valid(name)) {
			json_decref(p);
			return jg_cli_usage_fail(a, "--param '%.40s': want NAME=VALUE "
			                            "with NAME of A-Z a-z 0-9 _ . -", v[i]);
		}
		if (json_object_get(p, name)) {
			json_decref(p);
			return jg_cli_usage_fail(a, "--param %s given twice", name);
		}
		if (jg_cli_check_len(a, "a --param value", eq + 1,
		                     JG_PARAM_VALUE_MAX) ||
		    jg_cli_json_set(a, p, name, "a --param value", eq + 1)) {
			json_decref(p);
			return JG_EXIT_ERR;
		}
	}
	*out = p;
	return JG_EXIT_OK;
}

static int check_args(const struct jg_cli_args *a)
{
	const char *key = jg_cli_opt(a, "idempotency-key");
	int rv = jg_cli_check_ask(a);

	if (!rv && key && (!*key || strlen(key) > JG_IDEM_KEY_MAX))
		return jg_cli_usage_fail(a, "--idempotency-key must be 1 to %d "
		                            "bytes", JG_IDEM_KEY_MAX);
	return rv;
}

/* What the request asks for, and the SHA-256 of its bound payload. */
struct ask {
	json_t *body;   /* POST /v1/requests */
	char *payload;  /* owned when read from a file */
	char sha[JG_SHA256_HEX];
};

static int build_ask(const struct jg_cli_args *a, struct ask *k)
{
	const char *file = jg_cli_opt(a, "payload-file"), *payload;
	json_t *params = NULL;
	size_t len;
	int rv;

	if ((rv = params_of(a, &params)))
		return rv;
	if (file && (rv = jg_cli_read_file("payload file", file, JG_PAYLOAD_MAX,
	                                   &k->payload, &len))) {
		json_decref(params);
		return rv;
	}
	payload = k->payload ? k->payload : jg_cli_opt(a, "payload");
	if (payload && !*payload)
		payload = NULL; /* the server takes "" as none, and so does the hash */
	if (!(k->body = json_object()) ||
	    jg_bound_sha256(payload, params, k->sha) != JG_OK)
		rv = jg_cli_fail("out of memory");
	if (!rv && params && json_object_set(k->body, "params", params))
		rv = jg_cli_fail("out of memory");
	json_decref(params);
	if (!rv)
		rv = jg_cli_json_set(a, k->body, "resource", "RESOURCE", a->pos[0]);
	if (!rv)
		rv = jg_cli_json_set(a, k->body, "action", "ACTION", a->pos[1]);
	if (!rv)
		rv = jg_cli_json_set(a, k->body, "reason", "--reason",
		                     jg_cli_opt(a, "reason"));
	if (!rv)
		rv = jg_cli_json_set(a, k->body, "payload", "the payload", payload);
	if (!rv)
		rv = jg_cli_json_set(a, k->body, "ticket", "--ticket",
		                     jg_cli_opt(a, "ticket"));
	if (!rv)
		rv = jg_cli_json_set(a, k->body, "duration", "--duration",
		                     jg_cli_opt(a, "duration"));
	if (!rv)
		rv = jg_cli_json_set(a, k->body, "idempotency_key",
		                     "--idempotency-key",
		                     jg_cli_opt(a, "idempotency-key"));
	return rv;
}

/* --- talking to the server ------------------------------------------ */

static void progress(const json_t *req)
{
	char line[LINE_MAX_];

	jg_cli_request_line(req, line, sizeof(line));
	fprintf(stderr, "jitgate: %s\n", line);
}

/* GET the request again into *req. */
static int refresh(struct jg_cli *cli, json_t **req)
{
	char path[PATH_MAX_];
	json_t *next;
	int rv;

	snprintf(path, sizeof(path), "/v1/requests/%s", jg_json_strd(*req, "id"));
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", path, NULL, NULL,
	                         &next)))
		return rv;
	json_decref(*req);
	*req = next;
	return JG_EXIT_OK;
}

static const char *exec_state(const json_t *req)
{
	return jg_json_str(json_object_get(req, "execution"), "state");
}

/*
 * Poll while the request is pending (up to timeout seconds, 0: no limit)
 * or its execution is still running, showing each change on stderr.
 */
static int wait_for(struct jg_cli *cli, json_t **req, int64_t timeout)
{
	char last[LINE_MAX_], line[LINE_MAX_], d[32];
	int64_t start = jg_cli_mono();
	int rv;

	jg_cli_request_line(*req, last, sizeof(last));
	for (;;) {
		const char *st = jg_json_strd(*req, "state"), *x = exec_state(*req);
		if (strcmp(st, "pending") && (!x || strcmp(x, "started")))
			return JG_EXIT_OK;
		if (!strcmp(st, "pending") && timeout &&
		    jg_cli_mono() - start >= timeout) {
			jg_duration_format(timeout, d, sizeof(d));
			return jg_cli_fail("timed out after %s waiting for the "
			                   "decision: %s", d, last);
		}
		jg_cli_sleep_1s();
		if ((rv = refresh(cli, req)))
			return rv;
		jg_cli_request_line(*req, line, sizeof(line));
		if (strcmp(line, last)) {
			fprintf(stderr, "jitgate: %s\n", line);
			memcpy(last, line, sizeof(last));
		}
	}
}

/* The server went away once the action may have started: 125. */
static int lost(const json_t *req, const char *key)
{
	char id[64];

	jg_out_clean(jg_json_strd(req, "id"), id, sizeof(id), 0);
	if (key)
		jg_cli_fail("lost the server after the action may have "
		            "started: the outcome is unknown; retry with the "
		            "same --idempotency-key to learn it");
	else
		jg_cli_fail("lost the server after the action may have "
		            "started: the outcome is unknown; `jitgate show %s` "
		            "tells it once the server answers", id);
	return EXIT_UNKNOWN;
}

/* Wait for a started execution to end; losing the server is 125. */
static int follow(struct jg_cli *cli, json_t **req, const char *key)
{
	return wait_for(cli, req, 0) ? lost(*req, key) : JG_EXIT_OK;
}

/* The server's own refusal of the execute call: nothing ran. A 503 from
 * anything but its full execution pool may come from a proxy that lost
 * the call on its way back. */
static int refused(const struct jg_client *c)
{
	long code = jg_client_last(c);

	return (code >= 400 && code < 500) ||
	       (code == 503 && !strcmp(jg_client_last_problem(c),
	                               "urn:jitgate:problem:busy"));
}

/*
 * Ask the gateway to run it, bound to the hash we computed. A lost
 * answer is never retried: the request is read again instead, and an
 * execution it shows is followed to its end.
 */
static int execute(struct jg_cli *cli, json_t **req, const char *sha,
                   const char *key)
{
	struct jg_client *c = jg_cli_client(cli);
	char path[PATH_MAX_];
	json_t *body = json_pack("{s:s}", "payload_sha256", sha), *done = NULL;
	int rv, no;

	if (!body)
		return jg_cli_fail("out of memory");
	snprintf(path, sizeof(path), "/v1/requests/%s/execute",
	         jg_json_strd(*req, "id"));
	fprintf(stderr, "jitgate: executing %s through the gateway\n",
	        jg_json_strd(*req, "id"));
	jg_client_set_timeout(c, RUN_TIMEOUT);
	rv = jg_client_call(c, "POST", path, NULL, body, &done);
	jg_client_set_timeout(c, 0);
	json_decref(body);
	if (!rv) {
		json_decref(*req);
		*req = done;
		return JG_EXIT_OK;
	}
	if (jg_client_last(c) == JG_CLIENT_UNSENT)
		return rv; /* it never left: nothing ran */
	no = refused(c); /* before the next call replaces what it got */
	/* no execution (yet): refused, nothing ran; else it may still start */
	if (refresh(cli, req) || !exec_state(*req))
		return no ? rv : lost(*req, key);
	fprintf(stderr, "jitgate: following %s\n",
	        jg_json_strd(json_object_get(*req, "execution"), "id"));
	return follow(cli, req, key);
}

/* --- the outcome ---------------------------------------------------- */

static void print_output(const char *out)
{
	char *clean;

	if (!out || !*out)
		return;
	if (!isatty(STDOUT_FILENO)) { /* a pipeline gets the bytes as they are */
		fputs(out, stdout);
		return;
	}
	/* markers are longer than what they show: the whole text, not a cut */
	if ((clean = jg_out_clean_dup(out, 1))) {
		fputs(clean, stdout);
		free(clean);
	}
}

static int exit_status(const json_t *x)
{
	const char *state = jg_json_strd(x, "state");
	long long code = jg_json_int(x, "exit_code", -1);

	if (!strcmp(state, "succeeded"))
		return JG_EXIT_OK;
	if (!strcmp(state, "unknown") || !strcmp(state, "started"))
		return EXIT_UNKNOWN;
	if (!strcmp(jg_json_strd(x, "connector"), "command") && code > 0 &&
	    code < 256)
		return (int)code; /* the program's own status */
	return EXIT_FAILED;
}

static int report(const struct jg_cli *cli, const json_t *req)
{
	const json_t *x = json_object_get(req, "execution");
	char err[LINE_MAX_], id[64];
	int rv = exit_status(x);

	if (cli->json)
		jg_out_json(req);
	else
		print_output(jg_json_str(x, "output"));
	fflush(stdout);
	jg_out_clean(jg_json_strd(x, "error"), err, sizeof(err), 0);
	jg_out_clean(jg_json_strd(x, "id"), id, sizeof(id), 0);
	fprintf(stderr, "jitgate: %s %s in %lldms%s%s (exit %d)\n", id,
	        jg_json_strd(x, "state"), jg_json_int(x, "duration_ms", 0),
	        strcmp(err, "-") ? ": " : "", strcmp(err, "-") ? err : "", rv);
	return rv;
}

/* After the decision: run it (or follow the run already made). */
static int act(struct jg_cli *cli, json_t **req, const char *sha,
               const char *key)
{
	const char *state = jg_json_str(*req, "state");
	int rv;

	if (!state || strcmp(state, "approved"))
		return jg_cli_state_exit(state);
	if (strcmp(jg_json_strd(*req, "payload_sha256"), sha))
		return jg_cli_fail("the server bound another payload than the "
		                   "one sent (sha256 %.12s…, expected %.12s…): "
		                   "not executed", jg_json_strd(*req,
		                                                "payload_sha256"),
		                   sha);
	if (exec_state(*req))
		fprintf(stderr, "jitgate: %s ran already (started by %s): its "
		        "outcome follows\n", jg_json_strd(*req, "id"),
		        jg_json_strd(json_object_get(*req, "execution"),
		                     "started_by"));
	else if ((rv = execute(cli, req, sha, key)))
		return rv;
	if ((rv = follow(cli, req, key)))
		return rv;
	return report(cli, *req);
}

int jg_cli_cmd_exec(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct ask k = {0};
	json_t *req = NULL;
	int64_t timeout = 0;
	int rv;

	if ((rv = check_args(a)) || (rv = build_ask(a, &k)))
		goto out;
	if (jg_cli_opt(a, "timeout"))
		jg_duration_parse(jg_cli_opt(a, "timeout"), &timeout);
	if (!jg_cli_client(cli)) {
		rv = JG_EXIT_ERR;
		goto out;
	}
	if ((rv = jg_client_call(jg_cli_client(cli), "POST", "/v1/requests",
	                         NULL, k.body, &req)))
		goto out;
	if (!jg_cli_id_ok(jg_json_str(req, "id"), req_prefix)) {
		rv = jg_cli_fail("malformed answer from server: bad request id");
		goto out;
	}
	progress(req);
	if (!(rv = wait_for(cli, &req, timeout)))
		rv = act(cli, &req, k.sha, jg_cli_opt(a, "idempotency-key"));
out:
	json_decref(req);
	json_decref(k.body);
	free(k.payload);
	return rv;
}
