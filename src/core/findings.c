/*
 * findings.c - which request a scanner finding raises: the policy's
 * `findings` entries matched against a finding, and their reason
 * templates filled in.
 *
 * Pure: no I/O, no clock. Whether the request is then approved, denied
 * or sent for review is screening's business (rules with automation,
 * finding_type and severity checks), never this file's.
 */
#include <fnmatch.h>
#include <string.h>

#include "core/policy.h"

static int has_type(const struct jg_finding_map *m, const char *type)
{
	if (!m->ntypes)
		return 1;
	for (size_t i = 0; type && i < m->ntypes; i++)
		if (strcmp(m->types[i], type) == 0)
			return 1;
	return 0;
}

static int takes(const struct jg_finding_map *m, const struct jg_finding *f,
                 const char *target)
{
	if (!has_type(m, f->type))
		return 0;
	if (m->rule_glob && (!f->rule || fnmatch(m->rule_glob, f->rule, 0)))
		return 0;
	if (m->target_glob &&
	    (!target || fnmatch(m->target_glob, target, 0) != 0))
		return 0;
	if ((m->at_least || m->at_most) && !f->severity)
		return 0;
	if (m->at_least && f->severity < m->at_least)
		return 0;
	return !m->at_most || f->severity <= m->at_most;
}

const struct jg_finding_map *jg_policy_finding_map(const struct jg_policy *p,
                                                   const struct jg_finding *f,
                                                   const char *target)
{
	for (size_t i = 0; i < p->nfindings; i++)
		if (takes(&p->findings[i], f, target))
			return &p->findings[i];
	return NULL;
}

static const char *const placeholders[] = {
	"id", "type", "rule", "severity", "location", "target",
	"recommendation",
};
#define NPLACEHOLDERS (sizeof(placeholders) / sizeof(placeholders[0]))

int jg_finding_placeholder(const char *name, size_t len)
{
	for (size_t i = 0; i < NPLACEHOLDERS; i++)
		if (strlen(placeholders[i]) == len &&
		    strncmp(placeholders[i], name, len) == 0)
			return 1;
	return 0;
}

static const char *value_of(const char *name, size_t len,
                            const struct jg_finding *f, const char *target)
{
	const char *v = NULL;

#define IS(s) (len == sizeof(s) - 1 && strncmp(name, s, len) == 0)
	if (IS("id"))
		v = f->id;
	else if (IS("type"))
		v = f->type;
	else if (IS("rule"))
		v = f->rule;
	else if (IS("severity"))
		v = f->severity ? jg_level_name(f->severity) : NULL;
	else if (IS("location"))
		v = f->location;
	else if (IS("target"))
		v = target;
	else if (IS("recommendation"))
		v = f->recommendation;
#undef IS
	return v && *v ? v : "-";
}

/* Append s[0..n) to out (used of len), without control characters and
 * without splitting a UTF-8 sequence at the end. */
static void put(char *out, size_t len, size_t *used, const char *s, size_t n)
{
	for (size_t i = 0; i < n && *used + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			out[(*used)++] = ' ';
			continue;
		}
		if (c >= 0xc0) { /* a lead byte: the whole sequence or none */
			size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (*used + k >= len || i + k > n)
				break;
			memcpy(out + *used, s + i, k);
			*used += k;
			i += k - 1;
			continue;
		}
		out[(*used)++] = (char)c;
	}
	out[*used] = '\0';
}

void jg_finding_reason(const struct jg_finding_map *m,
                       const struct jg_finding *f, const char *target,
                       char *out, size_t len)
{
	const char *t = m->reason ? m->reason : JG_FINDING_REASON, *close;
	size_t used = 0;

	out[0] = '\0';
	while (*t && used + 1 < len) {
		size_t run = strcspn(t + 1, "{") + 1; /* up to the next '{' */

		if (*t == '{' && (close = strchr(t + 1, '}')) &&
		    jg_finding_placeholder(t + 1, (size_t)(close - t - 1))) {
			const char *v = value_of(t + 1, (size_t)(close - t - 1), f,
			                         target);
			put(out, len, &used, v, strlen(v));
			t = close + 1;
			continue;
		}
		put(out, len, &used, t, run);
		t += run;
	}
}
