/*
 * jwt.c - ES256 compact JWS and P-256 JWKs over OpenSSL 3 (EVP).
 *
 * OpenSSL signs ECDSA in DER (SEQUENCE of two INTEGERs); JOSE wants the
 * two 32-byte integers side by side. ECDSA_SIG converts both ways. Every
 * failure path clears OpenSSL's per-thread error queue, so one bad token
 * leaves nothing behind for the next call on the thread to trip over.
 *
 * Verification order matters: form and header first (alg pinned to ES256
 * before any key is used), then the signature, and only then is the
 * payload parsed and its times judged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "sign/jwt.h"
#include "util/b64url.h"
#include "util/timefmt.h"

#define HEADER_MAX 1024 /* decoded header bytes */
#define COORD 32       /* bytes of a P-256 coordinate, and of r and s */

static enum jg_err fail(char why[JG_WHY_MAX], const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static enum jg_err fail(char why[JG_WHY_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, JG_WHY_MAX, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return JG_EINVAL;
}

int jg_jwt_key_ok(EVP_PKEY *pkey)
{
	char group[32];

	return pkey && EVP_PKEY_is_a(pkey, "EC") &&
	       EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	                                      group, sizeof(group), NULL) &&
	       strcmp(group, "prime256v1") == 0;
}

/* ---- signatures -------------------------------------------------------- */

static enum jg_err es256_sign(EVP_PKEY *pkey, const char *msg, size_t len,
                              unsigned char rs[2 * COORD])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[96];
	const unsigned char *p = der;
	size_t dlen = sizeof(der);
	ECDSA_SIG *sig = NULL;
	int ok;

	ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestSign(md, der, &dlen, (const unsigned char *)msg, len) == 1 &&
	     (sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) != NULL &&
	     BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, COORD) == COORD &&
	     BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + COORD, COORD) == COORD;
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	if (!ok)
		ERR_clear_error();
	return ok ? JG_OK : JG_EINTERNAL;
}

/* 1 when rs (r||s) is pkey's signature of msg. */
static int es256_verify(EVP_PKEY *pkey, const char *msg, size_t len,
                        const unsigned char rs[2 * COORD])
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, COORD, NULL);
	BIGNUM *s = BN_bin2bn(rs + COORD, COORD, NULL);
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	int dlen = 0, ok = 0;

	if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
		r = s = NULL; /* sig owns them now */
		dlen = i2d_ECDSA_SIG(sig, &der);
		md = EVP_MD_CTX_new();
		ok = dlen > 0 && md &&
		     EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
		     EVP_DigestVerify(md, der, (size_t)dlen,
		                      (const unsigned char *)msg, len) == 1;
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* ---- signing ----------------------------------------------------------- */

enum jg_err jg_jwt_sign(EVP_PKEY *pkey, const char *kid, const json_t *claims,
                        char **out)
{
	json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "typ", "JWT",
	                        "kid", kid);
	char *h = hdr ? json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	char *c = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char rs[2 * COORD];
	char *tok = NULL;
	enum jg_err e = JG_ENOMEM;

	*out = NULL;
	if (h && c) {
		size_t hl = strlen(h), cl = strlen(c), n;
		size_t cap = JG_B64URL_LEN(hl) + JG_B64URL_LEN(cl) +
		             JG_B64URL_LEN(sizeof(rs)) + 3;
		if (cap > JG_JWT_MAX + 1) {
			e = JG_EINVAL; /* the claims are too large for a token */
		} else if ((tok = malloc(cap))) {
			n = jg_b64url_encode(h, hl, tok);
			tok[n++] = '.';
			n += jg_b64url_encode(c, cl, tok + n);
			e = es256_sign(pkey, tok, n, rs);
			tok[n++] = '.';
			jg_b64url_encode(rs, sizeof(rs), tok + n);
		}
	}
	json_decref(hdr);
	free(h);
	free(c);
	if (e != JG_OK) {
		free(tok);
		return e;
	}
	*out = tok;
	return JG_OK;
}

/* ---- verification ------------------------------------------------------ */

