/*
 * api_auth.c - the dashboard signs in through the company's identity
 * provider (OpenID Connect authorization code flow with PKCE):
 *
 *   GET /v1/auth/config              public: which sign-ins are on
 *   GET /v1/auth/oidc/login?next=    302 to the provider (state, nonce,
 *                                    PKCE S256; step_up=1 asks the
 *                                    provider for a new login, max_age=N)
 *   GET /v1/auth/oidc/callback       code exchange, ID token checks, the
 *                                    session cookie, 302 to next
 *   POST /v1/sessions/end            admin: end a person's sessions
 *
 * The pending sign-in is bound to the browser by a cookie set on the
 * redirect (SameSite=Lax: the provider sends the browser back from
 * another site, and a Strict cookie would not come with it). Every
 * failure is an HTML page with one clear sentence (a person is looking at
 * it, not a program) and creates nothing; once the state is one of ours
 * it is audited as signin.refused, before that it is a log line. No
 * page, log line or audit event holds a code, token or secret.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "http/handlers.h"

#define BIND_COOKIE "jg_signin"
#define SESSION_ATTRS "Path=/; HttpOnly; Secure; SameSite=Strict"
#define BIND_ATTRS "Path=/v1/auth/oidc/; HttpOnly; Secure; SameSite=Lax"
#define AUTH_URL_MAX 4096
#define FORM_MAX 4096
#define PAGE_MAX 2048

void jg_api_auth_config(struct jg_ex *ex)
{
	struct jg_signin_config c;

	jg_gate_signin_config(ex->gate, &c);
	jg_ex_json(ex, 200, json_pack("{s:b,s:b,s:s?}", "provider", c.provider,
	                              "token", c.token, "issuer",
	                              c.provider ? c.issuer : NULL));
}

/* s with & < > " ' escaped into out (cut to fit). */
static void html_escape(const char *s, char *out, size_t max)
{
	size_t n = 0;

	for (; *s && n + 7 < max; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;"
		                  : *s == '>' ? "&gt;" : *s == '"' ? "&quot;"
		                  : *s == '\'' ? "&#39;" : NULL;
		if (rep) {
			memcpy(out + n, rep, strlen(rep));
			n += strlen(rep);
		} else if ((unsigned char)*s >= 0x20) {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

/* Reply with an HTML page saying why the sign-in failed, status of e. */
static void fail_page(struct jg_ex *ex, enum jg_err e, const char *why)
{
	char safe[JG_WHY_MAX * 2], *page;
	int n;

	html_escape(why && *why ? why : jg_strerror(e), safe, sizeof(safe));
	if (!(page = malloc(PAGE_MAX))) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	n = snprintf(page, PAGE_MAX,
	             "<!doctype html><html lang=\"en\"><head><meta "
	             "charset=\"utf-8\"><title>Sign-in failed - jitgate"
	             "</title></head><body><h1>Sign-in failed</h1>"
	             "<p id=\"why\">%s</p><p><a href=\"/\">Back to jitgate"
	             "</a></p></body></html>",
	             safe);
	ex->raw = MHD_create_response_from_buffer(
	        n > 0 && n < PAGE_MAX ? (size_t)n : strlen(page), page,
	        MHD_RESPMEM_MUST_FREE);
	if (!ex->raw) {
		free(page);
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	MHD_add_response_header(ex->raw, "Content-Type",
	                        "text/html; charset=utf-8");
	ex->status = jg_err_status(e);
}

/* A 302 to url, with Set-Cookie cookie when not NULL. */
static void redirect(struct jg_ex *ex, const char *url, const char *cookie)
{
	ex->raw = MHD_create_response_from_buffer(0, (void *)"",
	                                          MHD_RESPMEM_PERSISTENT);
	if (!ex->raw) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	MHD_add_response_header(ex->raw, "Location", url);
	if (cookie)
		MHD_add_response_header(ex->raw, "Set-Cookie", cookie);
	ex->status = 302;
}

/* A path on this server to go to after sign-in: "/" or "/x...", never
 * "//host" or "/\host" (another origin to a browser). */
static int next_ok(const char *next)
{
	if (next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strlen(next) >= JG_URL_MAX)
		return 0;
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f || *p == '\\')
			return 0;
	return 1;
}

/* Append "&key=escaped(value)" to url (len bytes used of max). */
static int add_param(char *url, size_t max, size_t *len, const char *key,
                     const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	int n;

	if (!esc)
		return -1;
	n = snprintf(url + *len, max - *len, "%s%s=%s",
	             strchr(url, '?') ? "&" : "?", key, esc);
	curl_free(esc);
	if (n < 0 || (size_t)n >= max - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

void jg_api_auth_login(struct jg_ex *ex)
{
	const char *next = jg_ex_query(ex, "next");
	const char *step_up = jg_ex_query(ex, "step_up");
	const char *max_age = jg_ex_query(ex, "max_age");
	struct jg_signin_client c;
	struct jg_signin_start st;
	char url[AUTH_URL_MAX], cookie[192], why[JG_WHY_MAX] = "";
	size_t len;
	enum jg_err e;

	if (next && !next_ok(next))
		return fail_page(ex, JG_EINVAL, "'next' must be a path on this "
		                 "server");
	if (max_age && strspn(max_age, "0123456789") != strlen(max_age))
		return fail_page(ex, JG_EINVAL, "'max_age' must be a number of "
		                 "seconds");
	if ((e = jg_gate_signin_client(ex->gate, ex->now, &c, why)) != JG_OK)
		return fail_page(ex, e, why);
	OPENSSL_cleanse(c.secret, sizeof(c.secret));
	if ((e = jg_gate_signin_begin(ex->gate, next, ex->peer, ex->now,
	                              &st)) != JG_OK)
		return fail_page(ex, e, "too many sign-ins are in progress; "
		                 "try again in a minute");
	len = (size_t)snprintf(url, sizeof(url), "%s", c.ep.authorization);
	if (len >= sizeof(url) ||
	    add_param(url, sizeof(url), &len, "response_type", "code") ||
	    add_param(url, sizeof(url), &len, "client_id", c.client_id) ||
	    add_param(url, sizeof(url), &len, "redirect_uri", c.redirect_url) ||
	    add_param(url, sizeof(url), &len, "scope", c.scopes) ||
	    add_param(url, sizeof(url), &len, "state", st.state) ||
	    add_param(url, sizeof(url), &len, "nonce", st.nonce) ||
	    add_param(url, sizeof(url), &len, "code_challenge", st.challenge) ||
	    add_param(url, sizeof(url), &len, "code_challenge_method", "S256") ||
	    (step_up && strcmp(step_up, "1") == 0 &&
	     add_param(url, sizeof(url), &len, "prompt", "login")) ||
	    (max_age && add_param(url, sizeof(url), &len, "max_age", max_age)))
		return fail_page(ex, JG_EINTERNAL, "the provider's sign-in "
		                 "address is too long");
	snprintf(cookie, sizeof(cookie), BIND_COOKIE "=%s; " BIND_ATTRS
	         "; Max-Age=%d", st.bind, JG_LOGIN_TTL);
	redirect(ex, url, cookie);
	OPENSSL_cleanse(&st, sizeof(st));
	OPENSSL_cleanse(cookie, sizeof(cookie));
}

/* POST the code to the token endpoint: the ID and access tokens into
 * *answer (a new reference) or JG_EAUTH / JG_EIDP with why. */
static enum jg_err exchange(struct jg_ex *ex, const char *code,
                            const struct jg_signin_start *st,
                            json_t **answer, char why[JG_WHY_MAX])
{
	struct jg_signin_client c;
	char form[FORM_MAX] = "";
	size_t len = 0;
	long status = 0;
	enum jg_err e;

	if ((e = jg_gate_signin_client(ex->gate, ex->now, &c, why)) != JG_OK)
		return e;
	if (add_param(form, sizeof(form), &len, "grant_type",
	              "authorization_code") ||
	    add_param(form, sizeof(form), &len, "code", code) ||
	    add_param(form, sizeof(form), &len, "redirect_uri",
	              c.redirect_url) ||
	    add_param(form, sizeof(form), &len, "code_verifier", st->verifier) ||
	    (!c.secret[0] &&
	     add_param(form, sizeof(form), &len, "client_id", c.client_id))) {
		snprintf(why, JG_WHY_MAX, "the provider's code is too long");
		e = JG_EAUTH;
	} else { /* add_param began the form with '?': skip it */
		e = jg_ident_http(c.issuer, c.ep.token, form + 1,
		                  c.secret[0] ? c.client_id : NULL,
		                  c.secret[0] ? c.secret : NULL, &status, answer,
		                  why);
	}
	OPENSSL_cleanse(form, sizeof(form));
	OPENSSL_cleanse(c.secret, sizeof(c.secret));
	if (e == JG_OK && status != 200) {
		const char *err = json_string_value(json_object_get(*answer,
		                                                    "error"));
		snprintf(why, JG_WHY_MAX, "the provider refused the code (%ld "
		         "%.64s)", status, err ? err : "");
		e = JG_EAUTH;
		json_decref(*answer);
		*answer = NULL;
	}
	return e;
}

/* The provider's error answer: its error code, never its description
 * verbatim beyond a short excerpt (it comes from the URL). */
static void provider_error(struct jg_ex *ex, const char *error)
{
	char why[JG_WHY_MAX];
	const char *desc = jg_ex_query(ex, "error_description");

	snprintf(why, sizeof(why), "the identity provider did not sign you "
	         "in: %.64s%s%.160s", error, desc ? " - " : "",
	         desc ? desc : "");
	jg_gate_signin_refused(ex->gate, ex->now, why);
	fail_page(ex, JG_EAUTH, why);
}

void jg_api_auth_callback(struct jg_ex *ex)
{
	const char *code = jg_ex_query(ex, "code");
	const char *error = jg_ex_query(ex, "error");
	const char *bind = MHD_lookup_connection_value(ex->conn,
	                                               MHD_COOKIE_KIND,
	                                               BIND_COOKIE);
	struct jg_signin_start st;
	struct jg_signin_config conf;
	char why[JG_WHY_MAX] = "", secret[JG_TOKEN_LEN], csrf[JG_SHA256_HEX];
	char cookie[192];
	json_t *answer = NULL;
	enum jg_err e;

	/* the state first: whatever the answer, this sign-in is used up.
	 * Without a state of ours nobody has signed in anywhere: a log
	 * line, not an audit event (anyone may call this URL, and must not
	 * be able to fill the trail). */
	e = jg_gate_signin_take(ex->gate, jg_ex_query(ex, "state"), bind,
	                        ex->now, &st, why);
	if (e != JG_OK) {
		fprintf(stderr, "jitgate: sign-in refused (from %s): %s\n",
		        ex->peer ? ex->peer : "?", why);
		return fail_page(ex, e, why);
	}
	if (error)
		return provider_error(ex, error);
	if (!code) {
		jg_gate_signin_refused(ex->gate, ex->now, "the provider's "
		                       "answer has no code");
		return fail_page(ex, JG_EAUTH, "the provider's answer has no "
		                 "code");
	}
	e = exchange(ex, code, &st, &answer, why);
	if (e == JG_OK)
		e = jg_gate_signin_finish(
		        ex->gate,
		        json_string_value(json_object_get(answer, "id_token")),
		        json_string_value(json_object_get(answer,
		                                          "access_token")),
		        st.nonce, JG_SESSION_BROWSER, ex->now, secret, csrf,
		        &ex->who, why);
	else
		jg_gate_signin_refused(ex->gate, ex->now, why);
	json_decref(answer);
	if (e != JG_OK) {
		OPENSSL_cleanse(&st, sizeof(st));
		return fail_page(ex, e, why);
	}
	jg_gate_signin_config(ex->gate, &conf);
	snprintf(cookie, sizeof(cookie), JG_SESSION_COOKIE "=%s; "
	         SESSION_ATTRS "; Max-Age=%lld", secret,
	         (long long)conf.session_ttl);
	OPENSSL_cleanse(secret, sizeof(secret));
	redirect(ex, st.next[0] ? st.next : "/", cookie);
	if (ex->raw) /* the binding cookie is spent: let the browser drop it */
		MHD_add_response_header(ex->raw, "Set-Cookie", BIND_COOKIE "=; "
		                        BIND_ATTRS "; Max-Age=0");
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(&st, sizeof(st));
}

void jg_api_sessions_end(struct jg_ex *ex)
{
	static const char *const fields[] = {"principal", NULL};
	char why[JG_WHY_MAX] = "";
	const char *principal;
	long n = 0;
	enum jg_err e;

	if (jg_ex_fields(ex, fields) ||
	    jg_ex_str(ex, "principal", 1, &principal))
		return;
	e = jg_gate_sessions_end(ex->gate, &ex->who, principal, ex->now, &n,
	                         why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_ex_json(ex, 200, json_pack("{s:s,s:I}", "principal", principal,
	                              "ended", (json_int_t)n));
}
