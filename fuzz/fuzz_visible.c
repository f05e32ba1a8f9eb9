/*
 * fuzz_visible.c - libFuzzer harness for hidden characters
 * (src/util/visible.c): the input is any bytes, rendered into buffers of
 * every size up to the documented bound, and walked with jg_vis_find.
 *
 * What must hold: a rendering is NUL-terminated within its buffer, is a
 * prefix of the full one, and is well-formed UTF-8 with no hidden
 * character left in it (newline and tab only with JG_VIS_MULTILINE); the
 * full rendering fits in size * JG_VIS_GROWTH + 1 bytes; the walk finds
 * as many hidden characters and ill-formed bytes as the rendering has
 * markers, each at increasing offsets.
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/visible/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/visible.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())
#define INPUT_MAX 4096

/* Markers in a rendering: "<U+" and "<0x" the input did not hold. */
static size_t markers(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i + 3 <= n; i++)
		if (s[i] == '<' && ((s[i + 1] == 'U' && s[i + 2] == '+') ||
		                    (s[i + 1] == '0' && s[i + 2] == 'x')))
			count++;
	return count;
}

static void check_clean(const char *out, size_t n, unsigned flags)
{
	struct jg_vis_hit hit;
	size_t at = 0;

	while (jg_vis_find(out, n, at, &hit))
		CHECK(0);
	for (at = 0; at < n; at++)
		CHECK(flags & JG_VIS_MULTILINE ||
		      (out[at] != '\n' && out[at] != '\t'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t full_len = size * JG_VIS_GROWTH + 1, n, found = 0, at = 0;
	char *full, *part;
	struct jg_vis_hit hit;

	if (size > INPUT_MAX)
		return 0;
	if (!(full = malloc(full_len)) || !(part = malloc(full_len))) {
		free(full);
		return 0;
	}
	for (unsigned flags = 0; flags <= JG_VIS_MULTILINE; flags++) {
		n = jg_vis_render(in, size, full, full_len, flags);
		CHECK(n < full_len && full[n] == '\0' && strlen(full) == n);
		check_clean(full, n, flags);
		for (size_t len = 1; len <= n + 1; len += 1 + len / 8) {
			size_t m = jg_vis_render(in, size, part, len, flags);
			CHECK(m < len && part[m] == '\0');
			CHECK(memcmp(part, full, m) == 0);
		}
	}
	/* the walk: one marker per hit, offsets increasing */
	n = jg_vis_render(in, size, full, full_len, JG_VIS_MULTILINE);
	while (jg_vis_find(in, size, at, &hit)) {
		CHECK(hit.at >= at && hit.len >= 1 && hit.at + hit.len <= size);
		CHECK(hit.ill_formed ? hit.len == 1 : jg_vis_hidden(hit.cp));
		at = hit.at + hit.len;
		found++;
	}
	CHECK(found <= markers(full, n));
	free(full);
	free(part);
	return 0;
}
