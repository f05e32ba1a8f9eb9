/*
 * gate.c - the gate handle, shared helpers and identity use cases
 * (authentication, tokens, start-up).
 *
 * Token secrets exist in memory only between minting and the response
 * that shows them once; the store keeps their SHA-256 digest.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gate/authcache.h"
#include "gate/index.h"
#include "gate/internal.h"
#include "insight/detect.h"
#include "notify/chat.h"
#include "util/log.h"
#include "util/timefmt.h"

enum jg_err jg_gate_new(struct jg_store *st, struct jg_policy *policy,
                        const char *path, struct jg_gate **out)
{
	struct jg_gate *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g || (path && !(g->policy_path = strdup(path)))) {
		free(g);
		jg_policy_free(policy);
		return JG_ENOMEM;
	}
	if (!(g->issuers = jg_gate_issuers_new()) ||
	    !(g->wl = jg_workload_cache_new())) {
		jg_gate_issuers_free(g->issuers);
		free(g->policy_path);
		free(g);
		jg_policy_free(policy);
		return JG_ENOMEM;
	}
	g->st = st;
	g->policy = policy;
	pthread_rwlock_init(&g->lock, NULL);
	pthread_mutex_init(&g->sync_lock, NULL);
	pthread_mutex_init(&g->reload_lock, NULL);
	jg_gate_metrics_init(g);
	*out = g;
	if (jg_gate_signin_init(g) != JG_OK ||
	    jg_gate_alerts_init(g) != JG_OK || jg_seen_new(&g->seen) != JG_OK) {
		jg_gate_free(g);
		*out = NULL;
		return JG_ENOMEM;
	}
	return JG_OK;
}

void jg_gate_free(struct jg_gate *g)
{
	if (!g)
		return;
	jg_gate_alerts_stop(g); /* its thread uses everything below */
	jg_gate_credentials_stop(g);
	jg_gate_signer_stop(g); /* uses the sync state: first */
	jg_gate_sync_stop(g);
	jg_index_free(g->index);
	jg_authcache_free(g->auth);
	jg_gate_signin_free(g);
	jg_gate_alerts_free(g);
	jg_seen_free(g->seen);
	jg_workload_cache_free(g->wl);
	jg_gate_issuers_free(g->issuers);
	pthread_mutex_destroy(&g->sync_lock);
	pthread_mutex_destroy(&g->reload_lock);
	jg_policy_free(g->policy);
	free(g->policy_path);
	pthread_rwlock_destroy(&g->lock);
	free(g);
}

void jg_gate_set_notify(struct jg_gate *g, const struct jg_notify_config *cfg)
{
	g->notify = cfg;
}

const struct jg_notify_config *jg_gate_notify(const struct jg_gate *g)
{
	return g->notify;
}

enum jg_err jg_gate_chat_reply(struct jg_gate *g, const char *url,
                               const char *subject, const char *key,
                               struct json_t *msg, int64_t now)
{
	if (!g->notify) {
		json_decref(msg);
		return JG_EINVAL;
	}
	return jg_slack_reply(g->st, g->notify, url, subject, key, msg, now);
}

enum jg_err jg_gate_notice(struct jg_gate *g, enum jg_notice what,
                           const struct jg_request *r, int64_t now)
{
	struct jg_step_up su = jg_gate_step_up_of(g->policy, r);

	/* A chat button carries neither a fresh sign-in nor a comment: either
	 * sends the approver to the dashboard. */
	int to_dashboard = su.within || su.mfa ||
	                   jg_gate_approve_needs_comment(g->policy, r);

	return jg_notify_request_su(g->st, g->notify, g->policy, what, r,
	                            to_dashboard, now);
}

enum jg_err jg_gate_notice_exec(struct jg_gate *g, const struct jg_request *r,
                                const struct jg_execution *x, int64_t now)
{
	return jg_notify_execution(g->st, g->notify, g->policy, r, x, now);
}

/* How many holds this thread has: execute: auto lets go of the hold
 * while its connector runs, and must know whether there is one. */
static __thread unsigned hold_depth;

void jg_gate_hold(struct jg_gate *g)
{
	pthread_rwlock_rdlock(&g->lock);
	hold_depth++;
}

