/* timeparse.h - timestamps found in log lines, parsed without locale or libc
 * time parsing (strptime is locale-dependent and slow). */
#ifndef A5_TIMEPARSE_H
#define A5_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Finds and parses the timestamp of a log line: at its start an RFC 3164
 * syslog stamp ("Feb  5 14:34:10", year inferred from ref: the latest year
 * that does not put it more than a day after ref), an RFC 3339 / ISO 8601
 * stamp ("2024-02-05T14:34:10.5+01:00", "2024-02-05 14:34:10"), or an
 * nginx error-log stamp ("2024/02/05 14:34:10"); else a common log format
 * stamp in brackets anywhere ("[05/Feb/2024:14:34:10 +0100]").
 * Stamps without a zone are taken as UTC. Returns unix seconds, or -1. */
int64_t time_parse_line(const char *line, size_t len, int64_t ref);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
