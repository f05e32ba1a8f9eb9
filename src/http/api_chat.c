/*
 * api_chat.c - POST /v1/chat/slack: the Approve button of a Slack request
 * notice. Slack authenticates by signing the raw body (notify/chat.h), so
 * the route is public to the server's authentication; an unsigned, stale
 * or replayed body gets a 401 and changes nothing.
 *
 * The Slack user becomes a jitgate principal only through the explicit
 * --slack-users table, with no groups and no sign-in: the policy's group
 * members decide who may approve, and a step-up rule is never met from
 * chat. The decision is jg_gate_review's, exactly as from the API; chat
 * only approves (a deny needs a comment: the dashboard takes it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "notify/chat.h"
#include "notify/notify.h"
#include "util/log.h"

/* One button press, as Slack signed it (strings borrowed). */
struct jg_press {
	const char *ts, *sig; /* the request's time stamp and signature */
	const char *user, *action, *id, *response_url;
};

/* An answer only the presser sees; the message stays as it is. Slack
 * shows only 200s, so refusals after the signature are 200s too. */
static void ephemeral(struct jg_ex *ex, const char *text)
{
	jg_ex_json(ex, 200, json_pack("{s:s,s:b,s:s}", "response_type",
	                              "ephemeral", "replace_original", 0,
	                              "text", text));
}

/* The message that replaces the notice: who decided, and the state.
 * New reference. */
static json_t *decided(const char *who, const struct jg_request_view *v)
{
	const struct jg_request *r = &v->req;
	char text[700], state[200];

	if (r->state == JG_REQ_PENDING && r->step < r->nsteps)
		snprintf(state, sizeof(state), "waiting for step %zu of %zu "
		         "(%d of %s)", r->step + 1, r->nsteps,
		         r->steps[r->step].count, r->steps[r->step].group);
	else
		snprintf(state, sizeof(state), "%s",
		         jg_req_state_name(r->state));
	snprintf(text, sizeof(text), "*%s* approved %s's `%s` on *%s* (via "
	         "Slack): %s", who, r->requester, r->action, r->resource,
	         state);
	return json_pack("{s:b,s:s,s:[{s:s,s:{s:s,s:s}}]}", "replace_original",
	                 1, "text", text, "blocks", "type", "section", "text",
	                 "type", "mrkdwn", "text", text);
}

/* Replace the notice in Slack: through its response_url (how Slack
 * takes it for block_actions), from the outbox; and in the answer. */
static void replace(struct jg_ex *ex, const struct jg_press *press,
                    json_t *msg)
{
	char key[96];
	enum jg_err e;

	snprintf(key, sizeof(key), "chat.reply:%.20s:%.40s", press->ts,
	         press->sig);
	e = press->response_url
	            ? jg_gate_chat_reply(ex->gate, press->response_url,
	                                 press->id, key, json_incref(msg),
	                                 ex->now)
	            : JG_OK;
	if (e != JG_OK)
		jg_log(JG_LOG_WARN, "chat: the Slack message of %s is not "
		       "replaced: %s", press->id, e == JG_EINVAL
		       ? "its response_url is not Slack's" : jg_strerror(e));
	jg_ex_json(ex, 200, msg);
}

/* Approve the request as the principal the Slack user maps to. */
static void approve(struct jg_ex *ex, const struct jg_notify_config *cfg,
                    const struct jg_press *press)
{
	const char *user = press->user, *id = press->id;
	const char *name = jg_chat_users_find(cfg->slack_users, user);
	struct jg_principal who;
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "", text[JG_WHY_MAX + 160];
	enum jg_err e;

	if (!name || strlen(name) >= sizeof(who.name)) {
		snprintf(text, sizeof(text), "Your Slack user %.40s is not "
		         "mapped to a jitgate principal: nothing was decided. "
		         "An admin adds it to the --slack-users file.", user);
		ephemeral(ex, text);
		return;
	}
	memset(&who, 0, sizeof(who)); /* no groups, no roles, no sign-in */
	snprintf(who.name, sizeof(who.name), "%s", name);
	ex->who = who; /* the access log names the approver */
	e = jg_gate_review_via(ex->gate, &who, id, 1, NULL, "slack", ex->now,
	                       &v, why);
	if (e != JG_OK) {
		snprintf(text, sizeof(text), "Not approved (%s): %s",
		         jg_strerror(e), why[0] ? why : jg_strerror(e));
		ephemeral(ex, text);
		return;
	}
	replace(ex, press, decided(who.name, &v));
	jg_request_view_clear(&v);
}

/* The signed payload's user id, action, request id and response_url
 * (borrowed from p) into b; 0, or -1 when it is not a button press. */
static int press_of(json_t *p, struct jg_press *b)
{
	json_t *a = json_array_get(json_object_get(p, "actions"), 0);

	b->user = json_string_value(
	        json_object_get(json_object_get(p, "user"), "id"));
	b->action = json_string_value(json_object_get(a, "action_id"));
	b->id = json_string_value(json_object_get(a, "value"));
	b->response_url = json_string_value(json_object_get(p,
	                                                    "response_url"));
	if (!b->user || !b->action)
		return -1;
	if (!b->id)
		b->id = "";
	return 0;
}

void jg_api_chat_slack(struct jg_ex *ex)
{
	const struct jg_notify_config *cfg = jg_gate_notify(ex->gate);
	struct jg_press b = {0};
	char why[200];
	char *text; /* owned: the decoded payload field */
	json_t *p;  /* owned */

	b.ts = MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND,
	                                   "X-Slack-Request-Timestamp");
	b.sig = MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND,
	                                    "X-Slack-Signature");
	if (jg_slack_verify(cfg ? cfg->slack_signing_secret : NULL,
	                    cfg ? cfg->slack_seen : NULL, b.ts, b.sig,
	                    ex->raw_body, ex->raw_len, ex->now, why,
	                    sizeof(why))) {
		jg_log(JG_LOG_WARN, "chat: refused a Slack request from %s: %s",
		       ex->peer ? ex->peer : "?", why);
		jg_ex_fail(ex, JG_EAUTH, why);
		return;
	}
	text = jg_form_value(ex->raw_body, ex->raw_len, "payload");
	p = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	free(text);
	if (!json_is_object(p) || press_of(p, &b)) {
		json_decref(p);
		jg_ex_fail(ex, JG_EINVAL, "want a form field 'payload' holding "
		           "a Slack block_actions interaction");
		return;
	}
	if (strcmp(b.action, "jg_open") == 0) /* a link: Slack opens it */
		jg_ex_json(ex, 200, json_object());
	else if (strcmp(b.action, "jg_approve") != 0)
		ephemeral(ex, "Only approving is possible from Slack: a deny "
		          "needs a comment; open the request in jitgate.");
	else
		approve(ex, cfg, &b);
	json_decref(p);
}
