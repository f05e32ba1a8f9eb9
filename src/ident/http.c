/*
 * ident/http.c - the one way ident/ talks to an issuer: a bounded JSON
 * exchange over libcurl.
 *
 * An issuer's documents decide whose signatures jitgate believes, so
 * they travel over TLS only (plain HTTP is allowed to a loopback host,
 * where nobody sits between the two ends), redirects are never followed
 * (a redirect could move the key set to a host nobody configured), the
 * answer is bounded and the exchange has a deadline.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "ident/internal.h"

/* 1 when host (as curl spells it) is a loopback address or name. */
static int loopback(const char *host)
{
	struct in_addr a4;

	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
		return 1;
	return inet_pton(AF_INET, host, &a4) == 1 &&
	       (ntohl(a4.s_addr) >> 24) == 127;
}

int jg_ident_url_ok(const char *url, char why[JG_WHY_MAX])
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = -1;

	if (!url || !*url || strlen(url) >= JG_URL_MAX)
		snprintf(why, JG_WHY_MAX, "the URL is empty or longer than %d "
		         "bytes", JG_URL_MAX - 1);
	else if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	         curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	         curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		snprintf(why, JG_WHY_MAX, "'%.200s' is not a URL", url);
	else if (strcmp(scheme, "https") == 0 ||
	         (strcmp(scheme, "http") == 0 && loopback(host)))
		rc = 0;
	else
		snprintf(why, JG_WHY_MAX, "'%.200s' must be https (plain http "
		         "only to a loopback host)", url);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The answer being received, bounded. */
struct body {
	char *buf; /* owned; malloc'd */
	size_t len, cap;
	int toobig;
};

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t add = size * n;
	char *t;

	if (add > JG_IDENT_DOC_MAX - b->len) {
		b->toobig = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + add + 1)
			cap *= 2;
		if (!(t = realloc(b->buf, cap)))
			return 0;
		b->buf = t;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, add);
	b->len += add;
	b->buf[b->len] = '\0';
	return add;
}

static void set_request(CURL *c, const struct jg_ident_issuer *is,
                        const char *url, const char *form, const char *user,
                        const char *pass, struct curl_slist *h,
                        struct body *b)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)JG_IDENT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	                 (curl_off_t)JG_IDENT_DOC_MAX);
	if (is && is->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, is->ca_file);
	if (form)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	if (user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass ? pass : "");
	}
}

enum jg_err jg_ident_http(const struct jg_ident_issuer *is, const char *url,
                          const char *form, const char *user,
                          const char *pass, long *status, json_t **out,
                          char why[JG_WHY_MAX])
{
	struct body b = { 0 };
	struct curl_slist *h = NULL, *t;
	CURL *c = NULL;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	enum jg_err e = JG_EIDP;

	*status = 0;
	*out = NULL;
	if (jg_ident_url_ok(url, why))
		return JG_EIDP;
	if ((t = curl_slist_append(h, "Accept: application/json")))
		h = t;
	if (h && (c = curl_easy_init())) {
		set_request(c, is, url, form, user, pass, h, &b);
		rc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	}
	if (b.toobig || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(why, JG_WHY_MAX, "the answer of %.200s is larger than "
		         "%d bytes", url, JG_IDENT_DOC_MAX);
	else if (rc != CURLE_OK)
		snprintf(why, JG_WHY_MAX, "%.200s cannot be reached: %s", url,
		         curl_easy_strerror(rc));
	else if (!(*out = b.buf ? json_loadb(b.buf, b.len,
	                                     JSON_REJECT_DUPLICATES, NULL)
	                        : NULL))
		snprintf(why, JG_WHY_MAX, "%.200s answered %ld with no JSON "
		         "document", url, *status);
	else
		e = JG_OK;
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(b.buf);
	return e;
}
