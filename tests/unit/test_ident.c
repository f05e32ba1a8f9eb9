/*
 * test_ident.c - the ident core against an issuer the test runs on
 * 127.0.0.1: discovery, the key cache (one fetch per flood of unknown
 * kids, key rotation, the issuer down with keys cached), RS256, ES256
 * and EdDSA tokens, and every way a token is refused: forged signature,
 * alg none, HS256 keyed with the public key, a key of the wrong type,
 * wrong iss or aud, azp, times, nonce. And jg_ident_http's limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "ident/ident.h"
#include "test_ident_fixture.h"

#define T0 1800000000LL

struct fx {
	struct op op;
	struct tkey rsa, ec, ed;
	struct jg_ident_issuer *is;
};

/* Keys are made once: RSA key generation is slow. */
static struct tkey RSA_K, EC_K, ED_K, RSA_OTHER;

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tkey keys[3];
	struct jg_ident_issuer_cfg cfg = { 0 };
	char why[JG_WHY_MAX];

	f->rsa = keys[0] = RSA_K;
	f->ec = keys[1] = EC_K;
	f->ed = keys[2] = ED_K;
	op_start(&f->op);
	op_set_jwks(&f->op, jwks_text(keys, 3));
	cfg.issuer = f->op.base;
	if (jg_ident_issuer_new(&cfg, &f->is, why) != JG_OK)
		fail_msg("issuer: %s", why);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	jg_ident_issuer_free(f->is);
	op_free(&f->op);
	free(f);
	return 0;
}

/* Claims from issuer iss for audience "jitgate", valid T0-10..T0+300. */
static json_t *claims(const char *iss)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", iss, "sub", "repo:x",
	                 "aud", "jitgate", "iat", (json_int_t)(T0 - 10), "exp",
	                 (json_int_t)(T0 + 300));
}

/* claims(iss) as JSON text, malloc'd. */
static char *claims_text(const char *iss)
{
	json_t *c = claims(iss);
	char *t = json_dumps(c, JSON_COMPACT);

	json_decref(c);
	return t;
}

static const struct jg_ident_expect WANT = { "jitgate", NULL, NULL };

static enum jg_err verify_at(struct fx *f, const char *tok,
                             const struct jg_ident_expect *want, int64_t now,
                             char why[JG_WHY_MAX])
{
	json_t *c = NULL;
	enum jg_err e = jg_ident_verify(f->is, tok, want, now, &c, why);

	if (e == JG_OK)
		assert_non_null(c);
	else
		assert_null(c);
	json_decref(c);
	return e;
}

/* tok is refused with e and a reason holding because. */
static void refused(struct fx *f, const char *tok,
                    const struct jg_ident_expect *want, int64_t now,
                    enum jg_err e, const char *because)
{
	char why[JG_WHY_MAX] = "";

	assert_int_equal(verify_at(f, tok, want, now, why), e);
	if (!strstr(why, because))
		fail_msg("refused because '%s', not '%s'", why, because);
}

static void accepted(struct fx *f, char *tok, int64_t now)
{
	char why[JG_WHY_MAX] = "";

	if (verify_at(f, tok, &WANT, now, why) != JG_OK)
		fail_msg("refused: %s", why);
	free(tok);
}

/* ---- algorithms ------------------------------------------------------------ */

static void rs256_es256_and_eddsa_verify(void **state)
{
	struct fx *f = *state;
	char why[JG_WHY_MAX];
	json_t *c = NULL;
	char *tok = jws(&f->rsa, claims(f->op.base));

	assert_int_equal(jg_ident_verify(f->is, tok, &WANT, T0, &c, why), JG_OK);
	assert_string_equal(json_string_value(json_object_get(c, "sub")),
	                    "repo:x");
	json_decref(c);
	free(tok);
	accepted(f, jws(&f->ec, claims(f->op.base)), T0);
	accepted(f, jws(&f->ed, claims(f->op.base)), T0);
	/* one discovery and one key set for all three */
	assert_int_equal(op_hits(&f->op, 0), 1);
	assert_int_equal(op_hits(&f->op, 1), 1);
}

