/*
 * ident.h - identities vouched for by an OpenID Connect issuer: the
 * company's identity provider (people) or a workload platform (GitHub
 * Actions, GitLab CI, Kubernetes: machines).
 *
 * An issuer object holds what jitgate learnt from the issuer: its
 * discovery document (/.well-known/openid-configuration) and its signing
 * keys (JWKS), fetched over HTTPS (plain HTTP only to a loopback host)
 * and cached. A token naming a key id the cache does not know makes the
 * issuer fetch its keys again, at most once every JG_IDENT_REFETCH
 * seconds, so a provider's key rotation just works while a flood of
 * unknown kids costs one fetch. When the issuer cannot be reached, the
 * keys already cached keep working.
 *
 * Below gate/, beside sign/: gate/ turns a verified identity into a
 * principal (policy mapping, sessions); http/ only carries headers.
 *
 * Threads: an issuer may be used by any number of threads at once.
 */
#ifndef JG_IDENT_H
#define JG_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/limits.h"
#include "core/model.h"

#define JG_IDENT_LEEWAY 60      /* seconds of clock skew on exp/nbf/iat */
#define JG_IDENT_REFETCH 60     /* seconds between two unprompted refetches */
#define JG_IDENT_TIMEOUT 10     /* seconds for one fetch from an issuer */
#define JG_IDENT_DOC_MAX (256 * 1024) /* bytes of one fetched document */

/* How to reach an issuer; strings are copied by jg_ident_issuer_new. */
struct jg_ident_issuer_cfg {
	const char *issuer;   /* the exact `iss`; https, or http to loopback */
	const char *jwks_url; /* NULL: jwks_uri of the discovery document */
	const char *ca_file;  /* NULL: the system's CAs */
};

/* An issuer's endpoints, from its discovery document ("" when absent). */
struct jg_ident_endpoints {
	char authorization[JG_URL_MAX];
	char token[JG_URL_MAX];
	char device_authorization[JG_URL_MAX];
	char userinfo[JG_URL_MAX];
	char jwks[JG_URL_MAX];
	char end_session[JG_URL_MAX];
};

struct jg_ident_issuer;

/* *out is the caller's (jg_ident_issuer_free); nothing is fetched yet.
 * JG_EINVAL with why for a URL that is not https (or http to
 * loopback); JG_ENOMEM. */
enum jg_err jg_ident_issuer_new(const struct jg_ident_issuer_cfg *cfg,
                                struct jg_ident_issuer **out,
                                char why[JG_WHY_MAX]);
void jg_ident_issuer_free(struct jg_ident_issuer *is); /* NULL-safe */

/* The issuer's endpoints (discovery fetched once, then cached; its
 * `issuer` must equal the configured one). JG_EIDP with why when it
 * cannot be fetched or is malformed. */
enum jg_err jg_ident_discover(struct jg_ident_issuer *is, int64_t now,
                              struct jg_ident_endpoints *out,
                              char why[JG_WHY_MAX]);

/* What a token must say besides a valid signature and times. */
struct jg_ident_expect {
	const char *audience; /* `aud` (string or list) must hold it */
	const char *azp;      /* when aud lists several, azp must equal this;
	                       * NULL: not checked */
	const char *nonce;    /* NULL: not checked; else `nonce` must equal */
};

/*
 * Verify the compact JWS jwt from this issuer: alg RS256, ES256 or EdDSA
 * (none and HMAC refused before a key is looked at), its kid among the
 * issuer's keys (keys refetched on an unknown kid, rate-limited), the
 * signature, then iss, aud, azp, nonce, exp (required), nbf and iat with
 * JG_IDENT_LEEWAY, and a non-empty sub (OpenID Connect requires one; a
 * principal is named after it). JG_OK and *claims (a new reference,
 * json_decref) when
 * valid. JG_EAUTH with one sentence in why (naming no secret, quoting no
 * token) when refused; JG_EIDP when the keys cannot be fetched and
 * none is cached; JG_ENOMEM.
 */
enum jg_err jg_ident_verify(struct jg_ident_issuer *is, const char *jwt,
                            const struct jg_ident_expect *want, int64_t now,
                            json_t **claims, char why[JG_WHY_MAX]);

/*
 * One HTTP exchange with an issuer's endpoint whose answer is JSON: a
 * GET when form is NULL, else a POST of form
 * (application/x-www-form-urlencoded, the caller escapes it), with HTTP
 * basic authentication when user is not NULL. Redirects are not
 * followed; the body is bounded by JG_IDENT_DOC_MAX; the timeout is
 * JG_IDENT_TIMEOUT. *status receives the HTTP status and *out (a new
 * reference) the parsed body, also for 4xx answers (OAuth errors are
 * JSON). JG_EIDP with why when unreachable or not JSON.
 */
enum jg_err jg_ident_http(const struct jg_ident_issuer *is, const char *url,
                          const char *form, const char *user,
                          const char *pass, long *status, json_t **out,
                          char why[JG_WHY_MAX]);

#endif
