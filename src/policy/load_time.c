/*
 * load_time.c - the `time` check of a rule: the weekly windows in which a
 * request may be made, in a named time zone.
 *
 * Everything screening needs is prepared here, once, so that screening
 * stays pure: days become a bit mask, hours minutes of the day, the zone
 * is read from the tz database (policy/tzif.c), and the check gets the
 * readable text its messages quote ("Mon-Fri 08:00-19:00 Europe/Paris").
 * A window is one `days`/`hours` pair next to `zone`, or each entry of
 * `windows`; either leaves out what is open all along (every day, all
 * day).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/tz.h"
#include "policy/internal.h"
#include "policy/tzif.h"

#define WINDOWS_MAX 16      /* time windows in one check */

/* Day names, in struct jg_window bit order: bit 0 is Sunday. */
static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat"};

/* s[0..len) as a day ("mon", "Mon": any case), or -1. */
static int day_of(const char *s, size_t len)
{
	if (len != 3)
		return -1;
	for (int d = 0; d < 7; d++)
		if (strncasecmp(s, day_names[d], 3) == 0)
			return d;
	return -1;
}

/* Add "mon" or "mon-fri" (a range may wrap: "fri-mon") to *mask; `at` is
 * the node the text comes from. No day may be given twice. */
static int day_item(struct jg_ld *ld, yaml_node_t *at, const char *s,
                    size_t len, unsigned char *mask)
{
	const char *dash = memchr(s, '-', len);
	char whole[JG_LD_SHOW_MAX], buf[JG_LD_SHOW_MAX];
	int a = day_of(s, dash ? (size_t)(dash - s) : len);
	int b = dash ? day_of(dash + 1, len - (size_t)(dash - s) - 1) : a;

	if (a < 0 || b < 0)
		return jg_ld_fail(ld, at,
		                  "days '%s': '%s' is not a day or a range of "
		                  "days (mon tue wed thu fri sat sun, or a range "
		                  "such as mon-fri)",
		                  jg_ld_show(at, whole),
		                  jg_ld_show_str(s, len, buf));
	if (dash && a == b)
		return jg_ld_fail(ld, at, "days '%s': the range '%s' starts and "
		                          "ends on the same day",
		                  jg_ld_show(at, whole),
		                  jg_ld_show_str(s, len, buf));
	for (int d = a;; d = (d + 1) % 7) {
		if (*mask & (1u << d))
			return jg_ld_fail(ld, at, "days '%s': %s is given twice",
			                  jg_ld_show(at, whole), day_names[d]);
		*mask |= (unsigned char)(1u << d);
		if (d == b)
			return 0;
	}
}

