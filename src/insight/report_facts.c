/*
 * report_facts.c - what the report says beyond the period's walk: the
 * standing privileges as they are now (tokens with roles, long grants),
 * the chain's verification with the period's signed checkpoints, and the
 * charts' numbers. Reads only.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "audit/checkpoint.h"
#include "gate/internal.h"
#include "insight/report.h"
#include "util/timefmt.h"

#define CKPT_PAGE 256
#define WEEK (7 * 86400)

static json_t *roles_json(int roles)
{
	json_t *a = json_array();

	for (int i = 0; i < JG_NROLES; i++)
		if (roles & (1 << i))
			json_array_append_new(a, json_string(jg_role_name(i)));
	return a;
}

/* Tokens usable now that carry a role: privilege held without asking. */
static enum jg_err standing_tokens(struct jg_gate *g, int64_t now,
                                   json_t *out)
{
	struct jg_token *ts = NULL; /* owned: the store's list */
	size_t n = 0;
	enum jg_err e;

	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	e = g->st->ops->token_list(g->st, &ts, &n);
	g->st->ops->rollback(g->st);
	for (size_t i = 0; e == JG_OK && i < n; i++) {
		const struct jg_token *t = &ts[i];
		if (!t->who.roles || !jg_token_usable(t, now))
			continue;
		json_array_append_new(
		        out, json_pack("{s:s,s:s,s:o,s:o,s:b,s:s,s:o,s:o,s:s}",
		                       "token_id", t->id, "principal", t->who.name,
		                       "roles", roles_json(t->who.roles),
		                       "expires_at", jg_report_time(t->expires_at),
		                       "never_expires", t->expires_at == 0,
		                       "created_by", t->created_by, "created_at",
		                       jg_report_time(t->created_at), "last_used_at",
		                       jg_report_time(t->last_used_at), "description",
		                       t->description));
	}
	free(ts);
	return e;
}

static json_t *long_grants(const json_t *grants)
{
	json_t *a = json_array(), *row;
	size_t i;

	json_array_foreach(grants, i, row) {
		json_int_t s = json_integer_value(json_object_get(row,
		                                                  "seconds_granted"));
		if (s > JG_REPORT_LONG_GRANT)
			json_array_append(a, row);
	}
	return a;
}

static enum jg_err standing(struct jg_gate *g, json_t *model, int64_t now)
{
	json_t *tokens = json_array();
	enum jg_err e = standing_tokens(g, now, tokens);

	if (e != JG_OK) {
		json_decref(tokens);
		return e;
	}
	json_object_set_new(
	        model, "standing_privileges",
	        json_pack("{s:o,s:o,s:i}", "tokens_with_roles", tokens,
	                  "long_grants",
	                  long_grants(json_object_get(model, "grants")),
	                  "long_grant_seconds", JG_REPORT_LONG_GRANT));
	return JG_OK;
}

static json_t *pub_pem(EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	json_t *s = json_null();

	if (b && PEM_write_bio_PUBKEY(b, key) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0)
		s = json_stringn(p, (size_t)n);
	BIO_free(b);
	return s;
}

/* The store's checkpoints signed in [since, until), each checked with
 * this server's key (none: listed, not vouched for). */
static enum jg_err checkpoints(struct jg_gate *g, int64_t since,
                               int64_t until, json_t *out)
{
	struct jg_checkpoint cps[CKPT_PAGE];
	EVP_PKEY *key = jg_gate_ckpt_key(g);
	int64_t after = 0;
	size_t got = 0;
	enum jg_err e;

	if ((e = g->st->ops->begin(g->st, 0)) != JG_OK)
		return e;
	do {
		e = g->st->ops->checkpoint_list(g->st, after, cps, CKPT_PAGE,
		                                &got);
		for (size_t i = 0; e == JG_OK && i < got; i++) {
			const struct jg_checkpoint *cp = &cps[i];
			after = cp->seq;
			if (cp->ts < since || cp->ts >= until)
				continue;
			json_array_append_new(
			        out,
			        json_pack("{s:I,s:s,s:o,s:s,s:s,s:b}", "seq",
			                  (json_int_t)cp->seq, "hash", cp->hash,
			                  "time", jg_report_time(cp->ts), "key_id",
			                  cp->key_id, "signature", cp->sig,
			                  "signature_ok",
			                  key && jg_ckpt_sig_ok(key, cp)));
		}
	} while (e == JG_OK && got == CKPT_PAGE);
	g->st->ops->rollback(g->st);
	return e;
}

