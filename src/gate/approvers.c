/*
 * approvers.c - who may approve for each group: the dashboard names them
 * beside each step, so an approver knows whom else to call at 3 a.m. and
 * a requester whom to ask.
 *
 * Known approvers are the group's members in the policy and the holders
 * of usable, human tokens carrying the group. Someone who signs in only
 * through the identity provider is known once they have a token; the
 * list is a hint, and the review itself decides who may approve.
 */
#include <string.h>

#include "gate/internal.h"

/* Add name to the array a unless it is there already. */
static void add_name(json_t *a, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return;
	if (json_array_size(a) < JG_APPROVERS_MAX)
		json_array_append_new(a, json_string(name));
}

/* The array for group in by (made on first use), or NULL without memory. */
static json_t *group_array(json_t *by, const char *group)
{
	json_t *a = json_object_get(by, group);

	if (!a && (a = json_array()) && json_object_set_new(by, group, a))
		a = NULL;
	return a;
}

enum jg_err jg_gate_approvers(struct jg_gate *g, int64_t now, json_t **out)
{
	struct jg_token *ts = NULL; /* owned; the token table */
	json_t *by = json_object();  /* owned until handed out */
	size_t n = 0;
	enum jg_err e;

	if (!by)
		return JG_ENOMEM;
	for (size_t i = 0; i < g->policy->ngroups; i++) {
		const struct jg_group *gr = &g->policy->groups[i];
		json_t *a = group_array(by, gr->name);
		for (size_t j = 0; a && j < gr->nmembers; j++)
			add_name(a, gr->members[j]);
	}
	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK) {
		json_decref(by);
		return e;
	}
	e = g->st->ops->token_list(g->st, &ts, &n);
	g->st->ops->rollback(g->st);
	for (size_t i = 0; e == JG_OK && i < n; i++) {
		const struct jg_principal *who = &ts[i].who;
		if (who->service || !jg_token_usable(&ts[i], now))
			continue;
		for (size_t k = 0; k < who->ngroups; k++) {
			json_t *a = group_array(by, who->groups[k]);
			if (a)
				add_name(a, who->name);
		}
	}
	free(ts);
	if (e != JG_OK) {
		json_decref(by);
		return e;
	}
	*out = by;
	return JG_OK;
}
