/*
 * report.c - gathering the evidence for a period: one walk over the
 * whole audit trail that verifies the chain and folds each event of
 * [since, until) into the report's model (report.h). Requests are
 * remembered by id while the walk goes on, so a grant row can say who
 * asked, why and who approved; a grant whose request was made before
 * the period shows what the trail of the period holds and no more.
 * Never writes anything.
 */
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "gate/internal.h"
#include "insight/report.h"
#include "util/timefmt.h"

#define MAX_TYPES 96 /* distinct event types counted (the code records ~40) */
#define MAX_SHARED 4096 /* distinct strings shared between rows */

/* What the walk keeps; every json_t is owned here until moved out. */
struct gather {
	json_t *reqs;     /* req id -> what its events said */
	json_t *grants;   /* the grant rows, in order of issue */
	json_t *grant_ix; /* grant id -> its row (borrowed refs) */
	json_t *bg;       /* break-glass uses */
	json_t *bg_ix;    /* req id -> its break-glass row */
	json_t *policy;   /* policy changes and refusals */
	json_t *alerts;   /* alert.raised rows */
	json_t *alert_ix; /* alert id -> row */
	json_t *by_requester; /* reviews whose reviewer was the requester */
	struct { /* events of each type in the period */
		char type[JG_EVENT_TYPE_MAX];
		int64_t n;
	} counts[MAX_TYPES];
	size_t ntypes;
	json_t *by_resource;
	json_t *strs;     /* text -> its one string value (see shared) */
	int64_t since, until; /* the period: ts >= since, ts < until */
	int64_t first_seq, last_seq, events;
	int failed;
};

const char *jg_report_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

json_t *jg_report_time(int64_t t)
{
	char buf[JG_TIME_LEN];

	if (t <= 0)
		return json_null();
	jg_time_format(t, buf);
	return json_string(buf);
}

/* The seconds of an RFC 3339 string, 0 when absent or bad. */
static int64_t time_of(const char *s)
{
	int64_t t = 0;

	if (!s || !*s || jg_time_parse(s, &t) != JG_OK)
		return 0;
	return t;
}

/* Count one event of type t: a short linear table, no allocation. */
static void count_type(struct gather *g, const char *t)
{
	size_t i;

	for (i = 0; i < g->ntypes; i++)
		if (strcmp(g->counts[i].type, t) == 0)
			break;
	if (i == g->ntypes) {
		if (g->ntypes == MAX_TYPES)
			return;
		snprintf(g->counts[i].type, sizeof(g->counts[i].type), "%s", t);
		g->ntypes++;
	}
	g->counts[i].n++;
}

static int64_t type_count(const struct gather *g, const char *t)
{
	for (size_t i = 0; i < g->ntypes; i++)
		if (strcmp(g->counts[i].type, t) == 0)
			return g->counts[i].n;
	return 0;
}

static void count(json_t *o, const char *key)
{
	json_int_t n = json_integer_value(json_object_get(o, key));
	json_object_set_new(o, key, json_integer(n + 1));
}

/*
 * A new reference to one string value for s, shared by every row that
 * shows it: a year's rows repeat the same few principals, resources and
 * actions, and a copy in each row cost memory and an allocation or two.
 * Values are never changed in place (a row's member is replaced), so
 * sharing shows nothing different. NULL when s is not UTF-8.
 */
static json_t *shared(struct gather *g, const char *s)
{
	json_t *v = json_object_get(g->strs, s);

	if (v)
		return json_incref(v);
	if (json_object_size(g->strs) >= MAX_SHARED)
		return json_string(s);
	v = json_string(s);
	if (v)
		json_object_set(g->strs, s, v);
	return v;
}

/* Member key of d as jg_report_str reads it, as a new reference: d's
 * own string value (no copy), else "". */
static json_t *str_of(const json_t *d, const char *key)
{
	json_t *v = json_object_get(d, key);

	return json_is_string(v) ? json_incref(v) : json_string("");
}

static void on_request(struct gather *g, const struct jg_event *ev,
                       json_t *d)
{
	json_t *ticket = json_object_get(d, "ticket");
	json_t *r = json_pack("{s:o,s:o,s:o,s:o,s:O,s:o,s:o,s:I,s:o,s:b}",
	                      "requester", shared(g, ev->actor), "resource",
	                      shared(g, jg_report_str(d, "resource")), "action",
	                      shared(g, jg_report_str(d, "action")), "reason",
	                      str_of(d, "reason"), "ticket",
	                      ticket ? ticket : json_null(), "duration",
	                      shared(g, jg_report_str(d, "duration")), "rule",
	                      shared(g, jg_report_str(d, "rule")), "ts",
	                      (json_int_t)ev->ts, "approvers", json_array(),
	                      "break_glass", 0);

	if (r)
		json_object_set_new(g->reqs, ev->subject, r);
}

