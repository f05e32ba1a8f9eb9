/*
 * internal.h - what the files of exec/ share; not for other layers,
 * which see only exec/exec.h.
 *
 * A kind (command, postgres, http, pg_credentials) is one struct
 * jg_connector_ops: the keys its YAML map takes (each loaded by a function,
 * as in the policy loader), a check once all keys are read, a run function
 * and a free function for its own configuration. config.c loads the keys
 * every kind shares (type, actions, timeout, output_limit) and hands the
 * others to the kind's table; exec.c wraps run() with the clock, the output
 * bound and the masking of the connector's secrets, and asks validate()
 * (when the kind has one) both when a request is made and before it runs.
 */
#ifndef JG_EXEC_INTERNAL_H
#define JG_EXEC_INTERNAL_H

#include <libpq-fe.h>
#include <yaml.h>

#include "exec/exec.h"

#define JG_EXEC_SECRETS_MAX 16 /* secrets one connector may hold */
#define JG_EXEC_SLOTS_MAX 32   /* distinct param slots in its templates */

struct jg_connector_ops;

struct jg_connector {
	char *resource;            /* owned */
	char **actions;            /* owned; NULL: every action */
	size_t nactions;
	const struct jg_connector_ops *ops;
	void *conf;                /* the kind's own configuration, owned */
	int64_t timeout;           /* seconds */
	size_t output_limit;       /* bytes of output kept */
	/* owned, wiped on free: masked wherever they appear in output */
	char *secrets[JG_EXEC_SECRETS_MAX];
	size_t nsecrets;
	/* the param slots its templates use, and whether {payload} is one */
	char *slots[JG_EXEC_SLOTS_MAX];
	size_t nslots;
	int uses_payload;
	int line;
};

/* One load in progress (config.c), for "FILE:LINE: message" errors. */
struct jg_cfg {
	const char *name;
	yaml_document_t *doc;
	enum jg_err rc;     /* the first error wins */
	char *err;
	size_t errlen;
	char where[96];     /* "resource 'x'": prefixed to messages */
	struct jg_connector *cur; /* being loaded: secrets and slots go here */
};

/* Load value node n of one key into conf; 0, or -1 after jg_cfg_fail. */
typedef int (*jg_cfg_fn)(struct jg_cfg *c, yaml_node_t *n, void *conf);

struct jg_cfg_key {
	const char *key;
	jg_cfg_fn load;
	int required;
};

/* Bytes a run collects; past max only `truncated` is set. */
struct jg_buf {
	char *data; /* owned, NUL-terminated when not NULL */
	size_t len, cap, max;
	int truncated;
};

struct jg_connector_ops {
	const char *kind;
	size_t conf_size;               /* calloc'd before the keys load */
	const struct jg_cfg_key *keys;
	size_t nkeys;
	/* After the keys: combinations, required alternatives. */
	int (*check)(struct jg_cfg *c, yaml_node_t *n, struct jg_connector *k);
	/*
	 * Run in. Output goes to out (bounded by exec.c); res gets ok,
	 * exit_code, timed_out and error (masked later by exec.c).
	 */
	void (*run)(const struct jg_connector *k, const struct jg_exec_input *in,
	            struct jg_buf *out, struct jg_exec_result *res);
	/*
	 * What this kind cannot run safely, refused when a request is made
	 * (jg_connector_accepts) and again before each run: JG_EINVAL with a
	 * sentence in why (never quoting a secret). NULL: nothing more than
	 * the slots is checked.
	 */
	enum jg_err (*validate)(const struct jg_connector *k,
	                        const char *payload, const json_t *params,
	                        char *why, size_t whylen);
	void (*free_conf)(void *conf); /* what conf owns, not conf itself */
};

extern const struct jg_connector_ops jg_command_ops;
extern const struct jg_connector_ops jg_pg_ops;
extern const struct jg_connector_ops jg_http_ops;
extern const struct jg_connector_ops jg_pgcred_ops;

/* ---- the PostgreSQL connection, shared by postgres.c and pgcred.c ---- */

/*
 * How a kind reaches PostgreSQL as an administrator: the connection
 * keys (dsn, dsn_env, dsn_file, password_file, password_env) load into
 * it, and a kind whose conf starts with one uses these loaders as they
 * are (postgres.c defines them).
 */
struct pg_conf {
	char *dsn;         /* owned; a secret when it came from env or file */
	int dsn_secret;
	char *password;    /* owned secret, or NULL */
	int64_t statement_timeout; /* seconds, 0: the connector's timeout */
	long max_rows;
	yaml_node_t *dsn_node; /* for messages during the load only */
};

int jg_pg_dsn(struct jg_cfg *c, yaml_node_t *n, void *conf);
int jg_pg_dsn_env(struct jg_cfg *c, yaml_node_t *n, void *conf);
int jg_pg_dsn_file(struct jg_cfg *c, yaml_node_t *n, void *conf);
int jg_pg_password_file(struct jg_cfg *c, yaml_node_t *n, void *conf);
int jg_pg_password_env(struct jg_cfg *c, yaml_node_t *n, void *conf);
/* The dsn parses and a plain one holds no password. */
int jg_pg_check_dsn(struct jg_cfg *c, struct pg_conf *pc);
/* What a pg_conf owns (not pc itself). */
void jg_pg_free_conf(void *conf);
/* A connection (waiting at most min(timeout, 10) s), or NULL with
 * res->error set; the caller PQfinish()es it. */
PGconn *jg_pg_connect(const struct pg_conf *pc, int64_t timeout,
                      struct jg_exec_result *res);

/* ---- loading helpers (config.c) ---- */

#define JG_PRINTF(f, a) __attribute__((format(printf, f, a)))

