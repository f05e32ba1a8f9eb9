/*
 * load.c - the policy file (YAML) to a struct jg_policy, with file:line
 * errors.
 *
 * The loader must never hand out a policy built from a file it did not
 * fully understand: every error (bad YAML, unknown key, wrong type, bad
 * name, duplicate, undefined group, out-of-range number) frees what was
 * built so far and returns no policy, so a typo can never widen access. It
 * never reads a clock, keeps no state between calls, and never copies raw
 * control bytes from the file into a message.
 *
 * libyaml's document API gives a tree whose every node knows its line. The
 * shape of each map is a table of keys (struct key_spec): walk_map()
 * refuses unknown, duplicate and missing keys, then runs each present key's
 * loader in table order -- not file order, so that `groups` and `defaults`
 * are known before `rules` refer to them. A new key is a new table row.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core/limits.h"
#include "policy/load.h"
#include "util/crypto.h"
#include "util/timefmt.h"

#define WHERE_MAX 192 /* "rule 'x' step 2": the subject of a message */
#define SHOW_MAX 72   /* a value quoted in a message, truncated */
#define KEYS_MAX 16   /* rows in one key table */

struct defaults {
	int64_t max_duration;
	int64_t request_ttl;
};

/* One load in progress. Everything here is borrowed or lives on the stack. */
struct ld {
	const char *name;       /* file name for messages */
	const char *buf;        /* the file's bytes */
	size_t len;
	yaml_document_t *doc;
	struct jg_policy *p;    /* being built; freed by the caller on error */
	struct defaults dflt;
	char where[WHERE_MAX];  /* subject prefixed to messages, may be "" */
	enum jg_err rc;         /* first error wins */
	char *err;
	size_t errlen;
};

/* Load node `val` into `obj` (the struct the key belongs to); -1 on error. */
typedef int (*load_fn)(struct ld *ld, yaml_node_t *val, void *obj);

struct key_spec {
	const char *key;
	load_fn load;
	int required;
};

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- messages ---------------------------------------------------------- */

static int line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

PRINTF(3, 0)
static int vfail(struct ld *ld, int line, const char *fmt, va_list ap)
{
	char msg[320];

	if (ld->rc != JG_OK)
		return -1;
	ld->rc = JG_EINVAL;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ld->err && ld->errlen)
		snprintf(ld->err, ld->errlen, "%s:%d: %s%s%s", ld->name, line,
		         ld->where, ld->where[0] ? ": " : "", msg);
	return -1;
}

PRINTF(3, 4)
static int fail(struct ld *ld, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ld, line_of(at), fmt, ap);
	va_end(ap);
	return -1;
}

PRINTF(3, 4)
static int fail_line(struct ld *ld, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ld, line, fmt, ap);
	va_end(ap);
	return -1;
}

static int nomem(struct ld *ld, const yaml_node_t *at)
{
	if (ld->rc == JG_OK) {
		ld->where[0] = '\0';
		fail(ld, at, "out of memory");
		ld->rc = JG_ENOMEM;
	}
	return -1;
}

PRINTF(2, 3)
static void where_set(struct ld *ld, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ld->where, sizeof(ld->where), fmt, ap);
	va_end(ap);
}

/* Append to the subject; returns the length to cut back to afterwards. */
PRINTF(2, 3)
static size_t where_add(struct ld *ld, const char *fmt, ...)
{
	size_t len = strlen(ld->where);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->where + len, sizeof(ld->where) - len, fmt, ap);
	va_end(ap);
	return len;
}

/* s[0..len) made printable for a message: '?' for odd bytes, "..." if cut. */
static const char *show_str(const char *s, size_t len, char out[SHOW_MAX])
{
	size_t i, n = len < SHOW_MAX - 4 ? len : SHOW_MAX - 4;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = c >= 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
	}
	if (n < len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static const char *kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a map";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_SCALAR_NODE:
		if (n->data.scalar.length)
			return "a single value";
		return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
		               ? "nothing"
		               : "an empty string";
	default: return "nothing";
	}
}

/* ---- nodes ------------------------------------------------------------- */

static yaml_node_t *node(struct ld *ld, int i)
{
	return yaml_document_get_node(ld->doc, i);
}

