/*
 * internal.h - what the files of the policy loader (load*.c) share; not
 * for other layers, which see only policy/load.h.
 *
 * A load in progress is one struct jg_ld, passed to every function. The
 * YAML tree is read with the toolkit of load_yaml.c (file:line messages,
 * node accessors, duplicate checks, maps driven by key tables) and the
 * values of load_values.c (names, durations, levels ...); each section of
 * the file is then one table of keys and its loaders, in load.c (the top
 * level, defaults, groups, resources), load_rules.c, load_checks.c,
 * load_time.c and load_findings.c.
 *
 * Every function below that takes a struct jg_ld and returns an int
 * returns 0 or, on error, -1 after recording the error's message in ld
 * (only the first error is kept). Nodes are borrowed from ld->doc and
 * live as long as it. What a loader allocates is stored at once in the
 * policy being built (ld->p), even when a later step fails, so that
 * jg_policy_free frees it: on any error the caller frees the whole
 * policy, never a part of it.
 */
#ifndef JG_POLICY_INTERNAL_H
#define JG_POLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <yaml.h>

#include "core/policy.h"
#include "util/err.h"

#define JG_LD_WHERE_MAX 192 /* "rule 'x' step 2": the subject of a message */
#define JG_LD_SHOW_MAX 72   /* a value quoted in a message, truncated */
#define JG_LD_KEYS_MAX 16   /* rows in one key table */

#define JG_LD_NKEYS(t) (sizeof(t) / sizeof((t)[0]))

struct jg_ld_defaults {
	int64_t max_duration;
	int64_t request_ttl;
	int64_t max_start_ahead;
};

/* One load in progress. Everything here is borrowed or lives on the stack. */
struct jg_ld {
	const char *name;       /* file name for messages */
	const char *buf;        /* the file's bytes */
	size_t len;
	yaml_document_t *doc;
	struct jg_policy *p;    /* being built; freed by the caller on error */
	struct jg_ld_defaults dflt;
	char where[JG_LD_WHERE_MAX]; /* subject prefixed to messages, or "" */
	enum jg_err rc;         /* first error wins */
	char *err;
	size_t errlen;
};

/* Load node `val` into `obj` (the struct the key belongs to); -1 on error. */
typedef int (*jg_ld_load_fn)(struct jg_ld *ld, yaml_node_t *val, void *obj);

/* One key of a map: a row of its table. */
struct jg_ld_key {
	const char *key;
	jg_ld_load_fn load;
	int required;
};

/* ---- nodes (trivial accessors) ------------------------------------------ */

/* Node number i of the document (borrowed). */
static inline yaml_node_t *jg_ld_node(struct jg_ld *ld, int i)
{
	return yaml_document_get_node(ld->doc, i);
}

/* The 1-based line n starts on; 1 for no node. */
static inline int jg_ld_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

