/*
 * outbox.c - what a notice says and to whom, queued in the caller's
 * transaction: if the change rolls back, so does its notice; if it
 * commits, the notice is on its way even if the server dies next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "notify/chat.h"
#include "notify/mail.h"
#include "notify/notify.h"
#include "notify/outbox.h"
#include "util/timefmt.h"

static const char *const notice_names[] = {
	"request.pending", "request.step", "request.approved",
	"request.denied", "alert.break_glass", "grant.expiring",
	"execution.failed",
};

static void add_group(json_t *users, json_t *groups,
                      const struct jg_policy *p, const char *name)
{
	const struct jg_group *g = jg_policy_group(p, name);

	json_array_append_new(groups, json_string(name));
	for (size_t i = 0; g && i < g->nmembers; i++)
		json_array_append_new(users, json_string(g->members[i]));
}

/* Who hears of it: groups (and their policy members) and users. */
static json_t *recipients(const struct jg_policy *p, enum jg_notice what,
                          const struct jg_request *r)
{
	json_t *users = json_array(), *groups = json_array();

	switch (what) {
	case JG_NOTICE_PENDING:
	case JG_NOTICE_STEP:
		if (r->step < r->nsteps)
			add_group(users, groups, p, r->steps[r->step].group);
		break;
	case JG_NOTICE_APPROVED:
	case JG_NOTICE_DENIED:
	case JG_NOTICE_EXEC_FAILED:
		json_array_append_new(users, json_string(r->requester));
		/* the approvers learn the outcome too */
		__attribute__((fallthrough));
	case JG_NOTICE_BREAK_GLASS:
		for (size_t i = 0; i < r->nsteps; i++)
			add_group(users, groups, p, r->steps[i].group);
		break;
	case JG_NOTICE_EXPIRING:
		break;
	}
	return json_pack("{s:o,s:o}", "users", users, "groups", groups);
}

const char *jg_notify_event_name(enum jg_notice what)
{
	return notice_names[what];
}

void jg_notify_link(const struct jg_notify_config *cfg, const char *id,
                    char *buf, size_t len)
{
	if (cfg->dashboard_url)
		snprintf(buf, len, "%s/#/requests/%s", cfg->dashboard_url, id);
	else
		buf[0] = '\0';
}

/* What an execution that did not succeed came to (x NULL: nothing). */
static json_t *execution_payload(const struct jg_execution *x)
{
	if (!x)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:i,s:s?,s:I}", "id", x->id,
	                 "connector", x->connector, "state",
	                 jg_exec_state_name(x->state), "exit_code",
	                 x->exit_code, "error", x->error[0] ? x->error : NULL,
	                 "duration_ms", (json_int_t)x->duration_ms);
}

static json_t *request_payload(const struct jg_notify_config *cfg,
                               const struct jg_policy *p, enum jg_notice what,
                               const struct jg_request *r,
                               const struct jg_execution *x, int64_t now)
{
	char at[JG_TIME_LEN], start[JG_TIME_LEN], url[512];

	jg_time_format(now, at);
	jg_time_format(r->start_at, start);
	jg_notify_link(cfg, r->id, url, sizeof(url));
	/* scheduled access: start_at says when the grant starts (absent
	 * when it starts on approval) */
	return json_pack(
	        "{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s?,s:s*},s:o,s:s?,"
	        "s:o*}",
	        "event", notice_names[what], "time", at, "request", "id", r->id,
	        "requester", r->requester, "resource", r->resource, "action",
	        r->action, "reason", r->reason ? r->reason : "", "state",
	        jg_req_state_name(r->state), "step", (json_int_t)r->step,
	        "rule", r->rule[0] ? r->rule : NULL, "start_at",
	        r->start_at ? start : NULL, "recipients",
	        recipients(p, what, r), "url", url[0] ? url : NULL,
	        "execution", execution_payload(x));
}

