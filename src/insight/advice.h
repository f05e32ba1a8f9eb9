/*
 * advice.h - tuning advice from the history of a period (jitgate
 * insights): what to loosen, tighten or look at, each suggestion with
 * its evidence and, when it changes the policy, the change and what
 * `jitgate policy replay` says of it. Read-only: nothing is written.
 *
 * advice.c gathers the period (requests, their reviews and grants) and
 * makes the suggestions; advice_change.c edits the policy text.
 */
#ifndef JG_ADVICE_H
#define JG_ADVICE_H

#include <jansson.h>

#include "gate/gate.h"

/* Thresholds, documented in docs/insights.md. */
#define JG_ADVICE_MIN_APPROVED 10 /* always approved over at least this */
#define JG_ADVICE_MIN_GRANTS 5    /* grants with a known use, per rule */
#define JG_ADVICE_MIN_DECISIONS 3 /* reviews per approver or step */
#define JG_ADVICE_SLOW (60 * 60)  /* median time to decide: a bottleneck */
#define JG_ADVICE_MIN_DENIALS 2   /* a denial reason worth listing */
#define JG_ADVICE_TOP_DENIALS 5
#define JG_ADVICE_ROUND (15 * 60) /* a suggested maximum is rounded up */
#define JG_ADVICE_MAX_REQUESTS 200000 /* a longer period is refused */

struct jg_advice_in {
	int64_t since, until; /* the period: created_at in [since, until) */
	/* the policy text the changes edit (borrowed); NULL: the file the
	 * gate loaded, if it still is what is in force */
	const char *policy;
	size_t policy_len;
	const struct jg_replay_bound *bound; /* for the replays; may be NULL */
};

/*
 * Admins and auditors; holds the gate itself (call it without holding:
 * from the execution pool). *out (the caller's, json_decref) is
 * {since, until, requests, suggestions: [...]}; see docs/insights.md
 * for each suggestion's shape. JG_EINVAL when until <= since.
 */
enum jg_err jg_advice_run(struct jg_gate *g, const struct jg_principal *who,
                          const struct jg_advice_in *in, json_t **out,
                          char why[JG_WHY_MAX]);

/*
 * The policy text with rule `rule_line`'s (1-based, the line of its
 * first key) `key` set to `value`; for key "decision" the rule's
 * `steps` are removed. *out is malloc'd (the caller frees); *old gets
 * the value replaced ("steps" when steps were) and diff a unified-diff
 * like description of the edit (the caller's, json_decref). -1 when
 * the rule's block cannot be edited (flow style, a line past the end).
 */
int jg_advice_edit(const char *text, size_t len, int rule_line,
                   const char *key, const char *value, char **out,
                   size_t *out_len, char old[64], json_t **diff);

#endif
