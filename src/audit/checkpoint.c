/*
 * checkpoint.c - signing, writing and checking audit checkpoints (see
 * checkpoint.h). Never prints or returns the private key; the sink only
 * ever receives public facts (seq, hash, time, key id, signature).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "audit/checkpoint.h"
#include "core/limits.h"
#include "sign/keyfile.h"
#include "util/b64url.h"
#include "util/crypto.h"
#include "util/timefmt.h"

#define SIG_BYTES 64 /* Ed25519 */
#define MSG_MAX 128
/* An export line: an event's details hold at most a request body's
 * worth (a policy replay's is the largest), with room to spare. */
#define EVENT_LINE_MAX (2 * JG_BIG_BODY_MAX)

/* ---- the key --------------------------------------------------------- */

static int is_ed25519(EVP_PKEY *k)
{
	return EVP_PKEY_get_id(k) == EVP_PKEY_ED25519;
}

/* Write path.pub from key when it is missing. */
static enum jg_err write_pub(const char *path, EVP_PKEY *key, char *err,
                             size_t errlen)
{
	char pub[PATH_MAX], tmp[PATH_MAX];
	struct stat st;

	if (snprintf(pub, sizeof(pub), "%s.pub", path) >= (int)sizeof(pub) ||
	    snprintf(tmp, sizeof(tmp), "%s.pub.new", path) >= (int)sizeof(tmp))
		return jg_crypto_errf(JG_EINVAL, err, errlen, "key path too long");
	if (lstat(pub, &st) == 0)
		return JG_OK;
	unlink(tmp); /* left by a crash */
	return jg_keyfile_write(pub, tmp, key, 1, err, errlen) == 0
	               ? JG_OK
	               : JG_EINTERNAL;
}

enum jg_err jg_ckpt_key_open(const char *path, EVP_PKEY **key, char *err,
                             size_t errlen)
{
	EVP_PKEY *k;
	enum jg_err e = jg_keyfile_ed25519(path, "checkpoint key", &k, err,
	                                   errlen);

	*key = NULL;
	if (e != JG_OK)
		return e;
	if (write_pub(path, k, err, errlen) != JG_OK) {
		EVP_PKEY_free(k);
		return JG_EINTERNAL;
	}
	*key = k;
	return JG_OK;
}

enum jg_err jg_ckpt_pub_read(const char *path, EVP_PKEY **key, char *err,
                             size_t errlen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = NULL;

	*key = NULL;
	if (!f)
		return jg_crypto_errf(JG_EINVAL, err, errlen, "cannot open '%s': %s",
		            path, strerror(errno));
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!k || !is_ed25519(k)) {
		EVP_PKEY_free(k);
		return jg_crypto_errf(JG_EINVAL, err, errlen, "'%s' holds no Ed25519 "
		            "public key (PEM)", path);
	}
	*key = k;
	return JG_OK;
}

enum jg_err jg_ckpt_key_id(EVP_PKEY *key, char out[JG_CKPT_KID_LEN])
{
	unsigned char raw[32];
	size_t len = sizeof(raw);
	char hex[JG_SHA256_HEX];

	if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1) {
		ERR_clear_error();
		return JG_EINTERNAL;
	}
	jg_sha256_hex(raw, len, hex);
	snprintf(out, JG_CKPT_KID_LEN, "%.16s", hex);
	return JG_OK;
}

/* ---- signing --------------------------------------------------------- */

static int message(const struct jg_checkpoint *cp, char out[MSG_MAX])
{
	return snprintf(out, MSG_MAX, "jitgate-checkpoint-v1 %lld %s %lld",
	                (long long)cp->seq, cp->hash, (long long)cp->ts);
}

enum jg_err jg_ckpt_sign(EVP_PKEY *key, struct jg_checkpoint *cp)
{
	unsigned char sig[SIG_BYTES];
	size_t siglen = sizeof(sig);
	char msg[MSG_MAX];
	int len = message(cp, msg);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
	         EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg,
	                        (size_t)len) == 1;

	EVP_MD_CTX_free(md);
	if (!ok || jg_ckpt_key_id(key, cp->key_id) != JG_OK) {
		ERR_clear_error();
		return JG_EINTERNAL;
	}
	jg_b64url_encode(sig, siglen, cp->sig);
	return JG_OK;
}

