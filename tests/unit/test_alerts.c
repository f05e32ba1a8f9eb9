/*
 * test_alerts.c - the alert detectors through the real gate (gate/alerts.c,
 * insight/detect.c, policy/load_alerts.c): a seeded month of a team's
 * normal traffic with planted anomalies, replayed through jg_gate_* with
 * the clock as a parameter; exactly the planted alerts fire, none for the
 * normal traffic. Also: a burst straddling a restart fires once, a
 * restart raises nothing twice, acknowledgement, and the `alerts:`
 * section's errors; a grant used from a new address (new_source). On
 * SQLite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/tz.h"
#include "gate/gate.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"

#define DAY 86400LL
#define T0 (1793577600LL) /* a Monday, 00:00 UTC */

static const char policy_yaml[] =
        "version: 1\n"
        "groups:\n"
        "  ops: {members: [a1, a2, a3]}\n"
        "  sre: {members: [oncall]}\n"
        "resources:\n"
        "  lab: {actions: [read]}\n"
        "  db: {actions: [write]}\n"
        "  vault: {sensitivity: critical, actions: [open]}\n"
        "rules:\n"
        "  - name: lab-auto\n"
        "    match: {resource: lab}\n"
        "    decision: auto\n"
        "    max_duration: 10m\n"
        "  - name: db-review\n"
        "    match: {resource: db}\n"
        "    steps: [{group: ops, count: 1}]\n"
        "    max_duration: 1h\n"
        "    request_ttl: 1d\n"
        "    break_glass: {group: sre, max_duration: 30m}\n"
        "  - name: vault-deny\n"
        "    match: {resource: vault}\n"
        "    decision: deny\n";

struct fx {
	char path[TDB_NAME_MAX];
	struct jg_store *st;
	struct jg_gate *g;
};

static struct jg_gate *gate_on(struct jg_store *st, const char *yaml)
{
	struct jg_policy *pol;
	struct jg_gate *g;
	char err[256] = "";

