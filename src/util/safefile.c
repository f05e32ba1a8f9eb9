/*
 * safefile.c - see safefile.h. Only stat(2) and open(2); nothing here
 * changes a mode or an owner for the operator: the message says how.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/safefile.h"

/* Who may write, in words, from the group and other bits of a mode. */
static const char *writers(mode_t m)
{
	if ((m & S_IWGRP) && (m & S_IWOTH))
		return "its group and others";
	return (m & S_IWOTH) ? "others" : "its group";
}

static int refuse(char *err, size_t errlen, const char *what,
                  const char *path, const char *kind, const char *p,
                  mode_t m)
{
	snprintf(err, errlen, "%s %s: %s %s is writable by %s (mode %04o): "
	         "chmod go-w %s", what, path, kind, p, writers(m),
	         (unsigned)(m & 07777), p);
	return -1;
}

/*
 * A directory others may write is still safe for the entry below it when
 * the sticky bit keeps them from renaming it and a trusted user owns it.
 */
static int sticky_ok(const struct stat *dir, const char *below,
                     uid_t owner, uid_t user)
{
	struct stat sb;

	if (!(dir->st_mode & S_ISVTX) || lstat(below, &sb) != 0)
		return 0;
	return sb.st_uid == 0 || sb.st_uid == owner || sb.st_uid == user;
}

int jg_safe_check(const char *path, const char *what, uid_t user, char *err,
                  size_t errlen)
{
	char *real = realpath(path, NULL); /* owned; freed below */
	char below[PATH_MAX];
	struct stat sb;
	uid_t owner;
	char *slash;
	int rc = 0;

	if (!real || stat(real, &sb) != 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		free(real);
		return -1;
	}
	owner = sb.st_uid;
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = refuse(err, errlen, what, path, "file", real, sb.st_mode);
		free(real);
		return rc;
	}
	/* walk up: cut the last component each time, down to "/" */
	while (rc == 0 && (slash = strrchr(real, '/')) != NULL) {
		snprintf(below, sizeof(below), "%s", real);
		if (slash == real)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(real, &sb) != 0) {
			snprintf(err, errlen, "%s %s: %s: %s", what, path, real,
			         strerror(errno));
			rc = -1;
		} else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) &&
		           !sticky_ok(&sb, below, owner, user)) {
			rc = refuse(err, errlen, what, path, "directory", real,
			            sb.st_mode);
		}
		if (slash == real)
			break;
	}
	free(real);
	return rc;
}

int jg_safe_create(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	            0600);
}

int jg_safe_write_close(int fd, const char *text)
{
	size_t n = strlen(text);
	int ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
	         fsync(fd) == 0;
	int saved = errno;

	if (close(fd) != 0 && ok)
		return -1;
	errno = saved;
	return ok ? 0 : -1;
}
