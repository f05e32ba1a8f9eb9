/*
 * cmd_audit.c - `audit list`, `audit export` and `audit verify`.
 *
 * `export` streams the server's NDJSON as it arrives (no size bound: the
 * trail may be large), to stdout or to -o FILE; a failed export removes
 * the file it created so no truncated evidence is left behind. `verify`
 * exits 1 when the hash chain is broken, naming the first bad seq.
 *
 * --since/--until take RFC 3339, a date, or a duration meaning "that long
 * ago" (jg_cli_time_arg).
 *
 * Never: print the token; alter what the server exported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/limits.h"
#include "core/model.h"
#include "util/timefmt.h"

/* Filters shared by list and export, with the two times normalized. */
struct filters {
	char since[JG_TIME_LEN], until[JG_TIME_LEN];
	struct jg_kv q[8];
};

static int build_filters(const struct jg_cli_args *a, struct filters *f,
                         int paged)
{
	int rv;
	size_t n = 0;

	if ((rv = jg_cli_time_arg(a, "since", f->since)) ||
	    (rv = jg_cli_time_arg(a, "until", f->until)))
		return rv;
	if (jg_cli_opt(a, "actor") &&
	    (rv = jg_cli_check_name(a, "--actor", jg_cli_opt(a, "actor"))))
		return rv;
	if ((rv = jg_cli_check_len(a, "--type", jg_cli_opt(a, "type"),
	                           JG_EVENT_TYPE_MAX - 1)) ||
	    (rv = jg_cli_check_len(a, "--subject", jg_cli_opt(a, "subject"),
	                           JG_ID_LEN - 1)))
		return rv;
	f->q[n++] = (struct jg_kv){"actor", jg_cli_opt(a, "actor")};
	f->q[n++] = (struct jg_kv){"type", jg_cli_opt(a, "type")};
	f->q[n++] = (struct jg_kv){"subject", jg_cli_opt(a, "subject")};
	f->q[n++] = (struct jg_kv){"since", *f->since ? f->since : NULL};
	f->q[n++] = (struct jg_kv){"until", *f->until ? f->until : NULL};
	if (paged) {
		if ((rv = jg_cli_check_limit(a, jg_cli_opt(a, "limit"))) ||
		    (rv = jg_cli_check_len(a, "--cursor", jg_cli_opt(a, "cursor"), 512)))
			return rv;
		f->q[n++] = (struct jg_kv){"limit", jg_cli_opt(a, "limit")};
		f->q[n++] = (struct jg_kv){"cursor", jg_cli_opt(a, "cursor")};
	}
	f->q[n] = (struct jg_kv){NULL, NULL};
	return JG_EXIT_OK;
}

static const struct jg_col event_cols[] = {
	{"SEQ", "seq", NULL},
	{"TIME", "time", NULL},
	{"ACTOR", "actor", NULL},
	{"TYPE", "type", NULL},
	{"SUBJECT", "subject", NULL},
	{NULL, NULL, NULL},
};

int jg_cli_cmd_audit_list(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct filters f;
	json_t *page;
	int rv;

	if ((rv = build_filters(a, &f, 1)))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/audit", f.q,
	                         NULL, &page)))
		return rv;
	rv = jg_out_page(page, event_cols, cli->json);
	json_decref(page);
	return rv;
}

int jg_cli_cmd_audit_export(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *path = jg_cli_opt(a, "output");
	struct filters f;
	FILE *out = stdout;
	int rv;

	if ((rv = build_filters(a, &f, 0)))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if (path && !(out = fopen(path, "w")))
		return jg_cli_fail("cannot open '%s': %s", path, strerror(errno));
	rv = jg_client_stream(jg_cli_client(cli), "/v1/audit/export", f.q, out);
	if (path && fclose(out) != 0 && !rv)
		rv = jg_cli_fail("cannot write '%s': %s", path, strerror(errno));
	if (path && rv)
		remove(path);
	return rv;
}

int jg_cli_cmd_audit_verify(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const json_t *ok;
	json_t *ans;
	char why[512];
	int rv;

	(void)a;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/audit/verify",
	                         NULL, NULL, &ans)))
		return rv;
	ok = json_object_get(ans, "ok");
	if (!json_is_boolean(ok)) {
		json_decref(ans);
		return jg_cli_fail("malformed answer from server: no ok");
	}
	if (cli->json) {
		rv = jg_out_json(ans);
	} else if (json_is_true(ok)) {
		printf("audit: OK, %lld events\n", jg_json_int(ans, "count", 0));
	} else {
		jg_out_clean(jg_json_strd(ans, "reason"), why, sizeof(why), 0);
		printf("audit: BROKEN at seq %lld: %s\n",
		       jg_json_int(ans, "broken_seq", 0), why);
	}
	if (!rv)
		rv = json_is_true(ok) ? JG_EXIT_OK : JG_EXIT_NO;
	json_decref(ans);
	return rv;
}
