/*
 * tzif.c - read a zone of the system tz database into a struct jg_tz.
 *
 * Why this reader exists although glibc reads the same files: glibc has
 * no API for a NAMED zone. It converts only for the process-wide zone, so
 * "08:00-19:00 Europe/Paris" next to "09:00-17:00 America/New_York" would
 * mean setenv("TZ") + tzset() + localtime_r() around every lookup --
 * process-global state that other threads read concurrently. No Debian
 * library offers a thread-safe named-zone lookup in C either (ICU does,
 * at the price of a C++ runtime and 30 MB of data for one function). So
 * each zone a policy names is read once, here, at load time, and core/tz.c
 * does the pure lookups.
 *
 * The format is RFC 8536 (TZif versions 1 to 4). Everything in the file
 * is validated before it is used -- counts against the file's size, type
 * indexes against the number of types, transitions strictly ascending,
 * offsets within a day of UTC, the footer rule parsed -- and the file is
 * read only up to JG_TZIF_MAX bytes: a corrupt or hostile file yields an
 * error, never an out-of-bounds read. The zone name is checked before any
 * path is built, so a policy cannot make the loader open ../../etc/passwd.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/tzif.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define HEADER 44
#define OFF_LIMIT (26 * 3600) /* no zone is further than this from UTC */
#define FOOTER_MAX 128

/* "?" for bytes that do not belong in a message. */
static void show(const char *s, size_t len, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < len && i + 4 < outlen; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? s[i] : '?';
	if (i < len && i + 3 < outlen) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

/* The counts of the header at buf[pos], and the size of its data block
 * with `tsize`-byte times; "" or why the header is bad. */
static const char *header(const unsigned char *buf, size_t len, size_t pos,
                          size_t tsize, struct counts *c, size_t *datalen)
{
	const unsigned char *h = buf + pos;
	uint64_t n;

	if (len - pos < HEADER)
		return "truncated header";
	if (memcmp(h, "TZif", 4) != 0)
		return "no TZif magic";
	c->isut = be32(h + 20);
	c->isstd = be32(h + 24);
	c->leap = be32(h + 28);
	c->time = be32(h + 32);
	c->type = be32(h + 36);
	c->chars = be32(h + 40);
	if (c->type == 0 || c->type > 256)
		return "number of local time types not in 1..256";
	if (c->chars == 0)
		return "no time zone designations";
	if ((c->isut && c->isut != c->type) || (c->isstd && c->isstd != c->type))
		return "indicator counts differ from the number of types";
	/* 64-bit sums of 32-bit counts cannot overflow */
	n = (uint64_t)c->time * (tsize + 1) + (uint64_t)c->type * 6 + c->chars +
	    (uint64_t)c->leap * (tsize + 4) + c->isstd + c->isut;
	if (n > len - pos - HEADER)
		return "truncated data";
	*datalen = (size_t)n;
	return "";
}

/* Fill tz from the data block after the header at buf[pos]. */
static const char *data(const unsigned char *buf, size_t pos, size_t tsize,
                        const struct counts *c, struct jg_tz *tz)
{
	const unsigned char *p = buf + pos + HEADER;
	const unsigned char *idx = p + (size_t)c->time * tsize;
	const unsigned char *types = idx + c->time;

	if (c->leap)
		return "leap seconds are not supported (use a zone outside "
		       "right/)";
	tz->times = malloc((c->time ? c->time : 1) * sizeof(*tz->times));
	tz->types = malloc(c->time ? c->time : 1);
	tz->offs = malloc(c->type * sizeof(*tz->offs));
	if (!tz->times || !tz->types || !tz->offs)
		return NULL; /* out of memory */
	for (uint32_t i = 0; i < c->time; i++) {
		const unsigned char *t = p + (size_t)i * tsize;
		tz->times[i] = tsize == 8 ? be64(t) : (int32_t)be32(t);
		if (i && tz->times[i] <= tz->times[i - 1])
			return "transition times not ascending";
		if (idx[i] >= c->type)
			return "transition names an undefined local time type";
		tz->types[i] = idx[i];
	}
	tz->ntimes = c->time;
	for (uint32_t i = 0; i < c->type; i++) {
		const unsigned char *t = types + (size_t)i * 6;
		int32_t off = (int32_t)be32(t);
		if (off < -OFF_LIMIT || off > OFF_LIMIT)
			return "UTC offset of more than 26 hours";
		if (t[4] > 1)
			return "bad DST flag";
		if (t[5] >= c->chars)
			return "designation index out of range";
		tz->offs[i] = off;
	}
	tz->noffs = c->type;
	return "";
}

/* The footer "\nRULE\n" at buf[pos..len). */
static const char *footer(const unsigned char *buf, size_t len, size_t pos,
                          struct jg_tz *tz)
{
	const unsigned char *nl;
	size_t n;

	if (pos >= len || buf[pos] != '\n')
		return "missing footer";
	pos++;
	nl = memchr(buf + pos, '\n', len - pos);
	if (!nl)
		return "unterminated footer";
	n = (size_t)(nl - (buf + pos));
	if (nl + 1 != buf + len)
		return "bytes after the footer";
	if (n > FOOTER_MAX)
		return "footer too long";
	if (n == 0)
		return ""; /* no rule: the last transition holds forever */
	if (jg_tz_rule_parse((const char *)buf + pos, n, &tz->rule))
		return "bad POSIX TZ rule in the footer";
	tz->has_rule = 1;
	return "";
}

static const char *image(const unsigned char *buf, size_t len,
                         struct jg_tz *tz)
{
	struct counts c;
	size_t n, pos = 0;
	const char *why;

	if (len < HEADER)
		return "truncated header";
	if (memcmp(buf, "TZif", 4) != 0)
		return "no TZif magic";
	if (buf[4] != 0 && (buf[4] < '2' || buf[4] > '4'))
		return "unsupported version";
	if (*(why = header(buf, len, 0, 4, &c, &n)))
		return why;
	if (buf[4] == 0) /* version 1: 32-bit data, no footer */
		return data(buf, 0, 4, &c, tz);
	pos = HEADER + n;
	if (*(why = header(buf, len, pos, 8, &c, &n)))
		return why;
	if (!(why = data(buf, pos, 8, &c, tz)) || *why)
		return why;
	return footer(buf, len, pos + HEADER + n, tz);
}

__attribute__((format(printf, 4, 5)))
static enum jg_err fail(char *err, size_t errlen, enum jg_err rc,
                        const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A new zone from buf, or NULL with *why set (NULL: out of memory). */
static struct jg_tz *build(const char *name, const unsigned char *buf,
                           size_t len, const char **why)
{
	struct jg_tz *tz = calloc(1, sizeof(*tz));

	*why = NULL;
	if (!tz)
		return NULL;
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	*why = image(buf, len, tz);
	if (*why && !**why)
		return tz;
	jg_tz_free(tz);
	return NULL;
}

enum jg_err jg_tz_parse(const char *name, const unsigned char *buf,
                        size_t len, struct jg_tz **out, char *err,
                        size_t errlen)
{
	const char *why;
	char shown[72];

	if (err && errlen)
		err[0] = '\0';
	if ((*out = build(name, buf, len, &why)))
		return JG_OK;
	if (!why)
		return fail(err, errlen, JG_ENOMEM, "out of memory");
	show(name, strlen(name), shown, sizeof(shown));
	return fail(err, errlen, JG_EINVAL,
	            "time zone '%s' is not a valid TZif file (%s)", shown, why);
}

static int name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < JG_TZ_NAME_MAX && name[0] != '/' &&
	       !strstr(name, "..") &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                    "0123456789_+-/") == len;
}

