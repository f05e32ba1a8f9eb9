/*
 * test_audit.c - the audit hash chain (src/audit/audit.c) on a real SQLite
 * store in a temporary file: append, verify, and tampering done behind the
 * store's back with sqlite3 directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sqlite3.h>

#include "audit/audit.h"
#include "store/store.h"
#include "util/crypto.h"

struct fx {
	char path[64];
	struct jg_store *st;
};

/* ---- fixtures and helpers ---------------------------------------------- */

static void remove_db(const char *path)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[96];
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static struct jg_store *open_ok(const char *path)
{
	struct jg_store *st = NULL;
	char err[256] = "";
	enum jg_err e = jg_store_open(path, &st, err, sizeof(err));
	if (e != JG_OK)
		print_error("open %s: %s\n", path, err);
	assert_int_equal(e, JG_OK);
	return st;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;
	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/jg-audit-test-XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0) {
		free(f);
		return -1;
	}
	close(fd);
	f->st = open_ok(f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	jg_store_close(f->st);
	remove_db(f->path);
	free(f);
	return 0;
}

/* Append n events in one write transaction. */
static void append_n(struct jg_store *st, int n, int64_t ts0)
{
	assert_int_equal(st->ops->begin(st, 1), JG_OK);
	for (int i = 0; i < n; i++) {
		json_t *d = json_pack("{s:i,s:s}", "n", i, "note", "x");
		enum jg_err e = jg_audit_append(st, ts0 + i, "alice",
		                                "request.created", "req_1", d);
		json_decref(d);
		assert_int_equal(e, JG_OK);
	}
	assert_int_equal(st->ops->commit(st), JG_OK);
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		print_error("%s: %s\n", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

static void verify(struct jg_store *st, struct jg_audit_report *rep)
{
	memset(rep, 0x5a, sizeof(*rep));
	assert_int_equal(jg_audit_verify(st, rep), JG_OK);
}

static void expect_broken(struct jg_store *st, int64_t seq, const char *phrase)
{
	struct jg_audit_report rep;
	verify(st, &rep);
	if (rep.ok || rep.broken_seq != seq || !strstr(rep.reason, phrase))
		print_error("ok=%d broken_seq=%lld reason=\"%s\"\n", rep.ok,
		            (long long)rep.broken_seq, rep.reason);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, seq);
	assert_int_equal(rep.count, seq - 1); /* everything before it is fine */
	assert_non_null(strstr(rep.reason, phrase));
}

struct collect {
	struct jg_event ev[8];
	char details[8][512];
	int n;
};

static int collect_one(const struct jg_event *ev, void *ctx)
{
	struct collect *c = ctx;
	if (c->n >= 8)
		return 1;
	c->ev[c->n] = *ev;
	snprintf(c->details[c->n], sizeof(c->details[0]), "%s", ev->details);
	c->ev[c->n].details = c->details[c->n];
	c->n++;
	return 0;
}

static void walk_all(struct jg_store *st, struct collect *c)
{
	struct jg_filter f = {0};
	int64_t next = 0;
	memset(c, 0, sizeof(*c));
	assert_int_equal(st->ops->begin(st, 0), JG_OK);
	assert_int_equal(st->ops->audit_walk(st, &f, collect_one, c, &next),
	                 JG_OK);
	st->ops->rollback(st);
}

static struct jg_event base_event(void)
{
	struct jg_event ev = {.seq = 1, .ts = 100};
	snprintf(ev.id, sizeof(ev.id), "evt_1");
	snprintf(ev.actor, sizeof(ev.actor), "alice");
	snprintf(ev.type, sizeof(ev.type), "request.created");
	snprintf(ev.subject, sizeof(ev.subject), "req_1");
	ev.details = (char *)"{\"a\":1}";
	memcpy(ev.prev_hash, JG_AUDIT_GENESIS, sizeof(ev.prev_hash));
	return ev;
}

static void hash_ok(const struct jg_event *ev, char out[JG_SHA256_HEX])
{
	assert_int_equal(jg_audit_hash(ev, out), JG_OK);
	assert_int_equal(strlen(out), 64);
}

/* ---- hashing ----------------------------------------------------------- */

static void hash_is_sha256_of_documented_canonical_form(void **state)
{
	struct jg_event ev = base_event();
	const char *canon =
	        "{\"actor\":\"alice\",\"details\":{\"a\":1},\"id\":\"evt_1\","
	        "\"prev_hash\":\"" JG_AUDIT_GENESIS "\",\"seq\":1,"
	        "\"subject\":\"req_1\",\"ts\":100,\"type\":\"request.created\"}";
	char want[JG_SHA256_HEX], got[JG_SHA256_HEX];
	(void)state;
	jg_sha256_hex(canon, strlen(canon), want);
	hash_ok(&ev, got);
	assert_string_equal(got, want);
}

static void hash_is_deterministic_and_ignores_stored_hash(void **state)
{
	struct jg_event ev = base_event();
	char h1[JG_SHA256_HEX], h2[JG_SHA256_HEX];
	(void)state;
	hash_ok(&ev, h1);
	snprintf(ev.hash, sizeof(ev.hash), "%064d", 3);
	hash_ok(&ev, h2);
	assert_string_equal(h1, h2);
	/* details are canonicalised: key order and spacing do not matter */
	ev.details = (char *)"{ \"b\" : 2, \"a\" : 1 }";
	hash_ok(&ev, h1);
	ev.details = (char *)"{\"a\":1,\"b\":2}";
	hash_ok(&ev, h2);
	assert_string_equal(h1, h2);
	/* NULL details mean {} */
	ev.details = NULL;
	hash_ok(&ev, h1);
	ev.details = (char *)"{}";
	hash_ok(&ev, h2);
	assert_string_equal(h1, h2);
}

static void hash_changes_with_every_field(void **state)
{
	const struct jg_event base = base_event();
	char h0[JG_SHA256_HEX], h[JG_SHA256_HEX];
	struct jg_event ev;
	(void)state;
	hash_ok(&base, h0);

	ev = base; ev.seq = 2;
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; ev.ts = 101;
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; snprintf(ev.id, sizeof(ev.id), "evt_2");
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; snprintf(ev.actor, sizeof(ev.actor), "mallory");
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; snprintf(ev.type, sizeof(ev.type), "request.denied");
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; snprintf(ev.subject, sizeof(ev.subject), "req_2");
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; ev.details = (char *)"{\"a\":2}";
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; ev.details = (char *)"{\"a\":\"1\"}";
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
	ev = base; ev.prev_hash[0] = '1';
	hash_ok(&ev, h); assert_string_not_equal(h, h0);
}

static void hash_refuses_non_object_details(void **state)
{
	struct jg_event ev = base_event();
	char h[JG_SHA256_HEX];
	(void)state;
	ev.details = (char *)"[1]";
	assert_int_equal(jg_audit_hash(&ev, h), JG_EINVAL);
	ev.details = (char *)"not json";
	assert_int_equal(jg_audit_hash(&ev, h), JG_EINVAL);
	ev.details = (char *)"{\"a\":1,\"a\":2}"; /* ambiguous */
	assert_int_equal(jg_audit_hash(&ev, h), JG_EINVAL);
}

/* ---- append ------------------------------------------------------------ */

static void append_links_events_from_genesis(void **state)
{
	struct fx *f = *state;
	struct collect c;
	char h[JG_SHA256_HEX];

	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	assert_int_equal(jg_audit_append(f->st, 10, "alice", "request.created",
	                                 "req_1", NULL),
	                 JG_OK);
	assert_int_equal(jg_audit_append(f->st, 11, NULL, "server.started",
	                                 NULL, NULL),
	                 JG_OK);
	assert_int_equal(f->st->ops->commit(f->st), JG_OK);

	walk_all(f->st, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ev[0].seq, 1);
	assert_int_equal(c.ev[1].seq, 2);
	assert_string_equal(c.ev[0].prev_hash, JG_AUDIT_GENESIS);
	assert_string_equal(c.ev[1].prev_hash, c.ev[0].hash);
	assert_string_equal(c.ev[0].details, "{}");
	assert_string_equal(c.ev[0].actor, "alice");
	assert_string_equal(c.ev[1].actor, "");
	assert_string_equal(c.ev[1].subject, "");
	assert_int_equal(c.ev[1].ts, 11);
	assert_true(strncmp(c.ev[0].id, "evt_", 4) == 0);
	assert_string_not_equal(c.ev[0].id, c.ev[1].id);
	for (int i = 0; i < 2; i++) {
		hash_ok(&c.ev[i], h);
		assert_string_equal(h, c.ev[i].hash);
	}
}

static void append_rolled_back_leaves_no_event(void **state)
{
	struct fx *f = *state;
	struct jg_audit_report rep;

	append_n(f->st, 2, 100);
	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	assert_int_equal(jg_audit_append(f->st, 200, "bob", "x.y", "", NULL),
	                 JG_OK);
	f->st->ops->rollback(f->st);
	verify(f->st, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 2);
}

/* ---- verify ------------------------------------------------------------ */

static void verify_empty_trail_ok(void **state)
{
	struct fx *f = *state;
	struct jg_audit_report rep;
	verify(f->st, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 0);
	assert_int_equal(rep.broken_seq, 0);
}

static void verify_intact_trail_counts_events(void **state)
{
	struct fx *f = *state;
	struct jg_audit_report rep;
	append_n(f->st, 5, 1000);
	verify(f->st, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 5);
	assert_int_equal(rep.broken_seq, 0);
}

static void tampered_details_detected(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET details = '{\"n\":99,\"note\":\"x\"}'"
	                  " WHERE seq = 3");
	expect_broken(f->st, 3, "hash mismatch");
}