int jg_cfg_fail(struct jg_cfg *c, const yaml_node_t *at, const char *fmt, ...)
	JG_PRINTF(3, 4);
int jg_cfg_nomem(struct jg_cfg *c, const yaml_node_t *at);
yaml_node_t *jg_cfg_node(struct jg_cfg *c, int index);
/* A scalar as a new string (no NUL bytes, not empty unless allow_empty). */
int jg_cfg_str(struct jg_cfg *c, yaml_node_t *n, const char *what,
               int allow_empty, char **out);
/* An absolute path. */
int jg_cfg_path(struct jg_cfg *c, yaml_node_t *n, const char *what,
                char **out);
/* A list of scalars (or one scalar) as a new array of new strings. */
int jg_cfg_strs(struct jg_cfg *c, yaml_node_t *n, const char *what,
                char ***out, size_t *count);
/* A duration ("30s") from 1s to max seconds. */
int jg_cfg_duration(struct jg_cfg *c, yaml_node_t *n, const char *what,
                    int64_t max, int64_t *out);
/* An integer in [lo, hi]. */
int jg_cfg_int(struct jg_cfg *c, yaml_node_t *n, const char *what,
               long lo, long hi, long *out);
/*
 * A template string: its {slots} are recorded on c->cur (params, or
 * uses_payload), and a slot that is not a valid name is refused.
 */
int jg_cfg_template(struct jg_cfg *c, yaml_node_t *n, const char *what,
                    char **out);
/*
 * Secrets: the value read from the file at path n (secret_file) or from
 * the server's environment variable named by n (secret_env), or from a
 * map {file: PATH} or {env: NAME} (secret). Trailing newlines are cut,
 * the value must not be empty, and it is registered on c->cur for
 * masking. Messages name the file or variable, never the value.
 */
int jg_cfg_secret_file(struct jg_cfg *c, yaml_node_t *n, const char *what,
                       char **out);
int jg_cfg_secret_env(struct jg_cfg *c, yaml_node_t *n, const char *what,
                      char **out);
int jg_cfg_secret(struct jg_cfg *c, yaml_node_t *n, const char *what,
                  char **out);

/* Keep a copy of s (a secret the kind found itself) for masking. */
int jg_cfg_remember(struct jg_cfg *c, yaml_node_t *n, const char *s);

/* A map of names to values: call each(key, value) for every pair. */
typedef int (*jg_cfg_pair_fn)(struct jg_cfg *c, yaml_node_t *k,
                              yaml_node_t *v, void *conf);
int jg_cfg_pairs(struct jg_cfg *c, yaml_node_t *n, const char *what,
                 size_t max, jg_cfg_pair_fn each, void *conf);

/* Free an array of strings and the array (NULL-safe). */
void jg_cfg_strs_free(char **v, size_t n);
/* Wipe and free a secret (NULL-safe). */
void jg_secret_free(char *s);

/* ---- running helpers (exec.c) ---- */

int jg_buf_add(struct jg_buf *b, const void *p, size_t n);
void jg_buf_free(struct jg_buf *b);

/* How values are escaped when a template is expanded. */
enum jg_escape {
	JG_ESC_NONE, /* as they are (argv elements: no shell ever sees them) */
	JG_ESC_URL,  /* percent-encoded (URL parts) */
	JG_ESC_JSON, /* as JSON string content, without the quotes */
};

/*
 * Expand tmpl with in's slots: {payload}, {request_id}, {requester},
 * {resource}, {action}, and {name} for param name. "{{" is a literal "{";
 * a "{" that does not open a valid slot is kept as it is. *out is
 * malloc'd; -1 with err when a param is missing or memory runs out.
 */
int jg_template_expand(const char *tmpl, const struct jg_exec_input *in,
                       enum jg_escape esc, char **out, char *err,
                       size_t errlen);

/* The value of slot name[0..n) for in, or NULL when it has none. */
const char *jg_template_value(const struct jg_exec_input *in,
                              const char *name, size_t n);

/* Call fn for each slot name (len bytes at name) of tmpl; stops at -1. */
int jg_template_slots(const char *tmpl,
                      int (*fn)(const char *name, size_t len, void *ctx),
                      void *ctx);

/* Milliseconds of a monotonic clock (durations only). */
int64_t jg_exec_ms(void);

/* Fill res->error with a sentence. */
void jg_exec_fail(struct jg_exec_result *res, const char *fmt, ...)
	JG_PRINTF(2, 3);

/*
 * s[0..len) with every occurrence of k's secrets (longest first) replaced
 * by "[masked]": a new malloc'd buffer (NUL-terminated; *outlen bytes,
 * which may include NULs from s), or NULL when out of memory.
 */
char *jg_exec_mask(const struct jg_connector *k, const char *s, size_t len,
                   size_t *outlen);

/*
 * Bytes at the end of s[0..len) that are the start of one of k's secrets
 * (the longest such tail; 0 when none): what is left of a secret split by
 * a cut, dropped before the rest is masked.
 */
size_t jg_exec_secret_tail(const struct jg_connector *k, const char *s,
                           size_t len);

/* ---- kind helpers shared with the unit tests ---- */

/*
 * http.c: may a redirect from URL from go to URL to? Only to the same
 * scheme, host and port. 0, or -1 with why.
 */
int jg_http_same_origin(const char *from, const char *to, char *why,
                        size_t whylen);

/*
 * pg_sql.c: JG_EINVAL with why when sql holds a statement the postgres
 * connector refuses (transaction control or COPY), naming it and its
 * position; JG_OK otherwise. Statements are split on ';' outside string
 * literals, quoted identifiers, dollar quotes and comments.
 */
enum jg_err jg_pg_sql_check(const char *sql, char *why, size_t whylen);

#endif
