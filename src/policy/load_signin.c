/*
 * load_signin.c - the policy's `identity.signin` section: people sign in
 * through the company's OpenID Provider (docs/identity.md).
 *
 *   identity:
 *     signin:
 *       issuer: https://login.example.com        # required, exact `iss`
 *       client_id: jitgate                       # required
 *       client_secret_file: /etc/jitgate/oidc.secret
 *       redirect_url: https://jitgate.example.com/v1/auth/oidc/callback
 *       ca_file: /etc/ssl/corp-ca.pem
 *       principal_claim: email                   # default email
 *       groups_claim: groups                     # default groups
 *       scopes: [openid, email, profile, groups] # must hold openid
 *       email_domains: [example.com]             # empty: any
 *       group_map: {"Database Admins": dba}      # to a policy group
 *       role_map: {jitgate-admins: admin}        # admin, auditor, checker
 *       session_ttl: 8h
 *       token_signin: true                       # dashboard takes tokens
 *       userinfo: false
 *
 * Never reads the secret file: only its path is policy (the server reads
 * it, before dropping privileges). A URL that is not https (or http to a
 * loopback host) is refused here, so a typo cannot send a code or secret
 * over the network in the clear.
 */
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/model.h"
#include "policy/internal.h"

#define SIGNIN_TTL_DEFAULT (8 * 3600)
#define SIGNIN_TTL_MAX (30 * 24 * 3600)
#define SIGNIN_CALLBACK "/v1/auth/oidc/callback"
#define SIGNIN_PATH_MAX 1024 /* a secret or CA file path, incl. NUL */

/* A printable string of 1 to max-1 bytes (no control bytes, no NUL);
 * *out an owned copy. */
int jg_ld_get_text(struct jg_ld *ld, yaml_node_t *n, const char *what,
                    size_t max, char **out)
{
	size_t len;

	if (jg_ld_expect(ld, n, YAML_SCALAR_NODE, what))
		return -1;
	len = jg_ld_slen(n);
	if (len == 0 || len >= max)
		return jg_ld_fail(ld, n, "%s must be 1 to %zu characters",
		                  what, max - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)jg_ld_str(n)[i] < 0x20 ||
		    jg_ld_str(n)[i] == 0x7f)
			return jg_ld_fail(ld, n, "%s holds a control character",
			                  what);
	if (!(*out = strndup(jg_ld_str(n), len)))
		return jg_ld_nomem(ld, n);
	return 0;
}

/* 1 when host[0..len) is a loopback name or address. */
static int host_loopback(const char *host, size_t len)
{
	return (len == 9 && memcmp(host, "localhost", 9) == 0) ||
	       (len >= 4 && memcmp(host, "127.", 4) == 0) ||
	       (len == 5 && memcmp(host, "[::1]", 5) == 0);
}

/* An https URL, or http to a loopback host; *out owned. */
int jg_ld_get_url(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   char **out)
{
	char buf[JG_LD_SHOW_MAX];
	const char *s, *host;
	size_t hlen;

	if (jg_ld_get_text(ld, n, what, JG_URL_MAX, out))
		return -1;
	s = *out;
	if (strncmp(s, "https://", 8) == 0 && s[8] && s[8] != '/')
		return 0;
	if (strncmp(s, "http://", 7) == 0) {
		host = s + 7;
		hlen = strcspn(host, ":/?#");
		if (host_loopback(host, hlen))
			return 0;
	}
	return jg_ld_fail(ld, n,
	                  "%s '%s' must be an https URL (http only to a "
	                  "loopback host)",
	                  what, jg_ld_show(n, buf));
}

static int si_issuer(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_url(ld, n, "'issuer'",
	                     &((struct jg_signin *)obj)->issuer);
}

static int si_client_id(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_text(ld, n, "'client_id'", JG_CLAIM_MAX,
	                &((struct jg_signin *)obj)->client_id);
}

/* An absolute path; *out owned. */
int jg_ld_get_path(struct jg_ld *ld, yaml_node_t *n, const char *what,
                    char **out)
{
	char buf[JG_LD_SHOW_MAX];

	if (jg_ld_get_text(ld, n, what, SIGNIN_PATH_MAX, out))
		return -1;
	if ((*out)[0] != '/')
		return jg_ld_fail(ld, n, "%s '%s' must be an absolute path",
		                  what, jg_ld_show(n, buf));
	return 0;
}