static void tampered_actor_detected(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET actor = 'mallory' WHERE seq = 3");
	expect_broken(f->st, 3, "hash mismatch");
}

static void tampered_hash_detected(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET hash = '" JG_AUDIT_GENESIS "'"
	                  " WHERE seq = 3");
	expect_broken(f->st, 3, "hash mismatch");
}

static void tampered_time_detected(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET ts = ts + 1 WHERE seq = 4");
	expect_broken(f->st, 4, "hash mismatch");
}

static void deleted_event_detected_as_gap(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "DELETE FROM audit WHERE seq = 2");
	expect_broken(f->st, 2, "sequence gap");
}

static void non_object_details_detected(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET details = '[]' WHERE seq = 3");
	expect_broken(f->st, 3, "not a JSON object");
}

static void garbage_details_detected(void **state)
{
	static const char *const garbage[] = {
	        "not json", "", "{\"n\":1", "{\"n\":1,\"n\":2}", "null",
	        "{\"n\":1}{}", "{\"s\":\"\xff\"}",
	};
	struct fx *f = *state;
	char sql[128];

	append_n(f->st, 5, 1000);
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		snprintf(sql, sizeof(sql), "UPDATE audit SET details = '%s' "
		         "WHERE seq = 3", garbage[i]);
		sql_exec(f->path, sql);
		expect_broken(f->st, 3, "not a JSON object");
	}
}

