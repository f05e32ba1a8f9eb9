/*
 * test_timefmt.c - durations ("1h30m") and RFC 3339 UTC timestamps
 * (src/util/timefmt.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/timefmt.h"

#define LEAP_DAY 1709164800LL /* 2024-02-29T00:00:00Z */

/* ---- helpers ----------------------------------------------------------- */

static void dur_ok(const char *s, int64_t want)
{
	int64_t got = -7;
	enum jg_err e = jg_duration_parse(s, &got);
	if (e != JG_OK || got != want)
		print_error("duration \"%s\": err %d, got %lld, want %lld\n", s,
		            e, (long long)got, (long long)want);
	assert_int_equal(e, JG_OK);
	assert_int_equal(got, want);
}

static void dur_bad(const char *s)
{
	int64_t got = -7;
	enum jg_err e = jg_duration_parse(s, &got);
	if (e != JG_EINVAL)
		print_error("duration \"%s\" accepted as %lld\n", s ? s : "(null)",
		            (long long)got);
	assert_int_equal(e, JG_EINVAL);
	assert_int_equal(got, -7); /* untouched */
}

static void time_ok(const char *s, int64_t want)
{
	int64_t got = -7;
	enum jg_err e = jg_time_parse(s, &got);
	if (e != JG_OK || got != want)
		print_error("time \"%s\": err %d, got %lld, want %lld\n", s, e,
		            (long long)got, (long long)want);
	assert_int_equal(e, JG_OK);
	assert_int_equal(got, want);
}

static void time_bad(const char *s)
{
	int64_t got = -7;
	enum jg_err e = jg_time_parse(s, &got);
	if (e != JG_EINVAL)
		print_error("time \"%s\" accepted as %lld\n", s ? s : "(null)",
		            (long long)got);
	assert_int_equal(e, JG_EINVAL);
	assert_int_equal(got, -7);
}

/* ---- durations --------------------------------------------------------- */

static void duration_parse_units(void **state)
{
	(void)state;
	dur_ok("45s", 45);
	dur_ok("30m", 1800);
	dur_ok("2h", 7200);
	dur_ok("1h30m", 5400);
	dur_ok("7d", 604800);
	dur_ok("1d2h3m4s", 86400 + 7200 + 180 + 4);
	dur_ok("1s", 1);
}

static void duration_parse_bare_number_is_seconds(void **state)
{
	(void)state;
	dur_ok("90", 90);
	dur_ok("1", 1);
	dur_ok("000000060", 60); /* 9 digits is the most accepted */
}

static void duration_parse_refuses_malformed(void **state)
{
	(void)state;
	dur_bad(NULL);
	dur_bad("");
	dur_bad("-1");
	dur_bad("-5m");
	dur_bad("+5m");
	dur_bad("1x");
	dur_bad("1H");
	dur_bad("1h30"); /* a bare number after a unit is ambiguous */
	dur_bad("m");
	dur_bad("h1");
	dur_bad(" 1h");
	dur_bad("1h ");
	dur_bad("1.5h");
	dur_bad("1 h");
}

static void duration_parse_refuses_zero(void **state)
{
	(void)state;
	dur_bad("0");
	dur_bad("0s");
	dur_bad("0h0m");
}

static void duration_parse_maximum_edge(void **state)
{
	char buf[32];
	(void)state;
	dur_ok("366d", JG_DURATION_MAX);
	snprintf(buf, sizeof(buf), "%lld", JG_DURATION_MAX);
	dur_ok(buf, JG_DURATION_MAX);
	snprintf(buf, sizeof(buf), "%lld", JG_DURATION_MAX + 1);
	dur_bad(buf);
	dur_bad("367d");
	dur_bad("366d1s");
	dur_bad("999999999d"); /* 9 digits, far over: no overflow either */
}

static void duration_parse_refuses_ten_digit_numbers(void **state)
{
	(void)state;
	dur_bad("1234567890");
	dur_bad("0000000001");
	dur_bad("1000000000s");
	dur_bad("99999999999999999999999h"); /* would overflow int64 */
}

