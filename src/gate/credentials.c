/*
 * credentials.c - temporary PostgreSQL login roles for live grants on a
 * resource whose connector is `pg_credentials` (exec/pgcred.c).
 *
 * Issue: the grant's holder, and only while the grant is live (issued,
 * started, not ended: jg_grant_live at the decision clock), asks once;
 * jitgate then makes a role "jg_<grant id>" with a fresh random password
 * valid until the grant's expiry, and hands the password out in that one
 * answer. The role is made at that moment rather than when the grant is
 * issued, so the password is never stored anywhere, not even for a
 * second; a second ask is refused (never re-issued: a stolen bearer that
 * asks first is then seen by the holder, whose own ask fails loudly).
 *
 * Revoke: a record of every role made is kept in the store (pgcreds)
 * BEFORE the role is made, and a background worker (util/ticker.c) drops
 * each role whose grant is no longer live: NOLOGIN, its sessions
 * terminated, DROP ROLE, then credentials.revoked. It runs once before
 * the server serves (a role whose grant ended while the server was down
 * goes first: the lesson of Vault CVE-2022-41316), then every
 * JG_CREDS_PERIOD_MS and at once when a grant is revoked or marked done
 * here. A target database that cannot be reached is retried with
 * back-off, logged each time; the record stays until the drop succeeds.
 * A grant extended while its role exists moves the role's VALID UNTIL.
 *
 * This file must never log, audit or keep the password.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec.h"
#include "gate/internal.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/ticker.h"

#define CREDS_BATCH 64          /* records looked at per page */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define RETRIES_MAX 256         /* roles backed off at once; more: no wait */

/* A role whose drop (or VALID UNTIL) failed: not tried before at_ms. */
struct retry {
	char grant_id[JG_ID_LEN];
	int64_t at_ms;    /* monotonic */
	int64_t delay_ms;
};

struct jg_credworker {
	struct jg_gate *g;       /* borrowed */
	struct jg_ticker *ticker; /* owned */
	/* per role, so that one that cannot be dropped delays no other;
	 * only the worker's thread touches them */
	struct retry retries[RETRIES_MAX];
	size_t nretries;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The role jitgate makes for grant id: "jg_" and the id, lower case. */
static int role_of(const char *id, char role[JG_PGCRED_ROLE_LEN])
{
	size_t n = strlen(id);

	if (n + 4 > JG_PGCRED_ROLE_LEN)
		return -1;
	memcpy(role, "jg_", 3);
	for (size_t i = 0; i <= n; i++)
		role[3 + i] = (id[i] >= 'A' && id[i] <= 'Z')
		              ? (char)(id[i] - 'A' + 'a') : id[i];
	return jg_pgcred_role_ok(role) ? 0 : -1;
}

/* The pg_credentials connector of gr, or NULL. */
static const struct jg_connector *connector_of(struct jg_gate *g,
                                               const struct jg_grant *gr)
{
	const struct jg_connector *k =
		jg_connector_find(g->connectors, gr->resource, gr->action);

	return jg_connector_issues_credentials(k) ? k : NULL;
}

/* ---- issue ---- */

/*
 * Inside a write transaction: who's live grant id, with a credentials
 * connector, gets its record. JG_ECONFLICT when it has one already.
 */
static enum jg_err claim(struct jg_gate *g, const struct jg_principal *who,
                         const char *id, int64_t now, struct jg_grant *gr,
                         struct jg_credentials *out, char why[JG_WHY_MAX])
{
	struct jg_pgcred rec = {0};
	enum jg_err e = jg_gate_held_grant(g, who, id, now,
	                                   "fetch its credentials", gr, why);

