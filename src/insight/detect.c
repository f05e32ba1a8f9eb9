/*
 * detect.c - the alert detectors (detect.h): one row of defaults and one
 * small function per kind, fed the committed audit events in seq order.
 *
 * It must never fail a caller or grow without bound: every table has a
 * fixed number of slots, and a full table forgets its stalest subject
 * (an alert the forgotten counter would have raised is missed, which is
 * better than running out of memory on a trail of a million principals).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tz.h"
#include "util/timefmt.h"
#include "insight/detect.h"

#define COUNTERS 2048 /* windowed counters (kind + subject) */
#define REQUESTS 4096 /* recent requests: who asked, and when */
#define OPENS 1024    /* open alerts, for deduplication */
#define HOURS 2048    /* principals' usual hours */
#define GLASS 256     /* break-glass requests awaiting their post-review */
#define GRANTS 4096   /* live grants: used yet? */
#define PLACES 4096   /* principals' sources: when each was last seen */
#define PROBE 16      /* slots tried before evicting the stalest */
#define RING JG_ALERT_THRESHOLD_MAX
#define WHAT_MAX 200 /* what a counter counts, in words */

/* What every slot starts with: its key and when it was last touched. */
struct head {
	int used;
	int kind;
	char key[JG_ALERT_SUBJECT_MAX];
	int64_t last;
};

struct counter {
	struct head h;
	int64_t ts[RING];
	char ev[RING][JG_ID_LEN];
	unsigned char flag[RING]; /* rubber_stamp_ratio: 1 = stamped */
	unsigned n, pos; /* filled slots, next to write */
};

struct req {
	struct head h; /* key: the request id */
	char who[JG_NAME_MAX];
	int64_t created;
};

struct open {
	struct head h;       /* kind + subject */
	char id[JG_ID_LEN];  /* its alert.raised event, "" until fed */
};

/* When a principal acts: the last time (within the window) each hour of
 * the day, local to the principal's zone, saw a request or review of
 * theirs. */
struct hours {
	struct head h; /* key: the principal */
	int64_t seen[24];
	unsigned n; /* requests and reviews seen */
};

/* A break-glass request awaiting its post-review. */
struct glass {
	struct head h; /* key: the request id */
	char ev[JG_ID_LEN]; /* its alert.break_glass event */
	char who[JG_NAME_MAX];
	int64_t at;
};

/* A live grant and whether the trail shows it used. */
struct grant {
	struct head h; /* key: the grant id */
	char ev[JG_ID_LEN]; /* its grant.issued event */
	char who[JG_NAME_MAX];
	int used;
};

/* new_source: a principal seen at a source (key "principal>source");
 * h.last is when, last. */
struct place {
	struct head h;
};

struct jg_detect {
	struct jg_alert_tune tune[JG_AK_COUNT]; /* defaults filled in */
	struct hours *hours;                    /* owned [HOURS] */
	int (*sensitive)(const char *resource, void *ctx); /* or NULL */
	void *sensitive_ctx;
	const struct jg_tz *(*zone)(const char *principal, void *ctx);
	void *zone_ctx; /* zone: off_hours' zones, or NULL (UTC) */
	struct counter *ctr;                    /* owned [COUNTERS] */
	struct req *req;                        /* owned [REQUESTS] */
	struct open *open;                      /* owned [OPENS] */
	struct glass *glass;                    /* owned [GLASS] */
	struct grant *grants;                   /* owned [GRANTS] */
	struct place *places;                   /* owned [PLACES] */
};

/* One event being fed. */
struct feed {
	struct jg_detect *d;
	const struct jg_event *ev;
	const json_t *det; /* borrowed, may be NULL */
	jg_alert_fn fn;
	void *ctx;
};

/* ---- bounded hashed tables ---------------------------------------------- */

