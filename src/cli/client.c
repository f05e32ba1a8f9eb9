/*
 * client.c - libcurl calls to the jitgate API, JSON in and out.
 *
 * Every call builds its URL with curl's URL API (so query values are
 * escaped by curl, not by hand), sends the bearer token through
 * CURLAUTH_BEARER, collects the answer into a buffer that refuses to grow
 * past JG_CLIENT_BODY_MAX, and turns any failure into one message:
 * the problem's detail when the server sent problem+json, the transport
 * error otherwise.
 *
 * Never: print the token, follow a redirect, or trust the server's text
 * on a terminal without removing control characters first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/x509_vfy.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"

#define ERR_BODY_MAX (64 * 1024) /* error answers are short */

struct jg_client {
	CURL *h;
	char *base;  /* owned; no trailing '/' */
	char *token; /* owned; wiped on free */
	char *cacert; /* owned; NULL: the system's CA store */
	long timeout; /* seconds for one whole call; 0: JG_CLIENT_TIMEOUT */
	long last;    /* what the last call got: see jg_client_last */
	char problem[96]; /* the last refusal's problem type, or "" */
	int quiet;        /* keep refusals in refusal/message, unprinted */
	json_t *refusal;  /* owned: the last refusal's problem, or NULL */
	char message[1024]; /* the last refusal's message, or "" */
	char errbuf[CURL_ERROR_SIZE];
};

/* One answer in progress. */
struct resp {
	CURL *h;
	char *data; /* owned, NUL-terminated once complete */
	size_t len, cap, max;
	int toobig;
	FILE *stream;  /* 2xx bodies go here when set */
	int write_err; /* errno of a failed write to stream */
};

static int ensure_init(void)
{
	static int done;

	if (!done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -1;
		done = 1;
	}
	return 0;
}

struct jg_client *jg_client_new(const char *url, const char *token)
{
	struct jg_client *c;
	size_t n;

	if (ensure_init() < 0) {
		jg_cli_fail("cannot initialize libcurl");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->h = curl_easy_init()) || !(c->base = strdup(url)) ||
	    (token && !(c->token = strdup(token)))) {
		jg_client_free(c);
		jg_cli_fail("out of memory");
		return NULL;
	}
	n = strlen(c->base);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	return c;
}

void jg_client_set_cacert(struct jg_client *c, const char *path)
{
	free(c->cacert);
	c->cacert = path ? strdup(path) : NULL; /* NULL on ENOMEM: the
	                                        * system's store, still
	                                        * verified */
}

void jg_client_set_timeout(struct jg_client *c, long seconds)
{
	c->timeout = seconds > 0 ? seconds : 0;
}

void jg_client_free(struct jg_client *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	free(c->base);
	free(c->cacert);
	json_decref(c->refusal);
	free(c);
}

void jg_client_set_quiet(struct jg_client *c, int quiet)
{
	c->quiet = quiet;
}

const json_t *jg_client_last_refusal(const struct jg_client *c)
{
	return c->refusal;
}

const char *jg_client_last_message(const struct jg_client *c)
{
	return c->message;
}

static long status_of(CURL *h)
{
	long code = 0;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static int append(struct resp *r, const char *p, size_t n)
{
	size_t cap;
	char *d;

	if (n > r->max - r->len) {
		r->toobig = 1;
		return -1;
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		if (!(d = realloc(r->data, cap)))
			return -1;
		r->data = d;
		r->cap = cap;
	}
	memcpy(r->data + r->len, p, n);
	r->len += n;
	r->data[r->len] = '\0';
	return 0;
}

/* curl write callback: stream a 2xx body, or keep it (bounded). */
static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct resp *r = arg;
	size_t n = size * nmemb;
	long code;

	if (r->stream) {
		code = status_of(r->h);
		if (code >= 200 && code < 300) {
			if (fwrite(p, 1, n, r->stream) != n) {
				r->write_err = errno ? errno : EIO;
				return 0;
			}
			return n;
		}
	}
	return append(r, p, n) < 0 ? 0 : n;
}

