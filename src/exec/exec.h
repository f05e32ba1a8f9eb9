/*
 * exec.h - connectors: how the gateway itself runs an approved action on a
 * resource, with credentials only the server holds.
 *
 * A server-side YAML file (jitgate serve --connectors FILE) names, per
 * resource, one connector: `command` (a program with an argv template,
 * exec/command.c), `postgres` (the approved SQL through libpq,
 * exec/postgres.c), `http` (one call through libcurl, exec/http.c) or
 * `pg_credentials` (temporary PostgreSQL login roles for live grants,
 * exec/pgcred.c; it runs nothing). Every kind implements
 * struct jg_connector_ops (exec/internal.h); exec/config.c
 * loads the file with file:line errors and exec/exec.c runs one.
 *
 * Credentials come only from files or environment variables the file
 * names (password_file, dsn_env, secret_env, ...), are read once when the
 * file is loaded, and are never logged, returned or put in a message: each
 * connector knows its secrets and masks them in what it returns.
 *
 * This layer never touches the store and never decides whether something
 * may run: the gate (gate/execute.c) does that, exactly once, before
 * calling jg_connector_run outside any transaction; for pg_credentials,
 * gate/credentials.c decides when a role is made and when it goes.
 */
#ifndef JG_EXEC_H
#define JG_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/model.h"

#define JG_EXEC_TIMEOUT_DEFAULT 30         /* seconds */
#define JG_EXEC_TIMEOUT_MAX 3600           /* seconds */
#define JG_EXEC_OUTPUT_DEFAULT (64 * 1024) /* bytes kept of what ran */
#define JG_EXEC_OUTPUT_MAX (1024 * 1024)
#define JG_CONNECTORS_FILE_MAX (1024 * 1024)

struct jg_connectors; /* a loaded connectors file */
struct jg_connector;  /* one resource's connector, borrowed from it */

/*
 * Load the connectors file at path. On failure *out is NULL and err says
 * "PATH:LINE: why" (no secret ever appears in it). *out is owned by the
 * caller: jg_connectors_free (NULL-safe) wipes the secrets it read.
 */
enum jg_err jg_connectors_load(const char *path, struct jg_connectors **out,
                               char *err, size_t errlen);
/* The same from text already in memory; name is used in messages. */
enum jg_err jg_connectors_parse(const char *name, const char *text,
                                size_t len, struct jg_connectors **out,
                                char *err, size_t errlen);
void jg_connectors_free(struct jg_connectors *c);

/* Number of resources with a connector, and the name of the i-th. */
size_t jg_connectors_count(const struct jg_connectors *c);
const char *jg_connectors_resource(const struct jg_connectors *c, size_t i);

/* The connector that runs action on resource, or NULL (c may be NULL). */
const struct jg_connector *jg_connector_find(const struct jg_connectors *c,
                                             const char *resource,
                                             const char *action);

/* "command", "postgres", "http" or "pg_credentials". */
const char *jg_connector_kind(const struct jg_connector *k);
/* Seconds a run may take at most (the connector's timeout). */
int64_t jg_connector_timeout(const struct jg_connector *k);

/*
 * Do these fit k? The payload must be given exactly when k uses one (its
 * templates name {payload}, or it is postgres), and params must name
 * exactly the slots k's templates use. JG_EINVAL with why otherwise.
 */
enum jg_err jg_connector_accepts(const struct jg_connector *k,
                                 const char *payload, const json_t *params,
                                 char *why, size_t whylen);

/* What to run; everything borrowed. */
struct jg_exec_input {
	const char *request_id;
	const char *requester;
	const char *resource;
	const char *action;
	const char *payload;  /* NULL when none */
	const json_t *params; /* object of strings, NULL when none */
};

/* What came of it. */
struct jg_exec_result {
	int ok;          /* 1: succeeded */
	int exit_code;   /* program status (128+N: signal N), HTTP status,
	                  * SQL 0 or 1; -1 when nothing ran */
	int timed_out;   /* stopped by the connector's timeout */
	char *output;    /* owned; valid UTF-8, secrets masked, bounded */
	char error[JG_EXEC_ERROR_MAX]; /* why it failed (masked), or "" */
	int64_t duration_ms;
};

/*
 * Run in through k, waiting at most its timeout. Always fills out (on
 * failure ok is 0 and error says why); clear it with
 * jg_exec_result_clear. Blocks: call it outside any store transaction.
 * Safe to call from several threads at once.
 */
void jg_connector_run(const struct jg_connector *k,
                      const struct jg_exec_input *in,
                      struct jg_exec_result *out);
void jg_exec_result_clear(struct jg_exec_result *r);

/*
 * The bound payload: what an approval binds to and an execution runs.
 * Its text is the canonical JSON object {"params": {...}, "payload": ...}
 * (params {} when none, payload null when none; keys sorted bytewise, no
 * white space, UTF-8 as is, the encoding of the audit chain), and
 * payload_sha256 is the lowercase hex SHA-256 of that text. JG_EINVAL
 * when params is not an object of strings; JG_ENOMEM.
 */
enum jg_err jg_bound_sha256(const char *payload, const json_t *params,
                            char out[JG_SHA256_HEX]);
/* The canonical text itself (malloc'd, caller frees), NULL on error. */
char *jg_bound_text(const char *payload, const json_t *params);

/* ---- temporary PostgreSQL login roles (pg_credentials, exec/pgcred.c) */

#define JG_PGCRED_ROLE_MAX 64 /* PostgreSQL's NAMEDATALEN */

/* 1 when k is a pg_credentials connector (k may be NULL). */
int jg_connector_issues_credentials(const struct jg_connector *k);

/* 1 when role is a name jitgate makes: 1-63 bytes of a-z 0-9 _. */
int jg_pgcred_role_ok(const char *role);

/* Where a holder connects: the admin connection's host, port and db. */
struct jg_pgcred_where {
	char host[256];
	char port[16];
	char dbname[JG_PGCRED_ROLE_MAX];
};

/*
 * CREATE ROLE role LOGIN with password (sent only as its SCRAM
 * verifier), VALID UNTIL valid_until, IN ROLE the connector's role (and
 * its CONNECTION LIMIT). where is filled on success. JG_EBUSY with why
 * when the target database cannot be reached or refuses (why never holds
 * the password); *maybe is then 1 when the role may exist all the same
 * (the connection was lost after the statement was sent), else 0.
 * Blocks up to the connector's timeout.
 */
enum jg_err jg_pgcred_create(const struct jg_connector *k, const char *role,
                             const char *password, int64_t valid_until,
                             struct jg_pgcred_where *where, int *maybe,
                             char *why, size_t whylen);

/* ALTER ROLE role VALID UNTIL valid_until (the grant was extended).
 * JG_EBUSY with why as above. */
enum jg_err jg_pgcred_valid_until(const struct jg_connector *k,
                                  const char *role, int64_t valid_until,
                                  char *why, size_t whylen);

/*
 * ALTER ROLE role NOLOGIN, terminate its sessions, DROP ROLE (REASSIGN
 * and DROP OWNED first when it owns objects). JG_OK also when the role
 * does not exist; JG_EBUSY with why when the target database cannot be
 * reached or refuses.
 */
enum jg_err jg_pgcred_drop(const struct jg_connector *k, const char *role,
                           char *why, size_t whylen);

/* 1 when s is a usable param name: 1-63 bytes of A-Z a-z 0-9 _ . - and
 * not one of the built-in slots (payload, request_id, requester,
 * resource, action). */
int jg_param_name_valid(const char *s);

#endif
