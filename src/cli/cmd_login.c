/*
 * cmd_login.c - `jitgate login`, `jitgate logout`, and the stored session
 * every other command uses when no token is given.
 *
 * login runs the OAuth 2.0 device authorization grant (RFC 8628) through
 * the jitgate server, which is the identity provider's client: the CLI
 * never sees the provider's tokens nor the client secret. It shows the
 * provider's page and code, polls the server at the interval it is told,
 * and stores the session the server hands over (session.h).
 *
 * Never: print the session secret, or send it to a server other than
 * the one it came from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/session.h"

#define PATH_LEN 2200
#define LINE_LEN 1024
#define INTERVAL_MAX 60

/* ---- the stored session, for every command ---- */

/* Two server URLs are the same server (trailing slashes aside). */
static int same_server(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	while (na && a[na - 1] == '/')
		na--;
	while (nb && b[nb - 1] == '/')
		nb--;
	return na == nb && strncmp(a, b, na) == 0;
}

int jg_cli_session_use(struct jg_cli *cli)
{
	char path[PATH_LEN], dir[PATH_LEN], err[LINE_LEN], exp[JG_TIME_LEN];
	struct jg_cli_session s;

	if (cli->token || cli->session ||
	    jg_cli_session_path(path, dir, sizeof(path), err, sizeof(err)))
		return JG_EXIT_OK; /* nowhere to look: no session */
	switch (jg_cli_session_load(path, &s, err, sizeof(err))) {
	case JG_CLI_SESSION_NONE:
		return JG_EXIT_OK;
	case JG_CLI_SESSION_OK:
		break;
	default:
		jg_cli_session_clear(&s);
		return jg_cli_fail("%s", err);
	}
	if (cli->url_given && !same_server(cli->url, s.server)) {
		jg_cli_session_clear(&s); /* never sent elsewhere */
		return JG_EXIT_OK;
	}
	if ((int64_t)time(NULL) >= s.expires_at) {
		jg_time_format(s.expires_at, exp);
		jg_cli_session_clear(&s);
		return jg_cli_fail("your session from jitgate login expired at "
		                   "%s: run jitgate login", exp);
	}
	if (!(cli->session = malloc(sizeof(*cli->session)))) {
		jg_cli_session_clear(&s);
		return jg_cli_fail("out of memory");
	}
	*cli->session = s;
	jg_cli_session_clear(&s);
	cli->token = cli->session->secret;
	cli->url = cli->session->server;
	return JG_EXIT_OK;
}

void jg_cli_session_describe(const struct jg_cli *cli, json_t *obj)
{
	char exp[JG_TIME_LEN];

	if (!cli->session || !json_is_object(obj))
		return;
	jg_time_format(cli->session->expires_at, exp);
	json_object_set_new(obj, "via", json_string("identity provider "
	                                            "(jitgate login)"));
	json_object_set_new(obj, "session_expires_at", json_string(exp));
}

void jg_cli_session_drop(struct jg_cli *cli)
{
	if (cli->session) {
		jg_cli_session_clear(cli->session);
		free(cli->session);
		cli->session = NULL;
	}
}

/* ---- login ---- */

/* A client for url with no credential (a sign-in has none yet). */
static struct jg_client *anonymous(const struct jg_cli *cli, const char *url)
{
	struct jg_client *c = jg_client_new(url, NULL);

	if (c)
		jg_client_set_cacert(c, cli->cacert);
	return c;
}

/* Show where to approve the sign-in (all of it the provider's text,
 * cleaned of control characters). */
static void show_code(const json_t *dev)
{
	char uri[LINE_LEN], code[256], full[LINE_LEN];

	jg_out_clean(jg_json_strd(dev, "verification_uri"), uri, sizeof(uri), 0);
	jg_out_clean(jg_json_strd(dev, "user_code"), code, sizeof(code), 0);
	printf("To sign in, open %s in a browser\nand enter the code: %s\n",
	       uri, code);
	if (jg_json_str(dev, "verification_uri_complete")) {
		jg_out_clean(jg_json_str(dev, "verification_uri_complete"), full,
		             sizeof(full), 0);
		printf("(or open %s)\n", full);
	}
	fflush(stdout);
}

/* Wait secs seconds; on a terminal, one line says how long is left, and
 * is wiped before the poll, so what is said next starts a clean line. */