/* Slack mrkdwn: &, < and > must be escaped in any text we did not write. */
static void slack_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 6 < len; in++) {
		const char *rep = *in == '&' ? "&amp;" : *in == '<' ? "&lt;"
		                : *in == '>' ? "&gt;" : NULL;
		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* With interactivity on, a notice asking for a review carries its
 * buttons (chat.h) under the text. */
static json_t *slack_message(const struct jg_notify_config *cfg,
                             enum jg_notice what, const struct jg_request *r,
                             int step_up, const char *text, const char *url)
{
	json_t *actions;

	if (!cfg->slack_signing_secret ||
	    (what != JG_NOTICE_PENDING && what != JG_NOTICE_STEP) ||
	    !(actions = jg_slack_actions(r->id, url, step_up)))
		return json_pack("{s:s}", "text", text);
	return json_pack("{s:s,s:[{s:s,s:{s:s,s:s}},o]}", "text", text,
	                 "blocks", "type", "section", "text", "type",
	                 "mrkdwn", "text", text, actions);
}

static json_t *slack_payload(const struct jg_notify_config *cfg,
                             enum jg_notice what, const struct jg_request *r,
                             const struct jg_execution *x, int step_up)
{
	static const char *const verbs[] = {
		"asks for", "needs the next approval for", "was approved for",
		"was denied", "used break-glass for", "", "",
	};
	char text[1400], reason[400], url[512], link[600] = "";
	char start[JG_TIME_LEN], when[32] = "";

	jg_notify_link(cfg, r->id, url, sizeof(url));
	if (url[0])
		snprintf(link, sizeof(link), " <%s|Open in jitgate>", url);
	if (x) { /* what went wrong matters more than why it was asked */
		slack_escape(x->error[0] ? x->error : "no error message",
		             reason, sizeof(reason));
		snprintf(text, sizeof(text), "*%s*'s approved `%s` on *%s* "
		         "%s (exit %d): %s%s", r->requester, r->action,
		         r->resource, x->state == JG_EXEC_UNKNOWN
		         ? "may or may not have run" : "failed",
		         x->exit_code, reason, link);
		return json_pack("{s:s}", "text", text);
	}
	slack_escape(r->reason ? r->reason : "", reason, sizeof(reason));
	if (r->start_at) { /* scheduled: when it starts (UTC) */
		jg_time_format(r->start_at, start);
		snprintf(when, sizeof(when), " from %s", start);
	}
	snprintf(text, sizeof(text), "*%s* %s `%s` on *%s*%s: %s%s",
	         r->requester, verbs[what], r->action, r->resource, when,
	         reason, link);
	return slack_message(cfg, what, r, step_up, text, url);
}

enum jg_err jg_notify_queue(struct jg_store *st, const char *target,
                            const char *event, const char *subject,
                            const char *key, json_t *payload, int64_t now)
{
	struct jg_delivery d = {.created_at = now};
	enum jg_err e;

	if (!payload)
		return JG_ENOMEM;
	snprintf(d.target, sizeof(d.target), "%s", target);
	snprintf(d.event, sizeof(d.event), "%s", event);
	snprintf(d.subject, sizeof(d.subject), "%s", subject);
	snprintf(d.dedupe, sizeof(d.dedupe), "%s:%s", key, target);
	d.payload = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(payload);
	if (!d.payload)
		return JG_ENOMEM;
	e = st->ops->outbox_insert(st, &d);
	free(d.payload);
	return e == JG_EDUP ? JG_OK : e;
}

/* A notice about r (and its execution x, or NULL), once per key. */
static enum jg_err notify(struct jg_store *st,
                          const struct jg_notify_config *cfg,
                          const struct jg_policy *p, enum jg_notice what,
                          const struct jg_request *r,
                          const struct jg_execution *x, int step_up,
                          int64_t now)
{
	char key[80];
	enum jg_err e = JG_OK;

	if (!cfg)
		return JG_OK;
	if (x)
		snprintf(key, sizeof(key), "%s:%s", notice_names[what], x->id);
	else
		snprintf(key, sizeof(key), "%s:%s:%zu", notice_names[what],
		         r->id, r->step);
	if (cfg->webhook_url)
		e = jg_notify_queue(st, "webhook", notice_names[what], r->id, key,
		          request_payload(cfg, p, what, r, x, now), now);
	if (e == JG_OK && cfg->slack_url)
		e = jg_notify_queue(st, "slack", notice_names[what], r->id, key,
		          slack_payload(cfg, what, r, x, step_up), now);
	if (e == JG_OK && !x)
		e = jg_mail_queue(st, cfg, p, what, r, key, now);
	return e;
}

enum jg_err jg_notify_request(struct jg_store *st,
                              const struct jg_notify_config *cfg,
                              const struct jg_policy *p, enum jg_notice what,
                              const struct jg_request *r, int64_t now)
{
	return notify(st, cfg, p, what, r, NULL, 0, now);
}

enum jg_err jg_notify_request_su(struct jg_store *st,
                                 const struct jg_notify_config *cfg,
                                 const struct jg_policy *p,
                                 enum jg_notice what,
                                 const struct jg_request *r, int step_up,
                                 int64_t now)
{
	return notify(st, cfg, p, what, r, NULL, step_up, now);
}

enum jg_err jg_notify_execution(struct jg_store *st,
                                const struct jg_notify_config *cfg,
                                const struct jg_policy *p,
                                const struct jg_request *r,
                                const struct jg_execution *x, int64_t now)
{
	return notify(st, cfg, p, JG_NOTICE_EXEC_FAILED, r, x, 0, now);
}

enum jg_err jg_notify_grant(struct jg_store *st,
                            const struct jg_notify_config *cfg,
                            const struct jg_grant *g, int64_t now)
{
	const char *event = notice_names[JG_NOTICE_EXPIRING];
	char key[80], at[JG_TIME_LEN], exp[JG_TIME_LEN], text[512];
	enum jg_err e = JG_OK;

	if (!cfg)
		return JG_OK;
	jg_time_format(now, at);
	jg_time_format(g->expires_at, exp);
	snprintf(key, sizeof(key), "%s:%s:%lld", event, g->id,
	         (long long)g->expires_at);
	if (cfg->webhook_url)
		e = jg_notify_queue(st, "webhook", event, g->id, key,
		          json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s},s:{s:[s],"
		                    "s:[]}}", "event", event, "time", at,
		                    "grant", "id", g->id, "principal",
		                    g->principal, "resource", g->resource,
		                    "action", g->action, "expires_at", exp,
		                    "recipients", "users", g->principal,
		                    "groups"),
		          now);
	snprintf(text, sizeof(text), "*%s*: your grant for `%s` on *%s* "
	         "ends at %s", g->principal, g->action, g->resource, exp);
	if (e == JG_OK && cfg->slack_url)
		e = jg_notify_queue(st, "slack", event, g->id, key,
		          json_pack("{s:s}", "text", text), now);
	return e;
}

enum jg_err jg_notify_alert(struct jg_store *st,
                            const struct jg_notify_config *cfg,
                            const char *id, const json_t *alert, int64_t now)
{
	const char *event = "alert.raised";
	char key[80], at[JG_TIME_LEN], summary[600], text[800];
	enum jg_err e = JG_OK;

	if (!cfg)
		return JG_OK;
	jg_time_format(now, at);
	snprintf(key, sizeof(key), "%s:%s", event, id);
	if (cfg->webhook_url)
		e = jg_notify_queue(st, "webhook", event, id, key,
		          json_pack("{s:s,s:s,s:s,s:O}", "event", event, "time",
		                    at, "id", id, "alert", alert),
		          now);
	slack_escape(json_string_value(json_object_get(alert, "summary")),
	             summary, sizeof(summary));
	snprintf(text, sizeof(text), "*alert* (%s, %s): %s",
	         json_string_value(json_object_get(alert, "severity")),
	         json_string_value(json_object_get(alert, "kind")), summary);
	if (e == JG_OK && cfg->slack_url)
		e = jg_notify_queue(st, "slack", event, id, key,
		          json_pack("{s:s}", "text", text), now);
	return e;
}
