/* etag.c - entity tags and If-None-Match (see etag.h). */
#include <string.h>

#include "http/etag.h"
#include "util/crypto.h"

void jg_etag_of(const void *data, size_t n, char out[JG_ETAG_LEN])
{
	char hex[JG_SHA256_HEX];

	jg_sha256_hex(data, n, hex);
	out[0] = '"';
	memcpy(out + 1, hex, JG_ETAG_LEN - 3);
	out[JG_ETAG_LEN - 2] = '"';
	out[JG_ETAG_LEN - 1] = '\0';
}

int jg_etag_match(const char *h, const char *etag)
{
	size_t want = strlen(etag);

	if (!h)
		return 0;
	while (*h) {
		const char *end;

		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		if (*h == '*')
			return 1;
		if (strncmp(h, "W/", 2) == 0)
			h += 2;
		end = h;
		while (*end && *end != ',' && *end != ' ' && *end != '\t')
			end++;
		if ((size_t)(end - h) == want && memcmp(h, etag, want) == 0)
			return 1;
		h = end;
	}
	return 0;
}
