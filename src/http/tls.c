/*
 * tls.c - certificate and key for the TLS listener, swapped atomically
 * on reload (see tls.h for why one per process and why retired pairs
 * are kept until the end).
 *
 * Never: log or echo the key, or let a bad file on reload replace a good
 * pair.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "http/tls.h"

#define CHAIN_MAX 8           /* certificates in one chain file */
#define PEM_MAX (256 * 1024)  /* a certificate chain or key file */

/* One certificate chain and its key, as GnuTLS sends and signs with. */
struct pair {
	gnutls_pcert_st pcert[CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
	char fpr[65];        /* SHA-256 of the server certificate, hex */
	struct pair *retired; /* the next older pair, once replaced */
};

struct jg_tls {
	char *cert_path, *key_path; /* owned */
	struct pair *cur;           /* owned; atomic: handshakes read it */
	struct pair *retired;       /* owned; older pairs, newest first */
};

/* The one the callback serves (GnuTLS gives it no closure). */
static struct jg_tls *active;

static void pair_free(struct pair *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n; i++)
		gnutls_pcert_deinit(&p->pcert[i]);
	if (p->key)
		gnutls_privkey_deinit(p->key);
	free(p);
}

/* The whole file, at most PEM_MAX bytes, into *d (gnutls_free it). */
static int slurp(const char *path, gnutls_datum_t *d, char *err,
                 size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	d->data = NULL;
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		         strerror(errno));
		return -1;
	}
	d->data = gnutls_malloc(PEM_MAX + 1);
	n = d->data ? fread(d->data, 1, PEM_MAX + 1, f) : 0;
	if (!d->data || ferror(f) || n > PEM_MAX) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		         !d->data ? "out of memory"
		         : n > PEM_MAX ? "larger than 256 KiB"
		                       : strerror(errno));
		fclose(f);
		gnutls_free(d->data);
		d->data = NULL;
		return -1;
	}
	fclose(f);
	d->data[n] = '\0';
	d->size = (unsigned)n;
	return 0;
}

/* The public key of a certificate and of a private key, DER-encoded,
 * compared: a key that does not fit its certificate fails every
 * handshake, so it is refused up front. */
static int key_fits(const struct pair *p)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
	int fits = 0;

	if (gnutls_pubkey_init(&pub) == 0 &&
	    gnutls_pubkey_import_privkey(pub, p->key, 0, 0) == 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &a) == 0 &&
	    gnutls_pubkey_export2(p->pcert[0].pubkey, GNUTLS_X509_FMT_DER,
	                          &b) == 0)
		fits = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	return fits;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int load_chain(struct pair *p, const char *path, char *err,
                      size_t errlen)
{
	gnutls_datum_t d;
	unsigned char sum[32];
	int rc;

	if (slurp(path, &d, err, errlen))
		return -1;
	p->n = CHAIN_MAX;
	rc = gnutls_pcert_list_import_x509_raw(p->pcert, &p->n, &d,
	                                       GNUTLS_X509_FMT_PEM, 0);
	gnutls_free(d.data);
	if (rc < 0 || p->n == 0) {
		p->n = 0;
		snprintf(err, errlen, "%s: not a PEM certificate chain (%s)",
		         path, rc < 0 ? gnutls_strerror(rc) : "empty");
		return -1;
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, p->pcert[0].cert.data,
	                 p->pcert[0].cert.size, sum);
	hex(sum, sizeof(sum), p->fpr);
	return 0;
}

static int load_key(struct pair *p, const char *path, char *err,
                    size_t errlen)
{
	gnutls_datum_t d;
	int rc;

	if (slurp(path, &d, err, errlen))
		return -1;
	rc = gnutls_privkey_init(&p->key);
	if (rc == 0)
		rc = gnutls_privkey_import_x509_raw(p->key, &d,
		                                    GNUTLS_X509_FMT_PEM, NULL,
		                                    0);
	gnutls_memset(d.data, 0, d.size); /* it held the key */
	gnutls_free(d.data);
	if (rc < 0) {
		snprintf(err, errlen, "%s: not a PEM private key without a "
		         "passphrase (%s)", path, gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

static struct pair *pair_load(const struct jg_tls *t, char *err,
                              size_t errlen)
{
	struct pair *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (load_chain(p, t->cert_path, err, errlen) ||
	    load_key(p, t->key_path, err, errlen)) {
		pair_free(p);
		return NULL;
	}
	if (!key_fits(p)) {
		snprintf(err, errlen, "the key in %s is not the key of the "
		         "certificate in %s", t->key_path, t->cert_path);
		pair_free(p);
		return NULL;
	}
	return p;
}

enum jg_err jg_tls_open(const char *cert_path, const char *key_path,
                        struct jg_tls **out, char *err, size_t errlen)
{
	struct jg_tls *t;

	*out = NULL;
	if (active) {
		snprintf(err, errlen, "one TLS listener per process");
		return JG_EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || !(t->cert_path = strdup(cert_path)) ||
	    !(t->key_path = strdup(key_path))) {
		jg_tls_free(t);
		snprintf(err, errlen, "out of memory");
		return JG_ENOMEM;
	}
	if (!(t->cur = pair_load(t, err, errlen))) {
		jg_tls_free(t);
		return JG_EINVAL;
	}
	active = t;
	*out = t;
	return JG_OK;
}

enum jg_err jg_tls_reload(struct jg_tls *t, char fpr[65], char *err,
                          size_t errlen)
{
	struct pair *p = pair_load(t, err, errlen), *old;

	if (!p)
		return JG_EINVAL;
	old = __atomic_exchange_n(&t->cur, p, __ATOMIC_ACQ_REL);
	old->retired = t->retired; /* a handshake may still hold it */
	t->retired = old;
	memcpy(fpr, p->fpr, 65);
	return JG_OK;
}

void jg_tls_fingerprint(const struct jg_tls *t, char fpr[65])
{
	memcpy(fpr, __atomic_load_n(&t->cur, __ATOMIC_ACQUIRE)->fpr, 65);
}

/* GnuTLS asks for the pair on each handshake; it never frees what it
 * gets here (retrieve_function2), and the pair outlives the server. */
static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca,
                    int nreq, const gnutls_pk_algorithm_t *algos,
                    int nalgos, gnutls_pcert_st **pcert,
                    unsigned int *npcert, gnutls_privkey_t *key)
{
	struct jg_tls *t = active;
	struct pair *p;

	(void)session;
	(void)req_ca;
	(void)nreq;
	(void)algos;
	(void)nalgos;
	if (!t)
		return -1;
	p = __atomic_load_n(&t->cur, __ATOMIC_ACQUIRE);
	*pcert = p->pcert;
	*npcert = p->n;
	*key = p->key;
	return 0;
}

const struct MHD_OptionItem *jg_tls_mhd_options(const struct jg_tls *t)
{
	static const struct MHD_OptionItem opts[] = {
		{MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)retrieve},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)JG_TLS_PRIORITIES},
		{MHD_OPTION_END, 0, NULL},
	};

	(void)t; /* the callback serves the one active: see tls.h */
	return opts;
}

void jg_tls_free(struct jg_tls *t)
{
	if (!t)
		return;
	if (active == t)
		active = NULL;
	pair_free(t->cur);
	while (t->retired) {
		struct pair *p = t->retired;
		t->retired = p->retired;
		pair_free(p);
	}
	free(t->cert_path);
	free(t->key_path);
	free(t);
}