/* Decode part [p, p+len) as a JSON object; NULL with why when not. */
static json_t *part_json(const char *p, size_t len, size_t max,
                         const char *what, char why[JG_WHY_MAX])
{
	unsigned char *buf = malloc(max + 1);
	long n = buf ? jg_b64url_decode(p, len, buf, max) : -1;
	json_t *v = NULL;

	if (!buf)
		snprintf(why, JG_WHY_MAX, "out of memory");
	else if (n < 0)
		fail(why, "malformed token: the %s is not base64url", what);
	else if (!(v = json_loadb((const char *)buf, (size_t)n,
	                          JSON_REJECT_DUPLICATES, NULL)))
		fail(why, "malformed token: the %s is not JSON", what);
	else if (!json_is_object(v)) {
		fail(why, "malformed token: the %s is not a JSON object", what);
		json_decref(v);
		v = NULL;
	}
	free(buf);
	return v;
}

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The algorithms a verifier may accept, and what each needs. */
static const struct alg {
	const char *name;
	unsigned bit;
} ALGS[] = {
	{ "RS256", JG_JWS_RS256 },
	{ "ES256", JG_JWS_ES256 },
	{ "EdDSA", JG_JWS_EDDSA },
};

/* The names of the algorithms in bits, for a refusal: "RS256, ES256". */
static void alg_names(unsigned bits, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(ALGS) / sizeof(ALGS[0]); i++)
		if (bits & ALGS[i].bit && n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s",
			                      n ? ", " : "", ALGS[i].name);
}

/* Check the header: alg among r->algs, typ JWT if any, a kid; nothing
 * else in our own tokens, no crit in anyone's. *alg receives its bit. */
