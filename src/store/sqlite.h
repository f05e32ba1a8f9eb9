/* sqlite.h - the embedded SQLite backend of store.h. */
#ifndef JG_STORE_SQLITE_H
#define JG_STORE_SQLITE_H

#include "store/store.h"

/* Open (creating and migrating) the database file at path. */
enum jg_err jg_store_sqlite_open(const char *path, struct jg_store **out,
                                 char *err, size_t errlen);

#endif
