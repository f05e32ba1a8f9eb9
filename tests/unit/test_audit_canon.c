/*
 * test_audit_canon.c - the canonical text of audit events
 * (src/audit/canon.c) against the construction every existing chain was
 * hashed with: jansson parsing the stored details, packing the event
 * object and dumping it compact with sorted keys. Kept here verbatim as
 * the reference. Any difference, for any event (tricky, random, or a
 * random corruption of a stored text), would make intact chains fail to
 * verify or let the fast path accept what jansson refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "audit/canon.h"
#include "util/crypto.h"

#include "canon_ref.h"

/* The canonical text of ev equals the reference, or both refuse ev. */
static void same_as_reference(struct jg_canon *c, const struct jg_event *ev)
{
	char *want = reference(ev);
	enum jg_err e = jg_canon_event(c, ev);

	if (want && (e != JG_OK || strcmp(c->text, want) != 0))
		print_error("details %s\n want %s\n got  %s (err %d)\n",
		            ev->details ? ev->details : "(null)", want,
		            e == JG_OK ? c->text : "-", e);
	if (!want && e == JG_OK)
		print_error("details %s\n refused by jansson, accepted as %s\n",
		            ev->details ? ev->details : "(null)", c->text);
	if (want) {
		assert_int_equal(e, JG_OK);
		assert_int_equal(strlen(c->text), c->len);
		assert_string_equal(c->text, want);
	} else {
		assert_int_equal(e, JG_EINVAL);
	}
	free(want);
}

static struct jg_event base_event(void)
{
	struct jg_event ev = {.seq = 7, .ts = 1900000000};
	snprintf(ev.id, sizeof(ev.id), "evt_0123456789abcdefghjkmnpqrs");
	snprintf(ev.actor, sizeof(ev.actor), "alice");
	snprintf(ev.type, sizeof(ev.type), "request.created");
	snprintf(ev.subject, sizeof(ev.subject), "req_1");
	memcpy(ev.prev_hash, JG_AUDIT_GENESIS, sizeof(ev.prev_hash));
	ev.details = (char *)"{}";
	return ev;
}

/* ---- chosen cases ------------------------------------------------------- */

static void tricky_details_match(void **state)
{
	static const char *const texts[] = {
	        NULL, "{}", "{\"a\":1}", "{\"a\":{},\"b\":[]}",
	        /* nesting, arrays of everything */
	        "{\"a\":{\"b\":{\"c\":[1,[2,[3,{}]],{\"d\":null}]}}}",
	        "{\"l\":[true,false,null,0,-1,\"x\",[],{}]}",
	        /* integers: negative, zero, 18, 19 and 20 digits, extremes */
	        "{\"n\":-42,\"z\":0}", "{\"n\":123456789012345678}",
	        "{\"n\":-123456789012345678}", "{\"n\":1234567890123456789}",
	        "{\"n\":9223372036854775807}", "{\"n\":-9223372036854775808}",
	        "{\"n\":9223372036854775808}", "{\"n\":12345678901234567890}",
	        /* integers jansson writes otherwise, or refuses */
	        "{\"n\":-0}", "{\"n\":007}", "{\"n\":+1}", "{\"n\":1.}",
	        "{\"n\":-}", "{\"n\":0x10}",
	        /* reals */
	        "{\"r\":1.5}", "{\"r\":-0.0}", "{\"r\":1e300}", "{\"r\":1E2}",
	        "{\"r\":1.0}", "{\"r\":0.1}", "{\"r\":1e400}",
	        /* strings: escapes jansson writes, and ones it does not */
	        "{\"s\":\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\"}",
	        "{\"s\":\"\\u0001\\u001F\\u007f\"}", "{\"s\":\"\\u001f\"}",
	        "{\"s\":\"\\/\"}", "{\"s\":\"/\"}", "{\"s\":\"\\u00e9\"}",
	        "{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\\u0000\"}",
	        "{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", "{\"s\":\"\x7f\"}",
	        "{\"s\":\"\xff\"}", "{\"s\":\"\xc3\"}", "{\"s\":\"\x80\"}", "{\"s\":\"a\tb\"}",
	        "{\"s\":\"\\x\"}", "{\"s\":\"\\\"}",
	        /* keys: order, duplicates, escapes, non-ASCII */
	        "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", "{\"a\":1,\"a\":1}",
	        "{\"a\":1,\"ab\":2}", "{\"ab\":1,\"a\":2}", "{\"B\":1,\"a\":2}",
	        "{\"\":1,\"a\":2}", "{\"a\\\"\":1,\"a!\":2}",
	        "{\"a!\":1,\"a\\\"\":2}", "{\"a\\n\":1,\"aA\":2}",
	        "{\"aA\":1,\"a\\n\":2}", "{\"\xc3\xa9\":1,\"z\":2}",
	        "{\"z\":1,\"\xc3\xa9\":2}", "{\"a\\u0000b\":1}",
	        /* spacing, trailing bytes, not objects, not JSON */
	        "{ \"a\":1}", "{\"a\" :1}", "{\"a\":1 }", "{\"a\":1}\n",
	        " {\"a\":1}", "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":[1 ]}",
	        "[]", "[1]", "1", "\"s\"", "null", "", "{", "}", "{\"a\"}",
	        "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":[1,]}", "{\"a\":tru}",
	        "{\"a\":truex}", "{\"a\":nul}", "{\"a\":falsey}", "not json",
	};
	struct jg_canon c = {0};
	struct jg_event ev = base_event();
	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ev.details = (char *)texts[i];
		same_as_reference(&c, &ev);
	}
	jg_canon_release(&c);
}

