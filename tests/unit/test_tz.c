/*
 * test_tz.c - time zones: the TZif reader (src/policy/tzif.c) and the pure
 * lookups and POSIX rules (src/core/tz.c).
 *
 * Zones come from the system tz database (Debian's tzdata, priority
 * "required"); TZDIR is unset and TZ set to an unrelated zone first, so
 * neither the machine's settings nor the process zone can change a
 * result. Instants are checked one second before and at each change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/tz.h"
#include "policy/tzif.h"

static struct jg_tz *load(const char *name)
{
	struct jg_tz *tz = NULL;
	char err[512] = "";
	enum jg_err rc = jg_tz_load(name, &tz, err, sizeof(err));

	if (rc != JG_OK)
		print_error("%s: %s\n", name, err);
	assert_int_equal(rc, JG_OK);
	assert_non_null(tz);
	assert_string_equal(err, "");
	assert_string_equal(jg_tz_name(tz), name);
	return tz;
}

/* The offset one second before t is `before`, and from t on `after`. */
static void change(const struct jg_tz *tz, int64_t t, int32_t before,
                   int32_t after)
{
	if (jg_tz_offset(tz, t - 1) != before || jg_tz_offset(tz, t) != after)
		print_error("%s at %lld: %d/%d, want %d/%d\n", jg_tz_name(tz),
		            (long long)t, jg_tz_offset(tz, t - 1),
		            jg_tz_offset(tz, t), before, after);
	assert_int_equal(jg_tz_offset(tz, t - 1), before);
	assert_int_equal(jg_tz_offset(tz, t), after);
}

/* ---- zones from the tz database ---------------------------------------- */

static void paris_2026(void **state)
{
	struct jg_tz *tz = load("Europe/Paris");

	(void)state;
	change(tz, 1774746000, 3600, 7200); /* 2026-03-29T01:00:00Z */
	change(tz, 1792890000, 7200, 3600); /* 2026-10-25T01:00:00Z */
	assert_int_equal(jg_tz_offset(tz, 1768435200), 3600); /* January */
	jg_tz_free(tz);
}

/* Berlin, the brief's facts (off_hours zones): +1h in January, +2h in
 * July, the switches of 2026 to the second, and those of 2040, past the
 * 2037 end of the table zic writes, from the footer rule. */
static void berlin(void **state)
{
	struct jg_tz *tz = load("Europe/Berlin");

	(void)state;
	assert_int_equal(jg_tz_offset(tz, 1768435200), 3600); /* 2026-01-15 */
	assert_int_equal(jg_tz_offset(tz, 1784073600), 7200); /* 2026-07-15 */
	change(tz, 1774746000, 3600, 7200); /* 2026-03-29T01:00:00Z */
	change(tz, 1792890000, 7200, 3600); /* 2026-10-25T01:00:00Z */
	assert_true(tz->has_rule);
	assert_true(tz->ntimes == 0 || tz->times[tz->ntimes - 1] < 2210198400);
	assert_int_equal(jg_tz_offset(tz, 2210198400), 3600); /* 2040-01-15 */
	assert_int_equal(jg_tz_offset(tz, 2224713600), 7200); /* 2040-07-01 */
	change(tz, 2216250000, 3600, 7200); /* 2040-03-25T01:00:00Z */
	change(tz, 2234998800, 7200, 3600); /* 2040-10-28T01:00:00Z */
	jg_tz_free(tz);
}

static void new_york_2026(void **state)
{
	struct jg_tz *tz = load("America/New_York");

	(void)state;
	change(tz, 1772953200, -18000, -14400); /* 2026-03-08T07:00:00Z */
	change(tz, 1793512800, -14400, -18000); /* 2026-11-01T06:00:00Z */
	assert_int_equal(jg_tz_offset(tz, 1784073600), -14400); /* July */
	jg_tz_free(tz);
}

