/*
 * etag.h - entity tags and conditional GETs (RFC 9110 8.8.3, 13.1.2).
 *
 * The dashboard polls: with the tag of what it last got it asks "has this
 * changed?", and an unchanged answer is a 304 with no body. The tag is a
 * hash of the exact bytes the answer would carry, so it differs whenever
 * anything in the answer (the caller's can_review too) differs.
 */
#ifndef JG_HTTP_ETAG_H
#define JG_HTTP_ETAG_H

#include <stddef.h>

#define JG_ETAG_LEN 35 /* '"' + 32 hex digits + '"' + NUL */

/* The strong tag of n bytes at data: a quoted prefix of their SHA-256. */
void jg_etag_of(const void *data, size_t n, char out[JG_ETAG_LEN]);

/*
 * 1 when an If-None-Match header value (a comma-separated list of tags,
 * or "*") names etag; weak tags (W/"...") match by their opaque part, as
 * RFC 9110 asks for If-None-Match. 0 for NULL or anything else.
 */
int jg_etag_match(const char *if_none_match, const char *etag);

/*
 * 1 when an Accept-Encoding header value takes gzip: "gzip" (or "*")
 * among its codings with a q-value above 0 (RFC 9110 12.5.3). 0 for NULL.
 */
int jg_accepts_gzip(const char *accept_encoding);

#endif
