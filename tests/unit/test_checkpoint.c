/*
 * test_checkpoint.c - signed audit checkpoints (src/audit/checkpoint.c):
 * the key file, sign and verify, sink lines, and what a trail verified
 * against checkpoints catches that the hash chain alone does not: a tail
 * cut off, an event deleted or edited, and the whole chain rewritten from
 * a new genesis (a consistent chain). Then the same through a real store
 * (SQLite, or PostgreSQL with JITGATE_TEST_PG): the checkpoints table,
 * jg_audit_verify_pinned, and a gate that halts when its trail goes
 * backwards and whose signer writes the sink.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "audit/checkpoint.h"
#include "gate/gate.h"
#include "policy/load.h"
#include "store/store.h"
#include "testdb.h"

#define NEV 10

/* ---- helpers ----------------------------------------------------------- */

struct trail {
	struct jg_event ev[NEV];
	size_t n;
};

/* Rechain t from event i on: what someone rewriting the trail does. */
static void rechain(struct trail *t, size_t from)
{
	for (size_t i = from; i < t->n; i++) {
		t->ev[i].seq = (int64_t)i + 1;
		memcpy(t->ev[i].prev_hash,
		       i ? t->ev[i - 1].hash : JG_AUDIT_GENESIS, JG_SHA256_HEX);
		assert_int_equal(jg_audit_hash(&t->ev[i], t->ev[i].hash), JG_OK);
	}
}

static void make_trail(struct trail *t, const char *actor)
{
	memset(t, 0, sizeof(*t));
	t->n = NEV;
	for (size_t i = 0; i < NEV; i++) {
		struct jg_event *ev = &t->ev[i];
		snprintf(ev->id, sizeof(ev->id), "evt_%zu", i + 1);
		ev->ts = 1764000000 + (int64_t)i;
		snprintf(ev->actor, sizeof(ev->actor), "%s", actor);
		snprintf(ev->type, sizeof(ev->type), "grant.revoked");
		snprintf(ev->subject, sizeof(ev->subject), "grt_%zu", i);
		ev->details = strdup("{\"reason\":\"x\"}");
	}
	rechain(t, 0);
}

static void free_trail(struct trail *t)
{
	for (size_t i = 0; i < NEV; i++)
		free(t->ev[i].details);
}

/* Remove event i (0-based) without touching the others. */
static void drop(struct trail *t, size_t i)
{
	free(t->ev[i].details);
	memmove(&t->ev[i], &t->ev[i + 1], (t->n - i - 1) * sizeof(t->ev[0]));
	t->n--;
	t->ev[t->n].details = NULL;
}

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(k);
	return k;
}

/* Checkpoints of t at the given seqs, signed with k. */
static void sign_at(const struct trail *t, EVP_PKEY *k, const int64_t *seqs,
                    size_t n, struct jg_checkpoint *out)
{
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].seq = seqs[i];
		out[i].ts = 1764000100;
		memcpy(out[i].hash, t->ev[seqs[i] - 1].hash, JG_SHA256_HEX);
		assert_int_equal(jg_ckpt_sign(k, &out[i]), JG_OK);
	}
}

/* Verify t as an export file against cps. */
static struct jg_audit_report verify(const struct trail *t,
                                     const struct jg_checkpoint *cps,
                                     size_t n)
{
	struct jg_audit_report rep;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	for (size_t i = 0; i < t->n; i++) {
		json_t *o = jg_audit_event_json(&t->ev[i]);
		char *line = json_dumps(o, JSON_COMPACT);
		fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
	}
	fclose(f);
	f = fmemopen(buf, len ? len : 1, "r");
	assert_non_null(f);
	assert_int_equal(jg_ckpt_verify_export(f, cps, n, &rep), JG_OK);
	fclose(f);
	free(buf);
	return rep;
}

static const int64_t at[] = {4, 8, 10};
#define NAT (sizeof(at) / sizeof(at[0]))

/* ---- sign, verify, lines ------------------------------------------------ */

