/*
 * cmd_ssh.c - `jitgate ssh-cert GRANT_ID KEY.pub [-o FILE]`: have the
 * public key signed into an OpenSSH certificate for a live ssh grant and
 * write it where ssh looks for it (id_ed25519.pub -> id_ed25519-cert.pub).
 *
 * Only the public key leaves the machine; the certificate is public too
 * (it is worthless without the private key), so it is written 0644.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "sign/sshcert.h"

static const char *const grant_prefix[] = {"grt_", NULL};

/* Where ssh looks for the certificate of key file pub: X.pub -> X-cert.pub
 * (else pub-cert.pub). 0, or -1 when it does not fit. */
static int cert_path(const char *pub, char *out, size_t len)
{
	size_t n = strlen(pub);

	if (n > 4 && !strcmp(pub + n - 4, ".pub"))
		n -= 4;
	return snprintf(out, len, "%.*s-cert.pub", (int)n, pub) < (int)len
	               ? 0
	               : -1;
}

/* Write text to path (replacing an older certificate), never through a
 * symbolic link. */
static int write_cert(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	                            O_CLOEXEC, 0644);
	size_t n = strlen(text);
	int ok = fd >= 0 && write(fd, text, n) == (ssize_t)n;

	if (fd >= 0)
		ok = close(fd) == 0 && ok;
	return ok ? 0 : jg_cli_fail("cannot write '%s': %s", path,
	                            strerror(errno));
}

/* The first line of the key file, what the server signs. */
static int read_key(const char *path, char **line)
{
	size_t len;
	int rv = jg_cli_read_file("public key file", path, JG_SSH_PUBLINE_MAX,
	                          line, &len);

	if (rv)
		return rv;
	(*line)[strcspn(*line, "\r\n")] = '\0';
	/* never send a private key's file, not even its first line */
	if (!strncmp(*line, "-----BEGIN", 10)) {
		explicit_bzero(*line, len);
		free(*line);
		*line = NULL;
		return jg_cli_fail("'%s' is a private key: give the public one "
		                   "(%s.pub)", path, path);
	}
	return 0;
}

int jg_cli_cmd_ssh_cert(struct jg_cli *cli, const struct jg_cli_args *a)
{
	const char *out = jg_cli_opt(a, "output"), *cert;
	char path[4096], url[128], clean[JG_SSH_PUBLINE_MAX + 1024];
	const char *login;
	char *key = NULL;
	json_t *body, *t = NULL;
	int rv;

	if ((rv = jg_cli_check_id(a, a->pos[0], grant_prefix)))
		return rv;
	if (!out && !strcmp(a->pos[1], "-"))
		out = "-";
	if (!out && cert_path(a->pos[1], path, sizeof(path)))
		return jg_cli_fail("public key path too long");
	if (!out)
		out = path;
	if (!jg_cli_client(cli) || (rv = read_key(a->pos[1], &key)))
		return rv ? rv : JG_EXIT_ERR;
	snprintf(url, sizeof(url), "/v1/grants/%s/ssh-cert", a->pos[0]);
	body = json_pack("{s:s}", "public_key", key);
	free(key);
	rv = jg_client_call(jg_cli_client(cli), "POST", url, NULL, body, &t);
	json_decref(body);
	if (rv)
		return rv;
	if (!(cert = jg_json_str(t, "certificate"))) {
		rv = jg_cli_fail("malformed answer from server: no certificate");
	} else if (!strcmp(out, "-")) {
		jg_out_clean(cert, clean, sizeof(clean), 1);
		fputs(clean, stdout);
	} else if (!(rv = write_cert(out, cert))) {
		login = json_string_value(
		        json_array_get(json_object_get(t, "principals"), 0));
		if (cli->json) {
			rv = jg_out_json(t);
		} else { /* the server's words, cleaned of control bytes */
			jg_out_clean(login ? login : "-", clean, 64, 0);
			fprintf(stderr, "wrote %s: login %s until %s\n", out,
			        clean, jg_json_strd(t, "valid_before"));
		}
	}
	json_decref(t);
	return rv;
}
