/*
 * test_forward.c - forward-auth: the policy's forward_auth section
 * (src/policy/load_forward.c: what it takes, and every refusal with its
 * file:line) and the routing of a proxy's question (jg_fwd_match in
 * src/gate/forward.c: first match wins, host without port and in any
 * case, methods, path prefixes, paths that are not plain); and the use
 * case jg_gate_forward on a real gate and SQLite store: the decision is
 * the index's (before the grant's start, after its end, a payload-bound
 * grant: 403), who the caller is (401 when nobody), nothing audited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "gate/forward.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"
#include "gatefx.h"

#define HEAD "version: 1\n"                                     \
             "resources:\n"                                     \
             "  billing-admin: {actions: [http.read, http.write]}\n"
/* HEAD is three lines: forward_auth starts on line 4 */

static struct jg_policy *parse_ok(const char *yaml)
{
	struct jg_policy *p = NULL;
	char err[512] = "";
	enum jg_err rc = jg_policy_parse("t.yaml", yaml, strlen(yaml), &p, err,
	                                 sizeof(err));

	if (rc != JG_OK)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, JG_OK);
	assert_non_null(p);
	return p;
}

/* The load fails with "t.yaml:LINE: ...phrase..." and no policy. */
static void parse_fails(const char *yaml, int line, const char *phrase)
{
	struct jg_policy *p = (struct jg_policy *)&p;
	char err[512] = "", prefix[32];
	enum jg_err rc = jg_policy_parse("t.yaml", yaml, strlen(yaml), &p, err,
	                                 sizeof(err));

	snprintf(prefix, sizeof(prefix), "t.yaml:%d: ", line);
	if (rc == JG_OK || strncmp(err, prefix, strlen(prefix)) != 0 ||
	    !strstr(err, phrase))
		print_error("got %d \"%s\"\nwant \"%s...%s...\"\n", rc, err,
		            prefix, phrase);
	assert_int_not_equal(rc, JG_OK);
	assert_null(p);
	assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
	assert_non_null(strstr(err, phrase));
}

static void loads_the_section(void **state)
{
	(void)state;
	struct jg_policy *p = parse_ok(
	        HEAD "forward_auth:\n"
	             "  identity_header: X-Forwarded-User\n"
	             "  request_url: https://jitgate.example.com/\n"
	             "  routes:\n"
	             "    - host: admin.example.com\n"
	             "      path_prefix: /billing/\n"
	             "      methods: [POST, PUT, DELETE]\n"
	             "      resource: billing-admin\n"
	             "      action: http.write\n"
	             "    - {resource: billing-admin, action: http.read}\n");
	const struct jg_forward *f = &p->forward;

	assert_int_equal(f->nroutes, 2);
	assert_string_equal(f->identity_header, "X-Forwarded-User");
	assert_string_equal(f->request_url, "https://jitgate.example.com/");
	assert_string_equal(f->routes[0].host, "admin.example.com");
	assert_string_equal(f->routes[0].path_prefix, "/billing/");
	assert_int_equal(f->routes[0].methods,
	                 jg_fwd_method_bit("POST", 4) |
	                         jg_fwd_method_bit("PUT", 3) |
	                         jg_fwd_method_bit("DELETE", 6));
	assert_int_equal(f->routes[0].line, 8);
	assert_null(f->routes[1].host);
	assert_null(f->routes[1].path_prefix);
	assert_int_equal(f->routes[1].methods, 0);
	assert_int_equal(f->cache, JG_FWD_CACHE_DEFAULT);
	jg_policy_free(p);

	/* the proxy's allow cache: a duration up to a minute, or off */
	p = parse_ok(HEAD "forward_auth:\n"
	                  "  cache: 30s\n"
	                  "  routes: [{resource: billing-admin, "
	                  "action: http.read}]\n");
	assert_int_equal(p->forward.cache, 30);
	jg_policy_free(p);
	p = parse_ok(HEAD "forward_auth:\n"
	                  "  cache: off\n"
	                  "  routes: [{resource: billing-admin, "
	                  "action: http.read}]\n");
	assert_int_equal(p->forward.cache, 0);
	jg_policy_free(p);

	/* a bare list is the routes alone */
	p = parse_ok(HEAD "forward_auth:\n"
	                  "  - {path_prefix: /, resource: billing-admin, "
	                  "action: http.read}\n");
	assert_int_equal(p->forward.nroutes, 1);
	assert_null(p->forward.identity_header);
	jg_policy_free(p);

	/* none: all zero */
	p = parse_ok(HEAD);
	assert_int_equal(p->forward.nroutes, 0);
	jg_policy_free(p);
}

