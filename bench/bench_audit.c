/*
 * bench_audit.c - verifying the audit chain.
 *
 *   bench_audit N
 *
 * Writes N chained audit events into a SQLite store in a scratch
 * directory, straight through the store's ops (audit_insert) in
 * transactions of 50,000, each event hashed with jg_audit_hash exactly as
 * jg_audit_append does (canonical JSON, SHA-256, prev_hash of the event
 * before). The events look like a real trail: request.created with its
 * screening, request.approved, grant.issued in turn, details of 100 to
 * 400 bytes. Then times jg_audit_verify over the whole chain, which must
 * say OK with N events.
 */
#include <jansson.h>

#include "audit/audit.h"
#include "common.h"
#include "store/store.h"

#define T0 1900000000LL
#define BATCH 50000

static const char *const types[] = {"request.created", "request.approved",
                                    "grant.issued"};

static char *details_of(uint64_t i)
{
	json_t *d;
	char *s;
	char req[JG_ID_LEN];

	snprintf(req, sizeof(req), "req_bench%021llu",
	         (unsigned long long)(i / 3));
	switch (i % 3) {
	case 0:
		d = json_pack("{s:s,s:s,s:s,s:s,s:i,s:{s:s,s:[s]},"
		              "s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}",
		              "decision", "review", "rule", "prod-db-writes",
		              "resource", "prod-db", "action", "sql.write",
		              "duration", 1800, "context", "source_ip",
		              "10.20.1.7", "groups", "dev", "screening", "name",
		              "ticket", "result", "pass", "message",
		              "ticket INC-42 matches (INC|CHG)-[0-9]+", "name",
		              "justification", "result", "pass", "message",
		              "justification has 31 characters, at least 20");
		break;
	case 1:
		d = json_pack("{s:s,s:s,s:i}", "by", "bob", "comment",
		              "checked the WHERE clause", "step", 0);
		break;
	default:
		d = json_pack("{s:s,s:s,s:s}", "request_id", req,
		              "expires_at", "2030-03-17T18:10:00Z", "action",
		              "sql.write");
	}
	s = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	if (!s)
		bn_die("out of memory");
	return s;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	char dir[512], path[600], err[256], prev[JG_SHA256_HEX];
	struct jg_audit_report rep;
	struct jg_store *st;
	uint64_t t0, t1;
	enum jg_err e;

	if (n == 0)
		bn_die("N must be above 0");
	bn_tmpdir(dir, sizeof(dir), "audit");
	snprintf(path, sizeof(path), "%s/j.db", dir);
	if (jg_store_open(path, &st, err, sizeof(err)) != JG_OK)
		bn_die("store: %s", err);

	memcpy(prev, JG_AUDIT_GENESIS, sizeof(prev));
	t0 = bn_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		struct jg_event ev = {0};
		if (i % BATCH == 0 && st->ops->begin(st, 1) != JG_OK)
			bn_die("begin: %s", st->err);
		ev.seq = (int64_t)i + 1;
		snprintf(ev.id, sizeof(ev.id), "evt_bench%021llu",
		         (unsigned long long)i);
		ev.ts = T0 + (int64_t)(i / 10);
		snprintf(ev.actor, sizeof(ev.actor), "%s",
		         i % 3 == 1 ? "bob" : i % 3 ? "jitgate" : "alice");
		snprintf(ev.type, sizeof(ev.type), "%s", types[i % 3]);
		snprintf(ev.subject, sizeof(ev.subject), "%s_bench%021llu",
		         i % 3 == 2 ? "grt" : "req", (unsigned long long)(i / 3));
		memcpy(ev.prev_hash, prev, sizeof(prev));
		ev.details = details_of(i);
		if (jg_audit_hash(&ev, ev.hash) != JG_OK)
			bn_die("hash failed");
		if ((e = st->ops->audit_insert(st, &ev)) != JG_OK)
			bn_die("audit_insert: %s: %s", jg_strerror(e), st->err);
		memcpy(prev, ev.hash, sizeof(prev));
		free(ev.details);
		if ((i + 1) % BATCH == 0 || i + 1 == n)
			if (st->ops->commit(st) != JG_OK)
				bn_die("commit: %s", st->err);
	}
	t1 = bn_now_ns();
	double ins_s = (t1 - t0) / 1e9;
	printf("audit: %llu chained events written in %.1f s\n",
	       (unsigned long long)n, ins_s);

	t0 = bn_now_ns();
	if ((e = jg_audit_verify(st, &rep)) != JG_OK)
		bn_die("verify: %s: %s", jg_strerror(e), st->err);
	t1 = bn_now_ns();
	if (!rep.ok || rep.count != (int64_t)n)
		bn_die("verify said %s after %lld events: %s",
		       rep.ok ? "OK" : "BROKEN", (long long)rep.count,
		       rep.reason);
	double vs = (t1 - t0) / 1e9;
	printf("audit: verify of %llu events: OK in %.2f s (%.0f events/s)\n",
	       (unsigned long long)n, vs, n / vs);
	bn_result("\"bench\":\"audit\",\"events\":%llu,\"verify_s\":%.3f,"
	          "\"rate\":%.0f,\"insert_s\":%.2f", (unsigned long long)n, vs,
	          n / vs, ins_s);
	jg_store_close(st);
	bn_rm_db(dir, "j.db");
	return 0;
}
