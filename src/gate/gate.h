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

#include <openssl/evp.h>

#include "core/policy.h"
#include "ident/ident.h"
#include "store/store.h"
#include "util/hist.h"

struct jg_gate;

/*
 * st is borrowed and must outlive the gate; policy is owned by the gate
 * from now on (also on failure). path, when not NULL, is where reloads
 * read the policy from (copied).
 */
enum jg_err jg_gate_new(struct jg_store *st, struct jg_policy *policy,
                        const char *path, struct jg_gate **out);
void jg_gate_free(struct jg_gate *g);

/*
 * Every caller of the use cases below holds the gate shared for the
 * call (the HTTP server does it per request), so a reload waits for
 * requests in flight and none sees two policies.
 */
void jg_gate_hold(struct jg_gate *g);
void jg_gate_release(struct jg_gate *g);

/*
 * Re-read the policy file. who NULL means the operator (SIGHUP); else
 * admins only. An invalid file is refused (JG_EINVAL, why has
 * file:line) and the old policy stays; a reload, or a refused one, is
 * audited with the file's SHA-256. Must be called without holding.
 */
enum jg_err jg_gate_reload(struct jg_gate *g, const struct jg_principal *who,
                           int64_t now, char sha256[JG_SHA256_HEX],
                           char why[JG_WHY_MAX]);

/*
 * After a restore from a backup (jitgate restore), before serving: revoke
 * every grant active at now, each with its grant.revoked event (actor
 * jitgate, reason as given); *n says how many. See restore.c for why all.
 */
enum jg_err jg_gate_restore_revoke(struct jg_gate *g, int64_t now,
                                   const char *reason, size_t *n);

/* Notifications go where cfg says (borrowed; NULL: none). Call before
 * serving. */
struct jg_notify_config;
void jg_gate_set_notify(struct jg_gate *g, const struct jg_notify_config *cfg);
/* What was set (NULL: none): the chat handler reads Slack's settings. */
const struct jg_notify_config *jg_gate_notify(const struct jg_gate *g);
/* Queue msg (consumed) for a Slack response_url, in its own transaction
 * (notify/chat.h jg_slack_reply): replaces the message of a button press
 * once the decision has been committed. */
enum jg_err jg_gate_chat_reply(struct jg_gate *g, const char *url,
                               const char *subject, const char *key,
                               struct json_t *msg, int64_t now);

/*
 * The time a decision made now must use: the wall clock `wall`, but
 * never earlier than any time this gate has returned before, nor than
 * the newest audit event it has seen (its own, or, sharing a store,
 * another server's). A wall clock that steps back cannot revive a grant
 * already judged expired. Callers that serve (the HTTP server, the
 * sweeper) ask this for every use case's `now`; tests pass their own.
 */
int64_t jg_gate_now(struct jg_gate *g, int64_t wall);

/*
 * Feed the alert detectors from a thread of this gate's own, every
 * period_ms (gate/alerts.c; a server uses JG_ALERTS_MS). Stop before
 * freeing what the gate borrows (jg_gate_free stops it too). Without it
 * no detector runs, unless jg_gate_alerts_inline asked for them in the
 * committing thread, after each commit (tests that drive the clock).
 */
#define JG_ALERTS_MS 250 /* an alert is raised this long after at most */
enum jg_err jg_gate_alerts_start(struct jg_gate *g, int period_ms);
void jg_gate_alerts_inline(struct jg_gate *g);
void jg_gate_alerts_stop(struct jg_gate *g);

/* alert.raised events the detectors were fed since start (by whichever
 * server raised them; the replay at start not counted), by kind. */
void jg_gate_alerts_raised(struct jg_gate *g, uint64_t out[JG_AK_COUNT]);

/*
 * Alerts (alerts_list.c, docs/alerts.md), newest first, at most
 * JG_LIST_MAX: *out an owned JSON array of the alert.raised details with
 * id, seq, time, state ("open" or "acknowledged") and acknowledgement.
 * state NULL: all. Admins and auditors only.
 */
enum jg_err jg_gate_alerts_list(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *state, json_t **out,
                                char why[JG_WHY_MAX]);
/* Acknowledge open alert id with a comment (required): admins only;
 * JG_ENOTFOUND for no such alert, JG_ECONFLICT when already done. */
enum jg_err jg_gate_alerts_ack(struct jg_gate *g,
                               const struct jg_principal *who,
                               const char *id, const char *comment,
                               int64_t now, char why[JG_WHY_MAX]);

/* The policy in force; valid while the caller holds the gate. */
const struct jg_policy *jg_gate_policy(struct jg_gate *g);

/* The SHA-256 of the policy in force (copied, under the hold). */
void jg_gate_policy_sha256(struct jg_gate *g, char out[JG_SHA256_HEX]);

/* ---- identities ---- */

/* Resolve a presented bearer token to its principal at now. JG_EAUTH if
 * unknown or revoked. Once the caches are loaded (jg_gate_index_load), a
 * valid token is remembered for JG_AUTHCACHE_TTL seconds at most and
 * forgotten as soon as a sync step sees it revoked. */
