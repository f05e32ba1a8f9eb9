/*
 * sqlite_sync.h - group commit for the SQLite store: the transactions of
 * many threads made durable by one fdatasync(2) of the write-ahead log.
 *
 * The connection runs with synchronous=NORMAL, so COMMIT writes its WAL
 * frames without syncing them. A committing thread then takes a ticket
 * (after COMMIT returned, so its frames are in the file) and waits until
 * an fdatasync that started after its ticket was taken has succeeded. One
 * waiter at a time makes that call, for everyone whose ticket it covers.
 * The full argument for why this is as durable as synchronous=FULL is at
 * the top of sqlite_sync.c.
 *
 * Fail closed: once an fdatasync fails, every waiter it would have
 * covered, and every later one, gets JG_ESTORE, and jg_wal_sync_failed
 * stays true for the life of the handle (Linux may drop the dirty pages
 * of a failed write-back and report the next fsync as a success).
 */
#ifndef JG_STORE_SQLITE_SYNC_H
#define JG_STORE_SQLITE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

struct jg_wal_sync;

/*
 * Start syncing wal_path (SQLite's -wal file, which must exist): opens it
 * and makes it and its directory entry durable now. *out is owned by the
 * caller (jg_wal_sync_close); on failure it is NULL and err says why.
 */
enum jg_err jg_wal_sync_open(const char *wal_path, struct jg_wal_sync **out,
                             char *err, size_t errlen);

/* NULL-safe; no thread may be waiting. */
void jg_wal_sync_close(struct jg_wal_sync *w);

/* Call after COMMIT returned: the ticket to wait for. */
uint64_t jg_wal_sync_ticket(struct jg_wal_sync *w);

/*
 * Block until the commit behind ticket is on disk: JG_OK, or JG_ESTORE
 * (err says why) when the fdatasync that had to cover it failed, or one
 * before it did.
 */
enum jg_err jg_wal_sync_wait(struct jg_wal_sync *w, uint64_t ticket,
                             char *err, size_t errlen);

/* Non-zero once an fdatasync has failed; err then says which and why. */
int jg_wal_sync_failed(struct jg_wal_sync *w, char *err, size_t errlen);

/* fdatasync calls made so far (successful or not). */
uint64_t jg_wal_sync_count(struct jg_wal_sync *w);

/* The descriptor the calls are made on, for tests that break it. */
int jg_wal_sync_fd(struct jg_wal_sync *w);

#endif
