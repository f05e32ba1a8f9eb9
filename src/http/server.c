/*
 * server.c - libmicrohttpd glue: per-connection state, body limits,
 * authentication, dispatch to the route table, response headers, and
 * the exchanges finished on the execution pool (jg_ex_defer): their
 * connection is suspended, so the HTTP worker goes on serving others
 * while the action runs, and resumed with the reply.
 *
 * Nothing of a body is read before the caller is known: libmicrohttpd
 * calls on_request first with the headers only, and there the route is
 * found, the caller authenticated and the declared length checked
 * against the route's bound and the bytes all bodies may hold together
 * (the body budget); a refusal is queued then, so it goes out at once
 * and the connection closes without the body ever being read.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/limits.h"
#include "util/crypto.h"
#include "http/etag.h"
#include "util/log.h"
#include "http/body.h"
#include "http/exchange.h"
#include "http/metrics.h"
#include "http/pool.h"
#include "http/proxy.h"
#include "http/server.h"
#include "http/tls.h"

#define JG_CSP                                                              \
	"default-src 'none'; script-src 'self'; style-src 'self'; "          \
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'; form-action 'self'"

struct jg_server {
	struct MHD_Daemon *mhd;
	struct jg_gate *gate;
	jg_clock_fn clock;
	uint16_t port;
	struct jg_pool *pool; /* owned; the actions run there */
	struct jg_server_threads n;
	struct jg_server_transport tr; /* TLS and trusted proxies */
	int unsent; /* atomic: deferred exchanges whose answer is not out */
	struct jg_body_budget budget; /* what bodies being received hold */
	struct jg_metrics *metrics;   /* owned: answers counted, /metrics */
	int stopping;       /* atomic: set when the server stops */
};

/* An exchange finished on the execution pool (jg_ex_defer). */
struct jg_ex_job {
	struct jg_pool_job pj; /* first: what the pool sees */
	struct jg_server *s;
	struct MHD_Connection *conn; /* suspended until done */
	struct jg_ex ex;             /* what work sees and answers in */
	char peer[INET6_ADDRSTRLEN];
	void (*work)(struct jg_ex *ex, void *arg);
	void *arg; /* owned until work has run */
	struct timespec t0; /* when the request came, for the access log */
};

/* What one connection accumulates before its handler runs. */
struct pending {
	const struct jg_route *route; /* NULL: answered 404/405 at once */
	char param[JG_ID_LEN + 32];   /* the route's '*' segment */
	struct jg_principal who;      /* authenticated on the headers */
	int via_cookie;
	char csrf[65];
	struct jg_body body; /* past a bound: 413/503 at its end, since
	                      * libmicrohttpd 0.9.75 cannot answer mid-body */
	int answered; /* the answer went out on the headers: drop the rest */
	struct jg_ex_job *job; /* owned; the exchange is on the pool */
	int deferred;          /* it was: counted in jg_server.unsent */
};

/* Every answer: its access log line, and its count for /metrics. */
static void answered(struct jg_server *s, const struct pending *p,
                     const char *method, const char *url,
                     const struct jg_ex *ex, int64_t us)
{
	/* url is the path only: MHD strips the query string */
	jg_log_access(method, url, ex->status, ex->who.name, us);
	jg_metrics_answer(s->metrics, p->route, ex->status, us);
}

/* What a '*' segment may hold: ids and asset names are made of these. */
#define PARAM_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
                    "0123456789._-"

/*
 * Match path against pattern; *param receives the '*' segment. A
 * segment with any other byte (a control character, bytes that are not
 * UTF-8) names nothing, so it is a 404 here rather than a question to
 * the store, which may refuse such bytes as an error of its own.
 */
static int match(const char *pattern, const char *path, char *param,
                 size_t size)
{
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");
			if (n == 0 || n >= size || strspn(path, PARAM_CHARS) < n)
				return 0;
			memcpy(param, path, n);
			param[n] = '\0';
			path += n;
			pattern++;
		} else if (*pattern++ != *path++) {
			return 0;
		}
	}
	return !*pattern && !*path;
}

/*
 * The route for method and url; *path_known says if any method fits.
 * HEAD takes the GET route: libmicrohttpd sends its headers, with the
 * length the body would have, and never the body. Not a GET that writes
 * (JG_ROUTE_WRITES): a HEAD must not mint what nobody would see.
 */
