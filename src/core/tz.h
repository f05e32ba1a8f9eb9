/*
 * tz.h - UTC offsets of a named time zone, from the system tz database.
 *
 * The loader (src/policy/tzif.c) reads /usr/share/zoneinfo/NAME (or
 * $TZDIR/NAME) once, when the policy loads; the lookups here are pure,
 * so screening never touches a file, the clock or the process time zone
 * (TZ, tzset and localtime_r are process-wide state, not safe to switch
 * per request from several threads).
 *
 * A zone is what a TZif file (RFC 8536) holds: the UTC offsets in force
 * from each transition time on, and, for times past the last transition,
 * a POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3" that repeats every
 * year. Offsets are seconds EAST of UTC (Paris in summer: +7200), the
 * opposite sign of the POSIX string's.
 */
#ifndef JG_TZ_H
#define JG_TZ_H

#include <stddef.h>
#include <stdint.h>

#define JG_TZ_NAME_MAX 128 /* zone names, NUL included */

/* One day of a POSIX TZ rule, and the local time on it. */
struct jg_tz_date {
	char form;    /* 'J': Jn, 1..365 without Feb 29; 'n': 0..365 with it;
	                 'M': Mm.w.d, day d (0 Sunday) of week w (5 = last) */
	int day;      /* J and n forms */
	int month, week, wday; /* M form */
	int32_t time; /* seconds after local midnight, -167h..167h */
};

/* A parsed POSIX TZ string (the footer of TZif v2+ files). */
struct jg_tz_rule {
	int32_t std_off;  /* seconds east of UTC in standard time */
	int32_t dst_off;  /* in daylight saving time, when has_dst */
	int has_dst;
	struct jg_tz_date start, end; /* DST starts (in standard time) and
	                                 ends (in DST), every year */
};

/*
 * Defined here, built only by jg_tz_load in src/policy/tzif.h. All
 * arrays are owned and freed by jg_tz_free.
 */
struct jg_tz {
	char name[JG_TZ_NAME_MAX];
	int64_t *times;       /* ntimes transition instants, ascending */
	unsigned char *types; /* ntimes indexes into offs */
	size_t ntimes;
	int32_t *offs;        /* noffs UTC offsets; offs[0] applies before
	                         the first transition */
	size_t noffs;
	int has_rule;         /* rule applies past the last transition */
	struct jg_tz_rule rule;
};

/* Seconds east of UTC in force at UTC time t (DST included). */
int32_t jg_tz_offset(const struct jg_tz *tz, int64_t t);

/* The zone's name as given to jg_tz_load. */
const char *jg_tz_name(const struct jg_tz *tz);

/* NULL-safe. */
void jg_tz_free(struct jg_tz *tz);

/*
 * Parse a POSIX TZ string as found in TZif footers (RFC 8536 section
 * 3.3): "std offset [dst [offset] [,start[/time],end[/time]]]", names
 * alphabetic or <quoted>, times of day up to +-167h. A string with a DST
 * name but no rule is refused (the TZif format never writes one). 0 on
 * success, -1 on any error (r is then unspecified).
 */
int jg_tz_rule_parse(const char *s, size_t len, struct jg_tz_rule *r);

/* Seconds east of UTC that rule r gives at UTC time t. */
int32_t jg_tz_rule_offset(const struct jg_tz_rule *r, int64_t t);

#endif