void jg_gate_release(struct jg_gate *g)
{
	hold_depth--;
	pthread_rwlock_unlock(&g->lock);
}

int jg_gate_held(void)
{
	return hold_depth > 0;
}

int jg_gate_is_admin(const struct jg_principal *who)
{
	return (who->roles & JG_ROLE_ADMIN) != 0;
}

int jg_gate_sees_all(const struct jg_principal *who)
{
	return (who->roles & (JG_ROLE_ADMIN | JG_ROLE_AUDITOR)) != 0;
}

void jg_gate_viewer_filter(const struct jg_gate *g,
                           const struct jg_principal *who,
                           struct jg_filter *f,
                           const char *groups[2 * JG_GROUPS_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < who->ngroups && n < 2 * JG_GROUPS_MAX; i++)
		groups[n++] = who->groups[i];
	for (size_t i = 0; i < g->policy->ngroups && n < 2 * JG_GROUPS_MAX; i++)
		if (jg_policy_member(g->policy, g->policy->groups[i].name, who))
			groups[n++] = g->policy->groups[i].name;
	f->viewer = who->name;
	f->viewer_groups = groups;
	f->nviewer_groups = n;
}

int jg_gate_reviews(const struct jg_gate *g, const struct jg_principal *who,
                    const struct jg_request *r)
{
	for (size_t i = 0; i < r->nsteps; i++)
		if (jg_policy_member(g->policy, r->steps[i].group, who))
			return 1;
	return 0;
}

enum jg_err jg_gate_abort(struct jg_gate *g, enum jg_err e)
{
	g->st->ops->rollback(g->st);
	return e;
}

enum jg_err jg_gate_commit(struct jg_gate *g)
{
	enum jg_err e = g->st->ops->commit(g->st);

	/* a failed step turns the caches off until one succeeds: the
	 * commit stands either way */
	if (e == JG_OK) {
		jg_gate_sync(g);
		jg_gate_alerts_step(g); /* after: it can never fail the write */
	}
	return e;
}

enum jg_err jg_gate_finish(struct jg_gate *g, enum jg_err e,
                           struct jg_request_view *v)
{
	if (e != JG_OK)
		return jg_gate_abort(g, e);
	if ((e = jg_gate_commit(g)) != JG_OK) {
		jg_request_view_clear(v);
		return jg_gate_abort(g, e);
	}
	return JG_OK;
}

enum jg_err jg_gate_why(enum jg_err e, char why[JG_WHY_MAX], const char *fmt,
                        ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, JG_WHY_MAX, fmt, ap);
	va_end(ap);
	return e;
}

enum jg_err jg_gate_audit(struct jg_gate *g, int64_t now, const char *actor,
                          const char *type, const char *subject,
                          json_t *details)
{
	enum jg_err e = jg_audit_append(g->st, now, actor, type, subject,
	                                details);
	json_decref(details);
	return e;
}

/* ---- tokens ---- */

/* The store keeps a token's digest; -1 for what cannot be a token. */
static int digest_of(const char *secret, char digest[JG_SHA256_HEX])
{
	if (!secret || strncmp(secret, "jg_", 3) != 0 ||
	    strlen(secret) >= JG_TOKEN_LEN)
		return -1;
	jg_sha256_hex(secret, strlen(secret), digest);
	return 0;
}

/* Inside a transaction: the token of digest usable at now, or
 * JG_EAUTH (an expired token is refused like a revoked one). */
static enum jg_err token_by_digest(struct jg_gate *g, const char *digest,
                                   int64_t now, struct jg_token *t)
{
	enum jg_err e = g->st->ops->token_by_digest(g->st, digest, t);

	if (e == JG_ENOTFOUND || (e == JG_OK && !jg_token_usable(t, now)))
		return JG_EAUTH;
	return e;
}

enum jg_err jg_gate_token_of(struct jg_gate *g, const char *secret,
                             int64_t now, struct jg_token *t)
{
	char digest[JG_SHA256_HEX];

	if (digest_of(secret, digest))
		return JG_EAUTH;
	return token_by_digest(g, digest, now, t);
}

