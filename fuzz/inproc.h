/*
 * inproc.h - the real jitgate HTTP server inside a libFuzzer process,
 * for harnesses that feed the API what a client would send.
 *
 * Why the real server rather than calling handlers with a parsed body:
 * the bytes then take the path they take in production - libmicrohttpd
 * reads the request, server.c routes it, bounds the body (take_body),
 * authenticates (bearer or cookie + CSRF), parses it with jansson
 * (parse_body), the handler checks the fields, the gate screens and
 * decides inside a real SQLite transaction, the audit chain is appended
 * and the answer rendered. Nothing is mocked, so a bug anywhere on that
 * path (including in the glue no unit test calls) shows up; the price is
 * a loopback round trip per call, a few hundred inputs per second.
 *
 * One server per process: a store in a fresh directory (under
 * $JG_FUZZ_TMP, else /dev/shm when there is one, so synchronous=FULL
 * costs nothing), the policy below,
 * tokens for an admin, two approvers, a requester and a scanner, and a
 * dashboard session. inproc_reset() starts over with an empty store; the
 * harnesses call it every so many inputs so that the store (and the cost
 * of calls that walk it) stays bounded.
 *
 * The server's access log goes to stderr, one line per call. So that the
 * fuzzer's own output stays readable, inproc_quiet_args() adds
 * -close_fd_mask=2 to the command line: libFuzzer then keeps its output
 * and every sanitizer report, and drops the target's stderr. Set
 * JG_FUZZ_VERBOSE=1 to see the server's log (when replaying a crash).
 *
 * Every answer is checked against what the API promises for any input:
 * never a 5xx (a bad input is the client's fault, 4xx with a problem),
 * always JSON, a problem always has a urn:jitgate:problem: type and the
 * HTTP status in its "status". A broken promise traps like a crash.
 */
#ifndef JG_FUZZ_INPROC_H
#define JG_FUZZ_INPROC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "gate/gate.h"
#include "http/server.h"
#include "policy/load.h"
#include "sign/keys.h"
#include "util/crypto.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())
#define INPROC_REPLY_MAX (4u << 20)

static const char inproc_policy[] =
        "version: 1\n"
        "groups:\n"
        "  ops: {members: [bob, carol]}\n"
        "  sre: {members: [alice]}\n"
        "resources:\n"
        "  prod-db: {labels: {env: prod}, sensitivity: high,\n"
        "            actions: [sql.read, sql.write]}\n"
        "  lab-db: {labels: {env: lab}, actions: [sql.read, sql.write]}\n"
        "  app: {labels: {env: staging}, actions: [fix.deploy]}\n"
        "rules:\n"
        "  - name: scanner-fixes\n"
        "    match: {finding_type: [sast, dast]}\n"
        "    checks:\n"
        "      severity: {at_most: medium, mode: match}\n"
        "    decision: auto\n"
        "    max_duration: 30m\n"
        "  - name: lab\n"
        "    match: {environment: lab}\n"
        "    decision: auto\n"
        "    max_duration: 2h\n"
        "    extensions: {auto: 2}\n"
        "  - name: prod\n"
        "    match: {resource: \"prod-*\"}\n"
        "    checks:\n"
        "      ticket: {pattern: \"(INC|CHG)-[0-9]+\", mode: flag}\n"
        "      justification: {min_length: 8, mode: flag}\n"
        "      source: {cidrs: [10.0.0.0/8], mode: flag}\n"
        "      rate: {per_requester: 100000, window: 1h}\n"
        "    steps: [{group: ops, count: 2}]\n"
        "    max_duration: 1h\n"
        "    request_ttl: 1h\n"
        "    break_glass: {group: sre, max_duration: 30m}\n"
        "  - name: everything-else\n"
        "    steps: [{group: ops, count: 1}]\n";

struct inproc_reply {
	long status;
	char *body; /* NUL-terminated, owned by the inproc */
	size_t len;
	int truncated;
	int json; /* Content-Type says JSON (ours) rather than HTML (MHD's) */
	int high; /* the request held a byte >= 0x80 (path or body) */
};

/*
 * Harnesses that send odd headers or URLs set this: libmicrohttpd itself
 * then may refuse the request before jitgate sees it (400, 413, 414,
 * 431 with its own HTML page), which is fine.
 */
static int inproc_mhd_may_refuse;

/*
 * JG_FUZZ_ALLOW=utf8 lets a run go on past a known bug (for exploring
 * while its fix is pending): a 500 to a request holding bytes >= 0x80,
 * the symptom of problem details that are not UTF-8 (tests/README.md).
 * Never set in fuzz-ci.
 */