static const char *str(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

static const char *show(const yaml_node_t *n, char out[SHOW_MAX])
{
	if (n->type != YAML_SCALAR_NODE) {
		snprintf(out, SHOW_MAX, "%s", kind(n));
		return out;
	}
	return show_str(str(n), slen(n), out);
}

static size_t map_len(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* 1 when scalar n holds exactly the C string s (no embedded NUL). */
static int is(const yaml_node_t *n, const char *s)
{
	return slen(n) == strlen(s) && memcmp(str(n), s, slen(n)) == 0;
}

/* The value of key `key` in map n, or NULL (also when n is not a map). */
static yaml_node_t *map_get(struct ld *ld, yaml_node_t *n, const char *key)
{
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(ld, p->key);
		if (k->type == YAML_SCALAR_NODE && is(k, key))
			return node(ld, p->value);
	}
	return NULL;
}

static int expect(struct ld *ld, const yaml_node_t *n, yaml_node_type_t t,
                  const char *what)
{
	const char *want = t == YAML_MAPPING_NODE    ? "a map"
	                   : t == YAML_SEQUENCE_NODE ? "a list"
	                                             : "a single value";
	if (n->type == t)
		return 0;
	return fail(ld, n, "%s must be %s, not %s", what, want, kind(n));
}

/* ---- duplicates -------------------------------------------------------- */

struct ref {
	const char *s;
	size_t len;
	int line;
	size_t idx; /* position in the file, to report the later one */
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * Fail on the earliest second occurrence of a string in refs (sorted in
 * place). Sorting keeps this O(n log n) for large maps.
 */
static int refs_unique(struct ld *ld, struct ref *refs, size_t n,
                       const char *what)
{
	size_t best = 0;
	char buf[SHOW_MAX];

	qsort(refs, n, sizeof(*refs), ref_cmp);
	for (size_t i = 1; i < n; i++) {
		if (refs[i].len != refs[i - 1].len ||
		    memcmp(refs[i].s, refs[i - 1].s, refs[i].len) != 0)
			continue;
		if (!best || refs[i].idx < refs[best].idx)
			best = i;
	}
	if (!best)
		return 0;
	return fail_line(ld, refs[best].line, "duplicate %s '%s' (first at line %d)",
	                 what, show_str(refs[best].s, refs[best].len, buf),
	                 refs[best - 1].line);
}

/* The keys of map n, or the items of list n, must all differ. */
static int nodes_unique(struct ld *ld, yaml_node_t *n, const char *what)
{
	int is_map = n->type == YAML_MAPPING_NODE;
	size_t cnt = is_map ? map_len(n) : seq_len(n);
	struct ref *refs;
	int rc;

	if (cnt < 2)
		return 0;
	if (!(refs = calloc(cnt, sizeof(*refs))))
		return nomem(ld, n);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *v = node(ld, is_map ? n->data.mapping.pairs.start[i].key
		                                 : n->data.sequence.items.start[i]);
		refs[i] = (struct ref){str(v), slen(v), line_of(v), i};
	}
	rc = refs_unique(ld, refs, cnt, what);
	free(refs);
	return rc;
}

/* Every key of map n is a single value, and no key appears twice. */
static int map_keys_ok(struct ld *ld, yaml_node_t *n, const char *what)
{
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++)
		if (expect(ld, node(ld, p->key), YAML_SCALAR_NODE, what))
			return -1;
	return nodes_unique(ld, n, what);
}

/* ---- values ------------------------------------------------------------ */

/* jg_name_valid, and no NUL hidden inside the scalar ("a\0b"). */
static int name_ok(const char *s, size_t len, int at_ok)
{
	return strlen(s) == len && jg_name_valid(s, at_ok);
}

