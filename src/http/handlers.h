/* handlers.h - the route handlers, one file per resource family. */
#ifndef JG_HTTP_HANDLERS_H
#define JG_HTTP_HANDLERS_H

#include "http/exchange.h"

/* api_requests.c */
void jg_api_request_create(struct jg_ex *ex);
void jg_api_request_list(struct jg_ex *ex);
void jg_api_request_get(struct jg_ex *ex);
void jg_api_request_events(struct jg_ex *ex);
void jg_api_request_cancel(struct jg_ex *ex);
void jg_api_request_approve(struct jg_ex *ex);
void jg_api_request_deny(struct jg_ex *ex);
void jg_api_request_post_review(struct jg_ex *ex);
void jg_api_request_execute(struct jg_ex *ex);

/* api_insights.c: tuning advice */
void jg_api_insights(struct jg_ex *ex);

/* api_grants.c */
void jg_api_grant_list(struct jg_ex *ex);
void jg_api_grant_get(struct jg_ex *ex);
void jg_api_grant_revoke(struct jg_ex *ex);
void jg_api_grant_done(struct jg_ex *ex);
void jg_api_grant_extend(struct jg_ex *ex);

/* api_credentials.c: a grant's temporary database role, shown once */
void jg_api_grant_credentials(struct jg_ex *ex);
void jg_api_check(struct jg_ex *ex);

/* api_forward.c: forward-auth for reverse proxies */
void jg_api_forward(struct jg_ex *ex);

/* api_chat.c: approvals from Slack buttons */
void jg_api_chat_slack(struct jg_ex *ex);

/* api_findings.c: scanner reports */
void jg_api_findings(struct jg_ex *ex);

/* api_sign.c: signed grant tokens */
void jg_api_jwks(struct jg_ex *ex);
void jg_api_grant_token(struct jg_ex *ex);
void jg_api_keys_rotate(struct jg_ex *ex);

/* api_ssh.c: OpenSSH user certificates */
void jg_api_ssh_ca(struct jg_ex *ex);
void jg_api_ssh_krl(struct jg_ex *ex);
void jg_api_grant_ssh_cert(struct jg_ex *ex);

/* api_policy.c */
void jg_api_policy_get(struct jg_ex *ex);
void jg_api_resources(struct jg_ex *ex);
void jg_api_policy_reload(struct jg_ex *ex);
void jg_api_policy_replay(struct jg_ex *ex);

/* api_audit.c */
void jg_api_audit_list(struct jg_ex *ex);
void jg_api_audit_export(struct jg_ex *ex);
void jg_api_audit_verify(struct jg_ex *ex);
void jg_api_outbox(struct jg_ex *ex);
void jg_api_alerts_list(struct jg_ex *ex); /* api_alerts.c */
void jg_api_alerts_ack(struct jg_ex *ex);

/* api_report.c: compliance evidence for a period */
void jg_api_report(struct jg_ex *ex);

/* api_session.c */
void jg_api_session_open(struct jg_ex *ex);
void jg_api_session_get(struct jg_ex *ex);
void jg_api_session_close(struct jg_ex *ex);

/* api_device.c: `jitgate login` (device flow) and logout */
void jg_api_device_start(struct jg_ex *ex);
void jg_api_device_token(struct jg_ex *ex);
void jg_api_session_delete(struct jg_ex *ex);

/* api_auth.c: sign-in through the identity provider (browser) */
void jg_api_auth_config(struct jg_ex *ex);
void jg_api_auth_login(struct jg_ex *ex);
void jg_api_auth_callback(struct jg_ex *ex);
void jg_api_sessions_end(struct jg_ex *ex);
/* api_metrics.c: monitoring */
void jg_api_metrics(struct jg_ex *ex);
void jg_api_ready(struct jg_ex *ex);

/* static.c: the embedded dashboard */
void jg_api_static(struct jg_ex *ex);

/* api_tokens.c */
void jg_api_health(struct jg_ex *ex);
void jg_api_whoami(struct jg_ex *ex);
void jg_api_token_create(struct jg_ex *ex);
void jg_api_token_list(struct jg_ex *ex);
void jg_api_token_revoke(struct jg_ex *ex);

#endif
