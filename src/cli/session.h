/*
 * session.h - the session `jitgate login` stores for the user's later
 * commands: the server it is for, its "jgs_" bearer secret and when it
 * expires, in $XDG_CONFIG_HOME/jitgate/session (else
 * ~/.config/jitgate/session).
 *
 * The file holds a secret, so it is written 0600 in a 0700 directory,
 * atomically (a temporary file renamed over the old one: a crash leaves
 * the old session or the new one, never half of one), and it is refused
 * when anyone but its owner can read it, when it is not the user's, or
 * when it is a symbolic link: another user who could read or plant it
 * could act as this one.
 *
 * Never: print the secret, or send it to any server but the one named
 * beside it in the file.
 */
#ifndef JG_CLI_SESSION_H
#define JG_CLI_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "util/crypto.h"

#define JG_CLI_SESSION_URL_MAX 2048 /* the server URL, as the CLI's --url */
#define JG_CLI_SESSION_FILE_MAX 8192 /* bytes of a session file */

struct jg_cli_session {
	char server[JG_CLI_SESSION_URL_MAX + 1]; /* "https://host[:port]" */
	char secret[JG_TOKEN_LEN];               /* "jgs_..."; never printed */
	int64_t expires_at;                      /* seconds since the epoch */
};

/* What jg_cli_session_load found. */
enum jg_cli_session_state {
	JG_CLI_SESSION_OK,     /* s filled */
	JG_CLI_SESSION_NONE,   /* no file: not signed in */
	JG_CLI_SESSION_UNSAFE, /* s filled, but readable by others, not the
	                        * user's, or not a plain file: not to be used */
	JG_CLI_SESSION_BAD,    /* unreadable, malformed, or a symbolic link */
};

/*
 * The session file's path into path (and its directory into dir, both
 * len bytes): $XDG_CONFIG_HOME/jitgate/session when that variable is an
 * absolute path, else $HOME/.config/jitgate/session. -1 with err when
 * neither can be had.
 */
int jg_cli_session_path(char *path, char *dir, size_t len, char *err,
                        size_t errlen);

/*
 * Parse the text of a session file (len bytes) into s: a JSON object
 * {"server", "session_token", "expires_at"} with an http(s) server URL, a
 * "jgs_" secret and an RFC 3339 time. 0, or -1 with err (naming no
 * secret).
 */
int jg_cli_session_parse(const char *text, size_t len,
                         struct jg_cli_session *s, char *err, size_t errlen);

/* The text of a session file for s, malloc'd (the caller wipes and frees
 * it), or NULL when out of memory. */
char *jg_cli_session_format(const struct jg_cli_session *s);

/*
 * Read the session file at path into s. err explains UNSAFE and BAD in
 * one line naming the path and what to do.
 */
enum jg_cli_session_state jg_cli_session_load(const char *path,
                                              struct jg_cli_session *s,
                                              char *err, size_t errlen);

/*
 * Store s at path (dir: its directory, created 0700 with its parent when
 * missing; an existing one of the user's is narrowed to 0700, one of
 * another user's is refused): written to a new 0600 file beside it,
 * synced, then renamed over path. 0, or -1 with err (nothing left behind).
 */
int jg_cli_session_save(const char *path, const char *dir,
                        const struct jg_cli_session *s, char *err,
                        size_t errlen);

/* Wipe the secret of s (before it goes out of scope). */
void jg_cli_session_clear(struct jg_cli_session *s);

#endif