static uint32_t hash(int kind, const char *key)
{
	uint32_t h = 2166136261u ^ (uint32_t)kind;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

/* The slot of kind+key in base[0..n) (each size bytes, starting with a
 * struct head); with create, a new (zeroed) one when absent, evicting
 * the stalest of the probed slots. NULL when absent and not create. */
static struct head *slot(void *base, size_t size, size_t n, int kind,
                         const char *key, int64_t now, int create)
{
	uint32_t h = hash(kind, key);
	struct head *stalest = NULL;

	for (size_t i = 0; i < PROBE; i++) {
		struct head *s = (struct head *)((char *)base +
		                                 ((h + i) % n) * size);
		if (s->used && s->kind == kind && strcmp(s->key, key) == 0) {
			s->last = now > s->last ? now : s->last;
			return s;
		}
		if (!stalest || !s->used ||
		    (stalest->used && s->last < stalest->last))
			stalest = s;
	}
	if (!create)
		return NULL;
	memset(stalest, 0, size);
	stalest->used = 1;
	stalest->kind = kind;
	snprintf(stalest->key, sizeof(stalest->key), "%s", key);
	stalest->last = now;
	return stalest;
}

#define SLOT(tab, count, kind, key, now, create)                           \
	((void *)slot((tab), sizeof(*(tab)), (count), (kind), (key), (now), \
	              (create)))

/* ---- raising, once per open kind+subject -------------------------------- */

static void raise_alert(struct feed *f, struct jg_alert *a)
{
	const struct jg_alert_tune *t = &f->d->tune[a->kind];
	/* looked up at time 0: a look must not move the time it was raised */
	struct open *o = SLOT(f->d->open, OPENS, a->kind, a->subject, 0, 0);

	if (o && f->ev->ts - o->h.last < t->window)
		return; /* one open alert per kind+subject+window */
	o = SLOT(f->d->open, OPENS, a->kind, a->subject, f->ev->ts, 1);
	o->h.last = f->ev->ts;
	o->id[0] = '\0'; /* set when an alert.raised for it is fed */
	a->severity = t->severity;
	a->ts = f->ev->ts;
	f->fn(a, f->ctx);
}

/* Put the event in kind+subject's counter (made when new). */
static struct counter *push(struct feed *f, int kind, const char *subject)
{
	struct counter *c = SLOT(f->d->ctr, COUNTERS, kind, subject,
	                         f->ev->ts, 1);

	c->ts[c->pos] = f->ev->ts;
	memcpy(c->ev[c->pos], f->ev->id, JG_ID_LEN);
	c->pos = (c->pos + 1) % RING;
	c->n += c->n < RING;
	return c;
}

/*
 * Count the event under kind+subject; raise when threshold of them fall
 * within the window. what says what was counted ("requests by 'alice'").
 */
static void count(struct feed *f, int kind, const char *subject,
                  const char *what)
{
	const struct jg_alert_tune *t = &f->d->tune[kind];
	struct counter *c = push(f, kind, subject);
	struct jg_alert a = {.kind = kind};
	char win[32];

	for (unsigned i = 0; i < c->n; i++)
		if (c->ts[i] > f->ev->ts - t->window)
			memcpy(a.events[a.nevents++], c->ev[i], JG_ID_LEN);
	if ((int)a.nevents < t->threshold)
		return;
	snprintf(a.subject, sizeof(a.subject), "%s", subject);
	jg_duration_format(t->window, win, sizeof(win));
	snprintf(a.summary, sizeof(a.summary), "%zu %.180s within %.30s", a.nevents,
	         what, win);
	raise_alert(f, &a);
}

/* ---- the detectors ------------------------------------------------------ */

static const char *detail(const struct feed *f, const char *key)
{
	const char *s = json_string_value(json_object_get(f->det, key));
	return s ? s : "";
}

/* The requester of the request the event is about, or NULL. */
static const struct req *request_of(const struct feed *f)
{
	return SLOT(f->d->req, REQUESTS, 0, f->ev->subject, f->ev->ts, 0);
}

static void burst_principal(struct feed *f, int kind)
{
	char what[WHAT_MAX];

	snprintf(what, sizeof(what), "requests by '%s'", f->ev->actor);
	count(f, kind, f->ev->actor, what);
}

static void burst_resource(struct feed *f, int kind)
{
	char what[WHAT_MAX];
	const char *res = detail(f, "resource");

	snprintf(what, sizeof(what), "requests for '%s'", res);
	if (*res)
		count(f, kind, res, what);
}

static void denials(struct feed *f, int kind)
{
	const struct req *r = request_of(f);
	char what[WHAT_MAX];

	if (!r)
		return;
	snprintf(what, sizeof(what), "denied requests of '%s'", r->who);
	count(f, kind, r->who, what);
}

static int approves(const struct feed *f)
{
	return strcmp(detail(f, "verdict"), "approve") == 0;
}

/* An approval this soon after the request can hardly be a review. */
static void rubber_stamp(struct feed *f, int kind)
{
	const struct req *r = request_of(f);
	char what[WHAT_MAX], within[32];

	if (!r || !approves(f) ||
	    f->ev->ts - r->created > f->d->tune[kind].within)
		return;
	jg_duration_format(f->d->tune[kind].within, within, sizeof(within));
	snprintf(what, sizeof(what), "approvals by '%.63s' each within "
	         "%.20s of the request", f->ev->actor, within);
	count(f, kind, f->ev->actor, what);
}

static void collusion(struct feed *f, int kind)
{
	const struct req *r = request_of(f);
	char pair[JG_ALERT_SUBJECT_MAX], what[WHAT_MAX];

	if (!r || !approves(f))
		return;
	snprintf(pair, sizeof(pair), "%s>%s", r->who, f->ev->actor);
	snprintf(what, sizeof(what), "approvals of '%.63s' by '%.63s'", r->who,
	         f->ev->actor);
	count(f, kind, pair, what);
}

/* An approval without a comment (none, or only blanks). */
static int stamped(const struct feed *f)
{
	const char *c = detail(f, "comment");

	if (!approves(f))
		return 0;
	while (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
		c++;
	return *c == '\0';
}

/*
 * An approver whose reviews within the window number at least threshold
 * and are at least 95% approvals without a comment. Judged on a stamped
 * review only; the counter keeps the last RING reviews, which is enough
 * since threshold <= RING. The alert names the stamped reviews.
 */
static void rubber_stamp_ratio(struct feed *f, int kind)
{
	const struct jg_alert_tune *t = &f->d->tune[kind];
	struct counter *c = push(f, kind, f->ev->actor);
	struct jg_alert a = {.kind = kind};
	unsigned all = 0;
	char win[32];

	c->flag[(c->pos + RING - 1) % RING] = (unsigned char)stamped(f);
	if (!stamped(f))
		return;
	for (unsigned i = 0; i < c->n; i++) {
		if (c->ts[i] <= f->ev->ts - t->window)
			continue;
		all++;
		if (c->flag[i])
			memcpy(a.events[a.nevents++], c->ev[i], JG_ID_LEN);
	}
	if ((int)all < t->threshold || a.nevents * 100 < all * 95)
		return;
	snprintf(a.subject, sizeof(a.subject), "%s", f->ev->actor);
	jg_duration_format(t->window, win, sizeof(win));
	snprintf(a.summary, sizeof(a.summary), "%zu of %u reviews by '%.63s' "
	         "within %.30s were approvals without a comment", a.nevents,
	         all, f->ev->actor, win);
	raise_alert(f, &a);
}

/* Every use is its own alert: the subject is the request. */
static void break_glass(struct feed *f, int kind)
{
	char what[WHAT_MAX];

	snprintf(what, sizeof(what), "break-glass use by '%s' (request %s)",
	         f->ev->actor, f->ev->subject);
	count(f, kind, f->ev->subject, what);
}

/* break_glass_overdue, fed: a use opens a wait for its post-review,
 * the post-review ends it. The clock raises (glass_due). */
static void glass_wait(struct feed *f, int kind)
{
	struct glass *w;

	if (strcmp(f->ev->type, "request.post_reviewed") == 0) {
		w = SLOT(f->d->glass, GLASS, kind, f->ev->subject, 0, 0);
		if (w)
			w->h.used = 0;
		return;
	}
	w = SLOT(f->d->glass, GLASS, kind, f->ev->subject, f->ev->ts, 1);
	memcpy(w->ev, f->ev->id, JG_ID_LEN);
	snprintf(w->who, sizeof(w->who), "%s", f->ev->actor);
	w->at = f->ev->ts;
}

/* break_glass_overdue, by the clock: every wait older than the window
 * raises once (the wait ends with it). */
static void glass_due(struct feed *f, int kind)
{
	const struct jg_alert_tune *t = &f->d->tune[kind];
	char win[32];

	jg_duration_format(t->window, win, sizeof(win));
	for (size_t i = 0; i < GLASS; i++) {
		struct glass *w = &f->d->glass[i];
		struct jg_alert a = {.kind = kind, .nevents = 1};

		if (!w->h.used || f->ev->ts - w->at < t->window)
			continue;
		w->h.used = 0;
		memcpy(a.events[0], w->ev, JG_ID_LEN);
		snprintf(a.subject, sizeof(a.subject), "%s", w->h.key);
		snprintf(a.summary, sizeof(a.summary), "break-glass request %.40s "
		         "by '%.63s' has no post-review after %.30s", w->h.key,
		         w->who, win);
		raise_alert(f, &a);
	}
}

/*
 * grant_unused: a grant that expired or completed with no grant.used,
 * grant.consumed or grant.token_issued for it (an execution consumes
 * its grant: grant.consumed). A check that consumes nothing leaves no
 * event, so "unused" means unused as far as the trail shows. A revoked
 * grant was ended by someone who knew: no alert.
 */
static void grant_unused(struct feed *f, int kind)
{
	const char *t = f->ev->type;
	struct grant *gr;
	struct jg_alert a = {.kind = kind, .nevents = 2};

	if (strcmp(t, "grant.issued") == 0) {
		gr = SLOT(f->d->grants, GRANTS, kind, f->ev->subject,
		          f->ev->ts, 1);
		memcpy(gr->ev, f->ev->id, JG_ID_LEN);
		snprintf(gr->who, sizeof(gr->who), "%s", detail(f, "principal"));
		return;
	}
	if (!(gr = SLOT(f->d->grants, GRANTS, kind, f->ev->subject,
	                f->ev->ts, 0)))
		return;
	if (strcmp(t, "grant.used") == 0 || strcmp(t, "grant.consumed") == 0 ||
	    strcmp(t, "grant.token_issued") == 0)
		gr->used = 1;
	if (strcmp(t, "grant.revoked") == 0 || strcmp(t, "grant.consumed") == 0)
		gr->h.used = 0; /* ended, and not unused: forgotten */
	if (strcmp(t, "grant.expired") != 0 &&
	    strcmp(t, "grant.completed") != 0)
		return;
	gr->h.used = 0; /* ended: forgotten either way */
	if (gr->used)
		return;
	memcpy(a.events[0], gr->ev, JG_ID_LEN);
	memcpy(a.events[1], f->ev->id, JG_ID_LEN);
	snprintf(a.subject, sizeof(a.subject), "%s", f->ev->subject);
	snprintf(a.summary, sizeof(a.summary), "grant %.40s of '%.63s' %s "
	         "and the trail shows no use of it", f->ev->subject, gr->who,
	         t + 6);
	raise_alert(f, &a);
}

static void policy_event(struct feed *f, int kind)
{
	char what[WHAT_MAX];

	snprintf(what, sizeof(what), "%s by '%s'",
	         kind == JG_AK_POLICY_RELOAD ? "policy reloads"
	                                     : "refused policy reloads",
	         f->ev->actor);
	count(f, kind, f->ev->actor, what);
}

/*
 * A request or review at an hour the principal has not used, nor the
 * hours either side of it, within the window -- once they have a
 * history (threshold events). Hours are the principal's local ones (the
 * policy's off_hours time zones; UTC when none is set), so a DST change
 * does not move anyone's usual hours; a team that works across local
 * midnight has usual hours on both sides and is judged alike.
 */
static void off_hours(struct feed *f, int kind)
{
	const struct jg_alert_tune *t = &f->d->tune[kind];
	struct hours *hs = SLOT(f->d->hours, HOURS, kind, f->ev->actor,
	                        f->ev->ts, 1);
	const struct jg_tz *tz = f->d->zone ? f->d->zone(f->ev->actor,
	                                                 f->d->zone_ctx)
	                                    : NULL;
	int64_t local = f->ev->ts + (tz ? jg_tz_offset(tz, f->ev->ts) : 0);
	int minute = (int)((local % 86400 + 86400) % 86400 / 60);
	int hour = minute / 60;
	int64_t since = f->ev->ts - t->window;
	struct jg_alert a = {.kind = kind, .nevents = 1};

	if (hs->n >= (unsigned)t->threshold &&
	    hs->seen[(hour + 23) % 24] <= since && hs->seen[hour] <= since &&
	    hs->seen[(hour + 1) % 24] <= since) {
		memcpy(a.events[0], f->ev->id, JG_ID_LEN);
		snprintf(a.subject, sizeof(a.subject), "%s", f->ev->actor);
		snprintf(a.summary, sizeof(a.summary), "'%.63s': %s at %02d:%02d "
		         "%.63s, outside their usual hours", f->ev->actor,
		         f->ev->type, hour, minute % 60,
		         tz ? jg_tz_name(tz) : "UTC");
		raise_alert(f, &a);
	}
	hs->seen[hour] = f->ev->ts;
	hs->n++;
}

/*
 * A principal's first request for a sensitive resource within the window
 * (the trail re-read at start reaches that far back, no further): a
 * counter slot per principal and resource marks it seen.
 */
static void first_sensitive(struct feed *f, int kind)
{
	const char *res = detail(f, "resource");
	char key[JG_ALERT_SUBJECT_MAX], what[WHAT_MAX];
	struct counter *c;

	if (!*res || !f->d->sensitive ||
	    !f->d->sensitive(res, f->d->sensitive_ctx))
		return;
	snprintf(key, sizeof(key), "%.63s>%.63s", f->ev->actor, res);
	c = SLOT(f->d->ctr, COUNTERS, kind, key, f->ev->ts, 0);
	if (c && c->n > 0 && c->ts[(c->pos + RING - 1) % RING] >
	                             f->ev->ts - f->d->tune[kind].window) {
		push(f, kind, key);
		return; /* seen within the window: not the first */
	}
	snprintf(what, sizeof(what), "first request by '%.63s' for "
	         "sensitive '%.63s'", f->ev->actor, res);
	count(f, kind, key, what);
}

/* Raise kind on subject from the event being fed alone. */
static void raise_one(struct feed *f, int kind, const char *subject,
                      const char *summary)
{
	struct jg_alert a = {.kind = kind, .nevents = 1};

	memcpy(a.events[0], f->ev->id, JG_ID_LEN);
	snprintf(a.subject, sizeof(a.subject), "%s", subject);
	snprintf(a.summary, sizeof(a.summary), "%s", summary);
	raise_alert(f, &a);
}

/* A detail that is a number, as text ("" when absent). */
static void detail_int(const struct feed *f, const char *key, char *out,
                       size_t len)
{
	json_t *v = json_object_get(f->det, key);

	snprintf(out, len, "%s", "");
	if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
}

/*
 * token_dormant: the gate appends token.reactivated when a token idle
 * for longer than this kind's window is used (gate.c); every one is an
 * alert on the token. Its window is the gate's dormancy period, so a
 * token cannot raise twice within it anyway.
 */
static void token_dormant(struct feed *f, int kind)
{
	char days[24], sum[JG_ALERT_SUMMARY_MAX];

	detail_int(f, "idle_days", days, sizeof(days));
	snprintf(sum, sizeof(sum), "token %.40s of '%.63s' used again after "
	         "%s days unused", f->ev->subject, detail(f, "principal"),
	         *days ? days : "many");
	raise_one(f, kind, f->ev->subject, sum);
}

/* checkpoint_failed: the signer could not write a checkpoint (the gate
 * appends audit.checkpoint_failed at most once per JG_CKPT_FAIL_EVERY
 * while it keeps failing). One subject: the server's checkpoints. */
static void checkpoint_failed(struct feed *f, int kind)
{
	char seq[24], sum[JG_ALERT_SUMMARY_MAX];

	detail_int(f, "seq", seq, sizeof(seq));
	snprintf(sum, sizeof(sum), "cannot write the audit checkpoint of seq "
	         "%s: %.120s", seq, detail(f, "error"));
	raise_one(f, kind, "checkpoint", sum);
}

/* audit_verify_failed: a server verified the trail and found it broken;
 * the subject is the first bad seq, so verifying the same break again
 * raises nothing more while the alert is open. */
static void audit_verify_failed(struct feed *f, int kind)
{
	char seq[24], sum[JG_ALERT_SUMMARY_MAX];

	detail_int(f, "first_bad_seq", seq, sizeof(seq));
	snprintf(sum, sizeof(sum), "the audit trail is broken at seq %s: "
	         "%.180s", seq, detail(f, "reason"));
	raise_one(f, kind, seq, sum);
}

/* A row's event types: one, a prefix of them ending in '.' ("grant."),
 * or several of either joined by '|'. */
static int feeds(const char *on, const char *type)
{
	size_t n = strcspn(on, "|");

	if (n && (on[n - 1] == '.' ? strncmp(on, type, n) == 0
	                           : strncmp(on, type, n) == 0 &&
	                                     type[n] == '\0'))
		return 1;
	return on[n] == '|' && feeds(on + n + 1, type);
}

/* The events that use a grant and say from where (`source`). */
#define USES "grant.used|grant.consumed|grant.token_issued|" \
             "credentials.issued|ssh_cert.issued"

/*
 * new_source: a grant used from a source the principal has not been seen
 * at within the window, once they have threshold earlier sightings in
 * it. Sightings: request.created (its context's source_ip) and the use
 * events (their source; the principal is the grant's when the event
 * names it, else the actor). Only a use raises: asking from a new place
 * is not using a grant.
 */
static void new_source(struct feed *f, int kind)
{
	const struct jg_alert_tune *t = &f->d->tune[kind];
	int use = strcmp(f->ev->type, "request.created") != 0;
	const json_t *ctx = json_object_get(f->det, "context");
	const char *src = use ? detail(f, "source")
	                      : json_string_value(json_object_get(ctx,
	                                                          "source_ip"));
	const char *who = use && *detail(f, "principal") ? detail(f, "principal")
	                                                 : f->ev->actor;
	struct jg_alert a = {.kind = kind, .nevents = 1};
	struct place *p;
	struct counter *c;
	unsigned earlier = 0;
	char key[JG_ALERT_SUBJECT_MAX], win[32];

	if (!src || !*src || !*who)
		return;
	snprintf(key, sizeof(key), "%.63s>%.63s", who, src);
	p = SLOT(f->d->places, PLACES, kind, key, 0, 0);
	c = SLOT(f->d->ctr, COUNTERS, kind, who, 0, 0);
	for (unsigned i = 0; c && i < c->n; i++)
		earlier += c->ts[i] > f->ev->ts - t->window;
	if (use && (!p || p->h.last <= f->ev->ts - t->window) &&
	    earlier >= (unsigned)t->threshold) {
		memcpy(a.events[0], f->ev->id, JG_ID_LEN);
		snprintf(a.subject, sizeof(a.subject), "%s", key);
		jg_duration_format(t->window, win, sizeof(win));
		snprintf(a.summary, sizeof(a.summary), "'%.63s' used grant "
		         "%.40s from %.45s, not seen for them within %.30s",
		         who, f->ev->subject, src, win);
		raise_alert(f, &a);
	}
	SLOT(f->d->places, PLACES, kind, key, f->ev->ts, 1);
	push(f, kind, who);
}

int jg_detect_is_use(const char *type)
{
	return feeds(USES, type);
}

/* One row per kind, in enum order: what feeds it and its defaults. */
static const struct row {
	const char *name;
	const char *on, *on2; /* event types that feed it (on2 may be NULL) */
	void (*fn)(struct feed *f, int kind);
	struct jg_alert_tune dflt;
} rows[JG_AK_COUNT] = {
        {"burst_principal", "request.created", NULL, burst_principal,
         {0, 10, 600, 0, JG_MEDIUM}},
        {"burst_resource", "request.created", NULL, burst_resource,
         {0, 30, 600, 0, JG_MEDIUM}},
        {"denials", "request.denied", NULL, denials, {0, 5, 86400, 0, JG_HIGH}},
        {"rubber_stamp", "review.recorded", NULL, rubber_stamp,
         {0, 5, 86400, 30, JG_MEDIUM}},
        {"collusion", "review.recorded", NULL, collusion,
         {0, 20, 7 * 86400, 0, JG_MEDIUM}},
        {"break_glass", "alert.break_glass", NULL, break_glass,
         {0, 1, 86400, 0, JG_CRITICAL}},
        {"policy_reload", "policy.reloaded", NULL, policy_event,
         {0, 1, 3600, 0, JG_LOW}},
        {"policy_refused", "policy.reload_refused", NULL, policy_event,
         {0, 1, 3600, 0, JG_MEDIUM}},
        {"off_hours", "request.created", "review.recorded", off_hours,
         {0, 20, 30 * 86400, 0, JG_MEDIUM}},
        {"first_sensitive", "request.created", NULL, first_sensitive,
         {0, 1, 30 * 86400, 0, JG_MEDIUM}},
        {"rubber_stamp_ratio", "review.recorded", NULL, rubber_stamp_ratio,
         {0, 20, 7 * 86400, 0, JG_MEDIUM}},
        {"break_glass_overdue", "alert.break_glass", "request.post_reviewed",
         glass_wait, {0, 1, 86400, 0, JG_HIGH}},
        {"grant_unused", "grant.", NULL, grant_unused,
         {0, 1, 86400, 0, JG_LOW}},
        {"token_dormant", "token.reactivated", NULL, token_dormant,
         {0, 1, 90 * 86400, 0, JG_HIGH}},
        {"checkpoint_failed", "audit.checkpoint_failed", NULL,
         checkpoint_failed, {0, 1, 3600, 0, JG_CRITICAL}},
        {"audit_verify_failed", "audit.verify_failed", NULL,
         audit_verify_failed, {0, 1, 86400, 0, JG_CRITICAL}},
        {"new_source", "request.created", USES, new_source,
         {0, 3, 30 * 86400, 0, JG_MEDIUM}},
};

/* ---- the module --------------------------------------------------------- */

const char *jg_alert_kind_name(int kind)
{
	return kind >= 0 && kind < JG_AK_COUNT ? rows[kind].name : NULL;
}

int jg_alert_kind_of(const char *name)
{
	for (int i = 0; i < JG_AK_COUNT; i++)
		if (strcmp(rows[i].name, name) == 0)
			return i;
	return -1;
}

enum jg_err jg_detect_new(struct jg_detect **out)
{
	struct jg_detect *d = calloc(1, sizeof(*d));

	*out = NULL;
	if (!d || !(d->ctr = calloc(COUNTERS, sizeof(*d->ctr))) ||
	    !(d->req = calloc(REQUESTS, sizeof(*d->req))) ||
	    !(d->open = calloc(OPENS, sizeof(*d->open))) ||
	    !(d->hours = calloc(HOURS, sizeof(*d->hours))) ||
	    !(d->glass = calloc(GLASS, sizeof(*d->glass))) ||
	    !(d->grants = calloc(GRANTS, sizeof(*d->grants))) ||
	    !(d->places = calloc(PLACES, sizeof(*d->places)))) {
		jg_detect_free(d);
		return JG_ENOMEM;
	}
	jg_detect_tune(d, NULL);
	*out = d;
	return JG_OK;
}

void jg_detect_free(struct jg_detect *d)
{
	if (!d)
		return;
	free(d->ctr);
	free(d->req);
	free(d->open);
	free(d->hours);
	free(d->glass);
	free(d->grants);
	free(d->places);
	free(d);
}

void jg_detect_tune(struct jg_detect *d,
                    const struct jg_alert_tune tune[JG_AK_COUNT])
{
	for (int i = 0; i < JG_AK_COUNT; i++) {
		const struct jg_alert_tune *o = tune ? &tune[i] : NULL;
		struct jg_alert_tune *t = &d->tune[i];

		*t = rows[i].dflt;
		if (!o)
			continue;
		t->off = o->off;
		t->threshold = o->threshold ? o->threshold : t->threshold;
		t->window = o->window ? o->window : t->window;
		t->within = o->within ? o->within : t->within;
		t->severity = o->severity ? o->severity : t->severity;
	}
}

void jg_detect_sensitive(struct jg_detect *d,
                         int (*fn)(const char *resource, void *ctx),
                         void *ctx)
{
	d->sensitive = fn;
	d->sensitive_ctx = ctx;
}

void jg_detect_zone(struct jg_detect *d,
                    const struct jg_tz *(*fn)(const char *principal,
                                              void *ctx),
                    void *ctx)
{
	d->zone = fn;
	d->zone_ctx = ctx;
}

/* token_dormant's window is the gate's dormancy period (months), not
 * a counter's: its alerts need no history, so no replay reaches that far
 * for it. */
static int replays(int kind)
{
	return kind != JG_AK_TOKEN_DORMANT;
}

int64_t jg_detect_horizon(const struct jg_detect *d)
{
	int64_t h = 0;

	for (int i = 0; i < JG_AK_COUNT; i++) {
		/* on, it must be fed: a horizon of 0 means none is */
		int64_t w = replays(i) ? d->tune[i].window : 1;

		if (!d->tune[i].off && w > h)
			h = w;
	}
	return h;
}

int64_t jg_alert_window(const struct jg_alert_tune tune[JG_AK_COUNT],
                        int kind)
{
	if (kind < 0 || kind >= JG_AK_COUNT || (tune && tune[kind].off))
		return 0;
	return tune && tune[kind].window ? tune[kind].window
	                                 : rows[kind].dflt.window;
}

/* alert.raised / alert.acknowledged: the deduplication entries. */
static void track(struct feed *f)
{
	struct jg_detect *d = f->d;
	int kind = jg_alert_kind_of(detail(f, "kind"));
	const char *id = detail(f, "alert_id");
	struct open *o;

	if (strcmp(f->ev->type, "alert.raised") == 0 && kind >= 0) {
		o = SLOT(d->open, OPENS, kind, detail(f, "subject"),
		         f->ev->ts, 1);
		memcpy(o->id, f->ev->id, JG_ID_LEN);
		if (kind == JG_AK_BREAK_GLASS_OVERDUE) { /* raised: no wait */
			struct glass *w = SLOT(d->glass, GLASS, kind,
			                       detail(f, "subject"), 0, 0);
			if (w)
				w->h.used = 0;
		}
		return;
	}
	for (size_t i = 0; *id && i < OPENS; i++)
		if (d->open[i].h.used && strcmp(d->open[i].id, id) == 0)
			d->open[i].h.used = 0; /* acknowledged: closed */
}

void jg_detect_feed(struct jg_detect *d, const struct jg_event *ev,
                    const json_t *details, jg_alert_fn fn, void *ctx)
{
	struct feed f = {d, ev, details, fn, ctx};

	if (strncmp(ev->type, "alert.", 6) == 0 &&
	    strcmp(ev->type, "alert.break_glass") != 0) {
		track(&f);
		return;
	}
	if (strcmp(ev->type, "request.created") == 0) {
		struct req *r = SLOT(d->req, REQUESTS, 0, ev->subject,
		                     ev->ts, 1);
		snprintf(r->who, sizeof(r->who), "%s", ev->actor);
		r->created = ev->ts;
	}
	for (int i = 0; i < JG_AK_COUNT; i++)
		if (!d->tune[i].off && (feeds(rows[i].on, ev->type) ||
		                        (rows[i].on2 &&
		                         feeds(rows[i].on2, ev->type))))
			rows[i].fn(&f, i);
}

void jg_detect_clock(struct jg_detect *d, int64_t now, jg_alert_fn fn,
                     void *ctx)
{
	struct jg_event tick = {.ts = now};
	struct feed f = {d, &tick, NULL, fn, ctx};

	if (!d->tune[JG_AK_BREAK_GLASS_OVERDUE].off)
		glass_due(&f, JG_AK_BREAK_GLASS_OVERDUE);
}

int jg_detect_recorded(const struct jg_detect *d, int kind,
                       const char *subject)
{
	const struct open *o = SLOT(d->open, OPENS, kind, subject, 0, 0);
	return o && o->id[0];
}