static void refuses_with_file_and_line(void **state)
{
	(void)state;
	parse_fails(HEAD "forward_auth:\n"
	                 "  cache: 2m\n"
	                 "  routes: [{resource: billing-admin, "
	                 "action: http.read}]\n",
	            5, "'cache' '2m' is longer than 60s");
	parse_fails(HEAD "forward_auth:\n"
	                 "  cache: soon\n"
	                 "  routes: [{resource: billing-admin, "
	                 "action: http.read}]\n",
	            5, "'cache' 'soon' is not a valid duration");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {resource: nope, action: http.read}\n",
	            5, "resource 'nope' is not defined");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {resource: billing-admin, action: sql.drop}\n",
	            5, "resource 'billing-admin' has no action 'sql.drop'");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {resource: billing-admin}\n",
	            5, "action");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - resource: billing-admin\n"
	                 "    action: http.read\n"
	                 "    methods: [GET, FETCH]\n",
	            7, "method 'FETCH' is not one of");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - resource: billing-admin\n"
	                 "    action: http.read\n"
	                 "    methods: [GET, GET]\n",
	            7, "duplicate method");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - resource: billing-admin\n"
	                 "    action: http.read\n"
	                 "    methods: []\n",
	            7, "at least one method");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {host: Admin.example.com:443, resource: "
	                 "billing-admin, action: http.read}\n",
	            5, "lowercase, without a port");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {path_prefix: billing, resource: billing-admin, "
	                 "action: http.read}\n",
	            5, "must be a plain path");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {path_prefix: /a/../b/, resource: "
	                 "billing-admin, action: http.read}\n",
	            5, "must be a plain path");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {path_prefix: /a%2f, resource: billing-admin, "
	                 "action: http.read}\n",
	            5, "must be a plain path");
	parse_fails(HEAD "forward_auth:\n"
	                 "  - {paths: /a, resource: billing-admin, action: "
	                 "http.read}\n",
	            5, "paths");
	parse_fails(HEAD "forward_auth:\n"
	                 "  identity_header: Authorization\n"
	                 "  routes: []\n",
	            5, "cannot be Authorization");
	parse_fails(HEAD "forward_auth:\n"
	                 "  identity_header: 'X User'\n"
	                 "  routes: []\n",
	            5, "must be a header name");
	parse_fails(HEAD "forward_auth:\n"
	                 "  request_url: http://example.com/\n"
	                 "  routes: []\n",
	            5, "must be an https URL");
	parse_fails(HEAD "forward_auth:\n"
	                 "  identity_header: X-Forwarded-User\n",
	            5, "missing key 'routes'");
	parse_fails(HEAD "forward_auth: yes\n", 4, "'forward_auth' must be");
}

/* ---- routing ------------------------------------------------------------ */

static const char *route_of(const struct jg_policy *p, const char *host,
                            const char *method, const char *uri)
{
	struct jg_fwd_ask ask = {.host = host, .method = method, .uri = uri};
	char why[JG_WHY_MAX] = "";
	const struct jg_fwd_route *r = jg_fwd_match(&p->forward, &ask, why);

	if (!r) {
		assert_true(why[0] != '\0'); /* a denial always says why */
		return NULL;
	}
	return r->action;
}

