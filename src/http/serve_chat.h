/*
 * serve_chat.h - `jitgate serve`'s Slack interactivity flags:
 * --slack-signing-secret-file (the app's signing secret, read before the
 * privilege drop, never logged) and --slack-users (Slack user id ->
 * jitgate principal). Kept out of serve.c so its main path stays short.
 */
#ifndef JG_HTTP_SERVE_CHAT_H
#define JG_HTTP_SERVE_CHAT_H

#include "notify/chat.h"
#include "notify/notify.h"

struct jg_serve_chat {
	const char *secret_file; /* NULL: no chat approvals */
	const char *users_file;
	char secret[256];            /* read from secret_file */
	struct jg_chat_users *users; /* owned */
	struct jg_slack_seen *seen;  /* owned */
};

enum {
	JG_SERVE_SLACK_SECRET = 0x140,
	JG_SERVE_SLACK_USERS,
};
#define JG_SERVE_CHAT_OPTIONS                                             \
	{"slack-signing-secret-file", required_argument, NULL,            \
	 JG_SERVE_SLACK_SECRET},                                          \
	{"slack-users", required_argument, NULL, JG_SERVE_SLACK_USERS}
extern const char jg_serve_chat_usage[];

/* Defaults from the environment (before getopt). */
void jg_serve_chat_init(struct jg_serve_chat *c);

/* One of the options above. */
void jg_serve_chat_opt(struct jg_serve_chat *c, int opt, const char *arg);

/* After the options: read both files into n (both or neither flag).
 * 0, or -1 after logging why (never the secret). */
int jg_serve_chat_open(struct jg_serve_chat *c, struct jg_notify_config *n);

/* Wipe the secret, free the table and the replay set. */
void jg_serve_chat_free(struct jg_serve_chat *c);

#endif
