/*
 * render.h - domain records as the API shows them (see docs/api.yaml).
 * Each returns a new JSON value the caller owns, or NULL on ENOMEM.
 * Token digests and secrets are never rendered.
 */
#ifndef JG_HTTP_RENDER_H
#define JG_HTTP_RENDER_H

#include <jansson.h>

#include "gate/gate.h"

json_t *jg_render_request(const struct jg_request_view *v, int64_t now);
json_t *jg_render_grant(const struct jg_grant *g, int64_t now);
/* An execution (the "execution" member of a request). */
json_t *jg_render_execution(const struct jg_execution *x);
json_t *jg_render_token(const struct jg_token *t);
/* ["admin", …] for role bits. */
json_t *jg_render_roles(int roles);
json_t *jg_render_principal(const struct jg_principal *p);
/* {"items": items, "next_cursor": "N" or null}; items is consumed. */
json_t *jg_render_page(json_t *items, int64_t next);

#endif
