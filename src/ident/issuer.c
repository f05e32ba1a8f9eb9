/*
 * ident/issuer.c - an issuer's discovery document and signing keys,
 * fetched on demand and cached, and token verification against them.
 *
 * The cache is shared by every request thread. A fetch can take
 * JG_IDENT_TIMEOUT seconds, so it never runs under the mutex: the thread
 * that fetches marks the document busy, lets go of the mutex, fetches,
 * and takes the mutex again to publish what it got; threads that need
 * the same document meanwhile wait for it instead of fetching too. Keys
 * leave the cache with a reference of their own (EVP_PKEY_up_ref), so a
 * key set replaced mid-verification frees nothing in use.
 *
 * A fetch of the keys happens only when a token names a kid the cache
 * does not know, and at most once per JG_IDENT_REFETCH seconds: a flood
 * of made-up kids costs one fetch, a provider's key rotation costs one
 * fetch, and a provider that is down leaves the cached keys working.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ident/internal.h"

enum jg_err jg_ident_issuer_new(const struct jg_ident_issuer_cfg *cfg,
                                struct jg_ident_issuer **out,
                                char why[JG_WHY_MAX])
{
	struct jg_ident_issuer *is;
	char w[JG_WHY_MAX];

	*out = NULL;
	if (jg_ident_url_ok(cfg->issuer, w)) {
		snprintf(why, JG_WHY_MAX, "issuer: %.480s", w);
		return JG_EINVAL;
	}
	if (cfg->jwks_url && jg_ident_url_ok(cfg->jwks_url, w)) {
		snprintf(why, JG_WHY_MAX, "jwks_url: %.480s", w);
		return JG_EINVAL;
	}
	if (cfg->ca_file && strlen(cfg->ca_file) >= PATH_MAX) {
		snprintf(why, JG_WHY_MAX, "ca_file: the path is too long");
		return JG_EINVAL;
	}
	if (!(is = calloc(1, sizeof(*is))))
		return JG_ENOMEM;
	snprintf(is->issuer, sizeof(is->issuer), "%s", cfg->issuer);
	snprintf(is->jwks_url, sizeof(is->jwks_url), "%s",
	         cfg->jwks_url ? cfg->jwks_url : "");
	snprintf(is->ca_file, sizeof(is->ca_file), "%s",
	         cfg->ca_file ? cfg->ca_file : "");
	if (pthread_mutex_init(&is->mu, NULL)) {
		free(is);
		return JG_ENOMEM;
	}
	if (pthread_cond_init(&is->done, NULL)) {
		pthread_mutex_destroy(&is->mu);
		free(is);
		return JG_ENOMEM;
	}
	*out = is;
	return JG_OK;
}

void jg_ident_issuer_free(struct jg_ident_issuer *is)
{
	if (!is)
		return;
	jg_jwks_free(is->keys);
	pthread_cond_destroy(&is->done);
	pthread_mutex_destroy(&is->mu);
	free(is);
}

/* ---- discovery ------------------------------------------------------------ */

/* Copy endpoint name of doc into dst ("" when absent, refused when not a
 * URL that may be fetched). */
static int endpoint(const json_t *doc, const char *name, char dst[JG_URL_MAX],
                    char why[JG_WHY_MAX])
{
	json_t *v = json_object_get(doc, name);
	char w[JG_WHY_MAX];

	dst[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v) || jg_ident_url_ok(json_string_value(v), w)) {
		snprintf(why, JG_WHY_MAX, "the discovery document's %s: %.400s",
		         name, json_is_string(v) ? w : "not a string");
		return -1;
	}
	snprintf(dst, JG_URL_MAX, "%s", json_string_value(v));
	return 0;
}

