/*
 * config.c - the connectors file (YAML, libyaml) to struct jg_connectors,
 * with "FILE:LINE: message" errors.
 *
 *     version: 1
 *     resources:
 *       RESOURCE:
 *         type: command | postgres | http
 *         actions: [ACTION, ...]    # optional: the actions it runs
 *         timeout: 30s              # optional
 *         output_limit: 64KiB       # optional
 *         ...                       # the kind's own keys
 *
 * Like the policy loader, it never hands out half a file: any error frees
 * everything read so far (wiping secrets) and returns nothing. Secrets are
 * read here, once, from the files and environment variables the file
 * names; a message may name such a file or variable but never quotes what
 * it holds, and never quotes raw control bytes from the file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/internal.h"
#include "util/timefmt.h"

#define SHOW_MAX 64
#define SECRET_MAX (64 * 1024)

struct jg_connectors {
	struct jg_connector *items; /* owned */
	size_t n;
};

static const struct jg_connector_ops *const kinds[] = {
	&jg_command_ops, &jg_pg_ops, &jg_http_ops, &jg_pgcred_ops,
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- messages ---- */

static int line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 1;
}

int jg_cfg_fail(struct jg_cfg *c, const yaml_node_t *at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->rc != JG_OK)
		return -1;
	c->rc = JG_EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%d: %s%s%s", c->name,
		         line_of(at), c->where, c->where[0] ? ": " : "", msg);
	return -1;
}

int jg_cfg_nomem(struct jg_cfg *c, const yaml_node_t *at)
{
	jg_cfg_fail(c, at, "out of memory");
	c->rc = JG_ENOMEM;
	return -1;
}

