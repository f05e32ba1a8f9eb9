/*
 * fuzz_policy.c - libFuzzer harness for the policy loader and what runs
 * on a loaded policy: jg_policy_parse (YAML, every key, time zones from
 * the system tz database, CIDRs, regexes), jg_policy_lint, and
 * jg_policy_screen for every action of every resource under a few
 * principals, clocks, sources, findings and kinds of ask.
 *
 * Beyond the sanitizers it asserts the loader's and screening's
 * promises: an error message is one line; a loaded check has what
 * screening needs; a verdict that is not "deny" names the rule that
 * allowed it (nothing is allowed by default).
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/policy/, fuzz/policy.dict).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "policy/lint.h"
#include "policy/load.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())
#define COMBOS_MAX 64 /* resource x action pairs screened per input */

static enum jg_err count(void *ctx, int64_t since, size_t *by_requester,
                         size_t *by_resource)
{
	size_t n = *(const size_t *)ctx;

	(void)since;
	*by_requester = n;
	*by_resource = n * 7;
	return JG_OK;
}

static void loaded_ok(const struct jg_policy *p)
{
	for (size_t i = 0; i < p->nresources; i++)
		CHECK(p->resources[i].level >= JG_LOW &&
		      p->resources[i].level <= JG_CRITICAL);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct jg_rule *r = &p->rules[i];
		CHECK(!r->time.set || (r->time.tz && r->time.text &&
		                       r->time.nwindows > 0));
		CHECK(!r->ticket.set || r->ticket.regex);
		CHECK(!r->source.set || r->source.ncidrs > 0);
		CHECK(!r->rate.set || r->rate.window > 0);
		CHECK(!r->break_glass_group || r->break_glass_max <= r->max_duration);
		CHECK((r->decision == JG_DECIDE_REVIEW) == (r->nsteps > 0));
	}
}

static void principal(struct jg_principal *w, const char *name,
                      const char *group)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	if (group) {
		snprintf(w->groups[0], sizeof(w->groups[0]), "%s", group);
		w->ngroups = 1;
	}
}

static void screen_all(const struct jg_policy *p)
{
	static const char *const ips[] = {"10.1.2.3", "2001:db8::1",
	                                  "::ffff:10.0.0.1", NULL,
	                                  "192.168.1.7", "not-an-ip"};
	static const int64_t clock[] = {0, 1772614800, 1774746000,
	                                2382480000, -86400, INT64_MAX / 4};
	static const char *const types[] = {"sast", "dast", NULL};
	struct jg_principal who[3];
	size_t combos = 0, n = 3;

	principal(&who[0], "alice", NULL);
	principal(&who[1], "bob", p->ngroups ? p->groups[0].name : NULL);
	principal(&who[2], p->ngroups && p->groups[p->ngroups - 1].nmembers
	                           ? p->groups[p->ngroups - 1].members[0]
	                           : "sam",
	          p->nrules && p->rules[0].break_glass_group
	                  ? p->rules[0].break_glass_group
	                  : NULL);
	for (size_t i = 0; i < p->nresources; i++) {
		const struct jg_resource *res = &p->resources[i];
		for (size_t j = 0; j < res->nactions && combos < COMBOS_MAX;
		     j++, combos++) {
			for (int k = 0; k < 6; k++) {
				struct jg_finding f = {.id = "F-1",
				                       .type = types[k % 3],
				                       .severity = k % 5};
				struct jg_ask ask = {
					.resource = res->name,
					.action = res->actions[j],
					.duration = (k % 3) * 900,
					.reason = k & 1 ? "a reason that is long enough" : "",
					.ticket = k & 2 ? "INC-42" : NULL,
					.source_ip = ips[k],
					.now = clock[k],
					.finding = k & 1 ? &f : NULL,
					.break_glass = k == 3,
					.extension = k == 4,
					.life_so_far = 600,
					.extensions_so_far = k,
					.count = k == 5 ? NULL : count,
					.count_ctx = &n,
				};
				struct jg_verdict v;
				enum jg_err e =
				        jg_policy_screen(p, &who[k % 3], &ask, &v);

				CHECK(v.nchecks <= JG_CHECKS_MAX);
				CHECK(memchr(v.reason, '\0', sizeof(v.reason)));
				if (e == JG_OK && v.decision != JG_DECIDE_DENY)
					CHECK(v.rule != NULL);
				n += 2;
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jg_policy *p = NULL;
	char err[512];

	if (jg_policy_parse("fuzz.yaml", (const char *)data, size, &p, err,
	                    sizeof(err)) != JG_OK) {
		CHECK(p == NULL);
		CHECK(err[0] && !strchr(err, '\n'));
		return 0;
	}
	loaded_ok(p);
	jg_policy_lint(p, NULL, NULL);
	screen_all(p);
	jg_policy_free(p);
	return 0;
}
