/*
 * checkpoint.c - the signer of audit checkpoints, the check of the trail
 * against them, and what a halt records (see gate.h and
 * audit/checkpoint.h).
 *
 * Why the signer signs what the sync step applied, not audit_last: the
 * step has just checked that the event it applied before is still there
 * with the same hash (sync.c), so a head signed here extends the one
 * signed before it; a trail that went backwards halts the gate, and a
 * halted gate signs nothing more. Signing runs on its own thread, never
 * on a use case's commit path: a commit only pokes it.
 *
 * Lock order as in sync.c: sync_lock (to copy the head, or held by a
 * halt), then the store's transaction; the signer's own lock is never
 * held across either.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "gate/internal.h"
#include "util/ticker.h"
#include "util/log.h"

/* audit.checkpoint_failed at most once this often, seconds */
#define CKPT_FAIL_EVERY 600

struct jg_signer {
	struct jg_gate *g;      /* borrowed */
	EVP_PKEY *key;          /* owned */
	int sink_fd;            /* owned, -1 for none */
	int every, interval;
	int64_t (*clock)(void);
	int64_t signed_seq;     /* atomic: the last seq signed */
	int64_t signed_ts;      /* atomic: its checkpoint's time (/metrics) */
	struct jg_ticker *ticker; /* owned: the signer thread */
	int failing;            /* signer thread only: say it once */
};

/* ---- signing ------------------------------------------------------- */

/* The head the sync step applied, unless halted: 0 when nothing. */
static int64_t head(struct jg_gate *g, char hash[JG_SHA256_HEX])
{
	int64_t seq = 0;

	pthread_mutex_lock(&g->sync_lock);
	if (g->loaded && !jg_gate_halted(g, NULL)) {
		seq = g->sync_seq;
		memcpy(hash, g->sync_hash, JG_SHA256_HEX);
	}
	pthread_mutex_unlock(&g->sync_lock);
	return seq;
}

static enum jg_err store_checkpoint(struct jg_gate *g,
                                    const struct jg_checkpoint *cp)
{
	enum jg_err e = g->st->ops->begin(g->st, 1);

	if (e != JG_OK)
		return e;
	if ((e = g->st->ops->checkpoint_insert(g->st, cp)) != JG_OK) {
		g->st->ops->rollback(g->st);
		return e;
	}
	return g->st->ops->commit(g->st);
}

/* Sign (seq, hash) and write it: the sink first, the copy that counts. */
static enum jg_err sign_write(struct jg_signer *s, int64_t seq,
                              const char hash[JG_SHA256_HEX])
{
	struct jg_checkpoint cp = {.seq = seq, .ts = s->clock()};
	enum jg_err e;

	memcpy(cp.hash, hash, JG_SHA256_HEX);
	e = jg_ckpt_sign(s->key, &cp);
	if (e == JG_OK && s->sink_fd >= 0)
		e = jg_ckpt_sink_write(s->sink_fd, &cp);
	if (e == JG_OK)
		e = store_checkpoint(s->g, &cp);
	if (e == JG_OK) {
		__atomic_store_n(&s->signed_ts, cp.ts, __ATOMIC_RELAXED);
		__atomic_store_n(&s->signed_seq, seq, __ATOMIC_RELEASE);
	}
	return e;
}

/*
 * A checkpoint that cannot be written leaves the trail itself intact, so
 * the trail records the failure (audit.checkpoint_failed, which the
 * checkpoint_failed detector turns into an alert), at most once a
 * CKPT_FAIL_EVERY while it keeps failing: the event moves the head, which
 * the signer then tries, and fails, to sign again. The error is
 * jg_strerror's, as the log prints it: no path, nothing secret.
 */
