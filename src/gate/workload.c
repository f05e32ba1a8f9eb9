/*
 * workload.c - workload identity: a CI job (GitHub Actions, GitLab CI,
 * Kubernetes, any OpenID issuer) authenticates with the token its
 * platform gives it, and no jitgate secret sits in the pipeline.
 *
 * The policy's identity.workload lists the trusted issuers; each one's
 * bindings map a token's claims to a service principal and its groups
 * (first match wins). A token that matches no binding is refused, and
 * the refusal names the issuer and the token's subject, never the token.
 *
 * Speed: verifying a JWT costs a signature check; the result is kept by
 * the token's SHA-256 until the token expires (and only for the policy
 * it was matched under), so the API with platform tokens costs about
 * what it costs with jitgate tokens. The cache is direct-mapped and
 * bounded: a slot taken by another token only costs a verification.
 *
 * Audit: workload.authenticated when a token is first seen (the
 * issuer, subject, principal and jti; never the token), and
 * workload.refused for refusals, at most JG_WORKLOAD_REFUSED_PER_MIN a
 * minute with a count of those left out, so a flood of bad tokens cannot
 * fill the trail.
 *
 * No lock is held while an issuer is asked for its keys: the policy is
 * held only to copy what verification needs, and again to match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"
#include "sign/jwt.h"
#include "util/crypto.h"

#define WL_SLOTS 1024                   /* verified tokens remembered */
#define JG_WORKLOAD_REFUSED_PER_MIN 10  /* workload.refused events */

struct slot {
	char digest[JG_SHA256_HEX]; /* "" when empty */
	char policy[JG_SHA256_HEX]; /* the policy it was matched under */
	int64_t exp;
	struct jg_principal who;
};

struct jg_workload_cache {
	pthread_mutex_t mu; /* guards everything below */
	struct slot slots[WL_SLOTS];
	int64_t window;     /* start of the refusal minute */
	int refused;        /* refusals audited in it */
	long suppressed;    /* refusals not audited since the last one */
};

struct jg_workload_cache *jg_workload_cache_new(void)
{
	struct jg_workload_cache *c = calloc(1, sizeof(*c));

	if (c && pthread_mutex_init(&c->mu, NULL)) {
		free(c);
		c = NULL;
	}
	return c;
}

void jg_workload_cache_free(struct jg_workload_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int jg_gate_is_jwt(const char *token)
{
	const char *d1 = strchr(token, '.');
	const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;

	return d2 && !strchr(d2 + 1, '.');
}

/* The slot of a digest: SHA-256 is uniform, so its first three hex
 * digits spread tokens evenly. */
static struct slot *slot_of(struct jg_workload_cache *c, const char *digest)
{
	return &c->slots[strtoul((char[4]){ digest[0], digest[1], digest[2],
	                                    '\0' },
	                         NULL, 16) % WL_SLOTS];
}

static int cache_get(struct jg_workload_cache *c, const char *digest,
                     const char *policy, int64_t now,
                     struct jg_principal *who)
{
	struct slot *s;
	int hit;

	pthread_mutex_lock(&c->mu);
	s = slot_of(c, digest);
	/* as jg_jwt_times judges exp: with the same leeway */
	hit = strcmp(s->digest, digest) == 0 &&
	      strcmp(s->policy, policy) == 0 && now - JG_IDENT_LEEWAY < s->exp;
	if (hit)
		*who = s->who;
	pthread_mutex_unlock(&c->mu);
	return hit;
}

static void cache_put(struct jg_workload_cache *c, const char *digest,
                      const char *policy, int64_t exp,
                      const struct jg_principal *who)
{
	struct slot *s;

	pthread_mutex_lock(&c->mu);
	s = slot_of(c, digest);
	memcpy(s->digest, digest, JG_SHA256_HEX);
	memcpy(s->policy, policy, JG_SHA256_HEX);
	s->exp = exp;
	s->who = *who;
	pthread_mutex_unlock(&c->mu);
}

/* ---- text from a token, for messages ---------------------------------------- */

/* s (may be NULL) made printable into out: what a token says goes into
 * messages and the trail, never a control character. */
static const char *shown(const char *s, char out[128])
{
	size_t i = 0;

	for (; s && s[i] && i < 127; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return s ? out : "(none)";
}

/* A claim as the text a binding compares: strings as they are, true
 * and false, whole numbers; "" (never matching) for anything else. */
static const char *claim_text(const json_t *v, char buf[32])
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v)) {
		snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return "";
}

