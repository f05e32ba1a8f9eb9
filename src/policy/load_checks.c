/*
 * load_checks.c - the `checks` of a rule: source networks, justification,
 * ticket, scanner severity, rate and hidden characters (the time check
 * is load_time.c).
 *
 * Each check is a map loaded under the subject "checks.NAME", and each
 * is prepared here for screening to stay pure: networks are parsed to
 * bytes, and ticket patterns are vetted and compiled as anchored POSIX
 * extended regexes. A pattern that could escape its anchors or make
 * regcomp take memory exponential in its length is refused, since the
 * policy may come from a reload or a replay.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "policy/internal.h"

#define CIDRS_MAX 1024      /* networks in one source check */
#define PATTERN_MAX 256     /* ticket pattern, bytes */
#define RATE_MAX 100000     /* requests counted in one rate window */

JG_LD_MODE_LOADER(source_mode, struct jg_source_check)
JG_LD_MODE_LOADER(justification_mode, struct jg_justification_check)
JG_LD_MODE_LOADER(ticket_mode, struct jg_ticket_check)
JG_LD_MODE_LOADER(severity_mode, struct jg_scanner_check)
JG_LD_MODE_LOADER(rate_mode, struct jg_rate_check)

/* ---- source ------------------------------------------------------------ */

/* "10.0.0.0/8", "2001:db8::/32", "192.168.1.7" (a /32), "::1" (a /128). */
static int get_cidr(struct jg_ld *ld, yaml_node_t *n, struct jg_cidr *c)
{
	char buf[JG_LD_SHOW_MAX], why[160];

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, "cidr"))
		return -1;
	if (strlen(jg_ld_str(n)) != jg_ld_slen(n)) /* a NUL inside */
		snprintf(why, sizeof(why), "is not an address or a network");
	else if (jg_cidr_parse(jg_ld_str(n), c, why, sizeof(why)) == 0)
		return 0;
	return jg_ld_fail(ld, n, "cidr '%s' %s", jg_ld_show(n, buf), why);
}

static int source_cidrs(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_source_check *c = obj;
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_SEQUENCE_NODE, "'cidrs'"))
		return -1;
	cnt = jg_ld_seq_len(n);
	if (cnt < 1 || cnt > CIDRS_MAX)
		return jg_ld_fail(ld, n,
		                  "'cidrs' must have 1 to %d entries, not %zu",
		                  CIDRS_MAX, cnt);
	if (!(c->cidrs = calloc(cnt, sizeof(*c->cidrs))))
		return jg_ld_nomem(ld, n);
	c->ncidrs = cnt;
	for (size_t i = 0; i < cnt; i++)
		if (get_cidr(ld, jg_ld_node(ld, n->data.sequence.items.start[i]),
		             &c->cidrs[i]))
			return -1;
	return 0;
}

static const struct jg_ld_key source_keys[] = {
	{"cidrs", source_cidrs, 1},
	{"mode", source_mode, 0},
};

/* ---- justification ----------------------------------------------------- */

static int justification_min(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_justification_check *c = obj;
	return jg_ld_get_int(ld, n, "min_length", 1, JG_REASON_MAX,
	                     &c->min_length);
}

static const struct jg_ld_key justification_keys[] = {
	{"min_length", justification_min, 1},
	{"mode", justification_mode, 0},
};

/* ---- ticket ------------------------------------------------------------ */

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
				hi = end[1] == '}' ? lo
				                   : strtol(end + 1, &end, 10);
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

/*
 * 1 when a ')' in the ERE s[0..len) closes no '('. glibc takes such a
 * ')' literally, so "x)|(y" would escape the "^(...)$" the pattern is
 * wrapped in and match any ticket starting with x. Bracket expressions
 * ("[)]", "[[:alpha:]]") and escapes ("\)") are skipped as regcomp does.
 */
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

static int ticket_pattern(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_ticket_check *t = obj;
	char buf[JG_LD_SHOW_MAX], msg[128], *wrapped;
	regex_t *re;
	size_t len;
	int rc;

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, "pattern"))
		return -1;
	len = jg_ld_slen(n);
	if (len == 0 || len > PATTERN_MAX || strlen(jg_ld_str(n)) != len)
		return jg_ld_fail(ld, n,
		                  "pattern '%s' must be 1 to %d characters",
		                  jg_ld_show(n, buf), PATTERN_MAX);
	if (stray_paren(jg_ld_str(n), len))
		return jg_ld_fail(ld, n, "pattern '%s' has a ')' that closes no "
		                         "'(' (write \\) for a literal "
		                         "parenthesis)",
		                  jg_ld_show(n, buf));
	if (stacked_quantifier(jg_ld_str(n), len))
		return jg_ld_fail(ld, n, "pattern '%s' stacks quantifiers or "
		                         "repeats more than 50 times, which "
		                         "regcomp cannot compile in bounded "
		                         "memory",
		                  jg_ld_show(n, buf));
	if (!(t->pattern = strndup(jg_ld_str(n), len)) ||
	    !(wrapped = malloc(len + 5)))
		return jg_ld_nomem(ld, n);
	/* The whole ticket must match, not a part of it. */
	snprintf(wrapped, len + 5, "^(%s)$", t->pattern);
	if (!(re = calloc(1, sizeof(*re)))) {
		free(wrapped);
		return jg_ld_nomem(ld, n);
	}
	rc = regcomp(re, wrapped, REG_EXTENDED | REG_NOSUB);
	free(wrapped);
	if (rc != 0) {
		regerror(rc, re, msg, sizeof(msg));
		free(re);
		if (rc == REG_ESPACE)
			return jg_ld_nomem(ld, n);
		return jg_ld_fail(ld, n, "pattern '%s' is not a valid extended "
		                         "regular expression: %s",
		                  jg_ld_show(n, buf), msg);
	}
	t->regex = re;
	return 0;
}

