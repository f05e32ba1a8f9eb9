/*
 * api_device.c - `jitgate login`: the OAuth 2.0 device authorization
 * grant (RFC 8628) with jitgate as the identity provider's confidential
 * client, and `DELETE /v1/session` (logout).
 *
 * The CLI never talks to the provider and never holds the client secret:
 * it asks jitgate to start a device authorization (POST /v1/auth/device),
 * shows the person the provider's URL and user code, and polls jitgate
 * (POST /v1/auth/device/token), which polls the provider's token endpoint
 * with the client's credentials. Once the person has approved, the ID
 * token is checked and mapped exactly as a browser sign-in's
 * (jg_gate_signin_finish) and the CLI gets a short-lived session secret
 * ("jgs_..."), shown once.
 *
 * The device code passes through the CLI: it is worth nothing without
 * the client secret, which only the server has. Both routes are public
 * (no one is signed in yet), so each source address may start and poll
 * only so often: every start and every poll costs a call to the provider.
 *
 * Never: log or return the provider's tokens or the session secret other
 * than in the one answer that hands it over.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "http/handlers.h"
#include "http/render.h"
#include "util/timefmt.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define DEVICE_CODE_MAX 512    /* bytes of a provider's device code */
#define INTERVAL_DEFAULT 5     /* RFC 8628 3.2: when the provider says none */
#define INTERVAL_MAX 60        /* seconds between polls we ever ask for */
#define SLOW_DOWN_STEP 5       /* RFC 8628 3.5: each slow_down adds 5 s */
#define FORM_MAX 2048

/* ---- per-address rate limits ---- */

/*
 * A fixed window per source address, in a small table: when all slots
 * are in use, the one whose window began first is taken over. Process
 * wide on purpose: the limit is about the provider's load and the
 * addresses calling, whichever server object answers.
 */
#define LIMIT_SLOTS 128
#define LIMIT_WINDOW 60

struct limit_slot {
	char addr[64];
	int64_t start;
	int count;
};

struct limiter {
	pthread_mutex_t mu;
	int max; /* calls per LIMIT_WINDOW seconds per address */
	struct limit_slot slots[LIMIT_SLOTS];
};

/* A login takes one start; a second or two on a mistyped code. */
static struct limiter starts = {.mu = PTHREAD_MUTEX_INITIALIZER, .max = 10};
/* One CLI polls every 5 s (12 a minute): room for a few at one NAT. */
static struct limiter polls = {.mu = PTHREAD_MUTEX_INITIALIZER, .max = 60};

static struct limit_slot *limit_slot(struct limiter *l, const char *addr)
{
	struct limit_slot *s, *oldest = &l->slots[0];

	for (s = l->slots; s < l->slots + LIMIT_SLOTS; s++) {
		if (strcmp(s->addr, addr) == 0)
			return s;
		if (s->start < oldest->start)
			oldest = s;
	}
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	oldest->start = 0;
	oldest->count = 0;
	return oldest;
}

/* 1 when addr may make one more call now (and count it), else 0. */
static int limit_allow(struct limiter *l, const char *addr, int64_t now)
{
	struct limit_slot *s;
	int ok;

	pthread_mutex_lock(&l->mu);
	s = limit_slot(l, addr ? addr : "");
	if (now - s->start >= LIMIT_WINDOW) {
		s->start = now;
		s->count = 0;
	}
	ok = s->count < l->max;
	if (ok)
		s->count++;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

static int refuse_flood(struct jg_ex *ex, struct limiter *l)
{
	if (limit_allow(l, ex->peer, ex->now))
		return 0;
	jg_ex_fail(ex, JG_EBUSY, "too many sign-in calls from this address; "
	           "wait a minute and try again");
	return -1;
}

/* ---- talking to the provider ---- */

/* "&key=value" (the first without '&') appended to form, value escaped.
 * 0, or -1 when it does not fit or memory ran out. */
static int form_add(char form[FORM_MAX], const char *key, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, (int)strlen(value));
	size_t len = strlen(form);
	int n;

	if (!esc)
		return -1;
	n = snprintf(form + len, FORM_MAX - len, "%s%s=%s", len ? "&" : "",
	             key, esc);
	curl_free(esc);
	return n < 0 || (size_t)n >= FORM_MAX - len ? -1 : 0;
}