/* Check that n is a valid name; *out (if out) receives an owned copy. */
static int get_name(struct ld *ld, yaml_node_t *n, const char *what,
                    int at_ok, char **out)
{
	char buf[SHOW_MAX];

	if (expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	if (!name_ok(str(n), slen(n), at_ok))
		return fail(ld, n,
		            "%s '%s' is not a valid name (1 to %d characters "
		            "of A-Z a-z 0-9 . _ -%s)",
		            what, show(n, buf), JG_NAME_MAX - 1, at_ok ? " @" : "");
	if (out && !(*out = strndup(str(n), slen(n))))
		return nomem(ld, n);
	return 0;
}

/* A fnmatch(3) pattern: name characters plus * ? [ ] !. */
static int get_glob(struct ld *ld, yaml_node_t *n, const char *what,
                    char **out)
{
	char buf[SHOW_MAX];
	size_t len;

	if (expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	len = slen(n);
	if (len == 0 || len >= JG_NAME_MAX ||
	    strspn(str(n), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                   "0123456789._-*?[]!") != len)
		return fail(ld, n,
		            "%s '%s' is not a valid pattern (1 to %d characters "
		            "of A-Z a-z 0-9 . _ - * ? [ ] !)",
		            what, show(n, buf), JG_NAME_MAX - 1);
	if (!(*out = strndup(str(n), len)))
		return nomem(ld, n);
	return 0;
}

static int get_duration(struct ld *ld, yaml_node_t *n, const char *key,
                        int64_t *out)
{
	char buf[SHOW_MAX], max[32];

	if (expect(ld, n, YAML_SCALAR_NODE, key))
		return -1;
	if (strlen(str(n)) == slen(n) && jg_duration_parse(str(n), out) == JG_OK)
		return 0;
	jg_duration_format(JG_DURATION_MAX, max, sizeof(max));
	return fail(ld, n,
	            "%s '%s' is not a valid duration (such as 45s, 30m, "
	            "1h30m or 7d; above 0 and at most %s)",
	            key, show(n, buf), max);
}

/* *out = index of n's value in names[0..count), or fail listing them. */
static int get_choice(struct ld *ld, yaml_node_t *n, const char *key,
                      const char *const *names, size_t count, size_t *out)
{
	char buf[SHOW_MAX], list[128] = "";
	size_t used = 0;

	if (expect(ld, n, YAML_SCALAR_NODE, key))
		return -1;
	for (size_t i = 0; i < count; i++) {
		if (is(n, names[i])) {
			*out = i;
			return 0;
		}
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		                         i ? ", " : "", names[i]);
		if (used >= sizeof(list))
			break;
	}
	return fail(ld, n, "%s '%s' is not one of: %s", key, show(n, buf), list);
}

/* A map of names to names, in file order. */
static int get_labels(struct ld *ld, yaml_node_t *n, struct jg_label **out,
                      size_t *nout)
{
	size_t cnt;
	char what[SHOW_MAX + 32], buf[SHOW_MAX];

	if (expect(ld, n, YAML_MAPPING_NODE, "'labels'") ||
	    map_keys_ok(ld, n, "label"))
		return -1;
	if (!(cnt = map_len(n)))
		return 0;
	if (!(*out = calloc(cnt, sizeof(**out))))
		return nomem(ld, n);
	*nout = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		yaml_node_t *k = node(ld, p->key);

		if (get_name(ld, k, "label", 0, &(*out)[i].key))
			return -1;
		snprintf(what, sizeof(what), "value of label '%s'",
		         show(k, buf));
		if (get_name(ld, node(ld, p->value), what, 0, &(*out)[i].value))
			return -1;
	}
	return 0;
}

/* A list of distinct names, optionally required to be non-empty. */
static int get_names(struct ld *ld, yaml_node_t *n, const char *key,
                     const char *what, int at_ok, int nonempty, char ***out,
                     size_t *nout)
{
	size_t cnt;

	if (expect(ld, n, YAML_SEQUENCE_NODE, key))
		return -1;
	if (!(cnt = seq_len(n)))
		return nonempty ? fail(ld, n, "%s must not be empty", key) : 0;
	if (!(*out = calloc(cnt, sizeof(**out))))
		return nomem(ld, n);
	*nout = cnt;
	for (size_t i = 0; i < cnt; i++)
		if (get_name(ld, node(ld, n->data.sequence.items.start[i]), what,
		             at_ok, &(*out)[i]))
			return -1;
	return nodes_unique(ld, n, what);
}

/* ---- maps driven by key tables ----------------------------------------- */

static size_t find_key(const struct key_spec *spec, size_t nspec,
                       const yaml_node_t *k)
{
	size_t i = 0;
	while (i < nspec && !(spec[i].key && is(k, spec[i].key)))
		i++;
	return i;
}

static int unknown_key(struct ld *ld, const yaml_node_t *k,
                       const struct key_spec *spec, size_t nspec)
{
	char buf[SHOW_MAX], list[160] = "";
	size_t used = 0;

	for (size_t i = 0; i < nspec && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		                         i ? ", " : "", spec[i].key);
	return fail(ld, k, "unknown key '%s' (expected one of: %s)",
	            show(k, buf), list);
}

