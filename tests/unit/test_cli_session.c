/*
 * test_cli_session.c - the session file of `jitgate login`
 * (src/cli/session.c): where it lives, what a valid one holds, that it is
 * written 0600 in a 0700 directory by a rename (the old one replaced
 * whole, no temporary left), and that one others can read, a link, or a
 * malformed one is refused with a sentence naming the path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/session.h"

#define SECRET "jgs_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abc"

struct fx {
	char home[64]; /* a fresh mkdtemp dir: XDG_CONFIG_HOME is home/cfg */
	char cfg[96];
	char dir[128];  /* cfg/jitgate, made by the code under test */
	char path[160]; /* dir/session */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	char dir[sizeof(f->dir)];

	snprintf(f->home, sizeof(f->home), "/tmp/jg-clisess.XXXXXX");
	if (!f || !mkdtemp(f->home))
		return -1;
	snprintf(f->cfg, sizeof(f->cfg), "%s/cfg", f->home);
	setenv("XDG_CONFIG_HOME", f->cfg, 1);
	if (jg_cli_session_path(f->path, dir, sizeof(f->path), err,
	                        sizeof(err)))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->home);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct jg_cli_session sample(void)
{
	struct jg_cli_session s = {.expires_at = 1796000000};

	snprintf(s.server, sizeof(s.server), "https://jitgate.example.com");
	snprintf(s.secret, sizeof(s.secret), "%s", SECRET);
	return s;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

/* Files in dir other than "." and "..". */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void path_follows_xdg_then_home(void **state)
{
	char path[256], dir[256], err[256];
	struct fx *f = *state;

	assert_non_null(strstr(f->path, "/cfg/jitgate/session"));
	/* a relative XDG_CONFIG_HOME is ignored, as the spec says */
	setenv("XDG_CONFIG_HOME", "relative/cfg", 1);
	setenv("HOME", "/home/someone", 1);
	assert_int_equal(jg_cli_session_path(path, dir, sizeof(path), err,
	                                     sizeof(err)), 0);
	assert_string_equal(path, "/home/someone/.config/jitgate/session");
	assert_string_equal(dir, "/home/someone/.config/jitgate");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	assert_int_equal(jg_cli_session_path(path, dir, sizeof(path), err,
	                                     sizeof(err)), -1);
	assert_non_null(strstr(err, "HOME"));
}

static void parse_valid_and_round_trip(void **state)
{
	struct jg_cli_session s = sample(), back;
	char err[256];
	char *text;

	(void)state;
	text = jg_cli_session_format(&s);
	assert_non_null(text);
	assert_int_equal(jg_cli_session_parse(text, strlen(text), &back, err,
	                                      sizeof(err)), 0);
	assert_string_equal(back.server, s.server);
	assert_string_equal(back.secret, SECRET);
	assert_int_equal(back.expires_at, s.expires_at);
	free(text);
}

static void parse_errors_named(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"", "not a JSON object"},
		{"[1]", "not a JSON object"},
		{"{\"server\":\"https://a\",\"session_token\":\"" SECRET "\"}",
		 "exactly"},
		{"{\"server\":\"https://a\",\"session_token\":\"" SECRET
		 "\",\"expires_at\":\"2026-12-01T00:00:00Z\",\"x\":1}",
		 "exactly"},
		{"{\"server\":\"ftp://a\",\"session_token\":\"" SECRET
		 "\",\"expires_at\":\"2026-12-01T00:00:00Z\"}", "server"},
		{"{\"server\":\"https://a b\",\"session_token\":\"" SECRET
		 "\",\"expires_at\":\"2026-12-01T00:00:00Z\"}", "server"},
		{"{\"server\":\"https://a\",\"session_token\":\"jg_abc\","
		 "\"expires_at\":\"2026-12-01T00:00:00Z\"}", "jgs_"},
		{"{\"server\":\"https://a\",\"session_token\":\"jgs_a b\","
		 "\"expires_at\":\"2026-12-01T00:00:00Z\"}", "jgs_"},
		{"{\"server\":\"https://a\",\"session_token\":\"" SECRET
		 "\",\"expires_at\":\"tomorrow\"}", "expires_at"},
		{"{\"server\":\"https://a\",\"server\":\"https://b\","
		 "\"session_token\":\"" SECRET "\",\"expires_at\":\"2026-12-01"
		 "T00:00:00Z\"}", "not a JSON object"},
	};
	struct jg_cli_session s;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(jg_cli_session_parse(bad[i].text,
		                                      strlen(bad[i].text), &s,
		                                      err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: '%s' does not say '%s'", i, err,
			         bad[i].why);
		assert_null(strstr(err, "jgs_A")); /* never the secret */
		assert_string_equal(s.secret, "");
	}
}