int jg_ckpt_sig_ok(EVP_PKEY *pub, const struct jg_checkpoint *cp)
{
	unsigned char sig[SIG_BYTES + 4];
	char msg[MSG_MAX], kid[JG_CKPT_KID_LEN];
	long siglen = jg_b64url_decode(cp->sig, strlen(cp->sig), sig,
	                               sizeof(sig));
	int len = message(cp, msg), ok;
	EVP_MD_CTX *md;

	if (siglen != SIG_BYTES || jg_ckpt_key_id(pub, kid) != JG_OK ||
	    strcmp(kid, cp->key_id) != 0)
		return 0;
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub) == 1 &&
	     EVP_DigestVerify(md, sig, (size_t)siglen,
	                      (const unsigned char *)msg, (size_t)len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* ---- sink lines ------------------------------------------------------ */

void jg_ckpt_line(const struct jg_checkpoint *cp, char out[JG_CKPT_LINE_MAX])
{
	char at[JG_TIME_LEN];

	jg_time_format(cp->ts, at);
	snprintf(out, JG_CKPT_LINE_MAX,
	         "{\"seq\":%lld,\"hash\":\"%s\",\"time\":\"%s\","
	         "\"key_id\":\"%s\",\"signature\":\"%s\"}\n",
	         (long long)cp->seq, cp->hash, at, cp->key_id, cp->sig);
}

/* Copy string member key of o into dst (size bytes); -1 when absent or
 * too long. */
static int member(json_t *o, const char *key, char *dst, size_t size)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || strlen(v) >= size)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

enum jg_err jg_ckpt_parse(const char *line, struct jg_checkpoint *cp,
                          char why[JG_WHY_MAX])
{
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	json_t *seq = json_object_get(o, "seq");
	char at[JG_TIME_LEN];
	int bad;

	memset(cp, 0, sizeof(*cp));
	bad = !json_is_object(o) || !json_is_integer(seq) ||
	      member(o, "hash", cp->hash, sizeof(cp->hash)) ||
	      member(o, "time", at, sizeof(at)) ||
	      member(o, "key_id", cp->key_id, sizeof(cp->key_id)) ||
	      member(o, "signature", cp->sig, sizeof(cp->sig)) ||
	      jg_time_parse(at, &cp->ts) != JG_OK;
	if (!bad)
		cp->seq = (int64_t)json_integer_value(seq);
	json_decref(o);
	if (bad || cp->seq < 1 || strlen(cp->hash) != JG_SHA256_HEX - 1)
		return jg_crypto_errf(JG_EINVAL, why, JG_WHY_MAX, "not a checkpoint "
		            "line (seq, hash, time, key_id, signature)");
	return JG_OK;
}

/* ---- the sink file --------------------------------------------------- */

int jg_ckpt_sink_inside(const char *path, const char *dir)
{
	char rp[PATH_MAX], rd[PATH_MAX], parent[PATH_MAX];
	size_t n;

	snprintf(parent, sizeof(parent), "%s", path);
	if (!realpath(dirname(parent), rp) || !realpath(dir, rd))
		return 0;
	n = strlen(rd);
	return strncmp(rp, rd, n) == 0 && (rp[n] == '\0' || rp[n] == '/' ||
	                                   strcmp(rd, "/") == 0);
}

int jg_ckpt_sink_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	                        O_CLOEXEC, 0644);
	if (fd < 0) {
		jg_crypto_errf(JG_EINVAL, err, errlen, "cannot open checkpoint sink %s: "
		     "%s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		jg_crypto_errf(JG_EINVAL, err, errlen, "checkpoint sink %s is not a "
		     "regular file", path);
		return -1;
	}
	return fd;
}

enum jg_err jg_ckpt_sink_write(int fd, const struct jg_checkpoint *cp)
{
	char line[JG_CKPT_LINE_MAX];
	size_t len;

	jg_ckpt_line(cp, line);
	len = strlen(line);
	/* one write(2) with O_APPEND: a whole line, never interleaved */
	if (write(fd, line, len) != (ssize_t)len || fsync(fd) != 0)
		return JG_EINTERNAL;
	return JG_OK;
}

/* ---- verifying ------------------------------------------------------- */

static int by_seq(const void *a, const void *b)
{
	const struct jg_checkpoint *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Append cp to the growing array *arr of *n (capacity *cap). */
static enum jg_err push(struct jg_checkpoint **arr, size_t *n, size_t *cap,
                        const struct jg_checkpoint *cp)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct jg_checkpoint *na = realloc(*arr, nc * sizeof(*na));
		if (!na)
			return JG_ENOMEM;
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = *cp;
	return JG_OK;
}