static void on_review(struct gather *g, const struct jg_event *ev,
                      json_t *d)
{
	json_t *r = json_object_get(g->reqs, ev->subject);

	if (r && strcmp(jg_report_str(r, "requester"), ev->actor) == 0)
		json_array_append_new(g->by_requester,
		                      json_pack("{s:s,s:s,s:I}", "request_id",
		                                ev->subject, "reviewer", ev->actor,
		                                "seq", (json_int_t)ev->seq));
	if (r && strcmp(jg_report_str(d, "verdict"), "approve") == 0)
		json_array_append_new(json_object_get(r, "approvers"),
		                      json_string(ev->actor));
}

static void on_decided(struct gather *g, const struct jg_event *ev)
{
	json_t *r = json_object_get(g->reqs, ev->subject);

	if (!r)
		return;
	json_object_set_new(r, "decided_by", json_string(ev->actor));
	json_object_set_new(r, "decided_ts", json_integer(ev->ts));
}

static void on_break_glass(struct gather *g, const struct jg_event *ev,
                           json_t *d)
{
	json_t *r = json_object_get(g->reqs, ev->subject);
	json_t *row = json_pack("{s:s,s:o,s:s,s:s,s:s,s:s,s:s,s:n,s:n,s:n}",
	                        "request_id", ev->subject, "at",
	                        jg_report_time(ev->ts), "requester", ev->actor,
	                        "resource", jg_report_str(d, "resource"), "action",
	                        jg_report_str(d, "action"), "reason",
	                        jg_report_str(d, "reason"),
	                        "review", "not reviewed", "reviewed_by",
	                        "reviewed_at", "review_comment");

	if (r)
		json_object_set_new(r, "break_glass", json_true());
	if (!row)
		return;
	json_array_append_new(g->bg, row);
	json_object_set(g->bg_ix, ev->subject, row);
}

static void on_post_review(struct gather *g, const struct jg_event *ev,
                           json_t *d)
{
	json_t *row = json_object_get(g->bg_ix, ev->subject);

	if (!row)
		return;
	json_object_set_new(row, "review", json_string("reviewed"));
	json_object_set_new(row, "reviewed_by", json_string(ev->actor));
	json_object_set_new(row, "reviewed_at", jg_report_time(ev->ts));
	json_object_set(row, "review_comment",
	                json_object_get(d, "comment") ? json_object_get(d,
	                                                                "comment")
	                                              : json_null());
}

/* Who approved r: its approving reviewers, else the policy or the
 * break-glass requester, as the trail says. */
static json_t *approved_by(const json_t *r)
{
	json_t *a = json_object_get(r, "approvers");

	if (json_array_size(a))
		return json_copy(a);
	if (json_is_true(json_object_get(r, "break_glass")))
		return json_pack("[s]", "break-glass (self, reviewed after)");
	if (strcmp(jg_report_str(r, "decided_by"), JG_ACTOR_SYSTEM) == 0)
		return json_pack("[s]", "policy (automatic)");
	return json_array();
}

static void on_grant(struct gather *g, const struct jg_event *ev, json_t *d)
{
	const char *rid = jg_report_str(d, "request_id");
	json_t *r = json_object_get(g->reqs, rid);
	int64_t exp = time_of(jg_report_str(d, "expires_at"));
	int64_t start = time_of(jg_report_str(d, "start_at"));
	int64_t from = start ? start : ev->ts;
	json_t *row;

	row = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
	                "s:o,s:o,s:i,s:o,s:n,s:n,s:n}",
	                "grant_id", ev->subject, "request_id", rid, "principal",
	                shared(g, jg_report_str(d, "principal")), "resource",
	                shared(g, jg_report_str(d, "resource")),
	                "action", shared(g, jg_report_str(d, "action")),
	                "reason", r ? str_of(r, "reason") : json_null(),
	                "ticket", r && json_object_get(r, "ticket")
	                                  ? json_incref(json_object_get(r,
	                                                                "ticket"))
	                                  : json_null(),
	                "approved_by", r ? approved_by(r) : json_array(),
	                "break_glass",
	                json_boolean(r && json_is_true(json_object_get(
	                                          r, "break_glass"))),
	                "requested_at",
	                r ? jg_report_time(json_integer_value(
	                            json_object_get(r, "ts")))
	                  : json_null(),
	                "issued_at", jg_report_time(ev->ts), "expires_at",
	                jg_report_time(exp), "seconds_to_approve",
	                r ? json_integer(ev->ts - json_integer_value(
	                                                  json_object_get(r, "ts")))
	                  : json_null(),
	                "seconds_granted", json_integer(exp > from ? exp - from
	                                                           : 0),
	                "extensions", 0, "ended", shared(g, "active"),
	                "ended_at", "ended_by", "end_reason");
	if (!row) {
		g->failed = 1;
		return;
	}
	json_array_append_new(g->grants, row);
	json_object_set(g->grant_ix, ev->subject, row);
	count(g->by_resource, jg_report_str(d, "resource"));
	/* the row has what it needs: a year's requests need not stay */
	json_object_del(g->reqs, rid);
}