static void sign_and_verify(void **state)
{
	struct trail t;
	struct jg_checkpoint cp[NAT], bad;
	EVP_PKEY *k = new_key(), *other = new_key();

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, NAT, cp);
	assert_true(jg_ckpt_sig_ok(k, &cp[0]));
	assert_false(jg_ckpt_sig_ok(other, &cp[0])); /* another key */
	bad = cp[0];
	bad.seq++;
	assert_false(jg_ckpt_sig_ok(k, &bad)); /* another seq */
	bad = cp[0];
	bad.hash[0] = bad.hash[0] == 'a' ? 'b' : 'a';
	assert_false(jg_ckpt_sig_ok(k, &bad)); /* another head */
	bad = cp[0];
	bad.ts++;
	assert_false(jg_ckpt_sig_ok(k, &bad)); /* another time */
	bad = cp[0];
	bad.sig[3] = bad.sig[3] == 'A' ? 'B' : 'A';
	assert_false(jg_ckpt_sig_ok(k, &bad));
	free_trail(&t);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void line_round_trip(void **state)
{
	struct trail t;
	struct jg_checkpoint cp, back;
	char line[JG_CKPT_LINE_MAX], why[JG_WHY_MAX];
	EVP_PKEY *k = new_key();

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, 1, &cp);
	jg_ckpt_line(&cp, line);
	assert_int_equal(line[strlen(line) - 1], '\n');
	assert_int_equal(jg_ckpt_parse(line, &back, why), JG_OK);
	assert_memory_equal(&cp, &back, sizeof(cp));
	assert_true(jg_ckpt_sig_ok(k, &back));
	assert_int_equal(jg_ckpt_parse("{\"seq\":1}", &back, why), JG_EINVAL);
	assert_int_equal(jg_ckpt_parse("not json", &back, why), JG_EINVAL);
	free_trail(&t);
	EVP_PKEY_free(k);
}

/* A sink's lines come back sorted by seq; a forged one is refused. */
static void sink_read(void **state)
{
	struct trail t;
	struct jg_checkpoint cp[NAT], *got = NULL;
	char a[JG_CKPT_LINE_MAX], b[JG_CKPT_LINE_MAX], text[2048], why[JG_WHY_MAX];
	size_t n = 0;
	EVP_PKEY *k = new_key(), *other = new_key();
	FILE *f;

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, NAT, cp);
	jg_ckpt_line(&cp[2], a);
	jg_ckpt_line(&cp[0], b);
	snprintf(text, sizeof(text), "%s\n%s", a, b); /* out of order */
	f = fmemopen(text, strlen(text), "r");
	assert_int_equal(jg_ckpt_read_sink(f, k, &got, &n, why), JG_OK);
	fclose(f);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].seq, 4);
	assert_int_equal(got[1].seq, 10);
	free(got);
	f = fmemopen(text, strlen(text), "r");
	assert_int_equal(jg_ckpt_read_sink(f, other, &got, &n, why), JG_EINVAL);
	fclose(f);
	assert_non_null(strstr(why, "line 1"));
	free_trail(&t);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* The key file: made 0600 with FILE.pub beside it, read back the same,
 * refused once others may read it. */
static void key_file(void **state)
{
	char dir[] = "/tmp/jg-ckpt-key-XXXXXX", path[128], pub[160];
	char err[512], id1[JG_CKPT_KID_LEN], id2[JG_CKPT_KID_LEN];
	EVP_PKEY *k = NULL, *p = NULL;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ck.pem", dir);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	assert_int_equal(jg_ckpt_key_open(path, &k, err, sizeof(err)), JG_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(jg_ckpt_key_id(k, id1), JG_OK);
	EVP_PKEY_free(k);
	assert_int_equal(jg_ckpt_key_open(path, &k, err, sizeof(err)), JG_OK);
	assert_int_equal(jg_ckpt_key_id(k, id2), JG_OK);
	assert_string_equal(id1, id2); /* the same key, not a new one */
	assert_int_equal(jg_ckpt_pub_read(pub, &p, err, sizeof(err)), JG_OK);
	assert_int_equal(jg_ckpt_key_id(p, id2), JG_OK);
	assert_string_equal(id1, id2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
	chmod(path, 0644);
	k = NULL;
	assert_int_equal(jg_ckpt_key_open(path, &k, err, sizeof(err)),
	                 JG_EINVAL);
	assert_null(k);
	assert_non_null(strstr(err, "chmod 600"));
	unlink(pub);
	unlink(path);
	rmdir(dir);
}

/* ---- tamper detection --------------------------------------------------- */

static void intact_trail_verifies(void **state)
{
	struct trail t;
	struct jg_checkpoint cp[NAT];
	struct jg_audit_report rep;
	EVP_PKEY *k = new_key();

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, NAT, cp);
	rep = verify(&t, cp, NAT);
	assert_true(rep.ok);
	assert_int_equal(rep.count, NEV);
	free_trail(&t);
	EVP_PKEY_free(k);
}

