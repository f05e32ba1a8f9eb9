/*
 * model.h - jitgate's domain records and their state machines.
 *
 * Pure: no I/O, no clock, no allocation except where stated. Every function
 * that changes a state checks the transition against the tables in model.c
 * and refuses an illegal one with JG_ECONFLICT and a sentence in `why`.
 */
#ifndef JG_MODEL_H
#define JG_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/limits.h"
#include "util/crypto.h"
#include "util/err.h"

#define JG_WHY_MAX 512

enum jg_req_state {
	JG_REQ_PENDING,
	JG_REQ_APPROVED,
	JG_REQ_DENIED,
	JG_REQ_CANCELLED,
	JG_REQ_EXPIRED,
	JG_REQ_NSTATES
};

enum jg_grant_state {
	JG_GRANT_ACTIVE,
	JG_GRANT_EXPIRED,
	JG_GRANT_REVOKED,
	JG_GRANT_CONSUMED,
	JG_GRANT_COMPLETED,
	JG_GRANT_NSTATES
};

/* One approval level: `count` distinct members of `group`. */
struct jg_step {
	char group[JG_NAME_MAX];
	int count;
};

/* Who is calling: a user or a service identity with its token's groups. */
struct jg_principal {
	char name[JG_NAME_MAX];
	char groups[JG_GROUPS_MAX][JG_NAME_MAX];
	size_t ngroups;
	int service; /* 1 for CI jobs, scanners and other non-humans */
	int roles;   /* JG_ROLE_* bits */
	/* How the person last proved who they are at the identity provider;
	 * both 0 for a jitgate token (which proves neither), so a step-up
	 * rule refuses it. Set from a provider session only. */
	int64_t auth_time; /* the ID token's auth_time (or iat), seconds */
	int mfa;           /* 1: its amr/acr said a second factor was used */
	/* Where the caller connected from: the client's address as the HTTP
	 * layer sees it (a trusted proxy's X-Forwarded-For believed), ""
	 * when unknown (tools, tests). Recorded as `source` on the events
	 * that use a grant, for the new_source alert. */
	char source[JG_ADDR_MAX];
};

#define JG_ROLE_ADMIN 1   /* manage tokens, see and revoke everything */
#define JG_ROLE_AUDITOR 2 /* read the whole trail and every request */
#define JG_ROLE_CHECKER 4 /* ask /v1/check about other principals */
#define JG_ROLE_METRICS 8 /* scrape /metrics, and nothing more of it */
#define JG_NROLES 4

/* Name of role bit 1 << i ("admin", "auditor", "checker", "metrics"). */
const char *jg_role_name(int i);
/* The bit of a role name, or 0 when unknown. */
int jg_role_parse(const char *name);

struct jg_request {
	char id[JG_ID_LEN];
	char requester[JG_NAME_MAX];
	char resource[JG_NAME_MAX];
	char action[JG_NAME_MAX];
	char *payload;  /* owned, NULL when the action takes none */
	char payload_sha256[JG_SHA256_HEX]; /* "" without payload */
	char *reason;   /* owned, never NULL once created */
	char ticket[JG_TICKET_MAX];
	int64_t duration;   /* seconds the grant will live */
	/* scheduled access: when the grant starts (its not_before); 0 when
	 * it starts on approval */
	int64_t start_at;
	char rule[JG_NAME_MAX];
	struct jg_step steps[JG_STEPS_MAX];
	size_t nsteps;
	size_t step;        /* index of the step under review */
	enum jg_req_state state;
	char state_reason[JG_WHY_MAX];
	int64_t created_at;
	int64_t expires_at; /* undecided after this: expired */
	int64_t decided_at; /* 0 while pending */
	/* screening: what it saw and what it said */
	char *context;   /* owned JSON object: source_ip, groups, finding */
	char *screening; /* owned JSON array of {name, result, message} */
	char decision[16]; /* first decision: deny, auto, review, break-glass */
	int break_glass;   /* approved by the requester under break-glass */
	char post_review[16]; /* "", "required" (after break-glass), "done" */
	char extends[JG_ID_LEN]; /* the grant this asks to extend, or "" */
	/* owned canonical JSON object {name: value} of string parameters
	 * (they fill a connector's template slots); NULL when none */
	char *params;
};

struct jg_review {
	char reviewer[JG_NAME_MAX];
	size_t step;
	int approve;   /* 1 approve, 0 deny */
	char *comment; /* owned, may be NULL */
	int64_t at;
};

struct jg_grant {
	char id[JG_ID_LEN];
	char request_id[JG_ID_LEN];
	char principal[JG_NAME_MAX];
	char resource[JG_NAME_MAX];
	char action[JG_NAME_MAX];
	char payload_sha256[JG_SHA256_HEX];
	int64_t not_before;
	int64_t expires_at;
	int uses_left; /* -1: unlimited until expiry; 1 for one-time actions */
	enum jg_grant_state state;
	char ended_by[JG_NAME_MAX];
	char end_reason[JG_WHY_MAX];
	int64_t created_at;
	int64_t ended_at;
	int extensions; /* times its life was extended */
};