int64_t jg_gate_token_dormancy(struct jg_gate *g)
{
	int held = jg_gate_held();
	int64_t w;

	if (!held)
		jg_gate_hold(g); /* the policy stays while it is read */
	/* a gate without a policy (restore's revocations) audits no use */
	w = g->policy ? jg_alert_window(g->policy->alerts, JG_AK_TOKEN_DORMANT)
	              : 0;
	if (!held)
		jg_gate_release(g);
	return w;
}

enum jg_err jg_gate_token_used(struct jg_gate *g, const struct jg_token *t,
                               int64_t now, int64_t dormancy)
{
	int64_t seen = t->last_used_at ? t->last_used_at : t->created_at;
	char last[JG_TIME_LEN];
	enum jg_err e = g->st->ops->token_touch(g->st, t->id, now);

	if (e == JG_ECONFLICT)
		return JG_OK; /* a fresher use is recorded, and audited */
	if (e != JG_OK || !dormancy || !jg_token_stale(t, now, dormancy))
		return e;
	jg_time_format(t->last_used_at, last);
	/* the token's public id only: the secret is never in the trail */
	return jg_gate_audit(g, now, t->who.name, "token.reactivated", t->id,
	                     json_pack("{s:s,s:s,s:I,s:s?}", "token", t->id,
	                               "principal", t->who.name, "idle_days",
	                               (json_int_t)((now - seen) / 86400),
	                               "last_used_at",
	                               t->last_used_at ? last : NULL));
}

/*
 * Record the token's use, at most once a JG_TOKEN_TOUCH_EVERY seconds
 * (the store skips a fresher record): a write a minute per token, not
 * one per request. Best effort for a token in use: a failure costs the
 * record, not the request. A dormant token's use fails closed: unless
 * its token.reactivated event is recorded, it is not let in (the
 * store's error).
 */
static enum jg_err touch(struct jg_gate *g, const struct jg_token *t,
                         int64_t now)
{
	int64_t dormancy;
	int dormant;
	enum jg_err e;

	if (t->last_used_at > now - JG_TOKEN_TOUCH_EVERY)
		return JG_OK;
	dormancy = jg_gate_token_dormancy(g);
	dormant = dormancy && jg_token_stale(t, now, dormancy);
	if ((e = g->st->ops->begin(g->st, 1)) == JG_OK) {
		e = jg_gate_token_used(g, t, now, dormancy);
		/* an audited use feeds the detectors like any other write */
		if (e == JG_OK)
			e = dormant ? jg_gate_commit(g)
			            : g->st->ops->commit(g->st);
		if (e != JG_OK)
			jg_gate_abort(g, e);
	}
	if (e == JG_OK || !dormant)
		return JG_OK;
	jg_log(JG_LOG_ERROR, "token %s: a use after more than %lld days "
	       "unused cannot be audited (%s): refused", t->id,
	       (long long)(dormancy / 86400), jg_strerror(e));
	return JG_ESTORE; /* whatever failed, the trail could not take it */
}

enum jg_err jg_gate_authenticate(struct jg_gate *g, const char *token,
                                 int64_t now, struct jg_principal *out)
{
	char why[JG_WHY_MAX];

	return jg_gate_authenticate_why(g, token, now, out, why);
}

enum jg_err jg_gate_authenticate_why(struct jg_gate *g, const char *token,
                                     int64_t now, struct jg_principal *out,
                                     char why[JG_WHY_MAX])
{
	char digest[JG_SHA256_HEX];
	struct jg_token t;
	/* halted, the cache no longer learns of revocations: ask the store */
	int cache = jg_gate_cached(g) && !jg_gate_halted(g, NULL);
	uint64_t gen;
	enum jg_err e;

	why[0] = '\0';
	if (token && strncmp(token, "jgs_", 4) == 0)
		return jg_gate_session_bearer(g, token, now, out);
	if (token && jg_gate_is_jwt(token))
		return jg_gate_workload_auth(g, token, now, out, why);
	if (digest_of(token, digest))
		return JG_EAUTH;
	if (cache && jg_authcache_get(g->auth, digest, now, out))
		return JG_OK;
	/* read before the store is asked: see authcache.h */
	gen = cache ? jg_authcache_gen(g->auth) : 0;
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = token_by_digest(g, digest, now, &t);
	g->st->ops->rollback(g->st);
	if (e != JG_OK)
		return e;
	if ((e = touch(g, &t, now)) != JG_OK)
		return e;
	/* a token about to expire is not believed past its end */
	if (cache && (!t.expires_at || t.expires_at - now > JG_AUTHCACHE_TTL))
		jg_authcache_put(g->auth, gen, digest, t.id, &t.who, now);
	*out = t.who;
	return JG_OK;
}