static void field_not_utf8_detected(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET actor = 'mall' || "
	                  "CAST(x'ff' AS TEXT) || 'ry'"
	                  " WHERE seq = 2");
	expect_broken(f->st, 2, "not UTF-8");
}

/* Values the fast path copies and values jansson re-encodes alike. */
static void tampered_fields_detected(void **state)
{
	static const char *const edits[] = {
	        "details = '{\"n\":2,\"note\":\"y\"}'",
	        "details = '{\"n\":2,\"note\":\"x\",\"z\":1}'",
	        "details = '{\"n\":2}'", "details = '{}'",
	        "details = '{\"n\":2.0,\"note\":\"x\"}'",
	        "details = '{\"n\":2,\"note\":\"x\\u00e9\"}'",
	        "actor = 'alice '", "actor = 'al\"ice'", "actor = 'ALICE'",
	        "actor = 'alic' || char(233)", "type = 'request.approved'",
	        "subject = 'req_2'", "id = 'evt_forged'", "ts = -ts",
	};
	struct fx *f = *state;
	char sql[160];

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		jg_store_close(f->st);
		remove_db(f->path);
		f->st = open_ok(f->path);
		append_n(f->st, 4, 1000); /* seq 3 holds {"n":2,"note":"x"} */
		snprintf(sql, sizeof(sql), "UPDATE audit SET %s WHERE seq = 3",
		         edits[i]);
		sql_exec(f->path, sql);
		expect_broken(f->st, 3, "hash mismatch");
	}
}

static void tampered_prev_hash_detected(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET prev_hash = '" JG_AUDIT_GENESIS "'"
	                  " WHERE seq = 4");
	expect_broken(f->st, 4, "prev_hash");
}

static void renumbered_event_detected_as_gap(void **state)
{
	struct fx *f = *state;
	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET seq = 9 WHERE seq = 5");
	expect_broken(f->st, 5, "sequence gap");
}

/*
 * The hash covers the details as parsed, not their spelling: stored text
 * re-encoded without changing any value (spacing, key order, escapes)
 * verifies as it always did: the API shows details re-encoded anyway, so
 * everything it shows is covered. See docs/security.md.
 */
