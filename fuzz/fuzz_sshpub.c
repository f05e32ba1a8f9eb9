/*
 * fuzz_sshpub.c - libFuzzer harness for the public keys users send to be
 * signed (src/sign/sshcert.c, jg_sshpub_parse): the input is one
 * authorized_keys line of any bytes.
 *
 * What must hold: a refusal says why and leaves nothing to free; an
 * accepted key is one of the three types taken, its blob begins with its
 * type, its fingerprint is "SHA256:" and 43 base64 characters, and it
 * signs into a certificate line of the matching -cert-v01 type.
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/sshpub/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sshcert.h"

#define CHECK(c) ((c) ? (void)0 : __builtin_trap())

static EVP_PKEY *ca;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jg_sshcert_req req = {1, "fuzz", "deploy", 0, 1};
	struct jg_sshpub k;
	char why[256] = "", *line, *text = NULL;
	enum jg_err e;

	if (size > JG_SSH_PUBLINE_MAX + 16 || !(line = malloc(size + 1)))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	e = jg_sshpub_parse(line, &k, why, sizeof(why));
	free(line);
	if (e != JG_OK) {
		CHECK(e == JG_EINVAL && why[0] && !k.blob);
		return 0;
	}
	CHECK(!strcmp(k.type, "ssh-ed25519") ||
	      !strcmp(k.type, "ecdsa-sha2-nistp256") ||
	      !strcmp(k.type, "ssh-rsa"));
	CHECK(k.bloblen > 4 + strlen(k.type) &&
	      !memcmp(k.blob + 4, k.type, strlen(k.type)));
	CHECK(!strncmp(k.fingerprint, "SHA256:", 7) &&
	      strlen(k.fingerprint) == 50);
	if (!ca)
		CHECK((ca = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) != NULL);
	CHECK(jg_sshcert_sign(ca, &k, &req, &text) == JG_OK);
	CHECK(!strncmp(text, k.type, strlen(k.type)) &&
	      !strncmp(text + strlen(k.type), "-cert-v01@openssh.com ", 22));
	free(text);
	jg_sshpub_clear(&k);
	return 0;
}