/*
 * POST form to the provider's url as the client: HTTP basic with the
 * client secret (client_secret_basic), or client_id in the form for a
 * public client. *status and *out as jg_ident_http says.
 */
static enum jg_err provider_post(const struct jg_signin_client *c,
                                 const char *url, char form[FORM_MAX],
                                 long *status, json_t **out,
                                 char why[JG_WHY_MAX])
{
	int public_client = c->secret[0] == '\0';
	enum jg_err e;

	if (public_client && form_add(form, "client_id", c->client_id)) {
		snprintf(why, JG_WHY_MAX, "the client id is too long");
		return JG_EINVAL;
	}
	e = jg_ident_http(c->issuer, url, form,
	                  public_client ? NULL : c->client_id,
	                  public_client ? NULL : c->secret, status, out, why);
	if (e == JG_EIDP) { /* why names the URL: say whose it is */
		static const char lead[] = "identity provider: ";
		size_t n = strnlen(why, JG_WHY_MAX - sizeof(lead));

		memmove(why + sizeof(lead) - 1, why, n);
		memcpy(why, lead, sizeof(lead) - 1);
		why[sizeof(lead) - 1 + n] = '\0';
	}
	return e;
}

/* The provider's OAuth `error` code, cleaned for a message ("" if none). */
static void oauth_error(const json_t *body, char out[64])
{
	const char *s = json_string_value(json_object_get(body, "error"));
	size_t i = 0;

	for (; s && *s && i < 63; s++)
		if ((*s >= 'a' && *s <= 'z') || *s == '_')
			out[i++] = *s;
	out[i] = '\0';
}

/* The sign-in client (its secret to be wiped by the caller after use),
 * or a problem set on ex (and -1, nothing to wipe). */
static int signin_client(struct jg_ex *ex, struct jg_signin_client *c)
{
	char why[JG_WHY_MAX] = "";
	enum jg_err e = jg_gate_signin_client(ex->gate, ex->now, c, why);

	if (e == JG_ENOTFOUND) {
		jg_ex_fail(ex, e, "sign-in with an identity provider is not "
		           "configured on this server (identity.signin)");
		return -1;
	}
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return -1;
	}
	if (!c->ep.device_authorization[0]) {
		OPENSSL_cleanse(c->secret, sizeof(c->secret));
		jg_ex_fail(ex, JG_ENOTFOUND, "the identity provider offers no "
		           "device authorization endpoint; sign in with the "
		           "dashboard instead");
		return -1;
	}
	return 0;
}

/* ---- POST /v1/auth/device ---- */

static int str_field(const json_t *o, const char *key, size_t max)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s && strlen(s) < max;
}

/* The provider's answer as the API gives it on, or NULL if malformed. */
static json_t *device_reply(const json_t *p)
{
	json_t *complete = json_object_get(p, "verification_uri_complete");
	json_t *iv = json_object_get(p, "interval");
	json_int_t interval = json_is_integer(iv) ? json_integer_value(iv)
	                                          : INTERVAL_DEFAULT;
	json_t *exp = json_object_get(p, "expires_in");

	if (!str_field(p, "device_code", DEVICE_CODE_MAX) ||
	    !str_field(p, "user_code", JG_CLAIM_MAX) ||
	    !str_field(p, "verification_uri", JG_URL_MAX) ||
	    (complete && !str_field(p, "verification_uri_complete",
	                            JG_URL_MAX)) ||
	    !json_is_integer(exp) || json_integer_value(exp) <= 0)
		return NULL;
	if (interval < 1 || interval > INTERVAL_MAX)
		interval = INTERVAL_DEFAULT;
	return json_pack("{s:O,s:O,s:O,s:O,s:I,s:O}", "device_code",
	                 json_object_get(p, "device_code"), "user_code",
	                 json_object_get(p, "user_code"), "verification_uri",
	                 json_object_get(p, "verification_uri"),
	                 "verification_uri_complete",
	                 complete ? complete : json_null(), "interval",
	                 interval, "expires_in", exp);
}