static const struct jg_route *route(const char *method, const char *url,
                                    char *param, size_t size,
                                    int *path_known)
{
	int head = strcmp(method, "HEAD") == 0;

	*path_known = 0;
	for (size_t i = 0; i < jg_nroutes; i++) {
		if (!match(jg_routes[i].pattern, url, param, size))
			continue;
		*path_known = 1;
		if (strcmp(jg_routes[i].method, head ? "GET" : method) == 0 &&
		    !(head && (jg_routes[i].flags & JG_ROUTE_WRITES)))
			return &jg_routes[i];
	}
	return NULL;
}

/*
 * A bearer token, or else a dashboard session cookie. Writes made with
 * a cookie (and the GETs that change something, JG_ROUTE_WRITES) must
 * echo the session's CSRF token in X-CSRF-Token: a cookie alone (which a
 * browser may attach to another site's request) is not enough to change
 * anything.
 */
static enum jg_err authenticate(struct jg_server *s, struct jg_ex *ex,
                                const char *method,
                                const struct jg_route *r,
                                char why[JG_WHY_MAX])
{
	const char *h = MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND,
	                                            "Authorization");
	const char *cookie, *csrf;
	enum jg_err e;

	if (h) {
		if (strncmp(h, "Bearer ", 7) != 0)
			return JG_EAUTH;
		return jg_gate_authenticate_why(s->gate, h + 7, ex->now,
		                                &ex->who, why);
	}
	cookie = MHD_lookup_connection_value(ex->conn, MHD_COOKIE_KIND,
	                                     JG_SESSION_COOKIE);
	if (!cookie)
		return JG_EAUTH;
	e = jg_gate_session_auth(s->gate, cookie, ex->now, &ex->who, ex->csrf);
	if (e != JG_OK)
		return e;
	ex->via_cookie = 1;
	if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    !(r->flags & JG_ROUTE_WRITES))
		return JG_OK;
	csrf = MHD_lookup_connection_value(ex->conn, MHD_HEADER_KIND,
	                                   "X-CSRF-Token");
	return csrf && jg_secure_equal(csrf, ex->csrf) ? JG_OK : JG_ECSRF;
}

static int parse_body(struct jg_ex *ex, const struct pending *p)
{
	json_error_t jerr;
	char msg[256];

	if (p->body.len == 0) {
		ex->body = json_object();
		return 0;
	}
	ex->body = json_loadb(p->body.data, p->body.len,
	                      JSON_REJECT_DUPLICATES, &jerr);
	if (!ex->body) {
		snprintf(msg, sizeof(msg), "malformed JSON at line %d column "
		         "%d: %s", jerr.line, jerr.column, jerr.text);
		jg_ex_fail(ex, JG_EINVAL, msg);
		return -1;
	}
	if (!json_is_object(ex->body)) {
		jg_ex_fail(ex, JG_EINVAL, "the body must be a JSON object");
		return -1;
	}
	return 0;
}

/* The 413 of a body past its route's bound. */
static void fail_too_big(struct jg_ex *ex, size_t max)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "the body is larger than %zu KiB (%s)",
	         max / 1024, max == JG_BIG_BODY_MAX ? "a policy text and its "
	         "fields" : max == JG_BODY_MAX ? "this endpoint's bound"
	                                       : "before authentication");
	jg_ex_fail(ex, JG_ETOOBIG, msg);
}

/* The 503 of a body the budget has no room for. */
static void fail_no_room(struct jg_ex *ex)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "the request bodies being received fill "
	         "this server's %zu MiB for them: try again shortly",
	         ex->server->budget.limit / (1024 * 1024));
	jg_ex_fail(ex, JG_EBUSY, msg);
}

