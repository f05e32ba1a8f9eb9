/*
 * token.c - signed grant tokens: issue one to a grant's holder, answer
 * /v1/check for one, rotate the signing key, publish the public keys.
 *
 * A grant token is a statement signed by this server: "sub holds grant
 * grant_id for action on resource (payload_sha256) until exp". It lives
 * at most JG_TOKEN_TTL_MAX seconds and never past its grant, so an
 * enforcement point that checks it offline trusts a revoked grant for
 * five minutes at most; one that asks /v1/check with the token learns of
 * the revocation at once, because the grant itself is looked up.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"
#include "sign/keys.h"
#include "util/timefmt.h"

#define TOKEN_ISSUER "jitgate"

_Static_assert(JG_KID_LEN == 48, "gate.h spells key ids as char[48]");

void jg_gate_set_keys(struct jg_gate *g, struct jg_keys *keys)
{
	g->keys = keys;
}

char *jg_gate_jwks(struct jg_gate *g, int64_t now)
{
	json_t *doc = g->keys ? jg_keys_jwks(g->keys, now) : NULL;
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	return text;
}

static enum jg_err no_keys(char why[JG_WHY_MAX])
{
	return jg_gate_why(JG_EINTERNAL, why, "this server has no signing key "
	                   "(see jitgate serve --keys-dir)");
}

/* ---- issuing ----------------------------------------------------------- */

/* Inside a transaction: may who see gr (as in grant.c)? */
static int sees_grant(struct jg_gate *g, const struct jg_principal *who,
                      const struct jg_grant *gr)
{
	struct jg_request r;
	int ok;

	if (jg_gate_sees_all(who) || strcmp(who->name, gr->principal) == 0)
		return 1;
	if (g->st->ops->request_get(g->st, gr->request_id, &r) != JG_OK)
		return 0;
	ok = jg_gate_reviews(g, who, &r);
	jg_request_clear(&r);
	return ok;
}

enum jg_err jg_gate_held_grant(struct jg_gate *g,
                               const struct jg_principal *who, const char *id,
                               int64_t now, const char *what,
                               struct jg_grant *gr, char why[JG_WHY_MAX])
{
	enum jg_err e = g->st->ops->grant_get(g->st, id, gr);

	if (e == JG_OK && !sees_grant(g, who, gr))
		e = JG_ENOTFOUND;
	if (e == JG_ENOTFOUND)
		return jg_gate_why(e, why, "grant %s not found", id);
	if (e != JG_OK)
		return e;
	if (strcmp(who->name, gr->principal) != 0)
		return jg_gate_why(JG_EFORBIDDEN, why, "only the holder of grant "
		                   "%s may %s", id, what);
	if (!jg_grant_open(gr, now))
		return jg_gate_why(JG_ECONFLICT, why, "grant %s %s", id,
		                   jg_gate_dead_because(gr, now));
	return JG_OK;
}

/* nbf: the grant's start when it lies ahead (scheduled access), so an
 * offline verifier refuses the token before then too. */
static json_t *claims_of(const struct jg_grant *gr, const char *aud,
                         int64_t now, int64_t exp)
{
	int64_t nbf = gr->not_before > now ? gr->not_before : now;
	json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I}", "iss",
	                      TOKEN_ISSUER, "sub", gr->principal, "jti", gr->id,
	                      "grant_id", gr->id, "resource", gr->resource,
	                      "action", gr->action, "iat", (json_int_t)now,
	                      "nbf", (json_int_t)nbf, "exp", (json_int_t)exp);

	if (c && aud && json_object_set_new(c, "aud", json_string(aud))) {
		json_decref(c);
		return NULL;
	}
	if (c && gr->payload_sha256[0] &&
	    json_object_set_new(c, "payload_sha256",
	                        json_string(gr->payload_sha256))) {
		json_decref(c);
		return NULL;
	}
	/* a one-time grant says so: no offline verifier can spend its use */
	if (c && gr->uses_left > 0 &&
	    json_object_set_new(c, "uses_left", json_integer(gr->uses_left))) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* Inside the write transaction: check, sign and audit. */
static enum jg_err token_tx(struct jg_gate *g, const struct jg_principal *who,
                            const char *id, const char *aud, int64_t now,
                            char **token, int64_t *exp, char why[JG_WHY_MAX])
{
	struct jg_grant gr;
	char kid[JG_KID_LEN], at[JG_TIME_LEN], later[JG_WHY_MAX];
	json_t *claims;
	enum jg_err e = jg_gate_held_grant(g, who, id, now, "fetch its token",
	                                   &gr, why);

	if (e != JG_OK)
		return e;
	*exp = gr.expires_at < now + JG_TOKEN_TTL_MAX ? gr.expires_at
	                                              : now + JG_TOKEN_TTL_MAX;
	/* a token never outlives now + JG_TOKEN_TTL_MAX (revocation reaches
	 * offline verifiers by then): before a start further ahead than
	 * that, it would be valid for no second at all */
	if (*exp <= gr.not_before) {
		jg_gate_not_started(&gr, now, later, sizeof(later));
		return jg_gate_why(JG_ECONFLICT, why, "%s: its token can be "
		                   "fetched from %d seconds before then", later,
		                   JG_TOKEN_TTL_MAX);
	}
	if (!(claims = claims_of(&gr, aud, now, *exp)))
		return JG_ENOMEM;
	e = jg_keys_sign(g->keys, claims, token, kid);
	json_decref(claims);
	if (e != JG_OK)
		return e;
	jg_time_format(*exp, at);
	e = jg_gate_audit(g, now, who->name, "grant.token_issued", id,
	                  json_pack("{s:s,s:s,s:s?,s:s?}", "kid", kid,
	                            "expires_at", at, "aud", aud, "source",
	                            who->source[0] ? who->source : NULL));
	if (e != JG_OK) {
		free(*token);
		*token = NULL;
	}
	return e;
}

