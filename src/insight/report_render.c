/*
 * report_render.c - the report's text buffer, the JSON and CSV formats
 * and the choice between formats. JSON is the model as it is, the hash
 * on a line of its own at the top; CSV is the grants table, the main
 * evidence, one row per grant (RFC 4180 quoting).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insight/report.h"
#include "util/crypto.h"

void jg_rbuf_add(struct jg_rbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *nb = realloc(b->buf, cap);
		if (!nb) {
			b->failed = 1;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void jg_rbuf_str(struct jg_rbuf *b, const char *s)
{
	jg_rbuf_add(b, s, strlen(s));
}

void jg_rbuf_fmt(struct jg_rbuf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		jg_rbuf_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1); /* owned, freed below */
	if (!big) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	jg_rbuf_add(b, big, (size_t)n);
	free(big);
}

enum jg_err jg_report_json(const json_t *model, struct jg_rbuf *b,
                           char sha[JG_SHA256_HEX])
{
	/* owned, freed below */
	char *body = json_dumps(model, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t n;

	if (!body)
		return JG_ENOMEM;
	n = strlen(body);
	/* the hash covers exactly the file without its hash line */
	jg_rbuf_add(b, body, n);
	jg_rbuf_str(b, "\n");
	jg_sha256_hex(b->buf ? b->buf : "", b->len, sha);
	b->len = 0;
	jg_rbuf_str(b, "{\n  \"report_sha256\": \"");
	jg_rbuf_str(b, sha);
	jg_rbuf_str(b, "\",\n");
	jg_rbuf_str(b, body + 2); /* past "{\n" */
	jg_rbuf_str(b, "\n");
	free(body);
	return b->failed ? JG_ENOMEM : JG_OK;
}

/* One CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(struct jg_rbuf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		jg_rbuf_str(b, s);
		return;
	}
	jg_rbuf_str(b, "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			jg_rbuf_str(b, "\"\""); /* a quote doubled */
		else
			jg_rbuf_add(b, p, 1);
	}
	jg_rbuf_str(b, "\"");
}

/* A value as CSV text: strings as they are, arrays joined by "; ". */
static void csv_value(struct jg_rbuf *b, const json_t *v)
{
	char num[32];

	if (json_is_string(v)) {
		csv_field(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld",
		         (long long)json_integer_value(v));
		jg_rbuf_str(b, num);
	} else if (json_is_boolean(v)) {
		jg_rbuf_str(b, json_is_true(v) ? "true" : "false");
	} else if (json_is_array(v)) {
		struct jg_rbuf j = {0}; /* owned: the joined text */
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (i)
				jg_rbuf_str(&j, "; ");
			jg_rbuf_str(&j, json_string_value(x) ? json_string_value(x)
			                                     : "");
		}
		csv_field(b, j.buf ? j.buf : "");
		b->failed |= j.failed;
		free(j.buf);
	}
}

/* The grant row's fields, in the order of the CSV's columns. */
static const char *const grant_cols[] = {
	"grant_id", "request_id", "principal", "resource", "action",
	"reason", "ticket", "approved_by", "break_glass", "requested_at",
	"issued_at", "expires_at", "seconds_to_approve", "seconds_granted",
	"extensions", "ended", "ended_at", "ended_by", "end_reason",
};

enum jg_err jg_report_csv(const json_t *model, struct jg_rbuf *b,
                          char sha[JG_SHA256_HEX])
{
	const size_t ncols = sizeof(grant_cols) / sizeof(grant_cols[0]);
	json_t *row;
	size_t i;

	for (size_t c = 0; c < ncols; c++)
		jg_rbuf_fmt(b, "%s%s", c ? "," : "", grant_cols[c]);
	jg_rbuf_str(b, "\r\n");
	json_array_foreach(json_object_get(model, "grants"), i, row) {
		for (size_t c = 0; c < ncols; c++) {
			if (c)
				jg_rbuf_str(b, ",");
			csv_value(b, json_object_get(row, grant_cols[c]));
		}
		jg_rbuf_str(b, "\r\n");
	}
	if (b->failed)
		return JG_ENOMEM;
	jg_sha256_hex(b->buf, b->len, sha);
	return JG_OK;
}

/*
 * A grant row's bytes in CSV or HTML, about: the buffer starts that
 * large, so a year's report is not copied at each doubling of the
 * buffer. Untouched pages of a larger guess cost no memory.
 */
#define ROW_GUESS 320

enum jg_err jg_report_render(const json_t *model, enum jg_report_format f,
                             char **out, size_t *len,
                             char sha[JG_SHA256_HEX])
{
	struct jg_rbuf b = {0};
	size_t rows = json_array_size(json_object_get(model, "grants"));
	enum jg_err e;

	*out = NULL;
	*len = 0;
	if (f != JG_REPORT_JSON && rows < SIZE_MAX / ROW_GUESS / 2) {
		b.cap = (rows + 256) * ROW_GUESS;
		if (!(b.buf = malloc(b.cap)))
			return JG_ENOMEM;
	}
	if (f == JG_REPORT_JSON)
		e = jg_report_json(model, &b, sha);
	else if (f == JG_REPORT_CSV)
		e = jg_report_csv(model, &b, sha);
	else
		e = jg_report_html(model, &b, sha);
	if (e == JG_OK && b.failed)
		e = JG_ENOMEM;
	if (e != JG_OK) {
		free(b.buf);
		return e;
	}
	*out = b.buf;
	*len = b.len;
	return JG_OK;
}
