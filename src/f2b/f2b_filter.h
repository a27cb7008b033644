/* f2b_filter.h - fail2ban filters (struct f2b_def) compiled to PCRE2-JIT and
 * run over log lines the way fail2ban's server runs them: the date found and
 * cut out, prefregex and <F-CONTENT>, failregex in order (the first one that
 * matches wins), ignoreregex, the maxlines buffer with <SKIPLINES>, and the
 * <F-MLFID> connection table with nofail / mlfforget / mlfgained.
 * Several filters form a set that reads each line once; a literal
 * prefilter keeps PCRE2 off lines no failregex can match. */
#ifndef A5_F2B_FILTER_H
#define A5_F2B_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "f2b/f2b_conf.h"

/* Ceilings (each excess is counted, never an error). */
#define F2B_FLT_LINE_MAX	16384u	/* bytes of one line, raw and decoded; longer lines are dropped */
#define F2B_FLT_BUF_MAX		(256u << 10)	/* bytes of the maxlines buffer */
#define F2B_FLT_MAXLINES	1024	/* largest maxlines accepted */
#define F2B_FLT_MLF_MAX		100	/* connections per filter (fail2ban: 100) */
#define F2B_FLT_MLF_TTL		300	/* seconds a connection is kept (fail2ban: 5 min) */
#define F2B_FLT_MAX		512	/* filters in one set */

/* Filter flags. */
#define F2B_FLT_NODATE		0x1u	/* lines carry no date (journal messages) */
#define F2B_FLT_NOPREFILTER	0x2u	/* run PCRE2 on every line (for testing) */

struct f2b_failure {
	int filter;		/* index of the filter in the set */
	int regex;		/* index of the failregex that matched */
	bool has_addr;
	struct a5_prefix addr;	/* the host (full length), or the subnet of <CIDR>/<SUBNET> */
	const char *id;		/* the failure id as text (always set; NUL-terminated) */
	int64_t ts;		/* the line's date, else the last date seen, else now */
	uint64_t line;		/* f2b_set_line: 0; a batch: its base + the line's index */
};

struct f2b_filter_stats {
	uint64_t lines;		/* lines run through the filter's regexes */
	uint64_t failures;	/* failures with an address */
	uint64_t noaddr;	/* failures whose id is no address (host names are never resolved) */
	uint64_t ignored;	/* failregex matches dropped by an ignoreregex */
	uint64_t nofail;	/* matches that are no failure (nofail, pending connection) */
	uint64_t limit_hits;	/* PCRE2 runs stopped by the match limit (counted as no match) */
	uint64_t dropped;	/* lines dropped from the buffer by the byte ceiling */
	uint64_t mlf_evictions;	/* connections forgotten to stay within the table's ceiling */
};

typedef void (*f2b_failure_cb)(void *arg, const struct f2b_failure *f);

struct f2b_set;

struct f2b_set *f2b_set_new(void);
void f2b_set_free(struct f2b_set *s);
/* Compiles def (tags expanded, Python regex syntax rewritten for PCRE2) and
 * adds it. Returns the filter's index, or -1 with err = "file:line: ...". */
int f2b_set_add(struct f2b_set *s, const struct f2b_def *def, unsigned flags,
    char *err, size_t errlen);
/* Builds the prefilter; no filter may be added afterwards. 0 or -1. */
int f2b_set_compile(struct f2b_set *s, char *err, size_t errlen);

/* Runs one line (without its newline; a trailing \r is dropped) through every
 * filter. now is the wall clock, for the connection table's expiry and for
 * lines without a date. Calls cb for each failure, in filter order. */
void f2b_set_line(struct f2b_set *s, const char *line, size_t len, int64_t now,
    f2b_failure_cb cb, void *arg);

/* Batches: the same work as f2b_set_line over many lines, split so that
 * several threads share it, with the same failures in the same order.
 * - f2b_batch_line (the caller): the lines, in order. Their bytes must stay
 *   as they are until the batch is emitted.
 * - Phase one, the line-alone part (f2b_batch_scan, once per part of
 *   F2B_BATCH_PART_LINES lines, any thread, any order): each line cleaned,
 *   the prefilter run, which filters visit it.
 * - Phase one, the ordered part (f2b_batch_prepare, one thread, after every
 *   part is scanned, batches in order): the dates, whose detectors keep
 *   state from line to line.
 * - Phase two (f2b_batch_run, once per filter with visits): the filter's
 *   regexes and state over the batch's lines. Different filters run on
 *   different threads at once, and beside phase one of the next batch
 *   (which touches no filter's state); one filter's batches run in order.
 * - f2b_batch_emit (after every run) calls cb for each failure in the
 *   order f2b_set_line would have.
 * Each thread has its own scratch. A batch belongs to one set. */
#define F2B_BATCH_PART_LINES 2048
struct f2b_batch;
struct f2b_scratch;

struct f2b_scratch *f2b_scratch_new(const struct f2b_set *s);	/* compiled s; NULL: no memory */
void f2b_scratch_free(struct f2b_scratch *sc);
struct f2b_batch *f2b_batch_new(const struct f2b_set *s);
void f2b_batch_free(struct f2b_batch *b);
/* Empties the batch; now as in f2b_set_line, for all its lines. */
void f2b_batch_reset(struct f2b_batch *b, int64_t now);
/* The next line (without its newline). 0, or -1 when out of memory (the
 * batch is then incomplete: f2b_batch_emit fails too). */
int f2b_batch_line(struct f2b_batch *b, const char *line, size_t len);
/* A line not given to the set (dropped by the caller) still takes an index. */
void f2b_batch_skip(struct f2b_batch *b);
/* The number of parts of the batch's lines (0 when out of memory). */
size_t f2b_batch_parts(struct f2b_batch *b);
void f2b_batch_scan(const struct f2b_set *s, struct f2b_batch *b, size_t part, struct f2b_scratch *sc);
/* 0, or -1 when out of memory. */
int f2b_batch_prepare(struct f2b_set *s, struct f2b_batch *b);
/* The lines filter visits in the batch (0: f2b_batch_run has nothing to do). */
size_t f2b_batch_visits(const struct f2b_batch *b, int filter);
void f2b_batch_run(struct f2b_set *s, struct f2b_batch *b, int filter, struct f2b_scratch *sc);
/* Failures of the batch in order, each with line = base + its line's index.
 * 0, or -1 when some were lost for want of memory. */
int f2b_batch_emit(struct f2b_batch *b, uint64_t base, f2b_failure_cb cb, void *arg);

size_t f2b_set_count(const struct f2b_set *s);
const char *f2b_set_name(const struct f2b_set *s, int filter);
void f2b_set_stats(const struct f2b_set *s, int filter, struct f2b_filter_stats *st);
/* Lines dropped whole for being longer than F2B_FLT_LINE_MAX. */
uint64_t f2b_set_overlong(const struct f2b_set *s);
/* Lines the prefilter let through to at least one filter's regexes. */
uint64_t f2b_set_prefilter_passed(const struct f2b_set *s);

#endif