void jg_api_device_start(struct jg_ex *ex)
{
	static const char *const fields[] = {NULL};
	struct jg_signin_client c;
	char form[FORM_MAX] = "", why[JG_WHY_MAX] = "", err[64];
	json_t *p = NULL, *reply;
	long status = 0;
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || refuse_flood(ex, &starts) ||
	    signin_client(ex, &c))
		return;
	if (form_add(form, "scope", c.scopes)) {
		jg_ex_fail(ex, JG_EINVAL, "the sign-in scopes are too long");
	} else if ((e = provider_post(&c, c.ep.device_authorization, form,
	                              &status, &p, why)) != JG_OK) {
		jg_ex_fail(ex, e, why);
	} else if (status != 200) {
		oauth_error(p, err);
		snprintf(why, sizeof(why), "the identity provider refused to "
		         "start a device sign-in (HTTP %ld%s%s)", status,
		         *err ? ", " : "", err);
		jg_ex_fail(ex, JG_EIDP, why);
	} else if (!(reply = device_reply(p))) {
		jg_ex_fail(ex, JG_EIDP, "the identity provider's device "
		           "authorization answer is malformed");
	} else {
		jg_ex_json(ex, 200, reply);
	}
	OPENSSL_cleanse(c.secret, sizeof(c.secret));
	json_decref(p);
}

/* ---- POST /v1/auth/device/token ---- */

/* 400 authorization-pending with the interval the CLI must keep. */
static void pending(struct jg_ex *ex, json_int_t interval, int slow)
{
	if (slow)
		interval += SLOW_DOWN_STEP;
	if (interval > INTERVAL_MAX)
		interval = INTERVAL_MAX;
	jg_ex_fail(ex, JG_EPENDING, slow ? "sign-in not finished yet; poll "
	           "less often" : "sign-in not finished yet: approve it at "
	           "the identity provider");
	if (ex->reply)
		json_object_set_new(ex->reply, "interval",
		                    json_integer(interval));
}

/* What the provider's refusal of the poll means for the person. */
static void refused(struct jg_ex *ex, long status, const json_t *body,
                    json_int_t interval)
{
	char err[64], why[JG_WHY_MAX];

	oauth_error(body, err);
	if (!strcmp(err, "authorization_pending") || !strcmp(err, "slow_down"))
		pending(ex, interval, !strcmp(err, "slow_down"));
	else if (!strcmp(err, "access_denied"))
		jg_ex_fail(ex, JG_EAUTH, "the sign-in was denied at the "
		           "identity provider");
	else if (!strcmp(err, "expired_token"))
		jg_ex_fail(ex, JG_EAUTH, "the sign-in code expired before it "
		           "was approved; run jitgate login again");
	else if (!strcmp(err, "invalid_grant"))
		jg_ex_fail(ex, JG_EAUTH, "the identity provider does not know "
		           "this sign-in (or it was used already); run jitgate "
		           "login again");
	else {
		snprintf(why, sizeof(why), "the identity provider refused the "
		         "sign-in (HTTP %ld%s%s)", status, *err ? ", " : "",
		         err);
		jg_ex_fail(ex, JG_EIDP, why);
	}
}

