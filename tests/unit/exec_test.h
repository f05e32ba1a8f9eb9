/*
 * exec_test.h - what the connector unit tests (test_exec*.c) share:
 * loading a connectors file that must load, and running one connector.
 */
#ifndef JG_EXEC_TEST_H
#define JG_EXEC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h"

static inline struct jg_connectors *load_ok(const char *yaml)
{
	struct jg_connectors *c = NULL;
	char err[512] = "";
	enum jg_err rc = jg_connectors_parse("c.yaml", yaml, strlen(yaml), &c,
	                                     err, sizeof(err));
	if (rc != JG_OK)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, JG_OK);
	assert_non_null(c);
	return c;
}

/* Run the connector of resource r (action "run") with params. */
static inline void run(const struct jg_connectors *cs, const char *r,
                       const char *payload, json_t *params,
                       struct jg_exec_result *res)
{
	const struct jg_connector *k = jg_connector_find(cs, r, "run");
	struct jg_exec_input in = {.request_id = "req_t", .requester = "alice",
	                           .resource = r, .action = "run",
	                           .payload = payload, .params = params};
	assert_non_null(k);
	jg_connector_run(k, &in, res);
}

#endif
