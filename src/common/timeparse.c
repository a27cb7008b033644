/* timeparse.c - fixed-format timestamp parsing with cursor checks. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "common/timeparse.h"

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm: exact for every Gregorian date. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly n digits at s[*i]; -1 if they are not all digits. */
static int
digits(const char *s, size_t len, size_t *i, unsigned n)
{
	int v = 0;

	if (*i + n > len)
		return -1;
	for (unsigned k = 0; k < n; k++) {
		char c = s[*i + k];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += n;
	return v;
}

static int
month_parse(const char *s, size_t len, size_t i)
{
	if (i + 3 > len)
		return -1;
	/* Called for every matched line: compare packed bytes, not 12 memcmps. */
	uint32_t key = (uint32_t)(unsigned char)s[i] << 16 |
	    (uint32_t)(unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
	for (int m = 0; m < 12; m++) {
		uint32_t mk = (uint32_t)(unsigned char)months[m][0] << 16 |
		    (uint32_t)(unsigned char)months[m][1] << 8 | (unsigned char)months[m][2];
		if (key == mk)
			return m + 1;
	}
	return -1;
}

static bool date_valid(int64_t y, int mo, int d, int h, int mi, int se);

static int64_t
make_time(int64_t y, int mo, int d, int h, int mi, int se)
{
	if (!date_valid(y, mo, d, h, mi, se))
		return -1;
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
}

static bool
date_valid(int64_t y, int mo, int d, int h, int mi, int se)
{
	return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
	    h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && se >= 0 && se <= 60;
}

/* HH:MM:SS at s[*i]. */
static int
clock_parse(const char *s, size_t len, size_t *i, int *h, int *mi, int *se)
{
	if ((*h = digits(s, len, i, 2)) < 0 || *i >= len || s[(*i)++] != ':' ||
	    (*mi = digits(s, len, i, 2)) < 0 || *i >= len || s[(*i)++] != ':' ||
	    (*se = digits(s, len, i, 2)) < 0)
		return -1;
	return 0;
}

/* Optional fraction, then optional zone at s[*i]: Z, +hh:mm, +hhmm, +hh.
 * True when a zone was given; *off is its offset in seconds east of UTC
 * (0 when absent). */
static bool
zone_parse(const char *s, size_t len, size_t *ip, int *off)
{
	size_t i = *ip;

	*off = 0;
	if (i < len && (s[i] == '.' || s[i] == ','))
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	*ip = i;
	if (i < len && s[i] == 'Z') {
		*ip = i + 1;
		return true;
	}
	if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1, zh, zm;
		i++;
		if ((zh = digits(s, len, &i, 2)) < 0 || zh > 14)
			return false;
		if (i < len && s[i] == ':')
			i++;
		if ((zm = digits(s, len, &i, 2)) < 0 || zm > 59)
			zm = 0;
		*off = sign * (zh * 3600 + zm * 60);
		*ip = i;
		return true;
	}
	return false;
}

/* A stamp as written: the seconds it names read as UTC, and whether it
 * said its zone (then t is already UTC). */
struct stamp {
	int64_t t;
	bool zoned;
	size_t end;	/* where the stamp ends in the line; 0: not known */
};

/* The year ref falls in. */
static int64_t
year_of(int64_t ref)
{
	int64_t days = ref / 86400;
	int64_t y = 1970 + days / 366;	/* lower bound, then walk up */

	while (days_from_civil(y + 1, 1, 1) <= days)
		y++;
	return y;
}

/* Half a year back within one file: the year turned (Dec 31 -> Jan 1). */
#define ROLLOVER_SECS (183 * 86400)

/* A stamp without a year: the year is the file's. The first one takes the
 * latest year that does not put it more than a day after ref (logs of late
 * December read in January); after that the year moves on when a stamp
 * goes back by more than half a year, and a stamp more than half a year
 * ahead is a late line from the year before (out of order). */
static int64_t
yearless(struct time_ctx *tc, int mo, int d, int h, int mi, int se)
{
	int64_t t;

	if (tc->year == 0) {
		tc->year = year_of(tc->ref);
		t = make_time(tc->year, mo, d, h, mi, se);
		if (t > tc->ref + 86400) {
			tc->year--;
			t = make_time(tc->year, mo, d, h, mi, se);
		}
	} else {
		t = make_time(tc->year, mo, d, h, mi, se);
		if (t >= 0 && tc->last_yearless > 0 && t < tc->last_yearless - ROLLOVER_SECS) {
			tc->year++;
			t = make_time(tc->year, mo, d, h, mi, se);
		} else if (t >= 0 && tc->last_yearless > 0 && t > tc->last_yearless + ROLLOVER_SECS)
			t = make_time(tc->year - 1, mo, d, h, mi, se);	/* a late line from before the turn */
	}
	if (t >= 0)
		tc->last_yearless = t;
	return t;
}

/* "Feb  5 14:34:10[.frac][ 2026]" (RFC 3164, journalctl short-precise). */
static int
parse_rfc3164(const char *s, size_t len, struct time_ctx *tc, struct stamp *st)
{
	size_t i = 4;
	int mo = month_parse(s, len, 0), d, h, mi, se, y = -1;

	if (mo < 0 || len < 15 || s[3] != ' ')
		return -1;
	if (s[i] == ' ')
		i++;
	if (i < len && s[i] >= '0' && s[i] <= '9' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')
		d = digits(s, len, &i, 2);
	else
		d = digits(s, len, &i, 1);
	if (d < 0 || i >= len || s[i++] != ' ' || clock_parse(s, len, &i, &h, &mi, &se) != 0)
		return -1;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	/* journalctl -o short-full's ancestors and some daemons add the year */
	if (i + 5 <= len && s[i] == ' ' && (i + 5 == len || s[i + 5] == ' ')) {
		size_t k = i + 1;
		y = digits(s, len, &k, 4);
		if (y < 1970)
			y = -1;	/* a host name of four digits */
	}
	st->zoned = false;
	st->end = y >= 0 ? i + 5 : i;
	st->t = y >= 0 ? make_time(y, mo, d, h, mi, se) : yearless(tc, mo, d, h, mi, se);
	return st->t < 0 ? -1 : 0;
}

/* "2024-02-05T14:34:10[.frac][Z|+01:00|+0100]", also with ' ' for 'T' and
 * '/' for '-' (nginx error log). */
static int
parse_iso(const char *s, size_t len, char datesep, struct stamp *st, size_t *end)
{
	size_t i = 0;
	int y, mo, d, h, mi, se;

	if ((y = digits(s, len, &i, 4)) < 0 || i >= len || s[i++] != datesep ||
	    (mo = digits(s, len, &i, 2)) < 0 || i >= len || s[i++] != datesep ||
	    (d = digits(s, len, &i, 2)) < 0 || i >= len || (s[i] != 'T' && s[i] != ' '))
		return -1;
	i++;
	if (clock_parse(s, len, &i, &h, &mi, &se) != 0)
		return -1;
	int64_t t = make_time(y, mo, d, h, mi, se);
	if (t < 0)
		return -1;
	int off;
	st->zoned = zone_parse(s, len, &i, &off);
	st->t = t - off;
	st->end = i;
	if (end != NULL)
		*end = i;
	return 0;
}

/* journalctl -o short-full: "Mon 2024-02-05 14:34:10 UTC". A zone name
 * other than UTC/GMT is the local zone's (journalctl prints local time). */
static int
parse_short_full(const char *s, size_t len, struct stamp *st)
{
	size_t e;

	if (len < 24 || s[3] != ' ' || parse_iso(s + 4, len - 4, '-', st, &e) != 0)
		return -1;
	e += 4;
	if (!st->zoned && e + 4 <= len && s[e] == ' ' &&
	    (memcmp(s + e + 1, "UTC", 3) == 0 || memcmp(s + e + 1, "GMT", 3) == 0) &&
	    (e + 4 == len || s[e + 4] == ' '))
		st->zoned = true;
	st->end = e + 4;
	return 0;
}

/* Seconds with a fraction: "[  12345.678901]" (short-monotonic, seconds
 * since boot: only differences count) or "1707143650.123456" (short-unix). */
static int
parse_seconds(const char *s, size_t len, bool bracket, struct stamp *st)
{
	size_t i = 0, d;
	int64_t v = 0;

	if (bracket) {
		for (i = 1; i < len && s[i] == ' ' && i < 16; i++)
			;
	}
	for (d = i; i < len && s[i] >= '0' && s[i] <= '9' && i - d < 12; i++)
		v = v * 10 + (s[i] - '0');
	if (i == d || (!bracket && i - d < 9) || i >= len || s[i] != '.')
		return -1;
	for (d = ++i; i < len && s[i] >= '0' && s[i] <= '9' && i - d < 9; i++)
		;
	if (i == d || (bracket ? i >= len || s[i] != ']' : i < len && s[i] != ' '))
		return -1;
	st->t = v;
	st->zoned = true;
	st->end = i;
	return 0;
}

/* "[10/Oct/2000:13:55:36 -0700]" anywhere in the first 512 bytes. */
static int
parse_clf(const char *s, size_t len, struct stamp *st)
{
	size_t lim = len < 512 ? len : 512;

	for (const char *p = memchr(s, '[', lim); p != NULL;
	    p = memchr(p + 1, '[', lim - (size_t)(p + 1 - s))) {
		size_t i = (size_t)(p - s) + 1;
		int d, mo, y, h, mi, se, off;
		if ((d = digits(s, len, &i, 2)) < 0 || i >= len || s[i++] != '/' ||
		    (mo = month_parse(s, len, i)) < 0)
			continue;
		i += 3;
		if (i >= len || s[i++] != '/' || (y = digits(s, len, &i, 4)) < 0 ||
		    i >= len || s[i++] != ':' || clock_parse(s, len, &i, &h, &mi, &se) != 0)
			continue;
		int64_t t = make_time(y, mo, d, h, mi, se);
		if (t < 0)
			continue;
		if (i < len && s[i] == ' ')
			i++;
		st->zoned = zone_parse(s, len, &i, &off);
		st->t = t - off;
		st->end = 0;	/* anywhere in the line: not cached */
		return 0;
	}
	return -1;
}

static int
parse_stamp(const char *line, size_t len, struct time_ctx *tc, struct stamp *st)
{
	const char *s = line;
	size_t i = 0;

	/* "<PRI>", and RFC 5424's version "1 " after it */
	if (len > 2 && s[0] == '<') {
		for (i = 1; i < len && i < 5 && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i < len && s[i] == '>') {
			i++;
			if (i + 1 < len && s[i] == '1' && s[i + 1] == ' ')
				i += 2;
			s += i;
			len -= i;
		}
	}
	if ((len >= 15 && s[0] >= 'A' && s[0] <= 'Z' &&
	    (parse_rfc3164(s, len, tc, st) == 0 || parse_short_full(s, len, st) == 0)) ||
	    (len > 0 && s[0] == '[' && parse_seconds(s, len, true, st) == 0) ||
	    (len >= 11 && s[0] >= '0' && s[0] <= '9' &&
	    (parse_iso(s, len, '-', st, NULL) == 0 || parse_iso(s, len, '/', st, NULL) == 0 ||
	    parse_seconds(s, len, false, st) == 0))) {
		st->end += (size_t)(s - line);
		return 0;
	}
	return parse_clf(line, len + (size_t)(s - line), st);
}

void
time_ctx_init(struct time_ctx *tc, int64_t ref, bool local)
{
	memset(tc, 0, sizeof(*tc));
	tc->ref = ref;
	tc->local = local;
	tc->zone_hour = INT64_MIN;
}

/* Seconds east of UTC of the local zone at the naive local time t; looked
 * up once per hour of stamps (zone changes fall on whole hours). */
static int64_t
local_offset(struct time_ctx *tc, int64_t t)
{
	int64_t hour = t >= 0 ? t / 3600 : (t - 3599) / 3600;
	struct tm tm;
	time_t tt = (time_t)t, u;

	if (hour == tc->zone_hour)
		return tc->zone_off;
	if (gmtime_r(&tt, &tm) == NULL)
		return 0;
	tm.tm_isdst = -1;
	u = mktime(&tm);
	tc->zone_hour = hour;
	tc->zone_off = u == (time_t)-1 ? 0 : t - (int64_t)u;
	return tc->zone_off;
}

/* Bytes past a stamp's end its parser may look at (" 2026 ", "+01:00"). */
#define STAMP_LOOKAHEAD 7

int64_t
time_ctx_parse(struct time_ctx *tc, const char *line, size_t len)
{
	struct stamp st;
	int64_t t;

	/* Consecutive lines mostly share their stamp: the same leading bytes,
	 * up to a few past the stamp's end (every parser looks at most that
	 * far ahead), give the same result. */
	if (tc->keylen > 0 && len >= tc->keylen && memcmp(line, tc->key, tc->keylen) == 0)
		return tc->val;
	tc->keylen = 0;
	if (parse_stamp(line, len, tc, &st) != 0)
		return -1;
	t = st.t;
	if (!st.zoned && tc->local)
		t -= local_offset(tc, st.t);
	/* Only a key that covers the whole look-ahead: a line that ends
	 * sooner would let a longer next line with the same start (and a
	 * " 2019" or "+05:00" after it) take this line's time. */
	if (st.end > 0 && st.end + STAMP_LOOKAHEAD <= len) {
		size_t used = st.end + STAMP_LOOKAHEAD;
		if (used <= sizeof(tc->key)) {
			memcpy(tc->key, line, used);
			tc->keylen = used;
			tc->val = t;
		}
	}
	return t;
}

int64_t
time_parse_line(const char *line, size_t len, int64_t ref)
{
	struct time_ctx tc;

	time_ctx_init(&tc, ref, false);
	return time_ctx_parse(&tc, line, len);
}
