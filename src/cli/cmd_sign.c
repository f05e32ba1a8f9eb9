/*
 * cmd_sign.c - signed grant tokens: `token fetch`, `token verify` and
 * `keys rotate`.
 *
 * `token verify` is offline: it needs the server's public keys (a JWKS
 * file, or its URL, by default $JITGATE_URL/.well-known/jwks.json) and
 * nothing else; it checks the signature, exp and nbf (with --skew of
 * tolerance) with the server's own code (src/sign/jwt.c) and prints the
 * claims. It says nothing about revocation: that takes /v1/check with the
 * token. Exit 0 valid, 1 invalid (why on stderr), 2 error (no key set).
 *
 * Never: send the bearer token to a key set URL (key sets are public),
 * or print a grant token except the one `token fetch` was asked for.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "sign/jwt.h"
#include "sign/keys.h"

static const char *const grant_prefix[] = {"grt_", NULL};

int jg_cli_cmd_token_fetch(struct jg_cli *cli, const struct jg_cli_args *a)
{
	struct jg_kv q[] = {{"aud", jg_cli_opt(a, "aud")}, {NULL, NULL}};
	char path[128], clean[JG_JWT_MAX + 1];
	json_t *t;
	int rv;

	if ((rv = jg_cli_check_id(a, a->pos[0], grant_prefix)) ||
	    (q[0].value && (rv = jg_cli_check_name(a, "--aud", q[0].value))))
		return rv;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	snprintf(path, sizeof(path), "/v1/grants/%s/token", a->pos[0]);
	if ((rv = jg_client_call(jg_cli_client(cli), "GET", path, q, NULL, &t)))
		return rv;
	if (!jg_json_str(t, "token")) {
		rv = jg_cli_fail("malformed answer from server: no token");
	} else if (cli->json) {
		rv = jg_out_json(t);
	} else {
		jg_out_clean(jg_json_str(t, "token"), clean, sizeof(clean), 0);
		printf("%s\n", clean);
	}
	json_decref(t);
	return rv;
}

/* The key set named by --jwks (a file, or an http(s) URL), else the
 * server's; *out must be freed with jg_jwks_free. */
static int load_jwks(struct jg_cli *cli, const struct jg_cli_args *a,
                     struct jg_jwks **out)
{
	const char *src = jg_cli_opt(a, "jwks");
	char url[2200], why[JG_WHY_MAX];
	struct jg_client *c;
	json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	int rv;

	*out = NULL;
	if (!src) {
		snprintf(url, sizeof(url), "%s/.well-known/jwks.json", cli->url);
		src = url;
	}
	if (!strncmp(src, "http://", 7) || !strncmp(src, "https://", 8)) {
		if (!(c = jg_client_new(src, NULL))) /* public: no token */
			return JG_EXIT_ERR;
		jg_client_set_cacert(c, cli->cacert);
		rv = jg_client_call(c, "GET", "", NULL, NULL, &doc);
		jg_client_free(c);
		if (rv)
			return rv;
		text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		if (!text)
			return jg_cli_fail("out of memory");
		len = strlen(text);
	} else if ((rv = jg_cli_read_file("key set", src, JG_JWKS_MAX, &text,
	                                  &len))) {
		return rv;
	}
	if (jg_jwks_parse(text, len, out, why) != JG_OK)
		rv = jg_cli_fail("key set %s: %s", src, why);
	free(text);
	return rv;
}

/* TOKEN, or "-": one line from stdin. *buf (malloc'd) holds it. */
static int token_arg(const struct jg_cli_args *a, char **buf)
{
	size_t len;
	int rv;

	*buf = NULL;
	if (strcmp(a->pos[0], "-") != 0) {
		if (!(*buf = strdup(a->pos[0])))
			return jg_cli_fail("out of memory");
		return JG_EXIT_OK;
	}
	if ((rv = jg_cli_read_file("token", "-", JG_JWT_MAX + 2, buf, &len)))
		return rv;
	while (len && ((*buf)[len - 1] == '\n' || (*buf)[len - 1] == '\r'))
		(*buf)[--len] = '\0';
	return JG_EXIT_OK;
}

