/* store.c - choose a backend from the database URL. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite.h"
#include "store/store.h"

enum jg_err jg_store_open(const char *url, struct jg_store **out, char *err,
                          size_t errlen)
{
	*out = NULL;
	if (strncmp(url, "postgres://", 11) == 0 ||
	    strncmp(url, "postgresql://", 13) == 0) {
		snprintf(err, errlen, "PostgreSQL databases are not supported "
		                      "by this build yet");
		return JG_EINVAL;
	}
	if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	if (!*url) {
		snprintf(err, errlen, "empty database path");
		return JG_EINVAL;
	}
	return jg_store_sqlite_open(url, out, err, errlen);
}

void jg_store_close(struct jg_store *st)
{
	if (st)
		st->ops->close(st);
}
