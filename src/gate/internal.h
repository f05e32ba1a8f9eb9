/*
 * internal.h - what the gate_*.c files share; not for other layers.
 */
#ifndef JG_GATE_INTERNAL_H
#define JG_GATE_INTERNAL_H

#include <pthread.h>

#include <jansson.h>

#include <openssl/evp.h>

#include "audit/audit.h"
#include "notify/notify.h"
#include "gate/gate.h"
#include "ident/ident.h"

struct jg_gate {
	struct jg_store *st;            /* borrowed */
	struct jg_policy *policy;       /* owned; replaced by reload */
	char *policy_path;              /* owned; NULL: no reload */
	/* held shared by every use case (jg_gate_hold), exclusively by the
	 * swap in jg_gate_reload, so no use case sees two policies */
	pthread_rwlock_t lock;
	/* one reload at a time, from reading the file to the swap: two at
	 * once would each audit the same previous policy (a forked chain of
	 * policy.reloaded) and free a policy the other still reads */
	pthread_mutex_t reload_lock;
	const struct jg_notify_config *notify; /* borrowed; NULL: silent */
	struct jg_keys *keys; /* borrowed; NULL: no grant tokens */
	EVP_PKEY *ssh_ca; /* borrowed; NULL: no SSH certificates */
	const struct jg_connectors *connectors; /* borrowed; NULL: none */
	int64_t (*clock)(void); /* wall clock for execution results */

	/* What check and authenticate answer from, kept in step with the
	 * store by sync.c; both NULL until jg_gate_index_load. */
	struct jg_index *index;    /* owned */
	struct jg_authcache *auth; /* owned */
	pthread_mutex_t sync_lock; /* one sync step at a time */
	int loaded;       /* under sync_lock: index built, sync_seq valid */
	int64_t sync_seq; /* under sync_lock: audit events applied so far */
	/* atomic: the last sync step succeeded, so the caches may answer;
	 * 0 sends check and authenticate to the store */
	int fresh;
	struct jg_syncer *syncer; /* owned; the background thread or NULL */
	/* under sync_lock: hash of the event at sync_seq ("" when 0) */
	char sync_hash[JG_SHA256_HEX];
	/* atomic: the trail went backwards under this server (sync.c);
	 * set once, never cleared: check allows nothing until restart */
	int halted;
	char halted_why[JG_WHY_MAX]; /* written once, before halted is set */
	struct jg_signer *signer; /* owned; checkpoint.c, or NULL */
	/* the signer's thread only: when the last audit.checkpoint_failed
	 * was appended (checkpoint.c); kept across a signer's restart */
	int64_t ckpt_failed_at;
	/* atomic: no decision is made at an earlier time (clock.c) */
	int64_t clock_floor;
	struct jg_signin_state *signin; /* owned (signin.c) */
	struct jg_logins *logins;       /* owned (signin_pending.c) */
	/* OpenID issuers (issuers.c) and verified workload tokens
	 * (workload.c); each has a lock of its own */
	struct jg_gate_issuers *issuers; /* owned */
	struct jg_workload_cache *wl;    /* owned */

	/* What /metrics shows (metrics.c), counted where it happens:
	 * atomics and lock-free histograms, never a lock on the way. */
	uint64_t checks[JG_CHECK_NRESULTS]; /* atomic, check.c */
	struct jg_hist decided[JG_DECIDED_NBY]; /* request.c */
	int64_t sync_ok_ms; /* atomic: CLOCK_MONOTONIC ms of the last good
	                     * sync step (sync.c); 0: none yet */
	struct jg_credworker *creds; /* owned (credentials.c), or NULL */
	struct jg_gate_alerting *alerting; /* owned (alerts.c) */
	struct jg_seen *seen; /* owned (seen.c): grants' sources recorded */
};

/*
 * The (grant, source) pairs whose use this gate has recorded (seen.c),
 * so that a non-consuming check records grant.used once per pair.
 * jg_seen_claim: 1 when the pair was there; else 0 and it is now (the
 * caller records the use, or jg_seen_forget's it when that fails).
 * Thread-safe; bounded (a full table forgets its oldest pairs).
 */