/* An extension lengthens the grant's row: its new expiry, the seconds
 * added, how many times. */
static void on_grant_extended(struct gather *g, const struct jg_event *ev,
                              json_t *d)
{
	json_t *row = json_object_get(g->grant_ix, ev->subject);

	json_object_del(g->reqs, jg_report_str(d, "request_id"));
	if (!row)
		return;
	json_object_set(row, "expires_at", json_object_get(d, "expires_at"));
	json_object_set_new(row, "seconds_granted",
	                    json_integer(json_integer_value(json_object_get(
	                                         row, "seconds_granted")) +
	                                 json_integer_value(json_object_get(
	                                         d, "seconds"))));
	count(row, "extensions");
}

static void on_grant_end(struct gather *g, const struct jg_event *ev,
                         json_t *d, const char *how)
{
	json_t *row = json_object_get(g->grant_ix, ev->subject);

	if (!row)
		return;
	json_object_set_new(row, "ended", json_string(how));
	json_object_set_new(row, "ended_at", jg_report_time(ev->ts));
	json_object_set_new(row, "ended_by", json_string(ev->actor));
	json_object_set(row, "end_reason",
	                json_object_get(d, "reason") ? json_object_get(d,
	                                                               "reason")
	                                             : json_null());
}

static void on_policy(struct gather *g, const struct jg_event *ev,
                      json_t *d, int ok)
{
	json_array_append_new(
	        g->policy,
	        json_pack("{s:I,s:o,s:s,s:s,s:s,s:o,s:o,s:o}", "seq",
	                  (json_int_t)ev->seq, "at", jg_report_time(ev->ts), "by",
	                  ev->actor, "outcome", ok ? "reloaded" : "refused",
	                  "path", jg_report_str(d, "path"), "sha256",
	                  ok ? json_string(jg_report_str(d, "sha256")) : json_null(),
	                  "previous_sha256",
	                  ok ? json_string(jg_report_str(d, "previous_sha256"))
	                     : json_null(),
	                  "error", ok ? json_null()
	                              : json_string(jg_report_str(d, "error"))));
}

/* alert.raised {kind, severity, subject, summary, events}: the alerts'
 * shape; an alert's id is its alert.raised event's id, which
 * alert.acknowledged {alert_id, comment} names. */
static void on_alert(struct gather *g, const struct jg_event *ev, json_t *d)
{
	json_t *evs = json_object_get(d, "events"), *row;

	row = json_pack("{s:s,s:I,s:o,s:s,s:s,s:s,s:s,s:o,s:s,s:n,s:n,s:n}",
	                "alert_id", ev->id, "seq", (json_int_t)ev->seq, "at",
	                jg_report_time(ev->ts), "kind", jg_report_str(d, "kind"),
	                "severity", jg_report_str(d, "severity"), "subject",
	                jg_report_str(d, "subject"),
	                "summary", jg_report_str(d, "summary"), "events",
	                evs ? json_incref(evs) : json_array(),
	                "handled", "open", "acknowledged_by", "acknowledged_at",
	                "comment");
	if (!row)
		return;
	json_array_append_new(g->alerts, row);
	json_object_set(g->alert_ix, ev->id, row);
}

static void on_alert_ack(struct gather *g, const struct jg_event *ev,
                         json_t *d)
{
	json_t *row = json_object_get(g->alert_ix, jg_report_str(d, "alert_id"));

	if (!row)
		return;
	json_object_set_new(row, "handled", json_string("acknowledged"));
	json_object_set_new(row, "acknowledged_by", json_string(ev->actor));
	json_object_set_new(row, "acknowledged_at", jg_report_time(ev->ts));
	json_object_set(row, "comment",
	                json_object_get(d, "comment") ? json_object_get(d,
	                                                                "comment")
	                                              : json_null());
}

