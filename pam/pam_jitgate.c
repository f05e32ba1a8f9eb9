/*
 * pam_jitgate.c - a PAM module that lets a user in (sshd) or up (sudo)
 * only while jitgate holds a live grant for it.
 *
 * account (and auth): may PAM_USER (+ principal_suffix) do the action
 * (ssh.login for sshd, sudo for sudo, or action=) on this host (the
 * short host name, or resource=) now? jitgate decides through its grant
 * index and decision clock (POST /v1/check), so revocation, expiry and
 * a grant's start time are jitgate's rule, not a copy of it here.
 *
 * Fail closed: no answer from jitgate (unreachable, timeout, an error
 * status, nonsense, a token file that cannot be trusted) is a denial,
 * except for the members of the local break-glass group, who are let in
 * with an alert in syslog. A denial that jitgate gave is never
 * overridden. Every decision is logged with its reason; the service
 * token never is.
 *
 * With the request option, a denial jitgate gave leads to a request
 * filed as the user with their own `jitgate login` session, and a wait
 * for its review (pj_flow.c); an approval is checked again here.
 */
#define PAM_SM_ACCOUNT
#define PAM_SM_AUTH
#include <arpa/inet.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "pj.h"

#define PJ_NAME_MAX 320 /* user name and principal suffix */

struct pj_ask {
	const char *user;             /* PAM's */
	char principal[PJ_NAME_MAX];  /* user + principal_suffix */
	char resource[256];
	const char *action;           /* the options' or a literal */
	const char *source;           /* PAM_RHOST when an address, or NULL */
};

/* Where the user comes from (sshd's PAM_RHOST) when it is an IP address
 * (a name proves nothing and the check refuses it), else NULL: the grant
 * is then used from this host, the check's caller. */
static const char *remote_address(pam_handle_t *pamh)
{
	const void *rhost = NULL;
	unsigned char addr[16];

	if (pam_get_item(pamh, PAM_RHOST, &rhost) != PAM_SUCCESS || !rhost)
		return NULL;
	return inet_pton(AF_INET, rhost, addr) == 1 ||
	                       inet_pton(AF_INET6, rhost, addr) == 1
	               ? rhost
	               : NULL;
}

/* The action of a service that has a natural one, else NULL. */
static const char *service_action(pam_handle_t *pamh)
{
	const void *svc = NULL;

	if (pam_get_item(pamh, PAM_SERVICE, &svc) != PAM_SUCCESS || !svc)
		return NULL;
	if (!strcmp(svc, "sshd"))
		return "ssh.login";
	if (!strcmp(svc, "sudo") || !strcmp(svc, "sudo-i"))
		return "sudo";
	return NULL;
}

/* The host's name up to its first dot: 0, or -1. */
static int short_hostname(char *dst, size_t n)
{
	char *dot;

	if (gethostname(dst, n) < 0)
		return -1;
	dst[n - 1] = '\0';
	if ((dot = strchr(dst, '.')))
		*dot = '\0';
	return *dst ? 0 : -1;
}

/* Who asks for what: 0, or -1 with why in err. */
static int make_ask(pam_handle_t *pamh, const struct pj_opts *o,
                    struct pj_ask *q, char *err, size_t errlen)
{
	int n;

	if (pam_get_user(pamh, &q->user, NULL) != PAM_SUCCESS || !q->user ||
	    !*q->user) {
		snprintf(err, errlen, "no user name");
		return -1;
	}
	n = snprintf(q->principal, sizeof(q->principal), "%s%s", q->user,
	             o->principal_suffix);
	if (n < 0 || (size_t)n >= sizeof(q->principal)) {
		snprintf(err, errlen, "user name too long");
		return -1;
	}
	if (o->resource) {
		n = snprintf(q->resource, sizeof(q->resource), "%s", o->resource);
	} else if (short_hostname(q->resource, sizeof(q->resource)) < 0) {
		snprintf(err, errlen, "no host name: give resource=");
		return -1;
	}
	q->source = remote_address(pamh);
	if (!(q->action = o->action ? o->action : service_action(pamh))) {
		snprintf(err, errlen, "action= is needed for this service "
		         "(only sshd and sudo have a default)");
		return -1;
	}
	return 0;
}

/* 1 when user is in the group (primary or supplementary), else 0. */
static int in_group(pam_handle_t *pamh, const char *user, const char *group)
{
	struct passwd *pw = pam_modutil_getpwnam(pamh, user); /* PAM's */
	struct group *gr = pam_modutil_getgrnam(pamh, group); /* PAM's */
	gid_t *gids = NULL;                                    /* owned */
	int n = 64, i, found = 0, rc = -1;

	if (!gr) /* a typo here would silently mean "no break-glass" */
		pam_syslog(pamh, LOG_ERR, "break-glass group '%s' does not exist",
		           group);
	if (!pw || !gr)
		return 0;
	while (rc < 0 && n <= 65536) {
		free(gids);
		if (!(gids = malloc((size_t)n * sizeof(*gids))))
			return 0;
		if ((rc = getgrouplist(user, pw->pw_gid, gids, &n)) < 0)
			n *= 2; /* n now holds the count needed, or we grow */
	}
	for (i = 0; rc >= 0 && i < n && !found; i++)
		found = gids[i] == gr->gr_gid;
	free(gids);
	return found;
}

