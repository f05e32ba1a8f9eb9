/*
 * outbox.h - inside notify/: what the targets' builders share with the
 * outbox (outbox.c). Not for callers outside notify/.
 */
#ifndef JG_NOTIFY_OUTBOX_H
#define JG_NOTIFY_OUTBOX_H

#include <jansson.h>

#include "notify/notify.h"

/* Queue one delivery of payload (consumed) to target; an identical
 * notice (the same key and target) already queued is fine. */
enum jg_err jg_notify_queue(struct jg_store *st, const char *target,
                            const char *event, const char *subject,
                            const char *key, json_t *payload, int64_t now);

/* "request.pending" and so on. */
const char *jg_notify_event_name(enum jg_notice what);

/* The dashboard page of request id into buf, or "" without a base URL. */
void jg_notify_link(const struct jg_notify_config *cfg, const char *id,
                    char *buf, size_t len);

#endif
