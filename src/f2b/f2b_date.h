/* f2b_date.h - finds the timestamp in a log line as fail2ban does: its
 * default date templates in fail2ban's order, or a filter's `datepattern`
 * (strptime-like %Y %m %d %H %M %S %f %b %z ..., fail2ban's %Ex* forms, and
 * the {^LN-BEG}, {DATE}, {UNB}, {NONE}, EPOCH, LEPOCH, TAI64N, ISO8601
 * shortcuts). fail2ban removes the date it found before its regexes run,
 * so the caller gets the date's byte range as well as its time. */
#ifndef A5_F2B_DATE_H
#define A5_F2B_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "f2b/f2b_time.h"

struct f2b_dates;

struct f2b_date_hit {
	size_t start, end;	/* the date text is line[start..end) */
	int64_t ts;		/* unix seconds (UTC; local time when the stamp has no zone) */
};

/* patterns: a filter's datepattern lines (NULL or n == 0: fail2ban's default
 * templates). NULL with err = "what is wrong" on a pattern it cannot use.
 * As fail2ban, each is stripped and split at newlines (a whole multi-line
 * datepattern value may be passed as one), and empty lines are skipped. */
struct f2b_dates *f2b_dates_new(const char *const *patterns, size_t n, char *err, size_t errlen);
void f2b_dates_free(struct f2b_dates *d);

/* Finds the date in line[0..len). ref is "now" (unix seconds), for stamps
 * without a year. 1 with *hit filled, 0 when the line has no date the
 * templates know ({NONE}: always 0). Remembers which template matched last
 * and tries it first, as fail2ban does; no allocation per call.
 * A date text that makes no time (31 Feb, an unknown zone name) is still
 * found, since fail2ban cuts it out all the same: 1, with ts the last date
 * found if it is less than a minute older than ref, else ref (fail2ban's
 * rule). An empty date text (a pattern ending "()**", {NONE}) gives 0. */
int f2b_dates_find(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit);

/* What several detectors run over the same line on one thread (a filter
 * set's) share, so that work one did is not done again by another:
 * - the template regex runs of this line (gen): a template whose regex is
 *   the same as one another detector ran on the same subject, from the
 *   same place to the same end, gets that run's answer (f2b_dates_share
 *   says which templates are the same);
 * - the last time read from a date's fields (f2b_time.h).
 * The answers are the same as without it. Zeroed to start; set gen to a
 * new value for each line. */
#define F2B_DATE_MEMO_RUNS 8
#define F2B_DATE_MEMO_PAIRS 32
struct f2b_date_run {
	uint64_t gen;
	uint32_t rid;
	bool utf, matched;
	const char *subj;
	size_t len, pos, endpos;
	uint32_t npairs;
	size_t ov[2 * F2B_DATE_MEMO_PAIRS];
};
struct f2b_date_memo {
	uint64_t gen;
	struct f2b_date_run run[F2B_DATE_MEMO_RUNS];
	unsigned next;
	uint64_t run_hits, run_misses;
	/* this line's last time read: the same template's groups at the same
	 * offsets of the same subject, with the same ref, read the same */
	struct {
		uint64_t gen;
		uint32_t rid, npairs;
		const char *subj;
		int64_t ref, ts;
		bool ok;
		size_t ov[2 * F2B_DATE_MEMO_PAIRS];
	} line_time;
	uint64_t line_time_hits;
	struct f2b_time_memo time;	/* across lines */
};

/* Gives d's templates the ids of the same templates (the same regex, the
 * same JIT state) of others[0..n), fresh ids to the rest, so that they
 * share regex runs through a memo. Never calling it: nothing shared. */
void f2b_dates_share(struct f2b_dates *d, struct f2b_dates *const *others, size_t n);

/* f2b_dates_find for a caller that has looked at the line already: view is
 * F2B_U8_ASCII or F2B_U8_VALID (f2b_u8.h) when line is known to be that
 * (valid UTF-8: bad bytes fixed by the caller), else -1; memo (may be
 * NULL) as above. The same answers as f2b_dates_find. */
int f2b_dates_find_ex(struct f2b_dates *d, const char *line, size_t len, int64_t ref, int view,
    struct f2b_date_memo *memo, struct f2b_date_hit *hit);

/* The same search, telling the cases apart (for tests and the oracle). */
enum {
	F2B_DATE_NONE = 0,	/* no date */
	F2B_DATE_FOUND = 1,	/* *hit filled */
	F2B_DATE_BADTIME = 2,	/* start, end set; the text makes no time (ts = ref) */
	F2B_DATE_EMPTY = 3,	/* an empty date text at start == end (ts = ref) */
};
int f2b_dates_match(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit);

/* The templates in their current order (fail2ban reorders them as they hit). */
size_t f2b_dates_count(const struct f2b_dates *d);
int f2b_dates_template(const struct f2b_dates *d, size_t i, const char **name,
    const char **regex, unsigned *flags);
/* The index of the template that found the last date, SIZE_MAX if none yet. */
size_t f2b_dates_last(const struct f2b_dates *d);

#endif