/* Ask jitgate; every failure before the answer is PJ_UNAVAILABLE. */
static void ask(const struct pj_opts *o, const struct pj_ask *q,
                struct pj_answer *a)
{
	char token[PJ_TOKEN_MAX];
	char err[PJ_TEXT_MAX];

	if (pj_token_read(o->token_file, token, sizeof(token), err,
	                  sizeof(err)) < 0) {
		memset(a, 0, sizeof(*a));
		a->verdict = PJ_UNAVAILABLE;
		pj_printable(a->why, sizeof(a->why), err);
		return;
	}
	pj_check(o, token, q->principal, q->resource, q->action, q->source,
	         a);
	explicit_bzero(token, sizeof(token));
}

/* Log the decision, tell the user what they can do; PAM_SUCCESS or fail. */
static int decide(pam_handle_t *pamh, const struct pj_opts *o,
                  const struct pj_ask *q, const struct pj_answer *a, int fail)
{
	char user[PJ_NAME_MAX], who[PJ_NAME_MAX];

	pj_printable(user, sizeof(user), q->user);
	pj_printable(who, sizeof(who), q->principal);
	if (a->verdict == PJ_ALLOW) {
		pam_syslog(pamh, LOG_INFO, "allow user=%s principal=%s resource=%s "
		           "action=%s grant=%s expires=%s", user, who, q->resource,
		           q->action, a->grant, *a->expires ? a->expires : "-");
		return PAM_SUCCESS;
	}
	if (a->verdict == PJ_DENY) {
		pam_syslog(pamh, LOG_NOTICE, "deny user=%s principal=%s resource=%s "
		           "action=%s: %s", user, who, q->resource, q->action, a->why);
		pam_info(pamh, "jitgate: %s may not %s on %s now: %s\n"
		         "Ask for it with: jitgate request %s %s --reason '...' --wait",
		         who, q->action, q->resource, a->why, q->resource, q->action);
		return fail;
	}
	if (o->breakglass_group && in_group(pamh, q->user, o->breakglass_group)) {
		pam_syslog(pamh, LOG_ALERT, "BREAK-GLASS allow user=%s (group %s) "
		           "resource=%s action=%s without jitgate: %s", user,
		           o->breakglass_group, q->resource, q->action, a->why);
		return PAM_SUCCESS;
	}
	pam_syslog(pamh, LOG_ERR, "deny (fail closed) user=%s principal=%s "
	           "resource=%s action=%s: %s", user, who, q->resource, q->action,
	           a->why);
	pam_error(pamh, "jitgate: cannot decide now, access denied");
	return fail;
}

/*
 * Request mode, after jitgate denied: file the request as the user and
 * wait. Approved: a is the answer of a new check (0). Else the denial
 * is logged and told (-1).
 */
static int request(pam_handle_t *pamh, const struct pj_opts *o,
                   const struct pj_ask *q, struct pj_answer *a)
{
	char user[PJ_NAME_MAX], why[PJ_TEXT_MAX * 2];

	pam_info(pamh, "jitgate: %s may not %s on %s now: %s", q->principal,
	         q->action, q->resource, a->why);
	if (pj_request_wait(pamh, o, q->user, q->resource, q->action, why,
	                    sizeof(why))) {
		ask(o, q, a); /* the grant, as jitgate sees it now */
		return 0;
	}
	pj_printable(user, sizeof(user), q->user);
	pam_syslog(pamh, LOG_NOTICE, "deny user=%s resource=%s action=%s "
	           "(request mode): %s", user, q->resource, q->action, why);
	pam_error(pamh, "jitgate: access denied: %s", why);
	return -1;
}

/* The one path of both phases; fail is the phase's denial code. */
static int run(pam_handle_t *pamh, int argc, const char **argv, int fail)
{
	struct pj_opts o;
	struct pj_ask q;
	struct pj_answer a;
	char err[PJ_TEXT_MAX];

	memset(&q, 0, sizeof(q));
	if (pj_opts_parse(&o, argc, argv, err, sizeof(err)) < 0) {
		pam_syslog(pamh, LOG_ERR, "deny: bad module arguments: %s", err);
		return fail;
	}
	if (make_ask(pamh, &o, &q, err, sizeof(err)) < 0) {
		pam_syslog(pamh, LOG_ERR, "deny: %s", err);
		return fail;
	}
	ask(&o, &q, &a);
	if (a.verdict == PJ_DENY && o.request && request(pamh, &o, &q, &a) < 0)
		return fail;
	return decide(pamh, &o, &q, &a, fail);
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
                                const char **argv)
{
	(void)flags;
	return run(pamh, argc, argv, PAM_PERM_DENIED);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                                   const char **argv)
{
	(void)flags;
	return run(pamh, argc, argv, PAM_AUTH_ERR);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                              const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