static void forged_signature_refused(void **state)
{
	struct fx *f = *state;
	struct tkey forger = RSA_OTHER;
	char *tok, *dot;

	/* another RSA key signing under the provider's kid */
	snprintf(forger.kid, sizeof(forger.kid), "%s", f->rsa.kid);
	tok = jws(&forger, claims(f->op.base));
	refused(f, tok, &WANT, T0, JG_EAUTH, "signature does not verify");
	free(tok);
	/* a real signature over other claims: sub changed */
	tok = jws(&f->ed, claims(f->op.base));
	dot = strchr(tok, '.');
	dot[3] ^= 1;
	refused(f, tok, &WANT, T0, JG_EAUTH, "");
	free(tok);
}

static void alg_none_and_hmac_refused_before_any_key(void **state)
{
	struct fx *f = *state;
	char hdr[256], *c = claims_text(f->op.base);
	char *h, *p, *tok, *input, sigb[64], *pem = NULL;
	unsigned char mac[32];
	unsigned int maclen = 0;
	BIO *bio = BIO_new(BIO_s_mem());
	long pemlen;
	size_t n;

	/* never fetched: the alg is refused before the cache is asked */
	p = b64s(c, strlen(c));
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"kid\":\"%s\"}",
	         f->rsa.kid);
	h = b64s(hdr, strlen(hdr));
	n = strlen(h) + strlen(p) + 80;
	tok = malloc(n);
	snprintf(tok, n, "%s.%s.", h, p);
	refused(f, tok, &WANT, T0, JG_EAUTH, "not signed");
	snprintf(tok, n, "%s.%s.AAAA", h, p);
	refused(f, tok, &WANT, T0, JG_EAUTH, "alg 'none' is not accepted");
	free(h);
	/* HS256 keyed with the provider's public key (PEM), the classic
	 * confusion: refused by name */
	PEM_write_bio_PUBKEY(bio, f->rsa.pkey);
	pemlen = BIO_get_mem_data(bio, &pem);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\","
	         "\"kid\":\"%s\"}", f->rsa.kid);
	h = b64s(hdr, strlen(hdr));
	input = malloc(n);
	snprintf(input, n, "%s.%s", h, p);
	HMAC(EVP_sha256(), pem, (int)pemlen, (unsigned char *)input,
	     strlen(input), mac, &maclen);
	jg_b64url_encode(mac, maclen, sigb);
	snprintf(tok, n, "%s.%s", input, sigb);
	refused(f, tok, &WANT, T0, JG_EAUTH, "alg 'HS256' is not accepted "
	        "(only RS256, ES256, EdDSA)");
	free(h);
	free(input);
	BIO_free(bio);
	/* HS384, HS512, RS512, PS256: all refused the same way */
	const char *others[] = { "HS384", "HS512", "RS512", "PS256" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}",
		         others[i], f->rsa.kid);
		h = b64s(hdr, strlen(hdr));
		snprintf(tok, n, "%s.%s.AAAA", h, p);
		refused(f, tok, &WANT, T0, JG_EAUTH, "is not accepted");
		free(h);
	}
	assert_int_equal(op_hits(&f->op, 1), 0);
	assert_int_equal(op_hits(&f->op, 0), 0);
	free(tok);
	free(p);
	free(c);
}

static void key_of_another_type_refused(void **state)
{
	struct fx *f = *state;
	struct tkey wrong = f->ec;
	char *tok;

	/* an ES256 signature naming the RSA key's kid */
	snprintf(wrong.kid, sizeof(wrong.kid), "%s", f->rsa.kid);
	tok = jws(&wrong, claims(f->op.base));
	refused(f, tok, &WANT, T0, JG_EAUTH, "not a key for this token's alg");
	free(tok);
	/* a crit header is refused, other header members are not */
	char hdr[256], *c = claims_text(f->op.base);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"crit\":[\"exp\"],"
	         "\"kid\":\"%s\"}", f->rsa.kid);
	tok = jws_raw(&f->rsa, hdr, c);
	refused(f, tok, &WANT, T0, JG_EAUTH, "unexpected member 'crit'");
	free(tok);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"typ\":\"JWT\","
	         "\"x5t\":\"abc\",\"kid\":\"%s\"}", f->rsa.kid);
	tok = jws_raw(&f->rsa, hdr, c);
	accepted(f, tok, T0);
	free(c);
}

