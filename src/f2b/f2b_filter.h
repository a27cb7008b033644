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

size_t f2b_set_count(const struct f2b_set *s);
const char *f2b_set_name(const struct f2b_set *s, int filter);
void f2b_set_stats(const struct f2b_set *s, int filter, struct f2b_filter_stats *st);
/* Lines dropped whole for being longer than F2B_FLT_LINE_MAX. */
uint64_t f2b_set_overlong(const struct f2b_set *s);
/* Lines the prefilter let through to at least one filter's regexes. */
uint64_t f2b_set_prefilter_passed(const struct f2b_set *s);

#endif
