/* timeparse.c - fixed-format timestamp parsing with cursor checks. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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

/* Optional fraction, then optional zone: Z, +hh:mm, +hhmm. Returns the
 * offset in seconds east of UTC (0 when absent). */
static int
zone_parse(const char *s, size_t len, size_t i)
{
	if (i < len && (s[i] == '.' || s[i] == ','))
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1, zh, zm;
		i++;
		if ((zh = digits(s, len, &i, 2)) < 0)
			return 0;
		if (i < len && s[i] == ':')
			i++;
		if ((zm = digits(s, len, &i, 2)) < 0)
			zm = 0;
		return sign * (zh * 3600 + zm * 60);
	}
	return 0;
}

static int64_t
parse_rfc3164(const char *s, size_t len, int64_t ref)
{
	size_t i = 4;
	int mo = month_parse(s, len, 0), d, h, mi, se;

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
	/* No year in the stamp: take ref's year, or the one before when that
	 * would put the line more than a day in the future (logs of late
	 * December read in January). */
	int64_t days = ref / 86400;
	int64_t y = 1970 + days / 366;	/* lower bound, then walk up */
	while (days_from_civil(y + 1, 1, 1) <= days)
		y++;
	int64_t t = make_time(y, mo, d, h, mi, se);
	if (t > ref + 86400)
		t = make_time(y - 1, mo, d, h, mi, se);
	return t;
}

static int64_t
parse_iso(const char *s, size_t len, char datesep)
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
	return t < 0 ? -1 : t - zone_parse(s, len, i);
}

/* "[10/Oct/2000:13:55:36 -0700]" anywhere in the first 512 bytes. */
static int64_t
parse_clf(const char *s, size_t len)
{
	size_t lim = len < 512 ? len : 512;

	for (const char *p = memchr(s, '[', lim); p != NULL;
	    p = memchr(p + 1, '[', lim - (size_t)(p + 1 - s))) {
		size_t i = (size_t)(p - s) + 1;
		int d, mo, y, h, mi, se;
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
		return t - zone_parse(s, len, i);
	}
	return -1;
}

int64_t
time_parse_line(const char *line, size_t len, int64_t ref)
{
	int64_t t;

	if (len >= 15 && line[0] >= 'A' && line[0] <= 'Z' &&
	    (t = parse_rfc3164(line, len, ref)) >= 0)
		return t;
	if (len >= 19 && line[0] >= '0' && line[0] <= '9') {
		if ((t = parse_iso(line, len, '-')) >= 0)
			return t;
		if ((t = parse_iso(line, len, '/')) >= 0)
			return t;
	}
	return parse_clf(line, len);
}
