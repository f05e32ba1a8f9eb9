/*
 * privdrop.h - start as root, serve as somebody else.
 *
 * Started as root, `jitgate serve` binds its port and reads what only
 * root may read (policy, connectors, webhook secret), then becomes the
 * user named by --user, for good, before it opens the database and the
 * grant token keys (which it keeps writing, so they belong to that user)
 * and before any thread or connector runs. Without --user, root is
 * refused. Like OpenSMTPD and nginx; fatal errors only, at start-up.
 */
#ifndef JG_HTTP_PRIVDROP_H
#define JG_HTTP_PRIVDROP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct jg_priv {
	char name[64]; /* the user to become; "" when not dropping */
	uid_t uid;     /* the server's user after the drop (or now) */
	gid_t gid;
	int drop; /* 1: started as root, becomes uid/gid */
};

/*
 * Decide from the effective uid and --user (NULL when not given): root
 * without --user is refused, an unknown user too, and --user naming
 * somebody else when not root. 0, or -1 with the reason in err.
 */
int jg_priv_prepare(struct jg_priv *p, const char *user, char *err,
                    size_t errlen);

/*
 * A TCP socket bound to host:port (IPv4) and listening, so a port below
 * 1024 can be served after the drop. The caller owns it; -1 and err when
 * it cannot be made.
 */
int jg_priv_listen(const char *host, uint16_t port, char *err,
                   size_t errlen);

/*
 * Become p's user: supplementary groups, gid, uid, in that order; then
 * check that root cannot be regained. No-op when !p->drop. 0, or -1 with
 * the reason in err (the caller must stop).
 */
int jg_priv_drop(const struct jg_priv *p, char *err, size_t errlen);

#endif
