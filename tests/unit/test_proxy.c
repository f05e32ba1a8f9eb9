/*
 * test_proxy.c - trusted proxies and X-Forwarded-For (src/http/proxy.c):
 * the header counts only from a trusted peer, and then its right-most
 * untrusted entry is the client; bad lists are refused whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/proxy.h"

static struct jg_proxies *trust(const char *list)
{
	struct jg_proxies *p = NULL;
	char err[256];

	assert_int_equal(jg_proxies_add(&p, list, err, sizeof(err)), 0);
	return p;
}

static void client_is(const struct jg_proxies *p, const char *peer,
                      const char *xff, const char *want)
{
	char got[64];

	jg_proxies_client(p, peer, xff, got, sizeof(got));
	if (strcmp(got, want) != 0)
		print_error("peer %s xff '%s': got '%s', want '%s'\n", peer,
		            xff ? xff : "(none)", got, want);
	assert_string_equal(got, want);
}

static void untrusted_peer_header_ignored(void **state)
{
	struct jg_proxies *p = trust("10.0.0.0/8");

	(void)state;
	client_is(p, "127.0.0.1", "10.1.2.3", "127.0.0.1");
	client_is(NULL, "127.0.0.1", "10.1.2.3", "127.0.0.1");
	jg_proxies_free(p);
}

static void trusted_peer_names_client(void **state)
{
	struct jg_proxies *p = trust("127.0.0.1/32");

	(void)state;
	client_is(p, "127.0.0.1", "10.1.2.3", "10.1.2.3");
	client_is(p, "127.0.0.1", " 10.1.2.3 ", "10.1.2.3");
	client_is(p, "127.0.0.1", NULL, "127.0.0.1"); /* no header */
	client_is(p, "127.0.0.1", "", "127.0.0.1");
	client_is(p, "127.0.0.1", "2001:db8::7", "2001:db8::7");
	jg_proxies_free(p);
}

/* What the client wrote left of its own address is never believed. */
static void rightmost_untrusted_wins(void **state)
{
	struct jg_proxies *p = trust("127.0.0.1,192.168.0.0/16");

	(void)state;
	client_is(p, "127.0.0.1", "10.9.9.9, 203.0.113.5, 192.168.1.1",
	          "203.0.113.5");
	client_is(p, "127.0.0.1", "192.168.3.3,192.168.1.1", "192.168.3.3");
	jg_proxies_free(p);
}

static void garbage_makes_client_unknown(void **state)
{
	struct jg_proxies *p = trust("127.0.0.1");

	(void)state;
	client_is(p, "127.0.0.1", "10.1.2.3, not-an-ip", "");
	client_is(p, "127.0.0.1", "10.1.2.3,", "");
	client_is(p, "127.0.0.1", "10.1.2.3:443", "");
	jg_proxies_free(p);
}

static void bad_lists_refused(void **state)
{
	static const char *const bad[] = {
	        "10.0.0.0/33", "10.0.0.1/8", "nope", "", "10.0.0.0/8,",
	        "::ffff:10.0.0.1", "10.0.0.0/08", "10.0.0.1 10.0.0.2",
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jg_proxies *p = NULL;
		err[0] = '\0';
		assert_int_equal(jg_proxies_add(&p, bad[i], err, sizeof(err)),
		                 -1);
		assert_null(p);
		assert_non_null(strstr(err, "--trusted-proxy '"));
	}
}

static void lists_add_up(void **state)
{
	struct jg_proxies *p = trust("127.0.0.1");
	char err[256];

	(void)state;
	assert_int_equal(jg_proxies_add(&p, "::1, 10.0.0.0/8", err,
	                                sizeof(err)), 0);
	client_is(p, "::1", "10.0.0.5, 198.51.100.9", "198.51.100.9");
	client_is(p, "127.0.0.1", "198.51.100.9", "198.51.100.9");
	jg_proxies_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(untrusted_peer_header_ignored),
	        cmocka_unit_test(trusted_peer_names_client),
	        cmocka_unit_test(rightmost_untrusted_wins),
	        cmocka_unit_test(garbage_makes_client_unknown),
	        cmocka_unit_test(bad_lists_refused),
	        cmocka_unit_test(lists_add_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
