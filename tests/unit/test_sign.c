/*
 * test_sign.c - signed grant tokens: base64url, ES256 JWTs (round trip,
 * tampering, alg confusion, time claims), JWK and JWKS, the key directory
 * (first key, file modes, rotation, sharing), and the gate's use cases
 * (issue to the holder only, /v1/check with a token, rotation) on SQLite
 * and, when JITGATE_TEST_PG is set, PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/hmac.h>

#include "gate/gate.h"
#include "policy/load.h"
#include "sign/jwt.h"
#include "sign/keys.h"
#include "store/store.h"
#include "testdb.h"
#include "util/b64url.h"

#define T0 1800000000LL

/* ---- helpers ----------------------------------------------------------- */

static EVP_PKEY *new_key(char kid[JG_KID_LEN])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	assert_int_equal(jg_jwk_kid(k, kid), JG_OK);
	return k;
}

/* A key set holding the public halves of keys[0..n) (ids kids). */
static struct jg_jwks *set_of(EVP_PKEY **keys, char (*kids)[JG_KID_LEN],
                              size_t n)
{
	json_t *arr = json_array(), *doc;
	struct jg_jwks *s = NULL;
	char why[JG_WHY_MAX] = "", *text;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, jg_jwk_from_key(keys[i], kids[i]));
	doc = json_pack("{s:o}", "keys", arr);
	text = json_dumps(doc, 0);
	json_decref(doc);
	assert_non_null(text);
	if (jg_jwks_parse(text, strlen(text), &s, why) != JG_OK)
		fail_msg("jwks: %s", why);
	free(text);
	return s;
}

/* Sign claims expiring at exp with keyring k. */
static enum jg_err keys_sign(struct jg_keys *k, int64_t exp, char **tok,
                             char kid[JG_KID_LEN])
{
	json_t *c = json_pack("{s:s,s:I}", "iss", "jitgate", "exp",
	                      (json_int_t)exp);
	enum jg_err e = jg_keys_sign(k, c, tok, kid);
	json_decref(c);
	return e;
}

static char *sign(EVP_PKEY *k, const char *kid, json_t *claims)
{
	char *tok = NULL;
	assert_int_equal(jg_jwt_sign(k, kid, claims, &tok), JG_OK);
	json_decref(claims);
	return tok;
}

static json_t *claims_until(int64_t exp)
{
	return json_pack("{s:s,s:s,s:I,s:I}", "iss", "jitgate", "sub", "alice",
	                 "iat", (json_int_t)T0, "exp", (json_int_t)exp);
}

/* Verify tok against s at now; the why of a refusal into why. */
static enum jg_err verify(const char *tok, struct jg_jwks *s, int64_t now,
                          char why[JG_WHY_MAX])
{
	json_t *c = NULL;
	enum jg_err e = jg_jwt_verify(tok, jg_jwks_find, s, now, 60, &c, NULL,
	                              why);
	assert_true((e == JG_OK) == (c != NULL));
	json_decref(c);
	return e;
}

static void expect_refused(const char *tok, struct jg_jwks *s, int64_t now,
                           const char *because)
{
	char why[JG_WHY_MAX] = "";
	assert_int_equal(verify(tok, s, now, why), JG_EINVAL);
	if (!strstr(why, because))
		fail_msg("refused because '%s', not '%s'", why, because);
}

/* base64url of text, malloc'd. */
static char *b64(const char *text)
{
	char *out = malloc(JG_B64URL_LEN(strlen(text)) + 1);
	assert_non_null(out);
	jg_b64url_encode(text, strlen(text), out);
	return out;
}

/* "header.payload.sig" with the given parts (already encoded). */
static char *join(const char *h, const char *p, const char *s)
{
	size_t n = strlen(h) + strlen(p) + strlen(s) + 3;
	char *t = malloc(n);
	assert_non_null(t);
	snprintf(t, n, "%s.%s.%s", h, p, s);
	return t;
}

