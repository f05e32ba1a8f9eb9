/*
 * test_ident_fixture.h - an OpenID issuer inside the test: keys made with
 * OpenSSL (RSA, P-256, Ed25519), tokens signed with them, and a tiny
 * libmicrohttpd server on 127.0.0.1 serving the discovery document and
 * the key set, counting how often each is fetched.
 *
 * Shared by the ident unit tests (test_ident*.c); every function is
 * static so each test binary takes what it uses.
 */
#ifndef TEST_IDENT_FIXTURE_H
#define TEST_IDENT_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "sign/jwt.h"
#include "util/b64url.h"

/* ---- keys and tokens ------------------------------------------------------ */

struct tkey {
	EVP_PKEY *pkey;
	const char *alg; /* "RS256", "ES256", "EdDSA" */
	char kid[JG_KID_LEN];
};

static __attribute__((unused)) struct tkey tkey_new(const char *alg,
                                                    const char *kid, int bits)
{
	struct tkey k = { 0 };

	k.alg = alg;
	snprintf(k.kid, sizeof(k.kid), "%s", kid);
	if (strcmp(alg, "RS256") == 0)
		k.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else if (strcmp(alg, "ES256") == 0)
		k.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		k.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!k.pkey)
		abort();
	return k;
}

static __attribute__((unused)) char *b64_of_bn(EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	char *out = malloc(JG_B64URL_LEN(sizeof(buf)) + 1);
	int n;

	if (!out || !EVP_PKEY_get_bn_param(k, name, &bn))
		abort();
	n = BN_bn2bin(bn, buf);
	jg_b64url_encode(buf, (size_t)n, out);
	BN_free(bn);
	return out;
}

/* The public JWK of k (a new reference). */
static __attribute__((unused)) json_t *tkey_jwk(const struct tkey *k)
{
	unsigned char raw[32];
	char x[64];
	size_t n = sizeof(raw);
	json_t *j;

	if (strcmp(k->alg, "ES256") == 0)
		return jg_jwk_from_key(k->pkey, k->kid);
	if (strcmp(k->alg, "EdDSA") == 0) {
		if (!EVP_PKEY_get_raw_public_key(k->pkey, raw, &n))
			abort();
		jg_b64url_encode(raw, n, x);
		return json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "OKP", "crv",
		                 "Ed25519", "x", x, "kid", k->kid, "use", "sig");
	}
	char *nn = b64_of_bn(k->pkey, "n"), *e = b64_of_bn(k->pkey, "e");
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "n", nn, "e",
	              e, "kid", k->kid, "use", "sig", "alg", "RS256");
	free(nn);
	free(e);
	return j;
}

/* {"keys": [...]} of keys[0..n), as text (malloc'd). */
static __attribute__((unused)) char *jwks_text(const struct tkey *keys,
                                               size_t n)
{
	json_t *arr = json_array(), *doc;
	char *t;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, tkey_jwk(&keys[i]));
	doc = json_pack("{s:o}", "keys", arr);
	t = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return t;
}

/* base64url of text, malloc'd. */
static __attribute__((unused)) char *b64s(const char *text, size_t n)
{
	char *out = malloc(JG_B64URL_LEN(n) + 1);
	jg_b64url_encode(text, n, out);
	return out;
}

/* A compact JWS of the header and claims (both JSON text), signed by k
 * with its own alg (header text names it). malloc'd. */
static __attribute__((unused)) char *jws_raw(const struct tkey *k,
                                             const char *header,
                                             const char *claims)
{
	char *h = b64s(header, strlen(header)), *c = b64s(claims, strlen(claims));
	size_t len = strlen(h) + strlen(c) + 1;
	unsigned char sig[1024], rs[64];
	size_t slen = sizeof(sig);
	char *input = malloc(len + 1), *tok;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const EVP_MD *dg = strcmp(k->alg, "EdDSA") ? EVP_sha256() : NULL;

	snprintf(input, len + 1, "%s.%s", h, c);
	if (EVP_DigestSignInit(md, NULL, dg, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &slen, (unsigned char *)input, len) != 1)
		abort();
	EVP_MD_CTX_free(md);
	if (strcmp(k->alg, "ES256") == 0) { /* DER to JOSE r||s */
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32);
		ECDSA_SIG_free(es);
		memcpy(sig, rs, 64);
		slen = 64;
	}
	tok = malloc(len + JG_B64URL_LEN(slen) + 2);
	memcpy(tok, input, len);
	tok[len] = '.';
	jg_b64url_encode(sig, slen, tok + len + 1);
	free(input);
	free(h);
	free(c);
	return tok;
}

/* A token of claims (a JSON object, stolen) signed by k. malloc'd. */
static __attribute__((unused)) char *jws(const struct tkey *k, json_t *claims)
{
	char hdr[256], *c = json_dumps(claims, JSON_COMPACT), *t;

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\","
	         "\"kid\":\"%s\"}", k->alg, k->kid);
	t = jws_raw(k, hdr, c);
	free(c);
	json_decref(claims);
	return t;
}

