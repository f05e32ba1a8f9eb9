/*
 * serve_transport.h - `jitgate serve`'s transport flags: native TLS
 * (--tls-cert, --tls-key; re-read on SIGHUP) and the reverse proxies
 * trusted to name the client (--trusted-proxy). Kept out of serve.c so
 * the daemon's main path stays short.
 */
#ifndef JG_HTTP_SERVE_TRANSPORT_H
#define JG_HTTP_SERVE_TRANSPORT_H

#include "http/server.h"

struct jg_serve_transport {
	const char *cert_path; /* --tls-cert; NULL: plain HTTP */
	const char *key_path;  /* --tls-key */
	struct jg_proxies *proxies; /* owned; --trusted-proxy, NULL: none */
	struct jg_tls *tls;         /* owned; open once both are checked */
};

enum {
	JG_SERVE_TLS_CERT = 0x120,
	JG_SERVE_TLS_KEY,
	JG_SERVE_TRUSTED_PROXY,
};
#define JG_SERVE_TRANSPORT_OPTIONS                                        \
	{"tls-cert", required_argument, NULL, JG_SERVE_TLS_CERT},         \
	{"tls-key", required_argument, NULL, JG_SERVE_TLS_KEY},           \
	{"trusted-proxy", required_argument, NULL, JG_SERVE_TRUSTED_PROXY}
extern const char jg_serve_transport_usage[];

/* Defaults from the environment (before getopt). 0, or -1 after
 * printing why (a bad JITGATE_TRUSTED_PROXY). */
int jg_serve_transport_init(struct jg_serve_transport *t);

/* One of the options above. 0, or -1 after printing why. */
int jg_serve_transport_opt(struct jg_serve_transport *t, int opt,
                           const char *arg);

/*
 * After the options: both TLS files or neither, and both readable and
 * matching (the error names the file). 0, or -1 after printing why.
 */
int jg_serve_transport_open(struct jg_serve_transport *t);

/* What jg_server_start takes (borrowing from t). */
struct jg_server_transport jg_serve_transport_of(
        const struct jg_serve_transport *t);

/* "https" or "http", for the listening line. */
const char *jg_serve_transport_scheme(const struct jg_serve_transport *t);

/* On SIGHUP: re-read the certificate and key; a bad pair keeps the old
 * one. Logs either way. A no-op without TLS. */
void jg_serve_transport_reload(struct jg_serve_transport *t);

void jg_serve_transport_free(struct jg_serve_transport *t);

#endif
