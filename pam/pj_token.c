/*
 * pj_token.c - the service token file.
 *
 * The token lets its holder ask jitgate about any principal (the checker
 * role): only root may read it. A file that others can read, that root
 * does not own, or that sits where someone else could swap it, is
 * refused with the reason, and the module then has no answer (it fails
 * closed). The token itself never reaches a log line or a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pj.h"
#include "util/safefile.h"

/* The open file's owner, type and mode: 0, or -1 with why in err. */
static int token_mode_ok(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "token file %s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen, "token file %s is owned by uid %lu, not root "
		         "(chown root: %s)", path, (unsigned long)st.st_uid, path);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "token file %s has mode %04o: others may read "
		         "or write it (chmod 600 %s)", path,
		         (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* Read the whole (small) file into tok; 0 or -1 with why in err. */
static int token_slurp(int fd, const char *path, char *tok, size_t tokmax,
                       char *err, size_t errlen)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, tok + len, tokmax - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == tokmax - 1) {
			snprintf(err, errlen, "token file %s is larger than %zu bytes",
			         path, tokmax - 1);
			return -1;
		}
	}
	while (len && (tok[len - 1] == '\n' || tok[len - 1] == '\r' ||
	               tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		len--;
	tok[len] = '\0';
	return 0;
}

/* The token goes into an HTTP header: visible ASCII only, no spaces. */
static int token_shape_ok(const char *tok, const char *path, char *err,
                          size_t errlen)
{
	const char *p;

	if (!*tok) {
		snprintf(err, errlen, "token file %s is empty", path);
		return -1;
	}
	for (p = tok; *p; p++)
		if (*p <= ' ' || *p > '~') {
			snprintf(err, errlen, "token file %s holds more than one token "
			         "on one line (a space or control byte)", path);
			return -1;
		}
	return 0;
}

int pj_token_read(const char *path, char *tok, size_t tokmax, char *err,
                  size_t errlen)
{
	int fd, rc;

	tok[0] = '\0';
	if (jg_safe_check(path, "token file", 0, err, errlen) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
		return -1;
	}
	rc = token_mode_ok(fd, path, err, errlen);
	if (rc == 0)
		rc = token_slurp(fd, path, tok, tokmax, err, errlen);
	if (rc == 0)
		rc = token_shape_ok(tok, path, err, errlen);
	close(fd);
	if (rc < 0)
		explicit_bzero(tok, tokmax);
	return rc;
}