/* rep and pins: the chain's verification, done by the period's walk. */
static enum jg_err audit(struct jg_gate *g, json_t *model,
                         const struct jg_audit_report *rep, size_t pins,
                         int64_t since, int64_t until)
{
	char kid[JG_CKPT_KID_LEN] = "";
	EVP_PKEY *key = jg_gate_ckpt_key(g);
	json_t *cps = json_array(), *a;
	enum jg_err e = checkpoints(g, since, until, cps);

	if (e != JG_OK) {
		json_decref(cps);
		return e;
	}
	if (key)
		jg_ckpt_key_id(key, kid);
	a = json_pack("{s:b,s:I,s:I,s:o,s:o,s:o,s:o,s:o}", "chain_ok", rep->ok,
	              "events_checked", (json_int_t)rep->count,
	              "checkpoints_checked", (json_int_t)pins, "broken_seq",
	              rep->ok ? json_null() : json_integer(rep->broken_seq),
	              "broken_reason",
	              rep->ok ? json_null() : json_string(rep->reason),
	              "checkpoint_key_id", key ? json_string(kid) : json_null(),
	              "checkpoint_public_key", key ? pub_pem(key) : json_null(),
	              "checkpoints", cps);
	if (!a)
		return JG_ENOMEM;
	json_object_set_new(model, "audit", a);
	return JG_OK;
}

/* The Monday 00:00 UTC on or before t (1970-01-01 was a Thursday). */
static int64_t week_of(int64_t t)
{
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	return (day - (day + 3) % 7) * 86400;
}

static json_t *per_week(const json_t *grants, int64_t since, int64_t until)
{
	json_t *a = json_array(), *row;
	int64_t first = week_of(since);
	size_t nweeks = (size_t)((until - 1 - first) / WEEK + 1), i;
	int64_t *n = calloc(nweeks, sizeof(*n)); /* owned: per week */
	char day[JG_TIME_LEN];

	if (!n)
		return a;
	json_array_foreach(grants, i, row) {
		int64_t t = 0;
		jg_time_parse(json_string_value(json_object_get(row, "issued_at")),
		              &t);
		if (t >= first && (size_t)((t - first) / WEEK) < nweeks)
			n[(t - first) / WEEK]++;
	}
	for (i = 0; i < nweeks; i++) {
		jg_time_format(first + (int64_t)i * WEEK, day);
		day[10] = '\0';
		json_array_append_new(a, json_pack("{s:s,s:I}", "week", day,
		                                   "grants", (json_int_t)n[i]));
	}
	free(n);
	return a;
}

static int by_count(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a,
	                                                  "grants"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b,
	                                                  "grants"));
	if (x != y)
		return x < y ? 1 : -1;
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a,
	                                                "resource")),
	              json_string_value(json_object_get(*(json_t *const *)b,
	                                                "resource")));
}

static json_t *per_resource(const json_t *by_resource)
{
	size_t n = json_object_size(by_resource), i = 0;
	/* rows: owned, its rows given to a */
	json_t **rows = calloc(n ? n : 1, sizeof(*rows)), *a = json_array();
	const char *k;
	json_t *v;

	if (!rows)
		return a;
	json_object_foreach((json_t *)by_resource, k, v)
		rows[i++] = json_pack("{s:s,s:O}", "resource", k, "grants", v);
	qsort(rows, n, sizeof(*rows), by_count);
	for (i = 0; i < n; i++)
		json_array_append_new(a, rows[i]);
	free(rows);
	return a;
}

/* Time from request to grant, in buckets a reader can compare. */
static json_t *approve_times(const json_t *grants)
{
	static const struct { const char *label; int64_t below; } b[] = {
		{"under 1 min", 60},      {"1-5 min", 300},
		{"5-15 min", 900},        {"15-60 min", 3600},
		{"1-4 h", 4 * 3600},      {"4-24 h", 86400},
		{"over 24 h", INT64_MAX},
	};
	int64_t n[sizeof(b) / sizeof(b[0])] = {0};
	json_t *a = json_array(), *row;
	size_t i, j;

	json_array_foreach(grants, i, row) {
		const json_t *s = json_object_get(row, "seconds_to_approve");
		if (!json_is_integer(s))
			continue;
		for (j = 0; json_integer_value(s) >= b[j].below; j++)
			;
		n[j]++;
	}
	for (j = 0; j < sizeof(b) / sizeof(b[0]); j++)
		json_array_append_new(a, json_pack("{s:s,s:I}", "bucket",
		                                   b[j].label, "grants",
		                                   (json_int_t)n[j]));
	return a;
}

enum jg_err jg_report_facts(struct jg_gate *g, json_t *model,
                            const json_t *by_resource,
                            const struct jg_audit_report *rep, size_t pins,
                            int64_t since, int64_t until, int64_t now)
{
	const json_t *grants = json_object_get(model, "grants");
	enum jg_err e;

	if ((e = standing(g, model, now)) != JG_OK ||
	    (e = audit(g, model, rep, pins, since, until)) != JG_OK)
		return e;
	json_object_set_new(model, "charts",
	                    json_pack("{s:o,s:o,s:o}", "grants_per_week",
	                              per_week(grants, since, until),
	                              "grants_by_resource",
	                              per_resource(by_resource),
	                              "time_to_approve", approve_times(grants)));
	return JG_OK;
}