/* Cut after seq 7: the chain alone is fine, the checkpoint of 8 is not. */
static void truncation_is_caught(void **state)
{
	struct trail t;
	struct jg_checkpoint cp[NAT];
	struct jg_audit_report rep;
	EVP_PKEY *k = new_key();

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, NAT, cp);
	while (t.n > 7)
		drop(&t, t.n - 1);
	assert_true(verify(&t, NULL, 0).ok); /* what verify said before */
	rep = verify(&t, cp, NAT);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 8);
	assert_non_null(strstr(rep.reason, "ends at seq 7"));
	free_trail(&t);
	EVP_PKEY_free(k);
}

static void deletion_is_caught(void **state)
{
	struct trail t;
	struct jg_checkpoint cp[NAT];
	struct jg_audit_report rep;
	EVP_PKEY *k = new_key();

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, NAT, cp);
	drop(&t, 5); /* seq 6, left as it was */
	rep = verify(&t, cp, NAT);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 6);
	/* deleted and the rest renumbered and rechained: consistent, but
	 * seq 8 no longer has its signed hash; 4 still vouches for 1..4 */
	rechain(&t, 5);
	assert_true(verify(&t, NULL, 0).ok);
	rep = verify(&t, cp, NAT);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 5);
	free_trail(&t);
	EVP_PKEY_free(k);
}

static void edit_is_caught(void **state)
{
	struct trail t;
	struct jg_checkpoint cp[NAT];
	struct jg_audit_report rep;
	EVP_PKEY *k = new_key();

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, NAT, cp);
	snprintf(t.ev[5].actor, sizeof(t.ev[5].actor), "mallory");
	rep = verify(&t, cp, NAT);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 6);
	assert_non_null(strstr(rep.reason, "hash mismatch"));
	free_trail(&t);
	EVP_PKEY_free(k);
}

/* A whole new chain from genesis, every hash right: only the checkpoints
 * can tell, at the first signed seq. */
static void rewrite_from_genesis_is_caught(void **state)
{
	struct trail t;
	struct jg_checkpoint cp[NAT];
	struct jg_audit_report rep;
	EVP_PKEY *k = new_key();

	(void)state;
	make_trail(&t, "alice");
	sign_at(&t, k, at, NAT, cp);
	snprintf(t.ev[1].actor, sizeof(t.ev[1].actor), "mallory");
	rechain(&t, 0);
	assert_true(verify(&t, NULL, 0).ok);
	rep = verify(&t, cp, NAT);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 1);
	assert_non_null(strstr(rep.reason, "event 4 differs from its signed"));
	free_trail(&t);
	EVP_PKEY_free(k);
}

/* ---- through a store ---------------------------------------------------- */

