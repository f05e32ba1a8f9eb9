/*
 * tls.h - the server's certificate and key for native TLS (GnuTLS, as
 * Debian builds libmicrohttpd), re-read on demand without dropping a
 * connection.
 *
 * libmicrohttpd asks for the certificate on every handshake through
 * GnuTLS's retrieve callback (MHD_OPTION_HTTPS_CERT_CALLBACK), which
 * gets no closure argument: so one set of credentials serves the whole
 * process (jg_tls_open refuses a second). A reload builds the new
 * credentials aside and swaps one pointer: handshakes begun before it
 * finish with the old ones, which stay allocated until jg_tls_free (a
 * few KiB per reload).
 */
#ifndef JG_HTTP_TLS_H
#define JG_HTTP_TLS_H

#include <stddef.h>

#include <microhttpd.h>

#include "core/model.h"

/*
 * TLS 1.3 and 1.2 only; AEAD ciphers only (AES-GCM, ChaCha20-Poly1305);
 * forward-secret key exchange only (ECDHE, or TLS 1.3's groups).
 */
#define JG_TLS_PRIORITIES                                                 \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"                     \
	"-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"       \
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

/* What HSTS says on every answer served over TLS: one year. */
#define JG_TLS_HSTS "max-age=31536000"

struct jg_tls;

/*
 * Read the PEM certificate chain (the server's first) from cert_path and
 * its private key from key_path; both paths are copied for reloads.
 * JG_OK, or JG_EINVAL with why (naming the file) in err.
 */
enum jg_err jg_tls_open(const char *cert_path, const char *key_path,
                        struct jg_tls **out, char *err, size_t errlen);

/*
 * Read both files again and serve the new pair to new handshakes. On any
 * failure the current pair stays, and err says why (naming the file).
 * fpr receives the new certificate's SHA-256 fingerprint (hex) on JG_OK.
 * Call from one thread at a time (the signal loop).
 */
enum jg_err jg_tls_reload(struct jg_tls *t, char fpr[65], char *err,
                          size_t errlen);

/* The current certificate's SHA-256 fingerprint (hex), for the log. */
void jg_tls_fingerprint(const struct jg_tls *t, char fpr[65]);

/* The libmicrohttpd options (for MHD_OPTION_ARRAY; with MHD_USE_TLS)
 * that serve t: the certificate callback and JG_TLS_PRIORITIES. */
const struct MHD_OptionItem *jg_tls_mhd_options(const struct jg_tls *t);

/* After the server has stopped. NULL-safe. */
void jg_tls_free(struct jg_tls *t);

#endif