/*
 * Check that n is a map whose keys are all in spec, none twice, and the
 * required ones present; then run the loaders in table order. found[i]
 * (if found) receives the value of spec[i] or NULL.
 */
static int walk_map(struct ld *ld, yaml_node_t *n, const char *what,
                    const struct key_spec *spec, size_t nspec, void *obj,
                    yaml_node_t *found[KEYS_MAX])
{
	yaml_node_t *local[KEYS_MAX];

	if (!found)
		found = local;
	memset(found, 0, KEYS_MAX * sizeof(*found));
	if (expect(ld, n, YAML_MAPPING_NODE, what) || map_keys_ok(ld, n, "key"))
		return -1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(ld, p->key);
		size_t i = find_key(spec, nspec, k);
		if (i == nspec)
			return unknown_key(ld, k, spec, nspec);
		found[i] = node(ld, p->value);
	}
	for (size_t i = 0; i < nspec; i++) {
		if (!found[i] && spec[i].required)
			return fail(ld, n, "missing key '%s'", spec[i].key);
		if (found[i] && spec[i].load(ld, found[i], obj))
			return -1;
	}
	return 0;
}

/* ---- defaults ---------------------------------------------------------- */

static int dflt_max_duration(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_duration(ld, n, "max_duration",
	                    &((struct defaults *)obj)->max_duration);
}

static int dflt_request_ttl(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_duration(ld, n, "request_ttl",
	                    &((struct defaults *)obj)->request_ttl);
}

static const struct key_spec defaults_keys[] = {
	{"max_duration", dflt_max_duration, 0},
	{"request_ttl", dflt_request_ttl, 0},
};

/* ---- groups ------------------------------------------------------------ */

static int group_members(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_group *g = obj;
	return get_names(ld, n, "'members'", "member", 1, 0, &g->members,
	                 &g->nmembers);
}

static const struct key_spec group_keys[] = {
	{"members", group_members, 0},
};

/* ---- resources --------------------------------------------------------- */

static const char *const sensitivities[] = {"low", "medium", "high",
                                            "critical"};

static int res_labels(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;
	return get_labels(ld, n, &r->labels, &r->nlabels);
}

static int res_sensitivity(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;
	size_t i;

	if (get_choice(ld, n, "sensitivity", sensitivities,
	               NKEYS(sensitivities), &i))
		return -1;
	if (!(r->sensitivity = strdup(sensitivities[i])))
		return nomem(ld, n);
	return 0;
}

static int res_actions(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;
	return get_names(ld, n, "'actions'", "action", 0, 1, &r->actions,
	                 &r->nactions);
}

static const struct key_spec resource_keys[] = {
	{"labels", res_labels, 0},
	{"sensitivity", res_sensitivity, 0},
	{"actions", res_actions, 1},
};

/* ---- rules ------------------------------------------------------------- */

static int step_group(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_step *s = obj;
	char buf[SHOW_MAX];

	if (get_name(ld, n, "group", 0, NULL))
		return -1;
	memcpy(s->group, str(n), slen(n)); /* < JG_NAME_MAX, checked */
	s->group[slen(n)] = '\0';
	if (!jg_policy_group(ld->p, s->group))
		return fail(ld, n,
		            "group '%s' is not defined (steps must name a group "
		            "from 'groups')",
		            show(n, buf));
	return 0;
}

static int step_count(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_step *s = obj;
	char buf[SHOW_MAX];
	int v = 0;

	if (expect(ld, n, YAML_SCALAR_NODE, "count"))
		return -1;
	for (size_t i = 0; i < slen(n); i++) {
		char c = str(n)[i];
		if (c < '0' || c > '9' || v > JG_STEP_COUNT_MAX) {
			v = 0; /* not a number, or already too large */
			break;
		}
		v = v * 10 + (c - '0');
	}
	if (v < 1 || v > JG_STEP_COUNT_MAX)
		return fail(ld, n, "count '%s' is not a whole number from 1 to %d",
		            show(n, buf), JG_STEP_COUNT_MAX);
	s->count = v;
	return 0;
}

static const struct key_spec step_keys[] = {
	{"group", step_group, 1},
	{"count", step_count, 1},
};

static int rule_name(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_name(ld, n, "rule name", 0, &((struct jg_rule *)obj)->name);
}

static int match_resource(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_glob(ld, n, "resource", &((struct jg_rule *)obj)->resource_glob);
}

static int match_labels(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return get_labels(ld, n, &r->labels, &r->nlabels);
}