struct fx {
	char path[TDB_NAME_MAX];
	struct jg_store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	if (!f)
		return -1;
	tdb_new(f->path);
	if (jg_store_open(f->path, &f->st, err, sizeof(err)) != JG_OK) {
		print_error("open: %s\n", err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	jg_store_close(f->st);
	tdb_remove(f->path);
	free(f);
	return 0;
}

static void append(struct jg_store *st, int n)
{
	for (int i = 0; i < n; i++) {
		assert_int_equal(st->ops->begin(st, 1), JG_OK);
		assert_int_equal(jg_audit_append(st, 1764000000 + i, "alice",
		                                 "grant.revoked", "grt_1", NULL),
		                 JG_OK);
		assert_int_equal(st->ops->commit(st), JG_OK);
	}
}

/* The signed head of the store's trail at seq. */
static void store_checkpoint(struct jg_store *st, EVP_PKEY *k, int64_t seq,
                             struct jg_checkpoint *cp)
{
	int64_t last = 0;

	memset(cp, 0, sizeof(*cp));
	cp->seq = seq;
	cp->ts = 1764000200;
	assert_int_equal(st->ops->begin(st, 1), JG_OK);
	assert_int_equal(st->ops->audit_last(st, &last, cp->hash), JG_OK);
	assert_int_equal(last, seq);
	assert_int_equal(jg_ckpt_sign(k, cp), JG_OK);
	assert_int_equal(st->ops->checkpoint_insert(st, cp), JG_OK);
	assert_int_equal(st->ops->checkpoint_insert(st, cp), JG_OK); /* again */
	assert_int_equal(st->ops->commit(st), JG_OK);
}

static void store_keeps_checkpoints(void **state)
{
	struct fx *f = *state;
	struct jg_checkpoint cp[2], got[4];
	struct jg_audit_report rep;
	size_t n = 0;
	EVP_PKEY *k = new_key();

	append(f->st, 3);
	store_checkpoint(f->st, k, 3, &cp[0]);
	append(f->st, 3);
	store_checkpoint(f->st, k, 6, &cp[1]);
	assert_int_equal(f->st->ops->begin(f->st, 0), JG_OK);
	assert_int_equal(f->st->ops->checkpoint_list(f->st, 0, got, 4, &n),
	                 JG_OK);
	f->st->ops->rollback(f->st);
	assert_int_equal(n, 2);
	assert_memory_equal(&got[0], &cp[0], sizeof(cp[0]));
	assert_memory_equal(&got[1], &cp[1], sizeof(cp[1]));
	assert_true(jg_ckpt_sig_ok(k, &got[1]));

	assert_int_equal(jg_audit_verify_pinned(f->st, got, n, &rep), JG_OK);
	assert_true(rep.ok);
	/* cut the tail behind the store's back */
	tdb_exec(f->path, "DELETE FROM audit WHERE seq > 4");
	assert_int_equal(jg_audit_verify(f->st, &rep), JG_OK);
	assert_true(rep.ok); /* the chain alone sees nothing */
	assert_int_equal(jg_audit_verify_pinned(f->st, got, n, &rep), JG_OK);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 5);
	EVP_PKEY_free(k);
}


/* ---- a gate on the store ------------------------------------------------ */

static const char policy_yaml[] =
        "version: 1\n"
        "groups:\n"
        "  dba: {members: [alice]}\n"
        "resources:\n"
        "  db: {actions: [sql.read]}\n"
        "rules:\n"
        "  - name: any\n"
        "    match: {}\n"
        "    decision: auto\n"
        "    max_duration: 1h\n";

static struct jg_gate *new_gate(struct jg_store *st)
{
	struct jg_policy *pol = NULL;
	struct jg_gate *g = NULL;
	char err[256] = "";

