/*
 * log.c - text or JSON log lines (see log.h).
 *
 * Why a process-wide setting: the format is chosen by one serve flag
 * before any thread starts and never changes after; passing it down to
 * every module that logs would thread a parameter through layers that
 * have nothing else to say about logging.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util/log.h"

static enum jg_log_format format = JG_LOG_TEXT; /* set at start-up only */

static const char *const level_names[] = {"info", "warn", "error"};

int jg_log_format_parse(const char *name, enum jg_log_format *out)
{
	if (name && strcmp(name, "text") == 0)
		*out = JG_LOG_TEXT;
	else if (name && strcmp(name, "json") == 0)
		*out = JG_LOG_JSON;
	else
		return -1;
	return 0;
}

void jg_log_set_format(enum jg_log_format f)
{
	format = f;
}

/* One line in one write: nothing of another thread's line between. */
static void put(int fd, const char *line, size_t n)
{
	if (n && write(fd, line, n) < 0)
		return; /* nowhere to say so */
}

/* Control bytes (and, for JSON, bytes past ASCII when the text is not
 * UTF-8) as '?': a decoded path or a message may hold any byte. */
static void scrub(char *s, int high)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (high && (unsigned char)*s >= 0x80))
			*s = '?';
}

/* A JSON string of s (modified: scrubbed when it is not UTF-8). */
static json_t *text(char *s)
{
	json_t *v = json_string(s);

	if (v)
		return v;
	scrub(s, 1);
	return json_string(s);
}

/* Write object o (consumed) with ts and level first, as one line. */
static void put_json(int fd, enum jg_log_level level, json_t *o)
{
	struct timespec now;
	struct tm tm;
	char ts[40], *line;
	json_t *head;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ldZ",
	         now.tv_nsec / 1000000);
	head = json_pack("{s:s,s:s}", "ts", ts, "level", level_names[level]);
	if (!head || !o || json_object_update(head, o) != 0) {
		json_decref(head);
		json_decref(o);
		return;
	}
	json_decref(o);
	line = json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER |
	                         JSON_REAL_PRECISION(6));
	json_decref(head);
	if (!line)
		return;
	/* json_dumps escapes every newline: the object is one line */
	put(fd, line, strlen(line));
	put(fd, "\n", 1);
	free(line);
}

static void vlog(int fd, enum jg_log_level level, const char *fmt,
                 va_list ap) __attribute__((format(printf, 3, 0)));

static void vlog(int fd, enum jg_log_level level, const char *fmt,
                 va_list ap)
{
	char msg[1024], line[1100];
	size_t n;
	int len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (format == JG_LOG_JSON) {
		put_json(fd, level, json_pack("{s:o}", "msg", text(msg)));
		return;
	}
	len = snprintf(line, sizeof(line), "jitgate: %s%s\n",
	               level == JG_LOG_WARN ? "warning: " : "", msg);
	put(fd, line, len < (int)sizeof(line) ? (size_t)len
	                                      : sizeof(line) - 1);
}

void jg_log(enum jg_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(STDERR_FILENO, level, fmt, ap);
	va_end(ap);
}

void jg_log_out(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout); /* whatever stdio holds goes first */
	va_start(ap, fmt);
	vlog(STDOUT_FILENO, JG_LOG_INFO, fmt, ap);
	va_end(ap);
}

/*
 * The text access line. The time stamp is formatted once a second per
 * thread and the line goes out in one write: at tens of thousands of
 * requests a second, strftime and stdio per line cost more than the
 * check itself.
 */
static void access_text(const char *method, const char *path, int status,
                        const char *who, int64_t us)
{
	static __thread time_t last = -1;
	static __thread char ts[32];
	char line[512];
	time_t now = time(NULL);
	int n;

	if (now != last) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		last = now;
	}
	n = snprintf(line, sizeof(line), "%s %s %.300s %d %s %lld.%lldms\n",
	             ts, method, path, status, who && *who ? who : "-",
	             (long long)(us / 1000), (long long)(us % 1000 / 100));
	if (n >= (int)sizeof(line)) { /* cut: still one line */
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	for (int i = 0; i < n - 1; i++) /* one request, one line */
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	put(STDERR_FILENO, line, (size_t)n);
}

void jg_log_access(const char *method, const char *path, int status,
                   const char *who, int64_t us)
{
	char m[16], p[304];

	if (format == JG_LOG_TEXT) {
		access_text(method, path, status, who, us);
		return;
	}
	snprintf(m, sizeof(m), "%s", method);
	snprintf(p, sizeof(p), "%.300s", path);
	scrub(p, 0);
	put_json(STDERR_FILENO, JG_LOG_INFO,
	         json_pack("{s:s,s:o,s:o,s:i,s:s?,s:f}", "msg", "request",
	                   "method", text(m), "path", text(p), "status",
	                   status, "who", who && *who ? who : NULL, "ms",
	                   (double)us / 1000.0));
}