	if (jg_policy_parse("t.yaml", yaml, strlen(yaml), &pol, err,
	                    sizeof(err)) != JG_OK ||
	    jg_gate_new(st, pol, NULL, &g) != JG_OK) {
		print_error("gate: %s\n", err);
		return NULL;
	}
	jg_gate_alerts_inline(g); /* fed as each test step commits */
	return g;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	if (!f)
		return -1;
	tdb_new(f->path);
	if (jg_store_open(f->path, &f->st, err, sizeof(err)) != JG_OK ||
	    !(f->g = gate_on(f->st, policy_yaml))) {
		print_error("setup: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jg_gate_free(f->g);
	jg_store_close(f->st);
	tdb_remove(f->path);
	free(f);
	return 0;
}

static struct jg_principal user(const char *name, const char *group,
                                int roles)
{
	struct jg_principal p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	if (group) {
		snprintf(p.groups[0], sizeof(p.groups[0]), "%s", group);
		p.ngroups = 1;
	}
	p.roles = roles;
	return p;
}

/* Where who usually works from: one stable address per name. */
static const char *home(const char *who, char buf[JG_ADDR_MAX])
{
	unsigned h = 0;

	for (; *who; who++)
		h = h * 31 + (unsigned char)*who;
	snprintf(buf, JG_ADDR_MAX, "10.0.%u.%u", h / 250 % 250, h % 250 + 1);
	return buf;
}

/* who asks for resource at t, from home; the request's id into id. */
static void ask(struct jg_gate *g, const char *who, const char *resource,
                int break_glass, int64_t t, char id[JG_ID_LEN])
{
	struct jg_principal p = user(who, break_glass ? "sre" : NULL, 0);
	char addr[JG_ADDR_MAX];
	struct jg_new_request in = {
	        .source_ip = home(who, addr),
	        .resource = resource,
	        .action = strcmp(resource, "lab") == 0   ? "read"
	                  : strcmp(resource, "db") == 0 ? "write"
	                                                : "open",
	        .reason = "alerts test", .duration = 300,
	        .break_glass = break_glass};
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	jg_gate_hold(g);
	assert_int_equal(jg_gate_request_create(g, &p, &in, t, &v, why),
	                 JG_OK);
	jg_gate_release(g);
	memcpy(id, v.req.id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

/* who reviews request id at t; the grant it made (or "") into grant,
 * unless NULL. */
static void review(struct jg_gate *g, const char *who, const char *id,
                   int approve, const char *comment, int64_t t,
                   char *grant)
{
	struct jg_principal p = user(who, "ops", 0);
	struct jg_request_view v;
	char why[JG_WHY_MAX] = "";

	jg_gate_hold(g);
	if (jg_gate_review(g, &p, id, approve, comment, t, &v, why) != JG_OK)
		fail_msg("review %s by %s: %s", id, who, why);
	jg_gate_release(g);
	if (grant)
		memcpy(grant, v.grant_id, JG_ID_LEN);
	jg_request_view_clear(&v);
}

/* who uses grant (a db write) at t from source (NULL: home), by a
 * non-consuming check that must allow. */
static void use(struct jg_gate *g, const char *who, const char *grant,
                const char *source, int64_t t)
{
	struct jg_principal p = user(who, NULL, 0);
	struct jg_check_query q = {.principal = who, .resource = "db",
	                           .action = "write", .source = source};
	struct jg_answer out;
	char why[JG_WHY_MAX] = "", addr[JG_ADDR_MAX];

	if (!source)
		q.source = home(who, addr);
	jg_gate_hold(g);
	assert_int_equal(jg_gate_authorize(g, &p, &q, t, &out, why), JG_OK);
	jg_gate_release(g);
	assert_true(out.allow);
	assert_string_equal(out.grant_id, grant);
}

/* ---- the generated month ------------------------------------------------ */

enum act_kind { ASK, REVIEW, DONE, USE };
struct act {
	int64_t t;
	enum act_kind kind;
	const char *who, *resource;
	int approve, break_glass;
	const char *comment; /* REVIEW: NULL for none */
	const char *source;  /* USE: NULL for the user's home */
	size_t req; /* the ASK this REVIEW or USE is about (index into acts) */
	char id[JG_ID_LEN]; /* ASK: the request's id; DONE: the grant's */
	char grant[JG_ID_LEN]; /* ASK: its grant's id, once approved */
};

#define ACTS_MAX 2048
struct month {
	struct act a[ACTS_MAX];
	size_t n;
	uint64_t seed;
};

static unsigned rnd(struct month *m, unsigned below)
{
	m->seed = m->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(m->seed >> 33) % below;
}

static size_t add_ask(struct month *m, int64_t t, const char *who,
                      const char *resource, int break_glass)
{
	assert_true(m->n < ACTS_MAX);
	m->a[m->n] = (struct act){.t = t, .kind = ASK, .who = who,
	                          .resource = resource,
	                          .break_glass = break_glass};
	return m->n++;
}

static void add_review(struct month *m, int64_t t, const char *who,
                       size_t req, int approve)
{
	assert_true(m->n < ACTS_MAX);
	m->a[m->n] = (struct act){.t = t, .kind = REVIEW, .who = who,
	                          .req = req, .approve = approve,
	                          .comment = "ok"};
	m->n++;
}

/* The requester of ask req uses its grant (when approved) at t. */
static void add_use(struct month *m, int64_t t, size_t req,
                    const char *source)
{
	assert_true(m->n < ACTS_MAX);
	m->a[m->n] = (struct act){.t = t, .kind = USE, .who = m->a[req].who,
	                          .req = req, .source = source};
	m->n++;
}

/* A db request at t reviewed by approver after delay seconds; its grant,
 * if approved, used from home a minute later. */
static void db_request(struct month *m, int64_t t, const char *who,
                       const char *approver, int64_t delay, int approve)
{
	size_t r = add_ask(m, t, who, "db", 0);
	add_review(m, t + delay, approver, r, approve);
	add_use(m, t + delay + 60, r, NULL);
}

/* Six engineers, two db requests each working day (9:00-17:00 UTC),
 * reviewed by one of three approvers after 5 to 60 minutes, one in
 * twenty denied; a lab read now and then. */
static void normal_month(struct month *m)
{
	static const char *const team[] = {"u1", "u2", "u3",
	                                   "u4", "u5", "u6"};
	static const char *const ops[] = {"a1", "a2", "a3"};

	for (int64_t d = 0; d < 30; d++) {
		if (d % 7 >= 5)
			continue; /* the weekend */
		for (size_t u = 0; u < 6; u++)
			for (int k = 0; k < 2; k++) {
				int64_t t = T0 + d * DAY + 9 * 3600 +
				            rnd(m, 8 * 3600);
				db_request(m, t, team[u], ops[rnd(m, 3)],
				           300 + rnd(m, 3300), rnd(m, 20) != 0);
			}
		add_ask(m, T0 + d * DAY + 10 * 3600 + rnd(m, 3600),
		        team[rnd(m, 6)], "lab", 0);
	}
}

/* who marks the grant of ask req done (unused) at t. */
static void add_done(struct month *m, int64_t t, const char *who, size_t req)
{
	assert_true(m->n < ACTS_MAX);
	m->a[m->n] = (struct act){.t = t, .kind = DONE, .who = who,
	                          .req = req};
	m->n++;
}

/* who marks grant done at t. */
static void done(struct jg_gate *g, const char *who, const char *grant,
                 int64_t t)
{
	struct jg_principal p = user(who, NULL, 0);
	struct jg_grant gr;
	char why[JG_WHY_MAX] = "";

	jg_gate_hold(g);
	if (jg_gate_grant_end(g, &p, grant, JG_GRANT_COMPLETED, "done", t, &gr,
	                      why) != JG_OK)
		fail_msg("done %s by %s: %s", grant, who, why);
	jg_gate_release(g);
}

/* The anomalies the month hides, one per detector kind. */
static void planted(struct month *m)
{
	static const char *const team[] = {"u2", "u3", "u4", "u5", "u6"};
	size_t unused, newsrc;

	/* day 10: mallory reads lab twelve times in four minutes */
	for (int i = 0; i < 12; i++)
		add_ask(m, T0 + 10 * DAY + 14 * 3600 + i * 20, "mallory",
		        "lab", 0);
	/* day 11: eve is refused the vault six times */
	for (int i = 0; i < 6; i++)
		add_ask(m, T0 + 11 * DAY + 10 * 3600 + i * 3600, "eve",
		        "vault", 0);
	/* day 15: a3 approves five requests eight seconds after each */
	for (int i = 0; i < 5; i++)
		db_request(m, T0 + 15 * DAY + 11 * 3600 + i * 3600, team[i],
		           "a3", 8, 1);
	/* days 21-25: a2 approves u1 twenty times */
	for (int d = 21; d < 26; d++)
		for (int i = 0; i < 4; i++)
			db_request(m, T0 + d * DAY + 8 * 3600 + i * 7200,
			           "u1", "a2", 600, 1);
	/* day 26, 03:00: oncall breaks the glass; no one post-reviews it
	 * (overdue once the trail reaches day 27, 03:00) */
	add_ask(m, T0 + 26 * DAY + 3 * 3600, "oncall", "db", 1);
	/* day 27, 02:30: u3, who works days, asks at night (a1 approves in
	 * the morning) */
	db_request(m, T0 + 27 * DAY + 2 * 3600 + 1800, "u3", "a1", 7 * 3600, 1);
	/* day 8: u6's approved grant is marked done, never used */
	unused = add_ask(m, T0 + 8 * DAY + 10 * 3600, "u6", "db", 0);
	add_review(m, T0 + 8 * DAY + 10 * 3600 + 600, "a1", unused, 1);
	add_done(m, T0 + 8 * DAY + 10 * 3600 + 720, "u6", unused);
	/* days 2-4: a4 approves twenty requests, each without a comment */
	for (int i = 0; i < 20; i++) {
		db_request(m, T0 + (2 + i / 7) * DAY + 9 * 3600 + 1800 +
		                      (i % 7) * 3600,
		           team[i % 5], "a4", 600, 1);
		m->a[m->n - 2].comment = NULL;
	}
	/* day 20: u2 asks from home, then uses the grant from an address
	 * never seen for them (and again: one alert) */
	newsrc = add_ask(m, T0 + 20 * DAY + 13 * 3600, "u2", "db", 0);
	add_review(m, T0 + 20 * DAY + 13 * 3600 + 900, "a2", newsrc, 1);
	add_use(m, T0 + 20 * DAY + 13 * 3600 + 960, newsrc, "203.0.113.9");
	add_use(m, T0 + 20 * DAY + 13 * 3600 + 990, newsrc, "203.0.113.9");
}

static int by_time(const void *x, const void *y)
{
	const struct act *a = x, *b = y;
	return a->t < b->t ? -1 : a->t > b->t;
}

/* Replay m through g in time order (reviews find their ask's id). */
static void replay(struct jg_gate *g, struct month *m)
{
	size_t *where = calloc(m->n, sizeof(*where));

	assert_non_null(where);
	/* an ASK's req is its own index, kept through the sort */
	for (size_t i = 0; i < m->n; i++)
		m->a[i].req = m->a[i].kind == ASK ? i : m->a[i].req;
	qsort(m->a, m->n, sizeof(m->a[0]), by_time);
	for (size_t i = 0; i < m->n; i++)
		if (m->a[i].kind == ASK)
			where[m->a[i].req] = i;
	for (size_t i = 0; i < m->n; i++) {
		struct act *a = &m->a[i];
		if (a->kind == ASK)
			ask(g, a->who, a->resource, a->break_glass, a->t,
			    a->id);
		else if (a->kind == REVIEW)
			review(g, a->who, m->a[where[a->req]].id, a->approve,
			       a->comment, a->t, m->a[where[a->req]].grant);
		else if (a->kind == USE) {
			if (m->a[where[a->req]].grant[0]) /* approved */
				use(g, a->who, m->a[where[a->req]].grant,
				    a->source, a->t);
		} else { /* DONE: its id is the grant's, for the alert */
			memcpy(a->id, m->a[where[a->req]].grant, JG_ID_LEN);
			done(g, a->who, a->id, a->t);
		}
	}
	free(where);
}

/* "kind:subject" of every alert (state NULL: all), sorted, one a line. */
static void alerts_of(struct jg_gate *g, const char *state, char *out,
                      size_t len)
{
	struct jg_principal aud = user("audrey", NULL, JG_ROLE_AUDITOR);
	char why[JG_WHY_MAX] = "", lines[64][160];
	json_t *list, *a;
	size_t i, n = 0, o = 0;

	assert_int_equal(jg_gate_alerts_list(g, &aud, state, &list, why),
	                 JG_OK);
	json_array_foreach(list, i, a) {
		if (n == 64)
			break;
		snprintf(lines[n++], sizeof(lines[0]), "%s:%s",
		         json_string_value(json_object_get(a, "kind")),
		         json_string_value(json_object_get(a, "subject")));
	}
	json_decref(list);
	qsort(lines, n, sizeof(lines[0]),
	      (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s\n", lines[i]);
}

static void month_of_normal_traffic_raises_nothing(void **state)
{
	struct fx *f = *state;
	struct month *m = calloc(1, sizeof(*m));
	char got[4096];

	assert_non_null(m);
	m->seed = 15;
	normal_month(m);
	replay(f->g, m);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "");
	free(m);
}

/* The break-glass request's id: the alert's subject. */
static const char *break_glass_id(const struct month *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->a[i].break_glass)
			return m->a[i].id;
	return "";
}

/* The grant marked done unused: grant_unused's subject. */
static const char *unused_grant_id(const struct month *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->a[i].kind == DONE)
			return m->a[i].id;
	return "";
}

static void month_raises_exactly_the_planted_alerts(void **state)
{
	struct fx *f = *state;
	struct month *m = calloc(1, sizeof(*m));
	char got[4096], want[1024];

	assert_non_null(m);
	m->seed = 15;
	normal_month(m);
	planted(m);
	replay(f->g, m);
	alerts_of(f->g, NULL, got, sizeof(got));
	snprintf(want, sizeof(want),
	         "break_glass:%s\ncollusion:u1>a2\ndenials:eve\n"
	         "first_sensitive:eve>vault\n"
	         "burst_principal:mallory\noff_hours:u3\nrubber_stamp:a3\n"
	         "rubber_stamp_ratio:a4\nbreak_glass_overdue:%s\n"
	         "grant_unused:%s\nnew_source:u2>203.0.113.9\n",
	         break_glass_id(m), break_glass_id(m), unused_grant_id(m));
	/* sorted like alerts_of sorts */
	{
		char lines[16][160], *s = want, *nl;
		size_t n = 0, o = 0;
		while ((nl = strchr(s, '\n'))) {
			snprintf(lines[n++], sizeof(lines[0]), "%.*s",
			         (int)(nl - s), s);
			s = nl + 1;
		}
		qsort(lines, n, sizeof(lines[0]),
		      (int (*)(const void *, const void *))strcmp);
		for (size_t i = 0; i < n; i++)
			o += (size_t)snprintf(want + o, sizeof(want) - o,
			                      "%s\n", lines[i]);
	}
	assert_string_equal(got, want);
	free(m);
}

/* ---- restart, acknowledgement, tuning ----------------------------------- */

static size_t count_of(struct jg_gate *g)
{
	char got[4096];
	size_t n = 0;

	alerts_of(g, NULL, got, sizeof(got));
	for (const char *s = got; (s = strchr(s, '\n')); s++)
		n++;
	return n;
}

static void burst_straddling_a_restart_fires_once(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN], got[512];
	int64_t t = T0 + 3600;

	for (int i = 0; i < 6; i++)
		ask(f->g, "bursty", "lab", 0, t + i * 10, id);
	jg_gate_free(f->g); /* the restart: counters only in the trail */
	assert_non_null(f->g = gate_on(f->st, policy_yaml));
	for (int i = 6; i < 12; i++)
		ask(f->g, "bursty", "lab", 0, t + i * 10, id);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "burst_principal:bursty\n");
	/* another restart re-reads the burst and its alert: nothing new */
	jg_gate_free(f->g);
	assert_non_null(f->g = gate_on(f->st, policy_yaml));
	ask(f->g, "bursty", "lab", 0, t + 130, id);
	assert_int_equal(count_of(f->g), 1);
}

static void acknowledge_needs_admin_and_comment(void **state)
{
	struct fx *f = *state;
	struct jg_principal admin = user("root", NULL, JG_ROLE_ADMIN);
	struct jg_principal aud = user("audrey", NULL, JG_ROLE_AUDITOR);
	char id[JG_ID_LEN], why[JG_WHY_MAX] = "", got[512];
	json_t *list;
	const char *aid;

	ask(f->g, "oncall", "db", 1, T0 + 100, id);
	assert_int_equal(jg_gate_alerts_list(f->g, &admin, "open", &list, why),
	                 JG_OK);
	assert_int_equal(json_array_size(list), 1);
	aid = json_string_value(json_object_get(json_array_get(list, 0), "id"));
	assert_int_equal(jg_gate_alerts_ack(f->g, &admin, aid, " ", T0 + 200,
	                                    why), JG_EINVAL);
	assert_int_equal(jg_gate_alerts_ack(f->g, &aud, aid, "seen", T0 + 200,
	                                    why), JG_EFORBIDDEN);
	assert_int_equal(jg_gate_alerts_ack(f->g, &admin, "evt_nope", "seen",
	                                    T0 + 200, why), JG_ENOTFOUND);
	assert_int_equal(jg_gate_alerts_ack(f->g, &admin, aid, "INC-7 drill",
	                                    T0 + 200, why), JG_OK);
	assert_int_equal(jg_gate_alerts_ack(f->g, &admin, aid, "again",
	                                    T0 + 300, why), JG_ECONFLICT);
	json_decref(list);
	alerts_of(f->g, "open", got, sizeof(got));
	assert_string_equal(got, "");
	alerts_of(f->g, "acknowledged", got, sizeof(got));
	assert_true(strncmp(got, "break_glass:req_", 16) == 0);
	assert_int_equal(jg_gate_alerts_list(f->g, &aud, "closed", &list, why),
	                 JG_EINVAL);
	assert_int_equal(jg_gate_alerts_list(f->g, &(struct jg_principal){0},
	                                     NULL, &list, why),
	                 JG_EFORBIDDEN);
}

/* Restart f's gate on the test policy plus an `alerts:` section. */
static void retune(struct fx *f, const char *section)
{
	char yaml[2048];

	snprintf(yaml, sizeof(yaml), "%s%s", policy_yaml, section);
	jg_gate_free(f->g);
	assert_non_null(f->g = gate_on(f->st, yaml));
}

static void policy_tunes_and_disables_detectors(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN], got[512];

