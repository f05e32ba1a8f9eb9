/*
 * timeline.c - every audit event about one request, for its page: the
 * request's own (created, reviewed, approved, executed, ...) and its
 * grant's (issued, token fetched, checked and used, ended), in trail
 * order. Whoever may see the request may see them; an execution's output
 * only as on the request itself (its requester, admins and auditors).
 */
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"

struct timeline {
	json_t *items; /* borrowed: the caller's array */
	int redact;    /* null every execution output */
};

static int collect(const struct jg_event *ev, void *ctx)
{
	struct timeline *t = ctx;
	json_t *o = jg_audit_event_json(ev);
	json_t *d = o ? json_object_get(o, "details") : NULL;

	if (!o)
		return 1;
	if (t->redact && json_object_get(d, "output"))
		json_object_set_new(d, "output", json_null());
	if (json_array_size(t->items) >= JG_TIMELINE_MAX) {
		json_decref(o);
		return 1;
	}
	json_array_append_new(t->items, o);
	return 0;
}

static int by_seq(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seq"));

	return (x > y) - (x < y);
}

/* Sort arr by seq, in place (the two subjects' walks interleave). */
static void sort_by_seq(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = n ? malloc(n * sizeof(*v)) : NULL; /* owned; borrows */

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), by_seq);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

enum jg_err jg_gate_request_events(struct jg_gate *g,
                                   const struct jg_principal *who,
                                   const char *id, json_t **out,
                                   char why[JG_WHY_MAX])
{
	struct jg_request_view v;
	struct timeline t;
	int64_t next;
	enum jg_err e = jg_gate_request_get(g, who, id, &v, why);

	if (e != JG_OK)
		return e;
	t.items = json_array();
	t.redact = !jg_gate_sees_all(who) && strcmp(who->name, v.req.requester) != 0;
	if (!t.items) {
		jg_request_view_clear(&v);
		return JG_ENOMEM;
	}
	if ((e = g->st->ops->begin(g->st, 0)) == JG_OK) {
		struct jg_filter f = {.subject = v.req.id, .limit = JG_TIMELINE_MAX};
		e = g->st->ops->audit_walk(g->st, &f, collect, &t, &next);
		if (e == JG_OK && v.grant_id[0]) {
			f.subject = v.grant_id;
			e = g->st->ops->audit_walk(g->st, &f, collect, &t, &next);
		}
		g->st->ops->rollback(g->st);
	}
	jg_request_view_clear(&v);
	if (e != JG_OK) {
		json_decref(t.items);
		return e;
	}
	sort_by_seq(t.items);
	*out = t.items;
	return JG_OK;
}