enum jg_err jg_gate_authenticate(struct jg_gate *g, const char *token,
                                 int64_t now, struct jg_principal *out);
/* The same; a value with two dots is a workload token (a JWT of an
 * issuer in the policy's identity.workload, workload.c). why receives
 * the reason of a refusal worth telling the caller (naming no secret),
 * or "". */
enum jg_err jg_gate_authenticate_why(struct jg_gate *g, const char *token,
                                     int64_t now, struct jg_principal *out,
                                     char why[JG_WHY_MAX]);

/*
 * With no token in the store, mint an admin token for principal "admin"
 * into secret (else secret[0] = '\0'), and record server.started with the
 * policy's SHA-256 either way.
 */
enum jg_err jg_gate_start(struct jg_gate *g, int64_t now,
                          char secret[JG_TOKEN_LEN]);

/* Admin only. spec->who, spec->description and spec->expires_at (0: no
 * end; else after now) are used; out receives the stored record and
 * secret the token, to be shown once. A name that differs from an
 * existing principal only by case is JG_ECONFLICT. */
enum jg_err jg_gate_token_create(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const struct jg_token *spec, int64_t now,
                                 struct jg_token *out,
                                 char secret[JG_TOKEN_LEN],
                                 char why[JG_WHY_MAX]);
/* Admin only. *out is a malloc'd array the caller frees. stale > 0:
 * only the tokens jg_token_stale calls stale at now. */
enum jg_err jg_gate_token_list(struct jg_gate *g,
                               const struct jg_principal *who, int64_t now,
                               int64_t stale, struct jg_token **out,
                               size_t *n, char why[JG_WHY_MAX]);
enum jg_err jg_gate_token_revoke(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const char *id, int64_t now,
                                 struct jg_token *out, char why[JG_WHY_MAX]);

/* ---- dashboard sessions ---- */

#define JG_SESSION_TTL (12 * 3600)

/*
 * Sign in with a bearer token: a new session whose cookie value goes to
 * cookie (shown once, in Set-Cookie) and whose CSRF token to csrf. The
 * principal is returned in who. Audited as session.opened.
 */
enum jg_err jg_gate_session_open(struct jg_gate *g, const char *token,
                                 int64_t now, char cookie[JG_TOKEN_LEN],
                                 char csrf[JG_SHA256_HEX],
                                 struct jg_principal *who);

/* Resolve a session cookie: JG_EAUTH when unknown, expired, or its token
 * was revoked. csrf receives the session's CSRF token. */
enum jg_err jg_gate_session_auth(struct jg_gate *g, const char *cookie,
                                 int64_t now, struct jg_principal *who,
                                 char csrf[JG_SHA256_HEX]);

/* Sign out: forget the session (and any expired ones). */
enum jg_err jg_gate_session_close(struct jg_gate *g, const char *cookie,
                                  const struct jg_principal *who,
                                  int64_t now);

/* ---- sign-in through the identity provider (src/gate/signin.c) ---- */

/* A browser session is a cookie plus a CSRF token; a CLI session (from
 * `jitgate login`) is a bearer secret starting "jgs_" and needs no CSRF
 * token (a bearer header is never sent by a browser on its own). */
enum jg_session_kind { JG_SESSION_BROWSER, JG_SESSION_CLI };

/* What jitgate needs to act as the provider's client (identity.signin). */
struct jg_signin_client {
	struct jg_ident_endpoints ep;
	char client_id[JG_CLAIM_MAX];
	char secret[JG_CLAIM_MAX];    /* "" for a public client; never logged */
	char scopes[JG_CLAIM_MAX];    /* space-separated */
	char redirect_url[JG_URL_MAX];
	struct jg_ident_issuer *issuer; /* borrowed: lives as long as g */
};

/* The sign-in provider's client, endpoints discovered. JG_ENOTFOUND when
 * the policy has no identity.signin; JG_EIDP with why when the provider's
 * discovery document cannot be had. */
enum jg_err jg_gate_signin_client(struct jg_gate *g, int64_t now,
                                  struct jg_signin_client *out,
                                  char why[JG_WHY_MAX]);

/*
 * A person signed in at the provider: verify id_token (nonce, when not
 * NULL, must be its `nonce`), map its claims under identity.signin
 * (principal claim, email domains, groups claim: a list or refused,
 * group and role maps; groups from the userinfo endpoint with
 * access_token when asked and the ID token has none), and open a session
 * of kind: secret receives its cookie or bearer value (shown once), csrf
 * its CSRF token (browser sessions), who the principal with auth_time
 * and mfa. Audited as session.opened with the provider and subject; a
 * refusal as signin.refused with its reason. JG_EAUTH with why (naming
 * no secret) when refused; JG_EIDP when the provider cannot be reached.
 */
