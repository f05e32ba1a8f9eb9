/*
 * pj_check.c - the one question the module asks: POST /v1/check.
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

/* {url}/v1/check, or NULL (the caller frees it). */
static char *check_url(const char *base)
{
	size_t n = strlen(base);
	char *url;

	while (n && base[n - 1] == '/')
		n--;
	if (!(url = malloc(n + sizeof("/v1/check"))))
		return NULL;
	memcpy(url, base, n);
	memcpy(url + n, "/v1/check", sizeof("/v1/check"));
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

/* Send json, fill a from what comes back. */
static void post(CURL *h, const struct pj_opts *o, const char *token,
                 const char *json, struct pj_answer *a)
{
	struct curl_slist *hdrs = NULL, *more;
	struct body *b = calloc(1, sizeof(*b)); /* owned: 64 KiB, off the stack */
	char errbuf[CURL_ERROR_SIZE] = "", why[PJ_TEXT_MAX];
	char *url = check_url(o->url);          /* owned */
	CURLcode rc;
	long status = 0;

	more = curl_slist_append(NULL, "Content-Type: application/json");
	if (!b || !url || !(hdrs = more)) {
		answer(a, PJ_UNAVAILABLE, "out of memory");
		goto out;
	}
	setup(h, o, url, token, hdrs, json, b, errbuf);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "jitgate unreachable at %.100s: %.128s", o->url,
		         b->toobig ? "answer too large"
		                   : *errbuf ? errbuf : curl_easy_strerror(rc));
		answer(a, PJ_UNAVAILABLE, why);
	} else if (status != 200 && status != 400) {
		snprintf(why, sizeof(why), "jitgate answered HTTP %ld", status);
		answer(a, PJ_UNAVAILABLE, why);
	} else {
		pj_answer_parse(a, status, b->buf, b->len);
	}
out:
	curl_slist_free_all(hdrs);
	free(url);
	free(b);
}

void pj_check(const struct pj_opts *o, const char *token,
              const char *principal, const char *resource,
              const char *action, struct pj_answer *a)
{
	json_t *q;
	char *json = NULL; /* owned */
	CURL *h;

	memset(a, 0, sizeof(*a));
	q = json_pack("{s:s, s:s, s:s}", "principal", principal, "resource",
	              resource, "action", action);
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
	if (!(h = curl_easy_init())) {
		answer(a, PJ_UNAVAILABLE, "libcurl would not start");
	} else {
		post(h, o, token, json, a);
		curl_easy_cleanup(h);
	}
	free(json);
}
