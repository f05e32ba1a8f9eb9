/*
 * chat.c - Slack's side of chat approvals: the request signature, the
 * replay set, the user table and the buttons (chat.h). Nothing here
 * decides a request; it only says who is asking and whether Slack sent it.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/params.h>

#include "notify/chat.h"
#include "notify/notify.h"
#include "notify/outbox.h"
#include "util/crypto.h"

/* ---- the user table ---- */

struct jg_chat_user {
	char *id;        /* owned; the Slack user id */
	char *principal; /* owned */
};

struct jg_chat_users {
	struct jg_chat_user *v; /* owned array */
	size_t n;
};

void jg_chat_users_free(struct jg_chat_users *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].id);
		free(u->v[i].principal);
	}
	free(u->v);
	free(u);
}

const char *jg_chat_users_find(const struct jg_chat_users *u, const char *id)
{
	for (size_t i = 0; u && id && i < u->n; i++)
		if (strcmp(u->v[i].id, id) == 0)
			return u->v[i].principal;
	return NULL;
}

/* A Slack id or a principal name: printable, no blanks, 1-127 bytes. */
static int word_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 127)
		return 0;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return 0;
	return 1;
}

/* One "ID PRINCIPAL" line into u; 0, or -1 when malformed. */
static int add_line(struct jg_chat_users *u, const char *line)
{
	char id[129] = "", who[129] = "", rest[2] = "";
	struct jg_chat_user *v;
	int n = sscanf(line, "%128s %128s %1s", id, who, rest);

	if (n < 1 || id[0] == '#')
		return 0; /* blank or a comment */
	if (n < 2 || (n == 3 && rest[0] != '#') || !word_ok(id) ||
	    !word_ok(who) || jg_chat_users_find(u, id))
		return -1;
	if (!(v = realloc(u->v, (u->n + 1) * sizeof(*v))))
		return -1;
	u->v = v;
	v[u->n].id = strdup(id);
	v[u->n].principal = strdup(who);
	if (!v[u->n].id || !v[u->n].principal) {
		free(v[u->n].id);
		free(v[u->n].principal);
		return -1;
	}
	u->n++;
	return 0;
}

int jg_chat_users_load(const char *path, struct jg_chat_users **out,
                       char *why, size_t len)
{
	struct jg_chat_users *u = calloc(1, sizeof(*u));
	FILE *f = fopen(path, "r");
	char line[512];
	int lineno = 0;

	*out = NULL;
	if (!u || !f) {
		snprintf(why, len, "cannot read %s: %s", path,
		         u ? strerror(errno) : "out of memory");
		free(u);
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (add_line(u, line) == 0)
			continue;
		snprintf(why, len, "%s:%d: want 'SLACK_USER_ID PRINCIPAL' "
		         "(each id once)", path, lineno);
		fclose(f);
		jg_chat_users_free(u);
		return -1;
	}
	fclose(f);
	*out = u;
	return 0;
}

/* ---- the signature ---- */

void jg_slack_sign(const char *secret, const char *ts, const char *body,
                   size_t len, char out[68])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (!(ctx && EVP_MAC_init(ctx, (const unsigned char *)secret,
	                          strlen(secret), params) == 1 &&
	      EVP_MAC_update(ctx, (const unsigned char *)"v0:", 3) == 1 &&
	      EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) == 1 &&
	      EVP_MAC_update(ctx, (const unsigned char *)":", 1) == 1 &&
	      EVP_MAC_update(ctx, (const unsigned char *)body, len) == 1 &&
	      EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) == 1))
		mdlen = 0; /* "v0=" alone matches no signature */
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	memcpy(out, "v0=", 3);
	for (size_t i = 0; i < mdlen && i < 32; i++) {
		out[3 + 2 * i] = hex[md[i] >> 4];
		out[4 + 2 * i] = hex[md[i] & 15];
	}
	out[3 + 2 * (mdlen < 32 ? mdlen : 32)] = '\0';
}

struct seen_entry {
	int64_t ts;
	char sig[68];
};

struct jg_slack_seen {
	pthread_mutex_t lock;
	struct seen_entry v[JG_SLACK_SEEN_MAX];
	size_t n;
};

struct jg_slack_seen *jg_slack_seen_new(void)
{
	struct jg_slack_seen *s = calloc(1, sizeof(*s));

	if (s)
		pthread_mutex_init(&s->lock, NULL);
	return s;
}

