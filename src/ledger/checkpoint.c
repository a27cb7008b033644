/* checkpoint.c - the ledger's WAL checkpoints, in a thread of their own
 * with a connection of its own, so that the daemon's loop never waits for
 * the disk (docs/ledger.md, "Checkpoints"). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "common/log.h"
#include "ledger/db.h"
#include "ledger/ledger.h"
#include "ledger/tables.h"

/*
 * Why: in WAL mode with synchronous=NORMAL a commit costs no fsync; the
 * checkpoint does, two of them, plus the copy of every page changed since
 * the last one. SQLite runs it inside the commit that takes the WAL past
 * 1000 pages, so once in about a hundred batches the daemon's loop waited
 * for the disk. At 100 daemons sharing one disk (bench/scale) those waits
 * were the tail of the coalition's propagation: p99 394 ms on the disk,
 * 131 ms on tmpfs, the same build (docs/bench.md). A checkpoint on another
 * connection runs beside the writer (PASSIVE: it copies what no reader
 * still needs and never blocks anyone), so the loop only signals it.
 */
#define CKPT_PAGES	1000		/* WAL pages that ask for a checkpoint (SQLite's default) */
/* The thread cannot keep up (a dead slow disk): the commit that finds the
 * WAL this large tries a checkpoint itself, as SQLite would at CKPT_PAGES
 * (it gives up at once while the thread's runs). 4 KiB pages: 64 MiB. */
#define CKPT_PAGES_HARD	(16 * CKPT_PAGES)
#define CKPT_LOG_SECS	60		/* a failing checkpoint is logged at most this often */

struct ledger_ckpt {
	struct db db;			/* the thread's own connection */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool requested, stop;
	/* under mu */
	uint64_t runs, failures;
	int64_t last_fail_log;
	int busy;			/* a checkpoint in progress */
	/* The WAL's size at the last request (the hook's alone, no mutex). A
	 * checkpoint that ran beside commits ends short of the WAL's end, and
	 * the WAL does not start over: asking again at every commit past
	 * CKPT_PAGES would checkpoint back to back. Asked again when it grew
	 * by CKPT_PAGES more; 0 again once it started over. */
	int requested_at;
};

static int64_t
mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void *
ckpt_main(void *arg)
{
	struct ledger_ckpt *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->requested && !c->stop)
			pthread_cond_wait(&c->cond, &c->mu);
		if (c->stop)
			break;
		c->requested = false;
		c->busy = 1;
		pthread_mutex_unlock(&c->mu);

		int log_frames = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(c->db.h, NULL, SQLITE_CHECKPOINT_PASSIVE,
		    &log_frames, &done);

		/* Logged outside the mutex: a blocked stderr must not hold the
		 * commit hook. sqlite3_errmsg is this thread's connection's. */
		bool log = false;
		pthread_mutex_lock(&c->mu);
		c->busy = 0;
		c->runs++;
		if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
			c->failures++;
			if (mono_sec() - c->last_fail_log >= CKPT_LOG_SECS) {
				c->last_fail_log = mono_sec();
				log = true;
			}
		}
		uint64_t failures = c->failures;
		pthread_mutex_unlock(&c->mu);
		if (log)
			log_warnx("ledger: %s: checkpoint: %s (%llu failed so far); the WAL grows "
			    "until one succeeds", c->db.path, sqlite3_errmsg(c->db.h),
			    (unsigned long long)failures);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* The main connection's commit hook (sqlite3_wal_hook, which replaces
 * SQLite's automatic checkpoint): pages is the WAL's size after the
 * commit. */
static int
ckpt_wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	struct ledger_ckpt *c = arg;

	/* The WAL started over: the next request comes at CKPT_PAGES again.
	 * requested_at is the hook's alone (the main connection's thread). */
	if (pages < c->requested_at)
		c->requested_at = 0;
	if (pages < CKPT_PAGES)
		return SQLITE_OK;
	if (pages >= CKPT_PAGES_HARD) {
		/* Not an error of the commit that got here: it is written. */
		(void)sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&c->mu);
	if (!c->busy && !c->requested && pages >= c->requested_at + CKPT_PAGES) {
		c->requested = true;
		c->requested_at = pages;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->mu);
	return SQLITE_OK;
}

int
ledger_checkpoint_in_background(struct ledger *l, char *err, size_t errlen)
{
	struct ledger_ckpt *c;

	if (l->ckpt != NULL || !db_on_disk(l->db.path))
		return 0;
	if (!sqlite3_threadsafe()) {
		snprintf(err, errlen, "%s: checkpoint thread: this SQLite is built without threads",
		    l->db.path);
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "%s: checkpoint thread: out of memory", l->db.path);
		return -1;
	}
	if (!db_init(&c->db, "", l->db.path) ||
	    db_open(&c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX) != 0 ||
	    db_set_wal(&c->db, true) != 0) {
		snprintf(err, errlen, "checkpoint connection: %s", c->db.err);
		db_close(&c->db);
		free(c);
		return -1;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cond, NULL);
	int rc = pthread_create(&c->thread, NULL, ckpt_main, c);
	if (rc != 0) {
		snprintf(err, errlen, "%s: checkpoint thread: %s", l->db.path, strerror(rc));
		pthread_cond_destroy(&c->cond);
		pthread_mutex_destroy(&c->mu);
		db_close(&c->db);
		free(c);
		return -1;
	}
	l->ckpt = c;
	sqlite3_wal_hook(l->db.h, ckpt_wal_hook, c);
	return 0;
}

void
ledger_checkpoint_stop(struct ledger *l)
{
	struct ledger_ckpt *c = l->ckpt;

	if (c == NULL)
		return;
	/* SQLite's own again (the last close checkpoints anyway). */
	sqlite3_wal_autocheckpoint(l->db.h, CKPT_PAGES);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);	/* l->ckpt is set only once it runs */
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mu);
	db_close(&c->db);
	free(c);
	l->ckpt = NULL;
}

void
ledger_checkpoint_counts(const struct ledger *l, uint64_t *runs, uint64_t *failures)
{
	struct ledger_ckpt *c = l->ckpt;

	*runs = *failures = 0;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	*runs = c->runs;
	*failures = c->failures;
	pthread_mutex_unlock(&c->mu);
}