	retune(f, "alerts:\n"
	          "  burst_principal: {threshold: 3, window: 1h}\n"
	          "  break_glass: off\n");
	for (int i = 0; i < 3; i++)
		ask(f->g, "trio", "lab", 0, T0 + i * 600, id);
	ask(f->g, "oncall", "db", 1, T0 + 2000, id);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "burst_principal:trio\n");
}

/* rubber_stamp_ratio tuned to 4 reviews: four approvals without a
 * comment raise; for another approver, one comment in four does not
 * (75% < 95%). A blank comment is no comment. */
static void rubber_stamp_ratio_counts_uncommented_approvals(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN], got[512];

	retune(f, "alerts:\n  rubber_stamp_ratio: {threshold: 4, window: 1d}\n");
	for (int i = 0; i < 4; i++) {
		ask(f->g, i % 2 ? "u1" : "u2", "db", 0, T0 + 36000 + i * 3600,
		    id);
		review(f->g, "a5", id, 1, i == 2 ? "  " : NULL,
		       T0 + 36600 + i * 3600, NULL);
		ask(f->g, i % 2 ? "u1" : "u2", "db", 0, T0 + 36000 + i * 3600,
		    id);
		review(f->g, "a6", id, 1, i == 1 ? "checked the ticket" : NULL,
		       T0 + 36600 + i * 3600, NULL);
	}
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "rubber_stamp_ratio:a5\n");
}

