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
 *
 * Everything screening needs is prepared here, once, so that screening
 * stays pure: the time zones that time checks name are read from the tz
 * database (policy/tzif.c), networks are parsed to bytes, ticket patterns
 * are compiled as anchored POSIX extended regexes, and each time check
 * gets the readable text its messages quote.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <yaml.h>

#include "core/limits.h"
#include "core/tz.h"
#include "policy/load.h"
#include "policy/tzif.h"
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

/* A whole number from min to max (no sign, no spaces). */
static int get_int(struct ld *ld, yaml_node_t *n, const char *what, int min,
                   int max, int *out)
{
	char buf[SHOW_MAX];
	long long v = 0;

	if (expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	for (size_t i = 0; i < slen(n); i++) {
		char c = str(n)[i];
		if (c < '0' || c > '9' || v > max) {
			v = -1; /* not a number, or already too large */
			break;
		}
		v = v * 10 + (c - '0');
	}
	if (slen(n) == 0 || v < min || v > max)
		return fail(ld, n, "%s '%s' is not a whole number from %d to %d",
		            what, show(n, buf), min, max);
	*out = (int)v;
	return 0;
}

/* One name, or a non-empty list of distinct names. */
static int get_name_list(struct ld *ld, yaml_node_t *n, const char *key,
                         const char *what, char ***out, size_t *nout)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return get_names(ld, n, key, what, 0, 1, out, nout);
	if (n->type != YAML_SCALAR_NODE)
		return fail(ld, n, "%s must be a name or a list of names, not %s",
		            key, kind(n));
	if (!(*out = calloc(1, sizeof(**out))))
		return nomem(ld, n);
	*nout = 1;
	return get_name(ld, n, what, 0, &(*out)[0]);
}

