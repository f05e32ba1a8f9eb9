/*
 * timefmt.c - duration and RFC 3339 conversions.
 *
 * Civil-date arithmetic is done by hand (days_from_civil) rather than with
 * timegm/mktime so that parsing never depends on the process time zone.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/timefmt.h"

enum jg_err jg_duration_parse(const char *s, int64_t *out)
{
	int64_t total = 0;
	int any = 0;

	if (!s || !*s)
		return JG_EINVAL;
	while (*s) {
		int64_t n = 0, unit;
		int digits = 0;

		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (*s++ - '0');
			if (++digits > 9)
				return JG_EINVAL;
		}
		if (!digits)
			return JG_EINVAL;
		switch (*s) {
		case 's': unit = 1; s++; break;
		case 'm': unit = 60; s++; break;
		case 'h': unit = 3600; s++; break;
		case 'd': unit = 86400; s++; break;
		case '\0':
			if (any)
				return JG_EINVAL; /* "1h30" is ambiguous */
			unit = 1;
			break;
		default: return JG_EINVAL;
		}
		total += n * unit;
		if (total > JG_DURATION_MAX)
			return JG_EINVAL;
		any = 1;
	}
	if (total <= 0)
		return JG_EINVAL;
	*out = total;
	return JG_OK;
}

void jg_duration_format(int64_t secs, char *buf, size_t len)
{
	static const struct { int64_t size; char unit; } units[] = {
		{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'},
	};
	size_t used = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		int64_t n = secs / units[i].size;
		if (n == 0)
			continue;
		secs -= n * units[i].size;
		int w = snprintf(buf + used, len - used, "%lld%c",
		                 (long long)n, units[i].unit);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

void jg_time_format(int64_t t, char buf[JG_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	/* years past 9999 do not fit: never leave buf undefined */
	if (!gmtime_r(&tt, &tm) ||
	    strftime(buf, JG_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, JG_TIME_LEN, "9999-12-31T23:59:59Z");
}

int64_t jg_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int two(const char *p, int *v)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return 0;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return 1;
}

enum jg_err jg_time_parse(const char *s, int64_t *out)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30,
	                                      31, 31, 30, 31, 30, 31};
	int c1, c2, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	size_t len = s ? strlen(s) : 0;

	if (len < 10 || !two(s, &c1) || !two(s + 2, &c2) || s[4] != '-' ||
	    !two(s + 5, &mo) || s[7] != '-' || !two(s + 8, &d))
		return JG_EINVAL;
	int y = c1 * 100 + c2;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap))
		return JG_EINVAL;
	s += 10;
	if (*s == 'T' || *s == 't') {
		if (!two(s + 1, &h) || s[3] != ':' || !two(s + 4, &mi) ||
		    s[6] != ':' || !two(s + 7, &sec))
			return JG_EINVAL;
		if (h > 23 || mi > 59 || sec > 60)
			return JG_EINVAL;
		s += 9;
		if (*s == '.') { /* fractional seconds are accepted, ignored */
			if (!isdigit((unsigned char)s[1]))
				return JG_EINVAL;
			while (isdigit((unsigned char)*++s))
				;
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int oh, om, sign = *s == '-' ? -1 : 1;
			if (!two(s + 1, &oh) || s[3] != ':' || !two(s + 4, &om) ||
			    oh > 23 || om > 59)
				return JG_EINVAL;
			off = sign * (oh * 3600 + om * 60);
			s += 6;
		} else {
			return JG_EINVAL;
		}
	}
	if (*s)
		return JG_EINVAL;
	*out = jg_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec - off;
	return JG_OK;
}
