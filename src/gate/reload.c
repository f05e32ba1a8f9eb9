/*
 * reload.c - replacing the policy in force: on SIGHUP or an admin's call.
 *
 * The new file is loaded and audited before it is swapped in; a file that
 * fails to load is refused (and the refusal audited), and the old policy
 * stays; so is a file others may write (safefile.h). Requests already
 * pending keep the steps they were given: those are stored with each
 * request, not looked up in the policy again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "gate/internal.h"
#include "policy/load.h"
#include "util/safefile.h"

const struct jg_policy *jg_gate_policy(struct jg_gate *g)
{
	return g->policy;
}

void jg_gate_policy_sha256(struct jg_gate *g, char out[JG_SHA256_HEX])
{
	memcpy(out, g->policy->sha256, JG_SHA256_HEX);
}

/* One audit event in its own transaction. */
static enum jg_err audit_alone(struct jg_gate *g, int64_t now,
                               const char *actor, const char *type,
                               json_t *details)
{
	enum jg_err e = g->st->ops->begin(g->st, 1);

	if (e != JG_OK) {
		json_decref(details);
		return e;
	}
	e = jg_gate_audit(g, now, actor, type, "", details);
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}

/* Read, parse, audit and swap; the caller holds reload_lock, so the
 * policy in force changes under nobody else's feet here. */
static enum jg_err reload_locked(struct jg_gate *g, const char *actor,
                                 int64_t now, char sha256[JG_SHA256_HEX],
                                 char why[JG_WHY_MAX])
{
	struct jg_policy *next = NULL, *old;
	char err[JG_WHY_MAX - 32], serr[JG_WHY_MAX], secret[JG_CLAIM_MAX];
	enum jg_err e;

	/* as at start: a file others may rewrite is no policy (safefile.h) */
	if (jg_safe_check(g->policy_path, "policy file", geteuid(), err,
	                  sizeof(err)) != 0)
		e = JG_EINVAL;
	else
		e = jg_policy_load(g->policy_path, &next, err, sizeof(err));
	/* the sign-in client secret is read again: a file the server can
	 * no longer read refuses the reload, never signs in without it */
	if (e == JG_OK &&
	    (e = jg_gate_signin_secret_read(next, secret, serr)) != JG_OK) {
		snprintf(err, sizeof(err), "%.400s", serr);
		jg_policy_free(next);
		next = NULL;
	}
	if (e != JG_OK) {
		/* the refusal is evidence too; the old policy stays */
		audit_alone(g, now, actor, "policy.reload_refused",
		            json_pack("{s:s,s:s}", "path", g->policy_path,
		                      "error", err));
		return jg_gate_why(JG_EINVAL, why, "policy not reloaded: %s",
		                   err);
	}
	e = audit_alone(g, now, actor, "policy.reloaded",
	                json_pack("{s:s,s:s,s:s}", "path", g->policy_path,
	                          "sha256", next->sha256, "previous_sha256",
	                          g->policy->sha256));
	if (e != JG_OK) {
		jg_policy_free(next);
		OPENSSL_cleanse(secret, sizeof(secret));
		return e; /* fail closed: no unaudited policy change */
	}
	pthread_rwlock_wrlock(&g->lock);
	old = g->policy;
	g->policy = next;
	jg_gate_signin_set_secret(g, secret);
	pthread_rwlock_unlock(&g->lock);
	OPENSSL_cleanse(secret, sizeof(secret));
	jg_policy_free(old);
	memcpy(sha256, next->sha256, JG_SHA256_HEX);
	return JG_OK;
}

enum jg_err jg_gate_reload(struct jg_gate *g, const struct jg_principal *who,
                           int64_t now, char sha256[JG_SHA256_HEX],
                           char why[JG_WHY_MAX])
{
	enum jg_err e;

	if (who && !jg_gate_is_admin(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "only admins may reload "
		                   "the policy");
	if (!g->policy_path)
		return jg_gate_why(JG_ECONFLICT, why, "this server has no "
		                   "policy file to reload");
	pthread_mutex_lock(&g->reload_lock);
	e = reload_locked(g, who ? who->name : JG_ACTOR_SYSTEM, now, sha256,
	                  why);
	pthread_mutex_unlock(&g->reload_lock);
	return e;
}
