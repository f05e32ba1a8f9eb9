/*
 * sshcert.c - short-lived OpenSSH user certificates for live grants, the
 * CA's public key, and the KRL of certificates whose grants ended early.
 *
 * An ssh resource is one labelled `kind: ssh` whose `login` label names
 * the Unix login; a live grant of `ssh.login` on it lets its holder have
 * their public key signed into a certificate valid for that login only,
 * from now (less a minute of clock skew, never before the grant's start)
 * until the grant's expiry. Whether the grant is live is jg_grant_live's
 * decision at the decision clock, as everywhere else, so scheduled grants
 * get no certificate before their start.
 *
 * A certificate cannot be taken back: when its grant is revoked or
 * finished early the KRL names its serial until it would have expired;
 * sshd reads the KRL from a file the operator refreshes (RevokedKeys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "gate/internal.h"
#include "sign/sshcert.h"
#include "util/timefmt.h"

#define SSH_KIND "ssh"
#define SSH_ACTION "ssh.login"
/* How far back a certificate starts, so a host whose clock is a little
 * behind ours accepts it at once. */
#define SSH_SKEW 60
/* At most this many serials in a KRL: one per certificate still valid
 * whose grant ended early, bounded by the certificates issued in the
 * longest grant's lifetime. */
#define KRL_MAX 100000

void jg_gate_set_ssh_ca(struct jg_gate *g, EVP_PKEY *ca)
{
	g->ssh_ca = ca;
}

static enum jg_err no_ca(char why[JG_WHY_MAX])
{
	return jg_gate_why(JG_ENOTFOUND, why, "this server has no SSH CA "
	                   "(see jitgate serve --ssh-ca-key)");
}

/* A Unix login as useradd takes it: [a-z_][a-z0-9_-]*, 1-32 bytes. */
static int login_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z')))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The login grant gr gives, from its resource in the policy, or NULL
 * with why set. */
static const char *login_of(struct jg_gate *g, const struct jg_grant *gr,
                            char why[JG_WHY_MAX])
{
	const struct jg_resource *res = jg_policy_resource(g->policy,
	                                                   gr->resource);
	const char *kind = res ? jg_resource_label(res, "kind") : NULL;
	const char *login = res ? jg_resource_label(res, "login") : NULL;

	if (!kind || strcmp(kind, SSH_KIND) != 0 ||
	    strcmp(gr->action, SSH_ACTION) != 0) {
		jg_gate_why(JG_ECONFLICT, why, "grant %s is not for %s on a "
		            "resource labelled kind: %s", gr->id, SSH_ACTION,
		            SSH_KIND);
		return NULL;
	}
	if (!login || !login_ok(login)) {
		jg_gate_why(JG_ECONFLICT, why, "resource %s has no login label "
		            "naming a Unix user", gr->resource);
		return NULL;
	}
	return login;
}

/* A random serial in 1 .. 2^63-1: several servers may sign at once. */
static int64_t new_serial(void)
{
	uint64_t v;

	do {
		if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
			return 0;
		v &= INT64_MAX;
	} while (v == 0);
	return (int64_t)v;
}

/* Audit and record the certificate in out (signed by the caller). */
static enum jg_err record(struct jg_gate *g, const struct jg_principal *who,
                          const struct jg_ssh_cert_out *out, int64_t now)
{
	struct jg_ssh_issued rec = {.serial = out->serial,
	                            .valid_before = out->valid_before,
	                            .issued_at = now};
	char after[JG_TIME_LEN], before[JG_TIME_LEN];
	enum jg_err e;

	snprintf(rec.grant_id, sizeof(rec.grant_id), "%s", out->grant_id);
	snprintf(rec.fingerprint, sizeof(rec.fingerprint), "%s",
	         out->fingerprint);
	if ((e = g->st->ops->ssh_cert_insert(g->st, &rec)) != JG_OK)
		return e;
	jg_time_format(out->valid_after, after);
	jg_time_format(out->valid_before, before);
	return jg_gate_audit(g, now, who->name, "ssh_cert.issued",
	                     out->grant_id,
	                     json_pack("{s:I,s:s,s:s,s:[s],s:s,s:s,s:s?}",
	                               "serial",
	                               (json_int_t)out->serial, "key_type",
	                               out->key_type, "fingerprint",
	                               out->fingerprint, "principals",
	                               out->principal, "valid_after", after,
	                               "valid_before", before, "source",
	                               who->source[0] ? who->source : NULL));
}

