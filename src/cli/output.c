/*
 * output.c - tables, "key: value" listings and --json output of the CLI.
 *
 * All text shown comes from the server and goes through jg_out_clean()
 * before it is printed: no escape sequence reaches the terminal, and every
 * hidden character (bidi controls, zero-width and control characters,
 * util/visible.h) shows as "<U+202E>". Cells are cut at CELL_SHOW
 * characters, never inside such a marker, so one long reason cannot wreck
 * a table; `show` prints values in full.
 *
 * Never prints a token: no API object but the answer of POST /v1/tokens
 * holds one, and only `token create` prints that.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "util/visible.h"

#define COLS_MAX 12
#define CELL_MAX 256  /* bytes of one table cell */
#define CELL_SHOW 48  /* characters of one table cell */
#define VALUE_MAX 8192 /* bytes of one value in `show` (payload apart) */

const char *jg_json_str(const json_t *o, const char *key)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *jg_json_strd(const json_t *o, const char *key)
{
	const char *s = jg_json_str(o, key);

	return s && *s ? s : "-";
}

long long jg_json_int(const json_t *o, const char *key, long long dflt)
{
	const json_t *v = o ? json_object_get(o, key) : NULL;

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

void jg_out_clean(const char *s, char *buf, size_t len, int multiline)
{
	unsigned flags = multiline ? JG_VIS_MULTILINE : 0;
	size_t n;
	char *copy;

	if (!len)
		return;
	s = s ? s : "";
	n = strlen(s);
	if (!(s + n < buf || buf + len <= s)) { /* buf may be s itself */
		if ((copy = strndup(s, n))) {
			jg_vis_render(copy, n, buf, len, flags);
			free(copy);
		} else {
			buf[0] = '\0'; /* show nothing rather than hide something */
		}
		return;
	}
	jg_vis_render(s, n, buf, len, flags);
}

char *jg_out_clean_dup(const char *s, int multiline)
{
	size_t n = strlen(s ? s : ""), len = n * JG_VIS_GROWTH + 1;
	char *buf = malloc(len);

	if (buf)
		jg_vis_render(s, n, buf, len, multiline ? JG_VIS_MULTILINE : 0);
	return buf;
}

int jg_out_json(const json_t *v)
{
	if (json_dumpf(v, stdout, JSON_COMPACT | JSON_ENCODE_ANY) != 0 ||
	    putchar('\n') == EOF)
		return jg_cli_fail("cannot write output");
	return JG_EXIT_OK;
}

/* Append s to buf at *o, keeping the NUL; stops when full. */
static void put(char *buf, size_t len, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + 1 >= len)
		return;
	if (n > len - *o - 1)
		n = len - *o - 1;
	memcpy(buf + *o, s, n);
	*o += n;
	buf[*o] = '\0';
}

static void join_strings(const json_t *arr, char *buf, size_t len)
{
	const json_t *v;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach (arr, i, v) {
		if (i)
			put(buf, len, &o, ", ");
		put(buf, len, &o, json_is_string(v) ? json_string_value(v) : "?");
	}
	if (!o)
		put(buf, len, &o, "-");
}

