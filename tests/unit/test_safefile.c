/*
 * test_safefile.c - the StrictModes walk and the secret file
 * (src/util/safefile.c): every directory above a trusted file is
 * checked, a sticky world-writable one only passes for a trusted owner
 * of the entry below it, and the token file is never an existing file
 * or a link.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/safefile.h"

struct fx {
	char dir[64];   /* a fresh mkdtemp dir, 0700 */
	char sub[128];  /* dir/sub, 0755 */
	char file[192]; /* dir/sub/policy.yaml, 0644 */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/jg-safe.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sub, sizeof(f->sub), "%s/sub", f->dir);
	snprintf(f->file, sizeof(f->file), "%s/policy.yaml", f->sub);
	if (mkdir(f->sub, 0755) || !(fp = fopen(f->file, "w")))
		return -1;
	fputs("version: 1\n", fp);
	fclose(fp);
	chmod(f->file, 0644);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int check(const struct fx *f, char *err, size_t n)
{
	return jg_safe_check(f->file, "policy file", geteuid(), err, n);
}

static void safe_tree_passes(void **state)
{
	char err[512] = "";

	assert_int_equal(check(*state, err, sizeof(err)), 0);
}

static void group_writable_dir_named(void **state)
{
	struct fx *f = *state;
	char err[512], want[600];

	chmod(f->sub, 0775);
	assert_int_equal(check(f, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "policy file %s: directory %s is "
	         "writable by its group (mode 0775): chmod go-w %s", f->file,
	         f->sub, f->sub);
	assert_string_equal(err, want);
}

static void world_writable_file_named(void **state)
{
	struct fx *f = *state;
	char err[512];

	chmod(f->file, 0666);
	assert_int_equal(check(f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "file "));
	assert_non_null(strstr(err, "writable by its group and others "
	                            "(mode 0666)"));
}

/* A higher directory counts as much as the nearest one. */
static void writable_grandparent_refused(void **state)
{
	struct fx *f = *state;
	char err[512];

	chmod(f->dir, 0777);
	assert_int_equal(check(f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->dir));
	assert_non_null(strstr(err, "(mode 0777)"));
}

/*
 * Sticky and world-writable (like /tmp): fine while the entry below is
 * root's, the file owner's or the server's; refused once it is somebody
 * else's (who could swap the file's directory).
 */
static void sticky_dir_trusts_only_known_owners(void **state)
{
	struct fx *f = *state;
	char err[512];

	chmod(f->dir, 01777);
	assert_int_equal(check(f, err, sizeof(err)), 0);
	if (geteuid() != 0) {
		skip(); /* chown to a stranger needs root */
		return;
	}
	assert_int_equal(chown(f->sub, 4242, 4242), 0);
	assert_int_equal(check(f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(mode 1777)"));
	/* ... unless that stranger is the server's user */
	assert_int_equal(jg_safe_check(f->file, "policy file", 4242, err,
	                               sizeof(err)),
	                 0);
	chmod(f->dir, 0777); /* without the sticky bit nobody is trusted */
	assert_int_equal(jg_safe_check(f->file, "policy file", 4242, err,
	                               sizeof(err)),
	                 -1);
}

/* The rule holds for where a link leads, not for the link. */
static void link_followed(void **state)
{
	struct fx *f = *state;
	char link[256], err[512];

	snprintf(link, sizeof(link), "%s/link.yaml", f->dir);
	assert_int_equal(symlink(f->file, link), 0);
	assert_int_equal(jg_safe_check(link, "policy file", geteuid(), err,
	                               sizeof(err)),
	                 0);
	chmod(f->sub, 0777);
	assert_int_equal(jg_safe_check(link, "policy file", geteuid(), err,
	                               sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, f->sub));
}

static void missing_file_named(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(jg_safe_check("/nonexistent/p.yaml", "policy file",
	                               0, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "/nonexistent/p.yaml"));
}

static void secret_file_exclusive(void **state)
{
	struct fx *f = *state;
	char path[256], link[256];
	struct stat sb;
	int fd;

	snprintf(path, sizeof(path), "%s/token", f->dir);
	snprintf(link, sizeof(link), "%s/token.link", f->dir);
	fd = jg_safe_create(path);
	assert_true(fd >= 0);
	assert_int_equal(jg_safe_write_close(fd, "jg_secret"), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, 10);
	/* an existing file is never truncated or reused */
	assert_int_equal(jg_safe_create(path), -1);
	assert_int_equal(errno, EEXIST);
	/* a link is refused even when it leads nowhere yet */
	assert_int_equal(symlink("/tmp/jg-safe-nowhere", link), 0);
	assert_int_equal(jg_safe_create(link), -1);
	assert_int_equal(access("/tmp/jg-safe-nowhere", F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(safe_tree_passes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(group_writable_dir_named, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(world_writable_file_named, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(writable_grandparent_refused,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(
		        sticky_dir_trusts_only_known_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(link_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file_named, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(secret_file_exclusive, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
