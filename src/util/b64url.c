/* b64url.c - strict base64url without padding; see b64url.h. */
#include "util/b64url.h"

static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t jg_b64url_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16 |
		                  (unsigned long)p[i + 1] << 8 | p[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		out[o++] = alphabet[p[i] >> 2];
		out[o++] = alphabet[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		unsigned long v = (unsigned long)p[i] << 8 | p[i + 1];
		out[o++] = alphabet[v >> 10 & 63];
		out[o++] = alphabet[v >> 4 & 63];
		out[o++] = alphabet[(v & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long jg_b64url_decode(const char *in, size_t len, unsigned char *out,
                      size_t max)
{
	size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
	unsigned long acc = 0;
	size_t o = 0;
	int bits = 0;

	/* one character left over carries 6 bits: never a whole byte */
	if (len % 4 == 1 || need > max)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = value_of(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* the bits below the last byte must be zero: one spelling only */
	if (acc & ((1ul << bits) - 1))
		return -1;
	return (long)o;
}
