/*
 * sqlite_stmt.c - the prepared-statement cache of one SQLite connection
 * (see sqlite_stmt.h).
 *
 * A flat array searched linearly: sqlite.c has about 45 SQL texts, so a
 * lookup compares a few dozen pointers (tens of nanoseconds) where
 * preparing costs tens of microseconds; a hash would save nothing worth
 * its code. Statements are prepared with SQLITE_PREPARE_PERSISTENT (they
 * live as long as the connection) and are reset as soon as they are given
 * back, so none keeps a read transaction open between calls (which would
 * hold back WAL checkpoints).
 */
#include <stdlib.h>

#include "store/sqlite_stmt.h"

/* Room for every SQL text of sqlite.c with margin; past it, statements
 * are prepared per call as before, which is slower but still correct. */
#define STMT_MAX 96

struct entry {
	const char *sql;     /* the key: address of static text */
	sqlite3_stmt *stmt;  /* owned; finalized by jg_stmt_cache_free */
	int lent;            /* between jg_stmt_get and jg_stmt_put */
};

struct jg_stmt_cache {
	sqlite3 *db; /* borrowed */
	size_t n;
	struct entry e[STMT_MAX];
};

struct jg_stmt_cache *jg_stmt_cache_new(sqlite3 *db)
{
	struct jg_stmt_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->db = db;
	return c;
}

void jg_stmt_cache_free(struct jg_stmt_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		sqlite3_finalize(c->e[i].stmt);
	free(c);
}

static struct entry *find_sql(struct jg_stmt_cache *c, const char *sql)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].sql == sql)
			return &c->e[i];
	return NULL;
}

static struct entry *find_stmt(struct jg_stmt_cache *c, sqlite3_stmt *stmt)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].stmt == stmt)
			return &c->e[i];
	return NULL;
}

/* A statement the cache does not keep: jg_stmt_put finalizes it. */
static sqlite3_stmt *prepare_once(struct jg_stmt_cache *c, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	if (sqlite3_prepare_v2(c->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

static sqlite3_stmt *prepare_kept(struct jg_stmt_cache *c, const char *sql)
{
	struct entry *e = &c->e[c->n];

	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                       &e->stmt, NULL) != SQLITE_OK) {
		sqlite3_finalize(e->stmt);
		e->stmt = NULL;
		return NULL;
	}
	e->sql = sql;
	e->lent = 1;
	c->n++;
	return e->stmt;
}

sqlite3_stmt *jg_stmt_get(struct jg_stmt_cache *c, const char *sql)
{
	struct entry *e = find_sql(c, sql);

	if (e && !e->lent) {
		e->lent = 1;
		return e->stmt;
	}
	if (e || c->n == STMT_MAX)
		return prepare_once(c, sql);
	return prepare_kept(c, sql);
}

void jg_stmt_put(struct jg_stmt_cache *c, sqlite3_stmt *stmt)
{
	struct entry *e = find_stmt(c, stmt);

	if (!e) {
		sqlite3_finalize(stmt);
		return;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	e->lent = 0;
}
