/*
 * pj_check.c - the module's HTTP exchanges with jitgate (pj_http), and
 * the question it asks for every login: POST /v1/check.
 *
 * Only a 200 whose body is a JSON object with a boolean "allow" counts
 * as an answer; anything else (no connection, a timeout, TLS that does
 * not verify, another status, a body that is not that object, a body
 * past PJ_BODY_MAX) is PJ_UNAVAILABLE, and the module fails closed. A
 * 400 is jitgate saying the question itself was wrong (a user name that
 * is not a valid principal): a denial, not an outage.
 *
 * Never: follow a redirect, speak anything but http and https, send the
 * token anywhere but the configured URL, or keep the server's text
 * unfiltered (it ends up in syslog and on the user's terminal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "pj.h"

#define PJ_BODY_MAX (64 * 1024) /* a check answer is a few hundred bytes */

struct body {
	char buf[PJ_BODY_MAX + 1];
	size_t len;
	int toobig;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct body *b = ud;
	size_t len = size * n;

	if (len > PJ_BODY_MAX - b->len) {
		b->toobig = 1;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	return len;
}

void pj_printable(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src && *src && i + 1 < n; src++)
		dst[i++] = (*src >= ' ' && *src <= '~') ? *src : '?';
	dst[i] = '\0';
}

static void answer(struct pj_answer *a, enum pj_verdict v, const char *why)
{
	a->verdict = v;
	pj_printable(a->why, sizeof(a->why), why);
}

void pj_answer_parse(struct pj_answer *a, long status, const char *body,
                     size_t len)
{
	json_t *root, *allow, *reason;
	const char *grant, *expires, *detail;

	memset(a, 0, sizeof(*a));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (status == 400) {
		detail = json_string_value(json_object_get(root, "detail"));
		answer(a, PJ_DENY, detail ? detail : "jitgate refused the question");
		json_decref(root);
		return;
	}
	allow = json_object_get(root, "allow");
	reason = json_object_get(root, "reason");
	if (!json_is_object(root) || !json_is_boolean(allow)) {
		answer(a, PJ_UNAVAILABLE, "jitgate answered something that is not "
		       "a check result");
	} else if (json_is_false(allow)) {
		answer(a, PJ_DENY, json_is_string(reason) ? json_string_value(reason)
		                                           : "no reason given");
	} else if (!(grant = json_string_value(json_object_get(root, "grant_id")))) {
		answer(a, PJ_UNAVAILABLE, "jitgate allowed without naming a grant");
	} else {
		answer(a, PJ_ALLOW, "active grant");
		pj_printable(a->grant, sizeof(a->grant), grant);
		expires = json_string_value(json_object_get(root, "expires_at"));
		pj_printable(a->expires, sizeof(a->expires), expires);
	}
	json_decref(root);
}

/* {url}{path}, or NULL (the caller frees it). */
static char *join_url(const char *base, const char *path)
{
	size_t n = strlen(base), p = strlen(path);
	char *url;

	while (n && base[n - 1] == '/')
		n--;
	if (!(url = malloc(n + p + 1)))
		return NULL;
	memcpy(url, base, n);
	memcpy(url + n, path, p + 1);
	return url;
}

static void setup(CURL *h, const struct pj_opts *o, const char *url,
                  const char *token, struct curl_slist *hdrs, const char *json,
                  struct body *b, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* inside sshd and sudo */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "pam_jitgate");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (json)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->cafile)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->cafile);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
	curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, token);
}

/* Perform h, the answer into b: 0, or -1 with why in err. */
static int perform(CURL *h, const struct pj_opts *o, struct body *b,
                   char *errbuf, long *status, char *err, size_t errlen)
{
	CURLcode rc = curl_easy_perform(h);
	char why[PJ_TEXT_MAX];

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (rc == CURLE_OK)
		return 0;
	snprintf(why, sizeof(why), "jitgate unreachable at %.100s: %.128s", o->url,
	         b->toobig ? "answer too large"
	                   : *errbuf ? errbuf : curl_easy_strerror(rc));
	pj_printable(err, errlen, why);
	return -1;
}

int pj_http(const struct pj_opts *o, const char *token, const char *method,
            const char *path, const char *json, long *status, char **body,
            size_t *len, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	struct body *b = calloc(1, sizeof(*b)); /* owned: 64 KiB, off the stack */
	char errbuf[CURL_ERROR_SIZE] = "";
	char *url = join_url(o->url, path);    /* owned */
	CURL *h = curl_easy_init();             /* owned */
	int rv = -1;

	*status = 0;
	*body = NULL;
	*len = 0;
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (!b || !url || !hdrs || !h) {
		pj_printable(err, errlen, "out of memory");
		goto out;
	}
	setup(h, o, url, token, hdrs, json, b, errbuf);
	if (!strcmp(method, "GET"))
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (perform(h, o, b, errbuf, status, err, errlen) == 0) {
		b->buf[b->len] = '\0';
		*len = b->len;
		*body = (char *)b; /* buf is the first member: one free */
		b = NULL;
		rv = 0;
	}
out:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	free(url);
	free(b);
	return rv;
}

/* Send json to /v1/check, fill a from what comes back. */
static void post(const struct pj_opts *o, const char *token, const char *json,
                 struct pj_answer *a)
{
	char why[PJ_TEXT_MAX];
	char *body = NULL; /* owned */
	size_t len;
	long status;

	if (pj_http(o, token, "POST", "/v1/check", json, &status, &body, &len,
	            why, sizeof(why)) < 0) {
		answer(a, PJ_UNAVAILABLE, why);
	} else if (status != 200 && status != 400) {
		snprintf(why, sizeof(why), "jitgate answered HTTP %ld", status);
		answer(a, PJ_UNAVAILABLE, why);
	} else {
		pj_answer_parse(a, status, body, len);
	}
	free(body);
}

void pj_check(const struct pj_opts *o, const char *token,
              const char *principal, const char *resource,
              const char *action, const char *source, struct pj_answer *a)
{
	json_t *q;
	char *json = NULL; /* owned */

	memset(a, 0, sizeof(*a));
	q = json_pack("{s:s, s:s, s:s, s:s?}", "principal", principal,
	              "resource", resource, "action", action, "source", source);
	if (!q) { /* jansson refuses text that is not UTF-8 */
		answer(a, PJ_DENY, "the principal, resource or action is not UTF-8");
		return;
	}
	json = json_dumps(q, JSON_COMPACT);
	json_decref(q);
	if (!json) {
		answer(a, PJ_UNAVAILABLE, "out of memory");
		return;
	}
	post(o, token, json, a);
	free(json);
}
