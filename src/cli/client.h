/*
 * client.h - the CLI's HTTP client for the jitgate API (libcurl, jansson).
 *
 * One client wraps one curl handle, so the polling of `request --wait`
 * reuses its connection. Responses are bounded (JG_CLIENT_BODY_MAX) except
 * the streamed audit export; problem+json errors become one line
 * "jitgate: <detail>" on stderr.
 *
 * Never: print, log or put into a message the bearer token; follow
 * redirects (the token would go along); speak anything but http/https.
 * Single-threaded: the client is not shared between threads.
 */
#ifndef JG_CLI_CLIENT_H
#define JG_CLI_CLIENT_H

#include <stdio.h>

#include <jansson.h>

#define JG_CLIENT_BODY_MAX (16L * 1024 * 1024) /* one JSON response */
#define JG_CLIENT_TIMEOUT 60                   /* seconds, whole call */
#define JG_CLIENT_CONNECT_TIMEOUT 10           /* seconds */

struct jg_client;

/* One query parameter; entries with a NULL value are left out. */
struct jg_kv {
	const char *key;   /* NULL ends a list */
	const char *value;
};

/*
 * A client for the API at `url` ("http://host:port", optionally with a
 * path prefix), authenticating with `token` (may be NULL). Both are copied.
 * NULL after printing why (bad URL, no memory); free with jg_client_free.
 */
struct jg_client *jg_client_new(const char *url, const char *token);
void jg_client_free(struct jg_client *c);

/* Verify an https server against the CA certificates in path (copied;
 * NULL: the system's store). Verification is never turned off. */
void jg_client_set_cacert(struct jg_client *c, const char *path);

/* Allow calls up to seconds (0: back to JG_CLIENT_TIMEOUT), for a call
 * the server may take long to answer (an execution). */
void jg_client_set_timeout(struct jg_client *c, long seconds);

/*
 * Call `method` on `path` ("/v1/requests"; already safe: ids are checked
 * by the caller) with optional `query` and JSON `body` (NULL sends none
 * on GET and "{}" on POST). On a 2xx answer returns JG_EXIT_OK and *out
 * receives the parsed JSON (a new reference the caller json_decref()s).
 * Otherwise prints the error and returns JG_EXIT_ERR with *out NULL.
 */
int jg_client_call(struct jg_client *c, const char *method, const char *path,
                   const struct jg_kv *query, const json_t *body,
                   json_t **out);

/*
 * What the last call got: its HTTP status; 0 when it may have reached the
 * server but no answer came (lost connection, timeout); JG_CLIENT_UNSENT
 * when it surely never left (no connection could be made: a call other
 * than GET always opens its own). A caller whose call changes things
 * tells "nothing happened" from "unknown" by this.
 */
#define JG_CLIENT_UNSENT (-1L)
long jg_client_last(const struct jg_client *c);
/* The problem `type` of the last call's refusal, or "" (borrowed). */
const char *jg_client_last_problem(const struct jg_client *c);

/*
 * Quiet (1): a refusal by the server is not printed but kept, for a
 * caller to whom some refusals are an answer (`jitgate login` polling:
 * "not approved yet"). Transport errors are printed either way.
 */
void jg_client_set_quiet(struct jg_client *c, int quiet);
/* The last call's refusal: its problem JSON (borrowed until the next
 * call; NULL when none or not JSON) and the one-line message printed, or
 * kept when quiet ("" when none). */
const json_t *jg_client_last_refusal(const struct jg_client *c);
const char *jg_client_last_message(const struct jg_client *c);

/* GET path and copy a 2xx body to `f` as it arrives, without a bound. */
int jg_client_stream(struct jg_client *c, const char *path,
                     const struct jg_kv *query, FILE *f);

#endif
