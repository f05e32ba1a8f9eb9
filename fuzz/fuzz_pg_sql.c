/*
 * fuzz_pg_sql.c - libFuzzer harness for the postgres connector's
 * statement check (exec/pg_sql.c): the input is a SQL payload. Beyond
 * the sanitizers, it checks the promises a caller relies on:
 *
 *   - a refusal says why, naming the statement ("statement N is ...");
 *   - a complete statement put in front changes nothing but N (the check
 *     starts every statement afresh);
 *   - what is refused stays refused whatever follows it (a statement
 *     already judged cannot be hidden by text after it).
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/pg_sql/).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/internal.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())
#define PREFIX "SELECT 1;\n"
#define SUFFIX " ;SELECT 2"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t np = strlen(PREFIX), ns = strlen(SUFFIX);
	char *sql = malloc(np + size + ns + 1), why[512], why2[512];
	enum jg_err e, e2;
	int n, n2;

	if (!sql)
		return 0;
	memcpy(sql, PREFIX, np);
	memcpy(sql + np, data, size);
	sql[np + size] = '\0';
	if (strlen(sql + np) != size) { /* a payload never holds a NUL */
		free(sql);
		return 0;
	}
	why[0] = why2[0] = '\0';
	e = jg_pg_sql_check(sql + np, why, sizeof(why));
	CHECK(e == JG_OK || e == JG_EINVAL);
	if (e == JG_EINVAL)
		CHECK(sscanf(why, "statement %d is ", &n) == 1 && n >= 1);
	e2 = jg_pg_sql_check(sql, why2, sizeof(why2));
	CHECK(e2 == e);
	if (e == JG_EINVAL) {
		CHECK(sscanf(why2, "statement %d is ", &n2) == 1 && n2 == n + 1);
		CHECK(!strcmp(strstr(why, " is "), strstr(why2, " is ")));
	}
	memcpy(sql + np + size, SUFFIX, ns + 1);
	if (e == JG_EINVAL)
		CHECK(jg_pg_sql_check(sql + np, why2, sizeof(why2)) == JG_EINVAL);
	free(sql);
	return 0;
}
