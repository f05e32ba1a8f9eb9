/*
 * cmd_policy.c - `policy check`, `policy test`, `policy replay`,
 * `policy reload` and `policy show`.
 *
 * `check` and `test` run offline: they load the file with the server's
 * own loader (src/policy/load.c) and decide with its own screening
 * (jg_policy_screen), so what they print is what a server running that
 * file would decide -- with one difference stated in the output: no
 * store here, so rate checks are "not counted". `test` takes the request
 * as JSON, the principal's name and groups included, since there is no
 * token to learn them from.
 *
 * `replay` checks the file locally first (file:line errors name the real
 * file), then sends its text to the server, which re-decides the stored
 * requests under it; `reload` and `show` are one call each.
 *
 * Exit status: check 0 valid, 1 invalid; test 0 auto or review, 1 deny,
 * 2 when the request itself is refused (unknown resource, duration above
 * the maximum, break-glass not allowed) or on any error.
 *
 * Never: print the token; write to the policy file; show text from the
 * file or the server without cleaning it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"
#include "core/model.h"
#include "core/policy.h"
#include "policy/lint.h"
#include "policy/load.h"
#include "util/timefmt.h"

#define MSG_MAX 1024 /* one line of output */
#define ERR_MAX 1024 /* the loader's "FILE:LINE: message" */

/* Print one line to f with control characters replaced. */
static void put_clean(FILE *f, const char *s)
{
	char buf[MSG_MAX];

	jg_out_clean(s, buf, sizeof(buf), 0);
	fprintf(f, "%s\n", buf);
}

/* Load FILE; on failure print the loader's line and return 1 or 2. */
static int load(const char *path, struct jg_policy **out)
{
	char err[ERR_MAX] = "";
	enum jg_err e = jg_policy_load(path, out, err, sizeof(err));

	if (e == JG_OK)
		return JG_EXIT_OK;
	put_clean(stderr, err[0] ? err : jg_strerror(e));
	/* a file that is wrong is a "no"; one we could not read is an error */
	return e == JG_EINVAL || e == JG_ETOOBIG ? JG_EXIT_NO : JG_EXIT_ERR;
}

/* --- check --------------------------------------------------------- */

struct lint_out {
	const char *file;
	json_t *list; /* --json: the warnings go here, not to stderr */
};

/* "FILE:LINE: warning: msg", as compilers print them. */
static void on_warning(void *ctx, int line, const char *msg)
{
	struct lint_out *l = ctx;
	char buf[MSG_MAX];

	if (l->list) {
		json_array_append_new(l->list, json_pack("{s:i,s:s}", "line", line,
		                                         "message", msg));
		return;
	}
	snprintf(buf, sizeof(buf), "%s:%d: warning: %s", l->file, line, msg);
	put_clean(stderr, buf);
}

int jg_cli_cmd_policy_check(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct jg_policy *p = NULL;
	struct lint_out l = {a->pos[0], NULL};
	char line[MSG_MAX];
	json_t *o;
	int rv;

	if ((rv = load(a->pos[0], &p)))
		return rv;
	if (cli->json && !(l.list = json_array())) {
		jg_policy_free(p);
		return jg_cli_fail("out of memory");
	}
	jg_policy_lint(p, on_warning, &l);
	if (cli->json) {
		o = json_pack("{s:s,s:b,s:I,s:I,s:I,s:s,s:o}", "file", a->pos[0],
		              "ok", 1, "resources", (json_int_t)p->nresources,
		              "groups", (json_int_t)p->ngroups, "rules",
		              (json_int_t)p->nrules, "sha256", p->sha256,
		              "warnings", l.list);
		rv = o ? jg_out_json(o) : jg_cli_fail("out of memory");
		json_decref(o);
	} else {
		snprintf(line, sizeof(line), "policy %s: OK (%zu resource%s, "
		         "%zu rule%s, sha256 %s)", a->pos[0], p->nresources,
		         p->nresources == 1 ? "" : "s", p->nrules,
		         p->nrules == 1 ? "" : "s", p->sha256);
		put_clean(stdout, line);
	}
	jg_policy_free(p);
	return rv;
}

