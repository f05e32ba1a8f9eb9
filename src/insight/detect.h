/*
 * detect.h - the alert detectors (jg_detect_*): audit events in, alerts
 * out. Pure: no store, no clock, no lock; the gate (gate/alerts.c) feeds
 * the events it has committed, one thread at a time, and appends what
 * comes out as `alert.raised` events. docs/alerts.md describes each kind.
 *
 * Windowed counters keep the last JG_ALERT_THRESHOLD_MAX events of each
 * subject, bounded tables evict the stalest subject when full, so memory
 * stays bounded whatever the trail holds. Deduplication: while an alert
 * of a kind and subject is open (raised, not acknowledged) and younger
 * than its window, the same kind and subject raises nothing more.
 */
#ifndef JG_INSIGHT_DETECT_H
#define JG_INSIGHT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/model.h"
#include "core/policy.h"
#include "util/err.h"

#define JG_ALERT_SUBJECT_MAX (2 * JG_NAME_MAX + 2) /* "alice>bob" */
#define JG_ALERT_SUMMARY_MAX 256

/* One alert a detector raises (all copies, nothing borrowed). */
struct jg_alert {
	int kind;     /* enum jg_alert_kind */
	int severity; /* enum jg_level */
	char subject[JG_ALERT_SUBJECT_MAX];
	char summary[JG_ALERT_SUMMARY_MAX];
	char events[JG_ALERT_THRESHOLD_MAX][JG_ID_LEN]; /* ids behind it */
	size_t nevents;
	int64_t ts; /* of the event that raised it */
};

typedef void (*jg_alert_fn)(const struct jg_alert *a, void *ctx);

struct jg_detect;

enum jg_err jg_detect_new(struct jg_detect **out);
void jg_detect_free(struct jg_detect *d); /* NULL-safe */

/* Take the policy's `alerts:` settings (copied; all zero: defaults). */
void jg_detect_tune(struct jg_detect *d,
                    const struct jg_alert_tune tune[JG_AK_COUNT]);

/* How first_sensitive learns which resources are sensitive (high or
 * critical): fn(resource, ctx) returns 1 for those. NULL: none is. */
void jg_detect_sensitive(struct jg_detect *d,
                         int (*fn)(const char *resource, void *ctx),
                         void *ctx);

/* How off_hours learns the time zone a principal's usual hours are
 * kept in: fn(principal, ctx) returns it (borrowed; it must outlive the
 * feeding round, as the policy does while the gate is held), NULL for
 * UTC. A NULL fn: UTC for everyone. */
void jg_detect_zone(struct jg_detect *d,
                    const struct jg_tz *(*fn)(const char *principal,
                                              void *ctx),
                    void *ctx);

/* The longest window of any enabled detector, in seconds: how far back
 * a restart must re-read the trail to rebuild the counters (not
 * token_dormant's: its window is a dormancy period, and its alerts need
 * no history). 0 only when every detector is off. */
int64_t jg_detect_horizon(const struct jg_detect *d);

/* kind's window under the policy's tune (NULL: defaults), in seconds;
 * 0 when the kind is turned off. The gate reads token_dormant's (the
 * dormancy period) here, so the default lives in one place. */
int64_t jg_alert_window(const struct jg_alert_tune tune[JG_AK_COUNT],
                        int kind);

/*
 * Feed one committed event (details: its parsed details, borrowed, may
 * be NULL); fn is called for each alert it raises. alert.raised and
 * alert.acknowledged events open and close the deduplication entries.
 */
void jg_detect_feed(struct jg_detect *d, const struct jg_event *ev,
                    const json_t *details, jg_alert_fn fn, void *ctx);

/*
 * The clock's turn: raise what is due by now without any event
 * (break_glass_overdue: a break-glass request whose post-review has not
 * been recorded within the window). Called after each feeding round.
 */
void jg_detect_clock(struct jg_detect *d, int64_t now, jg_alert_fn fn,
                     void *ctx);

/* 1 when an alert.raised of kind and subject was fed after the last
 * alert this detector raised for them: another server sharing the trail
 * raised it first, so this one need not. */
int jg_detect_recorded(const struct jg_detect *d, int kind,
                       const char *subject);

/* 1 when events of type use a grant (grant.used, grant.consumed, a
 * grant token, credentials or an SSH certificate handed out): new_source
 * reads their details. */
int jg_detect_is_use(const char *type);

/* "burst_principal"... for enum jg_alert_kind; NULL when out of range.
 * jg_alert_kind_of: the reverse, -1 when unknown. */
const char *jg_alert_kind_name(int kind);
int jg_alert_kind_of(const char *name);

#endif
