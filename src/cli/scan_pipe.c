/* scan_pipe.c - matching blocks of lines in worker threads, results in file
 * order.
 *
 * Why this split: matching (the literal prefilter, header parsing, PCRE2,
 * address parsing) is per line and needs no state but a scratch, so blocks
 * can be matched anywhere in any order; the detector's connection table and
 * windows need the matches in file order, and so do the time parser and the
 * output. The caller's thread reads, normalizes and feeds the detector (and
 * matches a block itself when it would otherwise wait); the workers only
 * match. Blocks go round a fixed ring of buffers (bounded
 * memory): a buffer is refilled only after its block's matches, which point
 * into it, have been consumed.
 * Rejected: a detector per thread (its state is one table), a lock around
 * the detector (the order would be lost). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/scan_pipe.h"

/* ---- matching one block (shared with the single-threaded path) ---------- */

struct lines_ctx {
	rules_match_cb cb;
	void *arg;
	uint64_t base;		/* lines of the block before the current rules_scan */
};

static void
lines_on_match(void *arg, const struct rules_match *m)
{
	struct lines_ctx *x = arg;
	struct rules_match mm = *m;

	mm.line_index = (size_t)(x->base + m->line_index);
	x->cb(x->arg, &mm);
}

/* Such a line holds a whole window of line_max / 2 bytes without a newline,
 * so one short memchr per window finds every candidate: the clean case
 * costs next to nothing. */
int
scan_lines(const struct ruleset *rs, struct rules_scratch *sc, const char *buf, size_t len,
    size_t line_max, rules_match_cb cb, void *arg, uint64_t *lines, uint64_t *overlong)
{
	const size_t win = line_max / 2;
	struct lines_ctx x = { cb, arg, 0 };
	size_t seg = 0, w = 0;
	long n;

	while (w + win <= len) {
		if (memchr(buf + w, '\n', win) != NULL) {
			w += win;
			continue;
		}
		const char *nl = w > seg ? memrchr(buf + seg, '\n', w - seg) : NULL;
		size_t ls = nl != NULL ? (size_t)(nl - buf) + 1 : seg;
		const char *ne = memchr(buf + w + win, '\n', len - (w + win));
		size_t le = ne != NULL ? (size_t)(ne - buf) : len;
		if (le - ls > line_max) {
			if ((n = rules_scan(rs, sc, buf + seg, ls - seg, lines_on_match, &x)) < 0)
				return -1;
			x.base += (uint64_t)n + 1;	/* the overlong line, dropped */
			(*overlong)++;
			seg = le + 1 < len ? le + 1 : len;
		}
		w = le + 1;
	}
	if (seg < len) {
		if ((n = rules_scan(rs, sc, buf + seg, len - seg, lines_on_match, &x)) < 0)
			return -1;
		x.base += (uint64_t)n;
	}
	*lines += x.base;
	return 0;
}

/* ---- the pipeline ------------------------------------------------------- */

struct slot {
	char *buf;
	size_t len;			/* bytes submitted */
	bool done;			/* matched, waiting to be consumed */
	struct scan_pipe_block res;
	struct rules_match *m;		/* res.matches */
	size_t cap;
};

struct worker {
	struct scan_pipe *p;
	struct rules_scratch *sc;
	pthread_t tid;
	bool started;
};

struct scan_pipe {
	const struct ruleset *rs;
	size_t bufsize, line_max;
	unsigned nworkers, nslots;
	struct worker *w;
	struct rules_scratch *own;	/* the caller's, for blocks it matches itself */
	struct slot *slots;
	/* Blocks counted since the start: submitted, taken by a worker,
	 * consumed (taken <= submitted, consumed <= submitted). The current
	 * buffer is slot submitted % nslots; the ones in flight are
	 * consumed..submitted-1. */
	uint64_t submitted, taken, consumed;
	uint64_t pending_skip;		/* for the next block */
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
};

static void
record_match(void *arg, const struct rules_match *m)
{
	struct slot *s = arg;

	if (s->res.nmatches == s->cap) {
		size_t ncap = s->cap ? 2 * s->cap : 1024;
		struct rules_match *n = realloc(s->m, ncap * sizeof(*n));
		if (n == NULL) {
			s->res.failed = 1;
			return;
		}
		s->m = n;
		s->cap = ncap;
	}
	s->m[s->res.nmatches++] = *m;
}

/* Matches block s with scratch sc; s is the caller's until done is set:
 * nobody else reads or writes it, and its buffer is not refilled. */
static void
match_slot(struct scan_pipe *p, struct rules_scratch *sc, struct slot *s)
{
	s->res.lines = s->res.overlong = 0;
	s->res.nmatches = 0;
	if (scan_lines(p->rs, sc, s->buf, s->len, p->line_max, record_match, s,
	    &s->res.lines, &s->res.overlong) != 0)
		s->res.failed = 1;
	s->res.matches = s->m;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct scan_pipe *p = w->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->taken == p->submitted)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		struct slot *s = &p->slots[p->taken++ % p->nslots];
		pthread_mutex_unlock(&p->mu);
		match_slot(p, w->sc, s);
		pthread_mutex_lock(&p->mu);
		s->done = true;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void
scan_pipe_free(struct scan_pipe *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nworkers; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].tid, NULL);
		rules_scratch_free(p->w[i].sc);
	}
	rules_scratch_free(p->own);
	for (unsigned i = 0; i < p->nslots; i++) {
		free(p->slots[i].buf);
		free(p->slots[i].m);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->slots);
	free(p->w);
	free(p);
}

