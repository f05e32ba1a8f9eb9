/*
 * limits.h - every bound jitgate enforces on outside input, in one place.
 * Past a bound the API answers 413 (bodies) or 400 (fields), never truncates.
 */
#ifndef JG_LIMITS_H
#define JG_LIMITS_H

#define JG_NAME_MAX 64          /* names: users, groups, resources, actions, rules (incl. NUL) */
#define JG_GROUPS_MAX 32        /* groups on one principal */
#define JG_STEPS_MAX 8          /* approval levels on one rule */
#define JG_STEP_COUNT_MAX 16    /* N in "N of group G" */
#define JG_BODY_MAX (64 * 1024) /* one HTTP request body */
#define JG_PAYLOAD_MAX (32 * 1024)
#define JG_REASON_MAX 2048      /* justification, comments */
#define JG_NOTE_MAX 200          /* reasons to cancel or end a grant */
#define JG_TICKET_MAX 128
#define JG_POLICY_FILE_MAX (4 * 1024 * 1024)
#define JG_BIG_BODY_MAX (JG_POLICY_FILE_MAX + 64 * 1024) /* policy replay */
#define JG_POLICY_DEPTH_MAX 64  /* nested maps and lists in a policy */
#define JG_PUBLIC_BODY_MAX (8 * 1024) /* a body sent before authentication */
#define JG_PARAMS_MAX 32        /* request params (connector template slots) */
#define JG_PARAM_VALUE_MAX 4096 /* bytes of one param value */
#define JG_IDEM_KEY_MAX 128     /* bytes of a client's idempotency key */
#define JG_REQUEST_KEY_MAX 256  /* a stored (namespaced) idempotency key, incl. NUL */
#define JG_LIST_MAX 500         /* page size ceiling */
#define JG_LIST_DEFAULT 50
#define JG_URL_MAX 512          /* an issuer or endpoint URL (incl. NUL) */
#define JG_ADDR_MAX 46          /* an IPv4 or IPv6 address as text (INET6_ADDRSTRLEN, incl. NUL) */
#define JG_CLAIM_MAX 256        /* a claim's name or value, a subject, a client id (incl. NUL) */

#endif