static void record_failure(struct jg_signer *s, int64_t seq, enum jg_err err)
{
	struct jg_gate *g = s->g;
	int64_t now = jg_gate_now(g, s->clock());
	enum jg_err e;

	if (g->ckpt_failed_at && now - g->ckpt_failed_at < CKPT_FAIL_EVERY)
		return;
	if ((e = g->st->ops->begin(g->st, 1)) == JG_OK) {
		e = jg_gate_audit(g, now, JG_ACTOR_SYSTEM,
		                  "audit.checkpoint_failed", "",
		                  json_pack("{s:I,s:s}", "seq", (json_int_t)seq,
		                            "error", jg_strerror(err)));
		if (e != JG_OK || (e = jg_gate_commit(g)) != JG_OK)
			jg_gate_abort(g, e);
	}
	g->ckpt_failed_at = now; /* tried: the next try is as far off */
	if (e != JG_OK) /* the store is down too */
		jg_log(JG_LOG_ERROR, "cannot record the checkpoint failure in "
		       "the audit trail: %s", jg_strerror(e));
}

/* Sign the applied head when it moved. */
static void sign_head(struct jg_signer *s)
{
	char hash[JG_SHA256_HEX];
	int64_t seq = head(s->g, hash);
	enum jg_err e;

	if (seq <= __atomic_load_n(&s->signed_seq, __ATOMIC_ACQUIRE))
		return;
	e = sign_write(s, seq, hash);
	if (e == JG_OK) {
		if (s->failing)
			jg_log(JG_LOG_INFO, "audit checkpoints recovered");
		s->failing = 0;
		return;
	}
	if (!s->failing) {
		s->failing = 1;
		jg_log(JG_LOG_ERROR, "cannot write the audit checkpoint of "
		       "seq %lld: %s; will retry", (long long)seq,
		       jg_strerror(e));
	}
	record_failure(s, seq, e);
}

/*
 * What a halt records: a checkpoint of the head this server had applied,
 * which the trail no longer has. In the sink, out of the database's
 * reach, it is the evidence that the trail once went that far; an event
 * appended to the trail instead would sit where the cut is and make it
 * look like a rewrite. Under sync_lock (it holds the head).
 */
void jg_gate_record_halt(struct jg_gate *g, const char *why)
{
	(void)why; /* on stderr already */
	if (!g->signer || g->sync_seq <= __atomic_load_n(&g->signer->signed_seq,
	                                                 __ATOMIC_ACQUIRE))
		return;
	if (sign_write(g->signer, g->sync_seq, g->sync_hash) != JG_OK)
		jg_log(JG_LOG_ERROR, "cannot sign the checkpoint of the "
		       "head this server applied (seq %lld)",
		       (long long)g->sync_seq);
	else
		jg_log(JG_LOG_INFO, "signed the head this server applied "
		       "(seq %lld) into the checkpoint sink",
		       (long long)g->sync_seq);
}

/* The ticker's call: every interval, when poked, and once at the stop
 * (what the last commits added). */
static void tick(void *arg)
{
	sign_head(arg);
}

void jg_gate_signer_poke(struct jg_gate *g, int64_t seq)
{
	struct jg_signer *s = g->signer;

	if (!s ||
	    seq - __atomic_load_n(&s->signed_seq, __ATOMIC_ACQUIRE) < s->every)
		return;
	jg_ticker_poke(s->ticker);
}

int jg_gate_signer_state(struct jg_gate *g, int64_t *seq, int64_t *ts)
{
	struct jg_signer *s = g->signer;

	*seq = s ? __atomic_load_n(&s->signed_seq, __ATOMIC_ACQUIRE) : 0;
	*ts = s ? __atomic_load_n(&s->signed_ts, __ATOMIC_RELAXED) : 0;
	return s != NULL;
}

/* ---- start-up: does the trail still reach the sink's newest? ------- */

static int find_hash(const struct jg_event *ev, void *ctx)
{
	memcpy(ctx, ev->hash, JG_SHA256_HEX);
	return 1;
}

