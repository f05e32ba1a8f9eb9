/*
 * test_policy_regex.c - a ticket pattern in a policy must not let the
 * policy's author (or an auditor asking for a replay, POST
 * /v1/policy/replay) exhaust the server's memory.
 *
 * Found by fuzz/fuzz_policy.c in make fuzz-ci (an out-of-memory at
 * 2.8 GB): glibc's regcomp() takes memory exponential in the number of
 * quantifiers stacked on one atom. "C+++++++++++++++" (15) takes 20 MB,
 * 20 take 700 MB, 25 more than the machine has, and the pattern may be
 * 256 bytes. The loader should refuse stacked quantifiers (and so bound
 * what regcomp is given) before calling it.
 *
 * Each case loads its policy in a child process, whose peak memory is
 * measured: a pattern of 18 stacked '+' (about 150 MB today) must be
 * dealt with, refused or compiled, within 48 MB more than a plain one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy/load.h"

#define STACKED 18

/* Peak RSS in kB of a child that loads a policy with this pattern; the
 * child's exit status (0: loaded, 1: refused) goes to *status. */
static long load_in_child(const char *pattern, int *status)
{
	struct rusage ru;
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		char yaml[1024], err[512];
		struct jg_policy *p = NULL;
		int n = snprintf(yaml, sizeof(yaml),
		                 "version: 1\n"
		                 "resources:\n"
		                 "  db: {actions: [write]}\n"
		                 "rules:\n"
		                 "  - name: r\n"
		                 "    checks:\n"
		                 "      ticket: {pattern: \"%s\"}\n"
		                 "    decision: auto\n",
		                 pattern);
		alarm(60);
		if (jg_policy_parse("t.yaml", yaml, (size_t)n, &p, err,
		                    sizeof(err)) != JG_OK)
			_exit(1);
		jg_policy_free(p);
		_exit(0);
	}
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	assert_true(WIFEXITED(st));
	*status = WEXITSTATUS(st);
	return ru.ru_maxrss;
}

/* The reference: an ordinary pattern loads, in a few MB. */
static void plain_pattern_loads(void **state)
{
	int st;

	(void)state;
	assert_true(load_in_child("(INC|CHG)-[0-9]+", &st) < 64 * 1024);
	assert_int_equal(st, 0);
}

static void stacked_quantifiers_stay_small(void **state)
{
	char pattern[64] = "(INC|C";
	long plain, stacked;
	int st;

	(void)state;
	plain = load_in_child("(INC|CHG)-[0-9]+", &st);
	assert_int_equal(st, 0);
	memset(pattern + strlen(pattern), '+', STACKED);
	strcat(pattern, "HG)-[0-9]+");
	stacked = load_in_child(pattern, &st);
	print_message("peak memory: %ld kB for a plain pattern, %ld kB with "
	              "%d stacked '+' (%s)\n", plain, stacked, STACKED,
	              st ? "refused" : "loaded");
	assert_true(stacked <= plain + 48 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(plain_pattern_loads),
	        cmocka_unit_test(stacked_quantifiers_stay_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
