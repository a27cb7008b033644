/* f2b_date.h - finds the timestamp in a log line as fail2ban does: its
 * default date templates in fail2ban's order, or a filter's `datepattern`
 * (strptime-like %Y %m %d %H %M %S %f %b %z ..., fail2ban's %Ex* forms, and
 * the {^LN-BEG}, {DATE}, {UNB}, {NONE}, EPOCH, LEPOCH, TAI64N, ISO8601
 * shortcuts). fail2ban removes the date it found before its regexes run,
 * so the caller gets the date's byte range as well as its time. */
#ifndef A5_F2B_DATE_H
#define A5_F2B_DATE_H

#include <stddef.h>
#include <stdint.h>

struct f2b_dates;

struct f2b_date_hit {
	size_t start, end;	/* the date text is line[start..end) */
	int64_t ts;		/* unix seconds (UTC; local time when the stamp has no zone) */
};

/* patterns: a filter's datepattern lines (NULL or n == 0: fail2ban's default
 * templates). NULL with err = "what is wrong" on a pattern it cannot use. */
struct f2b_dates *f2b_dates_new(const char *const *patterns, size_t n, char *err, size_t errlen);
void f2b_dates_free(struct f2b_dates *d);

/* Finds the date in line[0..len). ref is "now" (unix seconds), for stamps
 * without a year. 1 with *hit filled, 0 when the line has no date the
 * templates know ({NONE}: always 0). Remembers which template matched last
 * and tries it first, as fail2ban does; no allocation per call. */
int f2b_dates_find(struct f2b_dates *d, const char *line, size_t len, int64_t ref,
    struct f2b_date_hit *hit);

#endif