/* ---- claims ------------------------------------------------------------------ */

static void issuer_and_audience_checked(void **state)
{
	struct fx *f = *state;
	struct jg_ident_expect other = { "someone-else", NULL, NULL };
	struct jg_ident_expect client = { "jitgate", "jitgate", NULL };
	json_t *c = claims("https://evil.example");
	char *tok = jws(&f->rsa, c);

	refused(f, tok, &WANT, T0, JG_EAUTH, "not issued by");
	free(tok);
	tok = jws(&f->rsa, claims(f->op.base));
	refused(f, tok, &other, T0, JG_EAUTH, "not for audience 'someone-else'");
	free(tok);
	/* aud as a list holding us */
	c = claims(f->op.base);
	json_object_set_new(c, "aud", json_pack("[s,s]", "a", "jitgate"));
	tok = jws(&f->rsa, json_incref(c));
	accepted(f, tok, T0);
	/* several audiences: azp must name us when a client is expected */
	tok = jws(&f->rsa, json_incref(c));
	refused(f, tok, &client, T0, JG_EAUTH, "azp is not 'jitgate'");
	free(tok);
	json_object_set_new(c, "azp", json_string("another-client"));
	tok = jws(&f->rsa, json_incref(c));
	refused(f, tok, &client, T0, JG_EAUTH, "issued to another client");
	free(tok);
	json_object_set_new(c, "azp", json_string("jitgate"));
	tok = jws(&f->rsa, json_incref(c));
	assert_int_equal(verify_at(f, tok, &client, T0, (char[JG_WHY_MAX]){ 0 }),
	                 JG_OK);
	free(tok);
	/* no aud at all, no sub */
	json_object_del(c, "aud");
	tok = jws(&f->rsa, json_incref(c));
	refused(f, tok, &WANT, T0, JG_EAUTH, "not for audience");
	free(tok);
	json_decref(c);
	c = claims(f->op.base);
	json_object_del(c, "sub");
	tok = jws(&f->rsa, c);
	refused(f, tok, &WANT, T0, JG_EAUTH, "no subject");
	free(tok);
}

static void times_judged_with_leeway(void **state)
{
	struct fx *f = *state;
	json_t *c = claims(f->op.base);
	char *tok = jws(&f->ed, json_incref(c)), *later;

	refused(f, tok, &WANT, T0 + 300 + JG_IDENT_LEEWAY, JG_EAUTH,
	        "expired at");
	accepted(f, tok, T0 + 300 + JG_IDENT_LEEWAY - 1);
	json_object_set_new(c, "nbf", json_integer(T0 + 100));
	later = jws(&f->ed, json_incref(c));
	refused(f, later, &WANT, T0, JG_EAUTH, "not valid before");
	accepted(f, later, T0 + 100 - JG_IDENT_LEEWAY);
	json_object_set_new(c, "iat", json_integer(T0 + 1000));
	json_object_del(c, "nbf");
	later = jws(&f->ed, json_incref(c));
	refused(f, later, &WANT, T0, JG_EAUTH, "issued in the future");
	free(later);
	json_object_del(c, "exp");
	json_object_del(c, "iat");
	later = jws(&f->ed, json_incref(c));
	refused(f, later, &WANT, T0, JG_EAUTH, "no exp");
	free(later);
	json_decref(c);
}

static void nonce_checked_when_expected(void **state)
{
	struct fx *f = *state;
	struct jg_ident_expect want = { "jitgate", "jitgate", "n-0S6_WzA2Mj" };
	json_t *c = claims(f->op.base);
	char *tok = jws(&f->ec, json_incref(c));
	char why[JG_WHY_MAX];

	refused(f, tok, &want, T0, JG_EAUTH, "no nonce");
	free(tok);
	json_object_set_new(c, "nonce", json_string("n-0S6_WzA2Mk"));
	tok = jws(&f->ec, json_incref(c));
	refused(f, tok, &want, T0, JG_EAUTH, "nonce is not the one");
	free(tok);
	json_object_set_new(c, "nonce", json_string("n-0S6_WzA2Mj"));
	tok = jws(&f->ec, c);
	assert_int_equal(verify_at(f, tok, &want, T0, why), JG_OK);
	free(tok);
}

