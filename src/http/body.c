/* body.c - see body.h. */
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "http/body.h"

int jg_body_reserve(struct jg_body_budget *bg, struct jg_body *b, size_t n)
{
	size_t now = __atomic_add_fetch(&bg->held, n, __ATOMIC_RELAXED);

	if (now > bg->limit) {
		__atomic_sub_fetch(&bg->held, n, __ATOMIC_RELAXED);
		return -1;
	}
	b->held += n;
	return 0;
}

void jg_body_release(struct jg_body_budget *bg, struct jg_body *b)
{
	__atomic_sub_fetch(&bg->held, b->held, __ATOMIC_RELAXED);
	b->held = 0;
}

void jg_body_drop(struct jg_body *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/*
 * The buffer grows to what is reserved: the declared length at once, or
 * a chunked body's bytes so far; one allocation for a declared length.
 */
int jg_body_take(struct jg_body_budget *bg, struct jg_body *b,
                 const char *data, size_t n)
{
	if (!b->too_big && !b->no_room && b->len + n > b->max)
		b->too_big = 1;
	if (!b->too_big && !b->no_room && b->len + n > b->held &&
	    jg_body_reserve(bg, b, b->len + n - b->held))
		b->no_room = 1;
	if (b->too_big || b->no_room) {
		b->discarded += n;
		return b->discarded > JG_BIG_BODY_MAX ? -1 : 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->held + 1;
		char *nd = realloc(b->data, cap);
		if (!nd) {
			b->no_room = 1;
			return 0;
		}
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}
