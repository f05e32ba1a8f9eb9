/*
 * pj_flow.c - request mode: when jitgate denies, file the request as the
 * user and wait for its review, like `jitgate request --wait`.
 *
 * The request is filed with the user's own `jitgate login` session (read
 * from ~/.config/jitgate/session as the user, pj_session.c), never with
 * the host's checker token: that token may only ask questions, and a
 * token that could file requests for anyone would let a root process on
 * every host speak for every user. With the user's session, the module
 * can do exactly what the user could do with the CLI, no more. Without a
 * usable session the user is told to run `jitgate login`.
 *
 * An approval is not trusted by itself: the caller asks /v1/check again
 * with the host's token and allows only if that allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "cli/session.h"
#include "pj.h"

#define PJ_POLL_SECONDS 3
#define PJ_SESSION_REL "/.config/jitgate/session"

static long long now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/*
 * Open the user's session file as the user (file-system ids dropped to
 * theirs), so that a link the user planted cannot make root open a file
 * the user could not. The home is the password database's, not $HOME.
 * The descriptor, or -1 with errno (ENOENT: no session).
 */
static int session_open(pam_handle_t *pamh, const struct passwd *pw,
                        char *path, size_t n)
{
	PAM_MODUTIL_DEF_PRIVS(privs);
	int fd, e;

	if (snprintf(path, n, "%s%s", pw->pw_dir, PJ_SESSION_REL) >= (int)n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (pam_modutil_drop_priv(pamh, &privs, pw) != 0) {
		errno = EPERM;
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC |
	          O_NONBLOCK);
	e = errno;
	if (pam_modutil_regain_priv(pamh, &privs) != 0) {
		/* never go on with the user's ids */
		if (fd >= 0)
			close(fd);
		pam_syslog(pamh, LOG_CRIT, "cannot regain privileges");
		errno = EPERM;
		return -1;
	}
	errno = e;
	return fd;
}

/* The user's usable session into s: 0, or -1 (the user was told). */
static int user_session(pam_handle_t *pamh, const struct pj_opts *o,
                        const char *user, struct jg_cli_session *s)
{
	const struct passwd *pw = pam_modutil_getpwnam(pamh, user); /* PAM's */
	char path[1024], err[PJ_TEXT_MAX * 2], safe[PJ_TEXT_MAX * 2], who[256];
	int fd, rc = -1, none;

	if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/') {
		pam_syslog(pamh, LOG_ERR, "request: no home directory for the user");
		return -1;
	}
	fd = session_open(pamh, pw, path, sizeof(path));
	none = fd < 0 && errno == ENOENT; /* not signed in: nothing wrong */
	if (fd < 0 && !none) {
		snprintf(err, sizeof(err), "session file %.300s: %s%s", path,
		         strerror(errno), errno == ELOOP ? " (a symbolic link)" : "");
	} else if (fd >= 0) {
		rc = pj_session_from_fd(fd, path, (unsigned)pw->pw_uid, o->url,
		                        (long long)time(NULL), s, err, sizeof(err));
		close(fd);
	}
	if (rc == 0)
		return 0;
	pj_printable(safe, sizeof(safe), none ? "no session file" : err);
	pj_printable(who, sizeof(who), user);
	if (rc < 0 && !none)
		pam_syslog(pamh, LOG_WARNING, "request: refused the session file of "
		           "user %s: %s", who, safe);
	pam_error(pamh, "jitgate: cannot file the request for you (%s).\n"
	          "Sign in with: jitgate login --server %s", safe, o->url);
	return -1;
}

/* The reason, asked through the conversation: malloc'd, or NULL. */
static char *ask_reason(pam_handle_t *pamh)
{
	char *resp = NULL; /* owned by the caller once returned */

	if (pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &resp,
	               "jitgate: reason for the request: ") != PAM_SUCCESS) {
		free(resp);
		return NULL;
	}
	return resp;
}

/* The refusal's detail (problem+json) or the status, into why. */
static void refusal(char *why, size_t n, long status, const char *body,
                    size_t len)
{
	json_t *p = json_loadb(body, len, 0, NULL);
	const char *d = json_string_value(json_object_get(p, "detail"));
	char tmp[PJ_TEXT_MAX];

	if (status == 401)
		snprintf(tmp, sizeof(tmp), "jitgate did not accept your session: "
		         "run jitgate login");
	else if (d)
		snprintf(tmp, sizeof(tmp), "%s", d);
	else
		snprintf(tmp, sizeof(tmp), "jitgate answered HTTP %ld", status);
	pj_printable(why, n, tmp);
	json_decref(p);
}

