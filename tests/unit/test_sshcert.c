/*
 * test_sshcert.c - the OpenSSH certificate and KRL encoders (sign/sshcert.h)
 * read back by OpenSSH's own ssh-keygen: -L must show the principal,
 * serial and validity (it also verifies the CA's signature), and -Q must
 * find a certificate revoked by serial. Plus the public keys accepted and
 * refused, and fingerprints equal to ssh-keygen -l's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sign/sshcert.h"

/* Made with ssh-keygen (OpenSSH 9.2); fingerprints from ssh-keygen -l. */
#define ED_PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILVEmdOfhZn0Vgz5ABuIwur5yyDVn+ezK+BBwl1+zEUI u@h"
#define ED_FP "SHA256:l1NkUPiuPuoyvCGQLqtj1punO03Xpy+z+lUTMlm6eYo"
#define EC_PUB "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFs+YLgViJqgNA+L+2yc7h5e/6NsAhOIGPDv7UudddoocKCR/mA2ekksIuiCk6kEnoA7oldy4vDSMNu0XvZfz9w= root@vm"
#define EC_FP "SHA256:sukgcdzjjvulOy/PezPuVeWHdJx8mM8J/NLXYGdUDFE"
#define RSA_PUB "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCm3R8zK+KSNFizS+oH/UiIM48SAJueyjnLt8Ma1MOHVaDu3pFmRRgwX88c4Xbgck1PlMRduj+EuovSE9PctHMlsVYmja/3u58dcnfAhNjzA102P1LqYlv5d10iwSR5i/X6F6/9y6urxB6NuFEoloQxObNbONQDd5XAspRigE3KgnjOORpJn+vVIeTNW9MSH9Z0mlR7xw6CrFmq3ShOsXb3S+/s41FKh/MGyacsYcbMe58nDvew2t6jqurlNIfnRSJfzkE3Pj5d5MmCigm6vbubvR6QVHW/oTuFRpfbkdkzU+pzyHJK7MY/9Fxy5iaNSTVqHrFC5HX3lB8h1MRkqsG3 root@vm"
#define RSA_FP "SHA256:xhVnvbvx9MqoyMCxtk+McE0Z0DOnr5vJvTWtEB+gvWk"
#define RSA1K_PUB "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDmLsBMFGISjmNyQyH4boSyFJysM8ypj9nn2vveFzRfi7bxp9lbq7C10ZHWXCQlBNPF3BOppOklKH5xoXOes48hS6zoDjB4/cU1TwVXzkDy0VVuSYvm6i2L7QDVV+hO7j5n18BAYvBdKp4Rzj1rK+rsorha6K86cZQJwLC759wFwQ== root@vm"
#define EC384_PUB "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBEZkjaPbH113fhEgbpwh1uZ1W7Hi80jWRUm0QIyb1zzX+gRdu9GZZbsA1Bb0lPmqI1Jg5jVcQKCSAzqKi8HmOZUmTvFLVqOCtaMastAjL8Di4eB74x/bWxxAqE7VIvp+kA== root@vm"

#define T0 1800000000ULL /* 2027-01-15T08:00:00Z */

static char dir[] = "/tmp/jg_sshcert_XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const void *p, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Run cmd in dir and return its output (static) and status. */
static const char *run(const char *what, int *status)
{
	static char out[8192];
	char cmd[512];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd %s && %s", dir, what);
	assert_non_null(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	*status = WEXITSTATUS(pclose(p));
	return out;
}

static void test_parse_accepts(void **state)
{
	static const char *const lines[][2] = {
	        {ED_PUB, ED_FP}, {EC_PUB, EC_FP}, {RSA_PUB, RSA_FP}};
	struct jg_sshpub k;
	char why[256];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(jg_sshpub_parse(lines[i][0], &k, why,
		                                 sizeof(why)), JG_OK);
		assert_string_equal(k.fingerprint, lines[i][1]);
		jg_sshpub_clear(&k);
	}
	/* no comment, trailing newline */
	assert_int_equal(jg_sshpub_parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"
	                                 "AAAAILVEmdOfhZn0Vgz5ABuIwur5yyDVn+e"
	                                 "zK+BBwl1+zEUI\n", &k, why,
	                                 sizeof(why)), JG_OK);
	jg_sshpub_clear(&k);
}

static void test_parse_refuses(void **state)
{
	static const char *const bad[] = {
	        RSA1K_PUB, EC384_PUB, "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
	        "ssh-ed25519", "ssh-ed25519 !!!!", "",
	        /* the ecdsa key's data under the ed25519 name */
	        "ssh-ed25519 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY"
	        "AAABBBFs+YLgViJqgNA+L+2yc7h5e/6NsAhOIGPDv7UudddoocKCR/mA2ekk"
	        "siuiCk6kEnoA7oldy4vDSMNu0XvZfz9w=",
	        /* ed25519 key cut short */
	        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILVEmdOfhZn0Vgz5ABuIwur5"
	        "yyDVn+ezK+BBwl1+",
	        NULL};
	struct jg_sshpub k;
	char why[256];

	(void)state;
	for (size_t i = 0; bad[i]; i++) {
		why[0] = '\0';
		assert_int_equal(jg_sshpub_parse(bad[i], &k, why, sizeof(why)),
		                 JG_EINVAL);
		assert_true(why[0] != '\0');
		assert_null(k.blob);
	}
	jg_sshpub_parse(RSA1K_PUB, &k, why, sizeof(why));
	assert_non_null(strstr(why, "1024"));
}

