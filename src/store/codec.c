/* codec.c - JSON text for list-valued columns, via jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/codec.h"
#include "store/store.h"

static char *dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	return s;
}

char *jg_codec_steps_encode(const struct jg_step *steps, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:i}", "group",
		                                   steps[i].group, "count",
		                                   steps[i].count));
	return dump(a);
}

char *jg_codec_groups_encode(const struct jg_principal *who)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < who->ngroups; i++)
		json_array_append_new(a, json_string(who->groups[i]));
	return dump(a);
}

static int copy_name(char dst[JG_NAME_MAX], const char *src)
{
	if (!src || strlen(src) >= JG_NAME_MAX)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

enum jg_err jg_codec_steps_decode(const char *text,
                                  struct jg_step steps[JG_STEPS_MAX],
                                  size_t *n)
{
	json_t *a = json_loads(text ? text : "", 0, NULL), *v;
	size_t i;
	enum jg_err e = JG_OK;

	if (!json_is_array(a) || json_array_size(a) > JG_STEPS_MAX) {
		json_decref(a);
		return JG_EINTERNAL;
	}
	json_array_foreach(a, i, v) {
		json_t *c = json_object_get(v, "count");
		if (copy_name(steps[i].group,
		              json_string_value(json_object_get(v, "group"))) ||
		    !json_is_integer(c)) {
			e = JG_EINTERNAL;
			break;
		}
		steps[i].count = (int)json_integer_value(c);
	}
	*n = json_array_size(a);
	json_decref(a);
	return e;
}

/* The JSON array a of group names into who; a is borrowed. */
static enum jg_err groups_from(json_t *a, struct jg_principal *who)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > JG_GROUPS_MAX)
		return JG_EINTERNAL;
	json_array_foreach(a, i, v) {
		if (copy_name(who->groups[i], json_string_value(v)))
			return JG_EINTERNAL;
	}
	who->ngroups = json_array_size(a);
	return JG_OK;
}

enum jg_err jg_codec_groups_decode(const char *text, struct jg_principal *who)
{
	json_t *a = json_loads(text ? text : "", 0, NULL);
	enum jg_err e = groups_from(a, who);

	json_decref(a);
	return e;
}

/* Copy src into dst of size bytes; 0 when it fits whole. */
static int fit(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		return -1;
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

char *jg_codec_person_encode(const struct jg_session *s)
{
	json_t *groups;
	char *text;

	if (s->token_id[0])
		return strdup("");
	if (!(groups = json_array()))
		return NULL;
	for (size_t i = 0; i < s->who.ngroups; i++)
		json_array_append_new(groups, json_string(s->who.groups[i]));
	text = dump(json_pack("{s:o,s:i,s:I,s:b,s:s,s:s}", "groups", groups,
	                      "roles", s->who.roles, "auth_time",
	                      (json_int_t)s->who.auth_time, "mfa", s->who.mfa,
	                      "issuer", s->issuer, "subject", s->subject));
	return text;
}

enum jg_err jg_codec_person_decode(const char *text, struct jg_session *s)
{
	json_t *o, *groups = NULL;
	json_int_t roles = 0, auth_time = 0;
	int mfa = 0;
	const char *issuer = NULL, *subject = NULL;
	enum jg_err e;

	if (!text || !text[0])
		return JG_OK;
	if (!(o = json_loads(text, 0, NULL)) ||
	    json_unpack(o, "{s:o,s:I,s:I,s:b,s:s,s:s}", "groups", &groups,
	                "roles", &roles, "auth_time", &auth_time, "mfa", &mfa,
	                "issuer", &issuer, "subject", &subject) ||
	    fit(s->issuer, sizeof(s->issuer), issuer) ||
	    fit(s->subject, sizeof(s->subject), subject))
		e = JG_EINTERNAL;
	else
		e = groups_from(groups, &s->who);
	s->who.roles = (int)roles;
	s->who.auth_time = auth_time;
	s->who.mfa = mfa;
	json_decref(o);
	return e;
}

enum jg_err jg_codec_checkpoint(int64_t seq, const char *hash, int64_t ts,
                                const char *key_id, const char *sig,
                                struct jg_checkpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->seq = seq;
	out->ts = ts;
	if (fit(out->hash, sizeof(out->hash), hash) ||
	    fit(out->key_id, sizeof(out->key_id), key_id) ||
	    fit(out->sig, sizeof(out->sig), sig))
		return JG_EINTERNAL;
	return JG_OK;
}

enum jg_err jg_codec_pgcred(const char *grant_id, const char *resource,
                            const char *role, int64_t created_at,
                            int64_t valid_until, int64_t dropped_at,
                            struct jg_pgcred *out)
{
	memset(out, 0, sizeof(*out));
	out->created_at = created_at;
	out->valid_until = valid_until;
	out->dropped_at = dropped_at;
	if (fit(out->grant_id, sizeof(out->grant_id), grant_id) ||
	    fit(out->resource, sizeof(out->resource), resource) ||
	    fit(out->role, sizeof(out->role), role))
		return JG_EINTERNAL;
	return JG_OK;
}
