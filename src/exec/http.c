/*
 * http.c - the `http` connector: one configured call through libcurl.
 *
 *     type: http
 *     method: POST
 *     url: "https://flags.internal/v1/flags/{flag}"   # slots URL-escaped
 *     headers: {Content-Type: application/json}
 *     secret_headers: {X-Api-Key: {file: /etc/jitgate/flags.key}}
 *     bearer_token_env: FLAGS_TOKEN          # or bearer_token_file
 *     body: '{"enabled": "{enabled}", "by": "{requester}"}'
 *     body_escape: json                      # json (default), url, none
 *     allow_hosts: [flags.internal]          # required; "*.x" for subdomains
 *     max_redirects: 3                       # same origin only
 *     timeout: 10s
 *
 * The host of the expanded URL must be in allow_hosts, or nothing is sent:
 * the check happens before any connection. Redirects are not left to
 * libcurl: a redirect to the same origin (scheme, host and port) is
 * followed (up to max_redirects), any other is refused and reported, so
 * https is never downgraded. A param placed in the URL's path must stay
 * one path segment: ".", "..", "" and separators are refused when the
 * request is made (validate). Only http and https are spoken, no proxy
 * from the environment is used. Success is a 2xx answer; the answer's
 * body is the output. This file must never send a request
 * to a host outside the list, put a header value with a line break on the
 * wire, or quote a secret header in a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "exec/internal.h"

#define HEADERS_MAX 32
#define HOSTS_MAX 32
#define REDIRECTS_MAX 10
#define REDIRECTS_DEFAULT 3

struct kv {
	char *name;
	char *value; /* a template (headers) or a secret (secret_headers) */
};

struct http_conf {
	char *method;
	char *url;
	struct kv headers[HEADERS_MAX];
	size_t nheaders;
	struct kv secret_headers[HEADERS_MAX];
	size_t nsecret;
	char *bearer;      /* secret, or NULL */
	char *body;        /* template, or NULL */
	enum jg_escape body_escape;
	int escape_set;
	char **hosts;
	size_t nhosts;
	long max_redirects;
	int redirects_set;
};

/* ---- configuration ---- */

static int load_method(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	static const char *const ok[] = {"GET", "POST", "PUT", "PATCH",
	                                 "DELETE", "HEAD"};
	struct http_conf *hc = conf;

	if (jg_cfg_str(c, n, "method", 0, &hc->method))
		return -1;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(hc->method, ok[i]))
			return 0;
	return jg_cfg_fail(c, n, "method must be GET, POST, PUT, PATCH, "
	                   "DELETE or HEAD");
}

static int load_url(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct http_conf *hc = conf;

	if (jg_cfg_template(c, n, "url", &hc->url))
		return -1;
	if (strncmp(hc->url, "http://", 7) && strncmp(hc->url, "https://", 8))
		return jg_cfg_fail(c, n, "url must start with http:// or "
		                   "https://");
	return 0;
}