/* --- test: the request, from JSON ----------------------------------- */

static const char *const ask_keys[] = {
	"requester", "groups", "service", "resource", "action", "duration",
	"reason", "ticket", "source_ip", "time", "finding", "break_glass",
	"payload", "params", "start_at", NULL,
};

static const char *const finding_keys[] = {
	"id", "type", "rule", "severity", "location", "recommendation", NULL,
};

/* What `test` screens; strings borrow from the parsed JSON. */
struct trial {
	struct jg_principal who;
	struct jg_ask ask;
	struct jg_finding finding;
	char *params; /* owned JSON text that ask.params borrows, or NULL */
};

static void trial_free(struct trial *t)
{
	if (t)
		free(t->params);
	free(t);
}

static int refuse_keys(const struct jg_cli_args *a, const json_t *o,
                       const char *what, const char *const *keys)
{
	char list[256] = "", name[64];
	const char *key;
	const json_t *v;
	size_t i, n;

	json_object_foreach ((json_t *)o, key, v) {
		for (i = 0; keys[i] && strcmp(keys[i], key); i++)
			;
		if (keys[i])
			continue;
		for (i = 0, n = 0; keys[i] && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
			                      i ? ", " : "", keys[i]);
		jg_out_clean(key, name, sizeof(name), 0);
		return jg_cli_usage_fail(a, "%s: unknown field '%s' (expected "
		                            "one of: %s)", what, name, list);
	}
	return JG_EXIT_OK;
}

/* A string member, at most max bytes; NULL when absent or null. */
static int get_str(const struct jg_cli_args *a, const json_t *o,
                   const char *what, const char *key, int required,
                   size_t max, const char **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return jg_cli_usage_fail(a, "%s: '%s' is required", what, key);
		return JG_EXIT_OK;
	}
	if (!json_is_string(v))
		return jg_cli_usage_fail(a, "%s: '%s' must be a string", what, key);
	if (strlen(json_string_value(v)) > max)
		return jg_cli_usage_fail(a, "%s: '%s' is longer than %zu bytes",
		                         what, key, max);
	*out = json_string_value(v);
	return JG_EXIT_OK;
}

/* A name member (requester, resource, action, a group). */
static int get_name(const struct jg_cli_args *a, const json_t *o,
                    const char *key, int at_ok, const char **out)
{
	int rv = get_str(a, o, "--request", key, 1, JG_NAME_MAX - 1, out);

	if (!rv && !jg_name_valid(*out, at_ok))
		return jg_cli_usage_fail(a, "--request: '%s' must be a name of "
		                            "1-63 characters of A-Z a-z 0-9 . _ -%s",
		                         key, at_ok ? " @" : "");
	return rv;
}

static int get_bool(const struct jg_cli_args *a, const json_t *o,
                    const char *key, int *out)
{
	const json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v))
		return JG_EXIT_OK;
	if (!json_is_boolean(v))
		return jg_cli_usage_fail(a, "--request: '%s' must be true or false",
		                         key);
	*out = json_is_true(v);
	return JG_EXIT_OK;
}

static int get_groups(const struct jg_cli_args *a, const json_t *o,
                      struct jg_principal *who)
{
	const json_t *arr = json_object_get(o, "groups"), *v;
	const char *s;
	size_t i;

	if (!arr || json_is_null(arr))
		return JG_EXIT_OK;
	if (!json_is_array(arr))
		return jg_cli_usage_fail(a, "--request: 'groups' must be a list "
		                            "of names");
	if (json_array_size(arr) > JG_GROUPS_MAX)
		return jg_cli_usage_fail(a, "--request: at most %d groups",
		                         JG_GROUPS_MAX);
	json_array_foreach (arr, i, v) {
		s = json_string_value(v);
		if (!s || strlen(s) >= JG_NAME_MAX || !jg_name_valid(s, 0))
			return jg_cli_usage_fail(a, "--request: group %zu must be a "
			                            "name of 1-63 characters of A-Z "
			                            "a-z 0-9 . _ -", i + 1);
		memcpy(who->groups[who->ngroups++], s, strlen(s) + 1);
	}
	return JG_EXIT_OK;
}

