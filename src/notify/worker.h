/* worker.h - the outbox delivery thread of `jitgate serve`. */
#ifndef JG_NOTIFY_WORKER_H
#define JG_NOTIFY_WORKER_H

#include "notify/notify.h"

struct jg_notifier;

/* st and cfg are borrowed and must outlive the notifier. */
enum jg_err jg_notifier_start(struct jg_store *st,
                              const struct jg_notify_config *cfg,
                              struct jg_notifier **out);
/* Stop and join the thread; NULL-safe. */
void jg_notifier_stop(struct jg_notifier *n);

#endif
