/*
 * api_insights.c - GET /v1/insights?since=&until=: tuning advice for a
 * period (src/insight/advice.c), for admins and auditors. Each policy
 * change is replayed over the period, which can take long: the work runs
 * on the execution pool, within the server's replay time bound.
 */
#include <stdlib.h>
#include <string.h>

#include "http/handlers.h"
#include "insight/advice.h"
#include "util/timefmt.h"

#define DEFAULT_PERIOD (30 * 24 * 3600) /* since, when not given */

struct insights_job {
	int64_t since, until;
};

static void insights_work(struct jg_ex *ex, void *arg)
{
	const struct insights_job *job = arg;
	struct jg_replay_bound bound = {
		.deadline = jg_replay_clock_ms() + jg_ex_replay_ms(ex),
		.stop = jg_ex_stopping(ex),
	};
	struct jg_advice_in in = {.since = job->since, .until = job->until,
	                          .bound = &bound};
	char why[JG_WHY_MAX] = "";
	json_t *out = NULL;
	enum jg_err e = jg_advice_run(ex->gate, &ex->who, &in, &out, why);

	if (e != JG_OK)
		jg_ex_fail(ex, e, why);
	else
		jg_ex_json(ex, 200, out);
}

/* A query time, when given; -1 (a problem set) when not a time. */
static int when(struct jg_ex *ex, const char *key, int64_t *out)
{
	const char *v = jg_ex_query(ex, key);

	if (!v || !*v || jg_time_parse(v, out) == JG_OK)
		return 0;
	jg_ex_fail(ex, JG_EINVAL, strcmp(key, "since") == 0
	                                  ? "'since' must be an RFC 3339 time "
	                                    "or a date (2026-11-01)"
	                                  : "'until' must be an RFC 3339 time "
	                                    "or a date (2026-12-01)");
	return -1;
}

void jg_api_insights(struct jg_ex *ex)
{
	struct insights_job *job = malloc(sizeof(*job)); /* the job's */

	if (!job) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	job->until = ex->now + 1; /* up to now, included */
	job->since = 0;
	if (when(ex, "since", &job->since) || when(ex, "until", &job->until)) {
		free(job);
		return;
	}
	if (!jg_ex_query(ex, "since") || !*jg_ex_query(ex, "since"))
		job->since = job->until - DEFAULT_PERIOD;
	if (job->until <= job->since) {
		free(job);
		jg_ex_fail(ex, JG_EINVAL, "until must be after since");
		return;
	}
	if (jg_ex_defer(ex, insights_work, job))
		free(job);
}
