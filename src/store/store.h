/*
 * store.h - durable state behind one function table.
 *
 * Backends (sqlite.c, embedded; pg.c, shared by several servers) implement
 * struct jg_store_ops; callers go through st->ops->fn(st, ...). Every use
 * case runs between begin() and commit()/rollback(): a backend holds its
 * writer lock for that span (across servers for PostgreSQL), so a
 * transition and its audit event land together or not at all. Updates of
 * state are conditional on the state the caller read (optimistic
 * concurrency): a row that changed meanwhile yields JG_ECONFLICT and
 * nothing is written.
 *
 * Ownership: records filled by get/list functions own their heap strings;
 * release them with jg_request_clear/jg_review_clear/jg_event_clear/
 * jg_execution_clear, and arrays with free().
 */
#ifndef JG_STORE_H
#define JG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* Filters for list calls; NULL / 0 fields do not filter. */
struct jg_filter {
	const char *state;
	const char *principal; /* requests: requester; grants: principal */
	const char *resource;
	const char *actor;     /* audit */
	const char *type;      /* audit */
	const char *subject;   /* audit */
	int64_t since, until;  /* audit: ts >= since, ts < until */
	int64_t cursor;        /* exclusive position from a previous page */
	int limit;             /* 1..JG_LIST_MAX */
	int64_t now;           /* state filters use the state at this time */
	const char *post_review; /* requests: "required" or "done" */
	int desc;              /* audit: newest first (cursor: seq < it) */
	/*
	 * When viewer is set: only the requests it made or may review (any
	 * of viewer_groups among the request's step groups), and only the
	 * grants it holds or that came from such a request.
	 */
	const char *viewer;
	const char *const *viewer_groups;
	size_t nviewer_groups;
};

/*
 * A signed checkpoint of the audit trail (audit/checkpoint.h): the key
 * key_id signed "the event at seq has hash hash" at ts.
 */
/*
 * An OpenSSH user certificate issued for a grant (gate/sshcert.c): what a
 * KRL needs to name it once its grant ends early. Never the key itself.
 */
#define JG_SSH_FP_MAX 64 /* "SHA256:" + 43 base64 characters + NUL */
struct jg_ssh_issued {
	int64_t serial; /* 1 .. 2^63-1 */
	char grant_id[JG_ID_LEN];
	char fingerprint[JG_SSH_FP_MAX];
	int64_t valid_before;
	int64_t issued_at;
};

#define JG_CKPT_KID_LEN 17 /* 16 hex digits + NUL */
#define JG_CKPT_SIG_LEN 90 /* base64url of a 64-byte Ed25519 signature */
struct jg_checkpoint {
	int64_t seq;
	char hash[JG_SHA256_HEX];
	int64_t ts;
	char key_id[JG_CKPT_KID_LEN];
	char sig[JG_CKPT_SIG_LEN];
};

typedef int (*jg_event_fn)(const struct jg_event *ev, void *ctx);
/* r is borrowed for the call; return non-zero to stop the walk. */
typedef int (*jg_request_fn)(const struct jg_request *r, void *ctx);
/* One row of the tally op; strings borrowed for the call. */
typedef void (*jg_tally_fn)(const char *kind, const char *state,
                            const char *label, int64_t n, int64_t failed,
                            void *ctx);

/*
 * A temporary PostgreSQL login role made for a grant (gate/credentials.c,
 * exec/pgcred.c): kept until the role is dropped, so that a restart
 * finds every role that may still exist.
 */
#define JG_PGCRED_ROLE_LEN 64
struct jg_pgcred {
	char grant_id[JG_ID_LEN];
	char resource[JG_NAME_MAX];
	char role[JG_PGCRED_ROLE_LEN];
	int64_t created_at;
	int64_t valid_until; /* the grant's expiry when the role was made */
	int64_t dropped_at;  /* 0: the role may still exist */
};

struct jg_store;

struct jg_store_ops {
	const char *name;
	void (*close)(struct jg_store *st);

