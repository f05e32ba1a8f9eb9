/*
 * test_sshcert.c - the OpenSSH certificate and KRL encoders (sign/sshcert.h)
 * read back by OpenSSH's own ssh-keygen: -L must show the principal,
 * serial and validity (it also verifies the CA's signature), and -Q must
 * find a certificate revoked by serial. Plus the public keys accepted and
 * refused, and fingerprints equal to ssh-keygen -l's.
 *
 * Then the gate's use cases (gate/sshcert.c) on SQLite and, with
 * JITGATE_TEST_PG, PostgreSQL: only the holder of a live ssh.login grant
 * on a kind: ssh resource gets a certificate, for the resource's login,
 * never valid before the grant's start nor after its end; each is
 * recorded and audited; the KRL names those whose grant ended early.
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

#include "gate/gate.h"
#include "policy/load.h"
#include "sign/sshcert.h"
#include "store/store.h"
#include "testdb.h"
#include "gatefx.h"

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

/* ---- the gate's use cases ---------------------------------------------- */

static const char policy_yaml[] =
        "version: 1\n"
        "resources:\n"
        "  web1: {labels: {kind: ssh, login: deploy}, actions: [ssh.login]}\n"
        "  nologin: {labels: {kind: ssh}, actions: [ssh.login]}\n"
        "  lab: {labels: {env: lab}, actions: [read, ssh.login]}\n"
        "rules:\n"
        "  - name: all\n"
        "    match: {resource: \"*\", action: \"*\"}\n"
        "    decision: auto\n"
        "    max_duration: 1h\n";

struct fx {
	struct gatefx x; /* the database */
	struct jg_gate *g;
	EVP_PKEY *ca;
};

static int gate_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	gatefx_open(&f->x, 0);
	f->g = gatefx_gate(&f->x, policy_yaml, 0);
	if (!(f->ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")))
		return -1;
	jg_gate_set_ssh_ca(f->g, f->ca);
	*state = f;
	return 0;
}

static int gate_teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	EVP_PKEY_free(f->ca);
	gatefx_close(&f->x);
	free(f);
	return 0;
}

static struct jg_principal who(const char *name, int roles)
{
	struct jg_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.roles = roles;
	return p;
}

/* alice's auto-approved request for action on resource: its grant. */
static void granted(struct fx *f, const char *resource, const char *action,
                    char gid[JG_ID_LEN])
{
	struct jg_principal alice = who("alice", 0);
	struct jg_new_request in = {.resource = resource, .action = action,
	                            .reason = "INC-7"};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	assert_int_equal(jg_gate_request_create(f->g, &alice, &in, (int64_t)T0,
	                                        &v, why), JG_OK);
	assert_int_equal(v.req.state, JG_REQ_APPROVED);
	memcpy(gid, v.grant_id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

static int64_t count_rows(struct fx *f, const char *sql)
{
	return tdb_int(f->x.path, sql);
}

static void cert_only_for_the_holder_of_a_live_ssh_grant(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0), eve = who("eve", 0),
	                    admin = who("admin", JG_ROLE_ADMIN);
	struct jg_ssh_cert_out c;
	char gid[JG_ID_LEN], lab[JG_ID_LEN], nol[JG_ID_LEN];
	char why[JG_WHY_MAX] = "";
	int64_t t = (int64_t)T0 + 10;

	granted(f, "web1", "ssh.login", gid);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, gid, ED_PUB, t, &c,
	                                  why), JG_OK);
	assert_string_equal(c.principal, "deploy");
	assert_string_equal(c.fingerprint, ED_FP);
	assert_int_equal(c.valid_after, (int64_t)T0); /* not before the grant */
	assert_int_equal(c.valid_before, (int64_t)T0 + 3600);
	assert_true(c.serial > 0);
	assert_non_null(strstr(c.text, "ssh-ed25519-cert-v01@openssh.com "));
	jg_ssh_cert_out_clear(&c);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM audit WHERE "
	                               "type = 'ssh_cert.issued'"), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM ssh_certs"), 1);
	/* a stranger does not see it; an admin may not take it */
	assert_int_equal(jg_gate_ssh_cert(f->g, &eve, gid, ED_PUB, t, &c, why),
	                 JG_ENOTFOUND);
	assert_int_equal(jg_gate_ssh_cert(f->g, &admin, gid, ED_PUB, t, &c,
	                                  why), JG_EFORBIDDEN);
	assert_null(c.text);
	/* bad keys, grants that are not for ssh.login on an ssh resource */
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, gid, RSA1K_PUB, t, &c,
	                                  why), JG_EINVAL);
	granted(f, "lab", "ssh.login", lab);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, lab, ED_PUB, t, &c,
	                                  why), JG_ECONFLICT);
	assert_non_null(strstr(why, "kind: ssh"));
	granted(f, "nologin", "ssh.login", nol);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, nol, ED_PUB, t, &c,
	                                  why), JG_ECONFLICT);
	assert_non_null(strstr(why, "login label"));
	/* the clock decides, not the sweeper: none at the expiry */
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, gid, ED_PUB,
	                                  (int64_t)T0 + 3600, &c, why),
	                 JG_ECONFLICT);
	/* nothing of the refusals was recorded */
	assert_int_equal(count_rows(f, "SELECT count(*) FROM ssh_certs"), 1);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM audit WHERE "
	                               "type = 'ssh_cert.issued'"), 1);
	/* later in the grant: valid from a minute ago */
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, gid, EC_PUB,
	                                  (int64_t)T0 + 600, &c, why), JG_OK);
	assert_int_equal(c.valid_after, (int64_t)T0 + 540);
	jg_ssh_cert_out_clear(&c);
}