/* A scalar made printable for a message: '?' for odd bytes, cut. */
static const char *show(const yaml_node_t *n, char out[SHOW_MAX])
{
	const char *s = n->type == YAML_SCALAR_NODE
	                        ? (const char *)n->data.scalar.value
	                        : "(not a single value)";
	size_t len = n->type == YAML_SCALAR_NODE ? n->data.scalar.length
	                                         : strlen(s);
	size_t i, max = len < SHOW_MAX - 4 ? len : SHOW_MAX - 4;

	for (i = 0; i < max; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? s[i]
		                                                     : '?';
	if (max < len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* ---- nodes ---- */

yaml_node_t *jg_cfg_node(struct jg_cfg *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

static int scalar(struct jg_cfg *c, yaml_node_t *n, const char *what)
{
	if (n->type == YAML_SCALAR_NODE)
		return 0;
	return jg_cfg_fail(c, n, "%s must be a single value", what);
}

static int is(const yaml_node_t *n, const char *s)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       memcmp(n->data.scalar.value, s, strlen(s)) == 0;
}

int jg_cfg_str(struct jg_cfg *c, yaml_node_t *n, const char *what,
               int allow_empty, char **out)
{
	size_t len;

	if (scalar(c, n, what))
		return -1;
	len = n->data.scalar.length;
	if (memchr(n->data.scalar.value, '\0', len))
		return jg_cfg_fail(c, n, "%s holds a NUL byte", what);
	if (!len && !allow_empty)
		return jg_cfg_fail(c, n, "%s must not be empty", what);
	if (!(*out = strndup((const char *)n->data.scalar.value, len)))
		return jg_cfg_nomem(c, n);
	return 0;
}

int jg_cfg_path(struct jg_cfg *c, yaml_node_t *n, const char *what,
                char **out)
{
	char buf[SHOW_MAX];

	if (jg_cfg_str(c, n, what, 0, out))
		return -1;
	if ((*out)[0] != '/') {
		free(*out);
		*out = NULL;
		return jg_cfg_fail(c, n, "%s '%s' must be an absolute path", what,
		                   show(n, buf));
	}
	return 0;
}

void jg_cfg_strs_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int jg_cfg_strs(struct jg_cfg *c, yaml_node_t *n, const char *what,
                char ***out, size_t *count)
{
	size_t cnt;

	if (n->type == YAML_SCALAR_NODE)
		cnt = 1;
	else if (n->type == YAML_SEQUENCE_NODE)
		cnt = (size_t)(n->data.sequence.items.top -
		               n->data.sequence.items.start);
	else
		return jg_cfg_fail(c, n, "%s must be a list", what);
	if (!(*out = calloc(cnt ? cnt : 1, sizeof(**out))))
		return jg_cfg_nomem(c, n);
	*count = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item = n->type == YAML_SCALAR_NODE
		        ? n
		        : jg_cfg_node(c, n->data.sequence.items.start[i]);
		if (jg_cfg_str(c, item, what, 1, &(*out)[i]))
			return -1;
	}
	return 0;
}

int jg_cfg_duration(struct jg_cfg *c, yaml_node_t *n, const char *what,
                    int64_t max, int64_t *out)
{
	char buf[SHOW_MAX], *s;
	int rc = 0;

	if (jg_cfg_str(c, n, what, 0, &s))
		return -1;
	if (jg_duration_parse(s, out) != JG_OK || *out > max)
		rc = jg_cfg_fail(c, n, "%s '%s' must be a duration from 1s to "
		                 "%llds (e.g. 30s, 5m)", what, show(n, buf),
		                 (long long)max);
	free(s);
	return rc;
}

int jg_cfg_int(struct jg_cfg *c, yaml_node_t *n, const char *what, long lo,
               long hi, long *out)
{
	char buf[SHOW_MAX], *s, *end;
	int rc = 0;

	if (jg_cfg_str(c, n, what, 0, &s))
		return -1;
	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *end || *out < lo || *out > hi)
		rc = jg_cfg_fail(c, n, "%s '%s' must be a number from %ld to %ld",
		                 what, show(n, buf), lo, hi);
	free(s);
	return rc;
}

/* An output size: bytes, or a number with KiB or MiB. */
static int size_value(struct jg_cfg *c, yaml_node_t *n, const char *what,
                      size_t *out)
{
	char buf[SHOW_MAX], *s, *end;
	unsigned long long v;
	int rc = 0;

	if (jg_cfg_str(c, n, what, 0, &s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!strcmp(end, "KiB") || !strcmp(end, "MiB")) {
		v *= *end == 'K' ? 1024 : 1024 * 1024;
		end += 3;
	}
	if (errno || end == s || *end || v < 1 || v > JG_EXEC_OUTPUT_MAX)
		rc = jg_cfg_fail(c, n, "%s '%s' must be a size from 1 to 1MiB "
		                 "(e.g. 65536, 64KiB)", what, show(n, buf));
	*out = (size_t)v;
	free(s);
	return rc;
}

/* ---- templates ---- */

static int add_slot(const char *name, size_t len, void *ctx)
{
	struct jg_cfg *c = ctx;
	struct jg_connector *k = c->cur;
	char key[JG_NAME_MAX];

	snprintf(key, sizeof(key), "%.*s", (int)len, name);
	if (!strcmp(key, "payload")) {
		k->uses_payload = 1;
		return 0;
	}
	if (!jg_param_name_valid(key))
		return 0; /* request_id, requester, resource, action */
	for (size_t i = 0; i < k->nslots; i++)
		if (!strcmp(k->slots[i], key))
			return 0;
	if (k->nslots == JG_EXEC_SLOTS_MAX)
		return -1;
	if (!(k->slots[k->nslots] = strdup(key)))
		return -1;
	k->nslots++;
	return 0;
}

int jg_cfg_template(struct jg_cfg *c, yaml_node_t *n, const char *what,
                    char **out)
{
	if (jg_cfg_str(c, n, what, 1, out))
		return -1;
	if (jg_template_slots(*out, add_slot, c))
		return jg_cfg_fail(c, n, "%s: more than %d params, or out of "
		                   "memory", what, JG_EXEC_SLOTS_MAX);
	return 0;
}

/* ---- secrets ---- */

void jg_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int jg_cfg_remember(struct jg_cfg *c, yaml_node_t *n, const char *s)
{
	struct jg_connector *k = c->cur;

	if (k->nsecrets == JG_EXEC_SECRETS_MAX)
		return jg_cfg_fail(c, n, "more than %d secrets on one connector",
		                   JG_EXEC_SECRETS_MAX);
	if (!(k->secrets[k->nsecrets] = strdup(s)))
		return jg_cfg_nomem(c, n);
	k->nsecrets++;
	return 0;
}

/* Cut trailing newlines; refuse an empty or NUL-holding value. */
static int secret_value(struct jg_cfg *c, yaml_node_t *n, const char *what,
                        const char *from, char *v, size_t len, char **out)
{
	while (len && (v[len - 1] == '\n' || v[len - 1] == '\r'))
		v[--len] = '\0';
	if (!len || memchr(v, '\0', len)) {
		explicit_bzero(v, len);
		free(v);
		return jg_cfg_fail(c, n, "%s: %s is empty or holds a NUL byte",
		                   what, from);
	}
	*out = v;
	return jg_cfg_remember(c, n, v);
}

int jg_cfg_secret_file(struct jg_cfg *c, yaml_node_t *n, const char *what,
                       char **out)
{
	char *path, *v = NULL, from[300];
	size_t len = 0;
	FILE *f;
	int err;

	if (jg_cfg_path(c, n, what, &path))
		return -1;
	snprintf(from, sizeof(from), "file %.256s", path);
	if (!(f = fopen(path, "rb"))) {
		err = errno;
		free(path);
		return jg_cfg_fail(c, n, "%s: cannot read %s: %s", what, from,
		                   strerror(err));
	}
	free(path);
	if ((v = malloc(SECRET_MAX + 1)))
		len = fread(v, 1, SECRET_MAX, f);
	err = ferror(f);
	fclose(f);
	if (!v)
		return jg_cfg_nomem(c, n);
	v[len] = '\0';
	if (err || len == SECRET_MAX) {
		explicit_bzero(v, len);
		free(v);
		return jg_cfg_fail(c, n, "%s: %s cannot be read or is larger "
		                   "than %d bytes", what, from, SECRET_MAX - 1);
	}
	return secret_value(c, n, what, from, v, len, out);
}

int jg_cfg_secret_env(struct jg_cfg *c, yaml_node_t *n, const char *what,
                      char **out)
{
	char *name, *v, from[96], buf[SHOW_MAX];
	const char *value;

	if (jg_cfg_str(c, n, what, 0, &name))
		return -1;
	snprintf(from, sizeof(from), "environment variable %s",
	         show(n, buf));
	value = getenv(name);
	free(name);
	if (!value || !*value)
		return jg_cfg_fail(c, n, "%s: %s is not set", what, from);
	if (!(v = strdup(value)))
		return jg_cfg_nomem(c, n);
	return secret_value(c, n, what, from, v, strlen(v), out);
}

int jg_cfg_secret(struct jg_cfg *c, yaml_node_t *n, const char *what,
                  char **out)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (n->type != YAML_MAPPING_NODE ||
	    n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
		return jg_cfg_fail(c, n, "%s must be {file: PATH} or {env: NAME}",
		                   what);
	p = n->data.mapping.pairs.start;
	k = jg_cfg_node(c, p->key);
	if (is(k, "file"))
		return jg_cfg_secret_file(c, jg_cfg_node(c, p->value), what, out);
	if (is(k, "env"))
		return jg_cfg_secret_env(c, jg_cfg_node(c, p->value), what, out);
	return jg_cfg_fail(c, k, "%s must be {file: PATH} or {env: NAME}",
	                   what);
}

int jg_cfg_pairs(struct jg_cfg *c, yaml_node_t *n, const char *what,
                 size_t max, jg_cfg_pair_fn each, void *conf)
{
	if (n->type != YAML_MAPPING_NODE)
		return jg_cfg_fail(c, n, "%s must be a map", what);
	if ((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) >
	    max)
		return jg_cfg_fail(c, n, "%s has more than %zu entries", what,
		                   max);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = jg_cfg_node(c, p->key);
		if (scalar(c, k, "a key") ||
		    each(c, k, jg_cfg_node(c, p->value), conf))
			return -1;
	}
	return 0;
}

/* ---- one connector ---- */

static void connector_free(struct jg_connector *k)
{
	if (k->ops && k->conf)
		k->ops->free_conf(k->conf);
	free(k->conf);
	free(k->resource);
	jg_cfg_strs_free(k->actions, k->nactions);
	for (size_t i = 0; i < k->nsecrets; i++)
		jg_secret_free(k->secrets[i]);
	for (size_t i = 0; i < k->nslots; i++)
		free(k->slots[i]);
	memset(k, 0, sizeof(*k));
}

static int common_key(struct jg_cfg *c, struct jg_connector *k,
                      yaml_node_t *key, yaml_node_t *v)
{
	if (is(key, "type"))
		return 0; /* read first, by load_one */
	if (is(key, "actions"))
		return jg_cfg_strs(c, v, "actions", &k->actions, &k->nactions);
	if (is(key, "timeout"))
		return jg_cfg_duration(c, v, "timeout", JG_EXEC_TIMEOUT_MAX,
		                       &k->timeout);
	if (is(key, "output_limit"))
		return size_value(c, v, "output_limit", &k->output_limit);
	return 1; /* not a common key */
}

static int unknown_key(struct jg_cfg *c, const struct jg_connector *k,
                       yaml_node_t *key)
{
	char list[400], buf[SHOW_MAX];
	size_t used = snprintf(list, sizeof(list), "type, actions, timeout, "
	                       "output_limit");

	/* the server has dropped to its --user before any connector runs:
	 * a user of their own would need root, which it no longer has */
	if (is(key, "user"))
		return jg_cfg_fail(c, key, "'user' is not supported: every "
		                   "connector runs as the server's user "
		                   "(serve --user)");
	for (size_t i = 0; i < k->ops->nkeys && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
		                         ", %s", k->ops->keys[i].key);
	return jg_cfg_fail(c, key, "unknown key '%s' for a %s connector "
	                   "(expected one of: %s)", show(key, buf),
	                   k->ops->kind, list);
}

/* The kind's key, or -1 after a message; found[i] marks it seen. */
static int kind_key(struct jg_cfg *c, struct jg_connector *k,
                    yaml_node_t *key, yaml_node_t *v, int *found)
{
	for (size_t i = 0; i < k->ops->nkeys; i++) {
		if (!is(key, k->ops->keys[i].key))
			continue;
		found[i] = 1;
		return k->ops->keys[i].load(c, v, k->conf);
	}
	return unknown_key(c, k, key);
}

static int load_keys(struct jg_cfg *c, yaml_node_t *n, struct jg_connector *k)
{
	int found[32] = {0};

	if (k->ops->nkeys > 32)
		return jg_cfg_fail(c, n, "internal: too many keys");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *key = jg_cfg_node(c, p->key);
		int rc = common_key(c, k, key, jg_cfg_node(c, p->value));
		if (rc == 1)
			rc = kind_key(c, k, key, jg_cfg_node(c, p->value), found);
		if (rc)
			return -1;
	}
	for (size_t i = 0; i < k->ops->nkeys; i++)
		if (k->ops->keys[i].required && !found[i])
			return jg_cfg_fail(c, n, "missing key '%s' for a %s "
			                   "connector", k->ops->keys[i].key,
			                   k->ops->kind);
	return k->ops->check ? k->ops->check(c, n, k) : 0;
}

