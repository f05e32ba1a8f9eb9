/*
 * load.h - the policy file (YAML) to a struct jg_policy.
 *
 * This is the only way a struct jg_policy comes into being. Loading fails
 * closed: a file with any error at all -- bad YAML, an unknown key, a wrong
 * type, a bad name, a step naming an undefined group -- yields no policy,
 * never a partial one. The loader keeps no state between calls, so two
 * threads may load at once (hot reload).
 *
 * Names (resources, actions, groups, rules, label keys and values) are
 * checked to be 1 to JG_NAME_MAX-1 bytes of [A-Za-z0-9._-]; user names in
 * `members` may also hold '@'. They compare exactly, byte for byte: no case
 * or Unicode folding. The format is described in docs/policy.md.
 *
 * Loading reads one more kind of file: the zone of every time check, from
 * $TZDIR or /usr/share/zoneinfo (jg_tz_load). An unknown zone is an error
 * at the line that names it, like any other.
 */
#ifndef JG_POLICY_LOAD_H
#define JG_POLICY_LOAD_H

#include <stddef.h>

#include "core/policy.h"
#include "util/err.h"

/*
 * Load and validate the policy file at path (at most JG_POLICY_FILE_MAX
 * bytes, maps and lists nested at most JG_POLICY_DEPTH_MAX deep: a
 * deeper text is refused before it is built, at the line of the first
 * level too deep, in time linear in its length). On success *out owns a new policy (free with jg_policy_free) and
 * (*out)->sha256 is the SHA-256 of the file bytes. On failure returns
 * JG_EINVAL (bad content), JG_ETOOBIG (file too large), JG_ENOTFOUND
 * (cannot open/read; the message names the file and strerror) or
 * JG_ENOMEM, *out is NULL, and err holds one line "FILE:LINE: message"
 * (LINE 1-based). err may be NULL when errlen is 0.
 */
enum jg_err jg_policy_load(const char *path, struct jg_policy **out,
                           char *err, size_t errlen);

/*
 * Same, from memory: buf[0..len) need not be NUL-terminated and is only
 * borrowed. `name` is used in messages in place of the file name.
 */
enum jg_err jg_policy_parse(const char *name, const char *buf, size_t len,
                            struct jg_policy **out, char *err,
                            size_t errlen);

#endif
