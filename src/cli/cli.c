/*
 * cli.c - the command table, the option parser and help of the CLI.
 *
 * The table below is the whole command-line interface: each command's
 * name, handler, summary, usage and options. Parsing, `-h`, `help
 * COMMAND` and usage errors are all driven from it, so a command cannot
 * exist without its help.
 *
 * The parser is small and hand-written rather than getopt_long(3) because
 * global options must be accepted anywhere on the line together with each
 * command's own, from two tables, with our own one-line error messages;
 * getopt_long would need a merged option array built at run time and
 * reports its errors through globals.
 *
 * Never: print the token (it is only handed to the client), or read
 * anything but argv, the JITGATE_URL / JITGATE_TOKEN variables, the
 * files named on the command line and the session `jitgate login`
 * stored (cmd_login.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"
#include "sign/jwt.h"
#include "util/crypto.h"

#define URL_MAX 2048
/* a jitgate token is 46 bytes; a CI platform's JWT (workload identity) is
 * often over 1 KB */
#define TOKEN_MAX JG_JWT_FOREIGN_MAX

/* --- option tables ------------------------------------------------- */

#define OPT_LIMIT {"limit", 0, JG_OPT_VALUE, "N", "at most N results (1-500, default 50)"}
#define OPT_CURSOR {"cursor", 0, JG_OPT_VALUE, "C", "continue from a previous page"}
#define OPT_END {NULL, 0, JG_OPT_FLAG, NULL, NULL}

static const struct jg_cli_opt global_opts[] = {
	{"url", 0, JG_OPT_VALUE, "URL", "API base URL (default $JITGATE_URL, else " JG_CLI_URL_DEFAULT ")"},
	{"token", 0, JG_OPT_VALUE, "TOKEN", "bearer token (default $JITGATE_TOKEN; prefer the variable, arguments show in ps)"},
	{"cacert", 0, JG_OPT_VALUE, "FILE", "CA certificate(s) that signed an https server's certificate (default $JITGATE_CACERT, else the system's); the server is always verified"},
	{"json", 0, JG_OPT_FLAG, NULL, "print the server's JSON, for scripts"},
	{"help", 'h', JG_OPT_FLAG, NULL, "show help"},
	OPT_END,
};

static const struct jg_cli_opt request_opts[] = {
	{"reason", 0, JG_OPT_VALUE, "TEXT", "why you need it (required)"},
	{"payload", 0, JG_OPT_VALUE, "TEXT", "the exact payload, e.g. the SQL to run"},
	{"payload-file", 0, JG_OPT_VALUE, "FILE", "read the payload from FILE ('-': stdin)"},
	{"ticket", 0, JG_OPT_VALUE, "T", "ticket reference, e.g. INC-42"},
	{"duration", 0, JG_OPT_VALUE, "D", "grant lifetime, e.g. 30m (default: the rule's maximum)"},
	{"start", 0, JG_OPT_VALUE, "TIME", "scheduled access: the grant starts at TIME (RFC 3339, e.g. 2026-12-05T02:00:00Z) and lasts D from then"},
	{"wait", 0, JG_OPT_FLAG, NULL, "wait for the decision; exit 0 approved, 1 denied, 3 expired or cancelled"},
	{"timeout", 0, JG_OPT_VALUE, "D", "with --wait: give up after D (exit 2)"},
	{"break-glass", 0, JG_OPT_FLAG, NULL, "approve it yourself under the rule's break-glass (reviewed afterwards)"},
	{"finding", 0, JG_OPT_VALUE, "JSON", "scanner finding {id, type, rule, severity, location, recommendation}, or @FILE (service tokens)"},
	{"quiet", 'q', JG_OPT_FLAG, NULL, "print only the request id"},
	OPT_END,
};

static const struct jg_cli_opt list_opts[] = {
	{"state", 0, JG_OPT_VALUE, "S", "pending, approved, denied, cancelled or expired"},
	{"requester", 0, JG_OPT_VALUE, "U", "requests by U"},
	{"resource", 0, JG_OPT_VALUE, "R", "requests on R"},
	{"post-review", 0, JG_OPT_VALUE, "S", "break-glass requests whose review is required or done"},
	OPT_LIMIT, OPT_CURSOR, OPT_END,
};

static const struct jg_cli_opt alerts_opts[] = {
	{"state", 0, JG_OPT_VALUE, "S", "open or acknowledged"},
	OPT_END,
};

static const struct jg_cli_opt alerts_ack_opts[] = {
	{"comment", 0, JG_OPT_VALUE, "C", "what was done about it (required)"},
	OPT_END,
};

static const struct jg_cli_opt comment_opts[] = {
	{"comment", 0, JG_OPT_VALUE, "C", "comment recorded with the review"},
	OPT_END,
};

static const struct jg_cli_opt reason_opts[] = {
	{"reason", 0, JG_OPT_VALUE, "R", "why, recorded in the audit trail"},
	OPT_END,
};

static const struct jg_cli_opt grants_opts[] = {
	{"state", 0, JG_OPT_VALUE, "S", "active, expired, revoked, consumed or completed"},
	{"principal", 0, JG_OPT_VALUE, "P", "grants held by P"},
	{"resource", 0, JG_OPT_VALUE, "R", "grants on R"},
	OPT_LIMIT, OPT_CURSOR, OPT_END,
};

