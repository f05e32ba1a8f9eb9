/*
 * keyfile.c - see keyfile.h. Never prints a key, only paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "sign/keyfile.h"
#include "util/crypto.h"

/* An encrypted PEM gets no passphrase (and no prompt on a terminal). */
static int no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* The open fd of a key file fit to hold a secret, or -1 with err. */
static int open_safe(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int saved = errno;
		jg_crypto_errf(JG_EINVAL, err, errlen, "cannot open key file %s: %s", path,
		     strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		jg_crypto_errf(JG_EINVAL, err, errlen, "key file %s is not a regular file", path);
	else if (st.st_uid != geteuid())
		jg_crypto_errf(JG_EINVAL, err, errlen, "key file %s belongs to another user", path);
	else if (st.st_mode & 077)
		jg_crypto_errf(JG_EINVAL, err, errlen, "key file %s may be read by others (mode "
		     "%03o): chmod 600 it", path,
		     (unsigned)(st.st_mode & 0777));
	else
		return fd;
	close(fd);
	errno = EPERM;
	return -1;
}

EVP_PKEY *jg_keyfile_read(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	FILE *f;
	int fd = open_safe(path, err, errlen);

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		jg_crypto_errf(JG_EINVAL, err, errlen, "cannot read key file %s", path);
		errno = EIO;
		return NULL;
	}
	pkey = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (!pkey) {
		jg_crypto_errf(JG_EINVAL, err, errlen, "key file %s does not hold an unencrypted "
		     "private key (PEM)", path);
		errno = EINVAL;
	}
	return pkey;
}

int jg_keyfile_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

/* fsync the directory holding path. */
static int fsync_parent(const char *path)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	return jg_keyfile_fsync_dir(dirname(dir));
}

int jg_keyfile_write(const char *path, const char *tmp, EVP_PKEY *pkey,
                     int pub, char *err, size_t errlen)
{
	FILE *f = NULL;
	mode_t mode = pub ? 0644 : 0600;
	int fd, ok;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          mode);
	ok = fd >= 0 && fchmod(fd, mode) == 0 && (f = fdopen(fd, "w")) &&
	     (pub ? PEM_write_PUBKEY(f, pkey)
	          : PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL,
	                                 NULL)) == 1 &&
	     fflush(f) == 0 && fsync(fd) == 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	else if (fd >= 0)
		close(fd);
	ok = ok && rename(tmp, path) == 0 && fsync_parent(path) == 0;
	if (!ok) {
		int saved = errno;
		unlink(tmp);
		jg_crypto_errf(JG_EINVAL, err, errlen, "cannot write key file %s: %s", path,
		     strerror(saved));
		return -1;
	}
	return 0;
}

enum jg_err jg_keyfile_ed25519(const char *path, const char *what, EVP_PKEY **key,
                       char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	EVP_PKEY *k = jg_keyfile_read(path, err, errlen);

	*key = NULL;
	if (!k && errno != ENOENT)
		return JG_EINVAL;
	if (!k) { /* first start: make the key */
		if (snprintf(tmp, sizeof(tmp), "%s.new", path) >=
		    (int)sizeof(tmp))
			return jg_crypto_errf(JG_EINVAL, err, errlen,
			                      "key path too long");
		unlink(tmp); /* left by a crash */
		if (!(k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")))
			return jg_crypto_errf(JG_EINTERNAL, err, errlen,
			                      "cannot generate an Ed25519 key");
		if (jg_keyfile_write(path, tmp, k, 0, err, errlen) != 0) {
			EVP_PKEY_free(k);
			return JG_EINTERNAL;
		}
	} else if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		return jg_crypto_errf(JG_EINVAL, err, errlen,
		                      "%s %s is not an Ed25519 key", what, path);
	}
	*key = k;
	return JG_OK;
}
