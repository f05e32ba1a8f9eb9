/*
 * metrics.c - the server's HTTP counters and the /metrics exposition
 * (see metrics.h). Every family's HELP line is its documentation in
 * short; docs/operations.md "Metrics" has the long form.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/handlers.h"
#include "http/metrics.h"
#include "http/prom.h"
#include "insight/detect.h"

#define CODES 500 /* statuses 100..599, by code */

/* /v1/check as the server sees it: tens of microseconds when all is well */
static const double check_le[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                  0.005,  0.01,    0.025,  0.05,  0.1,
                                  0.25,   0.5,     1};

struct jg_metrics {
	uint64_t *http;       /* atomic; [route][code - 100], the last route
	                       * row for answers no route matched; owned */
	struct jg_hist check; /* /v1/check */
	pthread_mutex_t lock; /* the store part below */
	int64_t store_ms;     /* CLOCK_MONOTONIC ms it was read; 0: never */
	char *store_text;     /* owned; its exposition */
	size_t store_len;
};

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct jg_metrics *jg_metrics_new(void)
{
	struct jg_metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (!(m->http = calloc((jg_nroutes + 1) * CODES, sizeof(uint64_t)))) {
		free(m);
		return NULL;
	}
	jg_hist_init(&m->check, check_le,
	             sizeof(check_le) / sizeof(check_le[0]));
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void jg_metrics_free(struct jg_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->store_text);
	free(m->http);
	free(m);
}

void jg_metrics_answer(struct jg_metrics *m, const struct jg_route *r,
                       int status, int64_t us)
{
	size_t row = r ? (size_t)(r - jg_routes) : jg_nroutes;

	if (!m || status < 100 || status >= 100 + CODES)
		return;
	__atomic_add_fetch(&m->http[row * CODES + (size_t)(status - 100)], 1,
	                   __ATOMIC_RELAXED);
	if (r && r->fn == jg_api_check)
		jg_hist_observe_us(&m->check, us > 0 ? (uint64_t)us : 0);
}

/* ---- the store's part: read at most once per JG_METRICS_STORE_MS ---- */

/* The outbox's states, always shown (0 when none). */
static const char *const outbox_states[] = {"pending", "delivered", "dead"};
#define NOUTBOX (sizeof(outbox_states) / sizeof(outbox_states[0]))

struct tally {
	FILE *req; /* the jitgate_requests samples */
	int64_t outbox[NOUTBOX];
	int64_t failed;
};

static void on_row(const char *kind, const char *state, const char *label,
                   int64_t n, int64_t failed, void *ctx)
{
	struct tally *t = ctx;

	if (strcmp(kind, "request") == 0) {
		const char *const l[] = {"state", state, "rule", label, NULL};
		jg_prom_int(t->req, "jitgate_requests", l, n);
		return;
	}
	for (size_t i = 0; i < NOUTBOX; i++)
		if (strcmp(state, outbox_states[i]) == 0)
			t->outbox[i] += n;
	t->failed += failed;
}

static void store_families(FILE *f, const struct tally *t, const char *req,
                           int64_t last_seq)
{
	jg_prom_family(f, "jitgate_requests", "gauge", "Requests in the "
	               "store by state and by the policy rule that matched.");
	fputs(req, f);
	jg_prom_family(f, "jitgate_outbox_deliveries", "gauge", "Notification "
	               "deliveries in the outbox by state (dead: given up "
	               "after the last attempt).");
	for (size_t i = 0; i < NOUTBOX; i++) {
		const char *const l[] = {"state", outbox_states[i], NULL};
		jg_prom_int(f, "jitgate_outbox_deliveries", l, t->outbox[i]);
	}
	jg_prom_family(f, "jitgate_outbox_depth", "gauge", "Notifications "
	               "waiting to be delivered (pending deliveries).");
	jg_prom_int(f, "jitgate_outbox_depth", NULL, t->outbox[0]);
	jg_prom_family(f, "jitgate_outbox_failed_attempts_total", "counter",
	               "Delivery attempts that failed, over the whole outbox.");
	jg_prom_int(f, "jitgate_outbox_failed_attempts_total", NULL, t->failed);
	jg_prom_family(f, "jitgate_audit_last_seq", "gauge", "Sequence number "
	               "of the newest audit event in the store.");
	jg_prom_int(f, "jitgate_audit_last_seq", NULL, last_seq);
}

/* Read the store's part into m->store_text; on failure the text says
 * so (jitgate_store_up 0) and holds nothing else. Under m->lock. */
static void read_store(struct jg_metrics *m, struct jg_gate *g)
{
	struct tally t = {0};
	char *req = NULL, *text = NULL;
	size_t rlen = 0, len = 0;
	int64_t last = 0;
	enum jg_err e = JG_ENOMEM;
	FILE *f;

	if ((t.req = open_memstream(&req, &rlen))) {
		e = jg_gate_tally(g, on_row, &t, &last);
		fclose(t.req);
	}
	if ((f = open_memstream(&text, &len))) {
		jg_prom_family(f, "jitgate_store_up", "gauge", "1 when the "
		               "last read of the store's counts worked.");
		jg_prom_int(f, "jitgate_store_up", NULL, e == JG_OK);
		if (e == JG_OK)
			store_families(f, &t, req ? req : "", last);
		fclose(f);
	}
	free(req);
	free(m->store_text);
	m->store_text = text;
	m->store_len = text ? len : 0;
	m->store_ms = mono_ms();
}

