/*
 * testdb.h - the database under a store test, whichever backend runs it.
 *
 * Tests name their database by one string, as jg_store_open() takes it:
 * a SQLite temp file path, or (while tdb_pg is set) a PostgreSQL URL. With
 * JITGATE_TEST_PG set to a postgres:// URL, main() runs its cmocka group a
 * second time on PostgreSQL: tdb_pg_group_setup() gives this test binary a
 * schema of its own (jgt_PID, reached through the URL's search_path
 * option), which tdb_new() empties before each test and the group
 * teardown drops. Nothing outside that schema is ever touched.
 *
 * The raw helpers (tdb_int, tdb_text, tdb_exec, tdb_snapshot) look at the
 * database behind the store's back through a connection of their own.
 * They take SQL text written by the tests, never values from outside.
 */
#ifndef JG_TESTDB_H
#define JG_TESTDB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#define TDB_NAME_MAX 512

static int tdb_pg;                     /* this group runs on PostgreSQL */
static char tdb_schema[32];            /* jgt_PID */
static char tdb_url[TDB_NAME_MAX];     /* JITGATE_TEST_PG + search_path */

/* The PostgreSQL URL the tests were given, or NULL: SQLite only. */
static inline const char *tdb_pg_base(void)
{
	const char *u = getenv("JITGATE_TEST_PG");
	return u && *u ? u : NULL;
}

static inline int tdb_is_pg(const char *name)
{
	return strncmp(name, "postgres", 8) == 0;
}

/* A connection to name (a URL) or the test fails. */
static inline PGconn *tdb_pg_connect(const char *name)
{
	PGconn *c = PQconnectdb(name);
	if (PQstatus(c) != CONNECTION_OK)
		print_error("postgres: %s\n", PQerrorMessage(c));
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	return c;
}

/* Run sql on a fresh connection; the result, which the caller clears. */
static inline PGresult *tdb_pg_query(const char *name, const char *sql)
{
	PGconn *c = tdb_pg_connect(name);
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		print_error("postgres: %s: %s\n", sql, PQresultErrorMessage(r));
	PQfinish(c);
	assert_true(st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
	return r;
}

/* Drop and create this binary's schema: an empty database. */
static inline void tdb_pg_reset(void)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SET client_min_messages = warning;"
	         "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
	         tdb_schema, tdb_schema);
	PQclear(tdb_pg_query(tdb_pg_base(), sql));
}

static inline int tdb_pg_group_setup(void **state)
{
	const char *base = tdb_pg_base();
	(void)state;
	snprintf(tdb_schema, sizeof(tdb_schema), "jgt_%ld", (long)getpid());
	snprintf(tdb_url, sizeof(tdb_url), "%s%soptions=-csearch_path%%3D%s",
	         base, strchr(base, '?') ? "&" : "?", tdb_schema);
	tdb_pg = 1;
	return 0;
}

static inline int tdb_pg_group_teardown(void **state)
{
	char sql[128];
	(void)state;
	snprintf(sql, sizeof(sql), "SET client_min_messages = warning;"
	         "DROP SCHEMA IF EXISTS %s CASCADE", tdb_schema);
	PQclear(tdb_pg_query(tdb_pg_base(), sql));
	tdb_pg = 0;
	return 0;
}

/* A fresh, empty database for one test; its name goes into name. */
static inline void tdb_new(char name[TDB_NAME_MAX])
{
	int fd;

	if (tdb_pg) {
		tdb_pg_reset();
		snprintf(name, TDB_NAME_MAX, "%s", tdb_url);
		return;
	}
	snprintf(name, TDB_NAME_MAX, "/tmp/jg-store-test-XXXXXX");
	fd = mkstemp(name);
	assert_true(fd >= 0);
	close(fd);
}

/* Remove what tdb_new made (a PostgreSQL schema goes with the group). */
static inline void tdb_remove(const char *name)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[TDB_NAME_MAX + 16];

	if (tdb_is_pg(name))
		return;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", name, sfx[i]);
		unlink(p);
	}
}

/* Call fn on each value of each row of sql's result, in order. */
typedef void (*tdb_value_fn)(const char *v, void *ctx);

static inline void tdb_pg_each(const char *name, const char *sql,
                               tdb_value_fn fn, void *ctx)
{
	PGresult *r = tdb_pg_query(name, sql);
	for (int i = 0; i < PQntuples(r); i++)
		for (int c = 0; c < PQnfields(r); c++)
			fn(PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c),
			   ctx);
	PQclear(r);
}

static inline void tdb_sq_each(const char *name, const char *sql,
                               tdb_value_fn fn, void *ctx)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_open(name, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW)
		for (int c = 0; c < sqlite3_column_count(stmt); c++)
			fn((const char *)sqlite3_column_text(stmt, c), ctx);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

static inline void tdb_each(const char *name, const char *sql,
                            tdb_value_fn fn, void *ctx)
{
	if (tdb_is_pg(name))
		tdb_pg_each(name, sql, fn, ctx);
	else
		tdb_sq_each(name, sql, fn, ctx);
}

struct tdb_first {
	int seen;
	char text[TDB_NAME_MAX];
};

static inline void tdb_keep_first(const char *v, void *ctx)
{
	struct tdb_first *f = ctx;
	if (f->seen++)
		return;
	snprintf(f->text, sizeof(f->text), "%s", v ? v : "(null)");
}

/* The first value of sql's first row; "" when there is no row. */
static inline void tdb_text(const char *name, const char *sql, char *out,
                            size_t len)
{
	struct tdb_first f = {0};
	size_t n;

	tdb_each(name, sql, tdb_keep_first, &f);
	n = strnlen(f.text, len - 1); /* cut to fit, like snprintf */
	memcpy(out, f.text, n);
	out[n] = '\0';
}

/* The first value of sql's first row as an integer; -1 without a row. */
static inline int64_t tdb_int(const char *name, const char *sql)
{
	struct tdb_first f = {0};
	tdb_each(name, sql, tdb_keep_first, &f);
	return f.seen ? strtoll(f.text, NULL, 10) : -1;
}

static inline void tdb_exec(const char *name, const char *sql)
{
	sqlite3 *db = NULL;

	if (tdb_is_pg(name)) {
		PQclear(tdb_pg_query(name, sql));
		return;
	}
	assert_int_equal(sqlite3_open(name, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

struct tdb_dump {
	const char *table;
	char *s;
	size_t len, cap;
};

static inline void tdb_dump_value(const char *v, void *ctx)
{
	struct tdb_dump *d = ctx;
	size_t need = strlen(d->table) + (v ? strlen(v) : 6) + 4;

	while (d->len + need >= d->cap) {
		char *ns = realloc(d->s, d->cap * 2);
		assert_non_null(ns);
		d->s = ns;
		d->cap *= 2;
	}
	d->len += (size_t)snprintf(d->s + d->len, d->cap - d->len, "%s|%s\x1f",
	                           d->table, v ? v : "(null)");
}

/* Every row of the given tables as one string; the caller frees it. */
static inline char *tdb_snapshot(const char *name,
                                 const char *const *tables, size_t n)
{
	struct tdb_dump d = {.cap = 4096};

	d.s = malloc(d.cap);
	assert_non_null(d.s);
	d.s[0] = '\0';
	for (size_t t = 0; t < n; t++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY 1, 2",
		         tables[t]);
		d.table = tables[t];
		tdb_each(name, sql, tdb_dump_value, &d);
	}
	return d.s;
}

#endif
