/*
 * log.h - the server's log: one switch between the text lines jitgate has
 * always written and one JSON object per line (serve --log-format json),
 * for log collectors.
 *
 * Every line the server logs goes through here: jg_log for what it has to
 * say (to stderr), jg_log_out for its few announcements on stdout (where
 * it listens, where the admin token is), jg_log_access for the access
 * line of each answer. Text lines read as before: "jitgate: message" (a
 * warning "jitgate: warning: message"), and the access line
 * "TIME METHOD PATH STATUS WHO MS". A JSON line carries ts (RFC 3339 UTC,
 * milliseconds), level ("info", "warn", "error"), msg, and for an access
 * line method, path, status, who and ms. Each line goes out in one
 * write(2), so lines from several threads never interleave.
 *
 * Nothing secret may be passed here: a caller logs names, ids and
 * reasons, never a token, a payload or a body.
 */
#ifndef JG_LOG_H
#define JG_LOG_H

#include <stdint.h>

enum jg_log_level { JG_LOG_INFO, JG_LOG_WARN, JG_LOG_ERROR };
enum jg_log_format { JG_LOG_TEXT, JG_LOG_JSON };

/* "text" or "json" into *out; -1 for anything else. */
int jg_log_format_parse(const char *name, enum jg_log_format *out);

/* Choose the format, once, at start-up, before any thread runs: this is
 * the process's one log setting (text until set). */
void jg_log_set_format(enum jg_log_format f);

/* Log a message (printf-style; one trailing newline is dropped, longer
 * messages are cut at 1 KiB) to stderr. */
void jg_log(enum jg_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* The same at level info on stdout (start-up announcements). */
void jg_log_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The access line of one answer; us: microseconds it took; who may be
 * NULL or "" (unauthenticated). The path's control bytes become '?'. */
void jg_log_access(const char *method, const char *path, int status,
                   const char *who, int64_t us);

#endif
