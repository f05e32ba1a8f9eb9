/*
 * screen.c - screening: which rule applies to a request, what each of its
 * checks says, and the decision.
 *
 * Pure: the clock is ask->now, counting requests is ask->count, time
 * zones were read by the loader. Fails closed: a request no rule applies
 * to is denied, and a check that cannot be evaluated (no source address,
 * no finding) fails rather than passes.
 */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "core/tz.h"
#include "util/timefmt.h"
#include "util/visible.h"

static const char *const result_names[] = {"pass", "flag", "fail"};
static const char *const decision_names[] = {"deny", "auto", "review"};
static const char *const level_names[] = {"", "low", "medium", "high",
                                          "critical"};
static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat"};

const char *jg_result_name(enum jg_result r)
{
	return (unsigned)r <= JG_FAIL ? result_names[r] : "invalid";
}

const char *jg_decision_name(enum jg_decision d)
{
	return (unsigned)d <= JG_DECIDE_REVIEW ? decision_names[d] : "invalid";
}

const char *jg_level_name(int level)
{
	return level >= JG_LOW && level <= JG_CRITICAL ? level_names[level]
	                                               : "unknown";
}

int jg_level_parse(const char *name)
{
	for (int i = JG_LOW; name && i <= JG_CRITICAL; i++)
		if (strcmp(level_names[i], name) == 0)
			return i;
	return 0;
}

/* The checks of one rule under trial, before it is known to apply. */
struct trial {
	struct jg_check checks[JG_CHECKS_MAX];
	size_t n;
	int match_failed; /* a MATCH-mode check failed: the rule does not apply */
};

