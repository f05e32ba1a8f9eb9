/*
 * signin_pending.c - sign-ins on their way through the identity provider:
 * between the redirect to the provider and its redirect back, the state,
 * nonce, PKCE verifier and where to go after are kept here, in this
 * server's memory, for JG_LOGIN_TTL seconds and used once.
 *
 * A pending sign-in is bound to the browser that started it by a cookie
 * set on the redirect (only its SHA-256 is kept): a state stolen from a
 * URL cannot be finished from another browser. A state is burnt on its
 * first use, right or wrong, so a replay finds nothing. One address may
 * have JG_LOGINS_PER_PEER in progress, so nobody fills the table alone.
 *
 * Kept in memory, not in the store: with several servers behind one
 * address, the balancer must send a browser back to the server it
 * started on (docs/identity.md).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "gate/internal.h"
#include "util/b64url.h"

struct login {
	char state[JG_SHA256_HEX]; /* SHA-256 of the state; "" free */
	char peer[64];             /* the address that started it */
	char bind[JG_SHA256_HEX];  /* SHA-256 of the binding cookie */
	struct jg_signin_start v;  /* state and bind left empty */
	int64_t expires_at;
};

struct jg_logins {
	pthread_mutex_t mu;
	struct login slot[JG_LOGINS_MAX];
};

enum jg_err jg_logins_new(struct jg_logins **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return JG_ENOMEM;
	pthread_mutex_init(&(*out)->mu, NULL);
	return JG_OK;
}

void jg_logins_free(struct jg_logins *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	OPENSSL_cleanse(l, sizeof(*l));
	free(l);
}

/* A random value without the token's "jg_" prefix: base64url, 43. */
static enum jg_err random_value(char out[JG_TOKEN_LEN])
{
	char t[JG_TOKEN_LEN];
	enum jg_err e = jg_random_token(t);

	if (e == JG_OK)
		snprintf(out, JG_TOKEN_LEN, "%s", t + 3);
	OPENSSL_cleanse(t, sizeof(t));
	return e;
}

static void challenge_of(const char *verifier, char out[JG_TOKEN_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	jg_b64url_encode(md, sizeof(md), out);
}

enum jg_err jg_gate_signin_begin(struct jg_gate *g, const char *next,
                                 const char *peer, int64_t now,
                                 struct jg_signin_start *out)
{
	struct jg_logins *l = g->logins;
	struct login *free_slot = NULL;
	size_t mine = 0;
	enum jg_err e;

	memset(out, 0, sizeof(*out));
	if ((e = random_value(out->state)) != JG_OK ||
	    (e = random_value(out->nonce)) != JG_OK ||
	    (e = random_value(out->verifier)) != JG_OK ||
	    (e = random_value(out->bind)) != JG_OK)
		return e;
	challenge_of(out->verifier, out->challenge);
	snprintf(out->next, sizeof(out->next), "%s", next ? next : "/");
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < JG_LOGINS_MAX; i++) {
		struct login *s = &l->slot[i];
		int live = s->state[0] && s->expires_at > now;

		if (!live && !free_slot)
			free_slot = s;
		else if (live && strcmp(s->peer, peer ? peer : "") == 0)
			mine++;
	}
	if (mine >= JG_LOGINS_PER_PEER)
		free_slot = NULL;
	if (free_slot) {
		snprintf(free_slot->peer, sizeof(free_slot->peer), "%s",
		         peer ? peer : "");
		jg_sha256_hex(out->state, strlen(out->state), free_slot->state);
		jg_sha256_hex(out->bind, strlen(out->bind), free_slot->bind);
		free_slot->v = *out;
		free_slot->v.state[0] = free_slot->v.bind[0] = '\0';
		free_slot->expires_at = now + JG_LOGIN_TTL;
	}
	pthread_mutex_unlock(&l->mu);
	return free_slot ? JG_OK : JG_EBUSY;
}

enum jg_err jg_gate_signin_take(struct jg_gate *g, const char *state,
                                const char *bind, int64_t now,
                                struct jg_signin_start *out,
                                char why[JG_WHY_MAX])
{
	struct jg_logins *l = g->logins;
	char sd[JG_SHA256_HEX], bd[JG_SHA256_HEX];
	struct login *hit = NULL;
	enum jg_err e = JG_OK;

	if (!state || !*state || strlen(state) >= JG_TOKEN_LEN)
		return jg_gate_why(JG_EAUTH, why, "the provider's answer has "
		                   "no "
		                   "usable state");
	jg_sha256_hex(state, strlen(state), sd);
	jg_sha256_hex(bind ? bind : "", bind ? strlen(bind) : 0, bd);
	pthread_mutex_lock(&l->mu);
	for (size_t i = 0; i < JG_LOGINS_MAX && !hit; i++)
		if (strcmp(l->slot[i].state, sd) == 0)
			hit = &l->slot[i];
	if (!hit)
		e = jg_gate_why(JG_EAUTH, why, "this sign-in is unknown or was "
		                "already used (start again)");
	else if (hit->expires_at <= now)
		e = jg_gate_why(JG_EAUTH, why, "this sign-in took longer than "
		                "%d minutes (start again)", JG_LOGIN_TTL / 60);
	else if (!bind || !jg_secure_equal(hit->bind, bd))
		e = jg_gate_why(JG_EAUTH, why, "this sign-in was started in "
		                "another browser");
	if (hit) {
		if (e == JG_OK)
			*out = hit->v;
		/* used once, right or wrong */
		OPENSSL_cleanse(hit, sizeof(*hit));
	}
	pthread_mutex_unlock(&l->mu);
	return e;
}
