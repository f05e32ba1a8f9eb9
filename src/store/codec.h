/*
 * codec.h - the small JSON encodings store backends share for list-valued
 * columns (a request's steps, a token's groups), so every backend writes
 * the same text.
 */
#ifndef JG_CODEC_H
#define JG_CODEC_H

#include "core/model.h"

/* The tokens columns, in the order every backend reads them. */
#define JG_CODEC_TOKEN_COLS                                              \
	"id, digest, principal, service, groups, roles, description, "   \
	"created_by, created_at, revoked_at, expires_at, last_used_at"

/* What /metrics counts in the store (the tally op), the same SQL on
 * every backend: requests by state and rule; notifications by state with
 * their failed attempts (every attempt but the one that delivered). */
#define JG_CODEC_TALLY_SQL                                                \
	"SELECT 'request', state, rule, count(*), 0 FROM requests"        \
	" GROUP BY state, rule UNION ALL"                                 \
	" SELECT 'outbox', state, '', count(*), coalesce(sum(CASE WHEN"   \
	" state = 'delivered' THEN attempts - 1 ELSE attempts END), 0)"   \
	" FROM outbox GROUP BY state"

/* Returns a malloc'd JSON array the caller frees, or NULL on ENOMEM. */
char *jg_codec_steps_encode(const struct jg_step *steps, size_t n);
char *jg_codec_groups_encode(const struct jg_principal *who);

/* JG_EINTERNAL when text is not what encode wrote (a corrupt row). */
enum jg_err jg_codec_steps_decode(const char *text,
                                  struct jg_step steps[JG_STEPS_MAX],
                                  size_t *n);
enum jg_err jg_codec_groups_decode(const char *text, struct jg_principal *who);

/*
 * A session's person (the sessions.person column): who signed in at the
 * identity provider (groups, roles, auth_time, mfa) and the provider's
 * issuer and subject, as JSON text; "" for a session opened with a
 * jitgate token. encode: malloc'd, the caller frees; NULL on ENOMEM.
 * decode: fills s->who (but its name, from the principal column),
 * s->issuer and s->subject; "" leaves them empty; JG_EINTERNAL for text
 * encode did not write (a corrupt row).
 */
#define JG_CODEC_SESSION_COLS                                            \
	"digest, token_id, csrf, created_at, expires_at, kind, principal, " \
	"person"
struct jg_session;
char *jg_codec_person_encode(const struct jg_session *s);
enum jg_err jg_codec_person_decode(const char *text, struct jg_session *s);

/*
 * A checkpoints row (seq, hash, ts, key_id, sig as stored) into out, the
 * same for every backend. JG_EINTERNAL when a text column does not fit
 * (a corrupt row).
 */
struct jg_checkpoint;
enum jg_err jg_codec_checkpoint(int64_t seq, const char *hash, int64_t ts,
                                const char *key_id, const char *sig,
                                struct jg_checkpoint *out);

struct jg_pgcred;
/* The columns of the pgcreds table, in the order both backends use. */
#define JG_CODEC_PGCRED_COLS \
	"grant_id, resource, role, created_at, valid_until, dropped_at"
/* One pgcreds row into out; JG_EINTERNAL when a value does not fit. */
enum jg_err jg_codec_pgcred(const char *grant_id, const char *resource,
                            const char *role, int64_t created_at,
                            int64_t valid_until, int64_t dropped_at,
                            struct jg_pgcred *out);

#endif