	/* write=1 takes the writer lock at once (no upgrade deadlocks);
	 * a write=0 transaction only reads (PostgreSQL runs it READ ONLY). */
	enum jg_err (*begin)(struct jg_store *st, int write);
	enum jg_err (*commit)(struct jg_store *st);
	void (*rollback)(struct jg_store *st);

	enum jg_err (*request_insert)(struct jg_store *st,
	                              const struct jg_request *r);
	/* Sets state, step, state_reason, decided_at and post_review,
	 * conditional on the state and step r had when read. */
	enum jg_err (*request_update)(struct jg_store *st,
	                              const struct jg_request *r,
	                              enum jg_req_state was, size_t was_step);
	enum jg_err (*request_get)(struct jg_store *st, const char *id,
	                           struct jg_request *out);
	/* *out: array of *n requests, newest first; *next: cursor or 0. */
	enum jg_err (*request_list)(struct jg_store *st,
	                            const struct jg_filter *f,
	                            struct jg_request **out, size_t *n,
	                            int64_t *next);
	/* Pending requests whose deadline is before now, up to max ids. */
	enum jg_err (*request_overdue)(struct jg_store *st, int64_t now,
	                               char (*ids)[JG_ID_LEN], size_t max,
	                               size_t *n);

	/* Requests created at or after since: by requester, on resource. */
	enum jg_err (*request_count)(struct jg_store *st,
	                             const char *requester,
	                             const char *resource, int64_t since,
	                             size_t *by_requester,
	                             size_t *by_resource);
	/*
	 * What /metrics shows of the store, one row per fn call: kind
	 * "request", per state and rule (label) their count n; kind
	 * "outbox", per state (label "") the deliveries n and their failed
	 * attempts. A scan of the requests' (state, rule) index and of the
	 * outbox: callers cache the answer.
	 */
	enum jg_err (*tally)(struct jg_store *st, jg_tally_fn fn, void *ctx);
	/*
	 * Call fn for requests created at or after since, oldest first,
	 * after position after_seq, at most limit (0: all). *next is the
	 * position of the last one given, for the next page.
	 */
	enum jg_err (*request_walk)(struct jg_store *st, int64_t since,
	                            int64_t after_seq, int limit,
	                            jg_request_fn fn, void *ctx,
	                            int64_t *next);

	/* JG_EDUP when the reviewer already reviewed the request. */
	enum jg_err (*review_insert)(struct jg_store *st, const char *req_id,
	                             const struct jg_review *rv);
	/* *out: array of *n reviews in the order given. */
	enum jg_err (*review_list)(struct jg_store *st, const char *req_id,
	                           struct jg_review **out, size_t *n);

	enum jg_err (*grant_insert)(struct jg_store *st,
	                            const struct jg_grant *g);
	/* Sets state, uses_left, ended_*, expires_at and extensions,
	 * conditional on the state g had when read. */
	enum jg_err (*grant_update)(struct jg_store *st,
	                            const struct jg_grant *g,
	                            enum jg_grant_state was);
	enum jg_err (*grant_get)(struct jg_store *st, const char *id,
	                         struct jg_grant *out);
	enum jg_err (*grant_by_request)(struct jg_store *st,
	                                const char *req_id,
	                                struct jg_grant *out);
	enum jg_err (*grant_list)(struct jg_store *st,
	                          const struct jg_filter *f,
	                          struct jg_grant **out, size_t *n,
	                          int64_t *next);
	/*
	 * The live grant for (principal, resource, action) that fits `fit`,
	 * one bound to a payload before an unbound one, then the one
	 * expiring last. fit NULL: any live grant; "": unbound ones only;
	 * a payload SHA-256 (hex): unbound ones and those bound to it.
	 */
	enum jg_err (*grant_find_live)(struct jg_store *st,
	                               const char *principal,
	                               const char *resource,
	                               const char *action, const char *fit,
	                               int64_t now, struct jg_grant *out);
	/* Grants still marked active whose expiry is at or before now. */
	enum jg_err (*grant_overdue)(struct jg_store *st, int64_t now,
	                             char (*ids)[JG_ID_LEN], size_t max,
	                             size_t *n);

