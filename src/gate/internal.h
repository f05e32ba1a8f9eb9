/*
 * internal.h - what the gate_*.c files share; not for other layers.
 */
#ifndef JG_GATE_INTERNAL_H
#define JG_GATE_INTERNAL_H

#include <jansson.h>

#include "audit/audit.h"
#include "gate/gate.h"

struct jg_gate {
	struct jg_store *st;             /* borrowed */
	const struct jg_policy *policy;  /* borrowed */
};

#define JG_ACTOR_SYSTEM "jitgate" /* actor of what the clock decides */

int jg_gate_is_admin(const struct jg_principal *who);
int jg_gate_sees_all(const struct jg_principal *who); /* admin, auditor */

/* 1 when who belongs to the group of any step of r. */
int jg_gate_reviews(const struct jg_gate *g, const struct jg_principal *who,
                    const struct jg_request *r);

/* Roll back the open transaction and pass e through. */
enum jg_err jg_gate_abort(struct jg_gate *g, enum jg_err e);

/* Fill why with a formatted sentence and return e. */
enum jg_err jg_gate_why(enum jg_err e, char why[JG_WHY_MAX], const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));

/* Append an event; details (may be NULL) is consumed. */
enum jg_err jg_gate_audit(struct jg_gate *g, int64_t now, const char *actor,
                          const char *type, const char *subject,
                          json_t *details);

/* Inside a transaction: a request with its reviews and grant id. */
enum jg_err jg_gate_load_view(struct jg_gate *g, const char *id,
                              struct jg_request_view *v);

/* Inside a write transaction: issue the grant of approved request r. */
enum jg_err jg_gate_issue_grant(struct jg_gate *g, const struct jg_request *r,
                                int64_t now, char grant_id[JG_ID_LEN]);

#endif