/* Run the exchange: parse, handle (routed and authenticated already). */
static void dispatch(struct jg_server *s, struct jg_ex *ex, const char *url,
                     const char *method, const struct pending *p)
{
	const struct jg_route *r = p->route;

	ex->param = p->param;
	ex->path = url;
	ex->is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	ex->who = p->who;
	/* where the caller is: the grant-using events record it */
	snprintf(ex->who.source, sizeof(ex->who.source), "%s",
	         ex->peer ? ex->peer : "");
	ex->via_cookie = p->via_cookie;
	memcpy(ex->csrf, p->csrf, sizeof(ex->csrf));
	if (p->body.too_big) {
		fail_too_big(ex, p->body.max);
		return;
	}
	if (p->body.no_room) {
		fail_no_room(ex);
		return;
	}
	if (r->flags & JG_ROUTE_RAW_BODY) {
		ex->raw_body = p->body.data ? p->body.data : "";
		ex->raw_len = p->body.len;
	} else if (strcmp(method, "POST") == 0 && parse_body(ex, p)) {
		return;
	}
	if (r->flags & JG_ROUTE_EXCLUSIVE) {
		r->fn(ex);
	} else {
		jg_gate_hold(s->gate);
		r->fn(ex);
		jg_gate_release(s->gate);
	}
	if (!ex->reply && !ex->raw && !ex->deferred)
		jg_ex_fail(ex, JG_EINTERNAL, NULL);
}

/*
 * The response for ex's JSON reply. A successful GET carries the ETag of
 * its bytes; when the client already has them (If-None-Match), it is a
 * 304 without a body: the dashboard's polls cost no transfer and no
 * re-render while nothing changed. NULL when out of memory.
 */
static struct MHD_Response *json_response(struct MHD_Connection *conn,
                                          struct jg_ex *ex)
{
	char *text = json_dumps(ex->reply, JSON_COMPACT); /* owned */
	size_t n = text ? strlen(text) : 0;
	char etag[JG_ETAG_LEN] = "";
	struct MHD_Response *resp;

	if (text && ex->is_get && ex->status == 200 && !ex->problem) {
		jg_etag_of(text, n, etag);
		if (jg_etag_match(MHD_lookup_connection_value(
		                          conn, MHD_HEADER_KIND,
		                          MHD_HTTP_HEADER_IF_NONE_MATCH),
		                  etag)) {
			free(text);
			text = NULL;
			n = 0;
			ex->status = 304;
		}
	}
	resp = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return NULL;
	}
	if (etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (ex->status != 304)
		MHD_add_response_header(resp, "Content-Type",
		                        ex->problem ? "application/problem+json"
		                                    : "application/json");
	return resp;
}

static enum MHD_Result respond(struct MHD_Connection *conn, struct jg_ex *ex)
{
	struct MHD_Response *resp = ex->raw;
	enum MHD_Result ret;

