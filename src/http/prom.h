/*
 * prom.h - the Prometheus text exposition format (version 0.0.4), written
 * into a memory stream: what GET /metrics answers (api_metrics.c).
 *
 * Each family is one jg_prom_family (its # HELP and # TYPE lines) and then
 * its samples. Labels are given as a NULL-terminated list of name, value,
 * name, value...; values are escaped here (backslash, double quote and
 * newline), so any text, a rule name from the policy included, is safe to
 * pass. Names are the caller's constants and are not checked.
 */
#ifndef JG_HTTP_PROM_H
#define JG_HTTP_PROM_H

#include <stdint.h>
#include <stdio.h>

#include "util/hist.h"

#define JG_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* # HELP and # TYPE lines; type is "counter", "gauge" or "histogram". */
void jg_prom_family(FILE *f, const char *name, const char *type,
                    const char *help);

/* One sample: name{labels} value (labels may be NULL). */
void jg_prom_int(FILE *f, const char *name, const char *const *labels,
                 int64_t v);
void jg_prom_num(FILE *f, const char *name, const char *const *labels,
                 double v);

/* A histogram's samples: name_bucket{labels,le="..."} for each bound,
 * cumulative, then le="+Inf", name_sum and name_count. */
void jg_prom_hist(FILE *f, const char *name, const char *const *labels,
                  const struct jg_hist_snap *s);

#endif
