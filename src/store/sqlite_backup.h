/*
 * sqlite_backup.h - backup and restore of the embedded SQLite database
 * (sqlite_backup.c). PostgreSQL deployments use pg_dump and pg_restore.
 */
#ifndef JG_STORE_SQLITE_BACKUP_H
#define JG_STORE_SQLITE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* What a backup notes about itself. */
struct jg_backup_info {
	int64_t taken_at;   /* Unix seconds */
	int64_t audit_seq;  /* the trail's newest event then; 0: empty */
	char audit_hash[65];
};

/*
 * Copy the database at db_path into the new file `file` (mode 0600;
 * JG_ECONFLICT when something is there), safe while a server writes to
 * it. info receives taken_at (= now) and the trail's head. On failure
 * err says why and no file is left.
 */
enum jg_err jg_sqlite_backup(const char *db_path, const char *file,
                             int64_t now, struct jg_backup_info *info,
                             char *err, size_t len);

/* The note of the backup `file` into info, after checking that the file
 * is whole and was made by jg_sqlite_backup; else JG_EINVAL, err says. */
enum jg_err jg_sqlite_backup_read(const char *path,
                                  struct jg_backup_info *info, char *err,
                                  size_t len);

/*
 * Put the backup `file` in place of the database at db_path, which no
 * server may have open (JG_ECONFLICT: in use): the replaced database is
 * moved to `aside` (which must not exist), its -wal and -shm removed,
 * and the copy written (mode 0600). info receives the backup's note.
 * Grants are not touched here: see jg_gate_restore_revoke.
 */
enum jg_err jg_sqlite_restore(const char *file, const char *db_path,
                              const char *aside, struct jg_backup_info *info,
                              char *err, size_t len);

#endif
