/*
 * mail.h - notices by mail, for approvers without Slack: one message per
 * approver of the request's current step, queued in the same durable
 * outbox as the other targets (target "mail") and sent by the worker
 * through libcurl's SMTP, always over TLS (STARTTLS required on smtp://,
 * implicit on smtps://), as multipart/alternative (plain text and HTML,
 * escaped) with a link to the request.
 */
#ifndef JG_NOTIFY_MAIL_H
#define JG_NOTIFY_MAIL_H

#include "notify/notify.h"

/*
 * Inside the caller's transaction: queue the mail about r to each
 * approver of its current step with an address (the principal's name
 * when it looks like one, else cfg->mail_book). key: the notice's dedupe
 * key. Only request.pending and request.step are mailed.
 */
enum jg_err jg_mail_queue(struct jg_store *st,
                          const struct jg_notify_config *cfg,
                          const struct jg_policy *p, enum jg_notice what,
                          const struct jg_request *r, const char *key,
                          int64_t now);

/* Send the queued mail d (now: its Date); 0, or -1 with why filled
 * (never a password). */
int jg_mail_send(const struct jg_notify_config *cfg,
                 const struct jg_delivery *d, int64_t now, char *why,
                 size_t len);

/* 0 when url is smtp:// or smtps:// with a host, else -1 with why. */
int jg_mail_url_check(const char *url, char *why, size_t len);

#endif