/* A break-glass request post-reviewed within 24h raises no overdue
 * alert; one never post-reviewed raises it once the trail's time passes
 * its deadline, and only once across a restart. */
static void break_glass_overdue_once_past_the_deadline(void **state)
{
	struct fx *f = *state;
	struct jg_principal rv = user("a1", "ops", 0);
	struct jg_request_view v;
	char id[JG_ID_LEN], late[JG_ID_LEN], why[JG_WHY_MAX] = "", got[512];

	retune(f, "alerts:\n  break_glass: off\n");
	ask(f->g, "oncall", "db", 1, T0 + 100, id);
	ask(f->g, "oncall", "db", 1, T0 + 200, late);
	jg_gate_hold(f->g);
	assert_int_equal(jg_gate_post_review(f->g, &rv, id, "fine",
	                                     T0 + 23 * 3600, &v, why), JG_OK);
	jg_gate_release(f->g);
	jg_request_view_clear(&v);
	ask(f->g, "u1", "lab", 0, T0 + 24 * 3600 + 150, id); /* 1st due */
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "");
	ask(f->g, "u1", "lab", 0, T0 + 24 * 3600 + 250, id); /* late due */
	retune(f, "alerts:\n  break_glass: off\n"); /* the restart */
	ask(f->g, "u1", "lab", 0, T0 + 50 * 3600, id);
	snprintf(why, sizeof(why), "break_glass_overdue:%s\n", late);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, why);
}