/* A header name: a token (RFC 9110), so nothing can split the line. */
static int header_name(struct jg_cfg *c, yaml_node_t *k, char **out)
{
	if (jg_cfg_str(c, k, "a header name", 0, out))
		return -1;
	if (strspn(*out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789!#$%&'*+-.^_`|~") != strlen(*out))
		return jg_cfg_fail(c, k, "'%.60s' is not a header name", *out);
	return 0;
}

static int header_pair(struct jg_cfg *c, yaml_node_t *k, yaml_node_t *v,
                       void *conf)
{
	struct http_conf *hc = conf;
	struct kv *h = &hc->headers[hc->nheaders++];

	return header_name(c, k, &h->name) ||
	       jg_cfg_template(c, v, "a header value", &h->value);
}

static int secret_header_pair(struct jg_cfg *c, yaml_node_t *k,
                              yaml_node_t *v, void *conf)
{
	struct http_conf *hc = conf;
	struct kv *h = &hc->secret_headers[hc->nsecret++];

	if (header_name(c, k, &h->name) ||
	    jg_cfg_secret(c, v, "a secret header", &h->value))
		return -1;
	if (strpbrk(h->value, "\r\n"))
		return jg_cfg_fail(c, v, "secret header %.60s holds a line "
		                   "break", h->name);
	return 0;
}

static int load_headers(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_pairs(c, n, "headers", HEADERS_MAX, header_pair, conf);
}

static int load_secret_headers(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_pairs(c, n, "secret_headers", HEADERS_MAX,
	                    secret_header_pair, conf);
}

static int load_bearer(struct jg_cfg *c, yaml_node_t *n, void *conf, int file)
{
	struct http_conf *hc = conf;

	if (hc->bearer)
		return jg_cfg_fail(c, n, "give bearer_token_file or "
		                   "bearer_token_env, not both");
	return file ? jg_cfg_secret_file(c, n, "bearer_token_file", &hc->bearer)
	            : jg_cfg_secret_env(c, n, "bearer_token_env", &hc->bearer);
}

static int load_bearer_file(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return load_bearer(c, n, conf, 1);
}

static int load_bearer_env(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return load_bearer(c, n, conf, 0);
}

static int load_body(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	return jg_cfg_template(c, n, "body", &((struct http_conf *)conf)->body);
}

static int load_body_escape(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct http_conf *hc = conf;
	char *s;
	int rc = 0;

	if (jg_cfg_str(c, n, "body_escape", 0, &s))
		return -1;
	hc->escape_set = 1;
	if (!strcmp(s, "json"))
		hc->body_escape = JG_ESC_JSON;
	else if (!strcmp(s, "url"))
		hc->body_escape = JG_ESC_URL;
	else if (!strcmp(s, "none"))
		hc->body_escape = JG_ESC_NONE;
	else
		rc = jg_cfg_fail(c, n, "body_escape must be json, url or none");
	free(s);
	return rc;
}

static int load_hosts(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct http_conf *hc = conf;

	if (jg_cfg_strs(c, n, "allow_hosts", &hc->hosts, &hc->nhosts))
		return -1;
	if (!hc->nhosts || hc->nhosts > HOSTS_MAX)
		return jg_cfg_fail(c, n, "allow_hosts must list 1 to %d hosts",
		                   HOSTS_MAX);
	for (size_t i = 0; i < hc->nhosts; i++)
		if (!hc->hosts[i][0] || strpbrk(hc->hosts[i], "/:@ "))
			return jg_cfg_fail(c, n, "allow_hosts: '%.60s' is not a "
			                   "host name", hc->hosts[i]);
	return 0;
}

static int load_redirects(struct jg_cfg *c, yaml_node_t *n, void *conf)
{
	struct http_conf *hc = conf;

	hc->redirects_set = 1;
	return jg_cfg_int(c, n, "max_redirects", 0, REDIRECTS_MAX,
	                  &hc->max_redirects);
}

static const struct jg_cfg_key keys[] = {
	{"method", load_method, 0},
	{"url", load_url, 1},
	{"headers", load_headers, 0},
	{"secret_headers", load_secret_headers, 0},
	{"bearer_token_file", load_bearer_file, 0},
	{"bearer_token_env", load_bearer_env, 0},
	{"body", load_body, 0},
	{"body_escape", load_body_escape, 0},
	{"allow_hosts", load_hosts, 1},
	{"max_redirects", load_redirects, 0},
};

static int check(struct jg_cfg *c, yaml_node_t *n, struct jg_connector *k)
{
	struct http_conf *hc = k->conf;

	if (!hc->method && !(hc->method = strdup(hc->body ? "POST" : "GET")))
		return jg_cfg_nomem(c, n);
	if (!hc->redirects_set)
		hc->max_redirects = REDIRECTS_DEFAULT;
	if (!hc->escape_set)
		hc->body_escape = JG_ESC_JSON;
	return 0;
}

static void free_kvs(struct kv *v, size_t n, int secret)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		if (secret)
			jg_secret_free(v[i].value);
		else
			free(v[i].value);
	}
}

static void free_conf(void *conf)
{
	struct http_conf *hc = conf;

	free(hc->method);
	free(hc->url);
	free_kvs(hc->headers, hc->nheaders, 0);
	free_kvs(hc->secret_headers, hc->nsecret, 1);
	jg_secret_free(hc->bearer);
	free(hc->body);
	jg_cfg_strs_free(hc->hosts, hc->nhosts);
}

/* ---- the allow-list ---- */