static int match_action(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_glob(ld, n, "action", &((struct jg_rule *)obj)->action_glob);
}

static const struct key_spec match_keys[] = {
	{"resource", match_resource, 0},
	{"labels", match_labels, 0},
	{"action", match_action, 0},
};

static int rule_match(struct ld *ld, yaml_node_t *n, void *obj)
{
	size_t mark;

	if (expect(ld, n, YAML_MAPPING_NODE, "'match'"))
		return -1;
	mark = where_add(ld, "%s", " match");
	if (walk_map(ld, n, "'match'", match_keys, NKEYS(match_keys), obj, NULL))
		return -1;
	ld->where[mark] = '\0';
	return 0;
}

static int rule_decision(struct ld *ld, yaml_node_t *n, void *obj)
{
	static const char *const names[] = {"deny", "auto"};
	static const enum jg_decision values[] = {JG_DECIDE_DENY, JG_DECIDE_AUTO};
	size_t i;

	if (get_choice(ld, n, "decision", names, NKEYS(names), &i))
		return -1;
	((struct jg_rule *)obj)->decision = values[i];
	return 0;
}

static int rule_steps(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	size_t cnt;

	if (expect(ld, n, YAML_SEQUENCE_NODE, "'steps'"))
		return -1;
	cnt = seq_len(n);
	if (cnt < 1 || cnt > JG_STEPS_MAX)
		return fail(ld, n, "'steps' must have 1 to %d entries, not %zu",
		            JG_STEPS_MAX, cnt);
	if (!(r->steps = calloc(cnt, sizeof(*r->steps))))
		return nomem(ld, n);
	r->nsteps = cnt;
	r->decision = JG_DECIDE_REVIEW;
	for (size_t i = 0; i < cnt; i++) {
		size_t mark = where_add(ld, " step %zu", i + 1);
		if (walk_map(ld, node(ld, n->data.sequence.items.start[i]),
		             "the step", step_keys, NKEYS(step_keys), &r->steps[i],
		             NULL))
			return -1;
		ld->where[mark] = '\0';
	}
	return 0;
}

static int rule_max_duration(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_duration(ld, n, "max_duration",
	                    &((struct jg_rule *)obj)->max_duration);
}

static int rule_request_ttl(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_duration(ld, n, "request_ttl",
	                    &((struct jg_rule *)obj)->request_ttl);
}

enum { RK_NAME, RK_MATCH, RK_DECISION, RK_STEPS, RK_MAX_DURATION,
       RK_REQUEST_TTL, RK_N };

static const struct key_spec rule_keys[RK_N] = {
	[RK_NAME] = {"name", rule_name, 1},
	[RK_MATCH] = {"match", rule_match, 0},
	[RK_DECISION] = {"decision", rule_decision, 0},
	[RK_STEPS] = {"steps", rule_steps, 0},
	[RK_MAX_DURATION] = {"max_duration", rule_max_duration, 0},
	[RK_REQUEST_TTL] = {"request_ttl", rule_request_ttl, 0},
};

static int load_rule(struct ld *ld, yaml_node_t *n, size_t idx,
                     struct jg_rule *r)
{
	yaml_node_t *found[KEYS_MAX], *name = map_get(ld, n, "name");
	char buf[SHOW_MAX];

	/* Name the rule in every message, even those about earlier keys. */
	if (name && name->type == YAML_SCALAR_NODE)
		where_set(ld, "rule '%s'", show(name, buf));
	else
		where_set(ld, "rule %zu", idx + 1);
	r->line = line_of(n);
	r->max_duration = ld->dflt.max_duration;
	r->request_ttl = ld->dflt.request_ttl;
	r->decision = JG_DECIDE_DENY;
	if (walk_map(ld, n, "the rule", rule_keys, RK_N, r, found))
		return -1;
	if (!found[RK_DECISION] == !found[RK_STEPS])
		return fail(ld, n, "needs exactly one of 'decision' or 'steps'");
	return 0;
}

static int rule_names_unique(struct ld *ld, const struct jg_policy *p)
{
	struct ref *refs;
	int rc;

	if (p->nrules < 2)
		return 0;
	if (!(refs = calloc(p->nrules, sizeof(*refs))))
		return nomem(ld, NULL);
	for (size_t i = 0; i < p->nrules; i++)
		refs[i] = (struct ref){p->rules[i].name, strlen(p->rules[i].name),
		                       p->rules[i].line, i};
	rc = refs_unique(ld, refs, p->nrules, "rule");
	free(refs);
	return rc;
}

