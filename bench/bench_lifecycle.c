/*
 * bench_lifecycle.c - durable request → approve → grant, through the gate.
 *
 *   bench_lifecycle CLIENTS [SECONDS] [alerts-off]
 *
 * A real gate on a SQLite store (WAL with group commit, as durable as
 * synchronous=FULL; as `jitgate serve` opens it) in a scratch directory under $BENCH_TMP. CLIENTS threads each
 * loop: jg_gate_request_create (a rule with one approval step, so the
 * request is pending; one transaction with its audit event), then
 * jg_gate_review approving it by a member of the step's group (one
 * transaction: the request is approved, the grant issued, both audited).
 * Every call is checked: pending after create, approved with a grant id
 * after the review.
 *
 * This calls the gate directly (no HTTP), so it measures the use cases,
 * the store and the disk. Reported: lifecycles per second, and committed
 * state-changing transactions per second (two per lifecycle), which is
 * what is compared with bench_fsync's limit: each commit waits for its
 * own fsync.
 *
 * The alert detectors run as `jitgate serve` runs them, on a thread of
 * their own, every JG_ALERTS_MS. With `alerts-off` the policy turns
 * every detector off (the thread then reads nothing), so the two runs
 * side by side show what the detectors cost (docs/alerts.md; at most 5%).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "common.h"
#include "gate/gate.h"
#include "policy/load.h"
#include "store/store.h"

static const char yaml[] =
        "version: 1\n"
        "defaults: {max_duration: 1h, request_ttl: 24h}\n"
        "groups:\n"
        "  dba: {members: []}\n"
        "resources:\n"
        "  db: {labels: {env: prod}, actions: [sql.write]}\n"
        "rules:\n"
        "  - name: writes\n"
        "    match: {resource: db, action: sql.write}\n"
        "    checks:\n"
        "      justification: {min_length: 10}\n"
        "    steps:\n"
        "      - {group: dba, count: 1}\n";

static const char alerts_off[] =
        "alerts: {burst_principal: off, burst_resource: off, denials: off,\n"
        "  rubber_stamp: off, collusion: off, break_glass: off,\n"
        "  policy_reload: off, policy_refused: off}\n";

struct client {
	pthread_t th;
	int idx;
	struct jg_gate *g;
	atomic_int *stop;
	uint64_t done, bad;
	uint64_t *lat; /* per lifecycle, ns */
	size_t nlat, cap;
	char err[JG_WHY_MAX + 64];
};