/* Part i (0..2) of tok, malloc'd. */
static char *part(const char *tok, int i)
{
	const char *p = tok, *end;
	while (i-- > 0)
		p = strchr(p, '.') + 1;
	end = strchr(p, '.');
	return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

/* ---- base64url --------------------------------------------------------- */

static void b64url_vectors_and_strictness(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""}, {"f", "Zg"}, {"fo", "Zm8"}, {"foo", "Zm9v"},
	         {"foob", "Zm9vYg"}, {"\xfb\xff", "-_8"}};
	unsigned char buf[16];
	char enc[32];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in);
		assert_int_equal(jg_b64url_encode(v[i].in, n, enc),
		                 strlen(v[i].out));
		assert_string_equal(enc, v[i].out);
		assert_int_equal(jg_b64url_decode(enc, strlen(enc), buf,
		                                  sizeof(buf)), (long)n);
		assert_memory_equal(buf, v[i].in, n);
	}
	/* padding, stray bits, impossible length, foreign characters */
	assert_int_equal(jg_b64url_decode("Zg==", 4, buf, sizeof(buf)), -1);
	assert_int_equal(jg_b64url_decode("Zh", 2, buf, sizeof(buf)), -1);
	assert_int_equal(jg_b64url_decode("Zm9vY", 5, buf, sizeof(buf)), -1);
	assert_int_equal(jg_b64url_decode("Zm9+", 4, buf, sizeof(buf)), -1);
	assert_int_equal(jg_b64url_decode("Zm 9", 4, buf, sizeof(buf)), -1);
	/* too small an output */
	assert_int_equal(jg_b64url_decode("Zm9v", 4, buf, 2), -1);
}

/* ---- JWT ----------------------------------------------------------------- */

static void round_trip_and_jose_signature(void **state)
{
	char kid[1][JG_KID_LEN], why[JG_WHY_MAX] = "", got_kid[JG_KID_LEN];
	EVP_PKEY *k = new_key(kid[0]);
	struct jg_jwks *s = set_of(&k, kid, 1);
	char *tok = sign(k, kid[0], claims_until(T0 + 300));
	char *sig = part(tok, 2), *hdr = part(tok, 0);
	unsigned char raw[80], hb[256];
	long hn;
	json_t *c = NULL, *h;

	(void)state;
	assert_int_equal(jg_jwt_verify(tok, jg_jwks_find, s, T0 + 10, 60, &c,
	                               got_kid, why), JG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "sub")),
	                    "alice");
	assert_string_equal(got_kid, kid[0]);
	json_decref(c);
	/* r||s: 64 bytes, not a DER SEQUENCE */
	assert_int_equal(jg_b64url_decode(sig, strlen(sig), raw, sizeof(raw)),
	                 64);
	hn = jg_b64url_decode(hdr, strlen(hdr), hb, sizeof(hb));
	assert_true(hn > 0);
	h = json_loadb((const char *)hb, (size_t)hn, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(h, "alg")),
	                    "ES256");
	assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
	assert_string_equal(json_string_value(json_object_get(h, "kid")), kid[0]);
	json_decref(h);
	free(sig);
	free(hdr);
	free(tok);
	jg_jwks_free(s);
	EVP_PKEY_free(k);
}

static void tampering_refused(void **state)
{
	char kid[1][JG_KID_LEN];
	EVP_PKEY *k = new_key(kid[0]);
	struct jg_jwks *s = set_of(&k, kid, 1);
	char *tok = sign(k, kid[0], claims_until(T0 + 300));
	char *h = part(tok, 0), *sig = part(tok, 2), *t;
	char *evil = b64("{\"exp\":1900000000,\"iss\":\"jitgate\","
	                 "\"sub\":\"mallory\"}");

	(void)state;
	/* another payload under the same signature */
	t = join(h, evil, sig);
	expect_refused(t, s, T0, "signature does not verify");
	free(t);
	/* one character of the signature changed */
	t = strdup(tok);
	t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
	expect_refused(t, s, T0, "signature");
	free(t);
	/* the signature cut short, or DER-length */
	t = strndup(tok, strlen(tok) - 4);
	expect_refused(t, s, T0, "64 bytes");
	free(t);
	free(evil);
	free(h);
	free(sig);
	free(tok);
	jg_jwks_free(s);
	EVP_PKEY_free(k);
}