	assert_int_equal(jg_policy_parse("t.yaml", policy_yaml,
	                                 sizeof(policy_yaml) - 1, &pol, err,
	                                 sizeof(err)),
	                 JG_OK);
	assert_int_equal(jg_gate_new(st, pol, NULL, &g), JG_OK);
	assert_int_equal(jg_gate_index_load(g), JG_OK);
	return g;
}

static void halts_when_the_tail_is_cut(void **state)
{
	struct fx *f = *state;
	struct jg_gate *g;
	char why[JG_WHY_MAX];

	append(f->st, 5);
	g = new_gate(f->st);
	append(f->st, 2);
	assert_int_equal(jg_gate_sync(g), JG_OK);
	assert_false(jg_gate_halted(g, why));
	tdb_exec(f->path, "DELETE FROM audit WHERE seq > 5");
	append(f->st, 3); /* seqs 6..8 again, other hashes */
	assert_int_equal(jg_gate_sync(g), JG_OK);
	assert_true(jg_gate_halted(g, why));
	assert_non_null(strstr(why, "event 7, already applied, was rewritten"));
	jg_gate_free(g);
}

static void halts_when_the_head_is_rewritten(void **state)
{
	struct fx *f = *state;
	struct jg_gate *g;
	char why[JG_WHY_MAX];

	append(f->st, 3);
	g = new_gate(f->st);
	tdb_exec(f->path, "DELETE FROM audit WHERE seq = 3");
	assert_int_equal(jg_gate_sync(g), JG_OK);
	assert_true(jg_gate_halted(g, why));
	assert_non_null(strstr(why, "event 3, already applied, is gone"));
	assert_int_equal(jg_gate_sync(g), JG_OK); /* stays halted */
	assert_true(jg_gate_halted(g, NULL));
	jg_gate_free(g);
}

static int64_t fixed_clock(void) { return 1764000300; }

/* Start a signer on g with a new key file in dir and the sink there. */
static void start_signer(struct jg_gate *g, const char *dir)
{
	char path[256], sink[256], err[512] = "";
	struct jg_ckpt_config c = {.every = 1000, .interval = 3600,
	                           .clock = fixed_clock};

	snprintf(path, sizeof(path), "%s/ck.pem", dir);
	snprintf(sink, sizeof(sink), "%s/sink", dir);
	assert_int_equal(jg_ckpt_key_open(path, &c.key, err, sizeof(err)),
	                 JG_OK);
	c.sink_path = sink;
	c.sink_fd = jg_ckpt_sink_open(sink, err, sizeof(err));
	assert_true(c.sink_fd >= 0);
	assert_int_equal(jg_gate_signer_start(g, &c, err, sizeof(err)), JG_OK);
}

static void signer_writes_the_sink(void **state)
{
	struct fx *f = *state;
	struct jg_principal admin = {.name = "root", .roles = JG_ROLE_ADMIN};
	struct jg_audit_report rep;
	struct jg_gate *g;
	char dir[] = "/tmp/jg-ckpt-gate-XXXXXX", sink[256], line[1024];
	char why[JG_WHY_MAX];
	size_t pins = 0;
	FILE *in;

	assert_non_null(mkdtemp(dir));
	snprintf(sink, sizeof(sink), "%s/sink", dir);
	append(f->st, 4);
	g = new_gate(f->st);
	start_signer(g, dir);
	jg_gate_signer_stop(g); /* signs the head it applied on the way out */
	in = fopen(sink, "r");
	assert_non_null(in);
	assert_non_null(fgets(line, sizeof(line), in));
	fclose(in);
	assert_non_null(strstr(line, "{\"seq\":4,"));

	/* a signer started again verifies the trail against the store's pin */
	start_signer(g, dir);
	assert_int_equal(jg_gate_audit_verify_pinned(g, &admin, &rep, &pins,
	                                             why),
	                 JG_OK);
	assert_true(rep.ok);
	assert_int_equal(pins, 1);
	tdb_exec(f->path, "DELETE FROM audit WHERE seq > 3");
	assert_int_equal(jg_gate_audit_verify_pinned(g, &admin, &rep, &pins,
	                                             why),
	                 JG_OK);
	assert_false(rep.ok);
	assert_int_equal(rep.broken_seq, 4);
	jg_gate_free(g);

	/* a gate started on the cut trail halts at once: the sink says 4 */
	g = new_gate(f->st);
	assert_false(jg_gate_halted(g, NULL));
	start_signer(g, dir);
	assert_true(jg_gate_halted(g, why));
	assert_non_null(strstr(why, "signed in the checkpoint sink, is gone"));
	jg_gate_free(g);
	unlink(sink);
	snprintf(sink, sizeof(sink), "%s/ck.pem", dir);
	unlink(sink);
	snprintf(sink, sizeof(sink), "%s/ck.pem.pub", dir);
	unlink(sink);
	rmdir(dir);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest pure[] = {
	        cmocka_unit_test(sign_and_verify),
	        cmocka_unit_test(line_round_trip),
	        cmocka_unit_test(sink_read),
	        cmocka_unit_test(key_file),
	        cmocka_unit_test(intact_trail_verifies),
	        cmocka_unit_test(truncation_is_caught),
	        cmocka_unit_test(deletion_is_caught),
	        cmocka_unit_test(edit_is_caught),
	        cmocka_unit_test(rewrite_from_genesis_is_caught),
	};
	const struct CMUnitTest stored[] = {
	        T(store_keeps_checkpoints),
	        T(halts_when_the_tail_is_cut),
	        T(halts_when_the_head_is_rewritten),
	        T(signer_writes_the_sink),
	};
	int rc = cmocka_run_group_tests_name("checkpoint", pure, NULL, NULL);

	rc |= cmocka_run_group_tests_name("checkpoint sqlite", stored, NULL,
	                                  NULL);
	if (tdb_pg_base()) {
		tdb_pg = 1;
		rc |= cmocka_run_group_tests_name("checkpoint postgres", stored,
		                                  tdb_pg_group_setup,
		                                  tdb_pg_group_teardown);
	}
	return rc;
}