/* "mon-fri", "sat", "sun,tue,thu", or a list [mon, tue, fri-sun]. */
static int get_days(struct jg_ld *ld, yaml_node_t *n, unsigned char *mask)
{
	const char *p, *end;

	*mask = 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		if (!jg_ld_seq_len(n))
			return jg_ld_fail(ld, n, "'days' must not be empty");
		for (size_t i = 0; i < jg_ld_seq_len(n); i++) {
			yaml_node_t *it =
				jg_ld_node(ld, n->data.sequence.items.start[i]);
			if (jg_ld_expect(ld, it, YAML_SCALAR_NODE, "a day") ||
			    day_item(ld, it, jg_ld_str(it), jg_ld_slen(it),
			             mask))
				return -1;
		}
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE)
		return jg_ld_fail(ld, n, "'days' must be days such as mon-fri "
		                         "or a list of them, not %s",
		                  jg_ld_kind(n));
	p = jg_ld_str(n);
	end = p + jg_ld_slen(n);
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end;
		while (p < e && *p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			e--;
		if (day_item(ld, n, p, (size_t)(e - p), mask))
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* "8:00", "08:00" ... "24:00" in minutes of the day, or -1. */
static int hhmm(const char *s, size_t len)
{
	size_t hl = len - 3;
	int h = 0, m;

	if (len != 4 && len != 5)
		return -1;
	for (size_t i = 0; i < hl; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		h = h * 10 + (s[i] - '0');
	}
	if (s[hl] != ':' || s[hl + 1] < '0' || s[hl + 1] > '5' ||
	    s[hl + 2] < '0' || s[hl + 2] > '9')
		return -1;
	m = (s[hl + 1] - '0') * 10 + (s[hl + 2] - '0');
	if (h > 24 || (h == 24 && m))
		return -1;
	return h * 60 + m;
}

/* "08:00-19:00" (end exclusive), "22:00-06:00" (past midnight). */
static int get_hours(struct jg_ld *ld, yaml_node_t *n, struct jg_window *w)
{
	char buf[JG_LD_SHOW_MAX];
	const char *s, *dash;
	int start = -1, end = -1;

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, "hours"))
		return -1;
	s = jg_ld_str(n);
	if ((dash = memchr(s, '-', jg_ld_slen(n)))) {
		start = hhmm(s, (size_t)(dash - s));
		end = hhmm(dash + 1, jg_ld_slen(n) - (size_t)(dash - s) - 1);
	}
	if (start < 0 || end < 0 || start == 24 * 60)
		return jg_ld_fail(ld, n,
		                  "hours '%s' is not valid (HH:MM-HH:MM, such "
		                  "as 08:00-19:00, or 22:00-06:00 past midnight; "
		                  "24:00 only as the end)",
		                  jg_ld_show(n, buf));
	if (start == end)
		return jg_ld_fail(ld, n, "hours '%s' is empty (the whole day is "
		                         "00:00-24:00)",
		                  jg_ld_show(n, buf));
	w->start = start;
	w->end = end;
	return 0;
}

JG_LD_MODE_LOADER(time_mode, struct jg_time_check)

static int win_days(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return get_days(ld, n, &((struct jg_window *)obj)->days);
}

static int win_hours(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return get_hours(ld, n, obj);
}

static const struct jg_ld_key window_keys[] = {
	{"days", win_days, 0},
	{"hours", win_hours, 0},
};

/* An open window: every day, all day, until days/hours narrow it. */
static const struct jg_window any_time = {0x7f, 0, 24 * 60};

int jg_ld_get_zone(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   struct jg_tz **out)
{
	char name[JG_TZ_NAME_MAX], err[256], buf[JG_LD_SHOW_MAX];
	enum jg_err rc;

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	if (jg_ld_slen(n) >= sizeof(name) ||
	    strlen(jg_ld_str(n)) != jg_ld_slen(n))
		return jg_ld_fail(ld, n, "%s '%s' is not a time zone name",
		                  what, jg_ld_show(n, buf));
	memcpy(name, jg_ld_str(n), jg_ld_slen(n) + 1);
	rc = jg_tz_load(name, out, err, sizeof(err));
	if (rc == JG_ENOMEM)
		return jg_ld_nomem(ld, n);
	if (rc != JG_OK)
		return jg_ld_fail(ld, n, "%s", err);
	return 0;
}

static int time_zone(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_zone(ld, n, "zone", &((struct jg_time_check *)obj)->tz);
}

/* The single-window form: days and hours next to zone. */
static int time_days(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return get_days(ld, n, &((struct jg_time_check *)obj)->windows[0].days);
}

static int time_hours(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return get_hours(ld, n, &((struct jg_time_check *)obj)->windows[0]);
}

static int time_windows(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_time_check *t = obj;
	yaml_node_t *found[JG_LD_KEYS_MAX];
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'windows'"))
		return -1;
	cnt = jg_ld_seq_len(n);
	if (cnt < 1 || cnt > WINDOWS_MAX)
		return jg_ld_fail(ld, n,
		                  "'windows' must have 1 to %d entries, not %zu",
		                  WINDOWS_MAX, cnt);
	if (!(t->windows = calloc(cnt, sizeof(*t->windows))))
		return jg_ld_nomem(ld, n);
	t->nwindows = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *w = jg_ld_node(ld, n->data.sequence.items.start[i]);
		size_t mark = jg_ld_where_add(ld, " window %zu", i + 1);

		t->windows[i] = any_time;
		if (jg_ld_walk_map(ld, w, "the window", window_keys,
		                   JG_LD_NKEYS(window_keys), &t->windows[i],
		                   found))
			return -1;
		if (!found[0] && !found[1])
			return jg_ld_fail(ld, w,
			                  "a window needs 'days' or 'hours'");
		ld->where[mark] = '\0';
	}
	return 0;
}