static void duration_format_shortest_form(void **state)
{
	static const struct { int64_t secs; const char *want; } cases[] = {
	        {45, "45s"},          {60, "1m"},       {1800, "30m"},
	        {3600, "1h"},         {5400, "1h30m"},  {86400, "1d"},
	        {90061, "1d1h1m1s"},  {604800, "7d"},   {3601, "1h1s"},
	        {0, "0s"},            {-5, "0s"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32] = "junk";
		jg_duration_format(cases[i].secs, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void duration_format_parse_round_trip(void **state)
{
	static const int64_t values[] = {1,     59,    61,     3599,  3600,
	                                 5400,  86399, 86401,  90061, 604800,
	                                 12345, 999,   JG_DURATION_MAX};
	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char buf[32];
		int64_t back = 0;
		jg_duration_format(values[i], buf, sizeof(buf));
		assert_int_equal(jg_duration_parse(buf, &back), JG_OK);
		assert_int_equal(back, values[i]);
	}
}

static void duration_format_short_buffer_stays_terminated(void **state)
{
	char buf[8];
	(void)state;
	for (size_t len = 1; len <= sizeof(buf); len++) {
		memset(buf, 'X', sizeof(buf));
		jg_duration_format(90061, buf, len); /* "1d1h1m1s" needs 9 */
		assert_non_null(memchr(buf, '\0', len));
		for (size_t i = len; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 'X'); /* no write past len */
	}
}

/* ---- timestamps -------------------------------------------------------- */

static void time_format_epoch_and_leap_day(void **state)
{
	char buf[JG_TIME_LEN];
	(void)state;
	jg_time_format(0, buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	jg_time_format(LEAP_DAY + 45296, buf);
	assert_string_equal(buf, "2024-02-29T12:34:56Z");
	jg_time_format(LEAP_DAY + 86400 - 1, buf);
	assert_string_equal(buf, "2024-02-29T23:59:59Z");
	jg_time_format(-1, buf);
	assert_string_equal(buf, "1969-12-31T23:59:59Z");
	assert_int_equal(strlen(buf) + 1, JG_TIME_LEN);
}

static void time_parse_utc(void **state)
{
	(void)state;
	time_ok("1970-01-01T00:00:00Z", 0);
	time_ok("2024-02-29T12:34:56Z", LEAP_DAY + 45296);
	time_ok("2024-03-01T00:00:00Z", LEAP_DAY + 86400);
	time_ok("2000-02-29T00:00:00Z", 951782400); /* 400-year leap */
	time_ok("1969-12-31T23:59:59Z", -1);
	time_ok("2024-02-29t12:34:56z", LEAP_DAY + 45296);
}

static void time_parse_offsets(void **state)
{
	(void)state;
	time_ok("2024-02-29T14:34:56+02:00", LEAP_DAY + 45296);
	time_ok("2024-02-29T07:04:56-05:30", LEAP_DAY + 45296);
	time_ok("2024-02-29T12:34:56+00:00", LEAP_DAY + 45296);
	time_ok("2024-02-29T12:34:56-00:00", LEAP_DAY + 45296);
	/* an offset can move the date across midnight */
	time_ok("2024-03-01T01:00:00+02:00", LEAP_DAY + 23 * 3600);
}

static void time_parse_fractional_seconds_ignored(void **state)
{
	(void)state;
	time_ok("2024-02-29T12:34:56.789Z", LEAP_DAY + 45296);
	time_ok("2024-02-29T12:34:56.000000001+02:00", LEAP_DAY + 45296 - 7200);
	time_ok("1970-01-01T00:00:00.5Z", 0);
}

static void time_parse_date_only_is_midnight_utc(void **state)
{
	(void)state;
	time_ok("2024-02-29", LEAP_DAY);
	time_ok("1970-01-01", 0);
}

static void time_format_parse_round_trip(void **state)
{
	static const int64_t values[] = {0,          1,          -86400,
	                                 LEAP_DAY,   LEAP_DAY + 45296,
	                                 951782400,  1735689599, 4102444800};
	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char buf[JG_TIME_LEN];
		jg_time_format(values[i], buf);
		time_ok(buf, values[i]);
	}
}

static void time_parse_refuses_bad_fields(void **state)
{
	(void)state;
	time_bad("2024-13-01T00:00:00Z");
	time_bad("2024-00-10T00:00:00Z");
	time_bad("2024-01-00T00:00:00Z");
	time_bad("2024-01-32T00:00:00Z");
	time_bad("2024-04-31T00:00:00Z");
	time_bad("2024-02-30");
	time_bad("2024-01-01T24:00:00Z");
	time_bad("2024-01-01T12:60:00Z");
	time_bad("2024-01-01T12:00:61Z");
	time_bad("2024-01-01T12:00:00+24:00");
	time_bad("2024-01-01T12:00:00+02:60");
}

static void time_parse_refuses_bad_shape(void **state)
{
	(void)state;
	time_bad(NULL);
	time_bad("");
	time_bad("2024-01-01T12:00:00");  /* no zone */
	time_bad("2024-01-01T12:00:00Zjunk");
	time_bad("2024-01-01T12:00:00+02:00x");
	time_bad("2024-01-01T12:00:00+0200");
	time_bad("2024-01-01T12:00:00+02");
	time_bad("2024-01-01junk");
	time_bad("2024-01-01 12:00:00Z");
	time_bad("2024-01-01T");
	time_bad("2024-01-01T12:00Z");
	time_bad("2024-1-01T00:00:00Z");
	time_bad("24-01-01");
	time_bad("2024/01/01");
	time_bad("2024-01-01T1a:00:00Z");
}

static void time_parse_refuses_feb29_in_common_year(void **state)
{
	(void)state;
	/* 2023 and 1900 are not leap years: there is no February 29th */
	time_bad("2023-02-29");
	time_bad("2023-02-29T12:00:00Z");
	time_bad("1900-02-29T00:00:00Z");
}

static void time_parse_refuses_empty_fraction(void **state)
{
	(void)state;
	/* RFC 3339: time-secfrac = "." 1*DIGIT */
	time_bad("2024-01-01T12:00:00.Z");
	time_bad("2024-01-01T12:00:00.+02:00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(duration_parse_units),
	        cmocka_unit_test(duration_parse_bare_number_is_seconds),
	        cmocka_unit_test(duration_parse_refuses_malformed),
	        cmocka_unit_test(duration_parse_refuses_zero),
	        cmocka_unit_test(duration_parse_maximum_edge),
	        cmocka_unit_test(duration_parse_refuses_ten_digit_numbers),
	        cmocka_unit_test(duration_format_shortest_form),
	        cmocka_unit_test(duration_format_parse_round_trip),
	        cmocka_unit_test(duration_format_short_buffer_stays_terminated),
	        cmocka_unit_test(time_format_epoch_and_leap_day),
	        cmocka_unit_test(time_parse_utc),
	        cmocka_unit_test(time_parse_offsets),
	        cmocka_unit_test(time_parse_fractional_seconds_ignored),
	        cmocka_unit_test(time_parse_date_only_is_midnight_utc),
	        cmocka_unit_test(time_format_parse_round_trip),
	        cmocka_unit_test(time_parse_refuses_bad_fields),
	        cmocka_unit_test(time_parse_refuses_bad_shape),
	        cmocka_unit_test(time_parse_refuses_feb29_in_common_year),
	        cmocka_unit_test(time_parse_refuses_empty_fraction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