#define AUDIT_FILTERS                                                        \
	{"actor", 0, JG_OPT_VALUE, "A", "events caused by A"},               \
	{"type", 0, JG_OPT_VALUE, "T", "events of type T, e.g. grant.issued"}, \
	{"subject", 0, JG_OPT_VALUE, "S", "events about id S"},              \
	{"since", 0, JG_OPT_VALUE, "T", "from time T (RFC 3339, date, or a duration ago: 24h)"}, \
	{"until", 0, JG_OPT_VALUE, "T", "before time T (same forms)"}

static const struct jg_cli_opt audit_list_opts[] = {
	AUDIT_FILTERS, OPT_LIMIT, OPT_CURSOR, OPT_END,
};

static const struct jg_cli_opt audit_export_opts[] = {
	AUDIT_FILTERS,
	{"output", 'o', JG_OPT_VALUE, "FILE", "write to FILE instead of stdout"},
	OPT_END,
};

static const struct jg_cli_opt insights_opts[] = {
	{"since", 0, JG_OPT_VALUE, "T", "from time T (RFC 3339, date, or a duration ago: 30d; default 30 days ago)"},
	{"until", 0, JG_OPT_VALUE, "T", "before time T (same forms; default now)"},
	OPT_END,
};

static const struct jg_cli_opt audit_verify_opts[] = {
	{"checkpoints", 0, JG_OPT_VALUE, "FILE", "also check the trail against the signed checkpoints in FILE (the server's sink)"},
	{"public-key", 0, JG_OPT_VALUE, "FILE", "the checkpoint key's public half (KEY.pub); needed with --checkpoints"},
	{"input", 'i', JG_OPT_VALUE, "FILE", "verify this export (audit export -o FILE) offline instead of the server's trail"},
	OPT_END,
};

static const struct jg_cli_opt report_opts[] = {
	{"since", 0, JG_OPT_VALUE, "D", "from date or time D (2026-10-01 or RFC 3339), included"},
	{"until", 0, JG_OPT_VALUE, "D", "to D: a date includes that whole day, a time is excluded"},
	{"format", 0, JG_OPT_VALUE, "F", "html (default), json or csv (the grants table)"},
	{"output", 'o', JG_OPT_VALUE, "FILE", "write to FILE instead of stdout"},
	OPT_END,
};

static const struct jg_cli_opt token_create_opts[] = {
	{"group", 0, JG_OPT_LIST, "G", "member of group G (repeatable)"},
	{"role", 0, JG_OPT_LIST, "ROLE", "admin, auditor, checker or metrics (repeatable)"},
	{"service", 0, JG_OPT_FLAG, NULL, "a service identity (CI job, scanner), not a person"},
	{"description", 0, JG_OPT_VALUE, "D", "what the token is for"},
	{"ttl", 0, JG_OPT_VALUE, "D", "refused after D, e.g. 90d (default: until revoked)"},
	{"expires-at", 0, JG_OPT_VALUE, "TIME", "refused from TIME on (RFC 3339), instead of --ttl"},
	{"quiet", 'q', JG_OPT_FLAG, NULL, "print only the token"},
	OPT_END,
};

static const struct jg_cli_opt token_list_opts[] = {
	{"stale", 0, JG_OPT_VALUE, "D", "only live tokens not used for D (or never used and made D ago), e.g. 30d"},
	OPT_END,
};

static const struct jg_cli_opt ssh_cert_opts[] = {
	{"output", 'o', JG_OPT_VALUE, "FILE", "write the certificate to FILE ('-': stdout; default: KEY-cert.pub beside KEY.pub)"},
	OPT_END,
};

static const struct jg_cli_opt token_fetch_opts[] = {
	{"aud", 0, JG_OPT_VALUE, "NAME", "the audience the token is for (its aud claim)"},
	OPT_END,
};

static const struct jg_cli_opt token_verify_opts[] = {
	{"jwks", 0, JG_OPT_VALUE, "FILE|URL", "the server's public keys (default $JITGATE_URL/.well-known/jwks.json)"},
	{"payload", 0, JG_OPT_VALUE, "TEXT", "the payload about to run: a token bound to one is valid only for it"},
	{"payload-file", 0, JG_OPT_VALUE, "FILE", "read that payload from FILE ('-': stdin)"},
	{"payload-sha256", 0, JG_OPT_VALUE, "HEX", "or give its bound hash"},
	{"skew", 0, JG_OPT_VALUE, "D", "clock skew allowed on exp and nbf (default 60s)"},
	OPT_END,
};

