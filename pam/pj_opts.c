/*
 * pj_opts.c - the module's arguments from its pam.d line.
 *
 * An unknown or malformed argument is an error (the caller denies and
 * logs it), not something to skip: a typo in "breakglass_group" or "url"
 * must show up at once, not years later. The URL follows the rule for an
 * identity provider's (src/ident/http.c): https, or plain http only to a
 * loopback host, since the service token travels with every question.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident/internal.h" /* jg_ident_url_ok: the rule for an issuer's URL */
#include "pj.h"

/* key=value arguments: where each value goes */
static const char **slot(struct pj_opts *o, const char *key, size_t klen)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{"url", offsetof(struct pj_opts, url)},
		{"token_file", offsetof(struct pj_opts, token_file)},
		{"cafile", offsetof(struct pj_opts, cafile)},
		{"action", offsetof(struct pj_opts, action)},
		{"resource", offsetof(struct pj_opts, resource)},
		{"principal_suffix", offsetof(struct pj_opts, principal_suffix)},
		{"breakglass_group", offsetof(struct pj_opts, breakglass_group)},
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == klen && !memcmp(keys[i].key, key, klen))
			return (const char **)(void *)((char *)o + keys[i].off);
	return NULL;
}

/* v as seconds in 1..max into *dst: 0, or -1. */
static int parse_seconds(long *dst, const char *v, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > max)
		return -1;
	*dst = n;
	return 0;
}

/* timeout= and wait=: 1 when argv is one of them (err set when its
 * value is bad: then -1), 0 when it is neither. */
static int seconds_arg(struct pj_opts *o, const char *arg, char *err,
                       size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
		long max;
	} keys[] = {
		{"timeout=", offsetof(struct pj_opts, timeout), PJ_TIMEOUT_MAX},
		{"wait=", offsetof(struct pj_opts, wait), PJ_WAIT_MAX},
	};
	size_t i, k;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		k = strlen(keys[i].key);
		if (strncmp(arg, keys[i].key, k))
			continue;
		if (parse_seconds((long *)(void *)((char *)o + keys[i].off),
		                  arg + k, keys[i].max) < 0) {
			snprintf(err, errlen, "%.*s must be 1 to %ld seconds, not "
			         "'%.32s'", (int)(k - 1), keys[i].key, keys[i].max,
			         arg + k);
			return -1;
		}
		return 1;
	}
	return 0;
}

int pj_opts_parse(struct pj_opts *o, int argc, const char **argv, char *err,
                  size_t errlen)
{
	const char *eq, **dst;
	char why[JG_WHY_MAX];
	int i, sec;

	memset(o, 0, sizeof(*o));
	o->principal_suffix = "";
	o->timeout = PJ_TIMEOUT_DEFAULT;
	o->wait = PJ_WAIT_DEFAULT;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "request")) {
			o->request = 1;
			continue;
		}
		eq = strchr(argv[i], '=');
		if (!eq) {
			snprintf(err, errlen, "unknown argument '%.64s'", argv[i]);
			return -1;
		}
		if ((sec = seconds_arg(o, argv[i], err, errlen)) < 0)
			return -1;
		if (sec)
			continue;
		if (!(dst = slot(o, argv[i], (size_t)(eq - argv[i])))) {
			snprintf(err, errlen, "unknown argument '%.64s'", argv[i]);
			return -1;
		}
		*dst = eq + 1;
	}
	/* an empty optional value means "not given", not "the empty name" */
	if (o->cafile && !*o->cafile)
		o->cafile = NULL;
	if (o->action && !*o->action)
		o->action = NULL;
	if (o->resource && !*o->resource)
		o->resource = NULL;
	if (o->breakglass_group && !*o->breakglass_group)
		o->breakglass_group = NULL;
	if (!o->url || !*o->url || !o->token_file || !*o->token_file) {
		snprintf(err, errlen, "url= and token_file= are required");
		return -1;
	}
	if (jg_ident_url_ok(o->url, why) < 0) {
		snprintf(err, errlen, "url= %s", why);
		return -1;
	}
	return 0;
}