enum jg_err jg_gate_grant_token(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *id, const char *aud, int64_t now,
                                char **token, int64_t *exp,
                                char why[JG_WHY_MAX])
{
	enum jg_err e;

	*token = NULL;
	if (!g->keys)
		return no_keys(why);
	if (aud && !jg_name_valid(aud, 1))
		return jg_gate_why(JG_EINVAL, why, "aud must be a name of 1-63 "
		                   "characters of A-Z a-z 0-9 . _ - @");
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = token_tx(g, who, id, aud, now, token, exp, why);
	if (e == JG_OK && (e = jg_gate_commit(g)) != JG_OK) {
		free(*token);
		*token = NULL;
	}
	if (e != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}

/* ---- checking ---------------------------------------------------------- */

/* The claims a grant token must carry, copied out of c. */
struct token_claims {
	char sub[JG_NAME_MAX], grant_id[JG_ID_LEN];
	char resource[JG_NAME_MAX], action[JG_NAME_MAX];
	char payload_sha256[JG_SHA256_HEX];
	int64_t exp;
};

static int copy_claim(const json_t *c, const char *key, char *out,
                      size_t size, int required)
{
	json_t *v = json_object_get(c, key);

	out[0] = '\0';
	if (!v)
		return required ? -1 : 0;
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int read_claims(const json_t *c, struct token_claims *t)
{
	const char *iss = json_string_value(json_object_get(c, "iss"));

	if (!iss || strcmp(iss, TOKEN_ISSUER) != 0)
		return -1;
	t->exp = (int64_t)json_integer_value(json_object_get(c, "exp"));
	return copy_claim(c, "sub", t->sub, sizeof(t->sub), 1) ||
	       copy_claim(c, "grant_id", t->grant_id, sizeof(t->grant_id), 1) ||
	       copy_claim(c, "resource", t->resource, sizeof(t->resource), 1) ||
	       copy_claim(c, "action", t->action, sizeof(t->action), 1) ||
	       copy_claim(c, "payload_sha256", t->payload_sha256,
	                  sizeof(t->payload_sha256), 0);
}

/* Refuse: reason says why; no grant to judge. */
static enum jg_err refuse(char reason[JG_WHY_MAX], const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static enum jg_err refuse(char reason[JG_WHY_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, JG_WHY_MAX, fmt, ap);
	va_end(ap);
	return JG_OK;
}

enum jg_err jg_gate_token_grant(struct jg_gate *g,
                                const struct jg_principal *who,
                                const struct jg_check_query *q, int64_t now,
                                struct jg_grant *gr, int64_t *exp,
                                char reason[JG_WHY_MAX], char why[JG_WHY_MAX])
{
	struct token_claims t;
	char kid[JG_KID_LEN], bad[JG_WHY_MAX];
	json_t *claims;
	enum jg_err e;
	int unusable;

	gr->id[0] = '\0';
	if (!g->keys)
		return no_keys(why);
	e = jg_keys_verify(g->keys, q->token, now, &claims, kid, bad);
	if (e == JG_EINVAL)
		return refuse(reason, "token refused: %s", bad);
	if (e != JG_OK)
		return e;
	unusable = read_claims(claims, &t);
	json_decref(claims);
	if (unusable)
		return refuse(reason, "token refused: it is not a jitgate grant "
		              "token (iss, sub, grant_id, resource, action)");
	if (strcmp(t.sub, who->name) != 0 &&
	    !(who->roles & (JG_ROLE_CHECKER | JG_ROLE_ADMIN)))
		return jg_gate_why(JG_EFORBIDDEN, why, "checking another "
		                   "principal's token needs the checker role");
	if ((q->resource && strcmp(q->resource, t.resource) != 0) ||
	    (q->action && strcmp(q->action, t.action) != 0))
		return refuse(reason, "the token is for %s on %s", t.action,
		              t.resource);
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->grant_get(g->st, t.grant_id, gr);
	g->st->ops->rollback(g->st);
	if (e == JG_ENOTFOUND) {
		gr->id[0] = '\0';
		return refuse(reason, "grant %s not found", t.grant_id);
	}
	if (e != JG_OK)
		return e;
	if (strcmp(gr->principal, t.sub) != 0 ||
	    strcmp(gr->resource, t.resource) != 0 ||
	    strcmp(gr->action, t.action) != 0 ||
	    strcmp(gr->payload_sha256, t.payload_sha256) != 0) {
		refuse(reason, "the token does not match grant %s", gr->id);
		gr->id[0] = '\0';
		return JG_OK;
	}
	*exp = t.exp; /* the answer holds while both the grant and token do */
	return JG_OK;
}

/* ---- rotation ---------------------------------------------------------- */

enum jg_err jg_gate_keys_rotate(struct jg_gate *g,
                                const struct jg_principal *who, int64_t now,
                                char kid[JG_KID_LEN], char prev[JG_KID_LEN],
                                char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (!jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "only admins may rotate "
		                   "the signing key");
	if (!g->keys)
		return no_keys(why);
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	/* the key is written first; if its record cannot be, it goes */
	e = jg_keys_rotate(g->keys, now, kid, prev, why, JG_WHY_MAX);
	if (e != JG_OK)
		return jg_gate_abort(g, e);
	e = jg_gate_audit(g, now, who->name, "keys.rotated", "",
	                  json_pack("{s:s,s:s}", "kid", kid, "previous_kid",
	                            prev));
	if (e == JG_OK)
		e = jg_gate_commit(g);
	if (e != JG_OK) {
		jg_keys_remove(g->keys, kid);
		return jg_gate_abort(g, e);
	}
	return JG_OK;
}