static int all_strings(const json_t *arr)
{
	const json_t *v;
	size_t i;

	json_array_foreach (arr, i, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

void jg_out_value(const json_t *v, char *buf, size_t len)
{
	char *text;

	if (!len)
		return;
	buf[0] = '\0';
	if (!v || json_is_null(v))
		snprintf(buf, len, "-");
	else if (json_is_string(v))
		snprintf(buf, len, "%s", *json_string_value(v) ? json_string_value(v) : "-");
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_array(v) && all_strings(v))
		join_strings(v, buf, len);
	else if ((text = json_dumps(v, JSON_COMPACT))) {
		snprintf(buf, len, "%s", text);
		free(text);
	}
}

/* Characters (not bytes) in a UTF-8 string. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* The cleaned, shortened text of one cell. */
static void cell(const json_t *item, const struct jg_col *col, char *buf,
                 size_t len)
{
	char raw[CELL_MAX];
	size_t o = 0, chars = 0;

	if (col->fmt)
		col->fmt(item, raw, sizeof(raw));
	else
		jg_out_value(json_object_get(item, col->key), raw, sizeof(raw));
	jg_out_clean(raw, buf, len, 0);
	if (width(buf) <= CELL_SHOW)
		return;
	while (buf[o] && chars < CELL_SHOW - 3) {
		o++;
		while (((unsigned char)buf[o] & 0xc0) == 0x80)
			o++;
		chars++;
	}
	/* never half a marker: "<U+20..." would not say which it was */
	const char *lt = memrchr(buf, '<', o);
	if (lt && !memchr(lt, '>', (size_t)(buf + o - lt)) &&
	    (!strncmp(lt, "<U+", 3) || !strncmp(lt, "<0x", 3)))
		o = (size_t)(lt - buf);
	buf[o] = '\0';
	put(buf, len, &o, "...");
}

static void print_row(const json_t *item, const struct jg_col *cols,
                      const size_t *w, size_t ncols)
{
	char buf[CELL_MAX];
	size_t i;

	for (i = 0; i < ncols; i++) {
		if (item)
			cell(item, &cols[i], buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s", cols[i].title);
		if (i + 1 == ncols)
			printf("%s\n", buf);
		else
			printf("%s%*s", buf, (int)(w[i] - width(buf) + 2), "");
	}
}

void jg_out_table(const json_t *items, const struct jg_col *cols)
{
	size_t w[COLS_MAX], ncols = 0, i, j;
	char buf[CELL_MAX];
	const json_t *item;

	while (ncols < COLS_MAX && cols[ncols].title) {
		w[ncols] = width(cols[ncols].title);
		ncols++;
	}
	json_array_foreach (items, i, item) {
		for (j = 0; j < ncols; j++) {
			cell(item, &cols[j], buf, sizeof(buf));
			if (width(buf) > w[j])
				w[j] = width(buf);
		}
	}
	print_row(NULL, cols, w, ncols);
	json_array_foreach (items, i, item)
		print_row(item, cols, w, ncols);
}

int jg_out_page(const json_t *page, const struct jg_col *cols, int json)
{
	const json_t *items = json_object_get(page, "items");
	const char *next = jg_json_str(page, "next_cursor");
	char clean[CELL_MAX];
	int rv = JG_EXIT_OK;

	if (!json_is_array(items))
		return jg_cli_fail("malformed answer from server: no items");
	if (json)
		rv = jg_out_json(items);
	else if (json_array_size(items))
		jg_out_table(items, cols);
	else
		fprintf(stderr, "nothing found\n");
	if (next && *next) {
		jg_out_clean(next, clean, sizeof(clean), 0);
		fprintf(stderr, "next page: --cursor %s\n", clean);
	}
	return rv;
}

/* Print text, indenting every line after the first by `indent` spaces. */
static void print_indented(const char *text, int indent)
{
	for (; *text; text++) {
		putchar(*text);
		if (*text == '\n' && text[1])
			printf("%*s", indent, "");
	}
	putchar('\n');
}

/* Print value v cleaned in full, lines after the first indented. */
static void print_value(const json_t *v, int indent)
{
	char raw[VALUE_MAX], *clean;

	jg_out_value(v, raw, sizeof(raw));
	if (!(clean = jg_out_clean_dup(raw, 1))) {
		printf("(out of memory)\n");
		return;
	}
	print_indented(clean, indent);
	free(clean);
}

static void print_step(size_t i, const json_t *s)
{
	char raw[CELL_MAX], who[CELL_MAX], group[CELL_MAX], status[CELL_MAX];

	join_strings(json_object_get(s, "approvals"), raw, sizeof(raw));
	jg_out_clean(raw, who, sizeof(who), 0);
	jg_out_clean(jg_json_strd(s, "group"), group, sizeof(group), 0);
	jg_out_clean(jg_json_strd(s, "status"), status, sizeof(status), 0);
	printf("  step %zu: %lld of %s, %s", i + 1, jg_json_int(s, "count", 0),
	       group, status);
	if (strcmp(who, "-"))
		printf(" (approved by %s)", who);
	putchar('\n');
}

static void print_review(const json_t *r)
{
	char buf[VALUE_MAX];

	jg_out_clean(jg_json_strd(r, "at"), buf, sizeof(buf), 0);
	printf("  %s  ", buf);
	jg_out_clean(jg_json_strd(r, "reviewer"), buf, sizeof(buf), 0);
	printf("%s ", buf);
	jg_out_clean(jg_json_strd(r, "verdict"), buf, sizeof(buf), 0);
	printf("%s at step %lld", buf, jg_json_int(r, "step", 0) + 1);
	if (jg_json_str(r, "comment")) {
		printf(": ");
		print_value(json_object_get(r, "comment"), 4);
	} else {
		putchar('\n');
	}
}

/* Members printed by their own code, after the plain ones. */
static int is_special(const char *key)
{
	return !strcmp(key, "steps") || !strcmp(key, "reviews") ||
	       !strcmp(key, "payload") || !strcmp(key, "context") ||
	       !strcmp(key, "screening") || !strcmp(key, "execution");
}

/* "  [flag] source: source 127.0.0.1 is not in 10.0.0.0/8" */
static void print_check(const json_t *c)
{
	char res[CELL_MAX], name[CELL_MAX], msg[VALUE_MAX];

	jg_out_clean(jg_json_strd(c, "result"), res, sizeof(res), 0);
	jg_out_clean(jg_json_strd(c, "name"), name, sizeof(name), 0);
	jg_out_clean(jg_json_strd(c, "message"), msg, sizeof(msg), 0);
	printf("  [%s] %s: %s\n", res, name, msg);
}

static void each_check(size_t i, const json_t *c)
{
	(void)i;
	print_check(c);
}

/* Members of an object, "key: value" indented; objects one level down. */
static void print_members(const json_t *obj, int indent)
{
	char name[CELL_MAX];
	const char *key;
	const json_t *v;

	json_object_foreach ((json_t *)obj, key, v) {
		jg_out_clean(key, name, sizeof(name), 0);
		if (json_is_object(v) && indent < 8) {
			printf("%*s%s:%s\n", indent, "", name,
			       json_object_size(v) ? "" : " -");
			print_members(v, indent + 2);
			continue;
		}
		printf("%*s%s: ", indent, "", name);
		print_value(v, indent + 2);
	}
}

/* What screening saw: source address, groups, the scanner's finding. */
static void print_context(const json_t *ctx)
{
	if (!json_is_object(ctx))
		return;
	printf("context:%s\n", json_object_size(ctx) ? "" : " -");
	print_members(ctx, 2);
}

static void print_list(const char *key, const json_t *arr,
                       void (*each)(size_t, const json_t *))
{
	const json_t *v;
	size_t i;

	if (!json_is_array(arr))
		return;
	printf("%s:%s\n", key, json_array_size(arr) ? "" : " -");
	json_array_foreach (arr, i, v)
		each(i, v);
}

static void each_review(size_t i, const json_t *r)
{
	(void)i;
	print_review(r);
}

static void print_payload(const json_t *p)
{
	char *buf;

	if (!json_is_string(p)) {
		printf("payload: -\n");
		return;
	}
	if (!(buf = jg_out_clean_dup(json_string_value(p), 1))) {
		printf("payload: (out of memory)\n");
		return;
	}
	printf("payload:\n  ");
	print_indented(buf, 2);
	free(buf);
}

/* A multi-line text member, cleaned, each line indented. */
static void print_text(const char *key, const json_t *t, int indent)
{
	char *buf;
	size_t n;

	if (!json_is_string(t)) {
		printf("%*s%s: -\n", indent, "", key);
		return;
	}
	if (!(buf = jg_out_clean_dup(json_string_value(t), 1))) {
		printf("%*s%s: (out of memory)\n", indent, "", key);
		return;
	}
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0'; /* print_indented ends the line */
	printf("%*s%s:\n%*s", indent, "", key, indent + 2, "");
	print_indented(buf, indent + 2);
	free(buf);
}

/* What the gateway ran: its fields, then its output in full. */
static void print_execution(const json_t *x)
{
	json_t *rest;

	if (!json_is_object(x)) {
		printf("execution: -\n");
		return;
	}
	printf("execution:\n");
	if ((rest = json_deep_copy(x))) {
		json_object_del(rest, "output");
		print_members(rest, 2);
		json_decref(rest);
	}
	print_text("output", json_object_get(x, "output"), 2);
}

void jg_out_fields(const json_t *obj)
{
	const char *key;
	const json_t *v;
	char name[CELL_MAX];
	int w = 0;

	json_object_foreach ((json_t *)obj, key, v)
		if (!is_special(key) && (int)strlen(key) > w)
			w = (int)strlen(key);
	json_object_foreach ((json_t *)obj, key, v) {
		if (is_special(key))
			continue;
		jg_out_clean(key, name, sizeof(name), 0);
		printf("%s:%*s ", name, w - (int)strlen(key), "");
		print_value(v, w + 2);
	}
	print_context(json_object_get(obj, "context"));
	print_list("screening", json_object_get(obj, "screening"), each_check);
	print_list("steps", json_object_get(obj, "steps"), print_step);
	print_list("reviews", json_object_get(obj, "reviews"), each_review);
	if (json_object_get(obj, "payload"))
		print_payload(json_object_get(obj, "payload"));
	if (json_object_get(obj, "execution"))
		print_execution(json_object_get(obj, "execution"));
}