/* Record one check; ok=0 turns into flag, fail or "no match" by mode. */
static void note(struct trial *t, const char *name, enum jg_mode mode, int ok,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void note(struct trial *t, const char *name, enum jg_mode mode, int ok,
                 const char *fmt, ...)
{
	struct jg_check *c;
	va_list ap;

	if (!ok && mode == JG_MODE_MATCH)
		t->match_failed = 1;
	if (t->n == JG_CHECKS_MAX)
		return;
	c = &t->checks[t->n++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->result = ok ? JG_PASS : mode == JG_MODE_FLAG ? JG_FLAG : JG_FAIL;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

static int in_list(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static const char *env_of(const struct jg_resource *res)
{
	for (size_t i = 0; i < res->nlabels; i++)
		if (strcmp(res->labels[i].key, "env") == 0)
			return res->labels[i].value;
	return NULL;
}

/* The match keys: do they select this rule for this request? */
static int selects(const struct jg_policy *p, const struct jg_rule *rule,
                   const struct jg_resource *res,
                   const struct jg_principal *who, const struct jg_ask *ask)
{
	if (!jg_rule_matches(rule, res, ask->action))
		return 0;
	if (rule->nenvs && !in_list(rule->envs, rule->nenvs, env_of(res)))
		return 0;
	if ((rule->sens_min && res->level < rule->sens_min) ||
	    (rule->sens_max && res->level > rule->sens_max))
		return 0;
	if (rule->nusers || rule->ngroups) {
		int named = in_list(rule->users, rule->nusers, who->name);
		for (size_t i = 0; !named && i < rule->ngroups; i++)
			named = jg_policy_member(p, rule->groups[i], who);
		if (!named)
			return 0;
	}
	if ((rule->automation || rule->nfinding_types) && !ask->finding)
		return 0;
	if (rule->nfinding_types &&
	    !in_list(rule->finding_types, rule->nfinding_types,
	             ask->finding->type))
		return 0;
	return 1;
}

/* ---- checks ---- */

static int window_open(const struct jg_window *w, int day, int minute)
{
	int prev = (day + 6) % 7;

	if (w->start < w->end)
		return (w->days >> day & 1) && minute >= w->start &&
		       minute < w->end;
	/* runs past midnight: the evening of day, or the morning after prev */
	return ((w->days >> day & 1) && minute >= w->start) ||
	       ((w->days >> prev & 1) && minute < w->end);
}

static void check_time(struct trial *t, const struct jg_time_check *c,
                       int64_t now)
{
	int64_t local = now + jg_tz_offset(c->tz, now);
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int minute = (int)((local - days * 86400) / 60);
	int day = (int)(((days + 4) % 7 + 7) % 7); /* 1970-01-01: Thursday */
	int open = 0;

	for (size_t i = 0; !open && i < c->nwindows; i++)
		open = window_open(&c->windows[i], day, minute);
	note(t, "time", c->mode, open, "request at %s %02d:%02d %s is %s %s",
	     day_names[day], minute / 60, minute % 60, jg_tz_name(c->tz),
	     open ? "within" : "outside", c->text);
}

static void check_source(struct trial *t, const struct jg_source_check *c,
                         const char *source)
{
	unsigned char addr[16];
	char net[64] = "", list[160] = "";
	int family;

	if (!jg_ip_parse(source, &family, addr)) {
		note(t, "source", c->mode, 0, "source address %s is unknown",
		     source ? source : "(none)");
		return;
	}
	for (size_t i = 0; i < c->ncidrs; i++) {
		if (jg_cidr_contains(&c->cidrs[i], family, addr)) {
			jg_cidr_text(&c->cidrs[i], net, sizeof(net));
			note(t, "source", c->mode, 1, "source %s is in %s",
			     source, net);
			return;
		}
		jg_cidr_text(&c->cidrs[i], net, sizeof(net));
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s",
		         i ? ", " : "", net);
	}
	note(t, "source", c->mode, 0, "source %s is not in %s", source, list);
}

static size_t trimmed_len(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		n--;
	return n;
}

static void check_justification(struct trial *t,
                                const struct jg_justification_check *c,
                                const char *reason)
{
	size_t n = trimmed_len(reason);
	note(t, "justification", c->mode, n >= (size_t)c->min_length,
	     "justification has %zu characters (at least %d required)", n,
	     c->min_length);
}

static void check_ticket(struct trial *t, const struct jg_ticket_check *c,
                         const char *ticket)
{
	if (!ticket || !*ticket) {
		note(t, "ticket", c->mode, 0, "a ticket matching %s is required",
		     c->pattern);
		return;
	}
	int ok = regexec((const regex_t *)c->regex, ticket, 0, NULL, 0) == 0;
	note(t, "ticket", c->mode, ok, "ticket '%.64s' %s %s", ticket,
	     ok ? "matches" : "does not match", c->pattern);
}

static void check_severity(struct trial *t, const struct jg_scanner_check *c,
                           const struct jg_finding *f)
{
	char bounds[48];

	snprintf(bounds, sizeof(bounds), "%s%s%s%s",
	         c->at_least ? "at least " : "",
	         c->at_least ? jg_level_name(c->at_least) : "",
	         c->at_least && c->at_most ? ", " : "",
	         c->at_most ? "at most " : "");
	if (c->at_most)
		snprintf(bounds + strlen(bounds), sizeof(bounds) - strlen(bounds),
		         "%s", jg_level_name(c->at_most));
	if (!f || !f->severity) {
		note(t, "severity", c->mode, 0, "no finding severity (%s "
		     "required)", bounds);
		return;
	}
	int ok = (!c->at_least || f->severity >= c->at_least) &&
	         (!c->at_most || f->severity <= c->at_most);
	note(t, "severity", c->mode, ok, "finding severity %s is %s%s",
	     jg_level_name(f->severity), ok ? "" : "not ", bounds);
}

static enum jg_err check_rate(struct trial *t, const struct jg_rate_check *c,
                              const struct jg_principal *who,
                              const struct jg_ask *ask)
{
	size_t by_req = 0, by_res = 0;
	char win[32];
	enum jg_err e;

	jg_duration_format(c->window, win, sizeof(win));
	if (!ask->count) {
		note(t, "rate", c->mode, 1, "rate not counted here");
		return JG_OK;
	}
	e = ask->count(ask->count_ctx, ask->now - c->window, &by_req, &by_res);
	if (e != JG_OK)
		return e;
	if (c->per_requester && by_req >= (size_t)c->per_requester) {
		note(t, "rate", c->mode, 0, "%s made %zu requests in the last %s "
		     "(limit %d)", who->name, by_req, win, c->per_requester);
	} else if (c->per_resource && by_res >= (size_t)c->per_resource) {
		note(t, "rate", c->mode, 0, "%s had %zu requests in the last %s "
		     "(limit %d)", ask->resource, by_res, win, c->per_resource);
	} else {
		note(t, "rate", c->mode, 1, "%zu requests by %s and %zu on %s "
		     "in the last %s", by_req, who->name, by_res, ask->resource,
		     win);
	}
	return JG_OK;
}

/* ---- hidden characters ---- */

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 1;
}

/*
 * The first hidden character of JSON text s, raw or written as an escape
 * (a JSON encoder writes controls as \r or \u0001, and may write any
 * character as \uXXXX); hit->at is the byte offset of the escape.
 */
static int json_hidden(const char *s, struct jg_vis_hit *hit)
{
	static const char shorts[] = "b\bf\fr\r";
	size_t n = strlen(s), i = 0;
	uint32_t cp, lo;
	const char *sh;

	while (i < n) {
		size_t next = strcspn(s + i, "\\") + i;
		if (jg_vis_find(s, next, i, hit))
			return 1;
		if (next + 1 >= n)
			return 0;
		i = next + 2;
		cp = 0;
		if ((sh = strchr(shorts, s[next + 1])) && (sh - shorts) % 2 == 0)
			cp = (unsigned char)sh[1];
		else if (s[next + 1] == 'u' && next + 6 <= n &&
		         hex4(s + next + 2, &cp)) {
			i = next + 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n &&
			    s[i] == '\\' && s[i + 1] == 'u' &&
			    hex4(s + i + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
		}
		if (cp && jg_vis_hidden(cp)) {
			*hit = (struct jg_vis_hit){.at = next, .len = i - next,
			                           .cp = cp};
			return 1;
		}
	}
	return 0;
}

/*
 * hidden_chars: what the approver reads must be what runs, so a payload,
 * params, reason or ticket with characters that do not show (a bidi
 * override reorders the text around it) is flagged, or denied. Silent
 * when all is clean, like a check the rule does not have.
 */
static void check_hidden(struct trial *t, const struct jg_hidden_check *c,
                         const struct jg_ask *ask)
{
	const char *names[] = {"payload", "params", "reason", "ticket"};
	const char *texts[] = {ask->payload, ask->params, ask->reason,
	                       ask->ticket};
	char msg[JG_CHECK_MSG] = "", what[80];
	struct jg_vis_hit hit;
	size_t used = 0;
	int found;

	if (c->off)
		return;
	for (size_t i = 0; i < 4; i++) {
		if (!texts[i])
			continue;
		found = i == 1 ? json_hidden(texts[i], &hit)
		               : jg_vis_find(texts[i], strlen(texts[i]), 0, &hit);
		if (!found)
			continue;
		jg_vis_describe(&hit, what, sizeof(what));
		if (used < sizeof(msg))
			used += (size_t)snprintf(msg + used, sizeof(msg) - used,
			                         "%s%s contains %s at byte %zu",
			                         used ? "; " : "", names[i],
			                         what, hit.at);
	}
	if (msg[0])
		note(t, "hidden_chars",
		     c->enforce ? JG_MODE_ENFORCE : JG_MODE_FLAG, 0, "%s", msg);
}

/* Run the checks of rule into t. */
static enum jg_err try_rule(const struct jg_rule *rule,
                            const struct jg_principal *who,
                            const struct jg_ask *ask, struct trial *t)
{
	memset(t, 0, sizeof(*t));
	note(t, "rule", JG_MODE_ENFORCE, 1, "rule '%s' (line %d) applies",
	     rule->name, rule->line);
	if (rule->time.set)
		/* a scheduled request is for its start: judge that hour */
		check_time(t, &rule->time,
		           ask->start_at > ask->now ? ask->start_at : ask->now);
	if (rule->source.set)
		check_source(t, &rule->source, ask->source_ip);
	if (rule->justification.set)
		check_justification(t, &rule->justification, ask->reason);
	if (rule->ticket.set)
		check_ticket(t, &rule->ticket, ask->ticket);
	if (rule->severity.set)
		check_severity(t, &rule->severity, ask->finding);
	check_hidden(t, &rule->hidden, ask);
	if (rule->rate.set)
		return check_rate(t, &rule->rate, who, ask);
	return JG_OK;
}

/* ---- decision ---- */

static void add(struct jg_verdict *v, const char *name, enum jg_result r,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add(struct jg_verdict *v, const char *name, enum jg_result r,
                const char *fmt, ...)
{
	struct jg_check *c;
	va_list ap;

	if (v->nchecks == JG_CHECKS_MAX)
		return;
	c = &v->checks[v->nchecks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->result = r;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

/* Break-glass matters only where a review would otherwise be needed. */
static int break_glass_applies(const struct jg_ask *ask,
                               const struct jg_rule *rule)
{
	return ask->break_glass && rule->decision == JG_DECIDE_REVIEW;
}

static enum jg_err check_duration(const struct jg_ask *ask,
                                  struct jg_verdict *v)
{
	const struct jg_rule *rule = v->rule;
	int bg = break_glass_applies(ask, rule);
	int64_t max = bg ? rule->break_glass_max : rule->max_duration;
	int64_t life;
	char want[32], cap[32];

	int64_t so_far = ask->extension ? ask->life_so_far : 0;

	jg_duration_format(max, cap, sizeof(cap));
	if (so_far >= max && !ask->duration) {
		jg_duration_format(so_far, want, sizeof(want));
		snprintf(v->reason, sizeof(v->reason),
		         "the grant's life %s already reaches the maximum %s of "
		         "rule '%s'", want, cap, rule->name);
		return JG_EDURATION;
	}
	v->duration = ask->duration ? ask->duration : max - so_far;
	/* so_far < max <= JG_DURATION_MAX: the sum cannot overflow */
	life = v->duration > JG_DURATION_MAX ? v->duration
	                                     : v->duration + so_far;
	jg_duration_format(life, want, sizeof(want));
	if (life > max) {
		snprintf(v->reason, sizeof(v->reason),
		         "%s %s is above the maximum %s of %s '%s'",
		         ask->extension ? "total life" : "duration", want, cap,
		         bg ? "break-glass on rule" : "rule",
		         rule->name);
		return JG_EDURATION;
	}
	add(v, "duration", JG_PASS, "%s %s is within the maximum %s",
	    ask->extension ? "total life" : "duration", want, cap);
	return JG_OK;
}

/*
 * Scheduled access: a start may lie at most the rule's max_start_ahead
 * ahead, and not in the past beyond JG_START_SKEW (within it, the
 * request starts on approval like any other).
 */
static enum jg_err check_start(const struct jg_ask *ask,
                               struct jg_verdict *v)
{
	const struct jg_rule *rule = v->rule;
	int64_t max = rule->max_start_ahead ? rule->max_start_ahead
	                                    : JG_DEFAULT_MAX_START_AHEAD;
	char at[JG_TIME_LEN], cap[32];

	if (!ask->start_at)
		return JG_OK;
	jg_time_format(ask->start_at, at);
	jg_duration_format(max, cap, sizeof(cap));
	if (ask->start_at < ask->now - JG_START_SKEW) {
		snprintf(v->reason, sizeof(v->reason),
		         "start_at %s is in the past", at);
		return JG_EINVAL;
	}
	if (ask->start_at > ask->now + max) {
		snprintf(v->reason, sizeof(v->reason),
		         "start_at %s is more than %s ahead (max_start_ahead of "
		         "rule '%s')", at, cap, rule->name);
		return JG_EINVAL;
	}
	if (ask->start_at <= ask->now)
		return JG_OK;
	v->start_at = ask->start_at;
	add(v, "start", JG_PASS, "starts at %s, within max_start_ahead %s",
	    at, cap);
	return JG_OK;
}

static enum jg_err check_break_glass(const struct jg_policy *p,
                                     const struct jg_principal *who,
                                     const struct jg_ask *ask,
                                     struct jg_verdict *v)
{
	const struct jg_rule *rule = v->rule;

	if (!rule->break_glass_group) {
		snprintf(v->reason, sizeof(v->reason), "rule '%s' allows no "
		         "break-glass", rule->name);
		return JG_EFORBIDDEN;
	}
	if (!jg_policy_member(p, rule->break_glass_group, who)) {
		snprintf(v->reason, sizeof(v->reason), "break-glass on rule "
		         "'%s' is for group '%s', and %s is not in it",
		         rule->name, rule->break_glass_group, who->name);
		return JG_EFORBIDDEN;
	}
	if (!trimmed_len(ask->reason)) {
		snprintf(v->reason, sizeof(v->reason), "break-glass needs a "
		         "reason");
		return JG_EINVAL;
	}
	add(v, "break-glass", JG_FLAG, "%s used break-glass as a member of "
	    "'%s': review required afterwards", who->name,
	    rule->break_glass_group);
	return JG_OK;
}

/* Decide from the rule, its checks and the kind of ask. */
static void decide(const struct jg_ask *ask, struct jg_verdict *v)
{
	const struct jg_rule *rule = v->rule;
	const struct jg_check *failed = NULL;

	for (size_t i = 0; i < v->nchecks; i++) {
		if (v->checks[i].result == JG_FLAG)
			v->flagged = 1;
		if (v->checks[i].result == JG_FAIL && !failed)
			failed = &v->checks[i];
	}
	if (failed) {
		v->decision = JG_DECIDE_DENY;
		snprintf(v->reason, sizeof(v->reason), "denied by rule '%s': %s",
		         rule->name, failed->message);
		return;
	}
	v->decision = rule->decision;
	if (break_glass_applies(ask, rule)) {
		v->decision = JG_DECIDE_AUTO;
		v->break_glass = 1;
	}
	if (v->decision == JG_DECIDE_REVIEW && ask->extension &&
	    !ask->extends_break_glass &&
	    ask->extensions_so_far < rule->extensions_auto) {
		v->decision = JG_DECIDE_AUTO;
		add(v, "extension", JG_PASS, "extension %d of %d allowed "
		    "without review", ask->extensions_so_far + 1,
		    rule->extensions_auto);
	}
	snprintf(v->reason, sizeof(v->reason), "%s by rule '%s'%s",
	         v->break_glass ? "approved by break-glass"
	         : v->decision == JG_DECIDE_DENY ? "denied"
	         : v->decision == JG_DECIDE_AUTO ? "approved automatically"
	                                         : "needs approval",
	         rule->name, v->flagged ? ", with flags" : "");
}

/* The first rule that applies; its checks land in v. */
static enum jg_err choose(const struct jg_policy *p,
                          const struct jg_resource *res,
                          const struct jg_principal *who,
                          const struct jg_ask *ask, struct jg_verdict *v)
{
	struct trial t;
	enum jg_err e;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct jg_rule *rule = &p->rules[i];
		if (!selects(p, rule, res, who, ask))
			continue;
		if ((e = try_rule(rule, who, ask, &t)) != JG_OK)
			return e;
		if (t.match_failed)
			continue;
		v->rule = rule;
		memcpy(v->checks, t.checks, t.n * sizeof(t.checks[0]));
		v->nchecks = t.n;
		return JG_OK;
	}
	return JG_OK;
}

enum jg_err jg_policy_screen(const struct jg_policy *p,
                             const struct jg_principal *who,
                             const struct jg_ask *ask, struct jg_verdict *v)
{
	const struct jg_resource *res = jg_policy_resource(p, ask->resource);
	enum jg_err e;

	memset(v, 0, sizeof(*v));
	v->decision = JG_DECIDE_DENY;
	if (!res) {
		snprintf(v->reason, sizeof(v->reason),
		         "unknown resource '%s'", ask->resource);
		return JG_EUNKNOWN;
	}
	if (!jg_resource_has_action(res, ask->action)) {
		snprintf(v->reason, sizeof(v->reason),
		         "resource '%s' has no action '%s'", res->name,
		         ask->action);
		return JG_EUNKNOWN;
	}
	if (ask->duration < 0) {
		snprintf(v->reason, sizeof(v->reason), "duration is negative");
		return JG_EINVAL;
	}
	if (ask->start_at && (ask->break_glass || ask->extension)) {
		snprintf(v->reason, sizeof(v->reason), "%s cannot be "
		         "scheduled: it starts when approved",
		         ask->break_glass ? "break-glass" : "an extension");
		return JG_EINVAL;
	}
	if ((e = choose(p, res, who, ask, v)) != JG_OK)
		return e;
	if (!v->rule) {
		snprintf(v->reason, sizeof(v->reason),
		         "no rule matches '%s' on '%s': denied by default",
		         ask->action, res->name);
		add(v, "rule", JG_FAIL, "%s", v->reason);
		return JG_OK;
	}
	v->request_ttl = v->rule->request_ttl;
	if (break_glass_applies(ask, v->rule) &&
	    (e = check_break_glass(p, who, ask, v)) != JG_OK)
		return e;
	if ((e = check_duration(ask, v)) != JG_OK ||
	    (e = check_start(ask, v)) != JG_OK)
		return e;
	decide(ask, v);
	return JG_OK;
}
