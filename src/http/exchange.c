/* exchange.c - reply and input helpers shared by every handler. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "http/exchange.h"
#include "store/store.h"
#include "util/timefmt.h"

void jg_ex_json(struct jg_ex *ex, int status, json_t *v)
{
	json_decref(ex->reply);
	ex->reply = v;
	ex->status = status;
	ex->problem = 0;
}

/*
 * Length of the valid UTF-8 sequence at s, or 0 when it is not one: the
 * well-formed sequences of RFC 3629 (no overlong forms, no surrogates,
 * nothing past U+10FFFF), exactly what jansson accepts in a string.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0; /* overlong below U+0800 */
	else if (s[0] == 0xed)
		hi = 0x9f; /* U+D800..DFFF are surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* overlong below U+10000 */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Copy text into out (size len) with every byte that is not part of
 * valid UTF-8 replaced by '?': details quote what clients sent (ids from
 * the path, field names cut at a bound), and JSON strings must be UTF-8.
 */
static void utf8_clean(const char *text, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t o = 0;

	while (*s && o + 5 < len) {
		size_t n = utf8_len(s);
		if (n == 0) {
			out[o++] = '?';
			s++;
			continue;
		}
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
}

void jg_ex_fail(struct jg_ex *ex, enum jg_err e, const char *detail)
{
	char type[96], clean[JG_WHY_MAX + 64];

	snprintf(type, sizeof(type), "urn:jitgate:problem:%s", jg_err_slug(e));
	utf8_clean(detail && *detail ? detail : jg_strerror(e), clean,
	           sizeof(clean));
	json_decref(ex->reply);
	ex->status = jg_err_status(e);
	ex->reply = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title",
	                      jg_strerror(e), "status", ex->status, "detail",
	                      clean);
	ex->problem = 1;
}

const char *jg_ex_query(struct jg_ex *ex, const char *key)
{
	const char *v = MHD_lookup_connection_value(ex->conn,
	                                            MHD_GET_ARGUMENT_KIND, key);
	return v && *v ? v : NULL;
}

int jg_ex_fields(struct jg_ex *ex, const char *const *allowed)
{
	const char *key;
	json_t *v;
	char msg[128];

	json_object_foreach(ex->body, key, v) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (!allowed[i]) {
			snprintf(msg, sizeof(msg), "unknown field '%.64s'", key);
			jg_ex_fail(ex, JG_EINVAL, msg);
			return -1;
		}
	}
	return 0;
}

int jg_ex_str(struct jg_ex *ex, const char *key, int required,
              const char **out)
{
	json_t *v = ex->body ? json_object_get(ex->body, key) : NULL;
	char msg[128];

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "field '%s' is required", key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	                                  json_string_length(v)) {
		snprintf(msg, sizeof(msg), "field '%s' must be a string without "
		         "NUL bytes", key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int jg_ex_duration(struct jg_ex *ex, const char *key, int64_t *out)
{
	const char *text;
	char msg[96];

	*out = 0;
	if (jg_ex_str(ex, key, 0, &text))
		return -1;
	if (text && jg_duration_parse(text, out) != JG_OK) {
		snprintf(msg, sizeof(msg), "%s must look like 45s, 30m, 2h or "
		         "1h30m", key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	return 0;
}

int jg_ex_time(struct jg_ex *ex, const char *key, int64_t *out)
{
	const char *text;
	char msg[128];

	*out = 0;
	if (jg_ex_str(ex, key, 0, &text))
		return -1;
	if (text && jg_time_parse(text, out) != JG_OK) {
		snprintf(msg, sizeof(msg), "%s must be an RFC 3339 time such as "
		         "2026-12-05T02:00:00Z", key);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	return 0;
}

/* Parse a decimal in [lo, hi]; -1 when s is not one. */
static int parse_num(const char *s, long long lo, long long hi,
                     long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int jg_ex_paging(struct jg_ex *ex, struct jg_filter *f)
{
	const char *limit = jg_ex_query(ex, "limit");
	const char *cursor = jg_ex_query(ex, "cursor");
	long long v;

	f->limit = JG_LIST_DEFAULT;
	if (limit) {
		if (parse_num(limit, 1, JG_LIST_MAX, &v)) {
			jg_ex_fail(ex, JG_EINVAL, "limit must be a number from 1 "
			                          "to 500");
			return -1;
		}
		f->limit = (int)v;
	}
	if (cursor && *cursor) {
		if (parse_num(cursor, 1, INT64_MAX, &v)) {
			jg_ex_fail(ex, JG_EINVAL, "cursor is not one this server "
			                          "gave out");
			return -1;
		}
		f->cursor = v;
	}
	return 0;
}
