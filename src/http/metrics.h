/*
 * metrics.h - what one server counts of its HTTP traffic, and the whole
 * /metrics exposition (docs/operations.md "Metrics").
 *
 * The server (server.c) owns one struct jg_metrics and reports each
 * answer to it: a relaxed atomic add per answer (by route and status),
 * and for /v1/check one histogram observation of the time the server
 * spent on it, taken from the clock the access log reads anyway. The
 * store's counts (requests by state and rule, the outbox, the audit
 * seq) cost a full scan, so they are read at most once per
 * JG_METRICS_STORE_MS, whatever the number of scrapers, and the text is
 * reused in between.
 */
#ifndef JG_HTTP_METRICS_H
#define JG_HTTP_METRICS_H

#include <stdint.h>

#include "http/exchange.h"

#define JG_METRICS_STORE_MS 1000

struct jg_metrics;

/* NULL on ENOMEM; free with jg_metrics_free (NULL-safe). */
struct jg_metrics *jg_metrics_new(void);
void jg_metrics_free(struct jg_metrics *m);

/* One answer: its route (NULL: none matched), status and duration. */
void jg_metrics_answer(struct jg_metrics *m, const struct jg_route *r,
                       int status, int64_t us);

/* The exposition text (malloc'd, the caller frees; *len its length), or
 * NULL on ENOMEM. Call holding the gate. now: wall seconds. */
char *jg_metrics_render(struct jg_metrics *m, struct jg_gate *g,
                        int64_t now, size_t *len);

/* The server's metrics for this exchange (server.c). */
struct jg_metrics *jg_ex_metrics(const struct jg_ex *ex);

#endif
