/*
 * tz.c - UTC offset lookups in a time zone read by src/policy/tzif.c.
 *
 * Pure: no file, no clock, no TZ variable, no allocation. A lookup is a
 * binary search over the zone's transitions; past the last one, the POSIX
 * TZ rule of the file's footer is evaluated for the year in question, so
 * a window such as "08:00-19:00 Europe/Paris" stays right in 2045 even
 * though the file lists transitions only up to 2037.
 */
#include <stdlib.h>

#include "core/tz.h"
#include "util/timefmt.h"

#define DAY 86400
/* Times are clamped to about +-34000 years: the arithmetic below never
 * overflows, whatever a caller (or a fuzzer) passes in. */
#define T_LIMIT ((int64_t)1 << 40)

/* ---- calendar (proleptic Gregorian, H. Hinnant's algorithms) ----------- */

static int64_t year_of_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	return (int64_t)yoe + era * 400 + (mp >= 10);
}

static int leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const unsigned char n[] = {31, 28, 31, 30, 31, 30,
	                                  31, 31, 30, 31, 30, 31};
	return n[m - 1] + (m == 2 && leap(y));
}

/* 0 Sunday .. 6 Saturday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
	return (int)(((days % 7) + 7 + 4) % 7);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- the POSIX rule ---------------------------------------------------- */

/* Seconds since the epoch of `d` in year y, as a local wall time. */
static int64_t local_time(const struct jg_tz_date *d, int64_t y)
{
	int64_t days = jg_days_from_civil(y, 1, 1);

	switch (d->form) {
	case 'J': /* Feb 29 is never counted: day 60 is always March 1 */
		days += d->day - 1 + (leap(y) && d->day >= 60);
		break;
	case 'n':
		days += d->day;
		break;
	default: { /* 'M' */
		int64_t first = jg_days_from_civil(y, (unsigned)d->month, 1);
		int off = (d->wday - weekday(first) + 7) % 7 + 7 * (d->week - 1);
		while (off >= month_days(y, d->month))
			off -= 7; /* week 5: the last such day of the month */
		days = first + off;
	}
	}
	return days * DAY + d->time;
}

int32_t jg_tz_rule_offset(const struct jg_tz_rule *r, int64_t t)
{
	int64_t y, best = 0;
	int found = 0, dst = 0;

	if (!r->has_dst)
		return r->std_off;
	if (t > T_LIMIT)
		t = T_LIMIT;
	if (t < -T_LIMIT)
		t = -T_LIMIT;
	/*
	 * The latest change at or before t decides. Looking at the year
	 * before and after too handles rules whose changes cross a year's
	 * end (southern zones, "J365/25"), and a DST start equal to the
	 * previous end (DST all year) keeps DST on.
	 */
	y = year_of_days(floor_div(t + r->std_off, DAY));
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		int64_t on = local_time(&r->start, yy) - r->std_off;
		int64_t off = local_time(&r->end, yy) - r->dst_off;

		if (off <= t && (!found || off > best)) {
			best = off;
			dst = 0;
			found = 1;
		}
		if (on <= t && (!found || on >= best)) {
			best = on;
			dst = 1;
			found = 1;
		}
	}
	return dst ? r->dst_off : r->std_off;
}

/* A cursor over the rule text. */
struct cur {
	const char *s, *end;
};

static int peek(const struct cur *c)
{
	return c->s < c->end ? (unsigned char)*c->s : -1;
}

