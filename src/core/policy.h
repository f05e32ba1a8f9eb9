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
#include <string.h>

#include "core/cidr.h"
#include "core/model.h"

#define JG_DEFAULT_MAX_DURATION (3600)      /* 1h when the policy is silent */
#define JG_DEFAULT_REQUEST_TTL (24 * 3600)  /* 24h when the policy is silent */
/* Scheduled access: how far ahead a request may name its start when the
 * policy is silent, and how far in the past a start may lie (clocks
 * differ) and still mean "now". */
#define JG_DEFAULT_MAX_START_AHEAD (30 * 86400)
#define JG_START_SKEW 60

/*
 * Step-up: an approver of a risky request must have signed in at the
 * identity provider within `within` seconds and, when mfa is set, with a
 * second factor (the ID token's amr/acr). Zero values ask nothing. Set on
 * a rule (`step_up:`) or on a resource (`step_up:`); the stricter wins.
 */
struct jg_step_up {
	int64_t within; /* seconds; 0: no freshness asked */
	int mfa;
};

struct jg_label {
	char *key;   /* owned */
	char *value; /* owned */
};

struct jg_resource {
	char *name;        /* owned */
	struct jg_label *labels; /* owned array */
	size_t nlabels;
	char *sensitivity; /* owned; "low", "medium", "high" or "critical" */
	int level;         /* the same as enum jg_level */
	char **actions;    /* owned array of owned strings */
	size_t nactions;
	int line;          /* where it is defined, for messages */
	struct jg_step_up step_up; /* asked of approvers of any rule */
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

/* Sensitivity levels, ordered; 0 means "not bounded" in a rule. */
enum jg_level { JG_LOW = 1, JG_MEDIUM, JG_HIGH, JG_CRITICAL };

/*
 * What a failing check does. ENFORCE denies the request, FLAG lets it go
 * on to its decision but shows the failure to approvers and the trail,
 * MATCH makes the rule not apply, so the next rule is tried.
 */
enum jg_mode { JG_MODE_ENFORCE, JG_MODE_FLAG, JG_MODE_MATCH };

/* A weekly window: the days it opens on, from start to end (minutes of
 * the local day, end exclusive; end <= start runs past midnight). */
struct jg_window {
	unsigned char days; /* bit 0 Sunday … bit 6 Saturday */
	int start, end;
};

/*
 * A time zone from the system tz database, read by the loader: UTC
 * offsets in force from each transition time on, and a POSIX TZ rule for
 * times past the last one. Pure lookups in core/tz.c.
 */
struct jg_tz;

struct jg_time_check {
	int set;
	enum jg_mode mode;
	struct jg_tz *tz;        /* owned */
	struct jg_window *windows; /* owned; any one open is enough */
	size_t nwindows;
	char *text;              /* owned; "Mon-Fri 08:00-19:00 Europe/Paris" */
};

struct jg_source_check {
	int set;
	enum jg_mode mode;
	struct jg_cidr *cidrs; /* owned; the source must be in one of them */
	size_t ncidrs;
};

struct jg_justification_check {
	int set;
	enum jg_mode mode;
	int min_length; /* bytes of reason, after trimming spaces */
};

struct jg_ticket_check {
	int set;
	enum jg_mode mode;
	char *pattern;  /* owned; POSIX extended regex, anchored by the loader */
	void *regex;    /* owned regex_t, compiled by the loader */
};

struct jg_scanner_check {
	int set;
	enum jg_mode mode;
	int at_least, at_most; /* severities (enum jg_level), 0 unbounded */
};

struct jg_rate_check {
	int set;
	enum jg_mode mode;
	int per_requester; /* at most this many requests in `window`; 0 off */
	int per_resource;
	int64_t window;    /* seconds */
};

/*
 * The hidden_chars check (util/visible.h): payload, params, reason or
 * ticket holds a character the approver cannot see, such as a bidi
 * override. On for every rule, flagging, unless the rule says otherwise:
 * a zeroed struct is that default.
 */
struct jg_hidden_check {
	int off;     /* `mode: off` */
	int enforce; /* `mode: enforce` denies; otherwise it flags */
};

struct jg_rule {
	char *name;          /* owned */
	int line;
	/* --- match: decide whether the rule applies, never deny --- */
	char *resource_glob; /* owned, NULL matches any resource */
	struct jg_label *labels; /* owned; all must equal the resource's */
	size_t nlabels;
	char *action_glob;   /* owned, NULL matches any action (fnmatch(3)) */
	char **envs;         /* owned; the resource's `env` label is one */
	size_t nenvs;
	int sens_min, sens_max; /* enum jg_level bounds, 0 unbounded */
	char **users;        /* owned; requester is one of them, or in groups */
	size_t nusers;
	char **groups;
	size_t ngroups;
	int automation;      /* 1: only requests with scanner context */
	char **finding_types; /* owned; the finding's type is one of them */
	size_t nfinding_types;
	/* --- checks: each yields pass, flag or fail with a sentence --- */
	struct jg_time_check time;
	struct jg_source_check source;
	struct jg_justification_check justification;
	struct jg_ticket_check ticket;
	struct jg_scanner_check severity;
	struct jg_rate_check rate;
	struct jg_hidden_check hidden;
	/* --- outcome --- */
	enum jg_decision decision;
	struct jg_step *steps; /* owned, nsteps > 0 iff decision is REVIEW */
	size_t nsteps;
	int64_t max_duration; /* seconds; also caps a grant's total life */
	int64_t request_ttl;  /* seconds */
	int64_t max_start_ahead; /* seconds; 0: JG_DEFAULT_MAX_START_AHEAD */
	char *break_glass_group; /* owned, NULL: no break-glass on this rule */
	int64_t break_glass_max; /* seconds a break-glass grant may last */
	int extensions_auto;  /* extensions granted without review */
	int execute_auto;     /* `execute: auto`: the gateway runs it once
	                       * approved, through the resource's connector */
	struct jg_step_up step_up; /* asked of this rule's approvers */
	int approve_comment;  /* `approve_comment: true`: approving needs a
	                       * comment too (denying always does) */
};

/*
 * One entry of the policy's `findings` list (docs/findings.md): which
 * scanner findings it takes and the request it raises for each. The
 * first entry whose match holds wins, like rules.
 */
#define JG_FINDING_TARGET "{target}" /* resource: the finding's target */
struct jg_finding_map {
	int line;
	char **types;        /* owned; the finding's type is one (none: any) */
	size_t ntypes;
	char *rule_glob;     /* owned fnmatch(3) pattern, NULL: any rule */
	char *target_glob;   /* owned, NULL: any target (or none) */
	int at_least, at_most; /* severity bounds (enum jg_level), 0: none */
	char *resource;      /* owned name, or JG_FINDING_TARGET */
	char *action;        /* owned name */
	int64_t duration;    /* seconds; 0: the rule's maximum */
	char *reason;        /* owned template; NULL: JG_FINDING_REASON */
};

/* ---- identity: the company's identity provider, workload issuers ---- */

/* A claim that must hold the given value (a trailing '*' matches any
 * rest, as in "refs/heads/release-*"). */
struct jg_claim_match {
	char *claim; /* owned */
	char *value; /* owned */
};

/* A provider group name that stands for a policy group name. */
struct jg_group_map {
	char *from; /* owned: the provider's group name */
	char *to;   /* owned: the policy's group name */
};

/*
 * identity.signin: people sign in with the company's OpenID Provider.
 * The client secret is not here: only the path of the file holding it,
 * which the server reads (see docs/identity.md).
 */
struct jg_signin {
	int enabled;              /* 1 when the section is present */
	char *issuer;             /* owned: exact `iss`, https (http: loopback) */
	char *client_id;          /* owned */
	char *client_secret_file; /* owned, NULL: a public client (PKCE only) */
	char *redirect_url;       /* owned: .../v1/auth/oidc/callback */
	char *ca_file;            /* owned, NULL: the system's CAs */
	char *principal_claim;    /* owned; default "email" */
	char *groups_claim;       /* owned; default "groups" */
	char **scopes;            /* owned; default openid email profile */
	size_t nscopes;
	char **email_domains;     /* owned; empty: any domain */
	size_t nemail_domains;
	struct jg_group_map *group_map; /* owned; unmapped groups kept as-is
	                                 * (only groups the policy defines
	                                 * are kept at all) */
	size_t ngroup_map;
	struct jg_group_map *role_map;  /* owned; provider group -> role name */
	size_t nrole_map;
	int64_t session_ttl;      /* seconds; default 8 h */
	int token_signin;         /* 1 (default): the dashboard also takes
	                           * jitgate tokens; 0 turns that off */
	int userinfo;             /* 1: groups from the userinfo endpoint when
	                           * the ID token has none */
};

/* One binding of a workload issuer: tokens whose claims all match are
 * principal `principal`, a service, in `groups`. First match wins. */
struct jg_workload_binding {
	struct jg_claim_match *claims; /* owned, nclaims > 0 */
	size_t nclaims;
	char *principal;               /* owned */
	char **groups;                 /* owned */
	size_t ngroups;
	int line;
};

/* identity.workload[]: a trusted issuer of machine tokens (GitHub
 * Actions, GitLab CI, Kubernetes, any OIDC issuer). */
struct jg_workload_issuer {
	char *issuer;   /* owned: exact `iss` */
	char *audience; /* owned: `aud` must hold it */
	char *jwks_url; /* owned, NULL: from the issuer's discovery document */
	char *ca_file;  /* owned, NULL: the system's CAs */
	struct jg_workload_binding *bindings; /* owned, in file order */
	size_t nbindings;
	int line;
};

struct jg_identity {
	struct jg_signin signin;
	struct jg_workload_issuer *workload; /* owned */
	size_t nworkload;
};

/* ---- forward_auth: a reverse proxy's question to resource and action ---- */

/* The methods a forward_auth route may name, one bit each. */
#define JG_FWD_METHODS {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", \
                        "OPTIONS"}