/* No key twice: YAML allows it, and the second would win silently. */
static int keys_unique(struct jg_cfg *c, yaml_node_t *n)
{
	char buf[SHOW_MAX];

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *a = jg_cfg_node(c, p->key);
		if (scalar(c, a, "a key"))
			return -1;
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p;
		     q++) {
			yaml_node_t *b = jg_cfg_node(c, q->key);
			if (b->data.scalar.length == a->data.scalar.length &&
			    !memcmp(b->data.scalar.value, a->data.scalar.value,
			            a->data.scalar.length))
				return jg_cfg_fail(c, a, "key '%s' appears twice",
				                   show(a, buf));
		}
	}
	return 0;
}

static const struct jg_connector_ops *find_kind(struct jg_cfg *c,
                                                yaml_node_t *n)
{
	yaml_node_t *type = NULL;
	char buf[SHOW_MAX];

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++)
		if (is(jg_cfg_node(c, p->key), "type"))
			type = jg_cfg_node(c, p->value);
	if (!type) {
		jg_cfg_fail(c, n, "missing key 'type' (command, postgres or "
		            "http)");
		return NULL;
	}
	for (size_t i = 0; i < NKINDS; i++)
		if (is(type, kinds[i]->kind))
			return kinds[i];
	jg_cfg_fail(c, type, "type '%s' is not one of command, postgres, http",
	            show(type, buf));
	return NULL;
}

