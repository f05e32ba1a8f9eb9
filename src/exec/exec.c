/*
 * exec.c - running one connector: the clock around it, the output bound,
 * valid UTF-8, the masking of its secrets; and the template slots shared
 * by every kind.
 *
 * Whatever a kind produced goes through jg_connector_run before anyone
 * sees it: secrets are replaced by "[masked]" first (in a buffer that
 * holds a little more than the limit, so a secret near the bound is seen
 * whole; and when the bound cut the output, whatever is left at the end
 * that could be the start of a secret is dropped first), then the text is
 * made valid UTF-8 and cut to the connector's output_limit. Masking may
 * shorten the text and pull bytes from past the limit into it: hence the
 * tail is dropped at the cut the kind's buffer made, not only at the
 * limit. This file must never return or log output
 * that skipped that path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "exec/internal.h"

#define MASK "[masked]"
#define TRUNCATED "\n[jitgate: output truncated]"

/* ---- small helpers ---- */

int64_t jg_exec_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void jg_exec_fail(struct jg_exec_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	res->ok = 0;
}

int jg_buf_add(struct jg_buf *b, const void *p, size_t n)
{
	size_t room = b->max > b->len ? b->max - b->len : 0;
	char *d;

	if (n > room) {
		b->truncated = 1;
		n = room;
	}
	if (!n)
		return 0;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(d = realloc(b->data, cap)))
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void jg_buf_free(struct jg_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void jg_exec_result_clear(struct jg_exec_result *r)
{
	if (!r)
		return;
	free(r->output);
	memset(r, 0, sizeof(*r));
}

/* ---- masking and UTF-8 ---- */

/* The secret of k matching at s (longest first), or NULL. */
static const char *secret_at(const struct jg_connector *k, const char *s,
                             size_t left, size_t *n)
{
	for (size_t i = 0; i < k->nsecrets; i++) {
		size_t len = strlen(k->secrets[i]);
		if (len && len <= left && memcmp(s, k->secrets[i], len) == 0) {
			*n = len;
			return k->secrets[i];
		}
	}
	return NULL;
}

char *jg_exec_mask(const struct jg_connector *k, const char *s, size_t len,
                   size_t *outlen)
{
	struct jg_buf b = {.max = (size_t)-1, .data = calloc(1, 1), .cap = 1};
	size_t i = 0, n = 0;
	int rc = b.data ? 0 : -1;

	while (!rc && i < len) {
		size_t start = i;
		while (i < len && !secret_at(k, s + i, len - i, &n))
			i++;
		rc = jg_buf_add(&b, s + start, i - start);
		if (!rc && i < len) {
			rc = jg_buf_add(&b, MASK, strlen(MASK));
			i += n;
		}
	}
	if (rc) {
		jg_buf_free(&b);
		return NULL;
	}
	*outlen = b.len;
	return b.data;
}

size_t jg_exec_secret_tail(const struct jg_connector *k, const char *s,
                           size_t len)
{
	size_t tail = 0;

	for (size_t i = 0; i < k->nsecrets; i++) {
		size_t sl = strlen(k->secrets[i]);
		if (!sl)
			continue;
		/* a whole secret at the end is masked: only shorter tails */
		for (size_t j = sl - 1 < len ? sl - 1 : len; j > tail; j--)
			if (memcmp(s + len - j, k->secrets[i], j) == 0) {
				tail = j;
				break;
			}
	}
	return tail;
}

/* Length of the valid UTF-8 character at s (RFC 3629), 0 when invalid. */
static size_t utf8_char(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned min, cp;

	if (s[0] && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * s made valid UTF-8 ('?' for each bad byte, and for NUL), cut at a
 * character boundary to at most limit bytes, with a note when cut.
 */
static char *utf8_bounded(const char *s, size_t len, size_t limit,
                          int truncated)
{
	char *out = malloc(limit + sizeof(TRUNCATED));
	size_t i = 0, o = 0, n;

	if (!out)
		return NULL;
	while (i < len) {
		n = utf8_char((const unsigned char *)s + i, len - i);
		if (o + (n ? n : 1) > limit) {
			truncated = 1;
			break;
		}
		if (n)
			memcpy(out + o, s + i, n);
		else
			out[o] = '?';
		o += n ? n : 1;
		i += n ? n : 1;
	}
	out[o] = '\0';
	if (truncated)
		memcpy(out + o, TRUNCATED, sizeof(TRUNCATED));
	return out;
}

static size_t longest_secret(const struct jg_connector *k)
{
	size_t max = 0;

	for (size_t i = 0; i < k->nsecrets; i++)
		if (strlen(k->secrets[i]) > max)
			max = strlen(k->secrets[i]);
	return max;
}

/* ---- running ---- */

/*
 * The error sentence masked and made valid UTF-8, in place. A sentence
 * that fills the buffer may have been cut in the middle of a secret:
 * what is left of it goes.
 */
static void clean_error(const struct jg_connector *k, char *error,
                        size_t size)
{
	size_t n = strlen(error);
	char *masked;

	if (n == size - 1)
		n -= jg_exec_secret_tail(k, error, n);
	masked = jg_exec_mask(k, error, n, &n);
	char *clean = masked ? utf8_bounded(masked, n, size - 1, 0) : NULL;

	if (clean)
		snprintf(error, size, "%s", clean);
	else if (error[0])
		snprintf(error, size, "the connector failed");
	free(clean);
	free(masked);
}

void jg_connector_run(const struct jg_connector *k,
                      const struct jg_exec_input *in,
                      struct jg_exec_result *out)
{
	struct jg_buf b = {.max = k->output_limit + longest_secret(k)};
	int64_t t0 = jg_exec_ms();
	size_t n = 0;
	char *masked;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	/* a grant made before a rule existed is held to it all the same */
	if (k->ops->validate &&
	    k->ops->validate(k, in->payload, in->params, out->error,
	                     sizeof(out->error)) != JG_OK)
		out->ok = 0;
	else
		k->ops->run(k, in, &b, out);
	out->duration_ms = jg_exec_ms() - t0;
	/* b ends where the bound cut it: never in the middle of a secret */
	if (b.truncated && b.data)
		b.len -= jg_exec_secret_tail(k, b.data, b.len);
	masked = jg_exec_mask(k, b.data ? b.data : "", b.len, &n);
	if (masked)
		out->output = utf8_bounded(masked, n, k->output_limit,
		                           b.truncated);
	free(masked);
	jg_buf_free(&b);
	/* out of memory here leaves output NULL: the outcome still stands */
	clean_error(k, out->error, sizeof(out->error));
	if (out->error[0])
		out->ok = 0;
}

/* ---- lookups ---- */

const char *jg_connector_kind(const struct jg_connector *k)
{
	return k->ops->kind;
}

int64_t jg_connector_timeout(const struct jg_connector *k)
{
	return k->timeout;
}

static int has_slot(const struct jg_connector *k, const char *name)
{
	for (size_t i = 0; i < k->nslots; i++)
		if (strcmp(k->slots[i], name) == 0)
			return 1;
	return 0;
}

enum jg_err jg_connector_accepts(const struct jg_connector *k,
                                 const char *payload, const json_t *params,
                                 char *why, size_t whylen)
{
	const char *key;
	json_t *v;
	size_t given = 0;

	if (!k->uses_payload && payload && *payload) {
		snprintf(why, whylen, "the %s connector of '%s' takes no payload",
		         k->ops->kind, k->resource);
		return JG_EINVAL;
	}
	if (k->uses_payload && (!payload || !*payload)) {
		snprintf(why, whylen, "the %s connector of '%s' needs a payload",
		         k->ops->kind, k->resource);
		return JG_EINVAL;
	}
	json_object_foreach ((json_t *)params, key, v) {
		if (!has_slot(k, key)) {
			snprintf(why, whylen, "the connector of '%s' has no "
			         "param '%.64s'", k->resource, key);
			return JG_EINVAL;
		}
		given++;
	}
	for (size_t i = 0; given < k->nslots && i < k->nslots; i++) {
		if (!params || !json_object_get(params, k->slots[i])) {
			snprintf(why, whylen, "the connector of '%s' needs param "
			         "'%s'", k->resource, k->slots[i]);
			return JG_EINVAL;
		}
	}
	if (k->ops->validate)
		return k->ops->validate(k, payload, params, why, whylen);
	return JG_OK;
}

/* ---- templates ---- */

/* Length of a slot name at s ending in '}', or 0. */
static size_t slot_len(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	                     "wxyz0123456789_.-");
	return n && n < JG_NAME_MAX && s[n] == '}' ? n : 0;
}

int jg_template_slots(const char *tmpl,
                      int (*fn)(const char *name, size_t len, void *ctx),
                      void *ctx)
{
	for (const char *p = tmpl; *p; p++) {
		size_t n;
		if (p[0] == '{' && p[1] == '{') {
			p++;
			continue;
		}
		if (p[0] == '{' && (n = slot_len(p + 1))) {
			if (fn(p + 1, n, ctx))
				return -1;
			p += n + 1;
		}
	}
	return 0;
}

const char *jg_template_value(const struct jg_exec_input *in,
                              const char *name, size_t n)
{
	char key[JG_NAME_MAX];
	json_t *v;

	snprintf(key, sizeof(key), "%.*s", (int)n, name);
	if (!strcmp(key, "payload"))
		return in->payload ? in->payload : "";
	if (!strcmp(key, "request_id"))
		return in->request_id;
	if (!strcmp(key, "requester"))
		return in->requester;
	if (!strcmp(key, "resource"))
		return in->resource;
	if (!strcmp(key, "action"))
		return in->action;
	v = in->params ? json_object_get(in->params, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Append v escaped as esc says. */
static int add_escaped(struct jg_buf *b, const char *v, enum jg_escape esc)
{
	char *e = NULL;
	int rc;

	if (esc == JG_ESC_NONE)
		return jg_buf_add(b, v, strlen(v));
	if (esc == JG_ESC_URL) {
		if (!(e = curl_easy_escape(NULL, v, (int)strlen(v))))
			return -1;
		rc = jg_buf_add(b, e, strlen(e));
		curl_free(e);
		return rc;
	}
	json_t *s = json_string(v);
	if (!s || !(e = json_dumps(s, JSON_ENCODE_ANY))) {
		json_decref(s);
		return -1;
	}
	json_decref(s);
	rc = jg_buf_add(b, e + 1, strlen(e) - 2); /* without the quotes */
	free(e);
	return rc;
}

int jg_template_expand(const char *tmpl, const struct jg_exec_input *in,
                       enum jg_escape esc, char **out, char *err,
                       size_t errlen)
{
	struct jg_buf b = {.max = (size_t)-1};
	const char *p = tmpl, *v;
	size_t n;
	int rc = jg_buf_add(&b, "", 0);

	*out = NULL;
	while (!rc && *p) {
		if (p[0] == '{' && p[1] == '{') {
			rc = jg_buf_add(&b, "{", 1);
			p += 2;
		} else if (p[0] == '{' && (n = slot_len(p + 1))) {
			if (!(v = jg_template_value(in, p + 1, n))) {
				snprintf(err, errlen, "param '%.*s' is missing",
				         (int)n, p + 1);
				jg_buf_free(&b);
				return -1;
			}
			rc = add_escaped(&b, v, esc);
			p += n + 2;
		} else {
			n = strcspn(p + 1, "{") + 1;
			rc = jg_buf_add(&b, p, n);
			p += n;
		}
	}
	if (rc || (!b.data && !(b.data = strdup("")))) {
		snprintf(err, errlen, "out of memory");
		jg_buf_free(&b);
		return -1;
	}
	*out = b.data;
	return 0;
}