void jg_slack_seen_free(struct jg_slack_seen *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/*
 * Remember (ts, sig): 0, or -1 when it was seen already, or when the set
 * is full of signatures still in their window (fail closed: a flood of
 * valid signatures can only come from Slack or the secret's holder).
 */
static int seen_add(struct jg_slack_seen *s, int64_t ts, const char *sig,
                    int64_t now, const char **why)
{
	size_t keep = 0;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n; i++) { /* drop those past the window */
		int64_t age = now - s->v[i].ts;
		if (age <= JG_SLACK_WINDOW && age >= -JG_SLACK_WINDOW)
			s->v[keep++] = s->v[i];
	}
	s->n = keep;
	for (size_t i = 0; i < s->n && rc == 0; i++)
		if (s->v[i].ts == ts && strcmp(s->v[i].sig, sig) == 0) {
			*why = "this request was already received (a replay)";
			rc = -1;
		}
	if (rc == 0 && s->n == JG_SLACK_SEEN_MAX) {
		*why = "too many chat requests within the window";
		rc = -1;
	}
	if (rc == 0) {
		s->v[s->n].ts = ts;
		snprintf(s->v[s->n].sig, sizeof(s->v[s->n].sig), "%s", sig);
		s->n++;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int jg_slack_verify(const char *secret, struct jg_slack_seen *seen,
                    const char *ts, const char *sig, const char *body,
                    size_t len, int64_t now, char *why, size_t wlen)
{
	char want[68], *end;
	const char *msg = NULL;
	long long t;

	if (!secret || !seen) {
		snprintf(why, wlen, "chat approvals are not configured "
		         "(--slack-signing-secret-file)");
		return -1;
	}
	if (!ts || !sig) {
		snprintf(why, wlen, "X-Slack-Request-Timestamp and "
		         "X-Slack-Signature are required");
		return -1;
	}
	errno = 0;
	t = strtoll(ts, &end, 10);
	if (errno || end == ts || *end || t <= 0) {
		snprintf(why, wlen, "X-Slack-Request-Timestamp must be a "
		         "number of seconds");
		return -1;
	}
	if (t < now - JG_SLACK_WINDOW || t > now + JG_SLACK_WINDOW) {
		snprintf(why, wlen, "the request's time stamp is more than %d "
		         "minutes from now", JG_SLACK_WINDOW / 60);
		return -1;
	}
	jg_slack_sign(secret, ts, body, len, want);
	if (!jg_secure_equal(sig, want)) {
		snprintf(why, wlen, "the Slack signature does not match");
		return -1;
	}
	if (seen_add(seen, (int64_t)t, sig, now, &msg)) {
		snprintf(why, wlen, "%s", msg);
		return -1;
	}
	return 0;
}

/* ---- the form body ---- */

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0'
	     : c >= 'a' && c <= 'f' ? c - 'a' + 10
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode s[0..n) ('+' is a space); malloc'd, NULL if malformed. */
static char *form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] != '%') {
			out[o++] = s[i];
		} else if (i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0 &&
		           (hexval(s[i + 1]) | hexval(s[i + 2])) != 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 +
			                  hexval(s[i + 2]));
			i += 2;
		} else { /* a cut escape, or %00 */
			free(out);
			return NULL;
		}
	}
	out[o] = '\0';
	return out;
}

char *jg_form_value(const char *body, size_t len, const char *key)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - body) : len;
		if (end - i > klen && memcmp(body + i, key, klen) == 0 &&
		    body[i + klen] == '=')
			return form_decode(body + i + klen + 1,
			                   end - i - klen - 1);
		i = end + 1;
	}
	return NULL;
}

/* ---- the buttons ---- */

static json_t *button(const char *action, const char *label,
                      const char *style, const char *value, const char *url)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s},s:s*,s:s*,s:s*}", "type",
	                 "button", "action_id", action, "text", "type",
	                 "plain_text", "text", label, "style", style, "value",
	                 value, "url", url);
}

json_t *jg_slack_actions(const char *id, const char *url, int step_up)
{
	json_t *el = json_array();

	if (!step_up)
		json_array_append_new(el, button("jg_approve", "Approve",
		                                 "primary", id, NULL));
	if (url && *url)
		json_array_append_new(
		        el, button("jg_open", step_up ? "Review in jitgate "
		                   "(sign-in required)" : "Deny in jitgate",
		                   step_up ? "primary" : "danger", id, url));
	if (json_array_size(el) == 0) {
		json_decref(el);
		return NULL;
	}
	return json_pack("{s:s,s:s,s:o}", "type", "actions", "block_id",
	                 "jg_review", "elements", el);
}

/* ---- replacing the message ---- */

int jg_slack_reply_ok(const struct jg_notify_config *cfg, const char *url)
{
	const char *base = cfg && cfg->slack_reply_base
	                           ? cfg->slack_reply_base
	                           : "https://hooks.slack.com/";

	return url && strncmp(url, base, strlen(base)) == 0 &&
	       strlen(url) < 1024 && !strpbrk(url, " \r\n");
}

enum jg_err jg_slack_reply(struct jg_store *st,
                           const struct jg_notify_config *cfg,
                           const char *url, const char *subject,
                           const char *key, json_t *msg, int64_t now)
{
	enum jg_err e;

	if (!jg_slack_reply_ok(cfg, url)) {
		json_decref(msg);
		return JG_EINVAL;
	}
	if ((e = st->ops->begin(st, 1)) != JG_OK) {
		json_decref(msg);
		return e;
	}
	e = jg_notify_queue(st, "slack_reply", "chat.reply", subject, key,
	                    json_pack("{s:s,s:o}", "url", url, "message", msg),
	                    now);
	if (e == JG_OK)
		e = st->ops->commit(st);
	if (e != JG_OK)
		st->ops->rollback(st);
	return e;
}
