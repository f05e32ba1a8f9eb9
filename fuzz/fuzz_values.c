/*
 * fuzz_values.c - libFuzzer harness for the small parsers of values that
 * arrive in query strings and bodies: RFC 3339 times (jg_time_parse:
 * since/until, replay's since), durations (jg_duration_parse: duration
 * fields, extensions), and the names of states, roles and levels.
 *
 * They are also reached through the real server by fuzz_api and
 * fuzz_query; here they run alone, a million inputs a second, with
 * properties the API relies on:
 *   - a time that parses formats back (jg_time_format) to a text that
 *     parses to the same second, for years 1000 to 9999;
 *   - a duration that parses is within (0, JG_DURATION_MAX] and its
 *     shortest form (jg_duration_format) parses to the same seconds;
 *   - a name parses only to the one value whose name it is.
 *
 * Run with `make fuzz` or `make fuzz-ci` (seeds: fuzz/corpus/values/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/policy.h"
#include "util/timefmt.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())
#define YEAR_1000 (-30610224000LL)  /* 1000-01-01T00:00:00Z */
#define YEAR_10000 253402300800LL   /* 10000-01-01T00:00:00Z */

static void times(const char *s)
{
	char buf[JG_TIME_LEN];
	int64_t t, t2;

	if (jg_time_parse(s, &t) != JG_OK)
		return;
	CHECK(t > -62168000000LL && t < YEAR_10000 + 2 * 86400);
	jg_time_format(t, buf);
	CHECK(memchr(buf, '\0', sizeof(buf)) != NULL);
	if (t >= YEAR_1000 && t < YEAR_10000) {
		CHECK(jg_time_parse(buf, &t2) == JG_OK);
		CHECK(t2 == t);
		CHECK(strlen(buf) == JG_TIME_LEN - 1);
	}
}

static void durations(const char *s)
{
	char buf[64];
	int64_t d, d2;

	if (jg_duration_parse(s, &d) != JG_OK)
		return;
	CHECK(d > 0 && d <= JG_DURATION_MAX);
	jg_duration_format(d, buf, sizeof(buf));
	CHECK(jg_duration_parse(buf, &d2) == JG_OK && d2 == d);
}

static void names(const char *s)
{
	enum jg_req_state rs;
	enum jg_grant_state gs;
	int role, level;

	if (jg_req_state_parse(s, &rs) == 0)
		CHECK(strcmp(jg_req_state_name(rs), s) == 0);
	if (jg_grant_state_parse(s, &gs) == 0)
		CHECK(strcmp(jg_grant_state_name(gs), s) == 0);
	role = jg_role_parse(s);
	if (role) {
		int i = __builtin_ctz((unsigned)role);
		CHECK(role == 1 << i && strcmp(jg_role_name(i), s) == 0);
	}
	level = jg_level_parse(s);
	CHECK(level >= 0 && level <= JG_CRITICAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 4096)
		return 0;
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	times(s);
	durations(s);
	names(s);
	free(s);
	return 0;
}