/* A scalar's bytes (borrowed, NUL-terminated but may hold a NUL). */
static inline const char *jg_ld_str(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Bytes in scalar n. */
static inline size_t jg_ld_slen(const yaml_node_t *n)
{
	return n->data.scalar.length;
}

/* Pairs in map n. */
static inline size_t jg_ld_map_len(const yaml_node_t *n)
{
	const yaml_node_pair_t *s = n->data.mapping.pairs.start;
	return (size_t)(n->data.mapping.pairs.top - s);
}

/* Items in list n. */
static inline size_t jg_ld_seq_len(const yaml_node_t *n)
{
	const yaml_node_item_t *s = n->data.sequence.items.start;
	return (size_t)(n->data.sequence.items.top - s);
}

/* 1 when scalar n holds exactly the C string s (no embedded NUL). */
static inline int jg_ld_is(const yaml_node_t *n, const char *s)
{
	return jg_ld_slen(n) == strlen(s) &&
	       memcmp(jg_ld_str(n), s, jg_ld_slen(n)) == 0;
}

/* ---- messages (load_yaml.c) --------------------------------------------- */

/*
 * Record "FILE:LINE: SUBJECT: message" (the subject is ld->where, left
 * out when empty) as the load's error, unless an error is already
 * recorded. Return -1, so that loaders can `return jg_ld_fail(...)`.
 */
__attribute__((format(printf, 3, 4)))
int jg_ld_fail(struct jg_ld *ld, const yaml_node_t *at, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
int jg_ld_fail_line(struct jg_ld *ld, int line, const char *fmt, ...);

/*
 * Refuse, with "NAME:LINE: nesting deeper than JG_POLICY_DEPTH_MAX
 * levels", a text whose maps and lists nest deeper than that, before
 * the document is built: 0 when within the bound (or when the text is
 * not YAML at all, which the loader then reports), else -1.
 */
int jg_ld_depth_ok(struct jg_ld *ld);

/* Record "out of memory" (no subject) and JG_ENOMEM; return -1. */
int jg_ld_nomem(struct jg_ld *ld, const yaml_node_t *at);

/* Set the subject of later messages, or append to it; jg_ld_where_add
 * returns the length to cut back to (ld->where[mark] = '\0') after. */
__attribute__((format(printf, 2, 3)))
void jg_ld_where_set(struct jg_ld *ld, const char *fmt, ...);
__attribute__((format(printf, 2, 3)))
size_t jg_ld_where_add(struct jg_ld *ld, const char *fmt, ...);

/* s[0..len) made printable for a message into out, which is returned:
 * '?' for odd bytes, "..." if cut. jg_ld_show does so for a scalar, and
 * names the kind of any other node. */
const char *jg_ld_show_str(const char *s, size_t len,
                           char out[JG_LD_SHOW_MAX]);
const char *jg_ld_show(const yaml_node_t *n, char out[JG_LD_SHOW_MAX]);

/* "a map", "a list", "a single value", "an empty string" or "nothing"
 * (static). */
const char *jg_ld_kind(const yaml_node_t *n);

/* ---- nodes (load_yaml.c) ------------------------------------------------ */

/* The value of key `key` in map n (borrowed), or NULL (also when n is not
 * a map). */
yaml_node_t *jg_ld_map_get(struct jg_ld *ld, yaml_node_t *n,
                           const char *key);

/* Fail with "WHAT must be a map, not a list" unless n is of type t. */
int jg_ld_expect(struct jg_ld *ld, const yaml_node_t *n, yaml_node_type_t t,
                 const char *what);

/* ---- duplicates (load_yaml.c) ------------------------------------------- */

/* A string to check for duplicates, and where it was found. */
struct jg_ld_ref {
	const char *s; /* borrowed */
	size_t len;
	int line;
	size_t idx; /* position in the file, to report the later one */
};

/* Fail on the earliest second occurrence of a string in refs[0..n)
 * (sorted in place): "duplicate WHAT 'x' (first at line N)". */
int jg_ld_refs_unique(struct jg_ld *ld, struct jg_ld_ref *refs, size_t n,
                      const char *what);

/* The keys of map n, or the items of list n, must all differ. */
int jg_ld_nodes_unique(struct jg_ld *ld, yaml_node_t *n, const char *what);

/* Every key of map n is a single value, and no key appears twice. */
int jg_ld_map_keys_ok(struct jg_ld *ld, yaml_node_t *n, const char *what);

/* ---- maps driven by key tables (load_yaml.c) ---------------------------- */

/*
 * Check that n is a map whose keys are all in spec, none twice, and the
 * required ones present; then run the loaders in table order, each on
 * obj. found[i] (if found) receives the value of spec[i] or NULL.
 */
int jg_ld_walk_map(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   const struct jg_ld_key *spec, size_t nspec, void *obj,
                   yaml_node_t *found[JG_LD_KEYS_MAX]);

/* The same, with `subject` appended to the subject of messages about
 * what is inside n (" match", ".source"). */
int jg_ld_walk_under(struct jg_ld *ld, yaml_node_t *n, const char *what,
                     const char *subject, const struct jg_ld_key *spec,
                     size_t nspec, void *obj);

/* ---- values (load_values.c) --------------------------------------------- */

/* Check that n is a valid name (jg_name_valid; '@' too when at_ok);
 * *out (if out) receives an owned copy. */
int jg_ld_get_name(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   int at_ok, char **out);

/* A fnmatch(3) pattern of name characters plus * ? [ ] !; *out owned. */
int jg_ld_get_glob(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   char **out);

/* A duration such as 30m or 1h30m, in seconds (jg_duration_parse). */
int jg_ld_get_duration(struct jg_ld *ld, yaml_node_t *n, const char *key,
                       int64_t *out);

/* *out = index of n's value in names[0..count), or fail listing them. */
int jg_ld_get_choice(struct jg_ld *ld, yaml_node_t *n, const char *key,
                     const char *const *names, size_t count, size_t *out);

/* A map of names to names, in file order; *out an owned array of owned
 * labels, untouched when the map is empty. */
int jg_ld_get_labels(struct jg_ld *ld, yaml_node_t *n, struct jg_label **out,
                     size_t *nout);

/* A list of distinct names, optionally required to be non-empty; *out an
 * owned array of owned names, untouched when the list is empty. */
int jg_ld_get_names(struct jg_ld *ld, yaml_node_t *n, const char *key,
                    const char *what, int at_ok, int nonempty, char ***out,
                    size_t *nout);

/* One name, or a non-empty list of distinct names; owned as above. */
int jg_ld_get_name_list(struct jg_ld *ld, yaml_node_t *n, const char *key,
                        const char *what, char ***out, size_t *nout);

/* A whole number from min to max (no sign, no spaces). */
int jg_ld_get_int(struct jg_ld *ld, yaml_node_t *n, const char *what,
                  int min, int max, int *out);

/* true or false, as 1 or 0. */
int jg_ld_get_bool(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   int *out);

/* A level name ("low" ... "critical") to enum jg_level (1..4). */
int jg_ld_get_level(struct jg_ld *ld, yaml_node_t *n, const char *what,
                    int *out);

/* enforce, flag or match. */
int jg_ld_get_mode(struct jg_ld *ld, yaml_node_t *n, enum jg_mode *out);

/* A loader of the `mode` key of the check struct `type`, named fn. */
#define JG_LD_MODE_LOADER(fn, type)                                        \
	static int fn(struct jg_ld *ld, yaml_node_t *n, void *obj)         \
	{                                                                  \
		return jg_ld_get_mode(ld, n, &((type *)obj)->mode);        \
	}

/* Level bounds, as in `sensitivity`, the `severity` check and a findings
 * entry's `severity`. */
struct jg_ld_bounds {
	int min, max; /* enum jg_level, 0 unbounded */
};

/* Map n of at_least and at_most into *b, checked by jg_ld_bounds_ok. */
int jg_ld_get_bounds(struct jg_ld *ld, yaml_node_t *n, const char *what,
                     struct jg_ld_bounds *b);

/* At least one bound, and in order; n is where to point on error. */
int jg_ld_bounds_ok(struct jg_ld *ld, yaml_node_t *n, const char *what,
                    const struct jg_ld_bounds *b);

/* ---- sections ----------------------------------------------------------- */

/* The `rules` list into the jg_policy obj (load_rules.c); needs the
 * defaults and groups loaded. */
int jg_ld_rules(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* A rule's `checks` map into the jg_rule obj (load_checks.c). */
int jg_ld_checks(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* The `time` check into the jg_rule obj (load_time.c): windows, the zone
 * read from the tz database, the text its messages quote. */
int jg_ld_check_time(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* A time zone name (scalar n) read from the tz database into *out (owned
 * by the caller on success); a bad name or unknown zone is an error at
 * n's line. `what` names the key in messages. (load_time.c) */
int jg_ld_get_zone(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   struct jg_tz **out);

/* The `findings` list into the jg_policy obj (load_findings.c); needs the
 * resources loaded. */
int jg_ld_findings(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* The `identity` map into the jg_policy obj (load_identity.c): its
 * `signin` section (load_signin.c) and `workload` list (load_workload.c);
 * needs the groups loaded (a group map names policy groups). */
int jg_ld_identity(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* `identity.signin` into the jg_identity obj (load_signin.c): URLs,
 * claims, group and role maps (needs the groups), defaults filled in. */
int jg_ld_signin(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* Values of the identity sections, shared by load_signin.c (where they
 * live) and load_workload.c: a printable text of 1 to max-1 bytes; an
 * https URL (http only to a loopback host); an absolute path; a claim
 * name (letters, digits, _ - . : /); *out an owned copy. And a name
 * that must be a group defined under `groups`. */
int jg_ld_get_text(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   size_t max, char **out);
int jg_ld_get_url(struct jg_ld *ld, yaml_node_t *n, const char *what,
                  char **out);
int jg_ld_get_path(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   char **out);
int jg_ld_get_claim_name(struct jg_ld *ld, yaml_node_t *n, const char *what,
                         char **out);
int jg_ld_group_defined(struct jg_ld *ld, yaml_node_t *n, char *name);

/* `identity.workload` into the jg_identity obj (load_workload.c): the
 * trusted issuers of machine tokens and their claim bindings. */
int jg_ld_workload(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* The `forward_auth` section into the jg_policy obj (load_forward.c):
 * routes from host, method and path to resource and action; needs the
 * resources loaded. */
int jg_ld_forward(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* The `alerts` section into the jg_policy obj (load_alerts.c): each
 * detector's threshold, window, severity, or `off`. */
int jg_ld_alerts(struct jg_ld *ld, yaml_node_t *n, void *obj);

/* A `step_up` map ({within: 10m, mfa: true}) into the jg_step_up obj
 * (load_rules.c), on rules and on resources. */
int jg_ld_step_up(struct jg_ld *ld, yaml_node_t *n, void *obj);

#endif