/* Longest secret first, so that one holding another masks whole. */
static int by_length_desc(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);
	return la < lb ? 1 : la > lb ? -1 : 0;
}

static int load_one(struct jg_cfg *c, yaml_node_t *key, yaml_node_t *n,
                    struct jg_connector *k)
{
	char buf[SHOW_MAX];

	if (jg_cfg_str(c, key, "a resource name", 0, &k->resource))
		return -1;
	if (!jg_name_valid(k->resource, 0))
		return jg_cfg_fail(c, key, "resource '%s' is not a valid name",
		                   show(key, buf));
	snprintf(c->where, sizeof(c->where), "resource '%s'", k->resource);
	c->cur = k;
	k->line = line_of(key);
	k->timeout = JG_EXEC_TIMEOUT_DEFAULT;
	k->output_limit = JG_EXEC_OUTPUT_DEFAULT;
	if (n->type != YAML_MAPPING_NODE)
		return jg_cfg_fail(c, n, "the connector must be a map");
	if (keys_unique(c, n) || !(k->ops = find_kind(c, n)))
		return -1;
	if (!(k->conf = calloc(1, k->ops->conf_size)))
		return jg_cfg_nomem(c, n);
	if (load_keys(c, n, k))
		return -1;
	for (size_t i = 0; i < k->nactions; i++)
		if (!jg_name_valid(k->actions[i], 0))
			return jg_cfg_fail(c, n, "action '%.60s' is not a valid "
			                   "name", k->actions[i]);
	qsort(k->secrets, k->nsecrets, sizeof(k->secrets[0]), by_length_desc);
	c->where[0] = '\0';
	return 0;
}

