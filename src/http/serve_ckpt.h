/*
 * serve_ckpt.h - `jitgate serve`'s signed audit checkpoint flags and
 * start-up, kept out of serve.c so the daemon's main path stays short.
 */
#ifndef JG_HTTP_SERVE_CKPT_H
#define JG_HTTP_SERVE_CKPT_H

#include <stdint.h>

#include "gate/gate.h"

struct jg_serve_ckpt {
	const char *key_path;  /* --checkpoint-key; NULL: no checkpoints */
	const char *sink_path; /* --checkpoint-sink */
	long every;            /* --checkpoint-every */
	long interval;         /* --checkpoint-interval, seconds */
};

/* The long options, their getopt values, and the usage lines. */
enum {
	JG_SERVE_CKPT_KEY = 0x100,
	JG_SERVE_CKPT_SINK,
	JG_SERVE_CKPT_EVERY,
	JG_SERVE_CKPT_INTERVAL,
};
#define JG_SERVE_CKPT_OPTIONS                                            \
	{"checkpoint-key", required_argument, NULL, JG_SERVE_CKPT_KEY},  \
	{"checkpoint-sink", required_argument, NULL, JG_SERVE_CKPT_SINK}, \
	{"checkpoint-every", required_argument, NULL,                    \
	 JG_SERVE_CKPT_EVERY},                                           \
	{"checkpoint-interval", required_argument, NULL,                 \
	 JG_SERVE_CKPT_INTERVAL}
extern const char jg_serve_ckpt_usage[];

/* Defaults (before getopt). */
void jg_serve_ckpt_init(struct jg_serve_ckpt *c);

/* One of the options above. 0, or -1 after printing why. */
int jg_serve_ckpt_opt(struct jg_serve_ckpt *c, int opt, const char *arg);

/*
 * Before anything is opened: a sink needs a key, and may not lie in the
 * SQLite database db's directory (whoever can rewrite the database could
 * rewrite the sink too). 0, or -1 after printing why.
 */
int jg_serve_ckpt_check(const struct jg_serve_ckpt *c, const char *db);

/*
 * After the index is loaded: open the key (made on first start) and the
 * sink, and start the signer. A no-op without --checkpoint-key. 0, or -1
 * after printing why.
 */
int jg_serve_ckpt_start(const struct jg_serve_ckpt *c, struct jg_gate *gate,
                        int64_t (*clock)(void));

#endif
