/*
 * check.c - /v1/check: may this principal (or this grant token's holder)
 * do this action on this resource, with this payload, now?
 *
 * The answer is as narrow as the grant. A grant bound to one payload (one
 * SQL text, one set of params) allows only a check that names that
 * payload's SHA-256; a bare check on it is denied with a reason, so an
 * enforcement point that trusts the check cannot be used to do anything
 * else under it. A check may also consume: take one use of the grant, in
 * a write transaction, so that a one-time grant allows exactly one such
 * check across every server sharing the store.
 *
 * Lookups answer from the index of live grants (index.h) while it is in
 * step with the store (sync.c), and from the store when it is not; a
 * consuming check always ends in the store, which has the last word.
 * Whichever answers, the clock decides expiry on every call.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/cidr.h"
#include "gate/index.h"
#include "gate/internal.h"
#include "util/crypto.h"
#include "util/timefmt.h"

const char *jg_gate_dead_because(const struct jg_grant *gr, int64_t now)
{
	switch (jg_grant_state_at(gr, now)) {
	case JG_GRANT_REVOKED: return "was revoked";
	case JG_GRANT_EXPIRED: return "expired";
	case JG_GRANT_CONSUMED: return "was used up";
	case JG_GRANT_COMPLETED: return "was marked done";
	default: break;
	}
	return now < gr->not_before ? "is not valid yet" : "has no uses left";
}

/* "grant <id> starts at <time>": the one wording of a denial before a
 * scheduled grant's start, from the store or the index. */
static void starts_at(char *out, size_t len, const char *id, int64_t start)
{
	char at[JG_TIME_LEN];

	jg_time_format(start, at);
	snprintf(out, len, "grant %s starts at %s", id, at);
}

int jg_gate_not_started(const struct jg_grant *gr, int64_t now, char *out,
                        size_t len)
{
	if (now >= gr->not_before || !jg_grant_open(gr, now))
		return 0;
	starts_at(out, len, gr->id, gr->not_before);
	return 1;
}

