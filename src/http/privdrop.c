/*
 * privdrop.c - see privdrop.h. The checks after the drop are the point:
 * a setuid that silently left a saved uid of 0 would let any later bug
 * take root back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/privdrop.h"

int jg_priv_prepare(struct jg_priv *p, const char *user, char *err,
                    size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	p->uid = geteuid();
	p->gid = getegid();
	if (!user) {
		if (p->uid == 0) {
			snprintf(err, errlen, "refusing to serve as root: give "
			         "--user NAME (the server drops to it after "
			         "binding)");
			return -1;
		}
		return 0;
	}
	errno = 0;
	if (!(pw = getpwnam(user))) {
		snprintf(err, errlen, "--user %s: %s", user,
		         errno ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "--user %s: that is root; name an "
		         "unprivileged user", user);
		return -1;
	}
	if (p->uid != 0) {
		if (pw->pw_uid == p->uid)
			return 0; /* already that user */
		snprintf(err, errlen, "--user %s: only root can become "
		         "another user", user);
		return -1;
	}
	if (strlen(user) >= sizeof(p->name)) {
		snprintf(err, errlen, "--user: name too long");
		return -1;
	}
	snprintf(p->name, sizeof(p->name), "%s", user);
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	p->drop = 1;
	return 0;
}

int jg_priv_listen(const char *host, uint16_t port, char *err,
                   size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};
	int one = 1, fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "listen address '%s' is not an IPv4 "
		         "address", host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		snprintf(err, errlen, "cannot listen on %s:%u: %s", host, port,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int jg_priv_drop(const struct jg_priv *p, char *err, size_t errlen)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (!p->drop)
		return 0;
	if (initgroups(p->name, p->gid) != 0 || setresgid(p->gid, p->gid,
	                                                   p->gid) != 0 ||
	    setresuid(p->uid, p->uid, p->uid) != 0) {
		snprintf(err, errlen, "cannot become user %s: %s", p->name,
		         strerror(errno));
		return -1;
	}
	/* every id must be the user's, and root out of reach */
	if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
	    r != p->uid || e != p->uid || s != p->uid || rg != p->gid ||
	    eg != p->gid || sg != p->gid || setuid(0) == 0 ||
	    seteuid(0) == 0) {
		snprintf(err, errlen, "dropping to user %s did not hold",
		         p->name);
		return -1;
	}
	return 0;
}
