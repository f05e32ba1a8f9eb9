/*
 * fuzz_canon.c - differential libFuzzer harness for the canonical text of
 * audit events (src/audit/canon.c), the bytes every event's hash covers.
 *
 * The input's first line is the event's actor (cut to fit), the rest its
 * stored details text. canon.c copies details it proves are already in
 * jansson's compact sorted-key form and hands everything else to jansson;
 * either way the text must equal, byte for byte, what jansson itself
 * makes of the event (tests/unit/canon_ref.h), or both must refuse it. A
 * difference would make intact chains fail to verify, or let verify
 * accept details jansson refuses.
 *
 * Run with `make fuzz` or `make fuzz-ci` (seeds: fuzz/corpus/canon/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/canon.h"
#include "../tests/unit/canon_ref.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jg_canon c; /* reused, as verify reuses it */
	struct jg_event ev = {.seq = 7, .ts = 1700000000, .id = "evt_fuzz",
	                      .type = "request.created", .subject = "req_x"};
	const uint8_t *nl = memchr(data, '\n', size);
	size_t alen = nl ? (size_t)(nl - data) : 0;
	char *details, *want;
	enum jg_err e;

	if (alen >= sizeof(ev.actor))
		alen = sizeof(ev.actor) - 1;
	memcpy(ev.actor, data, alen);
	if (memchr(ev.actor, '\0', alen))
		return 0; /* a C string field cannot hold NUL */
	size -= nl ? (size_t)(nl - data) + 1 : 0;
	data = nl ? nl + 1 : data;
	details = malloc(size + 1);
	CHECK(details != NULL);
	memcpy(details, data, size);
	details[size] = '\0';
	ev.details = details;
	memcpy(ev.prev_hash, "0123456789abcdef0123456789abcdef"
	                     "0123456789abcdef0123456789abcdef", 64);

	want = reference(&ev);
	e = jg_canon_event(&c, &ev);
	if (want) {
		CHECK(e == JG_OK);
		CHECK(c.len == strlen(want) && memcmp(c.text, want, c.len) == 0);
	} else {
		CHECK(e == JG_EINVAL || e == JG_ENOMEM);
	}
	free(want);
	free(details);
	return 0;
}