struct jg_seen;
enum jg_err jg_seen_new(struct jg_seen **out);
void jg_seen_free(struct jg_seen *s); /* NULL-safe */
int jg_seen_claim(struct jg_seen *s, const char *grant, const char *source);
void jg_seen_forget(struct jg_seen *s, const char *grant, const char *source);

/* The alert detectors' state (alerts.c): made by jg_gate_new, freed by
 * jg_gate_free. jg_gate_alerts_step: after a successful commit, feed
 * what was committed to the detectors and append what they raise, in
 * transactions of its own; never fails the caller. */
enum jg_err jg_gate_alerts_init(struct jg_gate *g);
void jg_gate_alerts_free(struct jg_gate *g);
void jg_gate_alerts_step(struct jg_gate *g);

/* Set up the counters above (jg_gate_new). */
void jg_gate_metrics_init(struct jg_gate *g);
/* Count a request r decided by this call (approved or denied at now):
 * by policy at creation (JG_DECIDED_BY_POLICY), or by its last review
 * (JG_DECIDED_BY_REVIEW), after the commit (metrics.c). */
void jg_gate_count_decision(struct jg_gate *g, const struct jg_request *r,
                            int64_t now, int by);

/* Inside a read transaction: raise the decision clock to the time of
 * audit event last_seq, the trail's newest (clock.c). */
enum jg_err jg_gate_clock_from_trail(struct jg_gate *g, int64_t last_seq);

/* jg_gate_now of the gate's wall clock (g->clock, else time(2)): for a
 * use case that is not handed its now. */
int64_t jg_gate_wall(struct jg_gate *g);

/* ---- the trail going backwards (sync.c), checkpoints (checkpoint.c) */

/*
 * Stop answering allow until restart, saying why (see sync.c): empties
 * the index and logs to stderr. _locked: the caller holds sync_lock.
 */
void jg_gate_halt(struct jg_gate *g, const char *why);
void jg_gate_halt_locked(struct jg_gate *g, const char *why);
/* Under sync_lock, outside any transaction: what a halt a sync step
 * found records (a checkpoint of the head this run had applied). */
void jg_gate_record_halt(struct jg_gate *g, const char *why);
/* 1 when this server signs checkpoints, with the last one's seq and
 * time (wall seconds; 0 and 0 before the first). */
int jg_gate_signer_state(struct jg_gate *g, int64_t *seq, int64_t *ts);
/* After a sync step reached seq: wake the signer when N events are due. */
void jg_gate_signer_poke(struct jg_gate *g, int64_t seq);

/* Inside the transaction: queue the notice about r (notify/). */
enum jg_err jg_gate_notice(struct jg_gate *g, enum jg_notice what,
                           const struct jg_request *r, int64_t now);
/* Inside a write transaction: tell the requester and approvers that
 * execution x of r did not succeed. */
enum jg_err jg_gate_notice_exec(struct jg_gate *g, const struct jg_request *r,
                                const struct jg_execution *x, int64_t now);

#define JG_ACTOR_SYSTEM "jitgate" /* actor of what the clock decides */

/* 1 when this thread holds a gate (jg_gate_hold). */
int jg_gate_held(void);

/* The checkpoint key this server signs with (checkpoint.c; a public
 * key verifies with it), or NULL without a signer. Borrowed. */
EVP_PKEY *jg_gate_ckpt_key(struct jg_gate *g);

int jg_gate_is_admin(const struct jg_principal *who);
int jg_gate_sees_all(const struct jg_principal *who); /* admin, auditor */

/*
 * Narrow f to what who may see (for callers that do not see all): the
 * requests it made or may review, the grants it holds or that came from
 * those requests. groups (2 * JG_GROUPS_MAX, the caller's) receives the
 * groups of who, by token and by policy; f points into it and into who.
 */
void jg_gate_viewer_filter(const struct jg_gate *g,
                           const struct jg_principal *who,
                           struct jg_filter *f,
                           const char *groups[2 * JG_GROUPS_MAX]);

/* 1 when who belongs to the group of any step of r. */
int jg_gate_reviews(const struct jg_gate *g, const struct jg_principal *who,
                    const struct jg_request *r);

/* ---- sign-in through the identity provider (signin*.c) ---- */

/* The gate's sign-in state and pending logins: made by jg_gate_new,
 * freed by jg_gate_free. */
