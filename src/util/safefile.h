/*
 * safefile.h - files the server trusts and files it writes for people.
 *
 * The policy and the connectors file decide who may do what; whoever can
 * rewrite them (or swap a directory above them) owns the gateway. Like
 * OpenSSH's StrictModes, the server refuses such a file when it, or any
 * directory above it, is writable by anyone but its owner and root.
 *
 * A world-writable directory with the sticky bit (/tmp) is accepted only
 * when the entry below it belongs to root, to the file's owner or to the
 * server's user: others may then add names there but cannot rename or
 * remove that entry, so they cannot swap the path.
 */
#ifndef JG_SAFEFILE_H
#define JG_SAFEFILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * 0 when path (a `what`, e.g. "policy file") and every directory above it
 * pass the rule above, trusting `user` (the server's uid) beside root and
 * the file's owner; else -1 and err holds one line naming the path, its
 * mode and the chmod that fixes it. Symbolic links are resolved first:
 * the rule holds for the file they lead to.
 */
int jg_safe_check(const char *path, const char *what, uid_t user, char *err,
                  size_t errlen);

/*
 * Create path for a secret: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; an
 * existing file or symbolic link there is refused (errno EEXIST or
 * ELOOP). Returns the open descriptor (the caller owns it) or -1.
 */
int jg_safe_create(const char *path);

/* Write text and a newline to fd, sync and close it: 0, or -1 (errno). */
int jg_safe_write_close(int fd, const char *text);

#endif