enum jg_err jg_gate_signin_finish(struct jg_gate *g, const char *id_token,
                                  const char *access_token,
                                  const char *nonce,
                                  enum jg_session_kind kind, int64_t now,
                                  char secret[JG_TOKEN_LEN],
                                  char csrf[JG_SHA256_HEX],
                                  struct jg_principal *who,
                                  char why[JG_WHY_MAX]);

/* Admin only: end every session of the person `principal` signed in at
 * the identity provider (browser and CLI); *n how many. Audited as
 * session.ended. Their next call is 401; the provider may sign them in
 * again (remove them there to keep them out). */
enum jg_err jg_gate_sessions_end(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const char *principal, int64_t now,
                                 long *n, char why[JG_WHY_MAX]);

/* What GET /v1/auth/config shows (public). */
struct jg_signin_config {
	int provider;              /* 1: sign-in through the provider is on */
	int token;                 /* 1: the dashboard takes jitgate tokens */
	char issuer[JG_URL_MAX];   /* the provider's issuer, "" when off */
	int64_t session_ttl;       /* seconds a person's session lives */
};
void jg_gate_signin_config(struct jg_gate *g, struct jg_signin_config *out);

/* A browser sign-in on its way through the provider (signin_pending.c):
 * random state, nonce, PKCE verifier and its S256 challenge, the value of
 * the cookie that binds it to this browser, and where to go after. */
struct jg_signin_start {
	char state[JG_TOKEN_LEN];
	char nonce[JG_TOKEN_LEN];
	char verifier[JG_TOKEN_LEN];
	char challenge[JG_TOKEN_LEN];
	char bind[JG_TOKEN_LEN];
	char next[JG_URL_MAX];
};

#define JG_LOGIN_TTL 600    /* seconds a sign-in may take at the provider */

/* Start one for the client address peer (kept JG_LOGIN_TTL seconds, for
 * this server only); the caller checked that next is a same-origin path.
 * JG_EBUSY when too many are in progress, in all or from peer. */
#define JG_LOGINS_PER_PEER 32
enum jg_err jg_gate_signin_begin(struct jg_gate *g, const char *next,
                                 const char *peer, int64_t now,
                                 struct jg_signin_start *out);

/* The sign-in of state, used up (a second take finds nothing), when bind
 * is the cookie it was bound to and it has not expired; else JG_EAUTH
 * with why. out->state and out->bind are left empty. */
enum jg_err jg_gate_signin_take(struct jg_gate *g, const char *state,
                                const char *bind, int64_t now,
                                struct jg_signin_start *out,
                                char why[JG_WHY_MAX]);

/* Audit a sign-in refused before an ID token was seen (the provider's
 * error answer, a failed code exchange); returns JG_EAUTH. */
enum jg_err jg_gate_signin_refused(struct jg_gate *g, int64_t now,
                                   const char *why);

/* The client secret from the file identity.signin.client_secret_file of
 * p names (one line), "" when none; read by the server at start (before
 * dropping privileges) and at each reload. JG_EINVAL with err. */
enum jg_err jg_gate_signin_secret_read(const struct jg_policy *p,
                                       char secret[JG_CLAIM_MAX],
                                       char err[JG_WHY_MAX]);
/* The secret the server read, used for the provider's token endpoint. */
void jg_gate_signin_set_secret(struct jg_gate *g, const char *secret);

/* ---- requests ---- */

/* What a requester asks for; strings are borrowed. */
struct jg_new_request {
	const char *resource;
	const char *action;
	const char *payload; /* NULL when none */
	const char *reason;
	const char *ticket;  /* NULL when none */
	int64_t duration;    /* 0: the rule's maximum */
	const char *source_ip; /* the caller's address, NULL when unknown */
	const struct jg_finding *finding; /* service principals only */
	int break_glass;     /* approve it myself, under the rule's break-glass */
	int64_t start_at;    /* scheduled access: when the grant starts; 0:
	                      * on approval (see the rule's max_start_ahead) */
	const struct jg_grant *extends; /* set by jg_gate_grant_extend only */
	/* params for the connector's template slots: a JSON object of
	 * strings (jansson), NULL when none; bound with the payload */
	const struct json_t *params;
	/* a client's idempotency key: the same key (per requester) returns
	 * the request it first created instead of a new one; NULL: none */
	const char *idempotency_key;
};

