/*
 * cmd_backup.c - `jitgate backup` and `jitgate restore`: offline commands
 * on the SQLite database file, not clients of the HTTP API. A backup over
 * the API would write a file wherever the server may write, chosen by a
 * remote caller; the database file is the operator's, on the machine.
 *
 * backup is safe while the server runs (store/sqlite_backup.c); restore
 * refuses to run under one, and before anything serves from the restored
 * copy revokes every grant it holds as active (gate/restore.c): a grant
 * revoked after the backup was taken must not come back.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "cli/backup.h"
#include "cli/cli.h"
#include "gate/gate.h"
#include "store/sqlite.h"
#include "store/sqlite_backup.h"
#include "util/timefmt.h"

static const char backup_usage[] =
        "usage: jitgate backup [--db PATH] FILE\n"
        "       jitgate restore [--db PATH] [--checkpoint-key KEY "
        "--checkpoint-sink SINK [--force]]\n"
        "                       BACKUP\n"
        "\n"
        "  backup   copy the SQLite database into FILE (new, mode 0600), "
        "safe while\n"
        "           the server runs\n"
        "  restore  with the server stopped: put BACKUP in place of the "
        "database (the\n"
        "           replaced one is kept beside it) and revoke every grant "
        "active in\n"
        "           the backup; holders re-request (docs/operations.md)\n"
        "  --db PATH  the database file (default var/jitgate.db, env "
        "JITGATE_DB)\n"
        "  --checkpoint-key KEY, --checkpoint-sink SINK\n"
        "           as the server was given (env JITGATE_CHECKPOINT_KEY, "
        "_SINK): restore\n"
        "           refuses a backup whose trail ends before the sink's "
        "newest\n"
        "           checkpoint (signed events would be lost) unless "
        "--force\n"
        "\n"
        "PostgreSQL: use pg_dump and pg_restore (docs/operations.md).\n";

struct opts {
	const char *db, *file;
	const char *ckpt_key, *ckpt_sink; /* restore: NULL when not given */
	int force;
};

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The flags and one operand: 0; -1 when --help was answered; else the
 * exit status to return. */
static int parse(int argc, char **argv, int restore, struct opts *o)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"checkpoint-key", required_argument, NULL, 'k'},
		{"checkpoint-sink", required_argument, NULL, 's'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->db = env("JITGATE_DB") ? env("JITGATE_DB")
	        : env("JITGATE_DATABASE") ? env("JITGATE_DATABASE")
	                                  : "var/jitgate.db";
	if (restore) {
		o->ckpt_key = env("JITGATE_CHECKPOINT_KEY");
		o->ckpt_sink = env("JITGATE_CHECKPOINT_SINK");
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'k': o->ckpt_key = restore ? optarg : ""; break;
		case 's': o->ckpt_sink = restore ? optarg : ""; break;
		case 'f': o->force = restore ? 1 : -1; break;
		case 'h': fputs(backup_usage, stdout); return -1;
		default: fputs(backup_usage, stderr); return JG_EXIT_ERR;
		}
	}
	if (optind != argc - 1 || (!restore && (o->ckpt_key || o->ckpt_sink ||
	                                        o->force))) {
		fputs(backup_usage, stderr);
		return JG_EXIT_ERR;
	}
	o->file = argv[optind];
	if (strncmp(o->db, "postgres://", 11) == 0 ||
	    strncmp(o->db, "postgresql://", 13) == 0)
		return jg_cli_fail("%s works on the SQLite database; for "
		                   "PostgreSQL use pg_dump and pg_restore "
		                   "(docs/operations.md)", argv[0]);
	return 0;
}

int jg_backup_main(int argc, char **argv)
{
	struct jg_backup_info info;
	struct opts o;
	char err[512], at[JG_TIME_LEN];
	int rc = parse(argc, argv, 0, &o);

	if (rc)
		return rc < 0 ? JG_EXIT_OK : rc;
	if (jg_sqlite_backup(o.db, o.file, (int64_t)time(NULL), &info, err,
	                     sizeof(err)) != JG_OK)
		return jg_cli_fail("backup: %s", err);
	jg_time_format(info.taken_at, at);
	printf("jitgate: backed up %s to %s at %s (audit trail up to event "
	       "%lld)\n", o.db, o.file, at, (long long)info.audit_seq);
	return JG_EXIT_OK;
}

