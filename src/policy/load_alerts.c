/*
 * load_alerts.c - the policy's `alerts` section: how each alert detector
 * (insight/detect.c, docs/alerts.md) is tuned or turned off.
 *
 *   alerts:
 *     burst_principal: {threshold: 20, window: 10m}
 *     rubber_stamp: {within: 1m, severity: high}
 *     policy_reload: off
 *     off_hours:
 *       time_zone: Europe/Berlin
 *       time_zones: {alice: America/New_York, "group:sre": Asia/Tokyo}
 *
 * A kind left out keeps its defaults; an unknown kind is an error (a typo
 * must not silently leave a detector at a setting nobody chose). Only
 * off_hours takes time zones: each is read from the tz database here,
 * once, so the detector never opens a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

static const char *const kind_names[JG_AK_COUNT] = {
#define JG_AK_NAME(name, str) str,
        JG_ALERT_KINDS(JG_AK_NAME)
#undef JG_AK_NAME
};

static int at_threshold(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_int(ld, n, "'threshold'", 1, JG_ALERT_THRESHOLD_MAX,
	                     &((struct jg_alert_tune *)obj)->threshold);
}

static int at_window(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "window",
	                          &((struct jg_alert_tune *)obj)->window);
}

static int at_within(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "within",
	                          &((struct jg_alert_tune *)obj)->within);
}

static int at_severity(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_level(ld, n, "'severity'",
	                       &((struct jg_alert_tune *)obj)->severity);
}

static int at_enabled(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	int on;

	if (jg_ld_get_bool(ld, n, "'enabled'", &on))
		return -1;
	((struct jg_alert_tune *)obj)->off = !on;
	return 0;
}

#define TUNE_KEYS                                                          \
	{"enabled", at_enabled, 0}, {"threshold", at_threshold, 0},        \
	        {"window", at_window, 0}, {"within", at_within, 0},        \
	        {"severity", at_severity, 0}

static const struct jg_ld_key tune_keys[] = {TUNE_KEYS};

/* off_hours' zones go to the policy being built (ld->p), not to obj. */
static int oh_zone(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	(void)obj;
	return jg_ld_get_zone(ld, n, "'time_zone'",
	                      &ld->p->off_hours_zones.dflt);
}

/* A time_zones key: a principal, or "group:NAME" of a defined group. */
static int zone_who(struct jg_ld *ld, yaml_node_t *k, char **out)
{
	char buf[JG_LD_SHOW_MAX];
	const char *s = jg_ld_str(k);
	size_t len = jg_ld_slen(k);

	if (len <= 6 || strncmp(s, "group:", 6) != 0)
		return jg_ld_get_name(ld, k, "'time_zones' principal", 1, out);
	if (strlen(s) != len || !jg_policy_group(ld->p, s + 6))
		return jg_ld_fail(ld, k, "'time_zones': group '%s' is not "
		                         "defined (define it under 'groups')",
		                  jg_ld_show_str(s + 6, len - 6, buf));
	if (!(*out = strndup(s, len)))
		return jg_ld_nomem(ld, k);
	return 0;
}

static int oh_zones(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_alert_zones *z = &ld->p->off_hours_zones;
	yaml_node_pair_t *pr;

	(void)obj;
	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'time_zones'") ||
	    jg_ld_map_keys_ok(ld, n, "'time_zones' key"))
		return -1;
	if (jg_ld_map_len(n) == 0)
		return 0;
	if (!(z->by = calloc(jg_ld_map_len(n), sizeof(*z->by))))
		return jg_ld_nomem(ld, n);
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		struct jg_alert_zone *e = &z->by[z->nby];

		if (zone_who(ld, jg_ld_node(ld, pr->key), &e->who))
			return -1;
		z->nby++; /* counted now: jg_policy_free frees who */
		if (jg_ld_get_zone(ld, jg_ld_node(ld, pr->value),
		                   "'time_zones' zone", &e->tz))
			return -1;
	}
	return 0;
}

static const struct jg_ld_key off_hours_keys[] = {
	TUNE_KEYS, {"time_zone", oh_zone, 0}, {"time_zones", oh_zones, 0},
};

/* One kind's value: `off`, or a map of tune_keys (off_hours_keys for
 * off_hours). */
static int one_kind(struct jg_ld *ld, yaml_node_t *v, const char *kind,
                    struct jg_alert_tune *t)
{
	char buf[JG_LD_SHOW_MAX];
	int zones = strcmp(kind, "off_hours") == 0;

	if (v->type == YAML_SCALAR_NODE) {
		if (!jg_ld_is(v, "off"))
			return jg_ld_fail(ld, v, "alert '%s' must be 'off' or a "
			                         "map, not '%s'",
			                  kind, jg_ld_show(v, buf));
		t->off = 1;
		return 0;
	}
	snprintf(ld->where, sizeof(ld->where), "alert '%s'", kind);
	if (jg_ld_walk_map(ld, v, "an alert's settings",
	                   zones ? off_hours_keys : tune_keys,
	                   zones ? JG_LD_NKEYS(off_hours_keys)
	                         : JG_LD_NKEYS(tune_keys),
	                   t, NULL))
		return -1;
	ld->where[0] = '\0';
	return 0;
}

int jg_ld_alerts(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	yaml_node_pair_t *pr;
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'alerts'") ||
	    jg_ld_map_keys_ok(ld, n, "alert kind"))
		return -1;
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = jg_ld_node(ld, pr->key);
		size_t i = 0;

		while (i < JG_AK_COUNT && !jg_ld_is(k, kind_names[i]))
			i++;
		if (i == JG_AK_COUNT)
			return jg_ld_fail(ld, k, "unknown alert kind '%s' "
			                         "(docs/alerts.md lists them)",
			                  jg_ld_show(k, buf));
		if (one_kind(ld, jg_ld_node(ld, pr->value), kind_names[i],
		             &p->alerts[i]))
			return -1;
	}
	return 0;
}
