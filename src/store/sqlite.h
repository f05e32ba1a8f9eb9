/* sqlite.h - the embedded SQLite backend of store.h. */
#ifndef JG_STORE_SQLITE_H
#define JG_STORE_SQLITE_H

#include <stdint.h>

#include "store/store.h"

/* Open (creating and migrating) the database file at path. */
enum jg_err jg_store_sqlite_open(const char *path, struct jg_store **out,
                                 char *err, size_t errlen);

/*
 * For tests: how many fdatasync calls group commit has made on the WAL
 * (fewer than commits when threads share them), and the descriptor it
 * makes them on (stable while no commit is in flight). st must come from
 * jg_store_sqlite_open; for any other store they return 0 and -1.
 */
uint64_t jg_store_sqlite_syncs(struct jg_store *st);
int jg_store_sqlite_wal_fd(struct jg_store *st);

#endif