/* 1 when host is in the list: exactly, or under a "*.domain" entry. */
static int host_allowed(const struct http_conf *hc, const char *host)
{
	size_t hl = strlen(host);

	for (size_t i = 0; i < hc->nhosts; i++) {
		const char *a = hc->hosts[i];
		size_t al = strlen(a);
		if (!strcasecmp(a, host))
			return 1;
		if (al > 2 && a[0] == '*' && a[1] == '.' && hl > al - 1 &&
		    !strcasecmp(host + hl - (al - 1), a + 1))
			return 1;
	}
	return 0;
}

/* Where a URL goes: what a redirect must keep. */
struct origin {
	char scheme[8]; /* "http" or "https" */
	char host[256];
	char port[8];   /* explicit, or the scheme's default */
};

/* The origin of url (http or https only); -1 with why. */
static int url_origin(const char *url, struct origin *o, char *why,
                      size_t whylen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *port = NULL;
	int rc = -1;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	            CURLUE_OK) {
		if (strcmp(scheme, "http") && strcmp(scheme, "https"))
			snprintf(why, whylen, "scheme %.20s is not http or https",
			         scheme);
		else if (strlen(h) >= sizeof(o->host) ||
		         strlen(port) >= sizeof(o->port))
			snprintf(why, whylen, "host name too long");
		else {
			snprintf(o->scheme, sizeof(o->scheme), "%s", scheme);
			snprintf(o->host, sizeof(o->host), "%s", h);
			snprintf(o->port, sizeof(o->port), "%s", port);
			rc = 0;
		}
	} else {
		snprintf(why, whylen, "the URL does not parse");
	}
	curl_free(scheme);
	curl_free(h);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* 0 when url may be called; else refused with res->error. */
static int url_allowed(const struct jg_connector *k, const char *url,
                       struct jg_exec_result *res)
{
	struct origin o;

	if (url_origin(url, &o, res->error, sizeof(res->error))) {
		res->ok = 0;
		return -1;
	}
	if (!host_allowed(k->conf, o.host)) {
		jg_exec_fail(res, "host '%.200s' is not in allow_hosts: "
		             "nothing was sent", o.host);
		return -1;
	}
	return 0;
}

/*
 * A redirect keeps the scheme (so https is never downgraded, and http is
 * not upgraded to a service the allow-list did not mean), the host and
 * the port: another port on the same host is another service.
 */
int jg_http_same_origin(const char *from, const char *to, char *why,
                        size_t whylen)
{
	struct origin a, b;

	if (url_origin(from, &a, why, whylen) || url_origin(to, &b, why, whylen))
		return -1;
	if (strcmp(a.scheme, b.scheme))
		snprintf(why, whylen, "redirect from %s to %s refused", a.scheme,
		         b.scheme);
	else if (strcasecmp(a.host, b.host))
		snprintf(why, whylen, "redirect to another host '%.200s' "
		         "refused", b.host);
	else if (strcmp(a.port, b.port))
		snprintf(why, whylen, "redirect to another port %s of '%.200s' "
		         "refused", b.port, b.host);
	else
		return 0;
	return -1;
}

/* ---- params in the URL's path ---- */

struct path_check {
	const struct jg_exec_input *in;
	char *why;
	size_t whylen;
};

/* 1 when s[0..n) is a dot segment or holds a separator or a NUL. */
static int bad_segment(const char *s, size_t n)
{
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || s[i] == '/' || s[i] == '\\' || s[i] == '?' ||
		    s[i] == '#')
			return 1;
	return 0;
}

/*
 * 1 when v, placed in the URL's path, could change which path it names:
 * empty, a dot segment, or a separator, as given or once percent-decoded
 * (for servers that decode twice). Escaping alone does not help: '.' is
 * never escaped, and libcurl would resolve "/flags/.." to "/".
 */
static int moves_path(const char *v)
{
	int n = 0;
	char *d = curl_easy_unescape(NULL, v, 0, &n);
	int bad = !d || !*v || bad_segment(v, strlen(v)) ||
	          bad_segment(d, (size_t)n);

	curl_free(d);
	return bad;
}

