/*
 * policy.h - the policy in memory, and the pure decisions made from it.
 *
 * A struct jg_policy is built only by the loader (src/policy/load.c) and is
 * read-only afterwards, so threads may share it without locks. Names
 * compare exactly, byte for byte: no case or Unicode folding.
 */
#ifndef JG_POLICY_H
#define JG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

#define JG_DEFAULT_MAX_DURATION (3600)      /* 1h when the policy is silent */
#define JG_DEFAULT_REQUEST_TTL (24 * 3600)  /* 24h when the policy is silent */

struct jg_label {
	char *key;   /* owned */
	char *value; /* owned */
};

struct jg_resource {
	char *name;        /* owned */
	struct jg_label *labels; /* owned array */
	size_t nlabels;
	char *sensitivity; /* owned; "low", "medium", "high" or "critical" */
	char **actions;    /* owned array of owned strings */
	size_t nactions;
	int line;          /* where it is defined, for messages */
};

struct jg_group {
	char *name;     /* owned */
	char **members; /* owned array of owned user names */
	size_t nmembers;
	int line;
};

enum jg_decision {
	JG_DECIDE_DENY,   /* refuse at once */
	JG_DECIDE_AUTO,   /* approve at once */
	JG_DECIDE_REVIEW, /* approval steps, in order */
};

struct jg_rule {
	char *name;          /* owned */
	char *resource_glob; /* owned, NULL matches any resource */
	struct jg_label *labels; /* owned; all must equal the resource's */
	size_t nlabels;
	char *action_glob;   /* owned, NULL matches any action (fnmatch(3)) */
	enum jg_decision decision;
	struct jg_step *steps; /* owned, nsteps > 0 iff decision is REVIEW */
	size_t nsteps;
	int64_t max_duration; /* seconds */
	int64_t request_ttl;  /* seconds */
	int line;
};

struct jg_policy {
	char sha256[JG_SHA256_HEX]; /* of the file's bytes */
	struct jg_resource *resources; /* owned arrays */
	size_t nresources;
	struct jg_group *groups;
	size_t ngroups;
	struct jg_rule *rules; /* in file order: the first match wins */
	size_t nrules;
};

/* Free everything p owns, then p itself. NULL-safe. */
void jg_policy_free(struct jg_policy *p);

/* Borrowed pointers into p, or NULL. */
const struct jg_resource *jg_policy_resource(const struct jg_policy *p,
                                             const char *name);
const struct jg_group *jg_policy_group(const struct jg_policy *p,
                                       const char *name);
int jg_resource_has_action(const struct jg_resource *res, const char *action);

/* The first rule matching res and action; NULL means the implicit deny. */
const struct jg_rule *jg_policy_match(const struct jg_policy *p,
                                      const struct jg_resource *res,
                                      const char *action);

/*
 * 1 when principal `who` belongs to `group`: listed among the group's
 * members in the policy, or carrying the group on its token.
 */
int jg_policy_member(const struct jg_policy *p, const char *group,
                     const struct jg_principal *who);

/* Input of screening: what a principal asks for. */
struct jg_ask {
	const char *resource;
	const char *action;
	int64_t duration; /* seconds; 0 means the rule's maximum */
};

/* Output of screening. `rule` borrows from the policy (NULL: no rule). */
struct jg_verdict {
	enum jg_decision decision;
	const struct jg_rule *rule;
	int64_t duration;    /* granted life, after defaults */
	int64_t request_ttl;
	char reason[JG_WHY_MAX]; /* one human sentence */
};

/*
 * Screen `ask` by `who` under p. JG_EUNKNOWN for an unknown resource or an
 * action the resource does not have, JG_EDURATION for a duration above the
 * rule's maximum (both with `v->reason` naming the values); otherwise JG_OK
 * and a verdict. No rule matching is JG_OK with decision DENY.
 */
enum jg_err jg_policy_screen(const struct jg_policy *p,
                             const struct jg_principal *who,
                             const struct jg_ask *ask, struct jg_verdict *v);

#endif