static json_t *token_details(const struct jg_token *t)
{
	json_t *groups = json_array(), *roles = json_array();
	for (size_t i = 0; i < t->who.ngroups; i++)
		json_array_append_new(groups, json_string(t->who.groups[i]));
	for (int i = 0; i < JG_NROLES; i++)
		if (t->who.roles & (1 << i))
			json_array_append_new(roles, json_string(jg_role_name(i)));
	return json_pack("{s:s,s:s,s:o,s:o}", "principal", t->who.name, "kind",
	                 t->who.service ? "service" : "user", "groups", groups,
	                 "roles", roles);
}

/* Inside a write transaction: mint, store and audit one token. */
static enum jg_err mint(struct jg_gate *g, const char *actor,
                        struct jg_token *t, int64_t now,
                        char secret[JG_TOKEN_LEN])
{
	enum jg_err e;

	if ((e = jg_random_id("tok", t->id)) != JG_OK ||
	    (e = jg_random_token(secret)) != JG_OK)
		return e;
	jg_sha256_hex(secret, strlen(secret), t->digest);
	snprintf(t->created_by, sizeof(t->created_by), "%s", actor);
	t->created_at = now;
	t->revoked_at = 0;
	if ((e = g->st->ops->token_insert(g->st, t)) != JG_OK)
		return e;
	return jg_gate_audit(g, now, actor, "token.created", t->id,
	                     token_details(t));
}

enum jg_err jg_gate_start(struct jg_gate *g, int64_t now,
                          char secret[JG_TOKEN_LEN])
{
	struct jg_token t = {.who = {.name = "admin", .roles = JG_ROLE_ADMIN}};
	int64_t count = 0, seq;
	char head[JG_SHA256_HEX];
	enum jg_err e;

	secret[0] = '\0';
	snprintf(t.description, sizeof(t.description), "bootstrap admin token");
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	/* a restart remembers the latest time the trail has seen */
	if ((e = g->st->ops->audit_last(g->st, &seq, head)) != JG_OK ||
	    (e = jg_gate_clock_from_trail(g, seq)) != JG_OK ||
	    (e = g->st->ops->token_count(g->st, &count)) != JG_OK)
		return jg_gate_abort(g, e);
	now = jg_gate_now(g, now);
	if (count == 0 &&
	    (e = mint(g, JG_ACTOR_SYSTEM, &t, now, secret)) != JG_OK) {
		OPENSSL_cleanse(secret, JG_TOKEN_LEN);
		return jg_gate_abort(g, e);
	}
	e = jg_gate_audit(g, now, JG_ACTOR_SYSTEM, "server.started", "",
	                  json_pack("{s:s}", "policy_sha256",
	                            g->policy->sha256));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK) {
		OPENSSL_cleanse(secret, JG_TOKEN_LEN);
		return jg_gate_abort(g, e);
	}
	return JG_OK;
}

static enum jg_err check_spec(const struct jg_token *spec,
                              char why[JG_WHY_MAX])
{
	if (!jg_name_valid(spec->who.name, 1))
		return jg_gate_why(JG_EINVAL, why, "principal '%s' is not a "
		                   "valid name (1-63 of A-Z a-z 0-9 . _ - @)",
		                   spec->who.name);
	for (size_t i = 0; i < spec->who.ngroups; i++)
		if (!jg_name_valid(spec->who.groups[i], 0))
			return jg_gate_why(JG_EINVAL, why, "group '%s' is not "
			                   "a valid name", spec->who.groups[i]);
	if (spec->who.roles & ~(JG_ROLE_ADMIN | JG_ROLE_AUDITOR |
	                        JG_ROLE_CHECKER | JG_ROLE_METRICS))
		return jg_gate_why(JG_EINVAL, why, "unknown role");
	return JG_OK;
}

