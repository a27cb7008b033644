/* f2b_time.c - the time of a date fail2ban found: its strptime rules
 * (reGroupDictStrptime: year and day inference, zones, 12-hour clocks, week
 * and year days), its epoch and TAI64N values; local time as Python's. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeparse.h"
#include "f2b/f2b_time.h"
#include "f2b/f2b_u8.h"

static const char *const mon_abbr[12] = { "jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const mon_full[12] = { "january", "february", "march", "april", "may",
	"june", "july", "august", "september", "october", "november", "december" };
static const char *const wd_abbr[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const wd_full[7] = { "monday", "tuesday", "wednesday", "thursday",
	"friday", "saturday", "sunday" };

/* fail2ban's zone abbreviations, minutes east of UTC (fixed offsets). */
static const struct {
	const char *name;
	int16_t off;
} zones[] = {
	{ "Y", -720 }, { "X", -660 }, { "NUT", -660 }, { "SST", -660 }, { "W", -600 }, { "CKT", -600 },
	{ "HAST", -600 }, { "HST", -600 }, { "TAHT", -600 }, { "TKT", -600 }, { "V", -540 },
	{ "AKST", -540 }, { "GAMT", -540 }, { "GIT", -540 }, { "HADT", -540 }, { "HNY", -540 },
	{ "U", -480 }, { "AKDT", -480 }, { "CIST", -480 }, { "HAY", -480 }, { "HNP", -480 },
	{ "PST", -480 }, { "PT", -480 }, { "T", -420 }, { "HAP", -420 }, { "HNR", -420 },
	{ "MST", -420 }, { "PDT", -420 }, { "S", -360 }, { "CST", -360 }, { "EAST", -360 },
	{ "GALT", -360 }, { "HAR", -360 }, { "HNC", -360 }, { "MDT", -360 }, { "R", -300 },
	{ "CDT", -300 }, { "COT", -300 }, { "EASST", -300 }, { "ECT", -300 }, { "EST", -300 },
	{ "ET", -300 }, { "HAC", -300 }, { "HNE", -300 }, { "PET", -300 }, { "Q", -240 },
	{ "AST", -240 }, { "BOT", -240 }, { "CLT", -240 }, { "COST", -240 }, { "EDT", -240 },
	{ "FKT", -240 }, { "GYT", -240 }, { "HAE", -240 }, { "HNA", -240 }, { "PYT", -240 },
	{ "P", -180 }, { "ADT", -180 }, { "ART", -180 }, { "BRT", -180 }, { "CLST", -180 },
	{ "FKST", -180 }, { "GFT", -180 }, { "HAA", -180 }, { "PMST", -180 }, { "PYST", -180 },
	{ "SRT", -180 }, { "UYT", -180 }, { "WGT", -180 }, { "O", -120 }, { "BRST", -120 },
	{ "FNT", -120 }, { "PMDT", -120 }, { "UYST", -120 }, { "WGST", -120 }, { "N", -60 },
	{ "AZOT", -60 }, { "CVT", -60 }, { "EGT", -60 }, { "Z", 0 }, { "EGST", 0 }, { "GMT", 0 },
	{ "UTC", 0 }, { "WET", 0 }, { "WT", 0 }, { "A", 60 }, { "CET", 60 }, { "DFT", 60 },
	{ "WAT", 60 }, { "WEDT", 60 }, { "WEST", 60 }, { "B", 120 }, { "CAT", 120 }, { "CEDT", 120 },
	{ "CEST", 120 }, { "EET", 120 }, { "SAST", 120 }, { "WAST", 120 }, { "C", 180 },
	{ "EAT", 180 }, { "EEDT", 180 }, { "EEST", 180 }, { "IDT", 180 }, { "MSK", 180 },
	{ "D", 240 }, { "AMT", 240 }, { "AZT", 240 }, { "GET", 240 }, { "GST", 240 },
	{ "KUYT", 240 }, { "MSD", 240 }, { "MUT", 240 }, { "RET", 240 }, { "SAMT", 240 },
	{ "SCT", 240 }, { "E", 300 }, { "AMST", 300 }, { "AQTT", 300 }, { "AZST", 300 },
	{ "HMT", 300 }, { "MAWT", 300 }, { "MVT", 300 }, { "PKT", 300 }, { "TFT", 300 },
	{ "TJT", 300 }, { "TMT", 300 }, { "UZT", 300 }, { "YEKT", 300 }, { "F", 360 },
	{ "ALMT", 360 }, { "BIOT", 360 }, { "BTT", 360 }, { "IOT", 360 }, { "KGT", 360 },
	{ "NOVT", 360 }, { "OMST", 360 }, { "YEKST", 360 }, { "G", 420 }, { "CXT", 420 },
	{ "DAVT", 420 }, { "HOVT", 420 }, { "ICT", 420 }, { "KRAT", 420 }, { "NOVST", 420 },
	{ "OMSST", 420 }, { "THA", 420 }, { "WIB", 420 }, { "H", 480 }, { "ACT", 480 },
	{ "AWST", 480 }, { "BDT", 480 }, { "BNT", 480 }, { "CAST", 480 }, { "HKT", 480 },
	{ "IRKT", 480 }, { "KRAST", 480 }, { "MYT", 480 }, { "PHT", 480 }, { "SGT", 480 },
	{ "ULAT", 480 }, { "WITA", 480 }, { "WST", 480 }, { "I", 540 }, { "AWDT", 540 },
	{ "IRKST", 540 }, { "JST", 540 }, { "KST", 540 }, { "PWT", 540 }, { "TLT", 540 },
	{ "WDT", 540 }, { "WIT", 540 }, { "YAKT", 540 }, { "K", 600 }, { "AEST", 600 },
	{ "ChST", 600 }, { "PGT", 600 }, { "VLAT", 600 }, { "YAKST", 600 }, { "YAPT", 600 },
	{ "L", 660 }, { "AEDT", 660 }, { "LHDT", 660 }, { "MAGT", 660 }, { "NCT", 660 },
	{ "PONT", 660 }, { "SBT", 660 }, { "VLAST", 660 }, { "VUT", 660 }, { "M", 720 },
	{ "ANAST", 720 }, { "ANAT", 720 }, { "FJT", 720 }, { "GILT", 720 }, { "MAGST", 720 },
	{ "MHT", 720 }, { "NZST", 720 }, { "PETST", 720 }, { "PETT", 720 }, { "TVT", 720 },
	{ "WFT", 720 }, { "FJST", 780 }, { "NZDT", 780 }, { "NFT", 690 }, { "ACDT", 630 },
	{ "LHST", 630 }, { "ACST", 570 }, { "CCT", 390 }, { "MMT", 390 }, { "NPT", 345 },
	{ "SLT", 330 }, { "AFT", 270 }, { "IRDT", 270 }, { "IRST", 210 }, { "HAT", -150 },
	{ "NDT", -150 }, { "HNT", -210 }, { "NST", -210 }, { "NT", -210 }, { "HLV", -270 },
	{ "VET", -270 }, { "MART", -570 }, { "MIT", -570 },
};