static const struct jg_ld_key time_keys[] = {
	{"zone", time_zone, 1},
	{"days", time_days, 0},
	{"hours", time_hours, 0},
	{"windows", time_windows, 0},
	{"mode", time_mode, 0},
};

_Static_assert(JG_LD_NKEYS(time_keys) <= JG_LD_KEYS_MAX,
               "a key table is larger than JG_LD_KEYS_MAX");

/* "Mon-Fri", "Sat", "Tue,Thu,Sun", "Fri-Mon": runs, Monday first. */
static void days_text(unsigned char mask, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	if (mask == 0x7f) {
		snprintf(out, len, "Mon-Sun");
		return;
	}
	for (int k = 1; k <= 7; k++) {
		int d = k % 7, e = d;
		if (!(mask & (1u << d)) || (mask & (1u << ((d + 6) % 7))))
			continue; /* not the first day of a run */
		while (mask & (1u << ((e + 1) % 7)))
			e = (e + 1) % 7;
		used += (size_t)snprintf(out + used, len - used, "%s%s%s%s",
		                         used ? "," : "", day_names[d],
		                         e != d ? "-" : "",
		                         e != d ? day_names[e] : "");
		if (used >= len)
			return;
	}
}

/* "Mon-Fri 08:00-19:00, Sat 10:00-12:00 Europe/Paris" */
static int time_text(struct jg_ld *ld, yaml_node_t *n,
                     struct jg_time_check *t)
{
	size_t cap = t->nwindows * 48 + JG_TZ_NAME_MAX + 2, used = 0;
	char days[40];

	if (!(t->text = malloc(cap)))
		return jg_ld_nomem(ld, n);
	for (size_t i = 0; i < t->nwindows; i++) {
		const struct jg_window *w = &t->windows[i];
		days_text(w->days, days, sizeof(days));
		used += (size_t)snprintf(t->text + used, cap - used,
		                         "%s%s %02d:%02d-%02d:%02d",
		                         i ? ", " : "", days, w->start / 60,
		                         w->start % 60, w->end / 60,
		                         w->end % 60);
	}
	snprintf(t->text + used, cap - used, " %s", jg_tz_name(t->tz));
	return 0;
}

int jg_ld_check_time(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_time_check *t = &((struct jg_rule *)obj)->time;
	size_t mark;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'time'"))
		return -1;
	mark = jg_ld_where_add(ld, "%s", ".time");
	if (jg_ld_map_get(ld, n, "windows")) {
		if (jg_ld_map_get(ld, n, "days") ||
		    jg_ld_map_get(ld, n, "hours"))
			return jg_ld_fail(ld, n, "give either 'windows' or "
			                         "'days' and 'hours', not both");
	} else {
		if (!jg_ld_map_get(ld, n, "days") &&
		    !jg_ld_map_get(ld, n, "hours"))
			return jg_ld_fail(ld, n, "needs 'days' or 'hours' (or "
			                         "'windows')");
		if (!(t->windows = calloc(1, sizeof(*t->windows))))
			return jg_ld_nomem(ld, n);
		t->nwindows = 1;
		t->windows[0] = any_time;
	}
	if (jg_ld_walk_map(ld, n, "'time'", time_keys, JG_LD_NKEYS(time_keys),
	                   t, NULL) ||
	    time_text(ld, n, t))
		return -1;
	t->set = 1;
	ld->where[mark] = '\0';
	return 0;
}
