/*
 * test_pam.c - pam_jitgate's parts that need no PAM stack (pam/): the
 * module arguments and their bounds, the token file's rules, and which
 * answers from jitgate count as an answer. The module in the real PAM
 * stack, with sudo and valgrind, is tests/e2e/test_pam.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <fcntl.h>

#include "cli/session.h"
#include "pj.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void parse_ok(struct pj_opts *o, int argc, const char **argv)
{
	char err[256] = "";

	if (pj_opts_parse(o, argc, argv, err, sizeof(err)) != 0)
		fail_msg("refused: %s", err);
}

static void test_opts_defaults(void **state)
{
	const char *argv[] = {"url=https://jitgate.example.com",
	                      "token_file=/etc/jitgate/pam.token"};
	struct pj_opts o;

	(void)state;
	parse_ok(&o, NARGS(argv), argv);
	assert_string_equal(o.url, "https://jitgate.example.com");
	assert_string_equal(o.token_file, "/etc/jitgate/pam.token");
	assert_int_equal(o.timeout, PJ_TIMEOUT_DEFAULT);
	assert_string_equal(o.principal_suffix, "");
	assert_null(o.cafile);
	assert_null(o.action);
	assert_null(o.resource);
	assert_null(o.breakglass_group);
}

static void test_opts_all(void **state)
{
	const char *argv[] = {"url=http://127.0.0.1:8080/", "token_file=/t",
	                      "cafile=/ca.pem", "action=ssh.login",
	                      "resource=web1", "principal_suffix=@example.com",
	                      "breakglass_group=wheel", "timeout=60"};
	struct pj_opts o;

	(void)state;
	parse_ok(&o, NARGS(argv), argv);
	assert_string_equal(o.cafile, "/ca.pem");
	assert_string_equal(o.action, "ssh.login");
	assert_string_equal(o.resource, "web1");
	assert_string_equal(o.principal_suffix, "@example.com");
	assert_string_equal(o.breakglass_group, "wheel");
	assert_int_equal(o.timeout, 60);
}

/* one bad argument beside good ones: refused, err contains want */
static void refused(const char *bad, const char *want)
{
	const char *argv[] = {"url=https://j.example", "token_file=/t", bad};
	struct pj_opts o;
	char err[256] = "";

	assert_int_equal(pj_opts_parse(&o, NARGS(argv), argv, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("'%s': err '%s' lacks '%s'", bad, err, want);
}

static void test_opts_refused(void **state)
{
	(void)state;
	refused("breakglas_group=x", "unknown argument 'breakglas_group=x'");
	refused("debug", "unknown argument 'debug'");
	refused("timeout=0", "timeout must be 1 to 60");
	refused("timeout=61", "timeout must be 1 to 60");
	refused("timeout=5s", "timeout must be 1 to 60");
	refused("timeout=", "timeout must be 1 to 60");
	refused("timeout=-1", "timeout must be 1 to 60");
	refused("wait=0", "wait must be 1 to 3600");
	refused("wait=3601", "wait must be 1 to 3600");
	refused("wait=5m", "wait must be 1 to 3600");
	refused("requests", "unknown argument 'requests'");
	refused("request=1", "unknown argument 'request=1'");
	/* a later url= replaces the first: the rule holds for it */
	refused("url=http://10.0.0.1:8080", "must be https");
	refused("url=ftp://127.0.0.1/", "must be https");
	refused("url=", "url= and token_file= are required");
	refused("token_file=", "url= and token_file= are required");
}

static void test_opts_request(void **state)
{
	const char *off[] = {"url=https://j.example", "token_file=/t"};
	const char *on[] = {"url=https://j.example", "token_file=/t", "request",
	                    "wait=3600"};
	struct pj_opts o;

	(void)state;
	parse_ok(&o, NARGS(off), off);
	assert_int_equal(o.request, 0);
	assert_int_equal(o.wait, PJ_WAIT_DEFAULT);
	parse_ok(&o, NARGS(on), on);
	assert_int_equal(o.request, 1);
	assert_int_equal(o.wait, 3600);
}

static void test_opts_empty_is_absent(void **state)
{
	const char *argv[] = {"url=https://j.example", "token_file=/t",
	                      "cafile=", "action=", "resource=",
	                      "breakglass_group="};
	struct pj_opts o;

	(void)state;
	parse_ok(&o, NARGS(argv), argv);
	assert_null(o.cafile);
	assert_null(o.action);
	assert_null(o.resource);
	assert_null(o.breakglass_group); /* "" would name no group anyway */
}

static void test_opts_required(void **state)
{
	const char *argv[] = {"token_file=/t"};
	struct pj_opts o;
	char err[256] = "";

	(void)state;
	assert_int_equal(pj_opts_parse(&o, NARGS(argv), argv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "required"));
	assert_int_equal(pj_opts_parse(&o, 0, NULL, err, sizeof(err)), -1);
}

/* --- the token file -------------------------------------------------- */

#define TOKEN "jg_djG7S5LgI6cWZP5W2vhBy1-sIOwppdGDgXV_mUyjuPU"

struct fx {
	char dir[64];
	char file[96];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/jg-pam.XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(f->file, sizeof(f->file), "%s/token", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->file);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void put(const struct fx *f, const char *text, mode_t mode)
{
	FILE *fp = fopen(f->file, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(f->file, mode), 0);
}

/* pj_token_read on f's file: rc; err must never hold the token */
static int read_tok(const struct fx *f, char *tok, size_t n, char *err,
                    size_t errlen)
{
	int rc = pj_token_read(f->file, tok, n, err, errlen);

	assert_null(strstr(err, "jg_djG7"));
	return rc;
}

static void test_token_modes(void **state)
{
	struct fx *f = *state;
	char tok[PJ_TOKEN_MAX], err[256] = "";

	put(f, TOKEN "\n", 0644);
	assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), -1);
	if (geteuid() == 0)
		assert_non_null(strstr(err, "mode 0644: others may read"));
	assert_string_equal(tok, "");
	put(f, TOKEN "\n", 0640);
	assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), -1);
	put(f, TOKEN "\n", 0600);
	if (geteuid() != 0) {
		/* owned by this user, not root: refused, saying so */
		assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not root"));
		return;
	}
	assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), 0);
	assert_string_equal(tok, TOKEN); /* the newline dropped */
}