/* Fetch and check the discovery document (no lock held). */
static enum jg_err fetch_discovery(const struct jg_ident_issuer *is,
                                   struct jg_ident_endpoints *ep,
                                   char why[JG_WHY_MAX])
{
	static const char wk[] = "/.well-known/openid-configuration";
	char url[JG_URL_MAX + sizeof(wk)];
	size_t n = strlen(is->issuer);
	const char *iss;
	json_t *doc = NULL;
	long status = 0;
	enum jg_err e;

	/* OpenID Connect Discovery 1.0, 4: the issuer, less a trailing
	 * slash, then the well-known path */
	if (n && is->issuer[n - 1] == '/')
		n--;
	snprintf(url, sizeof(url), "%.*s%s", (int)n, is->issuer, wk);
	if ((e = jg_ident_http(is, url, NULL, NULL, NULL, &status, &doc,
	                       why)) != JG_OK)
		return e;
	iss = json_string_value(json_object_get(doc, "issuer"));
	e = JG_EIDP;
	if (status != 200)
		snprintf(why, JG_WHY_MAX, "%.200s answered %ld", url, status);
	else if (!iss || strcmp(iss, is->issuer) != 0)
		snprintf(why, JG_WHY_MAX, "the discovery document names issuer "
		         "'%.200s', not the configured '%.200s'",
		         iss ? iss : "(none)", is->issuer);
	else if (!endpoint(doc, "authorization_endpoint", ep->authorization,
	                   why) &&
	         !endpoint(doc, "token_endpoint", ep->token, why) &&
	         !endpoint(doc, "device_authorization_endpoint",
	                   ep->device_authorization, why) &&
	         !endpoint(doc, "userinfo_endpoint", ep->userinfo, why) &&
	         !endpoint(doc, "jwks_uri", ep->jwks, why) &&
	         !endpoint(doc, "end_session_endpoint", ep->end_session, why))
		e = JG_OK;
	json_decref(doc);
	return e;
}

/* Seconds a failed discovery is remembered before the next try. */
#define DISC_RETRY JG_IDENT_RETRY

enum jg_err jg_ident_discover(struct jg_ident_issuer *is, int64_t now,
                              struct jg_ident_endpoints *out,
                              char why[JG_WHY_MAX])
{
	struct jg_ident_endpoints ep;
	enum jg_err e;

	pthread_mutex_lock(&is->mu);
	while (is->disc_busy)
		pthread_cond_wait(&is->done, &is->mu);
	if (!is->discovered && is->disc_failed_at &&
	    now - is->disc_failed_at < DISC_RETRY) {
		snprintf(why, JG_WHY_MAX, "%s", is->disc_why);
		pthread_mutex_unlock(&is->mu);
		return JG_EIDP;
	}
	if (is->discovered) {
		*out = is->ep;
		pthread_mutex_unlock(&is->mu);
		return JG_OK;
	}
	is->disc_busy = 1;
	pthread_mutex_unlock(&is->mu);
	memset(&ep, 0, sizeof(ep));
	e = fetch_discovery(is, &ep, why);
	pthread_mutex_lock(&is->mu);
	is->disc_busy = 0;
	if (e == JG_OK) {
		is->discovered = 1;
		is->ep = ep;
		*out = ep;
	} else {
		is->disc_failed_at = now ? now : 1;
		snprintf(is->disc_why, sizeof(is->disc_why), "%s", why);
	}
	pthread_cond_broadcast(&is->done);
	pthread_mutex_unlock(&is->mu);
	return e;
}

/* ---- keys ----------------------------------------------------------------- */

/* Fetch the key set (no lock held). */
static enum jg_err fetch_keys(struct jg_ident_issuer *is, int64_t now,
                              struct jg_jwks **out, char why[JG_WHY_MAX])
{
	struct jg_ident_endpoints ep;
	char url[JG_URL_MAX], w[JG_WHY_MAX];
	json_t *doc = NULL;
	char *text = NULL;
	long status = 0;
	enum jg_err e;

	*out = NULL;
	if (is->jwks_url[0]) {
		snprintf(url, sizeof(url), "%s", is->jwks_url);
	} else {
		if ((e = jg_ident_discover(is, now, &ep, why)) != JG_OK)
			return e;
		if (!ep.jwks[0]) {
			snprintf(why, JG_WHY_MAX, "the discovery document of "
			         "%.200s has no jwks_uri", is->issuer);
			return JG_EIDP;
		}
		snprintf(url, sizeof(url), "%s", ep.jwks);
	}
	if ((e = jg_ident_http(is, url, NULL, NULL, NULL, &status, &doc,
	                       why)) != JG_OK)
		return e;
	e = JG_EIDP;
	if (status != 200)
		snprintf(why, JG_WHY_MAX, "%.200s answered %ld", url, status);
	else if (!(text = json_dumps(doc, JSON_COMPACT)))
		snprintf(why, JG_WHY_MAX, "out of memory");
	else if (jg_jwks_parse_foreign(text, strlen(text), out, w) != JG_OK)
		snprintf(why, JG_WHY_MAX, "the key set at %.200s: %.280s", url, w);
	else
		e = JG_OK;
	free(text);
	json_decref(doc);
	return e;
}