#define JG_FWD_NMETHODS 7

/* The bit of method m[0..len) in JG_FWD_METHODS, 0 when it is none. */
static inline unsigned jg_fwd_method_bit(const char *m, size_t len)
{
	static const char *const names[] = JG_FWD_METHODS;

	for (unsigned i = 0; i < JG_FWD_NMETHODS; i++)
		if (strlen(names[i]) == len && memcmp(names[i], m, len) == 0)
			return 1u << i;
	return 0;
}

/* forward_auth.routes[]: requests to host (NULL: any) whose path starts
 * with path_prefix (NULL: any) made with one of methods (0: any) need a
 * live grant of action on resource. In file order; the first match wins,
 * and a request no route matches is denied. */
struct jg_fwd_route {
	char *host;        /* owned, lowercase, no port */
	char *path_prefix; /* owned, starts with '/' */
	unsigned methods;  /* jg_fwd_method_bit bits */
	char *resource;    /* owned; a resource of the policy */
	char *action;      /* owned; one of its actions */
	int line;
};

struct jg_forward {
	struct jg_fwd_route *routes; /* owned */
	size_t nroutes;
	/* the header a trusted auth layer in front names the user in
	 * (X-Forwarded-User); owned, NULL: none is believed */
	char *identity_header;
	/* where a denied user can ask for the grant (the dashboard); owned,
	 * NULL: denials carry no link */
	char *request_url;
	/* seconds a proxy may keep reusing an allow before it asks again
	 * (X-Jitgate-Cache-Ms, never past the grant's end); 0: ask every
	 * time. JG_FWD_CACHE_DEFAULT unless the policy says. */
	int64_t cache;
};