	if (!resp && !(resp = json_response(conn, ex)))
		return MHD_NO;
	MHD_add_response_header(resp, "Cache-Control",
	                        ex->cache ? ex->cache : "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* the dashboard's rules hold for every answer: nothing inline,
	 * nothing from elsewhere, never in a frame */
	MHD_add_response_header(resp, "Content-Security-Policy", JG_CSP);
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (ex->server && ex->server->tr.tls) /* browsers: https only */
		MHD_add_response_header(resp, "Strict-Transport-Security",
		                        JG_TLS_HSTS);
	if (ex->set_cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", ex->set_cookie);
	if (ex->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		                        "Bearer realm=\"jitgate\"");
	ret = MHD_queue_response(conn, (unsigned)ex->status, resp);
	MHD_destroy_response(resp);
	ex->raw = NULL;
	return ret;
}

/* ---- exchanges on the execution pool ---- */

static void job_free(struct jg_ex_job *j)
{
	if (!j)
		return;
	free(j->arg);
	json_decref(j->ex.reply);
	free(j);
}

/* The reply is set: the connection's worker sends it once resumed. The
 * job is not touched here after the resume: the worker may free it. */
static void job_done(struct jg_ex_job *j)
{
	free(j->arg);
	j->arg = NULL;
	if (!j->ex.reply && !j->ex.raw)
		jg_ex_fail(&j->ex, JG_EINTERNAL, NULL);
	MHD_resume_connection(j->conn);
}

static void job_run(struct jg_pool_job *pj)
{
	struct jg_ex_job *j = (struct jg_ex_job *)pj;

	j->ex.now = jg_gate_now(j->s->gate, j->s->clock());
	j->work(&j->ex, j->arg);
	job_done(j);
}

static void job_cancel(struct jg_pool_job *pj)
{
	struct jg_ex_job *j = (struct jg_ex_job *)pj;

	jg_ex_fail(&j->ex, JG_EBUSY, "the server is stopping: nothing ran; "
	           "try again");
	job_done(j);
}

int jg_ex_defer(struct jg_ex *ex, void (*work)(struct jg_ex *jex, void *arg),
                void *arg)
{
	struct jg_server *s = ex->server;
	struct jg_ex_job *j;
	char msg[160];

	if (jg_pool_reserve(s->pool) != 0) {
		snprintf(msg, sizeof(msg), "this server runs %u actions at once "
		         "and queues %u more, and all are taken (or it is "
		         "stopping): nothing ran; try again later",
		         s->n.exec, s->n.queue);
		jg_ex_fail(ex, JG_EBUSY, msg);
		return -1;
	}
	if (!(j = calloc(1, sizeof(*j)))) {
		jg_pool_unreserve(s->pool);
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return -1;
	}
	j->pj.run = job_run;
	j->pj.cancel = job_cancel;
	j->s = s;
	j->conn = ex->conn;
	j->ex.gate = ex->gate;
	j->ex.server = s;
	j->ex.who = ex->who;
	j->ex.via_cookie = ex->via_cookie;
	snprintf(j->peer, sizeof(j->peer), "%s", ex->peer ? ex->peer : "");
	j->ex.peer = ex->peer ? j->peer : NULL; /* unknown stays unknown */
	j->work = work;
	j->arg = arg;
	ex->deferred = j;
	return 0;
}

static int64_t since_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/*
 * Suspend the connection first, then queue the job: the pool may resume
 * the connection as soon as the job is queued, and resuming one that is
 * not suspended is an error in libmicrohttpd.
 */
static void defer_start(struct jg_server *s, struct MHD_Connection *conn,
                        struct pending *p, struct jg_ex_job *j,
                        const struct timespec *t0)
{
	j->t0 = *t0;
	p->job = j;
	p->deferred = 1;
	__atomic_add_fetch(&s->unsent, 1, __ATOMIC_RELAXED);
	MHD_suspend_connection(conn);
	jg_pool_submit(s->pool, &j->pj);
}

/* The connection resumed: send what the job answered. */
static enum MHD_Result defer_answer(struct MHD_Connection *conn,
                                    const char *url, const char *method,
                                    struct pending *p)
{
	struct jg_ex_job *j = p->job;
	enum MHD_Result ret = respond(conn, &j->ex);

	answered(j->s, p, method, url, &j->ex, since_us(&j->t0));
	p->job = NULL;
	job_free(j);
	return ret;
}

/* The body is parsed (or refused): its bytes go at once, and its
 * reservation too, unless the exchange went to the pool, whose work holds
 * a copy of what it needs until the answer is out (on_completed). */
static void body_done(struct jg_server *s, struct pending *p, int deferred)
{
	jg_body_drop(&p->body);
	if (!deferred)
		jg_body_release(&s->budget, &p->body);
}

/* ---- the headers: route, caller, declared length ---- */

/* Answer now, before any body: the rest of it is never read (the
 * connection closes after the answer). */
static enum MHD_Result answer_early(struct jg_ex *ex, const char *url,
                                    const char *method, struct pending *p,
                                    const struct timespec *t0)
{
	p->answered = 1;
	answered(ex->server, p, method, url, ex, since_us(t0));
	return respond(ex->conn, ex);
}

/* The declared Content-Length, or -1 when there is none (chunked). */
static long long declared_length(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(
	        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return -1;
	n = strtoull(v, &end, 10);
	if (*end || n > JG_BIG_BODY_MAX) /* libmicrohttpd refuses bad ones */
		return JG_BIG_BODY_MAX + 1LL; /* past every bound */
	return (long long)n;
}

/* The first call, headers only: set p up, or answer at once. */
static enum MHD_Result begin(struct jg_server *s, struct jg_ex *ex,
                            const char *url, const char *method,
                            struct pending *p, const struct timespec *t0)
{
	char why[JG_WHY_MAX];
	int known;
	long long len;
	enum jg_err e;

	p->route = route(method, url, p->param, sizeof(p->param), &known);
	if (!p->route) {
		jg_ex_fail(ex, known ? JG_EMETHOD : JG_ENOTFOUND,
		           known ? "method not allowed on this path"
		                 : "no such endpoint");
		return answer_early(ex, url, method, p, t0);
	}
	p->body.max = p->route->flags & JG_ROUTE_RAW_BODY ? JG_BODY_MAX
	         : p->route->flags & JG_ROUTE_PUBLIC ? JG_PUBLIC_BODY_MAX
	         : p->route->flags & JG_ROUTE_BIG_BODY ? JG_BIG_BODY_MAX
	                                               : JG_BODY_MAX;
	why[0] = '\0';
	if (!(p->route->flags & JG_ROUTE_PUBLIC) &&
	    (e = authenticate(s, ex, method, p->route, why)) != JG_OK) {
		jg_ex_fail(ex, e, why[0] ? why
		                  : e == JG_EAUTH ? "a valid bearer token is "
		                                    "required" : NULL);
		return answer_early(ex, url, method, p, t0);
	}
	p->who = ex->who;
	p->via_cookie = ex->via_cookie;
	memcpy(p->csrf, ex->csrf, sizeof(p->csrf));
	len = declared_length(ex->conn);
	if (len > (long long)p->body.max) {
		fail_too_big(ex, p->body.max);
		return answer_early(ex, url, method, p, t0);
	}
	if (len > 0 && jg_body_reserve(&s->budget, &p->body, (size_t)len)) {
		fail_no_room(ex);
		return answer_early(ex, url, method, p, t0);
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	struct jg_server *s = cls;
	struct pending *p = *con_cls;
	struct timespec t0;
	struct jg_ex ex = {0};
	char peer[INET6_ADDRSTRLEN] = "";
	enum MHD_Result ret;

	(void)version;
	if (p && p->job)
		return defer_answer(conn, url, method, p);
	if (p && *upload_size) {
		ret = p->answered || jg_body_take(&s->budget, &p->body,
		                                  upload_data, *upload_size) == 0
		              ? MHD_YES
		              : MHD_NO;
		*upload_size = 0;
		return ret;
	}
	if (p && p->answered)
		return MHD_YES;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	jg_proxies_peer(s->tr.proxies, conn, peer, sizeof(peer));
	ex.peer = peer[0] ? peer : NULL; /* unknown: checks fail closed */
	ex.conn = conn;
	ex.gate = s->gate;
	ex.server = s;
	ex.now = jg_gate_now(s->gate, s->clock()); /* never back in time */
	if (!p) {
		if (!(p = calloc(1, sizeof(*p))))
			return MHD_NO;
		*con_cls = p;
		ret = begin(s, &ex, url, method, p, &t0);
	} else {
		dispatch(s, &ex, url, method, p);
		body_done(s, p, ex.deferred != NULL);
		if (ex.deferred) {
			defer_start(s, conn, p, ex.deferred, &t0);
			ret = MHD_YES;
		} else {
			ret = respond(conn, &ex);
			answered(s, p, method, url, &ex, since_us(&t0));
		}
	}
	json_decref(ex.body);
	json_decref(ex.reply);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode tc)
{
	struct jg_server *s = cls;
	struct pending *p = *con_cls;

	(void)conn;
	(void)tc;
	if (p) { /* a job is done by now: jg_server_stop waits for them */
		if (p->deferred) /* its answer is out, or never will be */
			__atomic_sub_fetch(&s->unsent, 1, __ATOMIC_RELEASE);
		job_free(p->job);
		jg_body_release(&s->budget, &p->body);
		jg_body_drop(&p->body);
		free(p);
		*con_cls = NULL;
	}
}

/*
 * How many connections libmicrohttpd holds at once. A connection that
 * sends nothing, or a byte now and then, keeps its slot until the
 * connection timeout; at the limit, new clients wait in the listen queue
 * behind them. So the limit sits far above what real clients open
 * (tests/e2e/test_load.sh holds 2,000 idle and 200 slow connections and
 * measures the others' latency), bounded by the descriptors the process
 * may open, whose soft limit (often 1024) is raised to the hard one for
 * that. A few descriptors stay for the store, the log and notifications.
 */
#define JG_CONNECTIONS_MAX 16384u
#define JG_FD_RESERVE 128u

static unsigned connection_limit(void)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)JG_CONNECTIONS_MAX + JG_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1000u;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return JG_CONNECTIONS_MAX;
	return rl.rlim_cur > 2 * JG_FD_RESERVE
	               ? (unsigned)(rl.rlim_cur - JG_FD_RESERVE)
	               : JG_FD_RESERVE;
}

enum jg_err jg_server_start(struct jg_gate *gate, const char *host,
                            uint16_t port, const struct jg_server_threads *n,
                            const struct jg_server_transport *tr,
                            jg_clock_fn clock, struct jg_server **out,
                            char *err, size_t errlen)
{
	static const struct MHD_OptionItem plain[] = {{MHD_OPTION_END, 0,
	                                               NULL}};
	struct jg_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port)};
	const union MHD_DaemonInfo *info;