static int get_finding(const struct jg_cli_args *a, const json_t *o,
                       struct trial *t)
{
	const json_t *f = json_object_get(o, "finding");
	struct jg_finding *x = &t->finding;
	const char *sev = NULL;
	int rv;

	if (!f || json_is_null(f))
		return JG_EXIT_OK;
	if (!json_is_object(f))
		return jg_cli_usage_fail(a, "--request: 'finding' must be an "
		                            "object");
	if ((rv = refuse_keys(a, f, "--request: finding", finding_keys)) ||
	    (rv = get_str(a, f, "--request: finding", "id", 1, JG_REASON_MAX,
	                  &x->id)) ||
	    (rv = get_str(a, f, "--request: finding", "type", 0, JG_REASON_MAX,
	                  &x->type)) ||
	    (rv = get_str(a, f, "--request: finding", "rule", 0, JG_REASON_MAX,
	                  &x->rule)) ||
	    (rv = get_str(a, f, "--request: finding", "severity", 0,
	                  JG_REASON_MAX, &sev)) ||
	    (rv = get_str(a, f, "--request: finding", "location", 0,
	                  JG_REASON_MAX, &x->location)) ||
	    (rv = get_str(a, f, "--request: finding", "recommendation", 0,
	                  JG_REASON_MAX, &x->recommendation)))
		return rv;
	if (sev && !(x->severity = jg_level_parse(sev)))
		return jg_cli_usage_fail(a, "--request: finding severity must be "
		                            "low, medium, high or critical");
	/* the server refuses it too: only automation carries findings */
	if (!t->who.service)
		return jg_cli_fail("refused: only service identities may attach "
		                   "scanner findings (set \"service\": true)");
	t->ask.finding = x;
	return JG_EXIT_OK;
}

/* params: an object of strings, as the server takes it; screened as
 * its JSON text, as the server keeps it. */
static int get_params(const struct jg_cli_args *a, const json_t *o,
                      struct trial *t)
{
	const json_t *obj = json_object_get(o, "params"), *v;
	const char *key;

	if (!obj || json_is_null(obj))
		return JG_EXIT_OK;
	if (!json_is_object(obj) || json_object_size(obj) > JG_PARAMS_MAX)
		return jg_cli_usage_fail(a, "--request: 'params' must be an "
		                            "object of at most %d strings",
		                         JG_PARAMS_MAX);
	json_object_foreach ((json_t *)obj, key, v)
		if (!json_is_string(v))
			return jg_cli_usage_fail(a, "--request: 'params' must be "
			                            "an object of strings");
	if (!(t->params = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS)))
		return jg_cli_fail("out of memory");
	t->ask.params = t->params;
	return JG_EXIT_OK;
}

static int parse_trial(const struct jg_cli_args *a, const json_t *o,
                       struct trial *t)
{
	const char *name, *dur = NULL, *when = NULL, *start = NULL;
	int rv;