/* base + path + escaped query, as a curl_free()d string; NULL on error. */
static char *build_url(const struct jg_client *c, const char *path,
                       const struct jg_kv *query)
{
	CURLU *u = curl_url();
	char *full = NULL, *pair, *out = NULL;
	size_t n;
	int ok = u != NULL;

	n = strlen(c->base) + strlen(path) + 1;
	if (ok && (full = malloc(n))) {
		snprintf(full, n, "%s%s", c->base, path);
		ok = curl_url_set(u, CURLUPART_URL, full, 0) == CURLUE_OK;
	} else {
		ok = 0;
	}
	for (; ok && query && query->key; query++) {
		if (!query->value)
			continue;
		n = strlen(query->key) + strlen(query->value) + 2;
		if (!(pair = malloc(n))) {
			ok = 0;
			break;
		}
		snprintf(pair, n, "%s=%s", query->key, query->value);
		ok = curl_url_set(u, CURLUPART_QUERY, pair,
		                  CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK;
		free(pair);
	}
	if (ok && curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
		out = NULL;
	free(full);
	curl_url_cleanup(u);
	return out;
}

static void setup(struct jg_client *c, const char *url, struct resp *r,
                  struct curl_slist *hdrs, int streaming)
{
	CURL *h = c->h;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "jitgate/" JG_CLI_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* curl verifies peer and host name by default; say so anyway, so
	 * no later change can loosen it by accident */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)JG_CLIENT_CONNECT_TIMEOUT);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (streaming) {
		/* An export may be long: give up only when it stalls. */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)JG_CLIENT_TIMEOUT);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT,
		                 c->timeout ? c->timeout : (long)JG_CLIENT_TIMEOUT);
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
		                 (curl_off_t)JG_CLIENT_BODY_MAX);
	}
	if (c->token) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, c->token);
	}
	c->errbuf[0] = '\0';
}

/* The call failed before any byte of it can have reached the server. */
static int unsent(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_COULDNT_RESOLVE_PROXY ||
	       rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT;
}

long jg_client_last(const struct jg_client *c)
{
	return c->last;
}

const char *jg_client_last_problem(const struct jg_client *c)
{
	return c->problem;
}

/*
 * The server's certificate did not verify: say why and what to do. An
 * unknown issuer is what a private CA looks like until it is given.
 */
