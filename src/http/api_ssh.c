/*
 * api_ssh.c - OpenSSH user certificates over HTTP: a grant's certificate
 * (its holder only), and, without authentication, the CA's public key
 * (for sshd's TrustedUserCAKeys) and the KRL (for RevokedKeys), which
 * hosts fetch from a timer. Neither public answer holds a secret.
 */
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "util/timefmt.h"

/* Reply 200 with body (malloc'd, handed over) of type. */
static void raw(struct jg_ex *ex, void *body, size_t len, const char *type)
{
	ex->raw = MHD_create_response_from_buffer(len, body,
	                                          MHD_RESPMEM_MUST_FREE);
	if (!ex->raw) {
		free(body);
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	MHD_add_response_header(ex->raw, "Content-Type", type);
	MHD_add_response_header(ex->raw, "Cache-Control", "no-store");
	ex->status = 200;
}

void jg_api_ssh_ca(struct jg_ex *ex)
{
	char *line = jg_gate_ssh_ca(ex->gate);

	if (!line)
		jg_ex_fail(ex, JG_ENOTFOUND, "this server has no SSH CA (see "
		                             "jitgate serve --ssh-ca-key)");
	else
		raw(ex, line, strlen(line), "text/plain; charset=utf-8");
}

void jg_api_ssh_krl(struct jg_ex *ex)
{
	char why[JG_WHY_MAX] = "";
	unsigned char *krl;
	size_t len;
	enum jg_err e = jg_gate_ssh_krl(ex->gate, ex->now, &krl, &len, why);

	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		raw(ex, krl, len, "application/octet-stream");
}

void jg_api_grant_ssh_cert(struct jg_ex *ex)
{
	static const char *const fields[] = {"public_key", NULL};
	struct jg_ssh_cert_out c;
	char why[JG_WHY_MAX] = "", after[JG_TIME_LEN], before[JG_TIME_LEN];
	const char *key;
	enum jg_err e;

	if (jg_ex_fields(ex, fields) || jg_ex_str(ex, "public_key", 1, &key))
		return;
	e = jg_gate_ssh_cert(ex->gate, &ex->who, ex->param, key, ex->now, &c,
	                     why);
	if (e != JG_OK) {
		jg_ex_fail(ex, e, why);
		return;
	}
	jg_time_format(c.valid_after, after);
	jg_time_format(c.valid_before, before);
	jg_ex_json(ex, 200,
	           json_pack("{s:s,s:I,s:[s],s:s,s:s,s:s}", "certificate",
	                     c.text, "serial", (json_int_t)c.serial,
	                     "principals", c.principal, "fingerprint",
	                     c.fingerprint, "valid_after", after,
	                     "valid_before", before));
	jg_ssh_cert_out_clear(&c);
}
