/*
 * test_visible.c - hidden characters (src/util/visible.c): which code
 * points are hidden, strict UTF-8 decoding, finding them, rendering them
 * as "<U+202E>", and the CLI's jg_out_clean built on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli/output.h"
#include "util/visible.h"

/* ---- helpers ----------------------------------------------------------- */

static void render_is(const char *in, unsigned flags, const char *want)
{
	char buf[512];
	size_t n = jg_vis_render(in, strlen(in), buf, sizeof(buf), flags);

	if (strcmp(buf, want))
		print_error("render \"%s\": got \"%s\", want \"%s\"\n", in, buf,
		            want);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* Rendered with its whole text: n bytes of in, which may hold NULs. */
static void render_n_is(const char *in, size_t n, const char *want)
{
	char buf[512];

	jg_vis_render(in, n, buf, sizeof(buf), 0);
	assert_string_equal(buf, want);
}

/* ---- the set ----------------------------------------------------------- */

static void hidden_controls(void **state)
{
	(void)state;
	for (uint32_t c = 0; c < 0x20; c++)
		assert_int_equal(jg_vis_hidden(c), c != '\n' && c != '\t');
	assert_true(jg_vis_hidden(0x7f));
	assert_false(jg_vis_hidden(0x7e));
	assert_false(jg_vis_hidden(' '));
	for (uint32_t c = 0x80; c <= 0x9f; c++)
		assert_true(jg_vis_hidden(c));
	assert_false(jg_vis_hidden(0xa0)); /* NBSP shows as a space */
	assert_false(jg_vis_hidden(0xe9)); /* é */
	assert_string_equal(jg_vis_name('\r'), "CARRIAGE RETURN");
	assert_string_equal(jg_vis_name(0x1b), "ESCAPE");
	assert_null(jg_vis_name('a'));
}

static void hidden_bidi(void **state)
{
	static const uint32_t bidi[] = {0x061c, 0x200e, 0x200f, 0x202a, 0x202b,
	                                0x202c, 0x202d, 0x202e, 0x2066, 0x2067,
	                                0x2068, 0x2069};
	(void)state;
	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++)
		assert_true(jg_vis_hidden(bidi[i]));
	assert_string_equal(jg_vis_name(0x202e), "RIGHT-TO-LEFT OVERRIDE");
	assert_string_equal(jg_vis_name(0x2066), "LEFT-TO-RIGHT ISOLATE");
	assert_false(jg_vis_hidden(0x203a)); /* › */
}

static void hidden_invisible(void **state)
{
	static const uint32_t inv[] = {0x200b, 0x200c, 0x200d, 0x2060, 0x2061,
	                               0x2062, 0x2063, 0x2064, 0xfeff, 0x00ad,
	                               0x180e, 0x034f, 0xfe00, 0xfe0f, 0xe0000,
	                               0xe0041, 0xe007f, 0xe0100, 0x3164};
	(void)state;
	for (size_t i = 0; i < sizeof(inv) / sizeof(inv[0]); i++)
		assert_true(jg_vis_hidden(inv[i]));
	/* the edges of ranges: the neighbours show */
	assert_false(jg_vis_hidden(0x200a));
	assert_false(jg_vis_hidden(0x2010));
	assert_false(jg_vis_hidden(0xfdff));
	assert_false(jg_vis_hidden(0xfe10));
	assert_false(jg_vis_hidden(0xe0080));
	assert_false(jg_vis_hidden(0x1f600)); /* 😀 */
	assert_string_equal(jg_vis_name(0x200b), "ZERO WIDTH SPACE");
	assert_string_equal(jg_vis_name(0xe0041), "TAG");
}

/* ---- decoding ---------------------------------------------------------- */

static void decode_strict(void **state)
{
	uint32_t cp = 0;
	(void)state;
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xe2\x80\xae",
	                               3, &cp), 3);
	assert_int_equal(cp, 0x202e);
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xf3\xa0\x81\x81",
	                               4, &cp), 4);
	assert_int_equal(cp, 0xe0041);
	/* overlong, surrogate, past U+10FFFF, truncated, stray continuation */
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xc0\xaf", 2,
	                               &cp), 0);
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xe0\x80\xaf",
	                               3, &cp), 0);
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xed\xa0\x80",
	                               3, &cp), 0);
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xf4\x90\x80\x80",
	                               4, &cp), 0);
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xe2\x80", 2,
	                               &cp), 0);
	assert_int_equal(jg_vis_decode((const unsigned char *)"\x80", 1, &cp),
	                 0);
	assert_int_equal(jg_vis_decode((const unsigned char *)"\xff", 1, &cp),
	                 0);
}

/* ---- rendering --------------------------------------------------------- */

static void render_each_class(void **state)
{
	(void)state;
	render_is("plain text, é ü 😀", 0, "plain text, é ü 😀");
	render_is("a\rb\x1b[2Jc\x7f", 0, "a<U+000D>b<U+001B>[2Jc<U+007F>");
	render_is("c1:\xc2\x85\xc2\x9b", 0, "c1:<U+0085><U+009B>");
	/* Trojan Source: the override would reorder what follows */
	render_is("if (admin\xe2\x80\xae } \xe2\x81\xa6", 0,
	          "if (admin<U+202E> } <U+2066>");
	render_is("a\xe2\x80\x8b" "b\xef\xbb\xbf" "c\xc2\xad" "d", 0,
	          "a<U+200B>b<U+FEFF>c<U+00AD>d");
	render_is("x\xef\xb8\x8f" "y\xf3\xa0\x81\x81", 0, "x<U+FE0F>y<U+E0041>");
	render_n_is("a\0b", 3, "a<U+0000>b");
}

