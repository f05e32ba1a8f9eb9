/*
 * serve_ckpt.c - see serve_ckpt.h. Fatal only at start-up: a key or sink
 * that cannot be opened stops the daemon (an operator who asked for
 * checkpoints must not run without them unknowingly).
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "http/serve_ckpt.h"
#include "util/log.h"

const char jg_serve_ckpt_usage[] =
        "  --checkpoint-key FILE\n"
        "                       sign audit checkpoints with this Ed25519 "
        "key (made on first\n"
        "                       start, mode 0600; public half in "
        "FILE.pub); off without it\n"
        "                       (env JITGATE_CHECKPOINT_KEY)\n"
        "  --checkpoint-sink FILE\n"
        "                       append each checkpoint to FILE, outside "
        "the database's\n"
        "                       directory (env JITGATE_CHECKPOINT_SINK)\n"
        "  --checkpoint-every N sign at least every N events (default "
        "1000)\n"
        "  --checkpoint-interval S\n"
        "                       and every S seconds when the trail grew "
        "(default 60)\n";

void jg_serve_ckpt_init(struct jg_serve_ckpt *c)
{
	memset(c, 0, sizeof(*c));
	c->key_path = getenv("JITGATE_CHECKPOINT_KEY");
	c->sink_path = getenv("JITGATE_CHECKPOINT_SINK");
	c->every = JG_CKPT_EVERY;
	c->interval = JG_CKPT_INTERVAL;
}

/* A whole number in 1..max, or -1. */
static long bounded(const char *arg, long max)
{
	char *end;
	long v = strtol(arg, &end, 10);

	return *arg && !*end && v >= 1 && v <= max ? v : -1;
}

int jg_serve_ckpt_opt(struct jg_serve_ckpt *c, int opt, const char *arg)
{
	switch (opt) {
	case JG_SERVE_CKPT_KEY: c->key_path = arg; return 0;
	case JG_SERVE_CKPT_SINK: c->sink_path = arg; return 0;
	case JG_SERVE_CKPT_EVERY:
		if ((c->every = bounded(arg, 100000000)) > 0)
			return 0;
		fprintf(stderr, "jitgate: --checkpoint-every must be 1 to "
		        "100000000\n");
		return -1;
	default:
		if ((c->interval = bounded(arg, 86400)) > 0)
			return 0;
		fprintf(stderr, "jitgate: --checkpoint-interval must be 1 to "
		        "86400 seconds\n");
		return -1;
	}
}

/* The directory of the SQLite database in db, or NULL (PostgreSQL). */
static const char *db_dir(const char *db, char *buf, size_t len)
{
	if (strncmp(db, "postgres", 8) == 0)
		return NULL;
	if (strncmp(db, "sqlite:", 7) == 0)
		db += 7;
	snprintf(buf, len, "%s", db);
	return dirname(buf);
}

int jg_serve_ckpt_check(const struct jg_serve_ckpt *c, const char *db)
{
	char dir[4096];
	const char *d = db_dir(db, dir, sizeof(dir));

	if (c->sink_path && !c->key_path) {
		jg_log(JG_LOG_ERROR, "--checkpoint-sink needs "
		       "--checkpoint-key");
		return -1;
	}
	if (c->sink_path && d && jg_ckpt_sink_inside(c->sink_path, d)) {
		jg_log(JG_LOG_ERROR, "checkpoint sink %s is inside the "
		       "database's directory %s: put it where whoever can "
		       "rewrite the database cannot", c->sink_path, d);
		return -1;
	}
	return 0;
}

int jg_serve_ckpt_start(const struct jg_serve_ckpt *c, struct jg_gate *gate,
                        int64_t (*clock)(void))
{
	EVP_PKEY *key = NULL;
	struct jg_ckpt_config cfg = {.sink_fd = -1, .every = (int)c->every,
	                             .interval = (int)c->interval,
	                             .clock = clock};
	char err[512];

	if (!c->key_path)
		return 0;
	if (jg_ckpt_key_open(c->key_path, &key, err, sizeof(err)) != JG_OK)
		goto fail;
	if (!c->sink_path)
		jg_log(JG_LOG_WARN, "checkpoints without "
		       "--checkpoint-sink are only in the database, which "
		       "whoever rewrites the trail can rewrite too");
	else if ((cfg.sink_fd = jg_ckpt_sink_open(c->sink_path, err,
	                                          sizeof(err))) < 0)
		goto fail;
	cfg.key = key;
	cfg.sink_path = c->sink_path;
	if (jg_gate_signer_start(gate, &cfg, err, sizeof(err)) == JG_OK)
		return 0; /* the signer owns key and fd now */
	if (cfg.sink_fd >= 0)
		close(cfg.sink_fd);
fail:
	EVP_PKEY_free(key);
	jg_log(JG_LOG_ERROR, "%s", err);
	return -1;
}
