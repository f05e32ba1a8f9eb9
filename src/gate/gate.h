/*
 * gate.h - jitgate's use cases, one function each.
 *
 * Every use case that changes state is one store transaction that loads
 * the records, applies a core transition, stores the result and appends
 * its audit event; if any step fails, nothing is written. Every use case
 * authorises its caller (`who`) itself: the HTTP layer only
 * authenticates. The clock is a parameter (`now`, seconds).
 *
 * Errors fill `why` (JG_WHY_MAX bytes) with one sentence fit for the
 * caller; it never holds secrets.
 */
#ifndef JG_GATE_H
#define JG_GATE_H

#include "core/policy.h"
#include "store/store.h"

struct jg_gate;

/* Takes ownership of neither: st and policy must outlive the gate. */
enum jg_err jg_gate_new(struct jg_store *st, const struct jg_policy *policy,
                        struct jg_gate **out);
void jg_gate_free(struct jg_gate *g);
const struct jg_policy *jg_gate_policy(const struct jg_gate *g);

/* ---- identities ---- */

/* Resolve a presented bearer token to its principal. JG_EAUTH if unknown
 * or revoked. */
enum jg_err jg_gate_authenticate(struct jg_gate *g, const char *token,
                                 struct jg_principal *out);

/*
 * With no token in the store, mint an admin token for principal "admin"
 * into secret (else secret[0] = '\0'), and record server.started with the
 * policy's SHA-256 either way.
 */
enum jg_err jg_gate_start(struct jg_gate *g, int64_t now,
                          char secret[JG_TOKEN_LEN]);

/* Admin only. spec->who, spec->description are used; out receives the
 * stored record and secret the token, to be shown once. */
enum jg_err jg_gate_token_create(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const struct jg_token *spec, int64_t now,
                                 struct jg_token *out,
                                 char secret[JG_TOKEN_LEN],
                                 char why[JG_WHY_MAX]);
/* Admin only. *out is a malloc'd array the caller frees. */
enum jg_err jg_gate_token_list(struct jg_gate *g,
                               const struct jg_principal *who,
                               struct jg_token **out, size_t *n,
                               char why[JG_WHY_MAX]);
enum jg_err jg_gate_token_revoke(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const char *id, int64_t now,
                                 struct jg_token *out, char why[JG_WHY_MAX]);

/* ---- requests ---- */

/* What a requester asks for; strings are borrowed. */
struct jg_new_request {
	const char *resource;
	const char *action;
	const char *payload; /* NULL when none */
	const char *reason;
	const char *ticket;  /* NULL when none */
	int64_t duration;    /* 0: the rule's maximum */
};

/* A request with what the API shows beside it. */
struct jg_request_view {
	struct jg_request req;
	struct jg_review *reviews; /* owned array */
	size_t nreviews;
	char grant_id[JG_ID_LEN];  /* "" until approved */
};

void jg_request_view_clear(struct jg_request_view *v);

/* Screen and record a request; policy may approve or deny it at once. */
enum jg_err jg_gate_request_create(struct jg_gate *g,
                                   const struct jg_principal *who,
                                   const struct jg_new_request *in,
                                   int64_t now, struct jg_request_view *out,
                                   char why[JG_WHY_MAX]);

/* Visible to the requester, reviewers of its steps, admins, auditors. */
enum jg_err jg_gate_request_get(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *id, struct jg_request_view *out,
                                char why[JG_WHY_MAX]);

/* *out: malloc'd array of views; clear each, then free the array. */
enum jg_err jg_gate_request_list(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 struct jg_filter *f,
                                 struct jg_request_view **out, size_t *n,
                                 int64_t *next, char why[JG_WHY_MAX]);

/* Approve (approve=1) or deny on the request's current step. */
enum jg_err jg_gate_review(struct jg_gate *g, const struct jg_principal *who,
                           const char *id, int approve, const char *comment,
                           int64_t now, struct jg_request_view *out,
                           char why[JG_WHY_MAX]);

/* The requester (or an admin) withdraws a pending request. */
enum jg_err jg_gate_cancel(struct jg_gate *g, const struct jg_principal *who,
                           const char *id, const char *reason, int64_t now,
                           struct jg_request_view *out, char why[JG_WHY_MAX]);

/* ---- grants ---- */

enum jg_err jg_gate_grant_get(struct jg_gate *g,
                              const struct jg_principal *who, const char *id,
                              struct jg_grant *out, char why[JG_WHY_MAX]);

/* Non-admins see their own grants. *out: malloc'd, caller frees. */
enum jg_err jg_gate_grant_list(struct jg_gate *g,
                               const struct jg_principal *who,
                               struct jg_filter *f, struct jg_grant **out,
                               size_t *n, int64_t *next,
                               char why[JG_WHY_MAX]);

/*
 * to = JG_GRANT_REVOKED (admin, holder, or a reviewer group member of its
 * request) or JG_GRANT_COMPLETED (holder only).
 */
enum jg_err jg_gate_grant_end(struct jg_gate *g,
                              const struct jg_principal *who, const char *id,
                              enum jg_grant_state to, const char *reason,
                              int64_t now, struct jg_grant *out,
                              char why[JG_WHY_MAX]);

struct jg_answer {
	int allow;
	struct jg_grant grant; /* valid when allow */
	char reason[JG_WHY_MAX];
};

/* May `principal` do `action` on `resource` at now? Callers other than
 * the principal itself need the checker or admin role. */
enum jg_err jg_gate_check(struct jg_gate *g, const struct jg_principal *who,
                          const char *principal, const char *resource,
                          const char *action, int64_t now,
                          struct jg_answer *out, char why[JG_WHY_MAX]);

/* ---- audit and housekeeping ---- */

/* Admin or auditor: walk events matching f (see store.h audit_walk). */
enum jg_err jg_gate_audit_walk(struct jg_gate *g,
                               const struct jg_principal *who,
                               const struct jg_filter *f, jg_event_fn fn,
                               void *ctx, int64_t *next,
                               char why[JG_WHY_MAX]);

struct jg_audit_report;
enum jg_err jg_gate_audit_verify(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 struct jg_audit_report *rep,
                                 char why[JG_WHY_MAX]);

/*
 * Record what the clock already decided: pending requests past their
 * deadline become expired, active grants past expiry become expired.
 * *changed counts the records moved. Safe to run at any time.
 */
enum jg_err jg_gate_sweep(struct jg_gate *g, int64_t now, size_t *changed);

#endif