static int get_bool(struct ld *ld, yaml_node_t *n, const char *what,
                    int *out)
{
	char buf[SHOW_MAX];

	if (expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	if (is(n, "true") || is(n, "false")) {
		*out = is(n, "true");
		return 0;
	}
	return fail(ld, n, "%s '%s' is not true or false", what, show(n, buf));
}

static const char *const levels[] = {"low", "medium", "high", "critical"};

/* A level name to enum jg_level (1..4). */
static int get_level(struct ld *ld, yaml_node_t *n, const char *what,
                     int *out)
{
	size_t i;

	if (get_choice(ld, n, what, levels, NKEYS(levels), &i))
		return -1;
	*out = (int)i + JG_LOW;
	return 0;
}

static int get_mode(struct ld *ld, yaml_node_t *n, enum jg_mode *out)
{
	static const char *const names[] = {"enforce", "flag", "match"};
	static const enum jg_mode values[] = {JG_MODE_ENFORCE, JG_MODE_FLAG,
	                                      JG_MODE_MATCH};
	size_t i;

	if (get_choice(ld, n, "mode", names, NKEYS(names), &i))
		return -1;
	*out = values[i];
	return 0;
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

static int res_labels(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;
	return get_labels(ld, n, &r->labels, &r->nlabels);
}

static int res_sensitivity(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_resource *r = obj;

	if (get_level(ld, n, "sensitivity", &r->level))
		return -1;
	if (!(r->sensitivity = strdup(levels[r->level - JG_LOW])))
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
	return get_int(ld, n, "count", 1, JG_STEP_COUNT_MAX,
	               &((struct jg_step *)obj)->count);
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

static int match_environment(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return get_name_list(ld, n, "'environment'", "environment", &r->envs,
	                     &r->nenvs);
}

/* Level bounds, as in `sensitivity` and the `severity` check. */
struct bounds {
	int min, max; /* enum jg_level, 0 unbounded */
};

static int bound_min(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_level(ld, n, "at_least", &((struct bounds *)obj)->min);
}

static int bound_max(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_level(ld, n, "at_most", &((struct bounds *)obj)->max);
}

static const struct key_spec bounds_keys[] = {
	{"at_least", bound_min, 0},
	{"at_most", bound_max, 0},
};

/* After bounds_keys: at least one bound, and in order. */
static int bounds_ok(struct ld *ld, yaml_node_t *n, const char *what,
                     const struct bounds *b)
{
	if (!b->min && !b->max)
		return fail(ld, n, "%s needs at least one of 'at_least' or "
		                   "'at_most'", what);
	if (b->min && b->max && b->min > b->max)
		return fail(ld, n, "%s: at_least '%s' is above at_most '%s'", what,
		            levels[b->min - JG_LOW], levels[b->max - JG_LOW]);
	return 0;
}

static int match_sensitivity(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	struct bounds b = {0, 0};

	if (walk_map(ld, n, "'sensitivity'", bounds_keys, NKEYS(bounds_keys),
	             &b, NULL) ||
	    bounds_ok(ld, n, "'sensitivity'", &b))
		return -1;
	r->sens_min = b.min;
	r->sens_max = b.max;
	return 0;
}

/* A list of group names, each defined under `groups`. */
static int get_groups(struct ld *ld, yaml_node_t *n, const char *key,
                      char ***out, size_t *nout)
{
	char buf[SHOW_MAX];

	if (get_names(ld, n, key, "group", 0, 1, out, nout))
		return -1;
	for (size_t i = 0; i < *nout; i++)
		if (!jg_policy_group(ld->p, (*out)[i]))
			return fail(ld, node(ld, n->data.sequence.items.start[i]),
			            "group '%s' is not defined (define it under "
			            "'groups', with 'members: []' if only tokens "
			            "fill it)",
			            show_str((*out)[i], strlen((*out)[i]), buf));
	return 0;
}

static int req_users(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return get_names(ld, n, "'users'", "user", 1, 1, &r->users, &r->nusers);
}

static int req_groups(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	return get_groups(ld, n, "'groups'", &r->groups, &r->ngroups);
}

static const struct key_spec requester_keys[] = {
	{"users", req_users, 0},
	{"groups", req_groups, 0},
};

static int match_requester(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;

	if (walk_map(ld, n, "'requester'", requester_keys,
	             NKEYS(requester_keys), r, NULL))
		return -1;
	if (!r->nusers && !r->ngroups)
		return fail(ld, n, "'requester' needs at least one of 'users' or "
		                   "'groups'");
	return 0;
}

static int match_automation(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	int v;

	if (get_bool(ld, n, "automation", &v))
		return -1;
	if (!v)
		return fail(ld, n, "automation can only be true (leave it out to "
		                   "match people and automation alike)");
	r->automation = 1;
	return 0;
}

static int match_finding_type(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;

	r->automation = 1; /* only automation raises findings */
	return get_name_list(ld, n, "'finding_type'", "finding type",
	                     &r->finding_types, &r->nfinding_types);
}

static const struct key_spec match_keys[] = {
	{"resource", match_resource, 0},
	{"labels", match_labels, 0},
	{"action", match_action, 0},
	{"environment", match_environment, 0},
	{"sensitivity", match_sensitivity, 0},
	{"requester", match_requester, 0},
	{"automation", match_automation, 0},
	{"finding_type", match_finding_type, 0},
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

/* ---- checks ------------------------------------------------------------ */

#define WINDOWS_MAX 16      /* time windows in one check */
#define CIDRS_MAX 1024      /* networks in one source check */
#define PATTERN_MAX 256     /* ticket pattern, bytes */
#define RATE_MAX 100000     /* requests counted in one rate window */
#define EXTENSIONS_MAX 100  /* extensions granted without review */

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
static int day_item(struct ld *ld, yaml_node_t *at, const char *s,
                    size_t len, unsigned char *mask)
{
	const char *dash = memchr(s, '-', len);
	char whole[SHOW_MAX], buf[SHOW_MAX];
	int a = day_of(s, dash ? (size_t)(dash - s) : len);
	int b = dash ? day_of(dash + 1, len - (size_t)(dash - s) - 1) : a;

	if (a < 0 || b < 0)
		return fail(ld, at,
		            "days '%s': '%s' is not a day or a range of days "
		            "(mon tue wed thu fri sat sun, or a range such as "
		            "mon-fri)",
		            show(at, whole), show_str(s, len, buf));
	if (dash && a == b)
		return fail(ld, at, "days '%s': the range '%s' starts and ends on "
		                    "the same day",
		            show(at, whole), show_str(s, len, buf));
	for (int d = a;; d = (d + 1) % 7) {
		if (*mask & (1u << d))
			return fail(ld, at, "days '%s': %s is given twice",
			            show(at, whole), day_names[d]);
		*mask |= (unsigned char)(1u << d);
		if (d == b)
			return 0;
	}
}

/* "mon-fri", "sat", "sun,tue,thu", or a list [mon, tue, fri-sun]. */
static int get_days(struct ld *ld, yaml_node_t *n, unsigned char *mask)
{
	const char *p, *end;

	*mask = 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		if (!seq_len(n))
			return fail(ld, n, "'days' must not be empty");
		for (size_t i = 0; i < seq_len(n); i++) {
			yaml_node_t *it = node(ld, n->data.sequence.items.start[i]);
			if (expect(ld, it, YAML_SCALAR_NODE, "a day") ||
			    day_item(ld, it, str(it), slen(it), mask))
				return -1;
		}
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE)
		return fail(ld, n, "'days' must be days such as mon-fri or a list "
		                   "of them, not %s",
		            kind(n));
	p = str(n);
	end = p + slen(n);
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
static int get_hours(struct ld *ld, yaml_node_t *n, struct jg_window *w)
{
	char buf[SHOW_MAX];
	const char *dash;
	int start = -1, end = -1;

	if (expect(ld, n, YAML_SCALAR_NODE, "hours"))
		return -1;
	if ((dash = memchr(str(n), '-', slen(n)))) {
		start = hhmm(str(n), (size_t)(dash - str(n)));
		end = hhmm(dash + 1, slen(n) - (size_t)(dash - str(n)) - 1);
	}
	if (start < 0 || end < 0 || start == 24 * 60)
		return fail(ld, n,
		            "hours '%s' is not valid (HH:MM-HH:MM, such as "
		            "08:00-19:00, or 22:00-06:00 past midnight; 24:00 "
		            "only as the end)",
		            show(n, buf));
	if (start == end)
		return fail(ld, n, "hours '%s' is empty (the whole day is "
		                   "00:00-24:00)",
		            show(n, buf));
	w->start = start;
	w->end = end;
	return 0;
}

#define MODE_LOADER(fn, type)                                              \
	static int fn(struct ld *ld, yaml_node_t *n, void *obj)            \
	{                                                                  \
		return get_mode(ld, n, &((type *)obj)->mode);              \
	}

MODE_LOADER(time_mode, struct jg_time_check)
MODE_LOADER(source_mode, struct jg_source_check)
MODE_LOADER(justification_mode, struct jg_justification_check)
MODE_LOADER(ticket_mode, struct jg_ticket_check)
MODE_LOADER(severity_mode, struct jg_scanner_check)
MODE_LOADER(rate_mode, struct jg_rate_check)

static int win_days(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_days(ld, n, &((struct jg_window *)obj)->days);
}

static int win_hours(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_hours(ld, n, obj);
}

static const struct key_spec window_keys[] = {
	{"days", win_days, 0},
	{"hours", win_hours, 0},
};

/* An open window: every day, all day, until days/hours narrow it. */
static const struct jg_window any_time = {0x7f, 0, 24 * 60};

static int time_zone(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_time_check *t = obj;
	char name[JG_TZ_NAME_MAX], err[256], buf[SHOW_MAX];
	enum jg_err rc;

	if (expect(ld, n, YAML_SCALAR_NODE, "zone"))
		return -1;
	if (slen(n) >= sizeof(name) || strlen(str(n)) != slen(n))
		return fail(ld, n, "zone '%s' is not a time zone name",
		            show(n, buf));
	memcpy(name, str(n), slen(n) + 1);
	rc = jg_tz_load(name, &t->tz, err, sizeof(err));
	if (rc == JG_ENOMEM)
		return nomem(ld, n);
	if (rc != JG_OK)
		return fail(ld, n, "%s", err);
	return 0;
}

/* The single-window form: days and hours next to zone. */
static int time_days(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_days(ld, n, &((struct jg_time_check *)obj)->windows[0].days);
}

static int time_hours(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_hours(ld, n, &((struct jg_time_check *)obj)->windows[0]);
}

static int time_windows(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_time_check *t = obj;
	yaml_node_t *found[KEYS_MAX];
	size_t cnt;

	if (expect(ld, n, YAML_SEQUENCE_NODE, "'windows'"))
		return -1;
	cnt = seq_len(n);
	if (cnt < 1 || cnt > WINDOWS_MAX)
		return fail(ld, n, "'windows' must have 1 to %d entries, not %zu",
		            WINDOWS_MAX, cnt);
	if (!(t->windows = calloc(cnt, sizeof(*t->windows))))
		return nomem(ld, n);
	t->nwindows = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *w = node(ld, n->data.sequence.items.start[i]);
		size_t mark = where_add(ld, " window %zu", i + 1);

		t->windows[i] = any_time;
		if (walk_map(ld, w, "the window", window_keys, NKEYS(window_keys),
		             &t->windows[i], found))
			return -1;
		if (!found[0] && !found[1])
			return fail(ld, w, "a window needs 'days' or 'hours'");
		ld->where[mark] = '\0';
	}
	return 0;
}

static const struct key_spec time_keys[] = {
	{"zone", time_zone, 1},
	{"days", time_days, 0},
	{"hours", time_hours, 0},
	{"windows", time_windows, 0},
	{"mode", time_mode, 0},
};

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
		                         e != d ? "-" : "", e != d ? day_names[e] : "");
		if (used >= len)
			return;
	}
}

