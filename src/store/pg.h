/*
 * pg.h - the PostgreSQL backend of store.h (libpq): several jitgate
 * servers sharing one database as their single source of truth.
 */
#ifndef JG_STORE_PG_H
#define JG_STORE_PG_H

#include <stddef.h>

#include "store/store.h"

/*
 * Open the database at url ("postgres://…" or "postgresql://…", libpq's
 * URI syntax), check that it keeps acknowledged commits (refuses
 * synchronous_commit=off and fsync=off), and create or migrate the schema
 * under an advisory lock so servers starting together migrate once. On
 * failure *out is NULL and err says why, never quoting a password.
 */
enum jg_err jg_store_pg_open(const char *url, struct jg_store **out,
                             char *err, size_t errlen);

/*
 * url as safe to print: "postgresql://USER@HOST:PORT/DB", without the
 * password or any query option. Always NUL-terminates out.
 */
void jg_store_pg_redact(const char *url, char *out, size_t len);

#endif