static enum jg_err check_expiry(const struct jg_token *spec, int64_t now,
                                char why[JG_WHY_MAX])
{
	if (spec->expires_at && spec->expires_at <= now)
		return jg_gate_why(JG_EINVAL, why, "the token would expire "
		                   "before it is made: give a future time or a "
		                   "positive ttl");
	if (spec->expires_at > now + JG_TOKEN_TTL_LIMIT)
		return jg_gate_why(JG_EINVAL, why, "a token lives at most 10 "
		                   "years (no ttl: until revoked)");
	return JG_OK;
}

/*
 * Inside a transaction: a principal the new name only seems to differ
 * from ("Bob" beside "bob"), among every token ever made and the
 * members of the policy's groups; JG_ECONFLICT naming it. Two names
 * that read the same would make one person two approvers.
 */
static enum jg_err name_unique(struct jg_gate *g, const char *name,
                               char why[JG_WHY_MAX])
{
	struct jg_token *ts = NULL; /* owned; the token table */
	const char *clash = NULL;
	size_t n = 0;
	enum jg_err e = g->st->ops->token_list(g->st, &ts, &n);

	for (size_t i = 0; e == JG_OK && !clash && i < n; i++)
		if (jg_name_confusable(name, ts[i].who.name))
			clash = ts[i].who.name;
	for (size_t i = 0; e == JG_OK && !clash && i < g->policy->ngroups;
	     i++) {
		const struct jg_group *gr = &g->policy->groups[i];
		for (size_t j = 0; !clash && j < gr->nmembers; j++)
			if (jg_name_confusable(name, gr->members[j]))
				clash = gr->members[j];
	}
	if (clash)
		e = jg_gate_why(JG_ECONFLICT, why, "principal '%s' differs "
		                "from the existing principal '%s' only by case "
		                "(or Unicode form): use '%s' or another name",
		                name, clash, clash);
	free(ts);
	return e;
}

enum jg_err jg_gate_token_create(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const struct jg_token *spec, int64_t now,
                                 struct jg_token *out,
                                 char secret[JG_TOKEN_LEN],
                                 char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (!jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "only admins may create "
		                   "tokens");
	if ((e = check_spec(spec, why)) != JG_OK ||
	    (e = check_expiry(spec, now, why)) != JG_OK)
		return e;
	*out = *spec;
	out->last_used_at = 0;
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	if ((e = name_unique(g, spec->who.name, why)) != JG_OK)
		return jg_gate_abort(g, e);
	if ((e = mint(g, who->name, out, now, secret)) != JG_OK ||
	    (e = jg_gate_commit(g)) != JG_OK) {
		OPENSSL_cleanse(secret, JG_TOKEN_LEN);
		return jg_gate_abort(g, e);
	}
	return JG_OK;
}

enum jg_err jg_gate_token_list(struct jg_gate *g,
                               const struct jg_principal *who, int64_t now,
                               int64_t stale, struct jg_token **out,
                               size_t *n, char why[JG_WHY_MAX])
{
	size_t kept = 0;
	enum jg_err e;

	if (!jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "only admins may list "
		                   "tokens");
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->token_list(g->st, out, n);
	g->st->ops->rollback(g->st);
	if (e != JG_OK || stale <= 0)
		return e;
	for (size_t i = 0; i < *n; i++)
		if (jg_token_stale(&(*out)[i], now, stale))
			(*out)[kept++] = (*out)[i];
	*n = kept;
	return JG_OK;
}

enum jg_err jg_gate_token_revoke(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const char *id, int64_t now,
                                 struct jg_token *out, char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (!jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "only admins may revoke "
		                   "tokens");
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = g->st->ops->token_get(g->st, id, out);
	if (e == JG_ENOTFOUND)
		return jg_gate_abort(g, jg_gate_why(e, why, "token %s not "
		                                    "found", id));
	if (e == JG_OK && out->revoked_at)
		return jg_gate_abort(g, jg_gate_why(JG_ECONFLICT, why, "token "
		                                    "%s is already revoked",
		                                    id));
	if (e == JG_OK)
		e = g->st->ops->token_revoke(g->st, id, now);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name, "token.revoked", id,
		                  json_pack("{s:s}", "principal",
		                            out->who.name));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	out->revoked_at = now;
	return JG_OK;
}