/* "Mon-Fri 08:00-19:00, Sat 10:00-12:00 Europe/Paris" */
static int time_text(struct ld *ld, yaml_node_t *n, struct jg_time_check *t)
{
	size_t cap = t->nwindows * 48 + JG_TZ_NAME_MAX + 2, used = 0;
	char days[40];

	if (!(t->text = malloc(cap)))
		return nomem(ld, n);
	for (size_t i = 0; i < t->nwindows; i++) {
		const struct jg_window *w = &t->windows[i];
		days_text(w->days, days, sizeof(days));
		used += (size_t)snprintf(t->text + used, cap - used,
		                         "%s%s %02d:%02d-%02d:%02d", i ? ", " : "",
		                         days, w->start / 60, w->start % 60,
		                         w->end / 60, w->end % 60);
	}
	snprintf(t->text + used, cap - used, " %s", jg_tz_name(t->tz));
	return 0;
}

static int check_time(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_time_check *t = &((struct jg_rule *)obj)->time;
	size_t mark;

	if (expect(ld, n, YAML_MAPPING_NODE, "'time'"))
		return -1;
	mark = where_add(ld, "%s", ".time");
	if (map_get(ld, n, "windows")) {
		if (map_get(ld, n, "days") || map_get(ld, n, "hours"))
			return fail(ld, n, "give either 'windows' or 'days' and "
			                   "'hours', not both");
	} else {
		if (!map_get(ld, n, "days") && !map_get(ld, n, "hours"))
			return fail(ld, n, "needs 'days' or 'hours' (or 'windows')");
		if (!(t->windows = calloc(1, sizeof(*t->windows))))
			return nomem(ld, n);
		t->nwindows = 1;
		t->windows[0] = any_time;
	}
	if (walk_map(ld, n, "'time'", time_keys, NKEYS(time_keys), t, NULL) ||
	    time_text(ld, n, t))
		return -1;
	t->set = 1;
	ld->where[mark] = '\0';
	return 0;
}

