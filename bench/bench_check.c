/*
 * bench_check.c - jg_gate_check through a real gate on a SQLite store.
 *
 *   bench_check N [SECONDS]
 *
 * Makes a store in a scratch directory, inserts N active grants in one
 * transaction straight through the store's ops (grant_insert; no API, no
 * audit events: this benchmark is about answering, not issuing), loads
 * the gate's index of live grants from it (jg_gate_index_load, as jitgate
 * serve does), then asks jg_gate_check about random grants that exist
 * (allow) and, briefly, about principals that hold none (deny).
 *
 * Latency: clock_gettime around every call (p50, p99). Rate: a separate
 * loop of calls with no clock inside it, calls / elapsed. Memory per
 * grant, divided by N, two ways: the bytes the index says it uses (its
 * slot array and live entries, jg_gate_index_size), and the growth of
 * this process's RSS while loading it (what the machine pays, but noisy:
 * page granularity at 1k grants, and the store's page buffers of the load
 * that the allocator keeps). Beside them, the SQLite pages (4 KiB each) of
 * the grants table and its indexes, from the dbstat table: what the
 * grants take on disk.
 */
#include <sqlite3.h>

#include "common.h"
#include "gate/gate.h"
#include "policy/load.h"
#include "store/store.h"

#define T0 1900000000LL /* the benchmark's clock, seconds */

static const char *const actions[] = {"sql.read", "sql.write",
                                      "service.restart", "deploy"};

/* Grant i: principal user<i/4>, action by i%4, one of 64 resources. */
static void key(uint64_t i, char *principal, char *resource,
                const char **action)
{
	snprintf(principal, JG_NAME_MAX, "user%07llu",
	         (unsigned long long)(i / 4));
	snprintf(resource, JG_NAME_MAX, "res-%02llu",
	         (unsigned long long)((i / 4) % 64));
	*action = actions[i % 4];
}

