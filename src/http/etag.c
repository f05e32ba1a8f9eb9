/* etag.c - entity tags, If-None-Match and Accept-Encoding (etag.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The q-value of one coding's parameters (";q=0.5"), 1 when absent. */
static double qvalue(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
			return strtod(p + 2, NULL);
		while (p < end && *p != ';')
			p++;
	}
	return 1;
}

int jg_accepts_gzip(const char *h)
{
	int gzip = -1, star = -1; /* -1: not named; else accepted or not */

	while (h && *h) {
		const char *end = strchr(h, ','), *name_end;
		size_t len;

		if (!end)
			end = h + strlen(h);
		while (h < end && (*h == ' ' || *h == '\t'))
			h++;
		name_end = h;
		while (name_end < end && *name_end != ';' && *name_end != ' ' &&
		       *name_end != '\t')
			name_end++;
		len = (size_t)(name_end - h);
		if ((len == 4 && strncasecmp(h, "gzip", 4) == 0) ||
		    (len == 6 && strncasecmp(h, "x-gzip", 6) == 0))
			gzip = qvalue(name_end, end) > 0;
		else if (len == 1 && *h == '*')
			star = qvalue(name_end, end) > 0;
		h = *end ? end + 1 : end;
	}
	return gzip >= 0 ? gzip : star > 0;
}
