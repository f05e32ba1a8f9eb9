/*
 * api_audit.c - /v1/audit: list (paged), export (streamed NDJSON) and
 * verify. Export pages through the store in short read transactions, so
 * a large trail neither sits in memory nor blocks writers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "http/handlers.h"
#include "util/timefmt.h"

#define EXPORT_PAGE 256

/* Copies of the query filters, owned by the caller's stack or export. */
struct audit_query {
	char actor[JG_NAME_MAX];
	char type[JG_EVENT_TYPE_MAX];
	char subject[JG_ID_LEN];
	struct jg_filter f;
};

static int copy_param(struct jg_ex *ex, const char *key, char *dst,
                      size_t size)
{
	const char *v = jg_ex_query(ex, key);
	char msg[96];

	if (!v)
		return 0;
	if (strlen(v) >= size) {
		snprintf(msg, sizeof(msg), "query parameter '%s' is too long",
		         key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int time_param(struct jg_ex *ex, const char *key, int64_t *out)
{
	const char *v = jg_ex_query(ex, key);
	char msg[128];

	if (!v || !*v)
		return 0;
	if (jg_time_parse(v, out) != JG_OK) {
		snprintf(msg, sizeof(msg), "'%s' must be an RFC 3339 time or a "
		         "date (2026-11-23T10:00:00Z)", key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	return 0;
}

/* order=asc (the default: oldest first) or desc (newest first). */
static int order_param(struct jg_ex *ex, struct jg_filter *f)
{
	const char *v = jg_ex_query(ex, "order");

	if (!v || strcmp(v, "asc") == 0)
		return 0;
	if (strcmp(v, "desc") == 0) {
		f->desc = 1;
		return 0;
	}
	jg_ex_fail(ex, JG_EINVAL, "order must be asc or desc");
	return -1;
}

static int read_query(struct jg_ex *ex, struct audit_query *q)
{
	memset(q, 0, sizeof(*q));
	if (copy_param(ex, "actor", q->actor, sizeof(q->actor)) ||
	    copy_param(ex, "type", q->type, sizeof(q->type)) ||
	    copy_param(ex, "subject", q->subject, sizeof(q->subject)) ||
	    time_param(ex, "since", &q->f.since) ||
	    time_param(ex, "until", &q->f.until) || order_param(ex, &q->f))
		return -1;
	q->f.actor = q->actor;
	q->f.type = q->type;
	q->f.subject = q->subject;
	return 0;
}

struct collect {
	json_t *items;
	int limit, count, more;
	int64_t last;
};

static int collect_one(const struct jg_event *ev, void *ctx)
{
	struct collect *c = ctx;

	if (c->count == c->limit) {
		c->more = 1;
		return 1;
	}
	json_array_append_new(c->items, jg_audit_event_json(ev));
	c->last = ev->seq;
	c->count++;
	return 0;
}

void jg_api_audit_list(struct jg_ex *ex)
{
	struct audit_query q;
	struct collect c = {0};
	int64_t next;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (read_query(ex, &q) || jg_ex_paging(ex, &q.f))
		return;
	c.items = json_array();
	c.limit = q.f.limit;
	q.f.limit++; /* one more tells whether a next page exists */
	e = jg_gate_audit_walk(ex->gate, &ex->who, &q.f, collect_one, &c,
	                       &next, why);
	if (e != JG_OK) {
		json_decref(c.items);
		jg_ex_fail(ex, e, why);
		return;
	}
	char cursor[24];
	snprintf(cursor, sizeof(cursor), "%lld", (long long)c.last);
	jg_ex_json(ex, 200, json_pack("{s:o,s:o}", "items", c.items,
	                              "next_cursor",
	                              c.more ? json_string(cursor)
	                                     : json_null()));
}

/* ---- export ---- */

struct export {
	struct jg_gate *gate;
	struct jg_principal who;
	struct audit_query q;
	char *buf; /* owned: NDJSON not yet sent */
	size_t len, off, cap;
	int count, done, failed;
};

static int append_line(const struct jg_event *ev, void *ctx)
{
	struct export *x = ctx;
	json_t *o = jg_audit_event_json(ev);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	size_t n = line ? strlen(line) : 0;

	json_decref(o);
	if (!line) {
		x->failed = 1;
		return 1;
	}
	if (x->len + n + 1 > x->cap) {
		size_t cap = (x->len + n + 1) * 2;
		char *nb = realloc(x->buf, cap);
		if (!nb) {
			free(line);
			x->failed = 1;
			return 1;
		}
		x->buf = nb;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, line, n);
	x->buf[x->len + n] = '\n';
	x->len += n + 1;
	x->count++;
	free(line);
	return 0;
}

/* Load the next page into the buffer. */
static enum jg_err export_fill(struct export *x, char why[JG_WHY_MAX])
{
	int64_t next = 0;
	enum jg_err e;

	x->len = x->off = 0;
	x->count = 0;
	x->q.f.limit = EXPORT_PAGE;
	e = jg_gate_audit_walk(x->gate, &x->who, &x->q.f, append_line, x,
	                       &next, why);
	if (e != JG_OK || x->failed)
		return e != JG_OK ? e : JG_ENOMEM;
	if (x->count < EXPORT_PAGE)
		x->done = 1;
	x->q.f.cursor = next;
	return JG_OK;
}

static ssize_t export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct export *x = cls;
	char why[JG_WHY_MAX];
	size_t n;

	(void)pos;
	if (x->off == x->len) {
		if (x->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (export_fill(x, why) != JG_OK)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (x->len == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	n = x->len - x->off < max ? x->len - x->off : max;
	memcpy(buf, x->buf + x->off, n);
	x->off += n;
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	struct export *x = cls;
	free(x->buf);
	free(x);
}

void jg_api_audit_export(struct jg_ex *ex)
{
	struct export *x = calloc(1, sizeof(*x));
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (!x) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	x->gate = ex->gate;
	x->who = ex->who;
	if (read_query(ex, &x->q)) {
		export_free(x);
		return;
	}
	/* the filter points into x->q, which moves with x: re-point */
	x->q.f.actor = x->q.actor;
	x->q.f.type = x->q.type;
	x->q.f.subject = x->q.subject;
	/* the first page answers authorisation and store errors properly */
	if ((e = export_fill(x, why)) != JG_OK) {
		export_free(x);
		jg_ex_fail(ex, e, why);
		return;
	}
	ex->raw = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
	                                            export_read, x, export_free);
	if (!ex->raw) {
		export_free(x);
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	MHD_add_response_header(ex->raw, "Content-Type", "application/x-ndjson");
	ex->status = 200;
}

void jg_api_audit_verify(struct jg_ex *ex)
{
	struct jg_audit_report rep;
	char why[JG_WHY_MAX] = "";
	size_t pins = 0;
	enum jg_err e = jg_gate_audit_verify_pinned(ex->gate, &ex->who, &rep,
	                                            &pins, why);

	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	if (rep.ok)
		jg_ex_json(ex, 200, json_pack("{s:b,s:I,s:I}", "ok", 1, "count",
		                              (json_int_t)rep.count,
		                              "checkpoints", (json_int_t)pins));
	else
		jg_ex_json(ex, 200, json_pack("{s:b,s:I,s:I,s:I,s:s}", "ok", 0,
		                              "count", (json_int_t)rep.count,
		                              "checkpoints", (json_int_t)pins,
		                              "broken_seq",
		                              (json_int_t)rep.broken_seq,
		                              "reason", rep.reason));
}

/* ---- outbox ---- */

static json_t *delivery_json(const struct jg_delivery *d)
{
	char created[JG_TIME_LEN], next[JG_TIME_LEN], done[JG_TIME_LEN];

	jg_time_format(d->created_at, created);
	jg_time_format(d->next_at, next);
	jg_time_format(d->delivered_at, done);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:i,s:s,s:s?,s:s?,s:o}", "id",
	                 (json_int_t)d->id, "target", d->target, "event",
	                 d->event, "subject", d->subject, "state", d->state,
	                 "attempts", d->attempts, "created_at", created,
	                 "next_at", strcmp(d->state, "pending") ? NULL : next,
	                 "delivered_at", d->delivered_at ? done : NULL,
	                 "last_error", d->last_error[0]
	                                       ? json_string(d->last_error)
	                                       : json_null());
}

void jg_api_outbox(struct jg_ex *ex)
{
	const char *state = jg_ex_query(ex, "state");
	struct jg_filter f = {0};
	struct jg_delivery *ds = NULL;
	size_t n = 0;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (jg_ex_paging(ex, &f))
		return;
	if (state && strcmp(state, "pending") && strcmp(state, "delivered") &&
	    strcmp(state, "dead")) {
		jg_ex_fail(ex, JG_EINVAL, "state must be pending, delivered or "
		                          "dead");
		return;
	}
	e = jg_gate_outbox(ex->gate, &ex->who, state, f.limit, &ds, &n, why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, delivery_json(&ds[i]));
		jg_delivery_clear(&ds[i]);
	}
	free(ds);
	jg_ex_json(ex, 200, json_pack("{s:o}", "items", items));
}