/* ---- the key cache ------------------------------------------------------------ */

static void unknown_kid_flood_costs_one_fetch(void **state)
{
	struct fx *f = *state;
	struct tkey stranger = RSA_OTHER;
	char *tok;

	accepted(f, jws(&f->rsa, claims(f->op.base)), T0);
	assert_int_equal(op_hits(&f->op, 1), 1);
	for (int i = 0; i < 200; i++) {
		snprintf(stranger.kid, sizeof(stranger.kid), "made-up-%d", i);
		tok = jws(&stranger, claims(f->op.base));
		refused(f, tok, &WANT, T0 + JG_IDENT_REFETCH + 1 + i % 3,
		        JG_EAUTH, "unknown key id");
		free(tok);
	}
	/* one fetch for the whole flood (its window opened once) */
	assert_int_equal(op_hits(&f->op, 1), 2);
	/* known keys never fetch */
	accepted(f, jws(&f->ec, claims(f->op.base)), T0 + 2 * JG_IDENT_REFETCH);
	assert_int_equal(op_hits(&f->op, 1), 2);
	assert_int_equal(op_hits(&f->op, 0), 1);
}

static void key_rotation_refetches(void **state)
{
	struct fx *f = *state;
	struct tkey next = tkey_new("ES256", "rotated-2", 0), keys[2];
	char *tok;

	accepted(f, jws(&f->rsa, claims(f->op.base)), T0);
	keys[0] = f->rsa;
	keys[1] = next;
	op_set_jwks(&f->op, jwks_text(keys, 2));
	tok = jws(&next, claims(f->op.base));
	/* within the window of the last fetch: not yet */
	refused(f, tok, &WANT, T0 + 1, JG_EAUTH, "unknown key id");
	assert_int_equal(op_hits(&f->op, 1), 1);
	/* once the window is over, the new kid is fetched and works */
	accepted(f, tok, T0 + JG_IDENT_REFETCH);
	assert_int_equal(op_hits(&f->op, 1), 2);
	/* the keys dropped at the provider are gone from the cache */
	tok = jws(&f->ed, claims(f->op.base));
	refused(f, tok, &WANT, T0 + 100, JG_EAUTH, "unknown key id");
	free(tok);
	EVP_PKEY_free(next.pkey);
}

struct racer {
	struct fx *f;
	const char *tok;
	enum jg_err e;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	char why[JG_WHY_MAX];
	json_t *c = NULL;

	r->e = jg_ident_verify(r->f->is, r->tok, &WANT, T0, &c, why);
	json_decref(c);
	return NULL;
}

/* Threads meeting an unknown kid together: one fetches, the others
 * wait for it and use what it got. */
static void threads_share_one_fetch(void **state)
{
	struct fx *f = *state;
	struct racer r[8];
	pthread_t th[8];
	char *tok = jws(&f->ed, claims(f->op.base));

	for (int i = 0; i < 8; i++) {
		r[i] = (struct racer){ f, tok, JG_EINTERNAL };
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].e, JG_OK);
	}
	assert_int_equal(op_hits(&f->op, 0), 1);
	assert_int_equal(op_hits(&f->op, 1), 1);
	free(tok);
}

