/*
 * cli.h - the jitgate client commands: one table, one option parser.
 *
 * Every command other than `serve`, `policy check`, `policy test` and
 * `token verify` is a thin client of the HTTP API (/v1/..., see docs/);
 * the policy commands read a policy file and decide offline, with the
 * server's own loader and screening code, so what they say is what the
 * server would do; `token verify` checks a grant token with the server's
 * own JWT code against its public keys (a file, or the public JWKS URL). The
 * command table in cli.c names each command, its handler, its options, a
 * one-line summary and its usage; help, usage errors and option parsing
 * are all driven from that table.
 *
 * Global options (--url, --token, --cacert, --json, -h/--help) may appear before or
 * after the command. The token is never printed, logged or put in an error
 * message; the only secret the CLI ever prints is a newly created token on
 * `token create`, which the server shows once.
 *
 * Exit status: JG_EXIT_OK, JG_EXIT_NO (a negative answer: denied, check
 * deny, audit chain broken, policy file invalid), JG_EXIT_ERR (any error,
 * usage errors too), JG_EXIT_ENDED (request expired or cancelled).
 */
#ifndef JG_CLI_H
#define JG_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "util/crypto.h"
#include "util/timefmt.h"

struct jg_client;
struct jg_cli_session;

enum {
	JG_EXIT_OK = 0,
	JG_EXIT_NO = 1,
	JG_EXIT_ERR = 2,
	JG_EXIT_ENDED = 3,
};

#define JG_CLI_URL_DEFAULT "http://127.0.0.1:8080"
#define JG_CLI_VERSION "0.1.0"

/* How an option takes its value. */
enum jg_cli_optkind {
	JG_OPT_FLAG,  /* --wait */
	JG_OPT_VALUE, /* --reason TEXT; given twice, the last one wins */
	JG_OPT_LIST,  /* --group G, repeatable */
};

struct jg_cli_opt {
	const char *name;   /* long name without "--"; NULL ends a table */
	char shortname;     /* 0 when none */
	enum jg_cli_optkind kind;
	const char *arg;    /* value placeholder in help, e.g. "TEXT" */
	const char *help;   /* one line */
};

#define JG_CLI_OPTS_MAX 16 /* options on one command, globals excluded */
#define JG_CLI_LIST_MAX 32 /* values of one repeatable option */
#define JG_CLI_POS_MAX 4   /* positional arguments of one command */

/*
 * The parsed command line of one command. All strings borrow from argv;
 * nothing here is allocated.
 */
struct jg_cli_args {
	const struct jg_cli_cmd *cmd;
	const char *pos[JG_CLI_POS_MAX];
	size_t npos;
	const char *val[JG_CLI_OPTS_MAX][JG_CLI_LIST_MAX];
	size_t nval[JG_CLI_OPTS_MAX];
};

/* Process-wide settings, filled from the global options and environment. */
struct jg_cli {
	const char *url;   /* borrowed from argv or the environment */
	const char *token; /* borrowed; NULL when none was given */
	const char *cacert; /* borrowed; the CA file that signed an https
	                     * server's certificate; NULL: the system's */
	int json;          /* --json: print the server's JSON */
	struct jg_client *client; /* owned; created on first use */
	int url_given;     /* --url or JITGATE_URL named the server */
	struct jg_cli_session *session; /* owned: the stored session of
	                                 * `jitgate login` in use, or NULL */
};

struct jg_cli_cmd {
	const char *name;    /* "request", or "audit" for "audit list" */
	const char *sub;     /* "list" for "audit list"; NULL when none */
	int (*run)(struct jg_cli *cli, const struct jg_cli_args *a);
	const char *summary; /* one line, lowercase, no full stop */
	const char *usage;   /* arguments after the command name */
	const struct jg_cli_opt *opts; /* NULL-name terminated, may be NULL */
	size_t minpos, maxpos;
};

/* Run the client command in argv (argv[0] is the program). Exit status. */
int jg_cli_main(int argc, char **argv);

/* The whole top-level help: commands, global options, exit codes. */
void jg_cli_usage(FILE *f);

/*
 * Help for one command ("request", "audit", "audit list") on stdout:
 * JG_EXIT_OK, or JG_EXIT_ERR with a message for an unknown command.
 */
int jg_cli_help(const char *name, const char *sub);