/* A request with what the API shows beside it. */
struct jg_request_view {
	struct jg_request req;
	struct jg_review *reviews; /* owned array */
	size_t nreviews;
	char grant_id[JG_ID_LEN];  /* "" until approved */
	struct jg_grant grant;     /* as recorded; valid when grant_id[0] */
	struct jg_execution exec;  /* owned output; valid when has_exec */
	int has_exec;
	int reused; /* create: an earlier request of the idempotency key */
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
/* The same, naming the channel it came through in the audit event
 * ("slack"; NULL: the API). Every rule of jg_gate_review applies. */
enum jg_err jg_gate_review_via(struct jg_gate *g,
                               const struct jg_principal *who,
                               const char *id, int approve,
                               const char *comment, const char *via,
                               int64_t now, struct jg_request_view *out,
                               char why[JG_WHY_MAX]);

/*
 * After a break-glass approval: a member of one of the request's step
 * groups (never the requester) or an admin records the mandatory review.
 * JG_ECONFLICT when none is due.
 */
enum jg_err jg_gate_post_review(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *id, const char *comment,
                                int64_t now, struct jg_request_view *out,
                                char why[JG_WHY_MAX]);

/* 1 when who may approve or deny v now (for the dashboard's buttons;
 * jg_gate_review decides for real). */
int jg_gate_can_review(struct jg_gate *g, const struct jg_principal *who,
                       const struct jg_request_view *v, int64_t now);

/* 1 when approving v needs a comment (its rule's `approve_comment`);
 * denying always does. For clients' forms; jg_gate_review decides. */
int jg_gate_approve_needs_comment_of(const struct jg_gate *g,
                                     const struct jg_request_view *v);

/* 1 when who may record v's review after break-glass now (for the
 * dashboard; jg_gate_post_review decides for real). */
int jg_gate_can_post_review(const struct jg_gate *g,
                            const struct jg_principal *who,
                            const struct jg_request_view *v);

/*
 * Who may approve for each group, as far as jitgate knows (approvers.c):
 * a new JSON object (the caller's) mapping each group to an array of at
 * most JG_APPROVERS_MAX principal names: the policy's members, then the
 * holders of usable human tokens carrying it.
 */
#define JG_APPROVERS_MAX 20
enum jg_err jg_gate_approvers(struct jg_gate *g, int64_t now, json_t **out);

/*
 * The state of v's grant now ("active", "expired", "revoked", ...: the
 * clock decides expiry before the sweeper records it), or NULL when it
 * has none (runnable.c). From the view alone: no store access.
 */
const char *jg_gate_grant_state_of(const struct jg_request_view *v,
                                   int64_t now);

/* 1 when who may run v now through its connector: the requester, v
 * approved, not run, its grant live (active, in its window, uses left),
 * a connector for its action. For the dashboard; execute decides. */
int jg_gate_can_execute(struct jg_gate *g, const struct jg_principal *who,
                        const struct jg_request_view *v, int64_t now);

/*
 * Every audit event about request id and its grant, oldest first, at
 * most JG_TIMELINE_MAX (timeline.c): a new JSON array (the caller's) of
 * events as GET /v1/audit shows them. For whoever may see the request
 * (else JG_ENOTFOUND); execution output only for its requester, admins
 * and auditors, as on the request.
 */
#define JG_TIMELINE_MAX 500
enum jg_err jg_gate_request_events(struct jg_gate *g,
                                   const struct jg_principal *who,
                                   const char *id, json_t **out,
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

/* ---- temporary database credentials (credentials.c) ---- */

#define JG_CREDS_PERIOD_MS 250 /* how often ended grants' roles are sought */

/* A PostgreSQL login role made for a grant, shown once. */
struct jg_credentials {
	char grant_id[JG_ID_LEN];
	char role[64];
	char password[JG_TOKEN_LEN]; /* secret: wipe it once sent */
	char host[256];
	char port[16];
	char dbname[64];
	int64_t expires_at;          /* the role's VALID UNTIL */
};

/*
 * The holder of live grant id (only the holder, only while it is live at
 * now: from its start, until it ends) gets a new login role on the
 * resource's pg_credentials connector, once: a second call is
 * JG_ECONFLICT. Others who may see the grant get JG_EFORBIDDEN, the rest
 * JG_ENOTFOUND. Audited as credentials.issued with
 * the role's name (never the password). JG_EBUSY with why when the target
 * database cannot make it (the holder may ask again). Blocks while the
 * target database answers: call it without holding the gate (it holds
 * it around its transactions only).
 */
enum jg_err jg_gate_credentials_issue(struct jg_gate *g,
                                      const struct jg_principal *who,
                                      const char *id, int64_t now,
                                      struct jg_credentials *out,
                                      char why[JG_WHY_MAX]);

/*
 * One pass of the worker: drop the role of every record whose grant is
 * no longer live at now (credentials.revoked); the number that failed.
 */
size_t jg_gate_credentials_sweep(struct jg_gate *g, int64_t now);

/*
 * Before serving (after jg_gate_set_connectors): one pass at once
 * (*pending: roles it could not drop yet, retried), then the worker in
 * the background every JG_CREDS_PERIOD_MS. jg_gate_free stops it.
 */
enum jg_err jg_gate_credentials_start(struct jg_gate *g, size_t *pending);
void jg_gate_credentials_stop(struct jg_gate *g);
/* Wake the worker now (a grant ended); nothing when it is not running. */
void jg_gate_credentials_poke(struct jg_gate *g);

/* What an extension asks for; strings borrowed. */
struct jg_extension {
	int64_t duration;   /* extra seconds; 0: up to the rule's maximum */
	const char *reason;
	const char *ticket;
	const char *source_ip;
};

/* What came of it: the grant extended at once, or a request created. */
struct jg_extend_result {
	int extended;
	struct jg_grant grant;
	struct jg_request_view req; /* when !extended: pending or denied */
};

/*
 * The holder asks for more time on a live grant. Screened like a request
 * (the rule's max_duration caps the grant's total life, and its
 * extensions.auto extensions need no review); reviewed by the same steps
 * otherwise. The grant keeps its id.
 */
enum jg_err jg_gate_grant_extend(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const char *id,
                                 const struct jg_extension *in, int64_t now,
                                 struct jg_extend_result *out,
                                 char why[JG_WHY_MAX]);

/* What /v1/check answers: only what it shows, so that the index of
 * live grants (index.h) need keep no more. */
struct jg_answer {
	int allow;
	char grant_id[JG_ID_LEN]; /* the grant judged; "" when none */
	int64_t expires_at;       /* when allow: the answer holds until then */
	/* when allow: the payload the grant is bound to ("" none: plain
	 * access), its uses left (-1 unlimited; after this check's use when
	 * it consumed one) and whether this check took a use */
	char payload_sha256[JG_SHA256_HEX];
	int uses_left;
	int consumed;
	char reason[JG_WHY_MAX];
};

/* What an enforcement point asks; strings borrowed. */
struct jg_check_query {
	/* whose grant; NULL with a token (its subject) */
	const char *principal;
	/* what is to be done; with a token NULL means "the token's" */
	const char *resource;
	const char *action;
	/* a signed grant token (token.c) instead of principal; NULL: none */
	const char *token;
	/* the SHA-256 (64 lowercase hex digits) of the payload about to run,
	 * NULL: none. A grant bound to a payload allows only a check that
	 * names exactly that payload; an unbound grant allows any. */
	const char *payload_sha256;
	/* take one use of the grant that allows, atomically (once across
	 * every server sharing the store): for enforcement points that run
	 * the action themselves */
	int consume;
	/* where the grant is used from: the address of the party about to
	 * act (an IPv4 or IPv6 address), as the enforcement point saw it;
	 * NULL: the caller's own (who->source). Recorded on the use events. */
	const char *source;
	/* what asks, for the use events' `via`: NULL "check", "forward" */
	const char *via;
};

/*
 * May the principal (or the token's holder) do q's action on q's
 * resource at now, with q's payload? Callers other than the principal
 * itself need the checker or admin role. Answers from the index of live
 * grants when it is loaded and in step (jg_gate_sync), from the store
 * otherwise; either way a grant is live only while not_before <= now <
 * expires_at, by this clock, and uses are left. A denial is an answer
 * (allow 0, with the reason), not an error; errors are bad input
 * (EINVAL), authorisation (EFORBIDDEN) and the store's. A consuming check
 * that allows has recorded grant.used (and grant.consumed on the last
 * use) before it returns. A non-consuming one that allows records
 * grant.used the first time this gate sees the grant used from its
 * source (seen.c); when that record cannot be written the answer is the
 * store's error, never an allow.
 */
enum jg_err jg_gate_authorize(struct jg_gate *g,
                              const struct jg_principal *who,
                              const struct jg_check_query *q, int64_t now,
                              struct jg_answer *out, char why[JG_WHY_MAX]);

/* jg_gate_authorize with a bare question: no payload, no consumption.
 * A grant bound to a payload never allows it. */
enum jg_err jg_gate_check(struct jg_gate *g, const struct jg_principal *who,
                          const char *principal, const char *resource,
                          const char *action, int64_t now,
                          struct jg_answer *out, char why[JG_WHY_MAX]);

/* ---- keeping the caches in step (sync.c) ---- */

/*
 * Several servers may share one store (PostgreSQL), and each keeps an
 * index of the live grants and a token cache in memory. They learn of
 * each other's changes from the audit trail, where every grant and token
 * change lands in the transaction that made it: a sync step reads the
 * events after the last one applied and, for each grant.* event, reads
 * that grant and puts it in or takes it out of the index; for each
 * token.revoked, drops the token from the cache. Every commit of this
 * server runs a step before its use case returns; the background thread
 * runs one every JG_SYNC_MS. So a change made on another server is
 * honoured here within JG_SYNC_MS plus one step's duration, and one made
 * here, as soon as its use case returns.
 */
#define JG_SYNC_MS 100

/*
 * Turn the caches on: build the index from every grant the store marks
 * active and start following the audit trail from its last event. Call
 * once, before serving. On failure the caches stay off (check and
 * authenticate ask the store) until a later sync step manages the load.
 */
enum jg_err jg_gate_index_load(struct jg_gate *g);

/*
 * One sync step (a no-op before jg_gate_index_load). While steps fail,
 * check and authenticate ask the store; the next step that succeeds
 * picks up where the last good one stopped.
 */
enum jg_err jg_gate_sync(struct jg_gate *g);

/* How many grants the index holds and the bytes it uses for them (see
 * jg_index_bytes); 0 and 0 before jg_gate_index_load. */
void jg_gate_index_size(struct jg_gate *g, size_t *grants, size_t *bytes);

/* A thread that runs jg_gate_sync every period_ms until
 * jg_gate_sync_stop (or jg_gate_free). */
enum jg_err jg_gate_sync_start(struct jg_gate *g, int period_ms);
void jg_gate_sync_stop(struct jg_gate *g); /* waits for the thread */

/* ---- scanner findings (findings.c) ---- */

/* What became of one finding of a report. */
struct jg_finding_result {
	char finding_id[129];         /* "" when it had none */
	char type[JG_NAME_MAX];
	char request_id[JG_ID_LEN];   /* "" on error */
	char state[16];               /* the request's state */
	int duplicate;                /* raised before: request_id is that one */
	char error[JG_WHY_MAX];       /* not "": why it raised nothing */
};

/*
 * Service identities: turn each finding of scan (see scan/scan.h) into a
 * request through the policy's `findings` list, once per finding (a
 * finding seen before answers with its request). out has room for
 * scan->n results, in the report's order. One transaction: a store
 * failure raises nothing.
 */
struct jg_scan;
enum jg_err jg_gate_findings(struct jg_gate *g, const struct jg_principal *who,
                             const struct jg_scan *scan,
                             const char *source_ip, int64_t now,
                             struct jg_finding_result *out,
                             char why[JG_WHY_MAX]);

/* ---- signed grant tokens (token.c) ---- */

/* Grant tokens are signed with keys (borrowed; NULL: none). Call before
 * serving. */
struct jg_keys;
void jg_gate_set_keys(struct jg_gate *g, struct jg_keys *keys);

/*
 * The holder of live grant id fetches a JWT describing it (see
 * docs/tokens.md), bound to audience aud (NULL: none) and living until
 * *exp: the grant's expiry or JG_TOKEN_TTL_MAX from now, whichever comes
 * first. *token is malloc'd; the caller frees it. Audited as
 * grant.token_issued.
 */
enum jg_err jg_gate_grant_token(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *id, const char *aud, int64_t now,
                                char **token, int64_t *exp,
                                char why[JG_WHY_MAX]);

/* jg_gate_authorize with a grant token and no payload nor consumption. */
enum jg_err jg_gate_check_token(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *token, const char *resource,
                                const char *action, int64_t now,
                                struct jg_answer *out, char why[JG_WHY_MAX]);

/* Admins: a new signing key becomes current (audited as keys.rotated);
 * kid receives its id, prev the previous one's (48 bytes each). */
enum jg_err jg_gate_keys_rotate(struct jg_gate *g,
                                const struct jg_principal *who, int64_t now,
                                char kid[48], char prev[48],
                                char why[JG_WHY_MAX]);

/* The published keys as JWKS JSON text, malloc'd; NULL without keys. */
char *jg_gate_jwks(struct jg_gate *g, int64_t now);

/* ---- OpenSSH user certificates (sshcert.c) ---- */

/* Certificates are signed with ca (an Ed25519 key, borrowed; NULL: none).
 * Call before serving. */
struct evp_pkey_st;
void jg_gate_set_ssh_ca(struct jg_gate *g, struct evp_pkey_st *ca);

/* A certificate issued for a grant. */
struct jg_ssh_cert_out {
	char *text; /* owned: the id_*-cert.pub line */
	int64_t serial;
	char grant_id[JG_ID_LEN];
	char principal[JG_NAME_MAX]; /* the login it is valid for */
	char key_type[48];
	char fingerprint[64]; /* of the user's key, "SHA256:..." */
	int64_t valid_after, valid_before;
};
void jg_ssh_cert_out_clear(struct jg_ssh_cert_out *out);

/*
 * The holder of live grant id (ssh.login on a resource labelled kind: ssh
 * with a login label) has public_key (an authorized_keys line) signed
 * into a certificate for that login until the grant's expiry. Recorded
 * for the KRL and audited as ssh_cert.issued. JG_ENOTFOUND without a CA.
 */
enum jg_err jg_gate_ssh_cert(struct jg_gate *g, const struct jg_principal *who,
                             const char *id, const char *public_key,
                             int64_t now, struct jg_ssh_cert_out *out,
                             char why[JG_WHY_MAX]);

/* The CA's public key line for TrustedUserCAKeys, malloc'd; NULL without
 * a CA (or memory). */
char *jg_gate_ssh_ca(struct jg_gate *g);

/* The KRL (malloc'd *krl, *len) of the certificates whose grants ended
 * before their validity did. JG_ENOTFOUND without a CA. */
enum jg_err jg_gate_ssh_krl(struct jg_gate *g, int64_t now,
                            unsigned char **krl, size_t *len,
                            char why[JG_WHY_MAX]);

/* ---- gateway execution (execute.c) ---- */

/*
 * Actions run through the connectors of cs (borrowed, NULL: none),
 * finishing times read from clock (wall-clock seconds). Call before
 * serving; the gate never runs anything without it.
 */
struct jg_connectors;
void jg_gate_set_connectors(struct jg_gate *g, const struct jg_connectors *cs,
                            int64_t (*clock)(void));

/*
 * The requester has the bound payload of approved request id run through
 * its resource's connector, exactly once. In one transaction: the grant
 * must be live, one-time (uses_left > 0) and bound to the hash of the
 * request's payload and params (and to expect_sha256 when not NULL); it
 * is consumed and the execution recorded `started` (audited
 * grant.consumed, execution.started). Then the connector runs outside
 * any transaction, and a second transaction records the outcome
 * (execution.succeeded or execution.failed). Refused, with nothing run:
 * another caller (EFORBIDDEN), no connector (EINVAL), not approved or a
 * grant no longer live (ECONFLICT), a second execute (EEXECUTED), a hash
 * that differs (EMISMATCH). A connector that fails is not an error: out
 * holds the request with its execution either way. All in the caller's
 * thread, which waits for the connector (tests and tools); the server
 * uses the steps apart (below).
 */
enum jg_err jg_gate_execute(struct jg_gate *g, const struct jg_principal *who,
                            const char *id, const char *expect_sha256,
                            int64_t now, struct jg_request_view *out,
                            char why[JG_WHY_MAX]);

/*
 * The same three steps apart, for a server that runs actions on threads
 * of their own (http/pool.c) and never lets an action hold the policy
 * lock or an HTTP worker:
 *
 *   jg_gate_exec_start   step 1, holding the gate: the checks, the grant
 *                        consumed, the execution recorded `started`.
 *                        Refused as jg_gate_execute is, with nothing run
 *                        and *run NULL; else *run (owned by the caller)
 *                        must go to jg_gate_exec_run, then to finish.
 *   jg_gate_exec_run     step 2, NOT holding the gate: the connector
 *                        runs (at most its timeout).
 *   jg_gate_exec_finish  step 3, holding the gate again: the outcome
 *                        recorded, out filled as jg_gate_execute does;
 *                        frees run, whatever it returns.
 */
struct jg_exec_run;
enum jg_err jg_gate_exec_start(struct jg_gate *g,
                               const struct jg_principal *who,
                               const char *id, const char *expect_sha256,
                               int64_t now, struct jg_exec_run **run,
                               char why[JG_WHY_MAX]);
void jg_gate_exec_run(struct jg_gate *g, struct jg_exec_run *run);
enum jg_err jg_gate_exec_finish(struct jg_gate *g, struct jg_exec_run *run,
                                struct jg_request_view *out,
                                char why[JG_WHY_MAX]);

/*
 * Executions still `started` past their deadline (their connector's
 * timeout and a grace period after the start: none can still be running
 * on any server) become `unknown`, audited execution.unknown, for a human
 * to look at; they are never run again. *n counts them. Run at start-up
 * and with each sweep.
 */
enum jg_err jg_gate_exec_recover(struct jg_gate *g, int64_t now, size_t *n);

/* ---- policy replay ---- */

struct jg_replay_item {
	char id[JG_ID_LEN];
	char requester[JG_NAME_MAX];
	char resource[JG_NAME_MAX];
	char action[JG_NAME_MAX];
	int64_t created_at;
	char was[16], was_rule[JG_NAME_MAX];
	char now[16], now_rule[JG_NAME_MAX];
	char reason[JG_WHY_MAX];
};

struct jg_replay {
	size_t total, same, changed, skipped;
	struct jg_replay_item *items; /* owned; the first JG_REPLAY_MAX */
	size_t nitems;
};
#define JG_REPLAY_MAX 1000

/* When a replay gives up, with JG_EBUSY: at `deadline` (ms of
 * CLOCK_MONOTONIC; 0: never), or once *stop (read atomically; NULL:
 * never) is nonzero. Both are looked at before each request screened. */
struct jg_replay_bound {
	int64_t deadline;
	const int *stop;
};

/* Milliseconds of CLOCK_MONOTONIC, for a jg_replay_bound deadline. */
int64_t jg_replay_clock_ms(void);

/*
 * Admins and auditors: re-decide every request created since `since`
 * under the candidate policy text (YAML), in the context each was made
 * in, and list those decided differently. JG_EINVAL with file:line when
 * the text is not a valid policy (too deep a nesting included);
 * JG_EBUSY, nothing listed, when `bound` (may be NULL) stops it. Clear
 * out with jg_replay_clear.
 */
enum jg_err jg_gate_replay(struct jg_gate *g, const struct jg_principal *who,
                           const char *text, size_t len, int64_t since,
                           const struct jg_replay_bound *bound,
                           struct jg_replay *out, char why[JG_WHY_MAX]);
void jg_replay_clear(struct jg_replay *r);

/* ---- notifications ---- */

/* Admins: the outbox, newest first (state "pending", "delivered",
 * "dead" or NULL). *out: malloc'd; clear each, free the array. */
enum jg_err jg_gate_outbox(struct jg_gate *g, const struct jg_principal *who,
                           const char *state, int limit,
                           struct jg_delivery **out, size_t *n,
                           char why[JG_WHY_MAX]);

/* ---- what /metrics and /readyz show (metrics.c) ---- */

/* How checks ended: allowed, denied (an answer), or an error. */
enum { JG_CHECK_ALLOW, JG_CHECK_DENY, JG_CHECK_ERROR, JG_CHECK_NRESULTS };
/* Who decided a request: policy at creation, or its reviewers. */
enum { JG_DECIDED_BY_POLICY, JG_DECIDED_BY_REVIEW, JG_DECIDED_NBY };

/* The gate's own counters and state, read without the store. */
struct jg_gate_metrics {
	uint64_t checks[JG_CHECK_NRESULTS];   /* since start */
	struct jg_hist_snap decided[JG_DECIDED_NBY]; /* request to decision */
	size_t grants;       /* live grants in the index */
	int64_t applied_seq; /* the audit seq the index has applied */
	int64_t sync_age_ms; /* since the last good sync step; -1: none */
	int halted;          /* the trail went backwards (jg_gate_halted) */
	int signer;          /* this server signs checkpoints */
	int64_t ckpt_seq;    /* the last one signed (or found in the sink) */
	int64_t ckpt_ts;     /* its time (wall seconds); 0: none yet */
	uint64_t alerts[JG_AK_COUNT]; /* see jg_gate_alerts_raised */
};
void jg_gate_metrics(struct jg_gate *g, struct jg_gate_metrics *out);

/* One read transaction: the store's tally (see store.h) through fn, and
 * the audit trail's last seq into *last_seq. Call holding the gate. */
enum jg_err jg_gate_tally(struct jg_gate *g, jg_tally_fn fn, void *ctx,
                          int64_t *last_seq);

/* A sync step that has not succeeded for this long fails readiness. */
#define JG_READY_SYNC_MS 10000

/* /readyz: each check 1 when it passes, else why says what failed. */
struct jg_ready {
	int store;  /* a read transaction works */
	int audit;  /* a write transaction can begin (nothing is written) */
	int index;  /* loaded, in step within JG_READY_SYNC_MS, not halted */
	char store_why[JG_WHY_MAX], audit_why[JG_WHY_MAX],
	        index_why[JG_WHY_MAX];
};
/* 1 when every check passes. Call holding the gate. */
int jg_gate_ready(struct jg_gate *g, struct jg_ready *out);

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

/* ---- signed audit checkpoints (checkpoint.c) ---- */

#define JG_CKPT_EVERY 1000  /* sign at least every this many events */
#define JG_CKPT_INTERVAL 60 /* and every this many seconds (if any new) */

struct jg_ckpt_config {
	EVP_PKEY *key;          /* the checkpoint key; given over */
	const char *sink_path;  /* the sink file, or NULL for none */
	int sink_fd;            /* its fd, opened to append; given over */
	int every;              /* events */
	int interval;           /* seconds */
	int64_t (*clock)(void); /* the time a checkpoint carries */
};

/*
 * Start the signer: a thread that, every c->every events (as sync steps
 * apply them) and every c->interval seconds when the trail grew, signs
 * the head the index has applied (seq and hash) and writes it to the
 * sink and the store. Before that, the sink's newest checkpoint is
 * compared with the store: a trail that no longer reaches it, or differs
 * there, halts the gate (see jg_gate_halted). Call after
 * jg_gate_index_load. On success the gate owns c->key and c->sink_fd
 * (the caller keeps them on failure). Stopped by jg_gate_free.
 */
enum jg_err jg_gate_signer_start(struct jg_gate *g,
                                 const struct jg_ckpt_config *c, char *err,
                                 size_t errlen);
void jg_gate_signer_stop(struct jg_gate *g);

/*
 * 1 (why filled when not NULL) once this server saw its audit trail go
 * backwards: fewer events, or another hash at a seq it had applied or
 * signed. It then allows nothing (check's callers must deny with why)
 * until restart.
 */
int jg_gate_halted(struct jg_gate *g, char why[JG_WHY_MAX]);

/*
 * Admin or auditor: jg_gate_audit_verify, and the trail must match the
 * store's checkpoints signed by this server's key (none without one):
 * *pins receives how many were checked.
 */
enum jg_err jg_gate_audit_verify_pinned(struct jg_gate *g,
                                        const struct jg_principal *who,
                                        struct jg_audit_report *rep,
                                        size_t *pins, char why[JG_WHY_MAX]);

/*
 * The same verification, and every event of the trail given to fn too
 * (jg_audit_verify_walk): a reader of the whole trail that also needs
 * the verdict walks it once.
 */
enum jg_err jg_gate_audit_verify_walk(struct jg_gate *g,
                                      const struct jg_principal *who,
                                      jg_event_fn fn, void *ctx,
                                      struct jg_audit_report *rep,
                                      size_t *pins, char why[JG_WHY_MAX]);

/*
 * Record what the clock already decided: pending requests past their
 * deadline become expired, active grants past expiry become expired.
 * *changed counts the records moved. Safe to run at any time.
 */
enum jg_err jg_gate_sweep(struct jg_gate *g, int64_t now, size_t *changed);

#endif
