/*
 * chat.h - approving from Slack without losing the guarantees: verify
 * Slack's request signature (v0 HMAC-SHA256 over the time stamp and the
 * raw body, a 5-minute window, constant-time compare, each signature once),
 * map a Slack user to a jitgate principal by an explicit table, and build
 * the Block Kit buttons a request notice carries.
 *
 * Deciding is never done here: the handler (http/api_chat.c) calls the
 * same review use case as the API, which refuses self-approval, checks
 * the groups and steps and asks step-up (which chat can never meet).
 */
#ifndef JG_NOTIFY_CHAT_H
#define JG_NOTIFY_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define JG_SLACK_WINDOW 300 /* seconds a signed time stamp is good for */
#define JG_SLACK_SEEN_MAX 4096 /* signatures remembered within the window */

/* Slack user id -> jitgate principal, from --slack-users (one
 * "U0123ABC alice" a line, # comments). Read-only once loaded. */
struct jg_chat_users;

/* Load path into *out (owned; jg_chat_users_free). 0, or -1 with why
 * (naming the file and line). */
int jg_chat_users_load(const char *path, struct jg_chat_users **out,
                       char *why, size_t len);
void jg_chat_users_free(struct jg_chat_users *u);
/* The principal Slack user id maps to, or NULL. Borrowed from u. */
const char *jg_chat_users_find(const struct jg_chat_users *u, const char *id);

/* The signatures seen within the window (replays are refused); shared by
 * the HTTP threads, locked inside. */
struct jg_slack_seen;
struct jg_slack_seen *jg_slack_seen_new(void);
void jg_slack_seen_free(struct jg_slack_seen *s);

/*
 * 0 when sig ("v0=" + hex HMAC-SHA256(secret, "v0:" ts ":" body)) is
 * right, ts within JG_SLACK_WINDOW of now, and this (ts, sig) was not
 * seen before (it is remembered then); else -1 with why filled (never
 * the secret, never the expected signature).
 */
int jg_slack_verify(const char *secret, struct jg_slack_seen *seen,
                    const char *ts, const char *sig, const char *body,
                    size_t len, int64_t now, char *why, size_t wlen);

/* "v0=" + hex of the signature over ts and body; out: 68 bytes. For the
 * verifier and the tests. */
void jg_slack_sign(const char *secret, const char *ts, const char *body,
                   size_t len, char out[68]);

/*
 * The value of field `key` in an application/x-www-form-urlencoded body,
 * decoded (malloc'd, caller frees), or NULL when absent or malformed.
 */
char *jg_form_value(const char *body, size_t len, const char *key);

/*
 * The actions block of a request notice: an Approve button (the request
 * id in its value) and a Deny button that opens the dashboard (a deny
 * needs a comment, which a button cannot carry); when step_up, only a
 * button opening the dashboard (chat proves no fresh sign-in). url: the
 * request's dashboard page, or "" (then no link buttons). New reference.
 */
json_t *jg_slack_actions(const char *id, const char *url, int step_up);

/*
 * In a transaction of its own: queue msg (consumed) for Slack's
 * response_url of a button press (target "slack_reply"), which is how a
 * block_actions message is replaced. url must start with
 * cfg->slack_reply_base (https://hooks.slack.com/ by default): a signed
 * payload still names where jitgate posts, and nothing else may be
 * reached that way. key: unique to the press. JG_EINVAL for another URL.
 */
struct jg_store;
struct jg_notify_config;
enum jg_err jg_slack_reply(struct jg_store *st,
                           const struct jg_notify_config *cfg,
                           const char *url, const char *subject,
                           const char *key, json_t *msg, int64_t now);

/* 1 when url may be posted to as a Slack response_url (see above). */
int jg_slack_reply_ok(const struct jg_notify_config *cfg, const char *url);

#endif