/* Print "jitgate: <fmt>" and a newline on stderr; returns JG_EXIT_ERR. */
int jg_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like jg_cli_fail, followed by the usage line of a's command. */
int jg_cli_usage_fail(const struct jg_cli_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Option values; `name` must be one of the command's options. */
const char *jg_cli_opt(const struct jg_cli_args *a, const char *name);
int jg_cli_flag(const struct jg_cli_args *a, const char *name);
/* The values of a repeatable option, in order; *n receives the count. */
const char *const *jg_cli_list(const struct jg_cli_args *a, const char *name,
                               size_t *n);

/*
 * Argument checks made before anything is sent, each printing a usage
 * error naming `what` and returning JG_EXIT_ERR, or returning JG_EXIT_OK.
 */
/* Non-empty, shorter than JG_NAME_MAX, no control characters or '/'. */
int jg_cli_check_name(const struct jg_cli_args *a, const char *what,
                      const char *s);
/* At most max bytes (max excludes the NUL); NULL passes. */
int jg_cli_check_len(const struct jg_cli_args *a, const char *what,
                     const char *s, size_t max);
/* The options of a new request (request, exec): RESOURCE and ACTION,
 * --reason (required), the lengths of --reason, --payload and --ticket,
 * --payload or --payload-file, the forms of --duration and --timeout. */
int jg_cli_check_ask(const struct jg_cli_args *a);
/* 1 when s is an id with one of the prefixes, safe in a URL path. */
int jg_cli_id_ok(const char *s, const char *const *prefixes);
/* An id with one of the prefixes ("req_", "grt_"...; NULL ends the list). */
int jg_cli_check_id(const struct jg_cli_args *a, const char *s,
                    const char *const *prefixes);
/* --limit: 1..JG_LIST_MAX; NULL passes. */
int jg_cli_check_limit(const struct jg_cli_args *a, const char *s);

/*
 * Set obj[key] to the string val (skipped when val is NULL). A usage error
 * naming `what` when val is not valid UTF-8; JG_EXIT_ERR when out of memory.
 */
int jg_cli_json_set(const struct jg_cli_args *a, json_t *obj, const char *key,
                    const char *what, const char *val);

/* Seconds on the monotonic clock, for waits a clock step cannot cut. */
int64_t jg_cli_mono(void);
/* Sleep one second, resumed after signals. */
void jg_cli_sleep_1s(void);

/*
 * Read the file at path ("-": stdin), at most max bytes, into *out
 * (malloc'd, NUL-terminated, the caller frees; *len its length). Prints
 * why naming `what` and returns JG_EXIT_ERR when it cannot be read, is
 * longer than max or holds a NUL byte (then *out is NULL).
 */
int jg_cli_read_file(const char *what, const char *path, size_t max,
                     char **out, size_t *len);

/*
 * A JSON object given on the command line as text, or as @FILE: *out
 * receives a new reference. A usage error naming `what` otherwise.
 */
int jg_cli_json_arg(const struct jg_cli_args *a, const char *what,
                    const char *arg, json_t **out);

/*
 * The time option `opt` (RFC 3339, a date, or a duration meaning that
 * long ago) normalized to RFC 3339 UTC in out; "" when not given.
 */
int jg_cli_time_arg(const struct jg_cli_args *a, const char *opt,
                    char out[JG_TIME_LEN]);

/* Print obj: its JSON with --json, else as "key: value" lines. */
int jg_cli_print(const struct jg_cli *cli, const json_t *obj);

/*
 * One line about a request for humans, e.g. "req_... pending: needs 2 of
 * dba, then 1 of security", cleaned of control characters, into buf.
 */
void jg_cli_request_line(const json_t *req, char *buf, size_t len);

/* Exit status for a request state: 0 approved, 1 denied, 3 expired or
 * cancelled, 0 pending; JG_EXIT_ERR for anything else. */
int jg_cli_state_exit(const char *state);

/*
 * The client for cli->url and cli->token, created on first call. With no
 * token given, the session stored by `jitgate login` (jg_cli_session_use)
 * is used; NULL (said why) when it cannot be.
 */
struct jg_client *jg_cli_client(struct jg_cli *cli);

/*
 * cmd_login.c: when no token was given (--token, JITGATE_TOKEN), take the
 * stored session as the token, and its server as the URL when none was
 * named (a session is never sent to another server). JG_EXIT_OK also when
 * there is none; JG_EXIT_ERR, said, when the file is unsafe, malformed,
 * or the session expired ("run jitgate login").
 */
int jg_cli_session_use(struct jg_cli *cli);
/* Say in obj (whoami's answer) where the credential came from: "via"
 * the identity provider (jitgate login) and the session's expiry when
 * the stored session is in use; nothing otherwise. */
void jg_cli_session_describe(const struct jg_cli *cli, json_t *obj);
/* Forget (and wipe) cli->session. */
void jg_cli_session_drop(struct jg_cli *cli);

/* Handlers, one file per group of commands. */
/*
 * The SHA-256 of the payload an enforcement point is about to run, from
 * --payload TEXT or --payload-file FILE (hashed as the server binds a
 * payload without params) or --payload-sha256 HEX, into hex ("" when
 * none was given). Non-zero (a usage error, said) on bad input.
 */
int jg_cli_payload_sha256(const struct jg_cli_args *a,
                          char hex[JG_SHA256_HEX]);

int jg_cli_cmd_request(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_list(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_show(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_approve(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_deny(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_cancel(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_grants(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_revoke(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_done(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_check(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_audit_list(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_insights(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_audit_export(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_audit_verify(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_report(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_token_create(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_token_list(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_alerts_list(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_alerts_ack(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_token_revoke(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_token_fetch(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_credentials(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_token_verify(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_keys_rotate(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_ssh_cert(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_whoami(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_login(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_logout(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_extend(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_exec(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_post_review(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_policy_check(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_policy_test(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_policy_replay(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_policy_reload(struct jg_cli *cli, const struct jg_cli_args *a);
int jg_cli_cmd_policy_show(struct jg_cli *cli, const struct jg_cli_args *a);

#endif
