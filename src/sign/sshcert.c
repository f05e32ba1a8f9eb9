/*
 * sshcert.c - see sshcert.h. The user certificate of PROTOCOL.certkeys:
 *
 *   string  "<key type>-cert-v01@openssh.com"
 *   string  nonce
 *   ...     the user key's own fields (what follows its type string)
 *   uint64  serial        uint32 type (1: user)    string key id
 *   string  valid principals (strings)
 *   uint64  valid after   uint64 valid before
 *   string  critical options   string extensions   string reserved
 *   string  signature key (the CA's public key blob)
 *   string  signature over everything before it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "sign/sshcert.h"

#define ED25519_LEN 32
#define ED25519_SIG_LEN 64
#define NONCE_LEN 32
#define CERT_TYPE_USER 1

/* ---- the wire buffer ---------------------------------------------------- */

static int grow(struct jg_sshbuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	unsigned char *p;

	if (b->oom)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		goto oom;
	while (cap < b->len + n)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		goto oom;
	b->p = p;
	b->cap = cap;
	return 0;
oom:
	b->oom = 1; /* sticks: the caller checks once, at the end */
	return -1;
}

void jg_sshbuf_raw(struct jg_sshbuf *b, const void *p, size_t n)
{
	if (n && grow(b, n) == 0) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
	}
}

void jg_sshbuf_u8(struct jg_sshbuf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;

	jg_sshbuf_raw(b, &c, 1);
}

void jg_sshbuf_u32(struct jg_sshbuf *b, uint32_t v)
{
	unsigned char c[4] = {v >> 24, v >> 16, v >> 8, v};

	jg_sshbuf_raw(b, c, 4);
}

void jg_sshbuf_u64(struct jg_sshbuf *b, uint64_t v)
{
	jg_sshbuf_u32(b, (uint32_t)(v >> 32));
	jg_sshbuf_u32(b, (uint32_t)v);
}

void jg_sshbuf_str(struct jg_sshbuf *b, const void *p, size_t n)
{
	jg_sshbuf_u32(b, (uint32_t)n);
	jg_sshbuf_raw(b, p, n);
}

void jg_sshbuf_cstr(struct jg_sshbuf *b, const char *s)
{
	jg_sshbuf_str(b, s, strlen(s));
}