static void alg_none_and_hmac_refused(void **state)
{
	char kid[1][JG_KID_LEN], hdr[256], *h, *t, *p, *sig, sigb[64];
	EVP_PKEY *k = new_key(kid[0]);
	struct jg_jwks *s = set_of(&k, kid, 1);
	char *tok = sign(k, kid[0], claims_until(T0 + 300));
	unsigned char mac[32];
	unsigned int maclen = 0;
	size_t n;

	(void)state;
	p = part(tok, 1);
	/* alg none, unsigned and "signed" */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"kid\":\"%s\"}", kid[0]);
	h = b64(hdr);
	t = join(h, p, "");
	expect_refused(t, s, T0, "not signed");
	free(t);
	sig = part(tok, 2);
	t = join(h, p, sig);
	expect_refused(t, s, T0, "alg 'none' is not accepted");
	free(t);
	free(sig);
	free(h);
	/* HS256 keyed with the public key: the classic confusion */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"kid\":\"%s\"}", kid[0]);
	h = b64(hdr);
	n = strlen(h) + strlen(p) + 2;
	t = malloc(n);
	snprintf(t, n, "%s.%s", h, p);
	HMAC(EVP_sha256(), kid[0], (int)strlen(kid[0]), (unsigned char *)t,
	     strlen(t), mac, &maclen);
	jg_b64url_encode(mac, maclen, sigb);
	free(t);
	t = join(h, p, sigb);
	expect_refused(t, s, T0, "alg 'HS256' is not accepted");
	free(t);
	free(h);
	/* no alg at all; a crit header; a wrong typ */
	snprintf(hdr, sizeof(hdr), "{\"kid\":\"%s\"}", kid[0]);
	h = b64(hdr);
	t = join(h, p, "AAAA");
	expect_refused(t, s, T0, "no alg");
	free(t);
	free(h);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"crit\":[\"x\"],"
	         "\"kid\":\"%s\"}", kid[0]);
	h = b64(hdr);
	t = join(h, p, "AAAA");
	expect_refused(t, s, T0, "unexpected member 'crit'");
	free(t);
	free(h);
	free(p);
	free(tok);
	jg_jwks_free(s);
	EVP_PKEY_free(k);
}

static void times_judged_with_skew(void **state)
{
	char kid[1][JG_KID_LEN], why[JG_WHY_MAX];
	EVP_PKEY *k = new_key(kid[0]);
	struct jg_jwks *s = set_of(&k, kid, 1);
	char *tok = sign(k, kid[0], claims_until(T0 + 300));
	char *late = sign(k, kid[0], json_pack("{s:I,s:I}", "nbf",
	                                       (json_int_t)(T0 + 1000), "exp",
	                                       (json_int_t)(T0 + 2000)));
	char *forever = sign(k, kid[0], json_pack("{s:s}", "sub", "x"));
	char *textual = sign(k, kid[0], json_pack("{s:s}", "exp", "soon"));

	(void)state;
	assert_int_equal(verify(tok, s, T0 + 300 + 59, why), JG_OK);
	expect_refused(tok, s, T0 + 300 + 60, "expired at");
	expect_refused(late, s, T0, "not valid before");
	assert_int_equal(verify(late, s, T0 + 1000 - 59, why), JG_OK);
	expect_refused(forever, s, T0, "no exp");
	expect_refused(textual, s, T0, "whole seconds");
	free(tok);
	free(late);
	free(forever);
	free(textual);
	jg_jwks_free(s);
	EVP_PKEY_free(k);
}

static void wrong_or_unknown_key_refused(void **state)
{
	char kids[2][JG_KID_LEN];
	EVP_PKEY *keys[2];
	struct jg_jwks *only_b, *swapped;
	char *tok;

	(void)state;
	keys[0] = new_key(kids[0]);
	keys[1] = new_key(kids[1]);
	tok = sign(keys[0], kids[0], claims_until(T0 + 300));
	only_b = set_of(&keys[1], &kids[1], 1);
	expect_refused(tok, only_b, T0, "unknown key id");
	/* key b published under a's kid: a signature by a fails */
	swapped = set_of(&keys[1], &kids[0], 1);
	expect_refused(tok, swapped, T0, "signature does not verify");
	jg_jwks_free(only_b);
	jg_jwks_free(swapped);
	free(tok);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}

static void malformed_tokens_refused(void **state)
{
	char kid[1][JG_KID_LEN], big[JG_JWT_MAX + 16];
	EVP_PKEY *k = new_key(kid[0]);
	struct jg_jwks *s = set_of(&k, kid, 1);

	(void)state;
	expect_refused("", s, T0, "empty");
	expect_refused("abc", s, T0, "three parts");
	expect_refused("a.b", s, T0, "three parts");
	expect_refused("a.b.c.d", s, T0, "three parts");
	expect_refused("!!.e30.AAAA", s, T0, "not base64url");
	expect_refused("bm90IGpzb24.e30.AAAA", s, T0, "not JSON");
	expect_refused("WzFd.e30.AAAA", s, T0, "not a JSON object");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_refused(big, s, T0, "longer than");
	jg_jwks_free(s);
	EVP_PKEY_free(k);
}