	*out = NULL;
	if (!s)
		return JG_ENOMEM;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, errlen, "listen address '%s' is not an IPv4 "
		         "address", host);
		free(s);
		return JG_EINVAL;
	}
	s->gate = gate;
	s->clock = clock;
	s->n = *n;
	s->tr = *tr;
	if (!s->n.body_mib)
		s->n.body_mib = JG_BODY_MEMORY_DEFAULT;
	if (!s->n.replay_s)
		s->n.replay_s = JG_REPLAY_TIMEOUT_DEFAULT;
	s->budget.limit = (size_t)s->n.body_mib * 1024 * 1024;
	if (!(s->metrics = jg_metrics_new())) {
		free(s);
		return JG_ENOMEM;
	}
	if (!(s->pool = jg_pool_new(n->exec, n->queue))) {
		snprintf(err, errlen, "cannot start %u execution threads",
		         n->exec);
		jg_metrics_free(s->metrics);
		free(s);
		return JG_ENOMEM;
	}
	s->mhd = MHD_start_daemon(
	        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
	                MHD_ALLOW_SUSPEND_RESUME | (tr->tls ? MHD_USE_TLS : 0),
	        port,
	        NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
	        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
	        n->http, MHD_OPTION_LISTEN_SOCKET,
	        (MHD_socket)(n->listen_fd > 0 ? n->listen_fd : -1),
	        MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	        MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->n.per_ip,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	        MHD_OPTION_ARRAY, tr->tls ? jg_tls_mhd_options(tr->tls) : plain,
	        MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "cannot listen on %s:%u (in use, or not "
		         "allowed)", host, port);
		jg_pool_free(s->pool);
		jg_metrics_free(s->metrics);
		free(s);
		return JG_EINVAL;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	*out = s;
	return JG_OK;
}

