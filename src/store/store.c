/*
 * store.c - choose a backend from the database URL: "postgres://…" or
 * "postgresql://…" is PostgreSQL (pg.c), "sqlite:PATH" or a plain PATH is
 * SQLite (sqlite.c). Never prints a URL as given: it may hold a password.
 */
#include <stdio.h>
#include <string.h>

#include "store/pg.h"
#include "store/sqlite.h"
#include "store/store.h"

static int is_postgres(const char *url)
{
	return strncmp(url, "postgres://", 11) == 0 ||
	       strncmp(url, "postgresql://", 13) == 0;
}

enum jg_err jg_store_open(const char *url, struct jg_store **out, char *err,
                          size_t errlen)
{
	*out = NULL;
	if (is_postgres(url))
		return jg_store_pg_open(url, out, err, errlen);
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	if (!*url) {
		snprintf(err, errlen, "empty database path");
		return JG_EINVAL;
	}
	return jg_store_sqlite_open(url, out, err, errlen);
}

void jg_store_describe(const char *url, char *out, size_t len)
{
	if (is_postgres(url))
		jg_store_pg_redact(url, out, len);
	else
		snprintf(out, len, "%s", url);
}

void jg_store_close(struct jg_store *st)
{
	if (st)
		st->ops->close(st);
}
