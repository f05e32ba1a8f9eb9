/*
 * common.h - what the C benchmarks share: a monotonic clock, percentiles,
 * the process's RSS, a scratch directory, and the RESULT line.
 *
 * Every benchmark prints what it measures in plain words, then one line
 *     RESULT {"bench":"…", …}
 * per figure, which bench/run collects and bench/report.mjs turns into
 * the tables. Nothing here asserts a time: a benchmark fails only when
 * the work itself fails (a wrong decision, a store error).
 */
#ifndef JG_BENCH_COMMON_H
#define JG_BENCH_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Line-buffered stdout, so bench/run shows each figure as it comes. */
__attribute__((constructor)) static void bn_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline uint64_t bn_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void bn_die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int bn_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v; the q-quantile (0..1) by nearest rank. */
static inline uint64_t bn_quantile(uint64_t *v, size_t n, double q,
                                   int sorted)
{
	size_t i;
	if (!n)
		return 0;
	if (!sorted)
		qsort(v, n, sizeof(*v), bn_cmp_u64);
	i = (size_t)(q * (double)n);
	return v[i >= n ? n - 1 : i];
}

/* VmRSS of this process (or of /proc/PID when pid > 0), in KiB. */
static inline long bn_rss_kib(long pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * A fresh directory for a benchmark's files, under $BENCH_TMP (bench/run
 * puts it on the same disk as the repository) or else /tmp.
 */
static inline void bn_tmpdir(char *out, size_t len, const char *what)
{
	const char *base = getenv("BENCH_TMP");
	snprintf(out, len, "%s/jg-%s-XXXXXX", base && *base ? base : "/tmp",
	         what);
	if (!mkdtemp(out))
		bn_die("mkdtemp %s failed", out);
}

/* Remove a SQLite database and its WAL files, then the directory. */
#include <unistd.h>
static inline void bn_rm_db(const char *dir, const char *file)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	char p[600];
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s%s", dir, file, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* xorshift64*: reproducible keys without libc's shared rand() state. */
static inline uint64_t bn_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Seconds to spend measuring: the argument, or $BENCH_SECONDS, or def. */
static inline double bn_seconds(double def)
{
	const char *s = getenv("BENCH_SECONDS");
	double v = s && *s ? atof(s) : 0;
	return v > 0 ? v : def;
}

/*
 * One RESULT line: fmt is the inside of a JSON object, written by the
 * caller with only numbers and fixed strings (no escaping needed).
 */
static inline void bn_result(const char *fmt, ...)
{
	va_list ap;
	printf("RESULT {");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("}\n");
	fflush(stdout);
}

#endif
