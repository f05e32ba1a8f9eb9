/*
 * deliver.c - the outbox worker: claim due deliveries, POST them with
 * short timeouts, record the outcome, back off exponentially, and
 * dead-letter after cfg->max_attempts. No transaction is open while a
 * target is called, so a hung receiver holds up nothing but its own
 * delivery.
 *
 * Delivery is at least once: a crash between a 2xx and its record means
 * one more POST. Receivers drop repeats by X-Jitgate-Delivery, which the
 * signature covers with the event and the time stamp, so a captured
 * delivery cannot be replayed under another id, event or time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "notify/chat.h"
#include "notify/mail.h"
#include "notify/notify.h"

#define CLAIM_MAX 32
#define LEASE 60 /* seconds a claimed delivery is not offered again */

void jg_notify_sign(const char *secret, const char *id, int64_t ts,
                    const char *event, const char *body, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char prefix[160];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t len = 0;
	int n = snprintf(prefix, sizeof(prefix), "%s.%lld.%s.", id,
	                 (long long)ts, event);

	/* a cut prefix would sign something else than the headers say */
	if (n > 0 && (size_t)n < sizeof(prefix) && ctx &&
	    EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret),
	                 params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)prefix, (size_t)n) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, strlen(body)) == 1 &&
	    EVP_MAC_final(ctx, md, &len, sizeof(md)) == 1)
		mdlen = (unsigned int)len;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	memcpy(out, "v1=", 3);
	for (unsigned int i = 0; i < mdlen && i < 32; i++) {
		out[3 + 2 * i] = hex[md[i] >> 4];
		out[4 + 2 * i] = hex[md[i] & 15];
	}
	out[3 + 2 * (mdlen < 32 ? mdlen : 32)] = '\0';
}

int jg_notify_url_check(const char *flag, const char *url, char *why,
                        size_t len)
{
	static const char *const schemes[] = {"http://", "https://"};

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (strncasecmp(url, schemes[i], n) == 0 && url[n] &&
		    url[n] != '/')
			return 0;
	}
	snprintf(why, len, "%s '%.200s' must be an http:// or https:// URL",
	         flag, url);
	return -1;
}

int64_t jg_notify_backoff(int attempts)
{
	int shift = attempts < 1 ? 1 : attempts > 12 ? 12 : attempts;
	int64_t wait = (int64_t)1 << shift;
	return wait > 3600 ? 3600 : wait;
}

/* Receivers' answers are not read: count and drop them. */
static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static struct curl_slist *headers_for(const struct jg_notify_config *cfg,
                                      const struct jg_delivery *d,
                                      int64_t now)
{
	struct curl_slist *h = NULL;
	char line[160], sig[72], id[32];

	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "User-Agent: jitgate/0.1");
	if (strcmp(d->target, "webhook") != 0)
		return h;
	snprintf(line, sizeof(line), "X-Jitgate-Event: %s", d->event);
	h = curl_slist_append(h, line);
	snprintf(id, sizeof(id), "dlv_%lld", (long long)d->id);
	snprintf(line, sizeof(line), "X-Jitgate-Delivery: %s", id);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Jitgate-Timestamp: %lld",
	         (long long)now);
	h = curl_slist_append(h, line);
	if (cfg->webhook_secret) {
		jg_notify_sign(cfg->webhook_secret, id, now, d->event,
		               d->payload, sig);
		snprintf(line, sizeof(line), "X-Jitgate-Signature: %s", sig);
		h = curl_slist_append(h, line);
	}
	return h;
}

static int post_to(const struct jg_notify_config *cfg,
                   const struct jg_delivery *d, const char *url,
                   const char *body, int64_t now, char *why, size_t len);

