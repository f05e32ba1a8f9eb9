/* handlers.h - the route handlers, one file per resource family. */
#ifndef JG_HTTP_HANDLERS_H
#define JG_HTTP_HANDLERS_H

#include "http/exchange.h"

/* api_requests.c */
void jg_api_request_create(struct jg_ex *ex);
void jg_api_request_list(struct jg_ex *ex);
void jg_api_request_get(struct jg_ex *ex);
void jg_api_request_cancel(struct jg_ex *ex);
void jg_api_request_approve(struct jg_ex *ex);
void jg_api_request_deny(struct jg_ex *ex);

/* api_grants.c */
void jg_api_grant_list(struct jg_ex *ex);
void jg_api_grant_get(struct jg_ex *ex);
void jg_api_grant_revoke(struct jg_ex *ex);
void jg_api_grant_done(struct jg_ex *ex);
void jg_api_check(struct jg_ex *ex);

/* api_audit.c */
void jg_api_audit_list(struct jg_ex *ex);
void jg_api_audit_export(struct jg_ex *ex);
void jg_api_audit_verify(struct jg_ex *ex);

/* api_tokens.c */
void jg_api_health(struct jg_ex *ex);
void jg_api_whoami(struct jg_ex *ex);
void jg_api_token_create(struct jg_ex *ex);
void jg_api_token_list(struct jg_ex *ex);
void jg_api_token_revoke(struct jg_ex *ex);

#endif
