/*
 * mail.c - notices by mail (mail.h). The message is built when it is
 * queued (what it says is fixed by the change that caused it) and sent
 * later by the outbox worker, with short timeouts: a hung server holds up
 * only its own delivery, which is tried again with back-off.
 *
 * Never sends in clear text: smtp:// must upgrade with STARTTLS or the
 * delivery fails; the certificate is always verified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "notify/chat.h"
#include "notify/mail.h"
#include "notify/outbox.h"
#include "util/crypto.h"

#define MAIL_MAX 16384 /* bytes of one message's text and HTML together */

int jg_mail_url_check(const char *url, char *why, size_t len)
{
	static const char *const schemes[] = {"smtp://", "smtps://"};

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (strncasecmp(url, schemes[i], n) == 0 && url[n] &&
		    url[n] != '/')
			return 0;
	}
	snprintf(why, len, "--mail-url '%.200s' must be smtp://HOST[:PORT] "
	         "(STARTTLS) or smtps://HOST[:PORT]", url);
	return -1;
}

/* An address for principal name: itself when it looks like one. */
static const char *address_of(const struct jg_notify_config *cfg,
                              const char *name)
{
	const char *at = strchr(name, '@');
	const char *mapped = jg_chat_users_find(cfg->mail_book, name);

	if (mapped)
		return mapped;
	if (at && at != name && strchr(at + 1, '.') && !strchr(at + 1, '@'))
		return name;
	return NULL;
}