struct scan_pipe *
scan_pipe_new(const struct ruleset *rs, const char *program, unsigned workers, size_t bufsize,
    size_t line_max, char *err, size_t errlen)
{
	struct scan_pipe *p;

	if (workers < 1 || workers > SCAN_PIPE_WORKERS_MAX) {
		snprintf(err, errlen, "%u matching threads, expected 1..%d", workers,
		    SCAN_PIPE_WORKERS_MAX);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto oom;
	p->rs = rs;
	p->bufsize = bufsize;
	p->line_max = line_max;
	/* Two blocks per worker keep each busy while the caller consumes
	 * one, fills another and matches a third and a fourth. */
	p->nslots = 2 * workers + 6;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->w = calloc(workers, sizeof(*p->w));
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	if (p->w == NULL || p->slots == NULL) {
		free(p->w);
		free(p->slots);
		p->w = NULL;
		p->slots = NULL;
		p->nslots = 0;		/* scan_pipe_free walks the slots */
		scan_pipe_free(p);
		goto oom;
	}
	for (unsigned i = 0; i < p->nslots; i++)
		if ((p->slots[i].buf = malloc(bufsize)) == NULL) {
			p->nworkers = 0;
			scan_pipe_free(p);
			goto oom;
		}
	p->nworkers = workers;
	if ((p->own = rules_scratch_new(rs)) == NULL) {
		scan_pipe_free(p);
		goto oom;
	}
	rules_scratch_set_program(p->own, program);
	for (unsigned i = 0; i < workers; i++) {
		p->w[i].p = p;
		if ((p->w[i].sc = rules_scratch_new(rs)) == NULL) {
			scan_pipe_free(p);
			goto oom;
		}
		rules_scratch_set_program(p->w[i].sc, program);
	}
	for (unsigned i = 0; i < workers; i++) {
		int rc = pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start a matching thread: %s", strerror(rc));
			scan_pipe_free(p);
			return NULL;
		}
		p->w[i].started = true;
	}
	return p;
oom:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

char *
scan_pipe_buffer(struct scan_pipe *p)
{
	return p->slots[p->submitted % p->nslots].buf;
}

void
scan_pipe_skip(struct scan_pipe *p)
{
	p->pending_skip++;
}

/* Consumes the oldest block in flight; wait: whether to wait for it (while
 * more blocks than workers wait for one, the caller matches one rather than
 * idle). Returns whether one was consumed. Called with p->mu unlocked. */
static bool
consume_one(struct scan_pipe *p, bool wait, scan_pipe_consume_fn fn, void *arg)
{
	struct slot *s = &p->slots[p->consumed % p->nslots];

	pthread_mutex_lock(&p->mu);
	if (p->consumed == p->submitted || (!s->done && !wait)) {
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	while (!s->done) {
		/* Only when the workers are clearly behind (slower, or
		 * descheduled on a busy machine): a block taken here is one
		 * a worker may find missing when it finishes its own. */
		if (p->submitted - p->taken >= p->nworkers + 2) {
			struct slot *t = &p->slots[p->taken++ % p->nslots];
			pthread_mutex_unlock(&p->mu);
			match_slot(p, p->own, t);
			pthread_mutex_lock(&p->mu);
			t->done = true;
			continue;
		}
		pthread_cond_wait(&p->done, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	fn(arg, &s->res);
	s->done = false;	/* no worker looks at it until it is submitted again */
	p->consumed++;
	return true;
}

char *
scan_pipe_submit(struct scan_pipe *p, size_t len, size_t keep, scan_pipe_consume_fn fn, void *arg)
{
	struct slot *s = &p->slots[p->submitted % p->nslots];

	s->len = len;
	memset(&s->res, 0, sizeof(s->res));
	s->res.skipped = p->pending_skip;
	p->pending_skip = 0;
	pthread_mutex_lock(&p->mu);
	p->submitted++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	/* Feed the detector whatever is ready; wait only when every buffer
	 * is in flight. The next buffer is one no block in flight uses. */
	while (consume_one(p, false, fn, arg))
		;
	while (p->submitted - p->consumed >= p->nslots)
		consume_one(p, true, fn, arg);
	char *next = p->slots[p->submitted % p->nslots].buf;
	/* s's tail lies past the len bytes its worker reads: no conflict. */
	memmove(next, s->buf + len, keep);
	return next;
}

void
scan_pipe_drain(struct scan_pipe *p, scan_pipe_consume_fn fn, void *arg)
{
	while (consume_one(p, true, fn, arg))
		;
	if (p->pending_skip > 0) {
		struct scan_pipe_block b;
		memset(&b, 0, sizeof(b));
		b.skipped = p->pending_skip;
		p->pending_skip = 0;
		fn(arg, &b);
	}
}

uint64_t
scan_pipe_hits(const struct scan_pipe *p, int rule)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < p->nworkers; i++)
		n += rules_scratch_hits(p->w[i].sc, rule);
	return n + rules_scratch_hits(p->own, rule);
}

uint64_t
scan_pipe_limit_hits(const struct scan_pipe *p)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < p->nworkers; i++)
		n += rules_scratch_limit_hits(p->w[i].sc);
	return n + rules_scratch_limit_hits(p->own);
}