static void *run_client(void *arg)
{
	struct client *c = arg;
	struct jg_principal req = {0}, appr = {0};
	struct jg_new_request in = {.resource = "db", .action = "sql.write",
	                            .reason = "benchmark lifecycle run",
	                            .duration = 600};
	char why[JG_WHY_MAX];

	snprintf(req.name, sizeof(req.name), "requester-%d", c->idx);
	snprintf(appr.name, sizeof(appr.name), "approver-%d", c->idx);
	snprintf(appr.groups[0], sizeof(appr.groups[0]), "dba");
	appr.ngroups = 1;
	while (!atomic_load(c->stop)) {
		struct jg_request_view v, w;
		uint64_t a = bn_now_ns();
		int64_t now = (int64_t)time(NULL);
		enum jg_err e;

		jg_gate_hold(c->g);
		e = jg_gate_request_create(c->g, &req, &in, now, &v, why);
		jg_gate_release(c->g);
		if (e != JG_OK || v.req.state != JG_REQ_PENDING) {
			snprintf(c->err, sizeof(c->err), "create: %s: %s",
			         jg_strerror(e), why);
			c->bad++;
			if (e == JG_OK)
				jg_request_view_clear(&v);
			break;
		}
		jg_gate_hold(c->g);
		e = jg_gate_review(c->g, &appr, v.req.id, 1, "ok", now, &w, why);
		jg_gate_release(c->g);
		jg_request_view_clear(&v);
		if (e != JG_OK || w.req.state != JG_REQ_APPROVED ||
		    !w.grant_id[0]) {
			snprintf(c->err, sizeof(c->err), "approve: %s: %s",
			         jg_strerror(e), why);
			c->bad++;
			if (e == JG_OK)
				jg_request_view_clear(&w);
			break;
		}
		jg_request_view_clear(&w);
		if (c->nlat < c->cap)
			c->lat[c->nlat++] = bn_now_ns() - a;
		c->done++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nclients = argc > 1 ? atoi(argv[1]) : 1;
	double secs = argc > 2 ? atof(argv[2]) : bn_seconds(5);
	int detectors = !(argc > 3 && strcmp(argv[3], "alerts-off") == 0);
	char dir[512], path[600], err[256], text[sizeof(yaml) +
	                                          sizeof(alerts_off)];
	struct jg_store *st;
	struct jg_policy *pol;
	struct jg_gate *g;
	struct client *cs;
	atomic_int stop = 0;
	uint64_t t0, t1, done = 0, bad = 0, *all;
	size_t nall = 0;

	if (nclients < 1 || nclients > 1024)
		bn_die("CLIENTS must be 1 to 1024");
	bn_tmpdir(dir, sizeof(dir), "lifecycle");
	snprintf(path, sizeof(path), "%s/j.db", dir);
	if (jg_store_open(path, &st, err, sizeof(err)) != JG_OK)
		bn_die("store: %s", err);
	snprintf(text, sizeof(text), "%s%s", yaml, detectors ? "" : alerts_off);
	if (jg_policy_parse("bench", text, strlen(text), &pol, err,
	                    sizeof(err)) != JG_OK)
		bn_die("policy: %s", err);
	if (jg_gate_new(st, pol, NULL, &g) != JG_OK)
		bn_die("gate: out of memory");
	/* as `jitgate serve` feeds them: from a thread of their own */
	if (detectors && jg_gate_alerts_start(g, JG_ALERTS_MS) != JG_OK)
		bn_die("gate: cannot start the alert detectors");
	if (!(cs = calloc((size_t)nclients, sizeof(*cs))))
		bn_die("out of memory");

	t0 = bn_now_ns();
	for (int i = 0; i < nclients; i++) {
		cs[i].idx = i;
		cs[i].g = g;
		cs[i].stop = &stop;
		cs[i].cap = 1000000;
		if (!(cs[i].lat = malloc(cs[i].cap * sizeof(uint64_t))))
			bn_die("out of memory");
		if (pthread_create(&cs[i].th, NULL, run_client, &cs[i]) != 0)
			bn_die("pthread_create failed");
	}
	while (bn_now_ns() - t0 < secs * 1e9)
		usleep(20000);
	atomic_store(&stop, 1);
	for (int i = 0; i < nclients; i++)
		pthread_join(cs[i].th, NULL);
	t1 = bn_now_ns();

	for (int i = 0; i < nclients; i++) {
		done += cs[i].done;
		bad += cs[i].bad;
		nall += cs[i].nlat;
	}
	if (bad) {
		for (int i = 0; i < nclients; i++)
			if (cs[i].bad)
				bn_die("client %d: %s", i, cs[i].err);
	}
	if (!(all = malloc((nall ? nall : 1) * sizeof(*all))))
		bn_die("out of memory");
	nall = 0;
	for (int i = 0; i < nclients; i++) {
		memcpy(all + nall, cs[i].lat, cs[i].nlat * sizeof(*all));
		nall += cs[i].nlat;
		free(cs[i].lat);
	}
	double el = (t1 - t0) / 1e9, rate = done / el;
	uint64_t p50 = bn_quantile(all, nall, 0.50, 0);
	uint64_t p99 = bn_quantile(all, nall, 0.99, 1);
	printf("lifecycle (detectors %s): %d client(s): %.0f lifecycles/s = %.0f durable "
	       "transactions/s (create, approve+grant); lifecycle p50 %.2f ms, "
	       "p99 %.2f ms; %llu in %.1f s\n", detectors ? "on" : "off",
	       nclients, rate, 2 * rate,
	       p50 / 1e6, p99 / 1e6, (unsigned long long)done, el);
	bn_result("\"bench\":\"lifecycle\",\"detectors\":%d,\"clients\":%d,\"rate\":%.1f,"
	          "\"tx_rate\":%.1f,\"p50_ns\":%llu,\"p99_ns\":%llu,"
	          "\"lifecycles\":%llu,\"seconds\":%.3f", detectors, nclients,
	          rate,
	          2 * rate, (unsigned long long)p50, (unsigned long long)p99,
	          (unsigned long long)done, el);
	free(all);
	free(cs);
	jg_gate_free(g);
	jg_store_close(st);
	bn_rm_db(dir, "j.db");
	return 0;
}