	if (e != JG_OK)
		return e;
	/* scheduled access: credentials are handed out from the start only */
	if (jg_gate_not_started(gr, now, why, JG_WHY_MAX))
		return JG_ECONFLICT;
	/* open and started is live; the rule itself, before a role is made */
	if (!jg_grant_live(gr, now))
		return jg_gate_why(JG_ECONFLICT, why, "grant %s %s", id,
		                   jg_gate_dead_because(gr, now));
	if (!connector_of(g, gr))
		return jg_gate_why(JG_EINVAL, why, "resource '%s' hands out no "
		                   "credentials (no pg_credentials connector)",
		                   gr->resource);
	if (role_of(gr->id, out->role))
		return jg_gate_why(JG_EINTERNAL, why, "grant id unfit for a "
		                   "role name");
	snprintf(rec.grant_id, sizeof(rec.grant_id), "%s", gr->id);
	snprintf(rec.resource, sizeof(rec.resource), "%s", gr->resource);
	snprintf(rec.role, sizeof(rec.role), "%s", out->role);
	rec.created_at = now;
	rec.valid_until = gr->expires_at;
	e = g->st->ops->pgcred_insert(g->st, &rec);
	if (e == JG_EDUP)
		return jg_gate_why(JG_ECONFLICT, why, "the credentials of grant "
		                   "%s were already handed out; they are shown "
		                   "once (end the grant and ask for a new one)",
		                   id);
	return e;
}

/* The role could not be made: undo what may exist (maybe), forget the
 * record so that the holder may ask again. A failure here leaves the
 * record to the worker, which drops the role when the grant ends. */
static void undo(struct jg_gate *g, const struct jg_connector *k,
                 const char *id, const char *role, int maybe)
{
	char why[JG_WHY_MAX];

	if (maybe && jg_pgcred_drop(k, role, why, sizeof(why)) != JG_OK)
		goto later;
	jg_gate_hold(g);
	if (g->st->ops->begin(g->st, 1) != JG_OK) {
		jg_gate_release(g);
		goto later;
	}
	if (g->st->ops->pgcred_forget(g->st, id) != JG_OK ||
	    g->st->ops->commit(g->st) != JG_OK) {
		g->st->ops->rollback(g->st);
		jg_gate_release(g);
		goto later;
	}
	jg_gate_release(g);
	return;
later:
	jg_gate_credentials_poke(g);
}

/* After the role was made: the grant still live, audit the issue. */
static enum jg_err confirm(struct jg_gate *g, const struct jg_principal *who,
                           const char *id, const char *role, int64_t now,
                           char why[JG_WHY_MAX])
{
	struct jg_grant gr;
	enum jg_err e = g->st->ops->begin(g->st, 1);

	if (e != JG_OK)
		return e;
	e = g->st->ops->grant_get(g->st, id, &gr);
	if (e == JG_OK && !jg_grant_live(&gr, now))
		e = jg_gate_why(JG_ECONFLICT, why, "grant %s %s meanwhile", id,
		                jg_gate_dead_because(&gr, now));
	if (e == JG_OK)
		e = jg_gate_audit(g, now, who->name, "credentials.issued", id,
		                  json_pack("{s:s,s:s,s:s?}", "role", role,
		                            "resource", gr.resource, "source",
		                            who->source[0] ? who->source
		                                           : NULL));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}

enum jg_err jg_gate_credentials_issue(struct jg_gate *g,
                                      const struct jg_principal *who,
                                      const char *id, int64_t now,
                                      struct jg_credentials *out,
                                      char why[JG_WHY_MAX])
{
	const struct jg_connector *k;
	struct jg_pgcred_where where;
	struct jg_grant gr;
	int maybe = 0;
	enum jg_err e;

	memset(out, 0, sizeof(*out));
	jg_gate_hold(g);
	if ((e = g->st->ops->begin(g->st, 1)) == JG_OK) {
		e = claim(g, who, id, now, &gr, out, why);
		if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
			e = jg_gate_abort(g, e);
	}
	jg_gate_release(g);
	if (e != JG_OK)
		return e;
	k = connector_of(g, &gr);
	if ((e = jg_random_token(out->password)) == JG_OK)
		e = jg_pgcred_create(k, out->role, out->password, gr.expires_at,
		                     &where, &maybe, why, JG_WHY_MAX);
	if (e != JG_OK) {
		jg_log(JG_LOG_WARN, "credentials for grant %s: %s", id, why);
		undo(g, k, gr.id, out->role, maybe || e != JG_EBUSY);
		explicit_bzero(out, sizeof(*out));
		return e;
	}
	/* revoked (or expired) while the role was being made, or the issue
	 * cannot be audited: nobody gets it, and it goes at once. Judged at
	 * the decision clock of now, not of the ask: making it took time. */
	jg_gate_hold(g);
	e = confirm(g, who, id, out->role, jg_gate_wall(g) > now ? jg_gate_wall(g) : now, why);
	jg_gate_release(g);
	if (e != JG_OK) {
		undo(g, k, gr.id, out->role, 1);
		explicit_bzero(out, sizeof(*out));
		return e;
	}
	snprintf(out->grant_id, sizeof(out->grant_id), "%s", gr.id);
	snprintf(out->host, sizeof(out->host), "%s", where.host);
	snprintf(out->port, sizeof(out->port), "%s", where.port);
	snprintf(out->dbname, sizeof(out->dbname), "%s", where.dbname);
	out->expires_at = gr.expires_at;
	return JG_OK;
}

/* ---- revoke: the worker ---- */

/* One page of open records with their grants, read in one transaction. */
struct page {
	struct jg_pgcred recs[CREDS_BATCH];
	struct jg_grant grants[CREDS_BATCH]; /* id "": the grant is gone */
	size_t n;
};

/* The page after `after` (NULL: the first). */
static enum jg_err read_page(struct jg_gate *g, const struct jg_pgcred *after,
                             struct page *pg)
{
	enum jg_err e;