/* One link of the audit chain. */
#define JG_EVENT_TYPE_MAX 32
struct jg_event {
	int64_t seq; /* 1, 2, 3… without gaps */
	char id[JG_ID_LEN];
	int64_t ts;
	char actor[JG_NAME_MAX];
	char type[JG_EVENT_TYPE_MAX]; /* "request.created"… */
	char subject[JG_ID_LEN];      /* req_/grt_/tok_ id, or "" */
	char *details;                /* owned canonical JSON object text */
	char prev_hash[JG_SHA256_HEX];
	char hash[JG_SHA256_HEX];
};

/* A bearer token as stored: only its SHA-256 digest, never the secret. */
#define JG_DESC_MAX 256
struct jg_token {
	char id[JG_ID_LEN];
	char digest[JG_SHA256_HEX];
	struct jg_principal who;
	char description[JG_DESC_MAX];
	char created_by[JG_NAME_MAX];
	int64_t created_at;
	int64_t revoked_at;   /* 0 while valid */
	int64_t expires_at;   /* 0: never; refused from then on */
	int64_t last_used_at; /* 0: never used; kept to the minute */
};

/* 1 while t may be used at now: not revoked, not past its lifetime. */
int jg_token_usable(const struct jg_token *t, int64_t now);

/*
 * 1 when t (not revoked) has not been used for `stale` seconds before
 * now: its last use, or its creation when never used, lies that far
 * back. Revoked tokens are never stale: they are dealt with.
 */
int jg_token_stale(const struct jg_token *t, int64_t now, int64_t stale);

/* Seconds between two records of a token's last use (one write, not one
 * per request). */
#define JG_TOKEN_TOUCH_EVERY 60
/* The longest lifetime a bearer token may be given: ten years. */
#define JG_TOKEN_TTL_LIMIT (10 * 366 * 86400LL)

/* A dashboard session: the cookie's SHA-256, never the cookie itself. */
struct jg_session {
	char digest[JG_SHA256_HEX];
	char token_id[JG_ID_LEN]; /* the token it was opened with; "" for a
	                           * person signed in at the identity provider */
	char csrf[JG_SHA256_HEX]; /* sent back in X-CSRF-Token on writes */
	int64_t created_at;
	int64_t expires_at;
	/* A person's session (token_id ""): who, as the provider said at
	 * sign-in (name, groups, roles, auth_time, mfa), and where from. */
	int cli;                     /* 1: a CLI session ("jgs_" bearer) */
	struct jg_principal who;
	char issuer[JG_URL_MAX];
	char subject[JG_CLAIM_MAX];
};

/* One notification on its way to one target (the durable outbox). */
#define JG_TARGET_MAX 16
struct jg_delivery {
	int64_t id;
	char target[JG_TARGET_MAX]; /* "webhook" or "slack" */
	char event[JG_EVENT_TYPE_MAX];
	char subject[JG_ID_LEN];
	char dedupe[96];  /* unique: the same news is queued once */
	char *payload;    /* owned JSON text */
	char state[12];   /* pending, delivered, dead */
	int attempts;
	int64_t next_at;
	int64_t created_at;
	int64_t delivered_at;
	char last_error[200];
};

/*
 * One run of a request's bound payload through its resource's connector
 * (at most one per request). Recorded `started` before it runs, then
 * `succeeded` or `failed`; `unknown` when the gateway lost track (a crash
 * between start and finish): never run again, left for a human.
 */
enum jg_exec_state {
	JG_EXEC_STARTED,
	JG_EXEC_SUCCEEDED,
	JG_EXEC_FAILED,
	JG_EXEC_UNKNOWN,
	JG_EXEC_NSTATES
};

#define JG_CONNECTOR_KIND_MAX 16
#define JG_EXEC_ERROR_MAX 256
struct jg_execution {
	char id[JG_ID_LEN];          /* exe_… */
	char request_id[JG_ID_LEN];
	char grant_id[JG_ID_LEN];    /* the one-time grant it consumed */
	char connector[JG_CONNECTOR_KIND_MAX]; /* command, postgres, http */
	enum jg_exec_state state;
	int exit_code;     /* program status, HTTP status, 0/1 for SQL; -1 none */
	char *output;      /* owned, bounded, secrets masked; NULL until done */
	char error[JG_EXEC_ERROR_MAX]; /* why the connector failed, or "" */
	char started_by[JG_NAME_MAX];
	int64_t started_at;
	int64_t deadline_at; /* past this, a `started` one cannot be running */
	int64_t finished_at; /* 0 while started */
	int64_t duration_ms;
};