/* ---- JWK and JWKS -------------------------------------------------------- */

static void jwk_encoding_and_thumbprint(void **state)
{
	char kid[JG_KID_LEN], kid2[JG_KID_LEN], why[JG_WHY_MAX] = "";
	char canon[200], hex[JG_SHA256_HEX], khex[JG_SHA256_HEX];
	unsigned char md[32];
	EVP_PKEY *k = new_key(kid), *pub = NULL;
	json_t *jwk = jg_jwk_from_key(k, kid);
	const char *x, *y;

	(void)state;
	assert_non_null(jwk);
	assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(jwk, "crv")),
	                    "P-256");
	assert_string_equal(json_string_value(json_object_get(jwk, "use")), "sig");
	assert_string_equal(json_string_value(json_object_get(jwk, "alg")),
	                    "ES256");
	assert_null(json_object_get(jwk, "d")); /* never the private part */
	x = json_string_value(json_object_get(jwk, "x"));
	y = json_string_value(json_object_get(jwk, "y"));
	assert_int_equal(strlen(x), 43);
	assert_int_equal(strlen(y), 43);
	/* RFC 7638: SHA-256 of the sorted required members */
	snprintf(canon, sizeof(canon), "{\"crv\":\"P-256\",\"kty\":\"EC\","
	         "\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	jg_sha256_hex(canon, strlen(canon), hex);
	assert_int_equal(jg_b64url_decode(kid, strlen(kid), md, sizeof(md)), 32);
	for (int i = 0; i < 32; i++)
		snprintf(khex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(khex, hex);
	/* back to a key, which verifies what the private key signed */
	assert_int_equal(jg_jwk_to_key(jwk, &pub, kid2, why), JG_OK);
	assert_string_equal(kid2, kid);
	assert_true(jg_jwt_key_ok(pub));
	json_object_del(jwk, "kid"); /* without kid: the thumbprint */
	EVP_PKEY_free(pub);
	assert_int_equal(jg_jwk_to_key(jwk, &pub, kid2, why), JG_OK);
	assert_string_equal(kid2, kid);
	EVP_PKEY_free(pub);
	/* a point off the curve */
	json_object_set_new(jwk, "y", json_string(x));
	assert_int_equal(jg_jwk_to_key(jwk, &pub, kid2, why), JG_EINVAL);
	assert_non_null(strstr(why, "not on P-256"));
	json_decref(jwk);
	EVP_PKEY_free(k);
}

static void jwks_parsing(void **state)
{
	char why[JG_WHY_MAX] = "", kid[JG_KID_LEN], text[1024];
	EVP_PKEY *k = new_key(kid);
	json_t *jwk = jg_jwk_from_key(k, kid);
	char *one = json_dumps(jwk, JSON_COMPACT);
	struct jg_jwks *s = NULL;

	(void)state;
	/* an RSA key beside ours is skipped */
	snprintf(text, sizeof(text), "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"x\","
	         "\"e\":\"AQAB\"},%s]}", one);
	assert_int_equal(jg_jwks_parse(text, strlen(text), &s, why), JG_OK);
	assert_int_equal(jg_jwks_count(s), 1);
	assert_non_null(jg_jwks_find(s, kid));
	jg_jwks_free(s);
	snprintf(text, sizeof(text), "{\"keys\":[%s,%s]}", one, one);
	assert_int_equal(jg_jwks_parse(text, strlen(text), &s, why), JG_EINVAL);
	assert_non_null(strstr(why, "twice"));
	snprintf(text, sizeof(text), "{\"keys\":[{\"kty\":\"RSA\"}]}");
	assert_int_equal(jg_jwks_parse(text, strlen(text), &s, why), JG_EINVAL);
	assert_int_equal(jg_jwks_parse("[]", 2, &s, why), JG_EINVAL);
	assert_int_equal(jg_jwks_parse("{", 1, &s, why), JG_EINVAL);
	assert_null(s);
	free(one);
	json_decref(jwk);
	EVP_PKEY_free(k);
}

/* ---- the key directory ----------------------------------------------------- */

static void tmpdir(char *path, size_t len)
{
	snprintf(path, len, "/tmp/jg-keys-test-XXXXXX");
	assert_non_null(mkdtemp(path));
}

static int count_pem(const char *dir)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '\\.pem$'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void rmdir_all(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The kids in a JWKS document, in order, joined by spaces. */
static void kids_of(json_t *doc, char *out, size_t len)
{
	size_t i, used = 0;
	json_t *k;

	out[0] = '\0';
	json_array_foreach(json_object_get(doc, "keys"), i, k)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
		                         i ? " " : "",
		                         json_string_value(json_object_get(k, "kid")));
	json_decref(doc);
}

static void first_key_made_once_with_private_modes(void **state)
{
	char base[64], dir[128], err[512] = "", sub[320], kids1[512], kids2[512];
	struct jg_keys *k = NULL;
	struct stat st;

	(void)state;
	tmpdir(base, sizeof(base));
	snprintf(dir, sizeof(dir), "%s/var/keys", base);
	assert_int_equal(jg_keys_open(dir, T0, &k, err, sizeof(err)), JG_OK);
	assert_int_equal(count_pem(dir), 1);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	kids_of(jg_keys_jwks(k, T0), kids1, sizeof(kids1));
	jg_keys_free(k);
	/* opened again: the same key, no second one */
	assert_int_equal(jg_keys_open(dir, T0 + 5, &k, err, sizeof(err)), JG_OK);
	kids_of(jg_keys_jwks(k, T0 + 5), kids2, sizeof(kids2));
	assert_string_equal(kids1, kids2);
	assert_int_equal(count_pem(dir), 1);
	jg_keys_free(k);
	/* the key file must be private */
	snprintf(sub, sizeof(sub), "chmod 644 %s/*.pem", dir);
	assert_int_equal(system(sub), 0);
	assert_int_equal(jg_keys_open(dir, T0, &k, err, sizeof(err)), JG_EINVAL);
	assert_non_null(strstr(err, "chmod 600"));
	/* so must the directory */
	snprintf(sub, sizeof(sub), "chmod 600 %s/*.pem && chmod 777 %s", dir,
	         dir);
	assert_int_equal(system(sub), 0);
	assert_int_equal(jg_keys_open(dir, T0, &k, err, sizeof(err)), JG_EINVAL);
	assert_non_null(strstr(err, "chmod 700"));
	/* and both must be ours: another user could plant a key */
	if (geteuid() == 0) {
		snprintf(sub, sizeof(sub), "chmod 700 %s && chown 65534 %s", dir,
		         dir);
		assert_int_equal(system(sub), 0);
		assert_int_equal(jg_keys_open(dir, T0, &k, err, sizeof(err)),
		                 JG_EINVAL);
		assert_non_null(strstr(err, "belongs to another user"));
		snprintf(sub, sizeof(sub), "chown 0 %s && chown 65534 %s/*.pem",
		         dir, dir);
		assert_int_equal(system(sub), 0);
		assert_int_equal(jg_keys_open(dir, T0, &k, err, sizeof(err)),
		                 JG_EINVAL);
		assert_non_null(strstr(err, "belongs to another user"));
	}
	rmdir_all(base);
}

static void rotation_keeps_old_key_while_its_tokens_live(void **state)
{
	char dir[64], err[512] = "", why[JG_WHY_MAX] = "";
	char kid0[JG_KID_LEN], kid1[JG_KID_LEN], prev[JG_KID_LEN];
	char kid2[JG_KID_LEN], kids[512], want[512];
	struct jg_keys *k = NULL, *other = NULL;
	json_t *c = NULL;
	char *tok = NULL, *tok1 = NULL;

	(void)state;
	tmpdir(dir, sizeof(dir));
	assert_int_equal(jg_keys_open(dir, T0, &k, err, sizeof(err)), JG_OK);
	assert_int_equal(jg_keys_open(dir, T0, &other, err, sizeof(err)), JG_OK);
	assert_int_equal(keys_sign(k, T0 + 300, &tok, kid0), JG_OK);
	assert_int_equal(jg_keys_rotate(k, T0 + 10, kid1, prev, err,
	                                sizeof(err)), JG_OK);
	assert_string_equal(prev, kid0);
	assert_string_not_equal(kid1, kid0);
	/* both published, the current one first; the old token verifies */
	snprintf(want, sizeof(want), "%s %s", kid1, kid0);
	kids_of(jg_keys_jwks(k, T0 + 20), kids, sizeof(kids));
	assert_string_equal(kids, want);
	assert_int_equal(jg_keys_verify(k, tok, T0 + 20, &c, NULL, why), JG_OK);
	json_decref(c);
	/* another keyring on the directory sees the rotation */
	kids_of(jg_keys_jwks(other, T0 + 20), kids, sizeof(kids));
	assert_string_equal(kids, want);
	assert_int_equal(keys_sign(other, T0 + 300, &tok1, kid2), JG_OK);
	free(tok1);
	assert_string_equal(kid2, kid1);
	/* once every token of the old key has expired, it is withdrawn */
	kids_of(jg_keys_jwks(k, T0 + 10 + JG_TOKEN_TTL_MAX + JG_KEYS_SKEW),
	        kids, sizeof(kids));
	assert_string_equal(kids, kid1);
	assert_int_equal(jg_keys_verify(k, tok, T0 + 10 + JG_TOKEN_TTL_MAX +
	                                                JG_KEYS_SKEW, &c, NULL,
	                                why), JG_EINVAL);
	/* and the next rotation deletes its file */
	assert_int_equal(count_pem(dir), 2);
	assert_int_equal(jg_keys_rotate(k, T0 + 1000, kid2, prev, err,
	                                sizeof(err)), JG_OK);
	assert_string_equal(prev, kid1);
	assert_int_equal(count_pem(dir), 2);
	/* an unrecorded rotation can be undone */
	assert_int_equal(jg_keys_remove(k, kid2), JG_OK);
	assert_int_equal(count_pem(dir), 1);
	assert_int_equal(keys_sign(k, T0 + 2000, &tok1, kid0), JG_OK);
	assert_string_equal(kid0, kid1);
	free(tok);
	free(tok1);
	jg_keys_free(k);
	jg_keys_free(other);
	rmdir_all(dir);
}

/* ---- the gate ---------------------------------------------------------- */

static const char policy_yaml[] =
        "version: 1\n"
        "groups:\n"
        "  dba: {members: [bob]}\n"
        "resources:\n"
        "  prod-db: {labels: {env: prod}, actions: [sql.read, sql.write]}\n"
        "rules:\n"
        "  - name: reads\n"
        "    match: {resource: prod-db, action: sql.read}\n"
        "    decision: auto\n"
        "    max_duration: 1h\n"
        "  - name: writes\n"
        "    match: {resource: prod-db, action: sql.write}\n"
        "    steps: [{group: dba, count: 1}]\n"
        "    max_duration: 2m\n";

struct fx {
	char path[TDB_NAME_MAX];
	char dir[64];
	struct jg_store *st;
	struct jg_keys *keys;
	struct jg_gate *g;
};

static int gate_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct jg_policy *pol = NULL;
	char err[512] = "";

	if (!f)
		return -1;
	tdb_new(f->path);
	tmpdir(f->dir, sizeof(f->dir));
	if (jg_store_open(f->path, &f->st, err, sizeof(err)) != JG_OK ||
	    jg_policy_parse("sign-test.yaml", policy_yaml,
	                    sizeof(policy_yaml) - 1, &pol, err,
	                    sizeof(err)) != JG_OK ||
	    jg_keys_open(f->dir, T0, &f->keys, err, sizeof(err)) != JG_OK ||
	    jg_gate_new(f->st, pol, NULL, &f->g) != JG_OK) {
		print_error("setup: %s\n", err);
		return -1;
	}
	jg_gate_set_keys(f->g, f->keys);
	*state = f;
	return 0;
}

