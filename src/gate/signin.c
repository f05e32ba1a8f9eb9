/*
 * signin.c - people sign in with the company's OpenID Provider
 * (identity.signin): jitgate is the provider's client (the authorization
 * code flow with PKCE for browsers, the device flow for `jitgate login`);
 * a verified ID token becomes a session holding the person, with the
 * groups and roles the provider gave (signin_claims.c).
 *
 * The client secret is read from the file the policy names, by the server
 * at start (before it drops privileges) and again at every reload; it is
 * kept here, never logged, never returned by the API, never in an audit
 * event. Every refusal is audited as signin.refused with its reason (no
 * token, no secret in it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gate/internal.h"

#define SIGNIN_FORM_MAX 8192 /* the userinfo form: an access token */

struct jg_signin_state {
	pthread_mutex_t mu;
	char secret[JG_CLAIM_MAX]; /* under mu */
};

enum jg_err jg_gate_signin_init(struct jg_gate *g)
{
	if (!(g->signin = calloc(1, sizeof(*g->signin))))
		return JG_ENOMEM;
	pthread_mutex_init(&g->signin->mu, NULL);
	return jg_logins_new(&g->logins);
}

void jg_gate_signin_free(struct jg_gate *g)
{
	struct jg_signin_state *s = g->signin;

	jg_logins_free(g->logins);
	if (!s)
		return;
	pthread_mutex_destroy(&s->mu);
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	free(s);
}

void jg_gate_signin_set_secret(struct jg_gate *g, const char *secret)
{
	pthread_mutex_lock(&g->signin->mu);
	snprintf(g->signin->secret, sizeof(g->signin->secret), "%s",
	         secret ? secret : "");
	pthread_mutex_unlock(&g->signin->mu);
}

enum jg_err jg_gate_signin_secret_read(const struct jg_policy *p,
                                       char secret[JG_CLAIM_MAX],
                                       char err[JG_WHY_MAX])
{
	const char *path = p->identity.signin.client_secret_file;
	FILE *f;
	size_t n;

	secret[0] = '\0';
	if (!p->identity.signin.enabled || !path)
		return JG_OK;
	if (!(f = fopen(path, "r")))
		return jg_gate_why(JG_EINVAL, err, "cannot read the sign-in "
		                   "client secret file %s: %s", path,
		                   strerror(errno));
	n = fread(secret, 1, JG_CLAIM_MAX - 1, f);
	fclose(f);
	secret[n] = '\0';
	while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r' ||
	                 secret[n - 1] == ' '))
		secret[--n] = '\0';
	if (n == 0 || n >= JG_CLAIM_MAX - 1 || strlen(secret) != n) {
		OPENSSL_cleanse(secret, JG_CLAIM_MAX);
		return jg_gate_why(JG_EINVAL, err, "the sign-in client secret "
		                   "file %s must hold one line of 1 to %d "
		                   "characters", path, JG_CLAIM_MAX - 3);
	}
	return JG_OK;
}

/* The issuer object of the policy's provider, from the gate's registry
 * (issuers.c): kept across reloads with its cached discovery and keys. */
static enum jg_err issuer_of(struct jg_gate *g, const struct jg_signin *si,
                             struct jg_ident_issuer **out,
                             char why[JG_WHY_MAX])
{
	struct jg_ident_issuer_cfg cfg = {.issuer = si->issuer,
	                                  .ca_file = si->ca_file};
	enum jg_err e = jg_gate_issuer(g, &cfg, out, why);

	return e == JG_EBUSY || e == JG_EINVAL ? JG_EIDP : e;
}

enum jg_err jg_gate_signin_client(struct jg_gate *g, int64_t now,
                                  struct jg_signin_client *out,
                                  char why[JG_WHY_MAX])
{
	const struct jg_signin *si = &g->policy->identity.signin;
	size_t len = 0;
	enum jg_err e;

	memset(out, 0, sizeof(*out));
	if (!si->enabled)
		return jg_gate_why(JG_ENOTFOUND, why, "sign-in through an "
		                   "identity provider is not set up "
		                   "(identity.signin)");
	if ((e = issuer_of(g, si, &out->issuer, why)) != JG_OK ||
	    (e = jg_ident_discover(out->issuer, now, &out->ep, why)) != JG_OK)
		return e;
	snprintf(out->client_id, sizeof(out->client_id), "%s", si->client_id);
	snprintf(out->redirect_url, sizeof(out->redirect_url), "%s",
	         si->redirect_url);
	for (size_t i = 0; i < si->nscopes; i++)
		len += (size_t)snprintf(out->scopes + len,
		                        sizeof(out->scopes) - len, "%s%s",
		                        i ? " " : "", si->scopes[i]);
	pthread_mutex_lock(&g->signin->mu);
	memcpy(out->secret, g->signin->secret, sizeof(out->secret));
	pthread_mutex_unlock(&g->signin->mu);
	return JG_OK;
}