#define JG_FWD_CACHE_DEFAULT 1 /* the "revoked within a second" bound */
#define JG_FWD_CACHE_MAX 60

/*
 * Alert detectors (insight/detect.c, docs/alerts.md): the kinds, in the
 * order of their rows, and what the policy's `alerts:` section says of
 * each. A zero field keeps the detector's default.
 */
#define JG_ALERT_KINDS(X)                                                  \
	X(BURST_PRINCIPAL, "burst_principal")                              \
	X(BURST_RESOURCE, "burst_resource")                                \
	X(DENIALS, "denials")                                              \
	X(RUBBER_STAMP, "rubber_stamp")                                    \
	X(COLLUSION, "collusion")                                          \
	X(BREAK_GLASS, "break_glass")                                      \
	X(POLICY_RELOAD, "policy_reload")                                  \
	X(POLICY_REFUSED, "policy_refused")                                \
	X(OFF_HOURS, "off_hours")                                          \
	X(FIRST_SENSITIVE, "first_sensitive")                              \
	X(RUBBER_STAMP_RATIO, "rubber_stamp_ratio")                        \
	X(BREAK_GLASS_OVERDUE, "break_glass_overdue")                      \
	X(GRANT_UNUSED, "grant_unused")                                    \
	X(TOKEN_DORMANT, "token_dormant")                                  \
	X(CHECKPOINT_FAILED, "checkpoint_failed")                          \
	X(AUDIT_VERIFY_FAILED, "audit_verify_failed")                      \
	X(NEW_SOURCE, "new_source")

