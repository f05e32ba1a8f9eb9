/*
 * b64url.h - base64url without padding (RFC 4648 section 5), as JOSE
 * (JWS, JWK) writes binary values.
 *
 * OpenSSL has base64 but not base64url, and its decoder accepts padding,
 * white space and stray bits; tokens need one exact spelling per value, so
 * this small codec is strict: only the 64 URL-safe characters, no '=', no
 * length that cannot occur, and no non-zero bits past the last byte.
 */
#ifndef JG_B64URL_H
#define JG_B64URL_H

#include <stddef.h>

/* Characters needed to encode n bytes, without the NUL. */
#define JG_B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/*
 * Encode in[0..n) into out, which has room for JG_B64URL_LEN(n) + 1
 * bytes; out is NUL-terminated. Returns the length written.
 */
size_t jg_b64url_encode(const void *in, size_t n, char *out);

/*
 * Decode the len characters at in into out (at most max bytes).
 * Returns the number of bytes, or -1 when in is not canonical base64url
 * or the result would not fit.
 */
long jg_b64url_decode(const char *in, size_t len, unsigned char *out,
                      size_t max);

#endif