static long long grant_pages_bytes(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		bn_die("open %s: %s", path, sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db,
	        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN"
	        " (SELECT name FROM sqlite_schema WHERE tbl_name = 'grants')",
	        -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000;
	double secs = argc > 2 ? atof(argv[2]) : bn_seconds(3);
	static const char yaml[] = "version: 1\n";
	struct jg_principal who = {.name = "bench-checker",
	                           .roles = JG_ROLE_CHECKER};
	char dir[512], path[600], err[256], why[JG_WHY_MAX];
	char principal[JG_NAME_MAX], resource[JG_NAME_MAX];
	struct jg_store *st;
	struct jg_policy *pol;
	struct jg_gate *g;
	struct jg_answer ans;
	const char *action;
	uint64_t seed = 0x9E3779B97F4A7C15ULL, t0, t1, calls, batch, bad = 0;
	long rss1, rss_ix;
	long long pages0, pages1;
	size_t ix_n, ix_bytes;
	double ins_s, load_s;
	size_t cap, ns;
	uint64_t *lat;
	enum jg_err e;

	if (n == 0)
		bn_die("N must be above 0");
	bn_tmpdir(dir, sizeof(dir), "check");
	snprintf(path, sizeof(path), "%s/j.db", dir);
	if (jg_store_open(path, &st, err, sizeof(err)) != JG_OK)
		bn_die("store: %s", err);
	if (jg_policy_parse("bench", yaml, sizeof(yaml) - 1, &pol, err,
	                    sizeof(err)) != JG_OK)
		bn_die("policy: %s", err);
	if (jg_gate_new(st, pol, NULL, &g) != JG_OK)
		bn_die("gate: out of memory");
	pages0 = grant_pages_bytes(path);

	/* N active grants, one transaction, through the store's ops */
	t0 = bn_now_ns();
	if (st->ops->begin(st, 1) != JG_OK)
		bn_die("begin: %s", st->err);
	for (uint64_t i = 0; i < n; i++) {
		struct jg_grant gr = {0};
		snprintf(gr.id, sizeof(gr.id), "grt_bench%021llu",
		         (unsigned long long)i);
		snprintf(gr.request_id, sizeof(gr.request_id),
		         "req_bench%021llu", (unsigned long long)i);
		key(i, gr.principal, gr.resource, &action);
		snprintf(gr.action, sizeof(gr.action), "%s", action);
		gr.not_before = T0 - 60;
		gr.created_at = T0 - 60;
		gr.expires_at = T0 + 3600 + (int64_t)(i % 1000);
		gr.uses_left = -1;
		gr.state = JG_GRANT_ACTIVE;
		if ((e = st->ops->grant_insert(st, &gr)) != JG_OK)
			bn_die("grant_insert %llu: %s: %s",
			       (unsigned long long)i, jg_strerror(e), st->err);
	}
	if (st->ops->commit(st) != JG_OK)
		bn_die("commit: %s", st->err);
	t1 = bn_now_ns();
	ins_s = (t1 - t0) / 1e9;
	printf("check: %llu grants inserted in %.2f s (%.0f/s, one "
	       "transaction)\n", (unsigned long long)n, (t1 - t0) / 1e9,
	       n / ((t1 - t0) / 1e9));
	pages1 = grant_pages_bytes(path);

	/* the index, as jitgate serve loads it at start */
	rss1 = bn_rss_kib(0);
	t0 = bn_now_ns();
	if ((e = jg_gate_index_load(g)) != JG_OK)
		bn_die("index load: %s: %s", jg_strerror(e), st->err);
	t1 = bn_now_ns();
	load_s = (t1 - t0) / 1e9;
	rss_ix = bn_rss_kib(0);
	jg_gate_index_size(g, &ix_n, &ix_bytes);
	if (ix_n != n)
		bn_die("the index holds %zu grants, not %llu", ix_n,
		       (unsigned long long)n);
	printf("check: index of %llu grants loaded in %.2f s\n",
	       (unsigned long long)n, load_s);

	/* warm up: the caches and the branch predictor */
	t0 = bn_now_ns();
	for (uint64_t i = 0; i < (n < 20000 ? n : 20000); i++) {
		key(bn_rand(&seed) % n, principal, resource, &action);
		jg_gate_hold(g);
		jg_gate_check(g, &who, principal, resource, action, T0, &ans,
		              why);
		jg_gate_release(g);
		if (bn_now_ns() - t0 > secs * 0.3e9)
			break;
	}

	/* latency: one clock read around each call */
	cap = 4000000;
	if (!(lat = malloc(cap * sizeof(*lat))))
		bn_die("out of memory");
	ns = 0;
	t0 = bn_now_ns();
	while (ns < cap) {
		uint64_t a, b;
		key(bn_rand(&seed) % n, principal, resource, &action);
		a = bn_now_ns();
		jg_gate_hold(g);
		e = jg_gate_check(g, &who, principal, resource, action, T0,
		                  &ans, why);
		jg_gate_release(g);
		b = bn_now_ns();
		if (e != JG_OK || !ans.allow)
			bad++;
		lat[ns++] = b - a;
		if (b - t0 > secs * 1e9)
			break;
	}
	qsort(lat, ns, sizeof(*lat), bn_cmp_u64);
	uint64_t p50 = bn_quantile(lat, ns, 0.50, 1);
	uint64_t p99 = bn_quantile(lat, ns, 0.99, 1);

	/* rate: no clock inside the loop */
	/* batches of about 10 ms between clock reads */
	batch = p50 ? 10000000 / p50 : 256;
	batch = batch < 1 ? 1 : batch > 256 ? 256 : batch;
	calls = 0;
	t0 = bn_now_ns();
	do {
		for (uint64_t k = 0; k < batch; k++) {
			key(bn_rand(&seed) % n, principal, resource, &action);
			jg_gate_hold(g);
			e = jg_gate_check(g, &who, principal, resource, action,
			                  T0, &ans, why);
			jg_gate_release(g);
			if (e != JG_OK || !ans.allow)
				bad++;
		}
		calls += batch;
		t1 = bn_now_ns();
	} while (t1 - t0 < secs * 1e9);
	double rate = calls / ((t1 - t0) / 1e9);

	/* misses: principals that hold no grant (deny) */
	size_t nm = 0;
	t0 = bn_now_ns();
	while (nm < cap) {
		uint64_t a, b;
		snprintf(principal, sizeof(principal), "nobody%07llu",
		         (unsigned long long)(bn_rand(&seed) % 1000000));
		a = bn_now_ns();
		jg_gate_hold(g);
		e = jg_gate_check(g, &who, principal, "res-01", "deploy", T0,
		                  &ans, why);
		jg_gate_release(g);
		b = bn_now_ns();
		if (e != JG_OK || ans.allow)
			bad++;
		lat[nm++] = b - a;
		if (b - t0 > secs * 0.3e9)
			break;
	}
	uint64_t miss50 = bn_quantile(lat, nm, 0.50, 0);
	free(lat);

	if (bad)
		bn_die("%llu checks answered wrongly", (unsigned long long)bad);

	double page_b = pages1 >= 0 && pages0 >= 0 ?
	                        (double)(pages1 - pages0) / (double)n : -1;
	double ix_bytes_b = (double)ix_bytes / (double)n;
	double ix_b = (double)(rss_ix - rss1) * 1024.0 / (double)n;
	printf("check: %llu active grants: p50 %.2f us, p99 %.2f us "
	       "(%zu timed calls); %.0f checks/s; deny p50 %.2f us\n",
	       (unsigned long long)n, p50 / 1e3, p99 / 1e3, ns, rate,
	       miss50 / 1e3);
	printf("check: memory per grant: index %.0f bytes (%.1f MiB); RSS grew "
	       "%.0f bytes/grant loading it (%.1f MiB); SQLite pages %.0f "
	       "bytes (grants table + its indexes)\n", ix_bytes_b,
	       ix_bytes / 1048576.0, ix_b, (rss_ix - rss1) / 1024.0, page_b);
	bn_result("\"bench\":\"check\",\"grants\":%llu,\"p50_ns\":%llu,"
	          "\"p99_ns\":%llu,\"samples\":%zu,\"rate\":%.0f,"
	          "\"deny_p50_ns\":%llu,\"page_bytes_per_grant\":%.1f,"
	          "\"index_bytes_per_grant\":%.1f,"
	          "\"index_rss_bytes_per_grant\":%.1f,\"insert_s\":%.3f,"
	          "\"load_s\":%.3f",
	          (unsigned long long)n, (unsigned long long)p50,
	          (unsigned long long)p99, ns, rate,
	          (unsigned long long)miss50, page_b, ix_bytes_b, ix_b,
	          ins_s, load_s);
	jg_gate_free(g);
	jg_store_close(st);
	bn_rm_db(dir, "j.db");
	return 0;
}