static void reformatted_details_still_verify(void **state)
{
	struct fx *f = *state;
	struct jg_audit_report rep;

	append_n(f->st, 5, 1000);
	sql_exec(f->path, "UPDATE audit SET details = "
	                  "'{ \"note\": \"\\u0078\", \"n\": 2 }' WHERE seq = 3");
	verify(f->st, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 5);
	/* but not a value changed in passing */
	sql_exec(f->path, "UPDATE audit SET details = "
	                  "'{ \"note\": \"x\", \"n\": 3 }' WHERE seq = 3");
	expect_broken(f->st, 3, "hash mismatch");
}

/* The first tricky event's hash, over its canonical text spelled out. */
static void expect_first_tricky(const struct jg_event *ev)
{
	const char *details =
	        "{\"big\":9223372036854775807,\"empty\":{},\"neg\":-42,"
	        "\"nest\":{\"a\":[1,\"\xc3\xa9\",true,null,{}]},"
	        "\"q\":\"o\\\"brien\\\\\",\"real\":0.5,"
	        "\"z\\n\":\"\xe2\x82\xac \\\"\\\\/\"}";
	char canon[512], h[JG_SHA256_HEX];

	assert_string_equal(ev->details, details);
	snprintf(canon, sizeof(canon),
	         "{\"actor\":\"o\\\"brien\\\\\",\"details\":%s,\"id\":\"%s\","
	         "\"prev_hash\":\"%s\",\"seq\":1,"
	         "\"subject\":\"o\\\"brien\\\\\",\"ts\":50,"
	         "\"type\":\"test.tricky\"}",
	         details, ev->id, JG_AUDIT_GENESIS);
	jg_sha256_hex(canon, strlen(canon), h);
	assert_string_equal(h, ev->hash);
}

/* Strings jansson escapes, UTF-8, nesting and numbers, end to end. */
static void tricky_events_chain_and_verify(void **state)
{
	static const char *const actors[] = {
	        "o\"brien\\", "tab\there", "\x01ctl", "j\xc3\xbcrgen", "a/b", "",
	};
	struct fx *f = *state;
	struct jg_audit_report rep;
	struct collect c;

	assert_int_equal(f->st->ops->begin(f->st, 1), JG_OK);
	for (size_t i = 0; i < sizeof(actors) / sizeof(actors[0]); i++) {
		json_t *d = json_pack(
		        "{s:s,s:I,s:I,s:f,s:{s:[i,s,b,n,{}]},s:{},s:s}", "q",
		        actors[i], "big", (json_int_t)INT64_MAX, "neg",
		        (json_int_t)-42, "real", 0.5, "nest", "a", 1, "\xc3\xa9",
		        1, "empty", "z\n", "\xe2\x82\xac \"\\/");
		assert_non_null(d);
		assert_int_equal(jg_audit_append(f->st, 50 + (int64_t)i,
		                                 actors[i], "test.tricky",
		                                 actors[i], d),
		                 JG_OK);
		json_decref(d);
	}
	assert_int_equal(f->st->ops->commit(f->st), JG_OK);
	verify(f->st, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 6);
	walk_all(f->st, &c);
	expect_first_tricky(&c.ev[0]);
}

/* Rewriting one event with a fresh, valid hash still breaks the next. */
static void rehashed_event_breaks_next_link(void **state)
{
	struct fx *f = *state;
	struct collect c;
	struct jg_event ev;
	char h[JG_SHA256_HEX], sql[256];

	append_n(f->st, 5, 1000);
	walk_all(f->st, &c);
	ev = c.ev[2]; /* seq 3 */
	ev.details = (char *)"{\"n\":99}";
	hash_ok(&ev, h);
	snprintf(sql, sizeof(sql), "UPDATE audit SET details = '%s', "
	         "hash = '%s' WHERE seq = 3", ev.details, h);
	sql_exec(f->path, sql);
	expect_broken(f->st, 4, "prev_hash");
}

static void more_than_one_page_verifies(void **state)
{
	struct fx *f = *state;
	struct jg_audit_report rep;

	append_n(f->st, 10000, 1); /* exactly one full page */
	verify(f->st, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 10000);

	append_n(f->st, 2000, 20000);
	verify(f->st, &rep);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 12000);
	assert_int_equal(rep.broken_seq, 0);

	/* the second page is really checked, chained to the first */
	sql_exec(f->path, "UPDATE audit SET actor = 'mallory' WHERE seq = 10001");
	expect_broken(f->st, 10001, "hash mismatch");
}