const char *jg_exec_state_name(enum jg_exec_state s);
int jg_exec_state_parse(const char *name, enum jg_exec_state *out);
void jg_execution_clear(struct jg_execution *x);

/* What one review did to its request. */
enum jg_review_outcome {
	JG_REVIEW_RECORDED,      /* counted, step still needs more approvals */
	JG_REVIEW_STEP_ADVANCED, /* step complete, next level now under review */
	JG_REVIEW_APPROVED,      /* last step complete */
	JG_REVIEW_DENIED,        /* a deny ends the request */
};

/*
 * 1 when s is a usable name: 1..JG_NAME_MAX-1 bytes of [A-Za-z0-9._-],
 * plus '@' when at_ok (user names may be e-mail addresses).
 */
int jg_name_valid(const char *s, int at_ok);

/*
 * 1 when a and b are different names that read the same: equal after
 * Unicode compatibility normalisation (NFKC) and case folding, so "Bob"
 * beside "bob". Names pass jg_name_valid, which allows ASCII only, and
 * NFKC changes no ASCII text: the fold is ASCII case folding (no locale).
 * A wider alphabet for names needs a real NFKC here (libunistring).
 */
int jg_name_confusable(const char *a, const char *b);

/* State names as used in the API and the store ("pending", "active"...). */
const char *jg_req_state_name(enum jg_req_state s);
const char *jg_grant_state_name(enum jg_grant_state s);
/* 0 and *out set when name is a state; -1 otherwise. */
int jg_req_state_parse(const char *name, enum jg_req_state *out);
int jg_grant_state_parse(const char *name, enum jg_grant_state *out);

/* 1 when the request state machine allows from -> to. */
int jg_req_can(enum jg_req_state from, enum jg_req_state to);
int jg_grant_can(enum jg_grant_state from, enum jg_grant_state to);

/*
 * Move r to `to` at `now`, recording `reason` (may be NULL) as its
 * state_reason. JG_ECONFLICT with `why` filled when illegal.
 */
enum jg_err jg_request_transition(struct jg_request *r, enum jg_req_state to,
                                  const char *reason, int64_t now,
                                  char why[JG_WHY_MAX]);

/*
 * May `reviewer` review r now? `in_group` says whether the reviewer belongs
 * to the group of the step under review; `prior` are r's reviews so far.
 * Refuses: not pending (ECONFLICT), past its deadline (ECONFLICT), the
 * requester (ESELF), outside the step's group (EFORBIDDEN), a second review
 * by the same user (EDUP).
 */
enum jg_err jg_review_check(const struct jg_request *r,
                            const struct jg_review *prior, size_t nprior,
                            const char *reviewer, int in_group, int64_t now,
                            char why[JG_WHY_MAX]);

/*
 * Apply review `rv` (already allowed by jg_review_check) to r, given the
 * reviews before it. Advances r->step or decides r. Never fails.
 */
enum jg_review_outcome jg_review_apply(struct jg_request *r,
                                       const struct jg_review *prior,
                                       size_t nprior,
                                       const struct jg_review *rv,
                                       int64_t now);

/* The state r is in at `now`: pending past its deadline reads expired. */
enum jg_req_state jg_request_state_at(const struct jg_request *r, int64_t now);

/* The state a grant is in at `now`: an active grant past expiry is expired. */
enum jg_grant_state jg_grant_state_at(const struct jg_grant *g, int64_t now);

/* 1 when g allows its action at `now` (active, in its window, uses left). */
int jg_grant_live(const struct jg_grant *g, int64_t now);

/* 1 when g is live at `now` or will be at its start (a scheduled grant
 * before its not_before): what may still be extended or have a token. */
int jg_grant_open(const struct jg_grant *g, int64_t now);

/*
 * When an undecided request expires, created at `now` with the rule's
 * request_ttl: ttl after now; a scheduled one (start_at != 0) may also be
 * approved up to its start, and never once its window [start_at,
 * start_at + duration) is over.
 */
int64_t jg_request_deadline(int64_t now, int64_t ttl, int64_t start_at,
                            int64_t duration);

/*
 * End g: `to` is revoked, consumed, completed or expired. Refuses an ended
 * grant, and revoked/consumed/completed once the clock has expired it
 * (ECONFLICT), and expired before its time (ECONFLICT).
 */
enum jg_err jg_grant_end(struct jg_grant *g, enum jg_grant_state to,
                         const char *actor, const char *reason, int64_t now,
                         char why[JG_WHY_MAX]);

/* Fill g from the approved request r at `now`: live from r's start (or
 * now, when later or unscheduled) until start + duration. */
void jg_grant_from_request(struct jg_grant *g, const struct jg_request *r,
                           int64_t now);

/* Free what r and rv own and zero them; NULL-safe. */
void jg_request_clear(struct jg_request *r);
void jg_review_clear(struct jg_review *rv);
void jg_event_clear(struct jg_event *ev);
void jg_delivery_clear(struct jg_delivery *d);

#endif