/* details nested depth containers deep, alternately arrays and objects. */
static void nested(char *text, size_t size, int depth)
{
	size_t n = (size_t)snprintf(text, size, "{\"k\":");
	for (int i = 0; i < depth; i++)
		n += (size_t)snprintf(text + n, size - n, "%s",
		                      i % 2 ? "{\"k\":" : "[");
	text[n++] = '1';
	for (int i = depth - 1; i >= 0; i--)
		text[n++] = i % 2 ? '}' : ']';
	snprintf(text + n, size - n, "}");
}

/*
 * Nesting past the fast path's own limit, and around jansson's (2048
 * levels, refused beyond): a scan without a limit would accept those.
 */
static void deep_details_match(void **state)
{
	size_t size = 16384;
	char *text = malloc(size);
	struct jg_canon c = {0};
	struct jg_event ev = base_event();
	(void)state;
	assert_non_null(text);
	ev.details = text;
	for (int depth = 0; depth < 2060; depth += depth < 60 ? 1 : 997) {
		nested(text, size, depth);
		same_as_reference(&c, &ev);
	}
	for (int depth = 2040; depth < 2060; depth++) {
		nested(text, size, depth);
		same_as_reference(&c, &ev);
	}
	free(text);
	jg_canon_release(&c);
}

static void tricky_fields_match(void **state)
{
	static const char *const strings[] = {
	        "", "alice", "a\"b", "a\\b", "a/b", "tab\there", "nl\n",
	        "\x01\x1f", "\x7f", "caf\xc3\xa9", "\xe2\x82\xac",
	        "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xed\xa0\x80", "'; --",
	        "{\"x\":1}",
	};
	static const int64_t ints[] = {0, 1, -1, 10, 1900000000,
	                               INT64_MAX, INT64_MIN};
	struct jg_canon c = {0};
	struct jg_event ev;
	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		const char *s = strings[i];
		ev = base_event();
		snprintf(ev.actor, sizeof(ev.actor), "%s", s);
		same_as_reference(&c, &ev);
		ev = base_event();
		snprintf(ev.subject, sizeof(ev.subject), "%s", s);
		same_as_reference(&c, &ev);
		ev = base_event();
		snprintf(ev.type, sizeof(ev.type), "%s", s);
		same_as_reference(&c, &ev);
		ev = base_event();
		snprintf(ev.id, sizeof(ev.id), "%s", s);
		same_as_reference(&c, &ev);
		ev = base_event();
		snprintf(ev.prev_hash, sizeof(ev.prev_hash), "%s", s);
		same_as_reference(&c, &ev);
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		ev = base_event();
		ev.seq = ints[i];
		ev.ts = ints[(i + 3) % (sizeof(ints) / sizeof(ints[0]))];
		same_as_reference(&c, &ev);
	}
	jg_canon_release(&c);
}

