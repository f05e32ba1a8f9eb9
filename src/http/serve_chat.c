/*
 * serve_chat.c - the Slack interactivity flags (serve_chat.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "http/serve_chat.h"
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
        "                       a line (env JITGATE_SLACK_USERS)\n";

void jg_serve_chat_init(struct jg_serve_chat *c)
{
	const char *s = getenv("JITGATE_SLACK_SIGNING_SECRET_FILE");
	const char *u = getenv("JITGATE_SLACK_USERS");

	memset(c, 0, sizeof(*c));
	c->secret_file = s && *s ? s : NULL;
	c->users_file = u && *u ? u : NULL;
}

void jg_serve_chat_opt(struct jg_serve_chat *c, int opt, const char *arg)
{
	if (opt == JG_SERVE_SLACK_SECRET)
		c->secret_file = arg;
	else if (opt == JG_SERVE_SLACK_USERS)
		c->users_file = arg;
}

static int read_secret(struct jg_serve_chat *c)
{
	FILE *f = fopen(c->secret_file, "r");
	size_t n;

	if (!f) {
		jg_log(JG_LOG_ERROR, "cannot read %s: %s", c->secret_file,
		       strerror(errno));
		return -1;
	}
	n = fread(c->secret, 1, sizeof(c->secret) - 1, f);
	fclose(f);
	while (n && (c->secret[n - 1] == '\n' || c->secret[n - 1] == '\r'))
		n--;
	c->secret[n] = '\0';
	if (n < 16 || n == sizeof(c->secret) - 1) {
		jg_log(JG_LOG_ERROR, "the Slack signing secret in %s must be "
		       "16 to 254 bytes", c->secret_file);
		return -1;
	}
	return 0;
}

int jg_serve_chat_open(struct jg_serve_chat *c, struct jg_notify_config *n)
{
	char why[600];

	if (!c->secret_file && !c->users_file)
		return 0;
	if (!c->secret_file || !c->users_file) {
		jg_log(JG_LOG_ERROR, "--slack-signing-secret-file and "
		       "--slack-users go together");
		return -1;
	}
	if (read_secret(c))
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
	return 0;
}

void jg_serve_chat_free(struct jg_serve_chat *c)
{
	OPENSSL_cleanse(c->secret, sizeof(c->secret));
	jg_chat_users_free(c->users);
	jg_slack_seen_free(c->seen);
	c->users = NULL;
	c->seen = NULL;
}
