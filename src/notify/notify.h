/*
 * notify.h - telling people: a durable outbox written in the same
 * transaction as the change it announces, and a worker that delivers it
 * to a generic webhook (signed with HMAC-SHA256), a Slack-compatible
 * incoming webhook and mail (mail.h), with retries, back-off and a dead letter.
 *
 * Never blocks a decision: enqueueing is a row insert; delivery happens
 * later, on the worker's thread, with short timeouts.
 */
#ifndef JG_NOTIFY_H
#define JG_NOTIFY_H

#include "core/policy.h"
#include "store/store.h"

struct jg_chat_users;
struct jg_slack_seen;
#include <jansson.h>

/* Where notifications go; set at start-up, read-only afterwards. */
struct jg_notify_config {
	const char *webhook_url;    /* NULL: no generic webhook */
	const char *webhook_secret; /* HMAC key (from a file, never the API) */
	const char *slack_url;      /* NULL: no Slack-compatible webhook */
	/* Slack interactivity (chat.h): with a signing secret, request
	 * notices carry Approve buttons and /v1/chat/slack takes them */
	const char *slack_signing_secret; /* NULL: no buttons (from a file) */
	const struct jg_chat_users *slack_users; /* Slack id -> principal */
	struct jg_slack_seen *slack_seen; /* replays refused; locked inside */
	const char *slack_reply_base; /* response_urls must start with it;
	                               * NULL: https://hooks.slack.com/ */
	/* mail (mail.h) to the approvers of the current step */
	const char *mail_url;  /* smtp:// (STARTTLS) or smtps://; NULL: none */
	const char *mail_from; /* the envelope and From: address */
	const char *mail_user; /* from --mail-credentials-file; NULL: no AUTH */
	const char *mail_password;
	const char *mail_cacert; /* CA file for the server; NULL: the system's */
	const struct jg_chat_users *mail_book; /* principal -> address */
	const char *dashboard_url;  /* base of links, e.g. https://jg.example */
	int max_attempts;           /* dead-lettered after this many */
	int64_t expiring_within;    /* warn grant holders this long before */
};

/* What happened, as announced. */
enum jg_notice {
	JG_NOTICE_PENDING,     /* request created: to the current approvers */
	JG_NOTICE_STEP,        /* next level: to its approvers */
	JG_NOTICE_APPROVED,    /* to the requester and the approvers */
	JG_NOTICE_DENIED,
	JG_NOTICE_BREAK_GLASS, /* to every approver of the request */
	JG_NOTICE_EXPIRING,    /* grant ends soon: to its holder */
	JG_NOTICE_EXEC_FAILED, /* an approved action failed or was lost:
	                          to the requester and the approvers */
};

/*
 * Inside the caller's write transaction: queue the notice about r for
 * every configured target. cfg NULL (or no target) queues nothing. The
 * same notice is queued once, however often this is called.
 */
enum jg_err jg_notify_request(struct jg_store *st,
                              const struct jg_notify_config *cfg,
                              const struct jg_policy *p, enum jg_notice what,
                              const struct jg_request *r, int64_t now);
/* The same, saying whether approving r needs step-up (the gate knows):
 * then the Slack notice offers the dashboard instead of an Approve
 * button, since chat proves no fresh sign-in. */
enum jg_err jg_notify_request_su(struct jg_store *st,
                                 const struct jg_notify_config *cfg,
                                 const struct jg_policy *p,
                                 enum jg_notice what,
                                 const struct jg_request *r, int step_up,
                                 int64_t now);
/* The same for an execution x of r that did not succeed (failed, or
 * unknown after a crash): the notice names its exit code and error, never
 * its output, which may hold data the recipients should not see. */
enum jg_err jg_notify_execution(struct jg_store *st,
                                const struct jg_notify_config *cfg,
                                const struct jg_policy *p,
                                const struct jg_request *r,
                                const struct jg_execution *x, int64_t now);
enum jg_err jg_notify_grant(struct jg_store *st,
                            const struct jg_notify_config *cfg,
                            const struct jg_grant *g, int64_t now);

/* Inside the caller's transaction: tell the webhook and Slack about the
 * alert (the details of its alert.raised event, borrowed) whose event id
 * is id; once per id. */
enum jg_err jg_notify_alert(struct jg_store *st,
                            const struct jg_notify_config *cfg,
                            const char *id, const json_t *alert, int64_t now);

/*
 * One pass of the worker: claim due deliveries, send them, record each
 * outcome. Returns how many were attempted; never holds a transaction
 * while a target is being called.
 */
size_t jg_notify_deliver(struct jg_store *st,
                         const struct jg_notify_config *cfg, int64_t now);

/* The same, stopping before the next POST once stop(ctx) says so; the
 * deliveries it leaves are offered again when their lease runs out. */
size_t jg_notify_deliver_until(struct jg_store *st,
                               const struct jg_notify_config *cfg,
                               int64_t now, int (*stop)(void *ctx),
                               void *ctx);

/*
 * "v1=" + hex HMAC-SHA256(secret, "<id>.<ts>.<event>.<body>"), what
 * receivers check against the X-Jitgate-Signature header; id, ts and
 * event are those of X-Jitgate-Delivery, -Timestamp and -Event. out: 72
 * bytes; "v1=" alone if id and event are too long to sign (never: they
 * are ours and short).
 */
void jg_notify_sign(const char *secret, const char *id, int64_t ts,
                    const char *event, const char *body, char out[72]);

/*
 * 0 when url is an http:// or https:// URL with a host, else -1 with why
 * filled, naming flag (e.g. "--webhook-url"). Checked at start: libcurl
 * would refuse other schemes only when the first notice is sent, and
 * nobody would hear of it but the outbox.
 */
int jg_notify_url_check(const char *flag, const char *url, char *why,
                        size_t len);

/* Seconds to wait before attempt n+1 after n failures: 2^n, capped. */
int64_t jg_notify_backoff(int attempts);

#endif