static enum jg_err check_header(const json_t *h, const struct jg_jws_rules *r,
                                unsigned *bit, char kid[JG_KID_LEN],
                                char why[JG_WHY_MAX])
{
	const char *alg = str_of(h, "alg"), *typ = str_of(h, "typ");
	const char *k = str_of(h, "kid"), *key;
	char names[64];
	json_t *v;

	*bit = 0;
	if (!json_object_get(h, "alg"))
		return fail(why, "the token header has no alg");
	for (size_t i = 0; alg && i < sizeof(ALGS) / sizeof(ALGS[0]); i++)
		if (r->algs & ALGS[i].bit && strcmp(alg, ALGS[i].name) == 0)
			*bit = ALGS[i].bit;
	if (!*bit) {
		alg_names(r->algs, names, sizeof(names));
		return fail(why, "alg '%.32s' is not accepted (only %s)",
		            alg ? alg : "(not a string)", names);
	}
	json_object_foreach((json_t *)h, key, v) {
		if (strcmp(key, "alg") && strcmp(key, "typ") &&
		    strcmp(key, "kid") && (!r->foreign || !strcmp(key, "crit")))
			return fail(why, "the token header has an unexpected "
			            "member '%.32s'", key);
	}
	if (json_object_get(h, "typ") && (!typ || strcasecmp(typ, "JWT") != 0))
		return fail(why, "typ must be JWT");
	if (!k || !*k || strlen(k) >= JG_KID_LEN)
		return fail(why, "the token header has no usable kid");
	for (const char *c = k; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return fail(why, "the kid holds control characters");
	snprintf(kid, JG_KID_LEN, "%s", k);
	return JG_OK;
}

/* 1 when pkey is of the type alg needs: the key decides, never the
 * token, so no key is used with an algorithm it was not made for. */
static int key_fits(EVP_PKEY *pkey, unsigned alg)
{
	switch (alg) {
	case JG_JWS_ES256:
		return jg_jwt_key_ok(pkey);
	case JG_JWS_RS256:
		return EVP_PKEY_is_a(pkey, "RSA") &&
		       EVP_PKEY_get_bits(pkey) >= 2048;
	case JG_JWS_EDDSA:
		return EVP_PKEY_is_a(pkey, "ED25519");
	}
	return 0;
}

/* 1 when sig[0..n) is pkey's RS256 (md SHA-256) or EdDSA (md NULL)
 * signature of msg. */
static int digest_verify(EVP_PKEY *pkey, const EVP_MD *md, const char *msg,
                         size_t len, const unsigned char *sig, size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestVerifyInit(c, NULL, md, NULL, pkey) == 1 &&
	         EVP_DigestVerify(c, sig, n, (const unsigned char *)msg,
	                          len) == 1;

	EVP_MD_CTX_free(c);
	ERR_clear_error();
	return ok;
}

#define SIG_MAX 1024 /* bytes of a signature: RSA up to 8192 bits */

/* Check the signature b64[0..blen) of msg[0..len) under alg. */
static enum jg_err check_sig(EVP_PKEY *pkey, unsigned alg, const char *msg,
                             size_t len, const char *b64, size_t blen,
                             char why[JG_WHY_MAX])
{
	unsigned char sig[SIG_MAX];
	long n = jg_b64url_decode(b64, blen, sig, sizeof(sig));
	int ok;

	if (!key_fits(pkey, alg))
		return fail(why, "the key named by kid is not a key for this "
		            "token's alg");
	if (alg == JG_JWS_ES256 && n != 2 * COORD)
		return fail(why, "the signature is not 64 bytes of base64url "
		            "(ES256 r||s)");
	if (n <= 0)
		return fail(why, "the signature is not base64url");
	if (alg == JG_JWS_ES256)
		ok = es256_verify(pkey, msg, len, sig);
	else
		ok = digest_verify(pkey, alg == JG_JWS_RS256 ? EVP_sha256() : NULL,
		                   msg, len, sig, (size_t)n);
	return ok ? JG_OK : fail(why, "the signature does not verify");
}

/* An optional NumericDate claim: 0 when fine (absent: *set = 0). */
static int num_claim(const json_t *c, const char *name, int64_t *out,
                     int *set)
{
	json_t *v = json_object_get(c, name);

	*set = v != NULL;
	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return -1;
	*out = (int64_t)json_integer_value(v);
	return 0;
}

enum jg_err jg_jwt_times(const json_t *c, int64_t now, int64_t skew,
                         char why[JG_WHY_MAX])
{
	int64_t exp, nbf, iat;
	int has_exp, has_nbf, has_iat;
	char at[JG_TIME_LEN];

	if (num_claim(c, "exp", &exp, &has_exp) ||
	    num_claim(c, "nbf", &nbf, &has_nbf) ||
	    num_claim(c, "iat", &iat, &has_iat))
		return fail(why, "exp, nbf and iat must be whole seconds");
	if (!has_exp)
		return fail(why, "the token has no exp: it would never expire");
	if (now - skew >= exp) { /* (exp + skew could overflow) */
		jg_time_format(exp, at);
		return fail(why, "the token expired at %s", at);
	}
	if (has_nbf && now + skew < nbf) {
		jg_time_format(nbf, at);
		return fail(why, "the token is not valid before %s", at);
	}
	if (has_iat && now + skew < iat) {
		jg_time_format(iat, at);
		return fail(why, "the token was issued in the future (%s)", at);
	}
	return JG_OK;
}

enum jg_err jg_jws_verify(const char *token, const struct jg_jws_rules *rules,
                          jg_jwt_key_fn find, void *ctx, json_t **payload,
                          char kid[JG_KID_LEN], char why[JG_WHY_MAX])
{
	size_t len = token ? strnlen(token, rules->max + 1) : 0;
	const char *d1, *d2;
	char k[JG_KID_LEN];
	unsigned alg;
	json_t *h, *c;
	EVP_PKEY *pkey;
	enum jg_err e;

	*payload = NULL;
	if (len == 0)
		return fail(why, "the token is empty");
	if (len > rules->max)
		return fail(why, "the token is longer than %zu bytes", rules->max);
	d1 = memchr(token, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
	if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
		return fail(why, "malformed token: not three parts separated "
		            "by '.'");
	if (d2 + 1 == token + len)
		return fail(why, "the token is not signed");
	if (!(h = part_json(token, (size_t)(d1 - token), HEADER_MAX, "header",
	                    why)))
		return JG_EINVAL;
	e = check_header(h, rules, &alg, k, why);
	json_decref(h);
	if (e != JG_OK)
		return e;
	if (!(pkey = find(ctx, k)))
		return fail(why, "unknown key id '%s' (not in the key set)", k);
	if ((e = check_sig(pkey, alg, token, (size_t)(d2 - token), d2 + 1,
	                   len - (size_t)(d2 + 1 - token), why)) != JG_OK)
		return e;
	if (!(c = part_json(d1 + 1, (size_t)(d2 - d1 - 1), rules->max,
	                    "payload", why)))
		return JG_EINVAL;
	if (kid)
		memcpy(kid, k, JG_KID_LEN);
	*payload = c;
	return JG_OK;
}

json_t *jg_jwt_peek(const char *token, size_t max)
{
	size_t len = token ? strnlen(token, max + 1) : 0;
	const char *d1 = len <= max ? memchr(token, '.', len) : NULL;
	const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token))
	                   : NULL;
	char why[JG_WHY_MAX];

	return d2 ? part_json(d1 + 1, (size_t)(d2 - d1 - 1), max, "payload", why)
	          : NULL;
}