	memset(t, 0, sizeof(*t));
	if ((rv = refuse_keys(a, o, "--request", ask_keys)) ||
	    (rv = get_name(a, o, "requester", 1, &name)))
		return rv;
	memcpy(t->who.name, name, strlen(name) + 1);
	if ((rv = get_groups(a, o, &t->who)) ||
	    (rv = get_bool(a, o, "service", &t->who.service)) ||
	    (rv = get_name(a, o, "resource", 0, &t->ask.resource)) ||
	    (rv = get_name(a, o, "action", 0, &t->ask.action)) ||
	    (rv = get_str(a, o, "--request", "duration", 0, 32, &dur)) ||
	    (rv = get_str(a, o, "--request", "reason", 0, JG_REASON_MAX,
	                  &t->ask.reason)) ||
	    (rv = get_str(a, o, "--request", "ticket", 0, JG_TICKET_MAX - 1,
	                  &t->ask.ticket)) ||
	    (rv = get_str(a, o, "--request", "source_ip", 0, 64,
	                  &t->ask.source_ip)) ||
	    (rv = get_str(a, o, "--request", "time", 0, 64, &when)) ||
	    (rv = get_str(a, o, "--request", "start_at", 0, 64, &start)) ||
	    (rv = get_bool(a, o, "break_glass", &t->ask.break_glass)) ||
	    (rv = get_str(a, o, "--request", "payload", 0, JG_PAYLOAD_MAX,
	                  &t->ask.payload)) ||
	    (rv = get_params(a, o, t)) || (rv = get_finding(a, o, t)))
		return rv;
	if (dur && jg_duration_parse(dur, &t->ask.duration) != JG_OK)
		return jg_cli_usage_fail(a, "--request: invalid duration '%.32s' "
		                            "(e.g. 30m, 2h)", dur);
	if (when && jg_time_parse(when, &t->ask.now) != JG_OK)
		return jg_cli_usage_fail(a, "--request: invalid time '%.40s' "
		                            "(RFC 3339, e.g. 2026-01-31T12:00:00Z)",
		                         when);
	if (!when)
		t->ask.now = (int64_t)time(NULL);
	if (start && jg_time_parse(start, &t->ask.start_at) != JG_OK)
		return jg_cli_usage_fail(a, "--request: invalid start_at '%.40s' "
		                            "(RFC 3339, e.g. 2026-12-05T02:00:00Z)",
		                         start);
	return JG_EXIT_OK;
}

/* --- test: the verdict --------------------------------------------- */

static json_t *checks_json(const struct jg_verdict *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < v->nchecks; i++)
		json_array_append_new(
		        arr, json_pack("{s:s,s:s,s:s}", "name", v->checks[i].name,
		                       "result",
		                       jg_result_name(v->checks[i].result),
		                       "message", v->checks[i].message));
	return arr;
}

static json_t *steps_json(const struct jg_verdict *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && v->decision == JG_DECIDE_REVIEW &&
	                   i < v->rule->nsteps; i++)
		json_array_append_new(
		        arr, json_pack("{s:s,s:i}", "group", v->rule->steps[i].group,
		                       "count", v->rule->steps[i].count));
	return arr;
}

static const char *decision_of(const struct jg_verdict *v)
{
	return v->break_glass ? "break-glass" : jg_decision_name(v->decision);
}

/* The verdict as the server would show it in a request. */
static json_t *verdict_json(const char *file, const struct jg_policy *p,
                            const struct trial *t, const struct jg_verdict *v)
{
	char at[JG_TIME_LEN], dur[32], ttl[32];
	int granted = v->decision != JG_DECIDE_DENY;

	jg_time_format(t->ask.now, at);
	jg_duration_format(v->duration, dur, sizeof(dur));
	jg_duration_format(v->request_ttl, ttl, sizeof(ttl));
	return json_pack("{s:s,s:s,s:s,s:s?,s:o,s:o,s:s,s:s,s:s?,s:s?,s:o,"
	                 "s:b,s:b,s:s?}",
	                 "policy", file, "sha256", p->sha256, "time", at,
	                 "rule", v->rule ? v->rule->name : NULL, "rule_line",
	                 v->rule ? json_integer(v->rule->line) : json_null(),
	                 "checks", checks_json(v), "decision", decision_of(v),
	                 "reason", v->reason, "duration", granted ? dur : NULL,
	                 "request_ttl",
	                 v->decision == JG_DECIDE_REVIEW ? ttl : NULL, "steps",
	                 steps_json(v), "flagged", v->flagged, "break_glass",
	                 v->break_glass, "post_review",
	                 v->break_glass ? "required" : NULL);
}

