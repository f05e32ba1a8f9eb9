/*
 * fuzz_query.c - libFuzzer harness for query strings and path ids: the
 * list filters (state, requester, principal, resource, post_review,
 * actor, type, subject), paging (limit and the cursor parser), times
 * (since and until through jg_time_parse), and the ids in
 * /v1/requests/{id} and /v1/grants/{id}.
 *
 * The input is used as the query string of every GET route that reads
 * one, as the admin and (for the lists whose answer depends on who asks)
 * as alice, who sees only her own requests and grants, and of alice's
 * GET /v1/grants/{id}/token (its audience, aud); and its first
 * line as the id of a request and of a grant. It goes through the real
 * server in this process (inproc.h), so libmicrohttpd splits and
 * unescapes it exactly as it would for a client; bytes a client could
 * not put in a URL (controls, space, '#', non-ASCII) are percent-encoded
 * first, and '%' is left alone so that the fuzzer can write any escape,
 * "%00" included.
 *
 * The store holds a fixed set of requests, reviews, grants, events and
 * outbox-free tokens made at start-up and is never written by the GETs,
 * so every input meets the same data. Beyond inproc_sane(): a list answer
 * has "items" (an array) and a "next_cursor" that is null or a string of
 * digits; a page never holds more than the limit asked for; alice never
 * sees a request of someone else.
 *
 * Run with `make fuzz` or `make fuzz-ci` (seeds: fuzz/corpus/query/,
 * dictionary fuzz/query.dict).
 */
#include <ctype.h>

#include "inproc.h"

#define QUERY_MAX 2048

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	inproc_quiet_args(argc, argv);
	inproc_mhd_may_refuse = 1;
	return 0;
}

/* POST body to path as secret; the checked answer (caller decrefs). */
static json_t *post(struct inproc *ip, const char *secret, const char *path,
                    const char *body)
{
	char auth[96];
	const char *hdr[2] = {inproc_bearer(auth, secret), NULL};

	return inproc_sane(inproc_call(ip, "POST", path, hdr, body,
	                               strlen(body)), 0);
}

static char alice_grant[JG_ID_LEN]; /* a live grant of alice's */

/* Some history for the filters to find: every state, several pages. */
static void populate(struct inproc *ip)
{
	static const char *const bodies[] = {
		"{\"resource\":\"prod-db\",\"action\":\"sql.write\",\"reason\":"
		"\"fixture one\",\"ticket\":\"INC-1\",\"duration\":\"10m\"}",
		"{\"resource\":\"lab-db\",\"action\":\"sql.read\",\"reason\":"
		"\"fixture two\",\"duration\":\"1h\"}",
		"{\"resource\":\"prod-db\",\"action\":\"sql.read\",\"reason\":"
		"\"fixture three\",\"duration\":\"5m\"}",
	};
	char path[128];

	for (int i = 0; i < 24; i++) {
		const char *who = i % 5 == 4   ? ip->bob
		                  : i % 4 == 3 ? ip->svc
		                               : ip->alice;
		json_t *v = post(ip, who, "/v1/requests", bodies[i % 3]);
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *grant =
		        json_string_value(json_object_get(v, "grant_id"));

		CHECK(ip->reply.status == 201 && id != NULL);
		if (i % 3 == 0) { /* pending: approve, deny or leave it */
			snprintf(path, sizeof(path), "/v1/requests/%s/%s", id,
			         i % 2 ? "deny" : "approve");
			const char *by = who == ip->bob ? ip->carol : ip->bob;
			/* a deny needs a comment */
			json_decref(post(ip, by, path, "{\"comment\":\"no\"}"));
		}
		if (grant && grant[0] && i % 2) {
			snprintf(path, sizeof(path), "/v1/grants/%s/revoke",
			         grant);
			json_decref(post(ip, ip->admin, path, "{}"));
		} else if (grant && grant[0] && who == ip->alice) {
			snprintf(alice_grant, sizeof(alice_grant), "%s", grant);
		}
		json_decref(v);
	}
}

static struct inproc *server(void)
{
	static int populated;
	struct inproc *ip = inproc_get();

	if (!populated) {
		populate(ip);
		CHECK(alice_grant[0] != '\0');
		populated = 1;
	}
	return ip;
}