/* Compare the store with cp; non-zero (why filled) when it went back. */
static int behind(struct jg_gate *g, const struct jg_checkpoint *cp,
                  char why[JG_WHY_MAX])
{
	struct jg_filter f = {.cursor = cp->seq - 1, .limit = 1};
	char hash[JG_SHA256_HEX] = "";
	int64_t next;
	enum jg_err e = g->st->ops->begin(g->st, 0);

	if (e == JG_OK) {
		e = g->st->ops->audit_walk(g->st, &f, find_hash, hash, &next);
		g->st->ops->rollback(g->st);
	}
	if (e != JG_OK)
		return 0; /* the store is down: nothing proven either way */
	if (!*hash)
		snprintf(why, JG_WHY_MAX, "the audit trail went backwards: "
		         "event %lld, signed in the checkpoint sink, is gone",
		         (long long)cp->seq);
	else if (strcmp(hash, cp->hash) != 0)
		snprintf(why, JG_WHY_MAX, "the audit trail went backwards: "
		         "event %lld differs from its signed checkpoint",
		         (long long)cp->seq);
	return *hash == 0 || strcmp(hash, cp->hash) != 0;
}

static void check_sink(struct jg_signer *s, const char *path)
{
	struct jg_checkpoint *cps = NULL;
	char why[JG_WHY_MAX];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	if (jg_ckpt_read_sink(f, s->key, &cps, &n, why) != JG_OK)
		jg_log(JG_LOG_WARN, "checkpoint sink %s: %s; "
		       "the trail is not checked against it", path, why);
	else if (n && behind(s->g, &cps[n - 1], why))
		jg_gate_halt(s->g, why);
	else if (n) {
		s->signed_seq = cps[n - 1].seq;
		s->signed_ts = cps[n - 1].ts;
	}
	fclose(f);
	free(cps);
}

