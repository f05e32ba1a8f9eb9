/*
 * cmd_insights.c - `jitgate insights [--since T] [--until T] [--json]`:
 * the server's tuning advice for a period (GET /v1/insights), each
 * suggestion with its evidence, its policy change as a diff and what
 * replaying the change over the period says. Every string from the
 * server is shown through jg_out_clean (no terminal control reaches the
 * screen).
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "util/timefmt.h"

static void line(const char *indent, const char *s)
{
	char buf[1024];

	jg_out_clean(s ? s : "", buf, sizeof(buf), 0);
	printf("%s%s\n", indent, buf);
}

static void evidence(json_t *ev)
{
	const char *k;
	json_t *v;
	char buf[256];

	if (!json_object_size(ev))
		return;
	fputs("  evidence:", stdout);
	json_object_foreach(ev, k, v) {
		jg_out_value(v, buf, sizeof(buf));
		jg_out_clean(buf, buf, sizeof(buf), 0);
		printf(" %s=%s", k, buf);
	}
	putchar('\n');
}

static void change(json_t *s)
{
	json_t *c = json_object_get(s, "change"), *r, *d;
	size_t i;

	if (!c) {
		if (jg_json_str(s, "change_note"))
			line("  no change: ", jg_json_str(s, "change_note"));
		return;
	}
	puts("  change:");
	json_array_foreach(json_object_get(c, "diff"), i, d)
		line("    ", json_string_value(d));
	r = json_object_get(s, "replay");
	if (jg_json_str(r, "error"))
		line("  replay failed: ", jg_json_str(r, "error"));
	else if (r)
		printf("  replay: %lld of %lld past requests decided "
		       "differently (%lld skipped)\n",
		       jg_json_int(r, "changed", 0), jg_json_int(r, "total", 0),
		       jg_json_int(r, "skipped", 0));
	if (r && json_object_get(r, "changed_in_period"))
		printf("  of them in the period: %lld\n",
		       jg_json_int(r, "changed_in_period", 0));
}

static void print_text(json_t *out)
{
	json_t *list = json_object_get(out, "suggestions"), *s;
	char since[JG_TIME_LEN + 8], until[JG_TIME_LEN + 8];
	size_t i;

	jg_out_clean(jg_json_strd(out, "since"), since, sizeof(since), 0);
	jg_out_clean(jg_json_strd(out, "until"), until, sizeof(until), 0);
	printf("%s .. %s: %lld requests, %zu suggestion%s\n", since, until,
	       jg_json_int(out, "requests", 0), json_array_size(list),
	       json_array_size(list) == 1 ? "" : "s");
	json_array_foreach(list, i, s) {
		char kind[64];
		jg_out_clean(jg_json_strd(s, "kind"), kind, sizeof(kind), 0);
		printf("\n[%s] ", kind);
		line("", jg_json_str(s, "subject"));
		line("  ", jg_json_str(s, "summary"));
		evidence(json_object_get(s, "evidence"));
		change(s);
	}
}

int jg_cli_cmd_insights(struct jg_cli *cli, const struct jg_cli_args *a)
{
	char since[JG_TIME_LEN], until[JG_TIME_LEN];
	struct jg_kv q[3];
	json_t *out;
	int rv;

	if ((rv = jg_cli_time_arg(a, "since", since)) ||
	    (rv = jg_cli_time_arg(a, "until", until)))
		return rv;
	q[0] = (struct jg_kv){"since", *since ? since : NULL};
	q[1] = (struct jg_kv){"until", *until ? until : NULL};
	q[2] = (struct jg_kv){NULL, NULL};
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/insights", q,
	                         NULL, &out)))
		return rv;
	if (cli->json)
		rv = jg_out_json(out);
	else
		print_text(out);
	json_decref(out);
	return rv;
}
