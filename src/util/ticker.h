/*
 * ticker.h - a thread that calls one function every so often.
 *
 * The background work of a server (the sync of the grant index, the
 * checkpoint signer) is the same loop: call fn, sleep a period on the
 * monotonic clock (so a wall clock that steps does not stretch or skip
 * it), wake early when poked, and stop promptly when asked. This is that
 * loop, once.
 */
#ifndef JG_TICKER_H
#define JG_TICKER_H

#include "util/err.h"

struct jg_ticker;

#define JG_TICK_FIRST 1 /* call fn at once, before the first period */
#define JG_TICK_LAST 2  /* call fn once more when stopped */

/*
 * Start a thread calling fn(arg) every period_ms (at least 1) and on
 * jg_ticker_poke; flags as above. fn runs on that thread only, never two
 * at once. *out is owned by the caller (jg_ticker_stop). JG_EINVAL,
 * JG_ENOMEM, JG_EINTERNAL (no thread).
 */
enum jg_err jg_ticker_start(int period_ms, void (*fn)(void *), void *arg,
                            int flags, struct jg_ticker **out);

/* Wake the thread now: fn runs as soon as it is not already running. */
void jg_ticker_poke(struct jg_ticker *t);

/* Stop: wait for a call in progress (and the JG_TICK_LAST one), then
 * free. NULL-safe. */
void jg_ticker_stop(struct jg_ticker *t);

#endif
