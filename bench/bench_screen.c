/*
 * bench_screen.c - jg_policy_screen with N rules, the matching rule last.
 *
 *   bench_screen N [SECONDS] [--yaml FILE]
 *
 * Builds the policy as YAML text (bench_policy_yaml below, the same text
 * `jitgate serve` loads in bench/run's HTTP benchmark when given
 * --yaml FILE to write it out), parses it with jg_policy_parse, and
 * screens one request that only the last rule matches: N resources
 * svc-0000 … with the action deploy, rule i matching resource svc-i and
 * action deploy, with a justification check (at least 10 characters) and
 * a ticket check ((INC|CHG)-[0-9]+), decision auto. Every screening must
 * come out auto by the last rule, or the benchmark fails.
 *
 * Latency: clock_gettime around each call; rate: a loop with no clock
 * inside. Also the parse time and the process's RSS growth for the
 * parsed policy.
 */
#include "common.h"
#include "core/policy.h"
#include "policy/load.h"

#define T0 1900000000LL

static char *bench_policy_yaml(unsigned n, size_t *len)
{
	size_t cap = 256 + (size_t)n * 400, off = 0;
	char *buf = malloc(cap);

	if (!buf)
		bn_die("out of memory");
#define PUT(...) off += (size_t)snprintf(buf + off, cap - off, __VA_ARGS__)
	PUT("version: 1\n"
	    "defaults: {max_duration: 1h, request_ttl: 24h}\n"
	    "groups:\n  ops: {members: [olga]}\n"
	    "resources:\n");
	for (unsigned i = 0; i < n; i++)
		PUT("  svc-%04u: {labels: {env: prod}, actions: [deploy, "
		    "service.restart]}\n", i);
	PUT("rules:\n");
	for (unsigned i = 0; i < n; i++)
		PUT("  - name: rule-%04u\n"
		    "    match: {resource: svc-%04u, action: deploy}\n"
		    "    checks:\n"
		    "      justification: {min_length: 10}\n"
		    "      ticket: {pattern: \"(INC|CHG)-[0-9]+\"}\n"
		    "    decision: auto\n", i, i);
#undef PUT
	if (off >= cap)
		bn_die("policy text overflow");
	*len = off;
	return buf;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 10;
	double secs = argc > 2 && argv[2][0] != '-' ? atof(argv[2])
	                                             : bn_seconds(2);
	const char *yaml_out = NULL;
	struct jg_principal who = {.name = "alice"};
	char err[512], resource[JG_NAME_MAX], want[JG_NAME_MAX];
	struct jg_policy *pol;
	struct jg_verdict v;
	struct jg_ask ask = {0};
	uint64_t t0, t1, calls = 0, bad = 0, batch;
	size_t len, cap = 4000000, ns = 0;
	uint64_t *lat;
	long rss0, rss1;
	char *text;

	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "--yaml") == 0)
			yaml_out = argv[i + 1];
	if (n == 0 || n > 9999)
		bn_die("N must be 1 to 9999");
	text = bench_policy_yaml(n, &len);
	if (yaml_out) {
		FILE *f = fopen(yaml_out, "w");
		if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
			bn_die("cannot write %s", yaml_out);
		free(text);
		return 0;
	}
	rss0 = bn_rss_kib(0);
	t0 = bn_now_ns();
	if (jg_policy_parse("bench", text, len, &pol, err, sizeof(err)) !=
	    JG_OK)
		bn_die("policy: %s", err);
	t1 = bn_now_ns();
	rss1 = bn_rss_kib(0);
	double parse_ms = (t1 - t0) / 1e6;
	free(text);

	snprintf(resource, sizeof(resource), "svc-%04u", n - 1);
	snprintf(want, sizeof(want), "rule-%04u", n - 1);
	ask.resource = resource;
	ask.action = "deploy";
	ask.reason = "roll out the fix for INC-4242";
	ask.ticket = "INC-4242";
	ask.source_ip = "10.20.1.7";
	ask.now = T0;

	/* one screening checked in full, then warm-up */
	if (jg_policy_screen(pol, &who, &ask, &v) != JG_OK ||
	    v.decision != JG_DECIDE_AUTO || !v.rule ||
	    strcmp(v.rule->name, want) != 0)
		bn_die("screening did not approve by %s: %s", want, v.reason);
	t0 = bn_now_ns();
	for (int i = 0; i < 2000 && bn_now_ns() - t0 < secs * 0.2e9; i++)
		jg_policy_screen(pol, &who, &ask, &v);

	if (!(lat = malloc(cap * sizeof(*lat))))
		bn_die("out of memory");
	t0 = bn_now_ns();
	while (ns < cap) {
		uint64_t a = bn_now_ns(), b;
		enum jg_err e = jg_policy_screen(pol, &who, &ask, &v);
		b = bn_now_ns();
		if (e != JG_OK || v.decision != JG_DECIDE_AUTO)
			bad++;
		lat[ns++] = b - a;
		if (b - t0 > secs * 1e9)
			break;
	}
	qsort(lat, ns, sizeof(*lat), bn_cmp_u64);
	uint64_t p50 = bn_quantile(lat, ns, 0.50, 1);
	uint64_t p99 = bn_quantile(lat, ns, 0.99, 1);
	free(lat);

	batch = p50 ? 10000000 / p50 : 256;
	batch = batch < 1 ? 1 : batch > 4096 ? 4096 : batch;
	t0 = bn_now_ns();
	do {
		for (uint64_t k = 0; k < batch; k++)
			if (jg_policy_screen(pol, &who, &ask, &v) != JG_OK ||
			    v.decision != JG_DECIDE_AUTO)
				bad++;
		calls += batch;
		t1 = bn_now_ns();
	} while (t1 - t0 < secs * 1e9);
	double rate = calls / ((t1 - t0) / 1e9);
	if (bad)
		bn_die("%llu screenings came out wrong", (unsigned long long)bad);

	printf("screen: %u rules (match last): p50 %.2f us, p99 %.2f us "
	       "(%zu timed calls); %.0f screenings/s; parse %.1f ms, "
	       "policy RSS %.1f MiB\n", n, p50 / 1e3, p99 / 1e3, ns, rate,
	       parse_ms, (rss1 - rss0) / 1024.0);
	bn_result("\"bench\":\"screen\",\"rules\":%u,\"p50_ns\":%llu,"
	          "\"p99_ns\":%llu,\"samples\":%zu,\"rate\":%.0f,"
	          "\"parse_ms\":%.2f,\"policy_rss_kib\":%ld", n,
	          (unsigned long long)p50, (unsigned long long)p99, ns, rate,
	          parse_ms, rss1 - rss0);
	jg_policy_free(pol);
	return 0;
}