static void no_cert_before_the_grants_start(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0);
	struct jg_ssh_cert_out c;
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "", sql[160];

	/* a scheduled grant (issue 14 section 5), made so behind the
	 * store's back: it starts at T0+100 */
	granted(f, "web1", "ssh.login", gid);
	snprintf(sql, sizeof(sql), "UPDATE grants SET not_before = %lld "
	         "WHERE id = '%s'", (long long)T0 + 100, gid);
	tdb_exec(f->x.path, sql);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, gid, ED_PUB,
	                                  (int64_t)T0 + 50, &c, why),
	                 JG_ECONFLICT);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, gid, ED_PUB,
	                                  (int64_t)T0 + 120, &c, why), JG_OK);
	assert_int_equal(c.valid_after, (int64_t)T0 + 100); /* not T0+60 */
	jg_ssh_cert_out_clear(&c);
}

static void krl_names_certificates_of_grants_ended_early(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0);
	struct jg_ssh_cert_out c1, c2;
	struct jg_grant gr;
	char g1[JG_ID_LEN], g2[JG_ID_LEN], why[JG_WHY_MAX] = "";
	unsigned char *krl;
	size_t len, empty_len;
	int64_t serials[4];
	size_t n;
	int64_t t = (int64_t)T0 + 10;
	int st;

	granted(f, "web1", "ssh.login", g1);
	granted(f, "web1", "ssh.login", g2);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, g1, ED_PUB, t, &c1,
	                                  why), JG_OK);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, g2, ED_PUB, t, &c2,
	                                  why), JG_OK);
	assert_int_equal(jg_gate_ssh_krl(f->g, t, &krl, &empty_len, why),
	                 JG_OK);
	free(krl);
	assert_int_equal(jg_gate_grant_end(f->g, &alice, g1, JG_GRANT_REVOKED,
	                                   NULL, t + 5, &gr, why), JG_OK);
	/* the revoked grant's certificate, not the live one's */
	assert_int_equal(f->x.st->ops->ssh_cert_revoked(f->x.st, t + 6, serials, 4,
	                                              &n), JG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(serials[0], c1.serial);
	assert_int_equal(jg_gate_ssh_krl(f->g, t + 6, &krl, &len, why), JG_OK);
	assert_true(len > empty_len);
	put("g-krl", krl, len);
	free(krl);
	put("g1-cert.pub", c1.text, strlen(c1.text));
	put("g2-cert.pub", c2.text, strlen(c2.text));
	assert_non_null(strstr(run("ssh-keygen -Q -f g-krl g1-cert.pub", &st),
	                       "REVOKED"));
	run("ssh-keygen -Q -f g-krl g2-cert.pub", &st);
	assert_int_equal(st, 0);
	/* once the certificate would have expired anyway, it drops out */
	assert_int_equal(f->x.st->ops->ssh_cert_revoked(f->x.st, c1.valid_before,
	                                              serials, 4, &n), JG_OK);
	assert_int_equal(n, 0);
	jg_ssh_cert_out_clear(&c1);
	jg_ssh_cert_out_clear(&c2);
}

static void without_a_ca_nothing(void **state)
{
	struct fx *f = *state;
	struct jg_principal alice = who("alice", 0);
	struct jg_ssh_cert_out c;
	char gid[JG_ID_LEN], why[JG_WHY_MAX] = "";
	unsigned char *krl;
	size_t len;

	granted(f, "web1", "ssh.login", gid);
	jg_gate_set_ssh_ca(f->g, NULL);
	assert_int_equal(jg_gate_ssh_cert(f->g, &alice, gid, ED_PUB,
	                                  (int64_t)T0 + 1, &c, why),
	                 JG_ENOTFOUND);
	assert_non_null(strstr(why, "--ssh-ca-key"));
	assert_null(jg_gate_ssh_ca(f->g));
	assert_int_equal(jg_gate_ssh_krl(f->g, (int64_t)T0, &krl, &len, why),
	                 JG_ENOTFOUND);
	jg_gate_set_ssh_ca(f->g, f->ca);
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
#define G(t) cmocka_unit_test_setup_teardown(t, gate_setup, gate_teardown)
	const struct CMUnitTest gate[] = {
	        G(cert_only_for_the_holder_of_a_live_ssh_grant),
	        G(no_cert_before_the_grants_start),
	        G(krl_names_certificates_of_grants_ended_early),
	        G(without_a_ca_nothing),
	};
	int rc;

	if (setup(NULL) != 0)
		return 1;
	rc = cmocka_run_group_tests_name("ssh encoders", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("ssh certificates on sqlite", gate,
	                                  NULL, NULL);
	if (tdb_pg_base())
		rc += cmocka_run_group_tests_name("ssh certificates on postgres",
		                                  gate, tdb_pg_group_setup,
		                                  tdb_pg_group_teardown);
	teardown(NULL);
	return rc;
}