	pg->n = 0;
	jg_gate_hold(g);
	if ((e = g->st->ops->begin(g->st, 0)) == JG_OK) {
		e = g->st->ops->pgcred_open(g->st, after, pg->recs, CREDS_BATCH,
		                            &pg->n);
		for (size_t i = 0; e == JG_OK && i < pg->n; i++) {
			e = g->st->ops->grant_get(g->st, pg->recs[i].grant_id,
			                          &pg->grants[i]);
			if (e == JG_ENOTFOUND) { /* a restore: nothing keeps it */
				memset(&pg->grants[i], 0, sizeof(pg->grants[i]));
				e = JG_OK;
			}
		}
		if (e == JG_OK)
			e = g->st->ops->commit(g->st);
		else
			g->st->ops->rollback(g->st);
	}
	jg_gate_release(g);
	return e;
}

/* Record that rec's role is gone, with its audit event. */
static enum jg_err record_drop(struct jg_gate *g, const struct jg_pgcred *rec,
                               const struct jg_grant *gr, int64_t now)
{
	enum jg_err e = g->st->ops->begin(g->st, 1);

	if (e != JG_OK)
		return e;
	e = g->st->ops->pgcred_drop(g->st, rec->grant_id, now);
	if (e == JG_OK)
		e = jg_gate_audit(g, now, JG_ACTOR_SYSTEM, "credentials.revoked",
		                  rec->grant_id,
		                  json_pack("{s:s,s:s,s:s}", "role", rec->role,
		                            "resource", rec->resource, "grant",
		                            gr->id[0] ? jg_gate_dead_because(gr, now)
		                                      : "is gone"));
	if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
		return jg_gate_abort(g, e);
	return JG_OK;
}

/* rec's grant was extended: its role's VALID UNTIL follows. 0 or -1. */
static int follow_expiry(struct jg_gate *g, const struct jg_pgcred *rec,
                         const struct jg_grant *gr)
{
	const struct jg_connector *k = connector_of(g, gr);
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (!k || jg_pgcred_valid_until(k, rec->role, gr->expires_at, why,
	                                sizeof(why)) != JG_OK) {
		jg_log(JG_LOG_WARN, "role %s of grant %s: VALID UNTIL not moved "
		       "to the grant's new expiry yet: %s", rec->role,
		       rec->grant_id, k ? why : "no pg_credentials connector");
		return -1;
	}
	jg_gate_hold(g);
	if ((e = g->st->ops->begin(g->st, 1)) == JG_OK) {
		e = g->st->ops->pgcred_extend(g->st, rec->grant_id,
		                              gr->expires_at);
		e = e == JG_OK ? g->st->ops->commit(g->st) : e;
		if (e != JG_OK)
			g->st->ops->rollback(g->st);
	}
	jg_gate_release(g);
	return e == JG_OK ? 0 : -1;
}

/* Drop rec's role when its grant gr is no longer live at now (move its
 * VALID UNTIL when the grant was extended): 0 done or nothing to do, -1
 * failed (logged; tried again later). */
static int sweep_one(struct jg_gate *g, const struct jg_pgcred *rec,
                     const struct jg_grant *gr, int64_t now)
{
	const struct jg_connector *k;
	char why[JG_WHY_MAX] = "";
	enum jg_err e;

	if (gr->id[0] && jg_grant_live(gr, now))
		return gr->expires_at == rec->valid_until
		       ? 0 : follow_expiry(g, rec, gr);
	k = gr->id[0] ? connector_of(g, gr)
	              : jg_connector_find(g->connectors, rec->resource, "");
	if (!jg_connector_issues_credentials(k)) {
		jg_log(JG_LOG_WARN, "role %s of grant %s cannot be dropped: "
		       "resource '%s' has no pg_credentials connector now",
		       rec->role, rec->grant_id, rec->resource);
		return -1;
	}
	if (jg_pgcred_drop(k, rec->role, why, sizeof(why)) != JG_OK) {
		jg_log(JG_LOG_WARN, "role %s of grant %s not dropped yet: %s",
		       rec->role, rec->grant_id, why);
		return -1;
	}
	jg_gate_hold(g);
	e = record_drop(g, rec, gr, now);
	jg_gate_release(g);
	if (e == JG_ECONFLICT) /* another server sharing the store did it */
		return 0;
	if (e != JG_OK) {
		jg_log(JG_LOG_WARN, "role %s dropped, not yet recorded: %s",
		       rec->role, g->st->err);
		return -1;
	}
	jg_log(JG_LOG_INFO, "role %s of grant %s dropped", rec->role,
	       rec->grant_id);
	return 0;
}

/* The back-off entry of rec in w, or NULL. */
static struct retry *retry_of(struct jg_credworker *w,
                              const struct jg_pgcred *rec)
{
	for (size_t i = 0; w && i < w->nretries; i++)
		if (!strcmp(w->retries[i].grant_id, rec->grant_id))
			return &w->retries[i];
	return NULL;
}

/* After a try of rec (failed or not): double its wait, or forget it. */
static void retry_note(struct jg_credworker *w, const struct jg_pgcred *rec,
                       int failed)
{
	struct retry *r = retry_of(w, rec);

	if (!w)
		return;
	if (!failed) {
		if (r)
			*r = w->retries[--w->nretries];
		return;
	}
	if (!r) {
		if (w->nretries == RETRIES_MAX)
			return; /* tried every pass, as without back-off */
		r = &w->retries[w->nretries++];
		memset(r, 0, sizeof(*r));
		snprintf(r->grant_id, sizeof(r->grant_id), "%s", rec->grant_id);
	}
	r->delay_ms = r->delay_ms ? r->delay_ms * 2 : BACKOFF_MIN_MS;
	if (r->delay_ms > BACKOFF_MAX_MS)
		r->delay_ms = BACKOFF_MAX_MS;
	r->at_ms = mono_ms() + r->delay_ms;
}

/* A pass over every open record; w (NULL: none) keeps the back-off. */
static size_t sweep(struct jg_gate *g, struct jg_credworker *w, int64_t now)
{
	struct page *pg = malloc(sizeof(*pg));
	struct jg_pgcred after;
	size_t failed = 0;
	int first = 1;

	if (!pg)
		return 1;
	do {
		if (read_page(g, first ? NULL : &after, pg) != JG_OK) {
			jg_log(JG_LOG_WARN, "temporary roles: cannot read the "
			       "store: %s", g->st->err);
			failed++;
			break;
		}
		for (size_t i = 0; i < pg->n; i++) {
			const struct retry *r = retry_of(w, &pg->recs[i]);
			int bad;

			if (r && mono_ms() < r->at_ms) {
				failed++; /* still waiting to be tried again */
				continue;
			}
			bad = sweep_one(g, &pg->recs[i], &pg->grants[i], now);
			retry_note(w, &pg->recs[i], bad);
			failed += bad != 0;
		}
		if (pg->n)
			after = pg->recs[pg->n - 1];
		first = 0;
	} while (pg->n == CREDS_BATCH);
	free(pg);
	return failed;
}

size_t jg_gate_credentials_sweep(struct jg_gate *g, int64_t now)
{
	return sweep(g, NULL, now);
}

static void tick(void *arg)
{
	struct jg_credworker *w = arg;

	sweep(w->g, w, jg_gate_wall(w->g));
}

enum jg_err jg_gate_credentials_start(struct jg_gate *g, size_t *pending)
{
	struct jg_credworker *w = calloc(1, sizeof(*w));
	enum jg_err e;

	if (!w)
		return JG_ENOMEM;
	w->g = g;
	/* before serving: roles whose grant ended while we were down */
	*pending = jg_gate_credentials_sweep(g, jg_gate_wall(g));
	e = jg_ticker_start(JG_CREDS_PERIOD_MS, tick, w, 0, &w->ticker);
	if (e != JG_OK) {
		free(w);
		return e;
	}
	g->creds = w;
	return JG_OK;
}

void jg_gate_credentials_poke(struct jg_gate *g)
{
	struct jg_credworker *w = g->creds;

	if (!w)
		return;
	jg_ticker_poke(w->ticker);
}

void jg_gate_credentials_stop(struct jg_gate *g)
{
	struct jg_credworker *w = g->creds;

	if (!w)
		return;
	jg_ticker_stop(w->ticker);
	g->creds = NULL;
	free(w);
}