/* grant_unused: a grant marked done unused raises; one revoked does
 * not (someone ended it knowingly), nor one a check allowed (its first
 * use from an address is recorded); `grant_unused: off` raises none. */
static void grant_unused_on_done_not_on_revoke(void **state)
{
	struct fx *f = *state;
	struct jg_principal u1 = user("u1", NULL, 0);
	struct jg_grant gr;
	char id[JG_ID_LEN], kept[JG_ID_LEN], cut[JG_ID_LEN], off[JG_ID_LEN];
	char checked[JG_ID_LEN];
	char why[JG_WHY_MAX] = "", got[512], want[128];

	ask(f->g, "u1", "db", 0, T0 + 50, id);
	review(f->g, "a1", id, 1, "ok", T0 + 60, checked);
	use(f->g, "u1", checked, NULL, T0 + 70);
	done(f->g, "u1", checked, T0 + 80);
	ask(f->g, "u1", "db", 0, T0 + 100, id);
	review(f->g, "a1", id, 1, "ok", T0 + 200, kept);
	ask(f->g, "u1", "db", 0, T0 + 100, id);
	review(f->g, "a1", id, 1, "ok", T0 + 200, cut);
	done(f->g, "u1", kept, T0 + 300);
	jg_gate_hold(f->g);
	assert_int_equal(jg_gate_grant_end(f->g, &u1, cut, JG_GRANT_REVOKED,
	                                   "not needed", T0 + 300, &gr, why),
	                 JG_OK);
	jg_gate_release(f->g);
	snprintf(want, sizeof(want), "grant_unused:%s\n", kept);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, want);
	retune(f, "alerts:\n  grant_unused: off\n");
	ask(f->g, "u1", "db", 0, T0 + 400, id);
	review(f->g, "a1", id, 1, "ok", T0 + 500, off);
	done(f->g, "u1", off, T0 + 600);
	assert_int_equal(count_of(f->g), 1);
}

