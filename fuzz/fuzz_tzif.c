/*
 * fuzz_tzif.c - libFuzzer harness for the time zone reader: the input is
 * parsed both as a TZif file (jg_tz_parse) and as a POSIX TZ rule
 * (jg_tz_rule_parse), and whatever loads is asked for offsets at times
 * from the far past to the far future. Offsets must stay within the
 * bounds the reader enforces.
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/tzif/).
 */
#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"
#include "policy/tzif.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())
#define DAY_PLUS (26 * 3600)

static const int64_t times[] = {
	INT64_MIN, -4000000000LL, -1, 0, 946684800, 1774745999, 1774746000,
	2147483647, 2382480000, 4102444800LL, 253402300799LL, INT64_MAX,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jg_tz *tz;
	struct jg_tz_rule r;
	char err[256];

	if (jg_tz_parse("Fuzz/Zone", data, size, &tz, err, sizeof(err)) ==
	    JG_OK) {
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			int32_t off = jg_tz_offset(tz, times[i]);
			CHECK(off >= -DAY_PLUS && off <= DAY_PLUS);
		}
		for (size_t i = 0; i < tz->ntimes; i++) {
			jg_tz_offset(tz, tz->times[i]);
			jg_tz_offset(tz, tz->times[i] - 1);
		}
		jg_tz_free(tz);
	} else {
		CHECK(tz == NULL && err[0]);
	}
	if (jg_tz_rule_parse((const char *)data, size, &r) == 0)
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
			jg_tz_rule_offset(&r, times[i]);
	return 0;
}