static void routes_first_match_wins(void **state)
{
	(void)state;
	struct jg_policy *p = parse_ok(
	        HEAD "forward_auth:\n"
	             "  - host: admin.example.com\n"
	             "    path_prefix: /billing/\n"
	             "    methods: [POST, PUT, DELETE]\n"
	             "    resource: billing-admin\n"
	             "    action: http.write\n"
	             "  - host: admin.example.com\n"
	             "    path_prefix: /billing/\n"
	             "    resource: billing-admin\n"
	             "    action: http.read\n");

	assert_string_equal(route_of(p, "admin.example.com", "POST",
	                             "/billing/x"), "http.write");
	assert_string_equal(route_of(p, "admin.example.com", "GET",
	                             "/billing/x?y=1"), "http.read");
	/* the host without its port, in any case */
	assert_string_equal(route_of(p, "Admin.Example.com:8443", "DELETE",
	                             "/billing/"), "http.write");
	/* unmatched: another host, a path outside the prefix, no host */
	assert_null(route_of(p, "admin.example.org", "GET", "/billing/x"));
	assert_null(route_of(p, "admin.example.com.evil", "GET", "/billing/"));
	assert_null(route_of(p, "admin.example.com", "GET", "/billing"));
	assert_null(route_of(p, "admin.example.com", "GET", "/Billing/x"));
	assert_null(route_of(p, NULL, "GET", "/billing/x"));
	/* the query is not part of the path */
	assert_null(route_of(p, "admin.example.com", "GET", "/?/billing/"));
	jg_policy_free(p);
}

static void refuses_paths_that_are_not_plain(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"/billing/../admin", "/billing/./x", "/billing//x",
		"/billing/%2e%2e/admin", "/billing/%2E%2E/admin",
		"/billing%2fx", "/billing/..", "/billing\\x", "billing/x", "",
	};
	struct jg_policy *p = parse_ok(
	        HEAD "forward_auth:\n"
	             "  - {path_prefix: /, resource: billing-admin, action: "
	             "http.read}\n");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (route_of(p, "h", "GET", bad[i]))
			print_error("path '%s' matched\n", bad[i]);
		assert_null(route_of(p, "h", "GET", bad[i]));
	}
	/* dots inside a name are fine */
	assert_non_null(route_of(p, "h", "GET", "/billing/..x/.y/a.b"));
	assert_non_null(route_of(p, "h", "GET", "/a?x=/../"));
	jg_policy_free(p);
}

/* ---- the use case on a real gate ---------------------------------------- */

#define T0 2000000LL

static const char gate_policy[] =
        HEAD "rules:\n"
             "  - name: auto\n"
             "    match: {resource: billing-admin}\n"
             "    decision: auto\n"
             "    max_duration: 10m\n"
             "forward_auth:\n"
             "  - {path_prefix: /billing/, methods: [POST], resource: "
             "billing-admin, action: http.write}\n"
             "  - {path_prefix: /billing/, resource: billing-admin, "
             "action: http.read}\n";

struct fx {
	struct gatefx x; /* the database */
	struct jg_gate *g;
};

static int gate_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	gatefx_open(&f->x, 0);
	f->g = gatefx_gate(&f->x, gate_policy, 1);
	*state = f;
	return 0;
}

static int gate_teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	gatefx_close(&f->x);
	free(f);
	return 0;
}

/* alice's auto-approved grant of action (payload: bound to it), issued
 * at T0 for 10 minutes; its id into gid. */
static void granted(struct fx *f, const char *action, const char *payload,
                    char gid[JG_ID_LEN])
{
	struct jg_principal alice = {.name = "alice"};
	struct jg_new_request in = {.resource = "billing-admin",
	                            .action = action, .payload = payload,
	                            .reason = "INC-1", .duration = 600};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_request_create(f->g, &alice, &in, T0, &v,
	                                        why),
	                 JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	snprintf(gid, JG_ID_LEN, "%s", v.grant_id);
	jg_request_view_clear(&v);
}

/* Ask about method on /billing/x at now as the trusted header's `who`. */
static int fwd(struct fx *f, const char *method, const char *who,
               int64_t now, struct jg_fwd_answer *a)
{
	struct jg_fwd_ask ask = {.host = "app", .method = method,
	                         .uri = "/billing/x", .source = "192.0.2.30"};
	struct jg_fwd_cred cred = {.identity = who};
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_forward(f->g, &ask, &cred, now, a, why),
	                 JG_OK);
	return a->status;
}

/* How long a proxy may keep an allow: the policy's cache, never into the
 * grant's last second (now is whole seconds; the true time may be up to
 * one later), nothing for a denial or a grant with counted uses. */
static void cache_time_stops_before_the_end(void **state)
{
	struct jg_forward f = {.cache = 1};
	struct jg_answer a = {.allow = 1, .expires_at = 1000, .uses_left = -1};

	(void)state;
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 900), 1000);
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 998), 1000);
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 999), 0);
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 1000), 0);
	f.cache = 30;
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 900), 30000);
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 990), 9000);
	a.uses_left = 3;
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 900), 0);
	a.uses_left = -1;
	f.cache = 0;
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 900), 0);
	f.cache = 1;
	a.allow = 0;
	assert_int_equal(jg_fwd_cache_ms(&f, &a, 900), 0);
}

