/*
 * timefmt.h - durations ("30m", "1h30m") and RFC 3339 UTC timestamps.
 *
 * Pure functions: the clock is never read here. Times are whole seconds
 * since the Unix epoch (int64_t) everywhere in jitgate.
 */
#ifndef JG_TIMEFMT_H
#define JG_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Longest duration accepted anywhere: 366 days. */
#define JG_DURATION_MAX (366LL * 24 * 3600)

/* Formatted size of an RFC 3339 UTC time, NUL included. */
#define JG_TIME_LEN 21

/*
 * Parse a duration such as "45s", "30m", "2h", "1h30m", "7d" into *out
 * seconds. A bare number means seconds. Refuses zero, negatives, unknown
 * units, trailing junk and anything above JG_DURATION_MAX with JG_EINVAL.
 */
enum jg_err jg_duration_parse(const char *s, int64_t *out);

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * algorithm; any year, no time zone involved). */
int64_t jg_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Write the shortest form of secs ("1h30m", "45s") into buf. */
void jg_duration_format(int64_t secs, char *buf, size_t len);

/* Write t as "2026-11-23T04:49:47Z" into buf (at least JG_TIME_LEN bytes). */
void jg_time_format(int64_t t, char buf[JG_TIME_LEN]);

/*
 * Parse "YYYY-MM-DDTHH:MM:SSZ" (or with a +hh:mm / -hh:mm offset), or a
 * plain "YYYY-MM-DD" meaning midnight UTC, into *out.
 */
enum jg_err jg_time_parse(const char *s, int64_t *out);

#endif
