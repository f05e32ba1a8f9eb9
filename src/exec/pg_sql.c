/*
 * pg_sql.c - what the postgres connector refuses to run, decided when a
 * request is made (and again before each run): statements that would end
 * or split the connector's own transaction, and COPY, which streams data
 * over the connection instead of answering a query.
 *
 * The payload is split into statements the way PostgreSQL's lexer
 * (scan.l) would split it: ';' ends a statement except inside a string
 * literal ('...', or E'...' with backslash escapes), a quoted identifier
 * ("..."), a dollar-quoted body ($tag$...$tag$) or a comment (-- to the
 * end of the line, nested slash-star blocks). Only the first words of each
 * statement are looked at. The run sets standard_conforming_strings on,
 * so a plain '...' holds no backslash escape there either.
 *
 * This file must never let through a statement the server would read as
 * transaction control or COPY. When in doubt it refuses: a function body
 * written as BEGIN ATOMIC ... END is split at its ';' and refused for its
 * END (a dollar-quoted body is fine). DO blocks and CALL are fine: inside
 * the connector's transaction block PostgreSQL refuses their COMMIT. So
 * is SET TRANSACTION: it changes the transaction, it cannot end it.
 */
#include <stdio.h>
#include <string.h>

#include "exec/internal.h"

#define WORD_MAX 16 /* longer words are no keyword this file looks for */

/* One statement being read: its first two words, upper-cased. */
struct stmt {
	int tokens;
	char first[WORD_MAX];
	char second[WORD_MAX];
};

/* What is refused: a first word, and a second one when it matters. */
static const struct {
	const char *first;
	const char *second; /* NULL: any */
	int copy;           /* 1: COPY, 0: transaction control */
} refused[] = {
	{"BEGIN", NULL, 0},     {"START", NULL, 0},   {"COMMIT", NULL, 0},
	{"END", NULL, 0},       {"ROLLBACK", NULL, 0}, {"ABORT", NULL, 0},
	{"SAVEPOINT", NULL, 0}, {"RELEASE", NULL, 0},
	{"PREPARE", "TRANSACTION", 0}, /* PREPARE name AS ... is fine */
	{"COPY", NULL, 1},
};

/* PostgreSQL's ident_start and ident_cont, bytes past 0x7f included. */
static int ident_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       c >= 0x80;
}

static int digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int ident_cont(unsigned char c)
{
	return ident_start(c) || digit(c) || c == '$';
}

/* Past the literal or identifier opened by the quote at p. */
static const char *skip_quoted(const char *p, char quote, int backslash)
{
	for (p++; *p; p++) {
		if (backslash && *p == '\\' && p[1])
			p++;
		else if (*p == quote && p[1] == quote)
			p++; /* a doubled quote stands for itself */
		else if (*p == quote)
			return p + 1;
	}
	return p;
}

/* Past the block comment at p; they nest. */
static const char *skip_comment(const char *p)
{
	int depth = 0;

	while (*p) {
		if (p[0] == '/' && p[1] == '*') {
			depth++;
			p += 2;
		} else if (p[0] == '*' && p[1] == '/') {
			p += 2;
			if (!--depth)
				return p;
		} else {
			p++;
		}
	}
	return p;
}

/* Length of the dollar-quote delimiter ($$ or $tag$) at p, or 0. */
static size_t dollar_tag(const char *p)
{
	size_t n = 1;

	if (p[1] != '$' && !ident_start((unsigned char)p[1]))
		return 0;
	while (p[n] != '$') {
		if (!ident_start((unsigned char)p[n]) &&
		    !digit((unsigned char)p[n]))
			return 0;
		n++;
	}
	return n + 1;
}

/* Past the dollar-quoted body opened by the n-byte delimiter at p. */
static const char *skip_dollar(const char *p, size_t n)
{
	for (const char *q = p + n; (q = strchr(q, '$')); q++)
		if (!strncmp(q, p, n))
			return q + n;
	return p + strlen(p);
}