static void issuer_down_keeps_cached_keys(void **state)
{
	struct fx *f = *state;
	struct tkey stranger = RSA_OTHER;
	struct jg_ident_issuer *fresh = NULL;
	struct jg_ident_issuer_cfg cfg = { f->op.base, NULL, NULL };
	char why[JG_WHY_MAX], *tok;
	json_t *c = NULL;

	accepted(f, jws(&f->rsa, claims(f->op.base)), T0);
	op_stop(&f->op);
	/* known keys keep working, long after */
	accepted(f, jws(&f->ed, claims(f->op.base)), T0 + 250);
	/* an unknown kid is refused as such: keys are cached */
	snprintf(stranger.kid, sizeof(stranger.kid), "new-at-provider");
	tok = jws(&stranger, claims(f->op.base));
	refused(f, tok, &WANT, T0 + 200, JG_EAUTH, "unknown key id");
	/* an issuer never reached: the provider is unavailable (502) */
	assert_int_equal(jg_ident_issuer_new(&cfg, &fresh, why), JG_OK);
	assert_int_equal(jg_ident_verify(fresh, tok, &WANT, T0, &c, why),
	                 JG_EIDP);
	assert_non_null(strstr(why, "cannot be"));
	assert_null(c);
	/* and it is not asked again at once */
	op_start(&f->op);
	assert_int_equal(jg_ident_verify(fresh, tok, &WANT, T0 + 1, &c, why),
	                 JG_EIDP);
	assert_int_equal(op_hits(&f->op, 0), 1); /* the first issuer's one */
	/* back after the retry window */
	free(tok);
	tok = jws(&f->rsa, claims(f->op.base));
	assert_int_equal(jg_ident_verify(fresh, tok, &WANT,
	                                 T0 + JG_IDENT_REFETCH, &c, why),
	                 JG_OK);
	json_decref(c);
	free(tok);
	jg_ident_issuer_free(fresh);
}

/* ---- discovery and the configuration ------------------------------------------ */

static void discovery_must_name_the_issuer(void **state)
{
	struct fx *f = *state;
	struct jg_ident_endpoints ep;
	char why[JG_WHY_MAX], url[128];

	assert_int_equal(jg_ident_discover(f->is, T0, &ep, why), JG_OK);
	snprintf(url, sizeof(url), "%s/jwks", f->op.base);
	assert_string_equal(ep.jwks, url);
	snprintf(url, sizeof(url), "%s/token", f->op.base);
	assert_string_equal(ep.token, url);
	assert_string_equal(ep.authorization, "");
	/* cached */
	assert_int_equal(jg_ident_discover(f->is, T0 + 1, &ep, why), JG_OK);
	assert_int_equal(op_hits(&f->op, 0), 1);
	/* a document claiming another issuer is refused */
	struct jg_ident_issuer *is = NULL;
	struct jg_ident_issuer_cfg cfg = { f->op.base, NULL, NULL };
	snprintf(f->op.iss_says, sizeof(f->op.iss_says), "https://other");
	assert_int_equal(jg_ident_issuer_new(&cfg, &is, why), JG_OK);
	assert_int_equal(jg_ident_discover(is, T0, &ep, why), JG_EIDP);
	assert_non_null(strstr(why, "names issuer 'https://other'"));
	jg_ident_issuer_free(is);
}

static void urls_must_be_https_or_loopback(void **state)
{
	struct jg_ident_issuer_cfg cfg = { 0 };
	struct jg_ident_issuer *is = NULL;
	char why[JG_WHY_MAX];
	const char *good[] = { "https://token.actions.githubusercontent.com",
	                       "http://127.0.0.1:9000", "http://localhost/x",
	                       "http://[::1]:8000" };
	const char *bad[] = { "http://example.com", "ftp://127.0.0.1/",
	                      "http://10.0.0.1", "", "not a url" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cfg.issuer = good[i];
		assert_int_equal(jg_ident_issuer_new(&cfg, &is, why), JG_OK);
		jg_ident_issuer_free(is);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.issuer = bad[i];
		assert_int_equal(jg_ident_issuer_new(&cfg, &is, why), JG_EINVAL);
		assert_null(is);
	}
	cfg.issuer = good[0];
	cfg.jwks_url = "http://keys.example.com/";
	assert_int_equal(jg_ident_issuer_new(&cfg, &is, why), JG_EINVAL);
	assert_non_null(strstr(why, "jwks_url"));
}

static void configured_jwks_url_skips_discovery(void **state)
{
	struct fx *f = *state;
	char url[128], why[JG_WHY_MAX];
	struct jg_ident_issuer_cfg cfg = { f->op.base, url, NULL };

	snprintf(url, sizeof(url), "%s/jwks", f->op.base);
	jg_ident_issuer_free(f->is);
	assert_int_equal(jg_ident_issuer_new(&cfg, &f->is, why), JG_OK);
	accepted(f, jws(&f->rsa, claims(f->op.base)), T0);
	assert_int_equal(op_hits(&f->op, 0), 0);
	assert_int_equal(op_hits(&f->op, 1), 1);
}

