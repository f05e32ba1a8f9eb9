/*
 * load_values.c - the kinds of value a policy file holds, each read from
 * one YAML node with a message that says what a valid one looks like:
 * names, fnmatch(3) patterns, durations, choices from a fixed list,
 * labels, lists of names, whole numbers, booleans, levels, modes and
 * level bounds.
 *
 * Every owned string is a copy, made only once the value is known to be
 * valid; a scalar hiding a NUL ("a\0b") is never valid, so what is
 * checked is what is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"
#include "util/timefmt.h"

/* jg_name_valid, and no NUL hidden inside the scalar ("a\0b"). */
static int name_ok(const char *s, size_t len, int at_ok)
{
	return strlen(s) == len && jg_name_valid(s, at_ok);
}

/* Check that n is a valid name; *out (if out) receives an owned copy. */
int jg_ld_get_name(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   int at_ok, char **out)
{
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	if (!name_ok(jg_ld_str(n), jg_ld_slen(n), at_ok))
		return jg_ld_fail(ld, n,
		                  "%s '%s' is not a valid name (1 to %d "
		                  "characters of A-Z a-z 0-9 . _ -%s)",
		                  what, jg_ld_show(n, buf), JG_NAME_MAX - 1,
		                  at_ok ? " @" : "");
	if (out && !(*out = strndup(jg_ld_str(n), jg_ld_slen(n))))
		return jg_ld_nomem(ld, n);
	return 0;
}

/* A fnmatch(3) pattern: name characters plus * ? [ ] !. */
int jg_ld_get_glob(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   char **out)
{
	char buf[JG_LD_SHOW_MAX];
	size_t len;

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	len = jg_ld_slen(n);
	if (len == 0 || len >= JG_NAME_MAX ||
	    strspn(jg_ld_str(n),
	           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	           "0123456789._-*?[]!") != len)
		return jg_ld_fail(ld, n,
		                  "%s '%s' is not a valid pattern (1 to %d "
		                  "characters of A-Z a-z 0-9 . _ - * ? [ ] !)",
		                  what, jg_ld_show(n, buf), JG_NAME_MAX - 1);
	if (!(*out = strndup(jg_ld_str(n), len)))
		return jg_ld_nomem(ld, n);
	return 0;
}

int jg_ld_get_duration(struct jg_ld *ld, yaml_node_t *n, const char *key,
                       int64_t *out)
{
	char buf[JG_LD_SHOW_MAX], max[32];

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, key))
		return -1;
	if (strlen(jg_ld_str(n)) == jg_ld_slen(n) &&
	    jg_duration_parse(jg_ld_str(n), out) == JG_OK)
		return 0;
	jg_duration_format(JG_DURATION_MAX, max, sizeof(max));
	return jg_ld_fail(ld, n,
	                  "%s '%s' is not a valid duration (such as 45s, 30m, "
	                  "1h30m or 7d; above 0 and at most %s)",
	                  key, jg_ld_show(n, buf), max);
}

/* *out = index of n's value in names[0..count), or fail listing them. */
int jg_ld_get_choice(struct jg_ld *ld, yaml_node_t *n, const char *key,
                     const char *const *names, size_t count, size_t *out)
{
	char buf[JG_LD_SHOW_MAX], list[128] = "";
	size_t used = 0;

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, key))
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (jg_ld_is(n, names[i])) {
			*out = i;
			return 0;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		                         i ? ", " : "", names[i]);
		if (used >= sizeof(list))
			break;
	}
	return jg_ld_fail(ld, n, "%s '%s' is not one of: %s", key,
	                  jg_ld_show(n, buf), list);
}

/* A map of names to names, in file order. */
int jg_ld_get_labels(struct jg_ld *ld, yaml_node_t *n, struct jg_label **out,
                     size_t *nout)
{
	size_t cnt;
	char what[JG_LD_SHOW_MAX + 32], buf[JG_LD_SHOW_MAX];

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, "'labels'") ||
	    jg_ld_map_keys_ok(ld, n, "label"))
		return -1;
	if (!(cnt = jg_ld_map_len(n)))
		return 0;
	if (!(*out = calloc(cnt, sizeof(**out))))
		return jg_ld_nomem(ld, n);
	*nout = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		yaml_node_t *k = jg_ld_node(ld, p->key);

		if (jg_ld_get_name(ld, k, "label", 0, &(*out)[i].key))
			return -1;
		snprintf(what, sizeof(what), "value of label '%s'",
		         jg_ld_show(k, buf));
		if (jg_ld_get_name(ld, jg_ld_node(ld, p->value), what, 0,
		                   &(*out)[i].value))
			return -1;
	}
	return 0;
}

