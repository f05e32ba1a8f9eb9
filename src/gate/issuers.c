/*
 * issuers.c - the OpenID issuers a gate talks to: the sign-in provider
 * (identity.signin) and the workload issuers (identity.workload).
 *
 * An issuer object holds what was learnt from the issuer (discovery,
 * keys), which is worth keeping: a policy reload builds a new policy,
 * but an issuer it still names, reached the same way, is the same
 * object as before, so its cached keys keep working through the reload
 * (and through an outage of the issuer that overlaps it). Objects are
 * never freed before the gate: callers keep a borrowed pointer while
 * they verify, with no lock held, and a reload must not pull it away.
 * JG_GATE_ISSUERS_MAX bounds how many a gate ever makes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate/internal.h"

struct entry {
	char *issuer, *jwks_url, *ca_file; /* owned; "" for absent */
	struct jg_ident_issuer *is;        /* owned */
};

struct jg_gate_issuers {
	pthread_mutex_t mu; /* guards n and the entries' list */
	size_t n;
	struct entry e[JG_GATE_ISSUERS_MAX];
};

struct jg_gate_issuers *jg_gate_issuers_new(void)
{
	struct jg_gate_issuers *r = calloc(1, sizeof(*r));

	if (r && pthread_mutex_init(&r->mu, NULL)) {
		free(r);
		r = NULL;
	}
	return r;
}

static void entry_free(struct entry *e)
{
	free(e->issuer);
	free(e->jwks_url);
	free(e->ca_file);
	jg_ident_issuer_free(e->is);
}

void jg_gate_issuers_free(struct jg_gate_issuers *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		entry_free(&r->e[i]);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static int same(const struct entry *e, const struct jg_ident_issuer_cfg *c)
{
	return strcmp(e->issuer, c->issuer) == 0 &&
	       strcmp(e->jwks_url, or_empty(c->jwks_url)) == 0 &&
	       strcmp(e->ca_file, or_empty(c->ca_file)) == 0;
}

/* Under mu: a new entry for cfg at the end. */
static enum jg_err add(struct jg_gate_issuers *r,
                       const struct jg_ident_issuer_cfg *cfg,
                       char why[JG_WHY_MAX])
{
	struct entry *e = &r->e[r->n];
	enum jg_err err;

	if (r->n == JG_GATE_ISSUERS_MAX)
		return jg_gate_why(JG_EBUSY, why, "more than %d issuers were "
		                   "configured since the server started",
		                   JG_GATE_ISSUERS_MAX);
	memset(e, 0, sizeof(*e));
	if ((err = jg_ident_issuer_new(cfg, &e->is, why)) != JG_OK)
		return err;
	if (!(e->issuer = strdup(cfg->issuer)) ||
	    !(e->jwks_url = strdup(or_empty(cfg->jwks_url))) ||
	    !(e->ca_file = strdup(or_empty(cfg->ca_file)))) {
		entry_free(e);
		return JG_ENOMEM;
	}
	r->n++;
	return JG_OK;
}

enum jg_err jg_gate_issuer(struct jg_gate *g,
                           const struct jg_ident_issuer_cfg *cfg,
                           struct jg_ident_issuer **out, char why[JG_WHY_MAX])
{
	struct jg_gate_issuers *r = g->issuers;
	enum jg_err e = JG_OK;
	size_t i;

	*out = NULL;
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->n && !same(&r->e[i], cfg); i++)
		;
	if (i == r->n)
		e = add(r, cfg, why);
	if (e == JG_OK)
		*out = r->e[i].is;
	pthread_mutex_unlock(&r->mu);
	return e;
}
