/*
 * bench_report.c - the compliance report over a busy team's year.
 *
 *   bench_report N
 *
 * Writes N chained audit events dated across 2026 into a SQLite store in
 * a scratch directory, straight through the store's audit_insert in
 * transactions of 50,000 (hashed with jg_audit_hash, as bench_audit.c
 * does), shaped like the gate's own: lifecycles of request.created (40
 * principals, 25 resources, a reason and a ticket), review.recorded,
 * request.approved, grant.issued and its end (grant.expired, one in ten
 * grant.revoked), with a denial every 20th lifecycle and a break-glass
 * use (reviewed after) every 100th. Then, through a gate as an auditor,
 * times jg_report_gather for the year (one walk, the chain's verification
 * included) and the rendering of each format; the count of grants in the
 * report must be the number written.
 */
#include <jansson.h>

#include "audit/audit.h"
#include "common.h"
#include "policy/load.h"
#include "insight/report.h"
#include "store/store.h"
#include "util/timefmt.h"

#define T0 1767225600LL /* 2026-01-01T00:00:00Z */
#define YEAR (365LL * 86400)
#define BATCH 50000

static const char yaml[] = "version: 1\n"
                           "resources:\n"
                           "  db: {actions: [read]}\n"
                           "rules:\n"
                           "  - name: all\n"
                           "    match: {resource: db}\n"
                           "    decision: auto\n"
                           "    max_duration: 1h\n";

struct gen {
	struct jg_store *st;
	char prev[JG_SHA256_HEX];
	int64_t seq, n, grants;
	uint64_t life; /* lifecycles started */
};

static void put(struct gen *g, int64_t ts, const char *actor,
                const char *type, const char *subject, json_t *d)
{
	struct jg_event ev = {0};
	enum jg_err e;

	if (g->seq % BATCH == 0 && g->st->ops->begin(g->st, 1) != JG_OK)
		bn_die("begin: %s", g->st->err);
	ev.seq = ++g->seq;
	snprintf(ev.id, sizeof(ev.id), "evt_bench%021lld", (long long)ev.seq);
	ev.ts = ts;
	snprintf(ev.actor, sizeof(ev.actor), "%s", actor);
	snprintf(ev.type, sizeof(ev.type), "%s", type);
	snprintf(ev.subject, sizeof(ev.subject), "%s", subject);
	memcpy(ev.prev_hash, g->prev, sizeof(g->prev));
	ev.details = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS)
	               : strdup("{}");
	json_decref(d);
	if (!ev.details || jg_audit_hash(&ev, ev.hash) != JG_OK)
		bn_die("hash failed");
	if ((e = g->st->ops->audit_insert(g->st, &ev)) != JG_OK)
		bn_die("audit_insert: %s: %s", jg_strerror(e), g->st->err);
	memcpy(g->prev, ev.hash, sizeof(g->prev));
	free(ev.details);
	if (g->seq % BATCH == 0 || g->seq == g->n)
		if (g->st->ops->commit(g->st) != JG_OK)
			bn_die("commit: %s", g->st->err);
}

/* One request and what followed it, at ts; stops at N events. */
static void lifecycle(struct gen *g, int64_t ts)
{
	uint64_t k = g->life++;
	char req[JG_ID_LEN], grt[JG_ID_LEN], who[16], res[16], exp[32];
	int denied = k % 20 == 19, bg = k % 100 == 42;

	snprintf(req, sizeof(req), "req_bench%021llu", (unsigned long long)k);
	snprintf(grt, sizeof(grt), "grt_bench%021llu", (unsigned long long)k);
	snprintf(who, sizeof(who), "user%02llu", (unsigned long long)(k % 40));
	snprintf(res, sizeof(res), "db-%02llu", (unsigned long long)(k % 25));
	jg_time_format(ts + 3600 + 600, exp);
	put(g, ts, who, "request.created", req,
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "resource", res,
	              "action", "sql.write", "reason",
	              "fix the nightly batch for INC-1234", "ticket", "INC-1234",
	              "duration", "1h", "rule", "prod", "decision",
	              bg ? "break-glass" : "review"));
	if (g->seq >= g->n)
		return;
	if (bg) {
		put(g, ts, who, "alert.break_glass", req,
		    json_pack("{s:s,s:s,s:s,s:s}", "requester", who, "resource",
		              res, "action", "sql.write", "reason", "outage"));
	} else {
		put(g, ts + 300, "bob", "review.recorded", req,
		    json_pack("{s:s,s:i}", "verdict", denied ? "deny" : "approve",
		              "step", 0));
		if (g->seq >= g->n)
			return;
		if (denied) {
			put(g, ts + 300, "bob", "request.denied", req,
			    json_pack("{s:s}", "reason", "no"));
			return;
		}
	}
	if (g->seq >= g->n)
		return;
	put(g, ts + 600, bg ? who : "bob", "request.approved", req,
	    json_pack("{s:s}", "reason", "approved"));
	if (g->seq >= g->n)
		return;
	put(g, ts + 600, "jitgate", "grant.issued", grt,
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "request_id", req, "principal",
	              who, "resource", res, "action", "sql.write", "expires_at",
	              exp));
	g->grants++;
	if (g->seq >= g->n)
		return;
	if (k % 10 == 3)
		put(g, ts + 1200, "carol", "grant.revoked", grt,
		    json_pack("{s:s}", "reason", "done early"));
	else
		put(g, ts + 4200, "jitgate", "grant.expired", grt,
		    json_pack("{s:s}", "expired_at", exp));
	if (bg && g->seq < g->n)
		put(g, ts + 7200, "carol", "request.post_reviewed", req,
		    json_pack("{s:s}", "comment", "fine"));
}