static void print_verdict(const struct trial *t, const struct jg_verdict *v)
{
	char line[MSG_MAX], d[32], at[JG_TIME_LEN];
	size_t o = 0;

	jg_time_format(t->ask.now, at);
	snprintf(line, sizeof(line), "request:  %s: %s on %s at %s from %s%s",
	         t->who.name, t->ask.action, t->ask.resource, at,
	         t->ask.source_ip ? t->ask.source_ip : "(unknown source)",
	         t->ask.break_glass ? ", break-glass" : "");
	put_clean(stdout, line);
	if (v->rule)
		snprintf(line, sizeof(line), "rule:     %s (line %d)", v->rule->name,
		         v->rule->line);
	else
		snprintf(line, sizeof(line), "rule:     - (no rule applies)");
	put_clean(stdout, line);
	printf("checks:\n");
	for (size_t i = 0; i < v->nchecks; i++) {
		snprintf(line, sizeof(line), "  [%s] %s: %s",
		         jg_result_name(v->checks[i].result), v->checks[i].name,
		         v->checks[i].message);
		put_clean(stdout, line);
	}
	snprintf(line, sizeof(line), "decision: %s: %s", decision_of(v),
	         v->reason);
	put_clean(stdout, line);
	if (v->decision == JG_DECIDE_REVIEW) {
		o = (size_t)snprintf(line, sizeof(line), "steps:    ");
		for (size_t i = 0; i < v->rule->nsteps && o < sizeof(line); i++)
			o += (size_t)snprintf(line + o, sizeof(line) - o,
			                      "%s%d of %s", i ? ", then " : "",
			                      v->rule->steps[i].count,
			                      v->rule->steps[i].group);
		put_clean(stdout, line);
	}
	if (v->decision != JG_DECIDE_DENY) {
		jg_duration_format(v->duration, d, sizeof(d));
		printf("grant:    %s%s\n", d,
		       v->decision == JG_DECIDE_REVIEW ? " once approved" : "");
	}
	if (v->break_glass)
		printf("post-review: required (by an approver of the rule)\n");
}

int jg_cli_cmd_policy_test(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *arg = jg_cli_opt(a, "request");
	struct jg_policy *p = NULL;
	struct jg_verdict v;
	struct trial *t;
	json_t *in = NULL, *out;
	enum jg_err e;
	int rv;

	if (!arg)
		return jg_cli_usage_fail(a, "--request is required");
	if (!(t = calloc(1, sizeof(*t))))
		return jg_cli_fail("out of memory");
	if ((rv = jg_cli_json_arg(a, "--request", arg, &in)) ||
	    (rv = parse_trial(a, in, t))) {
		json_decref(in);
		trial_free(t);
		return rv;
	}
	if ((rv = load(a->pos[0], &p))) {
		json_decref(in);
		trial_free(t);
		return rv == JG_EXIT_NO ? JG_EXIT_ERR : rv;
	}
	/* no store offline: count is NULL, so rate checks say "not counted" */
	e = jg_policy_screen(p, &t->who, &t->ask, &v);
	if (e != JG_OK) {
		rv = jg_cli_fail("refused: %s", v.reason[0] ? v.reason
		                                            : jg_strerror(e));
	} else if (cli->json) {
		out = verdict_json(a->pos[0], p, t, &v);
		rv = out ? jg_out_json(out) : jg_cli_fail("out of memory");
		json_decref(out);
	} else {
		print_verdict(t, &v);
	}
	if (!rv && v.decision == JG_DECIDE_DENY)
		rv = JG_EXIT_NO;
	jg_policy_free(p);
	json_decref(in);
	trial_free(t);
	return rv;
}

/* --- replay, reload, show ------------------------------------------ */

static void fmt_now_rule(const json_t *it, char *buf, size_t len)
{
	snprintf(buf, len, "%s", jg_json_strd(it, "now_rule"));
}

static const struct jg_col replay_cols[] = {
	{"ID", "id", NULL},
	{"REQUESTER", "requester", NULL},
	{"RESOURCE", "resource", NULL},
	{"ACTION", "action", NULL},
	{"WAS", "was", NULL},
	{"NOW", "now", NULL},
	{"NOW RULE", NULL, fmt_now_rule},
	{NULL, NULL, NULL},
};

