/*
 * exchange.h - one HTTP request/response as handlers see it.
 *
 * The server (server.c) authenticates on the headers, reads the bounded
 * body, parses it as a JSON object and calls the route's handler; the handler sets a reply
 * (JSON, problem, or a raw MHD response) and returns. Handlers never touch
 * the socket and never see the bearer token.
 */
#ifndef JG_HTTP_EXCHANGE_H
#define JG_HTTP_EXCHANGE_H

#include <microhttpd.h>
#include <jansson.h>

#include "gate/gate.h"

struct jg_server;
struct jg_ex_job;

struct jg_ex {
	struct MHD_Connection *conn;
	struct jg_gate *gate;
	struct jg_principal who; /* authenticated caller */
	const char *path;        /* the request path, without query */
	int is_get;              /* a GET or HEAD: its 200 may be a 304 (etag.h) */
	const char *param;       /* the route's '*' segment, or NULL */
	json_t *body;            /* request body object (owned), or NULL */
	const char *raw_body;    /* JG_ROUTE_RAW_BODY: the bytes as sent
	                          * (borrowed, NUL-terminated), else NULL */
	size_t raw_len;
	int64_t now;
	const char *peer;        /* the client's address as text */
	int via_cookie;          /* authenticated by a dashboard session */
	char csrf[65];           /* that session's CSRF token */
	char set_cookie[192];    /* a Set-Cookie header to send, or "" */
	/* response */
	int status;
	json_t *reply;              /* owned */
	int problem;                /* reply is problem+json */
	struct MHD_Response *raw;   /* owned; takes precedence over reply */
	const char *cache;          /* Cache-Control; NULL: "no-store" */
	struct jg_server *server;   /* borrowed; for jg_ex_defer */
	struct jg_ex_job *deferred; /* set by jg_ex_defer; the server's */
};

/*
 * Finish this exchange on the execution pool (pool.h), for work that may
 * take long (an action): the server suspends the connection, and
 * work(jex, arg) runs on a pool thread WITHOUT the gate hold (it holds
 * the gate itself around what reads the policy), with a jex holding this
 * exchange's gate, caller and peer and a fresh now, but no connection
 * (what work needs of the request goes in arg); the reply it sets on jex
 * is sent then. arg (malloc'd) is the job's once handed over, and
 * freed after work. 0: handed over, set no reply; -1: the pool is full
 * or stopping: a 503 problem is set, nothing of the work has begun, and
 * arg is still the caller's.
 */
int jg_ex_defer(struct jg_ex *ex, void (*work)(struct jg_ex *jex, void *arg),
                void *arg);

/* For long work on the pool (a policy replay): the time it may take, in
 * ms, and the server's stop flag (read atomically; nonzero once the
 * server stops, when the work must give up at once). */
unsigned jg_ex_replay_ms(const struct jg_ex *ex);
const int *jg_ex_stopping(const struct jg_ex *ex);

/* 1 when the connection's TCP peer is a trusted proxy (serve
 * --trusted-proxy): forward-auth believes its identity header. */
int jg_ex_from_proxy(const struct jg_ex *ex);

typedef void (*jg_handler)(struct jg_ex *ex);

#define JG_SESSION_COOKIE "jg_session"

/* Reply with JSON value v (consumed) and status. */
void jg_ex_json(struct jg_ex *ex, int status, json_t *v);

/* Reply with the RFC 9457 problem for e; detail may be NULL or "". */
void jg_ex_fail(struct jg_ex *ex, enum jg_err e, const char *detail);

/* Query parameter `key`, or NULL when absent or empty. Borrowed. */
const char *jg_ex_query(struct jg_ex *ex, const char *key);

/*
 * Refuse body fields outside `allowed` (NULL-terminated). 0 when fine,
 * else -1 with a 400 reply set.
 */
int jg_ex_fields(struct jg_ex *ex, const char *const *allowed);

/*
 * String field `key` of the body into *out (borrowed, NULL when absent or
 * null). 0 when fine; -1 with a 400 reply when it is of another type, or
 * missing while `required`.
 */
int jg_ex_str(struct jg_ex *ex, const char *key, int required,
              const char **out);

/* Duration field `key` ("30m") into *out seconds, 0 when absent. 0 when
 * fine; -1 with a 400 reply when it is not a duration. */
int jg_ex_duration(struct jg_ex *ex, const char *key, int64_t *out);

/* RFC 3339 time field `key` into *out seconds, 0 when absent. 0 when
 * fine; -1 with a 400 reply when it is not a time. */
int jg_ex_time(struct jg_ex *ex, const char *key, int64_t *out);

/*
 * Parse list paging from the query (limit, cursor) into f. 0 when fine,
 * else -1 with a 400 reply.
 */
struct jg_filter;
int jg_ex_paging(struct jg_ex *ex, struct jg_filter *f);

/* The route table, defined in routes.c. */
struct jg_route {
	const char *method;
	const char *pattern; /* '*' matches one path segment */
	jg_handler fn;
	int flags;           /* JG_ROUTE_* */
};

#define JG_ROUTE_PUBLIC 1    /* no authentication; body JG_PUBLIC_BODY_MAX */
#define JG_ROUTE_EXCLUSIVE 2 /* runs without the gate hold (reload) */
#define JG_ROUTE_BIG_BODY 4  /* takes up to JG_BIG_BODY_MAX (a policy) */
/* a GET that changes something (writes an audit event): with a dashboard
 * cookie it needs the CSRF token like a POST */
#define JG_ROUTE_WRITES 8
/* the body is handed over as bytes (raw_body), not parsed as JSON: a
 * signature over the exact bytes must be checked (Slack); bound by
 * JG_BODY_MAX even when public */
#define JG_ROUTE_RAW_BODY 16
extern const struct jg_route jg_routes[];
extern const size_t jg_nroutes;

#endif
