/*
 * report_html.c - the report as one self-contained HTML file: the
 * template web/report.html (embedded with the dashboard's files, never
 * linked from it) filled with the model's sections, tables and inline SVG
 * charts. Every text from the trail is escaped; nothing is fetched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/assets.h"
#include "insight/report.h"
#include "util/crypto.h"
#include "util/timefmt.h"

#define TEMPLATE "/assets/report.html"
#define HASH_SLOT "hash_line"
#define CHART_W 360
#define CHART_H 150
#define TOP_RESOURCES 12

struct col {
	const char *key, *label;
};

/* s with HTML's five specials escaped; plain runs are copied whole. */
static void esc(struct jg_rbuf *b, const char *s)
{
	for (;;) {
		size_t n = strcspn(s, "<>&\"'");
		const char *rep;

		jg_rbuf_add(b, s, n);
		switch (s[n]) {
		case '\0':
			return;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '&':
			rep = "&amp;";
			break;
		case '"':
			rep = "&quot;";
			break;
		default:
			rep = "&#39;";
		}
		jg_rbuf_str(b, rep);
		s += n + 1;
	}
}

static json_int_t num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* One cell's text: strings escaped, arrays joined, null a dash. */
static void cell(struct jg_rbuf *b, const json_t *v)
{
	size_t i;
	json_t *x;

	if (json_is_string(v)) {
		esc(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		jg_rbuf_fmt(b, "%lld", (long long)json_integer_value(v));
	} else if (json_is_boolean(v)) {
		jg_rbuf_str(b, json_is_true(v) ? "yes" : "no");
	} else if (json_is_array(v) && json_array_size(v)) {
		json_array_foreach(v, i, x) {
			if (i)
				jg_rbuf_str(b, ", ");
			cell(b, x);
		}
	} else {
		jg_rbuf_str(b, "&mdash;");
	}
}

static void table(struct jg_rbuf *b, const json_t *rows,
                  const struct col *cols, const char *empty)
{
	size_t i;
	json_t *row;

	if (!json_array_size(rows)) {
		jg_rbuf_fmt(b, "<p class=\"empty\">%s</p>\n", empty);
		return;
	}
	jg_rbuf_str(b, "<table>\n<thead><tr>");
	for (const struct col *c = cols; c->key; c++)
		jg_rbuf_fmt(b, "<th scope=\"col\">%s</th>", c->label);
	jg_rbuf_str(b, "</tr></thead>\n<tbody>\n");
	json_array_foreach(rows, i, row) {
		jg_rbuf_str(b, "<tr>");
		for (const struct col *c = cols; c->key; c++) {
			jg_rbuf_str(b, "<td>");
			cell(b, json_object_get(row, c->key));
			jg_rbuf_str(b, "</td>");
		}
		jg_rbuf_str(b, "</tr>\n");
	}
	jg_rbuf_str(b, "</tbody></table>\n");
}

static void section(struct jg_rbuf *b, const char *id, const char *title,
                    int first)
{
	jg_rbuf_fmt(b, "</section>\n<section id=\"%s\"%s>\n<h2>%s</h2>\n", id,
	            first ? " class=\"first\"" : "", title);
}

/* ---- charts: inline SVG bars ---- */

static json_int_t max_of(const json_t *rows, const char *key)
{
	json_int_t m = 1;
	size_t i;
	json_t *r;

	json_array_foreach(rows, i, r)
		if (num(r, key) > m)
			m = num(r, key);
	return m;
}

/* Vertical bars, one per row, labelled under the axis by label_key. */
static void columns(struct jg_rbuf *b, const char *caption,
                    const json_t *rows, const char *label_key)
{
	size_t n = json_array_size(rows), i;
	json_int_t m = max_of(rows, "grants");
	double w = n ? (double)(CHART_W - 40) / (double)n : 1;
	json_t *r;

	jg_rbuf_fmt(b, "<figure><figcaption>%s</figcaption>\n<svg role=\"img\" "
	            "aria-label=\"%s\" viewBox=\"0 0 %d %d\" width=\"100%%\">\n",
	            caption, caption, CHART_W, CHART_H + 60);
	jg_rbuf_fmt(b, "<text x=\"0\" y=\"10\">%lld</text><line x1=\"30\" "
	            "y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
	            (long long)m, CHART_H, CHART_W, CHART_H);
	json_array_foreach(rows, i, r) {
		double h = (double)num(r, "grants") * (CHART_H - 14) / (double)m;
		double x = 34 + w * (double)i;
		jg_rbuf_fmt(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
		            "width=\"%.1f\" height=\"%.1f\"><title>",
		            x, CHART_H - h, w > 3 ? w - 2 : w, h);
		esc(b, jg_report_str(r, label_key));
		jg_rbuf_fmt(b, ": %lld</title></rect>\n",
		            (long long)num(r, "grants"));
		/* a label every few bars, so they do not overlap */
		if (n <= 8 || i % ((n + 5) / 6) == 0) {
			jg_rbuf_fmt(b, "<text x=\"%.1f\" y=\"%d\" transform=\""
			            "rotate(35 %.1f %d)\">", x, CHART_H + 12, x,
			            CHART_H + 12);
			esc(b, jg_report_str(r, label_key));
			jg_rbuf_str(b, "</text>\n");
		}
	}
	jg_rbuf_str(b, "</svg></figure>\n");
}

/* Horizontal bars for the resources with the most grants. */
static void resources(struct jg_rbuf *b, const json_t *rows)
{
	size_t n = json_array_size(rows), i;
	json_int_t m = max_of(rows, "grants");
	json_t *r;

	if (n > TOP_RESOURCES)
		n = TOP_RESOURCES;
	jg_rbuf_fmt(b, "<figure><figcaption>Grants by resource (top %d)"
	            "</figcaption>\n<svg role=\"img\" aria-label=\"Grants by "
	            "resource\" viewBox=\"0 0 %d %zu\" width=\"100%%\">\n",
	            TOP_RESOURCES, CHART_W, n * 18 + 4);
	json_array_foreach(rows, i, r) {
		if (i >= n)
			break;
		double w = (double)num(r, "grants") * (CHART_W - 150) / (double)m;
		jg_rbuf_fmt(b, "<text x=\"0\" y=\"%zu\">", i * 18 + 13);
		esc(b, jg_report_str(r, "resource"));
		jg_rbuf_fmt(b, "</text><rect class=\"bar\" x=\"120\" y=\"%zu\" "
		            "width=\"%.1f\" height=\"14\"/><text x=\"%.1f\" "
		            "y=\"%zu\">%lld</text>\n", i * 18 + 2, w, 124 + w,
		            i * 18 + 13, (long long)num(r, "grants"));
	}
	jg_rbuf_str(b, "</svg></figure>\n");
}

/* ---- sections ---- */

static void summary(struct jg_rbuf *b, const json_t *m)
{
	const json_t *s = json_object_get(m, "summary");
	const char *k;
	json_t *v;

	section(b, "summary", "Summary", 1);
	jg_rbuf_str(b, "<div class=\"cards\">\n");
	json_object_foreach((json_t *)s, k, v) {
		if (!json_is_integer(v) || !strcmp(k, "first_seq") ||
		    !strcmp(k, "last_seq"))
			continue;
		jg_rbuf_fmt(b, "<div class=\"card\"><b>%lld</b>",
		            (long long)json_integer_value(v));
		for (const char *c = k; *c; c++) /* grants_issued: grants issued */
			jg_rbuf_add(b, *c == '_' ? " " : c, 1);
		jg_rbuf_str(b, "</div>\n");
	}
	jg_rbuf_str(b, "</div>\n");
}

static void controls(struct jg_rbuf *b, const json_t *m)
{
	static const struct col cols[] = {
		{"id", "Control"}, {"framework", "Framework"},
		{"title", "What it asks"}, {"evidence", "Evidence (sections)"},
		{NULL, NULL},
	};
	const json_t *ctl = json_object_get(m, "controls"), *row, *ev;
	size_t i, j;

	section(b, "controls", "Controls and their evidence", 0);
	jg_rbuf_str(b, "<table>\n<thead><tr>");
	for (const struct col *c = cols; c->key; c++)
		jg_rbuf_fmt(b, "<th scope=\"col\">%s</th>", c->label);
	jg_rbuf_str(b, "</tr></thead>\n<tbody>\n");
	json_array_foreach(ctl, i, row) {
		jg_rbuf_str(b, "<tr>");
		for (const struct col *c = cols; c->key && c[1].key; c++) {
			jg_rbuf_str(b, "<td>");
			cell(b, json_object_get(row, c->key));
			jg_rbuf_str(b, "</td>");
		}
		/* each section named links to it, inside this file */
		jg_rbuf_str(b, "<td>");
		json_array_foreach(json_object_get(row, "evidence"), j, ev) {
			jg_rbuf_fmt(b, "%s<a href=\"#", j ? ", " : "");
			esc(b, json_string_value(ev) ? json_string_value(ev) : "");
			jg_rbuf_str(b, "\">");
			esc(b, json_string_value(ev) ? json_string_value(ev) : "");
			jg_rbuf_str(b, "</a>");
		}
		jg_rbuf_str(b, "</td></tr>\n");
	}
	jg_rbuf_str(b, "</tbody></table>\n");
}

static void grants(struct jg_rbuf *b, const json_t *m)
{
	static const struct col cols[] = {
		{"grant_id", "Grant"}, {"principal", "Who"},
		{"resource", "Resource"}, {"action", "Action"},
		{"reason", "Why"}, {"ticket", "Ticket"},
		{"approved_by", "Approved by"}, {"issued_at", "Issued"},
		{"seconds_granted", "Seconds granted"}, {"ended", "How it ended"},
		{"ended_at", "Ended"}, {"ended_by", "By"}, {NULL, NULL},
	};
	const json_t *c = json_object_get(m, "charts");

	section(b, "grants", "Privileged grants in the period", 0);
	jg_rbuf_str(b, "<div class=\"charts\">\n");
	columns(b, "Grants per week", json_object_get(c, "grants_per_week"),
	        "week");
	resources(b, json_object_get(c, "grants_by_resource"));
	columns(b, "Time from request to grant",
	        json_object_get(c, "time_to_approve"), "bucket");
	jg_rbuf_str(b, "</div>\n");
	table(b, json_object_get(m, "grants"), cols,
	      "No grant was issued in the period.");
}

static void standing(struct jg_rbuf *b, const json_t *m)
{
	static const struct col tok[] = {
		{"token_id", "Token"}, {"principal", "Principal"},
		{"roles", "Roles"}, {"expires_at", "Expires"},
		{"created_by", "Created by"}, {"last_used_at", "Last used"},
		{"description", "Description"}, {NULL, NULL},
	};
	static const struct col lg[] = {
		{"grant_id", "Grant"}, {"principal", "Who"},
		{"resource", "Resource"}, {"action", "Action"},
		{"seconds_granted", "Seconds granted"}, {"ended", "How it ended"},
		{NULL, NULL},
	};
	const json_t *s = json_object_get(m, "standing_privileges");

	section(b, "standing_privileges", "Standing privileges", 0);
	jg_rbuf_str(b, "<h3>Tokens with a role, usable at the time of the "
	               "report</h3>\n");
	table(b, json_object_get(s, "tokens_with_roles"), tok,
	      "None: no usable token carries a role.");
	jg_rbuf_fmt(b, "<h3>Grants of the period living longer than %lld "
	            "seconds</h3>\n", (long long)num(s, "long_grant_seconds"));
	table(b, json_object_get(s, "long_grants"), lg, "None.");
}

static void break_glass(struct jg_rbuf *b, const json_t *m)
{
	static const struct col cols[] = {
		{"request_id", "Request"}, {"at", "When"},
		{"requester", "Who"}, {"resource", "Resource"},
		{"action", "Action"}, {"reason", "Why"}, {"review", "Review"},
		{"reviewed_by", "Reviewed by"}, {"review_comment", "Comment"},
		{NULL, NULL},
	};
	section(b, "break_glass", "Break-glass uses and their reviews", 0);
	table(b, json_object_get(m, "break_glass"), cols,
	      "No break-glass use in the period.");
}

static void self_approvals(struct jg_rbuf *b, const json_t *m)
{
	static const struct col cols[] = {
		{"request_id", "Request"}, {"reviewer", "Reviewer"},
		{"seq", "Event"}, {NULL, NULL},
	};
	const json_t *s = json_object_get(m, "self_approvals");

	section(b, "self_approvals", "Self-approvals", 0);
	jg_rbuf_str(b, "<p>");
	esc(b, jg_report_str(s, "note"));
	jg_rbuf_str(b, "</p>\n");
	table(b, json_object_get(s, "reviews_by_requester"), cols,
	      "No review in the period was made by the request's requester.");
}

static void policy(struct jg_rbuf *b, const json_t *m)
{
	static const struct col cols[] = {
		{"at", "When"}, {"by", "By"}, {"outcome", "Outcome"},
		{"sha256", "SHA-256"}, {"previous_sha256", "Previous SHA-256"},
		{"error", "Refused because"}, {NULL, NULL},
	};
	section(b, "policy_changes", "Policy changes", 0);
	table(b, json_object_get(m, "policy_changes"), cols,
	      "No policy change in the period.");
}

static void alerts(struct jg_rbuf *b, const json_t *m)
{
	static const struct col cols[] = {
		{"at", "When"}, {"kind", "Kind"}, {"severity", "Severity"},
		{"subject", "Subject"}, {"summary", "Summary"},
		{"handled", "Handled"}, {"acknowledged_by", "By"},
		{"comment", "Comment"}, {NULL, NULL},
	};
	section(b, "alerts", "Alerts and how they were handled", 0);
	table(b, json_object_get(m, "alerts"), cols,
	      "No alert was raised in the period.");
}

static void audit(struct jg_rbuf *b, const json_t *m)
{
	static const struct col cols[] = {
		{"seq", "Seq"}, {"time", "Signed"}, {"hash", "Hash"},
		{"key_id", "Key"}, {"signature_ok", "Signature valid"},
		{NULL, NULL},
	};
	const json_t *a = json_object_get(m, "audit");
	const json_t *s = json_object_get(m, "summary");

	section(b, "audit", "Audit trail: verification and checkpoints", 0);
	if (json_is_true(json_object_get(a, "chain_ok")))
		jg_rbuf_fmt(b, "<p class=\"ok\">The hash chain verifies: %lld "
		            "events checked, matching %lld signed checkpoints."
		            "</p>\n", (long long)num(a, "events_checked"),
		            (long long)num(a, "checkpoints_checked"));
	else {
		jg_rbuf_fmt(b, "<p class=\"bad\">The hash chain is BROKEN at "
		            "event %lld: ", (long long)num(a, "broken_seq"));
		esc(b, jg_report_str(a, "broken_reason"));
		jg_rbuf_str(b, "</p>\n");
	}
	jg_rbuf_fmt(b, "<p>Events of the period: seq %lld to %lld.</p>\n",
	            (long long)num(s, "first_seq"),
	            (long long)num(s, "last_seq"));
	jg_rbuf_str(b, "<h3>Signed checkpoints of the period</h3>\n");
	table(b, json_object_get(a, "checkpoints"), cols,
	      "No checkpoint was signed in the period.");
	if (json_is_string(json_object_get(a, "checkpoint_public_key"))) {
		jg_rbuf_str(b, "<p>Checkpoint public key (key id <code>");
		esc(b, jg_report_str(a, "checkpoint_key_id"));
		jg_rbuf_str(b, "</code>):</p>\n<pre class=\"mono\">");
		esc(b, jg_report_str(a, "checkpoint_public_key"));
		jg_rbuf_str(b, "</pre>\n");
	}
}

static void body(struct jg_rbuf *b, const json_t *m)
{
	jg_rbuf_str(b, "<section class=\"first\">\n");
	summary(b, m);
	controls(b, m);
	grants(b, m);
	standing(b, m);
	break_glass(b, m);
	self_approvals(b, m);
	policy(b, m);
	alerts(b, m);
	audit(b, m);
	jg_rbuf_str(b, "</section>\n");
}

static const struct jg_asset *template_asset(void)
{
	for (size_t i = 0; i < jg_nassets; i++)
		if (strcmp(jg_assets[i].path, TEMPLATE) == 0)
			return &jg_assets[i];
	return NULL;
}

/* The period as a reader says it: whole UTC days as "2026-10-01 to
 * 2026-12-31" (the last day included), else the two times. */
static void period_label(struct jg_rbuf *b, const json_t *p)
{
	const char *since = jg_report_str(p, "since");
	const char *until = jg_report_str(p, "until");
	static const char midnight[] = "T00:00:00Z";
	int64_t u = 0;
	char last[JG_TIME_LEN];

	if (strlen(since) == 20 && strlen(until) == 20 &&
	    !strcmp(since + 10, midnight) && !strcmp(until + 10, midnight) &&
	    jg_time_parse(until, &u) == JG_OK) {
		jg_time_format(u - 86400, last);
		jg_rbuf_fmt(b, "%.10s to %.10s (UTC, whole days)", since, last);
		return;
	}
	esc(b, since);
	jg_rbuf_str(b, " to ");
	esc(b, until);
	jg_rbuf_str(b, " (UTC, the end excluded)");
}

/* The value of slot name into b. */
static void slot(struct jg_rbuf *b, const json_t *m, const char *name,
                 size_t n)
{
	const json_t *p = json_object_get(m, "period");

	if (n == 5 && !memcmp(name, "title", 5)) {
		jg_rbuf_str(b, "Compliance evidence, ");
		period_label(b, p);
	} else if (n == 8 && !memcmp(name, "subtitle", 8)) {
		jg_rbuf_str(b, "jitgate: every privileged grant, standing "
		               "privilege, break-glass use, policy change and "
		               "alert of the period, from the hash-chained audit "
		               "trail. Events from ");
		esc(b, jg_report_str(p, "since"));
		jg_rbuf_str(b, " (included) to ");
		esc(b, jg_report_str(p, "until"));
		jg_rbuf_str(b, " (excluded); generated ");
		esc(b, jg_report_str(m, "generated_at"));
		jg_rbuf_str(b, " by ");
		esc(b, jg_report_str(m, "generated_by"));
		jg_rbuf_str(b, ".");
	} else if (n == 4 && !memcmp(name, "body", 4)) {
		body(b, m);
	}
}

enum jg_err jg_report_html(const json_t *m, struct jg_rbuf *b,
                           char sha[JG_SHA256_HEX])
{
	const struct jg_asset *t = template_asset();
	const char *p, *end, *open, *close;
	size_t hash_at = (size_t)-1;
	struct jg_rbuf line = {0}; /* owned: the hash line */

	if (!t)
		return JG_EINTERNAL;
	p = (const char *)t->data;
	end = p + t->size;
	while (p < end) {
		open = memmem(p, (size_t)(end - p), "{{", 2);
		close = open ? memmem(open, (size_t)(end - open), "}}", 2) : NULL;
		if (!close) {
			jg_rbuf_add(b, p, (size_t)(end - p));
			break;
		}
		jg_rbuf_add(b, p, (size_t)(open - p));
		p = close + 2;
		if ((size_t)(close - open - 2) == strlen(HASH_SLOT) &&
		    !memcmp(open + 2, HASH_SLOT, strlen(HASH_SLOT))) {
			/* the hash line and its newline are left out of the hash */
			hash_at = b->len;
			if (p < end && *p == '\n')
				p++;
			continue;
		}
		slot(b, m, open + 2, (size_t)(close - open - 2));
	}
	if (b->failed || hash_at == (size_t)-1)
		return b->failed ? JG_ENOMEM : JG_EINTERNAL;
	jg_sha256_hex(b->buf, b->len, sha);
	jg_rbuf_fmt(&line, "<p id=\"report-sha256\" class=\"hash\">SHA-256: "
	            "<code>%s</code></p>\n", sha);
	if (line.failed || b->failed) {
		free(line.buf);
		return JG_ENOMEM;
	}
	/* insert the line at hash_at */
	jg_rbuf_add(b, line.buf, line.len);
	memmove(b->buf + hash_at + line.len, b->buf + hash_at,
	        b->len - line.len - hash_at);
	memcpy(b->buf + hash_at, line.buf, line.len);
	free(line.buf);
	return b->failed ? JG_ENOMEM : JG_OK;
}