/* A Slack response_url reply: the URL and message are in the payload. */
static int post_reply(const struct jg_notify_config *cfg,
                      const struct jg_delivery *d, int64_t now, char *why,
                      size_t len)
{
	json_t *p = json_loads(d->payload, 0, NULL); /* owned */
	const char *url = json_string_value(json_object_get(p, "url"));
	char *body = json_dumps(json_object_get(p, "message"), JSON_COMPACT);
	int rc = -1;

	if (!url || !body || !jg_slack_reply_ok(cfg, url))
		snprintf(why, len, "a malformed Slack reply");
	else
		rc = post_to(cfg, d, url, body, now, why, len);
	free(body);
	json_decref(p);
	return rc;
}

/* POST one delivery; 0 on a 2xx, else -1 with why filled. */
static int post(const struct jg_notify_config *cfg,
                const struct jg_delivery *d, int64_t now, char *why,
                size_t len)
{
	const char *url = strcmp(d->target, "slack") == 0 ? cfg->slack_url
	                                                  : cfg->webhook_url;

	if (strcmp(d->target, "mail") == 0)
		return jg_mail_send(cfg, d, now, why, len);
	if (strcmp(d->target, "slack_reply") == 0)
		return post_reply(cfg, d, now, why, len);
	if (!url) {
		snprintf(why, len, "no %s target configured", d->target);
		return -1;
	}
	return post_to(cfg, d, url, d->payload, now, why, len);
}

static int post_to(const struct jg_notify_config *cfg,
                   const struct jg_delivery *d, const char *url,
                   const char *body, int64_t now, char *why, size_t len)
{
	struct curl_slist *h;
	CURL *c;
	CURLcode rc;
	long status = 0;

	if (!(c = curl_easy_init())) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	h = headers_for(cfg, d, now);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s", curl_easy_strerror(rc));
		return -1;
	}
	if (status < 200 || status > 299) {
		snprintf(why, len, "the receiver answered %ld", status);
		return -1;
	}
	return 0;
}

/* Record what one attempt did, in its own short transaction. */
static void record(struct jg_store *st, const struct jg_notify_config *cfg,
                   struct jg_delivery *d, int ok, const char *why,
                   int64_t now)
{
	d->attempts++;
	if (ok) {
		snprintf(d->state, sizeof(d->state), "delivered");
		d->delivered_at = now;
		d->last_error[0] = '\0';
	} else {
		snprintf(d->last_error, sizeof(d->last_error), "%s", why);
		if (d->attempts >= cfg->max_attempts)
			snprintf(d->state, sizeof(d->state), "dead");
		d->next_at = now + jg_notify_backoff(d->attempts);
	}
	if (st->ops->begin(st, 1) != JG_OK)
		return; /* the lease runs out and it is tried again */
	if (st->ops->outbox_mark(st, d) != JG_OK ||
	    st->ops->commit(st) != JG_OK)
		st->ops->rollback(st);
}

size_t jg_notify_deliver(struct jg_store *st,
                         const struct jg_notify_config *cfg, int64_t now)
{
	return jg_notify_deliver_until(st, cfg, now, NULL, NULL);
}

size_t jg_notify_deliver_until(struct jg_store *st,
                               const struct jg_notify_config *cfg,
                               int64_t now, int (*stop)(void *ctx),
                               void *ctx)
{
	struct jg_delivery *due = NULL;
	size_t n = 0;
	char why[200];

	if (st->ops->begin(st, 1) != JG_OK)
		return 0;
	if (st->ops->outbox_claim(st, now, LEASE, CLAIM_MAX, &due, &n) !=
	            JG_OK ||
	    st->ops->commit(st) != JG_OK) {
		st->ops->rollback(st);
		for (size_t i = 0; i < n; i++)
			jg_delivery_clear(&due[i]);
		free(due);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!stop || !stop(ctx)) {
			int ok = post(cfg, &due[i], now, why, sizeof(why)) == 0;
			record(st, cfg, &due[i], ok, why, now);
		}
		jg_delivery_clear(&due[i]);
	}
	free(due);
	return n;
}