static int gate_teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	jg_keys_free(f->keys);
	jg_store_close(f->st);
	tdb_remove(f->path);
	rmdir_all(f->dir);
	free(f);
	return 0;
}

static struct jg_principal who(const char *name, int roles)
{
	struct jg_principal p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.roles = roles;
	return p;
}

/* alice's request for action, approved (by bob for writes): its grant. */
static void granted(struct fx *f, const char *action, int64_t now,
                    char gid[JG_ID_LEN])
{
	struct jg_principal alice = who("alice", 0), bob = who("bob", 0);
	struct jg_new_request in = {.resource = "prod-db", .action = action,
	                            .reason = "INC-7"};
	struct jg_request_view v, r;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_request_create(f->g, &alice, &in, now, &v,
	                                        why), JG_OK);
	if (v.req.state == JG_REQ_PENDING) {
		assert_int_equal(jg_gate_review(f->g, &bob, v.req.id, 1, NULL,
		                                now, &r, why), JG_OK);
		jg_request_view_clear(&v);
		v = r;
	}
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	memcpy(gid, v.grant_id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

static int64_t count_events(struct fx *f, const char *type)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE type = "
	         "'%s'", type);
	return tdb_int(f->path, sql);
}

static void token_only_for_the_holder_of_a_live_grant(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0), eve = who("eve", 0),
	                    admin = who("admin", JG_ROLE_ADMIN);
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "", *tok = NULL;
	struct jg_grant gr;
	int64_t exp = 0;
	json_t *c = NULL;

	granted(f, "sql.read", T0, gid);
	assert_int_equal(jg_gate_grant_token(f->g, &alice, gid, "nginx",
	                                     T0 + 1, &tok, &exp, why), JG_OK);
	assert_int_equal(exp, T0 + 1 + JG_TOKEN_TTL_MAX);
	assert_int_equal(jg_keys_verify(f->keys, tok, T0 + 2, &c, NULL, why),
	                 JG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "sub")), "alice");
	assert_string_equal(json_string_value(json_object_get(c, "jti")), gid);
	assert_string_equal(json_string_value(json_object_get(c, "grant_id")),
	                    gid);
	assert_string_equal(json_string_value(json_object_get(c, "aud")), "nginx");
	assert_string_equal(json_string_value(json_object_get(c, "iss")),
	                    "jitgate");
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), exp);
	json_decref(c);
	free(tok);
	assert_int_equal(count_events(f, "grant.token_issued"), 1);
	/* others: a stranger does not see it, an admin may not take it */
	assert_int_equal(jg_gate_grant_token(f->g, &eve, gid, NULL, T0 + 1,
	                                     &tok, &exp, why), JG_ENOTFOUND);
	assert_int_equal(jg_gate_grant_token(f->g, &admin, gid, NULL, T0 + 1,
	                                     &tok, &exp, why), JG_EFORBIDDEN);
	assert_int_equal(jg_gate_grant_token(f->g, &alice, gid, "not a name",
	                                     T0 + 1, &tok, &exp, why),
	                 JG_EINVAL);
	/* a revoked grant gets none */
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid, JG_GRANT_REVOKED,
	                                   NULL, T0 + 5, &gr, why), JG_OK);
	assert_int_equal(jg_gate_grant_token(f->g, &alice, gid, NULL, T0 + 6,
	                                     &tok, &exp, why), JG_ECONFLICT);
	assert_non_null(strstr(why, "was revoked"));
	assert_null(tok);
	assert_int_equal(count_events(f, "grant.token_issued"), 1);
}