static inline int inproc_allowed(const char *what)
{
	const char *allow = getenv("JG_FUZZ_ALLOW");
	return allow && strstr(allow, what) != NULL;
}

static inline int inproc_has_high(const void *p, size_t n, int url)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] >= 0x80 ||
		    (url && b[i] == '%' && i + 2 < n &&
		     strchr("89abcdefABCDEF", b[i + 1]) && b[i + 1]))
			return 1;
	return 0;
}

struct inproc {
	char dir[128];
	char db[192];
	char policy_path[192];
	struct jg_store *st;
	struct jg_gate *gate;
	struct jg_server *srv;
	struct jg_keys *keys;
	CURL *curl;
	char base[64];
	/* secrets of the fixture principals */
	char admin[JG_TOKEN_LEN], alice[JG_TOKEN_LEN], bob[JG_TOKEN_LEN];
	char carol[JG_TOKEN_LEN], svc[JG_TOKEN_LEN];
	char spare_id[JG_ID_LEN]; /* a token any input may try to revoke */
	char cookie[JG_TOKEN_LEN], csrf[JG_SHA256_HEX]; /* admin session */
	struct inproc_reply reply;
	unsigned long calls;
};

static inline int64_t inproc_clock(void)
{
	return (int64_t)time(NULL);
}

static inline void inproc_die(const char *what, const char *why)
{
	fprintf(stderr, "inproc: %s: %s\n", what, why ? why : "");
	abort();
}

