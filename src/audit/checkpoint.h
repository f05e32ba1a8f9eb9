/*
 * checkpoint.h - signed checkpoints of the audit trail, as Certificate
 * Transparency's signed tree heads.
 *
 * The hash chain (audit.h) shows an edit in the middle of the trail, but
 * not a trail cut short, nor one rewritten whole from a new genesis: both
 * are consistent chains. A checkpoint pins the trail: a key kept apart
 * from the database signs "the event at seq has hash H" (the hash of
 * event seq covers every event before it), and the server writes the
 * checkpoint to the store and, one line per checkpoint, to an append-only
 * file outside the database's reach (the sink). Anyone holding the public
 * key then checks, without the server, that the trail still reaches each
 * signed seq with the signed hash.
 *
 * The key is Ed25519 in its own PEM file (mode 0600, read and written as
 * sign/keyfile.h does), created on first use, its public half beside it
 * in FILE.pub. The signed message is the text
 * "jitgate-checkpoint-v1 SEQ HASH TS" (TS in Unix seconds); the key id is
 * the first 16 hex digits of the SHA-256 of the raw public key.
 *
 * A sink line: {"seq":N,"hash":"…","time":"RFC 3339","key_id":"…",
 * "signature":"base64url"}. Never holds anything secret.
 */
#ifndef JG_AUDIT_CHECKPOINT_H
#define JG_AUDIT_CHECKPOINT_H

#include <stdio.h>

#include <openssl/evp.h>

#include "audit/audit.h"
#include "store/store.h"

#define JG_CKPT_LINE_MAX 512 /* a sink line is shorter than this */

/*
 * The checkpoint key in path: read it (refused when others may read it),
 * or, when the file is missing, generate it (mode 0600). Either way
 * path.pub is (re)written with its public half when missing. *key: free
 * with EVP_PKEY_free. Non-OK with err set.
 */
enum jg_err jg_ckpt_key_open(const char *path, EVP_PKEY **key, char *err,
                             size_t errlen);

/* A public key to verify with, from path (PEM, as FILE.pub holds it).
 * Non-OK with err set. */
enum jg_err jg_ckpt_pub_read(const char *path, EVP_PKEY **key, char *err,
                             size_t errlen);

/* out: the key id of key (public or private). */
enum jg_err jg_ckpt_key_id(EVP_PKEY *key, char out[JG_CKPT_KID_LEN]);

/* Sign cp->seq, cp->hash and cp->ts with key: fills key_id and sig. */
enum jg_err jg_ckpt_sign(EVP_PKEY *key, struct jg_checkpoint *cp);

/* 1 when cp carries key's id and a valid signature by it, else 0. */
int jg_ckpt_sig_ok(EVP_PKEY *pub, const struct jg_checkpoint *cp);

/* The sink line of cp, with its newline, into out. */
void jg_ckpt_line(const struct jg_checkpoint *cp,
                  char out[JG_CKPT_LINE_MAX]);

/* Parse one sink line. JG_EINVAL with why when it is not one. */
enum jg_err jg_ckpt_parse(const char *line, struct jg_checkpoint *cp,
                          char why[JG_WHY_MAX]);

/* 1 when the sink path lies inside directory dir (both resolved). */
int jg_ckpt_sink_inside(const char *path, const char *dir);

/*
 * Open the sink for appending (created 0644 when missing); refused when
 * it is not a regular file. Returns the fd, or -1 with err set.
 */
int jg_ckpt_sink_open(const char *path, char *err, size_t errlen);

/* Append cp's line to the sink fd and fsync it. */
enum jg_err jg_ckpt_sink_write(int fd, const struct jg_checkpoint *cp);

/*
 * Checkpoints to verify a trail against: every line of a sink file, each
 * signature checked with pub, sorted by seq. *out: malloc'd array of *n
 * (free it). JG_EINVAL with why (naming the line) when a line is not a
 * checkpoint or its signature is not pub's.
 */
enum jg_err jg_ckpt_read_sink(FILE *f, EVP_PKEY *pub,
                              struct jg_checkpoint **out, size_t *n,
                              char why[JG_WHY_MAX]);

/*
 * Verify an audit export (NDJSON, one event per line as the API shows
 * it) read from f: the hash chain, then every checkpoint in cps (sorted
 * by seq). Fills rep like jg_audit_verify, naming the first event that
 * is missing or changed. Non-OK only when reading fails or memory runs
 * out; an unreadable line is a broken trail, not an error.
 */
enum jg_err jg_ckpt_verify_export(FILE *f, const struct jg_checkpoint *cps,
                                  size_t n, struct jg_audit_report *rep);

#endif
