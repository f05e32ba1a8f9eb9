/*
 * cmd_audit.c - `audit list`, `audit export` and `audit verify`.
 *
 * `export` streams the server's NDJSON as it arrives (no size bound: the
 * trail may be large), to stdout or to -o FILE; a failed export removes
 * the file it created so no truncated evidence is left behind. `verify`
 * exits 1 when the hash chain is broken, naming the first bad seq. With
 * --checkpoints it verifies here, not on the server: the events (an
 * export file given with -i, or the server's export) against the signed
 * checkpoints of the sink file and the public key, so an auditor needs
 * no server and no trust in one (audit/checkpoint.h).
 *
 * --since/--until take RFC 3339, a date, or a duration meaning "that long
 * ago" (jg_cli_time_arg).
 *
 * Never: print the token; alter what the server exported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "audit/checkpoint.h"
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

/* Print rep as the server's verify answers, and the exit status. */
static int print_report(const struct jg_cli *cli,
                        const struct jg_audit_report *rep, size_t pins)
{
	json_t *ans = json_pack("{s:b,s:I,s:I}", "ok", rep->ok, "count",
	                        (json_int_t)rep->count, "checkpoints",
	                        (json_int_t)pins);
	int rv = JG_EXIT_OK;

	if (ans && !rep->ok) {
		json_object_set_new(ans, "broken_seq",
		                    json_integer(rep->broken_seq));
		json_object_set_new(ans, "reason", json_string(rep->reason));
	}
	if (cli->json)
		rv = jg_out_json(ans);
	else if (rep->ok)
		printf("audit: OK, %lld events, %zu signed checkpoints\n",
		       (long long)rep->count, pins);
	else
		printf("audit: BROKEN at seq %lld: %s\n",
		       (long long)rep->broken_seq, rep->reason);
	json_decref(ans);
	return rv ? rv : rep->ok ? JG_EXIT_OK : JG_EXIT_NO;
}

/* The events to verify: -i FILE, or the server's whole export in a
 * temporary file. NULL after printing why. */
static FILE *open_events(struct jg_cli *cli, const char *input, int *rv)
{
	static const struct jg_kv none[] = {{NULL, NULL}};
	FILE *f;

	if (input) {
		if (!(f = fopen(input, "r")))
			*rv = jg_cli_fail("cannot open '%s': %s", input,
			                  strerror(errno));
		return f;
	}
	if (!jg_cli_client(cli)) {
		*rv = JG_EXIT_ERR;
		return NULL;
	}
	if (!(f = tmpfile())) {
		*rv = jg_cli_fail("cannot make a temporary file: %s",
		                  strerror(errno));
		return NULL;
	}
	if ((*rv = jg_client_stream(jg_cli_client(cli), "/v1/audit/export",
	                            none, f)) != 0) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	return f;
}

/* Load the public key and the signed checkpoints. */
static int load_pins(const char *sink, const char *pubfile,
                     struct jg_checkpoint **cps, size_t *n)
{
	EVP_PKEY *pub = NULL;
	char err[512], why[JG_WHY_MAX];
	FILE *f;
	enum jg_err e;

	if (jg_ckpt_pub_read(pubfile, &pub, err, sizeof(err)) != JG_OK)
		return jg_cli_fail("%s", err);
	if (!(f = fopen(sink, "r"))) {
		EVP_PKEY_free(pub);
		return jg_cli_fail("cannot open '%s': %s", sink,
		                   strerror(errno));
	}
	e = jg_ckpt_read_sink(f, pub, cps, n, why);
	fclose(f);
	EVP_PKEY_free(pub);
	if (e != JG_OK)
		return jg_cli_fail("%s: %s", sink, why);
	return JG_EXIT_OK;
}

/* verify --checkpoints: here, against the sink, with the public key. */
static int verify_pinned(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *pubfile = jg_cli_opt(a, "public-key");
	struct jg_checkpoint *cps = NULL;
	struct jg_audit_report rep;
	size_t n = 0;
	FILE *events;
	int rv;

	if (!pubfile)
		return jg_cli_fail("--checkpoints needs --public-key FILE (the "
		                   "checkpoint key's FILE.pub)");
	if ((rv = load_pins(jg_cli_opt(a, "checkpoints"), pubfile, &cps, &n)))
		return rv;
	if (!(events = open_events(cli, jg_cli_opt(a, "input"), &rv))) {
		free(cps);
		return rv;
	}
	if (jg_ckpt_verify_export(events, cps, n, &rep) != JG_OK)
		rv = jg_cli_fail("cannot read the events");
	else
		rv = print_report(cli, &rep, n);
	fclose(events);
	free(cps);
	return rv;
}

int jg_cli_cmd_audit_verify(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const json_t *ok;
	json_t *ans;
	char why[512];
	int rv;

	if (jg_cli_opt(a, "checkpoints"))
		return verify_pinned(cli, a);
	if (jg_cli_opt(a, "input") || jg_cli_opt(a, "public-key"))
		return jg_cli_fail("--input and --public-key go with "
		                   "--checkpoints FILE");
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
