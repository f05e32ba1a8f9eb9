/*
 * fuzz_chat.c - libFuzzer harness for what /v1/chat/slack reads before
 * and after Slack's signature: the form body (jg_form_value, its percent
 * escapes), the signature check on any body and headers (jg_slack_verify:
 * never a match for bytes not signed with the secret), and the JSON of
 * the decoded payload.
 *
 * The input's first line is the X-Slack-Signature header, the rest the
 * body; the time stamp is fixed. Beyond not crashing: a decoded value is
 * never longer than the body, and a signature the input made up never
 * verifies unless it is the real one (computed here).
 *
 * Run with `make fuzz` (seeds: fuzz/corpus/chat/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "notify/chat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-signing-secret-0123456789";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1), *nl, *v, sig[128], real[68], why[200];
	const char *body;
	struct jg_slack_seen *seen = jg_slack_seen_new();
	size_t blen;
	json_t *j;

	if (!in || !seen) {
		free(in);
		jg_slack_seen_free(seen);
		return 0;
	}
	memcpy(in, data, size);
	in[size] = '\0';
	nl = memchr(in, '\n', size);
	body = nl ? nl + 1 : "";
	blen = nl ? size - (size_t)(nl + 1 - in) : 0;
	snprintf(sig, sizeof(sig), "%.*s", nl ? (int)(nl - in) : 0, in);
	jg_slack_sign(secret, "1700000000", body, blen, real);
	if (jg_slack_verify(secret, seen, "1700000000", sig, body, blen,
	                    1700000000, why, sizeof(why)) == 0 &&
	    strcmp(sig, real) != 0)
		abort(); /* a made-up signature verified */
	if ((v = jg_form_value(body, blen, "payload"))) {
		if (strlen(v) > blen)
			abort();
		j = json_loads(v, JSON_REJECT_DUPLICATES, NULL);
		json_decref(j);
		free(v);
	}
	jg_slack_seen_free(seen);
	free(in);
	return 0;
}