/* Read fd into *buf (owned by the caller), at most JG_TZIF_MAX + 1 bytes
 * so that a larger file is noticed; -1 with errno on a read error. */
static int slurp(int fd, unsigned char **buf, size_t *len)
{
	ssize_t n;

	*len = 0;
	if (!(*buf = malloc(JG_TZIF_MAX + 1))) {
		errno = ENOMEM;
		return -1;
	}
	while (*len <= JG_TZIF_MAX) {
		n = read(fd, *buf + *len, JG_TZIF_MAX + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(*buf);
			*buf = NULL;
			return -1;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

enum jg_err jg_tz_load(const char *name, struct jg_tz **out, char *err,
                       size_t errlen)
{
	const char *dir = getenv("TZDIR"), *why;
	char path[PATH_MAX], shown[72], where[200];
	unsigned char *buf;
	struct stat st;
	size_t len;
	int fd, rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	show(name, strlen(name), shown, sizeof(shown));
	if (!name_ok(name))
		return fail(err, errlen, JG_EINVAL,
		            "time zone name '%s' is not valid (1 to %d characters "
		            "of A-Z a-z 0-9 _ + - /, not starting with '/', "
		            "without '..')",
		            shown, JG_TZ_NAME_MAX - 1);
	if (!dir || !*dir)
		dir = ZONEINFO;
	rc = snprintf(path, sizeof(path), "%s/%s", dir, name);
	show(path, strlen(path), where, sizeof(where));
	if (rc < 0 || (size_t)rc >= sizeof(path))
		return fail(err, errlen, JG_EINVAL, "time zone '%s': path too long",
		            shown);
	/* O_NONBLOCK: a FIFO planted in the directory cannot hang the load */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR
		               ? fail(err, errlen, JG_ENOTFOUND,
		                      "unknown time zone '%s' (no file %s)", shown,
		                      where)
		               : fail(err, errlen, JG_ENOTFOUND,
		                      "time zone '%s': cannot open %s: %s", shown,
		                      where, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, JG_ENOTFOUND,
		            "unknown time zone '%s' (%s is not a file)", shown,
		            where);
	}
	rc = slurp(fd, &buf, &len);
	close(fd);
	if (rc != 0)
		return errno == ENOMEM
		               ? fail(err, errlen, JG_ENOMEM, "out of memory")
		               : fail(err, errlen, JG_ENOTFOUND,
		                      "time zone '%s': cannot read %s: %s", shown,
		                      where, strerror(errno));
	if (len > JG_TZIF_MAX) {
		free(buf);
		return fail(err, errlen, JG_ETOOBIG,
		            "time zone '%s': %s is larger than %d bytes", shown,
		            where, JG_TZIF_MAX);
	}
	*out = build(name, buf, len, &why);
	free(buf);
	if (*out)
		return JG_OK;
	if (!why)
		return fail(err, errlen, JG_ENOMEM, "out of memory");
	return fail(err, errlen, JG_EINVAL,
	            "time zone '%s': %s is not a valid TZif file (%s)", shown,
	            where, why);
}