	/* seq 0 and hash "" when the trail is empty. */
	enum jg_err (*audit_last)(struct jg_store *st, int64_t *seq,
	                          char hash[JG_SHA256_HEX]);
	enum jg_err (*audit_insert)(struct jg_store *st,
	                            const struct jg_event *ev);
	/*
	 * Call fn for each event matching f in seq order, starting after
	 * f->cursor, at most f->limit events (0: no limit). fn returning
	 * non-zero stops the walk. *next is the seq of the last event given.
	 */
	enum jg_err (*audit_walk)(struct jg_store *st,
	                          const struct jg_filter *f, jg_event_fn fn,
	                          void *ctx, int64_t *next);

	enum jg_err (*token_insert)(struct jg_store *st,
	                            const struct jg_token *t);
	enum jg_err (*token_by_digest)(struct jg_store *st,
	                               const char *digest,
	                               struct jg_token *out);
	enum jg_err (*token_get)(struct jg_store *st, const char *id,
	                         struct jg_token *out);
	enum jg_err (*token_list)(struct jg_store *st, struct jg_token **out,
	                          size_t *n);
	enum jg_err (*token_revoke)(struct jg_store *st, const char *id,
	                            int64_t now);
	enum jg_err (*token_count)(struct jg_store *st, int64_t *n);
	/* Record that token id was used at now, unless a use at most
	 * JG_TOKEN_TOUCH_EVERY seconds before is recorded already (then
	 * JG_ECONFLICT, which changes nothing). */
	enum jg_err (*token_touch)(struct jg_store *st, const char *id,
	                           int64_t now);

	/*
	 * The outbox. insert: JG_EDUP when d->dedupe is already queued.
	 * claim: up to max pending deliveries due at now, each leased until
	 * now + lease so no other worker takes it meanwhile; *out is a
	 * malloc'd array (clear each). mark: record an attempt's outcome.
	 * list: newest first, state NULL for all.
	 */
	enum jg_err (*outbox_insert)(struct jg_store *st,
	                             const struct jg_delivery *d);
	enum jg_err (*outbox_claim)(struct jg_store *st, int64_t now,
	                            int64_t lease, size_t max,
	                            struct jg_delivery **out, size_t *n);
	enum jg_err (*outbox_mark)(struct jg_store *st,
	                           const struct jg_delivery *d);
	enum jg_err (*outbox_list)(struct jg_store *st, const char *state,
	                           int limit, struct jg_delivery **out,
	                           size_t *n);
	/* Active grants expiring in (now, now + within]. */
	enum jg_err (*grant_expiring)(struct jg_store *st, int64_t now,
	                              int64_t within,
	                              char (*ids)[JG_ID_LEN], size_t max,
	                              size_t *n);

	/* Dashboard sessions, keyed by the SHA-256 of their cookie. */
	enum jg_err (*session_insert)(struct jg_store *st,
	                              const struct jg_session *s);
	enum jg_err (*session_get)(struct jg_store *st, const char *digest,
	                           struct jg_session *out);
	/* Also removes sessions expired before now. */
	enum jg_err (*session_delete)(struct jg_store *st, const char *digest,
	                              int64_t now);
	/* End every session of the person `name` (signed in at the
	 * identity provider, browser or CLI); *n the number ended. */
	enum jg_err (*session_delete_principal)(struct jg_store *st,
	                                        const char *name, long *n);

	/*
	 * Executions: at most one per request. insert: JG_EDUP when the
	 * request has one already. finish: record x's state, exit_code,
	 * output, error, finished_at and duration_ms, conditional on the
	 * stored one still being `started` (JG_ECONFLICT otherwise). get: by
	 * request id, JG_ENOTFOUND when none; out->output is owned (clear
	 * with jg_execution_clear). unfinished: request ids of executions
	 * still `started` whose deadline_at is at or before now, up to max.
	 */
	enum jg_err (*execution_insert)(struct jg_store *st,
	                                const struct jg_execution *x);
	enum jg_err (*execution_finish)(struct jg_store *st,
	                                const struct jg_execution *x);
	enum jg_err (*execution_get)(struct jg_store *st, const char *req_id,
	                             struct jg_execution *out);
	enum jg_err (*execution_unfinished)(struct jg_store *st, int64_t now,
	                                    char (*ids)[JG_ID_LEN], size_t max,
	                                    size_t *n);

