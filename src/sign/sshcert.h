/*
 * sshcert.h - OpenSSH user certificates and key revocation lists, written
 * by hand from OpenSSH's PROTOCOL.certkeys and PROTOCOL.krl and signed
 * with an Ed25519 CA key (OpenSSL).
 *
 * The wire format is SSH's (RFC 4251): uint32 and uint64 big-endian,
 * string = uint32 length + bytes. A certificate is the user's public key
 * fields, a serial, validity and principals, signed by the CA over all of
 * it. This module only encodes and signs: which key, login and validity a
 * grant deserves is decided in gate/sshcert.c. It never sees a private
 * key other than the CA's, and never prints that.
 */
#ifndef JG_SIGN_SSHCERT_H
#define JG_SIGN_SSHCERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "util/err.h"

/* An authorized_keys line is at most this long (an RSA 16384 key). */
#define JG_SSH_PUBLINE_MAX 4096
/* "SHA256:" + 43 base64 characters + NUL, with room to spare. */
#define JG_SSH_FP_LEN 64
#define JG_SSH_RSA_MIN_BITS 2048
#define JG_SSH_RSA_MAX_BITS 16384

/* A growing byte buffer in SSH wire format; oom is set (and sticks) when
 * a write could not grow it. */
struct jg_sshbuf {
	unsigned char *p; /* owned */
	size_t len, cap;
	int oom;
};
void jg_sshbuf_u8(struct jg_sshbuf *b, unsigned v);
void jg_sshbuf_u32(struct jg_sshbuf *b, uint32_t v);
void jg_sshbuf_u64(struct jg_sshbuf *b, uint64_t v);
void jg_sshbuf_raw(struct jg_sshbuf *b, const void *p, size_t n);
void jg_sshbuf_str(struct jg_sshbuf *b, const void *p, size_t n);
void jg_sshbuf_cstr(struct jg_sshbuf *b, const char *s);
void jg_sshbuf_free(struct jg_sshbuf *b);

/* A user's public key, parsed from an authorized_keys line. */
struct jg_sshpub {
	char type[48];               /* "ssh-ed25519", ... */
	unsigned char *blob;         /* owned: the key in wire format */
	size_t bloblen;
	char fingerprint[JG_SSH_FP_LEN]; /* "SHA256:..." as ssh-keygen -l */
};

/*
 * Parse one authorized_keys line ("TYPE BASE64 [comment]"): ssh-ed25519,
 * ecdsa-sha2-nistp256 or ssh-rsa of 2048 to 16384 bits. JG_OK, or
 * JG_EINVAL with why set (naming the type, never echoing the key) and
 * nothing to free. jg_sshpub_clear frees it (NULL-safe).
 */
enum jg_err jg_sshpub_parse(const char *line, struct jg_sshpub *out,
                            char *why, size_t whylen);
void jg_sshpub_clear(struct jg_sshpub *k);

/* The CA public key (Ed25519) in wire format into b. */
enum jg_err jg_sshca_blob(EVP_PKEY *ca, struct jg_sshbuf *b);

/* The CA public key as an authorized_keys line ending in "\n", for
 * sshd's TrustedUserCAKeys; malloc'd, or NULL (no memory). */
char *jg_sshca_line(EVP_PKEY *ca);

/* What a user certificate says. */
struct jg_sshcert_req {
	uint64_t serial;        /* nonzero (a KRL cannot name serial 0) */
	const char *key_id;     /* logged by sshd at each login */
	const char *principal;  /* the one login it is valid for */
	uint64_t valid_after;   /* seconds since the epoch */
	uint64_t valid_before;
};

/*
 * Sign key into a user certificate with ca (Ed25519, borrowed): the
 * extension permit-pty only, no critical options. *text (malloc'd) is the
 * certificate as an authorized_keys-style line ending in "\n", what
 * ssh-keygen writes to id_*-cert.pub. JG_OK or JG_EINTERNAL/JG_ENOMEM.
 */
enum jg_err jg_sshcert_sign(EVP_PKEY *ca, const struct jg_sshpub *key,
                            const struct jg_sshcert_req *req, char **text);

/*
 * A KRL (PROTOCOL.krl) revoking the certificates of ca with the given
 * serials (any order; sorted and deduplicated here, n may be 0), version
 * and generated date now. *out (malloc'd) and *len. JG_OK or JG_ENOMEM.
 */
enum jg_err jg_krl_build(EVP_PKEY *ca, const uint64_t *serials, size_t n,
                         uint64_t now, unsigned char **out, size_t *len);

#endif
