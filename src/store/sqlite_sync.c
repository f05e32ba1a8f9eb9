/*
 * sqlite_sync.c - group commit: one fdatasync(2) of SQLite's write-ahead
 * log makes the commits of every thread waiting on it durable.
 *
 * Why this is as durable as synchronous=FULL:
 *
 * - In WAL mode the one thing FULL does that NORMAL does not is sync the
 *   WAL at the end of every commit. With NORMAL, SQLite still syncs the
 *   WAL before a checkpoint copies frames into the database, syncs the
 *   database after, and syncs the WAL header when the log restarts. So
 *   when COMMIT returns under NORMAL, the transaction's frames have been
 *   written to the WAL file (in the page cache); only that sync is
 *   missing. We put it back before the commit is acknowledged.
 *
 * - A commit takes a ticket after COMMIT returned and waits for a sync
 *   that began after the ticket was taken. fdatasync flushes everything
 *   written to the file before it started, through whichever descriptor
 *   (the page cache belongs to the inode), so it covers those frames and
 *   every frame before them. Recovery replays the log's valid prefix, so
 *   a synced commit comes back with all that preceded it.
 *
 * - A checkpoint or log restart between a COMMIT and its sync loses
 *   nothing: the checkpointer syncs the WAL before copying and the
 *   database after, and SQLite restarts the log only after a complete
 *   checkpoint, so those frames are durable in the database file first.
 *   Our sync then covers nothing new, which is harmless.
 *
 * - We sync the file SQLite writes: opened by its path once it exists,
 *   its directory entry synced then too (the file may just have been
 *   created), and before every call its path is stat()ed: a different
 *   device or inode means the file was replaced, so we reopen it; a
 *   missing one is an error, since SQLite never deletes the WAL while a
 *   connection (ours) is open, and must be something outside breaking it.
 *
 * - A failed fdatasync is never retried into a success: Linux may have
 *   dropped the dirty pages it could not write and report the next call
 *   as clean ("fsyncgate", PostgreSQL 2018). It fails every commit it
 *   covered and every later one, for the life of the handle.
 *
 * What does differ: between a COMMIT and its sync, another thread can read
 * the change (with FULL, the store lock was held across the sync). What
 * that thread then writes waits for a later sync, which covers the earlier
 * frames too, so no acknowledged change can rest on a lost one; but a
 * read-only answer given in that window (milliseconds) may rest on a
 * change that a power loss then takes back, whose own client was never
 * told it succeeded. A process crash (SIGKILL) loses nothing at any
 * point: written frames are in the kernel's page cache.
 *
 * Locking: one mutex guards the counters; no thread holds it across the
 * fdatasync, so commits keep arriving (and queue for the next sync) while
 * one is in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite_sync.h"

struct jg_wal_sync {
	char *path;           /* owned: the -wal file */
	int fd;               /* owned: O_RDONLY on path; the leader's */
	dev_t dev;            /* what fd is, to notice a replaced file */
	ino_t ino;

	pthread_mutex_t mu;   /* guards everything below */
	uint64_t issued;      /* tickets handed out: 1, 2, 3… */
	uint64_t synced;      /* every ticket up to this one is durable */
	int syncing;          /* a thread is in fdatasync for the others */
	uint64_t gen;         /* syncs begun */
	uint64_t upto;        /* tickets the sync in flight covers */
	/* waiters sleep on done[gen & 1] when the sync in flight covers
	 * them, else on done[(gen + 1) & 1] for the next one; nwait counts
	 * the sleepers on each */
	pthread_cond_t done[2];
	int nwait[2];
	int failed;           /* sticky: why is in why */
	char why[200];
	uint64_t calls;       /* fdatasync calls, for tests */
};

/* fsync the directory holding path, so a newly created file stays. */
static int sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int fd, rc;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return ENAMETOOLONG;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	rc = fsync(fd) == 0 ? 0 : errno;
	close(fd);
	return rc;
}

/* Open (or reopen) w->path and make it and its name durable: 0 or errno.
 * On failure w->fd is unchanged. */