static int check_path_slot(const char *name, size_t len, void *ctx)
{
	struct path_check *pc = ctx;
	const char *v = jg_template_value(pc->in, name, len);
	char key[JG_NAME_MAX];

	if (!v || !moves_path(v))
		return 0;
	snprintf(key, sizeof(key), "%.*s", (int)len, name);
	snprintf(pc->why, pc->whylen, "%s '%s' may not be empty, '.' or '..', "
	         "nor hold '/', '\\', '?' or '#' (even percent-encoded): it "
	         "would change the path of the URL",
	         jg_param_name_valid(key) ? "param" : "slot", key);
	return -1;
}

/* The slots placed in the URL before its query must stay one segment. */
static enum jg_err path_check(const struct http_conf *hc,
                              const struct jg_exec_input *in, char *why,
                              size_t whylen)
{
	struct path_check pc = {in, why, whylen};
	size_t n = strcspn(hc->url, "?#");
	char *path = strndup(hc->url, n);
	int rc;

	if (!path) {
		snprintf(why, whylen, "out of memory");
		return JG_ENOMEM;
	}
	rc = jg_template_slots(path, check_path_slot, &pc);
	free(path);
	return rc ? JG_EINVAL : JG_OK;
}

/* When a request is made: its params (and payload). */
static enum jg_err validate(const struct jg_connector *k, const char *payload,
                            const json_t *params, char *why, size_t whylen)
{
	struct jg_exec_input in = {.payload = payload, .params = params};

	return path_check(k->conf, &in, why, whylen);
}

/* ---- one call ---- */

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	size_t n = size * nmemb;
	return jg_buf_add(arg, p, n) ? 0 : n;
}

/* "Name: value" appended to *list; -1 when out of memory. */
static int add_header(struct curl_slist **list, const char *name,
                      const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *line = malloc(n);
	struct curl_slist *t = NULL;

	if (line) {
		snprintf(line, n, "%s: %s", name, value);
		t = curl_slist_append(*list, line);
		explicit_bzero(line, n); /* may be a secret header */
		free(line);
	}
	if (!t)
		return -1;
	*list = t;
	return 0;
}

/* The request's headers; NULL with res->error on a bad value. */
static struct curl_slist *build_headers(const struct http_conf *hc,
                                        const struct jg_exec_input *in,
                                        struct jg_exec_result *res)
{
	struct curl_slist *list = NULL;
	char err[160] = "out of memory", *v;
	int rc = 0;

	for (size_t i = 0; !rc && i < hc->nheaders; i++) {
		const struct kv *h = &hc->headers[i];
		if (jg_template_expand(h->value, in, JG_ESC_NONE, &v, err,
		                       sizeof(err))) {
			jg_exec_fail(res, "header %.60s: %s", h->name, err);
			rc = -1;
		} else if (strpbrk(v, "\r\n")) {
			jg_exec_fail(res, "header %.60s: a value with a line "
			             "break is never sent", h->name);
			rc = -1;
		} else if ((rc = add_header(&list, h->name, v))) {
			jg_exec_fail(res, "out of memory");
		}
		free(v);
	}
	for (size_t i = 0; !rc && i < hc->nsecret; i++)
		if ((rc = add_header(&list, hc->secret_headers[i].name,
		                     hc->secret_headers[i].value)))
			jg_exec_fail(res, "out of memory");
	/* no "Expect: 100-continue" round trip for larger bodies */
	if (!rc) {
		struct curl_slist *t = curl_slist_append(list, "Expect:");
		if (t)
			list = t;
		else
			rc = -1;
	}
	if (rc) {
		if (!res->error[0])
			jg_exec_fail(res, "out of memory");
		curl_slist_free_all(list);
		return NULL;
	}
	return list;
}

struct call {
	CURL *h;
	const char *method;
	const char *body; /* NULL: none */
	char errbuf[CURL_ERROR_SIZE];
};

static void setup(const struct jg_connector *k, struct call *c,
                  struct curl_slist *hdrs, struct jg_buf *out, long left_ms)
{
	const struct http_conf *hc = k->conf;

	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_USERAGENT, "jitgate-exec");
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->h, CURLOPT_PROXY, ""); /* none from the env */
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, left_ms > 1 ? left_ms : 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS,
	                 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (hc->bearer) {
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(c->h, CURLOPT_XOAUTH2_BEARER, hc->bearer);
	}
	if (!strcmp(c->method, "HEAD"))
		curl_easy_setopt(c->h, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, c->method);
	if (c->body) {
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
	}
}