/* A full-size field and large details make the buffer grow, more than once. */
static void long_fields_and_details_match(void **state)
{
	struct jg_canon c = {0};
	struct jg_event ev = base_event();
	size_t n = 100000, at;
	char *big = malloc(n + 16);
	(void)state;
	assert_non_null(big);
	memset(ev.actor, 'a', sizeof(ev.actor) - 1);
	ev.actor[sizeof(ev.actor) - 1] = '\0';
	at = (size_t)snprintf(big, n, "{\"a\":\"");
	for (; at < n; at++) /* letters, with an escape now and then */
		big[at] = at % 1000 ? (char)('a' + at % 26) : '\\';
	snprintf(big + at, 16, "n\",\"b\":[]}");
	ev.details = big;
	same_as_reference(&c, &ev);
	ev.details = (char *)"{}"; /* and the grown buffer is reused */
	same_as_reference(&c, &ev);
	free(big);
	jg_canon_release(&c);
}

/* ---- random events ------------------------------------------------------ */

/*
 * A reproducible generator. Half the events are "narrow": only what the
 * fast path copies (printable ASCII, short escapes, integers), so that it
 * is really exercised; "wide" ones add reals, \u escapes, UTF-8 and
 * invalid UTF-8, which go through jansson.
 */
struct gen {
	uint64_t s; /* xorshift64* state, never 0 */
	int wide;
};

