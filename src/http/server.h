/*
 * server.h - the HTTP front: libmicrohttpd with a thread pool, routing
 * through the table in routes.c, authentication by bearer token, bounded
 * bodies, problem+json errors, one access-log line per request (never
 * with a token or a body).
 */
#ifndef JG_HTTP_SERVER_H
#define JG_HTTP_SERVER_H

#include <stdint.h>

#include "gate/gate.h"

struct jg_server;

/* Clock used for every request; tests may pass their own. */
typedef int64_t (*jg_clock_fn)(void);

/* How many threads do what, what clients may hold (a 0 there: the
 * default; docs/operations.md "Limits"), and the socket they serve. */
struct jg_server_threads {
	unsigned http;  /* libmicrohttpd workers */
	unsigned exec;  /* actions run at once, on threads of their own */
	unsigned queue; /* actions that may wait for one of those */
	unsigned per_ip;   /* connections one address may hold (0: any) */
	unsigned body_mib; /* MiB all request bodies being received may
	                    * hold together; past it, 503 */
	unsigned replay_s; /* seconds a policy replay may run; past it, 503 */
	int listen_fd;  /* 0: bind host:port; else a listening socket made
	                   before the privilege drop (privdrop.h), which the
	                   server owns from then on */
};
#define JG_PER_IP_DEFAULT 64
#define JG_BODY_MEMORY_DEFAULT 64 /* MiB */
#define JG_REPLAY_TIMEOUT_DEFAULT 10 /* seconds */

struct jg_tls;
struct jg_proxies;

/* How the server meets its clients. Both borrowed; they must outlive the
 * server. */
struct jg_server_transport {
	struct jg_tls *tls; /* NULL: plain HTTP; else HTTPS with HSTS */
	const struct jg_proxies *proxies; /* NULL: the TCP peer is the client */
};

/*
 * Listen on host:port (port 0 picks a free one) and serve the API from
 * gate (borrowed) with n->http workers; actions run on the execution pool
 * (pool.h) of n->exec threads, n->queue more may wait, and past that an
 * execute is answered 503 with nothing run; tr says TLS or not, and
 * which proxies may name the client. *out owns the running server.
 */
enum jg_err jg_server_start(struct jg_gate *gate, const char *host,
                            uint16_t port, const struct jg_server_threads *n,
                            const struct jg_server_transport *tr,
                            jg_clock_fn clock, struct jg_server **out,
                            char *err, size_t errlen);
uint16_t jg_server_port(const struct jg_server *s);
/* Stop accepting, stop replays at once (503), let running actions end
 * and answer (at most their connector's timeout), refuse queued ones,
 * give the answers 2 s to go out, close every connection (slow uploads
 * included), free. NULL-safe. */
void jg_server_stop(struct jg_server *s);

#endif
