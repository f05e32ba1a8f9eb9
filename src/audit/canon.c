/*
 * canon.c - the canonical text of an audit event, without a JSON tree for
 * the common case.
 *
 * jansson's compact sorted-key writer is simple: '{' key ':' value ','…
 * '}', keys in byte order, integers in decimal, strings with '"', '\\' and
 * control characters escaped and everything else (including '/' and UTF-8)
 * written as it is. The fast paths below recognise only a subset of that
 * output they can vouch for without decoding anything: printable ASCII,
 * the two-character escapes, integers of at most 18 digits. Anything else
 * (reals, \u escapes, non-ASCII, white space, unsorted or duplicate keys,
 * garbage) goes through jansson itself, so the text is always exactly
 * jansson's and a new case can only cost speed, never a wrong hash.
 *
 * Must never accept as canonical a text that jansson would refuse or dump
 * differently: verify would then judge that text otherwise than the plain
 * jansson construction, which every existing chain was written with.
 * tests/unit/test_audit_canon.c holds that construction and compares.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/canon.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)
/* Bounds the recursion; deeper details go to jansson (limit 2048). */
#define SCAN_DEPTH 32
/* 18 digits always fit json_int_t; longer integers go through jansson. */
#define SCAN_DIGITS 18

/* ---- the buffer -------------------------------------------------------- */

/* Make room for more bytes and a NUL; 0 when out of memory. */
static int grow(struct jg_canon *c, size_t more)
{
	size_t cap = c->cap ? c->cap : 1024;
	char *p;

	if (more > SIZE_MAX / 2 - c->len)
		return 0;
	while (cap - c->len <= more)
		cap *= 2;
	if (!(p = realloc(c->text, cap)))
		return 0;
	c->text = p;
	c->cap = cap;
	return 1;
}

/*
 * Append n bytes. Small enough to be inlined: it runs about twenty times
 * per event. The NUL is written once, by jg_canon_event.
 */
static inline int put(struct jg_canon *c, const char *s, size_t n)
{
	if (c->cap - c->len <= n && !grow(c, n))
		return 0;
	memcpy(c->text + c->len, s, n);
	c->len += n;
	return 1;
}

/* v in decimal, as jansson's "%lld" writes it (INT64_MIN included). */
static int put_int(struct jg_canon *c, int64_t v)
{
	char d[24], *p = d + sizeof(d);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	return put(c, p, (size_t)(d + sizeof(d) - p));
}

/* Append jansson's own dump of j (consumed); JG_EINVAL when j is NULL. */
static enum jg_err put_dump(struct jg_canon *c, json_t *j, size_t flags)
{
	char *s = j ? json_dumps(j, flags) : NULL;
	int ok = s && put(c, s, strlen(s));

	if (!j)
		return JG_EINVAL;
	json_decref(j);
	free(s);
	return ok ? JG_OK : JG_ENOMEM;
}

/* ---- scanning jansson's output ----------------------------------------- */

/*
 * 1 for a byte jansson writes inside a string as it is and that means
 * itself: printable ASCII but '"' and '\\'. Control characters are
 * escaped; bytes from 0x7f on are left to jansson (UTF-8 is checked there).
 */
static const unsigned char plain_byte[256] = {
	/* 0x00 - 0x1f */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 - 0x3f: all but '"' (0x22) */
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x40 - 0x5f: all but '\\' (0x5c) */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	/* 0x60 - 0x7f: all but DEL (0x7f); 0x80 - 0xff: none */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};

/*
 * Number of plain bytes at s (the NUL ends it too). Unrolled: this loop
 * is where verify spends most of its own time. Never reads past the first
 * byte that is not plain.
 */
static size_t plain_run(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (;; n += 4) {
		if (!plain_byte[p[n]])
			return n;
		if (!plain_byte[p[n + 1]])
			return n + 1;
		if (!plain_byte[p[n + 2]])
			return n + 2;
		if (!plain_byte[p[n + 3]])
			return n + 3;
	}
}

/*
 * Length of the string token at p when jansson would write its value the
 * same way, else 0. Keys allow no escapes: their sort order is that of the
 * decoded bytes, which for plain bytes is that of the text.
 */
static size_t scan_string(const char *p, int escapes)
{
	const char *q = p + 1;

	if (*p != '"')
		return 0;
	for (;;) {
		q += plain_run(q);
		if (*q == '"')
			return (size_t)(q + 1 - p);
		if (*q != '\\' || !escapes || q[1] == '\0' ||
		    !strchr("\"\\bfnrt", q[1]))
			return 0;
		q += 2;
	}
}

/* An integer as "%lld" writes it: no '+', no leading zero, no "-0". */
static size_t scan_int(const char *p)
{
	const char *q = p + (*p == '-');
	size_t digits = 0;

	if (*q == '0')
		return *p == '-' ? 0 : 1;
	while (q[digits] >= '0' && q[digits] <= '9')
		digits++;
	if (digits == 0 || digits > SCAN_DIGITS)
		return 0;
	return (size_t)(q + digits - p);
}