static int load_resources(struct jg_cfg *c, yaml_node_t *n,
                          struct jg_connectors *out)
{
	size_t cnt;

	if (n->type != YAML_MAPPING_NODE)
		return jg_cfg_fail(c, n, "'resources' must be a map of "
		                   "resource names to connectors");
	if (keys_unique(c, n))
		return -1;
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (!(out->items = calloc(cnt ? cnt : 1, sizeof(*out->items))))
		return jg_cfg_nomem(c, n);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		out->n = i + 1;
		if (load_one(c, jg_cfg_node(c, p->key), jg_cfg_node(c, p->value),
		             &out->items[i]))
			return -1;
	}
	return 0;
}

static int load_root(struct jg_cfg *c, yaml_node_t *root,
                     struct jg_connectors *out)
{
	yaml_node_t *version = NULL, *resources = NULL;
	char buf[SHOW_MAX];

	if (!root || root->type != YAML_MAPPING_NODE)
		return jg_cfg_fail(c, root, "the file must be a map starting with "
		                   "'version: 1'");
	if (keys_unique(c, root))
		return -1;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = jg_cfg_node(c, p->key);
		if (is(k, "version"))
			version = jg_cfg_node(c, p->value);
		else if (is(k, "resources"))
			resources = jg_cfg_node(c, p->value);
		else
			return jg_cfg_fail(c, k, "unknown key '%s' (expected "
			                   "version, resources)", show(k, buf));
	}
	if (!version || !is(version, "1"))
		return jg_cfg_fail(c, version ? version : root,
		                   "version must be 1");
	return resources ? load_resources(c, resources, out) : 0;
}

/* ---- entry points ---- */

