/* scan_pipe.h - `article5 scan`'s line matching in worker threads: blocks of
 * lines are matched in parallel while the caller reads the next ones, and
 * their matches come back to the caller in file order, for the detector,
 * whose state depends on that order. */
#ifndef A5_SCAN_PIPE_H
#define A5_SCAN_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

/* Matches buf[0..len) (complete lines; only the last may lack its '\n'),
 * leaving out the lines longer than line_max, dropped whole. cb gets each
 * match with line_index counted from buf's first line, overlong lines
 * included. Adds the lines of buf to *lines, the overlong ones to
 * *overlong. 0, or -1 on a scanning error. */
int scan_lines(const struct ruleset *rs, struct rules_scratch *sc, const char *buf, size_t len,
    size_t line_max, rules_match_cb cb, void *arg, uint64_t *lines, uint64_t *overlong);

/* One block's outcome, handed to the consumer in submission order. */
struct scan_pipe_block {
	uint64_t skipped;		/* overlong lines dropped before the block */
	uint64_t lines;			/* lines of the block, overlong ones included */
	uint64_t overlong;		/* among them, dropped */
	const struct rules_match *matches;	/* line_index from the block's first line */
	size_t nmatches;
	int failed;			/* scanning error (or out of memory) */
};
typedef void (*scan_pipe_consume_fn)(void *arg, const struct scan_pipe_block *b);

struct scan_pipe;

/* workers: matching threads (1..SCAN_PIPE_WORKERS_MAX), each with its own
 * scratch (program: see rules_scratch_set_program); bufsize: bytes per
 * buffer. At most 2 * workers + 6 blocks are in flight. NULL with err. */
#define SCAN_PIPE_WORKERS_MAX 16
struct scan_pipe *scan_pipe_new(const struct ruleset *rs, const char *program, unsigned workers,
    size_t bufsize, size_t line_max, char *err, size_t errlen);
/* Stops and joins the workers (blocks not consumed are dropped). */
void scan_pipe_free(struct scan_pipe *p);

/* The buffer being filled (bufsize bytes). */
char *scan_pipe_buffer(struct scan_pipe *p);
/* A line of the stream was dropped before the next block (counted in that
 * block's skipped, or in a block of its own at the drain). */
void scan_pipe_skip(struct scan_pipe *p);
/* Submits the buffer's first len bytes for matching and makes the next
 * buffer current, starting with the keep bytes that followed them (a line
 * not yet complete). Finished blocks are consumed (fn, on this thread) as
 * buffers are needed; when every buffer is in flight and more blocks than
 * workers wait for one, this thread matches one rather than wait. Returns the new current
 * buffer. */
char *scan_pipe_submit(struct scan_pipe *p, size_t len, size_t keep, scan_pipe_consume_fn fn,
    void *arg);
/* Consumes every block submitted, waiting for them; the current buffer is
 * emptied. */
void scan_pipe_drain(struct scan_pipe *p, scan_pipe_consume_fn fn, void *arg);

/* Confirmed matches of rule i and PCRE2 limit hits, summed over the workers
 * (and the caller, which matches a block itself rather than wait). */
uint64_t scan_pipe_hits(const struct scan_pipe *p, int rule);
uint64_t scan_pipe_limit_hits(const struct scan_pipe *p);

#endif
