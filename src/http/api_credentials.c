/*
 * api_credentials.c - POST /v1/grants/{id}/credentials: the holder of a
 * live grant on a resource with a pg_credentials connector gets its
 * temporary PostgreSQL login role, once (gate/credentials.c).
 *
 * POST, not GET: it makes a role and reveals its password a single time,
 * so no cache, prefetch or crawler may ever trigger it. The answer holds
 * the password (and a connection URI with it); it is wiped from memory
 * once rendered and never logged. Making the role waits on the target
 * database, so it runs on the execution pool (jg_ex_defer).
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "http/handlers.h"
#include "util/timefmt.h"

/* What a fetch carries to its pool thread. */
struct cred_ask {
	char id[JG_ID_LEN + 32]; /* as the path gave it: the gate checks it */
};

/* postgresql://ROLE:PASSWORD@HOST:PORT/DB, each part percent-encoded. */
static char *uri_of(const struct jg_credentials *c)
{
	const char *parts[] = {c->role, c->password, c->host, c->port,
	                       c->dbname};
	char *esc[5] = {0}, *uri = NULL;
	size_t len = 32;
	int ok = 1;

	for (size_t i = 0; i < 5; i++) {
		esc[i] = curl_easy_escape(NULL, parts[i], 0);
		ok = ok && esc[i];
		len += esc[i] ? strlen(esc[i]) : 0;
	}
	if (ok && (uri = malloc(len)))
		snprintf(uri, len, "postgresql://%s:%s@%s:%s/%s", esc[0], esc[1],
		         esc[2], esc[3], esc[4]);
	for (size_t i = 0; i < 5; i++) {
		if (esc[i])
			explicit_bzero(esc[i], strlen(esc[i]));
		curl_free(esc[i]);
	}
	return uri;
}

static void credentials_work(struct jg_ex *ex, void *arg)
{
	const struct cred_ask *k = arg;
	struct jg_credentials c;
	char why[JG_WHY_MAX] = "", until[JG_TIME_LEN];
	char *uri = NULL;
	enum jg_err e;

	e = jg_gate_credentials_issue(ex->gate, &ex->who, k->id, ex->now, &c,
	                              why);
	if (e == JG_OK && !(uri = uri_of(&c)))
		e = JG_ENOMEM;
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why[0] ? why : NULL);
	} else {
		jg_time_format(c.expires_at, until);
		jg_ex_json(ex, 200, json_pack(
		        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "grant_id",
		        c.grant_id, "role", c.role, "password", c.password,
		        "host", c.host, "port", c.port, "dbname", c.dbname,
		        "valid_until", until, "uri", uri));
	}
	if (uri) {
		explicit_bzero(uri, strlen(uri));
		free(uri);
	}
	explicit_bzero(&c, sizeof(c));
}

void jg_api_grant_credentials(struct jg_ex *ex)
{
	static const char *const fields[] = {NULL};
	struct cred_ask *k;

	if (jg_ex_fields(ex, fields))
		return;
	if (!(k = calloc(1, sizeof(*k)))) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	snprintf(k->id, sizeof(k->id), "%s", ex->param);
	if (jg_ex_defer(ex, credentials_work, k))
		free(k);
}
