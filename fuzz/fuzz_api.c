/*
 * fuzz_api.c - libFuzzer harness for every API request body.
 *
 * The input is a request body. It is POSTed, through the real HTTP
 * server running in this process (see inproc.h for why the real server),
 * to every route that takes a body, each time as a caller who gets past
 * authentication and authorisation, so the body reaches the handler's
 * field checks and, when those pass, the use case:
 *
 *   /v1/requests                  as the scanner or as alice (by size)
 *   /v1/requests/R/approve, deny, post-review, execute, cancel
 *                                 R pending, made by alice for this input
 *   /v1/grants/G/extend, done, revoke
 *                                 G alice's, auto-approved for this input
 *   /v1/check, /v1/tokens, /v1/tokens/T/revoke, /v1/policy/reload,
 *   /v1/policy/replay, /v1/keys/rotate, /v1/session/close    as the admin
 *   /v1/session                   (public: the body holds the token)
 *
 * Not here: /v1/findings, whose scanner reports fuzz/fuzz_findings.c
 * covers.
 *
 * Each input first makes its own pending request and live grant, so what
 * one input does (approve, revoke) does not shape the next; the store
 * starts over every RESET_EVERY inputs.
 *
 * Beyond the sanitizers and the promises inproc_sane() checks on every
 * answer: a create answered 201 shows the request with an id and a
 * known state; a body the server refused changed nothing that the next
 * calls can see (the pending request stays pending after a refused
 * approval).
 *
 * Run with `make fuzz` or `make fuzz-ci` (seeds: fuzz/corpus/api/,
 * dictionary fuzz/api.dict).
 */
#include "inproc.h"

#define RESET_EVERY 400

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	inproc_quiet_args(argc, argv);
	return 0;
}

/* POST path as secret (NULL: no token) with body; the checked answer. */
static json_t *post(struct inproc *ip, const char *path, const char *secret,
                    const uint8_t *data, size_t size, long *status)
{
	char auth[96];
	const char *hdr[2] = {secret ? inproc_bearer(auth, secret) : NULL,
	                      NULL};
	struct inproc_reply *r = inproc_call(ip, "POST", path, hdr, data, size);

	*status = r->status;
	return inproc_sane(r, 0);
}

/* A fixture made for this input; its id into id. */
static void make(struct inproc *ip, const char *body, int want_grant,
                 char id[JG_ID_LEN])
{
	long status;
	json_t *v = post(ip, "/v1/requests", ip->alice, (const uint8_t *)body,
	                 strlen(body), &status);
	const char *s = json_string_value(json_object_get(
	        v, want_grant ? "grant_id" : "id"));

	CHECK(status == 201 && s && strlen(s) < JG_ID_LEN);
	memcpy(id, s, strlen(s) + 1);
	json_decref(v);
}

static const char *state_of(json_t *v)
{
	return json_string_value(json_object_get(v, "state"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inproc *ip = inproc_get();
	char req[JG_ID_LEN], grant[JG_ID_LEN], path[128];
	char auth[96];
	const char *hdr[2] = {NULL, NULL};
	long status;
	json_t *v;

	inproc_maybe_reset(ip, RESET_EVERY);
	make(ip, "{\"resource\":\"prod-db\",\"action\":\"sql.write\","
	         "\"reason\":\"fuzz fixture\",\"ticket\":\"INC-1\","
	         "\"payload\":\"UPDATE t SET x = 1\",\"duration\":\"10m\"}",
	     0, req);
	make(ip, "{\"resource\":\"lab-db\",\"action\":\"sql.read\","
	     "\"reason\":\"fuzz fixture\",\"duration\":\"10m\"}", 1, grant);

	/* create */
	v = post(ip, "/v1/requests", size & 1 ? ip->alice : ip->svc, data, size,
	         &status);
	if (status == 201) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *st = state_of(v);
		CHECK(id && strncmp(id, "req_", 4) == 0);
		CHECK(st && (strcmp(st, "pending") == 0 ||
		             strcmp(st, "approved") == 0 ||
		             strcmp(st, "denied") == 0));
	}
	json_decref(v);

	/* reviews of the pending request, then its cancellation */
	snprintf(path, sizeof(path), "/v1/requests/%s/approve", req);
	json_decref(post(ip, path, ip->bob, data, size, &status));
	if (status != 200) {
		/* refused: nothing changed, carol's deny still counts */
		hdr[0] = inproc_bearer(auth, ip->alice);
		snprintf(path, sizeof(path), "/v1/requests/%s", req);
		v = inproc_sane(inproc_call(ip, "GET", path, hdr, NULL, 0), 0);
		CHECK(ip->reply.status == 200 && state_of(v) &&
		      strcmp(state_of(v), "pending") == 0);
		CHECK(json_array_size(json_object_get(v, "reviews")) == 0);
		json_decref(v);
	}
	snprintf(path, sizeof(path), "/v1/requests/%s/deny", req);
	json_decref(post(ip, path, ip->carol, data, size, &status));
	snprintf(path, sizeof(path), "/v1/requests/%s/post-review", req);
	json_decref(post(ip, path, ip->bob, data, size, &status));
	snprintf(path, sizeof(path), "/v1/requests/%s/execute", req);
	json_decref(post(ip, path, ip->alice, data, size, &status));
	snprintf(path, sizeof(path), "/v1/requests/%s/cancel", req);
	json_decref(post(ip, path, ip->alice, data, size, &status));

	/* the grant: extend, done, revoke */
	snprintf(path, sizeof(path), "/v1/grants/%s/extend", grant);
	json_decref(post(ip, path, ip->alice, data, size, &status));
	snprintf(path, sizeof(path), "/v1/grants/%s/done", grant);
	json_decref(post(ip, path, ip->alice, data, size, &status));
	snprintf(path, sizeof(path), "/v1/grants/%s/revoke", grant);
	json_decref(post(ip, path, ip->admin, data, size, &status));

	/* the admin's and the public routes */
	json_decref(post(ip, "/v1/check", ip->admin, data, size, &status));
	json_decref(post(ip, "/v1/tokens", ip->admin, data, size, &status));
	snprintf(path, sizeof(path), "/v1/tokens/%s/revoke", ip->spare_id);
	json_decref(post(ip, path, ip->admin, data, size, &status));
	json_decref(post(ip, "/v1/session", NULL, data, size, &status));
	json_decref(post(ip, "/v1/session/close", ip->admin, data, size,
	                 &status));
	json_decref(post(ip, "/v1/policy/reload", ip->admin, data, size,
	                 &status));
	json_decref(post(ip, "/v1/policy/replay", ip->admin, data, size,
	                 &status));
	json_decref(post(ip, "/v1/keys/rotate", ip->admin, data, size,
	                 &status));
	return 0;
}
