/*
 * cmd_alerts.c - `jitgate alerts` (list, admins and auditors) and
 * `jitgate alerts ack ID --comment C` (admins): see docs/alerts.md.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"

static const char *const alert_prefix[] = {"evt_", NULL};

static void events_cell(const json_t *item, char *buf, size_t len)
{
	json_t *ids = json_object_get(item, "events");

	snprintf(buf, len, "%zu", json_array_size(ids));
}

static const struct jg_col alert_cols[] = {
	{"ID", "id", NULL},
	{"TIME", "time", NULL},
	{"SEVERITY", "severity", NULL},
	{"KIND", "kind", NULL},
	{"SUBJECT", "subject", NULL},
	{"STATE", "state", NULL},
	{"EVENTS", NULL, events_cell},
	{"SUMMARY", "summary", NULL},
	{NULL, NULL, NULL},
};

int jg_cli_cmd_alerts_list(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct jg_kv q[] = {{"state", jg_cli_opt(a, "state")}, {NULL, NULL}};
	json_t *page, *items;
	int rv;

	if ((rv = jg_cli_check_len(a, "--state", q[0].value, 32)))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", "/v1/alerts", q,
	                         NULL, &page)))
		return rv;
	items = json_object_get(page, "alerts");
	if (cli->json)
		rv = jg_out_json(items);
	else
		jg_out_table(items, alert_cols);
	json_decref(page);
	return rv;
}

int jg_cli_cmd_alerts_ack(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *comment = jg_cli_opt(a, "comment");
	char path[128], line[256];
	json_t *body, *out;
	int rv;

	if ((rv = jg_cli_check_id(a, a->pos[0], alert_prefix)) ||
	    (rv = jg_cli_check_len(a, "--comment", comment, 1023)))
		return rv;
	if (!comment || !*comment)
		return jg_cli_fail("alerts ack needs --comment: say what was "
		                   "done about the alert");
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	snprintf(path, sizeof(path), "/v1/alerts/%s/acknowledge", a->pos[0]);
	if (!(body = json_pack("{s:s}", "comment", comment)))
		return JG_EXIT_ERR;
	rv = jg_client_call(jg_cli_client(cli), "POST", path, NULL, body,
	                    &out);
	json_decref(body);
	if (rv)
		return rv;
	if (cli->json) {
		rv = jg_out_json(out);
	} else {
		jg_out_clean(jg_json_strd(out, "id"), line, sizeof(line), 0);
		printf("%s acknowledged\n", line);
	}
	json_decref(out);
	return rv;
}