/* The provider's tokens: the session (200 with its secret) or a refusal. */
static void finish(struct jg_ex *ex, const json_t *tokens)
{
	const char *id_token = json_string_value(json_object_get(tokens,
	                                                         "id_token"));
	const char *access = json_string_value(json_object_get(tokens,
	                                                       "access_token"));
	char secret[JG_TOKEN_LEN], csrf[JG_SHA256_HEX], why[JG_WHY_MAX] = "";
	char exp[JG_TIME_LEN];
	struct jg_signin_config cfg;
	struct jg_principal who;
	json_t *o;
	enum jg_err e;

	if (!id_token) {
		jg_ex_fail(ex, JG_EIDP, "the identity provider sent no ID "
		           "token (is the openid scope configured?)");
		return;
	}
	/* no nonce: the device grant has none (RFC 8628), and the ID token
	 * came straight from the token endpoint to the authenticated client,
	 * not through a browser where it could be swapped */
	e = jg_gate_signin_finish(ex->gate, id_token, access, NULL,
	                          JG_SESSION_CLI, ex->now, secret, csrf, &who,
	                          why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_gate_signin_config(ex->gate, &cfg); /* the session's lifetime */
	jg_time_format(ex->now + cfg.session_ttl, exp);
	o = json_pack("{s:s,s:s,s:o}", "session_token", secret, "expires_at",
	              exp, "principal", jg_render_principal(&who));
	OPENSSL_cleanse(secret, sizeof(secret));
	jg_ex_json(ex, 200, o);
}

/* A device code we pass on: printable ASCII, no spaces, bounded. */
static int device_code_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~' || n >= DEVICE_CODE_MAX)
			return 0;
	return n > 0;
}

void jg_api_device_token(struct jg_ex *ex)
{
	static const char *const fields[] = {"device_code", "interval", NULL};
	json_t *iv = json_object_get(ex->body, "interval");
	json_int_t interval = INTERVAL_DEFAULT;
	struct jg_signin_client c;
	char form[FORM_MAX] = "", why[JG_WHY_MAX] = "";
	const char *code;
	json_t *p = NULL;
	long status = 0;
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "device_code", 1, &code))
		return;
	if (iv && !json_is_null(iv)) {
		if (!json_is_integer(iv) || json_integer_value(iv) < 1 ||
		    json_integer_value(iv) > INTERVAL_MAX) {
			jg_ex_fail(ex, JG_EINVAL, "interval must be a number of "
			           "seconds from 1 to 60");
			return;
		}
		interval = json_integer_value(iv);
	}
	if (!device_code_ok(code)) {
		jg_ex_fail(ex, JG_EINVAL, "device_code is not one the "
		           "identity provider gave");
		return;
	}
	if (refuse_flood(ex, &polls) || signin_client(ex, &c))
		return;
	if (form_add(form, "grant_type", DEVICE_GRANT) ||
	    form_add(form, "device_code", code))
		jg_ex_fail(ex, JG_EINVAL, "device_code is too long");
	else if ((e = provider_post(&c, c.ep.token, form, &status, &p,
	                            why)) != JG_OK)
		jg_ex_fail(ex, e, why);
	else if (status != 200)
		refused(ex, status, p, interval);
	else
		finish(ex, p);
	OPENSSL_cleanse(c.secret, sizeof(c.secret));
	OPENSSL_cleanse(form, sizeof(form));
	json_decref(p);
}

/* ---- DELETE /v1/session ---- */

/*
 * Sign out: a dashboard cookie (CSRF token checked by the server, as on
 * every write) ends that session, as POST /v1/session/close does; a CLI
 * session's "jgs_" bearer ends itself. The one handler that reads the
 * bearer: the session to end is named by it, and it is only hashed.
 */
void jg_api_session_delete(struct jg_ex *ex)
{
	const char *h = MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND,
	                                            "Authorization");
	enum jg_err e;

	if (ex->via_cookie) {
		jg_api_session_close(ex);
		return;
	}
	if (!h || strncmp(h, "Bearer jgs_", 11) != 0) {
		jg_ex_fail(ex, JG_ECONFLICT, "a jitgate token is not a session: "
		           "revoke it with jitgate token revoke");
		return;
	}
	e = jg_gate_session_close(ex->gate, h + 7, &ex->who, ex->now);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, NULL);
		return;
	}
	jg_ex_json(ex, 200, json_pack("{s:b}", "closed", 1));
}
