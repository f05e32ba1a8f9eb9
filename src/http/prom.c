/*
 * prom.c - the Prometheus text format writer (see prom.h).
 *
 * Why by hand and not a client library: Debian ships none for C (libprom
 * is not packaged), and the format is a few lines of text; what matters,
 * the escaping and the histogram's cumulative buckets, is tested in
 * tests/unit/test_metrics.c and checked by `promtool check metrics` in
 * tests/e2e/test_metrics.sh.
 */
#include <math.h>

#include "http/prom.h"

/* Text with backslash and newline escaped, and double quotes too when
 * quoted (label values; HELP text leaves them). */
static void escaped(FILE *f, const char *s, int quoted)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '"' && quoted)
			fputs("\\\"", f);
		else
			fputc(*s, f);
	}
}

void jg_prom_family(FILE *f, const char *name, const char *type,
                    const char *help)
{
	fprintf(f, "# HELP %s ", name);
	escaped(f, help, 0);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/* name{a="x",b="y"} with an extra label (le) when not NULL. */
static void series(FILE *f, const char *name, const char *suffix,
                   const char *const *labels, const char *le)
{
	int any = 0;

	fprintf(f, "%s%s", name, suffix);
	for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		fprintf(f, "%c%s=\"", any ? ',' : '{', labels[i]);
		escaped(f, labels[i + 1], 1);
		fputc('"', f);
		any = 1;
	}
	if (le) {
		fprintf(f, "%cle=\"%s\"", any ? ',' : '{', le);
		any = 1;
	}
	fputs(any ? "} " : " ", f);
}

void jg_prom_int(FILE *f, const char *name, const char *const *labels,
                 int64_t v)
{
	series(f, name, "", labels, NULL);
	fprintf(f, "%lld\n", (long long)v);
}

/* A float as Prometheus reads it: shortest exact form, or +Inf/-Inf/NaN. */
static void number(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else
		fprintf(f, "%.15g", v);
}

void jg_prom_num(FILE *f, const char *name, const char *const *labels,
                 double v)
{
	series(f, name, "", labels, NULL);
	number(f, v);
	fputc('\n', f);
}

void jg_prom_hist(FILE *f, const char *name, const char *const *labels,
                  const struct jg_hist_snap *s)
{
	char le[32];

	for (size_t i = 0; i < s->n; i++) {
		snprintf(le, sizeof(le), "%g", s->le[i]);
		series(f, name, "_bucket", labels, le);
		fprintf(f, "%llu\n", (unsigned long long)s->cum[i]);
	}
	series(f, name, "_bucket", labels, "+Inf");
	fprintf(f, "%llu\n", (unsigned long long)s->cum[s->n]);
	series(f, name, "_sum", labels, NULL);
	number(f, s->sum);
	fputc('\n', f);
	series(f, name, "_count", labels, NULL);
	fprintf(f, "%llu\n", (unsigned long long)s->cum[s->n]);
}
