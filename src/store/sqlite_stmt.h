/*
 * sqlite_stmt.h - prepared statements kept for the life of one SQLite
 * connection, so each SQL text is compiled once instead of on every call
 * (preparing was half of the store's instructions).
 *
 * Statements are keyed by the address of their SQL text, which must
 * therefore be a string with static storage (a literal): the same address
 * always means the same text. The cache has no lock of its own: the
 * caller serialises every use, as sqlite.c does with its store lock.
 */
#ifndef JG_STORE_SQLITE_STMT_H
#define JG_STORE_SQLITE_STMT_H

#include <sqlite3.h>

struct jg_stmt_cache;

/* A cache for db, or NULL when out of memory; free with
 * jg_stmt_cache_free before closing db. */
struct jg_stmt_cache *jg_stmt_cache_new(sqlite3 *db);

/* Finalizes every statement, then frees c. NULL-safe. */
void jg_stmt_cache_free(struct jg_stmt_cache *c);

/*
 * The prepared statement for sql (static storage), with no bindings,
 * lent to the caller until jg_stmt_put. A statement already lent out (a
 * walk's callback running the same query again) is never lent twice: the
 * caller then gets a fresh one that jg_stmt_put finalizes. NULL when SQLite
 * cannot prepare it; sqlite3_errmsg(db) says why.
 */
sqlite3_stmt *jg_stmt_get(struct jg_stmt_cache *c, const char *sql);

/* Give back a statement from jg_stmt_get: reset, bindings cleared. */
void jg_stmt_put(struct jg_stmt_cache *c, sqlite3_stmt *stmt);

#endif
