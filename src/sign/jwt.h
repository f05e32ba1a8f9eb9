/*
 * jwt.h - compact JWS tokens (RFC 7515/7519) signed with ES256, and the
 * JWK form (RFC 7517/7518) of their public keys.
 *
 * jitgate's own tokens use one algorithm only: ES256, ECDSA on P-256 with
 * SHA-256, the signature written as r||s (64 bytes) as JOSE wants, never
 * DER. A token naming any other "alg" ("none", "HS256", ...) is refused
 * before a key is looked at, so a public key can never be misused as an
 * HMAC secret. The header may hold alg, typ and kid and nothing else
 * ("crit" is refused).
 *
 * Tokens of other issuers (identity providers, CI platforms: ident/) go
 * through the same code with a wider rule set (jg_jws_verify): RS256,
 * ES256 or EdDSA, each only with a key of its own type, other header
 * members ignored; "none" and HMAC stay refused before any key is used.
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
#define JG_JWT_FOREIGN_MAX 16384 /* bytes of another issuer's token */
#define JG_KID_LEN 48            /* a key id: 43 base64url chars + NUL
                                  * (providers' ids fit too: 36 to 44) */
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

/* Signature algorithms, bits of struct jg_jws_rules.algs. */
#define JG_JWS_ES256 1u /* ECDSA P-256 SHA-256: jitgate's own tokens */
#define JG_JWS_RS256 2u /* RSASSA-PKCS1-v1_5 SHA-256, RSA >= 2048 bits */
#define JG_JWS_EDDSA 4u /* Ed25519 */

/* What a verifier accepts of a token's form. */
struct jg_jws_rules {
	unsigned algs;  /* JG_JWS_* bits; never an HMAC or "none" */
	size_t max;     /* bytes of the token (JG_JWT_MAX for ours) */
	int foreign;    /* 1: another issuer's header; members besides alg,
	                 * typ and kid ignored, "crit" still refused */
};

/*
 * Check token's form, header (alg among rules->algs, a kid) and
 * signature with the key find(ctx, kid) returns, which must be of the
 * alg's own type (an RSA key never checks an ES256 signature). Times and
 * claims are not judged. JG_OK and *payload (a new reference) when the
 * signature holds, kid (may be NULL) receives the key id; JG_EINVAL with
 * one sentence in why when not; JG_ENOMEM.
 */
enum jg_err jg_jws_verify(const char *token, const struct jg_jws_rules *rules,
                          jg_jwt_key_fn find, void *ctx, json_t **payload,
                          char kid[JG_KID_LEN], char why[JG_WHY_MAX]);

/*
 * The payload of token, NOT verified: only to learn which issuer to
 * verify it with (its iss). NULL when token is not a JWS of at most max
 * bytes with a JSON object payload; else a new reference.
 */
json_t *jg_jwt_peek(const char *token, size_t max);

/* Judge claims' exp (required), nbf and iat against now, each with skew
 * seconds of tolerance. JG_EINVAL with why when refused. */
enum jg_err jg_jwt_times(const json_t *claims, int64_t now, int64_t skew,
                         char why[JG_WHY_MAX]);

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

/*
 * The public key of another issuer's JWK: EC P-256 (ES256), RSA of 2048
 * bits or more (RS256) or OKP Ed25519 (EdDSA); use sig and an alg
 * matching its type when present; a kid is required. *out is the
 * caller's (EVP_PKEY_free). JG_EINVAL with why when unusable.
 */
enum jg_err jg_jwk_to_pub(const json_t *jwk, EVP_PKEY **out,
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

/*
 * Parse another issuer's JWKS document: the keys jg_jwk_to_pub accepts
 * (the first JG_JWKS_KEYS_MAX), every other key skipped, since one odd
 * key at a provider must not stop the rest from working. JG_EINVAL with
 * why when not a key set or no key is usable.
 */
enum jg_err jg_jwks_parse_foreign(const char *text, size_t len,
                                  struct jg_jwks **out, char why[JG_WHY_MAX]);
void jg_jwks_free(struct jg_jwks *s);
size_t jg_jwks_count(const struct jg_jwks *s);

/* A jg_jwt_key_fn over a struct jg_jwks (ctx). */
EVP_PKEY *jg_jwks_find(void *ctx, const char *kid);

#endif