/* The restored copy: revoke what it holds as active, audited. */
static int revoke_all(const char *db, const struct jg_backup_info *info)
{
	struct jg_store *st = NULL;
	struct jg_gate *g = NULL;
	char err[512], at[JG_TIME_LEN], reason[128];
	size_t n = 0;
	enum jg_err e;

	jg_time_format(info->taken_at, at);
	snprintf(reason, sizeof(reason), "restored from a backup taken at "
	         "%s: re-request", at);
	if (jg_store_sqlite_open(db, &st, err, sizeof(err)) != JG_OK)
		return jg_cli_fail("restore: %s", err);
	e = jg_gate_new(st, NULL, NULL, &g);
	if (e == JG_OK)
		e = jg_gate_restore_revoke(g, (int64_t)time(NULL), reason, &n);
	jg_gate_free(g);
	if (e != JG_OK) {
		jg_cli_fail("restore: revoking the grants of the backup failed "
		            "(%s: %s): do not start the server; run restore "
		            "again", jg_strerror(e), st->err);
		st->ops->close(st);
		return JG_EXIT_ERR;
	}
	st->ops->close(st);
	printf("jitgate: %zu grant%s active in the backup revoked (\"%s\")\n",
	       n, n == 1 ? "" : "s", reason);
	return JG_EXIT_OK;
}

/*
 * The newest checkpoint of the sink, read as the server would: 0 with
 * *seq set (0: an empty sink), or an exit status after saying why.
 */
static int sink_head(const struct opts *o, int64_t *seq)
{
	struct jg_checkpoint *cps = NULL;
	EVP_PKEY *pub = NULL;
	char path[4096], err[JG_WHY_MAX];
	size_t n = 0;
	FILE *f;
	enum jg_err e;

	*seq = 0;
	if (!o->ckpt_key)
		return jg_cli_fail("restore: --checkpoint-sink needs "
		                   "--checkpoint-key (its KEY.pub checks the "
		                   "sink)");
	snprintf(path, sizeof(path), "%s.pub", o->ckpt_key);
	if (jg_ckpt_pub_read(path, &pub, err, sizeof(err)) != JG_OK)
		return jg_cli_fail("restore: %s", err);
	if (!(f = fopen(o->ckpt_sink, "r"))) {
		EVP_PKEY_free(pub);
		return jg_cli_fail("restore: cannot read %s", o->ckpt_sink);
	}
	e = jg_ckpt_read_sink(f, pub, &cps, &n, err);
	fclose(f);
	EVP_PKEY_free(pub);
	if (e == JG_OK && n)
		*seq = cps[n - 1].seq;
	free(cps);
	return e == JG_OK ? 0 : jg_cli_fail("restore: checkpoint sink %s: %s",
	                                    o->ckpt_sink, err);
}

/* Restoring a trail that ends before what the sink signed loses signed
 * events, and the servers on that sink stop allowing: said, not done,
 * without --force. */
static int check_sink(const struct opts *o)
{
	struct jg_backup_info info;
	char err[512];
	int64_t signed_seq;
	int rc;

	if (!o->ckpt_sink)
		return 0;
	if (jg_sqlite_backup_read(o->file, &info, err, sizeof(err)) != JG_OK)
		return jg_cli_fail("restore: %s", err);
	if ((rc = sink_head(o, &signed_seq)) != 0)
		return rc;
	if (signed_seq <= info.audit_seq || o->force)
		return 0;
	return jg_cli_fail("restore: the backup's trail ends at event %lld "
	                   "but %s signed event %lld: the events after the "
	                   "backup would be lost, and a server on that sink "
	                   "allows nothing until it is moved aside (keep it: "
	                   "it proves what was lost); --force to restore "
	                   "anyway", (long long)info.audit_seq, o->ckpt_sink,
	                   (long long)signed_seq);
}

int jg_restore_main(int argc, char **argv)
{
	struct jg_backup_info info;
	struct opts o;
	char err[512], at[JG_TIME_LEN], aside[4096], stamp[JG_TIME_LEN];
	int rc = parse(argc, argv, 1, &o);

	if (rc)
		return rc < 0 ? JG_EXIT_OK : rc;
	if ((rc = check_sink(&o)) != 0)
		return rc;
	jg_time_format((int64_t)time(NULL), stamp);
	if ((size_t)snprintf(aside, sizeof(aside), "%s.replaced-%s", o.db,
	                     stamp) >= sizeof(aside))
		return jg_cli_fail("restore: database path too long");
	if (jg_sqlite_restore(o.file, o.db, aside, &info, err, sizeof(err)) !=
	    JG_OK)
		return jg_cli_fail("restore: %s", err);
	jg_time_format(info.taken_at, at);
	printf("jitgate: restored %s from %s, taken at %s (audit trail up to "
	       "event %lld)\n", o.db, o.file, at, (long long)info.audit_seq);
	if (access(aside, F_OK) == 0)
		printf("jitgate: the replaced database is kept as %s\n", aside);
	return revoke_all(o.db, &info);
}