static void decides_from_the_index(void **state)
{
	struct fx *f = *state;
	struct jg_fwd_answer a;
	char gid[JG_ID_LEN], det[512];
	int64_t events;

	assert_int_equal(fwd(f, "GET", "alice", T0 + 1, &a), 403);
	assert_string_equal(a.resource, "billing-admin");
	assert_string_equal(a.action, "http.read");
	assert_non_null(strstr(a.check.reason, "no active grant for alice"));
	granted(f, "http.read", NULL, gid);
	events = tdb_int(f->x.path, "SELECT count(*) FROM audit");

	assert_int_equal(fwd(f, "GET", "alice", T0 + 1, &a), 200);
	assert_string_equal(a.principal, "alice");
	assert_string_equal(a.check.grant_id, gid);
	assert_int_equal(a.check.expires_at, T0 + 600);
	/* not before its start, not from its end, not for another */
	assert_int_equal(fwd(f, "GET", "alice", T0 - 1, &a), 403);
	assert_int_equal(fwd(f, "GET", "alice", T0 + 600, &a), 403);
	assert_int_equal(fwd(f, "GET", "bob", T0 + 1, &a), 403);
	/* a write is another action */
	assert_int_equal(fwd(f, "POST", "alice", T0 + 1, &a), 403);
	assert_string_equal(a.action, "http.write");
	/* nothing of this is audited but the grant's first use from the
	 * client's address */
	assert_int_equal(tdb_int(f->x.path, "SELECT count(*) FROM audit"),
	                 events + 1);
	tdb_text(f->x.path, "SELECT details FROM audit WHERE type = "
	         "'grant.used'", det, sizeof(det));
	assert_non_null(strstr(det, "\"via\":\"forward\""));
	assert_non_null(strstr(det, "\"source\":\"192.0.2.30\""));
}

static void bound_grants_never_open(void **state)
{
	struct fx *f = *state;
	struct jg_fwd_answer a;
	char gid[JG_ID_LEN];

	granted(f, "http.write", "refund 42", gid);
	assert_int_equal(fwd(f, "POST", "alice", T0 + 1, &a), 403);
	assert_non_null(strstr(a.check.reason, "bound to one payload"));
}

static void who_is_asking(void **state)
{
	struct fx *f = *state;
	struct jg_fwd_ask ask = {.host = "app", .method = "GET",
	                         .uri = "/billing/x"};
	struct jg_fwd_cred none = {0}, badname = {.identity = "al ice"},
	                   badbearer = {.bearer = "jg_nosuchtokenxxxxxxxxxxxx"},
	                   badjwt = {.bearer = "a.b.c"},
	                   badcookie = {.cookie = "jg_nosuchsession"};
	const struct jg_fwd_cred *bad[] = {&none, &badname, &badbearer,
	                                   &badjwt, &badcookie};
	struct jg_fwd_answer a;
	char why[JG_WHY_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(jg_gate_forward(f->g, &ask, bad[i], T0 + 1,
		                                 &a, why),
		                 JG_OK);
		assert_int_equal(a.status, 401);
		assert_string_equal(a.principal, "");
		assert_true(a.check.reason[0] != '\0');
	}
	/* no route: 403 before anyone is asked who they are */
	ask.uri = "/elsewhere";
	assert_int_equal(jg_gate_forward(f->g, &ask, &none, T0 + 1, &a, why),
	                 JG_OK);
	assert_int_equal(a.status, 403);
	assert_null(a.resource);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_the_section),
		cmocka_unit_test(refuses_with_file_and_line),
		cmocka_unit_test(routes_first_match_wins),
		cmocka_unit_test(refuses_paths_that_are_not_plain),
		cmocka_unit_test(cache_time_stops_before_the_end),
		cmocka_unit_test_setup_teardown(decides_from_the_index,
		                                gate_setup, gate_teardown),
		cmocka_unit_test_setup_teardown(bound_grants_never_open,
		                                gate_setup, gate_teardown),
		cmocka_unit_test_setup_teardown(who_is_asking, gate_setup,
		                                gate_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
