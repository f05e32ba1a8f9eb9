/*
 * test_metrics.c - the Prometheus exposition writer (src/http/prom.c) and
 * the lock-free histogram (src/util/hist.c): escaped label values and
 * HELP text, cumulative buckets ending in +Inf, _sum and _count, and a
 * histogram fed by several threads at once losing nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "http/prom.h"
#include "util/hist.h"

/* What the writer calls put in a stream; the caller frees. */
struct out {
	FILE *f;
	char *text;
	size_t len;
};

static void out_open(struct out *o)
{
	o->text = NULL;
	o->len = 0;
	o->f = open_memstream(&o->text, &o->len);
	assert_non_null(o->f);
}

static char *out_close(struct out *o)
{
	assert_int_equal(fclose(o->f), 0);
	return o->text;
}

static void family_lines(void **state)
{
	struct out o;
	char *t;

	(void)state;
	out_open(&o);
	jg_prom_family(o.f, "jitgate_checks_total", "counter",
	               "Checks answered.\nBy \"result\", a\\b.");
	t = out_close(&o);
	/* HELP escapes backslash and newline, not the quote */
	assert_string_equal(t, "# HELP jitgate_checks_total Checks answered."
	                       "\\nBy \"result\", a\\\\b.\n"
	                       "# TYPE jitgate_checks_total counter\n");
	free(t);
}

static void label_values_escaped(void **state)
{
	const char *const labels[] = {"rule", "a\"b\\c\nd", "state",
	                              "pending", NULL};
	struct out o;
	char *t;

	(void)state;
	out_open(&o);
	jg_prom_int(o.f, "jitgate_requests", labels, 42);
	jg_prom_int(o.f, "jitgate_up", NULL, -1);
	jg_prom_num(o.f, "jitgate_age_seconds", NULL, 1.5);
	t = out_close(&o);
	assert_string_equal(t, "jitgate_requests{rule=\"a\\\"b\\\\c\\nd\","
	                       "state=\"pending\"} 42\n"
	                       "jitgate_up -1\n"
	                       "jitgate_age_seconds 1.5\n");
	free(t);
}

static const double bounds[] = {0.001, 0.01, 0.1, 1};

static void histogram_cumulative(void **state)
{
	const char *const labels[] = {"route", "/v1/check", NULL};
	struct jg_hist h;
	struct jg_hist_snap s;
	struct out o;
	char *t;

	(void)state;
	jg_hist_init(&h, bounds, 4);
	jg_hist_observe_us(&h, 500);     /* <= 0.001 */
	jg_hist_observe_us(&h, 1000);    /* == 0.001: le is inclusive */
	jg_hist_observe_us(&h, 50000);   /* <= 0.1 */
	jg_hist_observe_us(&h, 3000000); /* past every bound: +Inf only */
	jg_hist_snapshot(&h, &s);
	assert_int_equal(s.cum[0], 2);
	assert_int_equal(s.cum[1], 2);
	assert_int_equal(s.cum[2], 3);
	assert_int_equal(s.cum[3], 3);
	assert_int_equal(s.cum[4], 4);
	out_open(&o);
	jg_prom_hist(o.f, "jitgate_check_duration_seconds", labels, &s);
	t = out_close(&o);
	assert_string_equal(t,
	        "jitgate_check_duration_seconds_bucket{route=\"/v1/check\","
	        "le=\"0.001\"} 2\n"
	        "jitgate_check_duration_seconds_bucket{route=\"/v1/check\","
	        "le=\"0.01\"} 2\n"
	        "jitgate_check_duration_seconds_bucket{route=\"/v1/check\","
	        "le=\"0.1\"} 3\n"
	        "jitgate_check_duration_seconds_bucket{route=\"/v1/check\","
	        "le=\"1\"} 3\n"
	        "jitgate_check_duration_seconds_bucket{route=\"/v1/check\","
	        "le=\"+Inf\"} 4\n"
	        "jitgate_check_duration_seconds_sum{route=\"/v1/check\"} "
	        "3.0515\n"
	        "jitgate_check_duration_seconds_count{route=\"/v1/check\"} "
	        "4\n");
	free(t);
}

static void histogram_empty(void **state)
{
	struct jg_hist h;
	struct jg_hist_snap s;
	struct out o;
	char *t;

	(void)state;
	jg_hist_init(&h, bounds, 2);
	jg_hist_snapshot(&h, &s);
	out_open(&o);
	jg_prom_hist(o.f, "x_seconds", NULL, &s);
	t = out_close(&o);
	assert_string_equal(t, "x_seconds_bucket{le=\"0.001\"} 0\n"
	                       "x_seconds_bucket{le=\"0.01\"} 0\n"
	                       "x_seconds_bucket{le=\"+Inf\"} 0\n"
	                       "x_seconds_sum 0\n"
	                       "x_seconds_count 0\n");
	free(t);
}

#define THREADS 4
#define EACH 100000

static void *feed(void *arg)
{
	for (int i = 0; i < EACH; i++)
		jg_hist_observe_us(arg, (uint64_t)(i % 3) * 5000);
	return NULL;
}

/* Four writers at once: every observation lands, the sum exactly. */
static void histogram_threads(void **state)
{
	struct jg_hist h;
	struct jg_hist_snap s;
	pthread_t t[THREADS];
	uint64_t per = 0;

	(void)state;
	for (int i = 0; i < EACH; i++)
		per += (uint64_t)(i % 3) * 5000;
	jg_hist_init(&h, bounds, 4);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, feed, &h), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	jg_hist_snapshot(&h, &s);
	assert_int_equal(s.cum[4], (uint64_t)THREADS * EACH);
	/* 0 us: le 0.001; 5 ms, 10 ms: le 0.01 */
	assert_int_equal(s.cum[0], (uint64_t)THREADS * ((EACH + 2) / 3));
	assert_int_equal(s.cum[1], (uint64_t)THREADS * EACH);
	assert_true(s.sum * 1e6 > (double)(THREADS * per) - 1 &&
	            s.sum * 1e6 < (double)(THREADS * per) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(family_lines),
		cmocka_unit_test(label_values_escaped),
		cmocka_unit_test(histogram_cumulative),
		cmocka_unit_test(histogram_empty),
		cmocka_unit_test(histogram_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