/* Sign pub for deploy, serial, T0..T0+600 into dir/name. */
static void sign_to(EVP_PKEY *ca, const char *pub, uint64_t serial,
                    const char *name)
{
	struct jg_sshcert_req req = {serial, "jitgate:grt_test:deploy",
	                             "deploy", T0, T0 + 600};
	struct jg_sshpub k;
	char why[256], *text;

	assert_int_equal(jg_sshpub_parse(pub, &k, why, sizeof(why)), JG_OK);
	assert_int_equal(jg_sshcert_sign(ca, &k, &req, &text), JG_OK);
	put(name, text, strlen(text));
	free(text);
	jg_sshpub_clear(&k);
}

static void test_cert_read_by_ssh_keygen(void **state)
{
	static const char *const pubs[] = {ED_PUB, EC_PUB, RSA_PUB};
	static const char *const types[] = {"ssh-ed25519-cert-v01",
	                                    "ecdsa-sha2-nistp256-cert-v01",
	                                    "ssh-rsa-cert-v01"};
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	const char *out;
	int st;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		sign_to(ca, pubs[i], 77 + i, "c-cert.pub");
		out = run("TZ=UTC ssh-keygen -L -f c-cert.pub", &st);
		assert_int_equal(st, 0);
		assert_non_null(strstr(out, types[i]));
		assert_non_null(strstr(out, "user certificate"));
		assert_non_null(strstr(out, "Key ID: \"jitgate:grt_test:deploy\""));
		assert_non_null(strstr(out, "Valid: from 2027-01-15T08:00:00 "
		                            "to 2027-01-15T08:10:00"));
		assert_non_null(strstr(out, "Principals: \n                "
		                            "deploy\n"));
		assert_non_null(strstr(out, "Critical Options: (none)"));
		assert_non_null(strstr(out, "permit-pty"));
		assert_null(strstr(out, "port-forwarding"));
	}
	assert_non_null(strstr(out, "Serial: 79"));
	EVP_PKEY_free(ca);
}

static void test_cert_tampered_refused(void **state)
{
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct jg_sshcert_req req = {5, "k", "deploy", T0, T0 + 600};
	struct jg_sshpub k;
	char why[256], *text, *p;
	int st;

	(void)state;
	assert_int_equal(jg_sshpub_parse(ED_PUB, &k, why, sizeof(why)), JG_OK);
	assert_int_equal(jg_sshcert_sign(ca, &k, &req, &text), JG_OK);
	/* flip a letter in the middle of the signed data: the CA's
	 * signature no longer holds */
	p = text + strlen(text) / 2;
	*p = *p == 'A' ? 'B' : 'A';
	put("t-cert.pub", text, strlen(text));
	run("ssh-keygen -L -f t-cert.pub 2>&1", &st);
	assert_int_not_equal(st, 0);
	free(text);
	jg_sshpub_clear(&k);
	EVP_PKEY_free(ca);
}

static void test_ca_line(void **state)
{
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *line = jg_sshca_line(ca);
	const char *out;
	int st;

	(void)state;
	assert_non_null(line);
	assert_true(strncmp(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", 32) == 0);
	put("ca.pub", line, strlen(line));
	out = run("ssh-keygen -l -f ca.pub", &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "(ED25519)"));
	free(line);
	EVP_PKEY_free(ca);
}

static void test_krl(void **state)
{
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	const uint64_t serials[] = {900, 42, 7, 42};
	unsigned char *krl;
	size_t len;
	const char *out;
	int st;

	(void)state;
	sign_to(ca, ED_PUB, 42, "r-cert.pub");
	sign_to(ca, EC_PUB, 43, "k-cert.pub");
	sign_to(other, RSA_PUB, 42, "o-cert.pub");
	assert_int_equal(jg_krl_build(ca, serials, 4, T0, &krl, &len), JG_OK);
	put("krl", krl, len);
	free(krl);
	out = run("ssh-keygen -Q -f krl r-cert.pub", &st);
	assert_int_not_equal(st, 0);
	assert_non_null(strstr(out, "REVOKED"));
	out = run("ssh-keygen -Q -f krl k-cert.pub", &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, ": ok"));
	/* the same serial from another CA is not revoked */
	out = run("ssh-keygen -Q -f krl o-cert.pub", &st);
	assert_int_equal(st, 0);
	/* an empty list is a valid KRL revoking nothing */
	assert_int_equal(jg_krl_build(ca, NULL, 0, T0, &krl, &len), JG_OK);
	put("krl", krl, len);
	free(krl);
	out = run("ssh-keygen -Q -f krl r-cert.pub", &st);
	assert_int_equal(st, 0);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_accepts),
	        cmocka_unit_test(test_parse_refuses),
	        cmocka_unit_test(test_cert_read_by_ssh_keygen),
	        cmocka_unit_test(test_cert_tampered_refused),
	        cmocka_unit_test(test_ca_line),
	        cmocka_unit_test(test_krl),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
