/*
 * serve_chat.c - the Slack interactivity and mail flags (serve_chat.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "http/serve_chat.h"
#include "notify/mail.h"
#include "util/log.h"

const char jg_serve_chat_usage[] =
        "  --slack-signing-secret-file FILE\n"
        "                       the Slack app's signing secret: request "
        "notices carry\n"
        "                       Approve buttons, taken at /v1/chat/slack "
        "(docs/notifications.md;\n"
        "                       env JITGATE_SLACK_SIGNING_SECRET_FILE)\n"
        "  --slack-users FILE   Slack user id -> jitgate principal, one "
        "'U0123ABC alice'\n"
        "                       a line (env JITGATE_SLACK_USERS)\n"
        "  --slack-reply-base URL\n"
        "                       Slack's response_urls start with this "
        "(default\n"
        "                       https://hooks.slack.com/); no other is "
        "posted to\n"
        "  --mail-url URL       mail the approvers through this SMTP "
        "server: smtp://HOST:PORT\n"
        "                       (STARTTLS required) or smtps://HOST:PORT "
        "(env JITGATE_MAIL_URL)\n"
        "  --mail-from ADDR     the sender address (env JITGATE_MAIL_FROM)\n"
        "  --mail-credentials-file FILE\n"
        "                       'USER:PASSWORD' for SMTP AUTH (env "
        "JITGATE_MAIL_CREDENTIALS_FILE)\n"
        "  --mail-cacert FILE   the CA that signed the SMTP server's "
        "certificate\n"
        "                       (default: the system's; env "
        "JITGATE_MAIL_CACERT)\n"
        "  --mail-users FILE    principal -> address, one 'bob "
        "bob@example.com' a line;\n"
        "                       a principal named like an address needs "
        "none (env JITGATE_MAIL_USERS)\n";

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

void jg_serve_chat_init(struct jg_serve_chat *c)
{
	memset(c, 0, sizeof(*c));
	c->secret_file = env("JITGATE_SLACK_SIGNING_SECRET_FILE");
	c->users_file = env("JITGATE_SLACK_USERS");
	c->mail_url = env("JITGATE_MAIL_URL");
	c->mail_from = env("JITGATE_MAIL_FROM");
	c->mail_credentials_file = env("JITGATE_MAIL_CREDENTIALS_FILE");
	c->mail_cacert = env("JITGATE_MAIL_CACERT");
	c->mail_users_file = env("JITGATE_MAIL_USERS");
}

void jg_serve_chat_opt(struct jg_serve_chat *c, int opt, const char *arg)
{
	switch (opt) {
	case JG_SERVE_SLACK_SECRET: c->secret_file = arg; break;
	case JG_SERVE_SLACK_USERS: c->users_file = arg; break;
	case JG_SERVE_SLACK_REPLY_BASE: c->reply_base = arg; break;
	case JG_SERVE_MAIL_URL: c->mail_url = arg; break;
	case JG_SERVE_MAIL_FROM: c->mail_from = arg; break;
	case JG_SERVE_MAIL_CREDENTIALS: c->mail_credentials_file = arg; break;
	case JG_SERVE_MAIL_CACERT: c->mail_cacert = arg; break;
	case JG_SERVE_MAIL_USERS: c->mail_users_file = arg; break;
	default: break;
	}
}

/* The first line of secret file path into buf (at least min bytes, less
 * than size); 0, or -1 after logging why (never the contents). */
static int read_line(const char *path, const char *what, char *buf,
                     size_t size, size_t min)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		jg_log(JG_LOG_ERROR, "cannot read %s: %s", path,
		       strerror(errno));
		return -1;
	}
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n < min || n == size - 1 || memchr(buf, '\n', n)) {
		jg_log(JG_LOG_ERROR, "the %s in %s must be one line of %zu to "
		       "%zu bytes", what, path, min, size - 2);
		return -1;
	}
	return 0;
}

/* The mail flags into n; 0, or -1 after logging why. */
static int open_mail(struct jg_serve_chat *c, struct jg_notify_config *n)
{
	char why[600], *colon;

	if (!c->mail_url)
		return 0;
	if (jg_mail_url_check(c->mail_url, why, sizeof(why))) {
		jg_log(JG_LOG_ERROR, "%s", why);
		return -1;
	}
	if (!c->mail_from || !strchr(c->mail_from, '@') ||
	    strpbrk(c->mail_from, "<>\r\n\t ")) {
		jg_log(JG_LOG_ERROR, "--mail-url needs --mail-from ADDRESS "
		       "(user@host, without <> or blanks)");
		return -1;
	}
	if (c->mail_credentials_file) {
		if (read_line(c->mail_credentials_file, "SMTP credentials",
		              c->mail_credentials, sizeof(c->mail_credentials),
		              3))
			return -1;
		if (!(colon = strchr(c->mail_credentials, ':'))) {
			jg_log(JG_LOG_ERROR, "%s must hold USER:PASSWORD",
			       c->mail_credentials_file);
			return -1;
		}
		*colon = '\0';
		n->mail_user = c->mail_credentials;
		n->mail_password = colon + 1;
	}
	if (c->mail_users_file &&
	    jg_chat_users_load(c->mail_users_file, &c->mail_book, why,
	                       sizeof(why))) {
		jg_log(JG_LOG_ERROR, "%s", why);
		return -1;
	}
	n->mail_url = c->mail_url;
	n->mail_from = c->mail_from;
	n->mail_cacert = c->mail_cacert;
	n->mail_book = c->mail_book;
	return 0;
}

int jg_serve_chat_open(struct jg_serve_chat *c, struct jg_notify_config *n)
{
	char why[600];

	if (open_mail(c, n))
		return -1;
	if (!c->secret_file && !c->users_file)
		return 0;
	if (!c->secret_file || !c->users_file) {
		jg_log(JG_LOG_ERROR, "--slack-signing-secret-file and "
		       "--slack-users go together");
		return -1;
	}
	if (c->reply_base &&
	    jg_notify_url_check("--slack-reply-base", c->reply_base, why,
	                        sizeof(why))) {
		jg_log(JG_LOG_ERROR, "%s", why);
		return -1;
	}
	if (read_line(c->secret_file, "Slack signing secret", c->secret,
	              sizeof(c->secret), 16))
		return -1;
	if (jg_chat_users_load(c->users_file, &c->users, why, sizeof(why))) {
		jg_log(JG_LOG_ERROR, "%s", why);
		return -1;
	}
	if (!(c->seen = jg_slack_seen_new())) {
		jg_log(JG_LOG_ERROR, "out of memory");
		return -1;
	}
	n->slack_signing_secret = c->secret;
	n->slack_users = c->users;
	n->slack_seen = c->seen;
	n->slack_reply_base = c->reply_base;
	return 0;
}

void jg_serve_chat_free(struct jg_serve_chat *c)
{
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	OPENSSL_cleanse(c->mail_credentials, sizeof(c->mail_credentials));
	jg_chat_users_free(c->users);
	jg_chat_users_free(c->mail_book);
	c->mail_book = NULL;
	jg_slack_seen_free(c->seen);
	c->users = NULL;
	c->seen = NULL;
}
