/*
 * metrics.c - what /metrics and /readyz learn from the gate (gate.h).
 *
 * The counters live where things happen (check.c counts checks, request.c
 * decisions, sync.c the last good step, checkpoint.c the last signature)
 * as atomics: this file only reads them, so a scrape never slows a check.
 * What needs the store (the tally, readiness) runs in its own short
 * transactions, never a write: a readiness probe begins a write
 * transaction and rolls it back, so probing every second adds nothing to
 * the trail.
 */
#include <stdio.h>
#include <string.h>

#include "gate/internal.h"

/* Decision latency buckets, seconds: a policy decides at once (0), a
 * person in minutes to hours. */
static const double decided_le[] = {1,    10,    30,    60,    300,  900,
                                    1800, 3600, 14400, 28800, 86400};

void jg_gate_metrics_init(struct jg_gate *g)
{
	for (int i = 0; i < JG_DECIDED_NBY; i++)
		jg_hist_init(&g->decided[i], decided_le,
		             sizeof(decided_le) / sizeof(decided_le[0]));
}

void jg_gate_count_decision(struct jg_gate *g, const struct jg_request *r,
                            int64_t now, int by)
{
	int64_t s = r->decided_at - r->created_at;

	if ((r->state != JG_REQ_APPROVED && r->state != JG_REQ_DENIED) ||
	    r->decided_at != now)
		return; /* still pending, or decided before this call */
	jg_hist_observe_us(&g->decided[by],
	                   (uint64_t)(s > 0 ? s : 0) * 1000000u);
}

void jg_gate_metrics(struct jg_gate *g, struct jg_gate_metrics *out)
{
	int64_t ok = __atomic_load_n(&g->sync_ok_ms, __ATOMIC_RELAXED);
	size_t bytes;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < JG_CHECK_NRESULTS; i++)
		out->checks[i] = __atomic_load_n(&g->checks[i],
		                                 __ATOMIC_RELAXED);
	for (int i = 0; i < JG_DECIDED_NBY; i++)
		jg_hist_snapshot(&g->decided[i], &out->decided[i]);
	jg_gate_index_size(g, &out->grants, &bytes);
	pthread_mutex_lock(&g->sync_lock);
	out->applied_seq = g->loaded ? g->sync_seq : 0;
	pthread_mutex_unlock(&g->sync_lock);
	out->sync_age_ms = ok ? jg_replay_clock_ms() - ok : -1;
	out->halted = jg_gate_halted(g, NULL);
	out->signer = jg_gate_signer_state(g, &out->ckpt_seq, &out->ckpt_ts);
	jg_gate_alerts_raised(g, out->alerts);
}

enum jg_err jg_gate_tally(struct jg_gate *g, jg_tally_fn fn, void *ctx,
                          int64_t *last_seq)
{
	char hash[JG_SHA256_HEX];
	enum jg_err e = g->st->ops->begin(g->st, 0);

	if (e != JG_OK)
		return e;
	e = g->st->ops->tally(g->st, fn, ctx);
	if (e == JG_OK)
		e = g->st->ops->audit_last(g->st, last_seq, hash);
	g->st->ops->rollback(g->st);
	return e;
}

/* Can the store be read, and can a write begin? Nothing is written. */
static void probe_store(struct jg_gate *g, struct jg_ready *out)
{
	char hash[JG_SHA256_HEX];
	int64_t seq;
	enum jg_err e = g->st->ops->begin(g->st, 0);

	if (e == JG_OK) {
		e = g->st->ops->audit_last(g->st, &seq, hash);
		g->st->ops->rollback(g->st);
	}
	if (!(out->store = e == JG_OK))
		snprintf(out->store_why, JG_WHY_MAX, "the store cannot be "
		         "read: %s", jg_strerror(e));
	/* the writer lock every audited change takes first */
	if ((e = g->st->ops->begin(g->st, 1)) == JG_OK)
		g->st->ops->rollback(g->st);
	if (!(out->audit = e == JG_OK))
		snprintf(out->audit_why, JG_WHY_MAX, "no write transaction "
		         "can begin, so no audit event can be appended: %s",
		         jg_strerror(e));
}

static void probe_index(struct jg_gate *g, struct jg_ready *out)
{
	struct jg_gate_metrics m;

	jg_gate_metrics(g, &m);
	out->index = 0;
	if (m.halted) /* the details are in the log, not on a public page */
		snprintf(out->index_why, JG_WHY_MAX, "the audit trail went "
		         "backwards under this server: it allows nothing until "
		         "restart");
	else if (!g->index || m.sync_age_ms < 0)
		snprintf(out->index_why, JG_WHY_MAX, "the index of live "
		         "grants is not loaded yet");
	else if (m.sync_age_ms > JG_READY_SYNC_MS)
		snprintf(out->index_why, JG_WHY_MAX, "the index of live "
		         "grants has not synced for %lld s",
		         (long long)(m.sync_age_ms / 1000));
	else
		out->index = 1;
}

int jg_gate_ready(struct jg_gate *g, struct jg_ready *out)
{
	memset(out, 0, sizeof(*out));
	probe_store(g, out);
	probe_index(g, out);
	return out->store && out->audit && out->index;
}
