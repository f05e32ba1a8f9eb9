/*
 * pj_session.c - the user's own `jitgate login` session, read as root.
 *
 * Request mode files a request with the user's credential, never the
 * host's token: the module can then do no more than the user could do
 * at a shell with the CLI. The file sits in the user's home, where the
 * user decides what it is, so everything about it is checked on the
 * open descriptor (the caller opened it as the user, O_NOFOLLOW): a
 * regular file owned by that user that no one else may read, as small
 * as a session file is. A symbolic or hard link to another file, a FIFO
 * or a device is refused, not read. The content is parsed by the CLI's
 * own parser (src/cli/session.c), so the module and `jitgate` agree on
 * what a session file is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/session.h"
#include "pj.h"

/* The open file's type, owner and mode: 0, or -1 with why in err. */
static int session_mode_ok(int fd, const char *path, unsigned uid, char *err,
                           size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "session file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "session file %s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != uid) {
		snprintf(err, errlen, "session file %s is owned by uid %lu, not "
		         "the user's (%u)", path, (unsigned long)st.st_uid, uid);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "session file %s has mode %04o: others may "
		         "read or write it", path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_nlink != 1) { /* a hard link to a file elsewhere */
		snprintf(err, errlen, "session file %s has %lu links", path,
		         (unsigned long)st.st_nlink);
		return -1;
	}
	if (st.st_size > JG_CLI_SESSION_FILE_MAX) {
		snprintf(err, errlen, "session file %s is larger than %d bytes",
		         path, JG_CLI_SESSION_FILE_MAX);
		return -1;
	}
	return 0;
}

/* 1 when the session's server is url, trailing slashes aside. */
static int same_server(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	while (na && a[na - 1] == '/')
		na--;
	while (nb && b[nb - 1] == '/')
		nb--;
	return na == nb && !memcmp(a, b, na);
}

/* Read fd (at most JG_CLI_SESSION_FILE_MAX bytes) and parse it. */
static int session_parse_fd(int fd, const char *path,
                            struct jg_cli_session *s, char *err,
                            size_t errlen)
{
	char buf[JG_CLI_SESSION_FILE_MAX + 1], why[160];
	size_t len = 0;
	ssize_t n;
	int rv = 0;

	do {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 || (n < 0 && errno == EINTR)) && len < sizeof(buf));
	if (n < 0 || len > JG_CLI_SESSION_FILE_MAX) {
		snprintf(err, errlen, "session file %s: %s", path,
		         n < 0 ? strerror(errno) : "too long");
		rv = -1;
	} else if (jg_cli_session_parse(buf, len, s, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "session file %s is malformed: %s", path,
		         why);
		rv = -1;
	}
	explicit_bzero(buf, sizeof(buf));
	return rv;
}

int pj_session_from_fd(int fd, const char *path, unsigned uid,
                       const char *url, long long now,
                       struct jg_cli_session *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (session_mode_ok(fd, path, uid, err, errlen) < 0 ||
	    session_parse_fd(fd, path, s, err, errlen) < 0)
		return -1;
	if (!same_server(s->server, url)) {
		snprintf(err, errlen, "the session is for another server");
		jg_cli_session_clear(s);
		return 1;
	}
	if (s->expires_at <= now) {
		snprintf(err, errlen, "the session has expired");
		jg_cli_session_clear(s);
		return 1;
	}
	return 0;
}
