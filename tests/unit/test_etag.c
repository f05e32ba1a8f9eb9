/*
 * test_etag.c - entity tags and If-None-Match matching (src/http/etag.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/etag.h"

/* sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a3... */
static void tag_is_quoted_hash_prefix(void **state)
{
	char t[JG_ETAG_LEN];

	(void)state;
	jg_etag_of("abc", 3, t);
	assert_string_equal(t, "\"ba7816bf8f01cfea414140de5dae2223\"");
	assert_int_equal(strlen(t), JG_ETAG_LEN - 1);
}

static void tag_differs_with_content(void **state)
{
	char a[JG_ETAG_LEN], b[JG_ETAG_LEN];

	(void)state;
	jg_etag_of("{\"can_review\":true}", 19, a);
	jg_etag_of("{\"can_review\":false}", 20, b);
	assert_string_not_equal(a, b);
}

static void match_lists(void **state)
{
	const char *t = "\"0123456789abcdef0123456789abcdef\"";

	(void)state;
	assert_true(jg_etag_match(t, t));
	assert_true(jg_etag_match("*", t));
	assert_true(jg_etag_match("W/\"0123456789abcdef0123456789abcdef\"", t));
	assert_true(jg_etag_match("\"x\", \"0123456789abcdef0123456789abcdef\"", t));
	assert_true(jg_etag_match("\"x\",W/\"0123456789abcdef0123456789abcdef\"", t));
	assert_false(jg_etag_match(NULL, t));
	assert_false(jg_etag_match("", t));
	assert_false(jg_etag_match("\"x\"", t));
	/* a prefix or an extension of the tag is another tag */
	assert_false(jg_etag_match("\"0123456789abcdef0123456789abcde\"", t));
	assert_false(jg_etag_match("\"0123456789abcdef0123456789abcdef0\"", t));
	assert_false(jg_etag_match("0123456789abcdef0123456789abcdef", t));
	assert_false(jg_etag_match(" , ,", t));
}

static void accept_encoding(void **state)
{
	(void)state;
	assert_true(jg_accepts_gzip("gzip"));
	assert_true(jg_accepts_gzip("gzip, deflate, br"));
	assert_true(jg_accepts_gzip("br;q=1.0, GZIP;q=0.5"));
	assert_true(jg_accepts_gzip("x-gzip"));
	assert_true(jg_accepts_gzip("*"));
	assert_true(jg_accepts_gzip("identity, *;q=0.1"));
	assert_false(jg_accepts_gzip(NULL));
	assert_false(jg_accepts_gzip(""));
	assert_false(jg_accepts_gzip("identity"));
	assert_false(jg_accepts_gzip("br, deflate"));
	assert_false(jg_accepts_gzip("gzip;q=0"));
	assert_false(jg_accepts_gzip("gzip; q=0.000, *"));
	assert_false(jg_accepts_gzip("*;q=0"));
	/* a name that only starts like gzip is another coding */
	assert_false(jg_accepts_gzip("gzipped"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accept_encoding),
		cmocka_unit_test(tag_is_quoted_hash_prefix),
		cmocka_unit_test(tag_differs_with_content),
		cmocka_unit_test(match_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