/* What a reader given the events by jg_audit_verify_walk saw. */
struct seen {
	int64_t n, last, stop_at;
};

static int see(const struct jg_event *ev, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	s->last = ev->seq;
	return ev->seq == s->stop_at;
}

/* One walk verifies and feeds the reader every event, across pages and
 * past a break (the verifier stops there, the reader does not). */
static void verify_walk_feeds_every_event(void **state)
{
	struct fx *f = *state;
	struct jg_audit_report rep;
	struct seen s = {0};

	append_n(f->st, 10000, 1); /* a full page, then some */
	append_n(f->st, 5, 20000);
	assert_int_equal(jg_audit_verify_walk(f->st, NULL, 0, see, &s, &rep),
	                 JG_OK);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 10005);
	assert_int_equal(s.n, 10005);

	sql_exec(f->path, "UPDATE audit SET actor = 'mallory' WHERE seq = 3");
	memset(&s, 0, sizeof(s));
	assert_int_equal(jg_audit_verify_walk(f->st, NULL, 0, see, &s, &rep),
	                 JG_OK);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 3);
	assert_int_equal(rep.count, 2);
	assert_int_equal(s.n, 10005); /* the reader still saw them all */
	assert_int_equal(s.last, 10005);

	/* the reader stops the walk: verified so far, nothing more */
	sql_exec(f->path, "UPDATE audit SET actor = 'alice' WHERE seq = 3");
	memset(&s, 0, sizeof(s));
	s.stop_at = 10001;
	assert_int_equal(jg_audit_verify_walk(f->st, NULL, 0, see, &s, &rep),
	                 JG_OK);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 10001);
	assert_int_equal(s.n, 10001);
}

/* The checkpoints hold in the shared walk as in verify: a signed seq
 * past the trail's end is a cut trail, unless the reader stopped the
 * walk before it (then nothing is judged about what was not read). */
static void verify_walk_matches_checkpoints(void **state)
{
	struct fx *f = *state;
	struct jg_audit_report rep;
	struct jg_checkpoint cp = {.seq = 7, .hash = JG_AUDIT_GENESIS};
	struct seen s = {0};

	append_n(f->st, 5, 1000);
	assert_int_equal(jg_audit_verify_walk(f->st, &cp, 1, see, &s, &rep),
	                 JG_OK);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 6);
	assert_non_null(strstr(rep.reason, "were deleted"));
	assert_int_equal(s.n, 5);

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(jg_audit_verify_walk(f->st, &cp, 1, see, &s, &rep),
	                 JG_OK);
	assert_true(rep.ok);
	assert_int_equal(rep.count, 2);
}

static void event_json_shows_fields(void **state)
{
	struct jg_event ev = base_event();
	json_t *o;
	(void)state;
	snprintf(ev.hash, sizeof(ev.hash), "%064d", 4);
	o = jg_audit_event_json(&ev);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "seq")), 1);
	assert_string_equal(json_string_value(json_object_get(o, "time")),
	                    "1970-01-01T00:01:40Z");
	assert_string_equal(json_string_value(json_object_get(o, "actor")),
	                    "alice");
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(o, "details"), "a")),
	                 1);
	assert_string_equal(json_string_value(json_object_get(o, "hash")),
	                    ev.hash);
	json_decref(o);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(hash_is_sha256_of_documented_canonical_form),
	        cmocka_unit_test(hash_is_deterministic_and_ignores_stored_hash),
	        cmocka_unit_test(hash_changes_with_every_field),
	        cmocka_unit_test(hash_refuses_non_object_details),
	        cmocka_unit_test(event_json_shows_fields),
	        T(append_links_events_from_genesis),
	        T(append_rolled_back_leaves_no_event),
	        T(verify_empty_trail_ok),
	        T(verify_intact_trail_counts_events),
	        T(tampered_details_detected),
	        T(tampered_actor_detected),
	        T(tampered_hash_detected),
	        T(tampered_time_detected),
	        T(deleted_event_detected_as_gap),
	        T(non_object_details_detected),
	        T(garbage_details_detected),
	        T(field_not_utf8_detected),
	        T(tampered_fields_detected),
	        T(tampered_prev_hash_detected),
	        T(renumbered_event_detected_as_gap),
	        T(reformatted_details_still_verify),
	        T(tricky_events_chain_and_verify),
	        T(rehashed_event_breaks_next_link),
	        T(more_than_one_page_verifies),
	        T(verify_walk_feeds_every_event),
	        T(verify_walk_matches_checkpoints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