enum jg_alert_kind {
#define JG_AK_ENUM(name, str) JG_AK_##name,
	JG_ALERT_KINDS(JG_AK_ENUM)
#undef JG_AK_ENUM
	JG_AK_COUNT
};

#define JG_ALERT_THRESHOLD_MAX 32 /* events a windowed counter keeps */

struct jg_alert_tune {
	int off;          /* 1: this detector is disabled */
	int threshold;    /* events within window that raise it; 0 default */
	int64_t window;   /* seconds; 0 default */
	int64_t within;   /* rubber_stamp: seconds to approval; 0 default */
	int severity;     /* enum jg_level; 0 default */
};

/*
 * off_hours' time zones (`alerts: off_hours: {time_zone, time_zones}`):
 * the zone a principal's usual hours are learned in. A principal's own
 * entry wins, then the first "group:NAME" entry (in file order) of a
 * policy group listing them as a member, then the default.
 */
struct jg_alert_zone {
	char *who;        /* owned: a principal, or "group:NAME" */
	struct jg_tz *tz; /* owned */
};

struct jg_alert_zones {
	struct jg_tz *dflt;       /* owned; NULL: UTC */
	struct jg_alert_zone *by; /* owned array, in file order */
	size_t nby;
};

struct jg_policy {
	char sha256[JG_SHA256_HEX]; /* of the file's bytes */
	struct jg_resource *resources; /* owned arrays */
	size_t nresources;
	struct jg_group *groups;
	size_t ngroups;
	struct jg_rule *rules; /* in file order: the first match wins */
	size_t nrules;
	struct jg_finding_map *findings; /* in file order, first match wins */
	size_t nfindings;
	struct jg_identity identity; /* all zero when the file has none */
	struct jg_forward forward;   /* all zero when the file has none */
	struct jg_alert_tune alerts[JG_AK_COUNT]; /* all zero: defaults */
	struct jg_alert_zones off_hours_zones;    /* all zero: UTC for all */
};

/* Free everything p owns, then p itself. NULL-safe. */
void jg_policy_free(struct jg_policy *p);

/* Borrowed pointers into p, or NULL. */
const struct jg_resource *jg_policy_resource(const struct jg_policy *p,
                                             const char *name);
const struct jg_group *jg_policy_group(const struct jg_policy *p,
                                       const char *name);
/* The zone off_hours learns principal's hours in (borrowed from p);
 * NULL means UTC. */
const struct jg_tz *jg_policy_alert_zone(const struct jg_policy *p,
                                         const char *principal);
int jg_resource_has_action(const struct jg_resource *res, const char *action);
/* The value of res's label key (borrowed), or NULL. */
const char *jg_resource_label(const struct jg_resource *res, const char *key);

/* 1 when rule's resource glob, labels and action glob hold for res. */
int jg_rule_matches(const struct jg_rule *rule, const struct jg_resource *res,
                    const char *action);

/* The first rule whose resource glob, labels and action glob hold;
 * NULL means the implicit deny. Screening also weighs the other match
 * keys and MATCH-mode checks (jg_policy_screen). */
const struct jg_rule *jg_policy_match(const struct jg_policy *p,
                                      const struct jg_resource *res,
                                      const char *action);

/*
 * 1 when principal `who` belongs to `group`: listed among the group's
 * members in the policy, or carrying the group on its token.
 */
int jg_policy_member(const struct jg_policy *p, const char *group,
                     const struct jg_principal *who);

/* Context of a request raised by automation (a scanner finding). */
struct jg_finding {
	const char *id;       /* borrowed strings, NULL when unknown */
	const char *type;     /* "sast", "dast", "iast", … */
	const char *rule;
	const char *location;
	const char *recommendation;
	int severity;         /* enum jg_level, 0 unknown */
};

/*
 * Findings (core/findings.c). The entry of p->findings that takes finding
 * f reported about target (NULL: none), or NULL. An entry with severity
 * bounds never takes a finding of unknown severity.
 */
const struct jg_finding_map *jg_policy_finding_map(const struct jg_policy *p,
                                                   const struct jg_finding *f,
                                                   const char *target);

