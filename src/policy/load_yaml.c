/*
 * load_yaml.c - the policy loader's way of reading a YAML tree: messages
 * that name the file, line and subject, duplicate keys and items, and
 * maps whose shape is a table of keys (struct jg_ld_key).
 *
 * libyaml's document API gives a tree whose every node knows its line.
 * jg_ld_walk_map() refuses unknown, duplicate and missing keys, then runs
 * each present key's loader in table order -- not file order, so that a
 * section can rely on the keys loaded before it. Nothing here knows what
 * a policy is; the sections (load.c, load_rules.c ...) are tables of keys.
 * A message never copies raw control bytes from the file (jg_ld_show).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "policy/internal.h"

/* ---- messages ---------------------------------------------------------- */

__attribute__((format(printf, 3, 0)))
static int vfail(struct jg_ld *ld, int line, const char *fmt, va_list ap)
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

int jg_ld_fail(struct jg_ld *ld, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ld, jg_ld_line(at), fmt, ap);
	va_end(ap);
	return -1;
}

int jg_ld_fail_line(struct jg_ld *ld, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(ld, line, fmt, ap);
	va_end(ap);
	return -1;
}

int jg_ld_nomem(struct jg_ld *ld, const yaml_node_t *at)
{
	if (ld->rc == JG_OK) {
		ld->where[0] = '\0';
		jg_ld_fail(ld, at, "out of memory");
		ld->rc = JG_ENOMEM;
	}
	return -1;
}

void jg_ld_where_set(struct jg_ld *ld, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ld->where, sizeof(ld->where), fmt, ap);
	va_end(ap);
}

/* Append to the subject; returns the length to cut back to afterwards. */
size_t jg_ld_where_add(struct jg_ld *ld, const char *fmt, ...)
{
	size_t len = strlen(ld->where);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->where + len, sizeof(ld->where) - len, fmt, ap);
	va_end(ap);
	return len;
}

/* s[0..len) made printable for a message: '?' for odd bytes, "..." if cut. */
const char *jg_ld_show_str(const char *s, size_t len,
                           char out[JG_LD_SHOW_MAX])
{
	size_t i, n = len < JG_LD_SHOW_MAX - 4 ? len : JG_LD_SHOW_MAX - 4;

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

const char *jg_ld_kind(const yaml_node_t *n)
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

const char *jg_ld_show(const yaml_node_t *n, char out[JG_LD_SHOW_MAX])
{
	if (n->type != YAML_SCALAR_NODE) {
		snprintf(out, JG_LD_SHOW_MAX, "%s", jg_ld_kind(n));
		return out;
	}
	return jg_ld_show_str(jg_ld_str(n), jg_ld_slen(n), out);
}

/* The value of key `key` in map n, or NULL (also when n is not a map). */
yaml_node_t *jg_ld_map_get(struct jg_ld *ld, yaml_node_t *n, const char *key)
{
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = jg_ld_node(ld, p->key);
		if (k->type == YAML_SCALAR_NODE && jg_ld_is(k, key))
			return jg_ld_node(ld, p->value);
	}
	return NULL;
}

int jg_ld_expect(struct jg_ld *ld, const yaml_node_t *n, yaml_node_type_t t,
                 const char *what)
{
	const char *want = t == YAML_MAPPING_NODE    ? "a map"
	                   : t == YAML_SEQUENCE_NODE ? "a list"
	                                             : "a single value";
	if (n->type == t)
		return 0;
	return jg_ld_fail(ld, n, "%s must be %s, not %s", what, want,
	                  jg_ld_kind(n));
}

/* ---- duplicates -------------------------------------------------------- */

static int ref_cmp(const void *a, const void *b)
{
	const struct jg_ld_ref *x = a, *y = b;
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
int jg_ld_refs_unique(struct jg_ld *ld, struct jg_ld_ref *refs, size_t n,
                      const char *what)
{
	size_t best = 0;
	char buf[JG_LD_SHOW_MAX];

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
	return jg_ld_fail_line(ld, refs[best].line,
	                       "duplicate %s '%s' (first at line %d)", what,
	                       jg_ld_show_str(refs[best].s, refs[best].len, buf),
	                       refs[best - 1].line);
}

/* The keys of map n, or the items of list n, must all differ. */
int jg_ld_nodes_unique(struct jg_ld *ld, yaml_node_t *n, const char *what)
{
	int is_map = n->type == YAML_MAPPING_NODE;
	size_t cnt = is_map ? jg_ld_map_len(n) : jg_ld_seq_len(n);
	struct jg_ld_ref *refs;
	int rc;

	if (cnt < 2)
		return 0;
	if (!(refs = calloc(cnt, sizeof(*refs))))
		return jg_ld_nomem(ld, n);
	for (size_t i = 0; i < cnt; i++) {
		int idx = is_map ? n->data.mapping.pairs.start[i].key
		                 : n->data.sequence.items.start[i];
		yaml_node_t *v = jg_ld_node(ld, idx);
		refs[i] = (struct jg_ld_ref){jg_ld_str(v), jg_ld_slen(v),
		                             jg_ld_line(v), i};
	}
	rc = jg_ld_refs_unique(ld, refs, cnt, what);
	free(refs);
	return rc;
}

/* Every key of map n is a single value, and no key appears twice. */
int jg_ld_map_keys_ok(struct jg_ld *ld, yaml_node_t *n, const char *what)
{
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++)
		if (jg_ld_expect(ld, jg_ld_node(ld, p->key), YAML_SCALAR_NODE,
		                 what))
			return -1;
	return jg_ld_nodes_unique(ld, n, what);
}

