/*
 * cmd_report.c - `jitgate report --since D --until D [--format F] [-o
 * FILE]`: the compliance evidence for a period, as the server renders it
 * (GET /v1/report), written to FILE or stdout. The server checks the
 * dates and the caller's role, so the CLI and the dashboard say the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "insight/report.h"

int jg_cli_cmd_report(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *path = jg_cli_opt(a, "output");
	const char *format = jg_cli_opt(a, "format");
	enum jg_report_format f;
	struct jg_kv q[4];
	FILE *out = stdout;
	int rv;

	if (!jg_cli_opt(a, "since") || !jg_cli_opt(a, "until"))
		return jg_cli_fail("report needs --since and --until (dates, "
		                   "2026-10-01, or RFC 3339 times)");
	if (format && jg_report_format_parse(format, &f) != 0)
		return jg_cli_fail("--format must be html, json or csv, not "
		                   "'%s'", format);
	if ((rv = jg_cli_check_len(a, "--since", jg_cli_opt(a, "since"), 64)) ||
	    (rv = jg_cli_check_len(a, "--until", jg_cli_opt(a, "until"), 64)))
		return rv;
	q[0] = (struct jg_kv){"since", jg_cli_opt(a, "since")};
	q[1] = (struct jg_kv){"until", jg_cli_opt(a, "until")};
	q[2] = (struct jg_kv){"format", format ? format : "html"};
	q[3] = (struct jg_kv){NULL, NULL};
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if (path && !(out = fopen(path, "w")))
		return jg_cli_fail("cannot open '%s': %s", path, strerror(errno));
	rv = jg_client_stream(jg_cli_client(cli), "/v1/report", q, out);
	if (path && fclose(out) != 0 && !rv)
		rv = jg_cli_fail("cannot write '%s': %s", path, strerror(errno));
	if (path && rv)
		remove(path);
	return rv;
}