/* The default reason template of a findings entry. */
#define JG_FINDING_REASON "{type} finding {id}: {rule} ({severity}) at " \
                          "{location}"

/* 1 when name is a placeholder of reason templates ("id", "type",
 * "rule", "severity", "location", "target", "recommendation"). */
int jg_finding_placeholder(const char *name, size_t len);

/*
 * The reason of the request m raises for f: its template with each
 * {placeholder} replaced by the finding's value ("-" when unknown) and
 * control characters dropped, cut at a character boundary to fit len.
 */
void jg_finding_reason(const struct jg_finding_map *m,
                       const struct jg_finding *f, const char *target,
                       char *out, size_t len);

/*
 * Rate counting for the rate check: how many requests were made since
 * `since` by the requester and on the resource. Supplied by the caller
 * (the gate counts in the store); screening never does I/O itself.
 */
typedef enum jg_err (*jg_count_fn)(void *ctx, int64_t since,
                                   size_t *by_requester,
                                   size_t *by_resource);

/* Input of screening: what a principal asks for, and in what context. */
struct jg_ask {
	const char *resource;
	const char *action;
	int64_t duration;       /* seconds; 0 means the rule's maximum */
	const char *reason;     /* NULL or "" when none given */
	const char *ticket;
	const char *source_ip;  /* textual IPv4/IPv6, NULL when unknown */
	const char *payload;    /* NULL when none; for the hidden_chars check */
	const char *params;     /* JSON text of the params object, or NULL */
	int64_t now;
	const struct jg_finding *finding; /* NULL unless raised by automation */
	int break_glass;        /* the requester approves it themselves */
	int64_t start_at;       /* scheduled access: the start asked, or 0 */
	/* extensions: the grant's life so far (expires_at - not_before) and
	 * how many times it was extended already; extension=0 otherwise */
	int extension;
	int64_t life_so_far;
	int extensions_so_far;
	/* the grant extended came from break-glass: its extensions.auto
	 * never applies (a self-approved grant must not grow unreviewed) */
	int extends_break_glass;
	jg_count_fn count;      /* NULL: rate checks pass ("not counted") */
	void *count_ctx;
};

enum jg_result { JG_PASS, JG_FLAG, JG_FAIL };

#define JG_CHECKS_MAX 12
#define JG_CHECK_MSG 200

/* One screening check and the sentence that explains its result. */
struct jg_check {
	char name[24]; /* "rule", "duration", "time", "source", … */
	enum jg_result result;
	char message[JG_CHECK_MSG];
};

/* Output of screening. `rule` borrows from the policy (NULL: no rule). */
struct jg_verdict {
	enum jg_decision decision;
	const struct jg_rule *rule;
	int64_t duration;    /* granted life (extension: the extra time) */
	int64_t request_ttl;
	int64_t start_at;    /* when the grant starts; 0: on approval (a
	                      * start asked within JG_START_SKEW of now) */
	int break_glass;     /* approved by the requester under break-glass */
	int flagged;         /* some check flagged */
	struct jg_check checks[JG_CHECKS_MAX];
	size_t nchecks;
	char reason[JG_WHY_MAX]; /* one human sentence for the decision */
};

/* "pass", "flag", "fail"; "deny", "auto", "review". */
const char *jg_result_name(enum jg_result r);
const char *jg_decision_name(enum jg_decision d);
/* "low"… for enum jg_level; 0 when name is not a level. */
const char *jg_level_name(int level);
int jg_level_parse(const char *name);

/*
 * Screen `ask` by `who` under p (core/screen.c). The first rule whose
 * match keys hold and none of whose MATCH-mode checks fail applies;
 * without one, the request is denied. Errors, with v->reason naming the
 * values: JG_EUNKNOWN for an unknown resource or action, JG_EDURATION for
 * a duration (or an extended total life) above the rule's maximum,
 * JG_EFORBIDDEN for a break-glass the rule does not allow to who,
 * JG_EINVAL for a negative duration or a start (ask->start_at) in the
 * past, past the rule's max_start_ahead, or on break-glass or an
 * extension. Otherwise JG_OK and a verdict whose
 * checks explain it. Pure: the clock is ask->now, counting is ask->count.
 */
enum jg_err jg_policy_screen(const struct jg_policy *p,
                             const struct jg_principal *who,
                             const struct jg_ask *ask, struct jg_verdict *v);

#endif
