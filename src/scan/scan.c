/*
 * scan.c - reading scanner reports: the generic format, and what the
 * SARIF reader (sarif.c) shares. See scan.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan/scan.h"
#include "util/visible.h"

static enum jg_err refuse(enum jg_err e, char why[JG_WHY_MAX],
                          const char *msg)
{
	snprintf(why, JG_WHY_MAX, "%s", msg);
	return e;
}

void jg_scan_clear(struct jg_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].id);
		free(s->items[i].rule);
		free(s->items[i].location);
		free(s->items[i].recommendation);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

void jg_scan_finding(const struct jg_scan_item *it, struct jg_finding *f)
{
	memset(f, 0, sizeof(*f));
	f->id = it->id;
	f->type = it->type[0] ? it->type : NULL;
	f->rule = it->rule;
	f->location = it->location;
	f->recommendation = it->recommendation;
	f->severity = it->severity;
}

struct jg_scan_item *jg_scan_add(struct jg_scan *s, const char *target)
{
	struct jg_scan_item *it;

	if (s->n % 16 == 0) {
		it = realloc(s->items, (s->n + 16) * sizeof(*it));
		if (!it)
			return NULL;
		s->items = it;
	}
	it = &s->items[s->n++];
	memset(it, 0, sizeof(*it));
	if (target)
		snprintf(it->target, sizeof(it->target), "%s", target);
	return it;
}

const char *jg_scan_quote(const char *s, char buf[JG_SCAN_QUOTE_MAX])
{
	jg_vis_render(s, strnlen(s, 64), buf, JG_SCAN_QUOTE_MAX, 0);
	return buf;
}

int jg_scan_fail(struct jg_scan_item *it, const char *fmt, ...)
{
	va_list ap;

	if (it->error[0]) /* the first error is the one to fix first */
		return -1;
	va_start(ap, fmt);
	vsnprintf(it->error, sizeof(it->error), fmt, ap);
	va_end(ap);
	return -1;
}

int jg_scan_text(struct jg_scan_item *it, const char *what, const char *s,
                 size_t len, size_t max, char **out)
{
	if (len > max)
		return jg_scan_fail(it, "%s is longer than %zu bytes", what, max);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return jg_scan_fail(it, "%s holds a control character",
			                    what);
	if (!(*out = strndup(s, len)))
		return jg_scan_fail(it, "out of memory");
	return 0;
}

/* ---- the generic format ------------------------------------------------ */

static const char *const members[] = {
	"id", "type", "rule", "severity", "location", "recommendation",
	"target", NULL,
};

/* Member key of o as a string (NULL when absent or null); -1 when of
 * another type. */
static int member(struct jg_scan_item *it, const json_t *o, const char *key,
                  const char **out, size_t *len)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	*len = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return jg_scan_fail(it, "%s must be a string", key);
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int name_member(struct jg_scan_item *it, const json_t *o,
                       const char *key, int required, char out[JG_NAME_MAX])
{
	const char *s;
	size_t len;

	if (member(it, o, key, &s, &len))
		return -1;
	if (!s)
		return required ? jg_scan_fail(it, "%s is required", key) : 0;
	if (strlen(s) != len || !jg_name_valid(s, 0))
		return jg_scan_fail(it, "%s must be a name of 1-63 characters of "
		                    "A-Z a-z 0-9 . _ -", key);
	memcpy(out, s, len + 1);
	return 0;
}

static int text_member(struct jg_scan_item *it, const json_t *o,
                       const char *key, size_t max, char **out)
{
	const char *s;
	size_t len;

	if (member(it, o, key, &s, &len))
		return -1;
	if (!s)
		return 0;
	if (len == 0)
		return jg_scan_fail(it, "%s must not be empty", key);
	return jg_scan_text(it, key, s, len, max, out);
}

static void generic_item(struct jg_scan_item *it, const json_t *o)
{
	const char *key, *sev;
	size_t len;
	json_t *v;

	if (!json_is_object(o)) {
		jg_scan_fail(it, "a finding must be a JSON object");
		return;
	}
	/* the id first: results name the finding even when it is bad */
	if (text_member(it, o, "id", JG_FINDING_ID_MAX, &it->id))
		return;
	if (!it->id) {
		jg_scan_fail(it, "id is required");
		return;
	}
	json_object_foreach((json_t *)o, key, v) {
		size_t i = 0;
		while (members[i] && strcmp(members[i], key) != 0)
			i++;
		if (!members[i]) {
			char q[JG_SCAN_QUOTE_MAX];

			jg_scan_fail(it, "unknown member '%s'",
			             jg_scan_quote(key, q));
			return;
		}
	}
	if (name_member(it, o, "type", 1, it->type) ||
	    text_member(it, o, "rule", JG_FINDING_RULE_MAX, &it->rule) ||
	    text_member(it, o, "location", JG_FINDING_LOCATION_MAX,
	                &it->location) ||
	    text_member(it, o, "recommendation", JG_REASON_MAX,
	                &it->recommendation) ||
	    name_member(it, o, "target", 0, it->target) ||
	    member(it, o, "severity", &sev, &len))
		return;
	if (sev && (strlen(sev) != len || !(it->severity = jg_level_parse(sev))))
		jg_scan_fail(it, "severity must be low, medium, high or "
		             "critical");
}

static enum jg_err generic(const json_t *report, const char *target,
                           struct jg_scan *s, char why[JG_WHY_MAX])
{
	json_t *list = json_object_get(report, "findings"), *o;
	struct jg_scan_item *it;
	size_t i;

	if (!list) {
		if (!(it = jg_scan_add(s, target)))
			return JG_ENOMEM;
		generic_item(it, report);
		return JG_OK;
	}
	if (!json_is_array(list) || json_object_size(report) != 1)
		return refuse(JG_EINVAL, why, "a batch of findings is "
		              "{\"findings\": [...]} and nothing else");
	if (json_array_size(list) > JG_FINDINGS_MAX)
		return refuse(JG_ETOOBIG, why, "more than 500 findings in one "
		              "report; send them in parts");
	json_array_foreach(list, i, o) {
		if (!(it = jg_scan_add(s, target)))
			return JG_ENOMEM;
		generic_item(it, o);
	}
	return JG_OK;
}

enum jg_err jg_scan_parse(const json_t *report, const char *target,
                          struct jg_scan *out, char why[JG_WHY_MAX])
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(report))
		return refuse(JG_EINVAL, why, "a report must be a JSON object");
	if (target && !jg_name_valid(target, 0))
		return refuse(JG_EINVAL, why, "target must be a name of 1-63 "
		              "characters of A-Z a-z 0-9 . _ -");
	if (json_object_get(report, "runs")) {
		out->sarif = 1;
		return jg_scan_sarif(report, target, out, why);
	}
	return generic(report, target, out, why);
}