/* data as URL text: percent-encode what cannot appear raw. */
static size_t encode(const uint8_t *data, size_t size, char *out,
                     size_t cap, int segment)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < size && n + 4 < cap; i++) {
		uint8_t c = data[i];
		if (segment && c == '\n')
			break;
		if (c > 0x20 && c < 0x7f && c != '#' &&
		    !(segment && (c == '/' || c == '?'))) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return n;
}

/* The answer to a list: well formed, at most `limit` items. */
static void check_page(json_t *v, const char *query, const char *key,
                       const char *only)
{
	json_t *items, *next, *it;
	size_t i;

	if (!v || !json_object_get(v, "items"))
		return; /* a problem, already checked */
	items = json_object_get(v, "items");
	CHECK(json_is_array(items));
	next = json_object_get(v, "next_cursor");
	if (next && !json_is_null(next)) {
		const char *s = json_string_value(next);
		CHECK(s && *s);
		for (const char *p = s; *p; p++)
			CHECK(isdigit((unsigned char)*p));
	}
	/* limit=N given plainly: never more than N */
	const char *l = strstr(query, "limit=");
	if (l && (l == query || l[-1] == '&')) {
		char *end;
		long lim = strtol(l + 6, &end, 10);
		if (end != l + 6 && (*end == '\0' || *end == '&') && lim > 0 &&
		    lim <= 500 && !strstr(end, "limit="))
			CHECK(json_array_size(items) <= (size_t)lim);
	}
	if (only)
		json_array_foreach(items, i, it) {
			const char *who = json_string_value(
			        json_object_get(it, key));
			CHECK(who);
			CHECK(strcmp(who, only) == 0 ||
			      json_is_true(json_object_get(it, "can_review")));
		}
}

static const char *const *hdr_admin(struct inproc *ip)
{
	static char auth[96];
	static const char *hdr[2];

	hdr[0] = inproc_bearer(auth, ip->admin);
	return hdr;
}

static void get(struct inproc *ip, const char *secret, const char *route,
                const char *query, int ndjson, const char *key,
                const char *only)
{
	char path[QUERY_MAX * 3 + 64], auth[96];
	const char *hdr[2] = {inproc_bearer(auth, secret), NULL};
	json_t *v;

	snprintf(path, sizeof(path), "%s%s%s", route, *query ? "?" : "", query);
	v = inproc_sane(inproc_call(ip, "GET", path, hdr, NULL, 0), ndjson);
	if (ip->reply.status == 200 && !ndjson)
		check_page(v, query, key, only);
	json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char q[QUERY_MAX * 3 + 1], seg[QUERY_MAX * 3 + 1];
	char path[sizeof(seg) + 32], auth[96];
	const char *hdr[2] = {NULL, NULL};
	struct inproc *ip = server();

	if (size > QUERY_MAX)
		return 0;
	encode(data, size, q, sizeof(q), 0);
	encode(data, size, seg, sizeof(seg), 1);

	get(ip, ip->admin, "/v1/requests", q, 0, NULL, NULL);
	get(ip, ip->alice, "/v1/requests", q, 0, "requester", "alice");
	get(ip, ip->admin, "/v1/grants", q, 0, NULL, NULL);
	get(ip, ip->alice, "/v1/grants", q, 0, "principal", "alice");
	get(ip, ip->admin, "/v1/audit", q, 0, NULL, NULL);
	get(ip, ip->admin, "/v1/audit/export", q, 1, NULL, NULL);
	get(ip, ip->admin, "/v1/outbox", q, 0, NULL, NULL);
	/* not paged: the answer is the whole list, whatever the query */
	json_decref(inproc_sane(inproc_call(ip, "GET", "/v1/tokens",
	                                    hdr_admin(ip), NULL, 0), 0));

	/* a signed token for alice's grant, for the audience asked (aud) */
	snprintf(path, sizeof(path), "/v1/grants/%s/token", alice_grant);
	get(ip, ip->alice, path, q, 0, NULL, NULL);

	if (seg[0]) {
		hdr[0] = inproc_bearer(auth, ip->admin);
		snprintf(path, sizeof(path), "/v1/requests/%s", seg);
		json_decref(inproc_sane(inproc_call(ip, "GET", path, hdr, NULL,
		                                    0), 0));
		snprintf(path, sizeof(path), "/v1/grants/%s", seg);
		json_decref(inproc_sane(inproc_call(ip, "GET", path, hdr, NULL,
		                                    0), 0));
	}
	return 0;
}