static void token_lives_no_longer_than_its_grant(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0);
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "", *tok = NULL;
	int64_t exp = 0;

	granted(f, "sql.write", T0, gid); /* a 2m grant */
	assert_int_equal(jg_gate_grant_token(f->g, &alice, gid, NULL, T0 + 30,
	                                     &tok, &exp, why), JG_OK);
	assert_int_equal(exp, T0 + 120);
	free(tok);
	/* the clock decides, not the sweeper */
	assert_int_equal(jg_gate_grant_token(f->g, &alice, gid, NULL, T0 + 120,
	                                     &tok, &exp, why), JG_ECONFLICT);
	assert_non_null(strstr(why, "expired"));
}

static void check_with_token_reports_revocation(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0), eve = who("eve", 0),
	                    pep = who("nginx", JG_ROLE_CHECKER);
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "", want[128], *tok = NULL;
	struct jg_answer a;
	struct jg_grant gr;
	int64_t exp = 0;

	granted(f, "sql.read", T0, gid);
	assert_int_equal(jg_gate_grant_token(f->g, &alice, gid, NULL, T0, &tok,
	                                     &exp, why), JG_OK);
	assert_int_equal(jg_gate_check_token(f->g, &pep, tok, "prod-db",
	                                     "sql.read", T0 + 1, &a, why), JG_OK);
	assert_true(a.allow);
	assert_string_equal(a.grant_id, gid);
	assert_int_equal(a.expires_at, exp);
	assert_int_equal(jg_gate_check_token(f->g, &alice, tok, NULL, NULL,
	                                     T0 + 1, &a, why), JG_OK);
	assert_true(a.allow);
	/* another principal's token needs the checker role */
	assert_int_equal(jg_gate_check_token(f->g, &eve, tok, NULL, NULL,
	                                     T0 + 1, &a, why), JG_EFORBIDDEN);
	/* asked about another action: deny */
	assert_int_equal(jg_gate_check_token(f->g, &pep, tok, "prod-db",
	                                     "sql.write", T0 + 1, &a, why),
	                 JG_OK);
	assert_false(a.allow);
	assert_non_null(strstr(a.reason, "for sql.read on prod-db"));
	/* revoked: the token still verifies, the check says revoked */
	assert_int_equal(jg_gate_grant_end(f->g, &alice, gid, JG_GRANT_REVOKED,
	                                   NULL, T0 + 5, &gr, why), JG_OK);
	assert_int_equal(jg_gate_check_token(f->g, &pep, tok, NULL, NULL,
	                                     T0 + 6, &a, why), JG_OK);
	assert_false(a.allow);
	snprintf(want, sizeof(want), "grant %s was revoked", gid);
	assert_string_equal(a.reason, want);
	/* garbage and expired tokens are denials, with the reason */
	assert_int_equal(jg_gate_check_token(f->g, &pep, "x.y.z", NULL, NULL,
	                                     T0 + 6, &a, why), JG_OK);
	assert_false(a.allow);
	assert_non_null(strstr(a.reason, "token refused"));
	assert_int_equal(jg_gate_check_token(f->g, &pep, tok, NULL, NULL,
	                                     exp + JG_KEYS_SKEW, &a, why), JG_OK);
	assert_false(a.allow);
	assert_non_null(strstr(a.reason, "expired"));
	free(tok);
}

