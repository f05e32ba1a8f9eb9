/*
 * canon_ref.h - the canonical text of an audit event as audit.c built it
 * before src/audit/canon.c, kept verbatim as the reference that every
 * existing chain was hashed with: jansson parses the stored details, packs
 * the event object and dumps it compact with sorted keys. Shared by the
 * unit test (test_audit_canon.c) and the differential fuzzer
 * (fuzz/fuzz_canon.c).
 */
#ifndef JG_TEST_CANON_REF_H
#define JG_TEST_CANON_REF_H

#include <jansson.h>

#include "core/model.h"

/* The canonical text of ev, or NULL when jansson refuses it; caller frees. */
static inline char *reference(const struct jg_event *ev)
{
	json_t *details = json_loads(ev->details ? ev->details : "{}",
	                             JSON_REJECT_DUPLICATES, NULL);
	json_t *o;
	char *text;

	if (!json_is_object(details)) {
		json_decref(details);
		return NULL;
	}
	o = json_pack("{s:s,s:o,s:s,s:s,s:I,s:s,s:I,s:s}", "actor", ev->actor,
	              "details", details, "id", ev->id, "prev_hash",
	              ev->prev_hash, "seq", (json_int_t)ev->seq, "subject",
	              ev->subject, "ts", (json_int_t)ev->ts, "type", ev->type);
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

#endif