enum jg_err jg_jwt_verify(const char *token, jg_jwt_key_fn find, void *ctx,
                          int64_t now, int64_t skew, json_t **claims,
                          char kid[JG_KID_LEN], char why[JG_WHY_MAX])
{
	static const struct jg_jws_rules ours = { JG_JWS_ES256, JG_JWT_MAX, 0 };
	enum jg_err e = jg_jws_verify(token, &ours, find, ctx, claims, kid, why);

	if (e == JG_OK && (e = jg_jwt_times(*claims, now, skew, why)) != JG_OK) {
		json_decref(*claims);
		*claims = NULL;
	}
	return e;
}

/* ---- JWK --------------------------------------------------------------- */

static int ec_xy(EVP_PKEY *pkey, unsigned char x[COORD],
                 unsigned char y[COORD])
{
	BIGNUM *bx = NULL, *by = NULL;
	int ok = jg_jwt_key_ok(pkey) &&
	         EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &bx) &&
	         EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &by) &&
	         BN_bn2binpad(bx, x, COORD) == COORD &&
	         BN_bn2binpad(by, y, COORD) == COORD;

	BN_free(bx);
	BN_free(by);
	if (!ok)
		ERR_clear_error();
	return ok;
}

/* The thumbprint of the JWK with coordinates x and y (base64url). */
static void thumbprint(const char *x, const char *y, char kid[JG_KID_LEN])
{
	char canon[160];
	unsigned char md[32];
	unsigned int n = 0;

	/* RFC 7638: the required members, sorted, no white space */
	snprintf(canon, sizeof(canon),
	         "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
	         x, y);
	EVP_Digest(canon, strlen(canon), md, &n, EVP_sha256(), NULL);
	jg_b64url_encode(md, sizeof(md), kid);
}

enum jg_err jg_jwk_kid(EVP_PKEY *pkey, char kid[JG_KID_LEN])
{
	unsigned char x[COORD], y[COORD];
	char bx[JG_B64URL_LEN(COORD) + 1], by[JG_B64URL_LEN(COORD) + 1];

	if (!ec_xy(pkey, x, y))
		return JG_EINVAL;
	jg_b64url_encode(x, COORD, bx);
	jg_b64url_encode(y, COORD, by);
	thumbprint(bx, by, kid);
	return JG_OK;
}

json_t *jg_jwk_from_key(EVP_PKEY *pkey, const char *kid)
{
	unsigned char x[COORD], y[COORD];
	char bx[JG_B64URL_LEN(COORD) + 1], by[JG_B64URL_LEN(COORD) + 1];

	if (!ec_xy(pkey, x, y))
		return NULL;
	jg_b64url_encode(x, COORD, bx);
	jg_b64url_encode(y, COORD, by);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "crv",
	                 "P-256", "x", bx, "y", by, "kid", kid, "use", "sig",
	                 "alg", "ES256");
}

/* The public P-256 key at the uncompressed point 04||x||y. */
static EVP_PKEY *key_of_point(const unsigned char pt[1 + 2 * COORD])
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY_CTX *chk = NULL;
	EVP_PKEY *pkey = NULL;
	int ok;

	ok = b && ctx &&
	     OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
	                                     "prime256v1", 0) &&
	     OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt,
	                                      1 + 2 * COORD) &&
	     (params = OSSL_PARAM_BLD_to_param(b)) != NULL &&
	     EVP_PKEY_fromdata_init(ctx) == 1 &&
	     EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
	     (chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) != NULL &&
	     EVP_PKEY_public_check(chk) == 1;
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	if (!ok) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		return NULL;
	}
	return pkey;
}

static int member_is(const json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);
	return !v || (json_is_string(v) && strcmp(json_string_value(v), want) == 0);
}