/* One row per event type the report folds; others are only counted. */
static void fold(struct gather *g, const struct jg_event *ev, json_t *d)
{
	const char *t = ev->type;

	if (strcmp(t, "request.created") == 0)
		on_request(g, ev, d);
	else if (strcmp(t, "review.recorded") == 0)
		on_review(g, ev, d);
	else if (strcmp(t, "request.approved") == 0)
		on_decided(g, ev);
	else if (!strcmp(t, "request.denied") ||
	         !strcmp(t, "request.expired") ||
	         !strcmp(t, "request.cancelled"))
		json_object_del(g->reqs, ev->subject); /* no grant to tell of */
	else if (strcmp(t, "alert.break_glass") == 0)
		on_break_glass(g, ev, d);
	else if (strcmp(t, "request.post_reviewed") == 0)
		on_post_review(g, ev, d);
	else if (strcmp(t, "grant.issued") == 0)
		on_grant(g, ev, d);
	else if (strcmp(t, "grant.extended") == 0)
		on_grant_extended(g, ev, d);
	else if (strcmp(t, "grant.revoked") == 0)
		on_grant_end(g, ev, d, "revoked");
	else if (strcmp(t, "grant.completed") == 0)
		on_grant_end(g, ev, d, "completed");
	else if (strcmp(t, "grant.expired") == 0)
		on_grant_end(g, ev, d, "expired");
	else if (strcmp(t, "policy.reloaded") == 0)
		on_policy(g, ev, d, 1);
	else if (strcmp(t, "policy.reload_refused") == 0)
		on_policy(g, ev, d, 0);
	else if (strcmp(t, "alert.raised") == 0)
		on_alert(g, ev, d);
	else if (strcmp(t, "alert.acknowledged") == 0)
		on_alert_ack(g, ev, d);
}

/* Types whose details the report reads; the others' details are never
 * parsed (most of a busy trail's cost). */