uint16_t jg_server_port(const struct jg_server *s)
{
	return s->port;
}

unsigned jg_ex_replay_ms(const struct jg_ex *ex)
{
	return ex->server->n.replay_s * 1000u;
}

struct jg_metrics *jg_ex_metrics(const struct jg_ex *ex)
{
	return ex->server->metrics;
}

int jg_ex_from_proxy(const struct jg_ex *ex)
{
	return jg_proxies_trusts_peer(ex->server->tr.proxies, ex->conn);
}

const int *jg_ex_stopping(const struct jg_ex *ex)
{
	return &ex->server->stopping;
}

/*
 * Stop accepting; let the actions running end (each within its
 * connector's timeout, which kills what overstays) and answer, and
 * refuse those still queued, nothing of them begun; give the workers a
 * moment (JG_DRAIN_MS at most) to send those answers; only then stop the
 * daemon, which closes every connection.
 */
#define JG_DRAIN_MS 2000

void jg_server_stop(struct jg_server *s)
{
	struct timespec tick = {0, 10 * 1000000L};
	MHD_socket lfd;

	if (!s)
		return;
	lfd = MHD_quiesce_daemon(s->mhd);
	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE); /* replays end */
	jg_pool_stop(s->pool);
	for (int i = 0; i < JG_DRAIN_MS / 10 &&
	                __atomic_load_n(&s->unsent, __ATOMIC_ACQUIRE) > 0;
	     i++)
		nanosleep(&tick, NULL);
	MHD_stop_daemon(s->mhd);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	jg_pool_free(s->pool);
	jg_metrics_free(s->metrics);
	free(s);
}