void jg_sshbuf_free(struct jg_sshbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ---- reading a key blob ------------------------------------------------- */

struct rd {
	const unsigned char *p;
	size_t left;
};

/* The next string of r: *s borrowed, *n its length. 0, or -1 when r ends
 * first. */
static int rd_str(struct rd *r, const unsigned char **s, size_t *n)
{
	uint32_t len;

	if (r->left < 4)
		return -1;
	len = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	      (uint32_t)r->p[2] << 8 | r->p[3];
	if (len > r->left - 4)
		return -1;
	*s = r->p + 4;
	*n = len;
	r->p += 4 + len;
	r->left -= 4 + len;
	return 0;
}

static int rd_is(const unsigned char *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* Bits of a positive mpint, or 0 when it is negative or zero. */
static unsigned mpint_bits(const unsigned char *s, size_t n)
{
	unsigned bits;

	if (n && (s[0] & 0x80))
		return 0; /* negative */
	while (n && s[0] == 0) {
		s++;
		n--;
	}
	if (!n || n > JG_SSH_RSA_MAX_BITS / 8)
		return 0;
	bits = (unsigned)(n - 1) * 8;
	for (unsigned c = s[0]; c; c >>= 1)
		bits++;
	return bits;
}

/* Check the fields of a key of type (after its type string). */
static int key_fields_ok(const char *type, struct rd *r, char *why,
                         size_t whylen)
{
	const unsigned char *a, *b;
	size_t na, nb;
	unsigned bits;

	if (!strcmp(type, "ssh-ed25519")) {
		if (rd_str(r, &a, &na) || na != ED25519_LEN)
			goto bad;
	} else if (!strcmp(type, "ecdsa-sha2-nistp256")) {
		/* sshd checks the point is on the curve when it is used */
		if (rd_str(r, &a, &na) || !rd_is(a, na, "nistp256") ||
		    rd_str(r, &b, &nb) || nb != 65 || b[0] != 0x04)
			goto bad;
	} else { /* ssh-rsa: e, then n */
		if (rd_str(r, &a, &na) || rd_str(r, &b, &nb) ||
		    mpint_bits(a, na) < 2 || !(a[na - 1] & 1))
			goto bad;
		bits = mpint_bits(b, nb);
		if (bits < JG_SSH_RSA_MIN_BITS) {
			snprintf(why, whylen, "ssh-rsa keys must have %d to %d "
			         "bits (this one has %u): make an ed25519 key "
			         "(ssh-keygen -t ed25519)", JG_SSH_RSA_MIN_BITS,
			         JG_SSH_RSA_MAX_BITS, bits);
			return -1;
		}
	}
	if (r->left == 0)
		return 0;
bad:
	snprintf(why, whylen, "public_key is not a well-formed %s key", type);
	return -1;
}

/* ---- parsing an authorized_keys line ------------------------------------ */

static const char *const key_types[] = {"ssh-ed25519", "ecdsa-sha2-nistp256",
                                        "ssh-rsa", NULL};

/* Standard base64 (with padding) of in into a malloc'd string. */
static char *b64(const unsigned char *in, size_t n)
{
	char *out;

	if (n > (size_t)INT32_MAX / 2 || !(out = malloc(4 * ((n + 2) / 3) + 1)))
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Decode base64 text of length n into a malloc'd *out; -1 when it is not
 * base64. */
static int unb64(const char *text, size_t n, unsigned char **out,
                 size_t *outlen)
{
	int len, pad = 0;

	*out = NULL;
	if (n == 0 || n % 4 || n > JG_SSH_PUBLINE_MAX)
		return -1;
	pad = (text[n - 1] == '=') + (text[n - 2] == '=');
	if (!(*out = malloc(n / 4 * 3)))
		return -1;
	len = EVP_DecodeBlock(*out, (const unsigned char *)text, (int)n);
	if (len < pad) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*outlen = (size_t)len - (size_t)pad;
	return 0;
}

/* "SHA256:" and the unpadded base64 of the blob's digest. */
static void fingerprint(const unsigned char *blob, size_t n,
                        char out[JG_SSH_FP_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *t;

	SHA256(blob, n, md);
	t = b64(md, sizeof(md));
	snprintf(out, JG_SSH_FP_LEN, "SHA256:%.*s", t ? 43 : 0, t ? t : "");
	free(t);
}

static int known_type(const char *type, size_t n)
{
	for (size_t i = 0; key_types[i]; i++)
		if (strlen(key_types[i]) == n && !memcmp(key_types[i], type, n))
			return 1;
	return 0;
}

enum jg_err jg_sshpub_parse(const char *line, struct jg_sshpub *out,
                            char *why, size_t whylen)
{
	const char *sp, *end;
	const unsigned char *t;
	size_t tn;
	struct rd r;

	memset(out, 0, sizeof(*out));
	if (strlen(line) > JG_SSH_PUBLINE_MAX || !(sp = strchr(line, ' '))) {
		snprintf(why, whylen, "public_key must be one line of an "
		         ".pub file: TYPE BASE64 [comment]");
		return JG_EINVAL;
	}
	if (!known_type(line, (size_t)(sp - line))) {
		snprintf(why, whylen, "public_key must be ssh-ed25519, "
		         "ecdsa-sha2-nistp256 or ssh-rsa (2048 bits or more)");
		return JG_EINVAL;
	}
	memcpy(out->type, line, (size_t)(sp - line));
	sp += strspn(sp, " ");
	end = sp + strcspn(sp, " \r\n");
	if (unb64(sp, (size_t)(end - sp), &out->blob, &out->bloblen) != 0) {
		snprintf(why, whylen, "public_key is not base64");
		return JG_EINVAL;
	}
	r.p = out->blob;
	r.left = out->bloblen;
	if (rd_str(&r, &t, &tn) || !rd_is(t, tn, out->type)) {
		snprintf(why, whylen, "public_key's data is not of type %s",
		         out->type);
		jg_sshpub_clear(out);
		return JG_EINVAL;
	}
	if (key_fields_ok(out->type, &r, why, whylen) != 0) {
		jg_sshpub_clear(out);
		return JG_EINVAL;
	}
	fingerprint(out->blob, out->bloblen, out->fingerprint);
	return JG_OK;
}

void jg_sshpub_clear(struct jg_sshpub *k)
{
	if (!k)
		return;
	free(k->blob);
	memset(k, 0, sizeof(*k));
}

/* ---- the CA key ---------------------------------------------------------- */

enum jg_err jg_sshca_blob(EVP_PKEY *ca, struct jg_sshbuf *b)
{
	unsigned char pk[ED25519_LEN];
	size_t n = sizeof(pk);

	if (EVP_PKEY_get_raw_public_key(ca, pk, &n) != 1 || n != sizeof(pk))
		return JG_EINTERNAL;
	jg_sshbuf_cstr(b, "ssh-ed25519");
	jg_sshbuf_str(b, pk, n);
	return b->oom ? JG_ENOMEM : JG_OK;
}

/* "TYPE BASE64 comment\n" of a blob, malloc'd. */
static char *key_line(const char *type, const unsigned char *blob, size_t n,
                      const char *comment)
{
	char *t = b64(blob, n), *line = NULL;
	size_t len;

	if (!t)
		return NULL;
	len = strlen(type) + strlen(t) + strlen(comment) + 4;
	if ((line = malloc(len)))
		snprintf(line, len, "%s %s %s\n", type, t, comment);
	free(t);
	return line;
}

char *jg_sshca_line(EVP_PKEY *ca)
{
	struct jg_sshbuf b = {0};
	char *line = NULL;

	if (jg_sshca_blob(ca, &b) == JG_OK)
		line = key_line("ssh-ed25519", b.p, b.len, "jitgate-ssh-ca");
	jg_sshbuf_free(&b);
	return line;
}

/* Append the CA's signature (an ssh-ed25519 signature blob) of b. */
static enum jg_err sign_onto(EVP_PKEY *ca, struct jg_sshbuf *b)
{
	unsigned char sig[ED25519_SIG_LEN];
	size_t n = sizeof(sig);
	struct jg_sshbuf s = {0};
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && !b->oom &&
	         EVP_DigestSignInit(ctx, NULL, NULL, NULL, ca) == 1 &&
	         EVP_DigestSign(ctx, sig, &n, b->p, b->len) == 1 &&
	         n == sizeof(sig);

	EVP_MD_CTX_free(ctx);
	if (!ok)
		return b->oom ? JG_ENOMEM : JG_EINTERNAL;
	jg_sshbuf_cstr(&s, "ssh-ed25519");
	jg_sshbuf_str(&s, sig, n);
	jg_sshbuf_str(b, s.p, s.len);
	ok = !s.oom;
	jg_sshbuf_free(&s);
	return ok && !b->oom ? JG_OK : JG_ENOMEM;
}

/* ---- the certificate ---------------------------------------------------- */

/* The fields that come after the key: serial to reserved. */
static void cert_body(struct jg_sshbuf *b, const struct jg_sshcert_req *req)
{
	struct jg_sshbuf sub = {0};

	jg_sshbuf_u64(b, req->serial);
	jg_sshbuf_u32(b, CERT_TYPE_USER);
	jg_sshbuf_cstr(b, req->key_id);
	jg_sshbuf_cstr(&sub, req->principal);
	jg_sshbuf_str(b, sub.p, sub.len);
	jg_sshbuf_u64(b, req->valid_after);
	jg_sshbuf_u64(b, req->valid_before);
	jg_sshbuf_str(b, "", 0); /* critical options: none */
	/* extensions, sorted by name, each with empty data: a shell and
	 * nothing more (no forwarding, no ~/.ssh/rc) */
	sub.len = 0;
	jg_sshbuf_cstr(&sub, "permit-pty");
	jg_sshbuf_str(&sub, "", 0);
	jg_sshbuf_str(b, sub.p, sub.len);
	jg_sshbuf_str(b, "", 0); /* reserved */
	if (sub.oom)
		b->oom = 1;
	jg_sshbuf_free(&sub);
}

enum jg_err jg_sshcert_sign(EVP_PKEY *ca, const struct jg_sshpub *key,
                            const struct jg_sshcert_req *req, char **text)
{
	char type[sizeof(key->type) + 32];
	unsigned char nonce[NONCE_LEN];
	struct jg_sshbuf b = {0}, cab = {0};
	struct rd r = {key->blob, key->bloblen};
	const unsigned char *t;
	size_t tn;
	enum jg_err e;

	*text = NULL;
	if (rd_str(&r, &t, &tn) || RAND_bytes(nonce, sizeof(nonce)) != 1)
		return JG_EINTERNAL;
	snprintf(type, sizeof(type), "%s-cert-v01@openssh.com", key->type);
	jg_sshbuf_cstr(&b, type);
	jg_sshbuf_str(&b, nonce, sizeof(nonce));
	jg_sshbuf_raw(&b, r.p, r.left); /* the key's fields, as they are */
	cert_body(&b, req);
	e = jg_sshca_blob(ca, &cab);
	jg_sshbuf_str(&b, cab.p, cab.len);
	jg_sshbuf_free(&cab);
	if (e == JG_OK)
		e = sign_onto(ca, &b);
	if (e == JG_OK && !(*text = key_line(type, b.p, b.len, req->key_id)))
		e = JG_ENOMEM;
	jg_sshbuf_free(&b);
	return e;
}
