/*
 * krl.c - an OpenSSH key revocation list (PROTOCOL.krl) naming the
 * certificates of one CA by serial:
 *
 *   uint64 KRL_MAGIC   uint32 format version (1)   uint64 krl version
 *   uint64 generated date   uint64 flags   string reserved   string comment
 *   byte 1 (KRL_SECTION_CERTIFICATES)   string section:
 *       string CA key   string reserved
 *       byte 0x20 (KRL_SECTION_CERT_SERIAL_LIST)   string uint64 serials
 *
 * Unsigned: sshd reads it from a file the operator fetched (RevokedKeys),
 * and a KRL only ever takes access away.
 */
#include <stdlib.h>
#include <string.h>

#include "sign/sshcert.h"

#define KRL_MAGIC 0x5353484b524c0a00ULL /* "SSHKRL\n\0" */
#define KRL_FORMAT_VERSION 1
#define KRL_SECTION_CERTIFICATES 1
#define KRL_SECTION_CERT_SERIAL_LIST 0x20

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The certificates section: the CA and its revoked serials. */
static enum jg_err cert_section(EVP_PKEY *ca, const uint64_t *s, size_t n,
                                struct jg_sshbuf *b)
{
	struct jg_sshbuf sec = {0}, list = {0}, cab = {0};
	enum jg_err e = jg_sshca_blob(ca, &cab);

	jg_sshbuf_str(&sec, cab.p, cab.len);
	jg_sshbuf_str(&sec, "", 0); /* reserved */
	for (size_t i = 0; i < n; i++)
		if (s[i] && (i == 0 || s[i] != s[i - 1])) /* sorted: dedup */
			jg_sshbuf_u64(&list, s[i]);
	jg_sshbuf_u8(&sec, KRL_SECTION_CERT_SERIAL_LIST);
	jg_sshbuf_str(&sec, list.p, list.len);
	jg_sshbuf_u8(b, KRL_SECTION_CERTIFICATES);
	jg_sshbuf_str(b, sec.p, sec.len);
	if (e == JG_OK && (sec.oom || list.oom || cab.oom || b->oom))
		e = JG_ENOMEM;
	jg_sshbuf_free(&sec);
	jg_sshbuf_free(&list);
	jg_sshbuf_free(&cab);
	return e;
}

enum jg_err jg_krl_build(EVP_PKEY *ca, const uint64_t *serials, size_t n,
                         uint64_t now, unsigned char **out, size_t *len)
{
	struct jg_sshbuf b = {0};
	uint64_t *s = NULL;
	enum jg_err e = JG_OK;

	*out = NULL;
	*len = 0;
	if (n && !(s = malloc(n * sizeof(*s))))
		return JG_ENOMEM;
	if (n) {
		memcpy(s, serials, n * sizeof(*s));
		qsort(s, n, sizeof(*s), by_value);
	}
	jg_sshbuf_u64(&b, KRL_MAGIC);
	jg_sshbuf_u32(&b, KRL_FORMAT_VERSION);
	jg_sshbuf_u64(&b, now); /* krl version: newer lists are larger */
	jg_sshbuf_u64(&b, now); /* generated date */
	jg_sshbuf_u64(&b, 0);   /* flags */
	jg_sshbuf_str(&b, "", 0);
	jg_sshbuf_cstr(&b, "jitgate");
	if (n)
		e = cert_section(ca, s, n, &b);
	free(s);
	if (e == JG_OK && b.oom)
		e = JG_ENOMEM;
	if (e != JG_OK) {
		jg_sshbuf_free(&b);
		return e;
	}
	*out = b.p; /* handed over */
	*len = b.len;
	return JG_OK;
}