enum jg_err jg_ckpt_read_sink(FILE *f, EVP_PKEY *pub,
                              struct jg_checkpoint **out, size_t *n,
                              char why[JG_WHY_MAX])
{
	struct jg_checkpoint cp, *arr = NULL;
	char *line = NULL, msg[JG_WHY_MAX];
	size_t cap = 0, lcap = 0, lineno = 0;
	enum jg_err e = JG_OK;
	ssize_t len;

	*out = NULL;
	*n = 0;

	while (e == JG_OK && (len = getline(&line, &lcap, f)) > 0) {
		lineno++;
		if (line[0] == '\n')
			continue;
		if (len >= JG_CKPT_LINE_MAX)
			e = jg_crypto_errf(JG_EINVAL, why, JG_WHY_MAX, "line %zu: longer "
			         "than any checkpoint", lineno);
		else if ((e = jg_ckpt_parse(line, &cp, msg)) != JG_OK)
			jg_crypto_errf(e, why, JG_WHY_MAX, "line %zu: %s", lineno, msg);
		else if (!jg_ckpt_sig_ok(pub, &cp))
			e = jg_crypto_errf(JG_EINVAL, why, JG_WHY_MAX, "line %zu: the "
			         "signature of seq %lld is not this public "
			         "key's", lineno, (long long)cp.seq);
		else
			e = push(&arr, n, &cap, &cp);
	}
	free(line);
	if (e == JG_OK && ferror(f))
		e = jg_crypto_errf(JG_EINVAL, why, JG_WHY_MAX, "cannot read the "
		         "checkpoints: %s", strerror(errno));
	if (e != JG_OK) {
		free(arr);
		*n = 0;
		return e;
	}
	if (*n)
		qsort(arr, *n, sizeof(*arr), by_seq);
	*out = arr;
	return JG_OK;
}

/* An export line into ev (ev->details malloc'd). -1 when it is not one. */
static int event_of(const char *line, struct jg_event *ev)
{
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	json_t *seq = json_object_get(o, "seq");
	json_t *details = json_object_get(o, "details");
	char at[JG_TIME_LEN];
	int bad;

	memset(ev, 0, sizeof(*ev));
	bad = !json_is_integer(seq) || !json_is_object(details) ||
	      member(o, "id", ev->id, sizeof(ev->id)) ||
	      member(o, "time", at, sizeof(at)) ||
	      member(o, "actor", ev->actor, sizeof(ev->actor)) ||
	      member(o, "type", ev->type, sizeof(ev->type)) ||
	      member(o, "subject", ev->subject, sizeof(ev->subject)) ||
	      member(o, "prev_hash", ev->prev_hash, sizeof(ev->prev_hash)) ||
	      member(o, "hash", ev->hash, sizeof(ev->hash)) ||
	      jg_time_parse(at, &ev->ts) != JG_OK;
	if (!bad) {
		ev->seq = (int64_t)json_integer_value(seq);
		ev->details = json_dumps(details,
		                         JSON_COMPACT | JSON_SORT_KEYS);
		bad = !ev->details;
	}
	json_decref(o);
	return bad ? -1 : 0;
}

enum jg_err jg_ckpt_verify_export(FILE *f, const struct jg_checkpoint *cps,
                                  size_t n, struct jg_audit_report *rep)
{
	struct jg_audit_verifier v;
	struct jg_event ev;
	char *line = NULL;
	size_t lcap = 0;
	int stop = 0;
	ssize_t len;

	jg_audit_verifier_init(&v, rep, cps, n);
	while (!stop && (len = getline(&line, &lcap, f)) > 0) {
		if (len > EVENT_LINE_MAX || event_of(line, &ev) != 0) {
			snprintf(rep->reason, sizeof(rep->reason), "line %lld "
			         "of the export is not an audit event",
			         (long long)rep->count + 1);
			rep->ok = 0;
			rep->broken_seq = rep->count + 1;
			break;
		}
		stop = jg_audit_verifier_event(&ev, &v);
		free(ev.details);
	}
	free(line);
	if (!v.err && ferror(f))
		v.err = JG_EINTERNAL;
	if (v.err)
		v.ncps = v.icp;
	jg_audit_verifier_end(&v);
	return v.err;
}