static bool
word_eq(const char *s, size_t n, const char *w)
{
	if (strlen(w) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != w[i])
			return false;
	}
	return true;
}

static int
word_index(const char *s, size_t n, const char *const *words, int nw)
{
	for (int i = 0; i < nw; i++)
		if (word_eq(s, n, words[i]))
			return i;
	return -1;
}

/* Digits (after blanks, as Python's int() allows; any Unicode decimal
 * digits, as \\d matched them); -1 if not a number. */
static int64_t
num(const char *s, size_t n)
{
	size_t i = 0, nd = 0;
	int64_t v = 0;

	while (i < n && s[i] == ' ')
		i++;
	while (n > i && s[n - 1] == ' ')
		n--;
	if (i == n)
		return -1;
	while (i < n) {
		size_t l = 1;
		/* ASCII digits, the rule, without the call */
		int dv = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : f2b_u8_digit(s + i, n - i, &l);
		if (dv < 0 || ++nd > 12)
			return -1;
		v = v * 10 + dv;
		i += l;
	}
	return v;
}

/* fail2ban's zone2offset: Z/UTC/GMT, [ABBR][+-]hh[[:]mm]. false if fail2ban
 * fails on it (an unknown abbreviation, lower case). Its digits may be any
 * Unicode decimal digits (Python's \\d), so the text is read as characters. */