/* 1 when claims hold every claim of b (a trailing '*': a prefix). */
static int binding_matches(const struct jg_workload_binding *b,
                           const json_t *claims)
{
	char buf[32];

	for (size_t i = 0; i < b->nclaims; i++) {
		const json_t *v = json_object_get(claims, b->claims[i].claim);
		const char *want = b->claims[i].value, *got;
		size_t wl = strlen(want);

		if (!v)
			return 0;
		got = claim_text(v, buf);
		if (wl && want[wl - 1] == '*' ? strncmp(got, want, wl - 1) != 0
		                              : strcmp(got, want) != 0)
			return 0;
	}
	return 1;
}

static void principal_of(const struct jg_workload_binding *b,
                         struct jg_principal *who)
{
	memset(who, 0, sizeof(*who));
	snprintf(who->name, sizeof(who->name), "%s", b->principal);
	for (size_t i = 0; i < b->ngroups && i < JG_GROUPS_MAX; i++)
		snprintf(who->groups[who->ngroups++], JG_NAME_MAX, "%s",
		         b->groups[i]);
	who->service = 1;
}

/* ---- audit -------------------------------------------------------------------- */

/* One event in its own transaction: workload.authenticated when ok,
 * else workload.refused. */
static enum jg_err audit_one(struct jg_gate *g, int64_t now,
                             const char *actor, int ok, json_t *details)
{
	enum jg_err e = g->st->ops->begin(g->st, 1);

	if (e != JG_OK) {
		json_decref(details);
		return e;
	}
	if ((e = jg_gate_audit(g, now, actor,
	                       ok ? "workload.authenticated"
	                          : "workload.refused",
	                       "", details)) != JG_OK ||
	    (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}

/* Best effort: a refusal stands whether or not its record is written. */
static void audit_refused(struct jg_gate *g, int64_t now, const char *iss,
                          const char *why)
{
	struct jg_workload_cache *c = g->wl;
	char buf[128];
	long left_out = -1;

	pthread_mutex_lock(&c->mu);
	if (now - c->window >= 60) {
		c->window = now;
		c->refused = 0;
	}
	if (c->refused < JG_WORKLOAD_REFUSED_PER_MIN) {
		c->refused++;
		left_out = c->suppressed;
		c->suppressed = 0;
	} else {
		c->suppressed++;
	}
	pthread_mutex_unlock(&c->mu);
	if (left_out >= 0)
		audit_one(g, now, JG_ACTOR_SYSTEM, 0,
		          json_pack("{s:s,s:s,s:I}", "issuer", shown(iss, buf),
		                    "reason", why, "suppressed",
		                    (json_int_t)left_out));
}

/* What the trail keeps of a token: who vouched, for whom, until when;
 * never the token (its digest ties the event to access logs). */
static enum jg_err audit_authenticated(struct jg_gate *g, int64_t now,
                                       const char *issuer,
                                       const json_t *claims,
                                       const struct jg_principal *who,
                                       int line, const char *digest)
{
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	const char *jti = json_string_value(json_object_get(claims, "jti"));
	json_t *groups = json_array();
	char sbuf[128], jbuf[128];

	for (size_t i = 0; i < who->ngroups; i++)
		json_array_append_new(groups, json_string(who->groups[i]));
	return audit_one(g, now, who->name, 1,
	                 json_pack("{s:s,s:s,s:s,s:o,s:i,s:o,s:O,s:s}",
	                           "issuer", issuer, "subject", shown(sub, sbuf),
	                           "principal", who->name, "groups", groups,
	                           "binding_line", line, "jti",
	                           jti ? json_string(shown(jti, jbuf))
	                               : json_null(),
	                           "expires_at", json_object_get(claims, "exp"),
	                           "token_sha256", digest));
}

/* ---- the use case ------------------------------------------------------------------ */

/* What verification needs of the issuer's entry, copied out of the
 * policy so that no lock is held while the issuer is asked. */
struct wanted {
	char issuer[JG_URL_MAX], jwks_url[JG_URL_MAX], ca_file[JG_URL_MAX];
	char audience[JG_CLAIM_MAX];
	int has_jwks, has_ca;
};

static const struct jg_workload_issuer *issuer_in(const struct jg_policy *p,
                                                  const char *iss)
{
	for (size_t i = 0; iss && i < p->identity.nworkload; i++)
		if (strcmp(p->identity.workload[i].issuer, iss) == 0)
			return &p->identity.workload[i];
	return NULL;
}

/* Under the hold: find iss among the workload issuers into w. */
static int copy_issuer(const struct jg_policy *p, const char *iss,
                       struct wanted *w)
{
	const struct jg_workload_issuer *wi = issuer_in(p, iss);

	if (!wi)
		return -1;
	snprintf(w->issuer, sizeof(w->issuer), "%s", wi->issuer);
	snprintf(w->audience, sizeof(w->audience), "%s", wi->audience);
	snprintf(w->jwks_url, sizeof(w->jwks_url), "%s",
	         wi->jwks_url ? wi->jwks_url : "");
	snprintf(w->ca_file, sizeof(w->ca_file), "%s",
	         wi->ca_file ? wi->ca_file : "");
	w->has_jwks = wi->jwks_url != NULL;
	w->has_ca = wi->ca_file != NULL;
	return 0;
}

/* Under the hold: the first binding of iss matching claims, into who;
 * its line, or 0 when none matches (or iss left the policy). */
static int match(const struct jg_policy *p, const char *iss,
                 const json_t *claims, struct jg_principal *who)
{
	const struct jg_workload_issuer *wi = issuer_in(p, iss);

	for (size_t i = 0; wi && i < wi->nbindings; i++)
		if (binding_matches(&wi->bindings[i], claims)) {
			principal_of(&wi->bindings[i], who);
			return wi->bindings[i].line;
		}
	return 0;
}

/* Verify jwt with the issuer its iss names; *claims on JG_OK. The policy
 * is held only while w is copied. */
static enum jg_err verify(struct jg_gate *g, const char *jwt, int held,
                          const char *iss, int64_t now, struct wanted *w,
                          json_t **claims, char why[JG_WHY_MAX])
{
	struct jg_ident_issuer_cfg cfg;
	struct jg_ident_expect want = { 0 };
	struct jg_ident_issuer *is;
	char buf[128];
	enum jg_err e;
	int found;

	if (!held)
		jg_gate_hold(g);
	found = copy_issuer(g->policy, iss, w) == 0;
	if (!held)
		jg_gate_release(g);
	if (!found)
		return jg_gate_why(JG_EAUTH, why, "workload token of issuer "
		                   "'%s', which is not trusted (not in the "
		                   "policy's identity.workload)", shown(iss, buf));
	cfg.issuer = w->issuer;
	cfg.jwks_url = w->has_jwks ? w->jwks_url : NULL;
	cfg.ca_file = w->has_ca ? w->ca_file : NULL;
	want.audience = w->audience;
	char w2[JG_WHY_MAX];

	if ((e = jg_gate_issuer(g, &cfg, &is, why)) != JG_OK)
		return e;
	if ((e = jg_ident_verify(is, jwt, &want, now, claims, w2)) != JG_OK)
		jg_gate_why(e, why, "workload token of issuer '%s' refused: "
		            "%.300s", w->issuer, w2);
	return e;
}

/* A token not remembered: verify, match, audit, remember. */
static enum jg_err first_use(struct jg_gate *g, const char *jwt, int held,
                             const char *digest, int64_t now,
                             struct jg_principal *who, char why[JG_WHY_MAX])
{
	char policy[JG_SHA256_HEX], buf[128];
	json_t *peek = jg_jwt_peek(jwt, JG_JWT_FOREIGN_MAX), *claims = NULL;
	const char *iss = json_string_value(json_object_get(peek, "iss"));
	struct wanted w;
	enum jg_err e;
	int line = 0;

	e = verify(g, jwt, held, iss, now, &w, &claims, why);
	if (e == JG_OK) {
		if (!held)
			jg_gate_hold(g);
		memcpy(policy, g->policy->sha256, JG_SHA256_HEX);
		line = match(g->policy, w.issuer, claims, who);
		if (!held)
			jg_gate_release(g);
		if (!line)
			e = jg_gate_why(JG_EAUTH, why, "the workload token of "
			                "issuer '%s' (sub '%s') matches no binding "
			                "of that issuer in identity.workload",
			                w.issuer, shown(json_string_value(
			                        json_object_get(claims, "sub")), buf));
	}
	if (e == JG_OK)
		e = audit_authenticated(g, now, w.issuer, claims, who, line,
		                        digest);
	if (e == JG_OK)
		cache_put(g->wl, digest, policy,
		          json_integer_value(json_object_get(claims, "exp")), who);
	else if (e == JG_EAUTH || e == JG_EIDP)
		audit_refused(g, now, iss, why);
	json_decref(claims);
	json_decref(peek);
	return e;
}

enum jg_err jg_gate_workload_auth(struct jg_gate *g, const char *jwt,
                                  int64_t now, struct jg_principal *who,
                                  char why[JG_WHY_MAX])
{
	char digest[JG_SHA256_HEX];
	int held = jg_gate_held(), hit;
	enum jg_err e = JG_OK;

	why[0] = '\0';
	jg_sha256_hex(jwt, strlen(jwt), digest);
	if (!held)
		jg_gate_hold(g);
	hit = cache_get(g->wl, digest, g->policy->sha256, now, who);
	if (!held)
		jg_gate_release(g);
	if (!hit && (e = first_use(g, jwt, held, digest, now, who, why)))
		memset(who, 0, sizeof(*who));
	return e;
}