static void render_newlines(void **state)
{
	(void)state;
	render_is("a\nb\tc\r\n", JG_VIS_MULTILINE, "a\nb\tc<U+000D>\n");
	render_is("a\nb\tc", 0, "a<U+000A>b<U+0009>c");
}

static void render_ill_formed(void **state)
{
	(void)state;
	render_is("a\xff" "b", 0, "a<0xFF>b");
	render_is("\xc0\xaf", 0, "<0xC0><0xAF>");
	render_is("\xed\xa0\x80", 0, "<0xED><0xA0><0x80>"); /* a surrogate */
	render_is("cut \xe2\x80", 0, "cut <0xE2><0x80>");
}

static void render_cuts_whole_pieces(void **state)
{
	char buf[8];
	(void)state;
	/* "ab" fits, "<U+202E>" (8 bytes) does not: nothing of it shows */
	assert_int_equal(jg_vis_render("ab\xe2\x80\xae" "c", 6, buf, sizeof(buf),
	                               0), 2);
	assert_string_equal(buf, "ab");
	/* a character is never cut in half either */
	assert_int_equal(jg_vis_render("abcdef\xc3\xa9", 8, buf, sizeof(buf), 0),
	                 6);
	assert_string_equal(buf, "abcdef");
	/* the documented bound always holds the whole text */
	char big[4 * JG_VIS_GROWTH + 1];
	jg_vis_render("\x01\x02\xff\x7f", 4, big, sizeof(big), 0);
	assert_string_equal(big, "<U+0001><U+0002><0xFF><U+007F>");
}

/* ---- finding ----------------------------------------------------------- */

static void find_walks_every_hit(void **state)
{
	const char *s = "SELECT 1;\xe2\x80\xae--\xe2\x80\x8b\xff";
	struct jg_vis_hit hit;
	char what[80];
	(void)state;

	assert_true(jg_vis_find(s, strlen(s), 0, &hit));
	assert_int_equal(hit.at, 9);
	assert_int_equal(hit.cp, 0x202e);
	assert_false(hit.ill_formed);
	jg_vis_describe(&hit, what, sizeof(what));
	assert_string_equal(what, "U+202E RIGHT-TO-LEFT OVERRIDE");
	assert_true(jg_vis_find(s, strlen(s), hit.at + hit.len, &hit));
	assert_int_equal(hit.at, 14);
	assert_int_equal(hit.cp, 0x200b);
	assert_true(jg_vis_find(s, strlen(s), hit.at + hit.len, &hit));
	assert_int_equal(hit.at, 17);
	assert_true(hit.ill_formed);
	jg_vis_describe(&hit, what, sizeof(what));
	assert_string_equal(what, "ill-formed UTF-8 byte 0xFF");
	assert_false(jg_vis_find(s, strlen(s), hit.at + hit.len, &hit));
	assert_false(jg_vis_find("clean\nand\ttabs", 14, 0, &hit));
	assert_false(jg_vis_find(NULL, 0, 0, &hit));
}

/* ---- the CLI ----------------------------------------------------------- */

static void cli_clean_shows_markers(void **state)
{
	char buf[64], line[64] = "id \xe2\x80\xae state";
	char *dup;
	(void)state;

	jg_out_clean("drop\xe2\x80\xaetable\nx", buf, sizeof(buf), 0);
	assert_string_equal(buf, "drop<U+202E>table<U+000A>x");
	jg_out_clean("drop\xe2\x80\xaetable\nx", buf, sizeof(buf), 1);
	assert_string_equal(buf, "drop<U+202E>table\nx");
	/* in place, as cmd_grant.c calls it, although the text grows */
	jg_out_clean(line, line, sizeof(line), 0);
	assert_string_equal(line, "id <U+202E> state");
	dup = jg_out_clean_dup("\x01\x02\x03", 1);
	assert_non_null(dup);
	assert_string_equal(dup, "<U+0001><U+0002><U+0003>");
	free(dup);
}

/* What jg_out_table prints for items, captured from stdout. */
static void table_of(const char *json, char *out, size_t len)
{
	static const struct jg_col cols[] = {{"REASON", "reason", NULL},
	                                     {NULL, NULL, NULL}};
	json_t *items = json_loads(json, 0, NULL);
	FILE *f = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	assert_non_null(items);
	assert_non_null(f);
	fflush(stdout);
	dup2(fileno(f), STDOUT_FILENO);
	jg_out_table(items, cols);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	json_decref(items);
}

/* A long cell is cut at 48 characters, never inside a marker. */
static void cli_table_cuts_before_a_marker(void **state)
{
	char out[512];
	(void)state;

	/* 43 characters, then a marker that would straddle the cut at 45 */
	table_of("[{\"reason\":\"0123456789012345678901234567890123456789012"
	         "\\u202e and more text after it\"}]",
	         out, sizeof(out));
	assert_non_null(strstr(out, "\n0123456789012345678901234567890123456789012"
	                            "...\n"));
	table_of("[{\"reason\":\"short \\u200b\"}]", out, sizeof(out));
	assert_non_null(strstr(out, "\nshort <U+200B>\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(hidden_controls),
	        cmocka_unit_test(hidden_bidi),
	        cmocka_unit_test(hidden_invisible),
	        cmocka_unit_test(decode_strict),
	        cmocka_unit_test(render_each_class),
	        cmocka_unit_test(render_newlines),
	        cmocka_unit_test(render_ill_formed),
	        cmocka_unit_test(render_cuts_whole_pieces),
	        cmocka_unit_test(find_walks_every_hit),
	        cmocka_unit_test(cli_clean_shows_markers),
	        cmocka_unit_test(cli_table_cuts_before_a_marker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