/* new_source judges a principal once they have three sightings (their
 * requests and uses) within the window: a new address before then is
 * learnt, not raised; a restart rebuilds the places from the trail. */
static void new_source_needs_a_history_and_survives_a_restart(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN], grant[JG_ID_LEN], got[512];
	int64_t t = T0 + 3600;

	ask(f->g, "nova", "db", 0, t, id); /* 1: her request, from home */
	review(f->g, "a1", id, 1, "ok", t + 60, grant);
	use(f->g, "nova", grant, NULL, t + 70);            /* 2: home */
	use(f->g, "nova", grant, "198.51.100.1", t + 80);  /* only 2 before */
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "");
	jg_gate_free(f->g); /* the restart: places only in the trail */
	assert_non_null(f->g = gate_on(f->st, policy_yaml));
	ask(f->g, "nova", "db", 0, t + 600, id);
	review(f->g, "a1", id, 1, "ok", t + 660, grant);
	use(f->g, "nova", grant, "198.51.100.1", t + 670); /* known place */
	use(f->g, "nova", grant, "198.51.100.2", t + 680); /* new: raised */
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "new_source:nova>198.51.100.2\n");
	retune(f, "alerts:\n  new_source: off\n");
	use(f->g, "nova", grant, "198.51.100.3", t + 690);
	assert_int_equal(count_of(f->g), 1);
}

/* One open alert per kind + subject + window: a burst that goes on
 * raises again once the window since the last alert has passed. */
static void a_lasting_burst_raises_once_a_window(void **state)
{
	struct fx *f = *state;
	char id[JG_ID_LEN], got[512];

	retune(f, "alerts:\n  burst_principal: {threshold: 3, window: 1h}\n");
	for (int m = 0; m <= 10; m += 5) /* raised at 0:10 */
		ask(f->g, "steady", "lab", 0, T0 + m * 60, id);
	for (int m = 25; m <= 115; m += 15) /* again at 1:10, not before */
		ask(f->g, "steady", "lab", 0, T0 + m * 60, id);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "burst_principal:steady\n"
	                         "burst_principal:steady\n");
}

/* Two servers on one trail: the second reads the burst and, after it,
 * the first one's alert, before raising its own: it raises none. */
