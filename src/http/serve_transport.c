/*
 * serve_transport.c - see serve_transport.h. A certificate or key that
 * cannot be used stops the start (naming the file); on a reload it only
 * gets logged, and the pair in use stays.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "http/proxy.h"
#include "http/serve_transport.h"
#include "http/tls.h"
#include "util/log.h"

const char jg_serve_transport_usage[] =
        "  --tls-cert FILE      serve HTTPS (TLS 1.2 and 1.3) with this "
        "PEM certificate chain\n"
        "                       (env JITGATE_TLS_CERT); re-read on "
        "SIGHUP\n"
        "  --tls-key FILE       its PEM private key (env JITGATE_TLS_KEY)\n"
        "  --trusted-proxy CIDR[,CIDR...]\n"
        "                       believe X-Forwarded-For, and answer "
        "forward-auth, from these\n"
        "                       proxies only (repeatable;\n"
        "                       env JITGATE_TRUSTED_PROXY)\n";

int jg_serve_transport_init(struct jg_serve_transport *t)
{
	const char *v = getenv("JITGATE_TRUSTED_PROXY");

	*t = (struct jg_serve_transport){
	        .cert_path = getenv("JITGATE_TLS_CERT"),
	        .key_path = getenv("JITGATE_TLS_KEY"),
	};
	return v && *v ? jg_serve_transport_opt(t, JG_SERVE_TRUSTED_PROXY, v)
	               : 0;
}

int jg_serve_transport_opt(struct jg_serve_transport *t, int opt,
                           const char *arg)
{
	char err[256];

	switch (opt) {
	case JG_SERVE_TLS_CERT: t->cert_path = arg; return 0;
	case JG_SERVE_TLS_KEY: t->key_path = arg; return 0;
	default:
		if (jg_proxies_add(&t->proxies, arg, err, sizeof(err)) == 0)
			return 0;
		fprintf(stderr, "jitgate: %s\n", err);
		return -1;
	}
}

int jg_serve_transport_open(struct jg_serve_transport *t)
{
	char err[512], fpr[65];
	int has_cert = t->cert_path && *t->cert_path;
	int has_key = t->key_path && *t->key_path;

	if (!has_cert && !has_key)
		return 0;
	if (!has_cert || !has_key) {
		jg_log(JG_LOG_ERROR, "--tls-cert and --tls-key go "
		       "together");
		return -1;
	}
	if (jg_tls_open(t->cert_path, t->key_path, &t->tls, err,
	                sizeof(err)) != JG_OK) {
		jg_log(JG_LOG_ERROR, "TLS: %s", err);
		return -1;
	}
	jg_tls_fingerprint(t->tls, fpr);
	jg_log(JG_LOG_INFO, "TLS certificate %s (sha256 %s)",
	       t->cert_path, fpr);
	return 0;
}

struct jg_server_transport jg_serve_transport_of(
        const struct jg_serve_transport *t)
{
	return (struct jg_server_transport){.tls = t->tls,
	                                    .proxies = t->proxies};
}

const char *jg_serve_transport_scheme(const struct jg_serve_transport *t)
{
	return t->tls ? "https" : "http";
}

void jg_serve_transport_reload(struct jg_serve_transport *t)
{
	char err[512], fpr[65];

	if (!t->tls)
		return;
	if (jg_tls_reload(t->tls, fpr, err, sizeof(err)) == JG_OK)
		jg_log(JG_LOG_INFO, "TLS certificate reloaded (sha256 "
		       "%s)", fpr);
	else
		jg_log(JG_LOG_ERROR, "TLS certificate not reloaded, the "
		       "old one stays: %s", err);
}

void jg_serve_transport_free(struct jg_serve_transport *t)
{
	jg_tls_free(t->tls);
	jg_proxies_free(t->proxies);
	t->tls = NULL;
	t->proxies = NULL;
}