static int si_secret_file(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_path(ld, n, "'client_secret_file'",
	                &((struct jg_signin *)obj)->client_secret_file);
}

static int si_ca_file(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_path(ld, n, "'ca_file'",
	                &((struct jg_signin *)obj)->ca_file);
}

static int si_redirect_url(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_signin *s = obj;
	char buf[JG_LD_SHOW_MAX];
	size_t len, clen = strlen(SIGNIN_CALLBACK);

	if (jg_ld_get_url(ld, n, "'redirect_url'", &s->redirect_url))
		return -1;
	len = strlen(s->redirect_url);
	if (len < clen ||
	    strcmp(s->redirect_url + len - clen, SIGNIN_CALLBACK) != 0)
		return jg_ld_fail(ld, n,
		                  "'redirect_url' '%s' must end with %s "
		                  "(jitgate's callback)",
		                  jg_ld_show(n, buf), SIGNIN_CALLBACK);
	return 0;
}

/* A claim name: letters, digits, _ - . : / (as in URL-named claims). */
int jg_ld_get_claim_name(struct jg_ld *ld, yaml_node_t *n, const char *what,
                          char **out)
{
	char buf[JG_LD_SHOW_MAX];
	size_t len;

	if (jg_ld_get_text(ld, n, what, JG_CLAIM_MAX, out))
		return -1;
	len = strlen(*out);
	if (strspn(*out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789_-.:/") != len)
		return jg_ld_fail(ld, n, "%s '%s' is not a claim name", what,
		                  jg_ld_show(n, buf));
	return 0;
}

static int si_principal_claim(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_claim_name(ld, n, "'principal_claim'",
	                      &((struct jg_signin *)obj)->principal_claim);
}

static int si_groups_claim(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_claim_name(ld, n, "'groups_claim'",
	                      &((struct jg_signin *)obj)->groups_claim);
}

static int si_scopes(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_signin *s = obj;
	size_t total = 0;
	int openid = 0;

	if (jg_ld_get_names(ld, n, "'scopes'", "scope", 0, 1, &s->scopes,
	                    &s->nscopes))
		return -1;
	for (size_t i = 0; i < s->nscopes; i++) {
		openid |= strcmp(s->scopes[i], "openid") == 0;
		total += strlen(s->scopes[i]) + 1;
	}
	if (!openid)
		return jg_ld_fail(ld, n, "'scopes' must hold openid");
	if (total >= JG_CLAIM_MAX)
		return jg_ld_fail(ld, n, "'scopes' are longer than %d characters",
		                  JG_CLAIM_MAX - 1);
	return 0;
}

static int si_email_domains(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_signin *s = obj;
	return jg_ld_get_names(ld, n, "'email_domains'", "email domain", 0, 1,
	                       &s->email_domains, &s->nemail_domains);
}

/* A map of provider group names to names that `to_ok` accepts; *out an
 * owned array in file order. */
static int get_map(struct jg_ld *ld, yaml_node_t *n, const char *what,
                   int (*to_ok)(struct jg_ld *, yaml_node_t *, char *),
                   struct jg_group_map **out, size_t *nout)
{
	size_t cnt;

	if (jg_ld_expect(ld, n, YAML_MAPPING_NODE, what) ||
	    jg_ld_map_keys_ok(ld, n, "provider group"))
		return -1;
	if (!(cnt = jg_ld_map_len(n)))
		return 0;
	if (!(*out = calloc(cnt, sizeof(**out))))
		return jg_ld_nomem(ld, n);
	*nout = cnt;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
		yaml_node_t *v = jg_ld_node(ld, pr->value);

		if (jg_ld_get_text(ld, jg_ld_node(ld, pr->key), "a provider group",
		             JG_CLAIM_MAX, &(*out)[i].from) ||
		    jg_ld_get_name(ld, v, "group", 0, &(*out)[i].to) ||
		    to_ok(ld, v, (*out)[i].to))
			return -1;
	}
	return 0;
}

int jg_ld_group_defined(struct jg_ld *ld, yaml_node_t *n, char *name)
{
	char buf[JG_LD_SHOW_MAX];

	if (jg_policy_group(ld->p, name))
		return 0;
	return jg_ld_fail(ld, n,
	                  "group '%s' is not defined (define it under "
	                  "'groups', with 'members: []' if only the provider "
	                  "fills it)",
	                  jg_ld_show(n, buf));
}

static int role_known(struct jg_ld *ld, yaml_node_t *n, char *name)
{
	char buf[JG_LD_SHOW_MAX];

	if (jg_role_parse(name))
		return 0;
	return jg_ld_fail(ld, n,
	                  "role '%s' is not one of admin, auditor, checker",
	                  jg_ld_show(n, buf));
}

static int si_group_map(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_signin *s = obj;
	return get_map(ld, n, "'group_map'", jg_ld_group_defined, &s->group_map,
	               &s->ngroup_map);
}

static int si_role_map(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_signin *s = obj;
	return get_map(ld, n, "'role_map'", role_known, &s->role_map,
	               &s->nrole_map);
}

static int si_session_ttl(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_signin *s = obj;

	if (jg_ld_get_duration(ld, n, "session_ttl", &s->session_ttl))
		return -1;
	if (s->session_ttl < 60 || s->session_ttl > SIGNIN_TTL_MAX)
		return jg_ld_fail(ld, n,
		                  "'session_ttl' must be from 1m to 30d");
	return 0;
}

static int si_token_signin(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_bool(ld, n, "'token_signin'",
	                      &((struct jg_signin *)obj)->token_signin);
}

static int si_userinfo(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	return jg_ld_get_bool(ld, n, "'userinfo'",
	                      &((struct jg_signin *)obj)->userinfo);
}

static const struct jg_ld_key signin_keys[] = {
	{"issuer", si_issuer, 1},
	{"client_id", si_client_id, 1},
	{"client_secret_file", si_secret_file, 0},
	{"redirect_url", si_redirect_url, 1},
	{"ca_file", si_ca_file, 0},
	{"principal_claim", si_principal_claim, 0},
	{"groups_claim", si_groups_claim, 0},
	{"scopes", si_scopes, 0},
	{"email_domains", si_email_domains, 0},
	{"group_map", si_group_map, 0},
	{"role_map", si_role_map, 0},
	{"session_ttl", si_session_ttl, 0},
	{"token_signin", si_token_signin, 0},
	{"userinfo", si_userinfo, 0},
};

_Static_assert(JG_LD_NKEYS(signin_keys) <= JG_LD_KEYS_MAX,
               "a key table is larger than JG_LD_KEYS_MAX");

/* The defaults of what the file left out. */
static int signin_defaults(struct jg_ld *ld, yaml_node_t *n,
                           struct jg_signin *s)
{
	static const char *const scopes[] = {"openid", "email", "profile"};
	size_t ns = JG_LD_NKEYS(scopes);

	if (!s->principal_claim && !(s->principal_claim = strdup("email")))
		return jg_ld_nomem(ld, n);
	if (!s->groups_claim && !(s->groups_claim = strdup("groups")))
		return jg_ld_nomem(ld, n);
	if (!s->nscopes) {
		if (!(s->scopes = calloc(ns, sizeof(*s->scopes))))
			return jg_ld_nomem(ld, n);
		for (; s->nscopes < ns; s->nscopes++)
			if (!(s->scopes[s->nscopes] = strdup(scopes[s->nscopes])))
				return jg_ld_nomem(ld, n);
	}
	if (!s->session_ttl)
		s->session_ttl = SIGNIN_TTL_DEFAULT;
	return 0;
}

int jg_ld_signin(struct jg_ld *ld, yaml_node_t *n, void *obj)
{
	struct jg_identity *id = obj;
	struct jg_signin *s = &id->signin;

	s->enabled = 1;
	s->token_signin = 1;
	if (jg_ld_walk_under(ld, n, "'signin'", ".signin", signin_keys,
	                     JG_LD_NKEYS(signin_keys), s))
		return -1;
	return signin_defaults(ld, n, s);
}