static void two_servers_raise_one_alert(void **state)
{
	struct fx *f = *state;
	struct jg_gate *b = gate_on(f->st, policy_yaml);
	char id[JG_ID_LEN], got[512];
	int64_t t = T0 + 3600;

	assert_non_null(b);
	for (int i = 0; i < 9; i++)
		ask(f->g, "mallory", "lab", 0, t + i, id);
	ask(b, "bob", "lab", 0, t + 9, id);         /* b reads the nine */
	ask(f->g, "mallory", "lab", 0, t + 10, id); /* the first raises */
	ask(b, "mallory", "lab", 0, t + 11, id);    /* b reads the tenth */
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "burst_principal:mallory\n");
	jg_gate_free(b);
}

/* The summary of the only alert, into out. */
static void only_summary(struct jg_gate *g, char *out, size_t len)
{
	struct jg_principal aud = user("audrey", NULL, JG_ROLE_AUDITOR);
	char why[JG_WHY_MAX] = "";
	json_t *list;

	assert_int_equal(jg_gate_alerts_list(g, &aud, NULL, &list, why),
	                 JG_OK);
	assert_int_equal(json_array_size(list), 1);
	snprintf(out, len, "%s", json_string_value(json_object_get(
	                                 json_array_get(list, 0), "summary")));
	json_decref(list);
}

#define ZONES                                                              \
	"alerts:\n"                                                        \
	"  off_hours:\n"                                                   \
	"    time_zone: Europe/Berlin\n"                                   \
	"    time_zones:\n"                                                \
	"      nyc: America/New_York\n"                                    \
	"      early: America/New_York\n"                                  \
	"      group:sre: Asia/Tokyo\n"                                    \
	"      oncall: America/New_York\n"

/*
 * off_hours in the principal's zone: nyc works 9:00-17:00 in New York
 * for four weeks across the end of DST (2026-11-01 06:00 UTC, when 9:00
 * local moves from 13:00 to 14:00 UTC) and raises nothing; one request
 * at 03:00 New York time raises exactly one alert, which names the
 * local time and the zone. `early` asks at 9:xx local before the switch
 * (13:xx UTC) and 10:xx after it (15:xx UTC): next to their usual hour
 * locally, two hours away in UTC, so only hours kept in UTC raise.
 */
static void off_hours_in_the_principals_zone(void **state)
{
	struct fx *f = *state;
	struct month *m = calloc(1, sizeof(*m));
	char got[512];

	assert_non_null(m);
	retune(f, ZONES);
	m->seed = 7;
	for (int64_t d = -14; d < 14; d++) {
		int64_t nine = T0 + d * DAY + (d < 0 ? 13 : 14) * 3600;

		if ((d % 7 + 7) % 7 >= 5)
			continue; /* the weekend */
		for (int k = 0; k < 2; k++)
			add_ask(m, nine + rnd(m, 8 * 3600), "nyc", "lab", 0);
		for (int k = 0; k < 3; k++)
			add_ask(m, nine + (d < 0 ? 0 : 3600) + k * 1200 +
			                   rnd(m, 1200),
			        "early", "lab", 0);
	}
	replay(f->g, m);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "");
	/* day 15, a Tuesday: 03:00 EST is 08:00 UTC */
	ask(f->g, "nyc", "lab", 0, T0 + 15 * DAY + 8 * 3600, m->a[0].id);
	alerts_of(f->g, NULL, got, sizeof(got));
	assert_string_equal(got, "off_hours:nyc\n");
	only_summary(f->g, got, sizeof(got));
	assert_string_equal(got, "'nyc': request.created at 03:00 "
	                         "America/New_York, outside their usual "
	                         "hours");
	free(m);
}

/* Whose zone is whose: the principal's own entry over a group's (in
 * whatever order), a group's over the default, the default for the rest;
 * without the keys everyone is in UTC. */