static void rotation_is_for_admins_and_audited(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0), pep = who("pep",
	                                                       JG_ROLE_CHECKER),
	                    admin = who("admin", JG_ROLE_ADMIN);
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "", kid[48], prev[48];
	char *tok = NULL, *jwks;
	struct jg_answer a;
	int64_t exp;

	granted(f, "sql.read", T0, gid);
	assert_int_equal(jg_gate_grant_token(f->g, &alice, gid, NULL, T0, &tok,
	                                     &exp, why), JG_OK);
	assert_int_equal(jg_gate_keys_rotate(f->g, &alice, T0 + 1, kid, prev,
	                                     why), JG_EFORBIDDEN);
	assert_int_equal(jg_gate_keys_rotate(f->g, &admin, T0 + 1, kid, prev,
	                                     why), JG_OK);
	assert_int_equal(count_events(f, "keys.rotated"), 1);
	jwks = jg_gate_jwks(f->g, T0 + 2);
	assert_non_null(strstr(jwks, kid));
	assert_non_null(strstr(jwks, prev));
	free(jwks);
	/* the old key's token still checks */
	assert_int_equal(jg_gate_check_token(f->g, &pep, tok, NULL, NULL,
	                                     T0 + 2, &a, why), JG_OK);
	assert_true(a.allow);
	free(tok);
}

