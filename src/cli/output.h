/*
 * output.h - how the CLI shows API objects: tables, "key: value" listings,
 * and the server's JSON for scripts (--json).
 *
 * Everything printed here comes from the server, so none of it reaches
 * the terminal without its hidden characters shown as markers: a
 * request's payload or reason must not be able to move the cursor,
 * retitle the window of the approver reading it, or reorder what the
 * approver reads with bidi controls (what they see is what runs).
 */
#ifndef JG_CLI_OUTPUT_H
#define JG_CLI_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Borrowed string member of o, or NULL (o NULL, missing, not a string). */
const char *jg_json_str(const json_t *o, const char *key);
/* Same, with "-" instead of NULL. */
const char *jg_json_strd(const json_t *o, const char *key);
/* Integer member of o, or dflt. */
long long jg_json_int(const json_t *o, const char *key, long long dflt);

/*
 * Copy s into buf (always NUL-terminated, cut to fit before a character
 * or marker) with every hidden character shown as "<U+202E>" and every
 * ill-formed UTF-8 byte as "<0xFF>" (util/visible.h: controls, bidi and
 * zero-width characters). With multiline, newlines and tabs are kept.
 * buf may be s itself.
 */
void jg_out_clean(const char *s, char *buf, size_t len, int multiline);

/* The same into a new string that always holds all of s; NULL when out
 * of memory. The caller frees it. */
char *jg_out_clean_dup(const char *s, int multiline);

/* Print v compactly on one line of stdout. JG_EXIT_OK or JG_EXIT_ERR. */
int jg_out_json(const json_t *v);

/*
 * A table column: the title and either the member shown (`key`) or a
 * function writing the cell into buf. A NULL title ends a column list.
 */
struct jg_col {
	const char *title;
	const char *key;
	void (*fmt)(const json_t *item, char *buf, size_t len);
};

/* Print the array `items` as a table with a header line, on stdout. */
void jg_out_table(const json_t *items, const struct jg_col *cols);

/*
 * Print one page answer {"items":[…],"next_cursor":…}: the items as a
 * table, or with json the items array on one line; a following page is
 * announced on stderr. JG_EXIT_OK, or JG_EXIT_ERR on a malformed page.
 */
int jg_out_page(const json_t *page, const struct jg_col *cols, int json);

/*
 * Print every member of obj as "key: value", aligned; arrays of strings
 * joined with ", "; then "context" member by member, the "screening"
 * checks, "steps" and "reviews" one per line, and "payload" last and in
 * full.
 */
void jg_out_fields(const json_t *obj);

/* The value of one member as text ("-" for null), cleaned, into buf. */
void jg_out_value(const json_t *v, char *buf, size_t len);

#endif
