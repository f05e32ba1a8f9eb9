/*
 * test_report.c - the compliance report's renderers (src/insight/
 * report_render.c, report_html.c) on a model made by hand: CSV quoting,
 * HTML escaping of what the trail holds, the hash line of JSON and HTML
 * (the hash is of the file without it), and the controls table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "insight/report.h"
#include "util/crypto.h"

#define NASTY "say \"hi\", then\nleave <script>alert(1)</script> & go"

static json_t *model(void)
{
	json_t *m = json_pack(
	        "{s:s,s:i,s:{s:s,s:s},s:s,s:s,s:{s:i,s:i,s:i},s:o,"
	        "s:[{s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:[s,s],s:b,s:I,s:s}],"
	        "s:[],s:[],s:[],s:{s:[]},s:{s:b,s:I,s:I,s:[]},"
	        "s:{s:[],s:[],s:[]}}",
	        "report", "jitgate compliance evidence", "format_version", 1,
	        "period", "since", "2026-10-01T00:00:00Z", "until",
	        "2027-01-01T00:00:00Z", "generated_at", "2027-01-02T00:00:00Z",
	        "generated_by", "audra", "summary", "events", 5, "first_seq", 1,
	        "last_seq", 5, "controls", jg_report_controls(), "grants",
	        "grant_id", "grt_1", "request_id", "req_1", "principal", "alice",
	        "resource", "prod-db", "action", "sql.write", "reason", NASTY,
	        "ticket", "approved_by", "bob", "carol", "break_glass", 0,
	        "seconds_granted", (json_int_t)3600, "ended", "revoked",
	        "break_glass", "policy_changes", "alerts", "self_approvals",
	        "reviews_by_requester", "audit", "chain_ok", 1, "events_checked",
	        (json_int_t)5, "checkpoints_checked", (json_int_t)0,
	        "checkpoints", "charts", "grants_per_week", "grants_by_resource",
	        "time_to_approve");
	assert_non_null(m);
	return m;
}

/* The text of out without the first line starting with prefix. */
static char *without_line(const char *out, const char *prefix)
{
	const char *at = strstr(out, prefix), *next;
	size_t head;
	char *rest;

	assert_non_null(at);
	assert_true(at == out || at[-1] == '\n');
	head = (size_t)(at - out);
	next = strchr(at, '\n') + 1;
	rest = malloc(head + strlen(next) + 1);
	assert_non_null(rest);
	memcpy(rest, out, head);
	memcpy(rest + head, next, strlen(next) + 1);
	return rest;
}

static void hash_is_of_rest(const char *out, const char *prefix,
                            const char sha[JG_SHA256_HEX])
{
	char *rest = without_line(out, prefix), got[JG_SHA256_HEX];

	jg_sha256_hex(rest, strlen(rest), got);
	assert_string_equal(got, sha);
	assert_non_null(strstr(out, sha)); /* the line shows it */
	free(rest);
}

static void test_csv(void **state)
{
	json_t *m = model();
	char *out, sha[JG_SHA256_HEX], whole[JG_SHA256_HEX];
	size_t len;

	(void)state;
	assert_int_equal(jg_report_render(m, JG_REPORT_CSV, &out, &len, sha),
	                 JG_OK);
	assert_int_equal(strncmp(out, "grant_id,request_id,principal,", 30), 0);
	/* quotes doubled, the field quoted, the line break kept inside */
	assert_non_null(strstr(out, ",\"say \"\"hi\"\", then\nleave <script>"));
	/* approvers joined, a null ticket empty */
	assert_non_null(strstr(out, "\",,bob; carol,false,"));
	jg_sha256_hex(out, len, whole);
	assert_string_equal(sha, whole); /* CSV: the whole file */
	free(out);
	json_decref(m);
}

static void test_html(void **state)
{
	json_t *m = model();
	char *out, sha[JG_SHA256_HEX];
	size_t len;

	(void)state;
	assert_int_equal(jg_report_render(m, JG_REPORT_HTML, &out, &len, sha),
	                 JG_OK);
	assert_int_equal(strlen(out), len);
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "{{"));
	assert_non_null(strstr(out, "say &quot;hi&quot;, then\nleave "
	                            "&lt;script&gt;alert(1)&lt;/script&gt; "
	                            "&amp; go"));
	for (const char *c = "CC6.1\0CC6.2\0CC6.3\0CC7.2\0A.5.15\0A.5.18\0"
	                     "A.8.2\0A.8.15\0A.8.16\0";
	     *c; c += strlen(c) + 1) {
		char cell[32];
		snprintf(cell, sizeof(cell), "<td>%s</td>", c);
		assert_non_null(strstr(out, cell));
	}
	hash_is_of_rest(out, "<p id=\"report-sha256\"", sha);
	free(out);
	json_decref(m);
}

static void test_json(void **state)
{
	json_t *m = model(), *back;
	char *out, *rest, sha[JG_SHA256_HEX];
	size_t len;

	(void)state;
	assert_int_equal(jg_report_render(m, JG_REPORT_JSON, &out, &len, sha),
	                 JG_OK);
	assert_int_equal(strncmp(out, "{\n  \"report_sha256\": \"", 22), 0);
	hash_is_of_rest(out, "  \"report_sha256\": ", sha);
	/* without its hash line it is the model itself */
	rest = without_line(out, "  \"report_sha256\": ");
	back = json_loads(rest, 0, NULL);
	assert_true(json_equal(back, m));
	json_decref(back);
	/* with it, valid JSON carrying the hash */
	back = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(back,
	                                                      "report_sha256")),
	                    sha);
	json_decref(back);
	free(rest);
	free(out);
	json_decref(m);
}

static void test_controls_and_formats(void **state)
{
	json_t *c = jg_report_controls();
	enum jg_report_format f;

	(void)state;
	assert_int_equal(json_array_size(c), 9);
	for (size_t i = 0; i < json_array_size(c); i++)
		assert_true(json_array_size(json_object_get(json_array_get(c, i),
		                                            "evidence")) > 0);
	json_decref(c);
	assert_int_equal(jg_report_format_parse("csv", &f), 0);
	assert_int_equal(f, JG_REPORT_CSV);
	assert_int_equal(jg_report_format_parse("pdf", &f), -1);
	assert_int_equal(jg_report_format_parse(NULL, &f), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_controls_and_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
