/*
 * advice_change.c - the policy change of a suggestion, as an edit of the
 * policy's own text: one key of one rule's block, located from the line
 * the loader recorded for the rule (jg_rule.line). Editing the text, not
 * re-serialising the parsed policy, keeps the operator's comments and
 * layout, so the change reads as the small diff it is. Block-style rules
 * only (the style of the examples and docs); a flow-style rule
 * (`- {name: x, ...}`) is not edited, and its suggestion says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insight/advice.h"

struct lines {
	const char **at; /* owned array of borrowed pointers into the text */
	size_t *len;     /* owned; each line's length without its newline */
	size_t n;
};

static int lines_split(const char *t, size_t len, struct lines *l)
{
	size_t cap = 1;

	for (size_t i = 0; i < len; i++)
		cap += t[i] == '\n';
	l->at = calloc(cap, sizeof(*l->at));
	l->len = calloc(cap, sizeof(*l->len));
	l->n = 0;
	if (!l->at || !l->len)
		return -1;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - t) : len;
		l->at[l->n] = t + i;
		l->len[l->n++] = end - i;
		i = end + 1;
	}
	return 0;
}

static void lines_free(struct lines *l)
{
	free(l->at);
	free(l->len);
}

static size_t indent_of(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == ' ')
		i++;
	return i;
}

/* Blank or a comment: belongs to no key. */
static int is_blank(const char *s, size_t n)
{
	size_t i = indent_of(s, n);

	return i == n || s[i] == '#' || s[i] == '\r';
}

/* The key at column col of line s, if it is `key:`. */
static int key_at(const char *s, size_t n, size_t col, const char *key)
{
	size_t k = strlen(key);

	return col + k < n && memcmp(s + col, key, k) == 0 && s[col + k] == ':';
}

struct block {
	size_t first, end; /* lines [first, end) */
	size_t col;        /* the column of the rule's keys */
};

static int block_find(const struct lines *l, int rule_line, struct block *b)
{
	size_t i, L;

	if (rule_line < 1 || (size_t)rule_line > l->n)
		return -1;
	L = (size_t)rule_line - 1;
	i = indent_of(l->at[L], l->len[L]);
	if (i >= l->len[L] || l->at[L][i] != '-')
		return -1;
	i++;
	while (i < l->len[L] && l->at[L][i] == ' ')
		i++;
	if (i >= l->len[L] || l->at[L][i] == '{')
		return -1; /* flow style */
	b->first = L;
	b->col = i;
	for (b->end = L + 1; b->end < l->n; b->end++)
		if (!is_blank(l->at[b->end], l->len[b->end]) &&
		    indent_of(l->at[b->end], l->len[b->end]) < b->col)
			break;
	return 0;
}

/* The line of the block holding key, or b->end. */
static size_t key_line(const struct lines *l, const struct block *b,
                       const char *key)
{
	for (size_t i = b->first; i < b->end; i++) {
		if (i > b->first &&
		    indent_of(l->at[i], l->len[i]) != b->col)
			continue;
		if (key_at(l->at[i], l->len[i], b->col, key))
			return i;
	}
	return b->end;
}

/* The lines after k that hold the value of the key on line k. */
static size_t value_end(const struct lines *l, const struct block *b,
                        size_t k, const char *key)
{
	const char *s = l->at[k];
	size_t n = l->len[k], v = b->col + strlen(key) + 1, j;

	v += indent_of(s + v, n - v);
	if (v < n && s[v] != '#')
		return k + 1; /* the value is on the line */
	for (j = k + 1; j < b->end; j++) {
		size_t ind = indent_of(l->at[j], l->len[j]);
		if (is_blank(l->at[j], l->len[j]) || ind < b->col)
			break;
		if (ind == b->col && l->at[j][ind] != '-')
			break;
	}
	return j;
}

/* The scalar after `key:` on line k, without a comment, into old. */
static void old_value(const struct lines *l, size_t col, size_t k,
                      const char *key, char old[64])
{
	const char *s = l->at[k];
	size_t n = l->len[k], v = col + strlen(key) + 1, e;

	v += indent_of(s + v, n - v);
	for (e = v; e < n && s[e] != '#' && s[e] != '\r'; e++)
		;
	while (e > v && s[e - 1] == ' ')
		e--;
	snprintf(old, 64, "%.*s", (int)(e - v < 63 ? e - v : 63), s + v);
}

static void diff_line(json_t *diff, char sign, const char *s, size_t n)
{
	char *buf = malloc(n + 2); /* ours, freed here */

	if (!buf)
		return;
	buf[0] = sign;
	memcpy(buf + 1, s, n);
	buf[n + 1] = '\0';
	json_array_append_new(diff, json_string(buf));
	free(buf);
}

/* Lines [from, to) replaced by `new_line`, into the output text. */
static int rewrite(const char *text, size_t len, const struct lines *l,
                   size_t from, size_t to, const char *new_line,
                   char **out, size_t *out_len)
{
	size_t head = from < l->n ? (size_t)(l->at[from] - text) : len;
	size_t tail = to < l->n ? (size_t)(l->at[to] - text) : len;
	size_t nl = strlen(new_line);
	char *buf = malloc(len + nl + 3); /* the caller's */
	size_t at = head;

	if (!buf)
		return -1;
	memcpy(buf, text, head);
	if (head > 0 && text[head - 1] != '\n')
		buf[at++] = '\n'; /* a last line without its newline */
	memcpy(buf + at, new_line, nl);
	buf[at + nl] = '\n';
	memcpy(buf + at + nl + 1, text + tail, len - tail);
	*out_len = at + nl + 1 + (len - tail);
	buf[*out_len] = '\0';
	*out = buf;
	return 0;
}

int jg_advice_edit(const char *text, size_t len, int rule_line,
                   const char *key, const char *value, char **out,
                   size_t *out_len, char old[64], json_t **diff)
{
	struct lines l;
	struct block b;
	char line[256];
	size_t k, to;
	const char *put = key;
	int rc = -1;

	old[0] = '\0';
	*diff = NULL;
	if (lines_split(text, len, &l) || block_find(&l, rule_line, &b))
		goto done;
	k = key_line(&l, &b, key);
	if (strcmp(key, "decision") == 0 && k == b.end &&
	    (k = key_line(&l, &b, "steps")) != b.end)
		put = "steps";
	if (k == b.end) { /* not set in the rule: add it at the block's end */
		for (k = b.end; k > b.first && is_blank(l.at[k - 1],
		                                         l.len[k - 1]); k--)
			;
		to = k;
	} else {
		to = value_end(&l, &b, k, put);
		if (strcmp(put, "steps") == 0)
			snprintf(old, 64, "steps");
		else
			old_value(&l, b.col, k, key, old);
	}
	/* the rule's first line keeps its "- " */
	snprintf(line, sizeof(line), "%.*s%s: %s",
	         (int)(k == b.first ? b.col : 0), l.at[b.first], key, value);
	if (k != b.first)
		snprintf(line, sizeof(line), "%*s%s: %s", (int)b.col, "", key,
		         value);
	if (!(*diff = json_array()))
		goto done;
	json_array_append_new(*diff, json_sprintf("@@ line %zu @@", k + 1));
	for (size_t i = k; i < to; i++)
		diff_line(*diff, '-', l.at[i], l.len[i]);
	diff_line(*diff, '+', line, strlen(line));
	rc = rewrite(text, len, &l, k, to, line, out, out_len);
done:
	lines_free(&l);
	if (rc && *diff) {
		json_decref(*diff);
		*diff = NULL;
	}
	return rc;
}
