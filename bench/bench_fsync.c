/*
 * bench_fsync.c - this disk's limit for durable appends.
 *
 *   bench_fsync [SECONDS] [RECORD_BYTES]
 *
 * In a scratch directory under $BENCH_TMP (bench/run puts it on the disk
 * that holds the benchmark databases), appends one record of RECORD_BYTES
 * (default 512) to a file and calls fsync(2) after each, one writer, for
 * SECONDS. The rate is the number of acknowledged durable appends per
 * second: no store can commit one transaction at a time faster than this
 * on the same disk, so the durable-lifecycle benchmark is compared with
 * it.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : bn_seconds(3);
	size_t recsz = argc > 2 ? (size_t)atol(argv[2]) : 512;
	char dir[512], path[600];
	size_t cap = 10000000, n = 0;
	uint64_t t0, t1, *lat;
	char *rec;
	int fd;

	if (recsz == 0 || recsz > (1u << 20))
		bn_die("record size must be 1 byte to 1 MiB");
	bn_tmpdir(dir, sizeof(dir), "fsync");
	snprintf(path, sizeof(path), "%s/append.log", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	               0600)) < 0)
		bn_die("open %s failed", path);
	if (!(rec = malloc(recsz)) || !(lat = malloc(cap * sizeof(*lat))))
		bn_die("out of memory");
	memset(rec, 'r', recsz);
	rec[recsz - 1] = '\n';
	t0 = bn_now_ns();
	do {
		uint64_t a = bn_now_ns();
		if (write(fd, rec, recsz) != (ssize_t)recsz)
			bn_die("write failed");
		if (fsync(fd) != 0)
			bn_die("fsync failed");
		t1 = bn_now_ns();
		lat[n++] = t1 - a;
	} while (t1 - t0 < secs * 1e9 && n < cap);
	close(fd);
	unlink(path);
	rmdir(dir);

	double rate = n / ((t1 - t0) / 1e9);
	uint64_t p50 = bn_quantile(lat, n, 0.50, 0);
	uint64_t p99 = bn_quantile(lat, n, 0.99, 1);
	printf("fsync: %zu-byte appends, each fsync'd: %.0f/s (p50 %.1f us, "
	       "p99 %.1f us, %zu appends)\n", recsz, rate, p50 / 1e3,
	       p99 / 1e3, n);
	bn_result("\"bench\":\"fsync\",\"record_bytes\":%zu,\"rate\":%.0f,"
	          "\"p50_ns\":%llu,\"p99_ns\":%llu,\"samples\":%zu,"
	          "\"seconds\":%.3f", recsz, rate, (unsigned long long)p50,
	          (unsigned long long)p99, n, (t1 - t0) / 1e9);
	free(lat);
	free(rec);
	return 0;
}
