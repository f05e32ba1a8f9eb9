/*
 * err.h - the one error type of jitgate.
 *
 * Every fallible function returns an enum jg_err. Each value carries the
 * HTTP status and the stable RFC 9457 problem `type` slug the API answers
 * with, so no layer has to translate codes by hand.
 */
#ifndef JG_ERR_H
#define JG_ERR_H

/* X(name, http status, problem slug, message) */
#define JG_ERR_MAP(X)                                                        \
	X(OK, 200, "ok", "ok")                                               \
	X(EINVAL, 400, "invalid-request", "invalid request")                 \
	X(EUNKNOWN, 400, "unknown-target", "unknown resource or action")     \
	X(EDURATION, 400, "duration-too-long", "duration above maximum")     \
	X(EAUTH, 401, "unauthenticated", "missing or invalid token")         \
	X(EFORBIDDEN, 403, "forbidden", "not allowed")                       \
	X(ECSRF, 403, "csrf", "missing or wrong CSRF token")                 \
	X(ECROSSSITE, 403, "cross-site", "cross-site request refused")       \
	X(ESELF, 403, "self-approval", "requester cannot review own request") \
	X(ESTEPUP, 403, "step-up-required",                                 \
	  "a recent sign-in (with a second factor) is required")             \
	X(ENOTFOUND, 404, "not-found", "not found")                          \
	X(EMETHOD, 405, "method-not-allowed", "method not allowed")          \
	X(ECONFLICT, 409, "conflict", "conflicting state")                   \
	X(EDUP, 409, "duplicate-review", "already reviewed")                 \
	X(EEXECUTED, 409, "already-executed", "already executed")            \
	X(EMISMATCH, 409, "payload-mismatch", "not the approved payload")    \
	X(ETOOBIG, 413, "payload-too-large", "input too large")              \
	X(EMEDIA, 415, "unsupported-media-type", "the body must be JSON")   \
	X(EPENDING, 400, "authorization-pending", "sign-in not finished yet") \
	X(ESTORE, 503, "store-unavailable", "store or audit unavailable")    \
	X(EBUSY, 503, "busy", "server busy")                                 \
	X(EIDP, 502, "identity-provider-unavailable",                       \
	  "the identity provider cannot be reached")                        \
	X(ENOMEM, 500, "internal", "out of memory")                          \
	X(EINTERNAL, 500, "internal", "internal error")

enum jg_err {
#define JG_ERR_ENUM(name, status, slug, msg) JG_##name,
	JG_ERR_MAP(JG_ERR_ENUM)
#undef JG_ERR_ENUM
};

/* Static strings; never NULL. */
const char *jg_strerror(enum jg_err e);
const char *jg_err_slug(enum jg_err e);
int jg_err_status(enum jg_err e);

#endif
