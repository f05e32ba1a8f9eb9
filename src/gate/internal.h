/*
 * internal.h - what the gate_*.c files share; not for other layers.
 */
#ifndef JG_GATE_INTERNAL_H
#define JG_GATE_INTERNAL_H

#include <pthread.h>

#include <jansson.h>

#include "audit/audit.h"
#include "notify/notify.h"
#include "gate/gate.h"

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
	/* atomic: no decision is made at an earlier time (clock.c) */
	int64_t clock_floor;
};

/* Inside a read transaction: raise the decision clock to the time of
 * audit event last_seq, the trail's newest (clock.c). */
enum jg_err jg_gate_clock_from_trail(struct jg_gate *g, int64_t last_seq);

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

/* Inside a transaction: the valid token behind a presented secret;
 * JG_EAUTH when unknown, revoked or expired at now. */
enum jg_err jg_gate_token_of(struct jg_gate *g, const char *secret,
                             int64_t now, struct jg_token *t);

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

#endif
