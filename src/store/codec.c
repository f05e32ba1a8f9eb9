/* codec.c - JSON text for list-valued columns, via jansson. */
#include <stdio.h>
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

enum jg_err jg_codec_groups_decode(const char *text, struct jg_principal *who)
{
	json_t *a = json_loads(text ? text : "", 0, NULL), *v;
	size_t i;
	enum jg_err e = JG_OK;

	if (!json_is_array(a) || json_array_size(a) > JG_GROUPS_MAX) {
		json_decref(a);
		return JG_EINTERNAL;
	}
	json_array_foreach(a, i, v) {
		if (copy_name(who->groups[i], json_string_value(v))) {
			e = JG_EINTERNAL;
			break;
		}
	}
	who->ngroups = json_array_size(a);
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