static const struct jg_ld_key ticket_keys[] = {
	{"pattern", ticket_pattern, 1},
	{"mode", ticket_mode, 0},
};

/* ---- severity ---------------------------------------------------------- */

static int severity_min(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_level(ld, n, "at_least",
	                       &((struct jg_scanner_check *)obj)->at_least);
}

static int severity_max(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_level(ld, n, "at_most",
	                       &((struct jg_scanner_check *)obj)->at_most);
}

static const struct jg_ld_key severity_keys[] = {
	{"at_least", severity_min, 0},
	{"at_most", severity_max, 0},
	{"mode", severity_mode, 0},
};

/* ---- rate -------------------------------------------------------------- */

static int rate_requester(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_int(ld, n, "per_requester", 1, RATE_MAX,
	                     &((struct jg_rate_check *)obj)->per_requester);
}

static int rate_resource(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_int(ld, n, "per_resource", 1, RATE_MAX,
	                     &((struct jg_rate_check *)obj)->per_resource);
}

static int rate_window(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_duration(ld, n, "window",
	                          &((struct jg_rate_check *)obj)->window);
}

static const struct jg_ld_key rate_keys[] = {
	{"per_requester", rate_requester, 0},
	{"per_resource", rate_resource, 0},
	{"window", rate_window, 1},
	{"mode", rate_mode, 0},
};

/* ---- hidden_chars ------------------------------------------------------ */

/* off, flag or enforce: the check is on for every rule, so it can be
 * turned off, and it has no `match` (hidden characters choose no rule). */
static int hidden_mode(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	static const char *const names[] = {"off", "flag", "enforce"};
	struct jg_hidden_check *c = obj;
	size_t i;

	if (jg_ld_get_choice(ld, n, "mode", names, JG_LD_NKEYS(names), &i))
		return -1;
	c->off = i == 0;
	c->enforce = i == 2;
	return 0;
}

static const struct jg_ld_key hidden_keys[] = {
	{"mode", hidden_mode, 1},
};

/* ---- the checks map ---------------------------------------------------- */

/* Load check map n into chk under the subject "checks.NAME". */
static int check_map(struct jg_ld *ld, yaml_node_t *n, const char *name,
                     const struct jg_ld_key *keys, size_t nkeys, void *chk)
{
	char what[32], subject[32];

	snprintf(what, sizeof(what), "'%s'", name);
	snprintf(subject, sizeof(subject), ".%s", name);
	return jg_ld_walk_under(ld, n, what, subject, keys, nkeys, chk);
}

static int check_source(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_source_check *c = &((struct jg_rule *)obj)->source;

	c->set = 1;
	return check_map(ld, n, "source", source_keys,
	                 JG_LD_NKEYS(source_keys), c);
}

static int check_justification(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_justification_check *c =
		&((struct jg_rule *)obj)->justification;

	c->set = 1;
	return check_map(ld, n, "justification", justification_keys,
	                 JG_LD_NKEYS(justification_keys), c);
}

static int check_ticket(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_ticket_check *c = &((struct jg_rule *)obj)->ticket;

	c->set = 1;
	return check_map(ld, n, "ticket", ticket_keys,
	                 JG_LD_NKEYS(ticket_keys), c);
}

static int check_severity(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_scanner_check *c = &((struct jg_rule *)obj)->severity;
	struct jg_ld_bounds b;

	c->set = 1;
	if (check_map(ld, n, "severity", severity_keys,
	              JG_LD_NKEYS(severity_keys), c))
		return -1;
	b = (struct jg_ld_bounds){c->at_least, c->at_most};
	return jg_ld_bounds_ok(ld, n, "'severity'", &b);
}

static int check_rate(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_rate_check *c = &((struct jg_rule *)obj)->rate;

	c->set = 1;
	if (check_map(ld, n, "rate", rate_keys, JG_LD_NKEYS(rate_keys), c))
		return -1;
	if (!c->per_requester && !c->per_resource)
		return jg_ld_fail(ld, n, "'rate' needs at least one of "
		                         "'per_requester' or 'per_resource'");
	return 0;
}

static int check_hidden(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return check_map(ld, n, "hidden_chars", hidden_keys,
	                 JG_LD_NKEYS(hidden_keys),
	                 &((struct jg_rule *)obj)->hidden);
}

static const struct jg_ld_key check_keys[] = {
	{"time", jg_ld_check_time, 0},
	{"source", check_source, 0},
	{"justification", check_justification, 0},
	{"ticket", check_ticket, 0},
	{"severity", check_severity, 0},
	{"rate", check_rate, 0},
	{"hidden_chars", check_hidden, 0},
};

_Static_assert(JG_LD_NKEYS(check_keys) <= JG_LD_KEYS_MAX,
               "a key table is larger than JG_LD_KEYS_MAX");

int jg_ld_checks(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_walk_under(ld, n, "'checks'", " checks", check_keys,
	                        JG_LD_NKEYS(check_keys), obj);
}