static void test_token_shape(void **state)
{
	struct fx *f = *state;
	char tok[PJ_TOKEN_MAX], small[16], err[256] = "";

	if (geteuid() != 0) {
		skip(); /* the file must be root's to get this far */
	}
	put(f, "", 0600);
	assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is empty"));
	put(f, TOKEN " " TOKEN "\n", 0600);
	assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one token"));
	assert_string_equal(tok, "");
	put(f, TOKEN, 0400);
	assert_int_equal(read_tok(f, small, sizeof(small), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than 15 bytes"));
}

static void test_token_path(void **state)
{
	struct fx *f = *state;
	char tok[PJ_TOKEN_MAX], err[256] = "";
	char link[128];

	/* a directory others may write above the file */
	put(f, TOKEN, 0600);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->dir));
	assert_int_equal(chmod(f->dir, 0700), 0);
	/* a symbolic link is not the file */
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->file, link), 0);
	assert_int_equal(pj_token_read(link, tok, sizeof(tok), err, sizeof(err)), -1);
	unlink(link);
	/* no file */
	unlink(f->file);
	assert_int_equal(read_tok(f, tok, sizeof(tok), err, sizeof(err)), -1);
}

/* --- what counts as an answer ---------------------------------------- */

static enum pj_verdict verdict(long status, const char *body,
                               struct pj_answer *a)
{
	pj_answer_parse(a, status, body, strlen(body));
	return a->verdict;
}

