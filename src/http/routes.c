/*
 * routes.c - the one table of the HTTP API. The server matches method and
 * path here; nothing else knows the URL layout.
 */
#include "http/handlers.h"

const struct jg_route jg_routes[] = {
	{"GET", "/healthz", jg_api_health, 1},
	{"GET", "/v1/whoami", jg_api_whoami, 0},
	{"POST", "/v1/requests", jg_api_request_create, 0},
	{"GET", "/v1/requests", jg_api_request_list, 0},
	{"GET", "/v1/requests/*", jg_api_request_get, 0},
	{"POST", "/v1/requests/*/cancel", jg_api_request_cancel, 0},
	{"POST", "/v1/requests/*/approve", jg_api_request_approve, 0},
	{"POST", "/v1/requests/*/deny", jg_api_request_deny, 0},
	{"GET", "/v1/grants", jg_api_grant_list, 0},
	{"GET", "/v1/grants/*", jg_api_grant_get, 0},
	{"POST", "/v1/grants/*/revoke", jg_api_grant_revoke, 0},
	{"POST", "/v1/grants/*/done", jg_api_grant_done, 0},
	{"POST", "/v1/check", jg_api_check, 0},
	{"GET", "/v1/audit", jg_api_audit_list, 0},
	{"GET", "/v1/audit/export", jg_api_audit_export, 0},
	{"GET", "/v1/audit/verify", jg_api_audit_verify, 0},
	{"POST", "/v1/tokens", jg_api_token_create, 0},
	{"GET", "/v1/tokens", jg_api_token_list, 0},
	{"POST", "/v1/tokens/*/revoke", jg_api_token_revoke, 0},
};

const size_t jg_nroutes = sizeof(jg_routes) / sizeof(jg_routes[0]);
