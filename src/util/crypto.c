/* crypto.c - thin wrappers over OpenSSL's libcrypto. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/crypto.h"

/*
 * SHA-256 fetched from the provider once per process: with EVP_sha256()
 * OpenSSL 3 looks the algorithm up, under a lock, on every digest, which
 * made hashing a 400-byte audit event 1.6 times as slow (audit verify
 * hashes a million). Process-wide but constant once set; never freed
 * (still reachable at exit). NULL when the fetch failed: the implicit
 * lookup is used then.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void jg_sha256_tohex(const unsigned char md[32], char out[JG_SHA256_HEX])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int jg_sha256_unhex(const char *hex, unsigned char md[32])
{
	for (unsigned i = 0; i < 32; i++) {
		int hi = nibble(hex[2 * i]), lo = hi < 0 ? -1 : nibble(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		md[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[64] == '\0' ? 0 : -1;
}

void jg_sha256_hex(const void *data, size_t len, char out[JG_SHA256_HEX])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	pthread_once(&sha256_once, sha256_fetch);
	EVP_Digest(data, len, md, &mdlen,
	           sha256_md ? sha256_md : EVP_sha256(), NULL);
	jg_sha256_tohex(md, out);
}

enum jg_err jg_random_id(const char *prefix, char out[JG_ID_LEN])
{
	static const char b32[] = "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char rnd[26];
	size_t plen = strlen(prefix);

	if (plen > 4 || RAND_bytes(rnd, sizeof(rnd)) != 1)
		return JG_EINTERNAL;
	memcpy(out, prefix, plen);
	out[plen] = '_';
	for (size_t i = 0; i < sizeof(rnd); i++)
		out[plen + 1 + i] = b32[rnd[i] & 31];
	out[plen + 1 + sizeof(rnd)] = '\0';
	return JG_OK;
}

enum jg_err jg_random_token(char out[JG_TOKEN_LEN])
{
	unsigned char rnd[32];
	char b64[48];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return JG_EINTERNAL;
	int n = EVP_EncodeBlock((unsigned char *)b64, rnd, sizeof(rnd));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	/* base64 -> base64url without padding */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	for (int i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	memcpy(out, "jg_", 3);
	memcpy(out + 3, b64, (size_t)n);
	out[3 + n] = '\0';
	OPENSSL_cleanse(b64, sizeof(b64));
	return JG_OK;
}

int jg_secure_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

void jg_crypto_verrf(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	ERR_clear_error();
}

enum jg_err jg_crypto_errf(enum jg_err e, char *err, size_t errlen,
                           const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jg_crypto_verrf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}
