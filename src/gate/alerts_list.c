/*
 * alerts_list.c - alerts as people see them (docs/alerts.md): listed
 * from the trail's alert.raised and alert.acknowledged events (so the
 * list is as trustworthy as the trail, and the same on every server),
 * and acknowledged with a comment, itself an audit event.
 */
#include <stdio.h>
#include <string.h>

#include "gate/internal.h"
#include "util/timefmt.h"

#define ACK_COMMENT_MAX 1024 /* bytes of an acknowledgement's comment */

struct listing {
	json_t *acks;    /* borrowed: alert id -> acknowledgement */
	json_t *out;     /* borrowed: the array being built */
	const char *state; /* NULL, "open" or "acknowledged" */
};

static json_t *when(int64_t ts)
{
	char at[JG_TIME_LEN];

	jg_time_format(ts, at);
	return json_string(at);
}

static int one_ack(const struct jg_event *ev, void *ctx)
{
	json_t *det = json_loads(ev->details, 0, NULL);

	json_object_set_new(ctx, ev->subject,
	                    json_pack("{s:s,s:o,s:O?}", "by", ev->actor, "at",
	                              when(ev->ts), "comment",
	                              json_object_get(det, "comment")));
	json_decref(det);
	return 0;
}

static int one_alert(const struct jg_event *ev, void *ctx)
{
	struct listing *l = ctx;
	json_t *ack = json_object_get(l->acks, ev->id);
	json_t *a = json_loads(ev->details, 0, NULL);
	const char *state = ack ? "acknowledged" : "open";

	if (!a || (l->state && strcmp(l->state, state) != 0)) {
		json_decref(a);
		return 0;
	}
	json_object_set_new(a, "id", json_string(ev->id));
	json_object_set_new(a, "seq", json_integer(ev->seq));
	json_object_set_new(a, "time", when(ev->ts));
	json_object_set_new(a, "state", json_string(state));
	json_object_set(a, "acknowledgement", ack ? ack : json_null());
	json_array_append_new(l->out, a);
	return 0;
}

/* Inside a read transaction: every acknowledgement, by alert id. */
static enum jg_err acks_of(struct jg_gate *g, const char *id, json_t *acks)
{
	int64_t next = 0;
	enum jg_err e;

	do {
		struct jg_filter f = {.type = "alert.acknowledged",
		                      .subject = id, .cursor = next,
		                      .limit = JG_LIST_MAX};
		size_t before = json_object_size(acks);
		e = g->st->ops->audit_walk(g->st, &f, one_ack, acks, &next);
		if (json_object_size(acks) - before < JG_LIST_MAX)
			break;
	} while (e == JG_OK);
	return e;
}

enum jg_err jg_gate_alerts_list(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *state, json_t **out,
                                char why[JG_WHY_MAX])
{
	struct listing l = {.state = state};
	struct jg_filter f = {.type = "alert.raised", .desc = 1,
	                      .limit = JG_LIST_MAX};
	int64_t next;
	enum jg_err e;

	*out = NULL;
	if (!jg_gate_sees_all(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "alerts are for admins "
		                   "and auditors");
	if (state && strcmp(state, "open") != 0 &&
	    strcmp(state, "acknowledged") != 0)
		return jg_gate_why(JG_EINVAL, why, "state must be 'open' or "
		                   "'acknowledged', not '%.40s'", state);
	if (!(l.acks = json_object()) || !(l.out = json_array())) {
		json_decref(l.acks);
		return JG_ENOMEM;
	}
	if ((e = g->st->ops->begin(g->st, 0)) == JG_OK) {
		if ((e = acks_of(g, NULL, l.acks)) == JG_OK)
			e = g->st->ops->audit_walk(g->st, &f, one_alert, &l,
			                           &next);
		g->st->ops->rollback(g->st);
	}
	json_decref(l.acks);
	if (e != JG_OK)
		json_decref(l.out);
	else
		*out = l.out;
	return e;
}

static int found(const struct jg_event *ev, void *ctx)
{
	struct jg_event *want = ctx;

	if (strcmp(ev->id, want->id) != 0)
		return 0;
	want->seq = ev->seq;
	return 1;
}

/* Inside the write transaction: JG_OK when id is an open alert. */
static enum jg_err ackable(struct jg_gate *g, const char *id,
                           char why[JG_WHY_MAX])
{
	struct jg_event want = {0};
	struct jg_filter f = {.type = "alert.raised"};
	json_t *acks = json_object();
	int64_t next;
	enum jg_err e;

	snprintf(want.id, sizeof(want.id), "%s", id);
	e = acks ? g->st->ops->audit_walk(g->st, &f, found, &want, &next)
	         : JG_ENOMEM;
	if (e == JG_OK && !want.seq)
		e = jg_gate_why(JG_ENOTFOUND, why, "no alert '%s'", id);
	if (e == JG_OK && (e = acks_of(g, id, acks)) == JG_OK &&
	    json_object_size(acks) > 0)
		e = jg_gate_why(JG_ECONFLICT, why, "alert '%s' is already "
		                "acknowledged", id);
	json_decref(acks);
	return e;
}

enum jg_err jg_gate_alerts_ack(struct jg_gate *g,
                               const struct jg_principal *who,
                               const char *id, const char *comment,
                               int64_t now, char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (!jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "only admins may "
		                   "acknowledge alerts");
	if (!id || !*id || strlen(id) >= JG_ID_LEN)
		return jg_gate_why(JG_ENOTFOUND, why, "no such alert");
	if (!comment || !comment[strspn(comment, " \t\r\n")])
		return jg_gate_why(JG_EINVAL, why, "a comment is required to "
		                   "acknowledge an alert");
	if (strlen(comment) >= ACK_COMMENT_MAX)
		return jg_gate_why(JG_ETOOBIG, why, "the comment is longer "
		                   "than %d bytes", ACK_COMMENT_MAX - 1);
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	if ((e = ackable(g, id, why)) == JG_OK)
		e = jg_gate_audit(g, now, who->name, "alert.acknowledged", id,
		                  json_pack("{s:s,s:s}", "alert_id", id,
		                            "comment", comment));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}
