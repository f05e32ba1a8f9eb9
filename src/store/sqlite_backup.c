/*
 * sqlite_backup.c - copying the embedded database out (backup) and a copy
 * back in (restore), with SQLite's online backup API.
 *
 * A backup reads one consistent snapshot while the server goes on
 * writing: in WAL mode a reader holds up no writer, and one
 * sqlite3_backup_step(-1) copies every page inside one read transaction.
 * The copy is a single self-contained file (rollback journal, no -wal),
 * mode 0600 like the database, never over an existing file, with a note
 * of when it was taken and the trail's head then (table jitgate_backup).
 *
 * A restore must never run under a live server, and must not let a stale
 * -wal of the replaced database be replayed onto the copy: it takes the
 * database's exclusive lock first (a running server holds it open, so it
 * is refused), closes it cleanly (SQLite folds the -wal in and removes
 * -wal and -shm), keeps the replaced file aside, removes any -wal/-shm
 * left, and only then writes the copy in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/sqlite_backup.h"

static enum jg_err failf(char *err, size_t len, sqlite3 *db, const char *what,
                         const char *path)
{
	snprintf(err, len, "%s %s: %s", what, path,
	         db ? sqlite3_errmsg(db) : "out of memory");
	return JG_ESTORE;
}

/* A new file at path, 0600, refused when anything is there already. */
static enum jg_err create_new(const char *path, char *err, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	                            O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, len, "cannot create %s: %s%s", path,
		         strerror(errno), errno == EEXIST
		                 ? " (a backup never replaces a file)" : "");
		return JG_ECONFLICT;
	}
	close(fd);
	return JG_OK;
}

/* Copy every page of src's main database into dst's, in one step. */
static enum jg_err copy_pages(sqlite3 *dst, sqlite3 *src, const char *path,
                              char *err, size_t len)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc;

	if (!b)
		return failf(err, len, dst, "cannot copy into", path);
	/* -1: all pages in one read transaction, one consistent snapshot;
	 * a busy source (a writer checkpointing) is retried a while */
	for (int i = 0; (rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	                rc == SQLITE_LOCKED;
	     i++) {
		if (i == 100)
			break;
		sqlite3_sleep(50);
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE)
		return failf(err, len, dst, "cannot copy into", path);
	return JG_OK;
}

