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

/* How many threads do what (and the socket they serve). */
struct jg_server_threads {
	unsigned http;  /* libmicrohttpd workers */
	unsigned exec;  /* actions run at once, on threads of their own */
	unsigned queue; /* actions that may wait for one of those */
	int listen_fd;  /* 0: bind host:port; else a listening socket made
	                   before the privilege drop (privdrop.h), which the
	                   server owns from then on */
};

/*
 * Listen on host:port (port 0 picks a free one) and serve the API from
 * gate (borrowed) with n->http workers; actions run on the execution pool
 * (pool.h) of n->exec threads, n->queue more may wait, and past that an
 * execute is answered 503 with nothing run. *out owns the running server.
 */
enum jg_err jg_server_start(struct jg_gate *gate, const char *host,
                            uint16_t port, const struct jg_server_threads *n,
                            jg_clock_fn clock, struct jg_server **out,
                            char *err, size_t errlen);
uint16_t jg_server_port(const struct jg_server *s);
/* Stop accepting, let running actions end and answer (at most their
 * connector's timeout), refuse queued ones, finish in-flight requests,
 * free. NULL-safe. */
void jg_server_stop(struct jg_server *s);

#endif