/* Keys of an object as jansson sorts them: bytes, then the shorter. */
static int key_before(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);
	return r < 0 || (r == 0 && alen < blen);
}

static size_t scan_value(const char *p, int depth);

static size_t scan_object(const char *p, int depth)
{
	const char *q = p + 1, *prev = NULL;
	size_t plen = 0, k, v;

	if (*q == '}')
		return 2;
	for (;;) {
		if (!(k = scan_string(q, 0)))
			return 0;
		/* strictly ascending: also refuses duplicate keys */
		if (prev && !key_before(prev, plen, q + 1, k - 2))
			return 0;
		prev = q + 1;
		plen = k - 2;
		q += k;
		if (*q++ != ':' || !(v = scan_value(q, depth)))
			return 0;
		q += v;
		if (*q == '}')
			return (size_t)(q + 1 - p);
		if (*q++ != ',')
			return 0;
	}
}

static size_t scan_array(const char *p, int depth)
{
	const char *q = p + 1;
	size_t v;

	if (*q == ']')
		return 2;
	for (;;) {
		if (!(v = scan_value(q, depth)))
			return 0;
		q += v;
		if (*q == ']')
			return (size_t)(q + 1 - p);
		if (*q++ != ',')
			return 0;
	}
}

/* Length of the canonical value at p, 0 when not vouched for. */
static size_t scan_value(const char *p, int depth)
{
	if ((*p == '{' || *p == '[') && depth >= SCAN_DEPTH)
		return 0;
	switch (*p) {
	case '{':
		return scan_object(p, depth + 1);
	case '[':
		return scan_array(p, depth + 1);
	case '"':
		return scan_string(p, 1);
	case 't':
		return strncmp(p, "true", 4) == 0 ? 4 : 0;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? 5 : 0;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? 4 : 0;
	default:
		return scan_int(p);
	}
}

/* ---- the fields -------------------------------------------------------- */

/* s as a JSON string; jansson escapes (and UTF-8 checks) unusual ones. */
static enum jg_err put_string(struct jg_canon *c, const char *s)
{
	size_t n = plain_run(s);

	if (s[n] == '\0')
		return put(c, "\"", 1) && put(c, s, n) && put(c, "\"", 1)
		               ? JG_OK
		               : JG_ENOMEM;
	return put_dump(c, json_string(s), DUMP_FLAGS | JSON_ENCODE_ANY);
}

/*
 * The details: copied when already canonical, else parsed and dumped by
 * jansson exactly as the chain's writer did.
 */
static enum jg_err put_details(struct jg_canon *c, const char *text)
{
	size_t n = text[0] == '{' ? scan_value(text, 0) : 0;
	json_t *d;

	if (n > 0 && text[n] == '\0')
		return put(c, text, n) ? JG_OK : JG_ENOMEM;
	d = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (d && !json_is_object(d)) {
		json_decref(d);
		d = NULL;
	}
	return put_dump(c, d, DUMP_FLAGS);
}

enum field_kind { F_STRING, F_INT, F_DETAILS };

/* The members in jansson's sorted order, each with the text before it. */
#define FIELD(sep, name, kind) \
	{sep "\"" #name "\":", sizeof(sep "\"" #name "\":") - 1, kind, \
	 offsetof(struct jg_event, name)}
static const struct field {
	const char *lead;
	size_t lead_len;
	enum field_kind kind;
	size_t off;
} fields[] = {
	FIELD("{", actor, F_STRING),    FIELD(",", details, F_DETAILS),
	FIELD(",", id, F_STRING),       FIELD(",", prev_hash, F_STRING),
	FIELD(",", seq, F_INT),         FIELD(",", subject, F_STRING),
	FIELD(",", ts, F_INT),          FIELD(",", type, F_STRING),
};

static enum jg_err put_field(struct jg_canon *c, const struct jg_event *ev,
                             const struct field *f)
{
	const char *at = (const char *)ev + f->off;

	if (!put(c, f->lead, f->lead_len))
		return JG_ENOMEM;
	switch (f->kind) {
	case F_STRING:
		return put_string(c, at);
	case F_INT:
		return put_int(c, *(const int64_t *)(const void *)at)
		               ? JG_OK
		               : JG_ENOMEM;
	default: /* the one pointer member */
		return put_details(c, ev->details ? ev->details : "{}");
	}
}

enum jg_err jg_canon_event(struct jg_canon *c, const struct jg_event *ev)
{
	enum jg_err e;

	c->len = 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((e = put_field(c, ev, &fields[i])) != JG_OK)
			return e;
	if (!put(c, "}", 1))
		return JG_ENOMEM;
	c->text[c->len] = '\0'; /* put always leaves room for it */
	return JG_OK;
}

void jg_canon_release(struct jg_canon *c)
{
	free(c->text);
	memset(c, 0, sizeof(*c));
}
