/*
 * keys.c - the key directory: PEM files in, signatures and a JWKS out.
 *
 * Each file is read and written the careful way of sign/keyfile.h; the
 * directory itself must not be owned by another user (who could plant a
 * key).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "sign/keyfile.h"
#include "sign/keys.h"
#include "util/crypto.h"
#include "util/log.h"

struct key {
	int64_t created;
	char kid[JG_KID_LEN];
	EVP_PKEY *pkey; /* owned; holds the private key */
};

/* The keys of one directory, oldest first; the last one is current. */
struct ring {
	struct key keys[JG_KEYS_MAX];
	size_t n;
};

struct jg_keys {
	char *dir;
	pthread_rwlock_t lock; /* guards ring and mtime */
	struct ring ring;
	struct timespec mtime; /* of dir when ring was read */
};

static void ring_clear(struct ring *r)
{
	for (size_t i = 0; i < r->n; i++)
		EVP_PKEY_free(r->keys[i].pkey);
	r->n = 0;
}

static int errf(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	jg_crypto_verrf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Until when key i of r is published (INT64_MAX: it is current). */
static int64_t published_until(const struct ring *r, size_t i)
{
	if (i + 1 >= r->n)
		return INT64_MAX;
	return r->keys[i + 1].created + JG_TOKEN_TTL_MAX + JG_KEYS_SKEW;
}

/* ---- reading ----------------------------------------------------------- */

/* "CREATED-KID.pem": 1 and *created when name is a key file's name. */
static int key_name(const char *name, int64_t *created)
{
	const char *p = name, *dash;
	size_t len = strlen(name);
	int64_t t = 0;

	if (len < 6 || strcmp(name + len - 4, ".pem") != 0)
		return 0;
	for (; *p >= '0' && *p <= '9' && p - name < 15; p++)
		t = t * 10 + (*p - '0');
	dash = p;
	if (dash == name || *dash != '-' || dash + 1 >= name + len - 4)
		return 0;
	for (p = dash + 1; p < name + len - 4; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	*created = t;
	return 1;
}

static int read_key(const char *dir, const char *name, struct key *k,
                    char *err, size_t errlen)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(k->pkey = jg_keyfile_read(path, err, errlen)))
		return -1;
	if (!jg_jwt_key_ok(k->pkey) || jg_jwk_kid(k->pkey, k->kid) != JG_OK) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return errf(err, errlen, "key file %s does not hold an "
		            "unencrypted P-256 private key (PEM)", path);
	}
	return 0;
}

static int by_created(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->kid, y->kid);
}

/* Read every key file of dir into r (empty on entry). */
static int load_ring(const char *dir, struct ring *r, char *err,
                     size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int64_t created;
	int rc = 0;

	if (!d)
		return errf(err, errlen, "cannot open key directory %s: %s", dir,
		            strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		if (!key_name(de->d_name, &created))
			continue;
		if (r->n == JG_KEYS_MAX) {
			rc = errf(err, errlen, "key directory %s holds more than "
			          "%d keys", dir, JG_KEYS_MAX);
			break;
		}
		r->keys[r->n].created = created;
		if ((rc = read_key(dir, de->d_name, &r->keys[r->n], err,
		                   errlen)) == 0)
			r->n++;
	}
	closedir(d);
	if (rc != 0) {
		ring_clear(r);
		return rc;
	}
	qsort(r->keys, r->n, sizeof(r->keys[0]), by_created);
	return 0;
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * Re-read the directory when it changed since it was last read. A failed
 * re-read keeps the keys in memory (and says so once on stderr).
 */
static void refresh(struct jg_keys *k)
{
	struct ring fresh = {0};
	struct stat st;
	char err[512];
	int same;

	if (stat(k->dir, &st) != 0)
		return;
	pthread_rwlock_rdlock(&k->lock);
	same = same_time(&st.st_mtim, &k->mtime);
	pthread_rwlock_unlock(&k->lock);
	if (same)
		return;
	pthread_rwlock_wrlock(&k->lock);
	if (!same_time(&st.st_mtim, &k->mtime)) {
		k->mtime = st.st_mtim;
		int rc = load_ring(k->dir, &fresh, err, sizeof(err));
		if (rc == 0 && fresh.n == 0)
			rc = errf(err, sizeof(err), "%s holds no key", k->dir);
		if (rc != 0) {
			jg_log(JG_LOG_ERROR, "keys: %s; keeping the keys "
			       "read before", err);
		} else {
			ring_clear(&k->ring);
			k->ring = fresh;
		}
	}
	pthread_rwlock_unlock(&k->lock);
}

/* ---- writing ----------------------------------------------------------- */

/* Generate a key created at `created` and write it to dir. */
static int new_key(const char *dir, int64_t created, struct key *k,
                   char *err, size_t errlen)
{
	char tmp[4096], path[4096];

	memset(k, 0, sizeof(*k));
	k->created = created;
	if (!(k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) ||
	    jg_jwk_kid(k->pkey, k->kid) != JG_OK) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return errf(err, errlen, "cannot generate a P-256 key");
	}
	snprintf(tmp, sizeof(tmp), "%s/.new-%s", dir, k->kid);
	snprintf(path, sizeof(path), "%s/%lld-%s.pem", dir, (long long)created,
	         k->kid);
	if (jg_keyfile_write(path, tmp, k->pkey, 0, err, errlen) != 0) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return -1;
	}
	return 0;
}