static void wait_poll(int64_t secs, int64_t deadline)
{
	char left[32];
	int tty = isatty(STDERR_FILENO);

	for (; secs > 0; secs--) {
		if (tty) {
			jg_duration_format(deadline - jg_cli_mono(), left,
			                   sizeof(left));
			fprintf(stderr, "\rwaiting for the sign-in to be approved "
			        "(the code expires in %s)  ", left);
		}
		jg_cli_sleep_1s();
	}
	if (tty)
		fprintf(stderr, "\r%-78s\r", "");
}

/* The interval a pending answer asks for (RFC 8628: slow_down raises
 * it), else the one we had. */
static int64_t next_interval(const json_t *problem, int64_t interval)
{
	long long v = jg_json_int(problem, "interval", interval);

	return v >= 1 && v <= INTERVAL_MAX ? v : interval;
}

static int is_pending(const json_t *problem)
{
	const char *type = jg_json_str(problem, "type");
	const char *slug = type ? strrchr(type, ':') : NULL;

	return slug && strcmp(slug, ":authorization-pending") == 0;
}

/*
 * Poll until the sign-in is approved (*out: the session answer), refused
 * or expired (said). c is quiet: "pending" is an answer, not an error.
 */
static int poll_token(struct jg_client *c, const json_t *dev, json_t **out)
{
	int64_t interval = jg_json_int(dev, "interval", 5);
	int64_t deadline = jg_cli_mono() + jg_json_int(dev, "expires_in", 600);
	json_t *body;
	int rv;

	if (interval < 1 || interval > INTERVAL_MAX)
		interval = 5;
	if (!isatty(STDERR_FILENO))
		fprintf(stderr, "waiting for the sign-in to be approved\n");
	for (;;) {
		wait_poll(interval, deadline);
		if (jg_cli_mono() >= deadline)
			return jg_cli_fail("the sign-in code expired before it "
			                   "was approved; run jitgate login again");
		body = json_pack("{s:s,s:I}", "device_code",
		                 jg_json_strd(dev, "device_code"), "interval",
		                 (json_int_t)interval);
		if (!body)
			return jg_cli_fail("out of memory");
		rv = jg_client_call(c, "POST", "/v1/auth/device/token", NULL,
		                    body, out);
		json_decref(body);
		if (rv == JG_EXIT_OK)
			break;
		if (!is_pending(jg_client_last_refusal(c)))
			return *jg_client_last_message(c)
			               ? jg_cli_fail("%s", jg_client_last_message(c))
			               : rv; /* a transport error, said */
		interval = next_interval(jg_client_last_refusal(c), interval);
	}
	return JG_EXIT_OK;
}

/* "alice (groups: dba, oncall)" of a principal, cleaned. */
static void who_line(const json_t *p, char *buf, size_t len)
{
	const json_t *groups = json_object_get(p, "groups");
	char name[256], g[256];
	size_t i, n;
	int k;

	jg_out_clean(jg_json_strd(p, "principal"), name, sizeof(name), 0);
	k = snprintf(buf, len, "%s", name);
	for (i = 0; k >= 0 && (size_t)k < len && i < json_array_size(groups);
	     i++) {
		jg_out_clean(json_string_value(json_array_get(groups, i)), g,
		             sizeof(g), 0);
		n = len - (size_t)k;
		k += snprintf(buf + k, n, "%s%s", i ? ", " : " (groups: ", g);
	}
	if (k >= 0 && (size_t)k < len && i)
		snprintf(buf + k, len - (size_t)k, ")");
}