enum jg_err jg_jwk_to_key(const json_t *jwk, EVP_PKEY **out,
                          char kid[JG_KID_LEN], char why[JG_WHY_MAX])
{
	unsigned char pt[1 + 2 * COORD];
	const char *x = str_of(jwk, "x"), *y = str_of(jwk, "y");
	json_t *k = json_object_get(jwk, "kid");

	*out = NULL;
	if (!json_is_object(jwk))
		return fail(why, "a key is not a JSON object");
	if (!json_object_get(jwk, "kty") || !member_is(jwk, "kty", "EC") ||
	    !json_object_get(jwk, "crv") || !member_is(jwk, "crv", "P-256"))
		return fail(why, "not an EC P-256 key");
	if (!member_is(jwk, "alg", "ES256") || !member_is(jwk, "use", "sig"))
		return fail(why, "not a key for ES256 signatures");
	if (k && (!json_is_string(k) || !json_string_length(k) ||
	          json_string_length(k) >= JG_KID_LEN ||
	          strlen(json_string_value(k)) != json_string_length(k)))
		return fail(why, "kid must be a string of 1 to %d bytes",
		            JG_KID_LEN - 1);
	pt[0] = 4;
	if (!x || !y ||
	    jg_b64url_decode(x, strlen(x), pt + 1, COORD) != COORD ||
	    jg_b64url_decode(y, strlen(y), pt + 1 + COORD, COORD) != COORD)
		return fail(why, "x and y must be 32 bytes each, base64url");
	if (!(*out = key_of_point(pt)))
		return fail(why, "the point (x, y) is not on P-256");
	if (k)
		snprintf(kid, JG_KID_LEN, "%s", json_string_value(k));
	else
		thumbprint(x, y, kid);
	return JG_OK;
}

/* ---- other issuers' keys ------------------------------------------------ */

#define RSA_N_MAX 1024 /* bytes of a modulus: 8192 bits */

/* The public RSA key (n, e), base64url; NULL with why when unusable. */
static EVP_PKEY *rsa_key(const char *n64, const char *e64,
                         char why[JG_WHY_MAX])
{
	unsigned char n[RSA_N_MAX], e[8];
	long nl = n64 ? jg_b64url_decode(n64, strlen(n64), n, sizeof(n)) : -1;
	long el = e64 ? jg_b64url_decode(e64, strlen(e64), e, sizeof(e)) : -1;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *bn = nl > 0 ? BN_bin2bn(n, (int)nl, NULL) : NULL;
	BIGNUM *be = el > 0 ? BN_bin2bn(e, (int)el, NULL) : NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bn || !be)
		fail(why, "n and e must be base64url (at most 8192 bits)");
	else if (!b || !ctx || !OSSL_PARAM_BLD_push_BN(b, "n", bn) ||
	         !OSSL_PARAM_BLD_push_BN(b, "e", be) ||
	         !(params = OSSL_PARAM_BLD_to_param(b)) ||
	         EVP_PKEY_fromdata_init(ctx) != 1 ||
	         EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		fail(why, "not a usable RSA public key");
	else if (EVP_PKEY_get_bits(pkey) < 2048) {
		fail(why, "an RSA key of %d bits (RS256 needs 2048 or more)",
		     EVP_PKEY_get_bits(pkey));
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return pkey;
}

/* The public Ed25519 key x (32 bytes, base64url); NULL with why. */
static EVP_PKEY *ed25519_key(const char *x64, char why[JG_WHY_MAX])
{
	unsigned char x[32];
	EVP_PKEY *pkey = NULL;

	if (!x64 || jg_b64url_decode(x64, strlen(x64), x, sizeof(x)) != 32)
		fail(why, "x must be 32 bytes, base64url");
	else if (!(pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL,
	                                                 x, sizeof(x))))
		fail(why, "not a usable Ed25519 public key");
	ERR_clear_error();
	return pkey;
}

enum jg_err jg_jwk_to_pub(const json_t *jwk, EVP_PKEY **out,
                          char kid[JG_KID_LEN], char why[JG_WHY_MAX])
{
	const char *kty = str_of(jwk, "kty"), *k = str_of(jwk, "kid");

	*out = NULL;
	if (!json_is_object(jwk))
		return fail(why, "a key is not a JSON object");
	if (!k || !*k || strlen(k) >= JG_KID_LEN ||
	    strlen(k) != json_string_length(json_object_get(jwk, "kid")))
		return fail(why, "a key needs a kid of 1 to %d bytes",
		            JG_KID_LEN - 1);
	if (!member_is(jwk, "use", "sig"))
		return fail(why, "key '%s' is not for signatures", k);
	if (kty && strcmp(kty, "EC") == 0)
		return jg_jwk_to_key(jwk, out, kid, why);
	if (kty && strcmp(kty, "RSA") == 0 && member_is(jwk, "alg", "RS256"))
		*out = rsa_key(str_of(jwk, "n"), str_of(jwk, "e"), why);
	else if (kty && strcmp(kty, "OKP") == 0 &&
	         member_is(jwk, "crv", "Ed25519") &&
	         member_is(jwk, "alg", "EdDSA") && json_object_get(jwk, "crv"))
		*out = ed25519_key(str_of(jwk, "x"), why);
	else
		return fail(why, "key '%s' is not an RS256, ES256 or EdDSA key",
		            k);
	if (!*out)
		return JG_EINVAL;
	snprintf(kid, JG_KID_LEN, "%s", k);
	return JG_OK;
}

