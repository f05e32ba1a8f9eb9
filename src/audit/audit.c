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
#include "audit/canon.h"
#include "util/crypto.h"
#include "util/timefmt.h"

/* Hash ev's canonical text, built in c (reused by the caller). */
static enum jg_err hash_in(struct jg_canon *c, const struct jg_event *ev,
                           char out[JG_SHA256_HEX])
{
	enum jg_err e = jg_canon_event(c, ev);
	if (e == JG_OK)
		jg_sha256_hex(c->text, c->len, out);
	return e;
}

enum jg_err jg_audit_hash(const struct jg_event *ev, char out[JG_SHA256_HEX])
{
	struct jg_canon c = {0};
	enum jg_err e = hash_in(&c, ev, out);
	jg_canon_release(&c);
	return e;
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

/*
 * Events per read transaction. The SQLite walk streams rows; PostgreSQL
 * holds a whole page in memory (about 5 MB at this size), so larger pages
 * would buy little time and cost memory.
 */
#define VERIFY_PAGE 10000

static int broken(struct jg_audit_report *rep, int64_t seq, const char *why)
{
	rep->ok = 0;
	rep->broken_seq = seq;
	snprintf(rep->reason, sizeof(rep->reason), "%s", why);
	return 1;
}

/*
 * ev passed the chain: match the checkpoints signed for its seq. A hash
 * that differs there proves only that something in (vouched, seq] was
 * changed, deleted or rewritten, not which event: the checkpoint before
 * vouches for everything up to its own seq, so the first event nothing
 * vouches for is named.
 */
static int match_checkpoints(struct jg_audit_verifier *v,
                             const struct jg_event *ev)
{
	char why[240];

	while (v->icp < v->ncps && v->cps[v->icp].seq <= ev->seq) {
		const struct jg_checkpoint *cp = &v->cps[v->icp++];
		if (cp->seq < ev->seq)
			continue; /* a seq below 1: not a real checkpoint */
		if (strcmp(cp->hash, ev->hash) != 0) {
			snprintf(why, sizeof(why), "event %lld differs from its "
			         "signed checkpoint: an event from %lld to %lld "
			         "was changed, deleted or the chain rewritten",
			         (long long)ev->seq, (long long)v->vouched + 1,
			         (long long)ev->seq);
			return broken(v->rep, v->vouched + 1, why);
		}
		v->vouched = ev->seq;
	}
	return 0;
}

void jg_audit_verifier_init(struct jg_audit_verifier *v,
                            struct jg_audit_report *rep,
                            const struct jg_checkpoint *cps, size_t n)
{
	memset(v, 0, sizeof(*v));
	memset(rep, 0, sizeof(*rep));
	rep->ok = 1;
	v->rep = rep;
	v->cps = cps;
	v->ncps = n;
	memcpy(v->prev, JG_AUDIT_GENESIS, sizeof(v->prev));
}

int jg_audit_verifier_event(const struct jg_event *ev, void *ctx)
{
	struct jg_audit_verifier *v = ctx;
	struct jg_audit_report *rep = v->rep;
	char hash[JG_SHA256_HEX], why[160];
	int64_t want = rep->count + 1;
	enum jg_err e;

	if (ev->seq != want) {
		snprintf(why, sizeof(why), "sequence gap: expected %lld, found "
		         "%lld", (long long)want, (long long)ev->seq);
		return broken(rep, want, why);
	}
	if (strcmp(ev->prev_hash, v->prev) != 0)
		return broken(rep, ev->seq, "prev_hash does not match the hash "
		                            "of the event before it");
	if ((e = hash_in(&v->canon, ev, hash)) == JG_ENOMEM) {
		v->err = e;
		return 1;
	}
	if (e != JG_OK)
		return broken(rep, ev->seq, "details are not a JSON object "
		                            "(or a field is not UTF-8)");
	if (strcmp(hash, ev->hash) != 0)
		return broken(rep, ev->seq, "hash mismatch: the event was "
		                            "altered after it was written");
	memcpy(v->prev, ev->hash, sizeof(v->prev));
	rep->count++;
	return match_checkpoints(v, ev);
}

void jg_audit_verifier_end(struct jg_audit_verifier *v)
{
	char why[200];

	if (v->rep->ok && v->icp < v->ncps) {
		snprintf(why, sizeof(why), "the trail ends at seq %lld but seq "
		         "%lld was signed: events from %lld on were deleted",
		         (long long)v->rep->count,
		         (long long)v->cps[v->ncps - 1].seq,
		         (long long)v->rep->count + 1);
		broken(v->rep, v->rep->count + 1, why);
	}
	jg_canon_release(&v->canon);
}

/* One walk feeding the verifier and, when set, the caller's fn. */
struct tee {
	struct jg_audit_verifier *v;
	jg_event_fn fn; /* NULL: verifying only */
	void *ctx;
	int verifying;  /* 0 once the chain broke (or verifying failed) */
	int stopped;    /* fn asked to stop */
	int64_t seen;   /* events given in this page */
};

/* The verifier stops at the first bad event; fn still sees the rest. */
static int tee_event(const struct jg_event *ev, void *ctx)
{
	struct tee *t = ctx;

	t->seen++;
	if (t->verifying && jg_audit_verifier_event(ev, t->v)) {
		t->verifying = 0;
		if (t->v->err || !t->fn)
			return 1;
	}
	if (t->fn && t->fn(ev, t->ctx)) {
		t->stopped = 1;
		return 1;
	}
	return 0;
}

/* Walk page after page until the end, a stop or a failure. */
static enum jg_err walk_pages(struct jg_store *st, struct tee *t)
{
	struct jg_filter f = {.limit = VERIFY_PAGE};
	enum jg_err e;

	/* Page through in short read transactions so writers keep going. */
	for (;;) {
		int64_t next = 0;
		t->seen = 0;
		if ((e = st->ops->begin(st, 0)) != JG_OK)
			return e;
		e = st->ops->audit_walk(st, &f, tee_event, t, &next);
		st->ops->rollback(st);
		if (e == JG_OK)
			e = t->v->err;
		if (e != JG_OK || t->stopped || (!t->verifying && !t->fn) ||
		    t->seen < f.limit)
			return e;
		f.cursor = next;
	}
}

enum jg_err jg_audit_verify_walk(struct jg_store *st,
                                 const struct jg_checkpoint *cps, size_t n,
                                 jg_event_fn fn, void *ctx,
                                 struct jg_audit_report *rep)
{
	struct jg_audit_verifier v;
	struct tee t = {.v = &v, .fn = fn, .ctx = ctx, .verifying = 1};
	enum jg_err e;

	jg_audit_verifier_init(&v, rep, cps, n);
	e = walk_pages(st, &t);
	if (e != JG_OK || t.stopped)
		v.ncps = v.icp; /* no verdict: the walk did not reach the end */
	jg_audit_verifier_end(&v);
	return e;
}

enum jg_err jg_audit_verify_pinned(struct jg_store *st,
                                   const struct jg_checkpoint *cps, size_t n,
                                   struct jg_audit_report *rep)
{
	return jg_audit_verify_walk(st, cps, n, NULL, NULL, rep);
}

enum jg_err jg_audit_verify(struct jg_store *st, struct jg_audit_report *rep)
{
	return jg_audit_verify_pinned(st, NULL, 0, rep);
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