/* A token bound to a payload is valid only for that payload (sha, ""
 * when none was given): 1 when it fits, else 0 with why. */
static int payload_fits(const json_t *claims, const char *sha,
                        char why[JG_WHY_MAX])
{
	const char *bound = json_string_value(json_object_get(claims,
	                                                      "payload_sha256"));

	if (!bound || strcmp(bound, sha) == 0)
		return 1;
	if (!sha[0])
		snprintf(why, JG_WHY_MAX, "the token's grant is bound to one "
		         "payload (sha256 %.12s…): give --payload, --payload-file "
		         "or --payload-sha256 of what is about to run", bound);
	else
		snprintf(why, JG_WHY_MAX, "the token's grant is bound to another "
		         "payload (sha256 %.12s…), not %.12s…", bound, sha);
	return 0;
}

int jg_cli_cmd_token_verify(struct jg_cli *cli, const struct jg_cli_args *a)
{
	char sha[JG_SHA256_HEX];
	const char *skew_s = jg_cli_opt(a, "skew");
	int64_t skew = JG_KEYS_SKEW;
	char why[JG_WHY_MAX], kid[JG_KID_LEN], line[JG_WHY_MAX + 64];
	struct jg_jwks *set = NULL;
	json_t *claims = NULL, *o;
	char *token = NULL;
	int rv;

	if (skew_s && jg_duration_parse(skew_s, &skew) != JG_OK)
		return jg_cli_usage_fail(a, "--skew must look like 30s or 2m");
	if ((rv = jg_cli_payload_sha256(a, sha)))
		return rv;
	if ((rv = token_arg(a, &token)) || (rv = load_jwks(cli, a, &set))) {
		free(token);
		return rv;
	}
	if (jg_jwt_verify(token, jg_jwks_find, set, (int64_t)time(NULL), skew,
	                  &claims, kid, why) != JG_OK ||
	    !payload_fits(claims, sha, why)) {
		jg_out_clean(why, line, sizeof(line), 0);
		if (cli->json) {
			o = json_pack("{s:b,s:s}", "valid", 0, "error", why);
			jg_out_json(o);
			json_decref(o);
		} else {
			fprintf(stderr, "jitgate: token invalid: %s\n", line);
		}
		rv = JG_EXIT_NO;
	} else if (cli->json) {
		o = json_pack("{s:b,s:s,s:O}", "valid", 1, "kid", kid, "claims",
		              claims);
		rv = jg_out_json(o);
		json_decref(o);
	} else {
		char at[JG_TIME_LEN];

		jg_out_clean(kid, line, sizeof(line), 0);
		jg_time_format(jg_json_int(claims, "exp", 0), at);
		printf("token valid: signed by key %s, expires %s\n", line, at);
		jg_out_fields(claims);
	}
	if (rv == JG_EXIT_OK && json_integer_value(json_object_get(claims,
	                                                           "uses_left")) > 0)
		fprintf(stderr, "jitgate: note: a one-time grant: spend its use "
		        "online (jitgate check --consume) before acting on it\n");
	json_decref(claims);
	jg_jwks_free(set);
	explicit_bzero(token, strlen(token));
	free(token);
	return rv;
}

int jg_cli_cmd_keys_rotate(struct jg_cli *cli, const struct jg_cli_args *a)
{
	char kid[JG_KID_LEN + 8], prev[JG_KID_LEN + 8];
	json_t *r;
	int rv;

	(void)a;
	if (!jg_cli_client(cli))
		return JG_EXIT_ERR;
	if ((rv = jg_client_call(jg_cli_client(cli), "POST", "/v1/keys/rotate",
	                         NULL, NULL, &r)))
		return rv;
	if (cli->json) {
		rv = jg_out_json(r);
	} else {
		jg_out_clean(jg_json_strd(r, "kid"), kid, sizeof(kid), 0);
		jg_out_clean(jg_json_strd(r, "previous_kid"), prev, sizeof(prev),
		             0);
		printf("key %s is current; key %s stays published until the "
		       "tokens it signed expire\n", kid, prev);
	}
	json_decref(r);
	return rv;
}