static void odd_keys_skipped_small_rsa_refused(void **state)
{
	struct fx *f = *state;
	struct tkey small = tkey_new("RS256", "small", 1024);
	json_t *doc = json_pack("{s:[o,o,{s:s,s:s},o]}", "keys",
	                        tkey_jwk(&small),
	                        json_pack("{s:s,s:s,s:s}", "kty", "RSA", "kid",
	                                  "enc", "use", "enc"),
	                        "kty", "oct", "kid", "hmac",
	                        tkey_jwk(&f->ed));
	char *tok;

	op_set_jwks(&f->op, json_dumps(doc, JSON_COMPACT));
	json_decref(doc);
	accepted(f, jws(&f->ed, claims(f->op.base)), T0);
	tok = jws(&small, claims(f->op.base));
	refused(f, tok, &WANT, T0, JG_EAUTH, "unknown key id 'small'");
	free(tok);
	EVP_PKEY_free(small.pkey);
}

/* ---- jg_ident_http ---------------------------------------------------------- */

static void http_is_bounded_and_never_redirected(void **state)
{
	struct fx *f = *state;
	char url[128], why[JG_WHY_MAX];
	json_t *out = NULL;
	long status = 0;

	snprintf(url, sizeof(url), "%s/token", f->op.base);
	assert_int_equal(jg_ident_http(f->is, url, "grant_type=x&code=y",
	                               "client", "s3cret", &status, &out, why),
	                 JG_OK);
	assert_int_equal(status, 400); /* an OAuth error is JSON too */
	assert_string_equal(json_string_value(json_object_get(out, "error")),
	                    "invalid_grant");
	json_decref(out);
	assert_string_equal(f->op.last_form, "grant_type=x&code=y");
	assert_string_equal(f->op.last_auth, "Basic Y2xpZW50OnMzY3JldA==");
	snprintf(url, sizeof(url), "%s/big", f->op.base);
	assert_int_equal(jg_ident_http(f->is, url, NULL, NULL, NULL, &status,
	                               &out, why), JG_EIDP);
	assert_non_null(strstr(why, "larger than"));
	assert_null(out);
	snprintf(url, sizeof(url), "%s/moved", f->op.base);
	assert_int_equal(jg_ident_http(f->is, url, NULL, NULL, NULL, &status,
	                               &out, why), JG_OK);
	assert_int_equal(status, 302); /* not followed */
	json_decref(out);
	assert_int_equal(op_hits(&f->op, 1), 0);
	assert_int_equal(jg_ident_http(f->is, "http://example.com/x", NULL,
	                               NULL, NULL, &status, &out, why),
	                 JG_EIDP);
	assert_non_null(strstr(why, "must be https"));
}

#define F(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        F(rs256_es256_and_eddsa_verify),
	        F(forged_signature_refused),
	        F(alg_none_and_hmac_refused_before_any_key),
	        F(key_of_another_type_refused),
	        F(issuer_and_audience_checked),
	        F(times_judged_with_leeway),
	        F(nonce_checked_when_expected),
	        F(unknown_kid_flood_costs_one_fetch),
	        F(key_rotation_refetches),
	        F(threads_share_one_fetch),
	        F(issuer_down_keeps_cached_keys),
	        F(discovery_must_name_the_issuer),
	        cmocka_unit_test(urls_must_be_https_or_loopback),
	        F(configured_jwks_url_skips_discovery),
	        F(odd_keys_skipped_small_rsa_refused),
	        F(http_is_bounded_and_never_redirected),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	RSA_K = tkey_new("RS256", "rsa-1", 2048);
	RSA_OTHER = tkey_new("RS256", "rsa-other", 2048);
	EC_K = tkey_new("ES256", "ec-1", 0);
	ED_K = tkey_new("EdDSA", "ed-1", 0);
	rc = cmocka_run_group_tests_name("ident", tests, NULL, NULL);
	EVP_PKEY_free(RSA_K.pkey);
	EVP_PKEY_free(RSA_OTHER.pkey);
	EVP_PKEY_free(EC_K.pkey);
	EVP_PKEY_free(ED_K.pkey);
	curl_global_cleanup();
	return rc;
}