	/*
	 * Idempotency keys (at most JG_REQUEST_KEY_MAX - 1 bytes; callers
	 * namespace them, e.g. "request:PRINCIPAL:KEY"): the request a key
	 * created. get: JG_ENOTFOUND when unknown. put: JG_EDUP when taken.
	 */
	enum jg_err (*request_key_get)(struct jg_store *st, const char *key,
	                               char request_id[JG_ID_LEN]);
	enum jg_err (*request_key_put)(struct jg_store *st, const char *key,
	                               const char *request_id, int64_t now);

	/*
	 * Signed checkpoints, one per seq (a second one for a seq already
	 * signed is ignored: several servers may sign the same head).
	 * list: up to max checkpoints with seq > after, by seq, into the
	 * caller's array.
	 */
	enum jg_err (*checkpoint_insert)(struct jg_store *st,
	                                 const struct jg_checkpoint *cp);
	enum jg_err (*checkpoint_list)(struct jg_store *st, int64_t after,
	                               struct jg_checkpoint *out, size_t max,
	                               size_t *n);

	/*
	 * SSH certificates. insert fails when the serial is taken (random
	 * 63 bits: never in practice).
	 * revoked: up to max serials, by serial, into the caller's array, of
	 * the certificates still valid at now (valid_before > now) whose
	 * grant ended before its time (revoked, completed or consumed): what
	 * a KRL must name. A certificate's own expiry needs no KRL.
	 */
	enum jg_err (*ssh_cert_insert)(struct jg_store *st,
	                               const struct jg_ssh_issued *c);
	enum jg_err (*ssh_cert_revoked)(struct jg_store *st, int64_t now,
	                                int64_t *out, size_t max, size_t *n);

	/*
	 * Temporary PostgreSQL roles, one per grant at most. insert: JG_EDUP
	 * when the grant has one already. open: up to max not yet dropped,
	 * oldest first (by created_at, then grant_id), after the record
	 * `after` in that order (NULL: from the first), into the caller's
	 * array. drop: set dropped_at (only
	 * once: JG_ECONFLICT when already set or unknown). forget: remove
	 * the record of a role whose creation failed. extend: record a new
	 * valid_until (the grant was extended), JG_ECONFLICT when dropped.
	 */
	enum jg_err (*pgcred_insert)(struct jg_store *st,
	                             const struct jg_pgcred *c);
	enum jg_err (*pgcred_open)(struct jg_store *st,
	                           const struct jg_pgcred *after,
	                           struct jg_pgcred *out, size_t max, size_t *n);
	enum jg_err (*pgcred_drop)(struct jg_store *st, const char *grant_id,
	                           int64_t dropped_at);
	enum jg_err (*pgcred_forget)(struct jg_store *st, const char *grant_id);
	enum jg_err (*pgcred_extend)(struct jg_store *st, const char *grant_id,
	                             int64_t valid_until);
};

/* Every backend's handle starts with this. */
struct jg_store {
	const struct jg_store_ops *ops;
	char err[256]; /* last backend error, for logs; never holds secrets */
};

/*
 * Open the store named by url: "postgres://…" or "postgresql://…"
 * (PostgreSQL), "sqlite:PATH" or a plain PATH (SQLite). Creates and
 * migrates the schema. On failure *out is NULL and err says why.
 */
enum jg_err jg_store_open(const char *url, struct jg_store **out, char *err,
                          size_t errlen);

/* url as safe to print in logs: a PostgreSQL URL loses its password. */
void jg_store_describe(const char *url, char *out, size_t len);

/* NULL-safe. */
void jg_store_close(struct jg_store *st);

#endif