/* 1 if the address bits past the prefix are all zero. */
static int host_bits_clear(const struct jg_cidr *c, int max)
{
	for (int b = c->prefix; b < max; b++)
		if (c->addr[b / 8] & (0x80 >> (b % 8)))
			return 0;
	return 1;
}

/* "10.0.0.0/8", "2001:db8::/32", "192.168.1.7" (a /32), "::1" (a /128). */
static int get_cidr(struct ld *ld, yaml_node_t *n, struct jg_cidr *c)
{
	char addr[INET6_ADDRSTRLEN], buf[SHOW_MAX], fix[INET6_ADDRSTRLEN];
	const char *s, *slash;
	size_t len, alen;
	int max;

	if (expect(ld, n, YAML_SCALAR_NODE, "cidr"))
		return -1;
	s = str(n);
	len = slen(n);
	slash = memchr(s, '/', len);
	alen = slash ? (size_t)(slash - s) : len;
	if (strlen(s) != len || alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	c->family = memchr(addr, ':', alen) ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, addr, c->addr) != 1)
		goto bad;
	max = c->family == AF_INET ? 32 : 128;
	c->prefix = max;
	if (slash) {
		const char *d = slash + 1;
		size_t dl = len - alen - 1;
		int v = 0;
		if (dl < 1 || dl > 3 || (dl > 1 && d[0] == '0'))
			goto bad;
		for (size_t i = 0; i < dl; i++) {
			if (d[i] < '0' || d[i] > '9')
				goto bad;
			v = v * 10 + (d[i] - '0');
		}
		if (v > max)
			goto bad;
		c->prefix = v;
	}
	/* ::ffff:a.b.c.d would never equal a source seen as IPv4 */
	if (c->family == AF_INET6 && c->prefix >= 96 &&
	    !memcmp(c->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		inet_ntop(AF_INET, c->addr + 12, fix, sizeof(fix));
		return fail(ld, n, "cidr '%s' is an IPv4-mapped address (write "
		                   "it as IPv4: %s/%d)",
		            show(n, buf), fix, c->prefix - 96);
	}
	if (!host_bits_clear(c, max)) {
		struct jg_cidr net = *c;
		for (int b = c->prefix; b < max; b++)
			net.addr[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
		inet_ntop(c->family, net.addr, fix, sizeof(fix));
		return fail(ld, n, "cidr '%s' has host bits set (did you mean "
		                   "%s/%d?)",
		            show(n, buf), fix, c->prefix);
	}
	return 0;
bad:
	return fail(ld, n,
	            "cidr '%s' is not an address or a network (such as "
	            "10.0.0.0/8, 192.168.1.7 or 2001:db8::/32)",
	            show(n, buf));
}

static int source_cidrs(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_source_check *c = obj;
	size_t cnt;

	if (expect(ld, n, YAML_SEQUENCE_NODE, "'cidrs'"))
		return -1;
	cnt = seq_len(n);
	if (cnt < 1 || cnt > CIDRS_MAX)
		return fail(ld, n, "'cidrs' must have 1 to %d entries, not %zu",
		            CIDRS_MAX, cnt);
	if (!(c->cidrs = calloc(cnt, sizeof(*c->cidrs))))
		return nomem(ld, n);
	c->ncidrs = cnt;
	for (size_t i = 0; i < cnt; i++)
		if (get_cidr(ld, node(ld, n->data.sequence.items.start[i]),
		             &c->cidrs[i]))
			return -1;
	return 0;
}

static const struct key_spec source_keys[] = {
	{"cidrs", source_cidrs, 1},
	{"mode", source_mode, 0},
};

static int justification_min(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_int(ld, n, "min_length", 1, JG_REASON_MAX,
	               &((struct jg_justification_check *)obj)->min_length);
}

static const struct key_spec justification_keys[] = {
	{"min_length", justification_min, 1},
	{"mode", justification_mode, 0},
};

/*
 * 1 when a ')' in the ERE s[0..len) closes no '('. glibc takes such a
 * ')' literally, so "x)|(y" would escape the "^(...)$" the pattern is
 * wrapped in and match any ticket starting with x. Bracket expressions
 * ("[)]", "[[:alpha:]]") and escapes ("\)") are skipped as regcomp does.
 */
/* Index just past the bracket expression whose '[' was at i - 1. */
static size_t skip_bracket(const char *s, size_t len, size_t i)
{
	if (i < len && s[i] == '^')
		i++;
	if (i < len && s[i] == ']')
		i++;
	while (i < len && s[i] != ']') {
		if (s[i] == '[' && i + 1 < len &&
		    (s[i + 1] == ':' || s[i + 1] == '=' || s[i + 1] == '.')) {
			char d = s[i + 1];
			i += 2;
			while (i + 1 < len && !(s[i] == d && s[i + 1] == ']'))
				i++;
			i += 2;
		} else {
			i++;
		}
	}
	return i + 1;
}

/*
 * 1 when a quantifier follows a quantifier ("C++", "a*{3}", "x{9}{9}")
 * or a bound exceeds 50: glibc's regcomp needs memory exponential in
 * such stacks, so one short pattern in a reloaded or replayed policy
 * could exhaust the server.
 */
static int stacked_quantifier(const char *s, size_t len)
{
	size_t i = 0;
	int quantified = 0;

	while (i < len) {
		char c = s[i++];
		int q = c == '*' || c == '+' || c == '?' || c == '{';
		if (q && quantified)
			return 1;
		if (c == '{') {
			char *end;
			long lo = strtol(s + i, &end, 10), hi = lo;
			if (*end == ',')
				hi = end[1] == '}' ? lo : strtol(end + 1, &end, 10);
			if (lo > 50 || hi > 50)
				return 1;
			while (i < len && s[i] != '}')
				i++;
			i++;
		} else if (c == '\\') {
			i++;
		} else if (c == '[') {
			i = skip_bracket(s, len, i);
		}
		quantified = q;
	}
	return 0;
}

static int stray_paren(const char *s, size_t len)
{
	size_t i = 0, depth = 0;

	while (i < len) {
		char c = s[i++];
		if (c == '\\') {
			i++;
		} else if (c == '[') {
			i = skip_bracket(s, len, i);
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (depth == 0)
				return 1;
			depth--;
		}
	}
	return 0;
}

static int ticket_pattern(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_ticket_check *t = obj;
	char buf[SHOW_MAX], msg[128], *wrapped;
	regex_t *re;
	size_t len;
	int rc;

	if (expect(ld, n, YAML_SCALAR_NODE, "pattern"))
		return -1;
	len = slen(n);
	if (len == 0 || len > PATTERN_MAX || strlen(str(n)) != len)
		return fail(ld, n, "pattern '%s' must be 1 to %d characters",
		            show(n, buf), PATTERN_MAX);
	if (stray_paren(str(n), len))
		return fail(ld, n, "pattern '%s' has a ')' that closes no '(' "
		                   "(write \\) for a literal parenthesis)",
		            show(n, buf));
	if (stacked_quantifier(str(n), len))
		return fail(ld, n, "pattern '%s' stacks quantifiers or repeats "
		                   "more than 50 times, which regcomp cannot "
		                   "compile in bounded memory", show(n, buf));
	if (!(t->pattern = strndup(str(n), len)) ||
	    !(wrapped = malloc(len + 5)))
		return nomem(ld, n);
	/* The whole ticket must match, not a part of it. */
	snprintf(wrapped, len + 5, "^(%s)$", t->pattern);
	if (!(re = calloc(1, sizeof(*re)))) {
		free(wrapped);
		return nomem(ld, n);
	}
	rc = regcomp(re, wrapped, REG_EXTENDED | REG_NOSUB);
	free(wrapped);
	if (rc != 0) {
		regerror(rc, re, msg, sizeof(msg));
		free(re);
		if (rc == REG_ESPACE)
			return nomem(ld, n);
		return fail(ld, n, "pattern '%s' is not a valid extended regular "
		                   "expression: %s",
		            show(n, buf), msg);
	}
	t->regex = re;
	return 0;
}

static const struct key_spec ticket_keys[] = {
	{"pattern", ticket_pattern, 1},
	{"mode", ticket_mode, 0},
};

static int severity_min(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_level(ld, n, "at_least",
	                 &((struct jg_scanner_check *)obj)->at_least);
}

static int severity_max(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_level(ld, n, "at_most",
	                 &((struct jg_scanner_check *)obj)->at_most);
}

static const struct key_spec severity_keys[] = {
	{"at_least", severity_min, 0},
	{"at_most", severity_max, 0},
	{"mode", severity_mode, 0},
};

static int rate_requester(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_int(ld, n, "per_requester", 1, RATE_MAX,
	               &((struct jg_rate_check *)obj)->per_requester);
}

static int rate_resource(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_int(ld, n, "per_resource", 1, RATE_MAX,
	               &((struct jg_rate_check *)obj)->per_resource);
}

static int rate_window(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_duration(ld, n, "window",
	                    &((struct jg_rate_check *)obj)->window);
}

static const struct key_spec rate_keys[] = {
	{"per_requester", rate_requester, 0},
	{"per_resource", rate_resource, 0},
	{"window", rate_window, 1},
	{"mode", rate_mode, 0},
};

/* Load check map n into chk under the subject "checks.NAME". */
static int check_map(struct ld *ld, yaml_node_t *n, const char *name,
                     const struct key_spec *keys, size_t nkeys, void *chk)
{
	char what[32];
	size_t mark;

	snprintf(what, sizeof(what), "'%s'", name);
	if (expect(ld, n, YAML_MAPPING_NODE, what))
		return -1;
	mark = where_add(ld, ".%s", name);
	if (walk_map(ld, n, what, keys, nkeys, chk, NULL))
		return -1;
	ld->where[mark] = '\0';
	return 0;
}

static int check_source(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_source_check *c = &((struct jg_rule *)obj)->source;

	c->set = 1;
	return check_map(ld, n, "source", source_keys, NKEYS(source_keys), c);
}

static int check_justification(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_justification_check *c = &((struct jg_rule *)obj)->justification;

	c->set = 1;
	return check_map(ld, n, "justification", justification_keys,
	                 NKEYS(justification_keys), c);
}

static int check_ticket(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_ticket_check *c = &((struct jg_rule *)obj)->ticket;

	c->set = 1;
	return check_map(ld, n, "ticket", ticket_keys, NKEYS(ticket_keys), c);
}

static int check_severity(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_scanner_check *c = &((struct jg_rule *)obj)->severity;
	struct bounds b;

	c->set = 1;
	if (check_map(ld, n, "severity", severity_keys, NKEYS(severity_keys),
	              c))
		return -1;
	b = (struct bounds){c->at_least, c->at_most};
	return bounds_ok(ld, n, "'severity'", &b);
}

static int check_rate(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rate_check *c = &((struct jg_rule *)obj)->rate;

	c->set = 1;
	if (check_map(ld, n, "rate", rate_keys, NKEYS(rate_keys), c))
		return -1;
	if (!c->per_requester && !c->per_resource)
		return fail(ld, n, "'rate' needs at least one of 'per_requester' "
		                   "or 'per_resource'");
	return 0;
}

static const struct key_spec check_keys[] = {
	{"time", check_time, 0},
	{"source", check_source, 0},
	{"justification", check_justification, 0},
	{"ticket", check_ticket, 0},
	{"severity", check_severity, 0},
	{"rate", check_rate, 0},
};

static int rule_checks(struct ld *ld, yaml_node_t *n, void *obj)
{
	size_t mark;

	if (expect(ld, n, YAML_MAPPING_NODE, "'checks'"))
		return -1;
	mark = where_add(ld, "%s", " checks");
	if (walk_map(ld, n, "'checks'", check_keys, NKEYS(check_keys), obj,
	             NULL))
		return -1;
	ld->where[mark] = '\0';
	return 0;
}

/* ---- outcome ------------------------------------------------------------ */

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

static int bg_group(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	char buf[SHOW_MAX];

	if (get_name(ld, n, "group", 0, &r->break_glass_group))
		return -1;
	if (!jg_policy_group(ld->p, r->break_glass_group))
		return fail(ld, n,
		            "group '%s' is not defined (break-glass must name a "
		            "group from 'groups')",
		            show(n, buf));
	return 0;
}

static int bg_max_duration(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_duration(ld, n, "max_duration",
	                    &((struct jg_rule *)obj)->break_glass_max);
}

static const struct key_spec break_glass_keys[] = {
	{"group", bg_group, 1},
	{"max_duration", bg_max_duration, 1},
};

/* Loaded after the rule's max_duration, which caps it. */
static int rule_break_glass(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rule *r = obj;
	yaml_node_t *found[KEYS_MAX];
	char a[32], b[32];
	size_t mark;

	if (expect(ld, n, YAML_MAPPING_NODE, "'break_glass'"))
		return -1;
	mark = where_add(ld, "%s", " break_glass");
	if (walk_map(ld, n, "'break_glass'", break_glass_keys,
	             NKEYS(break_glass_keys), r, found))
		return -1;
	if (r->break_glass_max > r->max_duration) {
		jg_duration_format(r->break_glass_max, a, sizeof(a));
		jg_duration_format(r->max_duration, b, sizeof(b));
		return fail(ld, found[1], "max_duration %s is above the rule's "
		                          "max_duration %s",
		            a, b);
	}
	ld->where[mark] = '\0';
	return 0;
}

static int ext_auto(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_int(ld, n, "auto", 0, EXTENSIONS_MAX,
	               &((struct jg_rule *)obj)->extensions_auto);
}

static const struct key_spec extensions_keys[] = {
	{"auto", ext_auto, 1},
};

static int rule_extensions(struct ld *ld, yaml_node_t *n, void *obj)
{
	size_t mark;

	if (expect(ld, n, YAML_MAPPING_NODE, "'extensions'"))
		return -1;
	mark = where_add(ld, "%s", " extensions");
	if (walk_map(ld, n, "'extensions'", extensions_keys,
	             NKEYS(extensions_keys), obj, NULL))
		return -1;
	ld->where[mark] = '\0';
	return 0;
}

/* `execute: auto`: the gateway runs an approved request at once
 * (docs/connectors.md); `manual`, the default, waits for its requester. */
static int rule_execute(struct ld *ld, yaml_node_t *n, void *obj)
{
	static const char *const names[] = {"manual", "auto"};
	size_t i;

	if (get_choice(ld, n, "execute", names, NKEYS(names), &i))
		return -1;
	((struct jg_rule *)obj)->execute_auto = i == 1;
	return 0;
}

/* In load order: break_glass needs max_duration. */
enum { RK_NAME, RK_MATCH, RK_CHECKS, RK_DECISION, RK_STEPS,
       RK_MAX_DURATION, RK_REQUEST_TTL, RK_BREAK_GLASS, RK_EXTENSIONS,
       RK_EXECUTE, RK_N };

static const struct key_spec rule_keys[RK_N] = {
	[RK_NAME] = {"name", rule_name, 1},
	[RK_MATCH] = {"match", rule_match, 0},
	[RK_CHECKS] = {"checks", rule_checks, 0},
	[RK_DECISION] = {"decision", rule_decision, 0},
	[RK_STEPS] = {"steps", rule_steps, 0},
	[RK_MAX_DURATION] = {"max_duration", rule_max_duration, 0},
	[RK_REQUEST_TTL] = {"request_ttl", rule_request_ttl, 0},
	[RK_BREAK_GLASS] = {"break_glass", rule_break_glass, 0},
	[RK_EXTENSIONS] = {"extensions", rule_extensions, 0},
	[RK_EXECUTE] = {"execute", rule_execute, 0},
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
		if (!r->sensitivity) {
			r->level = JG_MEDIUM;
			if (!(r->sensitivity = strdup(levels[JG_MEDIUM - JG_LOW])))
				return nomem(ld, k);
		}
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

static int top_findings(struct ld *ld, yaml_node_t *n, void *obj);

/* In dependency order: rules need the defaults and the groups. */
static const struct key_spec top_keys[] = {
	{"version", top_version, 1},
	{"defaults", top_defaults, 0},
	{"groups", top_groups, 0},
	{"resources", top_resources, 0},
	{"rules", top_rules, 0},
	{"findings", top_findings, 0}, /* needs the resources */
};

_Static_assert(NKEYS(top_keys) <= KEYS_MAX && RK_N <= KEYS_MAX &&
                       NKEYS(resource_keys) <= KEYS_MAX &&
                       NKEYS(match_keys) <= KEYS_MAX &&
                       NKEYS(check_keys) <= KEYS_MAX &&
                       NKEYS(time_keys) <= KEYS_MAX,
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

/* ---- findings: scanner findings to requests (docs/findings.md) --------- */

#define FINDING_RULE_MAX 255 /* bytes of a rule pattern */
#define FINDING_REASON_MAX 512 /* bytes of a reason template */

static int fm_type(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;

	return get_name_list(ld, n, "type", "finding type", &m->types,
	                     &m->ntypes);
}

/* Printable ASCII, space included, and nothing else. */
static int printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

/* Scanner rule ids hold '/' and ':' ("js/sql-injection"), so the rule
 * pattern is any printable ASCII, matched with fnmatch(3). */
static int fm_rule(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;
	char buf[SHOW_MAX];

	if (expect(ld, n, YAML_SCALAR_NODE, "rule"))
		return -1;
	if (slen(n) == 0 || slen(n) > FINDING_RULE_MAX ||
	    !printable(str(n), slen(n)))
		return fail(ld, n, "rule '%s' is not a valid pattern (1 to %d "
		            "printable ASCII characters)", show(n, buf),
		            FINDING_RULE_MAX);
	if (!(m->rule_glob = strndup(str(n), slen(n))))
		return nomem(ld, n);
	return 0;
}

static int fm_target(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_glob(ld, n, "target",
	                &((struct jg_finding_map *)obj)->target_glob);
}

static int fm_severity(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;
	struct bounds b = {0, 0};

	if (walk_map(ld, n, "'severity'", bounds_keys, NKEYS(bounds_keys), &b,
	             NULL) ||
	    bounds_ok(ld, n, "'severity'", &b))
		return -1;
	m->at_least = b.min;
	m->at_most = b.max;
	return 0;
}

static const struct key_spec fm_match_keys[] = {
	{"type", fm_type, 0},
	{"rule", fm_rule, 0},
	{"target", fm_target, 0},
	{"severity", fm_severity, 0},
};

static int fm_match(struct ld *ld, yaml_node_t *n, void *obj)
{
	return walk_map(ld, n, "'match'", fm_match_keys, NKEYS(fm_match_keys),
	                obj, NULL);
}

static int fm_resource(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;

	if (n->type == YAML_SCALAR_NODE && is(n, JG_FINDING_TARGET)) {
		if (!(m->resource = strdup(JG_FINDING_TARGET)))
			return nomem(ld, n);
		return 0;
	}
	return get_name(ld, n, "resource", 0, &m->resource);
}

static int fm_action(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_name(ld, n, "action", 0,
	                &((struct jg_finding_map *)obj)->action);
}

static int fm_duration(struct ld *ld, yaml_node_t *n, void *obj)
{
	return get_duration(ld, n, "duration",
	                    &((struct jg_finding_map *)obj)->duration);
}

/* A reason template: text with {placeholder}s (core/findings.c). */
static int fm_reason(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_finding_map *m = obj;
	const char *s, *close;
	char buf[SHOW_MAX];

	if (expect(ld, n, YAML_SCALAR_NODE, "reason"))
		return -1;
	s = str(n);
	if (slen(n) == 0 || slen(n) > FINDING_REASON_MAX ||
	    strlen(s) != slen(n))
		return fail(ld, n, "reason must be 1 to %d bytes",
		            FINDING_REASON_MAX);
	for (size_t i = 0; i < slen(n); i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(ld, n, "reason holds a control character");
	for (s = strchr(s, '{'); s; s = strchr(close + 1, '{')) {
		close = strchr(s, '}');
		if (!close || !jg_finding_placeholder(s + 1,
		                                      (size_t)(close - s - 1)))
			return fail(ld, n, "reason '%s': '{' must start one of "
			            "{id}, {type}, {rule}, {severity}, {location}, "
			            "{target}, {recommendation}", show(n, buf));
	}
	if (!(m->reason = strndup(str(n), slen(n))))
		return nomem(ld, n);
	return 0;
}

static const struct key_spec fm_keys[] = {
	{"match", fm_match, 0},
	{"resource", fm_resource, 1},
	{"action", fm_action, 1},
	{"duration", fm_duration, 0},
	{"reason", fm_reason, 0},
};

/* A named resource must exist and have the action; {target} is looked
 * up when a finding names one. */
static int fm_resource_ok(struct ld *ld, yaml_node_t *n,
                          const struct jg_finding_map *m)
{
	const struct jg_resource *res;

	if (strcmp(m->resource, JG_FINDING_TARGET) == 0)
		return 0;
	if (!(res = jg_policy_resource(ld->p, m->resource)))
		return fail(ld, n, "resource '%s' is not defined", m->resource);
	if (!jg_resource_has_action(res, m->action))
		return fail(ld, n, "resource '%s' has no action '%s'",
		            m->resource, m->action);
	return 0;
}

static int top_findings(struct ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_policy *p = obj;
	size_t cnt;

	if (expect(ld, n, YAML_SEQUENCE_NODE, "'findings'"))
		return -1;
	if (!(cnt = seq_len(n)))
		return 0;
	if (!(p->findings = calloc(cnt, sizeof(*p->findings))))
		return nomem(ld, n);
	p->nfindings = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item = node(ld, n->data.sequence.items.start[i]);
		struct jg_finding_map *m = &p->findings[i];

		where_set(ld, "findings entry %zu", i + 1);
		m->line = line_of(item);
		if (walk_map(ld, item, "the entry", fm_keys, NKEYS(fm_keys), m,
		             NULL) ||
		    fm_resource_ok(ld, item, m))
			return -1;
	}
	ld->where[0] = '\0';
	return 0;
}