/* Deny: the answer says why (it is not an error). */
static void deny(struct jg_answer *out, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void deny(struct jg_answer *out, const char *fmt, ...)
{
	va_list ap;

	memset(out, 0, sizeof(*out));
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* The denial of a check about payload `asked` (NULL: none) that a live
 * grant `id` bound to payload `bound` does not allow. */
static void deny_bound(struct jg_answer *out, const char *id,
                       const char *bound, const char *asked)
{
	if (!asked)
		deny(out, "grant %s is bound to one payload (sha256 %.12s…): "
		     "the check must carry that payload's payload_sha256", id,
		     bound);
	else
		deny(out, "grant %s is bound to another payload (sha256 "
		     "%.12s…), not %.12s…", id, bound, asked);
}

/* On the hot path: out is zeroed (jg_gate_authorize) or an answer being
 * replaced; copies, not snprintf, since every allowing check comes here. */
static void allow(struct jg_answer *out, const char id[JG_ID_LEN],
                  int64_t expires_at, const char bound[JG_SHA256_HEX],
                  int uses_left, const char *reason)
{
	size_t n = strnlen(reason, JG_WHY_MAX - 1);

	out->allow = 1;
	memcpy(out->grant_id, id, JG_ID_LEN);
	out->expires_at = expires_at;
	memcpy(out->payload_sha256, bound, JG_SHA256_HEX);
	out->uses_left = uses_left;
	memcpy(out->reason, reason, n);
	out->reason[n] = '\0';
}

/* Judge one grant record for a check about payload `asked`: 1 allow (out
 * filled, expiring at the grant's end or `until`, whichever is first),
 * 0 deny (out says why). */
static int judge(const struct jg_grant *gr, const char *asked, int64_t now,
                 int64_t until, const char *reason, struct jg_answer *out)
{
	char later[JG_WHY_MAX];

	if (jg_gate_not_started(gr, now, later, sizeof(later))) {
		deny(out, "%s", later);
		return 0;
	}
	if (!jg_grant_live(gr, now)) {
		deny(out, "grant %s %s", gr->id, jg_gate_dead_because(gr, now));
		return 0;
	}
	if (gr->payload_sha256[0] &&
	    (!asked || strcmp(asked, gr->payload_sha256) != 0)) {
		deny_bound(out, gr->id, gr->payload_sha256, asked);
		return 0;
	}
	allow(out, gr->id, until < gr->expires_at ? until : gr->expires_at,
	      gr->payload_sha256, gr->uses_left, reason);
	return 1;
}

/* Fill out from what a lookup found (see jg_index_find). */
static void answer(struct jg_answer *out, int found, const struct jg_hit *hit,
                   const struct jg_check_query *q)
{
	switch (found) {
	case JG_FOUND_LIVE:
		allow(out, hit->grant_id, hit->expires_at, hit->payload_sha256,
		      hit->uses_left, "active grant");
		return;
	case JG_FOUND_BOUND:
		deny_bound(out, hit->grant_id, hit->payload_sha256,
		           q->payload_sha256);
		return;
	case JG_FOUND_LATER:
		memset(out, 0, sizeof(*out));
		starts_at(out->reason, sizeof(out->reason), hit->grant_id,
		          hit->not_before);
		return;
	case JG_FOUND_EXPIRED:
		deny(out, "grant is no longer live");
		snprintf(out->grant_id, sizeof(out->grant_id), "%s",
		         hit->grant_id);
		out->expires_at = hit->expires_at;
		return;
	default:
		deny(out, "no active grant for %s to %s on %s", q->principal,
		     q->action, q->resource);
	}
}

static void hit_of(struct jg_hit *hit, const struct jg_grant *gr)
{
	memcpy(hit->grant_id, gr->id, JG_ID_LEN);
	hit->not_before = gr->not_before;
	hit->expires_at = gr->expires_at;
	hit->uses_left = gr->uses_left;
	memcpy(hit->payload_sha256, gr->payload_sha256, JG_SHA256_HEX);
}

/* Without the index (not loaded, or out of step): ask the store, first
 * for a grant that fits, then for any live one (to say why it does not). */
static enum jg_err find_in_store(struct jg_gate *g,
                                 const struct jg_check_query *q, int64_t now,
                                 int *found, struct jg_hit *hit)
{
	const char *fit = q->payload_sha256 ? q->payload_sha256 : "";
	struct jg_grant gr;
	enum jg_err e;

	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	*found = JG_FOUND_LIVE;
	e = g->st->ops->grant_find_live(g->st, q->principal, q->resource,
	                                q->action, fit, now, &gr);
	if (e == JG_ENOTFOUND) {
		*found = JG_FOUND_BOUND;
		e = g->st->ops->grant_find_live(g->st, q->principal,
		                                q->resource, q->action, NULL,
		                                now, &gr);
	}
	g->st->ops->rollback(g->st);
	if (e == JG_ENOTFOUND)
		*found = JG_FOUND_NONE;
	if (e != JG_OK)
		return e == JG_ENOTFOUND ? JG_OK : e;
	/* the store filtered on time too; the clock has the last word */
	if (!jg_grant_live(&gr, now))
		*found = JG_FOUND_EXPIRED;
	hit_of(hit, &gr);
	return JG_OK;
}

/* ---- recording uses ---------------------------------------------------- */

/* Where the grant is used from: the enforcement point's word, else the
 * caller's own address; "" when unknown. */
static const char *source_of(const struct jg_principal *who,
                             const struct jg_check_query *q)
{
	return q->source ? q->source : who->source;
}

static const char *via_of(const struct jg_check_query *q)
{
	return q->via ? q->via : "check";
}

/*
 * A non-consuming allow: the first use of its grant from this source
 * (first for this gate: seen.c) is recorded as grant.used before the
 * allow is given, so the trail shows where grants are used from; one
 * that cannot be recorded is no allow (out emptied, the store's error).
 * A pair seen before costs one probe under a short lock, no store. A
 * check with no source (an in-process caller: a tool, a test, the
 * benchmark; the HTTP layer always names one) records nothing: there is
 * no place to tell.
 */
static enum jg_err first_use(struct jg_gate *g, const struct jg_principal *who,
                             const struct jg_check_query *q, int64_t now,
                             struct jg_answer *out)
{
	const char *src = source_of(who, q);
	char id[JG_ID_LEN];
	struct jg_grant gr;
	enum jg_err e;

	if (!*src || jg_seen_claim(g->seen, out->grant_id, src))
		return JG_OK;
	memcpy(id, out->grant_id, JG_ID_LEN);
	if ((e = g->st->ops->begin(g->st, 1)) == JG_OK) {
		e = g->st->ops->grant_get(g->st, id, &gr);
		if (e == JG_OK)
			e = jg_gate_audit(g, now, who->name, "grant.used", id,
			                  json_pack("{s:s,s:s,s:s,s:s}", "via",
			                            via_of(q), "principal",
			                            gr.principal, "source", src,
			                            "request_id", gr.request_id));
		e = e == JG_OK ? jg_gate_commit(g) : e;
		if (e != JG_OK)
			g->st->ops->rollback(g->st);
	}
	if (e != JG_OK) {
		jg_seen_forget(g->seen, id, src);
		memset(out, 0, sizeof(*out));
	}
	return e;
}

/* ---- consuming --------------------------------------------------------- */

/* Inside the write transaction: take one use of grant id, judged again
 * against the store (another server may have taken the last). */
static enum jg_err consume_tx(struct jg_gate *g, const struct jg_principal *who,
                              const struct jg_check_query *q, const char *id,
                              int64_t now, int64_t until,
                              struct jg_answer *out)
{
	const char *asked = q->payload_sha256, *src = source_of(who, q);
	char why[JG_WHY_MAX], reason[JG_WHY_MAX];
	struct jg_grant gr;
	enum jg_err e = g->st->ops->grant_get(g->st, id, &gr);

	if (e != JG_OK)
		return e;
	memcpy(reason, out->reason, sizeof(reason));
	if (!judge(&gr, asked, now, until, reason, out))
		return JG_OK;
	if (gr.uses_left < 0)
		return JG_OK; /* unlimited until expiry: nothing to take */
	if (--gr.uses_left == 0 &&
	    (e = jg_grant_end(&gr, JG_GRANT_CONSUMED, who->name,
	                      "used by a consuming check", now, why)) != JG_OK)
		return e;
	if ((e = g->st->ops->grant_update(g->st, &gr, JG_GRANT_ACTIVE)) != JG_OK)
		return e;
	e = jg_gate_audit(g, now, who->name,
	                  gr.uses_left ? "grant.used" : "grant.consumed", gr.id,
	                  json_pack("{s:s,s:s,s:s?,s:s?,s:i,s:s}", "via",
	                            via_of(q), "principal", gr.principal,
	                            "source", *src ? src : NULL,
	                            "payload_sha256",
	                            gr.payload_sha256[0] ? gr.payload_sha256
	                                                 : NULL,
	                            "uses_left", gr.uses_left, "request_id",
	                            gr.request_id));
	out->uses_left = gr.uses_left;
	out->consumed = 1;
	return e;
}

/* An allowing answer becomes a consuming one, or a denial when the use
 * is gone by the time the store is asked. */
static enum jg_err consume(struct jg_gate *g, const struct jg_principal *who,
                           const struct jg_check_query *q, int64_t now,
                           int64_t until, struct jg_answer *out)
{
	char id[JG_ID_LEN];
	enum jg_err e;

	memcpy(id, out->grant_id, JG_ID_LEN);
	if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
		return e;
	e = consume_tx(g, who, q, id, now, until, out);
	if (e == JG_OK && out->consumed)
		e = jg_gate_commit(g);
	else
		g->st->ops->rollback(g->st);
	if (e != JG_OK)
		memset(out, 0, sizeof(*out));
	return e;
}

/* ---- the use case ------------------------------------------------------ */

static enum jg_err check_args(const struct jg_principal *who,
                              const struct jg_check_query *q,
                              char why[JG_WHY_MAX])
{
	unsigned char md[32], addr[16];
	int family;

	if (q->payload_sha256 && jg_sha256_unhex(q->payload_sha256, md) != 0)
		return jg_gate_why(JG_EINVAL, why, "payload_sha256 must be 64 "
		                   "lowercase hex digits (the SHA-256 of the "
		                   "payload about to run)");
	if (q->source && (strlen(q->source) >= JG_ADDR_MAX ||
	                  !jg_ip_parse(q->source, &family, addr)))
		return jg_gate_why(JG_EINVAL, why, "source must be an IPv4 or "
		                   "IPv6 address (where the grant is used from)");
	if (q->token)
		return JG_OK; /* the token names the principal (token.c) */
	if (!jg_name_valid(q->principal, 1) || !jg_name_valid(q->resource, 0) ||
	    !jg_name_valid(q->action, 0))
		return jg_gate_why(JG_EINVAL, why, "principal, resource and "
		                   "action must be valid names");
	if (strcmp(q->principal, who->name) != 0 &&
	    !(who->roles & (JG_ROLE_CHECKER | JG_ROLE_ADMIN)))
		return jg_gate_why(JG_EFORBIDDEN, why, "checking another "
		                   "principal needs the checker role");
	return JG_OK;
}

/* A check with a grant token: the grant it names, judged. */
static enum jg_err by_token(struct jg_gate *g, const struct jg_principal *who,
                            const struct jg_check_query *q, int64_t now,
                            struct jg_answer *out, int64_t *until,
                            char why[JG_WHY_MAX])
{
	struct jg_grant gr;
	enum jg_err e = jg_gate_token_grant(g, who, q, now, &gr, until,
	                                    out->reason, why);

	if (e == JG_OK && gr.id[0])
		judge(&gr, q->payload_sha256, now, *until,
		      "active grant (signed token)", out);
	return e;
}

static enum jg_err authorize(struct jg_gate *g,
                             const struct jg_principal *who,
                             const struct jg_check_query *q, int64_t now,
                             struct jg_answer *out, char why[JG_WHY_MAX])
{
	int64_t until = INT64_MAX;
	struct jg_hit hit;
	int found = JG_FOUND_NONE;
	enum jg_err e;

	memset(out, 0, sizeof(*out));
	if ((e = check_args(who, q, why)) != JG_OK)
		return e;
	/* a trail that went backwards can no longer be trusted to hold a
	 * revocation: nothing is allowed until restart (sync.c) */
	if (jg_gate_halted(g, out->reason))
		return JG_OK;
	if (q->token)
		e = by_token(g, who, q, now, out, &until, why);
	else if (jg_gate_cached(g))
		found = jg_index_find(g->index, q->principal, q->resource,
		                      q->action, q->payload_sha256, now, &hit);
	else
		e = find_in_store(g, q, now, &found, &hit);
	if (e != JG_OK)
		return e;
	if (!q->token)
		answer(out, found, &hit, q);
	if (out->allow && q->consume)
		e = consume(g, who, q, now, until, out);
	else if (out->allow)
		e = first_use(g, who, q, now, out);
	return e;
}

/* The use case, counted for /metrics: one relaxed atomic add, the only
 * cost a check pays for it (bench/bench_check measures it). */
enum jg_err jg_gate_authorize(struct jg_gate *g,
                              const struct jg_principal *who,
                              const struct jg_check_query *q, int64_t now,
                              struct jg_answer *out, char why[JG_WHY_MAX])
{
	enum jg_err e = authorize(g, who, q, now, out, why);

	__atomic_add_fetch(&g->checks[e != JG_OK ? JG_CHECK_ERROR
	                              : out->allow ? JG_CHECK_ALLOW
	                                           : JG_CHECK_DENY],
	                   1, __ATOMIC_RELAXED);
	return e;
}

enum jg_err jg_gate_check(struct jg_gate *g, const struct jg_principal *who,
                          const char *principal, const char *resource,
                          const char *action, int64_t now,
                          struct jg_answer *out, char why[JG_WHY_MAX])
{
	struct jg_check_query q = {.principal = principal,
	                           .resource = resource,
	                           .action = action};

	return jg_gate_authorize(g, who, &q, now, out, why);
}

enum jg_err jg_gate_check_token(struct jg_gate *g,
                                const struct jg_principal *who,
                                const char *token, const char *resource,
                                const char *action, int64_t now,
                                struct jg_answer *out, char why[JG_WHY_MAX])
{
	struct jg_check_query q = {.token = token,
	                           .resource = resource,
	                           .action = action};

	return jg_gate_authorize(g, who, &q, now, out, why);
}
