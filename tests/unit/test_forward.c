/*
 * test_forward.c - forward-auth: the policy's forward_auth section
 * (src/policy/load_forward.c: what it takes, and every refusal with its
 * file:line) and the routing of a proxy's question (jg_fwd_match in
 * src/gate/forward.c: first match wins, host without port and in any
 * case, methods, path prefixes, paths that are not plain).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/policy.h"
#include "gate/forward.h"
#include "policy/load.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_the_section),
		cmocka_unit_test(refuses_with_file_and_line),
		cmocka_unit_test(routes_first_match_wins),
		cmocka_unit_test(refuses_paths_that_are_not_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