static void test_answer_allow(void **state)
{
	struct pj_answer a;

	(void)state;
	assert_int_equal(verdict(200, "{\"allow\":true,\"grant_id\":\"grt_7c2m\","
	                              "\"expires_at\":\"2026-11-23T05:50:31Z\","
	                              "\"reason\":\"active grant\"}", &a),
	                 PJ_ALLOW);
	assert_string_equal(a.grant, "grt_7c2m");
	assert_string_equal(a.expires, "2026-11-23T05:50:31Z");
	assert_int_equal(verdict(200, "{\"allow\":false,\"reason\":\"no active "
	                              "grant for alice\\u001b[2J\"}", &a), PJ_DENY);
	/* the server's text is kept printable: no escape reaches a terminal */
	assert_string_equal(a.why, "no active grant for alice?[2J");
}

static void test_answer_nonsense(void **state)
{
	static const char *const bodies[] = {
		"", "null", "[]", "[true]", "\"allow\"", "{}", "{\"allow\":1}",
		"{\"allow\":\"yes\",\"grant_id\":\"grt_x\"}",
		"{\"allow\":true}",                          /* names no grant */
		"{\"allow\":true,\"grant_id\":7}",
		"{\"allow\":true,\"grant_id\":\"g\",\"allow\":true}", /* twice */
		"{\"allow\":true,\"grant_id\":\"g\"",        /* cut short */
		"<html>502 Bad Gateway</html>",
	};
	struct pj_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (verdict(200, bodies[i], &a) != PJ_UNAVAILABLE)
			fail_msg("'%s' counted as an answer", bodies[i]);
}

static void test_answer_400(void **state)
{
	struct pj_answer a;

	(void)state;
	assert_int_equal(verdict(400, "{\"type\":\"urn:jitgate:problem:invalid-"
	                              "request\",\"detail\":\"principal is not a "
	                              "name\"}", &a), PJ_DENY);
	assert_string_equal(a.why, "principal is not a name");
	assert_int_equal(verdict(400, "garbage", &a), PJ_DENY);
	assert_string_equal(a.why, "jitgate refused the question");
}

/* --- the user's session file (request mode) ------------------------- */

#define SECRET "jgs_djG7S5LgI6cWZP5W2vhBy1-sIOwppdGDgXV_mUyjuPU"
#define SESSION(server, exp) "{\"server\": \"" server "\", \"session_token\": \"" \
	SECRET "\", \"expires_at\": \"" exp "\"}\n"
#define URL "https://jitgate.example.com"
#define NOW 1800000000LL /* 2027-01-15T08:00:00Z */

/* pj_session_from_fd on f's file opened as the module opens it */
static int session_rc(const struct fx *f, unsigned uid, struct jg_cli_session *s,
                      char *err, size_t errlen)
{
	int fd = open(f->file, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC |
	              O_NONBLOCK);
	int rc;

	assert_true(fd >= 0);
	err[0] = '\0';
	rc = pj_session_from_fd(fd, f->file, uid, URL, NOW, s, err, errlen);
	close(fd);
	assert_null(strstr(err, "djG7S5")); /* never the secret */
	return rc;
}

static void test_session_good(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s;
	char err[512];

	put(f, SESSION(URL "/", "2027-01-15T09:00:00Z"), 0600);
	assert_int_equal(session_rc(f, (unsigned)geteuid(), &s, err, sizeof(err)), 0);
	assert_string_equal(s.secret, SECRET);
	jg_cli_session_clear(&s);
	put(f, SESSION(URL, "2027-01-15T08:00:00Z"), 0400);
	assert_int_equal(session_rc(f, (unsigned)geteuid(), &s, err, sizeof(err)), 1);
	assert_string_equal(err, "the session has expired");
	assert_string_equal(s.secret, "");
	put(f, SESSION("https://other.example.com", "2027-01-15T09:00:00Z"), 0600);
	assert_int_equal(session_rc(f, (unsigned)geteuid(), &s, err, sizeof(err)), 1);
	assert_string_equal(err, "the session is for another server");
	assert_string_equal(s.secret, "");
}

