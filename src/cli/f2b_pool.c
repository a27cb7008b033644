/* f2b_pool.c - fail2ban filter batches on worker threads. Two queues: the
 * parts of the batch being prepared (phase one's line-alone work) go
 * first, since the caller waits for them; then the filters of the batch
 * started before (phase two). One mutex guards both: a task is thousands
 * of lines, so the lock is taken a few hundred times a second at most. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/f2b_pool.h"
#include "common/util.h"

struct f2b_pool;
struct worker_arg {
	struct f2b_pool *p;
	unsigned idx;			/* its scratch */
};

struct f2b_pool {
	struct f2b_set *set;
	size_t nflt;
	unsigned nthreads;		/* started, the caller not counted */
	pthread_t th[F2B_POOL_THREADS_MAX];
	struct worker_arg wa[F2B_POOL_THREADS_MAX];
	struct f2b_scratch *sc[F2B_POOL_THREADS_MAX + 1];	/* [0]: the caller's */
	pthread_mutex_t mu;
	pthread_cond_t work, done_cv;
	struct f2b_batch *batch;	/* started, not finished */
	int order[F2B_FLT_MAX];		/* its filters, costliest first */
	size_t ntasks, next, done;
	struct f2b_batch *pbatch;	/* being prepared */
	size_t nparts, pnext, pdone;
	bool stop;
	int64_t cost[F2B_FLT_MAX];	/* µs each filter took in its last batch, + 1 */
};

/* Takes the next filter, or -1 when none is left; with p->mu held. */
static int
task_take(struct f2b_pool *p)
{
	if (p->batch == NULL || p->next >= p->ntasks)
		return -1;
	return p->order[p->next++];
}

/* Takes the next part to scan, or -1; with p->mu held. */
static long
part_take(struct f2b_pool *p)
{
	if (p->pbatch == NULL || p->pnext >= p->nparts)
		return -1;
	return (long)p->pnext++;
}

/* Both with p->mu held, released while the task runs. */
static void
task_run(struct f2b_pool *p, int fi, struct f2b_scratch *sc)
{
	struct f2b_batch *b = p->batch;

	pthread_mutex_unlock(&p->mu);
	int64_t t0 = mono_usec();
	f2b_batch_run(p->set, b, fi, sc);
	int64_t dt = mono_usec() - t0;
	pthread_mutex_lock(&p->mu);
	p->cost[fi] = dt + 1;
	if (++p->done == p->ntasks)
		pthread_cond_broadcast(&p->done_cv);
}

static void
part_run(struct f2b_pool *p, size_t part, struct f2b_scratch *sc)
{
	struct f2b_batch *b = p->pbatch;

	pthread_mutex_unlock(&p->mu);
	f2b_batch_scan(p->set, b, part, sc);
	pthread_mutex_lock(&p->mu);
	if (++p->pdone == p->nparts)
		pthread_cond_broadcast(&p->done_cv);
}

static void *
worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct f2b_pool *p = wa->p;

	struct f2b_scratch *sc = p->sc[wa->idx];

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		long part;
		int fi;
		if ((part = part_take(p)) >= 0)
			part_run(p, (size_t)part, sc);
		else if ((fi = task_take(p)) >= 0)
			task_run(p, fi, sc);
		else
			pthread_cond_wait(&p->work, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct f2b_pool *
f2b_pool_new(struct f2b_set *s, unsigned threads, char *err, size_t errlen)
{
	struct f2b_pool *p = calloc(1, sizeof(*p));

	if (threads < 1)
		threads = 1;
	if (threads > F2B_POOL_THREADS_MAX)
		threads = F2B_POOL_THREADS_MAX;
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->set = s;
	p->nflt = f2b_set_count(s);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (unsigned i = 0; i < threads; i++)
		if ((p->sc[i] = f2b_scratch_new(s)) == NULL) {
			snprintf(err, errlen, "out of memory");
			f2b_pool_free(p);
			return NULL;
		}
	for (unsigned i = 1; i < threads; i++) {
		p->wa[i - 1] = (struct worker_arg){ p, i };
		int rc = pthread_create(&p->th[i - 1], NULL, worker, &p->wa[i - 1]);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start a thread: %s", strerror(rc));
			f2b_pool_free(p);
			return NULL;
		}
		p->nthreads = i;
	}
	return p;
}

void
f2b_pool_free(struct f2b_pool *p)
{
	if (p == NULL)
		return;
	f2b_pool_finish(p);
	f2b_pool_scanned(p);
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	for (unsigned i = 0; i <= F2B_POOL_THREADS_MAX; i++)
		f2b_scratch_free(p->sc[i]);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void
f2b_pool_scan(struct f2b_pool *p, struct f2b_batch *b)
{
	size_t n = f2b_batch_parts(b);

	pthread_mutex_lock(&p->mu);
	p->pbatch = b;
	p->nparts = n;
	p->pnext = p->pdone = 0;
	if (n > 0)
		pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
}

void
f2b_pool_scanned(struct f2b_pool *p)
{
	long part;

	pthread_mutex_lock(&p->mu);
	while ((part = part_take(p)) >= 0)
		part_run(p, (size_t)part, p->sc[0]);
	while (p->pbatch != NULL && p->pdone < p->nparts)
		pthread_cond_wait(&p->done_cv, &p->mu);
	p->pbatch = NULL;
	pthread_mutex_unlock(&p->mu);
}

void
f2b_pool_start(struct f2b_pool *p, struct f2b_batch *b)
{
	size_t n = 0;

	/* the costliest first, so that no thread is left with a long one
	 * at the end; a filter never measured goes by its visits */
	for (size_t i = 0; i < p->nflt; i++)
		if (f2b_batch_visits(b, (int)i) > 0)
			p->order[n++] = (int)i;
	for (size_t i = 1; i < n; i++) {
		int x = p->order[i];
		int64_t cx = p->cost[x] > 0 ? p->cost[x] : (int64_t)f2b_batch_visits(b, x);
		size_t j = i;
		for (; j > 0; j--) {
			int y = p->order[j - 1];
			int64_t cy = p->cost[y] > 0 ? p->cost[y] : (int64_t)f2b_batch_visits(b, y);
			if (cy >= cx)
				break;
			p->order[j] = y;
		}
		p->order[j] = x;
	}
	pthread_mutex_lock(&p->mu);
	p->batch = b;
	p->ntasks = n;
	p->next = p->done = 0;
	if (n > 0)
		pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
}

void
f2b_pool_finish(struct f2b_pool *p)
{
	long part;
	int fi;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		/* the parts first: the caller waits for them next */
		if ((part = part_take(p)) >= 0)
			part_run(p, (size_t)part, p->sc[0]);
		else if ((fi = task_take(p)) >= 0)
			task_run(p, fi, p->sc[0]);
		else
			break;
	}
	while (p->batch != NULL && p->done < p->ntasks)
		pthread_cond_wait(&p->done_cv, &p->mu);
	p->batch = NULL;
	pthread_mutex_unlock(&p->mu);
}