enum jg_err jg_gate_signin_init(struct jg_gate *g);
void jg_gate_signin_free(struct jg_gate *g);

#define JG_LOGINS_MAX 1024  /* sign-ins in progress at once, per server */
struct jg_logins;
enum jg_err jg_logins_new(struct jg_logins **out);
void jg_logins_free(struct jg_logins *l); /* NULL-safe */

/*
 * Who the verified claims of an ID token say signed in, under p's
 * identity.signin, into out->who (name, groups, roles, auth_time, mfa),
 * out->issuer and out->subject. JG_EAUTH with why when refused.
 * jg_gate_signin_groups: only the groups claim's value (NULL: none).
 */
enum jg_err jg_gate_signin_person(const struct jg_policy *p,
                                  const json_t *claims,
                                  struct jg_session *out,
                                  char why[JG_WHY_MAX]);
enum jg_err jg_gate_signin_groups(const struct jg_policy *p,
                                  const json_t *groups,
                                  struct jg_principal *who,
                                  char why[JG_WHY_MAX]);

/* Open the person session s (who, issuer, subject, cli set) for ttl
 * seconds: secret receives its cookie ("jg_…") or CLI bearer ("jgs_…"),
 * csrf its CSRF token. Audited as session.opened (via oidc). */
enum jg_err jg_gate_session_open_person(struct jg_gate *g,
                                        struct jg_session *s, int64_t ttl,
                                        int64_t now,
                                        char secret[JG_TOKEN_LEN],
                                        char csrf[JG_SHA256_HEX]);

/* A CLI session's bearer ("jgs_…") to its person; JG_EAUTH when unknown,
 * ended or not a CLI session. */
enum jg_err jg_gate_session_bearer(struct jg_gate *g, const char *bearer,
                                   int64_t now, struct jg_principal *out);

/* ---- step-up (stepup.c) ---- */

/* What approving r asks of the approver: the stricter of its rule's and
 * its resource's step_up in policy p (zero: nothing). */
struct jg_step_up jg_gate_step_up_of(const struct jg_policy *p,
                                     const struct jg_request *r);

/* 1 when r's rule (`approve_comment: true`) asks approvers for a comment. */
int jg_gate_approve_needs_comment(const struct jg_policy *p,
                                  const struct jg_request *r);

/* JG_OK when who meets s at now; else JG_ESTEPUP with why saying what is
 * missing (a jitgate token, auth_time 0, never meets a step-up). */
enum jg_err jg_gate_step_up_check(const struct jg_step_up *s,
                                  const struct jg_principal *who,
                                  int64_t now, char why[JG_WHY_MAX]);

/* Inside a transaction: the valid token behind a presented secret;
 * JG_EAUTH when unknown, revoked or expired at now. */
enum jg_err jg_gate_token_of(struct jg_gate *g, const char *secret,
                             int64_t now, struct jg_token *t);

/*
 * Token dormancy (docs/alerts.md, token_dormant): the period after which
 * a token's use is audited as token.reactivated, from the policy's
 * alerts.token_dormant window; 0 when that detector is off. Read it
 * before opening a transaction: it takes the gate's hold when the
 * caller has none.
 */
int64_t jg_gate_token_dormancy(struct jg_gate *g);

/*
 * Inside a write transaction: record t's use at now (nothing when a use
 * within JG_TOKEN_TOUCH_EVERY is recorded already: another request's,
 * which audited it). When t was last used (or, never used, made) longer
 * than dormancy ago, audit token.reactivated in the same transaction, so
 * the use and its event commit together or not at all.
 */
enum jg_err jg_gate_token_used(struct jg_gate *g, const struct jg_token *t,
                               int64_t now, int64_t dormancy);

/*
 * Commit the open transaction, then (after a successful commit, never
 * otherwise) bring the caches in step with it (jg_gate_sync), so that
 * what this use case changed is what this server's next check sees.
 */
enum jg_err jg_gate_commit(struct jg_gate *g);

/* 1 when the caches are loaded and the last sync step succeeded. */
int jg_gate_cached(struct jg_gate *g);

/* Roll back the open transaction and pass e through. */
enum jg_err jg_gate_abort(struct jg_gate *g, enum jg_err e);

/*
 * End a use case whose last step filled view v (only when e is OK):
 * commit; on any failure roll back, leaving v empty.
 */
