/*
 * jwt.h - compact JWS tokens (RFC 7515/7519) signed with ES256, and the
 * JWK form (RFC 7517/7518) of their public keys.
 *
 * One algorithm only: ES256, ECDSA on P-256 with SHA-256, the signature
 * written as r||s (64 bytes) as JOSE wants, never DER. A token naming any
 * other "alg" ("none", "HS256", ...) is refused before a key is looked at,
 * so a public key can never be misused as an HMAC secret. The header may
 * hold alg, typ and kid and nothing else ("crit" is refused).
 *
 * Everything is bounded: a token is at most JG_JWT_MAX bytes, a key set
 * JG_JWKS_MAX bytes and JG_JWKS_KEYS_MAX keys. Nothing here reads a clock
 * (now is a parameter) or a file.
 */
#ifndef JG_SIGN_JWT_H
#define JG_SIGN_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "core/model.h"

#define JG_JWT_MAX 4096          /* bytes of one token */
#define JG_KID_LEN 48            /* a key id: 43 base64url chars + NUL */
#define JG_JWKS_MAX (256 * 1024) /* bytes of one key set document */
#define JG_JWKS_KEYS_MAX 32      /* keys in one key set */

/* The public key named kid (borrowed from ctx), or NULL when unknown. */
typedef EVP_PKEY *(*jg_jwt_key_fn)(void *ctx, const char *kid);

/*
 * Sign claims (a JSON object, borrowed) with the P-256 private key pkey
 * under key id kid. *out receives the token, malloc'd (the caller frees).
 * JG_EINTERNAL when OpenSSL fails, JG_ENOMEM.
 */
enum jg_err jg_jwt_sign(EVP_PKEY *pkey, const char *kid, const json_t *claims,
                        char **out);

/*
 * Verify token: its form, header, signature (with the key find(ctx, kid)
 * returns), then its exp (required), nbf and iat against now, each with
 * skew seconds of tolerance. JG_OK and *claims (a new reference) when
 * valid, and kid (may be NULL) receives the key id. JG_EINVAL with one
 * sentence in why when not; JG_ENOMEM.
 */
enum jg_err jg_jwt_verify(const char *token, jg_jwt_key_fn find, void *ctx,
                          int64_t now, int64_t skew, json_t **claims,
                          char kid[JG_KID_LEN], char why[JG_WHY_MAX]);

/* 1 when pkey is an EC key on P-256 (prime256v1). */
int jg_jwt_key_ok(EVP_PKEY *pkey);

/* The RFC 7638 thumbprint of P-256 key pkey, base64url: its key id. */
enum jg_err jg_jwk_kid(EVP_PKEY *pkey, char kid[JG_KID_LEN]);

/* {kty, crv, x, y, kid, use, alg} of pkey's public half; NULL on error. */
json_t *jg_jwk_from_key(EVP_PKEY *pkey, const char *kid);

/*
 * The public key of one JWK: kty EC, crv P-256, x and y of 32 bytes each
 * and a point on the curve; alg ES256 and use sig when present. *out is
 * owned by the caller (EVP_PKEY_free); kid receives the JWK's kid, or its
 * thumbprint without one. JG_EINVAL with why when unusable.
 */
enum jg_err jg_jwk_to_key(const json_t *jwk, EVP_PKEY **out,
                          char kid[JG_KID_LEN], char why[JG_WHY_MAX]);

/* A set of public keys read from a JWKS document {"keys": [...]}. */
struct jg_jwks;

/*
 * Parse the JWKS document text[0..len). Keys that are not ES256 P-256
 * keys for signatures (RSA, encryption keys) are skipped; a malformed
 * EC P-256 key or a repeated kid is an error. *out: free with
 * jg_jwks_free. JG_EINVAL with why.
 */
enum jg_err jg_jwks_parse(const char *text, size_t len, struct jg_jwks **out,
                          char why[JG_WHY_MAX]);
void jg_jwks_free(struct jg_jwks *s);
size_t jg_jwks_count(const struct jg_jwks *s);

/* A jg_jwt_key_fn over a struct jg_jwks (ctx). */
EVP_PKEY *jg_jwks_find(void *ctx, const char *kid);

#endif
