/*
 * pj.h - pam_jitgate's parts: options, the token file, the question to
 * jitgate. One module prefix (pj_) for the three files of the module.
 *
 * The module is a shared object loaded into sshd and sudo; it links only
 * libpam, libcurl, jansson (and src/util/safefile.c, src/ident/http.c,
 * which need nothing more), never libjitgate.a, so that a root process
 * loads as little as possible.
 *
 * It must never log or show the service token, and must never answer
 * "allow" unless jitgate said so in a well-formed answer or the local
 * break-glass rule applies (pam_jitgate.c).
 */
#ifndef PJ_H
#define PJ_H

#include <stddef.h>

#define PJ_TIMEOUT_DEFAULT 5
#define PJ_TIMEOUT_MAX 60
#define PJ_TOKEN_MAX 4096   /* a jg_ token is 46 bytes, a workload JWT more */
#define PJ_TEXT_MAX 256     /* server text kept for logs and messages */

/* The module's arguments (pam.d line); strings point into argv. */
struct pj_opts {
	const char *url;              /* required: https://jitgate.example.com */
	const char *token_file;       /* required: root-owned, mode 0600/0400 */
	const char *cafile;           /* NULL: the system's CA store */
	const char *action;           /* NULL: from the service (sshd, sudo) */
	const char *resource;         /* NULL: the short host name */
	const char *principal_suffix; /* "" by default */
	const char *breakglass_group; /* NULL: no break-glass */
	long timeout;                 /* seconds, 1..PJ_TIMEOUT_MAX */
};

/*
 * Parse argv into o (defaults first). 0, or -1 with one line in err
 * naming the argument that is unknown or out of range.
 */
int pj_opts_parse(struct pj_opts *o, int argc, const char **argv, char *err,
                  size_t errlen);

/*
 * Read the service token from path into tok (tokmax bytes, NUL-ended,
 * trailing white space dropped). The file must be a regular file owned
 * by root that no one else may read or write (mode & 077 == 0), under
 * directories only root may write (src/util/safefile.c). 0, or -1 with
 * the reason in err; the token never appears in err.
 */
int pj_token_read(const char *path, char *tok, size_t tokmax, char *err,
                  size_t errlen);

/* What jitgate said, or that it could not be asked. */
enum pj_verdict {
	PJ_ALLOW,       /* a well-formed 200 with allow: true */
	PJ_DENY,        /* allow: false, or jitgate refused the question (400) */
	PJ_UNAVAILABLE, /* no answer, a timeout, an error status, nonsense */
};

struct pj_answer {
	enum pj_verdict verdict;
	char why[PJ_TEXT_MAX];     /* printable ASCII: jitgate's reason or ours */
	char grant[64];            /* on allow: the grant's id */
	char expires[40];          /* on allow: its expiry, "" when unknown */
};

/*
 * Ask POST {url}/v1/check whether principal may do action on resource
 * now, with token as the bearer. Fills a in every case.
 */
void pj_check(const struct pj_opts *o, const char *token,
              const char *principal, const char *resource,
              const char *action, struct pj_answer *a);

/*
 * The answer to a check: status 200 or 400 and its body (len bytes, not
 * NUL-ended) into a. Allow only for a JSON object with "allow": true and
 * a string "grant_id"; a 400 is a denial with the problem's detail;
 * anything else is PJ_UNAVAILABLE.
 */
void pj_answer_parse(struct pj_answer *a, long status, const char *body,
                     size_t len);

/* Copy src into dst (n bytes), keeping only printable ASCII. */
void pj_printable(char *dst, size_t n, const char *src);

#endif