/*
 * Perform one hop to url. 1 when it answered a redirect that may be
 * followed (next receives the target), 0 when done, -1 on failure.
 */
static int hop(const struct jg_connector *k, struct call *c,
               struct curl_slist *hdrs, const char *url, int64_t deadline,
               struct jg_buf *out, char **next, struct jg_exec_result *res)
{
	char *loc = NULL;
	long code = 0;
	size_t max;
	CURLcode rc;

	if (url_allowed(k, url, res))
		return -1;
	curl_easy_reset(c->h);
	setup(k, c, hdrs, out, (long)(deadline - jg_exec_ms()));
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	/* only the last hop's body is kept, within exec.c's bound (the limit
	 * and room for a secret that crosses it) */
	max = out->max;
	jg_buf_free(out);
	out->max = max;
	rc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	res->exit_code = rc == CURLE_OK ? (int)code : -1;
	if (rc != CURLE_OK) {
		res->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		jg_exec_fail(res, "%s", c->errbuf[0] ? c->errbuf
		                                     : curl_easy_strerror(rc));
		return -1;
	}
	res->ok = code >= 200 && code < 300;
	if (code >= 300 && code < 400 &&
	    curl_easy_getinfo(c->h, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK &&
	    loc && (*next = strdup(loc)))
		return 1;
	if (!res->ok)
		jg_exec_fail(res, "HTTP %ld", code);
	return 0;
}

static void follow(const struct jg_connector *k, struct call *c,
                   struct curl_slist *hdrs, char *url, struct jg_buf *out,
                   struct jg_exec_result *res)
{
	const struct http_conf *hc = k->conf;
	int64_t deadline = jg_exec_ms() + k->timeout * 1000;
	char *next = NULL;
	long hops = 0;
	int rc;

	while ((rc = hop(k, c, hdrs, url, deadline, out, &next, res)) == 1) {
		if (hops++ >= hc->max_redirects) {
			jg_exec_fail(res, "HTTP %d: redirect not followed",
			             res->exit_code);
			break;
		}
		if (jg_http_same_origin(url, next, res->error,
		                        sizeof(res->error))) {
			res->ok = 0;
			break;
		}
		if (res->exit_code != 307 && res->exit_code != 308) {
			c->method = "GET"; /* as browsers do for 301/302/303 */
			c->body = NULL;
		}
		free(url);
		url = next;
		next = NULL;
	}
	if (rc == 1)
		res->ok = 0;
	free(next);
	free(url);
}

static void run(const struct jg_connector *k, const struct jg_exec_input *in,
                struct jg_buf *out, struct jg_exec_result *res)
{
	const struct http_conf *hc = k->conf;
	struct call c = {.method = hc->method};
	struct curl_slist *hdrs = NULL;
	char err[160], *url = NULL, *body = NULL;

	/* the built-in slots too: a principal may be named ".." */
	if (path_check(hc, in, res->error, sizeof(res->error)) != JG_OK)
		res->ok = 0;
	else if (jg_template_expand(hc->url, in, JG_ESC_URL, &url, err,
	                            sizeof(err)) ||
	         (hc->body && jg_template_expand(hc->body, in, hc->body_escape,
	                                         &body, err, sizeof(err)))) {
		jg_exec_fail(res, "%s", err);
	} else if (!(hdrs = build_headers(hc, in, res))) {
		/* res->error says why */
	} else if (!(c.h = curl_easy_init())) {
		jg_exec_fail(res, "cannot start libcurl");
	} else {
		c.body = body;
		follow(k, &c, hdrs, url, out, res);
		url = NULL; /* follow owns it */
	}
	if (c.h)
		curl_easy_cleanup(c.h);
	curl_slist_free_all(hdrs);
	free(url);
	free(body);
}

const struct jg_connector_ops jg_http_ops = {
	.kind = "http",
	.conf_size = sizeof(struct http_conf),
	.keys = keys,
	.nkeys = sizeof(keys) / sizeof(keys[0]),
	.check = check,
	.run = run,
	.validate = validate,
	.free_conf = free_conf,
};