static void utc(void **state)
{
	struct jg_tz *tz = load("UTC");
	struct jg_tz *etc = load("Etc/UTC");
	struct jg_tz *gmt5 = load("Etc/GMT+5"); /* POSIX sign: UTC-5 */

	(void)state;
	for (int64_t t = -4000000000LL; t < 8000000000LL; t += 123456789) {
		assert_int_equal(jg_tz_offset(tz, t), 0);
		assert_int_equal(jg_tz_offset(etc, t), 0);
		assert_int_equal(jg_tz_offset(gmt5, t), -18000);
	}
	jg_tz_free(tz);
	jg_tz_free(etc);
	jg_tz_free(gmt5);
}

static void lord_howe_half_hour(void **state)
{
	struct jg_tz *tz = load("Australia/Lord_Howe");

	(void)state;
	/* +11 in summer, +10:30 in winter: DST of 30 minutes */
	change(tz, 1775314800, 39600, 37800); /* 2026-04-04T15:00:00Z */
	change(tz, 1791041400, 37800, 39600); /* 2026-10-03T15:30:00Z */
	jg_tz_free(tz);
}

static void past_last_transition(void **state)
{
	struct jg_tz *paris = load("Europe/Paris");
	struct jg_tz *ny = load("America/New_York");
	struct jg_tz *lh = load("Australia/Lord_Howe");
	const int64_t july_2045 = 2382480000; /* 2045-07-01T00:00:00Z */

	(void)state;
	assert_true(paris->has_rule && ny->has_rule && lh->has_rule);
	assert_true(paris->ntimes == 0 ||
	            paris->times[paris->ntimes - 1] < july_2045);
	assert_true(ny->ntimes == 0 || ny->times[ny->ntimes - 1] < july_2045);
	assert_int_equal(jg_tz_offset(paris, july_2045), 7200);
	assert_int_equal(jg_tz_offset(ny, july_2045), -14400);
	/* the changes of 2045, from the rules alone */
	change(paris, 2374102800, 3600, 7200); /* 2045-03-26T01:00:00Z */
	change(paris, 2392851600, 7200, 3600); /* 2045-10-29T01:00:00Z */
	change(ny, 2372914800, -18000, -14400); /* 2045-03-12T07:00:00Z */
	change(ny, 2393474400, -14400, -18000); /* 2045-11-05T06:00:00Z */
	change(lh, 2374671600, 39600, 37800);   /* 2045-04-01T15:00:00Z */
	change(lh, 2390398200, 37800, 39600);   /* 2045-09-30T15:30:00Z */
	jg_tz_free(paris);
	jg_tz_free(ny);
	jg_tz_free(lh);
}

/* Where the file lists transitions made by today's rules, the footer
 * rule must give the same offsets: zic's output checks our evaluation. */
static void rule_agrees_with_table(void **state)
{
	static const struct {
		const char *name;
		int64_t from; /* the current rules hold from here on */
	} zones[] = {
		{"Europe/Paris", 852076800},          /* 1997 */
		{"America/New_York", 1199145600},     /* 2008 */
		{"Australia/Lord_Howe", 1230768000},  /* 2009 */
		{"America/Santiago", 1672531200},     /* 2023 */
		{"Pacific/Auckland", 1230768000},
	};

	(void)state;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		struct jg_tz *tz = load(zones[z].name);
		size_t checked = 0;

		assert_true(tz->has_rule);
		for (size_t i = 0; i < tz->ntimes; i++) {
			int64_t t = tz->times[i];
			if (t < zones[z].from)
				continue;
			for (int64_t d = -1; d <= 0; d++) {
				int32_t want = tz->offs[tz->types[i - (d < 0)]];
				if (jg_tz_rule_offset(&tz->rule, t + d) != want)
					print_error("%s at %lld\n", zones[z].name,
					            (long long)(t + d));
				assert_int_equal(jg_tz_rule_offset(&tz->rule, t + d),
				                 want);
			}
			checked++;
		}
		assert_true(checked >= 10);
		jg_tz_free(tz);
	}
}

