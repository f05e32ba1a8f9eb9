/*
 * api_session.c - /v1/session: the dashboard signs in with a token and
 * from then on uses an HttpOnly, Secure, SameSite=Strict cookie plus a
 * CSRF token it keeps in memory. The cookie value is shown only in
 * Set-Cookie, never in a body or a log.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "http/handlers.h"
#include "http/render.h"

#define COOKIE_ATTRS "Path=/; HttpOnly; Secure; SameSite=Strict"

static void reply_session(struct jg_ex *ex, int status, const char *csrf)
{
	json_t *o = jg_render_principal(&ex->who);
	if (o)
		json_object_set_new(o, "csrf_token",
		                    csrf ? json_string(csrf) : json_null());
	jg_ex_json(ex, status, o);
}

/* "application/json", with parameters (charset) or without. */
static int is_json(const char *ct)
{
	size_t n = strlen("application/json");

	return ct && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * Signing in is the one write a cookie-less browser may make, so nothing
 * else stops another site's page from signing a visitor in as the
 * attacker (login CSRF) with a form. A form cannot send
 * application/json, and a browser says where a request comes from:
 * Sec-Fetch-Site, or (older browsers) Origin, whose host must be the one
 * the request came to (the scheme is not compared: a TLS proxy may stand
 * in front). Sec-Fetch-Site decides when sent: a proxy that rewrites
 * Host does not change it. Clients that send neither (the CLI, curl)
 * are not browsers.
 */
static int refuse_cross_site(struct jg_ex *ex)
{
	const char *ct = MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND,
	                                             "Content-Type");
	const char *site = MHD_lookup_connection_value(
	        ex->conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *origin = MHD_lookup_connection_value(
	        ex->conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(ex->conn,
	                                               MHD_HEADER_KIND, "Host");
	const char *authority = origin ? strstr(origin, "://") : NULL;

	if (!is_json(ct)) {
		jg_ex_fail(ex, JG_EMEDIA, "sign in with Content-Type: "
		           "application/json");
		return -1;
	}
	if (site) { /* the browser's own word, whatever a proxy did to Host */
		if (strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0)
			return 0;
		jg_ex_fail(ex, JG_ECROSSSITE, "sign-in from another site is "
		           "refused (Sec-Fetch-Site)");
		return -1;
	}
	if (origin && (!authority || !host ||
	               strcasecmp(authority + 3, host) != 0)) {
		jg_ex_fail(ex, JG_ECROSSSITE, "sign-in from another origin "
		           "is refused (Origin is not this server)");
		return -1;
	}
	return 0;
}

void jg_api_session_open(struct jg_ex *ex)
{
	static const char *const fields[] = {"token", NULL};
	char cookie[JG_TOKEN_LEN], csrf[JG_SHA256_HEX];
	const char *token;
	enum jg_err e;

	struct jg_signin_config conf;

	if (refuse_cross_site(ex) || jg_ex_fields(ex, fields) ||
	    jg_ex_str(ex, "token", 1, &token))
		return;
	jg_gate_signin_config(ex->gate, &conf);
	if (!conf.token) {
		jg_ex_fail(ex, JG_EFORBIDDEN, "the dashboard signs in through "
		           "the identity provider here (identity.signin."
		           "token_signin is false)");
		return;
	}
	e = jg_gate_session_open(ex->gate, token, ex->now, cookie, csrf,
	                         &ex->who);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, e == JG_EAUTH ? "that token is not valid"
		                                : NULL);
		return;
	}
	snprintf(ex->set_cookie, sizeof(ex->set_cookie),
	         JG_SESSION_COOKIE "=%s; " COOKIE_ATTRS "; Max-Age=%d", cookie,
	         JG_SESSION_TTL);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	reply_session(ex, 201, csrf);
}

void jg_api_session_get(struct jg_ex *ex)
{
	reply_session(ex, 200, ex->via_cookie ? ex->csrf : NULL);
}

void jg_api_session_close(struct jg_ex *ex)
{
	const char *cookie = MHD_lookup_connection_value(
	        ex->conn, MHD_COOKIE_KIND, JG_SESSION_COOKIE);
	enum jg_err e;

	if (!ex->via_cookie || !cookie) {
		jg_ex_fail(ex, JG_ECONFLICT, "no dashboard session to close");
		return;
	}
	e = jg_gate_session_close(ex->gate, cookie, &ex->who, ex->now);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, NULL);
		return;
	}
	snprintf(ex->set_cookie, sizeof(ex->set_cookie),
	         JG_SESSION_COOKIE "=; " COOKIE_ATTRS "; Max-Age=0");
	jg_ex_json(ex, 200, json_pack("{s:b}", "closed", 1));
}
