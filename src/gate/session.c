/*
 * session.c - dashboard sessions.
 *
 * A session is opened with a bearer token and lives JG_SESSION_TTL at
 * most; it dies with its token (revoking the token ends every session
 * opened with it). Only the cookie's SHA-256 is stored. Every write made
 * with a session must carry its CSRF token (checked by the HTTP layer),
 * so another site cannot act with the cookie even if a browser sends it.
 *
 * A person who signed in at the identity provider (signin.c) gets a
 * session with no token behind it: the session holds who they are, as
 * the provider said at sign-in, and lives identity.signin.session_ttl.
 * A browser's is a cookie; a CLI's (`jitgate login`) is a bearer secret
 * starting "jgs_", which is never accepted as a cookie, nor a cookie as
 * a bearer.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gate/internal.h"

enum jg_err jg_gate_session_open(struct jg_gate *g, const char *token,
                                 int64_t now, char cookie[JG_TOKEN_LEN],
                                 char csrf[JG_SHA256_HEX],
                                 struct jg_principal *who)
{
	struct jg_session s = {.created_at = now,
	                       .expires_at = now + JG_SESSION_TTL};
	char rnd[JG_TOKEN_LEN];
	struct jg_token t;
	/* before the transaction: it may take the gate's hold */
	int64_t dormancy = jg_gate_token_dormancy(g);
	enum jg_err e;

	if ((e = jg_random_token(cookie)) != JG_OK ||
	    (e = jg_random_token(rnd)) != JG_OK)
		return e;
	jg_sha256_hex(cookie, strlen(cookie), s.digest);
	jg_sha256_hex(rnd, strlen(rnd), s.csrf);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	/* opening a session is a use of the token, a dormant one's too */
	if ((e = jg_gate_token_of(g, token, now, &t)) == JG_OK &&
	    (e = jg_gate_token_used(g, &t, now, dormancy)) == JG_OK) {
		memcpy(s.token_id, t.id, sizeof(s.token_id));
		e = g->st->ops->session_insert(g->st, &s);
	}
	if (e == JG_OK)
		e = jg_gate_audit(g, now, t.who.name, "session.opened", t.id,
		                  json_pack("{s:s}", "principal", t.who.name));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK) {
		OPENSSL_cleanse(cookie, JG_TOKEN_LEN);
		return jg_gate_abort(g, e);
	}
	memcpy(csrf, s.csrf, JG_SHA256_HEX);
	*who = t.who;
	return JG_OK;
}

enum jg_err jg_gate_session_auth(struct jg_gate *g, const char *cookie,
                                 int64_t now, struct jg_principal *who,
                                 char csrf[JG_SHA256_HEX])
{
	char digest[JG_SHA256_HEX];
	struct jg_session s;
	struct jg_token t;
	enum jg_err e;

	if (!cookie || strncmp(cookie, "jg_", 3) != 0 ||
	    strlen(cookie) >= JG_TOKEN_LEN)
		return JG_EAUTH;
	jg_sha256_hex(cookie, strlen(cookie), digest);
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->session_get(g->st, digest, &s);
	if (e == JG_OK && s.token_id[0])
		e = g->st->ops->token_get(g->st, s.token_id, &t);
	g->st->ops->rollback(g->st);
	if (e == JG_ENOTFOUND ||
	    (e == JG_OK && (s.cli || now >= s.expires_at ||
	                    (s.token_id[0] && !jg_token_usable(&t, now)))))
		return JG_EAUTH;
	if (e != JG_OK)
		return e;
	*who = s.token_id[0] ? t.who : s.who;
	memcpy(csrf, s.csrf, JG_SHA256_HEX);
	return JG_OK;
}

enum jg_err jg_gate_session_bearer(struct jg_gate *g, const char *bearer,
                                   int64_t now, struct jg_principal *out)
{
	char digest[JG_SHA256_HEX];
	struct jg_session s;
	enum jg_err e;

	if (strlen(bearer) >= JG_TOKEN_LEN)
		return JG_EAUTH;
	jg_sha256_hex(bearer, strlen(bearer), digest);
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->session_get(g->st, digest, &s);
	g->st->ops->rollback(g->st);
	if (e == JG_ENOTFOUND ||
	    (e == JG_OK && (!s.cli || now >= s.expires_at)))
		return JG_EAUTH;
	if (e != JG_OK)
		return e;
	*out = s.who;
	return JG_OK;
}

/* A new secret for a person's session: a cookie "jg_…", or for the CLI
 * "jgs_…" (the same 256 random bits). */
static enum jg_err person_secret(int cli, char out[JG_TOKEN_LEN])
{
	char t[JG_TOKEN_LEN];
	enum jg_err e;

	if (!cli)
		return jg_random_token(out);
	if ((e = jg_random_token(t)) == JG_OK) {
		size_t n = strnlen(t + 3, JG_TOKEN_LEN - 5);

		memcpy(out, "jgs_", 4);
		memcpy(out + 4, t + 3, n);
		out[4 + n] = '\0';
	}
	OPENSSL_cleanse(t, sizeof(t));
	return e;
}

enum jg_err jg_gate_session_open_person(struct jg_gate *g,
                                        struct jg_session *s, int64_t ttl,
                                        int64_t now,
                                        char secret[JG_TOKEN_LEN],
                                        char csrf[JG_SHA256_HEX])
{
	char rnd[JG_TOKEN_LEN];
	enum jg_err e;

	s->token_id[0] = '\0';
	s->created_at = now;
	s->expires_at = now + ttl;
	if ((e = person_secret(s->cli, secret)) != JG_OK ||
	    (e = jg_random_token(rnd)) != JG_OK)
		return e;
	jg_sha256_hex(secret, strlen(secret), s->digest);
	jg_sha256_hex(rnd, strlen(rnd), s->csrf);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		goto fail;
	e = g->st->ops->session_insert(g->st, s);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, s->who.name, "session.opened", "",
		                  json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}",
		                            "principal", s->who.name, "provider",
		                            s->issuer, "subject", s->subject,
		                            "via", "oidc", "kind",
		                            s->cli ? "cli" : "browser", "mfa",
		                            s->who.mfa));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK) {
		jg_gate_abort(g, e);
		goto fail;
	}
	memcpy(csrf, s->csrf, JG_SHA256_HEX);
	return JG_OK;
fail:
	OPENSSL_cleanse(secret, JG_TOKEN_LEN);
	return e;
}

enum jg_err jg_gate_session_close(struct jg_gate *g, const char *cookie,
                                  const struct jg_principal *who,
                                  int64_t now)
{
	char digest[JG_SHA256_HEX];
	enum jg_err e;

	jg_sha256_hex(cookie, strlen(cookie), digest);
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = g->st->ops->session_delete(g->st, digest, now);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name, "session.closed", "",
		                  NULL);
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}

enum jg_err jg_gate_sessions_end(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const char *principal, int64_t now,
                                 long *n, char why[JG_WHY_MAX])
{
	enum jg_err e;

	*n = 0;
	if (!jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "only admins may end "
		                   "another person's sessions");
	if (!principal || !jg_name_valid(principal, 1))
		return jg_gate_why(JG_EINVAL, why, "principal must be a name of "
		                   "1-63 characters of A-Z a-z 0-9 . _ - @");
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = g->st->ops->session_delete_principal(g->st, principal, n);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name, "session.ended", "",
		                  json_pack("{s:s,s:I}", "principal", principal,
		                            "sessions", (json_int_t)*n));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK) {
		*n = 0;
		return jg_gate_abort(g, e);
	}
	return JG_OK;
}
