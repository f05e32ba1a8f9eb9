/*
 * ident/internal.h - what the files of ident/ share: the issuer object
 * and the rule for which URLs may be fetched. Nothing outside ident/
 * includes this.
 */
#ifndef JG_IDENT_INTERNAL_H
#define JG_IDENT_INTERNAL_H

#include <limits.h>
#include <pthread.h>

#include "ident/ident.h"
#include "sign/jwt.h"

/* After a failed fetch with nothing cached, seconds before the next try:
 * shorter than JG_IDENT_REFETCH so a provider back from an outage is
 * noticed soon, still one fetch per window however many tokens arrive. */
#define JG_IDENT_RETRY 5

struct jg_ident_issuer {
	char issuer[JG_URL_MAX];
	char jwks_url[JG_URL_MAX]; /* configured; "" = from discovery */
	char ca_file[PATH_MAX];    /* "" = the system's CAs */

	/* Everything below is under mu. A fetch runs with mu released
	 * and busy set; other threads needing the same document wait on
	 * done rather than fetch it again. */
	pthread_mutex_t mu;
	pthread_cond_t done;
	int disc_busy, keys_busy;
	int discovered;
	struct jg_ident_endpoints ep;
	int64_t disc_failed_at;    /* last failed discovery; 0: none */
	char disc_why[JG_WHY_MAX]; /* why it failed */
	struct jg_jwks *keys;      /* owned; NULL until fetched */
	int64_t keys_at;           /* last key fetch attempt; 0: never */
	char keys_why[JG_WHY_MAX]; /* why the last fetch failed; "" if not */
};

/* 0 when url may be fetched: https, or http to a loopback host; else
 * -1 with why. */
int jg_ident_url_ok(const char *url, char why[JG_WHY_MAX]);

/* The claims checks after the signature: iss, aud, azp, nonce, sub and
 * times. JG_EAUTH with why when refused. */
enum jg_err jg_ident_check_claims(const struct jg_ident_issuer *is,
                                  const json_t *claims,
                                  const struct jg_ident_expect *want,
                                  int64_t now, char why[JG_WHY_MAX]);

#endif