/* What one verification asks of the cache. */
struct lookup {
	struct jg_ident_issuer *is;
	int64_t now;
	EVP_PKEY *key;           /* a reference of our own, or NULL */
	int unreachable;         /* nothing cached and the fetch failed */
	char why[JG_WHY_MAX];    /* why the fetch failed */
};

/* Under mu: the key named kid with a reference of its own, or NULL. */
static EVP_PKEY *cached(struct jg_ident_issuer *is, const char *kid)
{
	EVP_PKEY *k = is->keys ? jg_jwks_find(is->keys, kid) : NULL;

	if (k && !EVP_PKEY_up_ref(k))
		k = NULL;
	return k;
}

/* Under mu: 1 when a fetch may start now (the window is open). */
static int may_fetch(const struct jg_ident_issuer *is, int64_t now)
{
	int64_t wait = is->keys ? JG_IDENT_REFETCH : JG_IDENT_RETRY;

	return !is->keys_at || now - is->keys_at >= wait;
}

/* jg_jwt_key_fn: the cached key, fetching the set again when kid is
 * unknown and the rate limit allows. */
static EVP_PKEY *find_key(void *ctx, const char *kid)
{
	struct lookup *l = ctx;
	struct jg_ident_issuer *is = l->is;
	struct jg_jwks *fresh = NULL;
	enum jg_err e;

	pthread_mutex_lock(&is->mu);
	for (;;) {
		if ((l->key = cached(is, kid)) || (!is->keys_busy &&
		                                   !may_fetch(is, l->now)))
			break;
		if (is->keys_busy) {
			pthread_cond_wait(&is->done, &is->mu);
			continue;
		}
		is->keys_busy = 1;
		is->keys_at = l->now ? l->now : 1;
		pthread_mutex_unlock(&is->mu);
		e = fetch_keys(is, l->now, &fresh, l->why);
		pthread_mutex_lock(&is->mu);
		is->keys_busy = 0;
		if (e == JG_OK) {
			jg_jwks_free(is->keys);
			is->keys = fresh;
			is->keys_why[0] = '\0';
		} else {
			snprintf(is->keys_why, sizeof(is->keys_why), "%s",
			         l->why);
		}
		pthread_cond_broadcast(&is->done);
	}
	if (!l->key && !is->keys) {
		l->unreachable = 1;
		snprintf(l->why, sizeof(l->why), "%s", is->keys_why);
	}
	pthread_mutex_unlock(&is->mu);
	return l->key;
}

enum jg_err jg_ident_verify(struct jg_ident_issuer *is, const char *jwt,
                            const struct jg_ident_expect *want, int64_t now,
                            json_t **claims, char why[JG_WHY_MAX])
{
	static const struct jg_jws_rules theirs = {
		JG_JWS_RS256 | JG_JWS_ES256 | JG_JWS_EDDSA, JG_JWT_FOREIGN_MAX, 1
	};
	struct lookup l = { .is = is, .now = now };
	json_t *c = NULL;
	enum jg_err e;

	*claims = NULL;
	e = jg_jws_verify(jwt, &theirs, find_key, &l, &c, NULL, why);
	EVP_PKEY_free(l.key);
	if (e == JG_ENOMEM)
		return e;
	if (e != JG_OK && l.unreachable) {
		snprintf(why, JG_WHY_MAX, "the keys of issuer %.200s cannot be "
		         "fetched: %.250s", is->issuer, l.why);
		return JG_EIDP;
	}
	if (e != JG_OK)
		return JG_EAUTH;
	if ((e = jg_ident_check_claims(is, c, want, now, why)) != JG_OK) {
		json_decref(c);
		return e;
	}
	*claims = c;
	return JG_OK;
}
