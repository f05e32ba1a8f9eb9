/*
 * tzif.h - a named time zone from the system tz database (TZif files).
 *
 * Why jitgate reads TZif files itself: glibc answers "what is the local
 * time in Europe/Paris" only for the process-wide zone (setenv TZ +
 * tzset + localtime_r), which is global state and not thread-safe to
 * switch while other threads screen requests. So the policy loader reads
 * each zone a rule names once, here, into a struct jg_tz (core/tz.h)
 * whose lookups are pure.
 */
#ifndef JG_TZIF_H
#define JG_TZIF_H

#include <stddef.h>

#include "core/tz.h"
#include "util/err.h"

#define JG_TZIF_MAX (256 * 1024) /* largest zone file read, in bytes */

/*
 * Load zone `name` ("Europe/Paris", "UTC", "Etc/GMT+5") from $TZDIR, or
 * /usr/share/zoneinfo when TZDIR is unset or empty. The name is checked
 * before any file is opened: 1 to JG_TZ_NAME_MAX-1 bytes of
 * A-Z a-z 0-9 _ + - /, no leading '/', no "..". On success *out owns a
 * new zone (free with jg_tz_free). On failure *out is NULL, err holds one
 * line without a file position ("unknown time zone 'Mars/Base'") and the
 * result is JG_EINVAL (bad name, bad file), JG_ENOTFOUND (no such zone),
 * JG_ETOOBIG (file above JG_TZIF_MAX) or JG_ENOMEM.
 */
enum jg_err jg_tz_load(const char *name, struct jg_tz **out, char *err,
                       size_t errlen);

/*
 * Same from a TZif image in memory (versions 1 to 4; the 64-bit data of
 * version 2 and later is used, with its footer rule). buf is borrowed.
 * Zones with leap seconds ("right/...") are refused: jitgate's clock is
 * POSIX time. Used by jg_tz_load, the tests and the fuzzer.
 */
enum jg_err jg_tz_parse(const char *name, const unsigned char *buf,
                        size_t len, struct jg_tz **out, char *err,
                        size_t errlen);

#endif
