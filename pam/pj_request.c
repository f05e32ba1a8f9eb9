/*
 * pj_request.c - what jitgate says about a request the module filed
 * (request mode). Only the fields the module acts on are read; their
 * text reaches the user's terminal and syslog, so it is kept printable.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "pj.h"

/* "req_" and base64url: the shape of a request id (it goes in a URL). */
static int id_ok(const char *id)
{
	size_t n = strlen(id);

	return n > 4 && n < 64 && !strncmp(id, "req_", 4) &&
	       strspn(id + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	                      "vwxyz0123456789-_") == n - 4;
}

/* The comment of the last "deny" review, or NULL: a reviewer's words
 * say more to the user than "denied by bob". */
static const char *deny_comment(const json_t *root)
{
	const json_t *reviews = json_object_get(root, "reviews"), *v;
	const char *c, *found = NULL;
	size_t i;

	json_array_foreach(reviews, i, v) {
		c = json_string_value(json_object_get(v, "comment"));
		if (c && *c && json_is_string(json_object_get(v, "verdict")) &&
		    !strcmp(json_string_value(json_object_get(v, "verdict")), "deny"))
			found = c;
	}
	return found;
}

int pj_request_parse(struct pj_request *r, const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	const char *id = json_string_value(json_object_get(root, "id"));
	const char *state = json_string_value(json_object_get(root, "state"));
	const char *why = json_string_value(json_object_get(root,
	                                                    "state_reason"));
	const char *comment = deny_comment(root);
	char text[PJ_TEXT_MAX];
	int rv = -1;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(root) || !id || !state) {
		pj_printable(r->why, sizeof(r->why), "jitgate answered something "
		             "that is not a request");
	} else if (!id_ok(id) || strlen(state) >= sizeof(r->state)) {
		pj_printable(r->why, sizeof(r->why), "jitgate answered a request "
		             "with a malformed id or state");
	} else {
		pj_printable(r->id, sizeof(r->id), id);
		pj_printable(r->state, sizeof(r->state), state);
		snprintf(text, sizeof(text), "%s%s%s%s", why ? why : "",
		         comment ? " (\"" : "", comment ? comment : "",
		         comment ? "\")" : "");
		pj_printable(r->why, sizeof(r->why), text);
		rv = 0;
	}
	json_decref(root);
	return rv;
}
