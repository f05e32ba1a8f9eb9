/*
 * pj.h - pam_jitgate's parts: options, the token file, the questions to
 * jitgate, and request mode (the user's session file, the request filed
 * and watched). One module prefix (pj_) for the files of the module.
 *
 * The module is a shared object loaded into sshd and sudo; it links only
 * libpam, libcurl, jansson, libcrypto (and src/util/safefile.c,
 * src/ident/http.c, src/util/timefmt.c and the CLI's session parser
 * src/cli/session.c, which need nothing more), never libjitgate.a, so
 * that a root process loads as little as possible.
 *
 * It must never log or show the service token or a user's session
 * secret, and must never answer
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
#define PJ_WAIT_DEFAULT 300 /* request mode: seconds to wait for a review */
#define PJ_WAIT_MAX 3600
#define PJ_REASON_MAX 500   /* request mode: bytes of the reason typed */

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
	int request;                  /* on a denial, file a request as the user */
	long wait;                    /* seconds, 1..PJ_WAIT_MAX */
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
 * now, from source (the user's IP address, NULL: unknown), with token as
 * the bearer. Fills a in every case.
 */
void pj_check(const struct pj_opts *o, const char *token,
              const char *principal, const char *resource,
              const char *action, const char *source, struct pj_answer *a);

/*
 * The answer to a check: status 200 or 400 and its body (len bytes, not
 * NUL-ended) into a. Allow only for a JSON object with "allow": true and
 * a string "grant_id"; a 400 is a denial with the problem's detail;
 * anything else is PJ_UNAVAILABLE.
 */
void pj_answer_parse(struct pj_answer *a, long status, const char *body,
                     size_t len);

/*
 * One HTTP exchange with jitgate: method (GET or POST) on {url}{path},
 * json as the body when not NULL, token as the bearer. The body that
 * comes back is malloc'd into *body (the caller frees it; NUL-ended,
 * at most 64 KiB) with its length in *len and the status in *status.
 * 0, or -1 with why (printable, naming no secret) in err.
 */
int pj_http(const struct pj_opts *o, const char *token, const char *method,
            const char *path, const char *json, long *status, char **body,
            size_t *len, char *err, size_t errlen);

/* Copy src into dst (n bytes), keeping only printable ASCII. */
void pj_printable(char *dst, size_t n, const char *src);

/* --- request mode (pj_session.c, pj_request.c) ---------------------- */

struct jg_cli_session;

/*
 * The user's `jitgate login` session from fd (opened by the caller as
 * the user, O_NOFOLLOW): a regular file owned by uid, mode & 077 == 0,
 * at most JG_CLI_SESSION_FILE_MAX bytes, in the CLI's own format
 * (jg_cli_session_parse), for the server url (trailing slashes aside),
 * not expired at now. 0, or -1 with why (naming path, never the secret)
 * in err; 1 when it is well-formed but expired or for another server
 * (the user should run jitgate login, nothing is wrong with the file).
 */
int pj_session_from_fd(int fd, const char *path, unsigned uid,
                       const char *url, long long now,
                       struct jg_cli_session *s, char *err, size_t errlen);

/* What a request's GET said. */
struct pj_request {
	char id[64];                /* "req_..." */
	char state[16];             /* pending, approved, denied, ... */
	char why[PJ_TEXT_MAX];      /* state_reason, printable */
};

/*
 * A request from the body of POST /v1/requests (201/200) or GET
 * /v1/requests/{id} (200): 0 when it is an object with a string id of
 * the request id's shape and a string state; else -1 (why in r->why).
 */
int pj_request_parse(struct pj_request *r, const char *body, size_t len);

/*
 * Request mode after a denial (pj_flow.c): with the user's own session,
 * ask the reason through the conversation, file the request, tell the
 * user where it can be approved and wait up to o->wait seconds. 1 when
 * it was approved (the caller must ask /v1/check again), else 0 with
 * why (one printable line) for the log and the user.
 */
typedef struct pam_handle pam_handle_t;
int pj_request_wait(pam_handle_t *pamh, const struct pj_opts *o,
                    const char *user, const char *resource,
                    const char *action, char *why, size_t n);

#endif
