/*
 * audit.c - hash chain append and verification.
 *
 * Never logs details (they may quote payloads); never appends outside a
 * transaction the caller controls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "util/crypto.h"
#include "util/timefmt.h"

/* Canonical text of ev with details parsed from ev->details; caller frees. */
static char *canonical(const struct jg_event *ev)
{
	json_t *details = json_loads(ev->details ? ev->details : "{}",
	                             JSON_REJECT_DUPLICATES, NULL);
	json_t *o;
	char *text;

	if (!json_is_object(details)) {
		json_decref(details);
		return NULL;
	}
	o = json_pack("{s:s,s:o,s:s,s:s,s:I,s:s,s:I,s:s}", "actor", ev->actor,
	              "details", details, "id", ev->id, "prev_hash",
	              ev->prev_hash, "seq", (json_int_t)ev->seq, "subject",
	              ev->subject, "ts", (json_int_t)ev->ts, "type", ev->type);
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

enum jg_err jg_audit_hash(const struct jg_event *ev, char out[JG_SHA256_HEX])
{
	char *text = canonical(ev);
	if (!text)
		return JG_EINVAL;
	jg_sha256_hex(text, strlen(text), out);
	free(text);
	return JG_OK;
}

enum jg_err jg_audit_append(struct jg_store *st, int64_t now,
                            const char *actor, const char *type,
                            const char *subject, json_t *details)
{
	struct jg_event ev = {0};
	enum jg_err e;

	e = st->ops->audit_last(st, &ev.seq, ev.prev_hash);
	if (e != JG_OK)
		return e;
	if (ev.seq == 0)
		memcpy(ev.prev_hash, JG_AUDIT_GENESIS, sizeof(ev.prev_hash));
	ev.seq++;
	if ((e = jg_random_id("evt", ev.id)) != JG_OK)
		return e;
	ev.ts = now;
	snprintf(ev.actor, sizeof(ev.actor), "%s", actor ? actor : "");
	snprintf(ev.type, sizeof(ev.type), "%s", type);
	snprintf(ev.subject, sizeof(ev.subject), "%s", subject ? subject : "");
	ev.details = details ? json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS)
	                     : strdup("{}");
	if (!ev.details)
		return JG_ENOMEM;
	e = jg_audit_hash(&ev, ev.hash);
	if (e == JG_OK)
		e = st->ops->audit_insert(st, &ev);
	free(ev.details);
	return e;
}

struct verify_state {
	struct jg_audit_report *rep;
	char prev[JG_SHA256_HEX];
};

static int broken(struct jg_audit_report *rep, int64_t seq, const char *why)
{
	rep->ok = 0;
	rep->broken_seq = seq;
	snprintf(rep->reason, sizeof(rep->reason), "%s", why);
	return 1;
}

static int verify_one(const struct jg_event *ev, void *ctx)
{
	struct verify_state *vs = ctx;
	struct jg_audit_report *rep = vs->rep;
	char hash[JG_SHA256_HEX], why[160];
	int64_t want = rep->count + 1;

	if (ev->seq != want) {
		snprintf(why, sizeof(why), "sequence gap: expected %lld, found "
		         "%lld", (long long)want, (long long)ev->seq);
		return broken(rep, want, why);
	}
	if (strcmp(ev->prev_hash, vs->prev) != 0)
		return broken(rep, ev->seq, "prev_hash does not match the hash "
		                            "of the event before it");
	if (jg_audit_hash(ev, hash) != JG_OK)
		return broken(rep, ev->seq, "details are not a JSON object");
	if (strcmp(hash, ev->hash) != 0)
		return broken(rep, ev->seq, "hash mismatch: the event was "
		                            "altered after it was written");
	memcpy(vs->prev, ev->hash, sizeof(vs->prev));
	rep->count++;
	return 0;
}

enum jg_err jg_audit_verify(struct jg_store *st, struct jg_audit_report *rep)
{
	struct verify_state vs = {.rep = rep};
	struct jg_filter f = {.limit = 10000};
	enum jg_err e;

	memset(rep, 0, sizeof(*rep));
	rep->ok = 1;
	memcpy(vs.prev, JG_AUDIT_GENESIS, sizeof(vs.prev));
	/* Page through in short read transactions so writers keep going. */
	for (;;) {
		int64_t next = 0, before = rep->count;
		if ((e = st->ops->begin(st, 0)) != JG_OK)
			return e;
		e = st->ops->audit_walk(st, &f, verify_one, &vs, &next);
		st->ops->rollback(st);
		if (e != JG_OK)
			return e;
		if (!rep->ok || rep->count - before < f.limit)
			return JG_OK;
		f.cursor = next;
	}
}

json_t *jg_audit_event_json(const struct jg_event *ev)
{
	char ts[JG_TIME_LEN];
	json_t *details = json_loads(ev->details ? ev->details : "{}", 0, NULL);

	jg_time_format(ev->ts, ts);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s}", "seq",
	                 (json_int_t)ev->seq, "id", ev->id, "time", ts, "actor",
	                 ev->actor, "type", ev->type, "subject", ev->subject,
	                 "details", details ? details : json_object(),
	                 "prev_hash", ev->prev_hash, "hash", ev->hash);
}