void jg_gate_signin_config(struct jg_gate *g, struct jg_signin_config *out)
{
	const struct jg_signin *si = &g->policy->identity.signin;

	memset(out, 0, sizeof(*out));
	out->provider = si->enabled;
	out->token = !si->enabled || si->token_signin;
	if (si->enabled)
		snprintf(out->issuer, sizeof(out->issuer), "%s", si->issuer);
	out->session_ttl = si->session_ttl;
}

/* Audit a refused sign-in, in its own transaction; passes e through. */
static enum jg_err refused(struct jg_gate *g, int64_t now, const char *who,
                           const char *why, enum jg_err e)
{
	const struct jg_signin *si = &g->policy->identity.signin;

	if (g->st->ops->begin(g->st, 1) != JG_OK)
		return e;
	if (jg_gate_audit(g, now, who && *who ? who : JG_ACTOR_SYSTEM,
	                  "signin.refused", "",
	                  json_pack("{s:s,s:s?}", "reason", why, "provider",
	                            si->issuer)) != JG_OK ||
	    jg_gate_commit(g) != JG_OK)
		g->st->ops->rollback(g->st);
	return e;
}

enum jg_err jg_gate_signin_refused(struct jg_gate *g, int64_t now,
                                   const char *why)
{
	return refused(g, now, NULL, why, JG_EAUTH);
}

/* Groups from the userinfo endpoint, when the ID token had none and the
 * policy asks (identity.signin.userinfo). */
static enum jg_err userinfo_groups(struct jg_gate *g,
                                   const struct jg_signin_client *c,
                                   const char *access_token,
                                   struct jg_session *s, char why[JG_WHY_MAX])
{
	const struct jg_policy *p = g->policy;
	const char *claim = p->identity.signin.groups_claim;
	char form[SIGNIN_FORM_MAX];
	long status = 0;
	json_t *info = NULL;
	enum jg_err e;

	if (!access_token || !*access_token || !c->ep.userinfo[0])
		return JG_OK;
	if (strlen(access_token) + 14 >= sizeof(form))
		return jg_gate_why(JG_EAUTH, why, "the access token is too "
		                   "long");
	/* RFC 6750 2.2: the token in the form body, not in a URL */
	snprintf(form, sizeof(form), "access_token=%s", access_token);
	e = jg_ident_http(c->issuer, c->ep.userinfo, form, NULL, NULL, &status,
	                  &info, why);
	OPENSSL_cleanse(form, sizeof(form));
	if (e == JG_OK && status != 200)
		e = jg_gate_why(JG_EAUTH, why, "the userinfo endpoint answered "
		                "%ld", status);
	if (e == JG_OK &&
	    !jg_secure_equal(json_string_value(json_object_get(info, "sub"))
	                             ? json_string_value(
	                                       json_object_get(info, "sub"))
	                             : "",
	                     s->subject))
		e = jg_gate_why(JG_EAUTH, why, "the userinfo answer is about "
		                "another subject");
	if (e == JG_OK)
		e = jg_gate_signin_groups(p, json_object_get(info, claim),
		                          &s->who, why);
	json_decref(info);
	return e;
}

enum jg_err jg_gate_signin_finish(struct jg_gate *g, const char *id_token,
                                  const char *access_token,
                                  const char *nonce,
                                  enum jg_session_kind kind, int64_t now,
                                  char secret[JG_TOKEN_LEN],
                                  char csrf[JG_SHA256_HEX],
                                  struct jg_principal *who,
                                  char why[JG_WHY_MAX])
{
	const struct jg_signin *si = &g->policy->identity.signin;
	struct jg_signin_client c;
	struct jg_ident_expect want = {0};
	struct jg_session s;
	json_t *claims = NULL;
	enum jg_err e;

	secret[0] = '\0';
	if ((e = jg_gate_signin_client(g, now, &c, why)) != JG_OK)
		return e == JG_EIDP ? refused(g, now, NULL, why, e) : e;
	OPENSSL_cleanse(c.secret, sizeof(c.secret));
	want.audience = c.client_id;
	want.azp = c.client_id;
	want.nonce = nonce;
	e = jg_ident_verify(c.issuer, id_token ? id_token : "", &want, now,
	                    &claims, why);
	memset(&s, 0, sizeof(s));
	if (e == JG_OK)
		e = jg_gate_signin_person(g->policy, claims, &s, why);
	if (e == JG_OK && si->userinfo &&
	    !json_object_get(claims, si->groups_claim))
		e = userinfo_groups(g, &c, access_token, &s, why);
	json_decref(claims);
	if (e == JG_ENOMEM)
		return e;
	if (e != JG_OK)
		return refused(g, now, s.who.name, why, e);
	s.cli = kind == JG_SESSION_CLI;
	e = jg_gate_session_open_person(g, &s, si->session_ttl, now, secret,
	                                csrf);
	if (e == JG_OK)
		*who = s.who;
	return e;
}
