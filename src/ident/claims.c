/*
 * ident/claims.c - what a token from an issuer must say once its
 * signature holds: who issued it (iss), for whom (aud, azp), for which
 * sign-in (nonce), about whom (sub), and when (exp, nbf, iat).
 *
 * Each refusal is one sentence naming the claim; it quotes the expected
 * values from the configuration, never the token.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ident/internal.h"

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* 1 when aud (a string or a list of strings) holds want. */
static int aud_holds(const json_t *aud, const char *want)
{
	size_t i;
	json_t *v;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	json_array_foreach(aud, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return 1;
	}
	return 0;
}

static enum jg_err refuse(char why[JG_WHY_MAX], const char *what)
{
	snprintf(why, JG_WHY_MAX, "%s", what);
	return JG_EAUTH;
}

/* azp (OpenID Connect Core 3.1.3.7): when the token is for several
 * audiences, it must name us as the party it was issued to. */
static enum jg_err check_azp(const json_t *c, const char *azp,
                             char why[JG_WHY_MAX])
{
	const json_t *aud = json_object_get(c, "aud");
	const char *got = str_of(c, "azp");

	if (!azp || (!json_object_get(c, "azp") && json_array_size(aud) < 2))
		return JG_OK;
	if (!got || strcmp(got, azp) != 0) {
		snprintf(why, JG_WHY_MAX, "the token's azp is not '%.200s': it "
		         "was issued to another client", azp);
		return JG_EAUTH;
	}
	return JG_OK;
}

static enum jg_err check_nonce(const json_t *c, const char *nonce,
                               char why[JG_WHY_MAX])
{
	const char *got = str_of(c, "nonce");

	if (!nonce)
		return JG_OK;
	if (!got)
		return refuse(why, "the token has no nonce");
	/* the nonce ties the token to one sign-in: compared in constant
	 * time since it is the browser's secret */
	if (strlen(got) != strlen(nonce) ||
	    CRYPTO_memcmp(got, nonce, strlen(nonce)) != 0)
		return refuse(why, "the token's nonce is not the one of this "
		              "sign-in");
	return JG_OK;
}

enum jg_err jg_ident_check_claims(const struct jg_ident_issuer *is,
                                  const json_t *claims,
                                  const struct jg_ident_expect *want,
                                  int64_t now, char why[JG_WHY_MAX])
{
	const char *iss = str_of(claims, "iss"), *sub = str_of(claims, "sub");
	char w[JG_WHY_MAX];
	enum jg_err e;

	if (jg_jwt_times(claims, now, JG_IDENT_LEEWAY, w) != JG_OK)
		return refuse(why, w);
	if (!iss || strcmp(iss, is->issuer) != 0) {
		snprintf(why, JG_WHY_MAX, "the token was not issued by "
		         "'%.200s' (iss)", is->issuer);
		return JG_EAUTH;
	}
	if (!want->audience || !*want->audience)
		return refuse(why, "no audience is configured for this issuer");
	if (!aud_holds(json_object_get(claims, "aud"), want->audience)) {
		snprintf(why, JG_WHY_MAX, "the token is not for audience "
		         "'%.200s' (aud)", want->audience);
		return JG_EAUTH;
	}
	if ((e = check_azp(claims, want->azp, why)) != JG_OK ||
	    (e = check_nonce(claims, want->nonce, why)) != JG_OK)
		return e;
	if (!sub || !*sub)
		return refuse(why, "the token has no subject (sub)");
	return JG_OK;
}