/* CPU seconds of this process: the machine may be shared, and the wall
 * time then says more about the neighbours than about the report. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double render(const json_t *m, enum jg_report_format f,
                     const char *name, size_t *bytes)
{
	char sha[JG_SHA256_HEX], *out = NULL;
	uint64_t t0 = bn_now_ns();
	enum jg_err e = jg_report_render(m, f, &out, bytes, sha);
	double s = (bn_now_ns() - t0) / 1e9;

	if (e != JG_OK)
		bn_die("render %s: %s", name, jg_strerror(e));
	free(out);
	/* the same trail must give the same file, byte for byte, whatever
	 * the report's code does to be faster: compare this across builds */
	printf("report: %s rendered in %.2f s (%.1f MB, sha256 %.16s)\n",
	       name, s, *bytes / 1e6, sha);
	return s;
}

int main(int argc, char **argv)
{
	int64_t n = argc > 1 ? strtoll(argv[1], NULL, 10) : 1000000;
	char dir[512], path[600], err[256], why[JG_WHY_MAX] = "";
	struct gen g = {0};
	struct jg_policy *pol;
	struct jg_gate *gate;
	struct jg_principal audra = {.name = "audra",
	                             .roles = JG_ROLE_AUDITOR};
	json_t *m = NULL;
	size_t html_b, json_b, csv_b;
	uint64_t t0;
	enum jg_err e;

	if (n <= 0)
		bn_die("N must be above 0");
	bn_tmpdir(dir, sizeof(dir), "report");
	snprintf(path, sizeof(path), "%s/j.db", dir);
	if (jg_store_open(path, &g.st, err, sizeof(err)) != JG_OK)
		bn_die("store: %s", err);
	g.n = n;
	memcpy(g.prev, JG_AUDIT_GENESIS, sizeof(g.prev));
	t0 = bn_now_ns();
	/* lifecycles spread evenly over the year (about 5 events each) */
	while (g.seq < n)
		lifecycle(&g, T0 + (int64_t)((double)g.seq / (double)n *
		                             (double)(YEAR - 86400)));
	printf("report: %lld events (%lld grants) written in %.1f s\n",
	       (long long)n, (long long)g.grants, (bn_now_ns() - t0) / 1e9);

	if (jg_policy_parse("bench", yaml, sizeof(yaml) - 1, &pol, err,
	                    sizeof(err)) != JG_OK)
		bn_die("policy: %s", err);
	if (jg_gate_new(g.st, pol, NULL, &gate) != JG_OK)
		bn_die("gate: out of memory");
	t0 = bn_now_ns();
	double c0 = cpu_s();
	e = jg_report_gather(gate, &audra, T0, T0 + YEAR, T0 + YEAR, &m, why);
	double gs = (bn_now_ns() - t0) / 1e9, gcpu = cpu_s() - c0;
	if (e != JG_OK)
		bn_die("gather: %s: %s", jg_strerror(e), why);
	if ((int64_t)json_array_size(json_object_get(m, "grants")) != g.grants)
		bn_die("the report has %zu grants, %lld were written",
		       json_array_size(json_object_get(m, "grants")),
		       (long long)g.grants);
	if (!json_is_true(json_object_get(json_object_get(m, "audit"),
	                                  "chain_ok")))
		bn_die("the report says the chain is broken");
	printf("report: gathered (one walk + chain verify) in %.2f s "
	       "(%.2f s CPU)\n", gs, gcpu);
	c0 = cpu_s();
	double hs = render(m, JG_REPORT_HTML, "html", &html_b);
	double hcpu = cpu_s() - c0;
	double js = render(m, JG_REPORT_JSON, "json", &json_b);
	double cs = render(m, JG_REPORT_CSV, "csv", &csv_b);
	long rss = bn_rss_kib(0);
	printf("report: a year, %lld events: html in %.2f s all told, %.2f s "
	       "CPU (target < 10 s), RSS %ld MiB\n", (long long)n, gs + hs,
	       gcpu + hcpu, rss / 1024);
	bn_result("\"bench\":\"report\",\"events\":%lld,\"grants\":%lld,"
	          "\"gather_s\":%.3f,\"html_s\":%.3f,\"json_s\":%.3f,"
	          "\"csv_s\":%.3f,\"total_html_s\":%.3f,\"html_mb\":%.1f,"
	          "\"cpu_s\":%.3f,\"rss_kib\":%ld", (long long)n,
	          (long long)g.grants, gs, hs, js, cs, gs + hs, html_b / 1e6,
	          gcpu + hcpu, rss);
	json_decref(m);
	jg_gate_free(gate);
	jg_store_close(g.st);
	bn_rm_db(dir, "j.db");
	return 0;
}