static int print_replay(const struct jg_cli *cli, const json_t *r,
                        const char *since)
{
	const json_t *items = json_object_get(r, "items");
	char line[MSG_MAX];

	if (!json_is_array(items))
		return jg_cli_fail("malformed answer from server: no items");
	if (cli->json)
		return jg_out_json(r);
	snprintf(line, sizeof(line), "replayed %lld request%s%s%s: %lld same, "
	         "%lld changed, %lld skipped", jg_json_int(r, "total", 0),
	         jg_json_int(r, "total", 0) == 1 ? "" : "s",
	         *since ? " since " : "", since, jg_json_int(r, "same", 0),
	         jg_json_int(r, "changed", 0), jg_json_int(r, "skipped", 0));
	put_clean(stdout, line);
	if (json_array_size(items))
		jg_out_table(items, replay_cols);
	if (json_is_true(json_object_get(r, "truncated")))
		fprintf(stderr, "only the first %zu changed requests are listed\n",
		        json_array_size(items));
	return JG_EXIT_OK;
}

int jg_cli_cmd_policy_replay(struct jg_cli *cli, const struct jg_cli_args *a)
{
	char since[JG_TIME_LEN], *text = NULL, *dumped;
	struct jg_policy *p = NULL;
	json_t *body = NULL, *r = NULL;
	size_t len;
	int rv;

	if ((rv = jg_cli_time_arg(a, "since", since)))
		return rv;
	/* refuse a bad file here, where the error can name it */
	if ((rv = load(a->pos[0], &p)))
		return rv == JG_EXIT_NO ? JG_EXIT_ERR : rv;
	jg_policy_free(p);
	if ((rv = jg_cli_read_file("policy file", a->pos[0], JG_POLICY_FILE_MAX,
	                           &text, &len)))
		return rv;
	if (!(body = json_object()))
		rv = jg_cli_fail("out of memory");
	if (!rv)
		rv = jg_cli_json_set(a, body, "policy", "the policy file", text);
	if (!rv)
		rv = jg_cli_json_set(a, body, "since", "--since",
		                     *since ? since : NULL);
	free(text);
	if (!rv && (dumped = json_dumps(body, JSON_COMPACT))) {
		/* the server reads at most JG_BODY_MAX bytes of one body */
		if (strlen(dumped) > JG_BODY_MAX)
			rv = jg_cli_fail("policy file '%s' is too large to replay: "
			                 "the server accepts at most %d KiB in one "
			                 "request", a->pos[0], JG_BODY_MAX / 1024);
		free(dumped);
	}
	if (!rv && !jg_cli_client(cli))
		rv = JG_EXIT_ERR;
	if (!rv)
		rv = jg_client_call(jg_cli_client(cli), "POST", "/v1/policy/replay",
		                    NULL, body, &r);
	if (!rv)
		rv = print_replay(cli, r, since);
	json_decref(body);
	json_decref(r);
	return rv;
}

static int print_sha(const struct jg_cli *cli, const json_t *ans,
                     const char *what)
{
	char line[MSG_MAX];

	if (!jg_json_str(ans, "sha256"))
		return jg_cli_fail("malformed answer from server: no sha256");
	if (cli->json)
		return jg_out_json(ans);
	snprintf(line, sizeof(line), "%s%s", what, jg_json_str(ans, "sha256"));
	put_clean(stdout, line);
	return JG_EXIT_OK;
}

int jg_cli_cmd_policy_reload(struct jg_cli *cli, const struct jg_cli_args *a)
{
	json_t *ans = NULL;
	int rv;

	(void)a;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "POST",
	                         "/v1/policy/reload", NULL, NULL, &ans)))
		return rv;
	rv = print_sha(cli, ans, "policy reloaded: sha256 ");
	json_decref(ans);
	return rv;
}

int jg_cli_cmd_policy_show(struct jg_cli *cli, const struct jg_cli_args *a)
{
	json_t *ans = NULL;
	int rv;

	(void)a;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/policy", NULL,
	                         NULL, &ans)))
		return rv;
	rv = print_sha(cli, ans, "sha256: ");
	json_decref(ans);
	return rv;
}