/* ---- the top level ----------------------------------------------------- */

static int top_version(struct ld *ld, yaml_node_t *n, void *obj)
{
	char buf[SHOW_MAX];

	(void)obj;
	if (expect(ld, n, YAML_SCALAR_NODE, "version"))
		return -1;
	if (!is(n, "1"))
		return fail(ld, n, "version '%s' is not supported (use version: 1)",
		            show(n, buf));
	return 0;
}

static int top_defaults(struct ld *ld, yaml_node_t *n, void *obj)
{
	(void)obj;
	if (expect(ld, n, YAML_MAPPING_NODE, "'defaults'"))
		return -1;
	where_set(ld, "defaults");
	if (walk_map(ld, n, "'defaults'", defaults_keys, NKEYS(defaults_keys),
	             &ld->dflt, NULL))
		return -1;
	ld->where[0] = '\0';
	return 0;
}

static int top_groups(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (expect(ld, n, YAML_MAPPING_NODE, "'groups'") ||
	    map_keys_ok(ld, n, "group"))
		return -1;
	if (!(cnt = map_len(n)))
		return 0;
	if (!(p->groups = calloc(cnt, sizeof(*p->groups))))
		return nomem(ld, n);
	p->ngroups = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
		struct jg_group *g = &p->groups[i];
		yaml_node_t *k = node(ld, pr->key);

		if (get_name(ld, k, "group", 0, &g->name))
			return -1;
		g->line = line_of(k);
		where_set(ld, "group '%s'", g->name);
		if (walk_map(ld, node(ld, pr->value), "the definition", group_keys,
		             NKEYS(group_keys), g, NULL))
			return -1;
		ld->where[0] = '\0';
	}
	return 0;
}

static int top_resources(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (expect(ld, n, YAML_MAPPING_NODE, "'resources'") ||
	    map_keys_ok(ld, n, "resource"))
		return -1;
	if (!(cnt = map_len(n)))
		return 0;
	if (!(p->resources = calloc(cnt, sizeof(*p->resources))))
		return nomem(ld, n);
	p->nresources = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
		struct jg_resource *r = &p->resources[i];
		yaml_node_t *k = node(ld, pr->key);

		if (get_name(ld, k, "resource", 0, &r->name))
			return -1;
		r->line = line_of(k);
		where_set(ld, "resource '%s'", r->name);
		if (walk_map(ld, node(ld, pr->value), "the definition", resource_keys,
		             NKEYS(resource_keys), r, NULL))
			return -1;
		if (!r->sensitivity && !(r->sensitivity = strdup("medium")))
			return nomem(ld, k);
		ld->where[0] = '\0';
	}
	return 0;
}

static int top_rules(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (expect(ld, n, YAML_SEQUENCE_NODE, "'rules'"))
		return -1;
	if (!(cnt = seq_len(n)))
		return 0;
	if (!(p->rules = calloc(cnt, sizeof(*p->rules))))
		return nomem(ld, n);
	p->nrules = cnt;
	for (size_t i = 0; i < cnt; i++)
		if (load_rule(ld, node(ld, n->data.sequence.items.start[i]), i,
		              &p->rules[i]))
			return -1;
	ld->where[0] = '\0';
	return rule_names_unique(ld, p);
}

/* In dependency order: rules need the defaults and the groups. */
static const struct key_spec top_keys[] = {
	{"version", top_version, 1},
	{"defaults", top_defaults, 0},
	{"groups", top_groups, 0},
	{"resources", top_resources, 0},
	{"rules", top_rules, 0},
};

_Static_assert(NKEYS(top_keys) <= KEYS_MAX && RK_N <= KEYS_MAX &&
                       NKEYS(resource_keys) <= KEYS_MAX &&
                       NKEYS(match_keys) <= KEYS_MAX,
               "a key table is larger than KEYS_MAX");

/* ---- entry points ------------------------------------------------------ */

static void parser_fail(struct ld *ld, const yaml_parser_t *ps)
{
	int line = (int)ps->problem_mark.line + 1;

	if (ps->error == YAML_MEMORY_ERROR) {
		nomem(ld, NULL);
		return;
	}
	if (ps->error == YAML_READER_ERROR) { /* no mark: count the lines */
		line = 1;
		for (size_t i = 0; i < ps->problem_offset && i < ld->len; i++)
			line += ld->buf[i] == '\n';
	}
	fail_line(ld, line, "invalid YAML: %s%s%s%s",
	          ps->problem ? ps->problem : "cannot parse",
	          ps->context ? " (" : "", ps->context ? ps->context : "",
	          ps->context ? ")" : "");
}