/* Inside the write transaction: check the grant, sign and record. */
static enum jg_err cert_tx(struct jg_gate *g, const struct jg_principal *who,
                           const char *id, const struct jg_sshpub *key,
                           int64_t now, struct jg_ssh_cert_out *out,
                           char why[JG_WHY_MAX])
{
	struct jg_sshcert_req req = {0};
	char key_id[JG_ID_LEN + JG_NAME_MAX + 16];
	struct jg_grant gr;
	const char *login;
	enum jg_err e = jg_gate_held_grant(g, who, id, now,
	                                   "have a certificate for it", &gr,
	                                   why);

	if (e != JG_OK)
		return e;
	/* scheduled access: a certificate is handed out from the start only */
	if (jg_gate_not_started(&gr, now, why, JG_WHY_MAX))
		return JG_ECONFLICT;
	if (!(login = login_of(g, &gr, why)))
		return JG_ECONFLICT;
	if (!(out->serial = new_serial()))
		return JG_EINTERNAL;
	snprintf(key_id, sizeof(key_id), "jitgate:%s:%s", gr.id, gr.principal);
	snprintf(out->grant_id, sizeof(out->grant_id), "%s", gr.id);
	snprintf(out->principal, sizeof(out->principal), "%s", login);
	snprintf(out->key_type, sizeof(out->key_type), "%s", key->type);
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%s",
	         key->fingerprint);
	out->valid_after = now - SSH_SKEW > gr.not_before ? now - SSH_SKEW
	                                                  : gr.not_before;
	out->valid_before = gr.expires_at;
	req = (struct jg_sshcert_req){(uint64_t)out->serial, key_id, login,
	                              (uint64_t)out->valid_after,
	                              (uint64_t)out->valid_before};
	if ((e = jg_sshcert_sign(g->ssh_ca, key, &req, &out->text)) != JG_OK)
		return e;
	return record(g, who, out, now);
}

enum jg_err jg_gate_ssh_cert(struct jg_gate *g, const struct jg_principal *who,
                             const char *id, const char *public_key,
                             int64_t now, struct jg_ssh_cert_out *out,
                             char why[JG_WHY_MAX])
{
	struct jg_sshpub key;
	char perr[JG_WHY_MAX];
	enum jg_err e;

	memset(out, 0, sizeof(*out));
	if (!g->ssh_ca)
		return no_ca(why);
	if (jg_sshpub_parse(public_key, &key, perr, sizeof(perr)) != JG_OK)
		return jg_gate_why(JG_EINVAL, why, "%s", perr);
	if ((e = g->st->ops->begin(g->st, 1)) == JG_OK) {
		e = cert_tx(g, who, id, &key, now, out, why);
		if (e == JG_OK)
			e = jg_gate_commit(g);
		if (e != JG_OK)
			e = jg_gate_abort(g, e);
	}
	jg_sshpub_clear(&key);
	if (e != JG_OK)
		jg_ssh_cert_out_clear(out);
	return e;
}

void jg_ssh_cert_out_clear(struct jg_ssh_cert_out *out)
{
	free(out->text);
	out->text = NULL;
}

char *jg_gate_ssh_ca(struct jg_gate *g)
{
	return g->ssh_ca ? jg_sshca_line(g->ssh_ca) : NULL;
}

enum jg_err jg_gate_ssh_krl(struct jg_gate *g, int64_t now,
                            unsigned char **krl, size_t *len,
                            char why[JG_WHY_MAX])
{
	int64_t *serials;
	size_t n = 0;
	enum jg_err e;

	*krl = NULL;
	*len = 0;
	if (!g->ssh_ca)
		return no_ca(why);
	if (!(serials = malloc((KRL_MAX + 1) * sizeof(*serials))))
		return JG_ENOMEM;
	if ((e = g->st->ops->begin(g->st, 0)) == JG_OK) {
		e = g->st->ops->ssh_cert_revoked(g->st, now, serials,
		                                 KRL_MAX + 1, &n);
		g->st->ops->rollback(g->st);
	}
	/* a KRL that left some out would let them in: none at all */
	if (e == JG_OK && n > KRL_MAX)
		e = jg_gate_why(JG_EINTERNAL, why, "more than %d certificates "
		                "to revoke", KRL_MAX);
	/* int64_t and uint64_t have the same size: serials are positive */
	if (e == JG_OK)
		e = jg_krl_build(g->ssh_ca, (const uint64_t *)serials, n,
		                 (uint64_t)now, krl, len);
	free(serials);
	return e;
}