#define T(fn) cmocka_unit_test(fn)
#define G(fn) cmocka_unit_test_setup_teardown(fn, gate_setup, gate_teardown)

int main(void)
{
	const struct CMUnitTest pure[] = {
	        T(b64url_vectors_and_strictness),
	        T(round_trip_and_jose_signature),
	        T(tampering_refused),
	        T(alg_none_and_hmac_refused),
	        T(times_judged_with_skew),
	        T(wrong_or_unknown_key_refused),
	        T(malformed_tokens_refused),
	        T(jwk_encoding_and_thumbprint),
	        T(jwks_parsing),
	        T(first_key_made_once_with_private_modes),
	        T(rotation_keeps_old_key_while_its_tokens_live),
	};
	const struct CMUnitTest gate[] = {
	        G(token_only_for_the_holder_of_a_live_grant),
	        G(token_lives_no_longer_than_its_grant),
	        G(check_with_token_reports_revocation),
	        G(rotation_is_for_admins_and_audited),
	};
	int rc = cmocka_run_group_tests_name("sign", pure, NULL, NULL);

	rc += cmocka_run_group_tests_name("grant tokens on sqlite", gate, NULL,
	                                  NULL);
	if (tdb_pg_base())
		rc += cmocka_run_group_tests_name("grant tokens on postgres", gate,
		                                  tdb_pg_group_setup,
		                                  tdb_pg_group_teardown);
	return rc;
}