/* A list of distinct names, optionally required to be non-empty. */
int jg_ld_get_names(struct jg_ld *ld, yaml_node_t *n, const char *key,
                    const char *what, int at_ok, int nonempty, char ***out,
                    size_t *nout)
{
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, key))
		return -1;
	if (!(cnt = jg_ld_seq_len(n)))
		return nonempty ? jg_ld_fail(ld, n, "%s must not be empty", key)
		                : 0;
	if (!(*out = calloc(cnt, sizeof(**out))))
		return jg_ld_nomem(ld, n);
	*nout = cnt;
	for (size_t i = 0; i < cnt; i++)
		if (jg_ld_get_name(
			    ld, jg_ld_node(ld, n->data.sequence.items.start[i]),
			    what, at_ok, &(*out)[i]))
			return -1;
	return jg_ld_nodes_unique(ld, n, what);
}

/* A whole number from min to max (no sign, no spaces). */
int jg_ld_get_int(struct jg_ld *ld, yaml_node_t *n, const char *what,
                  int min, int max, int *out)
{
	char buf[JG_LD_SHOW_MAX];
	long long v = 0;

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	for (size_t i = 0; i < jg_ld_slen(n); i++) {
		char c = jg_ld_str(n)[i];
		if (c < '0' || c > '9' || v > max) {
			v = -1; /* not a number, or already too large */
			break;
		}
		v = v * 10 + (c - '0');
	}
	if (jg_ld_slen(n) == 0 || v < min || v > max)
		return jg_ld_fail(ld, n,
		                  "%s '%s' is not a whole number from %d to %d",
		                  what, jg_ld_show(n, buf), min, max);
	*out = (int)v;
	return 0;
}

/* One name, or a non-empty list of distinct names. */
int jg_ld_get_name_list(struct jg_ld *ld, yaml_node_t *n, const char *key,
                        const char *what, char ***out, size_t *nout)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return jg_ld_get_names(ld, n, key, what, 0, 1, out, nout);
	if (n->type != YAML_SCALAR_NODE)
		return jg_ld_fail(ld, n,
		                  "%s must be a name or a list of names, not %s",
		                  key, jg_ld_kind(n));
	if (!(*out = calloc(1, sizeof(**out))))
		return jg_ld_nomem(ld, n);
	*nout = 1;
	return jg_ld_get_name(ld, n, what, 0, &(*out)[0]);
}

int jg_ld_get_bool(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   int *out)
{
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	if (jg_ld_is(n, "true") || jg_ld_is(n, "false")) {
		*out = jg_ld_is(n, "true");
		return 0;
	}
	return jg_ld_fail(ld, n, "%s '%s' is not true or false", what,
	                  jg_ld_show(n, buf));
}

/* In enum jg_level order, for the message listing them; the way back is
 * jg_level_name (core/screen.c). */
static const char *const levels[] = {"low", "medium", "high", "critical"};

/* A level name to enum jg_level (1..4). */
int jg_ld_get_level(struct jg_ld *ld, yaml_node_t *n, const char *what,
                    int *out)
{
	size_t i;

	if (jg_ld_get_choice(ld, n, what, levels, JG_LD_NKEYS(levels), &i))
		return -1;
	*out = (int)i + JG_LOW;
	return 0;
}

int jg_ld_get_mode(struct jg_ld *ld, yaml_node_t *n, enum jg_mode *out)
{
	static const char *const names[] = {"enforce", "flag", "match"};
	static const enum jg_mode values[] = {JG_MODE_ENFORCE, JG_MODE_FLAG,
	                                      JG_MODE_MATCH};
	size_t i;

	if (jg_ld_get_choice(ld, n, "mode", names, JG_LD_NKEYS(names), &i))
		return -1;
	*out = values[i];
	return 0;
}

static int bound_min(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_level(ld, n, "at_least",
	                       &((struct jg_ld_bounds *)obj)->min);
}

static int bound_max(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_level(ld, n, "at_most",
	                       &((struct jg_ld_bounds *)obj)->max);
}

static const struct jg_ld_key bounds_keys[] = {
	{"at_least", bound_min, 0},
	{"at_most", bound_max, 0},
};

/* After bounds_keys: at least one bound, and in order. */
int jg_ld_bounds_ok(struct jg_ld *ld, yaml_node_t *n, const char *what,
                    const struct jg_ld_bounds *b)
{
	if (!b->min && !b->max)
		return jg_ld_fail(ld, n, "%s needs at least one of 'at_least' "
		                         "or 'at_most'", what);
	if (b->min && b->max && b->min > b->max)
		return jg_ld_fail(ld, n,
		                  "%s: at_least '%s' is above at_most '%s'", what,
		                  jg_level_name(b->min),
		                  jg_level_name(b->max));
	return 0;
}

int jg_ld_get_bounds(struct jg_ld *ld, yaml_node_t *n, const char *what,
                     struct jg_ld_bounds *b)
{
	*b = (struct jg_ld_bounds){0, 0};
	if (jg_ld_walk_map(ld, n, what, bounds_keys, JG_LD_NKEYS(bounds_keys),
	                   b, NULL))
		return -1;
	return jg_ld_bounds_ok(ld, n, what, b);
}