static int open_wal(struct jg_wal_sync *w)
{
	struct stat sb;
	int fd = open(w->path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return errno;
	if (fstat(fd, &sb) != 0 || fdatasync(fd) != 0) {
		rc = errno;
		close(fd);
		return rc;
	}
	if ((rc = sync_dir(w->path)) != 0) {
		close(fd);
		return rc;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->dev = sb.st_dev;
	w->ino = sb.st_ino;
	return 0;
}

enum jg_err jg_wal_sync_open(const char *wal_path, struct jg_wal_sync **out,
                             char *err, size_t errlen)
{
	struct jg_wal_sync *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w || !(w->path = strdup(wal_path))) {
		free(w);
		snprintf(err, errlen, "out of memory");
		return JG_ENOMEM;
	}
	w->fd = -1;
	if ((rc = open_wal(w)) != 0) {
		snprintf(err, errlen, "cannot sync '%s': %s", wal_path,
		         strerror(rc));
		free(w->path);
		free(w);
		return JG_ESTORE;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->done[0], NULL);
	pthread_cond_init(&w->done[1], NULL);
	*out = w;
	return JG_OK;
}

void jg_wal_sync_close(struct jg_wal_sync *w)
{
	if (!w)
		return;
	close(w->fd);
	pthread_cond_destroy(&w->done[0]);
	pthread_cond_destroy(&w->done[1]);
	pthread_mutex_destroy(&w->mu);
	free(w->path);
	free(w);
}

uint64_t jg_wal_sync_ticket(struct jg_wal_sync *w)
{
	uint64_t t;

	pthread_mutex_lock(&w->mu);
	t = ++w->issued;
	pthread_mutex_unlock(&w->mu);
	return t;
}

/* Reopen w->path when it is no longer the file w->fd is: 0 or errno. */
static int same_file(struct jg_wal_sync *w)
{
	struct stat sb;

	if (stat(w->path, &sb) != 0)
		return errno;
	if (sb.st_dev == w->dev && sb.st_ino == w->ino)
		return 0;
	return open_wal(w);
}

/*
 * One fdatasync for everyone: called by the leader without w->mu held
 * (only the leader touches fd, dev and ino). 0 or an errno.
 */
static int sync_once(struct jg_wal_sync *w)
{
	int rc = same_file(w);

	if (rc == 0 && fdatasync(w->fd) != 0)
		rc = errno;
	return rc;
}

/*
 * Lead one sync covering every ticket issued so far; w->mu held. Then
 * wake those it covered, and one of those waiting for the next sync to
 * lead it (all of them if this one failed: they fail too). Waking only
 * those is what lets a batch grow while a sync is in flight without
 * every sleeper waking for every sync.
 */
static void lead(struct jg_wal_sync *w)
{
	int cur, next, rc;

	w->syncing = 1;
	w->upto = w->issued;
	cur = (int)(++w->gen & 1);
	next = !cur;
	pthread_mutex_unlock(&w->mu);
	rc = sync_once(w);
	pthread_mutex_lock(&w->mu);
	w->syncing = 0;
	w->calls++;
	if (rc == 0)
		w->synced = w->upto;
	else if (!w->failed) {
		w->failed = 1;
		snprintf(w->why, sizeof(w->why),
		         "syncing '%s' failed: %s; writes are refused "
		         "until restart: check the disk", w->path,
		         strerror(rc));
	}
	pthread_cond_broadcast(&w->done[cur]);
	if (w->failed)
		pthread_cond_broadcast(&w->done[next]);
	else if (w->nwait[next])
		pthread_cond_signal(&w->done[next]);
}

/* Sleep until the sync that will cover ticket ends; w->mu held. */
static void sleep_on(struct jg_wal_sync *w, uint64_t ticket)
{
	int p = (int)((w->gen + (ticket > w->upto)) & 1);

	w->nwait[p]++;
	pthread_cond_wait(&w->done[p], &w->mu);
	w->nwait[p]--;
}

enum jg_err jg_wal_sync_wait(struct jg_wal_sync *w, uint64_t ticket,
                             char *err, size_t errlen)
{
	enum jg_err e;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		if (w->synced >= ticket) {
			e = JG_OK;
			break;
		}
		if (w->failed) {
			snprintf(err, errlen, "%s", w->why);
			e = JG_ESTORE;
			break;
		}
		if (w->syncing)
			sleep_on(w, ticket);
		else
			lead(w);
	}
	pthread_mutex_unlock(&w->mu);
	return e;
}

int jg_wal_sync_failed(struct jg_wal_sync *w, char *err, size_t errlen)
{
	int failed;

	pthread_mutex_lock(&w->mu);
	failed = w->failed;
	if (failed)
		snprintf(err, errlen, "%s", w->why);
	pthread_mutex_unlock(&w->mu);
	return failed;
}

uint64_t jg_wal_sync_count(struct jg_wal_sync *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->mu);
	n = w->calls;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int jg_wal_sync_fd(struct jg_wal_sync *w)
{
	return w->fd;
}
