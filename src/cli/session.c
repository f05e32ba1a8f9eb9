/*
 * session.c - the stored session of `jitgate login` (see session.h for
 * what the file holds and why it is kept so strictly).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli/session.h"
#include "util/safefile.h"
#include "util/timefmt.h"

#define SECRET_PREFIX "jgs_"

int jg_cli_session_path(char *path, char *dir, size_t len, char *err,
                        size_t errlen)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;

	/* the XDG base directory spec: a relative value is to be ignored */
	if (xdg && xdg[0] == '/')
		n = snprintf(dir, len, "%s/jitgate", xdg);
	else if (home && home[0] == '/')
		n = snprintf(dir, len, "%s/.config/jitgate", home);
	else {
		snprintf(err, errlen, "cannot tell where to keep the session: "
		         "set HOME or XDG_CONFIG_HOME");
		return -1;
	}
	if (n < 0 || (size_t)n + sizeof("/session") > len) {
		snprintf(err, errlen, "the config directory's path is too long");
		return -1;
	}
	snprintf(path, len, "%s/session", dir);
	return 0;
}

/* base64url: what the server's random secrets are made of. */
static int secret_ok(const char *s)
{
	size_t n = strlen(s);

	if (strncmp(s, SECRET_PREFIX, 4) != 0 || n <= 4 || n >= JG_TOKEN_LEN)
		return 0;
	return strspn(s + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	                     "vwxyz0123456789-_") == n - 4;
}

static int url_ok(const char *s)
{
	if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static int fill(const json_t *o, struct jg_cli_session *s, char *err,
                size_t errlen)
{
	const char *server = json_string_value(json_object_get(o, "server"));
	const char *secret = json_string_value(json_object_get(o,
	                                                       "session_token"));
	const char *exp = json_string_value(json_object_get(o, "expires_at"));

	if (json_object_size(o) != 3 || !server || !secret || !exp) {
		snprintf(err, errlen, "it must hold exactly server, "
		         "session_token and expires_at");
		return -1;
	}
	if (!url_ok(server) || strlen(server) > JG_CLI_SESSION_URL_MAX) {
		snprintf(err, errlen, "its server is not an http(s) URL");
		return -1;
	}
	if (!secret_ok(secret)) {
		snprintf(err, errlen, "its session_token is not a jitgate "
		         "session (jgs_...)");
		return -1;
	}
	if (jg_time_parse(exp, &s->expires_at) != JG_OK) {
		snprintf(err, errlen, "its expires_at is not a time");
		return -1;
	}
	snprintf(s->server, sizeof(s->server), "%s", server);
	snprintf(s->secret, sizeof(s->secret), "%s", secret);
	return 0;
}

int jg_cli_session_parse(const char *text, size_t len,
                         struct jg_cli_session *s, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	int rv;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(o)) {
		snprintf(err, errlen, "it is not a JSON object");
		json_decref(o);
		return -1;
	}
	rv = fill(o, s, err, errlen);
	json_decref(o); /* the secret's copy inside jansson is freed unwiped:
	                 * it was read from a file the user holds anyway */
	if (rv)
		jg_cli_session_clear(s);
	return rv;
}

char *jg_cli_session_format(const struct jg_cli_session *s)
{
	char exp[JG_TIME_LEN];
	json_t *o;
	char *text;

	jg_time_format(s->expires_at, exp);
	o = json_pack("{s:s,s:s,s:s}", "server", s->server, "session_token",
	              s->secret, "expires_at", exp);
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return text;
}

/*
 * 0 when only the user can read fd's file; 1 when others can, it is
 * another user's or not a plain file (err says which and what to do);
 * -1 when it cannot be looked at (err says why).
 */
static int unsafe_mode(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat the session file %s: %s",
		         path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		snprintf(err, errlen, "the session file %s is not a plain "
		         "file; remove it and run jitgate login", path);
	else if (st.st_uid != geteuid())
		snprintf(err, errlen, "the session file %s belongs to another "
		         "user (uid %u); remove it and run jitgate login", path,
		         (unsigned)st.st_uid);
	else if (st.st_mode & 077)
		snprintf(err, errlen, "the session file %s can be read by "
		         "others (mode %04o), so its secret may be known: end it "
		         "with jitgate logout and run jitgate login", path,
		         (unsigned)(st.st_mode & 07777));
	else
		return 0;
	return 1;
}