static inline int inproc_rm_one(const char *path, const struct stat *sb,
                                int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove the store's directory and everything in it. */
static inline void inproc_rm(struct inproc *ip)
{
	nftw(ip->dir, inproc_rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static inline void inproc_token(struct inproc *ip,
                                const struct jg_principal *admin,
                                const char *name, const char *group,
                                int service, int roles,
                                char secret[JG_TOKEN_LEN],
                                char id[JG_ID_LEN])
{
	struct jg_token spec = {0}, out;
	char why[JG_WHY_MAX] = "";

	snprintf(spec.who.name, sizeof(spec.who.name), "%s", name);
	if (group) {
		snprintf(spec.who.groups[0], sizeof(spec.who.groups[0]), "%s",
		         group);
		spec.who.ngroups = 1;
	}
	spec.who.service = service;
	spec.who.roles = roles;
	if (jg_gate_token_create(ip->gate, admin, &spec, inproc_clock(), &out,
	                         secret, why) != JG_OK)
		inproc_die("token", why);
	if (id)
		memcpy(id, out.id, JG_ID_LEN);
}

/* A fresh store, gate and server with the fixture principals. */
static inline void inproc_up(struct inproc *ip)
{
	struct jg_policy *p = NULL;
	struct jg_principal admin;
	char err[512], tmpl[128];
	FILE *f;

	const char *tmp = getenv("JG_FUZZ_TMP"); /* tests/fuzz-ci sets it */

	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/jitgate-fuzz.XXXXXX", tmp);
	if (!mkdtemp(tmpl))
		inproc_die("mkdtemp", tmpl);
	snprintf(ip->dir, sizeof(ip->dir), "%s", tmpl);
	snprintf(ip->db, sizeof(ip->db), "%s/j.db", ip->dir);
	snprintf(ip->policy_path, sizeof(ip->policy_path), "%s/policy.yaml",
	         ip->dir);
	if (!(f = fopen(ip->policy_path, "w")) ||
	    fwrite(inproc_policy, 1, sizeof(inproc_policy) - 1, f) !=
	            sizeof(inproc_policy) - 1 ||
	    fclose(f))
		inproc_die("write policy", ip->policy_path);
	if (jg_policy_load(ip->policy_path, &p, err, sizeof(err)) != JG_OK)
		inproc_die("policy", err);
	if (jg_store_open(ip->db, &ip->st, err, sizeof(err)) != JG_OK)
		inproc_die("store", err);
	snprintf(tmpl, sizeof(tmpl), "%s/keys", ip->dir);
	if (jg_keys_open(tmpl, inproc_clock(), &ip->keys, err, sizeof(err)) !=
	    JG_OK)
		inproc_die("keys", err);
	if (jg_gate_new(ip->st, p, ip->policy_path, &ip->gate) != JG_OK ||
	    jg_gate_start(ip->gate, inproc_clock(), ip->admin) != JG_OK ||
	    !ip->admin[0])
		inproc_die("gate", ip->st->err);
	jg_gate_set_keys(ip->gate, ip->keys); /* as jitgate serve does */
	if (jg_gate_index_load(ip->gate) != JG_OK) /* check answers from it */
		inproc_die("gate", "cannot load the index of live grants");
	if (jg_gate_authenticate(ip->gate, ip->admin, inproc_clock(),
	                         &admin) != JG_OK)
		inproc_die("gate", "the bootstrap token does not work");
	inproc_token(ip, &admin, "alice", NULL, 0, 0, ip->alice, NULL);
	inproc_token(ip, &admin, "bob", "ops", 0, 0, ip->bob, NULL);
	inproc_token(ip, &admin, "carol", "ops", 0, 0, ip->carol, NULL);
	inproc_token(ip, &admin, "scanner", NULL, 1, 0, ip->svc, NULL);
	{
		char unused[JG_TOKEN_LEN];
		inproc_token(ip, &admin, "spare", NULL, 0, 0, unused,
		             ip->spare_id);
	}
	if (jg_gate_session_open(ip->gate, ip->admin, inproc_clock(),
	                         ip->cookie, ip->csrf, &admin) != JG_OK)
		inproc_die("session", "cannot open the admin session");
	if (jg_server_start(ip->gate, "127.0.0.1", 0,
	                    &(struct jg_server_threads){.http = 2, .exec = 2,
	                                                .queue = 8},
	                    &(struct jg_server_transport){.tls = NULL},
	                    inproc_clock, &ip->srv, err,
	                    sizeof(err)) != JG_OK)
		inproc_die("server", err);
	snprintf(ip->base, sizeof(ip->base), "http://127.0.0.1:%u",
	         jg_server_port(ip->srv));
}

static inline void inproc_down(struct inproc *ip)
{
	jg_server_stop(ip->srv);
	jg_gate_free(ip->gate);
	jg_store_close(ip->st);
	jg_keys_free(ip->keys);
	ip->keys = NULL;
	ip->srv = NULL;
	ip->gate = NULL;
	ip->st = NULL;
	inproc_rm(ip);
}

static struct inproc *inproc_global;

static inline void inproc_atexit(void)
{
	if (inproc_global && inproc_global->srv)
		inproc_down(inproc_global);
}

static inline size_t inproc_write(char *data, size_t size, size_t n, void *ctx)
{
	struct inproc_reply *r = ctx;
	size_t len = size * n;

	if (r->len + len > INPROC_REPLY_MAX) {
		r->truncated = 1;
		return len;
	}
	char *nb = realloc(r->body, r->len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, data, len);
	r->body = nb;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

/* The process's server, started on first use. */
static inline struct inproc *inproc_get(void)
{
	static struct inproc ip;

	if (!inproc_global) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inproc_up(&ip);
		if (!(ip.curl = curl_easy_init()))
			inproc_die("curl", "init");
		inproc_global = &ip;
		atexit(inproc_atexit);
	}
	return inproc_global;
}

/* Start over with an empty store (every `every` calls of this). */
static inline void inproc_maybe_reset(struct inproc *ip, unsigned long every)
{
	if (++ip->calls % every)
		return;
	inproc_down(ip);
	inproc_up(ip);
}

/*
 * One HTTP exchange. headers: NULL-terminated "Name: value" lines (no
 * Authorization is added: pass one); body NULL for none. The answer is
 * in ip->reply until the next call.
 */
static inline struct inproc_reply *
inproc_call(struct inproc *ip, const char *method, const char *path,
            const char *const *headers, const void *body, size_t len)
{
	struct curl_slist *h = NULL;
	char url[8192];
	CURLcode rc;

	ip->reply.len = 0;
	ip->reply.truncated = 0;
	ip->reply.status = 0;
	ip->reply.high = inproc_has_high(path, strlen(path), 1) ||
	                 (body && inproc_has_high(body, len, 0));
	free(ip->reply.body);
	ip->reply.body = NULL;
	snprintf(url, sizeof(url), "%s%s", ip->base, path);
	curl_easy_reset(ip->curl);
	curl_easy_setopt(ip->curl, CURLOPT_URL, url);
	curl_easy_setopt(ip->curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(ip->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ip->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(ip->curl, CURLOPT_WRITEFUNCTION, inproc_write);
	curl_easy_setopt(ip->curl, CURLOPT_WRITEDATA, &ip->reply);
	for (size_t i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(ip->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)len);
		curl_easy_setopt(ip->curl, CURLOPT_POSTFIELDS,
		                 len ? body : "");
	}
	curl_easy_setopt(ip->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(ip->curl, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(ip->curl);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		/* the server hung or dropped the connection: a bug */
		fprintf(stderr, "inproc: %s %s: %s\n", method, path,
		        curl_easy_strerror(rc));
		__builtin_trap();
	}
	curl_easy_getinfo(ip->curl, CURLINFO_RESPONSE_CODE, &ip->reply.status);
	{
		char *ct = NULL;
		curl_easy_getinfo(ip->curl, CURLINFO_CONTENT_TYPE, &ct);
		ip->reply.json = ct && strstr(ct, "json") != NULL;
	}
	if (!ip->reply.body) {
		ip->reply.body = calloc(1, 1);
		CHECK(ip->reply.body != NULL);
	}
	return &ip->reply;
}

/* A bearer header line for secret, in buf. */
static inline const char *inproc_bearer(char buf[96], const char *secret)
{
	snprintf(buf, 96, "Authorization: Bearer %s", secret);
	return buf;
}

/*
 * The promises every answer keeps, whatever was sent: no 5xx, a JSON
 * body (NDJSON for the export), problems well formed. Returns the parsed
 * body (caller decrefs), NULL for NDJSON.
 */
static inline json_t *inproc_sane(struct inproc_reply *r, int ndjson)
{
	json_error_t jerr;
	json_t *v, *type, *status;

	if (r->status == 500 && r->high && inproc_allowed("utf8"))
		return NULL;
	if (r->status >= 500 || r->status < 200) {
		fprintf(stderr, "inproc: HTTP %ld: %.300s\n", r->status,
		        r->body);
		__builtin_trap();
	}
	if (ndjson && r->status == 200) {
		/* every line one JSON object */
		char *line = r->body, *nl;
		CHECK(!r->truncated);
		while (*line) {
			nl = strchr(line, '\n');
			CHECK(nl != NULL);
			v = json_loadb(line, (size_t)(nl - line), 0, &jerr);
			CHECK(v && json_is_object(v));
			json_decref(v);
			line = nl + 1;
		}
		return NULL;
	}
	if (r->truncated)
		return NULL;
	if (!r->json && inproc_mhd_may_refuse &&
	    (r->status == 400 || r->status == 413 || r->status == 414 ||
	     r->status == 431))
		return NULL;
	v = json_loadb(r->body, r->len, 0, &jerr);
	if (!v) {
		fprintf(stderr, "inproc: HTTP %ld, not JSON: %.300s\n",
		        r->status, r->body);
		__builtin_trap();
	}
	if (r->status >= 400) {
		type = json_object_get(v, "type");
		status = json_object_get(v, "status");
		CHECK(json_is_string(type) &&
		      strncmp(json_string_value(type), "urn:jitgate:problem:",
		              20) == 0);
		CHECK(json_is_integer(status) &&
		      json_integer_value(status) == r->status);
		CHECK(json_is_string(json_object_get(v, "detail")));
	}
	return v;
}

/* 1 when the command line already sets flag (e.g. "-detect_leaks"). */
static inline int inproc_has_flag(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], flag, strlen(flag)) == 0 &&
		    argv[i][strlen(flag)] == '=')
			return 1;
	return 0;
}

/*
 * The libFuzzer flags these harnesses want unless the command line says
 * otherwise (called from LLVMFuzzerInitialize, before libFuzzer reads
 * its flags):
 *   -close_fd_mask=2  see the top of this file (not with JG_FUZZ_VERBOSE);
 *   -detect_leaks=0   libFuzzer's leak check after every input whose
 *                     mallocs and frees do not balance stops the world
 *                     and scans it; the server threads always leave some
 *                     (a kept-alive connection's buffers), so it would
 *                     run on every input, 7 times slower. Leaks are still
 *                     found: LeakSanitizer checks at exit, after
 *                     inproc_atexit has stopped the server and freed all.
 */
static inline void inproc_quiet_args(int *argc, char ***argv)
{
	static char quiet[] = "-close_fd_mask=2", leaks[] = "-detect_leaks=0";
	const char *verbose = getenv("JG_FUZZ_VERBOSE");
	char **nv;
	int n = *argc;

	if (!(nv = calloc((size_t)n + 3, sizeof(*nv))))
		return;
	memcpy(nv, *argv, (size_t)n * sizeof(*nv));
	if (!(verbose && *verbose && strcmp(verbose, "0") != 0) &&
	    !inproc_has_flag(*argc, *argv, "-close_fd_mask"))
		nv[n++] = quiet;
	if (!inproc_has_flag(*argc, *argv, "-detect_leaks"))
		nv[n++] = leaks;
	nv[n] = NULL;
	*argv = nv;
	*argc = n;
}

#endif