void jg_connectors_free(struct jg_connectors *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->n; i++)
		connector_free(&cs->items[i]);
	free(cs->items);
	free(cs);
}

static void parser_fail(struct jg_cfg *c, const yaml_parser_t *ps)
{
	yaml_node_t at = {.start_mark = ps->problem_mark};

	if (ps->error == YAML_MEMORY_ERROR) {
		jg_cfg_nomem(c, NULL);
		return;
	}
	jg_cfg_fail(c, &at, "invalid YAML: %s%s%s%s",
	            ps->problem ? ps->problem : "cannot parse",
	            ps->context ? " (" : "", ps->context ? ps->context : "",
	            ps->context ? ")" : "");
}

/* Resources named twice were refused by keys_unique; parse the doc. */
static void build(struct jg_cfg *c, yaml_parser_t *ps,
                  struct jg_connectors **out)
{
	struct jg_connectors *cs = calloc(1, sizeof(*cs));
	yaml_document_t extra;

	if (!cs) {
		jg_cfg_nomem(c, NULL);
		return;
	}
	load_root(c, yaml_document_get_root_node(c->doc), cs);
	if (c->rc == JG_OK && !yaml_parser_load(ps, &extra)) {
		parser_fail(c, ps);
	} else if (c->rc == JG_OK) {
		if (yaml_document_get_root_node(&extra))
			jg_cfg_fail(c, yaml_document_get_root_node(&extra),
			            "a second YAML document");
		yaml_document_delete(&extra);
	}
	if (c->rc != JG_OK) {
		jg_connectors_free(cs);
		return;
	}
	*out = cs;
}

enum jg_err jg_connectors_parse(const char *name, const char *text,
                                size_t len, struct jg_connectors **out,
                                char *err, size_t errlen)
{
	struct jg_cfg c = {.name = name, .rc = JG_OK, .err = err,
	                   .errlen = errlen};
	yaml_parser_t ps;
	yaml_document_t doc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > JG_CONNECTORS_FILE_MAX) {
		jg_cfg_fail(&c, NULL, "larger than %d bytes",
		            JG_CONNECTORS_FILE_MAX);
		return JG_ETOOBIG;
	}
	if (!yaml_parser_initialize(&ps)) {
		jg_cfg_nomem(&c, NULL);
		return c.rc;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)text, len);
	if (!yaml_parser_load(&ps, &doc)) {
		parser_fail(&c, &ps);
	} else {
		c.doc = &doc;
		build(&c, &ps, out);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&ps);
	return c.rc;
}

enum jg_err jg_connectors_load(const char *path, struct jg_connectors **out,
                               char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len = 0;
	enum jg_err rc;
	int bad;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "%s:1: cannot open: %s", path,
		         strerror(errno));
		return JG_ENOTFOUND;
	}
	if ((buf = malloc(JG_CONNECTORS_FILE_MAX + 1)))
		len = fread(buf, 1, JG_CONNECTORS_FILE_MAX + 1, f);
	bad = ferror(f);
	fclose(f);
	if (!buf || bad) {
		free(buf);
		snprintf(err, errlen, "%s:1: cannot read", path);
		return buf ? JG_ENOTFOUND : JG_ENOMEM;
	}
	rc = jg_connectors_parse(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

size_t jg_connectors_count(const struct jg_connectors *cs)
{
	return cs ? cs->n : 0;
}

const char *jg_connectors_resource(const struct jg_connectors *cs, size_t i)
{
	return cs && i < cs->n ? cs->items[i].resource : NULL;
}

const struct jg_connector *jg_connector_find(const struct jg_connectors *cs,
                                             const char *resource,
                                             const char *action)
{
	for (size_t i = 0; cs && i < cs->n; i++) {
		const struct jg_connector *k = &cs->items[i];
		if (strcmp(k->resource, resource) != 0)
			continue;
		if (!k->actions)
			return k;
		for (size_t a = 0; a < k->nactions; a++)
			if (!strcmp(k->actions[a], action))
				return k;
		return NULL;
	}
	return NULL;
}