/* ---- maps driven by key tables ----------------------------------------- */

static size_t find_key(const struct jg_ld_key *spec, size_t nspec,
                       const yaml_node_t *k)
{
	size_t i = 0;
	while (i < nspec && !(spec[i].key && jg_ld_is(k, spec[i].key)))
		i++;
	return i;
}

static int unknown_key(struct jg_ld *ld, const yaml_node_t *k,
                       const struct jg_ld_key *spec, size_t nspec)
{
	char buf[JG_LD_SHOW_MAX], list[160] = "";
	size_t used = 0;

	for (size_t i = 0; i < nspec && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		                         i ? ", " : "", spec[i].key);
	return jg_ld_fail(ld, k, "unknown key '%s' (expected one of: %s)",
	                  jg_ld_show(k, buf), list);
}

/*
 * Check that n is a map whose keys are all in spec, none twice, and the
 * required ones present; then run the loaders in table order. found[i]
 * (if found) receives the value of spec[i] or NULL.
 */
int jg_ld_walk_map(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   const struct jg_ld_key *spec, size_t nspec, void *obj,
                   yaml_node_t *found[JG_LD_KEYS_MAX])
{
	yaml_node_t *local[JG_LD_KEYS_MAX];

	if (!found)
		found = local;
	memset(found, 0, JG_LD_KEYS_MAX * sizeof(*found));
	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, what) ||
	    jg_ld_map_keys_ok(ld, n, "key"))
		return -1;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = jg_ld_node(ld, p->key);
		size_t i = find_key(spec, nspec, k);
		if (i == nspec)
			return unknown_key(ld, k, spec, nspec);
		found[i] = jg_ld_node(ld, p->value);
	}
	for (size_t i = 0; i < nspec; i++) {
		if (!found[i] && spec[i].required)
			return jg_ld_fail(ld, n, "missing key '%s'", spec[i].key);
		if (found[i] && spec[i].load(ld, found[i], obj))
			return -1;
	}
	return 0;
}

/*
 * The subject grows only once n is known to be a map, so that "'match'
 * must be a map" names the rule, not the rule's match; it is cut back
 * only on success, since the first error's message is already written.
 */
int jg_ld_walk_under(struct jg_ld *ld, yaml_node_t *n, const char *what,
                     const char *subject, const struct jg_ld_key *spec,
                     size_t nspec, void *obj)
{
	size_t mark;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, what))
		return -1;
	mark = jg_ld_where_add(ld, "%s", subject);
	if (jg_ld_walk_map(ld, n, what, spec, nspec, obj, NULL))
		return -1;
	ld->where[mark] = '\0';
	return 0;
}

/* ---- nesting ----------------------------------------------------------- */

/*
 * libyaml builds a document in time that grows faster than the square of
 * its nesting (each new flow level rescans the open ones, before the
 * loader sees any of it): 20,000 '[' take seconds, 160,000 minutes, and
 * a policy replay or reload would spin that long. Its event parser, read
 * here one event at a time, reaches level N after N events, so counting
 * the levels stops a deep text at once; a real policy nests a handful.
 * The text is parsed twice, both times in linear time.
 */
int jg_ld_depth_ok(struct jg_ld *ld)
{
	yaml_parser_t ps;
	yaml_event_t ev;
	int depth = 0, rc = 0, done = 0;

	if (!yaml_parser_initialize(&ps))
		return 0; /* the loader reports it */
	yaml_parser_set_input_string(&ps, (const unsigned char *)ld->buf,
	                             ld->len);
	while (!done && yaml_parser_parse(&ps, &ev)) {
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth <= JG_POLICY_DEPTH_MAX)
				break;
			rc = jg_ld_fail_line(ld, (int)ev.start_mark.line + 1,
			                     "nesting deeper than %d levels",
			                     JG_POLICY_DEPTH_MAX);
			done = 1;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: depth--; break;
		case YAML_STREAM_END_EVENT: done = 1; break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&ps);
	return rc;
}