static int unverified(struct jg_client *c)
{
	const char *why = c->errbuf[0] ? c->errbuf : "verification failed";
	long res = X509_V_OK;
	char *host = NULL;
	CURLU *u = curl_url();
	int rv;

	curl_easy_getinfo(c->h, CURLINFO_SSL_VERIFYRESULT, &res);
	if (u && curl_url_set(u, CURLUPART_URL, c->base, 0) == CURLUE_OK)
		curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (res == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    res == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	    res == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
	    res == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
		rv = jg_cli_fail("cannot verify the server's certificate for "
		                 "%s: %s (%s)", host ? host : c->base, why,
		                 c->cacert ? "it is not signed by a CA in "
		                             "the --cacert file"
		                           : "give --cacert FILE or "
		                             "JITGATE_CACERT");
	else
		rv = jg_cli_fail("cannot verify the server's certificate for "
		                 "%s: %s", host ? host : c->base, why);
	curl_free(host);
	curl_url_cleanup(u);
	return rv;
}

/* Print why the transfer itself failed; returns JG_EXIT_ERR. */
static int transport_error(struct jg_client *c, CURLcode rc,
                           const struct resp *r)
{
	long oserr = 0;

	if (r->toobig || rc == CURLE_FILESIZE_EXCEEDED)
		return jg_cli_fail("answer from %s exceeds %ld MiB", c->base,
		                   JG_CLIENT_BODY_MAX / (1024 * 1024));
	if (r->write_err)
		return jg_cli_fail("cannot write output: %s",
		                   strerror(r->write_err));
	curl_easy_getinfo(c->h, CURLINFO_OS_ERRNO, &oserr);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		if (oserr)
			return jg_cli_fail("cannot reach %s: %s", c->base,
			                   strerror((int)oserr));
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return jg_cli_fail("no answer from %s in time", c->base);
	case CURLE_PEER_FAILED_VERIFICATION:
		return unverified(c);
	case CURLE_SSL_CACERT_BADFILE:
		return jg_cli_fail("cannot use the CA file %s: %s",
		                   c->cacert ? c->cacert : "(system)",
		                   c->errbuf[0] ? c->errbuf
		                                : curl_easy_strerror(rc));
	default:
		break;
	}
	return jg_cli_fail("cannot reach %s: %s", c->base,
	                   c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
}

/*
 * Why a 401 was refused, for the person: a session from `jitgate login`
 * that the server no longer takes, or no credential at all.
 */
static const char *auth_hint(const struct jg_client *c)
{
	if (!c->token)
		return " (run jitgate login, or set JITGATE_TOKEN)";
	if (strncmp(c->token, "jgs_", 4) == 0)
		return "; the session from jitgate login is no longer valid: "
		       "run jitgate login";
	return "";
}

/* The server's refusal: the problem's detail, else its title; printed,
 * or kept when quiet. */
static int status_error(struct jg_client *c, long code, const struct resp *r)
{
	json_t *p = r->len ? json_loadb(r->data, r->len, 0, NULL) : NULL;
	const char *msg = jg_json_str(p, "detail");
	char clean[900];

	const char *type = jg_json_str(p, "type");
	snprintf(c->problem, sizeof(c->problem), "%s", type ? type : "");
	if (!msg || !*msg)
		msg = jg_json_str(p, "title");
	if (msg && *msg) {
		jg_out_clean(msg, clean, sizeof(clean), 0);
		snprintf(c->message, sizeof(c->message), "%s%s", clean,
		         code == 401 ? auth_hint(c) : "");
	} else {
		snprintf(c->message, sizeof(c->message), "%s answered HTTP %ld",
		         c->base, code);
	}
	c->refusal = p;
	return c->quiet ? JG_EXIT_ERR : jg_cli_fail("%s", c->message);
}

/*
 * Perform one call. On a 2xx answer returns JG_EXIT_OK with r holding the
 * body (unless streamed); otherwise prints the error.
 */
static int perform(struct jg_client *c, const char *method, const char *path,
                   const struct jg_kv *query, const char *body,
                   struct resp *r)
{
	struct curl_slist *hdrs = NULL, *t;
	char *url = build_url(c, path, query);
	CURLcode rc;
	long code;
	int rv;

	c->last = JG_CLIENT_UNSENT;
	c->problem[0] = '\0';
	c->message[0] = '\0';
	json_decref(c->refusal);
	c->refusal = NULL;
	if (!url)
		return jg_cli_fail("invalid server URL '%s'", c->base);
	/* "Expect:" off: no 100-continue round trip for bodies over 1 KiB. */
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (hdrs && body) {
		t = curl_slist_append(hdrs, "Content-Type: application/json");
		t = t ? curl_slist_append(t, "Expect:") : NULL;
		if (!t) {
			curl_slist_free_all(hdrs);
			hdrs = NULL;
		}
	}
	if (!hdrs) {
		curl_free(url);
		return jg_cli_fail("out of memory");
	}
	r->h = c->h;
	setup(c, url, r, hdrs, r->stream != NULL);
	if (body) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	/* A call that changes things gets a connection of its own: on a
	 * kept-alive one that turns out dead, curl would send it again on a
	 * new one, and a refused connect would then hide that the first
	 * attempt may have reached the server (see jg_client_last). */
	curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT,
	                 (long)(strcmp(method, "GET") != 0));
	rc = curl_easy_perform(c->h);
	code = status_of(c->h);
	c->last = rc == CURLE_OK ? code : unsent(rc) ? JG_CLIENT_UNSENT : 0;
	if (rc != CURLE_OK)
		rv = transport_error(c, rc, r);
	else if (code < 200 || code >= 300)
		rv = status_error(c, code, r);
	else
		rv = JG_EXIT_OK;
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	curl_free(url);
	return rv;
}

int jg_client_call(struct jg_client *c, const char *method, const char *path,
                   const struct jg_kv *query, const json_t *body,
                   json_t **out)
{
	struct resp r = {.max = JG_CLIENT_BODY_MAX};
	json_error_t jerr;
	char *text = NULL;
	int rv;

	*out = NULL;
	if (body && !(text = json_dumps(body, JSON_COMPACT)))
		return jg_cli_fail("out of memory");
	if (!body && strcmp(method, "POST") == 0 && !(text = strdup("{}")))
		return jg_cli_fail("out of memory");
	if (text && strlen(text) > JG_BODY_MAX) {
		free(text);
		return jg_cli_fail("request body exceeds %d KiB",
		                   JG_BODY_MAX / 1024);
	}
	rv = perform(c, method, path, query, text, &r);
	if (rv == JG_EXIT_OK) {
		*out = json_loadb(r.data ? r.data : "", r.len, 0, &jerr);
		if (!*out)
			rv = jg_cli_fail("invalid JSON from %s: %s", c->base,
			                 jerr.text);
	}
	free(text);
	free(r.data);
	return rv;
}

int jg_client_stream(struct jg_client *c, const char *path,
                     const struct jg_kv *query, FILE *f)
{
	struct resp r = {.max = ERR_BODY_MAX, .stream = f};
	int rv;

	rv = perform(c, "GET", path, query, NULL, &r);
	if (rv == JG_EXIT_OK && fflush(f) != 0)
		rv = jg_cli_fail("cannot write output: %s", strerror(errno));
	free(r.data);
	return rv;
}