static int digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int alpha(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

/* A whole number of at most `maxdig` digits, at most max. */
static int number(struct cur *c, int maxdig, int max, int *out)
{
	int v = 0, n = 0;

	while (digit(peek(c)) && n < maxdig) {
		v = v * 10 + (*c->s++ - '0');
		n++;
	}
	if (n == 0 || digit(peek(c)) || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "abc" (3 or more letters) or "<+0530>" (3 or more of A-Za-z0-9+-). */
static int zone_name(struct cur *c)
{
	int n = 0;

	if (peek(c) == '<') {
		c->s++;
		while (alpha(peek(c)) || digit(peek(c)) || peek(c) == '+' ||
		       peek(c) == '-') {
			c->s++;
			n++;
		}
		if (peek(c) != '>')
			return -1;
		c->s++;
	} else {
		while (alpha(peek(c))) {
			c->s++;
			n++;
		}
	}
	return n >= 3 ? 0 : -1;
}

/* [+-]hh[:mm[:ss]] in seconds, hh at most max_h. */
static int hms(struct cur *c, int max_h, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;

	if (peek(c) == '+' || peek(c) == '-')
		sign = *c->s++ == '-' ? -1 : 1;
	if (number(c, 3, max_h, &h))
		return -1;
	if (peek(c) == ':') {
		c->s++;
		if (number(c, 2, 59, &m))
			return -1;
		if (peek(c) == ':') {
			c->s++;
			if (number(c, 2, 59, &s))
				return -1;
		}
	}
	*out = sign * (h * 3600 + m * 60 + s);
	return 0;
}

static int rule_date(struct cur *c, struct jg_tz_date *d)
{
	d->time = 2 * 3600; /* the POSIX default: 02:00 local */
	if (peek(c) == 'J') {
		c->s++;
		d->form = 'J';
		if (number(c, 3, 365, &d->day) || d->day < 1)
			return -1;
	} else if (peek(c) == 'M') {
		c->s++;
		d->form = 'M';
		if (number(c, 2, 12, &d->month) || d->month < 1 ||
		    peek(c) != '.')
			return -1;
		c->s++;
		if (number(c, 1, 5, &d->week) || d->week < 1 || peek(c) != '.')
			return -1;
		c->s++;
		if (number(c, 1, 6, &d->wday))
			return -1;
	} else {
		d->form = 'n';
		if (number(c, 3, 365, &d->day))
			return -1;
	}
	if (peek(c) == '/') {
		c->s++;
		/* RFC 8536 3.3.1: hours from -167 to 167 */
		if (hms(c, 167, &d->time))
			return -1;
	}
	return 0;
}

int jg_tz_rule_parse(const char *s, size_t len, struct jg_tz_rule *r)
{
	struct cur c = {s, s + len};
	int32_t off;

	*r = (struct jg_tz_rule){0};
	/* POSIX offsets count hours WEST of UTC: "CET-1" is UTC+1. */
	if (zone_name(&c) || hms(&c, 24, &off))
		return -1;
	r->std_off = -off;
	if (peek(&c) == -1)
		return 0;
	if (zone_name(&c))
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (peek(&c) != ',' && peek(&c) != -1) {
		if (hms(&c, 24, &off))
			return -1;
		r->dst_off = -off;
	}
	if (peek(&c) != ',')
		return -1;
	c.s++;
	if (rule_date(&c, &r->start) || peek(&c) != ',')
		return -1;
	c.s++;
	if (rule_date(&c, &r->end) || peek(&c) != -1)
		return -1;
	return 0;
}

/* ---- lookups ----------------------------------------------------------- */

int32_t jg_tz_offset(const struct jg_tz *tz, int64_t t)
{
	size_t lo, hi;

	if (!tz || tz->noffs == 0)
		return 0;
	if (tz->ntimes == 0)
		return tz->has_rule ? jg_tz_rule_offset(&tz->rule, t) : tz->offs[0];
	if (t < tz->times[0])
		return tz->offs[0];
	if (t >= tz->times[tz->ntimes - 1] && tz->has_rule)
		return jg_tz_rule_offset(&tz->rule, t);
	/* the last transition at or before t: times[lo] <= t < times[hi] */
	lo = 0;
	hi = tz->ntimes;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->types[lo]];
}

const char *jg_tz_name(const struct jg_tz *tz)
{
	return tz ? tz->name : "";
}

void jg_tz_free(struct jg_tz *tz)
{
	if (!tz)
		return;
	free(tz->times);
	free(tz->types);
	free(tz->offs);
	free(tz);
}
