/*
 * cmd_credentials.c - `jitgate credentials GRANT_ID`: the temporary
 * PostgreSQL login role of your live grant, fetched once
 * (POST /v1/grants/{id}/credentials).
 *
 * The server shows the password a single time, so what this prints is
 * made to be kept and used as it is: comment lines (the grant, the
 * role's end, a psql command with the connection URI) and `export PG…=`
 * lines, so the whole output may be saved and sourced by a shell
 * (`. file`, or eval), after which a plain `psql` connects. --json
 * prints the server's answer. Values are shell-quoted and cleaned of
 * control characters. Never: print the password anywhere but stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"

static const char *const grant_prefix[] = {"grt_", NULL};

/* s, cleaned, single-quoted for a POSIX shell. */
static void shell_quoted(const char *s)
{
	char *clean = jg_out_clean_dup(s ? s : "", 0);

	putchar('\'');
	for (const char *p = clean ? clean : ""; *p; p++)
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	putchar('\'');
	if (clean) {
		explicit_bzero(clean, strlen(clean));
		free(clean);
	}
}

static void print_env(const json_t *t)
{
	static const char *const env[][2] = {
		{"PGHOST", "host"},       {"PGPORT", "port"},
		{"PGDATABASE", "dbname"}, {"PGUSER", "role"},
		{"PGPASSWORD", "password"},
	};
	char grant[JG_ID_LEN], until[JG_TIME_LEN];

	jg_out_clean(jg_json_str(t, "grant_id"), grant, sizeof(grant), 0);
	jg_out_clean(jg_json_str(t, "valid_until"), until, sizeof(until), 0);
	printf("# jitgate: credentials of grant %s, shown once; the role ends "
	       "%s (or when the grant ends)\n# psql ", grant, until);
	shell_quoted(jg_json_str(t, "uri"));
	putchar('\n');
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		printf("export %s=", env[i][0]);
		shell_quoted(jg_json_str(t, env[i][1]));
		putchar('\n');
	}
}

int jg_cli_cmd_credentials(struct jg_cli *cli, const struct jg_cli_args *a)
{
	char path[128];
	json_t *t;
	int rv;

	if ((rv = jg_cli_check_id(a, a->pos[0], grant_prefix)))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	snprintf(path, sizeof(path), "/v1/grants/%s/credentials", a->pos[0]);
	if ((rv = jg_client_call(jg_cli_client(cli), "POST", path, NULL, NULL,
	                         &t)))
		return rv;
	if (!jg_json_str(t, "password") || !jg_json_str(t, "role"))
		rv = jg_cli_fail("malformed answer from server: no credentials");
	else if (cli->json)
		rv = jg_out_json(t);
	else
		print_env(t);
	fflush(stdout);
	json_decref(t);
	return rv;
}