static bool
zone_offset(const char *s, size_t n, int64_t *min)
{
	int cp[16];	/* a letter, '+', '-', ':', or a digit's value + 1000 */
	size_t nc = 0;

	if ((n == 1 && s[0] == 'Z') || (n == 3 && (memcmp(s, "UTC", 3) == 0 || memcmp(s, "GMT", 3) == 0))) {
		*min = 0;
		return true;
	}
	for (size_t i = 0; i < n;) {
		size_t l = 1;
		int dv = f2b_u8_digit(s + i, n - i, &l);
		if (nc == sizeof(cp) / sizeof(cp[0]))
			return false;
		if (dv >= 0)
			cp[nc++] = 1000 + dv;
		else if ((unsigned char)s[i] < 0x80)
			cp[nc++] = (unsigned char)s[i];
		else
			return false;
		i += l;
	}
	size_t a = 0;
	while (a < nc && cp[a] >= 'A' && cp[a] <= 'Z')
		a++;
	if (!(a == 0 || a == 1 || (a >= 3 && a <= 5)))
		return false;
	int64_t base = 0;
	if (a > 0) {
		char nm[6];
		size_t k;
		for (k = 0; k < a; k++)
			nm[k] = (char)cp[k];
		for (k = 0; k < sizeof(zones) / sizeof(zones[0]); k++)
			if (strlen(zones[k].name) == a && memcmp(zones[k].name, nm, a) == 0)
				break;
		if (k == sizeof(zones) / sizeof(zones[0]))
			return false;
		base = zones[k].off;
	}
	const int *o = cp + a;
	size_t on = nc - a;
	if (on == 0) {
		*min = base;
		return true;
	}
	/* [+-][01]\\d(?::?\\d{2})? ([01] is ASCII, \\d any digit) */
	if (on < 3 || (o[0] != '+' && o[0] != '-') || (o[1] != 1000 && o[1] != 1001) || o[2] < 1000)
		return false;
	int sign = o[0] == '-' ? -1 : 1;
	int64_t hh = (o[1] - 1000) * 10 + (o[2] - 1000);
	if (on == 3) {
		*min = base + sign * hh * 60;
		return true;
	}
	size_t p = 3;
	if (o[p] == ':')
		p++;
	if (on != p + 2 || o[p] < 1000 || o[p + 1] < 1000)
		return false;
	*min = base + sign * (hh * 60 + (o[p] - 1000) * 10 + (o[p + 1] - 1000));
	return true;
}

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : dm[m - 1];
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *dd)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*dd = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* "Now" as local civil seconds (Python's naive datetime.now()). */
static int64_t
now_civil(struct f2b_clock *c, int64_t ref)
{
	if (!c->now_valid || c->now_ref != ref) {
		time_t t = (time_t)ref;
		struct tm tm;
		if (localtime_r(&t, &tm) == NULL)
			return ref;
		c->now_civ = days_from_civil(tm.tm_year + 1900LL, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
		    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
		c->now_ref = ref;
		c->now_valid = true;
	}
	return c->now_civ;
}

static bool
mktime_civil(int64_t civ, int64_t *out)
{
	int64_t days = floordiv(civ, 86400), sod = civ - days * 86400;
	int64_t y;
	int m, dd;
	struct tm tm = { 0 };

	civil_from_days(days, &y, &m, &dd);
	if (y < 1 || y > 9999)
		return false;
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = m - 1;
	tm.tm_mday = dd;
	tm.tm_hour = (int)(sod / 3600);
	tm.tm_min = (int)(sod / 60 % 60);
	tm.tm_sec = (int)(sod % 60);
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1 && !(tm.tm_year == 69 && tm.tm_mon == 11 && tm.tm_mday == 31))
		return false;
	*out = (int64_t)t;
	return true;
}

/* Local civil seconds to unix seconds as Python's time.mktime (libc's
 * mktime, isdst unknown). mktime costs a lock and a stat of /etc/localtime
 * per call, so an hour whose two ends have the same offset is remembered. */
static bool
local_to_unix(struct f2b_clock *c, int64_t civ, int64_t *out)
{
	int64_t hour = floordiv(civ, 3600);

	if (c->hour_valid && c->hour_key == hour) {
		*out = civ - c->hour_off;
		return true;
	}
	int64_t a, b;
	if (!mktime_civil(hour * 3600, &a) || !mktime_civil(hour * 3600 + 3599, &b))
		return false;
	if (hour * 3600 - a == hour * 3600 + 3599 - b) {
		c->hour_key = hour;
		c->hour_off = hour * 3600 - a;
		c->hour_valid = true;
		*out = civ - c->hour_off;
		return true;
	}
	return mktime_civil(civ, out);
}

/* fail2ban's _calc_julian_from_U_or_W. */
static int64_t
julian_from_week(int64_t year, int64_t week, int64_t wday, bool monday_first)
{
	int64_t jan1 = days_from_civil(year, 1, 1) + 3;	/* 1970-01-01 was a Thursday */
	int64_t first = jan1 - floordiv(jan1, 7) * 7;	/* 0 = Monday */
	if (!monday_first) {
		first = (first + 1) % 7;
		wday = (wday + 1) % 7;
	}
	int64_t week0 = (7 - first) % 7;
	if (week == 0)
		return 1 + wday - first;
	return 1 + week0 + 7 * (week - 1) + wday;
}

bool
f2b_time_fields(struct f2b_clock *c, const struct f2b_field *f, unsigned nf, int pgrp,
    const char *line, const size_t *ov, int64_t ref, int64_t *ts)
{
	int64_t year = -1, month = -1, day = -1, hour = 0, minute = 0, second = 0;
	int64_t weekday = -1, julian = -1, week = -1, tzoff = 0;
	bool have_tz = false, week_monday = false;

	for (unsigned i = 0; i < nf; i++) {
		size_t a = ov[2 * f[i].grp], b = ov[2 * f[i].grp + 1];
		if (a == SIZE_MAX)
			continue;
		const char *v = line + a;
		size_t n = b - a;
		int64_t x;
		switch (f[i].key) {
		case 'y':
			if ((x = num(v, n)) < 0)
				return false;
			year = x <= 2000 ? x + 2000 : x;
			break;
		case 'Y':
			if ((year = num(v, n)) < 0)
				return false;
			break;
		case 'm':
			if ((month = num(v, n)) < 0)
				return false;
			break;
		case 'b':
			if ((x = word_index(v, n, mon_abbr, 12)) < 0)
				return false;
			month = x + 1;
			break;
		case 'B':
			if ((x = word_index(v, n, mon_full, 12)) < 0)
				return false;
			month = x + 1;
			break;
		case 'd':
			if ((day = num(v, n)) < 0)
				return false;
			break;
		case 'H':
			if ((hour = num(v, n)) < 0)
				return false;
			break;
		case 'I': {
			if ((hour = num(v, n)) < 0)
				return false;
			/* fail2ban fails on an unmatched %p (None has no lower()) */
			if (pgrp > 0 && ov[2 * pgrp] == SIZE_MAX)
				return false;
			bool pm = false, am = true;
			if (pgrp > 0) {
				size_t pa = ov[2 * pgrp], pb = ov[2 * pgrp + 1];
				am = word_eq(line + pa, pb - pa, "am");
				pm = word_eq(line + pa, pb - pa, "pm");
			}
			if (am && hour == 12)
				hour = 0;
			else if (pm && hour != 12)
				hour += 12;
			break;
		}
		case 'M':
			if ((minute = num(v, n)) < 0)
				return false;
			break;
		case 'S':
			if ((second = num(v, n)) < 0)
				return false;
			break;
		case 'A':
			if ((weekday = word_index(v, n, wd_full, 7)) < 0)
				return false;
			break;
		case 'a':
			if ((weekday = word_index(v, n, wd_abbr, 7)) < 0)
				return false;
			break;
		case 'w':
			if ((x = num(v, n)) < 0)
				return false;
			weekday = x - 1 < 0 ? 6 : x - 1;
			break;
		case 'j':
			if ((julian = num(v, n)) < 0)
				return false;
			break;
		case 'U':
		case 'W':
			if ((week = num(v, n)) < 0)
				return false;
			week_monday = f[i].key == 'W';
			break;
		case 'z':
		case 'Z':
			if (!zone_offset(v, n, &tzoff))
				return false;
			have_tz = true;
			break;
		default:
			break;
		}
	}
	int64_t now = -1;
	bool assume_year = false, assume_today = false;
	if (year < 0) {
		now = now_civil(c, ref);
		int m;
		int dd;
		civil_from_days(floordiv(now, 86400), &year, &m, &dd);
		assume_year = true;
	}
	if (month < 0 || day < 0) {
		bool have_julian = julian >= 0;
		if (!have_julian && week >= 0 && weekday >= 0) {
			julian = julian_from_week(year, week, weekday, week_monday);
			have_julian = true;
		}
		if (have_julian) {
			int m, dd;
			civil_from_days(days_from_civil(year, 1, 1) + julian - 1, &year, &m, &dd);
			month = m;
			day = dd;
		}
	}
	if (month < 0 && day < 0) {
		if (now < 0)
			now = now_civil(c, ref);
		int64_t y;
		int m, dd;
		civil_from_days(floordiv(now, 86400), &y, &m, &dd);
		month = m;
		day = dd;
		assume_today = true;
	}
	/* Python's datetime() refuses these */
	if (month < 1 || day < 1 || year < 1 || year > 9999 || month > 12 || day > mdays(year, (int)month) ||
	    hour > 23 || minute > 59 || second > 59)
		return false;
	int64_t civ = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 +
	    hour * 3600 + minute * 60 + second;
	if (have_tz)
		civ -= tzoff * 60;
	if (assume_today) {
		if (civ > now)
			civ -= 86400;	/* after midnight: it was yesterday */
	}
	if (assume_year && civ > now + 86400) {
		/* more than a day ahead: last year's; fail2ban keeps the time
		 * of day and sets the month and day read */
		int64_t sod = civ - floordiv(civ, 86400) * 86400;
		if (day > mdays(year - 1, (int)month) || year - 1 < 1)
			return false;
		civ = days_from_civil(year - 1, (unsigned)month, (unsigned)day) * 86400 + sod;
	}
	if (have_tz) {
		*ts = civ;
		return true;
	}
	return local_to_unix(c, civ, ts);
}

bool
f2b_time_epoch(const char *v, size_t n, bool longfrm, int64_t *ts)
{
	size_t i = 0, nch = 0, nd = 0;
	int64_t x = 0;
	bool dot = false;

	/* Python's float(v): integer digits (any Unicode decimal digits), then
	 * a fraction; len(v) counts characters */
	while (i < n) {
		size_t l = 1;
		int dv = f2b_u8_digit(v + i, n - i, &l);
		if (dv >= 0 && !dot) {
			if (++nd > 18)
				return false;
			x = x * 10 + dv;
		} else if (dv < 0) {
			if (v[i] != '.')
				return false;
			dot = true;
		}
		i += l;
		nch++;
	}
	if (nd == 0)
		return false;
	/* fail2ban's LEPOCH: milliseconds, or microseconds without a fraction */
	if (longfrm && nch >= 13)
		x /= (nch >= 16 && !dot) ? 1000000 : 1000;
	*ts = x;
	return true;
}

bool
f2b_time_tai64n(const char *v, size_t n, int64_t *ts)
{
	int64_t x = 0;

	/* "@4" and 15 of TAI64's hex digits: fail2ban's value[2:17] */
	if (n < 17)
		return false;
	for (size_t k = 2; k < 17; k++) {
		char ch = v[k];
		int h = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
		    ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
		if (h < 0)
			return false;
		x = x * 16 + h;
	}
	*ts = x;
	return true;
}

/* The memo's key: per field its letter, then 0xff (unset) or its length
 * and bytes; then 'p' and 0xfe (no %p group), 0xff (unset) or the %p
 * text. Every part says where it ends, so equal keys mean equal inputs.
 * 0 when it does not fit (the time is then worked out, not memoized). */
static size_t
memo_key(unsigned char *k, const struct f2b_field *f, unsigned nf, int pgrp, const char *line,
    const size_t *ov)
{
	size_t n = 0;

	for (unsigned i = 0; i <= nf; i++) {
		size_t a, b;
		if (n + 2 > F2B_TIME_MEMO_KEY)
			return 0;
		if (i < nf) {
			k[n++] = (unsigned char)f[i].key;
			a = ov[2 * f[i].grp];
			b = ov[2 * f[i].grp + 1];
		} else {
			k[n++] = 'p';
			if (pgrp <= 0) {
				k[n++] = 0xfe;
				break;
			}
			a = ov[2 * pgrp];
			b = ov[2 * pgrp + 1];
		}
		if (a == SIZE_MAX) {
			k[n++] = 0xff;
			continue;
		}
		size_t len = b - a;
		if (len >= 0xfe || n + 1 + len > F2B_TIME_MEMO_KEY)
			return 0;
		k[n++] = (unsigned char)len;
		memcpy(k + n, line + a, len);
		n += len;
	}
	return n;
}

bool
f2b_time_fields_memo(struct f2b_time_memo *memo, struct f2b_clock *c, const struct f2b_field *f,
    unsigned nf, int pgrp, const char *line, const size_t *ov, int64_t ref, int64_t *ts)
{
	unsigned char k[F2B_TIME_MEMO_KEY];
	size_t nk;

	if (memo == NULL || (nk = memo_key(k, f, nf, pgrp, line, ov)) == 0)
		return f2b_time_fields(c, f, nf, pgrp, line, ov, ref, ts);
	if (memo->nkey == nk && memo->ref == ref && memcmp(memo->key, k, nk) == 0) {
		memo->hits++;
		if (memo->ok)
			*ts = memo->ts;
		return memo->ok;
	}
	memo->misses++;
	int64_t t = 0;
	bool ok = f2b_time_fields(c, f, nf, pgrp, line, ov, ref, &t);
	memcpy(memo->key, k, nk);
	memo->nkey = nk;
	memo->ref = ref;
	memo->ok = ok;
	memo->ts = t;
	if (ok)
		*ts = t;
	return ok;
}