/* One exchange about a request: 0 with r filled, or -1 with why. */
static int exchange(const struct pj_opts *o, const char *secret,
                    const char *method, const char *path, const char *json,
                    struct pj_request *r, char *why, size_t n)
{
	char *body = NULL; /* owned */
	size_t len;
	long status;
	int rv = -1;

	if (pj_http(o, secret, method, path, json, &status, &body, &len, why,
	            n) < 0)
		return -1;
	if (status != 200 && status != 201)
		refusal(why, n, status, body, len);
	else if (pj_request_parse(r, body, len) < 0)
		pj_printable(why, n, r->why);
	else
		rv = 0;
	free(body);
	return rv;
}

/* POST /v1/requests as the user: 0 with r filled, or -1 with why. */
static int file_request(const struct pj_opts *o, const char *secret,
                        const char *resource, const char *action,
                        const char *reason, struct pj_request *r, char *why,
                        size_t n)
{
	json_t *q = json_pack("{s:s, s:s, s:s}", "resource", resource, "action",
	                      action, "reason", reason);
	char *json = q ? json_dumps(q, JSON_COMPACT) : NULL; /* owned */
	int rv;

	json_decref(q);
	if (!json) {
		pj_printable(why, n, "the reason is not UTF-8");
		return -1;
	}
	rv = exchange(o, secret, "POST", "/v1/requests", json, r, why, n);
	free(json);
	return rv;
}

/* Poll the request until it leaves pending or the wait runs out. */
static int poll_request(const struct pj_opts *o, const char *secret,
                        struct pj_request *r, char *why, size_t n)
{
	long long deadline = now_mono() + o->wait, left;
	char path[96];

	snprintf(path, sizeof(path), "/v1/requests/%s", r->id);
	while (!strcmp(r->state, "pending")) {
		if ((left = deadline - now_mono()) <= 0)
			return 0;
		sleep((unsigned)(left < PJ_POLL_SECONDS ? left : PJ_POLL_SECONDS));
		if (exchange(o, secret, "GET", path, NULL, r, why, n) < 0)
			return -1;
	}
	return 0;
}

/* File and wait, with the session; 1 approved, else 0 with why. */
static int file_and_wait(pam_handle_t *pamh, const struct pj_opts *o,
                         const char *secret, const char *resource,
                         const char *action, const char *reason, char *why,
                         size_t n)
{
	struct pj_request r;

	if (file_request(o, secret, resource, action, reason, &r, why, n) < 0)
		return 0;
	pam_info(pamh, "jitgate: request %s filed; it can be approved at\n"
	         "  %s/#/request/%s\nwaiting up to %ld s for its review...",
	         r.id, o->url, r.id, o->wait);
	pam_syslog(pamh, LOG_INFO, "request %s filed for resource=%s action=%s",
	           r.id, resource, action);
	if (poll_request(o, secret, &r, why, n) < 0)
		return 0;
	if (!strcmp(r.state, "approved"))
		return 1;
	if (!strcmp(r.state, "pending"))
		snprintf(why, n, "no review within %ld s; request %s stays pending: "
		         "once it is approved, try again", o->wait, r.id);
	else
		snprintf(why, n, "request %s %s: %s", r.id, r.state,
		         *r.why ? r.why : "no reason given");
	return 0;
}

int pj_request_wait(pam_handle_t *pamh, const struct pj_opts *o,
                    const char *user, const char *resource,
                    const char *action, char *why, size_t n)
{
	const void *conv = NULL;
	struct jg_cli_session s;
	char *reason; /* owned */
	int rv;

	if (pam_get_item(pamh, PAM_CONV, &conv) != PAM_SUCCESS || !conv ||
	    !((const struct pam_conv *)conv)->conv) {
		snprintf(why, n, "no conversation to ask a reason through");
		return 0;
	}
	if (user_session(pamh, o, user, &s) < 0) {
		snprintf(why, n, "no usable jitgate session");
		return 0;
	}
	reason = ask_reason(pamh);
	if (!reason || !*reason || strlen(reason) > PJ_REASON_MAX) {
		snprintf(why, n, reason ? "the reason must be 1 to %d bytes"
		         : "no reason could be asked for (no terminal?)",
		         PJ_REASON_MAX);
		free(reason);
		jg_cli_session_clear(&s);
		return 0;
	}
	rv = file_and_wait(pamh, o, s.secret, resource, action, reason, why, n);
	jg_cli_session_clear(&s);
	free(reason);
	return rv;
}
