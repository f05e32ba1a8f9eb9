/*
 * routes.c - the one table of the HTTP API. The server matches method and
 * path here; nothing else knows the URL layout.
 */
#include "http/handlers.h"

#define PUBLIC JG_ROUTE_PUBLIC
#define EXCLUSIVE JG_ROUTE_EXCLUSIVE
#define BIG_BODY JG_ROUTE_BIG_BODY
#define WRITES JG_ROUTE_WRITES
#define RAW_BODY JG_ROUTE_RAW_BODY

const struct jg_route jg_routes[] = {
	{"GET", "/healthz", jg_api_health, PUBLIC},
	{"GET", "/readyz", jg_api_ready, PUBLIC},
	{"GET", "/metrics", jg_api_metrics, 0},
	{"GET", "/.well-known/jwks.json", jg_api_jwks, PUBLIC},
	{"GET", "/", jg_api_static, PUBLIC},
	{"GET", "/assets/*", jg_api_static, PUBLIC},
	{"GET", "/v1/auth/config", jg_api_auth_config, PUBLIC},
	{"GET", "/v1/auth/oidc/login", jg_api_auth_login, PUBLIC},
	{"GET", "/v1/auth/oidc/callback", jg_api_auth_callback, PUBLIC},
	{"POST", "/v1/sessions/end", jg_api_sessions_end, 0},
	{"POST", "/v1/session", jg_api_session_open, PUBLIC},
	{"GET", "/v1/session", jg_api_session_get, 0},
	{"POST", "/v1/session/close", jg_api_session_close, 0},
	{"DELETE", "/v1/session", jg_api_session_delete, 0},
	{"POST", "/v1/auth/device", jg_api_device_start, PUBLIC},
	{"POST", "/v1/auth/device/token", jg_api_device_token, PUBLIC},
	{"GET", "/v1/whoami", jg_api_whoami, 0},
	{"POST", "/v1/requests", jg_api_request_create, 0},
	{"GET", "/v1/requests", jg_api_request_list, 0},
	{"GET", "/v1/requests/*", jg_api_request_get, 0},
	{"GET", "/v1/requests/*/events", jg_api_request_events, 0},
	{"POST", "/v1/requests/*/cancel", jg_api_request_cancel, 0},
	{"POST", "/v1/requests/*/approve", jg_api_request_approve, 0},
	{"POST", "/v1/requests/*/deny", jg_api_request_deny, 0},
	{"POST", "/v1/requests/*/post-review", jg_api_request_post_review, 0},
	{"POST", "/v1/requests/*/execute", jg_api_request_execute, 0},
	{"GET", "/v1/grants", jg_api_grant_list, 0},
	{"GET", "/v1/grants/*", jg_api_grant_get, 0},
	{"POST", "/v1/grants/*/revoke", jg_api_grant_revoke, 0},
	{"POST", "/v1/grants/*/done", jg_api_grant_done, 0},
	{"POST", "/v1/grants/*/extend", jg_api_grant_extend, 0},
	{"GET", "/v1/grants/*/token", jg_api_grant_token, WRITES},
	{"POST", "/v1/grants/*/credentials", jg_api_grant_credentials, 0},
	{"POST", "/v1/grants/*/ssh-cert", jg_api_grant_ssh_cert, 0},
	{"GET", "/v1/ssh/ca", jg_api_ssh_ca, PUBLIC},
	{"GET", "/v1/ssh/krl", jg_api_ssh_krl, PUBLIC},
	{"POST", "/v1/check", jg_api_check, 0},
	/* public to the server's authentication: it carries the end user's
	 * credentials, and authenticates the proxy itself (api_forward.c) */
	{"GET", "/v1/authz/forward", jg_api_forward, PUBLIC},
	/* Envoy's HTTP ext_authz asks with the client's own method */
	{"POST", "/v1/authz/forward", jg_api_forward, PUBLIC},
	{"PUT", "/v1/authz/forward", jg_api_forward, PUBLIC},
	{"PATCH", "/v1/authz/forward", jg_api_forward, PUBLIC},
	{"DELETE", "/v1/authz/forward", jg_api_forward, PUBLIC},
	{"POST", "/v1/findings", jg_api_findings, BIG_BODY},
	/* Slack authenticates by signing the raw body (api_chat.c) */
	{"POST", "/v1/chat/slack", jg_api_chat_slack, PUBLIC | RAW_BODY},
	{"GET", "/v1/policy", jg_api_policy_get, 0},
	{"GET", "/v1/resources", jg_api_resources, 0},
	{"POST", "/v1/policy/reload", jg_api_policy_reload, EXCLUSIVE},
	{"POST", "/v1/policy/replay", jg_api_policy_replay, BIG_BODY},
	{"GET", "/v1/audit", jg_api_audit_list, 0},
	{"GET", "/v1/audit/export", jg_api_audit_export, 0},
	{"GET", "/v1/audit/verify", jg_api_audit_verify, 0},
	{"GET", "/v1/report", jg_api_report, 0},
	{"GET", "/v1/outbox", jg_api_outbox, 0},
	{"GET", "/v1/insights", jg_api_insights, 0},
	{"GET", "/v1/alerts", jg_api_alerts_list, 0},
	{"POST", "/v1/alerts/*/acknowledge", jg_api_alerts_ack, 0},
	{"POST", "/v1/tokens", jg_api_token_create, 0},
	{"GET", "/v1/tokens", jg_api_token_list, 0},
	{"POST", "/v1/tokens/*/revoke", jg_api_token_revoke, 0},
	{"POST", "/v1/keys/rotate", jg_api_keys_rotate, 0},
};

const size_t jg_nroutes = sizeof(jg_routes) / sizeof(jg_routes[0]);