static int exec_ok(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* The trail's newest event in db: seq 0 and "" when empty. */
static int audit_head(sqlite3 *db, struct jg_backup_info *info)
{
	sqlite3_stmt *st = NULL;
	int ok;

	info->audit_seq = 0;
	info->audit_hash[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit ORDER BY seq "
	                       "DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	ok = sqlite3_step(st);
	if (ok == SQLITE_ROW) {
		const unsigned char *h = sqlite3_column_text(st, 1);
		info->audit_seq = sqlite3_column_int64(st, 0);
		snprintf(info->audit_hash, sizeof(info->audit_hash), "%s",
		         h ? (const char *)h : "");
	}
	sqlite3_finalize(st);
	return ok == SQLITE_ROW || ok == SQLITE_DONE;
}

/* In the copy: the note of when it was taken, as one file. */
static int seal(sqlite3 *db, struct jg_backup_info *info)
{
	sqlite3_stmt *st = NULL;
	int ok;

	if (!audit_head(db, info) ||
	    !exec_ok(db, "CREATE TABLE jitgate_backup (taken_at INTEGER NOT "
	             "NULL, audit_seq INTEGER NOT NULL, audit_hash TEXT NOT "
	             "NULL)") ||
	    sqlite3_prepare_v2(db, "INSERT INTO jitgate_backup VALUES (?1, "
	                       "?2, ?3)", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, info->taken_at);
	sqlite3_bind_int64(st, 2, info->audit_seq);
	sqlite3_bind_text(st, 3, info->audit_hash, -1, SQLITE_STATIC);
	ok = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	/* one file to carry away: no -wal beside it; synced when written */
	return ok && exec_ok(db, "PRAGMA journal_mode = DELETE") &&
	       exec_ok(db, "PRAGMA synchronous = FULL");
}

static sqlite3 *open_db(const char *path, int flags)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		sqlite3_close(db); /* NULL-safe; keeps no handle */
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

enum jg_err jg_sqlite_backup(const char *db_path, const char *file,
                             int64_t now, struct jg_backup_info *info,
                             char *err, size_t len)
{
	sqlite3 *src = open_db(db_path, SQLITE_OPEN_READWRITE);
	sqlite3 *dst = NULL;
	enum jg_err e;

	info->taken_at = now;
	if (!src) {
		snprintf(err, len, "cannot open database %s", db_path);
		return JG_ESTORE;
	}
	if ((e = create_new(file, err, len)) != JG_OK) {
		sqlite3_close(src);
		return e;
	}
	dst = open_db(file, SQLITE_OPEN_READWRITE);
	e = dst ? copy_pages(dst, src, file, err, len)
	        : failf(err, len, NULL, "cannot open", file);
	if (e == JG_OK && !seal(dst, info))
		e = failf(err, len, dst, "cannot finish", file);
	sqlite3_close(src);
	if (sqlite3_close(dst) != SQLITE_OK && e == JG_OK)
		e = failf(err, len, NULL, "cannot close", file);
	if (e != JG_OK)
		unlink(file); /* ours: created above; nothing half-written */
	return e;
}

enum jg_err jg_sqlite_backup_read(const char *path,
                                  struct jg_backup_info *info, char *err,
                                  size_t len)
{
	sqlite3 *db = open_db(path, SQLITE_OPEN_READONLY);
	sqlite3_stmt *st = NULL;
	enum jg_err e = JG_EINVAL;

	if (db && sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st,
	                             NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0) {
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(db, "SELECT taken_at, audit_seq, "
		                       "audit_hash FROM jitgate_backup", -1, &st,
		                       NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW) {
			info->taken_at = sqlite3_column_int64(st, 0);
			info->audit_seq = sqlite3_column_int64(st, 1);
			snprintf(info->audit_hash, sizeof(info->audit_hash),
			         "%s", (const char *)sqlite3_column_text(st, 2));
			e = JG_OK;
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (e != JG_OK)
		snprintf(err, len, "%s is not a whole jitgate backup (made by "
		         "`jitgate backup`)", path);
	return e;
}

/*
 * The database at path, if any, cleanly closed and moved to aside: its
 * exclusive lock taken first, which a running server makes impossible.
 */
static enum jg_err set_aside(const char *path, const char *aside, char *err,
                             size_t len)
{
	char side[4096];
	sqlite3 *db;
	int in_use = 0;

	if (access(path, F_OK) != 0)
		return JG_OK; /* nothing there: a restore onto a new machine */
	if (!(db = open_db(path, SQLITE_OPEN_READWRITE))) {
		snprintf(err, len, "cannot open database %s", path);
		return JG_ESTORE;
	}
	sqlite3_busy_timeout(db, 0);
	if (!exec_ok(db, "PRAGMA locking_mode = EXCLUSIVE") ||
	    !exec_ok(db, "BEGIN EXCLUSIVE") || !exec_ok(db, "COMMIT")) {
		int rc = sqlite3_errcode(db);
		/* anything but a lock held elsewhere (a damaged file, the
		 * reason for many a restore): no server can use it either */
		in_use = rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
	}
	sqlite3_close(db); /* the last connection: -wal folded in, removed */
	if (in_use) {
		snprintf(err, len, "database %s is in use: stop the server "
		         "first", path);
		return JG_ECONFLICT;
	}
	if (rename(path, aside) != 0) {
		snprintf(err, len, "cannot move %s to %s: %s", path, aside,
		         strerror(errno));
		return JG_ESTORE;
	}
	/* whatever is left of its log must not meet the copy */
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	return JG_OK;
}

enum jg_err jg_sqlite_restore(const char *file, const char *db_path,
                              const char *aside, struct jg_backup_info *info,
                              char *err, size_t len)
{
	sqlite3 *src, *dst;
	struct stat old;
	int had = stat(db_path, &old) == 0;
	enum jg_err e;

	if ((e = jg_sqlite_backup_read(file, info, err, len)) != JG_OK ||
	    (e = set_aside(db_path, aside, err, len)) != JG_OK ||
	    (e = create_new(db_path, err, len)) != JG_OK)
		return e;
	/* restored by root for a server that runs as its service user: the
	 * copy belongs to whoever owned the database it replaces */
	if (had && geteuid() == 0 &&
	    chown(db_path, old.st_uid, old.st_gid) != 0) {
		snprintf(err, len, "cannot give %s back to its owner: %s",
		         db_path, strerror(errno));
		unlink(db_path);
		return JG_ESTORE;
	}
	src = open_db(file, SQLITE_OPEN_READONLY);
	dst = open_db(db_path, SQLITE_OPEN_READWRITE);
	e = src && dst ? copy_pages(dst, src, db_path, err, len)
	               : failf(err, len, NULL, "cannot open", file);
	if (e == JG_OK && !exec_ok(dst, "DROP TABLE jitgate_backup"))
		e = failf(err, len, dst, "cannot finish", db_path);
	sqlite3_close(src);
	if (sqlite3_close(dst) != SQLITE_OK && e == JG_OK)
		e = failf(err, len, NULL, "cannot close", db_path);
	if (e != JG_OK)
		unlink(db_path); /* ours; the replaced one is still aside */
	return e;
}