static void off_hours_zone_lookup(void **state)
{
	char yaml[2048], err[256] = "";
	struct jg_policy *p = NULL;

	(void)state;
	snprintf(yaml, sizeof(yaml), "%s%s", policy_yaml, ZONES);
	assert_int_equal(jg_policy_parse("t.yaml", yaml, strlen(yaml), &p, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_string_equal(jg_tz_name(jg_policy_alert_zone(p, "nyc")),
	                    "America/New_York");
	assert_string_equal(jg_tz_name(jg_policy_alert_zone(p, "oncall")),
	                    "America/New_York");
	jg_policy_free(p);
	snprintf(yaml, sizeof(yaml), "%s%s", policy_yaml,
	         "alerts:\n  off_hours:\n    time_zones:\n"
	         "      \"group:sre\": Asia/Tokyo\n      u1: Etc/UTC\n");
	assert_int_equal(jg_policy_parse("t.yaml", yaml, strlen(yaml), &p, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_string_equal(jg_tz_name(jg_policy_alert_zone(p, "oncall")),
	                    "Asia/Tokyo");
	assert_string_equal(jg_tz_name(jg_policy_alert_zone(p, "u1")),
	                    "Etc/UTC");
	assert_null(jg_policy_alert_zone(p, "a1")); /* no default: UTC */
	jg_policy_free(p);
	snprintf(yaml, sizeof(yaml), "%s%s", policy_yaml, ZONES);
	assert_int_equal(jg_policy_parse("t.yaml", yaml, strlen(yaml), &p, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_string_equal(jg_tz_name(jg_policy_alert_zone(p, "a1")),
	                    "Europe/Berlin");
	jg_policy_free(p);
	assert_int_equal(jg_policy_parse("t.yaml", policy_yaml,
	                                 strlen(policy_yaml), &p, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_null(jg_policy_alert_zone(p, "nyc"));
	jg_policy_free(p);
}

static void alerts_section_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *section, *want;
	} bad[] = {
	        {"alerts:\n  burts: off\n",
	         "t.yaml:24: unknown alert kind 'burts'"},
	        {"alerts:\n  denials: on\n",
	         "t.yaml:24: alert 'denials' must be 'off' or a map"},
	        {"alerts:\n  denials: {threshold: 99}\n",
	         "t.yaml:24: alert 'denials'"},
	        {"alerts:\n  denials: {window: soon}\n",
	         "t.yaml:24: alert 'denials'"},
	        {"alerts:\n  denials: {colour: red}\n",
	         "t.yaml:24: alert 'denials'"},
	        {"alerts: [denials]\n", "t.yaml:23:"},
	        {"alerts:\n  off_hours: {time_zone: Mars/Base}\n",
	         "t.yaml:24: alert 'off_hours': unknown time zone 'Mars/Base'"},
	        {"alerts:\n  off_hours: {time_zone: ../etc/passwd}\n",
	         "t.yaml:24: alert 'off_hours':"},
	        {"alerts:\n  off_hours: {time_zone: /etc/localtime}\n",
	         "t.yaml:24: alert 'off_hours':"},
	        {"alerts:\n  off_hours: {time_zone: [UTC]}\n",
	         "t.yaml:24: alert 'off_hours':"},
	        {"alerts:\n  off_hours:\n    time_zones: UTC\n",
	         "t.yaml:25: alert 'off_hours':"},
	        {"alerts:\n  off_hours:\n    time_zones: {u1: Nowhere/At_All}\n",
	         "t.yaml:25: alert 'off_hours': unknown time zone"},
	        {"alerts:\n  off_hours:\n    time_zones:\n      u1: UTC\n"
	         "      bad name: UTC\n",
	         "t.yaml:27: alert 'off_hours': 'time_zones' principal"},
	        {"alerts:\n  off_hours:\n    time_zones:\n"
	         "      group:nobody: UTC\n",
	         "t.yaml:26: alert 'off_hours': 'time_zones': group 'nobody' "
	         "is not defined"},
	        {"alerts:\n  off_hours:\n    time_zones:\n      u1: UTC\n"
	         "      u1: Etc/UTC\n",
	         "t.yaml:27:"},
	        {"alerts:\n  denials: {time_zone: UTC}\n",
	         "t.yaml:24: alert 'denials'"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char yaml[2048], err[256] = "";
		struct jg_policy *p = NULL;

		snprintf(yaml, sizeof(yaml), "%s%s", policy_yaml,
		         bad[i].section);
		assert_int_equal(jg_policy_parse("t.yaml", yaml, strlen(yaml),
		                                 &p, err, sizeof(err)),
		                 JG_EINVAL);
		if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, err,
			         bad[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                month_of_normal_traffic_raises_nothing, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                month_raises_exactly_the_planted_alerts, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                burst_straddling_a_restart_fires_once, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                acknowledge_needs_admin_and_comment, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                policy_tunes_and_disables_detectors, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                a_lasting_burst_raises_once_a_window, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                rubber_stamp_ratio_counts_uncommented_approvals, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                break_glass_overdue_once_past_the_deadline, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(
	                grant_unused_on_done_not_on_revoke, setup, teardown),
	        cmocka_unit_test_setup_teardown(two_servers_raise_one_alert,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                off_hours_in_the_principals_zone, setup, teardown),
	        cmocka_unit_test(off_hours_zone_lookup),
	        cmocka_unit_test_setup_teardown(
	                new_source_needs_a_history_and_survives_a_restart,
	                setup, teardown),
	        cmocka_unit_test(alerts_section_errors_name_file_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
