/* api_policy.c - /v1/policy: what is in force, reload, replay. */
#include <stdlib.h>
#include <string.h>

#include "gate/gate.h"
#include "http/handlers.h"
#include "util/timefmt.h"

void jg_api_policy_get(struct jg_ex *ex)
{
	char sha[JG_SHA256_HEX];

	jg_gate_policy_sha256(ex->gate, sha);
	jg_ex_json(ex, 200, json_pack("{s:s}", "sha256", sha));
}

/*
 * The actions of r for which who may ask with break-glass: the rule they
 * would match lets a group who is in approve its own requests. A hint, so
 * the request form offers the box only there; screening decides. It
 * tells the caller only what a request of theirs would.
 */
static json_t *break_glass_actions(const struct jg_policy *p,
                                   const struct jg_resource *r,
                                   const struct jg_principal *who)
{
	json_t *a = json_array();

	for (size_t k = 0; a && k < r->nactions; k++) {
		const struct jg_rule *rule = jg_policy_match(p, r, r->actions[k]);
		if (rule && rule->break_glass_group &&
		    jg_policy_member(p, rule->break_glass_group, who))
			json_array_append_new(a, json_string(r->actions[k]));
	}
	return a;
}

/* The resources and their actions, for request forms. Names only: no
 * rule is shown, so requesters cannot probe the policy's conditions. */
void jg_api_resources(struct jg_ex *ex)
{
	const struct jg_policy *p = jg_gate_policy(ex->gate);
	json_t *items = json_array();

	for (size_t i = 0; i < p->nresources; i++) {
		const struct jg_resource *r = &p->resources[i];
		json_t *labels = json_object(), *actions = json_array();
		for (size_t k = 0; k < r->nlabels; k++)
			json_object_set_new(labels, r->labels[k].key,
			                    json_string(r->labels[k].value));
		for (size_t k = 0; k < r->nactions; k++)
			json_array_append_new(actions,
			                      json_string(r->actions[k]));
		json_array_append_new(items,
		                      json_pack("{s:s,s:o,s:s,s:o,s:o}", "name",
		                                r->name, "labels", labels,
		                                "sensitivity", r->sensitivity,
		                                "actions", actions, "break_glass",
		                                break_glass_actions(p, r, &ex->who)));
	}
	jg_ex_json(ex, 200, json_pack("{s:o}", "items", items));
}

/* Runs without the gate hold: the swap waits for requests in flight. */
void jg_api_policy_reload(struct jg_ex *ex)
{
	static const char *const fields[] = {NULL};
	char sha[JG_SHA256_HEX], why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_fields(ex, fields))
		return;
	e = jg_gate_reload(ex->gate, &ex->who, ex->now, sha, why);
	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		jg_ex_json(ex, 200, json_pack("{s:s}", "sha256", sha));
}

static json_t *replay_item(const struct jg_replay_item *it)
{
	char at[JG_TIME_LEN];

	jg_time_format(it->created_at, at);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:s,s:s?,s:s}", "id",
	                 it->id, "requester", it->requester, "resource",
	                 it->resource, "action", it->action, "created_at", at,
	                 "was", it->was, "was_rule",
	                 it->was_rule[0] ? it->was_rule : NULL, "now", it->now,
	                 "now_rule", it->now_rule[0] ? it->now_rule : NULL,
	                 "reason", it->reason);
}

/* What a replay on the pool needs of its request. */
struct replay_job {
	int64_t since;
	size_t len;
	char text[]; /* the candidate policy, NUL-terminated */
};

/* On the execution pool: a long history must not hold an HTTP worker.
 * The replay stops at the server's time bound, or when it stops. */
static void replay_work(struct jg_ex *ex, void *arg)
{
	const struct replay_job *job = arg;
	struct jg_replay_bound bound = {
		.deadline = jg_replay_clock_ms() + jg_ex_replay_ms(ex),
		.stop = jg_ex_stopping(ex),
	};
	struct jg_replay r;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	e = jg_gate_replay(ex->gate, &ex->who, job->text, job->len, job->since,
	                   &bound, &r, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < r.nitems; i++)
		json_array_append_new(items, replay_item(&r.items[i]));
	jg_ex_json(ex, 200, json_pack("{s:I,s:I,s:I,s:I,s:o,s:b}", "total",
	                              (json_int_t)r.total, "same",
	                              (json_int_t)r.same, "changed",
	                              (json_int_t)r.changed, "skipped",
	                              (json_int_t)r.skipped, "items", items,
	                              "truncated", r.changed > r.nitems));
	jg_replay_clear(&r);
}

void jg_api_policy_replay(struct jg_ex *ex)
{
	static const char *const fields[] = {"policy", "since", NULL};
	const char *text, *since_text;
	int64_t since = 0;
	struct replay_job *job;
	size_t len;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "policy", 1, &text) ||
	    jg_ex_str(ex, "since", 0, &since_text))
		return;
	if (since_text && jg_time_parse(since_text, &since) != JG_OK) {
		jg_ex_fail(ex, JG_EINVAL, "since must be an RFC 3339 time or a "
		                          "date (2026-11-01)");
		return;
	}
	len = strlen(text);
	if (!(job = malloc(sizeof(*job) + len + 1))) { /* the job's */
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	job->since = since;
	job->len = len;
	memcpy(job->text, text, len + 1);
	if (jg_ex_defer(ex, replay_work, job))
		free(job);
}