/* HTML-escape in into out (cut to fit). */
static void html_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 7 < len; in++) {
		const char *rep = *in == '&' ? "&amp;" : *in == '<' ? "&lt;"
		                : *in == '>' ? "&gt;" : *in == '"' ? "&quot;"
		                : *in == '\'' ? "&#39;" : NULL;
		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* A header value: control characters (a CR/LF would start a header of
 * the sender's choosing) become spaces. */
static void header_safe(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* What the mail about r says, to `to`; url: the request's page or "". */
static json_t *message(enum jg_notice what, const struct jg_request *r,
                       const char *to, const char *url)
{
	char subject[300], reason[JG_REASON_MAX + 1];
	char e_reason[JG_REASON_MAX + 1], e_url[1200], e_who[400];
	char text[MAIL_MAX / 2], html[MAIL_MAX / 2];
	const char *ask = what == JG_NOTICE_STEP ? "needs the next approval "
	                                           "for" : "asks for";

	snprintf(subject, sizeof(subject), "[jitgate] %s %s %s on %s",
	         r->requester, ask, r->action, r->resource);
	header_safe(subject);
	snprintf(reason, sizeof(reason), "%s", r->reason ? r->reason : "");
	html_escape(reason, e_reason, sizeof(e_reason));
	html_escape(url, e_url, sizeof(e_url));
	html_escape(r->requester, e_who, sizeof(e_who));
	snprintf(text, sizeof(text), "%s %s %s on %s.\n\nReason: %s\n"
	         "Request: %s\n\nReview it: %s\n", r->requester, ask,
	         r->action, r->resource, reason, r->id,
	         url[0] ? url : "(no dashboard URL configured)");
	snprintf(html, sizeof(html), "<!DOCTYPE html><html><body><p><b>%s"
	         "</b> %s <code>%s</code> on <b>%s</b>.</p><p>Reason: %s</p>"
	         "<p>Request: <code>%s</code></p>%s%s%s</body></html>\n",
	         e_who, ask, r->action, r->resource, e_reason, r->id,
	         url[0] ? "<p><a href=\"" : "", e_url,
	         url[0] ? "\">Review it in jitgate</a></p>" : "");
	return json_pack("{s:s,s:s,s:s,s:s}", "to", to, "subject", subject,
	                 "text", text, "html", html);
}

enum jg_err jg_mail_queue(struct jg_store *st,
                          const struct jg_notify_config *cfg,
                          const struct jg_policy *p, enum jg_notice what,
                          const struct jg_request *r, const char *key,
                          int64_t now)
{
	const struct jg_group *g;
	char url[1024], mkey[96], hash[JG_SHA256_HEX];
	enum jg_err e = JG_OK;

	if (!cfg->mail_url || (what != JG_NOTICE_PENDING &&
	                       what != JG_NOTICE_STEP) ||
	    r->step >= r->nsteps)
		return JG_OK;
	g = jg_policy_group(p, r->steps[r->step].group);
	jg_notify_link(cfg, r->id, url, sizeof(url));
	for (size_t i = 0; g && e == JG_OK && i < g->nmembers; i++) {
		const char *to = address_of(cfg, g->members[i]);
		if (!to || strcmp(g->members[i], r->requester) == 0)
			continue; /* no address, or cannot approve it anyway */
		/* one delivery per address; the key names it by hash, to fit */
		jg_sha256_hex(to, strlen(to), hash);
		snprintf(mkey, sizeof(mkey), "%.60s:%.16s", key, hash);
		e = jg_notify_queue(st, "mail", jg_notify_event_name(what),
		                    r->id, mkey,
		                    message(what, r, to, url), now);
	}
	return e;
}

/* ---- sending ---- */

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

/* Date, Message-ID (the same on every attempt: receivers can drop a
 * repeat) and Auto-Submitted (no vacation replies to a robot). */
static struct curl_slist *envelope_headers(struct curl_slist *h,
                                           const struct jg_notify_config *cfg,
                                           const struct jg_delivery *d,
                                           int64_t now)
{
	const char *domain = strchr(cfg->mail_from, '@') + 1;
	time_t t = (time_t)now;
	struct tm tm;
	char line[400], date[64];

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(line, sizeof(line), "Date: %s", date);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "Message-ID: <jitgate.dlv_%lld@%.300s>",
	         (long long)d->id, domain);
	h = curl_slist_append(h, line);
	return curl_slist_append(h, "Auto-Submitted: auto-generated");
}

/* The message as the worker sends it: headers, then the two parts. */
static curl_mime *build(CURL *c, json_t *m, struct curl_slist **hdr,
                        const struct jg_notify_config *cfg)
{
	curl_mime *top = curl_mime_init(c), *alt = curl_mime_init(c);
	curl_mimepart *part;
	struct curl_slist *types = NULL;
	char line[700];

	snprintf(line, sizeof(line), "Subject: %s",
	         json_string_value(json_object_get(m, "subject")));
	*hdr = curl_slist_append(*hdr, line);
	snprintf(line, sizeof(line), "From: jitgate <%s>", cfg->mail_from);
	*hdr = curl_slist_append(*hdr, line);
	snprintf(line, sizeof(line), "To: <%s>",
	         json_string_value(json_object_get(m, "to")));
	*hdr = curl_slist_append(*hdr, line);
	part = curl_mime_addpart(alt);
	curl_mime_data(part, json_string_value(json_object_get(m, "text")),
	               CURL_ZERO_TERMINATED);
	curl_mime_type(part, "text/plain; charset=utf-8");
	curl_mime_encoder(part, "quoted-printable");
	part = curl_mime_addpart(alt);
	curl_mime_data(part, json_string_value(json_object_get(m, "html")),
	               CURL_ZERO_TERMINATED);
	curl_mime_type(part, "text/html; charset=utf-8");
	curl_mime_encoder(part, "quoted-printable");
	/* the two are alternatives of one body, not attachments */
	part = curl_mime_addpart(top);
	curl_mime_subparts(part, alt);
	curl_mime_type(part, "multipart/alternative");
	types = curl_slist_append(types, "Content-Disposition: inline");
	curl_mime_headers(part, types, 1);
	return top;
}

int jg_mail_send(const struct jg_notify_config *cfg,
                 const struct jg_delivery *d, int64_t now, char *why,
                 size_t len)
{
	json_t *m = json_loads(d->payload, 0, NULL); /* owned */
	const char *to = json_string_value(json_object_get(m, "to"));
	struct curl_slist *rcpt = NULL, *hdr = NULL;
	curl_mime *mime = NULL;
	char from[300], rto[300], err[CURL_ERROR_SIZE] = "";
	CURL *c = NULL;
	CURLcode rc;

	if (!cfg->mail_url || !cfg->mail_from) {
		snprintf(why, len, "no mail target configured");
		json_decref(m);
		return -1;
	}
	if (!to || !(c = curl_easy_init())) {
		snprintf(why, len, to ? "out of memory" : "a malformed mail");
		json_decref(m);
		return -1;
	}
	snprintf(from, sizeof(from), "<%s>", cfg->mail_from);
	snprintf(rto, sizeof(rto), "<%s>", to);
	rcpt = curl_slist_append(rcpt, rto);
	mime = build(c, m, &hdr, cfg);
	hdr = envelope_headers(hdr, cfg, d, now);
	curl_easy_setopt(c, CURLOPT_URL, cfg->mail_url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err); /* says "RCPT failed: 550" */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->mail_cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->mail_cacert);
	if (cfg->mail_user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->mail_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->mail_password);
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	rc = curl_easy_perform(c);
	curl_mime_free(mime);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	json_decref(m);
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s", err[0] ? err : curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}
