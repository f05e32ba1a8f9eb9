/*
 * lint.h - warnings about a policy that loaded but probably does not say
 * what its author meant.
 *
 * The loader refuses what is wrong; lint points at what is legal yet
 * suspicious, and never changes a decision:
 *   - a rule that can never apply, because an earlier rule without
 *     MATCH-mode checks matches every request it matches;
 *   - an approval step whose group has no members in the policy (only
 *     tokens carrying the group can fill it);
 *   - break_glass or extensions.auto on a rule that decides at once
 *     (deny or auto), where they change nothing;
 *   - a resource that no rule matches (every request on it is denied);
 *   - a findings entry that an earlier one shadows (it takes every finding
 *     the later one would), or whose request no rule matches (every
 *     finding it takes is denied).
 * Lint is static: it knows nothing of tokens, sources or clocks, so
 * "matches everything" is judged on match keys only.
 */
#ifndef JG_POLICY_LINT_H
#define JG_POLICY_LINT_H

#include <stddef.h>

#include "core/policy.h"

/*
 * Call warn(ctx, line, msg) once per warning, in file order of the rules,
 * then of the resources, then of the findings entries; line is where the rule or resource is defined,
 * msg one line such as "rule 'x' is unreachable: rule 'y' (line 12)
 * matches everything it does" (borrowed for the call only). warn may be
 * NULL to only count. Returns the number of warnings.
 */
size_t jg_policy_lint(const struct jg_policy *p,
                      void (*warn)(void *ctx, int line, const char *msg),
                      void *ctx);

#endif