static uint64_t rnd(struct gen *g)
{
	uint64_t x = g->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/*
 * Pieces of strings. The fast path takes the first NARROW ones in values,
 * only the first PLAIN ones in keys (it leaves escaped keys to jansson).
 */
#define PLAIN 14
#define NARROW 21
static const char *const pieces[] = {
        "a", "Z", "0", " ", "_", "/", "~", "ab", "key", "{", "}", "[", ":",
        ",",
        /* escaped: narrow */
        "\"", "\\", "\n", "\t", "\r", "\b", "\f",
        /* wide */
        "\x01", "\x1b", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
};

/*
 * A string of up to 5 pieces, of the first kinds ones (all when wide);
 * with bad_utf8, when wide, sometimes invalid UTF-8.
 */
static void random_string(struct gen *g, char *out, size_t size,
                          size_t kinds, int bad_utf8)
{
	size_t n = 0, parts = rnd(g) % 6;
	if (g->wide)
		kinds = sizeof(pieces) / sizeof(pieces[0]);
	out[0] = '\0';
	for (size_t i = 0; i < parts; i++) {
		const char *p = pieces[rnd(g) % kinds];
		if (n + strlen(p) + 2 >= size)
			break;
		memcpy(out + n, p, strlen(p) + 1);
		n += strlen(p);
	}
	if (bad_utf8 && g->wide && n + 2 < size && rnd(g) % 8 == 0) {
		out[n++] = (char)0xc3; /* a truncated sequence */
		out[n] = '\0';
	}
}

static json_t *random_value(struct gen *g, int depth);

static json_t *random_object(struct gen *g, int depth)
{
	json_t *o = json_object();
	size_t n = rnd(g) % 5;
	char key[24];
	for (size_t i = 0; o && i < n; i++) {
		/* now and then an escaped key, even when narrow */
		random_string(g, key, sizeof(key),
		              rnd(g) % 8 ? PLAIN : NARROW, 0);
		json_object_set_new(o, key, random_value(g, depth + 1));
	}
	return o;
}

static json_t *random_value(struct gen *g, int depth)
{
	static const json_int_t ints[] = {0, 1, -1, 42, -300, 1000000007,
	                                  123456789012345678LL,
	                                  -123456789012345678LL,
	                                  1234567890123456789LL,
	                                  INT64_MAX, INT64_MIN};
	static const double reals[] = {0.5, -2.25, 1e300, 1e-7, 3.0, -0.0,
	                               0.1};
	char str[40];
	json_t *a;

	switch (rnd(g) % (depth > 4 ? 6 : 9)) {
	case 0:
		return json_true();
	case 1:
		return rnd(g) % 2 ? json_false() : json_null();
	case 2: /* 19 digits and the extremes only when wide */
		return json_integer(ints[rnd(g) % (g->wide ? 11 : 8)]);
	case 3:
		if (g->wide)
			return json_real(reals[rnd(g) % (sizeof(reals) /
			                                 sizeof(reals[0]))]);
		return json_integer((json_int_t)(rnd(g) % 2000000) - 1000000);
	case 4:
	case 5:
		random_string(g, str, sizeof(str), NARROW, 0);
		return json_string(str);
	case 6:
	case 7:
		return random_object(g, depth);
	default:
		a = json_array();
		for (size_t i = rnd(g) % 4; a && i > 0; i--)
			json_array_append_new(a, random_value(g, depth + 1));
		return a;
	}
}

/* details as jg_audit_append stores them; caller frees. */
static char *random_details(struct gen *g)
{
	json_t *d = random_object(g, 0);
	char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	assert_non_null(text);
	return text;
}

/* Random fields and details (caller frees ev->details); narrow or wide. */
static void random_event(struct gen *g, struct jg_event *ev)
{
	g->wide = rnd(g) % 2;
	*ev = base_event();
	ev->seq = (int64_t)(rnd(g) % 3 ? rnd(g) % 1000000 : rnd(g));
	ev->ts = (int64_t)(rnd(g) % 3 ? 1900000000 + rnd(g) % 1000 : rnd(g));
	random_string(g, ev->actor, sizeof(ev->actor), NARROW, 1);
	random_string(g, ev->subject, sizeof(ev->subject), NARROW, 1);
	if (rnd(g) % 4 == 0)
		random_string(g, ev->type, sizeof(ev->type), NARROW, 1);
	ev->details = random_details(g);
}

/* Every stored details text jansson can write, and random fields. */
static void random_events_match(void **state)
{
	struct gen g = {.s = 0x9e3779b97f4a7c15ULL};
	struct jg_canon c = {0};
	struct jg_event ev;
	(void)state;
	for (int i = 0; i < 10000; i++) {
		random_event(&g, &ev);
		same_as_reference(&c, &ev);
		free(ev.details);
	}
	jg_canon_release(&c);
}

/*
 * Stored texts corrupted by one edit: changed, dropped, doubled or added
 * bytes. Jansson decides what each one means; the fast path must agree or
 * step aside.
 */
static void corrupted_details_match(void **state)
{
	static const char edits[] = "{}[]\",:\\ 0123456789-+.eEtrufalsn\x01"
	                            "\x7f\x80\xc3\xa9\xffxa";
	struct gen g = {.s = 42};
	struct jg_canon c = {0};
	struct jg_event ev = base_event();
	(void)state;
	for (int i = 0; i < 20000; i++) {
		char *text, *bad;
		size_t n, at;
		char byte;
		g.wide = i % 4 == 0;
		text = random_details(&g);
		n = strlen(text);
		at = rnd(&g) % n;
		byte = edits[rnd(&g) % (sizeof(edits) - 1)];
		assert_non_null(bad = malloc(n + 2));
		switch (rnd(&g) % 4) {
		case 0: /* replace */
			memcpy(bad, text, n + 1);
			bad[at] = byte;
			break;
		case 1: /* drop */
			memcpy(bad, text, at);
			memcpy(bad + at, text + at + 1, n - at);
			break;
		case 2: /* double */
			memcpy(bad, text, at + 1);
			memcpy(bad + at + 1, text + at, n - at + 1);
			break;
		default: /* insert */
			memcpy(bad, text, at);
			bad[at] = byte;
			memcpy(bad + at + 1, text + at, n - at + 1);
		}
		ev.details = bad;
		same_as_reference(&c, &ev);
		free(bad);
		free(text);
	}
	jg_canon_release(&c);
}

/* jg_audit_hash is SHA-256 of that very text. */
static void hash_is_sha256_of_reference(void **state)
{
	struct gen g = {.s = 7};
	struct jg_event ev;
	char want[JG_SHA256_HEX], got[JG_SHA256_HEX];
	(void)state;
	for (int i = 0; i < 500; i++) {
		char *text;
		random_event(&g, &ev);
		text = reference(&ev);
		if (text) {
			jg_sha256_hex(text, strlen(text), want);
			assert_int_equal(jg_audit_hash(&ev, got), JG_OK);
			assert_string_equal(got, want);
		} else {
			assert_int_equal(jg_audit_hash(&ev, got), JG_EINVAL);
		}
		free(text);
		free(ev.details);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(tricky_details_match),
	        cmocka_unit_test(deep_details_match),
	        cmocka_unit_test(tricky_fields_match),
	        cmocka_unit_test(long_fields_and_details_match),
	        cmocka_unit_test(random_events_match),
	        cmocka_unit_test(corrupted_details_match),
	        cmocka_unit_test(hash_is_sha256_of_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
