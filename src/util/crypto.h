/*
 * crypto.h - the few primitives jitgate needs from OpenSSL: SHA-256 in hex,
 * unpredictable identifiers and bearer tokens, constant-time comparison.
 */
#ifndef JG_CRYPTO_H
#define JG_CRYPTO_H

#include <stdarg.h>
#include <stddef.h>

#include "util/err.h"

#define JG_SHA256_HEX 65 /* 64 hex digits + NUL */
#define JG_ID_LEN 32     /* "req_" + 26 base32 chars + NUL, with room */
#define JG_TOKEN_LEN 48  /* "jg_" + 43 base64url chars + NUL, with room */

/* out receives the lowercase hex SHA-256 of data[0..len). */
void jg_sha256_hex(const void *data, size_t len, char out[JG_SHA256_HEX]);

/* out receives the 32 bytes of md as 64 lowercase hex digits. */
void jg_sha256_tohex(const unsigned char md[32], char out[JG_SHA256_HEX]);

/* The 32 bytes that exactly 64 lowercase hex digits stand for, into md:
 * 0; -1 for anything else (md then undefined). hex may be shorter (it is
 * read up to its first bad character). */
int jg_sha256_unhex(const char *hex, unsigned char md[32]);

/*
 * out receives prefix + "_" + 26 random base32 characters (130 bits), e.g.
 * "req_3k2…". prefix is at most 4 characters. JG_EINTERNAL when the system
 * random generator fails.
 */
enum jg_err jg_random_id(const char *prefix, char out[JG_ID_LEN]);

/* out receives a new bearer token: "jg_" + 256 random bits, base64url. */
enum jg_err jg_random_token(char out[JG_TOKEN_LEN]);

/*
 * Format a message into err (errlen bytes; err may be NULL) and clear
 * OpenSSL's error queue, so that a failure leaves nothing behind for the
 * next call to misread. jg_crypto_errf returns e, for `return errf(…)`.
 */
void jg_crypto_verrf(char *err, size_t errlen, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));
enum jg_err jg_crypto_errf(enum jg_err e, char *err, size_t errlen,
                           const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* 1 when a and b hold the same bytes; time depends only on the lengths. */
int jg_secure_equal(const char *a, const char *b);

#endif