static const struct jg_cli_opt exec_opts[] = {
	{"reason", 0, JG_OPT_VALUE, "TEXT", "why you need it (required)"},
	{"param", 0, JG_OPT_LIST, "K=V", "a value for the connector's {K} slot (repeatable)"},
	{"payload", 0, JG_OPT_VALUE, "TEXT", "the exact payload, e.g. the SQL to run"},
	{"payload-file", 0, JG_OPT_VALUE, "FILE", "read the payload from FILE ('-': stdin)"},
	{"ticket", 0, JG_OPT_VALUE, "T", "ticket reference, e.g. INC-42"},
	{"duration", 0, JG_OPT_VALUE, "D", "how long the approval stays usable (default: the rule's maximum)"},
	{"timeout", 0, JG_OPT_VALUE, "D", "give up waiting for the decision after D (exit 2; the request stays)"},
	{"idempotency-key", 0, JG_OPT_VALUE, "K", "a retried step with the same K reuses its request (and its outcome)"},
	OPT_END,
};

static const struct jg_cli_opt check_opts[] = {
	{"payload", 0, JG_OPT_VALUE, "TEXT", "the exact payload about to run (a grant bound to one allows only it)"},
	{"payload-file", 0, JG_OPT_VALUE, "FILE", "read that payload from FILE ('-': stdin)"},
	{"payload-sha256", 0, JG_OPT_VALUE, "HEX", "or give its bound hash, as `jitgate show` prints it"},
	{"consume", 0, JG_OPT_FLAG, NULL, "take one use of the grant (for an enforcement point that runs it)"},
	OPT_END,
};

static const struct jg_cli_opt extend_opts[] = {
	{"reason", 0, JG_OPT_VALUE, "R", "why you need more time (required)"},
	{"duration", 0, JG_OPT_VALUE, "D", "extra time, e.g. 30m (default: up to the rule's maximum life)"},
	{"ticket", 0, JG_OPT_VALUE, "T", "ticket reference, e.g. INC-42"},
	OPT_END,
};

static const struct jg_cli_opt login_opts[] = {
	{"server", 0, JG_OPT_VALUE, "URL", "the jitgate server to sign in to (default --url, $JITGATE_URL, else " JG_CLI_URL_DEFAULT ")"},
	OPT_END,
};

static const struct jg_cli_opt policy_test_opts[] = {
	{"request", 0, JG_OPT_VALUE, "JSON", "the request: {requester, groups, service, resource, action, duration, reason, ticket, source_ip, time, finding, break_glass, payload, params, start_at}, or @FILE"},
	OPT_END,
};

static const struct jg_cli_opt policy_replay_opts[] = {
	{"since", 0, JG_OPT_VALUE, "T", "only requests made from T on (RFC 3339, date, or a duration ago: 7d)"},
	OPT_END,
};

/* --- the command table --------------------------------------------- */