/* mkdir -p with mode 0700; then refuse a directory others may write. */
static int make_dir(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	struct stat st;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return errf(err, errlen, "bad key directory '%s'", dir);
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return errf(err, errlen, "cannot create %s: %s", path,
			            strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return errf(err, errlen, "cannot create key directory %s: %s",
		            dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return errf(err, errlen, "key directory %s is not a directory",
		            dir);
	if (st.st_uid != geteuid())
		return errf(err, errlen, "key directory %s belongs to another "
		            "user", dir);
	if (st.st_mode & 022)
		return errf(err, errlen, "key directory %s may be written by "
		            "others (mode %03o): chmod 700 it", dir,
		            (unsigned)(st.st_mode & 0777));
	return 0;
}

/* An exclusive lock on DIR/.lock, across processes; -1 on failure. */
static int lock_dir(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		errf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void unlock_dir(int fd)
{
	close(fd); /* releases the flock */
}

/* ---- the keyring ------------------------------------------------------- */

enum jg_err jg_keys_open(const char *dir, int64_t now, struct jg_keys **out,
                         char *err, size_t errlen)
{
	struct jg_keys *k;
	struct stat st;
	int lk, rc;

	*out = NULL;
	if (make_dir(dir, err, errlen) != 0)
		return JG_EINVAL;
	if (!(k = calloc(1, sizeof(*k))) || !(k->dir = strdup(dir))) {
		free(k);
		return JG_ENOMEM;
	}
	pthread_rwlock_init(&k->lock, NULL);
	if ((lk = lock_dir(dir, err, errlen)) < 0) {
		jg_keys_free(k);
		return JG_EINVAL;
	}
	rc = stat(dir, &st) == 0 ? 0 : -1;
	k->mtime = st.st_mtim;
	if (rc == 0)
		rc = load_ring(dir, &k->ring, err, errlen);
	if (rc == 0 && k->ring.n == 0) {
		rc = new_key(dir, now, &k->ring.keys[0], err, errlen);
		k->ring.n = rc == 0;
	}
	unlock_dir(lk);
	if (rc != 0) {
		jg_keys_free(k);
		return JG_EINVAL;
	}
	*out = k;
	return JG_OK;
}

void jg_keys_free(struct jg_keys *k)
{
	if (!k)
		return;
	ring_clear(&k->ring);
	pthread_rwlock_destroy(&k->lock);
	free(k->dir);
	free(k);
}

enum jg_err jg_keys_sign(struct jg_keys *k, const json_t *claims,
                         char **token, char kid[JG_KID_LEN])
{
	EVP_PKEY *pkey;
	enum jg_err e;

	refresh(k);
	pthread_rwlock_rdlock(&k->lock);
	pkey = k->ring.keys[k->ring.n - 1].pkey;
	memcpy(kid, k->ring.keys[k->ring.n - 1].kid, JG_KID_LEN);
	EVP_PKEY_up_ref(pkey); /* a re-read may free the ring meanwhile */
	pthread_rwlock_unlock(&k->lock);
	e = jg_jwt_sign(pkey, kid, claims, token);
	EVP_PKEY_free(pkey);
	return e;
}

struct lookup {
	const struct ring *ring;
	int64_t now;
};

/* jg_jwt_key_fn: a key published at now. */
static EVP_PKEY *find_published(void *ctx, const char *kid)
{
	const struct lookup *l = ctx;

	for (size_t i = 0; i < l->ring->n; i++)
		if (strcmp(l->ring->keys[i].kid, kid) == 0 &&
		    l->now < published_until(l->ring, i))
			return l->ring->keys[i].pkey;
	return NULL;
}

enum jg_err jg_keys_verify(struct jg_keys *k, const char *token, int64_t now,
                           json_t **claims, char kid[JG_KID_LEN],
                           char why[JG_WHY_MAX])
{
	struct lookup l;
	enum jg_err e;

	refresh(k);
	pthread_rwlock_rdlock(&k->lock);
	l.ring = &k->ring;
	l.now = now;
	e = jg_jwt_verify(token, find_published, &l, now, JG_KEYS_SKEW, claims,
	                  kid, why);
	pthread_rwlock_unlock(&k->lock);
	return e;
}

json_t *jg_keys_jwks(struct jg_keys *k, int64_t now)
{
	json_t *arr = json_array(), *jwk;
	int ok = arr != NULL;

	refresh(k);
	pthread_rwlock_rdlock(&k->lock);
	for (size_t i = k->ring.n; ok && i-- > 0;) {
		if (now >= published_until(&k->ring, i))
			continue;
		jwk = jg_jwk_from_key(k->ring.keys[i].pkey, k->ring.keys[i].kid);
		ok = jwk && json_array_append_new(arr, jwk) == 0;
	}
	pthread_rwlock_unlock(&k->lock);
	if (!ok) {
		json_decref(arr);
		return NULL;
	}
	return json_pack("{s:o}", "keys", arr);
}

/* Delete the files of keys no token can need any more; keep the rest. */
static void prune(struct jg_keys *k, int64_t now)
{
	struct ring *r = &k->ring;
	char path[4096];
	size_t kept = 0;

	for (size_t i = 0; i < r->n; i++) {
		if (now < published_until(r, i)) {
			r->keys[kept++] = r->keys[i];
			continue;
		}
		snprintf(path, sizeof(path), "%s/%lld-%s.pem", k->dir,
		         (long long)r->keys[i].created, r->keys[i].kid);
		if (unlink(path) != 0 && errno != ENOENT) {
			r->keys[kept++] = r->keys[i]; /* try again next time */
			continue;
		}
		EVP_PKEY_free(r->keys[i].pkey);
	}
	r->n = kept;
}

enum jg_err jg_keys_rotate(struct jg_keys *k, int64_t now,
                           char kid[JG_KID_LEN], char prev[JG_KID_LEN],
                           char *err, size_t errlen)
{
	struct ring *r = &k->ring;
	struct stat st;
	struct ring fresh = {0};
	int64_t created;
	enum jg_err e = JG_OK;
	int lk;

	if ((lk = lock_dir(k->dir, err, errlen)) < 0)
		return JG_EINTERNAL;
	pthread_rwlock_wrlock(&k->lock);
	/* another server may have rotated: start from what is on disk */
	if (stat(k->dir, &st) == 0 &&
	    load_ring(k->dir, &fresh, err, errlen) == 0 && fresh.n) {
		ring_clear(r);
		*r = fresh;
		k->mtime = st.st_mtim;
	}
	prune(k, now);
	created = r->keys[r->n - 1].created;
	created = now > created ? now : created + 1;
	memcpy(prev, r->keys[r->n - 1].kid, JG_KID_LEN);
	if (r->n == JG_KEYS_MAX) {
		errf(err, errlen, "%d keys are still published; rotate again "
		     "in %d seconds", JG_KEYS_MAX,
		     JG_TOKEN_TTL_MAX + JG_KEYS_SKEW);
		e = JG_ECONFLICT;
	} else if (new_key(k->dir, created, &r->keys[r->n], err, errlen) != 0) {
		e = JG_EINTERNAL;
	} else {
		memcpy(kid, r->keys[r->n].kid, JG_KID_LEN);
		r->n++;
	}
	pthread_rwlock_unlock(&k->lock);
	unlock_dir(lk);
	return e;
}

enum jg_err jg_keys_remove(struct jg_keys *k, const char *kid)
{
	struct ring *r = &k->ring;
	char path[4096];
	enum jg_err e = JG_ENOTFOUND;

	pthread_rwlock_wrlock(&k->lock);
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->keys[i].kid, kid) != 0 || r->n == 1)
			continue;
		snprintf(path, sizeof(path), "%s/%lld-%s.pem", k->dir,
		         (long long)r->keys[i].created, kid);
		e = unlink(path) == 0 ? JG_OK : JG_EINTERNAL;
		EVP_PKEY_free(r->keys[i].pkey);
		memmove(&r->keys[i], &r->keys[i + 1],
		        (r->n - i - 1) * sizeof(r->keys[0]));
		r->n--;
		break;
	}
	pthread_rwlock_unlock(&k->lock);
	return e;
}