/* ---- the issuer's server -------------------------------------------------- */

struct op {
	struct MHD_Daemon *d;
	unsigned short port;
	char base[64];          /* http://127.0.0.1:port */
	pthread_mutex_t mu;
	char *jwks;             /* served at /jwks; malloc'd */
	char iss_says[128];     /* the discovery document's issuer */
	int disc_hits, jwks_hits;
	char last_form[512], last_auth[256];
};

static __attribute__((unused)) void op_set_jwks(struct op *o, char *text)
{
	pthread_mutex_lock(&o->mu);
	free(o->jwks);
	o->jwks = text;
	pthread_mutex_unlock(&o->mu);
}

static __attribute__((unused)) int op_hits(struct op *o, int jwks)
{
	int n;
	pthread_mutex_lock(&o->mu);
	n = jwks ? o->jwks_hits : o->disc_hits;
	pthread_mutex_unlock(&o->mu);
	return n;
}

static enum MHD_Result op_send(struct MHD_Connection *c, unsigned code,
                               const char *body, const char *location)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	        strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (location)
		MHD_add_response_header(r, "Location", location);
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result op_handle(void *cls, struct MHD_Connection *c,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con)
{
	struct op *o = cls;
	char buf[1024], *big;
	enum MHD_Result rc;
	const char *auth;

	(void)version;
	if (strcmp(method, "POST") == 0) {
		if (!*con) { /* first call: headers only */
			*con = o;
			o->last_form[0] = '\0';
			return MHD_YES;
		}
		if (*upload_size) {
			strncat(o->last_form, upload,
			        *upload_size < sizeof(o->last_form) -
			                               strlen(o->last_form) - 1
			                ? *upload_size
			                : sizeof(o->last_form) -
			                          strlen(o->last_form) - 1);
			*upload_size = 0;
			return MHD_YES;
		}
		auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                   "Authorization");
		snprintf(o->last_auth, sizeof(o->last_auth), "%s",
		         auth ? auth : "");
		return op_send(c, 400, "{\"error\":\"invalid_grant\"}", NULL);
	}
	pthread_mutex_lock(&o->mu);
	if (strcmp(url, "/.well-known/openid-configuration") == 0) {
		o->disc_hits++;
		snprintf(buf, sizeof(buf), "{\"issuer\":\"%s\",\"jwks_uri\":"
		         "\"%s/jwks\",\"token_endpoint\":\"%s/token\"}",
		         o->iss_says, o->base, o->base);
		pthread_mutex_unlock(&o->mu);
		return op_send(c, 200, buf, NULL);
	}
	if (strcmp(url, "/jwks") == 0) {
		o->jwks_hits++;
		big = strdup(o->jwks ? o->jwks : "{}");
		pthread_mutex_unlock(&o->mu);
		rc = op_send(c, 200, big, NULL);
		free(big);
		return rc;
	}
	pthread_mutex_unlock(&o->mu);
	if (strcmp(url, "/big") == 0) {
		size_t n = 300 * 1024;
		big = malloc(n + 1);
		memset(big, ' ', n);
		big[0] = '[';
		big[n - 1] = ']';
		big[n] = '\0';
		rc = op_send(c, 200, big, NULL);
		free(big);
		return rc;
	}
	if (strcmp(url, "/moved") == 0)
		return op_send(c, 302, "{\"moved\":true}", "/jwks");
	return op_send(c, 404, "{\"error\":\"not found\"}", NULL);
}

/* Start the server on a free port of 127.0.0.1. */
static __attribute__((unused)) void op_start(struct op *o)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa = { 0 };

	sa.sin_family = AF_INET;
	sa.sin_port = htons(o->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!o->base[0])
		pthread_mutex_init(&o->mu, NULL);
	o->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	                                MHD_USE_ERROR_LOG,
	                        o->port, NULL, NULL, op_handle, o,
	                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
	                        MHD_OPTION_END);
	if (!o->d)
		abort();
	info = MHD_get_daemon_info(o->d, MHD_DAEMON_INFO_BIND_PORT);
	o->port = info->port;
	snprintf(o->base, sizeof(o->base), "http://127.0.0.1:%u", o->port);
	if (!o->iss_says[0])
		snprintf(o->iss_says, sizeof(o->iss_says), "%s", o->base);
}

/* Stop answering: the issuer is down (the port is closed). */
static __attribute__((unused)) void op_stop(struct op *o)
{
	if (o->d)
		MHD_stop_daemon(o->d);
	o->d = NULL;
}

static __attribute__((unused)) void op_free(struct op *o)
{
	op_stop(o);
	free(o->jwks);
	pthread_mutex_destroy(&o->mu);
}

#endif