/* ---- key sets ---------------------------------------------------------- */

struct jg_jwks {
	size_t n;
	struct {
		char kid[JG_KID_LEN];
		EVP_PKEY *pkey;
	} keys[JG_JWKS_KEYS_MAX];
};

void jg_jwks_free(struct jg_jwks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		EVP_PKEY_free(s->keys[i].pkey);
	free(s);
}

size_t jg_jwks_count(const struct jg_jwks *s)
{
	return s ? s->n : 0;
}

EVP_PKEY *jg_jwks_find(void *ctx, const char *kid)
{
	struct jg_jwks *s = ctx;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->keys[i].kid, kid) == 0)
			return s->keys[i].pkey;
	return NULL;
}

/* Keys other than EC P-256 signature keys are not ours to judge. */
static int foreign_key(const json_t *jwk)
{
	return !member_is(jwk, "kty", "EC") || !member_is(jwk, "crv", "P-256") ||
	       !member_is(jwk, "use", "sig") || !member_is(jwk, "alg", "ES256");
}

/* Add the keys of arr to s. Our own set must be all good; another
 * issuer's keys are taken when usable and skipped when not (foreign). */
static enum jg_err add_keys(struct jg_jwks *s, const json_t *arr, int foreign,
                            char why[JG_WHY_MAX])
{
	char w[JG_WHY_MAX], kid[JG_KID_LEN];
	EVP_PKEY *pkey;
	size_t i;
	json_t *jwk;

	if (!foreign && json_array_size(arr) > JG_JWKS_KEYS_MAX)
		return fail(why, "the key set has more than %d keys",
		            JG_JWKS_KEYS_MAX);
	json_array_foreach(arr, i, jwk) {
		if (s->n == JG_JWKS_KEYS_MAX)
			break;
		if (!foreign && json_is_object(jwk) && foreign_key(jwk))
			continue;
		if ((foreign ? jg_jwk_to_pub(jwk, &pkey, kid, w)
		             : jg_jwk_to_key(jwk, &pkey, kid, w)) != JG_OK) {
			if (foreign)
				continue;
			return fail(why, "key %zu of the key set: %s", i + 1, w);
		}
		if (jg_jwks_find(s, kid)) {
			EVP_PKEY_free(pkey);
			if (foreign)
				continue; /* the first one published wins */
			return fail(why, "the key set has kid '%s' twice", kid);
		}
		memcpy(s->keys[s->n].kid, kid, JG_KID_LEN);
		s->keys[s->n++].pkey = pkey;
	}
	ERR_clear_error();
	if (!s->n)
		return fail(why, foreign ? "the key set has no usable RS256, "
		            "ES256 or EdDSA signing key" : "the key set has no "
		            "ES256 P-256 signing key");
	return JG_OK;
}

static enum jg_err jwks_parse(const char *text, size_t len, int foreign,
                              struct jg_jwks **out, char why[JG_WHY_MAX])
{
	json_error_t jerr;
	struct jg_jwks *s;
	json_t *doc, *arr;
	enum jg_err e;

	*out = NULL;
	if (len > JG_JWKS_MAX)
		return fail(why, "the key set is larger than %d bytes",
		            JG_JWKS_MAX);
	if (!(doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)))
		return fail(why, "the key set is not JSON: %s (line %d)",
		            jerr.text, jerr.line);
	arr = json_object_get(doc, "keys");
	if (!json_is_array(arr)) {
		json_decref(doc);
		return fail(why, "the key set has no \"keys\" array");
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		json_decref(doc);
		return JG_ENOMEM;
	}
	e = add_keys(s, arr, foreign, why);
	json_decref(doc);
	if (e != JG_OK) {
		jg_jwks_free(s);
		return e;
	}
	*out = s;
	return JG_OK;
}

enum jg_err jg_jwks_parse(const char *text, size_t len, struct jg_jwks **out,
                          char why[JG_WHY_MAX])
{
	return jwks_parse(text, len, 0, out, why);
}

enum jg_err jg_jwks_parse_foreign(const char *text, size_t len,
                                  struct jg_jwks **out, char why[JG_WHY_MAX])
{
	return jwks_parse(text, len, 1, out, why);
}