static void extreme_times(void **state)
{
	struct jg_tz *tz = load("Europe/Paris");

	(void)state;
	/* before the first transition: type 0, local mean time (+0:09:21) */
	assert_int_equal(jg_tz_offset(tz, INT64_MIN), 561);
	assert_int_equal(jg_tz_offset(tz, -5000000000LL), 561);
	/* far future: the rule still holds (July 2400 is summer time) */
	assert_int_equal(jg_tz_offset(tz, 13569465600LL + 190 * 86400), 7200);
	jg_tz_offset(tz, INT64_MAX); /* no overflow (UBSan would say so) */
	assert_int_equal(jg_tz_offset(NULL, 0), 0);
	assert_string_equal(jg_tz_name(NULL), "");
	jg_tz_free(NULL);
	jg_tz_free(tz);
}

/* ---- refusals ---------------------------------------------------------- */

static void unknown_zone(void **state)
{
	struct jg_tz *tz = (struct jg_tz *)&tz;
	char err[512];

	(void)state;
	assert_int_equal(jg_tz_load("Mars/Base", &tz, err, sizeof(err)),
	                 JG_ENOTFOUND);
	assert_null(tz);
	assert_non_null(strstr(err, "unknown time zone 'Mars/Base' (no file "));
	assert_int_equal(jg_tz_load("Europe", &tz, err, sizeof(err)),
	                 JG_ENOTFOUND);
	assert_non_null(strstr(err, "is not a file"));
	assert_int_equal(jg_tz_load("europe/paris", &tz, err, sizeof(err)),
	                 JG_ENOTFOUND); /* names compare exactly */
	/* a file that is not TZif */
	assert_int_equal(jg_tz_load("leapseconds", &tz, err, sizeof(err)),
	                 JG_EINVAL);
	assert_non_null(strstr(err, "is not a valid TZif file (no TZif magic)"));
	assert_null(tz);
}

