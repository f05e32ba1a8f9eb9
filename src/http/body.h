/*
 * body.h - request bodies while they are received: each within its
 * route's bound, and all of them within one memory budget the server
 * shares among its connections, so that no crowd of clients can make it
 * hold more than the budget. No I/O here: server.c feeds in what
 * libmicrohttpd reads, and decides what to answer.
 */
#ifndef JG_HTTP_BODY_H
#define JG_HTTP_BODY_H

#include <stddef.h>

struct jg_body_budget {
	size_t limit; /* bytes all bodies may hold together */
	size_t held;  /* atomic: bytes reserved now */
};

struct jg_body {
	char *data;       /* owned; NUL-terminated once anything came */
	size_t len;
	size_t cap;       /* bytes allocated for data */
	size_t max;       /* the route's bound */
	size_t held;      /* bytes of the budget reserved for this body */
	size_t discarded; /* bytes dropped once too_big or no_room */
	int too_big;      /* it went past max: answer 413 */
	int no_room;      /* the budget (or memory) ran out: answer 503 */
};

/* Reserve n more bytes of bg for b (a declared length, up front): 0, or
 * -1 when bg has no room, nothing reserved. Thread-safe. */
int jg_body_reserve(struct jg_body_budget *bg, struct jg_body *b, size_t n);

/*
 * Keep n bytes of data that came for b, reserving what its reservation
 * does not cover yet (a chunked body). Past b->max or the budget, the
 * bytes are dropped and too_big or no_room set. 0; -1 once the client
 * has gone on sending more than JG_BIG_BODY_MAX bytes past that (cut
 * it off).
 */
int jg_body_take(struct jg_body_budget *bg, struct jg_body *b,
                 const char *data, size_t n);

/* Free b's bytes; its reservation stays until jg_body_release. */
void jg_body_drop(struct jg_body *b);

/* Give b's reservation back to bg. Idempotent. */
void jg_body_release(struct jg_body_budget *bg, struct jg_body *b);

#endif
