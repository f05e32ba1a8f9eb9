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

/*
 * Listen on host:port (port 0 picks a free one) and serve the API from
 * gate (borrowed). *out owns the running server.
 */
enum jg_err jg_server_start(struct jg_gate *gate, const char *host,
                            uint16_t port, int threads, jg_clock_fn clock,
                            struct jg_server **out, char *err,
                            size_t errlen);
uint16_t jg_server_port(const struct jg_server *s);
/* Stop accepting, finish in-flight requests, free. NULL-safe. */
void jg_server_stop(struct jg_server *s);

#endif
