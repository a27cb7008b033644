/* test_f2b_date.c - fail2ban's date detection: every default template,
 * byte ranges, year inference, zones, epoch and TAI64N, the filters'
 * datepatterns, the template order, hostile lines. The expectations were
 * computed by fail2ban 1.0.2's own DateDetector (python3) on these lines;
 * tests/e2e/f2b-date-oracle.sh compares the two on many more. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timeparse.h"
#include "f2b/f2b_date.h"

#define TEST_NOW 1124013600	/* fail2ban's test clock: 2005-08-14 12:00 CEST */

struct exp {
	const char *line;
	int st;
	size_t start, end;
	int64_t ts;
};

/* A detector, "now" and time zone, and the answers for its lines in order
 * (a detector remembers and reorders its templates from line to line). */
struct seq {
	const char *tz;
	int64_t now;
	const char *pats[6];
	struct exp ex[16];
};

static const struct seq seqs[] = {
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23T21:59:59.981746+0200 host sshd[1]: x", F2B_DATE_FOUND, 0, 31, 1106510399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23 21:59:59 host x", F2B_DATE_FOUND, 0, 19, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005/01/23  8:59:59 host x", F2B_DATE_FOUND, 0, 19, 1106470799 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2006.12.21 06:43:20 syslog-ng x", F2B_DATE_FOUND, 0, 19, 1166683400 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Sun Jan 23 21:59:59.011 2005 host x", F2B_DATE_FOUND, 0, 28, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Sun Jan 23 2005 21:59:59.011 host x", F2B_DATE_FOUND, 0, 28, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "23/01/2005 21:59:59 x11vnc x", F2B_DATE_FOUND, 0, 19, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "23/01/05 21:59:59 x", F2B_DATE_FOUND, 0, 17, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "17-07-2008 17:23:25 x", F2B_DATE_FOUND, 0, 19, 1216315405 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "192.0.2.1 - - [31/Oct/2006:09:22:55 -0000] \"GET / HTTP/1.1\" 200 1", F2B_DATE_FOUND, 15, 41, 1162286575 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "26-Jul-2007 15:20:52.252 named x", F2B_DATE_FOUND, 0, 24, 1185463252 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "26-Jul-2007 15:20:52 +0200 roundcube x", F2B_DATE_FOUND, 0, 26, 1185456052 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "[05/20/2008:01:57:39] cpanel x", F2B_DATE_FOUND, 1, 20, 1211248659 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "01-27-2012 16:22:44.252 x", F2B_DATE_FOUND, 0, 23, 1327681364 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "1138049999 nsd x", F2B_DATE_FOUND, 0, 10, 1138049999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "[1138049999] nsd x", F2B_DATE_FOUND, 1, 11, 1138049999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "type=USER_ERR msg=audit(1138049999.123:456): user pid=1", F2B_DATE_FOUND, 24, 38, 1138049999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "21:59:59 x", F2B_DATE_FOUND, 0, 8, 1123970399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "11:59:59 x", F2B_DATE_FOUND, 0, 8, 1123934399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "<09/16/08@05:03:30> x", F2B_DATE_FOUND, 0, 19, 1221541410 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "130322 11:46:11 [Warning] Access denied", F2B_DATE_FOUND, 0, 15, 1363952771 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Jan 23, 2005 9:59:59 PM org.apache x", F2B_DATE_FOUND, 0, 23, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Apr-27-13 02:33:06 [SSL-out] x", F2B_DATE_FOUND, 0, 18, 1367029986 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "20050123T215959 x", F2B_DATE_FOUND, 0, 15, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "20050123  85959 x", F2B_DATE_NONE, 0, 0, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "PDT Apr 16 21:05:29 monit x", F2B_DATE_FOUND, 0, 19, 1113710729 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "+0200 Jan 23 21:59:59.011 2005 x", F2B_DATE_FOUND, 0, 30, 1106510399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "@4000000037c219bf2ef02e94 tcpserver: x", F2B_DATE_FOUND, 0, 25, 935467455 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Feb  5 14:34:10 host sshd[1]: Failed password", F2B_DATE_FOUND, 0, 15, 1107614050 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Dec 31 23:59:59 host x", F2B_DATE_FOUND, 0, 15, 1104537599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Aug 15 11:00:00 host x", F2B_DATE_FOUND, 0, 15, 1092567600 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Aug 15 12:00:01 host x", F2B_DATE_FOUND, 0, 15, 1092571201 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Aug 14 12:00:01 host x", F2B_DATE_FOUND, 0, 15, 1124020801 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1709251200, { NULL }, {
		{ "Feb 29 10:00:00 host x", F2B_DATE_FOUND, 0, 15, 1709200800 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1740787200, { NULL }, {
		{ "Feb 29 10:00:00 host x", F2B_DATE_BADTIME, 0, 15, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23T21:59:59Z host x", F2B_DATE_FOUND, 0, 20, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23T21:59:59 UTC host x", F2B_DATE_FOUND, 0, 23, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23T21:59:59+02:00 host x", F2B_DATE_FOUND, 0, 25, 1106510399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23T21:59:59-0530 host x", F2B_DATE_FOUND, 0, 24, 1106537399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23T21:59:59 +02 host x", F2B_DATE_FOUND, 0, 23, 1106510399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "CEST Apr 16 21:05:29 x", F2B_DATE_FOUND, 0, 20, 1113678329 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "ABCD Apr 16 21:05:29 x", F2B_DATE_BADTIME, 0, 20, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "pdt Apr 16 21:05:29 x", F2B_DATE_BADTIME, 0, 19, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "NPT Apr 16 21:05:29 x", F2B_DATE_FOUND, 0, 19, 1113664829 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-02-30 10:00:00 x", F2B_DATE_BADTIME, 0, 19, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-02-03 24:00:00 x", F2B_DATE_NONE, 0, 0, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "no date here at all", F2B_DATE_NONE, 0, 0, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "", F2B_DATE_NONE, 0, 0, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "message 2005-01-23 21:59:59 in the middle", F2B_DATE_FOUND, 8, 27, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "Europe/Berlin", 1124013600, { NULL }, {
		{ "2005-01-23 21:59:59 winter x", F2B_DATE_FOUND, 0, 19, 1106513999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "Europe/Berlin", 1124013600, { NULL }, {
		{ "2005-07-23 21:59:59 summer x", F2B_DATE_FOUND, 0, 19, 1122148799 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "Europe/Berlin", 1124013600, { NULL }, {
		{ "Jul 23 21:59:59 summer x", F2B_DATE_FOUND, 0, 15, 1122148799 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "Europe/Berlin", 1124013600, { NULL }, {
		{ "2005-07-23 21:59:59 +0000 x", F2B_DATE_FOUND, 0, 25, 1122155999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "America/New_York", 1124013600, { NULL }, {
		{ "2005-03-27 02:30:00 x", F2B_DATE_FOUND, 0, 19, 1111908600 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^%Y-%m-%d %H:%M:%S", NULL }, {
		{ "2005-01-23 21:59:59 x", F2B_DATE_FOUND, 0, 19, 1106517599 },
		{ "x 2005-01-23 21:59:59", F2B_DATE_NONE, 0, 0, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^[^\\[]*\\[({DATE})", "{^LN-BEG}", NULL }, {
		{ "host httpd[1]: [Sun Jan 23 21:59:59.011 2005] [error] x", F2B_DATE_NONE, 0, 0, 0 },
		{ "[Sun Jan 23 21:59:59 2005] [error] x", F2B_DATE_FOUND, 1, 25, 1106517599 },
		{ "Jan 23 21:59:59 host x", F2B_DATE_FOUND, 0, 15, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^<\\d+>\\d+\\s+{DATE}", NULL }, {
		{ "<13>1 2005-01-23T21:59:59.981Z host x", F2B_DATE_FOUND, 0, 30, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^(?:=[^=]+={3,} )?(%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?)", "^I\\(()**", NULL }, {
		{ "=INFO REPORT==== 2005-01-23 21:59:59 ===", F2B_DATE_FOUND, 17, 36, 1106517599 },
		{ "I(<0.1.2>:ejabberd_c2s:123) : x", F2B_DATE_EMPTY, 2, 2, 0 },
		{ "2005-01-23T21:59:59.123+0100 x", F2B_DATE_FOUND, 0, 28, 1106513999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "%d/%b[^/]*/%Y:%H:%M:%S %z", NULL }, {
		{ "192.0.2.1 - - [23/Jan/2005:21:59:59 +0100] x", F2B_DATE_FOUND, 15, 41, 1106513999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^t=%Y-%m-%dT%H:%M:%S%z", NULL }, {
		{ "t=2005-01-23T21:59:59+0100 lvl=eror", F2B_DATE_FOUND, 0, 26, 1106513999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^%b %d, %ExY %I:%M:%S %p", "^WARNING:()**", "{^LN-BEG}", NULL }, {
		{ "Jan 23, 2005 9:59:59 PM x", F2B_DATE_FOUND, 0, 23, 1106517599 },
		{ "WARNING: x", F2B_DATE_EMPTY, 8, 8, 0 },
		{ "Jan 23, 2005 12:00:01 AM x", F2B_DATE_FOUND, 0, 24, 1106438401 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "{^LN-BEG}Epoch", "{^LN-BEG}", NULL }, {
		{ "1106517599.123 x", F2B_DATE_FOUND, 0, 14, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "EPOCH", NULL }, {
		{ "x 1106517599 y", F2B_DATE_NONE, 0, 0, 0 },
		{ "1106517599 y", F2B_DATE_FOUND, 0, 10, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "LEPOCH", NULL }, {
		{ "1106517599123 x", F2B_DATE_FOUND, 0, 13, 1106517599 },
		{ "1106517599123456 x", F2B_DATE_FOUND, 0, 16, 1106517599 },
		{ "1106517599123.456 x", F2B_DATE_FOUND, 0, 17, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^\\[{EPOCH}\\]", NULL }, {
		{ "[1106517599] x", F2B_DATE_FOUND, 0, 12, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "{^LN-BEG}TAI64N", "{^LN-BEG}", NULL }, {
		{ "@4000000041f41c3f00000000 x", F2B_DATE_FOUND, 0, 25, 1106517055 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "{NONE}", NULL }, {
		{ "Jan 23 21:59:59 x", F2B_DATE_EMPTY, 0, 0, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^%H:%M:%S.%f", NULL }, {
		{ "21:59:59.123 x", F2B_DATE_FOUND, 0, 12, 1123970399 },
		{ "09:59:59.123 x", F2B_DATE_FOUND, 0, 12, 1124013599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "^<co ts=\"{DATE}\"\\s+", NULL }, {
		{ "<co ts=\"2005-01-23T21:59:59.123+00:00\" x", F2B_DATE_FOUND, 0, 39, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "%j %Y %H:%M", NULL }, {
		{ "023 2005 21:59", F2B_DATE_FOUND, 0, 14, 1106517540 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "%a %U %Y", NULL }, {
		{ "Sun 04 2005", F2B_DATE_FOUND, 0, 11, 1106438400 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "%m/%d/%y %I:%M %p", NULL }, {
		{ "01/23/05 12:05 AM", F2B_DATE_FOUND, 0, 17, 1106438700 },
		{ "01/23/05 12:05 PM", F2B_DATE_FOUND, 0, 17, 1106481900 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "%d %B %Y %H:%M:%S %ExZ", NULL }, {
		{ "23 January 2005 21:59:59 CET", F2B_DATE_FOUND, 0, 28, 1106513999 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "%Y-%m-%dT%H:%M:%S%Exz", NULL }, {
		{ "2005-01-23T21:59:59CET+01", F2B_DATE_FOUND, 0, 25, 1106510399 },
		{ "2005-01-23T21:59:59-03:30", F2B_DATE_FOUND, 0, 25, 1106530199 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Jan 23 21:59:59 host x", F2B_DATE_FOUND, 0, 15, 1106517599 },
		{ "Jan 23 22:00:00 host message from 2005-02-01 10:00:00", F2B_DATE_FOUND, 0, 15, 1106517600 },
		{ "2005-01-23 22:00:01 host x", F2B_DATE_FOUND, 0, 19, 1106517601 },
		{ "2005-01-23 22:00:02 host x", F2B_DATE_FOUND, 0, 19, 1106517602 },
		{ "[23/Jan/2005:22:00:03 +0000] x", F2B_DATE_FOUND, 1, 27, 1106517603 },
		{ "Jan 23 22:00:04 host x", F2B_DATE_FOUND, 0, 15, 1106517604 },
		{ "host 2005-01-23 22:00:05 x", F2B_DATE_FOUND, 5, 24, 1106517605 },
		{ "no date", F2B_DATE_NONE, 0, 0, 0 },
		{ "1106517606 x", F2B_DATE_FOUND, 0, 10, 1106517606 },
		{ "Jan 23 22:00:07 host 1106517606 x", F2B_DATE_FOUND, 0, 15, 1106517607 },
		{ "22:00:08 x", F2B_DATE_FOUND, 0, 8, 1123970408 },
		{ "Jan 23 22:00:09 host x", F2B_DATE_FOUND, 0, 15, 1106517609 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1104537610, { NULL }, {
		{ "Dec 31 23:59:59 host x", F2B_DATE_FOUND, 0, 15, 1104537599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1104537610, { NULL }, {
		{ "23:59:59 x", F2B_DATE_FOUND, 0, 8, 1104537599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1104537610, { NULL }, {
		{ "00:00:05 x", F2B_DATE_FOUND, 0, 8, 1104537605 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1104537610, { NULL }, {
		{ "Jan  1 00:00:05 host x", F2B_DATE_FOUND, 0, 15, 1104537605 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1104537590, { NULL }, {
		{ "Jan  1 00:00:05 host x", F2B_DATE_FOUND, 0, 15, 1072915205 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1104537590, { NULL }, {
		{ "Jan  2 00:00:05 host x", F2B_DATE_FOUND, 0, 15, 1073001605 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "Europe/Berlin", 1124013600, { NULL }, {
		{ "2005-03-27 01:59:59 x", F2B_DATE_FOUND, 0, 19, 1111885199 },
		{ "2005-03-27 02:30:00 x", F2B_DATE_FOUND, 0, 19, 1111887000 },
		{ "2005-03-27 03:00:00 x", F2B_DATE_FOUND, 0, 19, 1111885200 },
		{ "2005-10-30 01:59:59 x", F2B_DATE_FOUND, 0, 19, 1130630399 },
		{ "2005-10-30 02:30:00 x", F2B_DATE_FOUND, 0, 19, 1130632200 },
		{ "2005-10-30 03:00:00 x", F2B_DATE_FOUND, 0, 19, 1130637600 },
		{ "2005-10-30 02:59:59 x", F2B_DATE_FOUND, 0, 19, 1130637599 },
		{ "Oct 30 02:30:00 x", F2B_DATE_FOUND, 0, 15, 1099096200 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "Asia/Kolkata", 1124013600, { NULL }, {
		{ "2005-01-23 21:59:59 x", F2B_DATE_FOUND, 0, 19, 1106497799 },
		{ "Jan 23 21:59:59 +0530 x", F2B_DATE_FOUND, 0, 15, 1106497799 },
		{ NULL, 0, 0, 0, 0 } } },
	/* non-ASCII text: Python's \\w and \\d are Unicode, offsets are bytes here */
	{ "UTC", 1124013600, { NULL }, {
		{ "\303\2512005-01-23 21:59:59 x", F2B_DATE_NONE, 0, 0, 0 },
		{ "2005-01-23 21:59:59\303\251 x", F2B_DATE_NONE, 0, 0, 0 },
		{ "\303\274ber Jan 23 21:59:59 x", F2B_DATE_FOUND, 6, 21, 1106517599 },
		{ "x\302\240Jan 23 21:59:59 x", F2B_DATE_FOUND, 3, 18, 1106517599 },
		{ "2005-01-23 21:59:59\034+0200 x", F2B_DATE_FOUND, 0, 25, 1106510399 },
		{ "\331\243\331\241 Jan 23 21:59:59", F2B_DATE_FOUND, 5, 20, 1106517599 },
		{ "Jan 23 21:59:59 \303\251 x", F2B_DATE_FOUND, 0, 15, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "\303\251\303\251 Jan 23 21:59:59 x", F2B_DATE_FOUND, 5, 20, 1106517599 },
		{ "\303\251 Jan 23 21:59:59 x", F2B_DATE_FOUND, 3, 18, 1106517599 },
		{ "\331\242\331\240\331\240\331\245-01-23 21:59:59 x", F2B_DATE_NONE, 0, 0, 0 },
		{ "Jan \357\274\222\357\274\223 21:59:59 x", F2B_DATE_NONE, 0, 0, 0 },
		{ "2005-01-23T21:59:59+\331\240\331\242\331\240\331\240 x", F2B_DATE_FOUND, 0, 19, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { "LEPOCH", NULL }, {
		{ "\331\241106517599123 x", F2B_DATE_FOUND, 0, 14, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "Jan 2\331\243 21:59:59 x", F2B_DATE_FOUND, 0, 16, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "2005-01-23T21:59:59+0\331\242\331\240\331\240 x", F2B_DATE_FOUND, 0, 27, 1106510399 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "x 2005-\357\274\2201-23 21:59:59 x", F2B_DATE_NONE, 0, 0, 0 },
		{ NULL, 0, 0, 0, 0 } } },
	/* bad UTF-8: fail2ban reads U+FFFD for each bad sequence */
	{ "UTC", 1124013600, { NULL }, {
		{ "\377 Jan 23 21:59:59 x", F2B_DATE_FOUND, 2, 17, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "\342\202 Jan 23 21:59:59 x", F2B_DATE_FOUND, 3, 18, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "\342\202\377 Jan 23 21:59:59 x", F2B_DATE_FOUND, 4, 19, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
	{ "UTC", 1124013600, { NULL }, {
		{ "x \3772005-01-23 21:59:59\377 x", F2B_DATE_FOUND, 3, 22, 1106517599 },
		{ NULL, 0, 0, 0, 0 } } },
};

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static size_t
npats(const char *const *p)
{
	size_t n = 0;
	while (p[n] != NULL)
		n++;
	return n;
}

static void
test_fail2ban_answers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *s = &seqs[i];
		char err[256];
		set_tz(s->tz);
		struct f2b_dates *d = f2b_dates_new(s->pats, npats(s->pats), err, sizeof(err));
		if (d == NULL)
			fail_msg("case %zu: %s", i, err);
		for (const struct exp *e = s->ex; e->line != NULL; e++) {
			struct f2b_date_hit hit = { 0 };
			int st = f2b_dates_match(d, e->line, strlen(e->line), s->now, &hit);
			if (st != e->st)
				fail_msg("'%s' (TZ %s): status %d, fail2ban %d", e->line, s->tz, st, e->st);
			if (st == F2B_DATE_NONE)
				continue;
			if (hit.start != e->start || hit.end != e->end)
				fail_msg("'%s': range %zu..%zu, fail2ban %zu..%zu", e->line,
				    hit.start, hit.end, e->start, e->end);
			if (st == F2B_DATE_FOUND && hit.ts != e->ts)
				fail_msg("'%s' (TZ %s): %lld, fail2ban %lld", e->line, s->tz,
				    (long long)hit.ts, (long long)e->ts);
		}
		f2b_dates_free(d);
	}
	set_tz("UTC");
}

/* f2b_dates_find: what the filter engine sees. */
static void
test_find_contract(void **state)
{
	struct f2b_date_hit hit;
	int64_t now = TEST_NOW;
	(void)state;

	set_tz("UTC");
	struct f2b_dates *d = f2b_dates_new(NULL, 0, NULL, 0);
	assert_non_null(d);
	const char *l1 = "Aug 14 09:59:30 host sshd[1]: x";
	assert_int_equal(f2b_dates_find(d, l1, strlen(l1), now, &hit), 1);
	assert_int_equal(hit.start, 0);
	assert_int_equal(hit.end, 15);
	assert_int_equal(hit.ts, now - 30);
	/* 30 Feb: fail2ban cuts it out and takes the last date (recent) */
	const char *l2 = "2005-02-30 10:00:00 host x";
	assert_int_equal(f2b_dates_find(d, l2, strlen(l2), now, &hit), 1);
	assert_int_equal(hit.start, 0);
	assert_int_equal(hit.end, 19);
	assert_int_equal(hit.ts, now - 30);
	/* ... or now, once the last date is a minute old */
	assert_int_equal(f2b_dates_find(d, l2, strlen(l2), now + 60, &hit), 1);
	assert_int_equal(hit.ts, now + 60);
	assert_int_equal(f2b_dates_find(d, "no date", 7, now, &hit), 0);
	assert_int_equal(f2b_dates_find(d, "", 0, now, &hit), 0);
	/* a line need not be NUL-terminated: only len bytes are read */
	char buf[32];
	memcpy(buf, "Aug 14 09:59:30 x", 17);
	memset(buf + 17, '7', sizeof(buf) - 17);
	assert_int_equal(f2b_dates_find(d, buf, 15, now, &hit), 1);
	assert_int_equal(hit.end, 15);
	f2b_dates_free(d);

	const char *none[] = { "{NONE}" };
	d = f2b_dates_new(none, 1, NULL, 0);
	assert_non_null(d);
	assert_int_equal(f2b_dates_find(d, l1, strlen(l1), now, &hit), 0);
	assert_int_equal(f2b_dates_match(d, l1, strlen(l1), now, &hit), F2B_DATE_EMPTY);
	assert_int_equal(f2b_dates_find(d, "", 0, now, &hit), 0);
	f2b_dates_free(d);
}

/* Every datepattern of fail2ban's filter.d (as its FilterReader resolves
 * them, with the sample logs' filterOptions too). */
static const char *const filter_patterns[][6] = {
	{ "%d/%b[^/]*/%Y:%H:%M:%S %z", NULL },
	{ "EPOCH", NULL },
	{ "^%H:%M:%S.%f", NULL },
	{ "^%Y-%m-%d %H:%M:%S", NULL },
	{ "^%Y:%m:%d-%H:%M:%S", NULL },
	{ "^%b %d, %ExY %I:%M:%S %p", "^WARNING:()**", "{^LN-BEG}", NULL },
	{ "^%m/%d/%Y %H:%M:%S", NULL },
	{ "^(?:%Y-)?%m-%d[ T]%H:%M:%S(?:\\.%f)?", "{^LN-BEG}", NULL },
	{ "^(?:=[^=]+={3,} )?(%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?)", "^I\\(()**", NULL },
	{ "^<W>{DATE}", NULL },
	{ "^<\\d+>\\d+\\s+{DATE}", NULL },
	{ "^<co ts=\"{DATE}\"\\s+", NULL },
	{ "^L %d/%m/%Y - %H:%M:%S", NULL },
	{ "^[^-]+ -- [^-]+ -- - ({DATE})", "{^LN-BEG}", NULL },
	{ "^[^\\[]*(\\[{DATE}\\s*\\])", "{^LN-BEG}", NULL },
	{ "^[^\\[]*\\[({DATE})", "{^LN-BEG}", NULL },
	{ "^\\[%d/%b/%Y %H:%M:%S\\]", NULL },
	{ "^t=%Y-%m-%dT%H:%M:%S%z", NULL },
	{ "^{DATE}", NULL },
	{ "{^LN-BEG}", NULL },
	{ "{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?", "^[^\\[]*\\[({DATE})", "{^LN-BEG}", NULL },
	{ "{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?", "{^LN-BEG}(?:%a )?%b %d %H:%M:%S(?:\\.%f)?(?: %ExY)?", "^[^\\[]*\\[({DATE})", "{^LN-BEG}", NULL },
	{ "{^LN-BEG}%b-%d-%Exy %H:%M:%S", "{^LN-BEG}", NULL },
	{ "{^LN-BEG}Epoch", "{^LN-BEG}", NULL },
	{ "{^LN-BEG}TAI64N", "{^LN-BEG}", NULL },
};

static void
test_filter_patterns(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(filter_patterns) / sizeof(filter_patterns[0]); i++) {
		char err[256];
		struct f2b_dates *d = f2b_dates_new(filter_patterns[i], npats(filter_patterns[i]),
		    err, sizeof(err));
		if (d == NULL)
			fail_msg("'%s': %s", filter_patterns[i][0], err);
		assert_true(f2b_dates_count(d) > 0);
		f2b_dates_free(d);
	}
}

static void
expect_refused(const char *const *pats, size_t n, const char *needle)
{
	char err[512];

	assert_null(f2b_dates_new(pats, n, err, sizeof(err)));
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' does not say '%s'", err, needle);
}

static void
test_refused(void **state)
{
	(void)state;
	const char *unknown[] = { "%Y-%Q" };
	expect_refused(unknown, 1, "%Q");
	const char *trailing[] = { "%Y %" };
	expect_refused(trailing, 1, "%Y %");
	const char *badre[] = { "(%Y" };
	expect_refused(badre, 1, "bad regex");
	const char *dup[] = { "%Y-%m-%d", "%Y-%m-%d" };
	expect_refused(dup, 2, "already");
	const char *flags[] = { "(?i)%b %d" };
	expect_refused(flags, 1, "inline flags");
	const char *null1[] = { NULL };
	expect_refused(null1, 1, "NULL");
	/* fuzz_f2b_date: "^?" is wrapped as "^(?)", an option setting in
	 * PCRE2 (Python refuses it): no group 1, whose ovector pair PCRE2
	 * never writes; find read it uninitialised */
	const char *nogroup[] = { "^?" };
	expect_refused(nogroup, 1, "no group");
	char *huge = malloc(20000);
	assert_non_null(huge);
	memset(huge, 'a', 19999);
	huge[19999] = '\0';
	const char *big[] = { huge };
	expect_refused(big, 1, "too long");
	free(huge);
	/* a literal % is %% */
	const char *pct[] = { "%Y%%%m" };
	struct f2b_dates *d = f2b_dates_new(pct, 1, NULL, 0);
	assert_non_null(d);
	struct f2b_date_hit hit;
	assert_int_equal(f2b_dates_match(d, "2005%01 x", 9, TEST_NOW, &hit), F2B_DATE_BADTIME);
	assert_int_equal(hit.end, 7);
	f2b_dates_free(d);

	/* a whole multi-line datepattern value, as fail2ban splits it */
	const char *multi[] = { "  ^%b %d, %ExY %I:%M:%S %p\n\n   ^WARNING:()**\n{^LN-BEG}  ", "" };
	d = f2b_dates_new(multi, 2, NULL, 0);
	assert_non_null(d);
	const char *three[] = { "^%b %d, %ExY %I:%M:%S %p", "^WARNING:()**", "{^LN-BEG}" };
	struct f2b_dates *d3 = f2b_dates_new(three, 3, NULL, 0);
	assert_non_null(d3);
	assert_int_equal(f2b_dates_count(d), f2b_dates_count(d3));
	for (size_t i = 0; i < f2b_dates_count(d); i++) {
		const char *n1, *r1, *n3, *r3;
		unsigned f1, f3;
		f2b_dates_template(d, i, &n1, &r1, &f1);
		f2b_dates_template(d3, i, &n3, &r3, &f3);
		assert_string_equal(r1, r3);
	}
	f2b_dates_free(d3);
	f2b_dates_free(d);
	/* only empty lines: the defaults, as fail2ban's first search adds them */
	const char *blank[] = { " \n\t" };
	d = f2b_dates_new(blank, 1, NULL, 0);
	assert_non_null(d);
	assert_int_equal(f2b_dates_count(d), 31);
	f2b_dates_free(d);
}

static double
secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Lines made to be slow: long, digits and separators everywhere, invalid
 * UTF-8, NUL bytes; and a datepattern that backtracks. Each search is
 * bounded (PCRE2 match limits, linear-time templates). */
static void
test_hostile(void **state)
{
	(void)state;
	set_tz("UTC");
	const size_t n = 1 << 20;
	char *buf = malloc(n + 64);
	assert_non_null(buf);
	struct f2b_date_hit hit;
	struct f2b_dates *d = f2b_dates_new(NULL, 0, NULL, 0);
	assert_non_null(d);
	static const char *const fills[] = { "1", "1:1:1 ", "2005-01-", "Jan 1 1:", "\xff\xfe\x80", "@4",
		"12/12/12 ", "1234567890.", "20050123", "[" };
	double t0 = secs();
	for (size_t k = 0; k < sizeof(fills) / sizeof(fills[0]); k++) {
		size_t fl = strlen(fills[k]);
		for (size_t i = 0; i < n; i++)
			buf[i] = fills[k][i % fl];
		(void)f2b_dates_match(d, buf, n, TEST_NOW, &hit);
		buf[n / 2] = '\0';	/* NUL inside the line */
		(void)f2b_dates_match(d, buf, n, TEST_NOW, &hit);
	}
	/* random bytes */
	srand(7);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(rand() & 0xff);
	(void)f2b_dates_match(d, buf, n, TEST_NOW, &hit);
	/* a date at the end of a long line is still found */
	memset(buf, 'x', n);
	memcpy(buf + n - 20, " 2005-01-23 21:59:59", 20);
	assert_int_equal(f2b_dates_match(d, buf, n, TEST_NOW, &hit), F2B_DATE_FOUND);
	assert_int_equal(hit.start, n - 19);
	assert_int_equal(hit.end, n);
	assert_int_equal(hit.ts, 1106517599);
	double dt = secs() - t0;
	f2b_dates_free(d);
	/* generous: sanitizer builds run several times slower */
	if (dt > 20.0)
		fail_msg("hostile lines took %.1f s", dt);

	/* catastrophic backtracking in a datepattern: the match limit stops it */
	const char *slow[] = { "^(a|aa)+(a|aa)+(a|aa)+%Y" };
	d = f2b_dates_new(slow, 1, NULL, 0);
	assert_non_null(d);
	memset(buf, 'a', 5000);
	t0 = secs();
	assert_int_equal(f2b_dates_match(d, buf, 5000, TEST_NOW, &hit), F2B_DATE_NONE);
	if (secs() - t0 > 5.0)
		fail_msg("backtracking took %.1f s", secs() - t0);
	f2b_dates_free(d);
	free(buf);
}

/* The last template first: a run of lines in one format, then a switch. */
static void
test_order(void **state)
{
	(void)state;
	set_tz("UTC");
	struct f2b_dates *d = f2b_dates_new(NULL, 0, NULL, 0);
	assert_non_null(d);
	struct f2b_date_hit hit;
	char line[128];
	for (int i = 0; i < 1000; i++) {
		int len = snprintf(line, sizeof(line), "192.0.2.%d - - [14/Aug/2005:09:%02d:%02d +0000] \"GET /\" 404 1",
		    i % 250, i / 60 % 60, i % 60);
		assert_int_equal(f2b_dates_find(d, line, (size_t)len, TEST_NOW, &hit), 1);
		assert_int_equal(hit.ts, days_from_civil(2005, 8, 14) * 86400 + 9 * 3600 + (i / 60 % 60) * 60 + i % 60);
		assert_int_equal(line[hit.start - 1], '[');
		assert_int_equal(line[hit.end], ']');
	}
	/* the matching template moved to the front */
	const char *name, *regex;
	unsigned flags;
	assert_int_equal(f2b_dates_template(d, 0, &name, &regex, &flags), 0);
	assert_non_null(strstr(name, "MON"));
	const char *l2 = "Aug 14 09:00:00 host x";
	assert_int_equal(f2b_dates_find(d, l2, strlen(l2), TEST_NOW, &hit), 1);
	assert_int_equal(hit.end, 15);
	assert_int_equal(f2b_dates_template(d, f2b_dates_count(d), &name, &regex, &flags), -1);
	f2b_dates_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail2ban_answers),
		cmocka_unit_test(test_find_contract),
		cmocka_unit_test(test_filter_patterns),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
