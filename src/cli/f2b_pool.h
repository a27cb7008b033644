/* f2b_pool.h - fail2ban filter batches (f2b/f2b_filter.h) on several
 * threads: phase one's line-alone parts of a batch shared among them, then
 * its ordered part on the caller's thread, while the filters of the batch
 * before run on the others (phase two, the costliest first by what each
 * took in its last batch). */
#ifndef A5_F2B_POOL_H
#define A5_F2B_POOL_H

#include <stddef.h>

#include "f2b/f2b_filter.h"

#define F2B_POOL_THREADS_MAX 16

struct f2b_pool;

/* threads: how many run phase two, the caller included (1: the caller
 * alone, no thread started). s must be compiled. NULL with err. */
struct f2b_pool *f2b_pool_new(struct f2b_set *s, unsigned threads, char *err, size_t errlen);
/* Stops and joins the threads (a started batch is finished first). */
void f2b_pool_free(struct f2b_pool *p);
/* Queues the parts of b (phase one's line-alone work) for the threads,
 * before any filter still queued; the parts queued before must have been
 * waited for. */
void f2b_pool_scan(struct f2b_pool *p, struct f2b_batch *b);
/* Scans the parts not taken yet on this thread too, and returns when all
 * are done. Then f2b_batch_prepare, on the caller's thread. */
void f2b_pool_scanned(struct f2b_pool *p);
/* Hands b's filters to the threads (b prepared); the batch started before must have
 * been finished. */
void f2b_pool_start(struct f2b_pool *p, struct f2b_batch *b);
/* Runs the started batch's filters not taken yet (and the parts queued)
 * on this thread too, and returns when the filters are done (at once if
 * none was started). */
void f2b_pool_finish(struct f2b_pool *p);

#endif