enum jg_err jg_gate_signer_start(struct jg_gate *g,
                                 const struct jg_ckpt_config *c, char *err,
                                 size_t errlen)
{
	struct jg_signer *s;

	if (g->signer || c->every < 1 || c->interval < 1 ||
	    c->interval > INT_MAX / 1000) {
		snprintf(err, errlen, "checkpoints: every and interval must be "
		         "at least 1");
		return JG_EINVAL;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return JG_ENOMEM;
	*s = (struct jg_signer){.g = g, .key = c->key, .sink_fd = c->sink_fd,
	                        .every = c->every, .interval = c->interval,
	                        .clock = c->clock};
	if (c->sink_path)
		check_sink(s, c->sink_path);
	if (jg_ticker_start(c->interval * 1000, tick, s, JG_TICK_LAST,
	                    &s->ticker) != JG_OK) {
		free(s);
		snprintf(err, errlen, "cannot start the checkpoint signer");
		return JG_EINTERNAL;
	}
	g->signer = s; /* pokes before this find none: the interval signs */
	return JG_OK;
}

void jg_gate_signer_stop(struct jg_gate *g)
{
	struct jg_signer *s = g->signer;

	if (!s)
		return;
	jg_ticker_stop(s->ticker);
	g->signer = NULL;
	if (s->sink_fd >= 0)
		close(s->sink_fd);
	EVP_PKEY_free(s->key);
	free(s);
}

/* ---- verify against the store's checkpoints ------------------------ */

#define PIN_PAGE 1024

/* Inside a read transaction: the store's checkpoints that key signed,
 * sorted by seq. *out malloc'd. */
static enum jg_err load_pins(struct jg_gate *g, EVP_PKEY *key,
                             struct jg_checkpoint **out, size_t *n)
{
	struct jg_checkpoint *arr = NULL;
	size_t cap = 0, got;
	int64_t after = 0;
	enum jg_err e;

	*n = 0;
	do {
		if (cap - *n < PIN_PAGE) {
			struct jg_checkpoint *na;
			cap = cap * 2 + PIN_PAGE;
			if (!(na = realloc(arr, cap * sizeof(*na)))) {
				free(arr);
				return JG_ENOMEM;
			}
			arr = na;
		}
		e = g->st->ops->checkpoint_list(g->st, after, arr + *n,
		                                PIN_PAGE, &got);
		for (size_t i = 0; e == JG_OK && i < got; i++) {
			after = arr[*n].seq;
			/* another key's (or a forged row): proves nothing */
			if (jg_ckpt_sig_ok(key, &arr[*n]))
				(*n)++;
			else
				memmove(&arr[*n], &arr[*n + 1],
				        (got - i - 1) * sizeof(*arr));
		}
	} while (e == JG_OK && got == PIN_PAGE);
	if (e != JG_OK) {
		free(arr);
		*n = 0;
		arr = NULL;
	}
	*out = arr;
	return e;
}

/*
 * This server verified the trail and found it broken: the trail records
 * it (audit.verify_failed, which the audit_verify_failed detector turns
 * into an alert). Not when the break is where the trail ends (events cut
 * from its tail: an event appended there would fill the cut and read as
 * a rewrite, as a halt's would; jg_gate_record_halt) nor when the gate
 * is halted. The report is the caller's answer either way: a failure to
 * record is logged.
 */
/* Inside a write transaction: append the event; NULL, or why not. */
static const char *append_broken(struct jg_gate *g,
                                 const struct jg_principal *who,
                                 const struct jg_audit_report *rep)
{
	char hash[JG_SHA256_HEX];
	int64_t last = 0;
	enum jg_err e = g->st->ops->audit_last(g->st, &last, hash);

	if (e == JG_OK && rep->broken_seq > last)
		return "the break is past the trail's end";
	if (e == JG_OK)
		e = jg_gate_audit(g, jg_gate_wall(g), who->name,
		                  "audit.verify_failed", "",
		                  json_pack("{s:I,s:I,s:I,s:s}", "from",
		                            (json_int_t)1, "to", (json_int_t)last,
		                            "first_bad_seq",
		                            (json_int_t)rep->broken_seq, "reason",
		                            rep->reason));
	return e == JG_OK ? NULL : jg_strerror(e);
}

static void record_broken(struct jg_gate *g, const struct jg_principal *who,
                          const struct jg_audit_report *rep)
{
	const char *not = "the gate is halted";
	enum jg_err e;

	if (!jg_gate_halted(g, NULL)) {
		if ((e = g->st->ops->begin(g->st, 1)) != JG_OK)
			not = jg_strerror(e);
		else if (!(not = append_broken(g, who, rep)) &&
		         (e = jg_gate_commit(g)) == JG_OK)
			return;
		else {
			g->st->ops->rollback(g->st);
			not = not ? not : jg_strerror(e);
		}
	}
	jg_log(JG_LOG_ERROR, "ALERT: the audit trail is broken at seq %lld: "
	       "%s (not recorded in the trail: %s)",
	       (long long)rep->broken_seq, rep->reason, not);
}

enum jg_err jg_gate_audit_verify_walk(struct jg_gate *g,
                                      const struct jg_principal *who,
                                      jg_event_fn fn, void *ctx,
                                      struct jg_audit_report *rep,
                                      size_t *pins, char why[JG_WHY_MAX])
{
	struct jg_checkpoint *cps = NULL;
	enum jg_err e = JG_OK;

	*pins = 0;
	if (!jg_gate_sees_all(who))
		return jg_gate_why(JG_EFORBIDDEN, why, "the audit trail is for "
		                   "admins and auditors");
	if (g->signer) {
		if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
			return e;
		e = load_pins(g, g->signer->key, &cps, pins);
		g->st->ops->rollback(g->st);
	}
	if (e == JG_OK)
		e = jg_audit_verify_walk(g->st, cps, *pins, fn, ctx, rep);
	free(cps);
	if (e == JG_OK && !rep->ok)
		record_broken(g, who, rep);
	return e;
}

enum jg_err jg_gate_audit_verify_pinned(struct jg_gate *g,
                                        const struct jg_principal *who,
                                        struct jg_audit_report *rep,
                                        size_t *pins, char why[JG_WHY_MAX])
{
	return jg_gate_audit_verify_walk(g, who, NULL, NULL, rep, pins, why);
}

EVP_PKEY *jg_gate_ckpt_key(struct jg_gate *g)
{
	return g->signer ? g->signer->key : NULL;
}
