/*
 * serve_chat.h - `jitgate serve`'s flags for reaching people: Slack
 * interactivity (--slack-signing-secret-file, the app's signing secret;
 * --slack-users, Slack user id -> jitgate principal) and mail (--mail-url,
 * --mail-from, --mail-credentials-file, --mail-cacert, --mail-users).
 * Secrets are read from files before the privilege drop and never
 * logged. Kept out of serve.c so its main path stays short.
 */
#ifndef JG_HTTP_SERVE_CHAT_H
#define JG_HTTP_SERVE_CHAT_H

#include "notify/chat.h"
#include "notify/notify.h"

struct jg_serve_chat {
	const char *secret_file; /* NULL: no chat approvals */
	const char *users_file;
	const char *reply_base; /* --slack-reply-base */
	char secret[256];            /* read from secret_file */
	struct jg_chat_users *users; /* owned */
	struct jg_slack_seen *seen;  /* owned */
	const char *mail_url, *mail_from, *mail_cacert;
	const char *mail_credentials_file; /* "USER:PASSWORD" */
	const char *mail_users_file;       /* principal -> address */
	char mail_credentials[512];        /* read; split at the first ':' */
	struct jg_chat_users *mail_book;   /* owned */
};

enum {
	JG_SERVE_SLACK_SECRET = 0x140,
	JG_SERVE_SLACK_USERS,
	JG_SERVE_MAIL_URL,
	JG_SERVE_MAIL_FROM,
	JG_SERVE_MAIL_CREDENTIALS,
	JG_SERVE_MAIL_CACERT,
	JG_SERVE_MAIL_USERS,
	JG_SERVE_SLACK_REPLY_BASE,
};
#define JG_SERVE_CHAT_OPTIONS                                             \
	{"slack-signing-secret-file", required_argument, NULL,            \
	 JG_SERVE_SLACK_SECRET},                                          \
	{"slack-users", required_argument, NULL, JG_SERVE_SLACK_USERS},   \
	{"mail-url", required_argument, NULL, JG_SERVE_MAIL_URL},         \
	{"mail-from", required_argument, NULL, JG_SERVE_MAIL_FROM},       \
	{"mail-credentials-file", required_argument, NULL,                \
	 JG_SERVE_MAIL_CREDENTIALS},                                      \
	{"mail-cacert", required_argument, NULL, JG_SERVE_MAIL_CACERT},   \
	{"mail-users", required_argument, NULL, JG_SERVE_MAIL_USERS},     \
	{"slack-reply-base", required_argument, NULL,                     \
	 JG_SERVE_SLACK_REPLY_BASE}
extern const char jg_serve_chat_usage[];

/* Defaults from the environment (before getopt). */
void jg_serve_chat_init(struct jg_serve_chat *c);

/* One of the options above. */
void jg_serve_chat_opt(struct jg_serve_chat *c, int opt, const char *arg);

/* After the options: read the files into n (the Slack pair goes
 * together; mail needs --mail-from).
 * 0, or -1 after logging why (never the secret). */
int jg_serve_chat_open(struct jg_serve_chat *c, struct jg_notify_config *n);

/* Wipe the secret, free the table and the replay set. */
void jg_serve_chat_free(struct jg_serve_chat *c);

#endif