static void save_private_and_atomic(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s = sample(), back;
	struct stat st, st2;
	char err[256];

	/* neither cfg nor cfg/jitgate exists yet */
	assert_int_equal(jg_cli_session_save(f->path, f->dir, &s, err,
	                                     sizeof(err)), 0);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(entries(f->dir), 1); /* no temporary left */
	assert_int_equal(jg_cli_session_load(f->path, &back, err, sizeof(err)),
	                 JG_CLI_SESSION_OK);
	assert_string_equal(back.secret, SECRET);

	/* a new login replaces the file by a rename: a new inode, whole */
	s.expires_at += 3600;
	assert_int_equal(jg_cli_session_save(f->path, f->dir, &s, err,
	                                     sizeof(err)), 0);
	assert_int_equal(stat(f->path, &st2), 0);
	assert_int_not_equal(st.st_ino, st2.st_ino);
	assert_int_equal(entries(f->dir), 1);
	assert_int_equal(jg_cli_session_load(f->path, &back, err, sizeof(err)),
	                 JG_CLI_SESSION_OK);
	assert_int_equal(back.expires_at, s.expires_at);
}

static void loose_dir_narrowed(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s = sample();
	struct stat st;
	char err[256];

	assert_int_equal(mkdir(f->cfg, 0755), 0);
	assert_int_equal(mkdir(f->dir, 0755), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(jg_cli_session_save(f->path, f->dir, &s, err,
	                                     sizeof(err)), 0);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void missing_is_none(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s;
	char err[256] = "";

	assert_int_equal(jg_cli_session_load(f->path, &s, err, sizeof(err)),
	                 JG_CLI_SESSION_NONE);
}

static void readable_by_others_unsafe(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s = sample(), back;
	char err[512];

	assert_int_equal(jg_cli_session_save(f->path, f->dir, &s, err,
	                                     sizeof(err)), 0);
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_int_equal(jg_cli_session_load(f->path, &back, err, sizeof(err)),
	                 JG_CLI_SESSION_UNSAFE);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "read by others (mode 0640)"));
	assert_null(strstr(err, "jgs_"));
	/* still parsed, so `jitgate logout` can end what may have leaked */
	assert_string_equal(back.secret, SECRET);
	assert_int_equal(chmod(f->path, 0604), 0);
	assert_int_equal(jg_cli_session_load(f->path, &back, err, sizeof(err)),
	                 JG_CLI_SESSION_UNSAFE);
}

static void link_and_malformed_bad(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s = sample(), back;
	char err[512], other[192];

	assert_int_equal(jg_cli_session_save(f->path, f->dir, &s, err,
	                                     sizeof(err)), 0);
	snprintf(other, sizeof(other), "%s/elsewhere", f->dir);
	assert_int_equal(rename(f->path, other), 0);
	assert_int_equal(symlink(other, f->path), 0);
	assert_int_equal(jg_cli_session_load(f->path, &back, err, sizeof(err)),
	                 JG_CLI_SESSION_BAD);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(unlink(f->path), 0);

	write_file(f->path, "{\"server\": \"https://a\"", 0600);
	assert_int_equal(jg_cli_session_load(f->path, &back, err, sizeof(err)),
	                 JG_CLI_SESSION_BAD);
	assert_non_null(strstr(err, "malformed"));
	assert_non_null(strstr(err, "run jitgate login"));
	assert_string_equal(back.secret, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(path_follows_xdg_then_home, setup,
		                                teardown),
		cmocka_unit_test(parse_valid_and_round_trip),
		cmocka_unit_test(parse_errors_named),
		cmocka_unit_test_setup_teardown(save_private_and_atomic, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(loose_dir_narrowed, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(missing_is_none, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(readable_by_others_unsafe, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(link_and_malformed_bad, setup,
		                                teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
