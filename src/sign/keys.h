/*
 * keys.h - the server's keys for signing grant tokens, kept on disk.
 *
 * A key directory (default var/keys, `jitgate serve --keys-dir`) holds
 * P-256 private keys as unencrypted PKCS#8 PEM files named
 * CREATED-KID.pem (CREATED in Unix seconds, KID the key's RFC 7638
 * thumbprint), mode 0600, in a directory no one else may write to. The
 * newest key is current: it signs. An older key was retired when the next
 * one was created and stays published (its public half in the JWKS) until
 * every token it signed has expired, JG_TOKEN_TTL_MAX + JG_KEYS_SKEW after
 * its retirement; a rotation deletes keys past that.
 *
 * Several servers may share one directory: creating the first key and
 * rotating take an flock(2) on DIR/.lock, and every call first checks the
 * directory's mtime and re-reads it when it changed, so a rotation made
 * by one server is seen by the others on their next call.
 *
 * A key file that is readable by others, is not a P-256 key or cannot be
 * read stops jg_keys_open (start-up); later re-reads that fail keep the
 * keys already in memory. Thread-safe: one keyring serves every thread.
 * Private keys never leave this module and its PEM files.
 */
#ifndef JG_SIGN_KEYS_H
#define JG_SIGN_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sign/jwt.h"

#define JG_TOKEN_TTL_MAX 300 /* seconds a grant token lives at most */
#define JG_KEYS_SKEW 60      /* clock skew allowed when verifying */
#define JG_KEYS_MAX 16       /* key files in one directory */

struct jg_keys;

/*
 * Open the key directory dir (created with mode 0700 when missing, with
 * its parents); when it holds no key yet, generate the first one, created
 * at now. *out: free with jg_keys_free. On failure err says why.
 */
enum jg_err jg_keys_open(const char *dir, int64_t now, struct jg_keys **out,
                         char *err, size_t errlen);
void jg_keys_free(struct jg_keys *k); /* NULL-safe */

/*
 * Sign claims (borrowed) with the current key: *token is malloc'd (the
 * caller frees it), kid receives the key's id.
 */
enum jg_err jg_keys_sign(struct jg_keys *k, const json_t *claims,
                         char **token, char kid[JG_KID_LEN]);

/*
 * Verify token against the keys published at now (see jg_jwt_verify,
 * with JG_KEYS_SKEW of tolerance). *claims: a new reference when JG_OK.
 */
enum jg_err jg_keys_verify(struct jg_keys *k, const char *token, int64_t now,
                           json_t **claims, char kid[JG_KID_LEN],
                           char why[JG_WHY_MAX]);

/* The JWKS document {"keys": [...]} published at now, the current key
 * first; a new reference, NULL on ENOMEM. */
json_t *jg_keys_jwks(struct jg_keys *k, int64_t now);

/*
 * Rotate: a new key, created at now (or just after the newest, when the
 * clock says otherwise), becomes current and is on disk when this
 * returns; kid receives its id and prev the id of the key it replaces.
 * Keys retired long enough ago are deleted. JG_ECONFLICT when
 * JG_KEYS_MAX keys are still published.
 */
enum jg_err jg_keys_rotate(struct jg_keys *k, int64_t now,
                           char kid[JG_KID_LEN], char prev[JG_KID_LEN],
                           char *err, size_t errlen);

/* Undo a rotation that could not be recorded: delete the key kid. */
enum jg_err jg_keys_remove(struct jg_keys *k, const char *kid);

#endif
