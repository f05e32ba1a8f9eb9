/*
 * test_body.c - request bodies while they are received (http/body.c):
 * the route's bound, the budget all bodies share, and what is given
 * back.
 *
 * What must hold: no body holds more than its bound, all of them
 * together never more than the budget; a refusal reserves nothing; what
 * a body reserved goes back whole when it is released, so the budget
 * cannot leak away.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "http/body.h"

static char chunk[16384];

/* A declared length is reserved up front; past the budget, nothing is. */
static void declared_lengths_share_the_budget(void **state)
{
	struct jg_body_budget bg = {.limit = 100000};
	struct jg_body a = {.max = JG_BIG_BODY_MAX}, b = a, c = a;

	(void)state;
	assert_int_equal(jg_body_reserve(&bg, &a, 60000), 0);
	assert_int_equal(jg_body_reserve(&bg, &b, 40000), 0);
	assert_int_equal(jg_body_reserve(&bg, &c, 1), -1);
	assert_int_equal(c.held, 0);
	assert_int_equal(bg.held, 100000);
	/* the bytes come within what was reserved: one buffer */
	for (int i = 0; i < 3; i++)
		assert_int_equal(jg_body_take(&bg, &a, chunk, 20000), 0);
	assert_int_equal(a.len, 60000);
	assert_int_equal(a.cap, 60001);
	assert_false(a.too_big || a.no_room);
	assert_int_equal(bg.held, 100000);
	jg_body_drop(&a);
	assert_int_equal(bg.held, 100000); /* dropped, still reserved */
	jg_body_release(&bg, &a);
	jg_body_release(&bg, &a); /* idempotent */
	assert_int_equal(bg.held, 40000);
	assert_int_equal(jg_body_reserve(&bg, &c, 60000), 0);
	jg_body_release(&bg, &b);
	jg_body_release(&bg, &c);
	assert_int_equal(bg.held, 0);
}

/* A chunked body reserves as it comes; past its bound it is dropped. */
static void chunked_past_the_bound(void **state)
{
	struct jg_body_budget bg = {.limit = 1 << 20};
	struct jg_body b = {.max = JG_BODY_MAX};
	size_t n = 0;

	(void)state;
	while (n + sizeof(chunk) <= JG_BODY_MAX) {
		assert_int_equal(jg_body_take(&bg, &b, chunk, sizeof(chunk)), 0);
		n += sizeof(chunk);
	}
	assert_int_equal(b.len, n);
	assert_int_equal(bg.held, n);
	assert_false(b.too_big);
	assert_int_equal(jg_body_take(&bg, &b, chunk, sizeof(chunk)), 0);
	assert_true(b.too_big);
	assert_int_equal(b.len, n); /* nothing more kept or reserved */
	assert_int_equal(bg.held, n);
	/* a client that goes on sending is cut off, not read forever */
	for (size_t sent = 0; sent <= JG_BIG_BODY_MAX; sent += sizeof(chunk))
		if (jg_body_take(&bg, &b, chunk, sizeof(chunk)) != 0)
			break;
	assert_int_equal(jg_body_take(&bg, &b, chunk, sizeof(chunk)), -1);
	jg_body_drop(&b);
	jg_body_release(&bg, &b);
	assert_int_equal(bg.held, 0);
}

/* A chunked body the budget has no more room for: no_room, dropped. */
static void chunked_past_the_budget(void **state)
{
	struct jg_body_budget bg = {.limit = 40000};
	struct jg_body a = {.max = JG_BIG_BODY_MAX}, b = a;

	(void)state;
	assert_int_equal(jg_body_reserve(&bg, &a, 30000), 0);
	assert_int_equal(jg_body_take(&bg, &b, chunk, 8000), 0);
	assert_int_equal(jg_body_take(&bg, &b, chunk, 8000), 0);
	assert_true(b.no_room);
	assert_false(b.too_big);
	assert_int_equal(b.len, 8000);
	assert_int_equal(bg.held, 38000);
	jg_body_drop(&b);
	jg_body_release(&bg, &b);
	jg_body_release(&bg, &a);
	assert_int_equal(bg.held, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(declared_lengths_share_the_budget),
		cmocka_unit_test(chunked_past_the_bound),
		cmocka_unit_test(chunked_past_the_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