/* Read and parse fd's file (at most JG_CLI_SESSION_FILE_MAX bytes). */
static int read_parse(int fd, const char *path, struct jg_cli_session *s,
                      char *err, size_t errlen)
{
	char buf[JG_CLI_SESSION_FILE_MAX + 1], why[160];
	ssize_t n = read(fd, buf, sizeof(buf));
	int rv = 0;

	if (n < 0 || (size_t)n > JG_CLI_SESSION_FILE_MAX) {
		snprintf(err, errlen, "cannot read the session file %s: %s",
		         path, n < 0 ? strerror(errno) : "too long");
		rv = -1;
	} else if (jg_cli_session_parse(buf, (size_t)n, s, why,
	                                sizeof(why)) != 0) {
		snprintf(err, errlen, "the session file %s is malformed: %s; "
		         "run jitgate login", path, why);
		rv = -1;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}

enum jg_cli_session_state jg_cli_session_load(const char *path,
                                              struct jg_cli_session *s,
                                              char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO planted there must not hang the CLI */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	char unsafe_why[512];
	int unsafe;

	memset(s, 0, sizeof(*s));
	if (fd < 0 && errno == ENOENT)
		return JG_CLI_SESSION_NONE;
	if (fd < 0 && errno == ELOOP) {
		snprintf(err, errlen, "the session file %s is a symbolic link; "
		         "remove it and run jitgate login", path);
		return JG_CLI_SESSION_BAD;
	}
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the session file %s: %s",
		         path, strerror(errno));
		return JG_CLI_SESSION_BAD;
	}
	unsafe = unsafe_mode(fd, path, unsafe_why, sizeof(unsafe_why));
	if (unsafe < 0 || read_parse(fd, path, s, err, errlen) != 0) {
		if (unsafe < 0)
			snprintf(err, errlen, "%s", unsafe_why);
		close(fd);
		return JG_CLI_SESSION_BAD;
	}
	close(fd);
	if (!unsafe)
		return JG_CLI_SESSION_OK;
	snprintf(err, errlen, "%s", unsafe_why);
	return JG_CLI_SESSION_UNSAFE;
}

/* dir as a 0700 directory of the user's; its parent made if missing
 * (~/.config on a new account). */
static int own_dir(const char *dir, char *err, size_t errlen)
{
	char parent[JG_CLI_SESSION_URL_MAX];
	char *slash;
	struct stat st;

	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) && slash != parent) {
		*slash = '\0';
		if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", parent,
			         strerror(errno));
			return -1;
		}
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
		         strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is not a directory of yours; remove it "
		         "or set XDG_CONFIG_HOME", dir);
		return -1;
	}
	if ((st.st_mode & 077) && chmod(dir, 0700) != 0) {
		snprintf(err, errlen, "cannot make %s private (chmod 700): %s",
		         dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Sync dir, so the rename survives a crash; errors only cost that. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int jg_cli_session_save(const char *path, const char *dir,
                        const struct jg_cli_session *s, char *err,
                        size_t errlen)
{
	char tmp[JG_CLI_SESSION_URL_MAX + 32];
	char *text;
	int fd, rv;

	if (own_dir(dir, err, errlen))
		return -1;
	if (!(text = jg_cli_session_format(s))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkstemp(tmp); /* O_EXCL, mode 0600 */
	rv = fd < 0 ? -1 : jg_safe_write_close(fd, text);
	if (rv == 0 && rename(tmp, path) != 0)
		rv = -1;
	if (rv != 0) {
		snprintf(err, errlen, "cannot write the session file %s: %s",
		         path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
	} else {
		sync_dir(dir);
	}
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return rv;
}

void jg_cli_session_clear(struct jg_cli_session *s)
{
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
}
