/* err.c - tables behind enum jg_err. */
#include "util/err.h"

static const struct {
	int status;
	const char *slug;
	const char *msg;
} table[] = {
#define JG_ERR_ROW(name, status, slug, msg) {status, slug, msg},
	JG_ERR_MAP(JG_ERR_ROW)
#undef JG_ERR_ROW
};

#define NERR (sizeof(table) / sizeof(table[0]))

const char *jg_strerror(enum jg_err e)
{
	return (unsigned)e < NERR ? table[e].msg : "unknown error";
}

const char *jg_err_slug(enum jg_err e)
{
	return (unsigned)e < NERR ? table[e].slug : "internal";
}

int jg_err_status(enum jg_err e)
{
	return (unsigned)e < NERR ? table[e].status : 500;
}
