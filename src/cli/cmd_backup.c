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

#include "cli/backup.h"
#include "cli/cli.h"
#include "gate/gate.h"
#include "store/sqlite.h"
#include "store/sqlite_backup.h"
#include "util/timefmt.h"

static const char backup_usage[] =
        "usage: jitgate backup [--db PATH] FILE\n"
        "       jitgate restore [--db PATH] BACKUP\n"
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
        "\n"
        "PostgreSQL: use pg_dump and pg_restore (docs/operations.md).\n";

/* --db PATH and one operand: 0; -1 when --help was answered; else the
 * exit status to return. */
static int parse(int argc, char **argv, const char **db, const char **file)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *env = getenv("JITGATE_DB");
	int c;

	if (!env || !*env)
		env = getenv("JITGATE_DATABASE");
	*db = env && *env ? env : "var/jitgate.db";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': *db = optarg; break;
		case 'h': fputs(backup_usage, stdout); return -1;
		default: fputs(backup_usage, stderr); return JG_EXIT_ERR;
		}
	}
	if (optind != argc - 1) {
		fputs(backup_usage, stderr);
		return JG_EXIT_ERR;
	}
	*file = argv[optind];
	if (strncmp(*db, "postgres://", 11) == 0 ||
	    strncmp(*db, "postgresql://", 13) == 0)
		return jg_cli_fail("%s works on the SQLite database; for "
		                   "PostgreSQL use pg_dump and pg_restore "
		                   "(docs/operations.md)", argv[0]);
	return 0;
}

int jg_backup_main(int argc, char **argv)
{
	struct jg_backup_info info;
	const char *db, *file;
	char err[512], at[JG_TIME_LEN];
	int rc = parse(argc, argv, &db, &file);

	if (rc)
		return rc < 0 ? JG_EXIT_OK : rc;
	if (jg_sqlite_backup(db, file, (int64_t)time(NULL), &info, err,
	                     sizeof(err)) != JG_OK)
		return jg_cli_fail("backup: %s", err);
	jg_time_format(info.taken_at, at);
	printf("jitgate: backed up %s to %s at %s (audit trail up to event "
	       "%lld)\n", db, file, at, (long long)info.audit_seq);
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

int jg_restore_main(int argc, char **argv)
{
	struct jg_backup_info info;
	const char *db, *file;
	char err[512], at[JG_TIME_LEN], aside[4096], stamp[JG_TIME_LEN];
	int rc = parse(argc, argv, &db, &file);

	if (rc)
		return rc < 0 ? JG_EXIT_OK : rc;
	jg_time_format((int64_t)time(NULL), stamp);
	if ((size_t)snprintf(aside, sizeof(aside), "%s.replaced-%s", db,
	                     stamp) >= sizeof(aside))
		return jg_cli_fail("restore: database path too long");
	if (jg_sqlite_restore(file, db, aside, &info, err, sizeof(err)) !=
	    JG_OK)
		return jg_cli_fail("restore: %s", err);
	jg_time_format(info.taken_at, at);
	printf("jitgate: restored %s from %s, taken at %s (audit trail up to "
	       "event %lld)\n", db, file, at, (long long)info.audit_seq);
	if (access(aside, F_OK) == 0)
		printf("jitgate: the replaced database is kept as %s\n", aside);
	return revoke_all(db, &info);
}
