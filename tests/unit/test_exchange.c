/*
 * test_exchange.c - the HTTP layer's reply helpers (http/exchange.c) on
 * the inputs fuzzing found: every bad input must get its 4xx problem,
 * whatever bytes it holds, never a 500.
 *
 * Found by fuzz/fuzz_query.c and fuzz/fuzz_api.c (make fuzz-ci): a
 * problem's detail quotes the input (an id from the path, a field name),
 * and jansson refuses a string that is not UTF-8, so the reply was NULL
 * and the server answered 500 internal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/exchange.h"

static void assert_problem(struct jg_ex *ex, int status, const char *slug)
{
	char type[96];

	snprintf(type, sizeof(type), "urn:jitgate:problem:%s", slug);
	assert_int_equal(ex->status, status);
	assert_non_null(ex->reply);
	assert_string_equal(json_string_value(json_object_get(ex->reply,
	                                                      "type")),
	                    type);
	assert_non_null(json_string_value(json_object_get(ex->reply,
	                                                  "detail")));
}

/* GET /v1/requests/%DC: "request \xdc not found" (fuzz_query). */
static void fail_with_detail_not_utf8(void **state)
{
	struct jg_ex ex = {0};

	(void)state;
	jg_ex_fail(&ex, JG_ENOTFOUND, "request x\xdcy not found");
	assert_problem(&ex, 404, "not-found");
	json_decref(ex.reply);
}

/* Sequences that look like UTF-8 by their bit patterns but are not well
 * formed: overlong, surrogates, past U+10FFFF, a lone lead at the end
 * (GET /v1/requests/req_aa%A8%9E%9E%9E%9E%E0%9E%9Eaaa..., fuzz_query). */
static void fail_with_detail_ill_formed_utf8(void **state)
{
	static const char *const bad[] = {
		"x\xe0\x9e\x9ey",     /* overlong 3-byte */
		"x\xc0\xafy",         /* overlong 2-byte */
		"x\xed\xa0\x80y",     /* surrogate U+D800 */
		"x\xf0\x8f\xbf\xbfy", /* overlong 4-byte */
		"x\xf4\x90\x80\x80y", /* U+110000 */
		"x\xf5\x80\x80\x80y", /* no such lead */
		"x\xe2\x82",          /* cut at the end */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jg_ex ex = {0};
		jg_ex_fail(&ex, JG_ENOTFOUND, bad[i]);
		assert_problem(&ex, 404, "not-found");
		json_decref(ex.reply);
	}
}

/* Well-formed characters of every length pass through unchanged. */
static void fail_keeps_well_formed_utf8(void **state)
{
	static const char text[] = "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 "
	                           "\xed\x9f\xbf \xf4\x8f\xbf\xbf";
	struct jg_ex ex = {0};

	(void)state;
	jg_ex_fail(&ex, JG_ENOTFOUND, text);
	assert_problem(&ex, 404, "not-found");
	assert_string_equal(json_string_value(json_object_get(ex.reply,
	                                                      "detail")), text);
	json_decref(ex.reply);
}

/* A 63-byte name then "é": "%.64s" cuts the character (fuzz_api). */
static void unknown_field_cut_inside_a_character(void **state)
{
	static const char *const allowed[] = {"resource", NULL};
	struct jg_ex ex = {0};
	char key[80];

	(void)state;
	memset(key, 'a', 63);
	memcpy(key + 63, "\xc3\xa9", 3); /* U+00E9 and the NUL */
	ex.body = json_object();
	assert_int_equal(json_object_set_new(ex.body, key, json_integer(1)), 0);
	assert_int_equal(jg_ex_fields(&ex, allowed), -1);
	json_decref(ex.body);
	assert_problem(&ex, 400, "invalid-request");
	json_decref(ex.reply);
}

/* The same paths with plain ASCII work (the reference behaviour). */
static void ascii_details_work(void **state)
{
	static const char *const allowed[] = {"resource", NULL};
	struct jg_ex ex = {0};

	(void)state;
	jg_ex_fail(&ex, JG_ENOTFOUND, "request req_x not found");
	assert_problem(&ex, 404, "not-found");
	json_decref(ex.reply);
	memset(&ex, 0, sizeof(ex));
	ex.body = json_pack("{s:i}", "colour", 1);
	assert_int_equal(jg_ex_fields(&ex, allowed), -1);
	json_decref(ex.body);
	assert_problem(&ex, 400, "invalid-request");
	json_decref(ex.reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(ascii_details_work),
	        cmocka_unit_test(fail_with_detail_not_utf8),
	        cmocka_unit_test(fail_with_detail_ill_formed_utf8),
	        cmocka_unit_test(fail_keeps_well_formed_utf8),
	        cmocka_unit_test(unknown_field_cut_inside_a_character),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
