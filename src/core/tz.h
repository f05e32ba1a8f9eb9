/*
 * tz.h - UTC offsets of a named time zone, from the system tz database.
 *
 * The loader (src/policy/tzif.c) reads /usr/share/zoneinfo/NAME (or
 * $TZDIR/NAME) once, when the policy loads; the lookups here are pure,
 * so screening never touches a file or the process time zone.
 */
#ifndef JG_TZ_H
#define JG_TZ_H

#include <stdint.h>

/* Defined here, built only by jg_tz_load in src/policy/tzif.h. */
struct jg_tz;

/* Seconds east of UTC in force at UTC time t (DST included). */
int32_t jg_tz_offset(const struct jg_tz *tz, int64_t t);

/* The zone's name as given to jg_tz_load. */
const char *jg_tz_name(const struct jg_tz *tz);

/* NULL-safe. */
void jg_tz_free(struct jg_tz *tz);

#endif