static void bad_names_refused_before_open(void **state)
{
	static const char *const names[] = {
		"../etc/passwd", "/etc/passwd", "Europe/../../etc/passwd",
		"Europe/..", "..", "", "Europe/Paris\n", "zone.tab",
		"Europe/Paris ", "Europe\\Paris", "Europe/Par%s", "a;b",
		"1234567890123456789012345678901234567890123456789012345678901234"
		"5678901234567890123456789012345678901234567890123456789012345678",
	};
	struct jg_tz *tz = NULL;
	char err[512];

	(void)state;
	/* With TZDIR unusable, an open would say "unknown": EINVAL shows
	 * the name was refused first. */
	setenv("TZDIR", "/nonexistent-tzdir", 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum jg_err rc = jg_tz_load(names[i], &tz, err, sizeof(err));
		if (rc != JG_EINVAL)
			print_error("'%s': %d %s\n", names[i], rc, err);
		assert_int_equal(rc, JG_EINVAL);
		assert_null(tz);
		assert_non_null(strstr(err, "is not valid (1 to 127 characters"));
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(jg_tz_load("UTC", &tz, err, sizeof(err)),
	                 JG_ENOTFOUND);
	unsetenv("TZDIR");
}

/* ---- TZif images ------------------------------------------------------- */

struct img {
	unsigned char b[4096];
	size_t n;
};

static void put32(struct img *m, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		m->b[m->n++] = (unsigned char)(v >> (8 * i));
}

static void put64(struct img *m, int64_t v)
{
	put32(m, (uint32_t)((uint64_t)v >> 32));
	put32(m, (uint32_t)v);
}

static void put(struct img *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void tzif_header(struct img *m, char version, uint32_t isut,
                        uint32_t isstd, uint32_t leap, uint32_t times,
                        uint32_t types, uint32_t chars)
{
	put(m, "TZif", 4);
	m->b[m->n++] = (unsigned char)version;
	memset(m->b + m->n, 0, 15);
	m->n += 15;
	put32(m, isut);
	put32(m, isstd);
	put32(m, leap);
	put32(m, times);
	put32(m, types);
	put32(m, chars);
}

/*
 * A version-2 zone "Test": +1h before 2000-01-01, +2h from then on, +1h
 * from 2001-01-01; afterwards the rule `footer`. The version-1 block is
 * minimal, as zic -b slim writes it.
 */
static void make_v2(struct img *m, const char *footer)
{
	memset(m, 0, sizeof(*m));
	tzif_header(m, '2', 0, 0, 0, 0, 1, 1);
	put32(m, 0);
	m->b[m->n++] = 0;
	m->b[m->n++] = 0;
	m->b[m->n++] = 0;
	tzif_header(m, '2', 2, 2, 0, 2, 2, 8);
	put64(m, 946684800);
	put64(m, 978307200);
	m->b[m->n++] = 1;
	m->b[m->n++] = 0;
	put32(m, 3600);
	m->b[m->n++] = 0;
	m->b[m->n++] = 0;
	put32(m, 7200);
	m->b[m->n++] = 1;
	m->b[m->n++] = 4;
	put(m, "CET\0CEST", 8);
	put(m, "\0\0\0\0", 4); /* isstd, isut */
	m->b[m->n++] = '\n';
	put(m, footer, strlen(footer));
	m->b[m->n++] = '\n';
}

static enum jg_err parse(const struct img *m, struct jg_tz **tz, char *err)
{
	return jg_tz_parse("Test", m->b, m->n, tz, err, 256);
}

static void image_v2(void **state)
{
	struct img m;
	struct jg_tz *tz;
	char err[256];

	(void)state;
	make_v2(&m, "CET-1CEST,M3.5.0,M10.5.0/3");
	assert_int_equal(parse(&m, &tz, err), JG_OK);
	assert_int_equal(tz->ntimes, 2);
	assert_int_equal(jg_tz_offset(tz, 0), 3600);
	change(tz, 946684800, 3600, 7200);
	change(tz, 978307200, 7200, 3600);
	assert_int_equal(jg_tz_offset(tz, 2382480000), 7200); /* rule */
	jg_tz_free(tz);
	/* an empty footer: the last offset holds for ever */
	make_v2(&m, "");
	assert_int_equal(parse(&m, &tz, err), JG_OK);
	assert_false(tz->has_rule);
	assert_int_equal(jg_tz_offset(tz, 2382480000), 3600);
	jg_tz_free(tz);
}

static void image_v1(void **state)
{
	struct img m = {.n = 0};
	struct jg_tz *tz;
	char err[256];

	(void)state;
	tzif_header(&m, 0, 0, 0, 0, 1, 2, 4);
	put32(&m, 946684800);
	m.b[m.n++] = 1;
	put32(&m, (uint32_t)-18000);
	m.b[m.n++] = 0;
	m.b[m.n++] = 0;
	put32(&m, (uint32_t)-14400);
	m.b[m.n++] = 1;
	m.b[m.n++] = 0;
	put(&m, "EST", 4);
	assert_int_equal(parse(&m, &tz, err), JG_OK);
	change(tz, 946684800, -18000, -14400);
	assert_int_equal(jg_tz_offset(tz, 4000000000LL), -14400);
	jg_tz_free(tz);
}

/* Every prefix of a valid image is refused, never read past its end. */
static void image_truncated(void **state)
{
	struct img m, cut;
	struct jg_tz *tz;
	char err[256];

	(void)state;
	make_v2(&m, "CET-1CEST,M3.5.0,M10.5.0/3");
	for (size_t n = 0; n < m.n; n++) {
		unsigned char *copy = malloc(n ? n : 1); /* exact size for ASan */
		assert_non_null(copy);
		memcpy(copy, m.b, n);
		assert_int_equal(jg_tz_parse("Test", copy, n, &tz, err, sizeof(err)),
		                 JG_EINVAL);
		assert_null(tz);
		free(copy);
	}
	cut = m;
	cut.b[cut.n++] = 'x'; /* a byte after the footer */
	assert_int_equal(parse(&cut, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "bytes after the footer"));
}

static void image_refusals(void **state)
{
	/* where make_v2 puts the version-2 header and its data */
	enum { H2 = 44 + 7, D2 = H2 + 44 };
	static const struct {
		size_t at;
		unsigned char byte;
		const char *why;
	} cases[] = {
		{0, 'X', "no TZif magic"},
		{4, '5', "unsupported version"},
		{4, '1', "unsupported version"},
		{H2, 'X', "no TZif magic"},
		{H2 + 39, 0, "number of local time types not in 1..256"},
		{H2 + 43, 0, "no time zone designations"},
		{H2 + 31, 1, "leap seconds are not supported"},
		{H2 + 23, 1, "indicator counts differ"},
		{H2 + 34, 0xff, "truncated data"},
		{39, 0, "number of local time types"}, /* the v1 header too */
	};
	struct img m;
	struct jg_tz *tz;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_v2(&m, "CET-1CEST,M3.5.0,M10.5.0/3");
		m.b[cases[i].at] = cases[i].byte;
		if (parse(&m, &tz, err) != JG_EINVAL || !strstr(err, cases[i].why))
			print_error("case %zu: %s\n", i, err);
		assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
		assert_null(tz);
		assert_non_null(strstr(err, "time zone 'Test' is not a valid TZif "
		                            "file ("));
		assert_non_null(strstr(err, cases[i].why));
	}
	/* transitions out of order */
	make_v2(&m, "");
	memcpy(m.b + D2 + 8, m.b + D2, 8);
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "not ascending"));
	/* a transition naming type 2 of 2 */
	make_v2(&m, "");
	m.b[D2 + 16] = 2;
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "undefined local time type"));
	/* an offset of 27 hours */
	make_v2(&m, "");
	m.b[D2 + 18 + 1] = 0x02; /* 0x00020e10 s */
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "UTC offset of more than 26 hours"));
	/* a DST flag of 2, a designation index past the characters */
	make_v2(&m, "");
	m.b[D2 + 18 + 4] = 2;
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "bad DST flag"));
	make_v2(&m, "");
	m.b[D2 + 18 + 5] = 8;
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "designation index"));
	/* footers */
	make_v2(&m, "CET-1CEST");
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "bad POSIX TZ rule in the footer"));
	make_v2(&m, "");
	m.b[m.n - 2] = 'x'; /* the footer's opening newline */
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
	assert_non_null(strstr(err, "missing footer"));
	make_v2(&m, "");
	m.n--; /* the closing newline */
	assert_int_equal(parse(&m, &tz, err), JG_EINVAL);
}

