/* timeparse.h - timestamps found in log lines, parsed without locale or libc
 * time parsing (strptime is locale-dependent and slow). */
#ifndef A5_TIMEPARSE_H
#define A5_TIMEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a file's stamps are read: per file, since the year of stamps
 * without one follows the file (Dec 31 -> Jan 1). */
struct time_ctx {
	int64_t ref;		/* "now": the first yearless stamp is at most a day after it */
	int64_t year;		/* of yearless stamps; 0 until the first */
	int64_t last_yearless;	/* the last one, to see the year turn */
	bool local;		/* zoneless stamps are local time (else UTC) */
	int64_t zone_hour, zone_off;	/* cache of the local zone's offset */
	char key[64];		/* the last stamp's bytes (and a few after) */
	size_t keylen;		/* 0: none */
	int64_t val;		/* and what they gave */
};

void time_ctx_init(struct time_ctx *tc, int64_t ref, bool local);
/* Finds and parses the timestamp of a log line: at its start, after an
 * optional "<PRI>" (and RFC 5424's "1 "), an RFC 3164 syslog stamp ("Feb  5
 * 14:34:10[.frac][ 2024]"; without a year see struct time_ctx), an RFC 3339 /
 * ISO 8601 stamp ("2024-02-05T14:34:10.5+01:00", "2024-02-05 14:34:10",
 * "...+0100"), an nginx error-log stamp ("2024/02/05 14:34:10"), journalctl's
 * short-full ("Mon 2024-02-05 14:34:10 UTC"), short-unix ("1707143650.12")
 * or short-monotonic ("[12345.678901]": seconds since boot, only their
 * differences mean anything); else a common log format stamp in brackets
 * anywhere in the first 512 bytes ("[05/Feb/2024:14:34:10 +0100]").
 * A stamp's own zone is honoured; stamps without one are local time when
 * tc->local (a zone change, DST, is looked up per hour), else UTC.
 * Returns unix seconds, or -1. */
int64_t time_ctx_parse(struct time_ctx *tc, const char *line, size_t len);
/* The same for one line alone, zoneless stamps as UTC, a yearless stamp
 * in the latest year that does not put it more than a day after ref. */
int64_t time_parse_line(const char *line, size_t len, int64_t ref);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