/* Store the session answer for url; say who is signed in. */
static int store(const struct jg_cli *cli, const char *url, const json_t *ans)
{
	char path[PATH_LEN], dir[PATH_LEN], err[LINE_LEN], line[LINE_LEN];
	const char *secret = jg_json_str(ans, "session_token");
	const char *exp = jg_json_str(ans, "expires_at");
	struct jg_cli_session s = {0};
	int rv;

	if (jg_cli_session_path(path, dir, sizeof(path), err, sizeof(err)))
		return jg_cli_fail("%s", err);
	if (!secret || strncmp(secret, "jgs_", 4) != 0 ||
	    strlen(secret) >= sizeof(s.secret) || !exp ||
	    jg_time_parse(exp, &s.expires_at) != JG_OK ||
	    strlen(url) > JG_CLI_SESSION_URL_MAX)
		return jg_cli_fail("the server's answer holds no session");
	snprintf(s.server, sizeof(s.server), "%s", url);
	snprintf(s.secret, sizeof(s.secret), "%s", secret);
	rv = jg_cli_session_save(path, dir, &s, err, sizeof(err));
	jg_cli_session_clear(&s);
	if (rv)
		return jg_cli_fail("%s", err);
	if (cli->json) {
		json_t *o = json_pack("{s:O,s:s,s:s}", "principal",
		                      json_object_get(ans, "principal"),
		                      "expires_at", exp, "session_file", path);
		rv = o ? jg_out_json(o) : jg_cli_fail("out of memory");
		json_decref(o);
		return rv;
	}
	who_line(json_object_get(ans, "principal"), line, sizeof(line));
	printf("signed in as %s through the identity provider\n"
	       "session stored in %s until %s\n", line, path, exp);
	return JG_EXIT_OK;
}

int jg_cli_cmd_login(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *url = jg_cli_opt(a, "server");
	struct jg_client *c;
	json_t *dev = NULL, *ans = NULL;
	int rv;

	if (!url)
		url = cli->url;
	else if ((strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) ||
	         strlen(url) > JG_CLI_SESSION_URL_MAX || strpbrk(url, " \t\r\n"))
		return jg_cli_usage_fail(a, "invalid --server '%.80s': expected "
		                            "an http:// or https:// URL", url);
	if (!(c = anonymous(cli, url)))
		return JG_EXIT_ERR;
	if (!(rv = jg_client_call(c, "POST", "/v1/auth/device", NULL, NULL,
	                          &dev))) {
		show_code(dev);
		jg_client_set_quiet(c, 1);
		if (!(rv = poll_token(c, dev, &ans)))
			rv = store(cli, url, ans);
	}
	json_decref(ans);
	json_decref(dev);
	jg_client_free(c);
	return rv;
}

/* ---- logout ---- */

/* End s on its server: 0 ended (or already unknown there), else said. */
static int end_on_server(const struct jg_cli *cli,
                         const struct jg_cli_session *s)
{
	struct jg_client *c = jg_client_new(s->server, s->secret);
	char exp[JG_TIME_LEN];
	json_t *out = NULL;
	int rv;

	if (!c)
		return JG_EXIT_ERR;
	jg_client_set_cacert(c, cli->cacert);
	jg_client_set_quiet(c, 1);
	rv = jg_client_call(c, "DELETE", "/v1/session", NULL, NULL, &out);
	json_decref(out);
	if (rv && jg_client_last(c) == 401)
		rv = JG_EXIT_OK; /* expired or ended already: nothing to end */
	else if (rv && *jg_client_last_message(c))
		jg_cli_fail("%s", jg_client_last_message(c));
	if (rv) {
		jg_time_format(s->expires_at, exp);
		jg_cli_fail("the session could not be ended on %s: it stays "
		            "valid there until %s", s->server, exp);
	}
	jg_client_free(c);
	return rv;
}

int jg_cli_cmd_logout(struct jg_cli *cli, const struct jg_cli_args *a)
{
	char path[PATH_LEN], dir[PATH_LEN], err[LINE_LEN];
	struct jg_cli_session s;
	enum jg_cli_session_state st;
	int rv = JG_EXIT_OK;

	(void)a;
	if (jg_cli_session_path(path, dir, sizeof(path), err, sizeof(err)))
		return jg_cli_fail("%s", err);
	st = jg_cli_session_load(path, &s, err, sizeof(err));
	if (st == JG_CLI_SESSION_NONE) {
		printf("not signed in (no %s)\n", path);
		return JG_EXIT_OK;
	}
	if (st == JG_CLI_SESSION_BAD)
		jg_cli_fail("%s", err);
	else /* an unsafe file's session may be known: end it all the same */
		rv = end_on_server(cli, &s);
	jg_cli_session_clear(&s);
	if (unlink(path) != 0)
		return jg_cli_fail("cannot delete %s: %s", path, strerror(errno));
	printf("%s; deleted %s\n", rv || st == JG_CLI_SESSION_BAD
	       ? "signed out here" : "signed out", path);
	return rv;
}