/* Past a number (digits, a fraction, an exponent with its digits). */
static const char *skip_number(const char *p)
{
	while (digit((unsigned char)*p) || *p == '.')
		p++;
	if ((*p == 'e' || *p == 'E') &&
	    (digit((unsigned char)p[1]) ||
	     ((p[1] == '+' || p[1] == '-') && digit((unsigned char)p[2]))))
		for (p += 2; digit((unsigned char)*p); p++)
			;
	return p;
}

/* The word at p (n bytes) as one of the statement's first two. */
static void add_word(struct stmt *st, const char *p, size_t n)
{
	char *to = st->tokens == 0 ? st->first
	           : st->tokens == 1 && st->first[0] ? st->second : NULL;

	if (!to || n >= WORD_MAX)
		return;
	for (size_t i = 0; i < n; i++)
		to[i] = p[i] >= 'a' && p[i] <= 'z' ? (char)(p[i] - 'a' + 'A')
		                                   : p[i];
	to[n] = '\0';
}

/* Past the token at p (never a space, comment or ';'). */
static const char *token(struct stmt *st, const char *p)
{
	const char *q = p;
	size_t n;

	if (*p == '\'')
		q = skip_quoted(p, '\'', 0);
	else if (*p == '"')
		q = skip_quoted(p, '"', 0);
	else if (*p == '$' && (n = dollar_tag(p)))
		q = skip_dollar(p, n);
	else if (*p == '$' && digit((unsigned char)p[1]))
		for (q = p + 1; digit((unsigned char)*q); q++)
			; /* a parameter, $1 */
	else if (digit((unsigned char)*p) ||
	         (*p == '.' && digit((unsigned char)p[1])))
		q = skip_number(p);
	else if (ident_start((unsigned char)*p)) {
		while (ident_cont((unsigned char)*q))
			q++;
		/* E'...' (exactly one letter e) has backslash escapes */
		if (q - p == 1 && (*p == 'e' || *p == 'E') && *q == '\'')
			q = skip_quoted(q, '\'', 1);
		else
			add_word(st, p, (size_t)(q - p));
	} else {
		q = p + 1; /* an operator or punctuation byte */
	}
	st->tokens++;
	return q;
}

/* JG_EINVAL with why when statement number n is refused. */
static enum jg_err judge(const struct stmt *st, int n, char *why,
                         size_t whylen)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (strcmp(st->first, refused[i].first) ||
		    (refused[i].second && strcmp(st->second, refused[i].second)))
			continue;
		if (refused[i].copy)
			snprintf(why, whylen, "statement %d is COPY, which the "
			         "postgres connector refuses: it streams data over "
			         "the connection (use INSERT ... SELECT, or SELECT)",
			         n);
		else
			snprintf(why, whylen, "statement %d is %s%s%s, which the "
			         "postgres connector refuses: it runs the whole "
			         "payload in one transaction of its own, so "
			         "transaction control (BEGIN, COMMIT, ROLLBACK, "
			         "SAVEPOINT, ...) is not allowed in it", n,
			         st->first, refused[i].second ? " " : "",
			         refused[i].second ? refused[i].second : "");
		return JG_EINVAL;
	}
	return JG_OK;
}

enum jg_err jg_pg_sql_check(const char *sql, char *why, size_t whylen)
{
	struct stmt st = {0};
	const char *p = sql;
	int n = 0;

	for (;;) {
		if (!*p || *p == ';') {
			if (st.tokens && judge(&st, ++n, why, whylen) != JG_OK)
				return JG_EINVAL;
			if (!*p)
				return JG_OK;
			memset(&st, 0, sizeof(st));
			p++;
		} else if (strchr(" \t\n\r\f\v", *p)) {
			p++;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			p = skip_comment(p);
		} else {
			p = token(&st, p);
		}
	}
}