enum jg_err jg_gate_finish(struct jg_gate *g, enum jg_err e,
                           struct jg_request_view *v);

/* Fill why with a formatted sentence and return e. */
enum jg_err jg_gate_why(enum jg_err e, char why[JG_WHY_MAX], const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

/* Append an event; details (may be NULL) is consumed. */
enum jg_err jg_gate_audit(struct jg_gate *g, int64_t now, const char *actor,
                          const char *type, const char *subject,
                          json_t *details);

/* Inside a transaction: a request with its reviews and grant id. */
enum jg_err jg_gate_load_view(struct jg_gate *g, const char *id,
                              struct jg_request_view *v);

/*
 * Screening inside the caller's transaction (screening.c): fill ask from
 * in and who, counting requests in the store for rate checks.
 */
struct jg_count_ctx {
	struct jg_gate *g;
	const char *requester;
	const char *resource;
	int64_t before; /* count only requests created before this */
};
enum jg_err jg_gate_count(void *ctx, int64_t since, size_t *by_requester,
                          size_t *by_resource);

/* JSON text of what screening saw (context) and said (checks); caller
 * frees. NULL on ENOMEM. */
char *jg_gate_context_text(const struct jg_principal *who,
                           const struct jg_new_request *in);
char *jg_gate_checks_text(const struct jg_verdict *v);

/* Decision name as stored: deny, auto, review, break-glass. */
const char *jg_gate_decision_name(const struct jg_verdict *v);

/* Inside a write transaction: lengthen grant gr (by extension request
 * `by`, or "" when automatic) by `extra` seconds, and audit it. */
enum jg_err jg_gate_extend_grant(struct jg_gate *g, struct jg_grant *gr,
                                 int64_t extra, const char *actor,
                                 const char *by, int64_t now,
                                 char why[JG_WHY_MAX]);

/* Inside a write transaction: screen and record a request (request.c). */
enum jg_err jg_gate_create_tx(struct jg_gate *g,
                              const struct jg_principal *who,
                              const struct jg_new_request *in, int64_t now,
                              struct jg_request_view *out,
                              char why[JG_WHY_MAX]);

/* ---- execution (execute.c, idem.c) ---- */

/*
 * Inside a transaction, for a new request r built from in: set r->params
 * (canonical JSON, NULL when none) and r->payload_sha256, the hash of the
 * bound payload, when there is a payload or params or the action runs
 * through a connector ("" otherwise: plain access). Checks the params
 * (names, values, count) and that they fit the connector. JG_EINVAL with
 * why.
 */
enum jg_err jg_gate_bind(struct jg_gate *g, const struct jg_new_request *in,
                         struct jg_request *r, char why[JG_WHY_MAX]);

/* Inside a transaction: the execution of request v into v->exec. */
enum jg_err jg_gate_load_exec(struct jg_gate *g, struct jg_request_view *v);

/* Hide an execution's output from who unless it made the request or sees
 * everything (admin, auditor). */
void jg_gate_exec_redact(const struct jg_principal *who,
                         struct jg_request_view *v);

/* After a commit that approved v: run it now when its rule says
 * `execute: auto` (v is reloaded with the execution). The gate hold of
 * this thread, if any, is let go while the connector runs: nothing
 * the caller took from the policy before may be used after. */
void jg_gate_execute_auto(struct jg_gate *g, struct jg_request_view *v,
                          int64_t now);

/*
 * Inside the create transaction: the request in->idempotency_key made
 * earlier for who, into out (out->reused set): JG_OK; JG_ENOTFOUND when
 * the key is new; JG_ECONFLICT when it made a different request; JG_EINVAL
 * for a malformed key.
 */
enum jg_err jg_gate_idem_find(struct jg_gate *g, const struct jg_principal *who,
                              const struct jg_new_request *in,
                              struct jg_request_view *out,
                              char why[JG_WHY_MAX]);
/* Inside the create transaction: remember that key made request_id. */
enum jg_err jg_gate_idem_put(struct jg_gate *g, const struct jg_principal *who,
                             const char *key, const char *request_id,
                             int64_t now);

/* ---- checking (check.c, token.c) ---- */

/* Why gr does not allow its action at now ("was revoked", "expired",
 * …), for messages. */
const char *jg_gate_dead_because(const struct jg_grant *gr, int64_t now);

/*
 * Scheduled access: 1 when gr allows nothing at now only because its
 * start lies ahead (it is active, with uses left, and not_before > now),
 * with "grant <id> starts at <time>" written into out; 0 otherwise.
 */
int jg_gate_not_started(const struct jg_grant *gr, int64_t now, char *out,
                        size_t len);

/*
 * Inside a transaction (token.c): grant id into *gr when who holds it and
 * it is open at now: live, or scheduled and not started yet (a caller
 * that needs it started asks jg_gate_not_started too). what names what
 * the holder alone may do ("fetch its token"). Else JG_ENOTFOUND for
 * those who may not see it, JG_EFORBIDDEN for others who may,
 * JG_ECONFLICT when it has ended, why saying so.
 */
enum jg_err jg_gate_held_grant(struct jg_gate *g,
                               const struct jg_principal *who, const char *id,
                               int64_t now, const char *what,
                               struct jg_grant *gr, char why[JG_WHY_MAX]);

/*
 * The grant q->token names, verified and matched to the token's claims
 * (and to q's resource and action when given), into gr with *exp the
 * token's expiry; the caller judges it. A token that is refused leaves
 * gr->id "" and says why in reason (JG_OK: a refusal is an answer).
 * JG_EFORBIDDEN when who may not ask about the token's holder.
 */
enum jg_err jg_gate_token_grant(struct jg_gate *g,
                                const struct jg_principal *who,
                                const struct jg_check_query *q, int64_t now,
                                struct jg_grant *gr, int64_t *exp,
                                char reason[JG_WHY_MAX], char why[JG_WHY_MAX]);

/* Inside a write transaction: issue the grant of approved request r. */
enum jg_err jg_gate_issue_grant(struct jg_gate *g, const struct jg_request *r,
                                int64_t now, char grant_id[JG_ID_LEN]);

/* ---- identity issuers (issuers.c), workload identity (workload.c) ---- */

#define JG_GATE_ISSUERS_MAX 64 /* issuer objects one gate keeps */

struct jg_gate_issuers;
struct jg_gate_issuers *jg_gate_issuers_new(void);     /* NULL: ENOMEM */
void jg_gate_issuers_free(struct jg_gate_issuers *r); /* NULL-safe */

/*
 * The issuer object for cfg (issuer, jwks_url and ca_file as they are in
 * the policy in force): made on first use, then kept as long as g, so a
 * policy reload that keeps an issuer keeps its cached discovery and keys.
 * Use it for the sign-in provider as for workload issuers. *out is
 * borrowed (it lives as long as g). JG_EINVAL with why for a bad URL;
 * JG_EBUSY past JG_GATE_ISSUERS_MAX distinct issuers; JG_ENOMEM.
 */
enum jg_err jg_gate_issuer(struct jg_gate *g,
                           const struct jg_ident_issuer_cfg *cfg,
                           struct jg_ident_issuer **out, char why[JG_WHY_MAX]);

struct jg_workload_cache;
struct jg_workload_cache *jg_workload_cache_new(void);  /* NULL: ENOMEM */
void jg_workload_cache_free(struct jg_workload_cache *c); /* NULL-safe */

/* 1 when token has the form of a JWT (two dots): a workload token. */
int jg_gate_is_jwt(const char *token);

/*
 * A workload token (a JWT of a trusted issuer, identity.workload): the
 * issuer its unverified iss names must be configured; the token is
 * verified against it, then its claims matched to the issuer's bindings
 * (first match wins) and who becomes the binding's service principal
 * with its groups. Verified tokens are remembered by digest until they
 * expire (or the policy changes). Audited: workload.authenticated the
 * first time a token is seen, workload.refused (at most
 * JG_WORKLOAD_REFUSED_PER_MIN a minute) when refused. JG_EAUTH with why
 * (naming the issuer, never the token); JG_EIDP when the issuer's keys
 * cannot be had; JG_ESTORE when the first use cannot be audited.
 */
enum jg_err jg_gate_workload_auth(struct jg_gate *g, const char *jwt,
                                  int64_t now, struct jg_principal *who,
                                  char why[JG_WHY_MAX]);

#endif