/* TZDIR is honoured; large files, directories and FIFOs are refused. */
static void load_from_tzdir(void **state)
{
	char dir[] = "/tmp/jg_test_tz_XXXXXX", path[256], err[512];
	struct jg_tz *tz = NULL;
	struct img m;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("TZDIR", dir, 1);
	snprintf(path, sizeof(path), "%s/Test", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/Test/Zone", dir);
	make_v2(&m, "<+0530>-5:30");
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(m.b, 1, m.n, f);
	fclose(f);
	tz = load("Test/Zone");
	assert_int_equal(jg_tz_offset(tz, 4000000000LL), 19800);
	jg_tz_free(tz);

	snprintf(path, sizeof(path), "%s/Big", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(m.b, 1, m.n, f);
	for (size_t i = 0; i < JG_TZIF_MAX; i += sizeof(m.b))
		fwrite(m.b, 1, sizeof(m.b), f);
	fclose(f);
	assert_int_equal(jg_tz_load("Big", &tz, err, sizeof(err)), JG_ETOOBIG);
	assert_null(tz);
	assert_non_null(strstr(err, "is larger than 262144 bytes"));
	unlink(path);

	snprintf(path, sizeof(path), "%s/Fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(jg_tz_load("Fifo", &tz, err, sizeof(err)),
	                 JG_ENOTFOUND); /* returns: does not wait for a writer */
	assert_non_null(strstr(err, "is not a file"));
	unlink(path);

	assert_int_equal(jg_tz_load("Test", &tz, err, sizeof(err)),
	                 JG_ENOTFOUND);
	snprintf(path, sizeof(path), "%s/Test/Zone", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/Test", dir);
	rmdir(path);
	rmdir(dir);
	unsetenv("TZDIR");
	setenv("TZDIR", "", 1); /* empty: the default directory */
	jg_tz_free(load("Europe/Paris"));
	unsetenv("TZDIR");
}

/* ---- POSIX TZ rules (pure) --------------------------------------------- */

static struct jg_tz_rule rule(const char *s)
{
	struct jg_tz_rule r;

	if (jg_tz_rule_parse(s, strlen(s), &r) != 0)
		print_error("refused: %s\n", s);
	assert_int_equal(jg_tz_rule_parse(s, strlen(s), &r), 0);
	return r;
}

static void rule_change(const struct jg_tz_rule *r, int64_t t, int32_t before,
                        int32_t after)
{
	assert_int_equal(jg_tz_rule_offset(r, t - 1), before);
	assert_int_equal(jg_tz_rule_offset(r, t), after);
}

static void posix_rules_parsed(void **state)
{
	struct jg_tz_rule r;

	(void)state;
	r = rule("CET-1CEST,M3.5.0,M10.5.0/3");
	assert_int_equal(r.std_off, 3600);
	assert_int_equal(r.dst_off, 7200);
	assert_true(r.has_dst);
	assert_int_equal(r.start.form, 'M');
	assert_int_equal(r.start.month, 3);
	assert_int_equal(r.start.week, 5);
	assert_int_equal(r.start.wday, 0);
	assert_int_equal(r.start.time, 7200); /* the default 02:00 */
	assert_int_equal(r.end.time, 3 * 3600);
	r = rule("EST5EDT,M3.2.0,M11.1.0");
	assert_int_equal(r.std_off, -18000);
	assert_int_equal(r.dst_off, -14400);
	r = rule("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
	assert_int_equal(r.std_off, 37800);
	assert_int_equal(r.dst_off, 39600);
	r = rule("UTC0");
	assert_false(r.has_dst);
	assert_int_equal(jg_tz_rule_offset(&r, 1000000000), 0);
	r = rule("<+0530>-5:30");
	assert_int_equal(jg_tz_rule_offset(&r, 1000000000), 19800);
	r = rule("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
	assert_int_equal(r.start.time, -7200);
	assert_int_equal(r.end.time, -3600);
	r = rule("AAA+1:02:03BBB+0:30,J1/167,J365/-167:59:59");
	assert_int_equal(r.std_off, -3723);
	assert_int_equal(r.dst_off, -1800);
	assert_int_equal(r.start.time, 167 * 3600);
	assert_int_equal(r.end.time, -(167 * 3600 + 59 * 60 + 59));
	r = rule("XXX0YYY,0,365");
	assert_int_equal(r.start.form, 'n');
	assert_int_equal(r.end.day, 365);
}

static void posix_rules_refused(void **state)
{
	static const char *const bad[] = {
		"", "CE-1", "CET", "CET-", "CET-1CEST", "CET-1CEST,M3.5.0",
		"CET-1CEST,M3.5.0,", "CET-1CEST,M13.5.0,M10.5.0",
		"CET-1CEST,M0.5.0,M10.5.0", "CET-1CEST,M3.6.0,M10.5.0",
		"CET-1CEST,M3.0.0,M10.5.0", "CET-1CEST,M3.5.7,M10.5.0",
		"CET-1CEST,M3.5,M10.5.0", "CET-1CEST,J0,J365",
		"CET-1CEST,J366,J1", "CET-1CEST,366,0", "CET-1CEST,M3.5.0/168,M10.5.0",
		"CET-1CEST,M3.5.0,M10.5.0/3x", "CET-25", "CET-1:60", "CET-1:00:60",
		"<+10", "<+1>0", "<+1 0>0", "CET-1CEST-2-3,M3.5.0,M10.5.0",
		"CET-1CEST,M3.5.0,M10.5.0,", "CET1234",
	};
	struct jg_tz_rule r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (jg_tz_rule_parse(bad[i], strlen(bad[i]), &r) != -1)
			print_error("accepted: '%s'\n", bad[i]);
		assert_int_equal(jg_tz_rule_parse(bad[i], strlen(bad[i]), &r), -1);
	}
	/* a length short of the NUL is honoured */
	assert_int_equal(jg_tz_rule_parse("UTC0junk", 4, &r), 0);
}

static void posix_rule_forms(void **state)
{
	struct jg_tz_rule r;

	(void)state;
	/* Jn never counts Feb 29: J60 is March 1, also in 2024 */
	r = rule("AAA0BBB,J60/0,J300/0");
	rule_change(&r, 1709251200, 0, 3600); /* 2024-03-01T00:00:00Z */
	rule_change(&r, 1677628800, 0, 3600); /* 2023-03-01T00:00:00Z */
	/* n counts it, from 0: day 59 is Feb 29 in 2024, March 1 in 2023 */
	r = rule("AAA0BBB,59/0,300/0");
	rule_change(&r, 1709164800, 0, 3600); /* 2024-02-29T00:00:00Z */
	rule_change(&r, 1677628800, 0, 3600); /* 2023-03-01T00:00:00Z */
	/* Mm.5.d is the last such day: the last Sunday of March 2026 is the
	 * 29th; in New York, the second Sunday of March is the 8th */
	r = rule("CET-1CEST,M3.5.0,M10.5.0/3");
	rule_change(&r, 1774746000, 3600, 7200);
	rule_change(&r, 1792890000, 7200, 3600);
	r = rule("EST5EDT,M3.2.0,M11.1.0");
	rule_change(&r, 1772953200, -18000, -14400);
	/* southern hemisphere: DST across the new year */
	r = rule("<-04>4<-03>,M9.1.6/24,M4.1.6/24");
	assert_int_equal(jg_tz_rule_offset(&r, 1767225600), -10800); /* Jan */
	assert_int_equal(jg_tz_rule_offset(&r, 1784073600), -14400); /* Jul */
	/* DST all year, the way zic writes it */
	r = rule("EST5EDT,0/0,J365/25");
	for (int64_t t = 1767225600 - 86400; t < 1767225600 + 86400; t += 1800)
		assert_int_equal(jg_tz_rule_offset(&r, t), -14400);
	assert_int_equal(jg_tz_rule_offset(&r, 1784073600), -14400);
	/* negative times: Nuuk changes at 01:00 UTC, -2 local */
	r = rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	rule_change(&r, 1774746000, -7200, -3600);
	/* the arithmetic holds at the ends of int64 */
	jg_tz_rule_offset(&r, INT64_MAX);
	jg_tz_rule_offset(&r, INT64_MIN);
}

/* The process zone is not consulted: TZ points elsewhere throughout. */
static void independent_of_tz_env(void **state)
{
	struct jg_tz *tz;

	(void)state;
	setenv("TZ", "America/Los_Angeles", 1);
	tzset();
	tz = load("Europe/Paris");
	assert_int_equal(jg_tz_offset(tz, 1774746000), 7200);
	jg_tz_free(tz);
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(paris_2026),
		cmocka_unit_test(berlin),
		cmocka_unit_test(new_york_2026),
		cmocka_unit_test(utc),
		cmocka_unit_test(lord_howe_half_hour),
		cmocka_unit_test(past_last_transition),
		cmocka_unit_test(rule_agrees_with_table),
		cmocka_unit_test(extreme_times),
		cmocka_unit_test(unknown_zone),
		cmocka_unit_test(bad_names_refused_before_open),
		cmocka_unit_test(image_v2),
		cmocka_unit_test(image_v1),
		cmocka_unit_test(image_truncated),
		cmocka_unit_test(image_refusals),
		cmocka_unit_test(load_from_tzdir),
		cmocka_unit_test(posix_rules_parsed),
		cmocka_unit_test(posix_rules_refused),
		cmocka_unit_test(posix_rule_forms),
		cmocka_unit_test(independent_of_tz_env),
	};

	unsetenv("TZDIR");
	setenv("TZ", "Asia/Tokyo", 1); /* any zone but the ones tested */
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
