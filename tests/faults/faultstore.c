/*
 * faultstore.c - a store whose writes fail on request, for the fault tests
 * (tests/e2e/test_faults.sh).
 *
 * This file is never part of jitgate itself: the Makefile links it into a
 * separate test binary, $(BUILD)/tests/jitgate-faults, with
 * -Wl,--wrap=jg_store_open, so that every store the server opens comes
 * here first. The real backend (SQLite or PostgreSQL) is opened as usual;
 * then its function table is replaced by a copy in which the writes below
 * first look at the control file named by $JG_FAULT_FILE. While that file
 * exists and names the operation (one name per word, or "all"), the
 * operation fails as a backend fails on an I/O error or a full disk: it
 * returns JG_ESTORE with a message in st->err and writes nothing. A
 * failing "commit" rolls the transaction back, as a real COMMIT that
 * cannot reach the disk does. Remove the file and everything works again.
 *
 *   audit_insert grant_insert grant_update request_insert request_update
 *   review_insert token_insert token_revoke commit
 *
 * Each injected failure is counted in $JG_FAULT_FILE.hits (one line per
 * hit, "OPERATION"), so a test can tell that the fault it set up was hit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

enum jg_err __real_jg_store_open(const char *url, struct jg_store **out,
                                 char *err, size_t errlen);
enum jg_err __wrap_jg_store_open(const char *url, struct jg_store **out,
                                 char *err, size_t errlen);

/* One server opens one store: one table of each is enough. */
static const struct jg_store_ops *real;
static struct jg_store_ops faulty;

/* 1 when the control file exists and names op (or "all"). */
static int failing(struct jg_store *st, const char *op)
{
	const char *path = getenv("JG_FAULT_FILE");
	char buf[512], hits[4096], *save = NULL;
	size_t n;
	FILE *f;

	if (!path || !*path || !(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (char *w = strtok_r(buf, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save))
		if (strcmp(w, op) == 0 || strcmp(w, "all") == 0) {
			snprintf(st->err, sizeof(st->err),
			         "faultstore: injected I/O error in %s", op);
			snprintf(hits, sizeof(hits), "%s.hits", path);
			if ((f = fopen(hits, "a"))) {
				fprintf(f, "%s\n", op);
				fclose(f);
			}
			return 1;
		}
	return 0;
}

#define WRAP(op, params, args)                                   \
	static enum jg_err f_##op params                         \
	{                                                        \
		if (failing(st, #op))                            \
			return JG_ESTORE;                        \
		return real->op args;                            \
	}

WRAP(audit_insert, (struct jg_store *st, const struct jg_event *ev), (st, ev))
WRAP(grant_insert, (struct jg_store *st, const struct jg_grant *g), (st, g))
WRAP(grant_update,
     (struct jg_store *st, const struct jg_grant *g, enum jg_grant_state was),
     (st, g, was))
WRAP(request_insert, (struct jg_store *st, const struct jg_request *r), (st, r))
WRAP(request_update,
     (struct jg_store *st, const struct jg_request *r, enum jg_req_state was,
      size_t was_step),
     (st, r, was, was_step))
WRAP(review_insert,
     (struct jg_store *st, const char *req_id, const struct jg_review *rv),
     (st, req_id, rv))
WRAP(token_insert, (struct jg_store *st, const struct jg_token *t), (st, t))
WRAP(token_revoke, (struct jg_store *st, const char *id, int64_t now),
     (st, id, now))

static enum jg_err f_commit(struct jg_store *st)
{
	if (failing(st, "commit")) {
		real->rollback(st);
		return JG_ESTORE;
	}
	return real->commit(st);
}

enum jg_err __wrap_jg_store_open(const char *url, struct jg_store **out,
                                 char *err, size_t errlen)
{
	enum jg_err e = __real_jg_store_open(url, out, err, errlen);

	if (e != JG_OK)
		return e;
	real = (*out)->ops;
	faulty = *real;
	faulty.audit_insert = f_audit_insert;
	faulty.grant_insert = f_grant_insert;
	faulty.grant_update = f_grant_update;
	faulty.request_insert = f_request_insert;
	faulty.request_update = f_request_update;
	faulty.review_insert = f_review_insert;
	faulty.token_insert = f_token_insert;
	faulty.token_revoke = f_token_revoke;
	faulty.commit = f_commit;
	(*out)->ops = &faulty;
	fprintf(stderr, "jitgate-faults: store %s wrapped; faults from %s\n",
	        real->name, getenv("JG_FAULT_FILE") ? getenv("JG_FAULT_FILE")
	                                             : "(nowhere)");
	return JG_OK;
}