/* ---- the gate's and the server's own, read at every scrape ---- */

static void gate_families(FILE *f, struct jg_gate *g, int64_t now)
{
	static const char *const results[JG_CHECK_NRESULTS] = {"allow", "deny",
	                                                       "error"};
	static const char *const by[JG_DECIDED_NBY] = {"policy", "review"};
	struct jg_gate_metrics gm;

	jg_gate_metrics(g, &gm);
	jg_prom_family(f, "jitgate_checks_total", "counter", "Checks answered "
	               "(/v1/check and signed-token checks) by result; "
	               "the check rate is its rate().");
	for (int i = 0; i < JG_CHECK_NRESULTS; i++) {
		const char *const l[] = {"result", results[i], NULL};
		jg_prom_int(f, "jitgate_checks_total", l,
		            (int64_t)gm.checks[i]);
	}
	jg_prom_family(f, "jitgate_decision_seconds", "histogram", "Time from "
	               "a request's creation to its approval or denial, by "
	               "who decided (policy at once, or the last review).");
	for (int i = 0; i < JG_DECIDED_NBY; i++) {
		const char *const l[] = {"by", by[i], NULL};
		jg_prom_hist(f, "jitgate_decision_seconds", l, &gm.decided[i]);
	}
	jg_prom_family(f, "jitgate_active_grants", "gauge", "Live grants in "
	               "this server's index (what checks answer from).");
	jg_prom_int(f, "jitgate_active_grants", NULL, (int64_t)gm.grants);
	jg_prom_family(f, "jitgate_sync_applied_seq", "gauge", "The audit "
	               "seq this server's index has applied; "
	               "jitgate_audit_last_seq minus this is the lag in "
	               "events.");
	jg_prom_int(f, "jitgate_sync_applied_seq", NULL, gm.applied_seq);
	jg_prom_family(f, "jitgate_sync_lag_seconds", "gauge", "Seconds since "
	               "the index last synced with the store, which other "
	               "servers write to (about 0.1 in step; -1 never).");
	jg_prom_num(f, "jitgate_sync_lag_seconds", NULL,
	            gm.sync_age_ms < 0 ? -1 : (double)gm.sync_age_ms / 1000);
	jg_prom_family(f, "jitgate_audit_halted", "gauge", "1 when the audit "
	               "trail went backwards under this server: it allows "
	               "nothing until restart.");
	jg_prom_int(f, "jitgate_audit_halted", NULL, gm.halted);
	jg_prom_family(f, "jitgate_alerts_raised_total", "counter", "Alerts "
	               "raised (alert.raised events in the trail, by any "
	               "server sharing it) since this server started, by "
	               "kind.");
	for (int k = 0; k < JG_AK_COUNT; k++) {
		const char *const l[] = {"kind", jg_alert_kind_name(k), NULL};
		jg_prom_int(f, "jitgate_alerts_raised_total", l,
		            (int64_t)gm.alerts[k]);
	}
	if (!gm.signer)
		return;
	jg_prom_family(f, "jitgate_audit_checkpoint_seq", "gauge", "The audit "
	               "seq of the last checkpoint this server signed.");
	jg_prom_int(f, "jitgate_audit_checkpoint_seq", NULL, gm.ckpt_seq);
	jg_prom_family(f, "jitgate_audit_checkpoint_age_seconds", "gauge",
	               "Seconds since the last checkpoint signed (-1: none "
	               "yet).");
	jg_prom_int(f, "jitgate_audit_checkpoint_age_seconds", NULL,
	            gm.ckpt_ts ? now - gm.ckpt_ts : -1);
}

static void http_families(FILE *f, struct jg_metrics *m)
{
	struct jg_hist_snap s;
	char code[12]; /* an int, for the compiler's sake: 100..599 */

	jg_prom_family(f, "jitgate_http_requests_total", "counter", "HTTP "
	               "answers by route (its pattern in the route table; "
	               "\"none\" when no route matched), method and status.");
	for (size_t r = 0; r <= jg_nroutes; r++)
		for (int c = 0; c < CODES; c++) {
			uint64_t n = __atomic_load_n(&m->http[r * CODES + c],
			                             __ATOMIC_RELAXED);
			if (!n)
				continue;
			snprintf(code, sizeof(code), "%d", c + 100);
			const char *const l[] = {
			        "route", r < jg_nroutes ? jg_routes[r].pattern
			                                : "none",
			        "method", r < jg_nroutes ? jg_routes[r].method
			                                 : "other",
			        "code", code, NULL};
			jg_prom_int(f, "jitgate_http_requests_total", l,
			            (int64_t)n);
		}
	jg_hist_snapshot(&m->check, &s);
	jg_prom_family(f, "jitgate_check_duration_seconds", "histogram",
	               "Time the server spent on a POST /v1/check, from its "
	               "headers to its answer.");
	jg_prom_hist(f, "jitgate_check_duration_seconds", NULL, &s);
}

char *jg_metrics_render(struct jg_metrics *m, struct jg_gate *g,
                        int64_t now, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	pthread_mutex_lock(&m->lock);
	if (!m->store_ms || mono_ms() - m->store_ms >= JG_METRICS_STORE_MS)
		read_store(m, g);
	if (m->store_text)
		fwrite(m->store_text, 1, m->store_len, f);
	pthread_mutex_unlock(&m->lock);
	gate_families(f, g, now);
	http_families(f, m);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