/* Refuse a second document: it would be silently ignored otherwise. */
static int single_document(struct ld *ld, yaml_parser_t *ps)
{
	yaml_document_t extra;
	yaml_node_t *root;

	if (!yaml_parser_load(ps, &extra)) {
		parser_fail(ld, ps);
		return -1;
	}
	if ((root = yaml_document_get_root_node(&extra)))
		fail(ld, root, "a second YAML document (a policy is one document)");
	yaml_document_delete(&extra);
	return root ? -1 : 0;
}

static void build(struct ld *ld, struct jg_policy **out)
{
	yaml_node_t *root = yaml_document_get_root_node(ld->doc);
	struct jg_policy *p = calloc(1, sizeof(*p));

	if (!p) {
		nomem(ld, NULL);
		return;
	}
	ld->p = p;
	if (!root)
		fail_line(ld, 1, "the policy is empty (it starts with 'version: 1')");
	else
		walk_map(ld, root, "the policy", top_keys, NKEYS(top_keys), p, NULL);
	if (ld->rc != JG_OK) {
		jg_policy_free(p);
		return;
	}
	jg_sha256_hex(ld->buf, ld->len, p->sha256);
	*out = p;
}

enum jg_err jg_policy_parse(const char *name, const char *buf, size_t len,
                            struct jg_policy **out, char *err, size_t errlen)
{
	struct ld ld = {
		.name = name,
		.buf = buf ? buf : "",
		.len = len,
		.dflt = {JG_DEFAULT_MAX_DURATION, JG_DEFAULT_REQUEST_TTL},
		.rc = JG_OK,
		.err = err,
		.errlen = errlen,
	};
	yaml_parser_t ps;
	yaml_document_t doc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > JG_POLICY_FILE_MAX) {
		fail_line(&ld, 1, "the policy is larger than %d bytes",
		          JG_POLICY_FILE_MAX);
		return JG_ETOOBIG;
	}
	if (!yaml_parser_initialize(&ps)) {
		nomem(&ld, NULL);
		return ld.rc;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)ld.buf, len);
	if (!yaml_parser_load(&ps, &doc)) {
		parser_fail(&ld, &ps);
	} else {
		ld.doc = &doc;
		if (single_document(&ld, &ps) == 0)
			build(&ld, out);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&ps);
	return ld.rc;
}

/* "PATH:1: why[: strerror(errnum)]" into err; returns rc. */
static enum jg_err file_fail(const char *path, char *err, size_t errlen,
                             enum jg_err rc, const char *why, int errnum)
{
	if (err && errlen)
		snprintf(err, errlen, "%s:1: %s%s%s", path, why,
		         errnum ? ": " : "", errnum ? strerror(errnum) : "");
	return rc;
}

/*
 * Read path into *buf (owned by the caller), at most one byte past the
 * limit so that jg_policy_parse notices a larger file. The size is not
 * taken from fstat: the file may change while it is read.
 */
static enum jg_err read_file(const char *path, char **buf, size_t *len,
                             char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	enum jg_err rc = JG_OK;

	*buf = NULL;
	*len = 0;
	if (!f)
		return file_fail(path, err, errlen, JG_ENOTFOUND, "cannot open",
		                 errno);
	*buf = malloc(JG_POLICY_FILE_MAX + 1);
	if (*buf)
		*len = fread(*buf, 1, JG_POLICY_FILE_MAX + 1, f);
	if (!*buf)
		rc = file_fail(path, err, errlen, JG_ENOMEM, "out of memory", 0);
	else if (ferror(f))
		rc = file_fail(path, err, errlen, JG_ENOTFOUND, "cannot read",
		               errno);
	fclose(f);
	if (rc != JG_OK) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

enum jg_err jg_policy_load(const char *path, struct jg_policy **out,
                           char *err, size_t errlen)
{
	char *buf;
	size_t len;
	enum jg_err rc;

	*out = NULL;
	rc = read_file(path, &buf, &len, err, errlen);
	if (rc != JG_OK)
		return rc;
	rc = jg_policy_parse(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}