static const struct jg_cli_cmd commands[] = {
	{"request", NULL, jg_cli_cmd_request, "ask for ACTION on RESOURCE",
	 "RESOURCE ACTION --reason TEXT [--payload TEXT | --payload-file FILE] [--ticket T] [--duration D] [--start TIME] [--break-glass] [--finding JSON] [--wait [--timeout D]] [-q]",
	 request_opts, 2, 2},
	{"list", NULL, jg_cli_cmd_list, "list requests, newest first",
	 "[--state S] [--requester U] [--resource R] [--post-review required|done] [--limit N] [--cursor C]",
	 list_opts, 0, 0},
	{"show", NULL, jg_cli_cmd_show, "show one request (req_...) or grant (grt_...)",
	 "ID", NULL, 1, 1},
	{"approve", NULL, jg_cli_cmd_approve, "approve a pending request",
	 "ID [--comment C]", comment_opts, 1, 1},
	{"deny", NULL, jg_cli_cmd_deny, "deny a pending request, saying why",
	 "ID --comment C", comment_opts, 1, 1},
	{"cancel", NULL, jg_cli_cmd_cancel, "cancel your pending request",
	 "ID [--reason R]", reason_opts, 1, 1},
	{"post-review", NULL, jg_cli_cmd_post_review, "record the review a break-glass approval requires",
	 "ID [--comment C]", comment_opts, 1, 1},
	{"grants", NULL, jg_cli_cmd_grants, "list grants",
	 "[--state S] [--principal P] [--resource R] [--limit N] [--cursor C]",
	 grants_opts, 0, 0},
	{"revoke", NULL, jg_cli_cmd_revoke, "end a grant now",
	 "GRANT_ID [--reason R]", reason_opts, 1, 1},
	{"done", NULL, jg_cli_cmd_done, "end your grant: the work is finished",
	 "GRANT_ID", NULL, 1, 1},
	{"extend", NULL, jg_cli_cmd_extend, "ask for more time on your grant; exit 0 extended or pending, 1 denied",
	 "GRANT_ID --reason R [--duration D] [--ticket T]", extend_opts, 1, 1},
	{"exec", NULL, jg_cli_cmd_exec, "request ACTION on RESOURCE, wait, have the gateway run it; exit with its status",
	 "RESOURCE ACTION --reason TEXT [--param K=V]... [--payload TEXT | --payload-file FILE] [--ticket T] [--duration D] [--timeout D] [--idempotency-key K]",
	 exec_opts, 2, 2},
	{"check", NULL, jg_cli_cmd_check, "may PRINCIPAL do ACTION on RESOURCE now? exit 0 allow, 1 deny",
	 "PRINCIPAL RESOURCE ACTION [--payload TEXT | --payload-file FILE | --payload-sha256 HEX] [--consume]",
	 check_opts, 3, 3},
	{"insights", NULL, jg_cli_cmd_insights, "tuning advice for a period, each change replayed (admin, auditor)",
	 "[--since T] [--until T]", insights_opts, 0, 0},
	{"audit", "list", jg_cli_cmd_audit_list, "list audit events, oldest first",
	 "[--actor A] [--type T] [--subject S] [--since T] [--until T] [--limit N] [--cursor C]",
	 audit_list_opts, 0, 0},
	{"audit", "export", jg_cli_cmd_audit_export, "export audit events as NDJSON",
	 "[--actor A] [--type T] [--subject S] [--since T] [--until T] [-o FILE]",
	 audit_export_opts, 0, 0},
	{"audit", "verify", jg_cli_cmd_audit_verify, "verify the audit hash chain (and signed checkpoints); exit 1 when broken",
	 "[--checkpoints FILE --public-key FILE [-i EXPORT]]", audit_verify_opts, 0, 0},
	{"report", NULL, jg_cli_cmd_report, "compliance evidence for a period (admins, auditors): controls, grants, standing privileges, checkpoints",
	 "--since D --until D [--format html|json|csv] [-o FILE]", report_opts, 0, 0},
	/* "alerts ack" before "alerts": a row without a subcommand takes
	 * every use of its name (find_cmd) */
	{"alerts", "ack", jg_cli_cmd_alerts_ack, "acknowledge an alert with a comment (admin)",
	 "ID --comment C", alerts_ack_opts, 1, 1},
	{"alerts", NULL, jg_cli_cmd_alerts_list, "list alerts, newest first (admin, auditor)",
	 "[--state open|acknowledged]", alerts_opts, 0, 0},
	{"token", "create", jg_cli_cmd_token_create, "create a bearer token (shown once)",
	 "PRINCIPAL [--group G]... [--role admin|auditor|checker]... [--service] [--description D] [--ttl D|--expires-at TIME] [-q]",
	 token_create_opts, 1, 1},
	{"token", "list", jg_cli_cmd_token_list, "list tokens (never their secrets), with their last use",
	 "[--stale D]", token_list_opts, 0, 0},
	{"token", "revoke", jg_cli_cmd_token_revoke, "revoke a token",
	 "TOKEN_ID", NULL, 1, 1},
	{"credentials", NULL, jg_cli_cmd_credentials, "fetch your live grant's temporary database login, once (prints PG* lines)",
	 "GRANT_ID", NULL, 1, 1},
	{"token", "fetch", jg_cli_cmd_token_fetch, "fetch a signed token (JWT) for your live grant",
	 "GRANT_ID [--aud NAME]", token_fetch_opts, 1, 1},
	{"token", "verify", jg_cli_cmd_token_verify, "verify a grant token offline against the public keys; exit 1 when invalid",
	 "TOKEN|- [--jwks FILE|URL] [--skew D] [--payload TEXT | --payload-file FILE | --payload-sha256 HEX]", token_verify_opts, 1, 1},
	{"ssh-cert", NULL, jg_cli_cmd_ssh_cert, "have your public key signed into an OpenSSH certificate for your live ssh grant",
	 "GRANT_ID KEY.pub [-o FILE]", ssh_cert_opts, 2, 2},
	{"keys", "rotate", jg_cli_cmd_keys_rotate, "make a new grant token signing key current (admin)",
	 "", NULL, 0, 0},
	{"whoami", NULL, jg_cli_cmd_whoami, "show who your token (or jitgate login session) says you are",
	 "", NULL, 0, 0},
	{"login", NULL, jg_cli_cmd_login, "sign in through the identity provider (device flow); later commands use the session",
	 "[--server URL]", login_opts, 0, 0},
	{"logout", NULL, jg_cli_cmd_logout, "end the session of jitgate login and delete its file",
	 "", NULL, 0, 0},
	{"policy", "check", jg_cli_cmd_policy_check, "validate a policy file offline; exit 1 when invalid",
	 "FILE", NULL, 1, 1},
	{"policy", "test", jg_cli_cmd_policy_test, "decide one request under a policy file offline; exit 1 denied",
	 "FILE --request JSON|@FILE", policy_test_opts, 1, 1},
	{"policy", "replay", jg_cli_cmd_policy_replay, "which past requests a policy file would decide differently",
	 "FILE [--since T]", policy_replay_opts, 1, 1},
	{"policy", "reload", jg_cli_cmd_policy_reload, "make the server re-read its policy file (admin)",
	 "", NULL, 0, 0},
	{"policy", "show", jg_cli_cmd_policy_show, "show the SHA-256 of the policy in force",
	 "", NULL, 0, 0},
	{NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};

/* --- messages ------------------------------------------------------ */

int jg_cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("jitgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return JG_EXIT_ERR;
}

static void print_usage_line(FILE *f, const struct jg_cli_cmd *cmd)
{
	fprintf(f, "usage: jitgate %s%s%s%s%s\n", cmd->name,
	        cmd->sub ? " " : "", cmd->sub ? cmd->sub : "",
	        *cmd->usage ? " " : "", cmd->usage);
}

int jg_cli_usage_fail(const struct jg_cli_args *a, const char *fmt, ...)
{
	va_list ap;

	fputs("jitgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (a && a->cmd)
		print_usage_line(stderr, a->cmd);
	else
		fputs("usage: jitgate [--url URL] [--token TOKEN] [--json] "
		      "COMMAND [ARGS]; see jitgate --help\n", stderr);
	return JG_EXIT_ERR;
}

static void print_opts(FILE *f, const struct jg_cli_opt *o)
{
	char left[64];

	for (; o && o->name; o++) {
		snprintf(left, sizeof(left), "%s%c%s--%s%s%s",
		         o->shortname ? "-" : "", o->shortname ? o->shortname : ' ',
		         o->shortname ? ", " : "  ", o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
		fprintf(f, "  %-24s %s\n", o->shortname ? left : left + 1, o->help);
	}
}

static void print_cmd_help(FILE *f, const struct jg_cli_cmd *cmd)
{
	print_usage_line(f, cmd);
	fprintf(f, "\n%s\n", cmd->summary);
	if (cmd->opts) {
		fprintf(f, "\noptions:\n");
		print_opts(f, cmd->opts);
	}
	fprintf(f, "\nglobal options: --url URL, --token TOKEN, --cacert FILE, --json, -h/--help"
	           " (see jitgate --help)\n");
}

void jg_cli_usage(FILE *f)
{
	const struct jg_cli_cmd *c;
	char name[32];

	fprintf(f, "usage: jitgate [--url URL] [--token TOKEN] [--json] COMMAND [ARGS]\n"
	           "       jitgate serve [OPTIONS]   (see jitgate help serve)\n"
	           "       jitgate help COMMAND | --help | --version\n\n"
	           "Just-in-time approval of privileged actions.\n\ncommands:\n");
	fprintf(f, "  %-16s %s\n", "serve", "run the gateway server");
	fprintf(f, "  %-16s %s\n", "backup", "copy the SQLite database into a new "
	           "file, online (jitgate backup --help)");
	fprintf(f, "  %-16s %s\n", "restore", "put a backup in place, server "
	           "stopped; revokes its grants");
	for (c = commands; c->name; c++) {
		snprintf(name, sizeof(name), "%s%s%s", c->name, c->sub ? " " : "",
		         c->sub ? c->sub : "");
		fprintf(f, "  %-16s %s\n", name, c->summary);
	}
	fprintf(f, "\nglobal options (before or after the command):\n");
	print_opts(f, global_opts);
	fprintf(f, "\nexit status:\n"
	           "  0  ok (approved, check allowed, audit intact)\n"
	           "  1  negative answer (request denied, check denied, audit chain broken,\n"
	           "     policy file invalid)\n"
	           "  2  error (usage, network, refused by the server)\n"
	           "  3  request expired or cancelled\n"
	           "  exec also: 4 the action failed, 124 its timeout stopped it, 125 its\n"
	           "     outcome is unknown, N the program's own exit status\n");
}

int jg_cli_help(const char *name, const char *sub)
{
	const struct jg_cli_cmd *c;
	int found = 0;

	for (c = commands; c->name; c++) {
		if (strcmp(c->name, name) != 0 ||
		    (sub && (!c->sub || strcmp(c->sub, sub) != 0)))
			continue;
		if (found++)
			putchar('\n');
		print_cmd_help(stdout, c);
	}
	if (!found)
		return jg_cli_fail("unknown command '%s%s%s'; see jitgate --help",
		                   name, sub ? " " : "", sub ? sub : "");
	return JG_EXIT_OK;
}

/* --- option access ------------------------------------------------- */

static int opt_index(const struct jg_cli_args *a, const char *name)
{
	const struct jg_cli_opt *o = a->cmd->opts;
	int i;

	for (i = 0; o && o[i].name; i++)
		if (strcmp(o[i].name, name) == 0)
			return i;
	return -1;
}

const char *jg_cli_opt(const struct jg_cli_args *a, const char *name)
{
	int i = opt_index(a, name);

	return i >= 0 && a->nval[i] ? a->val[i][a->nval[i] - 1] : NULL;
}

int jg_cli_flag(const struct jg_cli_args *a, const char *name)
{
	return jg_cli_opt(a, name) != NULL;
}

const char *const *jg_cli_list(const struct jg_cli_args *a, const char *name,
                               size_t *n)
{
	int i = opt_index(a, name);

	*n = i >= 0 ? a->nval[i] : 0;
	return i >= 0 ? a->val[i] : NULL;
}

/* --- parsing ------------------------------------------------------- */

/* Find an option by long name (n bytes) or by short letter. */
static const struct jg_cli_opt *find_opt(const struct jg_cli_opt *tab,
                                         const char *name, size_t n,
                                         char letter)
{
	for (; tab && tab->name; tab++) {
		if (letter ? tab->shortname == letter
		           : strlen(tab->name) == n && !strncmp(tab->name, name, n))
			return tab;
	}
	return NULL;
}

static int set_global(struct jg_cli *cli, const struct jg_cli_opt *o,
                      const char *val, int *help)
{
	if (!strcmp(o->name, "url")) {
		cli->url = val;
		cli->url_given = 1;
	} else if (!strcmp(o->name, "token"))
		cli->token = *val ? val : NULL;
	else if (!strcmp(o->name, "cacert"))
		cli->cacert = *val ? val : NULL;
	else if (!strcmp(o->name, "json"))
		cli->json = 1;
	else
		*help = 1;
	return JG_EXIT_OK;
}

static int set_opt(struct jg_cli_args *a, const struct jg_cli_opt *o,
                   const char *val)
{
	size_t i = (size_t)(o - a->cmd->opts);

	if (o->kind != JG_OPT_LIST) {
		a->val[i][0] = val;
		a->nval[i] = 1;
		return JG_EXIT_OK;
	}
	if (a->nval[i] >= JG_CLI_LIST_MAX)
		return jg_cli_usage_fail(a, "too many --%s options (at most %d)",
		                         o->name, JG_CLI_LIST_MAX);
	a->val[i][a->nval[i]++] = val;
	return JG_EXIT_OK;
}

/*
 * Parse the option at argv[*i] (a->cmd NULL: only globals are known yet)
 * and advance *i past it and its value.
 */
static int parse_opt(struct jg_cli *cli, struct jg_cli_args *a, int argc,
                     char **argv, int *i, int *help)
{
	const char *arg = argv[*i], *name, *eq, *val = NULL;
	const struct jg_cli_opt *o, *cmdopts = a->cmd ? a->cmd->opts : NULL;
	size_t n;
	char letter = 0;
	int global = 0;

	if (arg[1] == '-') {
		name = arg + 2;
		eq = strchr(name, '=');
		n = eq ? (size_t)(eq - name) : strlen(name);
		val = eq ? eq + 1 : NULL;
	} else {
		name = arg + 1;
		letter = arg[1];
		n = 1;
		val = arg[2] ? arg + 2 : NULL;
	}
	if (!(o = find_opt(cmdopts, name, n, letter))) {
		o = find_opt(global_opts, name, n, letter);
		global = o != NULL;
	}
	if (!o)
		return jg_cli_usage_fail(a, "unknown option '%.*s'",
		                         (int)(name - arg + n), arg);
	if (o->kind == JG_OPT_FLAG && val)
		return jg_cli_usage_fail(a, "option '--%s' takes no value", o->name);
	if (o->kind != JG_OPT_FLAG && !val) {
		if (*i + 1 >= argc)
			return jg_cli_usage_fail(a, "option '--%s' needs a value",
			                         o->name);
		val = argv[++*i];
	}
	++*i;
	if (global)
		return set_global(cli, o, val ? val : "1", help);
	return set_opt(a, o, val ? val : "1");
}

static const struct jg_cli_cmd *find_cmd(const char *name, const char *sub,
                                         int *has_subs)
{
	const struct jg_cli_cmd *c;

	*has_subs = 0;
	for (c = commands; c->name; c++) {
		if (strcmp(c->name, name) != 0)
			continue;
		if (!c->sub)
			return c;
		*has_subs = 1;
		if (sub && !strcmp(c->sub, sub))
			return c;
	}
	return NULL;
}

static int is_opt(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0';
}

/*
 * Parse everything after the command word(s): the command's options and
 * the global ones, in any order, and its positional arguments.
 */
static int parse_args(struct jg_cli *cli, struct jg_cli_args *a, int argc,
                      char **argv, int i, int *help)
{
	int rv, dashdash = 0;

	while (i < argc) {
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = 1;
			i++;
		} else if (!dashdash && is_opt(argv[i])) {
			if ((rv = parse_opt(cli, a, argc, argv, &i, help)))
				return rv;
		} else if (a->npos >= JG_CLI_POS_MAX) {
			return jg_cli_usage_fail(a, "too many arguments");
		} else {
			a->pos[a->npos++] = argv[i++];
		}
	}
	return JG_EXIT_OK;
}

/*
 * The name of positional argument `idx` from the usage text: the words in
 * capitals outside brackets that do not follow an option ("RESOURCE").
 */
static void pos_name(const struct jg_cli_cmd *cmd, size_t idx, char *buf,
                     size_t len)
{
	const char *p = cmd->usage, *end;
	int depth = 0, after_opt = 0;
	size_t n;

	snprintf(buf, len, "arguments");
	while (*p) {
		while (*p == ' ')
			p++;
		end = p + strcspn(p, " ");
		n = (size_t)(end - p);
		if (depth == 0 && !after_opt && n && *p >= 'A' && *p <= 'Z' &&
		    idx-- == 0) {
			snprintf(buf, len, "%.*s", (int)n, p);
			return;
		}
		after_opt = depth == 0 && n > 2 && !strncmp(p, "--", 2);
		for (; p < end; p++)
			depth += (*p == '[') - (*p == ']');
	}
}

static int check_counts(const struct jg_cli_args *a)
{
	char name[32];

	if (a->npos < a->cmd->minpos) {
		pos_name(a->cmd, a->npos, name, sizeof(name));
		return jg_cli_usage_fail(a, "missing %s", name);
	}
	if (a->npos > a->cmd->maxpos)
		return jg_cli_usage_fail(a, "unexpected argument '%s'",
		                         a->pos[a->cmd->maxpos]);
	return JG_EXIT_OK;
}

/* --- validation ---------------------------------------------------- */

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int jg_cli_check_name(const struct jg_cli_args *a, const char *what,
                      const char *s)
{
	if (!s || !*s)
		return jg_cli_usage_fail(a, "%s must not be empty", what);
	if (strlen(s) >= JG_NAME_MAX)
		return jg_cli_usage_fail(a, "%s is longer than %d bytes", what,
		                         JG_NAME_MAX - 1);
	if (has_control(s))
		return jg_cli_usage_fail(a, "%s contains control characters", what);
	return JG_EXIT_OK;
}

int jg_cli_check_len(const struct jg_cli_args *a, const char *what,
                     const char *s, size_t max)
{
	if (s && strlen(s) > max)
		return jg_cli_usage_fail(a, "%s is longer than %zu bytes", what, max);
	return JG_EXIT_OK;
}

int jg_cli_id_ok(const char *s, const char *const *prefixes)
{
	const char *const *p;
	int ok = 0;

	if (!s || strlen(s) >= JG_ID_LEN)
		return 0;
	for (p = prefixes; *p && !ok; p++)
		ok = !strncmp(s, *p, strlen(*p)) && s[strlen(*p)];
	for (; ok && *s; s++)
		ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		     (*s >= '0' && *s <= '9') || *s == '_' || *s == '-';
	return ok;
}

int jg_cli_check_id(const struct jg_cli_args *a, const char *s,
                    const char *const *prefixes)
{
	if (jg_cli_id_ok(s, prefixes))
		return JG_EXIT_OK;
	return jg_cli_usage_fail(a, "invalid id '%.40s': expected %s...", s,
	                         prefixes[0]);
}

int jg_cli_check_limit(const struct jg_cli_args *a, const char *s)
{
	char *end;
	long n;

	if (!s)
		return JG_EXIT_OK;
	n = strtol(s, &end, 10);
	if (end == s || *end || n < 1 || n > JG_LIST_MAX)
		return jg_cli_usage_fail(a, "--limit must be a number from 1 to %d",
		                         JG_LIST_MAX);
	return JG_EXIT_OK;
}

static int check_globals(const struct jg_cli *cli)
{
	const char *t = cli->token;

	if (strncmp(cli->url, "http://", 7) && strncmp(cli->url, "https://", 8))
		return jg_cli_fail("invalid URL '%.80s': expected http:// or https://",
		                   cli->url);
	if (strlen(cli->url) > URL_MAX || has_control(cli->url))
		return jg_cli_fail("invalid URL: too long or control characters");
	if (cli->cacert && access(cli->cacert, R_OK) != 0)
		return jg_cli_fail("cannot read the CA file %.200s: %s",
		                   cli->cacert, strerror(errno));
	if (t && (strlen(t) > TOKEN_MAX || strpbrk(t, " \t\r\n") || has_control(t)))
		return jg_cli_fail("invalid token: too long, or contains spaces or "
		                   "control characters");
	return JG_EXIT_OK;
}

int jg_cli_json_set(const struct jg_cli_args *a, json_t *obj, const char *key,
                    const char *what, const char *val)
{
	json_t *v;

	if (!val)
		return JG_EXIT_OK;
	if (!(v = json_string(val)))
		return jg_cli_usage_fail(a, "%s is not valid UTF-8", what);
	if (json_object_set_new(obj, key, v) != 0)
		return jg_cli_fail("out of memory");
	return JG_EXIT_OK;
}

int64_t jg_cli_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

void jg_cli_sleep_1s(void)
{
	struct timespec ts = {1, 0};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int jg_cli_read_file(const char *what, const char *path, size_t max,
                     char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf;
	size_t n;
	int err;

	*out = NULL;
	*len = 0;
	if (!f)
		return jg_cli_fail("cannot open %s '%s': %s", what, path,
		                   strerror(errno));
	if (!(buf = malloc(max + 2))) {
		if (f != stdin)
			fclose(f);
		return jg_cli_fail("out of memory");
	}
	/* one byte past max tells "exactly max" from "longer" */
	n = fread(buf, 1, max + 1, f);
	err = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	if (err || n > max || memchr(buf, '\0', n)) {
		free(buf);
		if (err)
			return jg_cli_fail("cannot read %s '%s': %s", what, path,
			                   strerror(err));
		if (n > max)
			return jg_cli_fail("%s '%s' is longer than %zu bytes", what,
			                   path, max);
		return jg_cli_fail("%s '%s' contains a NUL byte", what, path);
	}
	*out = buf;
	*len = n;
	return JG_EXIT_OK;
}

int jg_cli_json_arg(const struct jg_cli_args *a, const char *what,
                    const char *arg, json_t **out)
{
	json_error_t jerr;
	char *text = NULL;
	size_t len;
	json_t *v;
	int rv;

	*out = NULL;
	if (arg[0] == '@') {
		char label[64];

		snprintf(label, sizeof(label), "%s file", what);
		if ((rv = jg_cli_read_file(label, arg + 1, JG_BODY_MAX, &text,
		                           &len)))
			return rv;
		v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	} else {
		if ((rv = jg_cli_check_len(a, what, arg, JG_BODY_MAX)))
			return rv;
		v = json_loads(arg, JSON_REJECT_DUPLICATES, &jerr);
	}
	free(text);
	if (!v)
		return jg_cli_usage_fail(a, "%s is not valid JSON: %s (line %d, "
		                            "column %d)", what, jerr.text,
		                         jerr.line, jerr.column);
	if (!json_is_object(v)) {
		json_decref(v);
		return jg_cli_usage_fail(a, "%s must be a JSON object", what);
	}
	*out = v;
	return JG_EXIT_OK;
}

int jg_cli_time_arg(const struct jg_cli_args *a, const char *opt,
                    char out[JG_TIME_LEN])
{
	const char *s = jg_cli_opt(a, opt);
	int64_t t, d;

	out[0] = '\0';
	if (!s)
		return JG_EXIT_OK;
	if (jg_time_parse(s, &t) == JG_OK) {
		jg_time_format(t, out);
		return JG_EXIT_OK;
	}
	if (jg_duration_parse(s, &d) == JG_OK) {
		/* "24h": that long ago, the one use of the wall clock here */
		jg_time_format((int64_t)time(NULL) - d, out);
		return JG_EXIT_OK;
	}
	return jg_cli_usage_fail(a, "invalid --%s '%.40s': expected a time "
	                            "(2026-01-31T12:00:00Z), a date or a duration "
	                            "ago (24h)", opt, s);
}

int jg_cli_print(const struct jg_cli *cli, const json_t *obj)
{
	if (cli->json)
		return jg_out_json(obj);
	jg_out_fields(obj);
	return JG_EXIT_OK;
}

/* --- dispatch ------------------------------------------------------ */

struct jg_client *jg_cli_client(struct jg_cli *cli)
{
	if (!cli->client && jg_cli_session_use(cli) == JG_EXIT_OK &&
	    (cli->client = jg_client_new(cli->url, cli->token)))
		jg_client_set_cacert(cli->client, cli->cacert);
	return cli->client;
}

static void init_from_env(struct jg_cli *cli)
{
	const char *v;

	cli->url = JG_CLI_URL_DEFAULT;
	if ((v = getenv("JITGATE_URL")) && *v) {
		cli->url = v;
		cli->url_given = 1;
	}
	if ((v = getenv("JITGATE_TOKEN")) && *v)
		cli->token = v;
	if ((v = getenv("JITGATE_CACERT")) && *v)
		cli->cacert = v;
}

/* Parse globals before the command word; *i ends on the command word. */
static int parse_leading(struct jg_cli *cli, int argc, char **argv, int *i,
                         int *help)
{
	struct jg_cli_args none = {0};
	int rv;

	while (*i < argc && is_opt(argv[*i]) && strcmp(argv[*i], "--"))
		if ((rv = parse_opt(cli, &none, argc, argv, i, help)))
			return rv;
	return JG_EXIT_OK;
}

static int run_cmd(struct jg_cli *cli, const struct jg_cli_cmd *cmd, int argc,
                   char **argv, int i, int help)
{
	struct jg_cli_args *a = calloc(1, sizeof(*a));
	int rv;

	if (!a)
		return jg_cli_fail("out of memory");
	a->cmd = cmd;
	rv = parse_args(cli, a, argc, argv, i, &help);
	if (!rv && help)
		rv = jg_cli_help(cmd->name, cmd->sub);
	else if (!rv && !(rv = check_counts(a)) && !(rv = check_globals(cli)))
		rv = cmd->run(cli, a);
	free(a);
	return rv;
}

int jg_cli_main(int argc, char **argv)
{
	struct jg_cli cli = {0};
	const struct jg_cli_cmd *cmd;
	const char *name, *sub;
	int i = 1, help = 0, has_subs, rv;

	init_from_env(&cli);
	if ((rv = parse_leading(&cli, argc, argv, &i, &help)))
		return rv;
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		jg_cli_usage(help ? stdout : stderr);
		return help ? JG_EXIT_OK : JG_EXIT_ERR;
	}
	name = argv[i++];
	sub = i < argc && !is_opt(argv[i]) ? argv[i] : NULL;
	if (!(cmd = find_cmd(name, sub, &has_subs))) {
		if (!has_subs)
			return jg_cli_fail("unknown command '%.64s'; see jitgate --help",
			                   name);
		if (help || (!sub && i < argc && (!strcmp(argv[i], "-h") ||
		                                  !strcmp(argv[i], "--help"))))
			return jg_cli_help(name, NULL);
		if (sub)
			jg_cli_fail("unknown subcommand '%s %.64s'", name, sub);
		else
			jg_cli_fail("%s needs a subcommand", name);
		for (cmd = commands; cmd->name; cmd++)
			if (!strcmp(cmd->name, name))
				print_usage_line(stderr, cmd);
		return JG_EXIT_ERR;
	}
	if (cmd->sub)
		i++;
	rv = run_cmd(&cli, cmd, argc, argv, i, help);
	jg_client_free(cli.client);
	jg_cli_session_drop(&cli);
	return rv;
}