static int folded(const char *type)
{
	static const char *const types[] = {
		"request.created", "review.recorded", "alert.break_glass",
		"request.post_reviewed", "grant.issued", "grant.extended",
		"grant.revoked",
		"grant.completed", "grant.expired", "policy.reloaded",
		"policy.reload_refused", "alert.raised", "alert.acknowledged",
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			return 1;
	return 0;
}

static int walk_one(const struct jg_event *ev, void *ctx)
{
	struct gather *g = ctx;
	json_t *d = NULL;

	/* the walk is the chain's verification too: it reads the whole
	 * trail, and the period is what the store's filter used to keep */
	if ((g->since && ev->ts < g->since) || (g->until && ev->ts >= g->until))
		return 0;
	if (!g->first_seq)
		g->first_seq = ev->seq;
	g->last_seq = ev->seq;
	g->events++;
	count_type(g, ev->type);
	/* d stays NULL for the rest, which fold reads no details of (and
	 * jansson's getters take NULL as an empty object) */
	if (folded(ev->type))
		d = json_loads(ev->details ? ev->details : "{}", 0, NULL);
	fold(g, ev, d);
	json_decref(d);
	return 0;
}

static void gather_free(struct gather *g)
{
	json_decref(g->reqs);
	json_decref(g->grants);
	json_decref(g->grant_ix);
	json_decref(g->bg);
	json_decref(g->bg_ix);
	json_decref(g->policy);
	json_decref(g->alerts);
	json_decref(g->alert_ix);
	json_decref(g->by_requester);
	json_decref(g->by_resource);
	json_decref(g->strs);
}

/* Grants with no end in the period's trail: expired by the end of the
 * period (or now, when that comes first; the sweeper may not have
 * recorded it yet), else still active. */
static void settle_grants(json_t *grants, int64_t until, int64_t now)
{
	size_t i;
	json_t *row;

	json_array_foreach(grants, i, row) {
		int64_t exp = time_of(jg_report_str(row, "expires_at"));
		if (strcmp(jg_report_str(row, "ended"), "active") == 0 && exp &&
		    exp <= (now < until ? now : until))
			json_object_set_new(row, "ended", json_string("expired"));
	}
}

/* The summary's numbers, each from the counts of event types. */
static json_t *summary(const struct gather *g)
{
	static const char *const types[][2] = {
		{"requests_created", "request.created"},
		{"requests_approved", "request.approved"},
		{"requests_denied", "request.denied"},
		{"requests_cancelled", "request.cancelled"},
		{"requests_expired", "request.expired"},
		{"reviews_recorded", "review.recorded"},
		{"grants_issued", "grant.issued"},
		{"grants_extended", "grant.extended"},
		{"grants_revoked", "grant.revoked"},
		{"grants_completed", "grant.completed"},
		{"grants_expired", "grant.expired"},
		{"break_glass_uses", "alert.break_glass"},
		{"break_glass_reviews", "request.post_reviewed"},
		{"policy_reloads", "policy.reloaded"},
		{"policy_reloads_refused", "policy.reload_refused"},
		{"alerts_raised", "alert.raised"},
		{"alerts_acknowledged", "alert.acknowledged"},
		{"tokens_created", "token.created"},
		{"tokens_revoked", "token.revoked"},
	};
	json_t *s = json_pack("{s:I,s:o,s:o}", "events", (json_int_t)g->events,
	                      "first_seq", g->first_seq
	                                           ? json_integer(g->first_seq)
	                                           : json_null(),
	                      "last_seq", g->last_seq ? json_integer(g->last_seq)
	                                              : json_null());

	for (size_t i = 0; s && i < sizeof(types) / sizeof(types[0]); i++)
		json_object_set_new(s, types[i][0],
		                    json_integer(type_count(g, types[i][1])));
	return s;
}

static json_t *self_approvals(struct gather *g)
{
	return json_pack(
	        "{s:b,s:s,s:O}", "refusals_in_trail", 0, "note",
	        "A review by the requester of their own request is refused "
	        "before anything is written (HTTP 403), so refusals are not "
	        "audit events and cannot be counted from the trail. What the "
	        "trail does show: every review recorded in the period, each "
	        "checked here against its request's requester; any listed "
	        "below would be a self-approval that got through.",
	        "reviews_by_requester", g->by_requester);
}

static json_t *model(struct gather *g, const struct jg_principal *who,
                     int64_t since, int64_t until, int64_t now)
{
	return json_pack("{s:s,s:i,s:{s:o,s:o},s:o,s:s,s:o,s:o,s:O,s:O,s:O,"
	                 "s:O,s:o}",
	                 "report", "jitgate compliance evidence",
	                 "format_version", 1, "period", "since",
	                 jg_report_time(since), "until", jg_report_time(until),
	                 "generated_at", jg_report_time(now), "generated_by",
	                 who->name, "summary", summary(g), "controls",
	                 jg_report_controls(), "grants", g->grants,
	                 "break_glass", g->bg, "policy_changes", g->policy,
	                 "alerts", g->alerts, "self_approvals",
	                 self_approvals(g));
}

int jg_report_format_parse(const char *s, enum jg_report_format *out)
{
	if (!s)
		return -1;
	if (strcmp(s, "json") == 0)
		*out = JG_REPORT_JSON;
	else if (strcmp(s, "csv") == 0)
		*out = JG_REPORT_CSV;
	else if (strcmp(s, "html") == 0)
		*out = JG_REPORT_HTML;
	else
		return -1;
	return 0;
}

enum jg_err jg_report_gather(struct jg_gate *gate,
                             const struct jg_principal *who, int64_t since,
                             int64_t until, int64_t now, json_t **out,
                             char why[JG_WHY_MAX])
{
	struct gather g = {0};
	struct jg_audit_report rep = {0};
	size_t pins = 0;
	json_t *m = NULL; /* owned until given to *out */
	enum jg_err e;

	*out = NULL;
	if (since >= until)
		return jg_gate_why(JG_EINVAL, why, "since must be before until");
	g.reqs = json_object();
	g.grants = json_array();
	g.grant_ix = json_object();
	g.bg = json_array();
	g.bg_ix = json_object();
	g.policy = json_array();
	g.alerts = json_array();
	g.alert_ix = json_object();
	g.by_requester = json_array();
	g.by_resource = json_object();
	g.strs = json_object();
	g.since = since;
	g.until = until;
	/* one walk of the whole trail, in pages of read transactions (the
	 * trail only grows, so the pages read one prefix of it): verifies
	 * the chain against the signed checkpoints and folds the period */
	e = jg_gate_audit_verify_walk(gate, who, walk_one, &g, &rep, &pins,
	                              why);
	if (e == JG_OK && g.failed)
		e = JG_ENOMEM;
	if (e == JG_OK) {
		settle_grants(g.grants, until, now);
		m = model(&g, who, since, until, now);
		if (!m)
			e = JG_ENOMEM;
	}
	if (e == JG_OK)
		e = jg_report_facts(gate, m, g.by_resource, &rep, pins, since,
		                    until, now);
	gather_free(&g);
	if (e != JG_OK) {
		json_decref(m);
		return e;
	}
	*out = m;
	return JG_OK;
}