static void test_session_refused(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s;
	char err[512], second[128];
	unsigned me = (unsigned)geteuid();

	put(f, SESSION(URL, "2027-01-15T09:00:00Z"), 0644);
	assert_int_equal(session_rc(f, me, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has mode 0644: others may read"));
	put(f, SESSION(URL, "2027-01-15T09:00:00Z"), 0600);
	assert_int_equal(session_rc(f, me + 1, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not the user's"));
	/* a hard link: the same inode under a second name */
	snprintf(second, sizeof(second), "%s/second", f->dir);
	assert_int_equal(link(f->file, second), 0);
	assert_int_equal(session_rc(f, me, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has 2 links"));
	unlink(second);
	put(f, "{\"server\": \"" URL "\", \"session_token\": \"jg_x\", "
	       "\"expires_at\": \"2027-01-15T09:00:00Z\"}", 0600);
	assert_int_equal(session_rc(f, me, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is malformed: its session_token is not"));
	put(f, "not json", 0600);
	assert_int_equal(session_rc(f, me, &s, err, sizeof(err)), -1);
	assert_string_equal(s.secret, "");
}

static void test_session_not_regular(void **state)
{
	struct fx *f = *state;
	struct jg_cli_session s;
	char err[512];

	unlink(f->file);
	assert_int_equal(mkfifo(f->file, 0600), 0);
	/* O_NONBLOCK: the open of a FIFO does not hang; fstat refuses it */
	assert_int_equal(session_rc(f, (unsigned)geteuid(), &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

/* --- what jitgate says about a request ------------------------------- */

static void test_request_parse(void **state)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"id\":\"req_a\"}", "{\"state\":\"pending\"}",
		"{\"id\":\"req_a/../x\",\"state\":\"pending\"}",
		"{\"id\":\"grt_a\",\"state\":\"pending\"}",
		"{\"id\":\"req_a\",\"state\":\"pending-for-a-very-long-time\"}",
	};
	struct pj_request r;
	const char *ok = "{\"id\":\"req_7c2-m_\",\"state\":\"denied\","
	                 "\"state_reason\":\"not now\\u001b[2J\"}";
	size_t i;

	(void)state;
	assert_int_equal(pj_request_parse(&r, ok, strlen(ok)), 0);
	assert_string_equal(r.id, "req_7c2-m_");
	assert_string_equal(r.state, "denied");
	assert_string_equal(r.why, "not now?[2J");
	/* a reviewer's comment on a denial reaches the user */
	ok = "{\"id\":\"req_a\",\"state\":\"denied\",\"state_reason\":"
	     "\"denied by bob\",\"reviews\":[{\"verdict\":\"approve\","
	     "\"comment\":\"fine\"},{\"verdict\":\"deny\",\"comment\":"
	     "\"not during the freeze\"}]}";
	assert_int_equal(pj_request_parse(&r, ok, strlen(ok)), 0);
	assert_string_equal(r.why, "denied by bob (\"not during the freeze\")");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pj_request_parse(&r, bad[i], strlen(bad[i])) != -1)
			fail_msg("'%s' taken as a request", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_defaults),
		cmocka_unit_test(test_opts_all),
		cmocka_unit_test(test_opts_refused),
		cmocka_unit_test(test_opts_request),
		cmocka_unit_test(test_opts_empty_is_absent),
		cmocka_unit_test(test_opts_required),
		cmocka_unit_test_setup_teardown(test_token_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_path, setup, teardown),
		cmocka_unit_test(test_answer_allow),
		cmocka_unit_test(test_answer_nonsense),
		cmocka_unit_test(test_answer_400),
		cmocka_unit_test_setup_teardown(test_session_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_not_regular, setup, teardown),
		cmocka_unit_test(test_request_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
