/*
 * keyfile.h - one private key in one PEM file, read and written the
 * careful way. Shared by the grant token keys (keys.c) and the audit
 * checkpoint key (audit/checkpoint.c), so both refuse the same things.
 *
 * Reading refuses symlinks, non-regular files, files owned by another
 * user (who could plant a key) and files others may read (a signing key
 * readable by everyone is not a secret any more). Writing goes to a
 * temporary name created with O_EXCL and mode 0600, flushed and fsync'd,
 * then renamed into place and the directory fsync'd, so a crash leaves
 * either no key or a whole one.
 */
#ifndef JG_SIGN_KEYFILE_H
#define JG_SIGN_KEYFILE_H

#include <stddef.h>

#include <openssl/evp.h>

#include "util/err.h"

/*
 * The unencrypted PKCS#8 private key in path; the caller frees it with
 * EVP_PKEY_free. NULL with err set when the file is missing (errno
 * ENOENT then), unsafe or holds no private key.
 */
EVP_PKEY *jg_keyfile_read(const char *path, char *err, size_t errlen);

/*
 * Write pkey (borrowed) to path as PEM: the private key (mode 0600) when
 * pub is 0, its public half (SubjectPublicKeyInfo, mode 0644) when 1.
 * tmp is the temporary name in the same directory (must not exist).
 * 0, or -1 with err set and nothing left behind.
 */
int jg_keyfile_write(const char *path, const char *tmp, EVP_PKEY *pkey,
                     int pub, char *err, size_t errlen);

/*
 * The Ed25519 private key in path, made (mode 0600) when path is missing;
 * the caller frees *key with EVP_PKEY_free. what names the key in
 * messages ("checkpoint key"). JG_OK, or JG_EINVAL (unsafe file, another
 * kind of key) / JG_EINTERNAL (cannot make it) with err set and *key NULL.
 */
enum jg_err jg_keyfile_ed25519(const char *path, const char *what, EVP_PKEY **key,
                               char *err, size_t errlen);

/* fsync the directory dir: makes a rename in it durable. 0 or -1. */
int jg_keyfile_fsync_dir(const char *dir);

#endif
