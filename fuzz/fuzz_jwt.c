/*
 * fuzz_jwt.c - libFuzzer harness for signed grant tokens (src/sign/,
 * src/util/b64url.c). The first byte picks what the rest is:
 *
 *   0  a token, verified against a key set holding the harness's key
 *      (seeds in fuzz/corpus/jwt/ are real tokens of that key, so the
 *      fuzzer starts past the signature check);
 *   1  claims, signed with that key and verified again: the round trip
 *      must give back equal claims whenever they have a future exp;
 *   2  a JWKS document, parsed;
 *   3  base64url, decoded: decoding is strict, so encoding what it
 *      decoded gives back the same text;
 *   4  a JWKS document parsed as another issuer's (RSA, EC and Ed25519
 *      keys; what is unusable skipped);
 *   5  a token verified under another issuer's rules (RS256, ES256,
 *      EdDSA; foreign header members allowed), against the harness's
 *      key: a token that verifies names ES256, as the key is P-256
 *      (seeds: the 0 tokens with a first byte of 5).
 *
 * Beyond the sanitizers: a refusal always says why in one line; what
 * verifies is a JSON object; nothing verifies under another key.
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/jwt/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "sign/jwt.h"
#include "util/b64url.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())
#define NOW 1800000000LL

/* A fixed test key, so that seed tokens carry valid signatures. */
static const char key_pem[] =
        "-----BEGIN PRIVATE KEY-----\n"
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOOoPXEJjiIkjgks5\n"
        "WS4uyiSdOrYUHNMqJnA9FIHyxPmhRANCAAR913Zno/xnaZbYdUU7YgFvfnflVFNI\n"
        "OeMs8LVrqnfnO5lVKT/bR6YTRIeNM8s0tQ6OtLUHBb9fr1wA7kUXZhsg\n"
        "-----END PRIVATE KEY-----\n";

static EVP_PKEY *key;
static char kid[JG_KID_LEN];
static struct jg_jwks *set;   /* the key's public half */
static struct jg_jwks *other; /* another key under the same kid */

static struct jg_jwks *set_of(EVP_PKEY *k)
{
	json_t *doc = json_pack("{s:[o]}", "keys", jg_jwk_from_key(k, kid));
	char *text = json_dumps(doc, 0), why[JG_WHY_MAX];
	struct jg_jwks *s = NULL;

	CHECK(text && jg_jwks_parse(text, strlen(text), &s, why) == JG_OK);
	free(text);
	json_decref(doc);
	return s;
}

static void setup(void)
{
	BIO *b = BIO_new_mem_buf(key_pem, -1);
	EVP_PKEY *k2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	CHECK(key && k2 && jg_jwk_kid(key, kid) == JG_OK);
	set = set_of(key);
	other = set_of(k2);
	EVP_PKEY_free(k2);
}

static void one_line(const char *why)
{
	CHECK(why[0] && !strchr(why, '\n'));
}

static void verify_token(const char *tok)
{
	char why[JG_WHY_MAX] = "", got[JG_KID_LEN];
	json_t *c = NULL, *c2 = NULL;

	if (jg_jwt_verify(tok, jg_jwks_find, set, NOW, 60, &c, got, why) !=
	    JG_OK) {
		CHECK(c == NULL);
		one_line(why);
		return;
	}
	CHECK(json_is_object(c) && strcmp(got, kid) == 0);
	/* the same token under another key of the same id never verifies */
	CHECK(jg_jwt_verify(tok, jg_jwks_find, other, NOW, 60, &c2, NULL,
	                    why) != JG_OK);
	json_decref(c);
}

static void round_trip(const char *text, size_t len)
{
	json_t *claims = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *exp = json_object_get(claims, "exp"), *back = NULL;
	char why[JG_WHY_MAX] = "", *tok = NULL;
	enum jg_err e;

	if (!json_is_object(claims)) {
		json_decref(claims);
		return;
	}
	e = jg_jwt_sign(key, kid, claims, &tok);
	CHECK(e == JG_OK || e == JG_EINVAL); /* EINVAL: too large */
	if (e == JG_OK) {
		CHECK(strlen(tok) <= JG_JWT_MAX);
		e = jg_jwt_verify(tok, jg_jwks_find, set, NOW, 0, &back, NULL,
		                  why);
		if (json_is_integer(exp) && json_integer_value(exp) > NOW &&
		    json_integer_value(exp) < INT64_MAX / 2 &&
		    !json_object_get(claims, "nbf") &&
		    !json_object_get(claims, "iat"))
			CHECK(e == JG_OK && json_equal(claims, back));
		json_decref(back);
		free(tok);
	}
	json_decref(claims);
}

static void parse_jwks(const char *text, size_t len)
{
	char why[JG_WHY_MAX] = "";
	struct jg_jwks *s = NULL;

	if (jg_jwks_parse(text, len, &s, why) != JG_OK) {
		CHECK(s == NULL);
		one_line(why);
		return;
	}
	CHECK(jg_jwks_count(s) >= 1 && jg_jwks_count(s) <= JG_JWKS_KEYS_MAX);
	jg_jwks_free(s);
}

static void parse_foreign_jwks(const char *text, size_t len)
{
	char why[JG_WHY_MAX] = "";
	struct jg_jwks *s = NULL;

	if (jg_jwks_parse_foreign(text, len, &s, why) != JG_OK) {
		CHECK(s == NULL);
		one_line(why);
		return;
	}
	CHECK(jg_jwks_count(s) >= 1 && jg_jwks_count(s) <= JG_JWKS_KEYS_MAX);
	jg_jwks_free(s);
}

static void verify_foreign(const char *tok)
{
	static const struct jg_jws_rules theirs = {
		JG_JWS_RS256 | JG_JWS_ES256 | JG_JWS_EDDSA, JG_JWT_FOREIGN_MAX, 1
	};
	char why[JG_WHY_MAX] = "";
	unsigned char hdr[1024];
	json_t *c = NULL, *h = NULL;
	const char *alg;
	long n;

	if (jg_jws_verify(tok, &theirs, jg_jwks_find, set, &c, NULL, why) !=
	    JG_OK) {
		CHECK(c == NULL);
		one_line(why);
		return;
	}
	CHECK(json_is_object(c));
	/* only an ES256 signature can hold under a P-256 key */
	n = jg_b64url_decode(tok, (size_t)(strchr(tok, '.') - tok), hdr,
	                     sizeof(hdr));
	h = n > 0 ? json_loadb((const char *)hdr, (size_t)n, 0, NULL) : NULL;
	alg = json_string_value(json_object_get(h, "alg"));
	CHECK(alg && strcmp(alg, "ES256") == 0);
	json_decref(h);
	json_decref(c);
}

static void b64url(const char *text, size_t len)
{
	unsigned char *bin = malloc(len + 1);
	char *again = malloc(len + 2);
	long n = jg_b64url_decode(text, len, bin, len);

	if (n >= 0) {
		CHECK(jg_b64url_encode(bin, (size_t)n, again) == len);
		CHECK(memcmp(again, text, len) == 0);
	}
	free(bin);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!key)
		setup();
	if (size < 1 || size > 2 * JG_JWT_FOREIGN_MAX)
		return 0;
	/* a C string: the API takes NUL-terminated tokens */
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0: verify_token(text); break;
	case 1: round_trip(text, size - 1); break;
	case 2: parse_jwks(text, size - 1); break;
	case 4: parse_foreign_jwks(text, size - 1); break;
	case 5: verify_foreign(text); break;
	default: b64url(text, size - 1); break;
	}
	free(text);
	return 0;
}
